/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the host's ACPI parser (platform/x86/acpi.c): the input is physical
 * memory from address 0 (exactly its size: ASan sees any read past it), its
 * first two bytes the RSDP's address. Whatever the tables say, every read
 * stays inside the window, a table found lies whole inside it with a valid
 * length, and the MADT walk keeps at most ACPI_MAX_CPUS CPUs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../platform/x86/acpi.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const uint8_t *mem, size_t size, const uint8_t *t)
{
	if (!t)
		return;
	uint32_t len;
	memcpy(&len, t + 4, 4);
	if (t < mem || len < ACPI_HDR_LEN || len > ACPI_MAX_TABLE || (size_t)(t - mem) + len > size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t *mem = malloc(size);
	if (!mem)
		return 0;
	memcpy(mem, data, size);
	acpi_set_window(0, mem, size);
	uint64_t rsdp = (uint64_t)data[0] | (uint64_t)data[1] << 8;
	(void)acpi_find_rsdp_bios();
	if (acpi_init(rsdp) == 0) {
		static const char sigs[][4] = { "APIC", "FACP", "SPCR", "HPET", "MCFG" };
		for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			check_table(mem, size, acpi_find_table(sigs[i]));
		struct acpi_madt m;
		if (acpi_madt_parse(&m) == 0 && m.ncpus > ACPI_MAX_CPUS)
			abort();
	} else if (acpi_find_table("APIC")) {
		abort();                        /* a refused RSDP leaves nothing to find */
	}
	free(mem);
	return 0;
}
