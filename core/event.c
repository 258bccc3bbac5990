/* SPDX-License-Identifier: BSD-3-Clause */
#include "event.h"
#include "exit.h"
#include "exit_dispatch.h"
#include "intr.h"
#include "vm.h"
#include "x86.h"

bool event_vector_has_error(uint8_t vector)
{
	switch (vector) {
	case X86_DF: case X86_TS: case X86_NP: case X86_SS:
	case X86_GP: case X86_PF: case X86_AC: case X86_CP:
		return true;
	default:
		return false;
	}
}

enum fault_class { CLASS_BENIGN, CLASS_CONTRIBUTORY, CLASS_PAGE_FAULT, CLASS_DOUBLE_FAULT };

/* SDM Vol. 3A Table 6-4. */
static enum fault_class classify(uint8_t vector)
{
	switch (vector) {
	case X86_DE: case X86_TS: case X86_NP: case X86_SS: case X86_GP:
		return CLASS_CONTRIBUTORY;
	case X86_PF:
		return CLASS_PAGE_FAULT;
	case X86_DF:
		return CLASS_DOUBLE_FAULT;
	default:
		return CLASS_BENIGN;
	}
}

static void queue(struct vcpu *vcpu, uint8_t vector, bool has_error, uint32_t error_code)
{
	vcpu->event.valid = true;
	vcpu->event.vector = vector;
	vcpu->event.type = INTR_TYPE_HW_EXCEPTION;
	vcpu->event.has_error = has_error;
	vcpu->event.error_code = has_error ? error_code : 0;
	vcpu->event.instr_len = 0;
}

bool vcpu_inject_fault(struct vcpu *vcpu, uint8_t vector, bool has_error, uint32_t error_code)
{
	struct vcpu_event *prev = &vcpu->event;

	/*
	 * An exception raised while another kind of event occupies the slot
	 * (an external interrupt or NMI re-queued from IDT-vectoring) is
	 * handled serially (SDM Vol. 3A 6.15, Table 6-5 treats interrupts as
	 * benign): the exception goes first, the interrupt or NMI stays
	 * pending and is delivered afterwards. A software interrupt or
	 * software exception is not kept: RIP still points at its
	 * instruction, which runs again after the fault is handled.
	 */
	if (prev->valid && prev->type == INTR_TYPE_EXT_INT)
		intr_requeue_vector(vcpu, prev->vector);
	else if (prev->valid && prev->type == INTR_TYPE_NMI)
		vcpu->intr.nmi_pending = true;

	if (prev->valid && prev->type == INTR_TYPE_HW_EXCEPTION) {
		enum fault_class first = classify(prev->vector);
		enum fault_class second = classify(vector);
		if (first == CLASS_DOUBLE_FAULT &&
		    (second == CLASS_CONTRIBUTORY || second == CLASS_PAGE_FAULT)) {
			prev->valid = false;
			return true; /* SDM 6.15, interrupt 8: shutdown */
		}
		if ((first == CLASS_CONTRIBUTORY && second == CLASS_CONTRIBUTORY) ||
		    (first == CLASS_PAGE_FAULT &&
		     (second == CLASS_CONTRIBUTORY || second == CLASS_PAGE_FAULT))) {
			queue(vcpu, X86_DF, true, 0);
			return false;
		}
	}
	/*
	 * Benign combinations are handled serially: the new exception is
	 * delivered and the earlier event recurs when the guest re-executes.
	 */
	queue(vcpu, vector, has_error, error_code);
	return false;
}

bool vcpu_inject_ud(struct vcpu *vcpu)
{
	return vcpu_inject_fault(vcpu, X86_UD, false, 0);
}

bool vcpu_inject_gp0(struct vcpu *vcpu)
{
	return vcpu_inject_fault(vcpu, X86_GP, true, 0);
}

bool vcpu_inject_pf(struct vcpu *vcpu, uint64_t cr2, uint32_t error_code)
{
	bool triple = vcpu_inject_fault(vcpu, X86_PF, true, error_code);
	if (!triple)
		vcpu_set_reg(vcpu, VCPU_CR2, cr2);
	return triple;
}

void vcpu_requeue_vectoring(struct vcpu *vcpu, uint32_t info, uint32_t error_code, uint32_t instr_len)
{
	if (!intr_info_valid(info))
		return;
	vcpu->event.valid = true;
	vcpu->event.vector = intr_info_vector(info);
	vcpu->event.type = (uint8_t)intr_info_type(info);
	vcpu->event.has_error = intr_info_has_error(info);
	vcpu->event.error_code = vcpu->event.has_error ? error_code : 0;
	/* Software events need the instruction length for re-delivery (SDM 26.6.1.3). */
	vcpu->event.instr_len = instr_len;
}

int event_reflect(struct vcpu *vcpu, const struct guest_fault *fault)
{
	bool triple;

	if (!fault->valid)
		return EXIT_ACTION_RESUME;
	if (fault->vector == X86_PF)
		triple = vcpu_inject_pf(vcpu, fault->cr2, fault->error_code);
	else
		triple = vcpu_inject_fault(vcpu, fault->vector, fault->has_error, fault->error_code);
	return triple ? vm_triple_fault(vcpu->vm) : EXIT_ACTION_RESUME;
}
