/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pCPU loop: choose the vCPU to enter, make its VMCS current, load what
 * core asked for, enter, read the exit into core's exit record and register
 * cache, let core handle it, write back what core changed, choose again.
 * The GPRs, RIP, RFLAGS and the interruptibility state arrive with every
 * exit (what the retire and the entry decision read; the recording build
 * fetches them too, so its trace holds what was read); everything else is
 * read lazily (plat_vcpu_fetch_reg/seg = VMREAD) so an exit costs only the
 * VMREADs its handler needs.
 */
#include "xvm.h"
#include "load_state.h"
#include "vmcs.h"
#include "err.h"
#include "cpu.h"
#include "machine.h"
#include "serial.h"
#include "exit_dispatch.h"
#include "log.h"
#include "x86.h"
#include "trace_rec.h"
#include "intr.h"
#include "desc.h"
#include "request.h"
#include "scheduler.h"
#include "sched_slice.h"
#include "sched_poll.h"
#include "lapic.h"
#include "atomic.h"
#include "host_timer.h"
#include "vmx_controls.h"

int vmx_enter(uint64_t *gprs, int launched);

static uint64_t vmcs_field_of_reg(enum vcpu_reg reg)
{
	switch (reg) {
	case VCPU_RSP: return VMCS_GUEST_RSP;
	case VCPU_RIP: return VMCS_GUEST_RIP;
	case VCPU_RFLAGS: return VMCS_GUEST_RFLAGS;
	case VCPU_CR3: return VMCS_GUEST_CR3;
	case VCPU_EFER: return VMCS_GUEST_EFER;
	case VCPU_DR7: return VMCS_GUEST_DR7;
	case VCPU_INTERRUPTIBILITY: return VMCS_GUEST_INTERRUPTIBILITY;
	case VCPU_PAT: return VMCS_GUEST_PAT;
	case VCPU_PENDING_DBG: return VMCS_GUEST_PENDING_DBG;
	default: return 0;
	}
}

static uint64_t fetch_reg(struct vcpu *vcpu, enum vcpu_reg reg)
{
	struct x86_vcpu *xv = xvcpu_of(vcpu);
	switch (reg) {
	case VCPU_CR0:
		/* The value the CPU runs with; core applies the shadow (cr.h). */
		return vmx_read(VMCS_GUEST_CR0);
	case VCPU_CR4:
		return vmx_read(VMCS_GUEST_CR4);
	case VCPU_CR2:
		/* Not in the VMCS: the guest's CR2 stays in the CPU (the host never faults). */
		return read_cr2();
	case VCPU_CR8:
		return 0;
	case VCPU_XCR0:
		/* XCR0 through XGETBV/XSETBV, only when the host enabled XSAVE. */
		return xstate_host_xsave() ? xgetbv(0) : 1;
	default:
		if (reg < 16 && reg != VCPU_RSP)
			return xv->gprs[reg];
		if (vmcs_field_of_reg(reg))
			return vmx_read((uint32_t)vmcs_field_of_reg(reg));
		return 0;
	}
}

uint64_t plat_vcpu_fetch_reg(struct vcpu *vcpu, enum vcpu_reg reg)
{
	uint64_t v = fetch_reg(vcpu, reg);
	trace_rec_reg(reg, v);
	return v;
}

void plat_vcpu_fetch_seg(struct vcpu *vcpu, enum vcpu_seg seg, struct seg_desc *out)
{
	(void)vcpu;
	out->selector = (uint16_t)vmx_read(vmcs_guest_sel(seg));
	out->base = vmx_read(vmcs_guest_base(seg));
	out->limit = (uint32_t)vmx_read(vmcs_guest_limit(seg));
	out->ar = (uint32_t)vmx_read(vmcs_guest_ar(seg));
	trace_rec_seg(seg, out);
}

/*
 * Which optional exit-information fields a basic reason defines (SDM Vol. 3C
 * 28.2.1-28.2.5). The exit qualification is cleared by the CPU when a
 * reason does not define it, and interruption / IDT-vectoring information
 * carry a valid bit, so those are always read; the guest-linear and
 * guest-physical addresses and the instruction information are undefined
 * (stale) for other reasons and stay zero in the exit record, as
 * core/exit.h promises.
 */
#define XF_LINEAR (1u << 0)
#define XF_PHYSICAL (1u << 1)
#define XF_INSTR_INFO (1u << 2)

static unsigned exit_fields(uint16_t basic)
{
	switch (basic) {
	case EXIT_REASON_IO_INSTRUCTION:      /* INS/OUTS: linear address, address size/segment */
		return XF_LINEAR | XF_INSTR_INFO;
	case EXIT_REASON_CR_ACCESS:           /* LMSW with a memory operand */
		return XF_LINEAR;
	case EXIT_REASON_EPT_VIOLATION:
		return XF_LINEAR | XF_PHYSICAL;
	case EXIT_REASON_EPT_MISCONFIG:
		return XF_PHYSICAL;
	case EXIT_REASON_VMCLEAR: case EXIT_REASON_VMPTRLD: case EXIT_REASON_VMPTRST:
	case EXIT_REASON_VMREAD: case EXIT_REASON_VMWRITE: case EXIT_REASON_VMXON:
	case EXIT_REASON_INVEPT: case EXIT_REASON_INVVPID: case EXIT_REASON_INVPCID:
	case EXIT_REASON_GDTR_IDTR_ACCESS: case EXIT_REASON_LDTR_TR_ACCESS:
	case EXIT_REASON_RDRAND: case EXIT_REASON_RDSEED:
	case EXIT_REASON_XSAVES: case EXIT_REASON_XRSTORS:
	case EXIT_REASON_UMWAIT: case EXIT_REASON_TPAUSE: case EXIT_REASON_LOADIWKEY:
		return XF_INSTR_INFO;
	default:
		return 0;
	}
}

static void read_exit(struct exit_record *ex)
{
	*ex = (struct exit_record){ 0 };
	ex->reason = (uint32_t)vmx_read(VMCS_EXIT_REASON);
	ex->qualification = vmx_read(VMCS_EXIT_QUALIFICATION);
	ex->instr_len = (uint32_t)vmx_read(VMCS_EXIT_INSTR_LEN);
	ex->intr_info = (uint32_t)vmx_read(VMCS_EXIT_INTR_INFO);
	if (intr_info_valid(ex->intr_info) && intr_info_has_error(ex->intr_info))
		ex->intr_error = (uint32_t)vmx_read(VMCS_EXIT_INTR_ERROR);
	ex->idt_vectoring_info = (uint32_t)vmx_read(VMCS_IDT_VECTORING_INFO);
	if (intr_info_valid(ex->idt_vectoring_info) && intr_info_has_error(ex->idt_vectoring_info))
		ex->idt_vectoring_error = (uint32_t)vmx_read(VMCS_IDT_VECTORING_ERROR);
	unsigned f = exit_is_entry_failure(ex) ? 0 : exit_fields(exit_basic_reason(ex));
	if (f & XF_LINEAR)
		ex->guest_linear = vmx_read(VMCS_GUEST_LINEAR_ADDR);
	if (f & XF_PHYSICAL)
		ex->guest_physical = vmx_read(VMCS_GUEST_PHYSICAL_ADDR);
	if (f & XF_INSTR_INFO)
		ex->instr_info = (uint32_t)vmx_read(VMCS_EXIT_INSTR_INFO);
}

/*
 * vcpu->load_pending (core/vcpu.h): the VM manager handed over a whole state
 * (reset, the boot state, HC_SET_VCPU_REGS). It goes in before the dirty
 * registers are written back, so that anything core changed after the
 * hand-over wins; the flag is cleared once it is in.
 */
static void load_pending_state(struct vcpu *vcpu)
{
	struct x86_vcpu *xv = xvcpu_of(vcpu);
	const struct vcpu_load_state *st = &vcpu->load;
	struct vmcs_field_write w[LOAD_STATE_WRITES];
	unsigned n = load_state_vmcs_writes(st, xv, (uint32_t)vmx_read(VMCS_ENTRY_CONTROLS), w);
	for (unsigned i = 0; i < n; i++)
		vmx_write(w[i].field, w[i].value);
	for (unsigned r = 0; r < 16; r++)
		if (r != VCPU_RSP)
			xv->gprs[r] = st->regs[r];
	x86_guest_extra_load(vcpu, st);
	vcpu->load_pending = false;
}

/* Flush what core changed (vcpu->reg_dirty) into the VMCS / save area. */
static void write_back(struct vcpu *vcpu)
{
	struct x86_vcpu *xv = xvcpu_of(vcpu);
	uint32_t dirty = vcpu->reg_dirty;
	for (unsigned r = 0; r < VCPU_REG_COUNT; r++) {
		if (!(dirty & (1u << r)))
			continue;
		uint64_t v = vcpu->regs[r];
		switch ((enum vcpu_reg)r) {
		case VCPU_CR0:
			vmx_write(VMCS_GUEST_CR0, (v | xv->cr0_force1) & ~xv->cr0_force0);
			break;
		case VCPU_CR4:
			vmx_write(VMCS_GUEST_CR4, (v | xv->cr4_force1) & ~xv->cr4_force0);
			break;
		case VCPU_CR2:
			write_cr2(v);
			break;
		case VCPU_CR8:
			break;
		case VCPU_XCR0:
			if (xstate_host_xsave())
				xsetbv(0, v);
			break;
		case VCPU_EFER:
			vmx_write(VMCS_GUEST_EFER, v);
			break;
		default:
			if (r < 16 && r != VCPU_RSP)
				xv->gprs[r] = v;
			else if (vmcs_field_of_reg((enum vcpu_reg)r))
				vmx_write((uint32_t)vmcs_field_of_reg((enum vcpu_reg)r), v);
			break;
		}
	}
	vcpu->reg_dirty = 0;
}

/* Core's other requests before entry (exit_dispatch.h), after the registers. */
static void apply_requests(struct vcpu *vcpu)
{
	struct x86_vcpu *xv = xvcpu_of(vcpu);
	uint32_t want = 0;
	struct vcpu_cr *cr = &vcpu->cr;
	if (cr->dirty) {
		vmx_write(VMCS_CR0_MASK, cr->cr0_mask);
		vmx_write(VMCS_CR0_SHADOW, cr->cr0_shadow);
		vmx_write(VMCS_CR4_MASK, cr->cr4_mask);
		vmx_write(VMCS_CR4_SHADOW, cr->cr4_shadow);
		cr->dirty = false;
	}
	if (cr->pdpte_dirty) {
		for (unsigned i = 0; i < 4; i++)
			vmx_write(VMCS_GUEST_PDPTE0 + 2 * i, cr->pdpte[i]);
		cr->pdpte_dirty = false;
	}
	if (vcpu->msr.tsc_offset_dirty) {
		vmx_write(VMCS_TSC_OFFSET, vcpu->msr.tsc_offset);
		vcpu->msr.tsc_offset_dirty = false;
	}
	/* The host never uses IA32_TSC_AUX: load the guest's when it changes. */
	if (xv->rdtscp && (!xv->tsc_aux_loaded || xv->tsc_aux != vcpu->msr.tsc_aux)) {
		wrmsr(HOST_MSR_TSC_AUX, vcpu->msr.tsc_aux);
		xv->tsc_aux = vcpu->msr.tsc_aux;
		xv->tsc_aux_loaded = true;
	}
	if (vcpu->intr.irq_window)
		want |= VMXC_PROC_INT_WINDOW_EXITING;
	if (vcpu->intr.nmi_window)
		want |= VMXC_PROC_NMI_WINDOW_EXITING;
	want &= xv->window_ok;
	uint32_t proc = (xv->proc_ctls & ~(VMXC_PROC_INT_WINDOW_EXITING | VMXC_PROC_NMI_WINDOW_EXITING)) | want;
	if (proc != xv->proc_ctls) {
		vmx_write(VMCS_PROC_CONTROLS, proc);
		xv->proc_ctls = proc;
	}
	/*
	 * APIC virtualization (intr.h): "virtualize APIC accesses", core's
	 * dynamic secondary control, on iff intr.apic_access (the vLAPIC in
	 * xAPIC mode at 0xFEE00000); the TPR threshold core decided, when the
	 * TPR shadow is on (SDM 29.1.2). Each written only when it changes.
	 */
	uint32_t proc2 = (xv->proc2_ctls & ~VMXC_PROC2_VIRT_APIC_ACCESS) |
			 (vcpu->intr.apic_access ? xv->apic_access_ok : 0);
	if (proc2 != xv->proc2_ctls) {
		vmx_write(VMCS_PROC_CONTROLS2, proc2);
		xv->proc2_ctls = proc2;
	}
	if ((proc & VMXC_PROC_USE_TPR_SHADOW) && vcpu->intr.tpr_threshold != xv->tpr_threshold) {
		vmx_write(VMCS_TPR_THRESHOLD, vcpu->intr.tpr_threshold);
		xv->tpr_threshold = vcpu->intr.tpr_threshold;
	}

	/*
	 * The host timer (host_timer.h): at the pCPU's deadline core computed
	 * (core/sched_slice.h: this vCPU's timers, those of the vCPUs halted
	 * on this pCPU, the slice's end when another is eligible), a host
	 * TSC, the VMX-preemption timer is on and the guest exits no later
	 * than it (exit 52); without one it is off. The value last before the
	 * entry, so that the count starts as close to it as it can.
	 */
	uint64_t now = rdtsc();
	uint64_t at = sched_cpu_arm(&vcpu->vm->hv->cpus[vcpu->pcpu], now);
	uint32_t pin = host_timer_pin_ctls(xv->pin_ctls, xv->pin_dynamic, at);
	if (pin != xv->pin_ctls) {
		vmx_write(VMCS_PIN_CONTROLS, pin);
		xv->pin_ctls = pin;
	}
	if (pin & VMXC_PIN_PREEMPTION_TIMER)
		vmx_write(VMCS_PREEMPTION_TIMER_VALUE, host_timer_value(at, 0, now, xv->preempt_rate));

	/*
	 * SDM 27.3.1.1: the IA-32e mode guest entry control must equal
	 * EFER.LMA, which the guest changes itself when it turns paging on or
	 * off with EFER.LME set (no exit). Follow it on every entry.
	 */
	uint64_t entry = vmx_read(VMCS_ENTRY_CONTROLS);
	bool lma = (vmx_read(VMCS_GUEST_EFER) & X86_EFER_LMA) != 0;
	if (lma != ((entry & VMXC_ENTRY_IA32E_MODE_GUEST) != 0))
		vmx_write(VMCS_ENTRY_CONTROLS, lma ? entry | VMXC_ENTRY_IA32E_MODE_GUEST
						    : entry & ~(uint64_t)VMXC_ENTRY_IA32E_MODE_GUEST);
}

/* VM-entry interruption information, SDM 25.8.3. */
static void inject(struct vcpu *vcpu)
{
	struct vcpu_event *e = &vcpu->event;
	if (!e->valid)
		return;
	uint32_t info = INTR_INFO_VALID | e->vector | ((uint32_t)e->type << INTR_INFO_TYPE_SHIFT);
	if (e->has_error) {
		info |= INTR_INFO_HAS_ERROR;
		vmx_write(VMCS_ENTRY_EXCEPTION_ERROR, e->error_code);
	}
	vmx_write(VMCS_ENTRY_INTR_INFO, info);
	if (e->type == INTR_TYPE_SW_INT || e->type == INTR_TYPE_PRIV_SW_EXCEPTION ||
	    e->type == INTR_TYPE_SW_EXCEPTION)
		vmx_write(VMCS_ENTRY_INSTR_LEN, e->instr_len);
	e->valid = false;
}

/*
 * The hardware's half of an exit, before core sees it: an external
 * interrupt was acknowledged by the exit itself ("acknowledge interrupt on
 * exit", core's control set), so its controller waits for its EOI: the
 * host LAPIC for the kick and the timer, the 8259 for its lines
 * (x86_host_irq). The kick's effect is in the request bits, which the
 * vCPU's pre-entry work reads.
 */
static void complete_host_event(const struct exit_record *ex)
{
	if (exit_basic_reason(ex) != EXIT_REASON_EXTERNAL_INTERRUPT || exit_is_entry_failure(ex) ||
	    !intr_info_valid(ex->intr_info))
		return;
	x86_host_irq(intr_info_vector(ex->intr_info));
}

/*
 * Everything core decided goes into the VMCS before the entry: a loaded
 * state first, then the vCPU's requests (which may park it: false, not
 * entered), then the dirty registers, the event and the controls. A
 * request may hand over a state of its own: the SIPI that starts an AP
 * (vm_mgr_vcpu_sipi: CS = vector << 8, IP = 0, SDM Vol. 3A 8.4.4.1) comes
 * apart from the INIT whose reset state was loaded on an earlier pass, and
 * goes in before the dirty registers too.
 */
static bool prepare_entry(struct vcpu *vcpu)
{
	if (vcpu->load_pending)
		load_pending_state(vcpu);
	vcpu_pre_entry(vcpu);
	trace_rec_pre_entry(vcpu);
	if (!vcpu_can_enter(vcpu))
		return false;
	if (vcpu->load_pending)
		load_pending_state(vcpu);
	write_back(vcpu);
	inject(vcpu);
	apply_requests(vcpu);
	return true;
}

/* Enter the current vCPU once and handle the exit that ends its run. */
static void run_once(struct vcpu *vcpu)
{
	struct x86_vcpu *xv = xvcpu_of(vcpu);
	struct exit_record ex;

	if (!prepare_entry(vcpu) || !vcpu_enter_guest(vcpu)) {
		trace_rec_unlock();
		return;
	}
	trace_rec_unlock();             /* in_guest is set: the entry is in the stream */
	int rc = vmx_enter(xv->gprs, xv->launched);
	trace_rec_lock();               /* before in_guest clears: the exit's records follow */
	vcpu_leave_guest(vcpu);
	if (rc != 0) {
		uint32_t err = rc == 2 ? (uint32_t)vmx_read(VMCS_VM_INSTRUCTION_ERROR) : 0;
		x86_log("VM entry failed (%s): VM-instruction error %u: %s",
			xv->launched ? "VMRESUME" : "VMLAUNCH", err,
			rc == 2 ? vmx_instruction_error_name(err) : "VMfailInvalid (no current VMCS)");
		vm_stop(vcpu->vm, VM_STOP_INTERNAL, err);
		trace_rec_stopped(vcpu->vm);    /* the stop and its requests, with this entry */
		trace_rec_unlock();
		return;
	}
	xv->launched = true;
	xv->entries++;

	read_exit(&ex);
	complete_host_event(&ex);
	if (exit_is_entry_failure(&ex))
		x86_log("VM entry failed: exit reason %u (%s), qualification 0x%lx",
			exit_basic_reason(&ex), exit_reason_name(exit_basic_reason(&ex)),
			(unsigned long)ex.qualification);
	/* The VMCS clears the injection field on exit (SDM 27.2.5 / 28.2.?). */
	vcpu_cache_reset(vcpu);
	/*
	 * The GPRs are at hand, so they are filled now; so are RIP, RFLAGS
	 * and the interruptibility state, which an exit that retires an
	 * instruction (core/retire.h: RIP advance, RFLAGS.TF, STI / MOV SS
	 * blocking) and an entry decision with anything pending
	 * (RFLAGS.IF, blocking) read, three VMREADs with the exit's own.
	 * This is the cache harness/bench measures core against. The
	 * recording build leaves all of them to plat_vcpu_fetch_reg so that
	 * the trace holds exactly the registers the handler read.
	 */
	if (!TERN_RECORD) {
		for (unsigned r = 0; r < 16; r++)
			if (r != VCPU_RSP)
				vcpu_cache_fill(vcpu, (enum vcpu_reg)r, xv->gprs[r]);
		vcpu_cache_fill(vcpu, VCPU_RIP, vmx_read(VMCS_GUEST_RIP));
		vcpu_cache_fill(vcpu, VCPU_RFLAGS, vmx_read(VMCS_GUEST_RFLAGS));
		vcpu_cache_fill(vcpu, VCPU_INTERRUPTIBILITY, vmx_read(VMCS_GUEST_INTERRUPTIBILITY));
	}
	trace_rec_begin(vcpu, &ex);

	/* Parked (HLT, IOREQ) or stopped: the scheduler decides what runs next. */
	(void)vcpu_handle_exit(vcpu, &ex);
	trace_rec_unlock();
}

int x86_pcpu_assign(struct x86_pcpu *pc, struct vcpu *vcpu)
{
	if (pc->count >= X86_PCPU_MAX_VCPUS)
		return -TERN_ENOSPC;
	pc->vcpus[pc->count++] = vcpu;
	return 0;
}

/*
 * A vCPU's VMCS is set up before its first entry: the Service VM's at boot
 * (main.c), every other VM's when the scheduler first picks one of its
 * vCPUs (a VM the Service VM made with HC_CREATE_VM; plat_pt_region reset
 * the slot's state when it was created). The EPT pointer is the VM's
 * root, write-back, 4-level walk (SDM Vol. 3C 25.6.11). Leaves the vCPU's
 * VMCS current on the CPU (x86_vcpu_switch then makes it pc->current).
 */
int x86_vcpu_ready(struct x86_pcpu *pc, struct vcpu *vcpu)
{
	struct x86_vcpu *xv = xvcpu_of(vcpu);
	if (xv->ready)
		return 0;
	/* The slot's previous VM's state in the CPU is nobody's to save now. */
	if (pc->current == vcpu)
		pc->current = (struct vcpu *)0;
	xvm_of(vcpu->vm)->eptp = vcpu->vm->ept.root_hpa | EPTP_WB | EPTP_WALK_4;
	/* vmcs_setup leaves it active here, failed or not (its VMCLEAR, VMPTRLD). */
	atomic_store32(&xv->active_on, (uint32_t)pc->cpu + 1u);
	int ret = vmcs_setup(vcpu, pc->caps);
	if (ret == 0) {
		xv->ready = true;
		x86_log("vm%u vcpu%u runs on pCPU%u", vcpu->vm->id, vcpu->id, pc->cpu);
		/* The host timer's rate (apply_requests turns it on per entry). */
		xv->preempt_rate = (uint8_t)((pc->caps ? pc->caps->misc : 0) & VMX_MISC_PREEMPT_RATE_MASK);
	}
	return ret;
}

/*
 * Core's scheduler decides what this pCPU enters (scheduler.h), among the
 * vCPUs it owns: on the BSP the Service VM's, on every pCPU those of the VMs
 * the Service VM launched with an affinity naming it, each with its own
 * VMCS. With nothing to run but something that may still change that
 * (cpus[cpu].idle), the pCPU waits in HLT with interrupts enabled for
 * exactly that instruction (a kick that arrived since the scan is pending
 * and wakes it at once); while one of its vCPUs waits on a polling-mode
 * slot, which no kick announces, it PAUSE-polls instead (idle_poll). When nothing can wake its vCPUs any more, the BSP
 * ends its loop (the run is over); an AP waits for work instead
 * (sched_cpu_wait): the Service VM may give it a VM later.
 */
/* host_timer_expire's action: the record (recording build) and VCPU_REQ_TIMER. */
static void timer_expired(struct vcpu *vcpu, uint64_t now)
{
	trace_rec_timer(vcpu, now);
}

/*
 * Nothing to enter: wait in HLT for a kick, or for the earliest deadline
 * of this pCPU's vCPUs halted with a timer (host_timer.h), on the host
 * LAPIC timer. Woken by either: the timer is disarmed and every vCPU whose
 * deadline has passed gets VCPU_REQ_TIMER, which the next scan sees.
 */
static void idle_wait(struct tern *hv, uint16_t cpu)
{
	uint64_t deadline = host_timer_idle_deadline(hv, cpu);
	if (deadline == UINT64_MAX) {
		cpu_sti_hlt();
		return;
	}
	lapic_timer_arm(deadline);
	cpu_sti_hlt();
	lapic_timer_stop();
	host_timer_expire(hv, cpu, rdtsc(), timer_expired);
}

/*
 * Nothing to enter, but a vCPU of this pCPU waits on a polling-mode slot
 * (sched_poll.h): no kick will say when the device model wrote COMPLETE,
 * so the pCPU does not HLT but comes back to sched_next, whose poll finds
 * it. Each round is one PAUSE with interrupts open, so a kick or a host
 * interrupt (COM2, the LAPIC timer) is still taken and completed here
 * (x86_host_irq), and then the deadlines of its halted vCPUs are looked at
 * as after idle_wait's HLT. A vCPU whose timer request is pending already
 * (its pre-entry has not run: the VM manager holds it) is not expired again.
 */
static void timer_expired_once(struct vcpu *vcpu, uint64_t now)
{
	if (!(atomic_load32(&vcpu->requests) & VCPU_REQ_TIMER))
		timer_expired(vcpu, now);
}

static void idle_poll(struct tern *hv, uint16_t cpu)
{
	cpu_sti_pause();
	if (host_timer_idle_deadline(hv, cpu) <= rdtsc())
		(void)host_timer_expire(hv, cpu, rdtsc(), timer_expired_once);
}

void x86_pcpu_run(struct x86_pcpu *pc, struct tern *hv)
{
	const uint16_t cpu = pc->cpu;
	for (;;) {
		x86_pcpu_retire(pc, hv);  /* before the recorder: a pCPU holding it may wait for this */
		trace_rec_lock();       /* the recording build: until the entry or the wait */
		struct vcpu *vcpu = sched_next(hv, cpu);
		trace_rec_sched(cpu, vcpu);
		if (!vcpu) {
			bool wait = atomic_load32(&hv->cpus[cpu].idle) ||
				    (cpu != 0 && sched_cpu_wait(hv, cpu));
			trace_rec_unlock();
			if (wait && sched_cpu_polls(hv, cpu))
				idle_poll(hv, cpu);
			else if (wait)
				idle_wait(hv, cpu);
			else if (cpu == 0)
				return;
			continue;
		}
		int ret = x86_vcpu_ready(pc, vcpu);
		if (ret)
			log_err("vm%u vcpu%u: VMCS set-up failed (%d)", vcpu->vm->id, vcpu->id, ret);
		else if ((ret = x86_vcpu_switch(pc, vcpu)) != 0)
			log_err("vm%u vcpu%u: VMPTRLD failed", vcpu->vm->id, vcpu->id);
		if (ret) {
			vm_stop(vcpu->vm, VM_STOP_INTERNAL, 0);
			/*
			 * Without a VMCS it is never entered, but what was asked
			 * of it (the stop's own acknowledgement among them) is
			 * answered, or the scheduler would pick it forever.
			 */
			vcpu_handle_requests(vcpu);
			/* The sched entry's outcome: the stop and the requests it raised. */
			trace_rec_pre_entry(vcpu);
			trace_rec_unlock();
			continue;
		}
		run_once(vcpu);
		x86_pcpu_retire_wait(pc, hv);   /* its exit destroyed a VM: every VMCS retired */
	}
}
