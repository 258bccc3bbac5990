/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The real image's multiboot guest loader (platform/x86/guest_load.c),
 * compiled on the host: ELF32/ELF64 program headers into a RAM buffer, the
 * uninitialised tail zeroed, the multiboot information the guest reads, and
 * hostile modules (sizes, offsets, overlaps, entry outside any segment).
 * The loader reaches guest RAM and the module through pointers, so a host
 * buffer stands in for both.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "../../platform/x86/guest_load.c"

#define RAM_SIZE (4u << 20)

static struct vm fake_vm;
static struct x86_vm fake_xvm;
static uint8_t *ram;
static uint8_t elf[16384];

struct x86_vm *xvm_of(const struct vm *vm)
{
	(void)vm;
	return &fake_xvm;
}

void x86_log(const char *fmt, ...)
{
	(void)fmt;
}

static void setup(void)
{
	ram = malloc(RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	memset(ram, 0xaa, RAM_SIZE); /* stale bytes: the loader must zero what it promises */
	memset(&fake_xvm, 0, sizeof(fake_xvm));
	fake_xvm.used = true;
	fake_xvm.ram = ram;
	fake_xvm.ram_size = RAM_SIZE;
	memset(elf, 0, sizeof(elf));
}

static void teardown(void)
{
	free(ram);
}

static void w16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void w32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void w64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t r32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t r64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* ELF32 header with phnum program headers at offset 52. */
static void elf32_header(uint32_t entry, uint16_t phnum)
{
	w32(elf, 0x464c457f);
	elf[4] = ELFCLASS32;
	elf[5] = ELFDATA2LSB;
	elf[6] = 1;
	w16(elf + 16, 2);           /* ET_EXEC */
	w16(elf + 18, EM_386);
	w32(elf + 24, entry);
	w32(elf + 28, 52);          /* e_phoff */
	w16(elf + 42, 32);          /* e_phentsize */
	w16(elf + 44, phnum);
}

static void elf32_phdr(unsigned i, uint32_t type, uint32_t off, uint32_t vaddr, uint32_t paddr,
		       uint32_t filesz, uint32_t memsz)
{
	uint8_t *ph = elf + 52 + 32 * i;
	w32(ph, type);
	w32(ph + 4, off);
	w32(ph + 8, vaddr);
	w32(ph + 12, paddr);
	w32(ph + 16, filesz);
	w32(ph + 20, memsz);
}

static void elf64_header(uint64_t entry, uint16_t phnum)
{
	w32(elf, 0x464c457f);
	elf[4] = ELFCLASS64;
	elf[5] = ELFDATA2LSB;
	elf[6] = 1;
	w16(elf + 16, 2);
	w16(elf + 18, EM_X86_64);
	w64(elf + 24, entry);
	w64(elf + 32, 64);          /* e_phoff */
	w16(elf + 54, 56);          /* e_phentsize */
	w16(elf + 56, phnum);
}

static void elf64_phdr(unsigned i, uint64_t off, uint64_t vaddr, uint64_t paddr, uint64_t filesz,
		       uint64_t memsz)
{
	uint8_t *ph = elf + 64 + 56 * i;
	w32(ph, PT_LOAD);
	w64(ph + 8, off);
	w64(ph + 16, vaddr);
	w64(ph + 24, paddr);
	w64(ph + 32, filesz);
	w64(ph + 40, memsz);
}

static int load(size_t len, const char *cmdline, uint64_t *entry, uint32_t *mbi)
{
	struct boot_module mod;
	memset(&mod, 0, sizeof(mod));
	mod.start = (uint64_t)(uintptr_t)elf;
	mod.end = mod.start + len;
	snprintf(mod.cmdline, sizeof(mod.cmdline), "%s", cmdline);
	return guest_load_multiboot(&fake_vm, &mod, entry, mbi);
}

START_TEST(test_elf32_segments_bss_and_entry)
{
	elf32_header(0x100010, 3);
	elf32_phdr(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x20, 0x20);
	elf32_phdr(1, 4 /* PT_NOTE: ignored */, 0x1100, 0, 0x300000, 0x10, 0x10);
	elf32_phdr(2, PT_LOAD, 0x1200, 0x200000, 0x200000, 4, 0x1000);
	for (unsigned i = 0; i < 0x20; i++)
		elf[0x1000 + i] = (uint8_t)(i + 1);
	memcpy(elf + 0x1200, "DATA", 4);

	uint64_t entry = 0;
	uint32_t mbi = 0;
	ck_assert_int_eq(load(0x1300, "testguest verbose", &entry, &mbi), 0);
	ck_assert_uint_eq(entry, 0x100010);
	ck_assert_uint_eq(mbi, 0x9000);
	for (unsigned i = 0; i < 0x20; i++)
		ck_assert_uint_eq(ram[0x100000 + i], i + 1);
	ck_assert_uint_eq(ram[0x100020], 0xaa);        /* nothing past filesz of a full segment */
	ck_assert_mem_eq(ram + 0x200000, "DATA", 4);
	for (unsigned i = 4; i < 0x1000; i++)
		ck_assert_uint_eq(ram[0x200000 + i], 0); /* bss zeroed */
	ck_assert_uint_eq(ram[0x201000], 0xaa);
	ck_assert_uint_eq(ram[0x300000], 0xaa);        /* PT_NOTE not loaded */
}
END_TEST

START_TEST(test_multiboot_info)
{
	elf32_header(0x100000, 1);
	elf32_phdr(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x10, 0x10);
	uint64_t entry;
	uint32_t mbi;
	ck_assert_int_eq(load(0x1010, "testguest a=1", &entry, &mbi), 0);

	const uint8_t *mi = ram + mbi;
	ck_assert_uint_eq(r32(mi), MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MMAP | MB_INFO_LOADER);
	ck_assert_uint_eq(r32(mi + 4), 639);                          /* mem_lower, KiB */
	ck_assert_uint_eq(r32(mi + 8), (RAM_SIZE - 0x100000) / 1024); /* mem_upper, KiB */
	ck_assert_str_eq((const char *)ram + r32(mi + 16), "testguest a=1");
	ck_assert_str_eq((const char *)ram + r32(mi + 64), "Tern");

	/* Memory map: size field 20, then base, length, type (Multiboot 3.3). */
	uint32_t len = r32(mi + 44);
	const uint8_t *mm = ram + r32(mi + 48);
	ck_assert_uint_eq(len, 4 * 24);
	uint64_t avail = 0;
	bool covers_entry = false;
	for (uint32_t off = 0; off < len; off += r32(mm + off) + 4) {
		ck_assert_uint_eq(r32(mm + off), 20);
		uint64_t base = r64(mm + off + 4), size = r64(mm + off + 12);
		uint32_t type = r32(mm + off + 20);
		ck_assert_uint_le(base + size, RAM_SIZE);
		if (type == 1) {
			avail += size;
			covers_entry |= base <= entry && entry < base + size;
			/* The information structure itself is in low RAM, which is available. */
		}
	}
	ck_assert(covers_entry);
	ck_assert_uint_eq(avail, 0x9fc00 + (RAM_SIZE - 0x100000));
}
END_TEST

START_TEST(test_elf64_entry_translated_to_paddr)
{
	/* A 64-bit kernel linked high, loaded low: GRUB's rule, entry via its segment. */
	elf64_header(0xffffffff80100040ull, 1);
	elf64_phdr(0, 0x1000, 0xffffffff80100000ull, 0x100000, 0x80, 0x100);
	memset(elf + 0x1000, 0x90, 0x80);
	uint64_t entry;
	uint32_t mbi;
	ck_assert_int_eq(load(0x1080, "", &entry, &mbi), 0);
	ck_assert_uint_eq(entry, 0x100040);
	ck_assert_uint_eq(ram[0x10007f], 0x90);
	ck_assert_uint_eq(ram[0x100080], 0);
	ck_assert_str_eq((const char *)ram + r32(ram + mbi + 16), "");
}
END_TEST

START_TEST(test_rejects_malformed_headers)
{
	uint64_t entry;
	uint32_t mbi;

	ck_assert_int_eq(load(40, "", &entry, &mbi), -TERN_EINVAL);        /* shorter than a header */
	elf32_header(0x100000, 1);
	elf32_phdr(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x10, 0x10);
	elf[0] = 0x7e;                                                   /* bad magic */
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_EINVAL);

	elf32_header(0x100000, 1);
	w16(elf + 18, EM_X86_64);                                        /* class/machine mismatch */
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_EINVAL);

	elf32_header(0x100000, 0);                                       /* no program headers */
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_EINVAL);

	elf32_header(0x100000, 65);                                      /* too many */
	ck_assert_int_eq(load(sizeof(elf), "", &entry, &mbi), -TERN_EINVAL);

	elf32_header(0x100000, 2);                                       /* table past the file */
	ck_assert_int_eq(load(60, "", &entry, &mbi), -TERN_EINVAL);

	elf32_header(0x100000, 1);
	w16(elf + 42, 16);                                               /* phentsize too small */
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_EINVAL);
}
END_TEST

START_TEST(test_rejects_hostile_segments)
{
	uint64_t entry;
	uint32_t mbi;

	/* File bytes beyond the end of the module. */
	elf32_header(0x100000, 1);
	elf32_phdr(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x2000, 0x2000);
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_EINVAL);

	/* filesz > memsz. */
	elf32_phdr(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x20, 0x10);
	ck_assert_int_eq(load(0x1020, "", &entry, &mbi), -TERN_EINVAL);

	/* Offset that wraps the module length. */
	elf32_phdr(0, PT_LOAD, 0xfffffff0u, 0x100000, 0x100000, 0x20, 0x20);
	ck_assert_int_eq(load(0x1020, "", &entry, &mbi), -TERN_EINVAL);

	/* Past the end of guest RAM, and wrapping the address space (ELF64). */
	elf32_phdr(0, PT_LOAD, 0x1000, 0, RAM_SIZE - 8, 0x10, 0x10);
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_ERANGE);
	memset(elf, 0, 0x200);
	elf64_header(0x100000, 1);
	elf64_phdr(0, 0x1000, 0, ~0ull - 0xf, 0x10, 0x20);
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_ERANGE);
	ck_assert_uint_eq(ram[0], 0xaa); /* nothing written anywhere */

	/* Over the multiboot information Tern builds. */
	memset(elf, 0, 0x200);
	elf32_header(0x9000, 1);
	elf32_phdr(0, PT_LOAD, 0x1000, 0x8000, 0x8000, 0x10, 0x1800);
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_EBUSY);
}
END_TEST

START_TEST(test_rejects_entry_outside_segments)
{
	uint64_t entry;
	uint32_t mbi;
	elf32_header(0x200000, 1);
	elf32_phdr(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x10, 0x10);
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_EINVAL);

	/* A 64-bit entry that stays above 4 GiB after translation cannot start in 32-bit mode. */
	memset(elf, 0, 0x200);
	elf64_header(0x100000010ull, 1);
	elf64_phdr(0, 0x1000, 0x100000000ull, 0x100000000ull, 0x10, 0x10);
	fake_xvm.ram_size = RAM_SIZE;
	ck_assert_int_lt(load(0x1010, "", &entry, &mbi), 0);
}
END_TEST

START_TEST(test_small_ram_refused)
{
	uint64_t entry;
	uint32_t mbi;
	elf32_header(0x100000, 1);
	elf32_phdr(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x10, 0x10);
	fake_xvm.ram_size = 0x100000; /* no room above 1 MiB for a multiboot kernel */
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_EINVAL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_guest_load");
	TCase *tc = tcase_create("guest_load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_elf32_segments_bss_and_entry);
	tcase_add_test(tc, test_multiboot_info);
	tcase_add_test(tc, test_elf64_entry_translated_to_paddr);
	tcase_add_test(tc, test_rejects_malformed_headers);
	tcase_add_test(tc, test_rejects_hostile_segments);
	tcase_add_test(tc, test_rejects_entry_outside_segments);
	tcase_add_test(tc, test_small_ram_refused);
	suite_add_tcase(s, tc);
	return s;
}
