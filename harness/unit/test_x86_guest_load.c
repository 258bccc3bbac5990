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
/* mods[0] is the kernel (elf), the others further GRUB modules. */
static struct boot_module mods[BOOT_MAX_MODULES];
static unsigned nmods;

struct x86_vm *xvm_of(const struct vm *vm)
{
	(void)vm;
	return &fake_xvm;
}

/* The loader's log: every refusal is exactly one FATAL line. */
static char last_log[512];
static unsigned fatal_lines;

void x86_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
	if (strncmp(last_log, "FATAL: ", 7) == 0)
		fatal_lines++;
}

static void setup(void)
{
	ram = malloc(RAM_SIZE);
	ck_assert_ptr_nonnull(ram);
	memset(ram, 0xaa, RAM_SIZE); /* stale bytes: the loader must zero what it promises */
	memset(&fake_xvm, 0, sizeof(fake_xvm));
	memset(&fake_vm, 0, sizeof(fake_vm));
	fake_vm.config.vcpu_count = 3;
	for (unsigned i = 0; i < TERN_MAX_VCPUS; i++)
		fake_vm.vcpus[i].lapic.apic_id = i;
	fake_xvm.used = true;
	fake_xvm.ram = ram;
	fake_xvm.ram_size = RAM_SIZE;
	memset(elf, 0, sizeof(elf));
	memset(mods, 0, sizeof(mods));
	nmods = 1;
	last_log[0] = 0;
	fatal_lines = 0;
}

static void teardown(void)
{
	free(ram);
}

/* A fresh fixture inside one test. */
static void reset(void)
{
	teardown();
	setup();
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
	mods[0].start = (uint64_t)(uintptr_t)elf;
	mods[0].end = mods[0].start + len;
	snprintf(mods[0].cmdline, sizeof(mods[0].cmdline), "%s", cmdline);
	fatal_lines = 0;
	int ret = guest_load_multiboot(&fake_vm, mods, nmods, entry, mbi);
	ck_assert_uint_eq(fatal_lines, ret ? 1 : 0); /* a refusal says why, once */
	return ret;
}

/* A further module: its bytes (host memory) and its command line. */
static void add_module(const void *data, size_t len, const char *cmdline)
{
	struct boot_module *m = &mods[nmods++];
	m->start = (uint64_t)(uintptr_t)data;
	m->end = m->start + len;
	snprintf(m->cmdline, sizeof(m->cmdline), "%s", cmdline);
}

/* A minimal guest: one segment [paddr, paddr + memsz), entry at its start. */
static void elf32_one(uint32_t paddr, uint32_t memsz)
{
	elf32_header(paddr, 1);
	elf32_phdr(0, PT_LOAD, 0x1000, paddr, paddr, 0x10, memsz);
	memset(elf + 0x1000, 0xcc, 0x10);
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
	ck_assert_uint_eq(mbi, 0x9000);        /* where nothing is: Tern's usual place */
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

	/* Two segments over each other (the second would overwrite the first). */
	memset(elf, 0, 0x200);
	elf32_header(0x100000, 2);
	elf32_phdr(0, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x10, 0x2000);
	elf32_phdr(1, PT_LOAD, 0x1000, 0x101fff, 0x101fff, 0x10, 0x10);
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_EBUSY);
	ck_assert_str_eq(last_log, "FATAL: guest refused: two segments overlap (0x101fff, 0x100000)");
	/* Touching is not overlapping; an empty segment overlaps nothing. */
	elf32_phdr(1, PT_LOAD, 0x1000, 0x102000, 0x102000, 0, 0);
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), 0);
}
END_TEST

/* The information structure as the guest reads it, at base. */
static void check_mbi_layout(uint32_t base, const char *cmdline, uint32_t flags)
{
	const uint8_t *mi = ram + base;
	ck_assert_uint_eq(r32(mi + 0), flags);
	ck_assert_uint_eq(r32(mi + 4), 639);
	ck_assert_uint_eq(r32(mi + 8), (RAM_SIZE - 0x100000) / 1024);
	ck_assert_uint_eq(r32(mi + 16), base + 0x400);                 /* cmdline */
	ck_assert_str_eq((const char *)ram + base + 0x400, cmdline);
	ck_assert_uint_eq(r32(mi + 44), 96);                           /* mmap_length */
	ck_assert_uint_eq(r32(mi + 48), base + 0x100);                 /* mmap_addr */
	ck_assert_uint_eq(r32(mi + 64), base + 0x300);                 /* boot_loader_name */
	ck_assert_str_eq((const char *)ram + base + 0x300, "Tern");
	static const uint64_t map[4][3] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xe0000, 0x20000, 2 },
		{ 0x100000, RAM_SIZE - 0x100000, 1 },
	};
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *e = ram + base + 0x100 + 24 * i;
		ck_assert_uint_eq(r32(e), 20);
		ck_assert_uint_eq(r64(e + 4), map[i][0]);
		ck_assert_uint_eq(r64(e + 12), map[i][1]);
		ck_assert_uint_eq(r32(e + 20), map[i][2]);
	}
}

START_TEST(test_low_segments_move_the_information)
{
	/* A real-mode style test at 0x8000..0x20000 covers Tern's usual 0x9000:
	 * the information goes to the first free page after it. */
	elf32_one(0x8000, 0x18000);
	uint64_t entry;
	uint32_t mbi;
	ck_assert_int_eq(load(0x1010, "rmtest", &entry, &mbi), 0);
	ck_assert_uint_eq(entry, 0x8000);
	ck_assert_uint_eq(mbi, 0x20000);
	check_mbi_layout(mbi, "rmtest", MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MMAP | MB_INFO_LOADER);
	ck_assert_uint_eq(ram[0x8000], 0xcc);
	ck_assert_uint_eq(ram[0x8010], 0);            /* the guest's bss, not the information */
	ck_assert_uint_eq(ram[0x1ffff], 0);
	ck_assert_uint_eq(ram[0x9000], 0);

	/* Segments at the top of low RAM and at 1 MiB: below them, from 0x1000. */
	reset();
	elf32_header(0x9000, 2);
	elf32_phdr(0, PT_LOAD, 0x1000, 0x9000, 0x9000, 0x10, 0x9fc00 - 0x9000);
	elf32_phdr(1, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x10, 0x10);
	ck_assert_int_eq(load(0x1010, "x", &entry, &mbi), 0);
	ck_assert_uint_eq(mbi, 0x1000);
	check_mbi_layout(mbi, "x", MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MMAP | MB_INFO_LOADER);
	reset();

	/* All of low RAM the guest's: above 1 MiB, past its segment there. */
	elf32_header(0x1000, 2);
	elf32_phdr(0, PT_LOAD, 0x1000, 0x1000, 0x1000, 0x10, 0x9fc00 - 0x1000);
	elf32_phdr(1, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x10, 0x1001);
	ck_assert_int_eq(load(0x1010, "y", &entry, &mbi), 0);
	ck_assert_uint_eq(mbi, 0x102000);
	check_mbi_layout(mbi, "y", MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MMAP | MB_INFO_LOADER);
}
END_TEST

START_TEST(test_no_room_for_the_information)
{
	/* Every byte of free RAM the guest's: one line, nothing written. */
	fake_xvm.ram_size = 0x200000;
	elf32_header(0x1000, 2);
	elf32_phdr(0, PT_LOAD, 0x1000, 0x1000, 0x1000, 0x10, 0x9fc00 - 0x1000);
	elf32_phdr(1, PT_LOAD, 0x1000, 0x100000, 0x100000, 0x10, 0x100000);
	uint64_t entry;
	uint32_t mbi = 0x1234;
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_ENOMEM);
	ck_assert_str_eq(last_log, "FATAL: guest refused: no free guest RAM for the multiboot information (0x401, 0x2)");
	ck_assert_uint_eq(mbi, 0x1234);
	ck_assert_uint_eq(ram[0], 0xaa);              /* page 0 (IVT/BDA) never used */
	ck_assert_uint_eq(ram[0xa0000], 0xaa);        /* nor the reserved/hole areas */
	ck_assert_uint_eq(ram[0xf0000], 0xaa);

	/* A gap smaller than the information does not do either. */
	elf32_phdr(0, PT_LOAD, 0x1000, 0x1000, 0x1000, 0x10, 0x9fc00 - 0x1000 - 0x400);
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_ENOMEM);
	ck_assert_uint_eq(ram[0x9f800], 0);           /* the guest's own bss */
}
END_TEST

START_TEST(test_long_command_line_arrives_whole)
{
	static char line[BOOT_MODULE_CMDLINE_LEN];
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = 0;
	memcpy(line + sizeof(line) - 4, "end", 3);
	elf32_one(0x100000, 0x10);
	uint64_t entry;
	uint32_t mbi;
	ck_assert_int_eq(load(0x1010, line, &entry, &mbi), 0);
	ck_assert_uint_eq(mbi, 0x9000);
	ck_assert_uint_eq(strlen((const char *)ram + 0x9400), sizeof(line) - 1);
	check_mbi_layout(mbi, line, MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MMAP | MB_INFO_LOADER);

	/* One bootinfo had to cut: refused, never passed on cut. */
	mods[0].cmdline_cut = true;
	elf32_one(0x100000, 0x10);
	mods[0].start = (uint64_t)(uintptr_t)elf;
	mods[0].end = mods[0].start + 0x1010;
	fatal_lines = 0;
	ck_assert_int_eq(guest_load_multiboot(&fake_vm, mods, nmods, &entry, &mbi), -TERN_E2BIG);
	ck_assert_uint_eq(fatal_lines, 1);
	ck_assert_str_eq(last_log, "FATAL: guest refused: a module's command line is longer than the maximum (0x0, 0xfff)");
}
END_TEST

START_TEST(test_modules_reach_the_guest)
{
	static uint8_t initrd[10000];
	for (unsigned i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 7 + 3);
	add_module(initrd, sizeof(initrd), "initrd.img");
	add_module("a=1\n", 4, "env");
	elf32_one(0x100000, 0x10);
	uint64_t entry;
	uint32_t mbi;
	ck_assert_int_eq(load(0x1010, "testguest", &entry, &mbi), 0);
	ck_assert_uint_eq(mbi, 0x9000);
	check_mbi_layout(mbi, "testguest", MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS |
					   MB_INFO_MMAP | MB_INFO_LOADER);
	const uint8_t *mi = ram + mbi;
	ck_assert_uint_eq(r32(mi + 20), 2);                           /* mods_count */
	ck_assert_uint_eq(r32(mi + 24), 0x9200);                      /* mods_addr */
	/* Above 1 MiB, page-aligned, past the kernel's segment and each other. */
	static const uint32_t want[2][3] = {
		{ 0x101000, 0x101000 + 10000, 0x9400 + 10 },
		{ 0x104000, 0x104004, 0x9400 + 10 + 11 },
	};
	for (unsigned i = 0; i < 2; i++) {
		const uint8_t *e = ram + 0x9200 + 16 * i;
		ck_assert_uint_eq(r32(e + 0), want[i][0]);
		ck_assert_uint_eq(r32(e + 4), want[i][1]);
		ck_assert_uint_eq(r32(e + 8), want[i][2]);
		ck_assert_uint_eq(r32(e + 12), 0);
	}
	ck_assert_mem_eq(ram + 0x101000, initrd, sizeof(initrd));
	ck_assert_mem_eq(ram + 0x104000, "a=1\n", 4);
	ck_assert_str_eq((const char *)ram + 0x9400 + 10, "initrd.img");
	ck_assert_str_eq((const char *)ram + 0x9400 + 21, "env");
	ck_assert_uint_eq(ram[0x104004], 0xaa);                       /* nothing past a module */
}
END_TEST

START_TEST(test_modules_fill_high_then_low_then_refuse)
{
	/* High RAM all the kernel's: a module goes to low RAM, the information
	 * after it. */
	static uint8_t blob[0x3000];
	memset(blob, 0x5a, sizeof(blob));
	fake_xvm.ram_size = 0x200000;
	elf32_one(0x100000, 0x100000);
	add_module(blob, 0x2001, "blob");
	uint64_t entry;
	uint32_t mbi;
	ck_assert_int_eq(load(0x1010, "k", &entry, &mbi), 0);
	ck_assert_uint_eq(r32(ram + mbi + 20), 1);
	ck_assert_uint_eq(r32(ram + r32(ram + mbi + 24)), 0x1000);
	ck_assert_uint_eq(r32(ram + r32(ram + mbi + 24) + 4), 0x3001);
	ck_assert_mem_eq(ram + 0x1000, blob, 0x2001);
	ck_assert_uint_eq(mbi, 0x9000);

	/* Larger than guest RAM, and larger than any free gap: refused. */
	reset();
	add_module(blob, 0, "empty");
	mods[1].end = mods[1].start + RAM_SIZE + 1;
	elf32_one(0x100000, 0x10);
	ck_assert_int_eq(load(0x1010, "k", &entry, &mbi), -TERN_ENOMEM);
	ck_assert_str_eq(last_log, "FATAL: guest refused: a module does not fit in free guest RAM (0x1, 0x400001)");
	mods[1].end = mods[1].start + RAM_SIZE - 0x100000;
	ck_assert_int_eq(load(0x1010, "k", &entry, &mbi), -TERN_ENOMEM);
	ck_assert_uint_eq(ram[0x101000], 0xaa);

	/* An empty module is a valid one: start == end. */
	mods[1].end = mods[1].start;
	ck_assert_int_eq(load(0x1010, "k", &entry, &mbi), 0);
	ck_assert_uint_eq(r32(ram + 0x9200), r32(ram + 0x9204));

	/* No kernel at all. */
	nmods = 0;
	fatal_lines = 0;
	ck_assert_int_eq(guest_load_multiboot(&fake_vm, mods, 0, &entry, &mbi), -TERN_EINVAL);
	ck_assert_uint_eq(fatal_lines, 1);
}
END_TEST
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

START_TEST(test_acpi_tables_in_the_bios_area)
{
	/* The RSDP where a BIOS-era guest scans (0xE0000, 16-byte aligned),
	 * its RSDT and the MADT for the VM's three vCPUs, all inside the one
	 * page and none of it covered by the information or a segment. */
	elf32_one(0x100000, 0x1000);
	uint64_t entry;
	uint32_t mbi;
	ck_assert_int_eq(load(0x1010, "acpi", &entry, &mbi), 0);
	const uint8_t *rsdp = ram + 0xe0000;
	ck_assert_mem_eq(rsdp, "RSD PTR ", 8);
	uint8_t sum = 0;
	for (unsigned i = 0; i < 36; i++)
		sum = (uint8_t)(sum + rsdp[i]);
	ck_assert_uint_eq(sum, 0);
	uint32_t rsdt = r32(rsdp + 16);
	ck_assert_uint_ge(rsdt, 0xe0000);
	ck_assert_uint_lt(rsdt, 0xe1000 - 40);
	ck_assert_mem_eq(ram + rsdt, "RSDT", 4);
	uint32_t madt = r32(ram + rsdt + 36);
	ck_assert_uint_lt(madt, 0xe1000 - 96);
	ck_assert_mem_eq(ram + madt, "APIC", 4);
	ck_assert_uint_eq(r32(ram + madt + 4), 44 + 3 * 8 + 12 + 10 + 6);
	ck_assert_uint_eq(ram[madt + 44 + 2 * 8 + 3], 2);      /* the third vCPU's APIC ID */
	ck_assert_uint_eq(ram[0xe1000], 0xaa);                 /* one page, no more */
	ck_assert_uint_lt(mbi + 0x1000, 0xe0000);
}
END_TEST

START_TEST(test_segment_on_acpi_tables_refused)
{
	elf32_one(0xe0800, 0x10);
	uint64_t entry;
	uint32_t mbi;
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_EBUSY);
	ck_assert_str_eq(last_log, "FATAL: guest refused: a segment overlaps the VM's ACPI tables (0xe0800, 0xe0000)");
	ck_assert_uint_eq(fatal_lines, 1);
	ck_assert_uint_eq(ram[0xe0000], 0xaa);

	/* Touching the area is not overlapping it. */
	reset();
	elf32_header(0xdf000, 2);
	elf32_phdr(0, PT_LOAD, 0x1000, 0xdf000, 0xdf000, 0x10, 0x1000);
	elf32_phdr(1, PT_LOAD, 0x1000, 0xe1000, 0xe1000, 0x10, 0x10);
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), 0);
	ck_assert_mem_eq(ram + 0xe0000, "RSD PTR ", 8);

	/* A VM the tables cannot describe is refused with its own line. */
	reset();
	fake_vm.config.vcpu_count = 0;
	elf32_one(0x100000, 0x1000);
	ck_assert_int_eq(load(0x1010, "", &entry, &mbi), -TERN_EINVAL);
	ck_assert_str_eq(last_log, "FATAL: guest refused: the VM's ACPI tables cannot be built (0x0, 0xe0000)");
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
	tcase_add_test(tc, test_acpi_tables_in_the_bios_area);
	tcase_add_test(tc, test_segment_on_acpi_tables_refused);
	tcase_add_test(tc, test_low_segments_move_the_information);
	tcase_add_test(tc, test_no_room_for_the_information);
	tcase_add_test(tc, test_long_command_line_arrives_whole);
	tcase_add_test(tc, test_modules_reach_the_guest);
	tcase_add_test(tc, test_modules_fill_high_then_low_then_refuse);
	suite_add_tcase(s, tc);
	return s;
}
