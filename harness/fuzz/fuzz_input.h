/* SPDX-License-Identifier: BSD-3-Clause */
/* The fuzz input as a stream of little-endian values; reads past its end give 0. */
#ifndef TERN_FUZZ_INPUT_H
#define TERN_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct input {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t byte(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static inline uint64_t take_le(struct input *in, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)byte(in) << (8 * i);
	return v;
}

static inline uint32_t u32(struct input *in) { return (uint32_t)take_le(in, 4); }
static inline uint64_t u64(struct input *in) { return take_le(in, 8); }

#endif
