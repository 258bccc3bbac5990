/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address ranges as the VM's device registries keep them (pio.c, mmio.c)
 * and the one overlap rule both apply: half-open [base, base + size),
 * no wrap past 2^64 (the callers refuse a wrapping range before asking).
 */
#ifndef TERN_RANGE_H
#define TERN_RANGE_H

#include <stdint.h>
#include <stdbool.h>

static inline bool range_overlaps(uint64_t a, uint64_t asize, uint64_t b, uint64_t bsize)
{
	return a < b + bsize && b < a + asize;
}

#endif
