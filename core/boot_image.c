/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header checks of a Service VM kernel file (boot_image.h). In core because
 * this is the decision whether a hostile file may boot; the EFI entry
 * (platform/x86/efi) compiles this file into tern.efi and calls it before the
 * firmware or Tern touch the image.
 *
 * References: ELF: the System V gABI, "ELF Header" and "Program Header";
 * PE32+: Microsoft's PE Format specification ("MS-DOS Stub", "COFF File
 * Header", "Optional Header", "Section Table", "The .reloc Section").
 */
#include "boot_image.h"
#include "lib.h"
#include "err.h"

#define ELF_MAGIC 0x464c457fu
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define ELF32_EHDR_LEN 52
#define ELF64_EHDR_LEN 64
#define ELF32_PHDR_LEN 32
#define ELF64_PHDR_LEN 56
#define ELF_MAX_PHDRS 64

#define MZ_MAGIC 0x5a4d
#define MZ_LFANEW 0x3c
#define PE_MAGIC 0x00004550u
#define COFF_HDR_LEN 20
#define IMAGE_FILE_MACHINE_AMD64 0x8664
#define PE32PLUS_MAGIC 0x20b
/* Fixed part of the PE32+ optional header, up to NumberOfRvaAndSizes. */
#define PE32PLUS_OPT_FIXED 112
#define PE_SECTION_LEN 40
#define PE_MAX_SECTIONS 96
#define PE_DIR_SECURITY 4               /* a file offset, not an RVA */
#define PE_DIR_BASERELOC 5
#define PE_MAX_DIRS 16
#define PE_RELOC_BLOCK_HDR 8
#define IMAGE_REL_BASED_ABSOLUTE 0
#define IMAGE_REL_BASED_HIGHLOW 3
#define IMAGE_REL_BASED_DIR64 10

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* [off, off+n) inside a len-byte object, without overflow. */
static int fits(uint64_t off, uint64_t n, uint64_t len)
{
	return off <= len && n <= len - off;
}

static int fail(struct boot_image *out, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct boot_image *out, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tern_vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	out->kind = BOOT_IMAGE_NONE;
	return err;
}

/* ---- ELF ----------------------------------------------------------------------- */

static int check_elf(const uint8_t *img, size_t len, uint64_t mem_limit, struct boot_image *out)
{
	if (len < ELF32_EHDR_LEN)
		return fail(out, -TERN_EIO, "truncated: %zu bytes, shorter than the ELF header", len);
	bool is64 = img[4] == ELFCLASS64;
	if ((!is64 && img[4] != ELFCLASS32) || img[5] != ELFDATA2LSB)
		return fail(out, -TERN_ENOTSUP, "ELF: not a little-endian ELF32/ELF64 file");
	if (is64 && len < ELF64_EHDR_LEN)
		return fail(out, -TERN_EIO, "truncated: %zu bytes, shorter than the ELF header", len);
	if (rd16(img + 18) != (is64 ? EM_X86_64 : EM_386))
		return fail(out, -TERN_ENOTSUP, "ELF: machine %u is not x86", rd16(img + 18));
	uint64_t e_entry = is64 ? rd64(img + 24) : rd32(img + 24);
	uint64_t phoff = is64 ? rd64(img + 32) : rd32(img + 28);
	unsigned phentsize = rd16(img + (is64 ? 54 : 42));
	unsigned phnum = rd16(img + (is64 ? 56 : 44));
	if (phnum == 0 || phnum > ELF_MAX_PHDRS)
		return fail(out, -TERN_EINVAL, "ELF: %u program headers (1 to %u)", phnum, ELF_MAX_PHDRS);
	if (phentsize < (is64 ? ELF64_PHDR_LEN : ELF32_PHDR_LEN))
		return fail(out, -TERN_EINVAL, "ELF: program header size %u too small", phentsize);
	if (!fits(phoff, (uint64_t)phnum * phentsize, len))
		return fail(out, -TERN_EIO, "truncated: program headers at 0x%lx end beyond the file",
			    (unsigned long)phoff);

	bool entry_found = false;
	uint64_t top = 0;
	out->nsections = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
		if (rd32(ph) != PT_LOAD)
			continue;
		uint64_t off, vaddr, paddr, filesz, memsz;
		if (is64) {
			off = rd64(ph + 8);
			vaddr = rd64(ph + 16);
			paddr = rd64(ph + 24);
			filesz = rd64(ph + 32);
			memsz = rd64(ph + 40);
		} else {
			off = rd32(ph + 4);
			vaddr = rd32(ph + 8);
			paddr = rd32(ph + 12);
			filesz = rd32(ph + 16);
			memsz = rd32(ph + 20);
		}
		if (filesz > memsz)
			return fail(out, -TERN_EINVAL, "ELF: segment %u has filesz 0x%lx > memsz 0x%lx", i,
				    (unsigned long)filesz, (unsigned long)memsz);
		if (!fits(off, filesz, len))
			return fail(out, -TERN_EIO, "truncated: segment %u (0x%lx bytes at 0x%lx) beyond the file",
				    i, (unsigned long)filesz, (unsigned long)off);
		if (!fits(paddr, memsz, mem_limit))
			return fail(out, -TERN_E2BIG, "ELF: segment %u at 0x%lx+0x%lx beyond the 0x%lx bytes of memory",
				    i, (unsigned long)paddr, (unsigned long)memsz, (unsigned long)mem_limit);
		if (paddr + memsz > top)
			top = paddr + memsz;
		if (!entry_found && e_entry >= vaddr && e_entry - vaddr < memsz) {
			out->entry = e_entry - vaddr + paddr;
			entry_found = true;
		}
		out->nsections++;
	}
	if (!out->nsections)
		return fail(out, -TERN_EINVAL, "ELF: no loadable segment");
	if (!entry_found)
		return fail(out, -TERN_EINVAL, "ELF: entry 0x%lx is in no loadable segment",
			    (unsigned long)e_entry);
	out->kind = is64 ? BOOT_IMAGE_ELF64 : BOOT_IMAGE_ELF32;
	out->mem_size = top;
	return 0;
}

/* ---- PE32+ ---------------------------------------------------------------------- */

struct pe {
	const uint8_t *img;
	size_t len;
	const uint8_t *sections;
	unsigned nsections;
	uint32_t size_of_image;
};

/* File offset of [rva, rva+n) when it lies within one section's raw data. */
static bool pe_rva_to_file(const struct pe *pe, uint32_t rva, uint32_t n, uint64_t *file_off)
{
	for (unsigned i = 0; i < pe->nsections; i++) {
		const uint8_t *s = pe->sections + i * PE_SECTION_LEN;
		uint32_t va = rd32(s + 12), raw_size = rd32(s + 16), raw_ptr = rd32(s + 20);
		if (rva >= va && fits(rva - va, n, raw_size)) {
			*file_off = (uint64_t)raw_ptr + (rva - va);
			return true;
		}
	}
	return false;
}

static int pe_check_relocs(const struct pe *pe, uint32_t rva, uint32_t size, struct boot_image *out)
{
	uint64_t off;
	if (!pe_rva_to_file(pe, rva, size, &off))
		return fail(out, -TERN_EINVAL, "PE: relocation directory rva 0x%x+0x%x is not in a section's data",
			    rva, size);
	const uint8_t *p = pe->img + off;
	out->nrelocs = 0;
	for (uint32_t pos = 0; pos < size;) {
		if (size - pos < PE_RELOC_BLOCK_HDR)
			return fail(out, -TERN_EINVAL, "PE: relocation block at +0x%x is cut short", pos);
		uint32_t page = rd32(p + pos), bsize = rd32(p + pos + 4);
		if (bsize < PE_RELOC_BLOCK_HDR || bsize % 2 || bsize > size - pos)
			return fail(out, -TERN_EINVAL, "PE: relocation block at +0x%x has size 0x%x", pos, bsize);
		for (uint32_t e = PE_RELOC_BLOCK_HDR; e + 2 <= bsize; e += 2) {
			uint16_t ent = rd16(p + pos + e);
			unsigned type = ent >> 12, width;
			if (type == IMAGE_REL_BASED_ABSOLUTE)
				continue;               /* padding */
			else if (type == IMAGE_REL_BASED_DIR64)
				width = 8;
			else if (type == IMAGE_REL_BASED_HIGHLOW)
				width = 4;
			else
				return fail(out, -TERN_EINVAL, "PE: relocation type %u at page 0x%x", type, page);
			uint64_t target = (uint64_t)page + (ent & 0xfff);
			if (!fits(target, width, pe->size_of_image))
				return fail(out, -TERN_EINVAL, "PE: relocation entry at 0x%lx outside the image",
					    (unsigned long)target);
			out->nrelocs++;
		}
		pos += bsize;
	}
	return 0;
}

static int check_pe(const uint8_t *img, size_t len, uint64_t mem_limit, struct boot_image *out)
{
	if (len < MZ_LFANEW + 4)
		return fail(out, -TERN_EIO, "truncated: %zu bytes, shorter than the MS-DOS header", len);
	uint32_t pe_off = rd32(img + MZ_LFANEW);
	if (!fits(pe_off, 4 + COFF_HDR_LEN, len))
		return fail(out, -TERN_EIO, "truncated: PE header at 0x%x beyond the file", pe_off);
	if (rd32(img + pe_off) != PE_MAGIC)
		return fail(out, -TERN_ENOTSUP, "PE: no PE signature at 0x%x", pe_off);
	const uint8_t *coff = img + pe_off + 4;
	if (rd16(coff) != IMAGE_FILE_MACHINE_AMD64)
		return fail(out, -TERN_ENOTSUP, "PE: machine 0x%x is not x86-64", rd16(coff));
	unsigned nsect = rd16(coff + 2), opt_size = rd16(coff + 16);
	uint64_t opt_off = (uint64_t)pe_off + 4 + COFF_HDR_LEN;
	if (opt_size < PE32PLUS_OPT_FIXED)
		return fail(out, -TERN_EINVAL, "PE: optional header of %u bytes is too small", opt_size);
	if (!fits(opt_off, opt_size, len))
		return fail(out, -TERN_EIO, "truncated: optional header beyond the file");
	const uint8_t *opt = img + opt_off;
	if (rd16(opt) != PE32PLUS_MAGIC)
		return fail(out, -TERN_ENOTSUP, "PE: optional header magic 0x%x is not PE32+", rd16(opt));
	uint32_t entry = rd32(opt + 16), sect_align = rd32(opt + 32), file_align = rd32(opt + 36);
	uint32_t size_of_image = rd32(opt + 56), size_of_headers = rd32(opt + 60);
	uint32_t ndirs = rd32(opt + 108);
	if (!sect_align || (sect_align & (sect_align - 1)) || !file_align || (file_align & (file_align - 1)))
		return fail(out, -TERN_EINVAL, "PE: alignment 0x%x/0x%x is not a power of two", sect_align,
			    file_align);
	if (ndirs > PE_MAX_DIRS || PE32PLUS_OPT_FIXED + 8 * ndirs > opt_size)
		return fail(out, -TERN_EINVAL, "PE: %u data directories do not fit the optional header", ndirs);
	if (nsect == 0 || nsect > PE_MAX_SECTIONS)
		return fail(out, -TERN_EINVAL, "PE: %u sections (1 to %u)", nsect, PE_MAX_SECTIONS);
	uint64_t sect_off = opt_off + opt_size;
	if (!fits(sect_off, (uint64_t)nsect * PE_SECTION_LEN, len))
		return fail(out, -TERN_EIO, "truncated: section table beyond the file");
	if (size_of_headers < sect_off + (uint64_t)nsect * PE_SECTION_LEN || size_of_headers > len ||
	    size_of_headers > size_of_image)
		return fail(out, -TERN_EINVAL, "PE: SizeOfHeaders 0x%x does not cover the headers", size_of_headers);
	if (size_of_image > mem_limit)
		return fail(out, -TERN_E2BIG, "PE: SizeOfImage 0x%x beyond the 0x%lx bytes of memory",
			    size_of_image, (unsigned long)mem_limit);
	if (entry >= size_of_image)
		return fail(out, -TERN_EINVAL, "PE: entry point 0x%x outside the image", entry);

	struct pe pe = { img, len, img + sect_off, nsect, size_of_image };
	uint64_t prev_end = size_of_headers;
	for (unsigned i = 0; i < nsect; i++) {
		const uint8_t *s = pe.sections + i * PE_SECTION_LEN;
		uint32_t vsize = rd32(s + 8), va = rd32(s + 12), raw_size = rd32(s + 16), raw_ptr = rd32(s + 20);
		char name[9];
		tern_memcpy(name, s, 8);
		name[8] = 0;
		if (raw_size && !fits(raw_ptr, raw_size, len))
			return fail(out, -TERN_EIO, "truncated: section %u \"%s\" data 0x%x+0x%x beyond the file",
				    i, name, raw_ptr, raw_size);
		/* Sections are in ascending, non-overlapping address order (PE Format, Section Table). */
		if (va < prev_end)
			return fail(out, -TERN_EINVAL, "PE: section %u \"%s\" at rva 0x%x overlaps what precedes it",
				    i, name, va);
		if (!out->payload_len && raw_size &&
		    tern_memcmp(name, BOOT_IMAGE_PAYLOAD_SECTION, sizeof(BOOT_IMAGE_PAYLOAD_SECTION)) == 0) {
			out->payload_off = raw_ptr;
			out->payload_len = vsize && vsize < raw_size ? vsize : raw_size;
		}
		uint32_t span = vsize > raw_size ? vsize : raw_size;
		if (!fits(va, span, size_of_image))
			return fail(out, -TERN_EINVAL, "PE: section %u \"%s\" at rva 0x%x+0x%x beyond SizeOfImage 0x%x",
				    i, name, va, span, size_of_image);
		prev_end = (uint64_t)va + span;
	}
	for (unsigned d = 0; d < ndirs; d++) {
		uint32_t rva = rd32(opt + PE32PLUS_OPT_FIXED + 8 * d), size = rd32(opt + PE32PLUS_OPT_FIXED + 8 * d + 4);
		if (!size)
			continue;
		/* The certificate table is addressed by file offset (PE Format, "The Attribute Certificate Table"). */
		if (d == PE_DIR_SECURITY ? !fits(rva, size, len) : !fits(rva, size, size_of_image))
			return fail(out, -TERN_EINVAL, "PE: data directory %u at 0x%x+0x%x out of range", d, rva, size);
	}
	out->nrelocs = 0;
	if (ndirs > PE_DIR_BASERELOC) {
		uint32_t rva = rd32(opt + PE32PLUS_OPT_FIXED + 8 * PE_DIR_BASERELOC);
		uint32_t size = rd32(opt + PE32PLUS_OPT_FIXED + 8 * PE_DIR_BASERELOC + 4);
		if (size) {
			int ret = pe_check_relocs(&pe, rva, size, out);
			if (ret)
				return ret;
		}
	}
	out->kind = BOOT_IMAGE_PE32PLUS;
	out->entry = entry;
	out->mem_size = size_of_image;
	out->nsections = nsect;
	return 0;
}

int boot_image_check(const uint8_t *img, size_t len, uint64_t mem_limit, struct boot_image *out)
{
	tern_memset(out, 0, sizeof(*out));
	if (len == 0)
		return fail(out, -TERN_EIO, "truncated: the file is empty");
	if (len >= 4 && rd32(img) == ELF_MAGIC)
		return check_elf(img, len, mem_limit, out);
	if (len >= 2 && rd16(img) == MZ_MAGIC)
		return check_pe(img, len, mem_limit, out);
	return fail(out, -TERN_ENOTSUP, "neither an ELF nor a PE image");
}

const char *boot_image_kind_name(enum boot_image_kind kind)
{
	switch (kind) {
	case BOOT_IMAGE_ELF32: return "ELF32";
	case BOOT_IMAGE_ELF64: return "ELF64";
	case BOOT_IMAGE_PE32PLUS: return "PE32+";
	default: return "none";
	}
}
