/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VMX control set (vmx_controls.h): what each control is for is said
 * where it is set; the exit table (exit_dispatch.c) says which exit reason
 * each one makes reachable or keeps native.
 */
#include "vmx_controls.h"
#include "cpuid.h"
#include "exit_dispatch.h"
#include "vm.h"
#include "platform.h"

static bool vm_has(const struct vm *vm, uint32_t leaf, unsigned reg, uint32_t bit)
{
	const struct cpuid_entry *e = cpuid_find(&vm->cpuid, leaf, 0);
	return e && (e->regs[reg] & bit);
}

#define CAP_ALLOWED1(cap) ((uint32_t)((cap) >> 32))

bool vmxc_apic_virt(void)
{
	const uint32_t proc2 = VMXC_PROC2_VIRT_APIC_ACCESS | VMXC_PROC2_APIC_REG_VIRT;
	return (CAP_ALLOWED1(plat_vmx_ctl_cap(VMXC_PROC)) & VMXC_PROC_USE_TPR_SHADOW) &&
	       (CAP_ALLOWED1(plat_vmx_ctl_cap(VMXC_PROC2)) & proc2) == proc2;
}

uint16_t vmxc_vpid(const struct vcpu *vcpu)
{
	return (uint16_t)(vcpu->vm->id * TERN_MAX_VCPUS + vcpu->id + 1);
}

void vmxc_build(const struct vcpu *vcpu, struct vmx_controls *out)
{
	const struct vm *vm = vcpu->vm;

	/*
	 * Host events exit: external interrupts and NMIs are the host's; the
	 * guest sees only what core injects (intr.c). Virtual NMIs make the
	 * guest's NMI blocking core's to track and NMI-window exiting legal
	 * (SDM 26.3, 27.2.1.1).
	 */
	out->ctl[VMXC_PIN] = VMXC_PIN_EXT_INT_EXITING | VMXC_PIN_NMI_EXITING | VMXC_PIN_VIRTUAL_NMIS;
	/*
	 * HLT parks the vCPU (hlt.c); every port access exits (pio.h); MSRs
	 * exit as vm->msr_bitmap says (msr.h); the guest's RDTSC runs natively
	 * with core's offset (msr.h: tsc_offset).
	 */
	out->ctl[VMXC_PROC] = VMXC_PROC_HLT_EXITING | VMXC_PROC_UNCOND_IO_EXITING |
			      VMXC_PROC_USE_MSR_BITMAPS | VMXC_PROC_USE_TSC_OFFSETTING |
			      VMXC_PROC_ACTIVATE_SECONDARY;
	/*
	 * Core's policy, not the host's counters, monitor or TPR: RDPMC is
	 * #GP (no counters), MONITOR/MWAIT #UD (CPUID hides them), MOV to/from
	 * CR8 is core's TPR (cr.c, intr.c). CR3 accesses and INVLPG stay
	 * native: with EPT the guest's paging is its own.
	 */
	out->ctl[VMXC_PROC] |= VMXC_PROC_RDPMC_EXITING;
	out->ctl[VMXC_PROC] |= VMXC_PROC_MONITOR_EXITING | VMXC_PROC_MWAIT_EXITING;
	/*
	 * With APIC virtualization (vmxc_apic_virt) the guest's CR8 is the
	 * TPR shadow, VTPR in the virtual-APIC page, which is vlapic's TPR
	 * itself (vlapic.h): no exit, except TPR-below-threshold (SDM 29.1.2)
	 * when it unmasks a pending interrupt. xAPIC reads of the virtualized
	 * registers come from the page, writes exit as APIC writes after the
	 * CPU stored them there (29.4.3), the rest as APIC accesses.
	 * Virtual-interrupt delivery stays off: injection is intr.c's.
	 */
	if (vmxc_apic_virt()) {
		out->ctl[VMXC_PROC] |= VMXC_PROC_USE_TPR_SHADOW;
		out->ctl[VMXC_PROC2] = VMXC_PROC2_APIC_REG_VIRT;
	} else {
		out->ctl[VMXC_PROC] |= VMXC_PROC_CR8_LOAD_EXITING | VMXC_PROC_CR8_STORE_EXITING;
		out->ctl[VMXC_PROC2] = 0;
	}
	/* EPT with unrestricted guest: the multiboot and reset states run with paging off. */
	out->ctl[VMXC_PROC2] |= VMXC_PROC2_ENABLE_EPT | VMXC_PROC2_UNRESTRICTED_GUEST;
	/*
	 * A VPID per vCPU, so that VM transitions keep the guest's TLB
	 * (SDM Vol. 3C 29.4.3.2); the VCPU_REQ_FLUSH_VPID request asks for the invalidations
	 * the VMM then owes (29.4.3.3).
	 */
	out->ctl[VMXC_PROC2] |= VMXC_PROC2_ENABLE_VPID;
	/* A guest must not write back and invalidate the host's caches (cache_exit.c). */
	out->ctl[VMXC_PROC2] |= VMXC_PROC2_WBINVD_EXITING;
	/* RDTSCP/RDPID and INVPCID #UD unless enabled (SDM 26.3): follow the VM's CPUID. */
	if (vm_has(vm, 0x80000001u, 3, CPUID_80000001_EDX_RDTSCP))
		out->ctl[VMXC_PROC2] |= VMXC_PROC2_ENABLE_RDTSCP;
	if (vm_has(vm, 7, 1, CPUID_7_EBX_INVPCID))
		out->ctl[VMXC_PROC2] |= VMXC_PROC2_ENABLE_INVPCID;
	/*
	 * A 64-bit host; the guest's EFER and PAT are regs[EFER]/regs[PAT]
	 * (msr.h), swapped by the CPU at every transition.
	 */
	out->ctl[VMXC_EXIT] = VMXC_EXIT_HOST_ADDR_SPACE_SIZE | VMXC_EXIT_SAVE_PAT |
			      VMXC_EXIT_LOAD_PAT | VMXC_EXIT_SAVE_EFER | VMXC_EXIT_LOAD_EFER;
	/* The exit acknowledges a host interrupt and records its vector (exception.c). */
	out->ctl[VMXC_EXIT] |= VMXC_EXIT_ACK_INT_ON_EXIT;
	out->ctl[VMXC_ENTRY] = VMXC_ENTRY_LOAD_PAT | VMXC_ENTRY_LOAD_EFER;

	/*
	 * The vCPU's timers (vcpu->timer_deadline, set before every entry by
	 * vcpu_pre_entry) and the pCPU's (sched_slice.h: the timers of vCPUs
	 * halted on it, the time slice): the platform activates the
	 * VMX-preemption timer for an entry with a deadline and loads it with
	 * the remaining TSC ticks >> IA32_VMX_MISC[4:0] (SDM 26.5.1); its exit
	 * (reason 52) wakes those vCPUs and may yield. Dynamic, so that an
	 * entry without a deadline runs with the timer off.
	 */
	out->dynamic[VMXC_PIN] = VMXC_PIN_PREEMPTION_TIMER;
	out->dynamic[VMXC_PROC] = VMXC_PROC_INT_WINDOW_EXITING | VMXC_PROC_NMI_WINDOW_EXITING;
	/* "Virtualize APIC accesses" follows the vLAPIC's mode and base (intr.h: apic_access). */
	out->dynamic[VMXC_PROC2] = vmxc_apic_virt() ? VMXC_PROC2_VIRT_APIC_ACCESS : 0;
	out->dynamic[VMXC_EXIT] = 0;
	out->dynamic[VMXC_ENTRY] = VMXC_ENTRY_IA32E_MODE_GUEST;
	/*
	 * A guest spinning in a PAUSE loop (waiting for a vCPU that shares its
	 * pCPU, or one not running) exits, and the pCPU goes to another
	 * eligible vCPU (yield_exit.c). Optional: without it the time slice
	 * alone hands the pCPU on (sched_slice.h), later.
	 */
	for (unsigned f = 0; f < VMXC_FIELD_COUNT; f++)
		out->optional[f] = 0;
	out->optional[VMXC_PROC2] = VMXC_PROC2_PAUSE_LOOP_EXITING;

	out->exception_bitmap = EXIT_EXCEPTION_BITMAP;
	out->vpid = vmxc_vpid(vcpu);
}

static const char *const field_names[VMXC_FIELD_COUNT] = {
	[VMXC_PIN] = "pin-based",
	[VMXC_PROC] = "processor-based",
	[VMXC_PROC2] = "secondary processor-based",
	[VMXC_EXIT] = "VM-exit",
	[VMXC_ENTRY] = "VM-entry",
};

/* The names of SDM Tables 25-5, 25-6, 25-7, 25-13 and 25-15; unnamed bits are reserved. */
static const char *const control_names[VMXC_FIELD_COUNT][32] = {
	[VMXC_PIN] = {
		[0] = "external-interrupt exiting", [3] = "NMI exiting", [5] = "virtual NMIs",
		[6] = "activate VMX-preemption timer", [7] = "process posted interrupts",
	},
	[VMXC_PROC] = {
		[2] = "interrupt-window exiting", [3] = "use TSC offsetting", [7] = "HLT exiting",
		[9] = "INVLPG exiting", [10] = "MWAIT exiting", [11] = "RDPMC exiting",
		[12] = "RDTSC exiting", [15] = "CR3-load exiting", [16] = "CR3-store exiting",
		[17] = "activate tertiary controls", [19] = "CR8-load exiting",
		[20] = "CR8-store exiting", [21] = "use TPR shadow", [22] = "NMI-window exiting",
		[23] = "MOV-DR exiting", [24] = "unconditional I/O exiting",
		[25] = "use I/O bitmaps", [27] = "monitor trap flag", [28] = "use MSR bitmaps",
		[29] = "MONITOR exiting", [30] = "PAUSE exiting",
		[31] = "activate secondary controls",
	},
	[VMXC_PROC2] = {
		[0] = "virtualize APIC accesses", [1] = "enable EPT",
		[2] = "descriptor-table exiting", [3] = "enable RDTSCP",
		[4] = "virtualize x2APIC mode", [5] = "enable VPID", [6] = "WBINVD exiting",
		[7] = "unrestricted guest", [8] = "APIC-register virtualization",
		[9] = "virtual-interrupt delivery", [10] = "PAUSE-loop exiting",
		[11] = "RDRAND exiting", [12] = "enable INVPCID", [13] = "enable VM functions",
		[14] = "VMCS shadowing", [15] = "enable ENCLS exiting", [16] = "RDSEED exiting",
		[17] = "enable PML", [18] = "EPT-violation #VE", [19] = "conceal VMX from PT",
		[20] = "enable XSAVES/XRSTORS", [21] = "PASID translation",
		[22] = "mode-based execute control for EPT", [23] = "sub-page write permissions for EPT",
		[24] = "Intel PT uses guest physical addresses", [25] = "use TSC scaling",
		[26] = "enable user wait and pause", [27] = "enable PCONFIG",
		[28] = "enable ENCLV exiting", [30] = "VMM bus-lock detection",
		[31] = "instruction timeout",
	},
	[VMXC_EXIT] = {
		[2] = "save debug controls", [9] = "host address-space size",
		[12] = "load IA32_PERF_GLOBAL_CTRL", [15] = "acknowledge interrupt on exit",
		[18] = "save IA32_PAT", [19] = "load IA32_PAT", [20] = "save IA32_EFER",
		[21] = "load IA32_EFER", [22] = "save VMX-preemption timer value",
		[23] = "clear IA32_BNDCFGS", [24] = "conceal VMX from PT",
		[25] = "clear IA32_RTIT_CTL", [26] = "clear IA32_LBR_CTL", [27] = "clear UINV",
		[28] = "load CET state", [29] = "load PKRS", [30] = "save IA32_PERF_GLOBAL_CTL",
		[31] = "activate secondary controls",
	},
	[VMXC_ENTRY] = {
		[2] = "load debug controls", [9] = "IA-32e mode guest", [10] = "entry to SMM",
		[11] = "deactivate dual-monitor treatment", [13] = "load IA32_PERF_GLOBAL_CTRL",
		[14] = "load IA32_PAT", [15] = "load IA32_EFER", [16] = "load IA32_BNDCFGS",
		[17] = "conceal VMX from PT", [18] = "load IA32_RTIT_CTL", [19] = "load UINV",
		[20] = "load CET state", [21] = "load guest IA32_LBR_CTL", [22] = "load PKRS",
	},
};

const char *vmxc_field_name(enum vmxc_field f)
{
	return (unsigned)f < VMXC_FIELD_COUNT ? field_names[f] : "unknown";
}

const char *vmxc_control_name(enum vmxc_field f, unsigned bit)
{
	if ((unsigned)f >= VMXC_FIELD_COUNT || bit >= 32)
		return 0;
	return control_names[f][bit];
}
