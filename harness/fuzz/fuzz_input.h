/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fuzz input consumed byte by byte: past its end every byte reads 0, so
 * that a short input is a valid (if dull) sequence of operations.
 */
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

#endif
