/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exit dispatch table: one entry per basic exit reason of the SDM
 * (Vol. 3C Appendix C). The table is the policy: every reason is either
 * handled, reflected to the guest as the architectural fault, or stops the
 * VM with a report naming the reason. Nothing falls through to "advance RIP
 * and hope".
 */
#include "ept_exit.h"
#include "event.h"
#include "exit_handlers.h"
#include "intr.h"
#include "log.h"
#include "platform.h"
#include "request.h"
#include "vm.h"
#include "x86.h"

enum exit_policy {
	/* Zero, so that a reason missing from the table stops the VM. */
	POLICY_STOP = 0,   /* cannot occur with Tern's controls: VM stopped, reported */
	POLICY_HANDLE,     /* the named handler decides */
	POLICY_UD,         /* reflect #UD: the instruction does not exist for the guest */
	POLICY_GP,         /* reflect #GP(0): the operation is refused for the guest */
	POLICY_TRIPLE,     /* triple fault: shutdown or reset as configured */
	POLICY_ENTRY_FAIL, /* VM-entry failure: VM stopped, reason reported */
};

struct exit_entry {
	enum exit_policy policy;
	exit_handler handler;
};

#define HANDLE(fn) { POLICY_HANDLE, fn }
#define REFLECT_UD { POLICY_UD, 0 }
#define REFLECT_GP { POLICY_GP, 0 }
#define STOP { POLICY_STOP, 0 }
#define ENTRY_FAIL { POLICY_ENTRY_FAIL, 0 }

/*
 * One line per basic reason, in SDM order. "STOP" lines are reasons Tern's
 * VM-execution controls never cause (the comment says which control); they
 * are written out so that a reader sees the decision, not an omission.
 */
static const struct exit_entry exit_table[EXIT_REASON_MAX] = {
	/* Intercepted #AC/#MC, host NMIs (exception.c has the bitmap's reasons). */
	[EXIT_REASON_EXCEPTION_NMI] = HANDLE(exception_exit),
	[EXIT_REASON_EXTERNAL_INTERRUPT] = HANDLE(extint_exit),
	[EXIT_REASON_TRIPLE_FAULT] = { POLICY_TRIPLE, 0 },
	/* INIT/SIPI: Tern never sends them to a CPU running a guest; no wait-for-SIPI state. */
	[EXIT_REASON_INIT] = STOP,
	[EXIT_REASON_SIPI] = STOP,
	/* SMIs exit only under the dual-monitor treatment of SMM, which Tern does not use. */
	[EXIT_REASON_IO_SMI] = STOP,
	[EXIT_REASON_OTHER_SMI] = STOP,
	[EXIT_REASON_INTERRUPT_WINDOW] = HANDLE(intr_window_exit),
	[EXIT_REASON_NMI_WINDOW] = HANDLE(nmi_window_exit),
	/* Always exits (SDM 26.4.2); not emulated: stop naming source and selector. */
	[EXIT_REASON_TASK_SWITCH] = HANDLE(task_switch_exit),
	[EXIT_REASON_CPUID] = HANDLE(cpuid_exit),
	/* GETSEC exits only with CR4.SMXE, which the guest cannot set: #UD. */
	[EXIT_REASON_GETSEC] = REFLECT_UD,
	[EXIT_REASON_HLT] = HANDLE(hlt_exit),
	[EXIT_REASON_INVD] = HANDLE(cache_exit),
	/* "INVLPG exiting" is off with EPT: stop with the decoded operand. */
	[EXIT_REASON_INVLPG] = HANDLE(invlpg_exit),
	/* CPUID.0xA shows no counters: every RDPMC index is invalid (SDM Vol. 2B RDPMC). */
	[EXIT_REASON_RDPMC] = REFLECT_GP,
	[EXIT_REASON_RDTSC] = HANDLE(rdtsc_exit),
	/* RSM exits only in SMM, where a Tern guest never is. */
	[EXIT_REASON_RSM] = STOP,
	/* Hypercalls: ACRN's ABI, Service VM only (hypercall.h). */
	[EXIT_REASON_VMCALL] = HANDLE(hypercall_exit),
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
	[EXIT_REASON_CR_ACCESS] = HANDLE(cr_exit),
	/* "MOV-DR exiting" is off: stop with the decoded access. */
	[EXIT_REASON_DR_ACCESS] = HANDLE(dr_exit),
	[EXIT_REASON_IO_INSTRUCTION] = HANDLE(io_exit),
	[EXIT_REASON_RDMSR] = HANDLE(rdmsr_exit),
	[EXIT_REASON_WRMSR] = HANDLE(wrmsr_exit),
	[EXIT_REASON_ENTRY_FAIL_GUEST_STATE] = ENTRY_FAIL,
	[EXIT_REASON_ENTRY_FAIL_MSR_LOADING] = ENTRY_FAIL,
	/* MONITOR/MWAIT are hidden (CPUID.1:ECX.MONITOR = 0): #UD as on a CPU without them. */
	[EXIT_REASON_MWAIT] = REFLECT_UD,
	/* The monitor trap flag is never set. */
	[EXIT_REASON_MONITOR_TRAP_FLAG] = STOP,
	[EXIT_REASON_MONITOR] = REFLECT_UD,
	[EXIT_REASON_PAUSE] = HANDLE(pause_exit),
	[EXIT_REASON_ENTRY_FAIL_MACHINE_CHECK] = ENTRY_FAIL,
	/* No TPR shadow, APIC virtualisation or descriptor-table exiting yet. */
	[EXIT_REASON_TPR_BELOW_THRESHOLD] = STOP,
	[EXIT_REASON_APIC_ACCESS] = HANDLE(apic_access_exit),
	[EXIT_REASON_VIRTUALIZED_EOI] = STOP,
	[EXIT_REASON_GDTR_IDTR_ACCESS] = STOP,
	[EXIT_REASON_LDTR_TR_ACCESS] = STOP,
	/* Classified against the VM's map: MMIO, write-protect IOREQ, or a stop (ept_exit.c). */
	[EXIT_REASON_EPT_VIOLATION] = HANDLE(ept_violation_exit),
	[EXIT_REASON_EPT_MISCONFIG] = HANDLE(ept_misconfig_exit),
	[EXIT_REASON_INVEPT] = REFLECT_UD,
	[EXIT_REASON_RDTSCP] = HANDLE(rdtscp_exit),
	[EXIT_REASON_PREEMPTION_TIMER] = HANDLE(preemption_timer_exit),
	[EXIT_REASON_INVVPID] = REFLECT_UD,
	[EXIT_REASON_WBINVD] = HANDLE(cache_exit),
	[EXIT_REASON_XSETBV] = HANDLE(xsetbv_exit),
	[EXIT_REASON_APIC_WRITE] = STOP,
	/* RDRAND/RDSEED exiting is off: the guest uses the instructions natively. */
	[EXIT_REASON_RDRAND] = STOP,
	[EXIT_REASON_INVPCID] = HANDLE(invpcid_exit),
	/* No VM functions are enabled for guests: VMFUNC is #UD. */
	[EXIT_REASON_VMFUNC] = REFLECT_UD,
	/* SGX is hidden (CPUID.7:EBX.SGX = 0): ENCLS/ENCLV are #UD. */
	[EXIT_REASON_ENCLS] = REFLECT_UD,
	[EXIT_REASON_RDSEED] = STOP,
	/* Page-modification logging is not enabled. */
	[EXIT_REASON_PML_FULL] = STOP,
	/* XSAVES is hidden (CPUID.(0xD,1):EAX[3] = 0): #UD. */
	[EXIT_REASON_XSAVES] = REFLECT_UD,
	[EXIT_REASON_XRSTORS] = REFLECT_UD,
	/* Sub-page write protection is not enabled. */
	[EXIT_REASON_SPP] = STOP,
	/* WAITPKG is hidden (CPUID.7:ECX[5] = 0): #UD. */
	[EXIT_REASON_UMWAIT] = REFLECT_UD,
	[EXIT_REASON_TPAUSE] = REFLECT_UD,
	/* Key Locker is hidden (CPUID.7:ECX[23] = 0): #UD. */
	[EXIT_REASON_LOADIWKEY] = REFLECT_UD,
	[EXIT_REASON_ENCLV] = REFLECT_UD,
	/* PASID translation, bus-lock detection and notify windows are not enabled. */
	[EXIT_REASON_ENQCMD_PASID] = STOP,
	[EXIT_REASON_ENQCMDS_PASID] = STOP,
	[EXIT_REASON_BUS_LOCK] = STOP,
	[EXIT_REASON_NOTIFY] = STOP,
	/* A Tern guest is neither a TDX module nor a trust domain: #UD. */
	[EXIT_REASON_SEAMCALL] = REFLECT_UD,
	[EXIT_REASON_TDCALL] = REFLECT_UD,
};

/* Everything but POLICY_HANDLE: the reflections and the stops. */
static enum exit_action apply_policy(struct vcpu *vcpu, enum exit_policy policy, uint16_t basic)
{
	struct vm *vm = vcpu->vm;
	struct guest_fault fault;

	switch (policy) {
	case POLICY_UD:
		guest_fault_ud(&fault); /* sets every field but cr2, which only #PF reads */
		return (enum exit_action)event_reflect(vcpu, &fault);
	case POLICY_GP:
		guest_fault_gp0(&fault);
		return (enum exit_action)event_reflect(vcpu, &fault);
	case POLICY_TRIPLE:
		return (enum exit_action)vm_triple_fault(vm);
	case POLICY_ENTRY_FAIL:
		vm_stop(vm, VM_STOP_ENTRY_FAILURE, basic);
		return EXIT_ACTION_STOP;
	case POLICY_STOP:
	case POLICY_HANDLE:
	default:
		vm_stop(vm, VM_STOP_UNEXPECTED_EXIT, basic);
		return EXIT_ACTION_STOP;
	}
}

static enum exit_action dispatch(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint16_t basic = exit_basic_reason(ex);

	/* One test for both: a failed entry (bit 31) and a reason past the table. */
	if ((ex->reason & (EXIT_REASON_FAILED_ENTRY | EXIT_REASON_BASIC_MASK)) >= EXIT_REASON_MAX) {
		/* SDM 26.7: bit 31 set means the entry failed; the guest never ran. */
		if (exit_is_entry_failure(ex))
			vm_stop(vcpu->vm, VM_STOP_ENTRY_FAILURE, ex->reason);
		else
			vm_stop(vcpu->vm, VM_STOP_UNEXPECTED_EXIT, basic);
		return EXIT_ACTION_STOP;
	}

	/*
	 * An exit during event delivery (IDT-vectoring valid, SDM 28.2.4):
	 * the event is queued again first, so a fault the handler raises
	 * combines with it as the CPU would (#DF, triple fault).
	 */
	if (intr_info_valid(ex->idt_vectoring_info))
		vcpu_requeue_vectoring(vcpu, ex->idt_vectoring_info, ex->idt_vectoring_error,
				       ex->instr_len);

	const struct exit_entry *e = &exit_table[basic];
	if (e->policy == POLICY_HANDLE)
		return e->handler(vcpu, ex);
	return apply_policy(vcpu, e->policy, basic);
}

enum exit_action vcpu_handle_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	vcpu->exits++;
	enum exit_action action = dispatch(vcpu, ex);

	/* The common case changes nothing: no lock (a pause arriving now finds it as it was). */
	if (action == EXIT_ACTION_RESUME && !vcpu->hc_wait &&
	    __atomic_load_n(&vcpu->state, __ATOMIC_RELAXED) == VCPU_STATE_RUNNABLE) {
		plat_trace_exit(vcpu, ex, action);
		return action;
	}
	tern_lock(&vcpu->sched_lock);
	/* Paused meanwhile by the VM manager: the state it returns to changes. */
	enum vcpu_state *s = vcpu->state == VCPU_STATE_PAUSED ? &vcpu->paused_state : &vcpu->state;
	if (vcpu->state == VCPU_STATE_STOPPED) {
		/* Stopped meanwhile (vm_stop by another vCPU of the VM): it stays so. */
	} else if (action == EXIT_ACTION_RESUME && vcpu->load_pending && vcpu->state == VCPU_STATE_INIT) {
		/*
		 * A vCPU the handling reset (VM reset on a triple fault: back
		 * in INIT with its reset state to load) is an AP waiting for a
		 * SIPI: it is not entered.
		 */
		action = EXIT_ACTION_STOP;
	} else if (action == EXIT_ACTION_RESUME && vcpu->hc_wait)
		*s = VCPU_STATE_WAIT_SYNC; /* a synchronous hypercall waits (request.h) */
	else if (action == EXIT_ACTION_RESUME)
		*s = VCPU_STATE_RUNNABLE;
	else if (action == EXIT_ACTION_WAIT_IO)
		*s = VCPU_STATE_WAIT_IO;
	else if (action == EXIT_ACTION_HALT)
		*s = VCPU_STATE_HALTED;
	else if (vcpu->state != VCPU_STATE_PAUSED)
		vcpu->state = VCPU_STATE_STOPPED;
	vcpu->hc_wait = false;
	tern_unlock(&vcpu->sched_lock);
	plat_trace_exit(vcpu, ex, action);
	return action;
}

void vcpu_pre_entry(struct vcpu *vcpu)
{
	/* Requests from this and other CPUs (EPT invalidation, IOREQ post-work). */
	vcpu_handle_requests(vcpu);
	/* Pending NMI/interrupt: inject now or ask for the window exit. */
	intr_inject_pending(vcpu);
}
