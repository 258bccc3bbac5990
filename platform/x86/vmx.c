/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMX capability checks and VMXON, on every CPU (SDM Vol. 3C 24.6-24.8,
 * Appendix A). A CPU without what Tern needs is refused with the reason:
 * QEMU's TCG has no VMX at all, Bochs's older models have VMX without EPT.
 */
#include "vmx.h"
#include "vmcs.h"
#include "cpu.h"
#include "err.h"
#include "machine.h"
#include "platform.h"
#include "vm.h"

uint64_t x86_ept_caps;
const struct vmx_caps *x86_vmx_caps;

/* The VMXON regions: 4 KiB, aligned, hardware state of each CPU (SDM 24.11.5). */
static uint8_t vmxon_region[TERN_MAX_PCPUS][4096] __attribute__((aligned(4096)));

const char *vmx_check(struct vmx_caps *caps)
{
	uint32_t r[4];
	cpuid_count(1, 0, r);
	if (!(r[2] & CPUID_1_ECX_VMX))
		return "this CPU has no VMX (CPUID.1:ECX.VMX[bit 5] = 0)";

	uint64_t fc = rdmsr(HOST_MSR_FEATURE_CONTROL);
	if ((fc & HOST_FEATURE_CONTROL_LOCKED) && !(fc & HOST_FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		return "VMX is disabled by the firmware (IA32_FEATURE_CONTROL locked without VMX outside SMX)";
	if (!(fc & HOST_FEATURE_CONTROL_LOCKED))
		wrmsr(HOST_MSR_FEATURE_CONTROL, fc | HOST_FEATURE_CONTROL_VMX_OUTSIDE_SMX | HOST_FEATURE_CONTROL_LOCKED);

	uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
	caps->revision = (uint32_t)(basic & VMX_BASIC_REVISION_MASK);
	caps->true_ctls = (basic & VMX_BASIC_TRUE_CTLS) != 0;
	if (((basic >> VMX_BASIC_MEMTYPE_SHIFT) & VMX_BASIC_MEMTYPE_MASK) != MEMTYPE_WB)
		return "the VMCS memory type is not write-back (IA32_VMX_BASIC)";

	caps->pin = rdmsr(caps->true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	caps->proc = rdmsr(caps->true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
	caps->exit = rdmsr(caps->true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	caps->entry = rdmsr(caps->true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	caps->misc = rdmsr(MSR_IA32_VMX_MISC);
	caps->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	caps->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	caps->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	caps->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);

	if (!((caps->proc >> 32) & VMXC_PROC_ACTIVATE_SECONDARY))
		return "VMX has no secondary processor-based controls, so no EPT";
	caps->proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
	if (!((caps->proc2 >> 32) & VMXC_PROC2_ENABLE_EPT))
		return "VMX has no EPT (IA32_VMX_PROCBASED_CTLS2 allowed-1 bit 1 = 0)";
	if (!((caps->proc2 >> 32) & VMXC_PROC2_UNRESTRICTED_GUEST))
		return "VMX has no unrestricted guest (IA32_VMX_PROCBASED_CTLS2 allowed-1 bit 7 = 0)";
	caps->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	x86_ept_caps = caps->ept_vpid;
	if (!(caps->ept_vpid & EPT_CAP_WALK_4) || !(caps->ept_vpid & EPT_CAP_WB))
		return "EPT lacks a 4-level write-back page walk (IA32_VMX_EPT_VPID_CAP)";
	if (!(caps->ept_vpid & EPT_CAP_INVEPT) ||
	    !(caps->ept_vpid & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)))
		return "EPT has no INVEPT (IA32_VMX_EPT_VPID_CAP)";
	/* Every other control core's set needs is checked, by name, when a vCPU is set up (vmcs.c). */
	return NULL;
}

int vmx_on(const struct vmx_caps *caps)
{
	/* SDM 24.8: CR0/CR4 must hold the fixed bits in VMX operation. */
	write_cr0((read_cr0() | caps->cr0_fixed0) & caps->cr0_fixed1);
	write_cr4(((read_cr4() | caps->cr4_fixed0) & caps->cr4_fixed1) | CR4_VMXE);

	uint8_t *region = vmxon_region[plat_cpu_id()];
	*(uint32_t *)region = caps->revision;
	uint64_t pa = virt_to_phys(region);
	bool fail;
	__asm__ volatile("vmxon %[pa]; setna %[fail]" : [fail] "=qm"(fail) : [pa] "m"(pa) : "cc", "memory");
	return fail ? -TERN_EIO : 0;
}

/* SDM Vol. 3C 31.4, Table 31-1. */
static const char *const vm_instr_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[19] = "VMCALL with non-clear VMCS",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier",
	[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[24] = "VMCALL with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "Invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_name(uint32_t err)
{
	if (err < sizeof(vm_instr_errors) / sizeof(vm_instr_errors[0]) && vm_instr_errors[err])
		return vm_instr_errors[err];
	return "unknown VM-instruction error";
}
