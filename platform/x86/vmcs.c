/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMCS set-up for one vCPU (SDM Vol. 3C chapter 25, checks of 27.2-27.3):
 * the execution, exit and entry controls and the host state. Every control
 * is adjusted against the allowed-0/allowed-1 capability MSRs; a control
 * Tern depends on that the CPU lacks fails the set-up with its name. The
 * guest state is core's, as for every VM: the VM manager's load state
 * (vcpu->load, e.g. the Multiboot hand-off of vm_mgr_multiboot_state) is
 * written by run.c before the first entry.
 */
#include "xvm.h"
#include "vmcs.h"
#include "cpu.h"
#include "desc.h"
#include "machine.h"
#include "serial.h"
#include "err.h"
#include "x86.h"
#include "exit_dispatch.h"
#include "cr.h"

extern char vmx_exit_entry[];

static int vmwrite_checked(uint32_t field, uint64_t value, int *err)
{
	if (!vmx_write(field, value)) {
		x86_log("VMWRITE 0x%x <- 0x%lx failed: %s", field, (unsigned long)value,
			vmx_instruction_error_name((uint32_t)vmx_read(VMCS_VM_INSTRUCTION_ERROR)));
		*err = -TERN_EIO;
	}
	return *err;
}

/* Adjust, and name the wanted bits the CPU cannot provide. */
static uint32_t ctl(const char *what, uint64_t cap, uint32_t want, uint32_t need, int *err)
{
	uint32_t missing;
	uint32_t v = vmx_adjust_ctls(cap, want, &missing);
	if (missing & need) {
		x86_log("VMX %s controls: required bits 0x%x not allowed by this CPU", what, missing & need);
		*err = -TERN_ENOTSUP;
	}
	return v;
}

int vmcs_setup(struct vcpu *vcpu, const struct vmx_caps *caps)
{
	struct x86_vm *x = xvm_of(vcpu->vm);
	struct x86_vcpu *xv = xvcpu_of(vcpu);
	int err = 0;

	*(uint32_t *)xv->vmcs = caps->revision;
	if (!vmx_clear(xv->vmcs_hpa) || !vmx_ptrld(xv->vmcs_hpa)) {
		x86_log("VMCLEAR/VMPTRLD of the VMCS at 0x%lx failed", (unsigned long)xv->vmcs_hpa);
		return -TERN_EIO;
	}

	/*
	 * Pin-based: external interrupts and NMIs exit (the host owns the
	 * hardware; the guest sees only what core injects).
	 */
	uint32_t pin = ctl("pin-based", caps->pin,
			   PIN_EXT_INT_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS,
			   PIN_EXT_INT_EXITING, &err);
	/*
	 * Primary: HLT and every port access exit (core decides per port);
	 * MSRs exit as core's bitmap says (msr.h), and the TSC offset is
	 * core's; CR3 accesses do not exit (EPT makes the guest's paging its
	 * own business). The window-exiting controls are set per entry when
	 * core asks (exit_dispatch.h); NMI-window exiting needs virtual NMIs.
	 */
	uint32_t proc_want = PROC_HLT_EXITING | PROC_UNCOND_IO_EXITING | PROC_ACTIVATE_SECONDARY |
			     PROC_USE_MSR_BITMAPS | PROC_USE_TSC_OFFSETTING;
	uint32_t proc = ctl("processor-based", caps->proc, proc_want, proc_want, &err);
	xv->window_ok = (uint32_t)(caps->proc >> 32) & PROC_INT_WINDOW_EXITING;
	if ((pin & PIN_VIRTUAL_NMIS) && ((caps->proc >> 32) & PROC_NMI_WINDOW_EXITING))
		xv->window_ok |= PROC_NMI_WINDOW_EXITING;
	xv->proc_ctls = proc;
	uint32_t r[4];
	cpuid_count(0x80000001u, 0, r);
	xv->rdtscp = (r[3] & CPUID_80000001_EDX_RDTSCP) != 0;
	xv->tsc_aux_loaded = false;
	uint32_t proc2_want = PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST;
	uint32_t proc2 = ctl("secondary", caps->proc2, proc2_want, proc2_want, &err);
	uint32_t exit_want = EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_EFER | EXIT_LOAD_EFER |
			     EXIT_SAVE_PAT | EXIT_LOAD_PAT;
	uint32_t exitc = ctl("VM-exit", caps->exit, exit_want, exit_want, &err);
	uint32_t entry_want = ENTRY_LOAD_EFER | ENTRY_LOAD_PAT;
	uint32_t entry = ctl("VM-entry", caps->entry, entry_want, entry_want, &err);
	entry &= ~ENTRY_IA32E_MODE_GUEST;
	if (err)
		return err;

	vmwrite_checked(VMCS_PIN_CONTROLS, pin, &err);
	vmwrite_checked(VMCS_PROC_CONTROLS, proc, &err);
	vmwrite_checked(VMCS_PROC_CONTROLS2, proc2, &err);
	vmwrite_checked(VMCS_EXIT_CONTROLS, exitc, &err);
	vmwrite_checked(VMCS_ENTRY_CONTROLS, entry, &err);
	vmwrite_checked(VMCS_EXCEPTION_BITMAP, EXIT_EXCEPTION_BITMAP, &err);
	vmwrite_checked(VMCS_MSR_BITMAP, virt_to_phys(vcpu->vm->msr_bitmap.bits), &err);
	vmwrite_checked(VMCS_TSC_OFFSET, vcpu->msr.tsc_offset, &err);
	vcpu->msr.tsc_offset_dirty = false;
	vmwrite_checked(VMCS_PF_ERROR_MASK, 0, &err);
	vmwrite_checked(VMCS_PF_ERROR_MATCH, 0, &err);
	vmwrite_checked(VMCS_CR3_TARGET_COUNT, 0, &err);
	vmwrite_checked(VMCS_EXIT_MSR_STORE_COUNT, 0, &err);
	vmwrite_checked(VMCS_EXIT_MSR_LOAD_COUNT, 0, &err);
	vmwrite_checked(VMCS_ENTRY_MSR_LOAD_COUNT, 0, &err);
	vmwrite_checked(VMCS_ENTRY_INTR_INFO, 0, &err);
	vmwrite_checked(VMCS_EPT_POINTER, x->eptp, &err);
	vmwrite_checked(VMCS_LINK_POINTER, ~0ull, &err);

	/*
	 * CR0/CR4: core owns the guest/host masks and read shadows (cr.h) and
	 * forces CR0.NE and CR4.VMXE on; the platform still applies whatever
	 * else this CPU's fixed MSRs pin (SDM 24.8, A.7, A.8), except PE and PG
	 * which unrestricted guest frees (SDM 27.3.1.1), to every CR0/CR4 it
	 * writes (run.c, load_state.c).
	 */
	xv->cr0_force1 = caps->cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG) & 0xffffffffull;
	xv->cr0_force0 = ~caps->cr0_fixed1 & 0xffffffffull;
	xv->cr4_force1 = caps->cr4_fixed0 & 0xffffffffull;
	xv->cr4_force0 = ~caps->cr4_fixed1 & 0xffffffffull;
	/* Host state: this CPU as it is now (SDM 25.5, 28.5). */
	vmwrite_checked(VMCS_HOST_CR0, read_cr0(), &err);
	vmwrite_checked(VMCS_HOST_CR3, read_cr3(), &err);
	vmwrite_checked(VMCS_HOST_CR4, read_cr4(), &err);
	vmwrite_checked(VMCS_HOST_CS_SEL, HOST_CS, &err);
	vmwrite_checked(VMCS_HOST_SS_SEL, HOST_DS, &err);
	vmwrite_checked(VMCS_HOST_DS_SEL, HOST_DS, &err);
	vmwrite_checked(VMCS_HOST_ES_SEL, HOST_DS, &err);
	vmwrite_checked(VMCS_HOST_FS_SEL, HOST_DS, &err);
	vmwrite_checked(VMCS_HOST_GS_SEL, HOST_DS, &err);
	vmwrite_checked(VMCS_HOST_TR_SEL, HOST_TR, &err);
	vmwrite_checked(VMCS_HOST_FS_BASE, 0, &err);
	vmwrite_checked(VMCS_HOST_GS_BASE, 0, &err);
	vmwrite_checked(VMCS_HOST_TR_BASE, desc_tss_base(), &err);
	vmwrite_checked(VMCS_HOST_GDTR_BASE, desc_gdt_base(), &err);
	vmwrite_checked(VMCS_HOST_IDTR_BASE, desc_idt_base(), &err);
	vmwrite_checked(VMCS_HOST_SYSENTER_CS, 0, &err);
	vmwrite_checked(VMCS_HOST_SYSENTER_ESP, 0, &err);
	vmwrite_checked(VMCS_HOST_SYSENTER_EIP, 0, &err);
	vmwrite_checked(VMCS_HOST_EFER, rdmsr(HOST_MSR_EFER), &err);
	vmwrite_checked(VMCS_HOST_PAT, rdmsr(HOST_MSR_PAT), &err);
	vmwrite_checked(VMCS_HOST_RIP, (uint64_t)vmx_exit_entry, &err);

	xv->launched = false;
	return err;
}
