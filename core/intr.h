/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pending interrupts of a vCPU and their injection (SDM Vol. 3A 6.8-6.9,
 * 10.8; Vol. 3C 26.6 "Event injection", 25.6.2 window exiting).
 *
 * One interrupt path: the external interrupts a vCPU takes are its vLAPIC's
 * (vcpu->lapic: IRR above the PPR, highest first, vlapic_pending_vector /
 * vlapic_ack) and, on vCPU 0, the vPIC's INTR through LINT0 in
 * virtual-wire mode (LVT LINT0 = ExtINT) or directly while the vLAPIC is
 * hardware-disabled; the vector then comes from the PIC's INTA cycle
 * (vpic_intack) at injection. NMIs are a flag here. vcpu_pre_entry()
 * injects the highest-priority event the guest can take now, or asks the
 * platform for a window exit.
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

/* intr_highest_deliverable(): the PIC's INTR (ExtINT), vector known only at INTA. */
#define INTR_EXTINT (-2)

struct vcpu_intr {
	bool nmi_pending;
	/* An ExtINT vector taken from the PIC whose delivery was displaced by an exception. */
	bool extint_requeued;
	uint8_t extint_vector;
	bool halt_if;        /* RFLAGS.IF when the vCPU executed HLT */
	/*
	 * Requests to the platform for the next VM entry (see exit_dispatch.h):
	 * set "interrupt-window exiting" / "NMI-window exiting" in the primary
	 * processor-based controls while these are true, clear them otherwise.
	 */
	bool irq_window;
	bool nmi_window;
	/*
	 * APIC virtualization (vmx_controls.h: vmxc_apic_virt), decided at
	 * vCPU creation. Then, for every entry: the platform writes
	 * tpr_threshold into the TPR-threshold field (SDM 29.1.2: the class of
	 * an interrupt the guest's TPR holds back, vlapic_tpr_threshold) and
	 * sets "virtualize APIC accesses" (a dynamic secondary control) iff
	 * apic_access: the vLAPIC is in xAPIC mode at its default base, where
	 * the platform's APIC-access page is (elsewhere the page is not the
	 * APIC's: EPT violations reach the vLAPIC through mmio.c as before).
	 */
	bool tpr_shadow;
	bool apic_access;
	uint8_t tpr_threshold;
};

void intr_reset(struct vcpu *vcpu);
/*
 * A fixed, edge-triggered interrupt `vector` to this vCPU's own vLAPIC (as
 * a message it accepts: SDM 10.6); wakes a halted vCPU that can take it.
 * -TERN_EINVAL for vectors below 16, -TERN_ENODEV when the vLAPIC does not
 * accept it (hardware- or software-disabled, SDM 10.4.7.2).
 * @pre called in the vCPU's own context (others use vm_irq_deliver).
 */
int vcpu_queue_interrupt(struct vcpu *vcpu, uint8_t vector);
/* Make an NMI pending; wakes a halted vCPU. */
void vcpu_queue_nmi(struct vcpu *vcpu);
/*
 * What the vCPU would take next: the vLAPIC's highest IRR vector above the
 * PPR, INTR_EXTINT for the PIC's INTR (vCPU 0), or -1.
 */
int intr_highest_deliverable(const struct vcpu *vcpu);
/* True when a halted vCPU has something to wake up for. */
bool intr_can_wake(const struct vcpu *vcpu);
/*
 * Inject the highest-priority pending event the guest can take now (NMI
 * before external interrupts, SDM Vol. 3A Table 6-2), unless an event is
 * already queued; set the window requests for what must wait.
 */
void intr_inject_pending(struct vcpu *vcpu);
/*
 * An external interrupt whose delivery was displaced by an exception is
 * pending again (SDM 6.15: serial handling): back from the vLAPIC's ISR to
 * its IRR, or, for a PIC vector not in the ISR, injected before anything
 * else of lower priority.
 */
void intr_requeue_vector(struct vcpu *vcpu, uint8_t vector);
/* A halted vCPU that can take what is pending becomes runnable (under its sched_lock). */
void intr_wake(struct vcpu *vcpu);

#endif
