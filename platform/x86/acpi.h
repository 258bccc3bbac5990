/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ACPI tables the firmware left (ACPI 6.5 chapter 5): found from the
 * RSDP through the XSDT (or the RSDT), every table checked — signature,
 * length between a header and ACPI_MAX_TABLE, checksum, inside the window
 * of physical memory that may be read — before anything of it is used. The
 * firmware is trusted as far as the hardware is, but a table that lies
 * costs a wrong answer ("cannot tell"), never a read outside the window.
 * Used by tern.elf (both ways in) and by tern.efi before ExitBootServices.
 */
#ifndef TERN_X86_ACPI_H
#define TERN_X86_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_HDR_LEN 36
#define ACPI_MAX_TABLE (1u << 20)
/* What tern.elf and tern.efi may read: the identity map of the low 4 GiB both have. */
#define ACPI_PHYS_LIMIT (4ull << 30)
/* ACPI 6.5 5.2.12: MADT flags bit 0, PCAT_COMPAT (a dual 8259 setup is present). */
#define ACPI_MADT_PCAT_COMPAT 1u

/*
 * Take the tables whose RSDP is at physical address rsdp (0: none). 0, or
 * -TERN_ENOENT (no RSDP, or not one: signature, checksum) or -TERN_EINVAL
 * (neither root table is valid); acpi_find_table then finds nothing.
 */
int acpi_init(uint64_t rsdp);
/*
 * acpi_init with physical address pa at window + pa, readable for pa + len
 * <= size (the host tests and fuzz_acpi hand a buffer): acpi_set_window(0,
 * window, size), then acpi_init(rsdp).
 */
int acpi_init_window(uintptr_t window, uint64_t size, uint64_t rsdp);
/*
 * Where the tables may lie: physical [base, base + size) seen at va (va 0:
 * the identity map). The default is the image's identity-mapped low 4 GiB
 * (ACPI_PHYS_LIMIT); host tests and the fuzz target give a buffer. Forgets
 * the tables found before.
 */
void acpi_set_window(uint64_t base, uintptr_t va, uint64_t size);
/* The first valid table with this signature the root table lists, or NULL. */
const void *acpi_find_table(const char sig[4]);
/* A valid table's length (header field at 4). */
uint32_t acpi_table_len(const void *table);

/* What the tables say about the machine, for both ways in (main.c, efi_main.c). */
struct acpi_facts {
	bool tables;            /* acpi_init found valid tables */
	int pcat_compat;        /* MADT PCAT_COMPAT: 1 or 0; -1 no usable MADT */
	bool have_8259;         /* program the 8259s: the MADT says so, or no tables at all (a PC-AT) */
	int spcr_port;          /* the SPCR's I/O-port 16550; 0 no SPCR; -1 one Tern cannot drive */
	uint64_t spcr_address;  /* the SPCR's base address (any address space) */
};
void acpi_facts(struct acpi_facts *out);
/* A phrase for the log: where the 8259 answer came from. */
const char *acpi_8259_why(const struct acpi_facts *f);

/*
 * A BIOS machine without an RSDP from its loader: the RSDP in the first KiB of
 * the EBDA or in 0xE0000-0xFFFFF on a 16-byte boundary (ACPI 6.5 5.2.5.1),
 * read through the window; 0 when none.
 */
uint64_t acpi_scan_bios(void);

/*
 * A UEFI machine whose loader passed no RSDP (multiboot2 tags 14/15): the one
 * the EFI system table at physical address systab lists in its configuration
 * table (UEFI 2.10 4.3 and 4.6: the ACPI 2.0 GUID's entry, else the ACPI 1.0
 * one), read through the window after boot services are gone. The system
 * table's signature and header size, the entry count (at most
 * ACPI_EFI_MAX_CONFIG), the array and the RSDP's signature and ACPI 1.0
 * checksum are checked, each read inside the window; 0 when none.
 */
#define ACPI_EFI_MAX_CONFIG 1024u
uint64_t acpi_efi_rsdp(uint64_t systab);

/* ACPI 6.5 5.2.12.2 / 5.2.12.12: Local APIC / x2APIC flags. */
#define ACPI_MADT_CPU_ENABLED 1u
#define ACPI_MADT_CPU_ONLINE_CAPABLE 2u
/* The CPUs the MADT walk keeps (more are counted, not kept). */
#define ACPI_MAX_CPUS 64u

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
 * The MADT ("APIC") walked into *out: 0, or -TERN_ENOENT (none valid). An
 * entry is read only when it lies whole inside the table and is as long as
 * its type needs; a CPU listed twice (xAPIC and x2APIC forms) is kept once.
 */
int acpi_madt_parse(struct acpi_madt *out);

#endif
