/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOREQ upcall as the Service VM sees it: a VCPU_REQ_UPCALL on its
 * vCPU 0 that, handled in that vCPU's context, makes the callback vector
 * pending in its IRR (core/ioreq.c, request.c, intr.c).
 */
#ifndef TERN_UNIT_UPCALL_H
#define TERN_UNIT_UPCALL_H

#include "intr.h"
#include "request.h"
#include "vm.h"

/* Run the Service VM vCPU 0's requests; the pending vector, taken out of the IRR, or -1. */
static inline int unit_take_upcall(struct vm *svm)
{
	struct vcpu *c = &svm->vcpus[0];
	if (!(c->requests & VCPU_REQ_UPCALL))
		return -1;
	vcpu_handle_requests(c);
	int vec = intr_highest_deliverable(c);
	if (vec >= 0)
		c->intr.irr[vec / 64] &= ~(1ull << (vec % 64));
	return vec;
}

#endif
