/* SPDX-License-Identifier: BSD-3-Clause */
/* What the loader told us: memory map, modules, command line (multiboot1 or 2). */
#ifndef TERN_X86_BOOTINFO_H
#define TERN_X86_BOOTINFO_H

#include <stdbool.h>
#include <stdint.h>

#define BOOT_MAX_MODULES 8
#define BOOT_MAX_REGIONS 32
#define BOOT_CMDLINE_LEN 256
/* A module's command line becomes the guest's (or its module's) string;
 * one longer than this is marked cut and the guest loader refuses it. */
#define BOOT_MODULE_CMDLINE_LEN 4096

/* Memory map types (multiboot2 spec 3.6.8, same numbers as E820). */
#define BOOT_MEM_AVAILABLE 1

struct boot_module {
	uint64_t start, end;            /* physical, end exclusive */
	char cmdline[BOOT_MODULE_CMDLINE_LEN];
	bool cmdline_cut;               /* the loader's string did not fit */
};

struct boot_region {
	uint64_t base, len;
	uint32_t type;
};

struct boot_info {
	unsigned version;               /* 1 or 2; 0 from the EFI entry */
	char loader[32];
	char cmdline[BOOT_CMDLINE_LEN];
	bool cmdline_cut;               /* Tern's command line did not fit: x86_main refuses it */
	unsigned nmodules;
	unsigned modules_seen;          /* every module the loader named, kept or not (> BOOT_MAX_MODULES: refused) */
	struct boot_module modules[BOOT_MAX_MODULES];
	unsigned nregions;
	struct boot_region regions[BOOT_MAX_REGIONS];
	uint64_t info_start, info_end;  /* the loader's structure itself */
	/* Filled by the EFI entry (platform/x86/efi); zero after multiboot. */
	uint32_t efi;                   /* 1: entered from tern.efi after ExitBootServices */
	uint32_t have_8259;             /* 1: the ACPI MADT says PCAT_COMPAT (8259s exist) */
	uint32_t console_port;          /* the ACPI SPCR's I/O-port UART; 0: COM1 */
	/* From tern.efi, or from multiboot2's ACPI and EFI tags (GRUB on UEFI). */
	uint64_t acpi_rsdp;             /* physical address of the ACPI RSDP, 0 if unknown */
	uint64_t efi_system_table;      /* physical; its boot services are gone; 0: no UEFI */
	uint32_t efi_mmap_descs;        /* multiboot2 EFI memory map tag: descriptors in it */
	uint32_t efi_boot_services;     /* 1: multiboot2 says boot services were not exited */
};

/* Parse the loader's information; 0 or -TERN_EINVAL (unknown magic). */
int bootinfo_parse(uint32_t magic, uint32_t info_pa, struct boot_info *out);

#endif
