/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EPT-violation and EPT-misconfiguration exits (SDM Vol. 3C 29.3.3).
 * The exit is classified against the VM's current map (ept_classify_exit):
 *   spurious       the map already permits the access (changed since the
 *                  vCPU's translation was cached): invalidate, re-execute;
 *   write-protect  a write to a readable page the Service VM protected: an
 *                  IOREQ of type WP tells the device model, and the
 *                  instruction re-executes once it completes;
 *   unmapped       the MMIO path: emulated if a device claims the address,
 *                  else the VM stops (bad memory), reported;
 *   permission     any other refused access: the VM stops, reported;
 *   misconfig      an invalid entry is Tern's bug: the VM stops, reported.
 */
#include "request.h"
#include "ept_exit.h"
#include "ept_qual.h"
#include "intr.h"
#include "ioreq.h"
#include "log.h"
#include "vm.h"

static enum exit_action stop(struct vm *vm, enum vm_stop_cause cause, const struct ept_fault *f,
			     const struct exit_record *ex)
{
	log_err("vm%u: EPT %s at gpa 0x%llx (qualification 0x%llx)", vm->id,
		ept_fault_kind_name(f->kind), (unsigned long long)f->gpa,
		(unsigned long long)ex->qualification);
	vm_stop(vm, cause, (uint32_t)(f->gpa >> 12));
	return EXIT_ACTION_STOP;
}

/*
 * The faulting instruction will run again. If it was an IRET that had
 * unblocked NMIs (qualification bit 12, defined with virtual NMIs when no
 * event was being delivered: SDM Vol. 3C 28.2.1 Table 28-7, 28.2.3), the
 * CPU cleared the blocking before the exit; it must be set again, or an
 * NMI could be injected before the IRET retires and nest in the handler.
 */
static void reblock_nmi_for_retry(struct vcpu *vcpu, const struct exit_record *ex)
{
	if (ept_qual_nmi_unblock(ex->qualification) && !intr_info_valid(ex->idt_vectoring_info))
		vcpu_set_reg(vcpu, VCPU_INTERRUPTIBILITY,
			     vcpu_get_reg(vcpu, VCPU_INTERRUPTIBILITY) | INTR_STATE_NMI);
}

enum exit_action ept_wp_request(struct vcpu *vcpu, uint64_t gpa)
{
	return ept_wp_request_then(vcpu, gpa, 0);
}

enum exit_action ept_wp_request_then(struct vcpu *vcpu, uint64_t gpa, ioreq_post_fn post)
{
	struct vm *vm = vcpu->vm;
	if (!ioreq_ready(vm)) {
		log_err("vm%u: write to write-protected gpa 0x%llx with no device model", vm->id,
			(unsigned long long)gpa);
		vm_stop(vm, VM_STOP_BAD_MEMORY, (uint32_t)(gpa >> 12));
		return EXIT_ACTION_STOP;
	}
	struct ioreq req = { .type = IOREQ_TYPE_WP, .dir = IOREQ_WRITE, .addr = gpa };
	return ioreq_send(vcpu, &req, post);
}

enum exit_action ept_violation_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	struct vm *vm = vcpu->vm;
	struct ept_fault f;

	if (ept_classify_exit(&vm->ept, ex, &f)) {
		vm_stop(vm, VM_STOP_INTERNAL, ex->reason);
		return EXIT_ACTION_STOP;
	}
	switch (f.kind) {
	case EPT_FAULT_SPURIOUS:
		reblock_nmi_for_retry(vcpu, ex);
		vcpu_make_request(vcpu, VCPU_REQ_FLUSH_EPT);
		return EXIT_ACTION_RESUME;
	case EPT_FAULT_WRITE_PROTECT: {
		if (!ioreq_ready(vm))
			return stop(vm, VM_STOP_BAD_MEMORY, &f, ex);
		/*
		 * A notification, not an emulated write: size 0, and RIP stays,
		 * so the guest's write runs again after the device model has
		 * dealt with the page (typically by lifting the protection).
		 */
		reblock_nmi_for_retry(vcpu, ex);
		return ept_wp_request(vcpu, f.gpa);
	}
	case EPT_FAULT_UNMAPPED:
		return mmio_exit(vcpu, ex);
	case EPT_FAULT_PERMISSION:
		return stop(vm, VM_STOP_BAD_MEMORY, &f, ex);
	default:
		return stop(vm, VM_STOP_INTERNAL, &f, ex);
	}
}

enum exit_action ept_misconfig_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	struct vm *vm = vcpu->vm;
	struct ept_fault f;

	if (ept_classify_exit(&vm->ept, ex, &f) == 0 && f.kind != EPT_FAULT_MISCONFIG)
		log_warn("vm%u: EPT misconfiguration at gpa 0x%llx no longer present", vm->id,
			 (unsigned long long)ex->guest_physical);
	f.kind = EPT_FAULT_MISCONFIG;
	f.gpa = ex->guest_physical;
	return stop(vm, VM_STOP_INTERNAL, &f, ex);
}
