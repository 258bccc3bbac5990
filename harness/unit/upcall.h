/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOREQ upcall as the Service VM sees it: a VCPU_REQ_UPCALL on its
 * vCPU 0 that, handled in that vCPU's context, makes the callback vector
 * pending in its vLAPIC's IRR (core/ioreq.c, request.c, intr.c): taken as
 * the CPU would (acknowledged, then EOI'd by the handler).
 */
#ifndef TERN_UNIT_UPCALL_H
#define TERN_UNIT_UPCALL_H

#include "intr.h"
#include "request.h"
#include "vm.h"
#include "lapic_util.h"

/* Run the Service VM vCPU 0's requests; the pending vector, taken out of the IRR, or -1. */
static inline int unit_take_upcall(struct vm *svm)
{
	struct vcpu *c = &svm->vcpus[0];
	/* The Service VM's kernel has its APIC enabled, as Linux does at boot. */
	unit_lapic_enable(c);
	if (!(c->requests & VCPU_REQ_UPCALL))
		return -1;
	vcpu_handle_requests(c);
	int vec = intr_highest_deliverable(c);
	if (vec >= 0) {
		struct vlapic_result res;
		vlapic_ack(&c->lapic, (uint8_t)vec);
		vlapic_mmio_write(&c->lapic, VLAPIC_EOI, 0, 0, &res);
	}
	return vec;
}

#endif
