/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pure parts of the EFI entry, kept apart from the firmware calls so that
 * they are testable on the host (harness/unit/test_x86_efi.c): the command
 * line, the memory map conversion and where tern.elf's 64-bit EFI entry
 * is (the ACPI tables: platform/x86/acpi.c).
 */
#ifndef TERN_EFI_HANDOFF_H
#define TERN_EFI_HANDOFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "../bootinfo.h"

/* UEFI 2.10 section 7.2, EFI_MEMORY_TYPE (the ones that matter here). */
#define EFI_MT_LOADER_CODE 1
#define EFI_MT_LOADER_DATA 2
#define EFI_MT_BOOT_SERVICES_CODE 3
#define EFI_MT_BOOT_SERVICES_DATA 4
#define EFI_MT_CONVENTIONAL 7
#define EFI_PAGE_BYTES 4096ull

/* The fields of an EFI_MEMORY_DESCRIPTOR this code reads (UEFI 2.10 7.2.3). */
#define EFI_MD_TYPE 0
#define EFI_MD_PHYS 8
#define EFI_MD_PAGES 24
#define EFI_MD_MIN_SIZE 40

/*
 * The memory map after ExitBootServices as Tern's boot regions: conventional
 * memory and boot-services code/data (free once boot services are gone,
 * UEFI 2.10 7.4.6) become available regions, adjacent ones merged; the
 * rest (runtime services, ACPI, the loader's own pages, which hold tern.elf,
 * the kernel and this information) stays out. Keeps the largest
 * BOOT_MAX_REGIONS when there are more. Returns the number written.
 */
unsigned efi_regions_from_map(const uint8_t *map, size_t map_size, size_t desc_size,
			      struct boot_region *out, unsigned max);

/*
 * Tern's command line from the image's load options (UCS-2, lo_bytes long):
 * the printable text up to the first NUL, without a leading "*.efi" word (the
 * shell passes its own command line). False when the options are not text
 * (OVMF's auto-created boot entries carry a GUID there).
 */
bool efi_cmdline_from_options(const uint16_t *lo, size_t lo_bytes, char *out, size_t out_len);

/*
 * Split Tern's command line: the value of kernel= (forward slashes made
 * backslashes, as EFI file paths want) and the Service VM's own command line
 * after " -- " (or the kernel's path when there is none).
 * False when there is no kernel=.
 */
bool efi_kernel_args(const char *cmdline, char *path, size_t path_len, char *kcmd, size_t kcmd_len);

/* The 8-byte marker in tern.elf's .boot.header followed by the 64-bit entry. */
#define TERN_EFI_ENTRY_MAGIC "TERNEFI1"
#define TERN_EFI_ENTRY_SCAN 8192

/* The physical address of the EFI entry recorded in the first segment's bytes, or 0. */
uint64_t efi_find_entry(const uint8_t *seg, size_t len);

#endif
