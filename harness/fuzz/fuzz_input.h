/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading a fuzzer's input as a stream of operations: bytes, then zeros once it runs out. */
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

/* Eight bytes, little-endian. */
static inline uint64_t u64(struct input *in)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)byte(in) << (8 * i);
	return v;
}

#endif
