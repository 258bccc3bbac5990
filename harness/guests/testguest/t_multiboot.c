/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The boot protocol as the guest sees it (Multiboot 0.6.96, 3.2 and 3.3):
 * EAX magic, an information structure with memory sizes and a memory map
 * that covers the guest's own image as usable RAM; under Tern also the
 * boot test's second GRUB module (harness/boot/tg-module.txt) as a multiboot
 * module with its bytes and string, and a command line longer than 255
 * bytes whole (harness/boot/grub-tern.cfg).
 */
#include "guest.h"

#define MB_BOOT_MAGIC 0x2BADB002u
#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)
#define MMAP_RAM 1u

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4];
	uint32_t mmap_length, mmap_addr;
};

struct mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

struct mb_module {
	uint32_t start, end, string, reserved;
};

extern char __bss_end[];

/* What grub-tern.cfg and tg-module.txt give the guest. */
static const char module_bytes[] = "tern multiboot module check\n";
#define MODULE_STRING "tg-module"
#define PAD_KEY " pad="
#define PAD_LEN 300u          /* "0123456789" thirty times, then " end" */

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* The pad in the command line, or NULL: its presence says the boot
 * configuration is grub-tern.cfg's, which also gives the module (the EFI
 * boot and QEMU -kernel give neither). */
static const char *find_pad(const struct mb_info *mbi)
{
	const char *p = (mbi->flags & MBI_CMDLINE) ? (const char *)(uintptr_t)mbi->cmdline : 0;
	for (; p && *p; p++)
		if (memcmp(p, PAD_KEY, sizeof(PAD_KEY) - 1) == 0)
			return p + sizeof(PAD_KEY) - 1;
	return 0;
}

/* Under Tern with grub-tern.cfg's command line; else a SKIP with the reason. */
static bool expected(const char *name, const struct mb_info *mbi)
{
	if (!tg_env.tern)
		tg_skip(name, "not under Tern");
	else if (!find_pad(mbi))
		tg_skip(name, "no pad= on the command line: not the GRUB boot test");
	return tg_env.tern && find_pad(mbi);
}

static void check_module(const struct mb_info *mbi)
{
	if (!expected("multiboot.module", mbi))
		return;
	const struct mb_module *m = (const struct mb_module *)(uintptr_t)mbi->mods_addr;
	if (!(mbi->flags & MBI_MODS) || mbi->mods_count != 1 || !m) {
		tg_fail("multiboot.module", "flags 0x%x, %u modules", mbi->flags, mbi->mods_count);
		return;
	}
	uint32_t len = sizeof(module_bytes) - 1;
	bool bytes = m->end - m->start == len &&
		     memcmp((const void *)(uintptr_t)m->start, module_bytes, len) == 0;
	tg_check("multiboot.module", bytes && (m->start & 0xfff) == 0 && m->string &&
		 str_eq((const char *)(uintptr_t)m->string, MODULE_STRING),
		 "module 0x%x..0x%x, string at 0x%x", m->start, m->end, m->string);
}

static void check_long_cmdline(const struct mb_info *mbi)
{
	if (!expected("multiboot.long-cmdline", mbi))
		return;
	const char *p = find_pad(mbi);
	bool ok = true;
	for (unsigned i = 0; ok && i < PAD_LEN; i++)
		ok = p[i] == (char)('0' + i % 10);
	tg_check("multiboot.long-cmdline", ok && str_eq(p + PAD_LEN, " end"),
		 "the %u-byte pad of the command line did not arrive whole", PAD_LEN);
}

void tg_test_multiboot(uint32_t magic, uint32_t info)
{
	const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)info;
	uint64_t img_lo = 0x100000, img_hi = (uint64_t)(uintptr_t)__bss_end;
	bool covered = false;
	unsigned n = 0;

	tg_check_eq("multiboot.magic", magic, MB_BOOT_MAGIC);
	if (magic != MB_BOOT_MAGIC || info == 0) {
		tg_fail("multiboot.meminfo", "magic 0x%x, info at 0x%x: no information", magic, info);
		tg_fail("multiboot.mmap", "no information structure");
		return;
	}
	tg_check("multiboot.meminfo", (mbi->flags & MBI_MEM) && mbi->mem_upper >= 1024,
		 "flags 0x%x mem_upper %u KiB", mbi->flags, mbi->mem_upper);
	if (mbi->flags & MBI_CMDLINE && mbi->cmdline)
		tg_printf("testguest: cmdline \"%s\"\n", (const char *)(uintptr_t)mbi->cmdline);
	check_module(mbi);
	check_long_cmdline(mbi);
	if (!(mbi->flags & MBI_MMAP)) {
		tg_fail("multiboot.mmap", "flags 0x%x lack the memory map bit", mbi->flags);
		return;
	}
	/* The map must describe the RAM we were loaded into as type 1. */
	for (uint32_t off = 0; off + 24 <= mbi->mmap_length && n < 128; n++) {
		const struct mb_mmap *e = (const struct mb_mmap *)(uintptr_t)(mbi->mmap_addr + off);
		if (e->type == MMAP_RAM && e->addr <= img_lo && e->addr + e->len >= img_hi)
			covered = true;
		off += e->size + 4;
	}
	tg_check("multiboot.mmap", covered, "%u entries, none of type 1 covers 0x%lx..0x%lx",
		 n, img_lo, img_hi);
}
