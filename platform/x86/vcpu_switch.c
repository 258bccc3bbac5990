/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Several vCPUs on one physical CPU: each has its own VMCS (current after
 * VMPTRLD, SDM Vol. 3C 25.1; launched-state per VMCS, 25.11.3) and its own
 * copy of the guest state no VM exit or entry switches (SDM 28.3 lists what
 * an exit saves, 28.5 what it loads): CR2, XCR0 and the XSAVE-managed state,
 * the SYSCALL MSRs and IA32_KERNEL_GS_BASE (passed through, core/msr.h), and
 * DR0-DR3/DR6 (MOV-DR does not exit). The host runs general-register code
 * only (-mgeneral-regs-only, no SYSCALL, no breakpoints), so while a vCPU is
 * current that state simply stays in the CPU; it is saved and restored only
 * when another vCPU becomes current.
 */
#include "xvm.h"
#include "cpu.h"
#include "vmcs.h"
#include "err.h"
#include "lib.h"
#include "x86.h"
#include "smp.h"
#include "atomic.h"
#include "platform.h"
#include "machine.h"
#include "serial.h"

#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CPUID_XSTATE_LEAF 0xdu
#define FXSAVE_AREA_SIZE 512u
#define XSAVE_ALIGN 64u
/* Legacy-area offset of MXCSR (SDM Vol. 1 Table 10-2) and its reset value. */
#define FXSAVE_MXCSR_OFFSET 24u
#define MXCSR_RESET 0x1f80u
#define XSAVE_HEADER_OFFSET 512u
#define XSAVE_HEADER_SIZE 64u
#define XCR0_RESET 1ull        /* x87 only (SDM Vol. 1 13.3) */
#define DR6_RESET 0xffff0ff0ull  /* SDM Vol. 3A Table 9-1 */

bool xstate_host_xsave(void) { return (read_cr4() & CR4_OSXSAVE) != 0; }

void xstate_host_init(void)
{
	uint32_t r[4];
	uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	cpuid_count(1, 0, r);
	if (r[2] & CPUID_1_ECX_XSAVE)
		cr4 |= CR4_OSXSAVE;
	write_cr4(cr4);
}

uint32_t xstate_area_size(void)
{
	uint32_t r[4];
	if (!xstate_host_xsave())
		return FXSAVE_AREA_SIZE;
	cpuid_count(CPUID_XSTATE_LEAF, 0, r);
	uint32_t size = r[2] > FXSAVE_AREA_SIZE + XSAVE_HEADER_SIZE ? r[2]
								    : FXSAVE_AREA_SIZE + XSAVE_HEADER_SIZE;
	return (size + XSAVE_ALIGN - 1) & ~(XSAVE_ALIGN - 1);
}

/*
 * The power-on FPU/SIMD state as a save area: the XSAVE header says every
 * component is in its initial configuration (XSTATE_BV = 0, SDM Vol. 1
 * 13.8.1), and MXCSR, which XRSTOR and FXRSTOR load from the legacy area
 * regardless, holds its reset value. FXRSTOR of it also gives FCW = 0
 * rather than 0x37f; a guest initialises the x87 unit with FNINIT anyway.
 */
static void xstate_area_reset(uint8_t *area)
{
	tern_memset(area, 0, FXSAVE_AREA_SIZE + XSAVE_HEADER_SIZE);
	uint32_t mxcsr = MXCSR_RESET;
	tern_memcpy(area + FXSAVE_MXCSR_OFFSET, &mxcsr, sizeof(mxcsr));
}

void x86_guest_extra_init(struct x86_guest_extra *g, uint8_t *xsave_area)
{
	tern_memset(g, 0, sizeof(*g));
	g->xcr0 = XCR0_RESET;
	g->dr6 = DR6_RESET;
	g->xsave = xsave_area;
	if (xsave_area)
		xstate_area_reset(xsave_area);
}

static void extra_save(struct x86_guest_extra *g)
{
	g->cr2 = read_cr2();
	if (xstate_host_xsave()) {
		g->xcr0 = xgetbv(0);
		xsave(g->xsave);
	} else {
		fxsave(g->xsave);
	}
	g->star = rdmsr(HOST_MSR_STAR);
	g->lstar = rdmsr(HOST_MSR_LSTAR);
	g->cstar = rdmsr(HOST_MSR_CSTAR);
	g->fmask = rdmsr(HOST_MSR_FMASK);
	g->kernel_gs_base = rdmsr(HOST_MSR_KERNEL_GS_BASE);
	g->dr[0] = read_dr0();
	g->dr[1] = read_dr1();
	g->dr[2] = read_dr2();
	g->dr[3] = read_dr3();
	g->dr6 = read_dr6();
}

static void extra_restore(const struct x86_guest_extra *g)
{
	write_cr2(g->cr2);
	if (xstate_host_xsave()) {
		/* XCR0 first: XRSTOR restores the components it enables. */
		xsetbv(0, g->xcr0);
		xrstor(g->xsave);
	} else {
		fxrstor(g->xsave);
	}
	wrmsr(HOST_MSR_STAR, g->star);
	wrmsr(HOST_MSR_LSTAR, g->lstar);
	wrmsr(HOST_MSR_CSTAR, g->cstar);
	wrmsr(HOST_MSR_FMASK, g->fmask);
	wrmsr(HOST_MSR_KERNEL_GS_BASE, g->kernel_gs_base);
	write_dr0(g->dr[0]);
	write_dr1(g->dr[1]);
	write_dr2(g->dr[2]);
	write_dr3(g->dr[3]);
	write_dr6(g->dr6);
}

int x86_vcpu_switch(struct x86_pcpu *pc, struct vcpu *next)
{
	if (pc->current == next && next->vm->life == pc->current_life)
		return 0;
	struct x86_vcpu *xn = xvcpu_of(next);
	/*
	 * The state in the CPU is the current vCPU's only while its VM lives:
	 * a destroyed one's (vm wiped, or its slot holding another VM since)
	 * is nobody's, and saving it would write into another VM's area.
	 */
	struct vcpu *old = pc->current;
	if (old && old->vm && old->vm->life == pc->current_life)
		extra_save(&xvcpu_of(old)->extra);
	atomic_store32(&xn->active_on, (uint32_t)pc->cpu + 1u);
	if (!vmx_ptrld(xn->vmcs_hpa)) {
		pc->current = (struct vcpu *)0;
		return -TERN_EIO;
	}
	pc->current = next;
	pc->current_life = next->vm->life;
	extra_restore(&xn->extra);
	/* IA32_TSC_AUX holds the previous vCPU's value now (run.c loads it). */
	xn->tsc_aux_loaded = false;
	pc->switches++;
	return 0;
}

/* VMCLEAR on the pCPU the VMCS is active on: written back, inactive, clear (SDM 25.11.1, 25.11.3). */
static void vmcs_retire_here(struct x86_pcpu *pc, struct vcpu *vcpu, struct x86_vcpu *xv)
{
	(void)vmx_clear(xv->vmcs_hpa);
	if (pc->current == vcpu)
		pc->current = (struct vcpu *)0;   /* its state in the CPU is nobody's now */
	xv->launched = false;
	atomic_store32(&xv->active_on, 0);
	atomic_store32(&xv->retire, 0);
}

/*
 * x86: each of the VM's VMCSs is VMCLEARed on the pCPU it is active on.
 * This pCPU's at once (the current VMCS is the Service VM vCPU's, whose
 * exit this is); another pCPU's by that pCPU, kicked, while this one waits
 * once its exit is over (x86_pcpu_retire_wait): waiting here, under core's
 * locks and the recorder, could wait for a pCPU that waits for them.
 */
void plat_vm_retire(struct vm *vm)
{
	uint16_t self = plat_cpu_id();
	struct x86_pcpu *me = smp_pcpu(self);
	for (uint16_t i = 0; i < vm->config.vcpu_count && i < TERN_MAX_VCPUS; i++) {
		struct vcpu *v = &vm->vcpus[i];
		struct x86_vcpu *xv = xvcpu_of(v);
		uint32_t on = atomic_load32(&xv->active_on);
		if (!on)
			continue;
		if (on == (uint32_t)self + 1u) {
			vmcs_retire_here(me, v, xv);
			continue;
		}
		atomic_store32(&xv->retire, 1);
		atomic_store32(&smp_pcpu((uint16_t)(on - 1u))->retire_pending, 1);
		smp_kick((uint16_t)(on - 1u));
		me->retire_wait = true;
	}
}

void x86_pcpu_retire(struct x86_pcpu *pc, struct tern *hv)
{
	if (!atomic_xchg32(&pc->retire_pending, 0))
		return;
	for (uint16_t id = 0; id < TERN_MAX_VMS; id++) {
		struct vm *vm = &hv->vms[id];
		for (uint16_t i = 0; i < TERN_MAX_VCPUS; i++) {
			struct x86_vcpu *xv = &xvm_of(vm)->vcpus[i];
			if (atomic_load32(&xv->retire) &&
			    atomic_load32(&xv->active_on) == (uint32_t)pc->cpu + 1u)
				vmcs_retire_here(pc, &vm->vcpus[i], xv);
		}
	}
}

/* The first retirement still asked for, or NULL; *vm_id and *vcpu_id say whose. */
static struct x86_vcpu *retire_outstanding(struct tern *hv, uint16_t *vm_id, uint16_t *vcpu_id)
{
	for (uint16_t id = 0; id < TERN_MAX_VMS; id++)
		for (uint16_t i = 0; i < TERN_MAX_VCPUS; i++) {
			struct x86_vcpu *xv = &xvm_of(&hv->vms[id])->vcpus[i];
			if (atomic_load32(&xv->retire)) {
				*vm_id = id;
				*vcpu_id = i;
				return xv;
			}
		}
	return (struct x86_vcpu *)0;
}

/*
 * Each owner was kicked and retires at the top of its loop, within one
 * exit or wake-up (microseconds); two pCPUs waiting for each other each
 * retire the other's request meanwhile. An owner that has not answered in
 * RETIRE_WAIT_NS is lost (a kick that never arrived, a pCPU stuck in the
 * hypervisor): its VMCS may only be VMCLEARed on it (SDM Vol. 3C 25.11.1),
 * so the slot can never be used safely again, and Tern stops with a FATAL
 * line rather than hang this pCPU or reuse the VMCS.
 */
#define RETIRE_WAIT_NS 1000000000ull

void x86_pcpu_retire_wait(struct x86_pcpu *pc, struct tern *hv)
{
	if (!pc->retire_wait)
		return;
	uint64_t start = plat_clock_ns();
	for (;;) {
		x86_pcpu_retire(pc, hv);
		uint16_t vm_id, vcpu_id;
		struct x86_vcpu *xv = retire_outstanding(hv, &vm_id, &vcpu_id);
		if (!xv)
			break;
		/* 0: its owner is between its two stores (vmcs_retire_here), done. */
		uint32_t on = atomic_load32(&xv->active_on);
		if (on && plat_clock_ns() - start >= RETIRE_WAIT_NS) {
			x86_log("FATAL: pCPU%u did not retire vm%u vcpu%u's VMCS within %u ms of the kick",
				on - 1u, vm_id, vcpu_id, (unsigned)(RETIRE_WAIT_NS / 1000000u));
			x86_power_off(X86_EXIT_HV_FAULT);
		}
		cpu_pause();
	}
	pc->retire_wait = false;
}

void x86_guest_extra_load(struct vcpu *vcpu, const struct vcpu_load_state *st)
{
	struct x86_guest_extra *g = &xvcpu_of(vcpu)->extra;
	/* Power-on values for what vcpu_load_state does not carry, then its
	 * CR2 and XCR0 (checked by core: vm_mgr_check_load_state). */
	x86_guest_extra_init(g, g->xsave);
	g->cr2 = st->regs[VCPU_CR2];
	if (xstate_host_xsave()) {
		/* Never a component this CPU lacks: XSETBV would fault in the host. */
		uint32_t r[4];
		cpuid_count(CPUID_XSTATE_LEAF, 0, r);
		g->xcr0 = st->regs[VCPU_XCR0] & ((uint64_t)r[3] << 32 | r[0]);
		g->xcr0 |= XCR0_RESET;
	}
	extra_restore(g);
}
