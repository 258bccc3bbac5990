/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading a multiboot (v1) kernel given as a GRUB module into a VM's RAM:
 * ELF32 or ELF64 program headers (PT_LOAD at p_paddr, the uninitialised
 * tail zeroed), and a multiboot information structure with a memory map,
 * the module's command line and the loader name (Multiboot spec 3.3).
 * The module is untrusted input in the sense that every offset and size is
 * checked against the module and against guest RAM before use.
 */
#include "xvm.h"
#include "bootinfo.h"
#include "machine.h"
#include "serial.h"
#include "err.h"
#include "lib.h"

#define ELF_MAGIC 0x464c457fu
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define MAX_PHDRS 64

/* Where the information structure goes in guest memory (below 640 KiB). */
#define MBI_GPA 0x9000ull
#define MBI_MMAP_GPA 0x9100ull
#define MBI_CMDLINE_GPA 0x9400ull
#define MBI_LOADER_GPA 0x9800ull
#define MBI_END_GPA 0xa000ull
#define GUEST_LOW_RAM_END 0x9fc00ull
#define GUEST_BIOS_START 0xf0000ull
#define GUEST_HIGH_RAM 0x100000ull

#define MB_INFO_MEMORY (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MMAP (1u << 6)
#define MB_INFO_LOADER (1u << 9)
#define MB_MEM_AVAILABLE 1u
#define MB_MEM_RESERVED 2u

struct seg {
	uint64_t offset, paddr, vaddr, filesz, memsz;
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static int load_segment(struct x86_vm *x, const uint8_t *img, uint64_t img_len, const struct seg *s)
{
	if (s->filesz > s->memsz || s->offset > img_len || s->filesz > img_len - s->offset)
		return -TERN_EINVAL;
	if (s->memsz > x->ram_size || s->paddr > x->ram_size - s->memsz)
		return -TERN_ERANGE;
	if (s->paddr < MBI_END_GPA && s->paddr + s->memsz > MBI_GPA)
		return -TERN_EBUSY;     /* would overlap the information structure */
	tern_memcpy(x->ram + s->paddr, img + s->offset, s->filesz);
	tern_memset(x->ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	return 0;
}

static int load_elf(struct x86_vm *x, const uint8_t *img, uint64_t len, uint64_t *entry)
{
	if (len < 52 || rd32(img) != ELF_MAGIC || img[5] != ELFDATA2LSB)
		return -TERN_EINVAL;
	bool is64 = img[4] == ELFCLASS64;
	if (!is64 && img[4] != ELFCLASS32)
		return -TERN_EINVAL;
	uint16_t machine = rd16(img + 18);
	if (machine != (is64 ? EM_X86_64 : EM_386))
		return -TERN_EINVAL;
	if (is64 && len < 64)
		return -TERN_EINVAL;
	uint64_t e_entry = is64 ? rd64(img + 24) : rd32(img + 24);
	uint64_t phoff = is64 ? rd64(img + 32) : rd32(img + 28);
	uint16_t phentsize = rd16(img + (is64 ? 54 : 42));
	uint16_t phnum = rd16(img + (is64 ? 56 : 44));
	if (phnum == 0 || phnum > MAX_PHDRS || phentsize < (is64 ? 56 : 32) || phoff > len ||
	    (uint64_t)phnum * phentsize > len - phoff)
		return -TERN_EINVAL;

	bool entry_found = false;
	unsigned loaded = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
		if (rd32(ph) != PT_LOAD)
			continue;
		struct seg s;
		if (is64) {
			s.offset = rd64(ph + 8);
			s.vaddr = rd64(ph + 16);
			s.paddr = rd64(ph + 24);
			s.filesz = rd64(ph + 32);
			s.memsz = rd64(ph + 40);
		} else {
			s.offset = rd32(ph + 4);
			s.vaddr = rd32(ph + 8);
			s.paddr = rd32(ph + 12);
			s.filesz = rd32(ph + 16);
			s.memsz = rd32(ph + 20);
		}
		int ret = load_segment(x, img, len, &s);
		if (ret)
			return ret;
		loaded++;
		x86_log("  guest segment gpa 0x%lx: 0x%lx bytes from file, 0x%lx in memory",
			(unsigned long)s.paddr, (unsigned long)s.filesz, (unsigned long)s.memsz);
		/* GRUB does the same: an entry given as a virtual address is translated. */
		if (!entry_found && e_entry >= s.vaddr && e_entry - s.vaddr < s.memsz) {
			*entry = e_entry - s.vaddr + s.paddr;
			entry_found = true;
		}
	}
	if (!loaded || !entry_found || *entry >= (1ull << 32))
		return -TERN_EINVAL;
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	tern_memcpy(p, &v, 4);
}

static void put_mmap(uint8_t *p, uint64_t base, uint64_t size, uint32_t type)
{
	put32(p, 20);
	tern_memcpy(p + 4, &base, 8);
	tern_memcpy(p + 12, &size, 8);
	put32(p + 20, type);
}

static void build_mbi(struct x86_vm *x, const char *cmdline)
{
	uint8_t *mbi = x->ram + MBI_GPA;
	uint8_t *mmap = x->ram + MBI_MMAP_GPA;
	tern_memset(mbi, 0, MBI_END_GPA - MBI_GPA);

	put_mmap(mmap + 0, 0, GUEST_LOW_RAM_END, MB_MEM_AVAILABLE);
	put_mmap(mmap + 24, GUEST_LOW_RAM_END, 0xa0000 - GUEST_LOW_RAM_END, MB_MEM_RESERVED);
	put_mmap(mmap + 48, GUEST_BIOS_START, GUEST_HIGH_RAM - GUEST_BIOS_START, MB_MEM_RESERVED);
	put_mmap(mmap + 72, GUEST_HIGH_RAM, x->ram_size - GUEST_HIGH_RAM, MB_MEM_AVAILABLE);
	uint32_t mmap_len = 96;

	tern_strlcpy((char *)(x->ram + MBI_CMDLINE_GPA), cmdline, MBI_LOADER_GPA - MBI_CMDLINE_GPA);
	tern_strlcpy((char *)(x->ram + MBI_LOADER_GPA), "Tern", 16);

	put32(mbi + 0, MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MMAP | MB_INFO_LOADER);
	put32(mbi + 4, (uint32_t)(GUEST_LOW_RAM_END / 1024));                   /* mem_lower */
	put32(mbi + 8, (uint32_t)((x->ram_size - GUEST_HIGH_RAM) / 1024));       /* mem_upper */
	put32(mbi + 16, (uint32_t)MBI_CMDLINE_GPA);
	put32(mbi + 44, mmap_len);
	put32(mbi + 48, (uint32_t)MBI_MMAP_GPA);
	put32(mbi + 64, (uint32_t)MBI_LOADER_GPA);
}

int guest_load_multiboot(struct vm *vm, const struct boot_module *mod, uint64_t *entry,
			 uint32_t *mbi_gpa)
{
	struct x86_vm *x = xvm_of(vm);
	if (!x->used || x->ram_size < 2 * GUEST_HIGH_RAM)
		return -TERN_EINVAL;
	/* RAM comes zeroed from mem_alloc. */
	int ret = load_elf(x, phys_to_virt(mod->start), mod->end - mod->start, entry);
	if (ret)
		return ret;
	build_mbi(x, mod->cmdline);
	*mbi_gpa = (uint32_t)MBI_GPA;
	return 0;
}
