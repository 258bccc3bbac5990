/* SPDX-License-Identifier: BSD-3-Clause */
#include "intr.h"
#include "atomic.h"
#include "err.h"
#include "exit.h"
#include "exit_handlers.h"
#include "retire.h"
#include "vcpu.h"
#include "vm.h"
#include "vmx_controls.h"
#include "x86.h"

void intr_reset(struct vcpu *vcpu)
{
	struct vcpu_intr *in = &vcpu->intr;
	in->nmi_pending = false;
	in->extint_requeued = false;
	in->extint_vector = 0;
	in->halt_if = false;
	in->irq_window = false;
	in->nmi_window = false;
	in->tpr_shadow = vmxc_apic_virt();
	in->apic_access = false;
	in->tpr_threshold = 0;
}

/*
 * The per-entry APIC-virtualization state (intr.h), before the injection
 * decision; `vec` is what the vCPU can take now. A threshold is needed only
 * when nothing is deliverable and the TPR is above class 0 (else it could
 * hold nothing back): an injected or window-waiting interrupt, or one held
 * by the ISR, brings another exit (injection, window, EOI) that looks again.
 */
static inline void apic_virt_entry(struct vcpu *vcpu, int vec)
{
	const struct vlapic *l = &vcpu->lapic;
	/* Enabled, not x2APIC, at the default base: one compare (SDM 10.4.4 IA32_APIC_BASE). */
	const uint64_t mode = ~0xfffull | VLAPIC_BASE_EN | VLAPIC_BASE_EXTD;
	vcpu->intr.apic_access = (l->apic_base & mode) == (VLAPIC_BASE_ADDR_DEFAULT | VLAPIC_BASE_EN);
	vcpu->intr.tpr_threshold = 0;
	if (vec == -1 && vlapic_reg_get(l, VLAPIC_TPR) >= VLAPIC_TPR_CLASS1)
		vcpu->intr.tpr_threshold = (uint8_t)vlapic_tpr_threshold(l);
}

void intr_wake(struct vcpu *vcpu)
{
	/* Unlocked first look: the common case (running) takes no lock. */
	if (__atomic_load_n(&vcpu->state, __ATOMIC_RELAXED) != VCPU_STATE_HALTED &&
	    __atomic_load_n(&vcpu->state, __ATOMIC_RELAXED) != VCPU_STATE_PAUSED)
		return;
	if (!intr_can_wake(vcpu))
		return;
	tern_lock(&vcpu->sched_lock);
	enum vcpu_state *s = vcpu->state == VCPU_STATE_PAUSED ? &vcpu->paused_state : &vcpu->state;
	if (*s == VCPU_STATE_HALTED)
		*s = VCPU_STATE_RUNNABLE;
	tern_unlock(&vcpu->sched_lock);
}

int vcpu_queue_interrupt(struct vcpu *vcpu, uint8_t vector)
{
	if (vector < INTR_MIN_VECTOR)
		return -TERN_EINVAL;
	const struct vlapic_msg msg = { .vector = vector, .delivery = VLAPIC_DM_FIXED,
					.dest = vcpu->lapic.apic_id, .src = (uint8_t)vcpu->id };
	if (vlapic_accept(&vcpu->lapic, &msg) != VLAPIC_EV_IRR)
		return -TERN_ENODEV;
	intr_wake(vcpu);
	return 0;
}

void vcpu_queue_nmi(struct vcpu *vcpu)
{
	vcpu->intr.nmi_pending = true;
	intr_wake(vcpu);
}

void intr_requeue_vector(struct vcpu *vcpu, uint8_t vector)
{
	if (vector < INTR_MIN_VECTOR)
		return;
	/* The vLAPIC's vector is in its ISR since its acknowledgement: back to IRR. */
	if (vlapic_vec_test(&vcpu->lapic, VLAPIC_ISR0, vector)) {
		vlapic_unack(&vcpu->lapic, vector);
		return;
	}
	/* Else the PIC gave it at INTA (its ISR holds it): deliver that vector, no new INTA. */
	vcpu->intr.extint_requeued = true;
	vcpu->intr.extint_vector = vector;
}

/*
 * The PIC's INTR reaches vCPU 0 (the BSP) through LINT0 when LVT LINT0 is
 * ExtINT (virtual-wire mode, MP spec 3.6.2.2) or directly when the vLAPIC
 * is hardware-disabled (SDM 10.4.3: the CPU then takes INTR itself).
 */
static bool pic_intr(const struct vcpu *vcpu)
{
	if (vcpu->id != 0)
		return false;
	const struct vlapic *l = &vcpu->lapic;
	if (vlapic_hw_enabled(l) && !vlapic_lint0_extint(l))
		return false;
	struct vm *vm = vcpu->vm;
	tern_lock(&vm->irq_lock);
	bool out = vpic_output(&vm->pic);
	tern_unlock(&vm->irq_lock);
	return out;
}

int intr_highest_deliverable(const struct vcpu *vcpu)
{
	/* ExtINT is not subject to the TPR/PPR (SDM 10.8.3.1 covers fixed vectors only). */
	if (vcpu->intr.extint_requeued)
		return vcpu->intr.extint_vector;
	if (pic_intr(vcpu))
		return INTR_EXTINT;
	return vlapic_pending_vector(&vcpu->lapic);
}

bool intr_can_wake(const struct vcpu *vcpu)
{
	/* HLT wakes on NMI always, on INTR only when RFLAGS.IF was set (SDM Vol. 2A HLT). */
	if (vcpu->intr.nmi_pending)
		return true;
	return vcpu->intr.halt_if && intr_highest_deliverable(vcpu) != -1;
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

/* The CPU takes the interrupt: INTA of the PIC, or the vLAPIC's IRR -> ISR. */
static uint8_t acknowledge(struct vcpu *vcpu, int vec)
{
	struct vcpu_intr *in = &vcpu->intr;
	if (in->extint_requeued) {
		in->extint_requeued = false;
		return in->extint_vector;
	}
	if (vec == INTR_EXTINT) {
		struct vm *vm = vcpu->vm;
		tern_lock(&vm->irq_lock);
		uint8_t v = vpic_intack(&vm->pic);
		tern_unlock(&vm->irq_lock);
		return v;
	}
	(void)vlapic_ack(&vcpu->lapic, (uint8_t)vec);
	return (uint8_t)vec;
}

void intr_inject_pending(struct vcpu *vcpu)
{
	struct vcpu_intr *in = &vcpu->intr;
	int vec = intr_highest_deliverable(vcpu);

	if (in->tpr_shadow)
		apic_virt_entry(vcpu, vec);
	in->irq_window = false;
	in->nmi_window = false;
	if (!in->nmi_pending && vec == -1)
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
	if (vec == -1)
		return;
	/* External interrupts need RFLAGS.IF = 1 and no STI/MOV-SS blocking (SDM 6.8.1, 6.8.3). */
	if (!vcpu->event.valid && !trap && (vcpu_get_reg(vcpu, VCPU_RFLAGS) & X86_RFLAGS_IF) &&
	    !(state & (INTR_STATE_STI | INTR_STATE_MOV_SS))) {
		inject(vcpu, INTR_TYPE_EXT_INT, acknowledge(vcpu, vec));
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
