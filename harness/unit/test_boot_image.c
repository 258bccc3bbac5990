/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header checks of Service VM kernel files (core/boot_image.c): well-formed
 * ELF32, ELF64 and PE32+ images built here byte by byte pass with the
 * figures their headers give; each lie (sizes, offsets, relocation entries,
 * truncation, too large) is refused with a message naming it.
 */
#include <string.h>
#include "unit.h"
#include "boot_image.h"
#include "err.h"

#define MEM (32ull << 20)

static uint8_t img[8192];
static struct boot_image bi;

static void w16(size_t off, uint16_t v) { memcpy(img + off, &v, 2); }
static void w32(size_t off, uint32_t v) { memcpy(img + off, &v, 4); }
static void w64(size_t off, uint64_t v) { memcpy(img + off, &v, 8); }

static void expect(size_t len, int err, const char *why)
{
	int ret = boot_image_check(img, len, MEM, &bi);
	ck_assert_msg(ret == err, "ret %d, want %d (%s)", ret, err, bi.why);
	if (err) {
		ck_assert_msg(strstr(bi.why, why) != NULL, "why \"%s\" lacks \"%s\"", bi.why, why);
		ck_assert_int_eq(bi.kind, BOOT_IMAGE_NONE);
	}
}

/* ---- ELF ---- */

/* An ELF64 multiboot-style kernel: two PT_LOAD segments and a PT_NOTE. */
static size_t make_elf64(void)
{
	memset(img, 0, sizeof(img));
	w32(0, 0x464c457f);
	img[4] = 2;                     /* ELFCLASS64 */
	img[5] = 1;                     /* little endian */
	w16(18, 62);
	w64(24, 0xffff800000100010ull); /* entry: virtual, in segment 1 */
	w64(32, 64);                    /* phoff */
	w16(54, 56);
	w16(56, 3);
	/* PT_LOAD: 0x200 bytes at file 0x1000 to 0x100000, 0x400 in memory. */
	w32(64 + 0, 1);
	w64(64 + 8, 0x1000);
	w64(64 + 16, 0xffff800000100000ull);
	w64(64 + 24, 0x100000);
	w64(64 + 32, 0x200);
	w64(64 + 40, 0x400);
	/* PT_NOTE, ignored. */
	w32(120 + 0, 4);
	w64(120 + 8, 0xfffffff0);
	/* PT_LOAD: bss only at 0x200000. */
	w32(176 + 0, 1);
	w64(176 + 8, 0x1200);
	w64(176 + 16, 0x200000);
	w64(176 + 24, 0x200000);
	w64(176 + 40, 0x3000);
	return 0x1200;
}

static size_t make_elf32(void)
{
	memset(img, 0, sizeof(img));
	w32(0, 0x464c457f);
	img[4] = 1;
	img[5] = 1;
	w16(18, 3);
	w32(24, 0x100020);
	w32(28, 52);
	w16(42, 32);
	w16(44, 1);
	w32(52 + 0, 1);
	w32(52 + 4, 0x100);
	w32(52 + 8, 0x100000);
	w32(52 + 12, 0x100000);
	w32(52 + 16, 0x80);
	w32(52 + 20, 0x80);
	return 0x180;
}

START_TEST(elf64_good)
{
	size_t len = make_elf64();
	expect(len, 0, NULL);
	ck_assert_int_eq(bi.kind, BOOT_IMAGE_ELF64);
	ck_assert_uint_eq(bi.entry, 0x100010);
	ck_assert_uint_eq(bi.mem_size, 0x203000);
	ck_assert_uint_eq(bi.nsections, 2);
	ck_assert_str_eq(boot_image_kind_name(bi.kind), "ELF64");
}
END_TEST

START_TEST(elf32_good)
{
	size_t len = make_elf32();
	expect(len, 0, NULL);
	ck_assert_int_eq(bi.kind, BOOT_IMAGE_ELF32);
	ck_assert_uint_eq(bi.entry, 0x100020);
	ck_assert_uint_eq(bi.mem_size, 0x100080);
	ck_assert_str_eq(boot_image_kind_name(bi.kind), "ELF32");
}
END_TEST

START_TEST(elf_lies)
{
	size_t len = make_elf64();
	expect(len - 1, -TERN_EIO, "truncated: segment 0");
	expect(40, -TERN_EIO, "shorter than the ELF header");
	expect(60, -TERN_EIO, "shorter than the ELF header");
	make_elf32();
	expect(40, -TERN_EIO, "shorter than the ELF header");

	make_elf64(); img[4] = 3;
	expect(len, -TERN_ENOTSUP, "not a little-endian");
	make_elf64(); img[5] = 2;
	expect(len, -TERN_ENOTSUP, "not a little-endian");
	make_elf64(); w16(18, 3);
	expect(len, -TERN_ENOTSUP, "machine 3 is not x86");
	make_elf32(); w16(18, 62);
	expect(0x180, -TERN_ENOTSUP, "machine 62");
	make_elf64(); w16(56, 0);
	expect(len, -TERN_EINVAL, "0 program headers");
	make_elf64(); w16(56, 65);
	expect(len, -TERN_EINVAL, "65 program headers");
	make_elf64(); w16(54, 55);
	expect(len, -TERN_EINVAL, "program header size 55");
	make_elf64(); w64(32, 0xfffffffffffffff0ull);
	expect(len, -TERN_EIO, "program headers at");
	make_elf64(); w16(56, 1); w64(32, len - 8);
	expect(len, -TERN_EIO, "program headers at");
	make_elf64(); w64(64 + 32, 0x401);
	expect(len, -TERN_EINVAL, "segment 0 has filesz 0x401 > memsz 0x400");
	make_elf64(); w64(64 + 8, 0xffffffffffffff00ull);
	expect(len, -TERN_EIO, "segment 0 (0x200 bytes at 0xffffffffffffff00)");
	make_elf64(); w64(176 + 24, MEM - 0x2000);
	expect(len, -TERN_E2BIG, "segment 2 at");
	make_elf64(); w64(176 + 24, 0xfffffffffffff000ull);
	expect(len, -TERN_E2BIG, "segment 2 at");
	make_elf64(); w64(24, 0x100010);   /* physical entry matches no vaddr range */
	expect(len, -TERN_EINVAL, "entry 0x100010 is in no loadable segment");
	make_elf64(); w32(64, 4); w32(176, 4);
	expect(len, -TERN_EINVAL, "no loadable segment");
	/* The entry at the last byte of a segment is inside; one past is not. */
	make_elf64(); w64(24, 0xffff8000001003ffull);
	expect(len, 0, NULL);
	make_elf64(); w64(24, 0xffff800000100400ull);
	expect(len, -TERN_EINVAL, "entry");
}
END_TEST

/* ---- PE32+ ---- */

#define PE_OFF 0x80
#define OPT_OFF (PE_OFF + 24)
#define OPT_SIZE (112 + 16 * 8)
#define SECT_OFF (OPT_OFF + OPT_SIZE)
#define DIR(d) (OPT_OFF + 112 + 8 * (d))
#define SECT(i) (SECT_OFF + 40 * (i))
#define RELOC_FILE 0xa00

/*
 * An EFI-application-shaped PE32+: headers 0x400, .text at rva 0x1000
 * (file 0x400, 0x400 bytes), .reloc at rva 0x2000 (file 0xa00) with one
 * block of two DIR64 entries, a HIGHLOW and padding, SizeOfImage 0x3000.
 */
static size_t make_pe(void)
{
	memset(img, 0, sizeof(img));
	w16(0, 0x5a4d);
	w32(0x3c, PE_OFF);
	w32(PE_OFF, 0x00004550);
	w16(PE_OFF + 4, 0x8664);
	w16(PE_OFF + 6, 2);             /* sections */
	w16(PE_OFF + 20, OPT_SIZE);
	w16(OPT_OFF, 0x20b);
	w32(OPT_OFF + 16, 0x1010);      /* entry */
	w32(OPT_OFF + 32, 0x1000);
	w32(OPT_OFF + 36, 0x200);
	w32(OPT_OFF + 56, 0x3000);      /* SizeOfImage */
	w32(OPT_OFF + 60, 0x400);       /* SizeOfHeaders */
	w32(OPT_OFF + 108, 16);
	w32(DIR(5), 0x2000);
	w32(DIR(5) + 4, 20);
	memcpy(img + SECT(0), ".text", 5);
	w32(SECT(0) + 8, 0x400);
	w32(SECT(0) + 12, 0x1000);
	w32(SECT(0) + 16, 0x600);
	w32(SECT(0) + 20, 0x400);
	memcpy(img + SECT(1), ".reloc", 6);
	w32(SECT(1) + 8, 20);
	w32(SECT(1) + 12, 0x2000);
	w32(SECT(1) + 16, 0x200);
	w32(SECT(1) + 20, RELOC_FILE);
	/* One block for page 0x1000: DIR64 at +0x10 and +0xff8, HIGHLOW at +0x20, padding. */
	w32(RELOC_FILE, 0x1000);
	w32(RELOC_FILE + 4, 20);
	w16(RELOC_FILE + 8, 0xa010);
	w16(RELOC_FILE + 10, 0xaff8);
	w16(RELOC_FILE + 12, 0x3020);
	w16(RELOC_FILE + 14, 0x0000);
	w16(RELOC_FILE + 16, 0xa018);
	w16(RELOC_FILE + 18, 0x0000);
	return 0xc00;
}

START_TEST(pe_good)
{
	size_t len = make_pe();
	expect(len, 0, NULL);
	ck_assert_int_eq(bi.kind, BOOT_IMAGE_PE32PLUS);
	ck_assert_uint_eq(bi.entry, 0x1010);
	ck_assert_uint_eq(bi.mem_size, 0x3000);
	ck_assert_uint_eq(bi.nsections, 2);
	ck_assert_uint_eq(bi.nrelocs, 4);
	ck_assert_str_eq(boot_image_kind_name(bi.kind), "PE32+");
	/* Without a relocation directory (fewer directories), still good. */
	w32(OPT_OFF + 108, 5);
	expect(len, 0, NULL);
	ck_assert_uint_eq(bi.nrelocs, 0);
	make_pe(); w32(DIR(5) + 4, 0);
	expect(len, 0, NULL);
	/* A signature (certificate table, a file offset) inside the file is fine. */
	make_pe(); w32(DIR(4), 0xb00); w32(DIR(4) + 4, 0x100);
	expect(len, 0, NULL);
}
END_TEST

START_TEST(pe_payload_section)
{
	/* No .mbkern section: no payload. */
	size_t len = make_pe();
	expect(len, 0, NULL);
	ck_assert_uint_eq(bi.payload_len, 0);
	/* .text renamed .mbkern: its raw data up to VirtualSize (0x400 of the 0x600 raw bytes). */
	memcpy(img + SECT(0), ".mbkern", 8);
	expect(len, 0, NULL);
	ck_assert_uint_eq(bi.payload_off, 0x400);
	ck_assert_uint_eq(bi.payload_len, 0x400);
	/* VirtualSize 0 or above the raw size: all the raw data. */
	w32(SECT(0) + 8, 0);
	expect(len, 0, NULL);
	ck_assert_uint_eq(bi.payload_len, 0x600);
	w32(SECT(0) + 8, 0x800);
	expect(len, 0, NULL);
	ck_assert_uint_eq(bi.payload_len, 0x600);
	/* The first one wins; a longer name or a section without raw data is not one. */
	make_pe();
	memcpy(img + SECT(0), ".mbkernX", 8);
	memcpy(img + SECT(1), ".mbkern", 8);
	expect(len, 0, NULL);
	ck_assert_uint_eq(bi.payload_off, RELOC_FILE);
	ck_assert_uint_eq(bi.payload_len, 20);
	make_pe();
	memcpy(img + SECT(0), ".mbkern", 8);
	w32(SECT(0) + 16, 0);
	expect(len, 0, NULL);
	ck_assert_uint_eq(bi.payload_len, 0);
	/* A payload whose raw data lies beyond the file: the check refuses the PE itself. */
	make_pe();
	memcpy(img + SECT(0), ".mbkern", 8);
	w32(SECT(0) + 20, 0x1000);
	expect(len, -TERN_EIO, "section 0 \".mbkern\" data 0x1000+0x600 beyond the file");
}
END_TEST

START_TEST(pe_headers_lie)
{
	size_t len = make_pe();
	expect(0x30, -TERN_EIO, "shorter than the MS-DOS header");
	make_pe(); w32(0x3c, len - 8);
	expect(len, -TERN_EIO, "PE header at");
	make_pe(); w32(0x3c, 0xfffffff0);
	expect(len, -TERN_EIO, "PE header at 0xfffffff0");
	make_pe(); w32(PE_OFF, 0x4551);
	expect(len, -TERN_ENOTSUP, "no PE signature");
	make_pe(); w16(PE_OFF + 4, 0x14c);
	expect(len, -TERN_ENOTSUP, "machine 0x14c");
	make_pe(); w16(PE_OFF + 20, 111);
	expect(len, -TERN_EINVAL, "optional header of 111 bytes");
	make_pe(); w16(PE_OFF + 20, 0xffff);
	expect(len, -TERN_EIO, "optional header beyond");
	make_pe(); w16(OPT_OFF, 0x10b);
	expect(len, -TERN_ENOTSUP, "0x10b is not PE32+");
	make_pe(); w32(OPT_OFF + 32, 0x1001);
	expect(len, -TERN_EINVAL, "alignment");
	make_pe(); w32(OPT_OFF + 36, 0);
	expect(len, -TERN_EINVAL, "alignment");
	make_pe(); w32(OPT_OFF + 32, 0);
	expect(len, -TERN_EINVAL, "alignment");
	make_pe(); w32(OPT_OFF + 36, 0x300);
	expect(len, -TERN_EINVAL, "alignment");
	make_pe(); w32(OPT_OFF + 108, 17);
	expect(len, -TERN_EINVAL, "17 data directories");
	make_pe(); w16(PE_OFF + 20, 112 + 8 * 8);
	expect(len, -TERN_EINVAL, "16 data directories");
	make_pe(); w16(PE_OFF + 6, 0);
	expect(len, -TERN_EINVAL, "0 sections");
	make_pe(); w16(PE_OFF + 6, 97);
	expect(len, -TERN_EINVAL, "97 sections");
	make_pe(); w16(PE_OFF + 6, 2);
	expect(SECT(1) + 20, -TERN_EIO, "section table beyond");
	make_pe(); w32(OPT_OFF + 60, SECT(1) + 39);
	expect(len, -TERN_EINVAL, "SizeOfHeaders");
	make_pe(); w32(OPT_OFF + 60, len + 1);
	expect(len, -TERN_EINVAL, "SizeOfHeaders");
	make_pe(); w32(OPT_OFF + 56, 0x300); w32(OPT_OFF + 60, 0x400);
	expect(len, -TERN_EINVAL, "SizeOfHeaders");
	make_pe(); w32(OPT_OFF + 56, MEM + 0x1000);
	{
		int ret = boot_image_check(img, len, MEM, &bi);
		ck_assert_int_eq(ret, -TERN_E2BIG);
		ck_assert(strstr(bi.why, "SizeOfImage 0x2001000 beyond") != NULL);
	}
	make_pe(); w32(OPT_OFF + 16, 0x3000);
	expect(len, -TERN_EINVAL, "entry point 0x3000 outside");
}
END_TEST

START_TEST(pe_sections_lie)
{
	size_t len = make_pe();
	expect(len - 1, -TERN_EIO, "section 1 \".reloc\" data 0xa00+0x200 beyond the file");
	make_pe(); w32(SECT(0) + 20, 0xffffff00);
	expect(len, -TERN_EIO, "section 0 \".text\"");
	/* No raw data: the pointer is not looked at. */
	make_pe(); w32(SECT(0) + 16, 0); w32(SECT(0) + 20, 0xffffff00);
	expect(len, 0, NULL);
	make_pe(); w32(SECT(0) + 12, 0x200);
	expect(len, -TERN_EINVAL, "section 0 \".text\" at rva 0x200 overlaps");
	make_pe(); w32(SECT(1) + 12, 0x1200);
	expect(len, -TERN_EINVAL, "section 1 \".reloc\" at rva 0x1200 overlaps");
	make_pe(); w32(SECT(1) + 8, 0x1001);
	expect(len, -TERN_EINVAL, "beyond SizeOfImage 0x3000");
	make_pe(); w32(SECT(1) + 12, 0xfffffff0);
	expect(len, -TERN_EINVAL, "beyond SizeOfImage");
	/* An 8-character name is printed whole and terminated. */
	make_pe(); memcpy(img + SECT(0), "ABCDEFGH", 8); w32(SECT(0) + 20, 0xffffff00);
	expect(len, -TERN_EIO, "\"ABCDEFGH\"");
	make_pe(); w32(DIR(2), 0x2ff0); w32(DIR(2) + 4, 0x20);
	expect(len, -TERN_EINVAL, "data directory 2 at 0x2ff0+0x20");
	make_pe(); w32(DIR(4), 0xb00); w32(DIR(4) + 4, 0x101);
	expect(len, -TERN_EINVAL, "data directory 4");
}
END_TEST

START_TEST(pe_relocs_lie)
{
	size_t len = make_pe();
	/* The directory reaches past .reloc's raw data (but inside SizeOfImage). */
	make_pe(); w32(DIR(5) + 4, 0x201);
	expect(len, -TERN_EINVAL, "relocation directory rva 0x2000+0x201");
	make_pe(); w32(DIR(5), 0x1800);
	expect(len, -TERN_EINVAL, "relocation directory rva 0x1800");
	make_pe(); w32(DIR(5), 0x1000); w32(DIR(5) + 4, 0x600); w32(SECT(0) + 8, 0x600);
	/* .text's bytes as relocations: block size 0 at +0 */
	expect(len, -TERN_EINVAL, "relocation block at +0x0 has size 0x0");
	make_pe(); w32(RELOC_FILE + 4, 7);
	expect(len, -TERN_EINVAL, "has size 0x7");
	make_pe(); w32(RELOC_FILE + 4, 19);
	expect(len, -TERN_EINVAL, "has size 0x13");
	make_pe(); w32(RELOC_FILE + 4, 22);
	expect(len, -TERN_EINVAL, "has size 0x16");
	make_pe(); w32(DIR(5) + 4, 24);
	expect(len, -TERN_EINVAL, "relocation block at +0x14 is cut short");
	make_pe(); w16(RELOC_FILE + 10, 0xaff9);  /* DIR64 at 0x1ff9: ends at 0x2001, still inside */
	expect(len, 0, NULL);
	make_pe(); w32(RELOC_FILE, 0x2000); w16(RELOC_FILE + 10, 0xaff9);
	expect(len, -TERN_EINVAL, "relocation entry at 0x2ff9 outside the image");
	make_pe(); w32(RELOC_FILE, 0x2000); w16(RELOC_FILE + 10, 0xaff8);
	expect(len, 0, NULL);
	make_pe(); w32(RELOC_FILE, 0x2000); w16(RELOC_FILE + 12, 0x3ffd);
	expect(len, -TERN_EINVAL, "relocation entry at 0x2ffd");
	make_pe(); w32(RELOC_FILE, 0xfffff000);
	expect(len, -TERN_EINVAL, "relocation entry at 0xfffff010");
	make_pe(); w16(RELOC_FILE + 12, 0x4020);
	expect(len, -TERN_EINVAL, "relocation type 4 at page 0x1000");
	/* A second block is walked too. */
	make_pe(); w32(DIR(5) + 4, 30); w32(SECT(1) + 8, 30);
	w32(RELOC_FILE + 20, 0x2000); w32(RELOC_FILE + 24, 10); w16(RELOC_FILE + 28, 0xa100);
	expect(len, 0, NULL);
	ck_assert_uint_eq(bi.nrelocs, 5);
	w16(RELOC_FILE + 28, 0xaffc);
	expect(len, -TERN_EINVAL, "relocation entry at 0x2ffc");
}
END_TEST

START_TEST(neither)
{
	memset(img, 0, sizeof(img));
	expect(0, -TERN_EIO, "the file is empty");
	expect(100, -TERN_ENOTSUP, "neither an ELF nor a PE image");
	img[0] = 'M';
	img[1] = 'Z';
	expect(1, -TERN_ENOTSUP, "neither");
	w32(0, 0x464c457f);
	expect(3, -TERN_ENOTSUP, "neither");
	expect(4, -TERN_EIO, "shorter than the ELF header");
	ck_assert_str_eq(boot_image_kind_name(BOOT_IMAGE_NONE), "none");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("boot_image");
	TCase *tc = tcase_create("headers");
	tcase_add_test(tc, elf64_good);
	tcase_add_test(tc, elf32_good);
	tcase_add_test(tc, elf_lies);
	tcase_add_test(tc, pe_good);
	tcase_add_test(tc, pe_payload_section);
	tcase_add_test(tc, pe_headers_lie);
	tcase_add_test(tc, pe_sections_lie);
	tcase_add_test(tc, pe_relocs_lie);
	tcase_add_test(tc, neither);
	suite_add_tcase(s, tc);
	return s;
}
