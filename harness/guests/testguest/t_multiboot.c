/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The boot protocol as the guest sees it (Multiboot 0.6.96, 3.2 and 3.3):
 * EAX magic, an information structure with memory sizes and a memory map
 * that covers the guest's own image as usable RAM.
 */
#include "guest.h"

#define MB_BOOT_MAGIC 0x2BADB002u
#define MBI_MEM (1u << 0)
#define MBI_CMDLINE (1u << 2)
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

extern char __bss_end[];

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
