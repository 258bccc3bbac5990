/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pure parts of the EFI entry (platform/x86/efi/efi_handoff.c), compiled
 * on the host: the memory map Tern is handed, the command line from load
 * options, kernel= and " -- ", and the entry marker in tern.elf (the ACPI
 * tables: test_x86_acpi.c).
 */
#include <string.h>
#include <stdlib.h>
#include "unit.h"
#include "../../platform/x86/efi/efi_handoff.c"

/* ---- memory map ---- */

#define DSZ 48          /* OVMF's descriptor size: larger than the 40 bytes of UEFI 2.10 */

static uint8_t map[64 * DSZ];
static size_t map_len;

static void md(uint32_t type, uint64_t base, uint64_t pages)
{
	uint8_t *d = map + map_len;
	memset(d, 0xcc, DSZ);
	memcpy(d + EFI_MD_TYPE, &type, 4);
	memcpy(d + EFI_MD_PHYS, &base, 8);
	memcpy(d + EFI_MD_PAGES, &pages, 8);
	map_len += DSZ;
}

START_TEST(regions_merge_free_types)
{
	struct boot_region r[BOOT_MAX_REGIONS];
	map_len = 0;
	md(EFI_MT_CONVENTIONAL, 0, 0xa0);                    /* 0-640K */
	md(6, 0xa0000, 0x60);                                /* runtime data */
	md(EFI_MT_CONVENTIONAL, 0x100000, 0x100);
	md(EFI_MT_BOOT_SERVICES_CODE, 0x200000, 0x10);       /* free after ExitBootServices: merged */
	md(EFI_MT_BOOT_SERVICES_DATA, 0x210000, 0x10);
	md(EFI_MT_LOADER_DATA, 0x220000, 0x10);              /* tern.elf, the kernel: kept out */
	md(EFI_MT_CONVENTIONAL, 0x230000, 0);                /* empty */
	md(EFI_MT_CONVENTIONAL, 0x100000000ull, 0x40000);    /* above 4 GiB: listed (mem.c maps it) */
	md(EFI_MT_CONVENTIONAL, 0xfffffffffffff000ull, 2);   /* wraps: dropped */
	unsigned n = efi_regions_from_map(map, map_len, DSZ, r, BOOT_MAX_REGIONS);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(r[0].base, 0);
	ck_assert_uint_eq(r[0].len, 0xa0000);
	ck_assert_uint_eq(r[1].base, 0x100000);
	ck_assert_uint_eq(r[1].len, 0x120000);
	ck_assert_uint_eq(r[2].base, 0x100000000ull);
	ck_assert_uint_eq(r[2].len, 0x40000000ull);
	for (unsigned i = 0; i < n; i++)
		ck_assert_uint_eq(r[i].type, BOOT_MEM_AVAILABLE);
	/* A descriptor size below the fields read, or no room: nothing. */
	ck_assert_uint_eq(efi_regions_from_map(map, map_len, 39, r, BOOT_MAX_REGIONS), 0);
	ck_assert_uint_eq(efi_regions_from_map(map, map_len, DSZ, r, 0), 0);
	/* A partial last descriptor is not read. */
	ck_assert_uint_eq(efi_regions_from_map(map, 2 * DSZ + DSZ - 1, DSZ, r, BOOT_MAX_REGIONS), 1);
}
END_TEST

START_TEST(regions_keep_the_largest)
{
	struct boot_region r[3];
	map_len = 0;
	/* Five separate free ranges of 1, 5, 2, 4, 3 pages (gaps between them). */
	static const uint64_t pages[] = { 1, 5, 2, 4, 3 };
	for (unsigned i = 0; i < 5; i++)
		md(EFI_MT_CONVENTIONAL, 0x100000 * (i + 1), pages[i]);
	unsigned n = efi_regions_from_map(map, map_len, DSZ, r, 3);
	ck_assert_uint_eq(n, 3);
	/* 5, 4 and 3 pages survive, in address order. */
	ck_assert_uint_eq(r[0].base, 0x200000);
	ck_assert_uint_eq(r[1].base, 0x400000);
	ck_assert_uint_eq(r[2].base, 0x500000);
	ck_assert_uint_eq(r[2].len, 3 * 4096);
}
END_TEST

/* ---- command line ---- */

static size_t wide(uint16_t *out, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i <= n; i++)
		out[i] = (uint8_t)s[i];
	return (n + 1) * 2;
}

START_TEST(cmdline_from_options)
{
	uint16_t w[128];
	char out[64];
	size_t n = wide(w, "kernel=\\EFI\\tern\\vmlinuz guest_mem=64");
	ck_assert(efi_cmdline_from_options(w, n, out, sizeof(out)));
	ck_assert_str_eq(out, "kernel=\\EFI\\tern\\vmlinuz guest_mem=64");
	/* The shell's own command line starts with the image: dropped, either case. */
	n = wide(w, "fs0:\\EFI\\tern\\TERN.EFI  kernel=k");
	ck_assert(efi_cmdline_from_options(w, n, out, sizeof(out)));
	ck_assert_str_eq(out, "kernel=k");
	n = wide(w, "tern.efi");
	ck_assert(!efi_cmdline_from_options(w, n, out, sizeof(out)));
	n = wide(w, "notefi kernel=k");
	ck_assert(efi_cmdline_from_options(w, n, out, sizeof(out)));
	ck_assert_str_eq(out, "notefi kernel=k");
	/* OVMF's auto-created entries: a GUID, not text. */
	static const uint16_t guid[8] = { 0x0881, 0x4eac, 0xb0d0, 0x11a5 };
	ck_assert(!efi_cmdline_from_options(guid, sizeof(guid), out, sizeof(out)));
	ck_assert_str_eq(out, "");
	n = wide(w, "a\x7f");
	ck_assert(!efi_cmdline_from_options(w, n, out, sizeof(out)));
	/* No options at all, or no terminator: the size bounds the read. */
	ck_assert(!efi_cmdline_from_options(NULL, 0, out, sizeof(out)));
	ck_assert(!efi_cmdline_from_options(w, 0, out, sizeof(out)));
	n = wide(w, "abcdef");
	ck_assert(efi_cmdline_from_options(w, 6, out, sizeof(out)));
	ck_assert_str_eq(out, "abc");
	/* Longer than the buffer: cut, terminated. */
	n = wide(w, "0123456789");
	ck_assert(efi_cmdline_from_options(w, n, out, 5));
	ck_assert_str_eq(out, "0123");
	ck_assert(!efi_cmdline_from_options(w, n, out, 0));
}
END_TEST

START_TEST(kernel_args)
{
	char path[32], kcmd[32];
	ck_assert(efi_kernel_args("x=1 kernel=/EFI/tern/k.elf guest_mem=8", path, sizeof(path), kcmd, sizeof(kcmd)));
	ck_assert_str_eq(path, "\\EFI\\tern\\k.elf");
	ck_assert_str_eq(kcmd, "\\EFI\\tern\\k.elf");
	ck_assert(efi_kernel_args("kernel=k -- console=ttyS0 kernel=other", path, sizeof(path), kcmd, sizeof(kcmd)));
	ck_assert_str_eq(path, "k");
	ck_assert_str_eq(kcmd, "console=ttyS0 kernel=other");
	/* kernel= after " -- " belongs to the kernel, not to Tern. */
	ck_assert(!efi_kernel_args("a -- kernel=k", path, sizeof(path), kcmd, sizeof(kcmd)));
	ck_assert(!efi_kernel_args("a --", path, sizeof(path), kcmd, sizeof(kcmd)));
	ck_assert(efi_kernel_args("kernel=k --", path, sizeof(path), kcmd, sizeof(kcmd)));
	ck_assert_str_eq(kcmd, "k");
	ck_assert(efi_kernel_args("kernel=k -- ", path, sizeof(path), kcmd, sizeof(kcmd)));
	ck_assert_str_eq(kcmd, "k");
	ck_assert(!efi_kernel_args("xkernel=k", path, sizeof(path), kcmd, sizeof(kcmd)));
	ck_assert(!efi_kernel_args("kernel= x", path, sizeof(path), kcmd, sizeof(kcmd)));
	ck_assert(!efi_kernel_args("kernel=k", path, 0, kcmd, sizeof(kcmd)));
	ck_assert(!efi_kernel_args("kernel=k", path, sizeof(path), kcmd, 0));
	/* A path longer than the buffer is cut, terminated. */
	ck_assert(efi_kernel_args("kernel=0123456789", path, 5, kcmd, 4));
	ck_assert_str_eq(path, "0123");
	ck_assert_str_eq(kcmd, "012");
}
END_TEST

START_TEST(find_entry)
{
	uint8_t seg[TERN_EFI_ENTRY_SCAN + 64];
	memset(seg, 0, sizeof(seg));
	ck_assert_uint_eq(efi_find_entry(seg, sizeof(seg)), 0);
	uint64_t e = 0x10016e;
	memcpy(seg + 0x48, TERN_EFI_ENTRY_MAGIC, 8);
	memcpy(seg + 0x50, &e, 8);
	ck_assert_uint_eq(efi_find_entry(seg, sizeof(seg)), 0x10016e);
	/* Cut before the address: not found. */
	ck_assert_uint_eq(efi_find_entry(seg, 0x57), 0);
	ck_assert_uint_eq(efi_find_entry(seg, 0x58), 0x10016e);
	/* Only 8-byte aligned markers count, and only in the first TERN_EFI_ENTRY_SCAN bytes. */
	memset(seg, 0, sizeof(seg));
	memcpy(seg + 0x44, TERN_EFI_ENTRY_MAGIC, 8);
	memcpy(seg + 0x4c, &e, 8);
	ck_assert_uint_eq(efi_find_entry(seg, sizeof(seg)), 0);
	memset(seg, 0, sizeof(seg));
	memcpy(seg + TERN_EFI_ENTRY_SCAN, TERN_EFI_ENTRY_MAGIC, 8);
	memcpy(seg + TERN_EFI_ENTRY_SCAN + 8, &e, 8);
	ck_assert_uint_eq(efi_find_entry(seg, sizeof(seg)), 0);
	memcpy(seg + TERN_EFI_ENTRY_SCAN - 16, TERN_EFI_ENTRY_MAGIC, 8);
	memcpy(seg + TERN_EFI_ENTRY_SCAN - 8, &e, 8);
	ck_assert_uint_eq(efi_find_entry(seg, sizeof(seg)), 0x10016e);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_efi");
	TCase *tc = tcase_create("handoff");
	tcase_add_test(tc, regions_merge_free_types);
	tcase_add_test(tc, regions_keep_the_largest);
	tcase_add_test(tc, cmdline_from_options);
	tcase_add_test(tc, kernel_args);
	tcase_add_test(tc, find_entry);
	suite_add_tcase(s, tc);
	return s;
}
