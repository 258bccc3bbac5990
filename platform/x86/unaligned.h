/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Little-endian fields at any alignment in structures the firmware or the
 * loader wrote (multiboot1 puts 64-bit fields at offset 4, ACPI packs its
 * tables): read bytewise, never through a misaligned pointer.
 */
#ifndef TERN_X86_UNALIGNED_H
#define TERN_X86_UNALIGNED_H

#include <stdint.h>
#include "lib.h"

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	tern_memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	tern_memcpy(&v, p, sizeof(v));
	return v;
}

#endif
