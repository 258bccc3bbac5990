/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Little-endian fields of loader and firmware structures, read bytewise:
 * they are only 4-byte aligned in places (multiboot1 memory map entries,
 * ACPI's XSDT entries at offset 36), so a direct 64-bit load would be
 * misaligned.
 */
#ifndef TERN_X86_LE_H
#define TERN_X86_LE_H

#include <stdint.h>
#include "lib.h"

static inline uint32_t le_rd32(const uint8_t *p)
{
	uint32_t v;
	tern_memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t le_rd64(const uint8_t *p)
{
	uint64_t v;
	tern_memcpy(&v, p, sizeof(v));
	return v;
}

#endif
