/* SPDX-License-Identifier: BSD-3-Clause */
#include "intr.h"
#include "err.h"
#include "exit.h"
#include "exit_handlers.h"
#include "retire.h"
#include "vcpu.h"
#include "x86.h"

void intr_reset(struct vcpu *vcpu)
{
	struct vcpu_intr *in = &vcpu->intr;
	for (unsigned i = 0; i < 4; i++)
		in->irr[i] = 0;
	in->nmi_pending = false;
	in->tpr = 0;
	in->halt_if = false;
	in->irq_window = false;
	in->nmi_window = false;
}

static void set_irr(struct vcpu_intr *in, uint8_t vector)
{
	in->irr[vector >> 6] |= 1ull << (vector & 63u);
}

static void wake(struct vcpu *vcpu)
{
	if (vcpu->state == VCPU_STATE_HALTED && intr_can_wake(vcpu))
		vcpu->state = VCPU_STATE_RUNNABLE;
}

int vcpu_queue_interrupt(struct vcpu *vcpu, uint8_t vector)
{
	if (vector < INTR_MIN_VECTOR)
		return -TERN_EINVAL;
	set_irr(&vcpu->intr, vector);
	wake(vcpu);
	return 0;
}

void vcpu_queue_nmi(struct vcpu *vcpu)
{
	vcpu->intr.nmi_pending = true;
	wake(vcpu);
}

void intr_requeue_vector(struct vcpu *vcpu, uint8_t vector)
{
	if (vector >= INTR_MIN_VECTOR)
		set_irr(&vcpu->intr, vector);
}

static int highest_set(const uint64_t irr[4])
{
	for (int w = 3; w >= 0; w--) {
		uint64_t bits = irr[w];
		if (!bits)
			continue;
		int b = 63;
		while (!((bits >> b) & 1u))
			b--;
		return w * 64 + b;
	}
	return -1;
}

int intr_highest_deliverable(const struct vcpu *vcpu)
{
	int v = highest_set(vcpu->intr.irr);
	/* SDM Vol. 3A 10.8.3.1: a vector is delivered only if its class exceeds the TPR. */
	if (v < 0 || (unsigned)(v >> 4) <= vcpu->intr.tpr)
		return -1;
	return v;
}

bool intr_can_wake(const struct vcpu *vcpu)
{
	/* HLT wakes on NMI always, on INTR only when RFLAGS.IF was set (SDM Vol. 2A HLT). */
	if (vcpu->intr.nmi_pending)
		return true;
	return vcpu->intr.halt_if && intr_highest_deliverable(vcpu) >= 0;
}

static void inject(struct vcpu *vcpu, uint8_t type, uint8_t vector)
{
	vcpu->event.valid = true;
	vcpu->event.type = type;
	vcpu->event.vector = vector;
	vcpu->event.has_error = false;
	vcpu->event.error_code = 0;
	vcpu->event.instr_len = 0;
}

void intr_inject_pending(struct vcpu *vcpu)
{
	struct vcpu_intr *in = &vcpu->intr;
	int vec = intr_highest_deliverable(vcpu);

	in->irq_window = false;
	in->nmi_window = false;
	if (!in->nmi_pending && vec < 0)
		return;

	uint64_t state = vcpu_get_reg(vcpu, VCPU_INTERRUPTIBILITY);
	/*
	 * A single-step trap queued by retirement comes first: it has the
	 * priority of "traps on the previous instruction", above NMIs and
	 * interrupts, and an entry that injected one of those would discard
	 * it (SDM Vol. 3A 6.9 Table 6-2; Vol. 3C 27.7.3). The window exits
	 * that bring them in follow the #DB's delivery (27.7.3 again).
	 */
	bool trap = vcpu_step_trap_pending(vcpu);
	if (in->nmi_pending) {
		/*
		 * NMI: not while NMIs are blocked (an NMI handler runs until
		 * IRET) nor in an STI/MOV-SS shadow (SDM Vol. 3C 26.3.1.5 and
		 * 24.4.2); nor while another event occupies the injection slot.
		 */
		if (!vcpu->event.valid && !trap &&
		    !(state & (INTR_STATE_STI | INTR_STATE_MOV_SS | INTR_STATE_NMI))) {
			inject(vcpu, INTR_TYPE_NMI, X86_NMI);
			in->nmi_pending = false;
		} else {
			in->nmi_window = true;
		}
	}
	if (vec < 0)
		return;
	/* External interrupts need RFLAGS.IF = 1 and no STI/MOV-SS blocking (SDM 6.8.1, 6.8.3). */
	if (!vcpu->event.valid && !trap && (vcpu_get_reg(vcpu, VCPU_RFLAGS) & X86_RFLAGS_IF) &&
	    !(state & (INTR_STATE_STI | INTR_STATE_MOV_SS))) {
		inject(vcpu, INTR_TYPE_EXT_INT, (uint8_t)vec);
		in->irr[vec >> 6] &= ~(1ull << (vec & 63));
	} else {
		in->irq_window = true;
	}
}

/*
 * Interrupt-window exit (SDM Vol. 3C 25.6.2, 26.2): the guest can now take
 * an external interrupt. No instruction ran, RIP stays.
 */
enum exit_action intr_window_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	(void)ex;
	intr_inject_pending(vcpu);
	return EXIT_ACTION_RESUME;
}

/* NMI-window exit: NMIs are no longer blocked. */
enum exit_action nmi_window_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	(void)ex;
	intr_inject_pending(vcpu);
	return EXIT_ACTION_RESUME;
}
