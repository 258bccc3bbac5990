/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMCS set-up for one vCPU (SDM Vol. 3C chapter 25, checks of 27.2-27.3):
 * the execution, exit and entry controls and the host state. The
 * VM-execution, exit and entry controls, the exception bitmap and the VPID
 * are core's (core/vmx_controls.h), written as given once vmx_ctls_resolve
 * has checked every bit against the capability MSRs; a control core needs
 * that the CPU cannot provide refuses the start with its name. The guest
 * state is core's, as for every VM: the VM manager's load state
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

/*
 * Core's control set for this vCPU, as the CPU will run it, or a refusal
 * naming the control (vmx_ctls.c checks; core decides, vmx_controls.c).
 */
static int resolve_controls(struct vcpu *vcpu, const struct vmx_caps *caps,
			    struct vmx_controls *set, uint32_t v[VMXC_FIELD_COUNT])
{
	struct vmx_refusal why;

	vmxc_build(vcpu, set);
	if (vmx_ctls_resolve(caps, set, v, &why)) {
		x86_log("REFUSED: VMX %s control \"%s\" %s", vmxc_field_name(why.field),
			vmxc_control_name(why.field, why.bit),
			why.forced_on ? "cannot be turned off on this CPU" : "not supported by this CPU");
		return -TERN_ENOTSUP;
	}
	/* core's VCPU_REQ_FLUSH_VPID requests need INVVPID (SDM Vol. 3C 31.3, A.10). */
	if (!(caps->ept_vpid & EPT_CAP_INVVPID) ||
	    !(caps->ept_vpid & (EPT_CAP_INVVPID_SINGLE | EPT_CAP_INVVPID_ALL))) {
		x86_log("REFUSED: VMX has VPIDs but no INVVPID (IA32_VMX_EPT_VPID_CAP)");
		return -TERN_ENOTSUP;
	}
	return 0;
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

	/* The controls are core's, applied as given (vmx_controls.h). */
	struct vmx_controls set;
	uint32_t v[VMXC_FIELD_COUNT];
	int ret = resolve_controls(vcpu, caps, &set, v);
	if (ret)
		return ret;
	xv->window_ok = set.dynamic[VMXC_PROC];
	xv->pin_ctls = v[VMXC_PIN];
	xv->pin_dynamic = set.dynamic[VMXC_PIN];
	xv->proc_ctls = v[VMXC_PROC];
	xv->proc2_ctls = v[VMXC_PROC2];
	xv->apic_access_ok = set.dynamic[VMXC_PROC2] & VMXC_PROC2_VIRT_APIC_ACCESS;
	xv->tpr_threshold = 0;
	uint32_t r[4];
	cpuid_count(0x80000001u, 0, r);
	xv->rdtscp = (r[3] & CPUID_80000001_EDX_RDTSCP) != 0;
	xv->tsc_aux_loaded = false;

	vmwrite_checked(VMCS_PIN_CONTROLS, v[VMXC_PIN], &err);
	vmwrite_checked(VMCS_PROC_CONTROLS, v[VMXC_PROC], &err);
	vmwrite_checked(VMCS_PROC_CONTROLS2, v[VMXC_PROC2], &err);
	/* PAUSE-loop exiting, where the CPU has core's optional control: core's gap and window. */
	if (v[VMXC_PROC2] & VMXC_PROC2_PAUSE_LOOP_EXITING) {
		vmwrite_checked(VMCS_PLE_GAP, VMXC_PLE_GAP, &err);
		vmwrite_checked(VMCS_PLE_WINDOW, VMXC_PLE_WINDOW, &err);
	}
	vmwrite_checked(VMCS_EXIT_CONTROLS, v[VMXC_EXIT], &err);
	vmwrite_checked(VMCS_ENTRY_CONTROLS, v[VMXC_ENTRY], &err);
	vmwrite_checked(VMCS_EXCEPTION_BITMAP, set.exception_bitmap, &err);
	vmwrite_checked(VMCS_VPID, set.vpid, &err);
	/* Every port exits: no I/O bitmaps ("use I/O bitmaps" is clear in core's set). */
	vmwrite_checked(VMCS_MSR_BITMAP, virt_to_phys(vcpu->vm->msr_bitmap.bits), &err);
	vmwrite_checked(VMCS_TSC_OFFSET, vcpu->msr.tsc_offset, &err);
	/*
	 * APIC virtualization (core's set has "use TPR shadow" when
	 * vmxc_apic_virt): the virtual-APIC page is the vLAPIC's register page
	 * itself (vlapic.page, 4 KiB aligned in struct vcpu, SDM 29.1), the
	 * APIC-access page the one core mapped at 0xFEE00000 (vm.c
	 * map_apic_access, SDM 29.4). The TPR threshold starts at 0 (no
	 * TPR-below-threshold exit, and never above VTPR[7:4], SDM 27.2.1.1);
	 * core's per-entry value goes in at every entry (run.c), as does
	 * "virtualize APIC accesses", which starts clear.
	 */
	if (v[VMXC_PROC] & VMXC_PROC_USE_TPR_SHADOW) {
		vmwrite_checked(VMCS_VIRTUAL_APIC_ADDR, virt_to_phys(vcpu->lapic.page), &err);
		vmwrite_checked(VMCS_TPR_THRESHOLD, 0, &err);
	}
	if (xv->apic_access_ok)
		vmwrite_checked(VMCS_APIC_ACCESS_ADDR, x->apic_access_hpa, &err);
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
