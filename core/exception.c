/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exits for exceptions, NMIs and external interrupts (SDM Vol. 3C 26.2,
 * 27.2.2 "Information for VM Exits Due to Vectored Events").
 *
 * Tern's exception bitmap (exit_dispatch.h, EXIT_EXCEPTION_BITMAP):
 *   #AC  intercepted and reflected: a guest whose #AC handler itself
 *        faults with #AC would otherwise loop inside event delivery and
 *        never let the CPU take a VM exit (the "benign exception during
 *        delivery" hang, CVE-2015-5307);
 *   #MC  intercepted: a machine check in guest context stops the VM and
 *        is reported (the platform's machine-check handling runs as well).
 * NMIs exit ("NMI exiting"): they are the host's. External interrupts exit
 * ("external-interrupt exiting" with "acknowledge interrupt on exit", both in
 * core's control set, vmx_controls.c): they are the host's too. The CPU has
 * acknowledged the interrupt controller as part of the exit, so the record
 * always carries the vector (SDM Vol. 3C 28.2.2); the platform completes the
 * host's side of it (x86: EOI at the 8259 that raised it, run.c) before core
 * sees the exit. Core has no device of its own behind a host vector yet.
 */
#include "event.h"
#include "exit_handlers.h"
#include "intr.h"
#include "log.h"
#include "vm.h"
#include "x86.h"

enum exit_action exception_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint32_t info = ex->intr_info;
	struct vm *vm = vcpu->vm;

	if (!intr_info_valid(info)) {
		vm_stop(vm, VM_STOP_INTERNAL, EXIT_REASON_EXCEPTION_NMI);
		return EXIT_ACTION_STOP;
	}
	if (intr_info_type(info) == INTR_TYPE_NMI)
		return EXIT_ACTION_RESUME; /* the host's NMI: nothing changes for the guest */

	uint8_t vector = intr_info_vector(info);
	/*
	 * SDM Vol. 3C 27.2.3: a fault during an IRET that unblocked NMIs
	 * leaves them unblocked; the guest must see the blocking again.
	 */
	if ((info & INTR_INFO_NMI_UNBLOCK_IRET) && vector != X86_DF)
		vcpu_set_reg(vcpu, VCPU_INTERRUPTIBILITY,
			     vcpu_get_reg(vcpu, VCPU_INTERRUPTIBILITY) | INTR_STATE_NMI);

	if (intr_info_type(info) == INTR_TYPE_HW_EXCEPTION && vector == X86_AC) {
		/* Reflected as it happened; combines with an interrupted event per SDM 6.15. */
		if (vcpu_inject_fault(vcpu, X86_AC, true, ex->intr_error))
			return (enum exit_action)vm_triple_fault(vm);
		return EXIT_ACTION_RESUME;
	}
	if (intr_info_type(info) == INTR_TYPE_HW_EXCEPTION && vector == X86_MC) {
		log_err("vm%u vcpu%u: machine check in guest context", vm->id, vcpu->id);
		vm_stop(vm, VM_STOP_INTERNAL, X86_MC);
		return EXIT_ACTION_STOP;
	}
	/* Not in the exception bitmap: cannot happen; reported with the vector. */
	log_err("vm%u vcpu%u: exception exit for vector %u type %u, not intercepted", vm->id,
		vcpu->id, vector, intr_info_type(info));
	vm_stop(vm, VM_STOP_UNEXPECTED_EXIT, EXIT_REASON_EXCEPTION_NMI);
	return EXIT_ACTION_STOP;
}

/*
 * The host's interrupt; the guest resumes where it was. With "acknowledge
 * interrupt on exit" the interruption information is valid with type
 * external interrupt (SDM Vol. 3C 28.2.2); anything else means the controls
 * in force are not core's, which is reported instead of guessed around.
 */
enum exit_action extint_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint32_t info = ex->intr_info;

	if (!intr_info_valid(info) || intr_info_type(info) != INTR_TYPE_EXT_INT) {
		log_err("vm%u vcpu%u: external-interrupt exit without an acknowledged vector (info 0x%x)",
			vcpu->vm->id, vcpu->id, info);
		vm_stop(vcpu->vm, VM_STOP_INTERNAL, EXIT_REASON_EXTERNAL_INTERRUPT);
		return EXIT_ACTION_STOP;
	}
	return EXIT_ACTION_RESUME;
}
