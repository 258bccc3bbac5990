/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's ACPI tables (ACPI 6.5 chapter 5): the RSDP the loader or the
 * firmware names, the XSDT (or RSDT) it points to, any table by signature,
 * and the MADT's CPUs. The tables are firmware input: every length is
 * bounded and every checksum checked before anything else is read.
 */
#ifndef TERN_X86_ACPI_H
#define TERN_X86_ACPI_H

#include <stdint.h>
#include <stdbool.h>

/* ACPI 6.5 5.2.12: MADT flags bit 0, PCAT_COMPAT (a dual-8259 setup is present). */
#define ACPI_MADT_PCAT_COMPAT 1u
/* ACPI 6.5 5.2.12.2 / 5.2.12.12: Local APIC / x2APIC flags. */
#define ACPI_MADT_CPU_ENABLED 1u
#define ACPI_MADT_CPU_ONLINE_CAPABLE 2u
/* The CPUs the MADT walk keeps (more are counted, not kept). */
#define ACPI_MAX_CPUS 64u
/* A table longer than this is refused as corrupt. */
#define ACPI_MAX_TABLE (1u << 20)

struct acpi_cpu {
	uint32_t apic_id;               /* xAPIC ID (8 bits) or x2APIC ID */
	uint32_t uid;                   /* ACPI processor UID */
	bool x2apic;                    /* from an x2APIC entry (type 9) */
};

struct acpi_madt {
	uint64_t lapic_base;            /* physical, after any address override (type 5) */
	bool pcat_compat;               /* the 8259s exist: they may (must) be EOI'd, masked */
	unsigned ncpus;                 /* usable CPUs kept in cpus[] (enabled or online-capable) */
	unsigned disabled;              /* entries neither enabled nor online-capable */
	unsigned dropped;               /* usable CPUs beyond ACPI_MAX_CPUS */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
};

/*
 * Take the RSDP at physical address rsdp (ACPI 6.5 5.2.5.3): signature and
 * checksum (the extended one too from revision 2), then its XSDT, else its
 * RSDT, validated. 0, -TERN_ENOENT (rsdp 0 or no valid root table) or
 * -TERN_EINVAL (no valid RSDP there). Until it succeeds, acpi_find_table
 * finds nothing.
 */
int acpi_init(uint64_t rsdp);
/*
 * The first table the root table lists with this signature whose length
 * and checksum are valid (a corrupt duplicate is skipped), or NULL. The
 * table's header length is at offset 4; every byte up to it may be read.
 */
const void *acpi_find_table(const char sig[4]);
/* The MADT ("APIC") walked into *out: 0, or -TERN_ENOENT (none valid). */
int acpi_madt_parse(struct acpi_madt *out);
/*
 * The RSDP on a BIOS machine without a loader tag (ACPI 6.5 5.2.5.1): the
 * first KiB of the EBDA, then 0xE0000-0xFFFFF, on 16-byte boundaries. 0 if
 * none has a valid signature and checksum.
 */
uint64_t acpi_find_rsdp_bios(void);

/*
 * Where the tables may lie: physical [base, base + size) seen at va. The
 * image's default is the identity-mapped low 4 GiB; host tests and the fuzz
 * target give a buffer. Every table read is checked against this window.
 */
void acpi_set_window(uint64_t base, const void *va, uint64_t size);

#endif
