/* SPDX-License-Identifier: BSD-3-Clause */
#include "segment.h"

int seg_linearize(const struct seg_desc *d, enum vcpu_seg seg, enum seg_mode mode, bool la57,
		  uint64_t off, unsigned len, bool write, struct guest_fault *f, uint64_t *la)
{
	uint64_t last = off + len - 1;

	if (mode == SEG_MODE_64) {
		/* Only FS and GS have a base in 64-bit mode (SDM Vol. 3A 3.4.4). */
		*la = (seg == VCPU_FS || seg == VCPU_GS) ? d->base + off : off;
		return seg_canonical(*la, len, la57) ? 0 : seg_fault(seg, f);
	}
	if (mode == SEG_MODE_REAL) {
		if (last > d->limit)
			return seg_fault(seg, f);
	} else {
		unsigned type = seg_ar_type(d->ar);

		if (seg_ar_unusable(d->ar))
			return seg_fault(seg, f);
		if (type & SEG_TYPE_CODE) {
			/* Code segments are never writable; execute-only is not readable. */
			if (write || !(type & SEG_TYPE_RW))
				return seg_fault(seg, f);
		} else if (write && !(type & SEG_TYPE_RW)) {
			return seg_fault(seg, f);
		}
		if (!(type & SEG_TYPE_CODE) && (type & SEG_TYPE_EXPDN)) {
			/* Expand-down: valid offsets are above the limit, up to 64 KiB or 4 GiB. */
			uint64_t upper = seg_ar_db(d->ar) ? 0xffffffffull : 0xffffull;

			if (off <= d->limit || last > upper)
				return seg_fault(seg, f);
		} else if (last > d->limit) {
			return seg_fault(seg, f);
		}
	}
	*la = (d->base + off) & 0xffffffffull;
	return 0;
}
