/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading a multiboot (v1) kernel given as a GRUB module into a VM's RAM:
 * ELF32 or ELF64 program headers (PT_LOAD at p_paddr, the uninitialised
 * tail zeroed), the further GRUB modules as multiboot modules, and a
 * multiboot information structure with a memory map, the command lines and
 * the loader name (Multiboot spec 3.3), placed where nothing else is.
 * The module is untrusted input in the sense that every offset and size is
 * checked against the module and against guest RAM before use.
 */
#include "xvm.h"
#include "bootinfo.h"
#include "machine.h"
#include "serial.h"
#include "err.h"
#include "lib.h"
#include "vm_acpi.h"

#define ELF_MAGIC 0x464c457fu
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define MAX_PHDRS 64

/* Where the information structure goes (Multiboot spec 3.3 leaves it to
 * the loader; GRUB puts it in free RAM). Tern first tries 0x9000, where it
 * always was, then the rest of low RAM, then RAM above 1 MiB, and takes the
 * first page-aligned place that overlaps no segment, no module and none of
 * the areas the memory map below reports reserved. Layout inside it: */
#define MBI_PREFERRED_GPA 0x9000ull
#define MBI_OFF_MMAP 0x100u
#define MBI_OFF_MODS 0x200u
#define MBI_OFF_LOADER 0x300u
#define MBI_OFF_STRINGS 0x400u       /* the guest's command line, then each module's */
#define MBI_LOADER_NAME "Tern"
#define MB_MODULE_ENTRY 16u          /* mod_start, mod_end, string, reserved */
#define GUEST_LOW_RAM_START 0x1000ull /* page 0 holds the real-mode IVT and BDA */
#define GUEST_LOW_RAM_END 0x9fc00ull
/* The BIOS area, reserved in the memory map: the VM's ACPI tables are at
 * its start (VM_ACPI_GPA), where a guest scans for the RSDP. */
#define GUEST_BIOS_START VM_ACPI_GPA
#define GUEST_HIGH_RAM 0x100000ull
#define GUEST_PAGE 0x1000ull
#define GUEST_32BIT_TOP (1ull << 32)
/* Everything placed in guest RAM: the segments, the modules, the info area. */
#define MAX_BUSY (MAX_PHDRS + BOOT_MAX_MODULES + 1)

#define MB_INFO_MEMORY (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MMAP (1u << 6)
#define MB_INFO_LOADER (1u << 9)
#define MB_MEM_AVAILABLE 1u
#define MB_MEM_RESERVED 2u

struct seg {
	uint64_t offset, paddr, vaddr, filesz, memsz;
};

/* Guest-physical ranges [start, end) already taken. */
struct busy {
	unsigned n;
	uint64_t start[MAX_BUSY], end[MAX_BUSY];
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint64_t align_up(uint64_t v)
{
	return (v + GUEST_PAGE - 1) & ~(GUEST_PAGE - 1);
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* The one line a refusal logs; the caller powers off. */
static void refuse(const char *what, uint64_t a, uint64_t b)
{
	x86_log("FATAL: guest refused: %s (0x%lx, 0x%lx)", what, (unsigned long)a,
		(unsigned long)b);
}

/* The first page-aligned gap of len bytes in [lo, hi) that no busy range
 * overlaps; 0 and *out untouched when none. Callers' ranges stay below the
 * guest's RAM size, so nothing here wraps. */
static bool find_gap(const struct busy *b, uint64_t lo, uint64_t hi, uint64_t len, uint64_t *out)
{
	uint64_t at = align_up(lo);
	for (unsigned moved = 1; moved;) {
		moved = 0;
		for (unsigned i = 0; i < b->n; i++) {
			if (overlaps(at, len, b->start[i], b->end[i] - b->start[i])) {
				at = align_up(b->end[i]);
				moved = 1;
			}
		}
		if (at > hi || len > hi - at)
			return false;
	}
	*out = at;
	return true;
}

static void busy_add(struct busy *b, uint64_t start, uint64_t len)
{
	b->start[b->n] = start;
	b->end[b->n] = start + len;
	b->n++;
}

static int load_segment(struct x86_vm *x, const uint8_t *img, uint64_t img_len, const struct seg *s,
			struct busy *b)
{
	if (s->filesz > s->memsz || s->offset > img_len || s->filesz > img_len - s->offset) {
		refuse("a segment's file bytes lie outside the module", s->offset, s->filesz);
		return -TERN_EINVAL;
	}
	if (s->memsz > x->ram_size || s->paddr > x->ram_size - s->memsz) {
		refuse("a segment lies outside guest RAM", s->paddr, s->memsz);
		return -TERN_ERANGE;
	}
	if (overlaps(s->paddr, s->memsz, VM_ACPI_GPA, VM_ACPI_SIZE)) {
		refuse("a segment overlaps the VM's ACPI tables", s->paddr, VM_ACPI_GPA);
		return -TERN_EBUSY;
	}
	for (unsigned i = 0; i < b->n; i++) {
		if (overlaps(s->paddr, s->memsz, b->start[i], b->end[i] - b->start[i])) {
			refuse("two segments overlap", s->paddr, b->start[i]);
			return -TERN_EBUSY;
		}
	}
	busy_add(b, s->paddr, s->memsz);
	tern_memcpy(x->ram + s->paddr, img + s->offset, s->filesz);
	tern_memset(x->ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	return 0;
}

static int load_elf(struct x86_vm *x, const uint8_t *img, uint64_t len, uint64_t *entry,
		    struct busy *b)
{
	if (len < 52 || rd32(img) != ELF_MAGIC || img[5] != ELFDATA2LSB) {
		refuse("not a little-endian ELF file", len, len < 4 ? 0 : rd32(img));
		return -TERN_EINVAL;
	}
	bool is64 = img[4] == ELFCLASS64;
	uint16_t machine = rd16(img + 18);
	if ((!is64 && img[4] != ELFCLASS32) || machine != (is64 ? EM_X86_64 : EM_386) ||
	    (is64 && len < 64)) {
		refuse("neither an ELF32 EM_386 nor an ELF64 EM_X86_64 file", img[4], machine);
		return -TERN_EINVAL;
	}
	uint64_t e_entry = is64 ? rd64(img + 24) : rd32(img + 24);
	uint64_t phoff = is64 ? rd64(img + 32) : rd32(img + 28);
	uint16_t phentsize = rd16(img + (is64 ? 54 : 42));
	uint16_t phnum = rd16(img + (is64 ? 56 : 44));
	if (phnum == 0 || phnum > MAX_PHDRS || phentsize < (is64 ? 56 : 32) || phoff > len ||
	    (uint64_t)phnum * phentsize > len - phoff) {
		refuse("the program header table is empty, too large or outside the file", phoff, phnum);
		return -TERN_EINVAL;
	}

	bool entry_found = false;
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
		int ret = load_segment(x, img, len, &s, b);
		if (ret)
			return ret;
		x86_log("  guest segment gpa 0x%lx: 0x%lx bytes from file, 0x%lx in memory",
			(unsigned long)s.paddr, (unsigned long)s.filesz, (unsigned long)s.memsz);
		/* GRUB does the same: an entry given as a virtual address is translated. */
		if (!entry_found && e_entry >= s.vaddr && e_entry - s.vaddr < s.memsz) {
			*entry = e_entry - s.vaddr + s.paddr;
			entry_found = true;
		}
	}
	if (!entry_found || *entry >= (1ull << 32)) {
		refuse("the entry point is in no loaded segment or above 4 GiB", e_entry, phnum);
		return -TERN_EINVAL;
	}
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

/* Free guest RAM as the memory map reports it: low RAM (the IVT/BDA page
 * left out), then RAM above 1 MiB, in the order `high_first` asks. */
static bool place(const struct x86_vm *x, const struct busy *b, uint64_t len, bool high_first,
		  uint64_t *out)
{
	bool low = find_gap(b, GUEST_LOW_RAM_START, GUEST_LOW_RAM_END, len, out);
	/* The information's address fields are 32 bits wide. */
	uint64_t top = x->ram_size < GUEST_32BIT_TOP ? x->ram_size : GUEST_32BIT_TOP;
	bool high = find_gap(b, GUEST_HIGH_RAM, top, len, out + 1);
	if (high && (high_first || !low))
		out[0] = out[1];
	return low || high;
}

/* The second and later modules: copied page-aligned where nothing is, above
 * 1 MiB first as GRUB does (low RAM is scarce for real-mode guests). */
static int load_modules(struct x86_vm *x, const struct boot_module *mods, unsigned nmods,
			struct busy *b, uint64_t *gpa)
{
	for (unsigned i = 1; i < nmods; i++) {
		const struct boot_module *m = &mods[i];
		uint64_t len = m->end - m->start, at[2];
		if (m->end < m->start || !place(x, b, len, true, at)) { /* larger than RAM too */
			refuse("a module does not fit in free guest RAM", i, len);
			return -TERN_ENOMEM;
		}
		tern_memcpy(x->ram + at[0], phys_to_virt(m->start), len);
		busy_add(b, at[0], len);
		gpa[i] = at[0];
		x86_log("  guest module %u \"%s\": 0x%lx bytes at gpa 0x%lx", i, m->cmdline,
			(unsigned long)len, (unsigned long)at[0]);
	}
	return 0;
}

static uint64_t mbi_size(const struct boot_module *mods, unsigned nmods)
{
	uint64_t n = MBI_OFF_STRINGS;
	for (unsigned i = 0; i < nmods; i++)
		n += tern_strlen(mods[i].cmdline) + 1;
	return n;
}

static void build_mbi(struct x86_vm *x, uint64_t base, const struct boot_module *mods,
		      unsigned nmods, const uint64_t *mod_gpa)
{
	uint8_t *mbi = x->ram + base;
	tern_memset(mbi, 0, MBI_OFF_STRINGS);

	uint8_t *mmap = mbi + MBI_OFF_MMAP;
	put_mmap(mmap + 0, 0, GUEST_LOW_RAM_END, MB_MEM_AVAILABLE);
	put_mmap(mmap + 24, GUEST_LOW_RAM_END, 0xa0000 - GUEST_LOW_RAM_END, MB_MEM_RESERVED);
	put_mmap(mmap + 48, GUEST_BIOS_START, GUEST_HIGH_RAM - GUEST_BIOS_START, MB_MEM_RESERVED);
	put_mmap(mmap + 72, GUEST_HIGH_RAM, x->ram_size - GUEST_HIGH_RAM, MB_MEM_AVAILABLE);
	uint32_t mmap_len = 96;

	/* The strings, whole (bootinfo refused any it had to cut). */
	uint64_t str = base + MBI_OFF_STRINGS;
	uint32_t flags = MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MMAP | MB_INFO_LOADER;
	for (unsigned i = 0; i < nmods; i++) {
		size_t n = tern_strlen(mods[i].cmdline) + 1;
		tern_memcpy(x->ram + str, mods[i].cmdline, n);
		if (i == 0) {
			put32(mbi + 16, (uint32_t)str);                           /* cmdline */
		} else {
			uint8_t *e = mbi + MBI_OFF_MODS + (i - 1) * MB_MODULE_ENTRY;
			put32(e + 0, (uint32_t)mod_gpa[i]);                        /* mod_start */
			put32(e + 4, (uint32_t)(mod_gpa[i] + mods[i].end - mods[i].start)); /* mod_end */
			put32(e + 8, (uint32_t)str);                               /* string */
		}
		str += n;
	}
	if (nmods > 1) {
		flags |= MB_INFO_MODS;
		put32(mbi + 20, nmods - 1);                                        /* mods_count */
		put32(mbi + 24, (uint32_t)(base + MBI_OFF_MODS));                  /* mods_addr */
	}
	tern_strlcpy((char *)mbi + MBI_OFF_LOADER, MBI_LOADER_NAME, MBI_OFF_STRINGS - MBI_OFF_LOADER);

	put32(mbi + 0, flags);
	put32(mbi + 4, (uint32_t)(GUEST_LOW_RAM_END / 1024));                   /* mem_lower */
	put32(mbi + 8, (uint32_t)((x->ram_size - GUEST_HIGH_RAM) / 1024));       /* mem_upper */
	put32(mbi + 44, mmap_len);
	put32(mbi + 48, (uint32_t)(base + MBI_OFF_MMAP));
	put32(mbi + 64, (uint32_t)(base + MBI_OFF_LOADER));
}

int guest_load_multiboot(struct vm *vm, const struct boot_module *mods, unsigned nmods,
			 uint64_t *entry, uint32_t *mbi_gpa)
{
	struct x86_vm *x = xvm_of(vm);
	if (!x->used || x->ram_size < 2 * GUEST_HIGH_RAM) {
		refuse("guest RAM is smaller than 2 MiB", x->ram_size, 0);
		return -TERN_EINVAL;
	}
	if (nmods == 0 || nmods > BOOT_MAX_MODULES) {
		refuse("one kernel and at most 7 modules", nmods, BOOT_MAX_MODULES);
		return -TERN_EINVAL;
	}
	for (unsigned i = 0; i < nmods; i++) {
		if (mods[i].cmdline_cut) {
			refuse("a module's command line is longer than the maximum", i,
			       BOOT_MODULE_CMDLINE_LEN - 1);
			return -TERN_E2BIG;
		}
	}
	struct busy b = { 0 };
	/* RAM comes zeroed from mem_alloc. */
	int ret = load_elf(x, phys_to_virt(mods[0].start), mods[0].end - mods[0].start, entry, &b);
	uint64_t mod_gpa[BOOT_MAX_MODULES] = { 0 };
	if (!ret)
		ret = load_modules(x, mods, nmods, &b, mod_gpa);
	if (ret)
		return ret;
	uint64_t len = mbi_size(mods, nmods), at[2];
	bool fits = find_gap(&b, MBI_PREFERRED_GPA, GUEST_LOW_RAM_END, len, at);
	if (!fits)
		fits = place(x, &b, len, false, at);
	if (!fits) {
		refuse("no free guest RAM for the multiboot information", len, b.n);
		return -TERN_ENOMEM;
	}
	/* The ACPI area lies in the BIOS area, outside every range place()
	 * and find_gap() search, and load_segment refused any segment on it. */
	ret = vm_acpi_build(vm, x->ram + VM_ACPI_GPA, VM_ACPI_SIZE, VM_ACPI_GPA);
	if (ret) {
		refuse("the VM's ACPI tables cannot be built", vm->config.vcpu_count, VM_ACPI_GPA);
		return ret;
	}
	build_mbi(x, at[0], mods, nmods, mod_gpa);
	*mbi_gpa = (uint32_t)at[0];
	return 0;
}
