/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the ACPI reader (platform/x86/acpi.c) both ways in and tern.efi use:
 * the input is a window of physical memory (its first two bytes name the
 * RSDP's address in it, and the same address as an EFI system table's for
 * the configuration-table lookup). Whatever the tables claim — lengths, checksums,
 * root entries pointing anywhere, a lying RSDP revision — nothing is read
 * outside the window (ASan sees the exact-size copy), and every table found
 * is whole inside it, of a valid length, with a zero checksum and the
 * signature asked for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../platform/x86/acpi.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const uint8_t *win, size_t size, const char *sig)
{
	const uint8_t *t = acpi_find_table(sig);
	if (!t)
		return;
	uint32_t len = acpi_table_len(t);
	if (t < win || len < ACPI_HDR_LEN || len > ACPI_MAX_TABLE || (size_t)(t - win) + len > size ||
	    memcmp(t, sig, 4) != 0 || !sum_ok(t, len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint64_t rsdp = (uint64_t)data[0] | (uint64_t)data[1] << 8;
	size -= 2;
	uint8_t *win = malloc(size ? size : 1);
	if (!win)
		return 0;
	memcpy(win, data + 2, size);
	int rc = acpi_init_window((uintptr_t)win, size, rsdp);
	if (rc != 0 && rc != -TERN_ENOENT && rc != -TERN_EINVAL)
		abort();
	static const char *const sigs[] = { "APIC", "SPCR", "FACP", "XSDT", "RSDT", "HPET" };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		check_table(win, size, sigs[i]);
		if (rc)
			if (acpi_find_table(sigs[i]))
				abort();        /* no root, nothing found */
	}
	struct acpi_madt m;
	int mrc = acpi_madt_parse(&m);
	if (mrc != 0 && mrc != -TERN_ENOENT)
		abort();
	if (mrc == 0 && (rc != 0 || m.ncpus > ACPI_MAX_CPUS))
		abort();                /* a MADT only from valid tables, never more CPUs than kept */
	for (unsigned i = 0; mrc == 0 && i < m.ncpus; i++)
		for (unsigned j = 0; j < i; j++)
			if (m.cpus[i].apic_id == m.cpus[j].apic_id)
				abort();        /* each CPU once */
	struct acpi_facts f;
	acpi_facts(&f);
	if (f.tables != (rc == 0) || f.pcat_compat < -1 || f.pcat_compat > 1 ||
	    (f.spcr_port > 0 && f.spcr_port > IO_PORT_MAX_UART) || !acpi_8259_why(&f))
		abort();
	uint64_t found = acpi_scan_bios();
	if (found && (found + RSDP_V1_LEN > size || memcmp(win + found, "RSD PTR ", 8) != 0))
		abort();
	/* The same address as an EFI system table: an RSDP it names is whole in the window. */
	found = acpi_efi_rsdp(rsdp);
	if (found && (found + RSDP_V1_LEN > size || memcmp(win + found, "RSD PTR ", 8) != 0 ||
		      !sum_ok(win + found, RSDP_V1_LEN) || size < rsdp + EFI_ST_MIN_LEN ||
		      memcmp(win + rsdp, "IBI SYST", 8) != 0))
		abort();
	free(win);
	return 0;
}
