/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the Service VM kernel header checks the EFI entry uses (PE32+ and
 * ELF, core/boot_image.c): any file gives 0 or an error with a message,
 * never a crash or a read outside the file; an accepted file keeps the
 * promises boot_image.h makes (within the memory limit, entry inside, a
 * .mbkern payload inside the file).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "boot_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so ASan sees any read past the end. */
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct boot_image bi;
	/* The first byte picks a memory limit: small limits reach the E2BIG paths. */
	uint64_t limit = size ? (uint64_t)1 << (12 + data[0] % 24) : 1u << 20;
	int ret = boot_image_check(copy, size, limit, &bi);
	if (memchr(bi.why, 0, sizeof(bi.why)) == NULL)
		abort();
	if (ret) {
		if (bi.why[0] == 0 || bi.kind != BOOT_IMAGE_NONE)
			abort();
	} else {
		if (bi.kind == BOOT_IMAGE_NONE || bi.mem_size > limit)
			abort();
		if (bi.kind == BOOT_IMAGE_PE32PLUS ? bi.entry >= bi.mem_size : bi.entry >= limit)
			abort();
		/* A .mbkern payload (the multiboot kernel a PE carries) lies inside the file,
		 * and is itself checked as a kernel the way tern.efi does. */
		if (bi.payload_len) {
			if (bi.kind != BOOT_IMAGE_PE32PLUS || bi.payload_off > size ||
			    bi.payload_len > size - bi.payload_off)
				abort();
			struct boot_image inner;
			(void)boot_image_check(copy + bi.payload_off, bi.payload_len, limit, &inner);
		}
	}
	free(copy);
	return 0;
}
