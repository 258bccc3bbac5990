/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The image's boot-information parser (platform/x86/bootinfo.c) and VMX
 * instruction-error names (platform/x86/vmx.c), compiled on the host. The parser
 * takes 32-bit physical addresses, so the test maps a buffer below 4 GiB and
 * builds multiboot2 tag lists and multiboot1 structures in it.
 */
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include "unit.h"
#include "../../platform/x86/bootinfo.c"
#include "../../platform/x86/vmx.c"
#include "../../platform/x86/serial.h"

#define LOW_BASE 0x30000000ul
#define LOW_SIZE 0x10000ul

static uint8_t *low;

void x86_log(const char *fmt, ...)
{
	(void)fmt;
}

static void setup(void)
{
	void *p = mmap((void *)LOW_BASE, LOW_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ck_assert_ptr_eq(p, (void *)LOW_BASE);
	low = p;
}

static void teardown(void)
{
	munmap(low, LOW_SIZE);
}

static uint32_t pa(const void *p) { return (uint32_t)(uintptr_t)p; }
static void w32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void w64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Append a multiboot2 tag; returns the offset after it (8-byte aligned). */
static uint32_t tag(uint32_t off, uint32_t type, const void *body, uint32_t body_len)
{
	w32(low + off, type);
	w32(low + off + 4, 8 + body_len);
	memcpy(low + off + 8, body, body_len);
	return (off + 8 + body_len + 7) & ~7u;
}

static uint32_t mb2_common(void)
{
	uint32_t off = 8;
	off = tag(off, MB2_TAG_CMDLINE, "guest_mem=64", 13);
	off = tag(off, MB2_TAG_LOADER, "GRUB 2.06", 10);
	uint8_t mod[8 + 10];
	w32(mod, 0x200000);
	w32(mod + 4, 0x21a000);
	memcpy(mod + 8, "testguest", 10);
	off = tag(off, MB2_TAG_MODULE, mod, sizeof(mod));
	uint8_t mm[8 + 3 * 24];
	memset(mm, 0, sizeof(mm));
	w32(mm, 24);                 /* entry size */
	w32(mm + 4, 0);              /* entry version */
	w64(mm + 8, 0);
	w64(mm + 16, 0x9fc00);
	w32(mm + 24, 1);
	w64(mm + 32, 0x100000);
	w64(mm + 40, 0x1ff00000);
	w32(mm + 48, 1);
	w64(mm + 56, 0xfffc0000);
	w64(mm + 64, 0x40000);
	w32(mm + 72, 2);
	off = tag(off, MB2_TAG_MMAP, mm, sizeof(mm));
	return off;
}

START_TEST(test_mb2_full)
{
	uint32_t off = mb2_common();
	off = tag(off, MB2_TAG_END, "", 0);
	w32(low, off);
	struct boot_info bi;
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert_uint_eq(bi.version, 2);
	ck_assert_str_eq(bi.cmdline, "guest_mem=64");
	ck_assert_str_eq(bi.loader, "GRUB 2.06");
	ck_assert_uint_eq(bi.nmodules, 1);
	ck_assert_uint_eq(bi.modules[0].start, 0x200000);
	ck_assert_uint_eq(bi.modules[0].end, 0x21a000);
	ck_assert_str_eq(bi.modules[0].cmdline, "testguest");
	ck_assert_uint_eq(bi.nregions, 3);
	ck_assert_uint_eq(bi.regions[1].base, 0x100000);
	ck_assert_uint_eq(bi.regions[1].len, 0x1ff00000);
	ck_assert_uint_eq(bi.regions[2].type, 2);
	ck_assert_uint_eq(bi.info_start, pa(low));
	ck_assert_uint_eq(bi.info_end, pa(low) + off);
}
END_TEST

/* Nothing is dropped silently: a cut command line and modules past the table are reported. */
START_TEST(test_mb2_too_much_is_reported)
{
	char longline[300];
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	uint32_t off = tag(8, MB2_TAG_CMDLINE, longline, sizeof(longline));
	uint8_t mod[8 + 2];
	for (unsigned i = 0; i < BOOT_MAX_MODULES + 1; i++) {
		w32(mod, 0x200000 + i * 0x1000);
		w32(mod + 4, 0x201000 + i * 0x1000);
		memcpy(mod + 8, "m", 2);
		off = tag(off, MB2_TAG_MODULE, mod, sizeof(mod));
	}
	off = tag(off, MB2_TAG_END, "", 0);
	w32(low, off);
	struct boot_info bi;
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert(bi.cmdline_cut);
	ck_assert_uint_eq(strlen(bi.cmdline), BOOT_CMDLINE_LEN - 1);
	ck_assert_uint_eq(bi.nmodules, BOOT_MAX_MODULES);
	ck_assert_uint_eq(bi.modules_seen, BOOT_MAX_MODULES + 1);
	/* Exactly what fits is neither. */
	longline[BOOT_CMDLINE_LEN - 1] = '\0';
	off = tag(8, MB2_TAG_CMDLINE, longline, BOOT_CMDLINE_LEN);
	off = tag(off, MB2_TAG_END, "", 0);
	w32(low, off);
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert(!bi.cmdline_cut);
	ck_assert_uint_eq(bi.modules_seen, 0);
}
END_TEST

START_TEST(test_mb2_uefi_tags)
{
	/* GRUB on UEFI (Multiboot2 spec 3.6.12-3.6.19): the EFI64 system table,
	 * the RSDP copies (the ACPI 2.0 one wins whatever the order), the EFI
	 * memory map's descriptor count; nothing of it after a BIOS GRUB. */
	uint32_t off = mb2_common();
	struct boot_info bi;
	uint32_t end = tag(off, MB2_TAG_END, "", 0);
	w32(low, end);
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert_uint_eq(bi.efi_system_table, 0);
	ck_assert_uint_eq(bi.acpi_rsdp, 0);
	ck_assert_uint_eq(bi.efi_mmap_descs, 0);
	ck_assert_uint_eq(bi.efi_boot_services, 0);

	uint8_t st[8];
	w64(st, 0x0f5eb018);
	off = tag(off, MB2_TAG_EFI64, st, 8);
	uint8_t rsdp_new[36] = "RSD PTR ", rsdp_old[20] = "RSD PTR ";
	uint32_t new_at = off + 8;
	off = tag(off, MB2_TAG_ACPI_NEW, rsdp_new, sizeof(rsdp_new));
	off = tag(off, MB2_TAG_ACPI_OLD, rsdp_old, sizeof(rsdp_old));
	uint8_t em[8 + 3 * 48];
	memset(em, 0, sizeof(em));
	w32(em, 48);                 /* descriptor size (OVMF's) */
	w32(em + 4, 1);              /* descriptor version */
	off = tag(off, MB2_TAG_EFI_MMAP, em, sizeof(em));
	end = tag(off, MB2_TAG_END, "", 0);
	w32(low, end);
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert_uint_eq(bi.efi_system_table, 0x0f5eb018);
	ck_assert_uint_eq(bi.acpi_rsdp, pa(low) + new_at);
	ck_assert_uint_eq(bi.efi_mmap_descs, 3);
	ck_assert_uint_eq(bi.efi_boot_services, 0);
	ck_assert_uint_eq(bi.nregions, 3);

	/* Only the ACPI 1.0 copy; a too-short one is ignored. */
	memset(low, 0, LOW_SIZE);
	off = tag(8, MB2_TAG_ACPI_OLD, rsdp_old, 12);
	uint32_t old_at = off + 8;
	off = tag(off, MB2_TAG_ACPI_OLD, rsdp_old, sizeof(rsdp_old));
	/* Boot services left running (tag 18), a truncated EFI64 and an EFI
	 * map tag without descriptors. */
	off = tag(off, MB2_TAG_EFI_BS, "", 0);
	off = tag(off, MB2_TAG_EFI64, st, 4);
	off = tag(off, MB2_TAG_EFI_MMAP, em, 4);
	end = tag(off, MB2_TAG_END, "", 0);
	w32(low, end);
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert_uint_eq(bi.acpi_rsdp, pa(low) + old_at);
	ck_assert_uint_eq(bi.efi_boot_services, 1);
	ck_assert_uint_eq(bi.efi_system_table, 0);
	ck_assert_uint_eq(bi.efi_mmap_descs, 0);
}
END_TEST

START_TEST(test_mb2_module_cmdline_whole_or_marked_cut)
{
	/* Up to BOOT_MODULE_CMDLINE_LEN - 1 bytes arrive whole; a longer one is
	 * marked cut (the guest loader refuses it) instead of silently cut. */
	static uint8_t mod[8 + 6000];
	for (unsigned len = BOOT_MODULE_CMDLINE_LEN - 1; len <= BOOT_MODULE_CMDLINE_LEN; len++) {
		memset(low, 0, LOW_SIZE);
		w32(mod, 0x200000);
		w32(mod + 4, 0x201000);
		memset(mod + 8, 'k', len);
		mod[8 + len] = 0;
		uint32_t off = tag(8, MB2_TAG_MODULE, mod, 8 + len + 1);
		off = tag(off, MB2_TAG_END, "", 0);
		w32(low, off);
		struct boot_info bi;
		ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
		ck_assert_uint_eq(bi.nmodules, 1);
		ck_assert_uint_eq(strlen(bi.modules[0].cmdline), BOOT_MODULE_CMDLINE_LEN - 1);
		ck_assert_int_eq(bi.modules[0].cmdline_cut, len == BOOT_MODULE_CMDLINE_LEN);
	}
}
END_TEST

START_TEST(test_mb2_bounded_by_total_size)
{
	/* total_size cuts the list before the memory map: it must not be read. */
	uint32_t off = 8;
	off = tag(off, MB2_TAG_CMDLINE, "x", 2);
	uint32_t cut = off;
	off = mb2_common();
	w32(low, cut + 4); /* a tag header fits, its body does not */
	struct boot_info bi;
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert_uint_eq(bi.nregions, 0);
	ck_assert_uint_eq(bi.nmodules, 0);
}
END_TEST

START_TEST(test_mb2_acpi_tags)
{
	/* The RSDP copy inside the tag: the new (ACPI 2.0+) one wins in either order. */
	uint8_t r1[20], r2[36];
	memset(r1, 1, sizeof(r1));
	memset(r2, 2, sizeof(r2));
	uint32_t off = 8;
	uint32_t new_at = off + 8;
	off = tag(off, MB2_TAG_ACPI_NEW, r2, sizeof(r2));
	off = tag(off, MB2_TAG_ACPI_OLD, r1, sizeof(r1));
	off = tag(off, MB2_TAG_END, "", 0);
	w32(low, off);
	struct boot_info bi;
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert_uint_eq(bi.acpi_rsdp, pa(low) + new_at);
	ck_assert_uint_eq(low[bi.acpi_rsdp - pa(low)], 2);
	off = 8;
	uint32_t old_at = off + 8;
	off = tag(off, MB2_TAG_ACPI_OLD, r1, sizeof(r1));
	ck_assert_int_eq((int)(off - 8), 32);
	off = tag(off, MB2_TAG_END, "", 0);
	w32(low, off);
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert_uint_eq(bi.acpi_rsdp, pa(low) + old_at);
	/* A tag too short to hold an RSDP is ignored. */
	off = tag(8, MB2_TAG_ACPI_NEW, r1, 12);
	off = tag(off, MB2_TAG_END, "", 0);
	w32(low, off);
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert_uint_eq(bi.acpi_rsdp, 0);
}
END_TEST

START_TEST(test_mb2_malformed_tags)
{
	struct boot_info bi;
	/* A zero-size tag would loop forever: parsing stops there. */
	w32(low, 64);
	w32(low + 8, MB2_TAG_CMDLINE);
	w32(low + 12, 0);
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert_str_eq(bi.cmdline, "");

	/* Absurd total sizes are refused. */
	w32(low, 4);
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), -TERN_EINVAL);
	w32(low, 0x7fffffff);
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), -TERN_EINVAL);

	/* A memory map with entries smaller than the spec's 24 bytes is ignored. */
	uint8_t mm[8 + 16];
	memset(mm, 0xff, sizeof(mm));
	w32(mm, 16);
	uint32_t off = tag(8, MB2_TAG_MMAP, mm, sizeof(mm));
	w32(low, off);
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert_uint_eq(bi.nregions, 0);

	/* An unterminated command line is cut at the buffer. */
	char longline[600];
	memset(longline, 'a', sizeof(longline));
	off = tag(8, MB2_TAG_CMDLINE, longline, sizeof(longline));
	low[8 + 8 + sizeof(longline)] = 0;
	w32(low, off + 8);
	ck_assert_int_eq(bootinfo_parse(MB2_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert_uint_eq(strlen(bi.cmdline), BOOT_CMDLINE_LEN - 1);
}
END_TEST

START_TEST(test_mb1)
{
	struct mb1_info *mi = (struct mb1_info *)low;
	memset(mi, 0, sizeof(*mi));
	strcpy((char *)low + 0x100, "tern.elf bringup");
	strcpy((char *)low + 0x200, "guest arg");
	struct mb1_module *mod = (struct mb1_module *)(low + 0x300);
	mod->mod_start = 0x300000;
	mod->mod_end = 0x310000;
	mod->string = pa(low + 0x200);
	/* Two map entries; the second's size field says 24 (bigger than 20): honoured. */
	uint8_t *mm = low + 0x400;
	w32(mm, 20);
	w64(mm + 4, 0);
	w64(mm + 12, 0x9fc00);
	w32(mm + 20, 1);
	w32(mm + 24, 24);
	w64(mm + 28, 0x100000);
	w64(mm + 36, 0x7f00000);
	w32(mm + 44, 1);
	mi->flags = MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MMAP;
	mi->cmdline = pa(low + 0x100);
	mi->mods_count = 1;
	mi->mods_addr = pa(mod);
	mi->mmap_addr = pa(mm);
	mi->mmap_length = 24 + 28;

	struct boot_info bi;
	ck_assert_int_eq(bootinfo_parse(MB1_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert_uint_eq(bi.version, 1);
	ck_assert_str_eq(bi.cmdline, "tern.elf bringup");
	ck_assert_uint_eq(bi.nmodules, 1);
	ck_assert_uint_eq(bi.modules[0].end, 0x310000);
	ck_assert_str_eq(bi.modules[0].cmdline, "guest arg");
	ck_assert_uint_eq(bi.nregions, 2);
	ck_assert_uint_eq(bi.regions[1].base, 0x100000);
	ck_assert_uint_eq(bi.regions[1].len, 0x7f00000);

	/* Without a map: mem_lower/mem_upper become two regions. */
	mi->flags = 1;
	mi->mem_lower = 639;
	mi->mem_upper = 130048;
	ck_assert_int_eq(bootinfo_parse(MB1_BOOT_MAGIC, pa(low), &bi), 0);
	ck_assert_uint_eq(bi.nregions, 2);
	ck_assert_uint_eq(bi.regions[0].len, 639 * 1024);
	ck_assert_uint_eq(bi.regions[1].base, 0x100000);
	ck_assert_uint_eq(bi.regions[1].len, 130048ull * 1024);
}
END_TEST

START_TEST(test_unknown_magic)
{
	struct boot_info bi;
	ck_assert_int_eq(bootinfo_parse(0x12345678, pa(low), &bi), -TERN_EINVAL);
}
END_TEST

START_TEST(test_vmx_error_names)
{
	ck_assert_str_eq(vmx_instruction_error_name(7), "VM entry with invalid control field(s)");
	ck_assert_str_eq(vmx_instruction_error_name(8), "VM entry with invalid host-state field(s)");
	ck_assert_str_eq(vmx_instruction_error_name(14), "unknown VM-instruction error");
	ck_assert_str_eq(vmx_instruction_error_name(0xffffffffu), "unknown VM-instruction error");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_bootinfo");
	TCase *tc = tcase_create("bootinfo");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mb2_full);
	tcase_add_test(tc, test_mb2_too_much_is_reported);
	tcase_add_test(tc, test_mb2_uefi_tags);
	tcase_add_test(tc, test_mb2_module_cmdline_whole_or_marked_cut);
	tcase_add_test(tc, test_mb2_bounded_by_total_size);
	tcase_add_test(tc, test_mb2_malformed_tags);
	tcase_add_test(tc, test_mb2_acpi_tags);
	tcase_add_test(tc, test_mb1);
	tcase_add_test(tc, test_unknown_magic);
	tcase_add_test(tc, test_vmx_error_names);
	suite_add_tcase(s, tc);
	return s;
}
