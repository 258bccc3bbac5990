/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exit dispatch table: one entry per basic exit reason of the SDM
 * (Vol. 3C Appendix C). The table is the policy: every reason is either
 * handled, reflected to the guest as the architectural fault, or stops the
 * VM with a report naming the reason. Nothing falls through to "advance RIP
 * and hope".
 */
#include "event.h"
#include "exit_handlers.h"
#include "log.h"
#include "platform.h"
#include "vm.h"
#include "x86.h"

enum exit_policy {
	/* Zero, so that a reason missing from the table stops the VM. */
	POLICY_STOP = 0,   /* cannot occur with Tern's controls: VM stopped, reported */
	POLICY_HANDLE,     /* the named handler decides */
	POLICY_UD,         /* reflect #UD: the instruction does not exist for the guest */
	POLICY_TRIPLE,     /* triple fault: shutdown or reset as configured */
	POLICY_ENTRY_FAIL, /* VM-entry failure: VM stopped, reason reported */
};

struct exit_entry {
	enum exit_policy policy;
	exit_handler handler;
};

#define HANDLE(fn) { POLICY_HANDLE, fn }
#define REFLECT_UD { POLICY_UD, 0 }

static const struct exit_entry exit_table[EXIT_REASON_MAX] = {
	[EXIT_REASON_TRIPLE_FAULT] = { POLICY_TRIPLE, 0 },
	[EXIT_REASON_CPUID] = HANDLE(cpuid_exit),
	[EXIT_REASON_HLT] = HANDLE(hlt_exit),
	[EXIT_REASON_IO_INSTRUCTION] = HANDLE(io_exit),
	/*
	 * VMX instructions always exit in VMX non-root operation (SDM 26.1.2).
	 * The guest is told VMX does not exist (CPUID.1:ECX.VMX = 0, CR4.VMXE
	 * refused), and without CR4.VMXE the CPU raises #UD (SDM Vol. 3C 31.3).
	 */
	[EXIT_REASON_VMCLEAR] = REFLECT_UD,
	[EXIT_REASON_VMLAUNCH] = REFLECT_UD,
	[EXIT_REASON_VMPTRLD] = REFLECT_UD,
	[EXIT_REASON_VMPTRST] = REFLECT_UD,
	[EXIT_REASON_VMREAD] = REFLECT_UD,
	[EXIT_REASON_VMRESUME] = REFLECT_UD,
	[EXIT_REASON_VMWRITE] = REFLECT_UD,
	[EXIT_REASON_VMXOFF] = REFLECT_UD,
	[EXIT_REASON_VMXON] = REFLECT_UD,
	[EXIT_REASON_INVEPT] = REFLECT_UD,
	[EXIT_REASON_INVVPID] = REFLECT_UD,
	/* GETSEC exits only with CR4.SMXE, which the guest cannot set: #UD. */
	[EXIT_REASON_GETSEC] = REFLECT_UD,
	[EXIT_REASON_ENTRY_FAIL_GUEST_STATE] = { POLICY_ENTRY_FAIL, 0 },
	[EXIT_REASON_ENTRY_FAIL_MSR_LOADING] = { POLICY_ENTRY_FAIL, 0 },
	[EXIT_REASON_ENTRY_FAIL_MACHINE_CHECK] = { POLICY_ENTRY_FAIL, 0 },
	/* Every other reason is POLICY_STOP by omission: see the comment above. */
};

static enum exit_action dispatch(struct vcpu *vcpu, const struct exit_record *ex)
{
	struct vm *vm = vcpu->vm;
	uint16_t basic = exit_basic_reason(ex);

	/* SDM 26.7: bit 31 set means the entry failed; the guest never ran. */
	if (exit_is_entry_failure(ex)) {
		vm_stop(vm, VM_STOP_ENTRY_FAILURE, ex->reason);
		return EXIT_ACTION_STOP;
	}
	if (basic >= EXIT_REASON_MAX) {
		vm_stop(vm, VM_STOP_UNEXPECTED_EXIT, basic);
		return EXIT_ACTION_STOP;
	}

	/*
	 * An exit during event delivery (IDT-vectoring valid, SDM 28.2.4):
	 * the event is queued again first, so a fault the handler raises
	 * combines with it as the CPU would (#DF, triple fault).
	 */
	vcpu_requeue_vectoring(vcpu, ex->idt_vectoring_info, ex->idt_vectoring_error,
			       ex->instr_len);

	const struct exit_entry *e = &exit_table[basic];
	switch (e->policy) {
	case POLICY_HANDLE:
		return e->handler(vcpu, ex);
	case POLICY_UD:
		if (vcpu_inject_ud(vcpu))
			return (enum exit_action)vm_triple_fault(vm);
		return EXIT_ACTION_RESUME;
	case POLICY_TRIPLE:
		return (enum exit_action)vm_triple_fault(vm);
	case POLICY_ENTRY_FAIL:
		vm_stop(vm, VM_STOP_ENTRY_FAILURE, basic);
		return EXIT_ACTION_STOP;
	case POLICY_STOP:
	default:
		vm_stop(vm, VM_STOP_UNEXPECTED_EXIT, basic);
		return EXIT_ACTION_STOP;
	}
}

enum exit_action vcpu_handle_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	vcpu->exits++;
	enum exit_action action = dispatch(vcpu, ex);

	switch (action) {
	case EXIT_ACTION_WAIT_IO:
		vcpu->state = VCPU_STATE_WAIT_IO;
		break;
	case EXIT_ACTION_HALT:
		vcpu->state = VCPU_STATE_HALTED;
		break;
	case EXIT_ACTION_STOP:
		if (vcpu->state != VCPU_STATE_PAUSED)
			vcpu->state = VCPU_STATE_STOPPED;
		break;
	default:
		vcpu->state = VCPU_STATE_RUNNABLE;
		break;
	}
	plat_trace_exit(vcpu, ex, action);
	return action;
}

void vcpu_pre_entry(struct vcpu *vcpu)
{
	if (vcpu->flush_ept) {
		plat_ept_invalidate(vcpu);
		vcpu->flush_ept = false;
	}
}
