/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helpers for the vLAPIC as a guest kernel sets it up: software-enabled
 * through its SVR (SDM 10.4.7.2: a software-disabled APIC accepts no fixed
 * interrupts, and every APIC is so after reset).
 */
#ifndef TERN_UNIT_LAPIC_UTIL_H
#define TERN_UNIT_LAPIC_UTIL_H

#include "vcpu.h"
#include "vlapic.h"

static inline void unit_lapic_enable(struct vcpu *v)
{
	struct vlapic_result res;
	vlapic_mmio_write(&v->lapic, VLAPIC_SVR, VLAPIC_SVR_ENABLE | 0xffu, 0, &res);
}

/* vcpu_queue_interrupt on a vCPU whose kernel enabled its APIC. */
static inline int unit_queue_interrupt(struct vcpu *v, uint8_t vector)
{
	if (!vlapic_sw_enabled(&v->lapic))
		unit_lapic_enable(v);
	return vcpu_queue_interrupt(v, vector);
}

/* The TPR as CR8 sets it (TPR[7:4], SDM 10.8.6.1). */
static inline void unit_set_cr8(struct vcpu *v, unsigned cr8)
{
	vlapic_cr8_write(&v->lapic, cr8);
}

#endif
