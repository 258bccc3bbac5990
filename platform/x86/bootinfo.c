/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reads the multiboot2 tag list (Multiboot2 spec 3.6) or the multiboot1
 * information structure (Multiboot spec 3.3) into struct boot_info. The
 * loader is trusted as far as the hardware is, but every length is still
 * bounded so a malformed structure cannot run us off the end.
 */
#include "bootinfo.h"
#include "boot_defs.h"
#include "err.h"
#include "lib.h"
#include "machine.h"
#include "unaligned.h"

#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6
/* Multiboot2 spec 3.6.12-3.6.16, 3.6.19: what GRUB adds on UEFI (and the RSDP on both). */
#define MB2_TAG_EFI64 12
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15
#define MB2_TAG_EFI_MMAP 17
#define MB2_TAG_EFI_BS 18
#define MB2_INFO_MAX (64u * 1024u)

#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_MMAP (1u << 6)
#define MB1_INFO_LOADER (1u << 9)

struct mb1_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
} __attribute__((packed));

struct mb1_module {
	uint32_t mod_start, mod_end, string, reserved;
} __attribute__((packed));

/* Copies at most size - 1 bytes; true when the string was longer. */
static bool copy_str(char *dst, size_t size, uint64_t pa)
{
	if (!pa) {
		dst[0] = '\0';
		return false;
	}
	const char *s = phys_to_virt(pa);
	size_t i = 0;
	for (; i + 1 < size && s[i]; i++)
		dst[i] = s[i];
	dst[i] = '\0';
	return s[i] != '\0';
}

static void add_region(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
	if (bi->nregions < BOOT_MAX_REGIONS) {
		bi->regions[bi->nregions].base = base;
		bi->regions[bi->nregions].len = len;
		bi->regions[bi->nregions].type = type;
		bi->nregions++;
	}
}

static void add_module(struct boot_info *bi, uint64_t start, uint64_t end, uint64_t str_pa)
{
	bi->modules_seen++;
	if (bi->nmodules < BOOT_MAX_MODULES && end >= start) {
		struct boot_module *m = &bi->modules[bi->nmodules++];
		m->start = start;
		m->end = end;
		m->cmdline_cut = copy_str(m->cmdline, sizeof(m->cmdline), str_pa);
	}
}

static int parse_mb2(uint32_t info_pa, struct boot_info *bi)
{
	const uint8_t *base = phys_to_virt(info_pa);
	uint32_t total = rd32(base);
	if (total < 16 || total > MB2_INFO_MAX)
		return -TERN_EINVAL;
	bi->info_end = info_pa + total;
	for (uint32_t off = 8; off + 8 <= total;) {
		const uint8_t *tag = base + off;
		uint32_t type = rd32(tag);
		uint32_t size = rd32(tag + 4);
		if (type == MB2_TAG_END || size < 8 || off + size > total)
			break;
		switch (type) {
		case MB2_TAG_CMDLINE:
			bi->cmdline_cut = copy_str(bi->cmdline, sizeof(bi->cmdline), info_pa + off + 8);
			break;
		case MB2_TAG_LOADER:
			copy_str(bi->loader, sizeof(bi->loader), info_pa + off + 8);
			break;
		case MB2_TAG_MODULE:
			if (size >= 16)
				add_module(bi, rd32(tag + 8), rd32(tag + 12),
					   info_pa + off + 16);
			break;
		case MB2_TAG_MMAP: {
			uint32_t esize = rd32(tag + 8);
			if (esize < 24)
				break;
			for (uint32_t e = 16; e + esize <= size; e += esize) {
				const uint8_t *ent = tag + e;
				add_region(bi, rd64(ent), rd64(ent + 8),
					   rd32(ent + 16));
			}
			break;
		}
		case MB2_TAG_EFI64:
			if (size >= 16)
				bi->efi_system_table = rd64(tag + 8);
			break;
		case MB2_TAG_ACPI_NEW:
		case MB2_TAG_ACPI_OLD:
			/* The tag holds a copy of the RSDP; the XSDT form wins over the RSDT one. */
			if (size >= 8 + 20 && (type == MB2_TAG_ACPI_NEW || !bi->acpi_rsdp))
				bi->acpi_rsdp = info_pa + off + 8;
			break;
		case MB2_TAG_EFI_MMAP: {
			uint32_t dsize = size >= 16 ? rd32(tag + 8) : 0;
			if (dsize)
				bi->efi_mmap_descs = (size - 16) / dsize;
			break;
		}
		case MB2_TAG_EFI_BS:
			bi->efi_boot_services = 1;
			break;
		default:
			break;
		}
		off += (size + 7u) & ~7u;
	}
	return 0;
}

static int parse_mb1(uint32_t info_pa, struct boot_info *bi)
{
	const struct mb1_info *mi = phys_to_virt(info_pa);
	bi->info_end = info_pa + sizeof(*mi);
	if (mi->flags & MB1_INFO_CMDLINE)
		bi->cmdline_cut = copy_str(bi->cmdline, sizeof(bi->cmdline), mi->cmdline);
	if (mi->flags & MB1_INFO_LOADER)
		copy_str(bi->loader, sizeof(bi->loader), mi->boot_loader_name);
	if (mi->flags & MB1_INFO_MODS) {
		const struct mb1_module *mods = phys_to_virt(mi->mods_addr);
		for (uint32_t i = 0; i < mi->mods_count && i < BOOT_MAX_MODULES; i++)
			add_module(bi, mods[i].mod_start, mods[i].mod_end, mods[i].string);
		/* The rest are not read (mods_count is the loader's), only counted. */
		if (mi->mods_count > BOOT_MAX_MODULES)
			bi->modules_seen = mi->mods_count;
	}
	if (mi->flags & MB1_INFO_MMAP) {
		/* Each entry: size (not counting itself), base, length, type. */
		uint64_t p = mi->mmap_addr, end = (uint64_t)mi->mmap_addr + mi->mmap_length;
		while (p + 24 <= end) {
			const uint8_t *ent = phys_to_virt(p);
			uint32_t size = rd32(ent);
			add_region(bi, rd64(ent + 4), rd64(ent + 12),
				   rd32(ent + 20));
			if (size < 20)
				break;
			p += size + 4;
		}
	} else {
		add_region(bi, 0, (uint64_t)mi->mem_lower * 1024, BOOT_MEM_AVAILABLE);
		add_region(bi, 0x100000, (uint64_t)mi->mem_upper * 1024, BOOT_MEM_AVAILABLE);
	}
	return 0;
}

int bootinfo_parse(uint32_t magic, uint32_t info_pa, struct boot_info *out)
{
	tern_memset(out, 0, sizeof(*out));
	out->info_start = info_pa;
	if (magic == MB2_BOOT_MAGIC) {
		out->version = 2;
		return parse_mb2(info_pa, out);
	}
	if (magic == MB1_BOOT_MAGIC) {
		out->version = 1;
		return parse_mb1(info_pa, out);
	}
	return -TERN_EINVAL;
}
