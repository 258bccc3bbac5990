/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a Service VM kernel file is, decided from its headers before anything
 * loads it: an ELF multiboot kernel (ELF32 or ELF64, program headers) or a
 * PE32+ image (a Linux bzImage with its EFI stub, an EFI application). The
 * file comes from the ESP and is hostile: every size, offset and relocation
 * entry is checked against the file and the image, and a refusal says which
 * header lies, in words a console line can carry.
 */
#ifndef TERN_BOOT_IMAGE_H
#define TERN_BOOT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

enum boot_image_kind {
	BOOT_IMAGE_NONE,
	BOOT_IMAGE_ELF32,
	BOOT_IMAGE_ELF64,
	BOOT_IMAGE_PE32PLUS,
};

#define BOOT_IMAGE_WHY_LEN 96
/*
 * A PE32+ Service VM kernel that carries a multiboot kernel: the PE image
 * (which the firmware's db verifies through LoadImage, docs/boot.md) holds
 * the ELF file verbatim as the raw data of a section with this name.
 */
#define BOOT_IMAGE_PAYLOAD_SECTION ".mbkern"

struct boot_image {
	enum boot_image_kind kind;
	uint64_t entry;                 /* ELF: physical entry; PE: entry RVA */
	uint64_t mem_size;              /* ELF: end of the highest segment; PE: SizeOfImage */
	unsigned nsections;             /* ELF: PT_LOAD segments; PE: sections */
	unsigned nrelocs;               /* PE: base relocation entries checked */
	/* PE: the first BOOT_IMAGE_PAYLOAD_SECTION section's bytes in the file
	 * (VirtualSize of them when that is smaller than the raw data, which is
	 * padded to FileAlignment); payload_len 0 when there is none. */
	uint64_t payload_off, payload_len;
	char why[BOOT_IMAGE_WHY_LEN];   /* the problem, when the check fails */
};

/*
 * Check the headers of the len-byte file img. mem_limit is the memory the
 * kernel may occupy (ELF: highest physical end; PE: SizeOfImage).
 * 0, or -TERN_EINVAL (a header lies: sizes, offsets, relocations),
 * -TERN_E2BIG (larger than mem_limit), -TERN_ENOTSUP (neither ELF nor PE32+
 * for x86-64), -TERN_EIO (truncated: the headers need more than the file).
 * out->why names the problem on failure.
 */
int boot_image_check(const uint8_t *img, size_t len, uint64_t mem_limit, struct boot_image *out);

const char *boot_image_kind_name(enum boot_image_kind kind);

#endif
