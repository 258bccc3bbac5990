/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pending interrupts of a vCPU and their injection (SDM Vol. 3A 6.8-6.9,
 * Vol. 3C 26.6 "Event injection", 25.6.2 window exiting).
 *
 * Until Tern has a virtual LAPIC, this is the model: a bitmap of pending
 * external-interrupt vectors (the IRR), a pending NMI, and the task
 * priority (CR8). vcpu_pre_entry() injects the highest-priority event the
 * guest can take now, or asks the platform for a window exit.
 */
#ifndef TERN_INTR_H
#define TERN_INTR_H

#include <stdint.h>
#include <stdbool.h>

struct vcpu;

/* Vectors 0-15 are not valid for external interrupts (SDM Vol. 3A 10.5.2, 6.2). */
#define INTR_MIN_VECTOR 16

/* Guest interruptibility state bits, SDM Vol. 3C Table 24-3. */
#define INTR_STATE_STI (1u << 0)
#define INTR_STATE_MOV_SS (1u << 1)
#define INTR_STATE_SMI (1u << 2)
#define INTR_STATE_NMI (1u << 3)

struct vcpu_intr {
	uint64_t irr[4];     /* pending external-interrupt vectors, bit per vector */
	bool nmi_pending;
	uint8_t tpr;         /* task priority, CR8[3:0] (SDM Vol. 3A 10.8.6.1) */
	bool halt_if;        /* RFLAGS.IF when the vCPU executed HLT */
	/*
	 * Requests to the platform for the next VM entry (see exit_dispatch.h):
	 * set "interrupt-window exiting" / "NMI-window exiting" in the primary
	 * processor-based controls while these are true, clear them otherwise.
	 */
	bool irq_window;
	bool nmi_window;
};

void intr_reset(struct vcpu *vcpu);
/*
 * Make external interrupt `vector` pending; wakes a halted vCPU that can
 * take it. -TERN_EINVAL for vectors below 16.
 * @pre the caller serialises access to the vCPU (the platform's job).
 */
int vcpu_queue_interrupt(struct vcpu *vcpu, uint8_t vector);
/* Make an NMI pending; wakes a halted vCPU. */
void vcpu_queue_nmi(struct vcpu *vcpu);
/* Highest pending vector whose priority class is above the TPR, or -1. */
int intr_highest_deliverable(const struct vcpu *vcpu);
/* True when a halted vCPU has something to wake up for. */
bool intr_can_wake(const struct vcpu *vcpu);
/*
 * Inject the highest-priority pending event the guest can take now (NMI
 * before external interrupts, SDM Vol. 3A Table 6-2), unless an event is
 * already queued; set the window requests for what must wait.
 */
void intr_inject_pending(struct vcpu *vcpu);
/* An interrupted external interrupt goes back to the IRR (SDM 6.15 serial). */
void intr_requeue_vector(struct vcpu *vcpu, uint8_t vector);

#endif
