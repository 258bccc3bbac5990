/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segmentation as the CPU applies it to a data access: segment offset to
 * linear address with the limit (SDM Vol. 3A 5.3) and type (5.4.1) checks,
 * the 64-bit mode rules (3.4.4: only FS and GS have a base; 3.3.7.1 in
 * Vol. 1: the address must be canonical). The instruction emulator and
 * INS/OUTS both use it.
 */
#ifndef TERN_SEGMENT_H
#define TERN_SEGMENT_H

#include <stdint.h>
#include <stdbool.h>
#include "err.h"
#include "guest_fault.h"
#include "vcpu.h"

/* Segment type bits (SDM Vol. 3A 3.4.5.1, Table 3-1). */
#define SEG_TYPE_RW     0x2u   /* writable (data) / readable (code) */
#define SEG_TYPE_EXPDN  0x4u   /* expand-down (data) */
#define SEG_TYPE_CODE   0x8u

/* The checks that apply: by the processor mode the access is made in. */
enum seg_mode {
	SEG_MODE_REAL,   /* real or virtual-8086 mode: the cached limit is the only check */
	SEG_MODE_PROT,   /* protected or compatibility mode: usability, type and limit */
	SEG_MODE_64,     /* 64-bit mode: FS/GS bases, canonical addresses */
};

/* Bits 63:@bit of @la all equal. */
static inline bool seg_canonical_from(uint64_t la, unsigned bit)
{
	return (uint64_t)((int64_t)la >> bit) + 1 <= 1;
}

/*
 * The @len bytes at @la are canonical: bits 63:47 equal, or 63:56 with
 * CR4.LA57 (SDM Vol. 1 3.3.7.1). A 48-bit canonical address is also
 * 57-bit canonical.
 */
static inline bool seg_canonical(uint64_t la, unsigned len, bool la57)
{
	unsigned bit = la57 ? 56 : 47;

	return seg_canonical_from(la, bit) && seg_canonical_from(la + len - 1, bit);
}

/* The fault a failed check raises: #SS(0) through SS, #GP(0) otherwise. -TERN_EFAULT. */
static inline int seg_fault(enum vcpu_seg seg, struct guest_fault *f)
{
	if (seg == VCPU_SS)
		guest_fault_ss0(f);
	else
		guest_fault_gp0(f);
	return -TERN_EFAULT;
}

/*
 * Linear address of @len bytes at offset @off in segment @seg (described
 * by @d), read or written. 0, or -TERN_EFAULT with @f set to #SS(0) for SS
 * and #GP(0) otherwise. @la57 matters in SEG_MODE_64 only.
 */
int seg_linearize(const struct seg_desc *d, enum vcpu_seg seg, enum seg_mode mode, bool la57,
		  uint64_t off, unsigned len, bool write, struct guest_fault *f, uint64_t *la);

#endif
