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
#include "mmio.h"
#include "platform.h"
#include "request.h"
#include "sched_slice.h"
#include "vm.h"
#include "vm_irq.h"
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

/*
 * Every row has a handler: its own, or policy_exit, which applies the
 * row's policy. The dispatch is one indexed call, no test of the policy
 * first; a row left out would be a NULL call, so every number below
 * EXIT_REASON_MAX is written out, the unassigned ones included
 * (test_dispatch.c's test_every_reason_has_a_policy makes each exit).
 */
struct exit_entry {
	exit_handler handler;
	enum exit_policy policy;
	struct exit_reach reach;
};

static enum exit_action policy_exit(struct vcpu *vcpu, const struct exit_record *ex);

#define HANDLE(fn) .policy = POLICY_HANDLE, .handler = fn
#define REFLECT_UD .policy = POLICY_UD, .handler = policy_exit
#define REFLECT_GP .policy = POLICY_GP, .handler = policy_exit
#define STOP .policy = POLICY_STOP, .handler = policy_exit
#define TRIPLE .policy = POLICY_TRIPLE, .handler = policy_exit
#define ENTRY_FAIL .policy = POLICY_ENTRY_FAIL, .handler = policy_exit
/* How the row is reached (exit_dispatch.h); the controls are vmx_controls.h's. */
#define CTL(f, m) { VMXC_##f, VMXC_##f##_##m }
#define ALWAYS .reach.kind = EXIT_REACH_ALWAYS
#define ON(f, m) .reach.kind = EXIT_REACH_CONTROL, .reach.need = CTL(f, m)
#define NATIVE(f, m) .reach.kind = EXIT_REACH_NATIVE, .reach.clear = CTL(f, m)
#define NEVER .reach.kind = EXIT_REACH_NEVER
#define OFF(f, m) NEVER, .reach.clear = CTL(f, m)
#define OPTIONAL(f, m) .reach.kind = EXIT_REACH_OPTIONAL, .reach.need = CTL(f, m)
#define ALSO_ON(f, m) .reach.need2 = CTL(f, m)
#define ALSO_OFF(f, m) .reach.clear2 = CTL(f, m)

/*
 * One line per basic reason, in SDM order: the policy, then the control
 * that makes the reason reachable, or that must stay clear because the
 * guest runs the instruction natively. "STOP" lines are reasons Tern's
 * VM-execution controls never cause; they are written out so that a reader
 * sees the decision, not an omission.
 */
static const struct exit_entry exit_table[EXIT_REASON_MAX] = {
	/* Intercepted #AC/#MC (exception.c has the bitmap's reasons) and host NMIs. */
	[EXIT_REASON_EXCEPTION_NMI] = { HANDLE(exception_exit),
		.reach.kind = EXIT_REACH_CONTROL,
		.reach.need = { EXIT_CTL_EXCEPTION_BITMAP, EXIT_EXCEPTION_BITMAP },
		ALSO_ON(PIN, NMI_EXITING) },
	/* Host interrupts, acknowledged on exit: the record carries the vector. */
	[EXIT_REASON_EXTERNAL_INTERRUPT] = { HANDLE(extint_exit), ON(PIN, EXT_INT_EXITING),
		ALSO_ON(EXIT, ACK_INT_ON_EXIT) },
	[EXIT_REASON_TRIPLE_FAULT] = { TRIPLE, ALWAYS },
	/* INIT always exits, but Tern never sends one to a CPU running a guest. */
	[EXIT_REASON_INIT] = { STOP, ALWAYS },
	/* SIPIs exit only in the wait-for-SIPI state, which Tern never enters. */
	[EXIT_REASON_SIPI] = { STOP, NEVER },
	/* SMIs exit only under the dual-monitor treatment of SMM, which Tern does not use. */
	[EXIT_REASON_IO_SMI] = { STOP, NEVER },
	[EXIT_REASON_OTHER_SMI] = { STOP, NEVER },
	[EXIT_REASON_INTERRUPT_WINDOW] = { HANDLE(intr_window_exit),
		.reach.kind = EXIT_REACH_CONTROL,
		.reach.need = { EXIT_CTL_DYNAMIC(VMXC_PROC), VMXC_PROC_INT_WINDOW_EXITING } },
	[EXIT_REASON_NMI_WINDOW] = { HANDLE(nmi_window_exit),
		.reach.kind = EXIT_REACH_CONTROL,
		.reach.need = { EXIT_CTL_DYNAMIC(VMXC_PROC), VMXC_PROC_NMI_WINDOW_EXITING },
		ALSO_ON(PIN, VIRTUAL_NMIS) },
	/* Always exits (SDM 26.4.2); not emulated: stop naming source and selector. */
	[EXIT_REASON_TASK_SWITCH] = { HANDLE(task_switch_exit), ALWAYS },
	[EXIT_REASON_CPUID] = { HANDLE(cpuid_exit), ALWAYS },
	/* GETSEC exits only with CR4.SMXE, which the guest cannot set: #UD. */
	[EXIT_REASON_GETSEC] = { REFLECT_UD, ALWAYS },
	[EXIT_REASON_HLT] = { HANDLE(hlt_exit), ON(PROC, HLT_EXITING) },
	[EXIT_REASON_INVD] = { HANDLE(cache_exit), ALWAYS },
	/* "INVLPG exiting" is off with EPT: stop with the decoded operand. */
	[EXIT_REASON_INVLPG] = { HANDLE(invlpg_exit), NATIVE(PROC, INVLPG_EXITING),
		ALSO_ON(PROC2, ENABLE_EPT) },
	/* CPUID.0xA shows no counters: every RDPMC index is invalid (SDM Vol. 2B RDPMC). */
	[EXIT_REASON_RDPMC] = { REFLECT_GP, ON(PROC, RDPMC_EXITING) },
	/* The guest's RDTSC runs natively with core's TSC offset (msr.h). */
	[EXIT_REASON_RDTSC] = { HANDLE(rdtsc_exit), NATIVE(PROC, RDTSC_EXITING),
		ALSO_ON(PROC, USE_TSC_OFFSETTING) },
	/* RSM exits only in SMM, where a Tern guest never is. */
	[EXIT_REASON_RSM] = { STOP, NEVER },
	/* Hypercalls: ACRN's ABI, Service VM only (hypercall.h). */
	[EXIT_REASON_VMCALL] = { HANDLE(hypercall_exit), ALWAYS },
	/*
	 * VMX instructions always exit in VMX non-root operation (SDM 26.1.2).
	 * The guest is told VMX does not exist (CPUID.1:ECX.VMX = 0, CR4.VMXE
	 * refused), and without CR4.VMXE the CPU raises #UD (SDM Vol. 3C 31.3).
	 */
	[EXIT_REASON_VMCLEAR] = { REFLECT_UD, ALWAYS },
	[EXIT_REASON_VMLAUNCH] = { REFLECT_UD, ALWAYS },
	[EXIT_REASON_VMPTRLD] = { REFLECT_UD, ALWAYS },
	[EXIT_REASON_VMPTRST] = { REFLECT_UD, ALWAYS },
	[EXIT_REASON_VMREAD] = { REFLECT_UD, ALWAYS },
	[EXIT_REASON_VMRESUME] = { REFLECT_UD, ALWAYS },
	[EXIT_REASON_VMWRITE] = { REFLECT_UD, ALWAYS },
	[EXIT_REASON_VMXOFF] = { REFLECT_UD, ALWAYS },
	[EXIT_REASON_VMXON] = { REFLECT_UD, ALWAYS },
	/*
	 * CR0/CR4 writes exit as core's guest/host masks say (cr.h); MOV
	 * to/from CR8 exits too (core's TPR, intr.c) unless the TPR shadow is
	 * on (vmx_controls.c); CR3 stays native with EPT.
	 */
	[EXIT_REASON_CR_ACCESS] = { HANDLE(cr_exit),
		.reach.kind = EXIT_REACH_CONTROL,
		.reach.need = { EXIT_CTL_CR_MASKS, ~0u },
		.reach.clear = { VMXC_PROC, VMXC_PROC_CR3_LOAD_EXITING | VMXC_PROC_CR3_STORE_EXITING },
		ALSO_ON(PROC2, ENABLE_EPT) },
	/* "MOV-DR exiting" is off: stop with the decoded access. */
	[EXIT_REASON_DR_ACCESS] = { HANDLE(dr_exit), NATIVE(PROC, MOV_DR_EXITING) },
	/* Every port exits: no I/O bitmaps, core's port bus decides (SDM 26.1.3). */
	[EXIT_REASON_IO_INSTRUCTION] = { HANDLE(io_exit), ON(PROC, UNCOND_IO_EXITING),
		ALSO_OFF(PROC, USE_IO_BITMAPS) },
	[EXIT_REASON_RDMSR] = { HANDLE(rdmsr_exit), ON(PROC, USE_MSR_BITMAPS) },
	[EXIT_REASON_WRMSR] = { HANDLE(wrmsr_exit), ON(PROC, USE_MSR_BITMAPS) },
	[EXIT_REASON_ENTRY_FAIL_GUEST_STATE] = { ENTRY_FAIL, ALWAYS },
	[EXIT_REASON_ENTRY_FAIL_MSR_LOADING] = { ENTRY_FAIL, ALWAYS },
	[35] = { STOP }, /* not used by the SDM: no reachability (EXIT_REACH_UNDEFINED) */
	/* MONITOR/MWAIT are hidden (CPUID.1:ECX.MONITOR = 0): #UD as on a CPU without them. */
	[EXIT_REASON_MWAIT] = { REFLECT_UD, ON(PROC, MWAIT_EXITING) },
	/* The monitor trap flag is never set. */
	[EXIT_REASON_MONITOR_TRAP_FLAG] = { STOP, OFF(PROC, MONITOR_TRAP_FLAG) },
	[38] = { STOP }, /* not used by the SDM: no reachability (EXIT_REACH_UNDEFINED) */
	[EXIT_REASON_MONITOR] = { REFLECT_UD, ON(PROC, MONITOR_EXITING) },
	/*
	 * PAUSE runs natively ("PAUSE exiting" would exit every one); a
	 * PAUSE loop exits where the CPU has PAUSE-loop exiting (core's
	 * optional control, vmx_controls.h) and the pCPU may yield.
	 */
	[EXIT_REASON_PAUSE] = { HANDLE(pause_exit), NATIVE(PROC, PAUSE_EXITING) },
	[EXIT_REASON_ENTRY_FAIL_MACHINE_CHECK] = { ENTRY_FAIL, ALWAYS },
	[42] = { STOP }, /* not used by the SDM: no reachability (EXIT_REACH_UNDEFINED) */
	/*
	 * APIC virtualization when the CPU has it (vmxc_apic_virt, apic_exit.c);
	 * without, the xAPIC page is an EPT violation and these never come.
	 */
	[EXIT_REASON_TPR_BELOW_THRESHOLD] = { HANDLE(tpr_below_threshold_exit), OPTIONAL(PROC, USE_TPR_SHADOW) },
	[EXIT_REASON_APIC_ACCESS] = { HANDLE(apic_access_exit), .reach.kind = EXIT_REACH_OPTIONAL,
		.reach.need = { EXIT_CTL_DYNAMIC(VMXC_PROC2), VMXC_PROC2_VIRT_APIC_ACCESS } },
	/* No virtual-interrupt delivery (injection is intr.c's) nor descriptor-table exiting. */
	[EXIT_REASON_VIRTUALIZED_EOI] = { STOP, OFF(PROC2, VIRT_INTR_DELIVERY) },
	[EXIT_REASON_GDTR_IDTR_ACCESS] = { STOP, NATIVE(PROC2, DESC_TABLE_EXITING) },
	[EXIT_REASON_LDTR_TR_ACCESS] = { STOP, NATIVE(PROC2, DESC_TABLE_EXITING) },
	/* Classified against the VM's map: MMIO, write-protect IOREQ, or a stop (ept_exit.c). */
	[EXIT_REASON_EPT_VIOLATION] = { HANDLE(ept_violation_exit), ON(PROC2, ENABLE_EPT) },
	[EXIT_REASON_EPT_MISCONFIG] = { HANDLE(ept_misconfig_exit), ON(PROC2, ENABLE_EPT) },
	[EXIT_REASON_INVEPT] = { REFLECT_UD, ALWAYS },
	/* RDTSCP exits only with "RDTSC exiting": native with the offset, like RDTSC. */
	[EXIT_REASON_RDTSCP] = { HANDLE(rdtscp_exit), NATIVE(PROC, RDTSC_EXITING),
		ALSO_ON(PROC, USE_TSC_OFFSETTING) },
	/*
	 * The platform arms the preemption timer from the pCPU's deadline
	 * (sched_slice.h; a dynamic control): the vCPU's timers, those of the
	 * vCPUs halted on its pCPU, the time slice.
	 */
	[EXIT_REASON_PREEMPTION_TIMER] = { HANDLE(preemption_timer_exit),
		.reach.kind = EXIT_REACH_CONTROL,
		.reach.need = { EXIT_CTL_DYNAMIC(VMXC_PIN), VMXC_PIN_PREEMPTION_TIMER } },
	[EXIT_REASON_INVVPID] = { REFLECT_UD, ALWAYS },
	/* A guest must not write back and invalidate the host's caches (cache_exit.c). */
	[EXIT_REASON_WBINVD] = { HANDLE(cache_exit), ON(PROC2, WBINVD_EXITING) },
	[EXIT_REASON_XSETBV] = { HANDLE(xsetbv_exit), ALWAYS },
	[EXIT_REASON_APIC_WRITE] = { HANDLE(apic_write_exit), OPTIONAL(PROC2, APIC_REG_VIRT) },
	/* RDRAND/RDSEED exiting is off: the guest uses the instructions natively. */
	[EXIT_REASON_RDRAND] = { STOP, NATIVE(PROC2, RDRAND_EXITING) },
	/* INVPCID exits only with "INVLPG exiting": native with EPT, like INVLPG. */
	[EXIT_REASON_INVPCID] = { HANDLE(invpcid_exit), NATIVE(PROC, INVLPG_EXITING) },
	/* No VM functions are enabled for guests: VMFUNC is #UD. */
	[EXIT_REASON_VMFUNC] = { REFLECT_UD, OFF(PROC2, ENABLE_VMFUNC) },
	/* SGX is hidden (CPUID.7:EBX.SGX = 0): ENCLS/ENCLV are #UD. */
	[EXIT_REASON_ENCLS] = { REFLECT_UD, OFF(PROC2, ENCLS_EXITING) },
	[EXIT_REASON_RDSEED] = { STOP, NATIVE(PROC2, RDSEED_EXITING) },
	/* Page-modification logging is not enabled. */
	[EXIT_REASON_PML_FULL] = { STOP, OFF(PROC2, ENABLE_PML) },
	/* XSAVES is hidden (CPUID.(0xD,1):EAX[3] = 0) and not enabled: #UD. */
	[EXIT_REASON_XSAVES] = { REFLECT_UD, OFF(PROC2, ENABLE_XSAVES) },
	[EXIT_REASON_XRSTORS] = { REFLECT_UD, OFF(PROC2, ENABLE_XSAVES) },
	[65] = { STOP }, /* not used by the SDM: no reachability (EXIT_REACH_UNDEFINED) */
	/* Sub-page write protection is not enabled. */
	[EXIT_REASON_SPP] = { STOP, OFF(PROC2, SPP) },
	/* WAITPKG is hidden (CPUID.7:ECX[5] = 0) and not enabled: #UD. */
	[EXIT_REASON_UMWAIT] = { REFLECT_UD, OFF(PROC2, USER_WAIT_PAUSE) },
	[EXIT_REASON_TPAUSE] = { REFLECT_UD, OFF(PROC2, USER_WAIT_PAUSE) },
	/* Key Locker is hidden (CPUID.7:ECX[23] = 0); LOADIWKEY exiting is a tertiary control. */
	[EXIT_REASON_LOADIWKEY] = { REFLECT_UD, OFF(PROC, TERTIARY) },
	[EXIT_REASON_ENCLV] = { REFLECT_UD, OFF(PROC2, ENCLV_EXITING) },
	[71] = { STOP }, /* not used by the SDM: no reachability (EXIT_REACH_UNDEFINED) */
	/* PASID translation, bus-lock detection and notify windows are not enabled. */
	[EXIT_REASON_ENQCMD_PASID] = { STOP, OFF(PROC2, PASID_TRANSLATION) },
	[EXIT_REASON_ENQCMDS_PASID] = { STOP, OFF(PROC2, PASID_TRANSLATION) },
	[EXIT_REASON_BUS_LOCK] = { STOP, OFF(PROC2, BUS_LOCK_EXITING) },
	[EXIT_REASON_NOTIFY] = { STOP, OFF(PROC2, NOTIFY_EXITING) },
	/* A Tern guest is neither a TDX module nor a trust domain: #UD. */
	[EXIT_REASON_SEAMCALL] = { REFLECT_UD, ALWAYS },
	[EXIT_REASON_TDCALL] = { REFLECT_UD, ALWAYS },
};

const struct exit_reach *exit_reach_of(uint16_t basic)
{
	return basic < EXIT_REASON_MAX ? &exit_table[basic].reach : 0;
}

static const struct exit_state_need state_needs[] = {
	{ { VMXC_EXIT, VMXC_EXIT_HOST_ADDR_SPACE_SIZE }, "the host runs in 64-bit mode" },
	{ { VMXC_EXIT, VMXC_EXIT_SAVE_EFER | VMXC_EXIT_LOAD_EFER }, "regs[EFER] is the guest's (msr.h)" },
	{ { VMXC_ENTRY, VMXC_ENTRY_LOAD_EFER }, "regs[EFER] is the guest's (msr.h)" },
	{ { VMXC_EXIT, VMXC_EXIT_SAVE_PAT | VMXC_EXIT_LOAD_PAT }, "regs[PAT] is the guest's (msr.h)" },
	{ { VMXC_ENTRY, VMXC_ENTRY_LOAD_PAT }, "regs[PAT] is the guest's (msr.h)" },
	{ { EXIT_CTL_DYNAMIC(VMXC_ENTRY), VMXC_ENTRY_IA32E_MODE_GUEST }, "IA-32e mode guest follows EFER.LMA (cr.h)" },
	{ { VMXC_PROC2, VMXC_PROC2_UNRESTRICTED_GUEST }, "reset and multiboot states run with paging off" },
	{ { VMXC_PROC2, VMXC_PROC2_ENABLE_VPID }, "VCPU_REQ_FLUSH_VPID invalidates the vCPU's own VPID (vcpu.h)" },
};

unsigned exit_state_needs(const struct exit_state_need **out)
{
	*out = state_needs;
	return sizeof(state_needs) / sizeof(state_needs[0]);
}

/*
 * Everything but POLICY_HANDLE: the reflections and the stops. Out of line:
 * its fault on the stack would give every handled exit a frame.
 */
__attribute__((noinline)) static enum exit_action apply_policy(struct vcpu *vcpu, enum exit_policy policy, uint16_t basic)
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

/* The handler of every row that is a policy, not code of its own. */
static enum exit_action policy_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint16_t basic = exit_basic_reason(ex);
	return apply_policy(vcpu, exit_table[basic].policy, basic);
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

	return exit_table[basic].handler(vcpu, ex);
}

/*
 * The vCPU's scheduling state after a handling (an exit's, or an MMIO
 * instruction going on before entry) that came to `action`.
 */
static enum exit_action settle(struct vcpu *vcpu, enum exit_action action)
{
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
	else if (action == EXIT_ACTION_RESUME || action == EXIT_ACTION_YIELD)
		*s = VCPU_STATE_RUNNABLE;
	else if (action == EXIT_ACTION_WAIT_IO)
		*s = VCPU_STATE_WAIT_IO;
	else if (action == EXIT_ACTION_HALT)
		*s = VCPU_STATE_HALTED;
	else if (vcpu->state != VCPU_STATE_PAUSED)
		vcpu->state = VCPU_STATE_STOPPED;
	vcpu->hc_wait = false;
	tern_unlock(&vcpu->sched_lock);
	return action;
}

enum exit_action vcpu_handle_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	vcpu->exits++;
	enum exit_action action = dispatch(vcpu, ex);

	/* The common case changes nothing: no lock (a pause arriving now finds it as it was). */
	if ((action == EXIT_ACTION_RESUME || action == EXIT_ACTION_YIELD) && !vcpu->hc_wait &&
	    __atomic_load_n(&vcpu->state, __ATOMIC_RELAXED) == VCPU_STATE_RUNNABLE) {
		plat_trace_exit(vcpu, ex, action);
		return action;
	}
	action = settle(vcpu, action);
	plat_trace_exit(vcpu, ex, action);
	return action;
}

void vcpu_pre_entry(struct vcpu *vcpu)
{
	/* Requests from this and other CPUs (EPT/VPID invalidation, IOREQ post-work, IPIs). */
	vcpu_handle_requests(vcpu);
	/* Expired timers raise their interrupts; timer_deadline for the platform (vcpu.h). */
	vcpu_timers_advance(vcpu);
	/* A halted vCPU that can take what arrived runs again. */
	if (vcpu->state != VCPU_STATE_RUNNABLE)
		intr_wake(vcpu);
	/*
	 * An MMIO instruction whose request completed goes on, in the vCPU's
	 * own context, once it is runnable (not while paused: a paused VM
	 * makes no access); it may need the next request and park again.
	 */
	if (vcpu->mmio.resume && vcpu->state == VCPU_STATE_RUNNABLE &&
	    settle(vcpu, mmio_resume(vcpu)) != EXIT_ACTION_RESUME)
		return;
	/* Pending NMI/interrupt: inject now or ask for the window exit. */
	intr_inject_pending(vcpu);
	/* The pCPU's host timer for this entry: timers here and the slice (sched_slice.h). */
	sched_entry_deadline(vcpu);
}
