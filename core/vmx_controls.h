/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VMX control set core's exit handling relies on (SDM Vol. 3C 25.6-25.8),
 * decided here and applied verbatim by the platform.
 *
 * vmxc_build() returns, for one vCPU of a VM, the pin-based, primary and
 * secondary processor-based, VM-exit and VM-entry controls, the exception
 * bitmap and the VPID. The rest of the contract lives with its concept and
 * is referenced, not copied: the CR0/CR4 guest/host masks and read shadows
 * are vcpu->cr (cr.h), the MSR bitmap is vm->msr_bitmap (msr.h), the TSC
 * offset is vcpu->msr.tsc_offset (msr.h). Port I/O has no bitmap: every
 * access exits ("unconditional I/O exiting" with "use I/O bitmaps" clear,
 * SDM 26.1.3), because core's port bus decides per port (pio.h).
 *
 * What the platform does with a set (platform/x86/vmcs.c):
 *   - every bit of ctl[f] must be allowed-1 in the capability MSR of field f
 *     (the TRUE_* MSR when IA32_VMX_BASIC[55] is set, SDM A.3-A.5), else it
 *     refuses to start, naming the control (vmxc_control_name);
 *   - every defined control core leaves clear (vmxc_control_name != NULL)
 *     must be allowed-0, else it refuses the same way: core relies on it
 *     being off (a "native" row of the exit table, or a feature Tern does not
 *     use). Reserved bits the CPU forces to 1 are set, the others stay 0;
 *   - the bits of optional[f] are set where allowed-1, left clear otherwise
 *     (PAUSE-loop exiting: with PLE_Gap / PLE_Window below);
 *   - the bits of dynamic[f] must be allowed both ways: core turns them on
 *     and off per entry (the window-exiting controls follow vcpu->intr,
 *     exit_dispatch.h; "IA-32e mode guest" follows EFER.LMA, cr.h);
 *   - it writes the exception bitmap as given and vpid into the VPID field.
 * core/exit_dispatch.c states per exit reason which control makes it
 * reachable and which must stay clear; harness/unit/test_vmx_controls.c
 * holds the two against each other.
 */
#ifndef TERN_VMX_CONTROLS_H
#define TERN_VMX_CONTROLS_H

#include <stdint.h>
#include <stdbool.h>

struct vcpu;

/* Pin-based VM-execution controls, SDM Vol. 3C Table 25-5. */
#define VMXC_PIN_EXT_INT_EXITING (1u << 0)
#define VMXC_PIN_NMI_EXITING (1u << 3)
#define VMXC_PIN_VIRTUAL_NMIS (1u << 5)
#define VMXC_PIN_PREEMPTION_TIMER (1u << 6)
#define VMXC_PIN_POSTED_INTERRUPTS (1u << 7)

/* Primary processor-based VM-execution controls, SDM Vol. 3C Table 25-6. */
#define VMXC_PROC_INT_WINDOW_EXITING (1u << 2)
#define VMXC_PROC_USE_TSC_OFFSETTING (1u << 3)
#define VMXC_PROC_HLT_EXITING (1u << 7)
#define VMXC_PROC_INVLPG_EXITING (1u << 9)
#define VMXC_PROC_MWAIT_EXITING (1u << 10)
#define VMXC_PROC_RDPMC_EXITING (1u << 11)
#define VMXC_PROC_RDTSC_EXITING (1u << 12)
#define VMXC_PROC_CR3_LOAD_EXITING (1u << 15)
#define VMXC_PROC_CR3_STORE_EXITING (1u << 16)
#define VMXC_PROC_TERTIARY (1u << 17)
#define VMXC_PROC_CR8_LOAD_EXITING (1u << 19)
#define VMXC_PROC_CR8_STORE_EXITING (1u << 20)
#define VMXC_PROC_USE_TPR_SHADOW (1u << 21)
#define VMXC_PROC_NMI_WINDOW_EXITING (1u << 22)
#define VMXC_PROC_MOV_DR_EXITING (1u << 23)
#define VMXC_PROC_UNCOND_IO_EXITING (1u << 24)
#define VMXC_PROC_USE_IO_BITMAPS (1u << 25)
#define VMXC_PROC_MONITOR_TRAP_FLAG (1u << 27)
#define VMXC_PROC_USE_MSR_BITMAPS (1u << 28)
#define VMXC_PROC_MONITOR_EXITING (1u << 29)
#define VMXC_PROC_PAUSE_EXITING (1u << 30)
#define VMXC_PROC_ACTIVATE_SECONDARY (1u << 31)

/* Secondary processor-based VM-execution controls, SDM Vol. 3C Table 25-7. */
#define VMXC_PROC2_VIRT_APIC_ACCESS (1u << 0)
#define VMXC_PROC2_ENABLE_EPT (1u << 1)
#define VMXC_PROC2_DESC_TABLE_EXITING (1u << 2)
#define VMXC_PROC2_ENABLE_RDTSCP (1u << 3)
#define VMXC_PROC2_VIRT_X2APIC (1u << 4)
#define VMXC_PROC2_ENABLE_VPID (1u << 5)
#define VMXC_PROC2_WBINVD_EXITING (1u << 6)
#define VMXC_PROC2_UNRESTRICTED_GUEST (1u << 7)
#define VMXC_PROC2_APIC_REG_VIRT (1u << 8)
#define VMXC_PROC2_VIRT_INTR_DELIVERY (1u << 9)
#define VMXC_PROC2_PAUSE_LOOP_EXITING (1u << 10)
#define VMXC_PROC2_RDRAND_EXITING (1u << 11)
#define VMXC_PROC2_ENABLE_INVPCID (1u << 12)
#define VMXC_PROC2_ENABLE_VMFUNC (1u << 13)
#define VMXC_PROC2_VMCS_SHADOWING (1u << 14)
#define VMXC_PROC2_ENCLS_EXITING (1u << 15)
#define VMXC_PROC2_RDSEED_EXITING (1u << 16)
#define VMXC_PROC2_ENABLE_PML (1u << 17)
#define VMXC_PROC2_EPT_VE (1u << 18)
#define VMXC_PROC2_ENABLE_XSAVES (1u << 20)
#define VMXC_PROC2_PASID_TRANSLATION (1u << 21)
#define VMXC_PROC2_SPP (1u << 23)
#define VMXC_PROC2_USER_WAIT_PAUSE (1u << 26)
#define VMXC_PROC2_ENCLV_EXITING (1u << 28)
#define VMXC_PROC2_BUS_LOCK_EXITING (1u << 30)
#define VMXC_PROC2_NOTIFY_EXITING (1u << 31)

/* VM-exit controls, SDM Vol. 3C Table 25-13. */
#define VMXC_EXIT_SAVE_DEBUG (1u << 2)
#define VMXC_EXIT_HOST_ADDR_SPACE_SIZE (1u << 9)
#define VMXC_EXIT_ACK_INT_ON_EXIT (1u << 15)
#define VMXC_EXIT_SAVE_PAT (1u << 18)
#define VMXC_EXIT_LOAD_PAT (1u << 19)
#define VMXC_EXIT_SAVE_EFER (1u << 20)
#define VMXC_EXIT_LOAD_EFER (1u << 21)
#define VMXC_EXIT_SAVE_PREEMPTION_TIMER (1u << 22)

/* VM-entry controls, SDM Vol. 3C Table 25-15. */
#define VMXC_ENTRY_LOAD_DEBUG (1u << 2)
#define VMXC_ENTRY_IA32E_MODE_GUEST (1u << 9)
#define VMXC_ENTRY_SMM (1u << 10)
#define VMXC_ENTRY_DUAL_MONITOR (1u << 11)
#define VMXC_ENTRY_LOAD_PAT (1u << 14)
#define VMXC_ENTRY_LOAD_EFER (1u << 15)

/*
 * PAUSE-loop exiting (SDM Vol. 3C 25.6.13, 26.1.3): a PAUSE at CPL 0
 * exits when the PAUSEs of one loop, each no more than PLE_Gap TSC ticks
 * after the last, have gone on for more than PLE_Window ticks. The gap
 * covers one turn of a spin-wait loop (a PAUSE takes tens to about 140
 * cycles, depending on the model). The window (2^16 ticks, some 30 us at
 * 2 GHz, 1/30 of the time slice) lets a short wait for a lock held on
 * another running CPU end without an exit, and hands the pCPU on from a
 * long one (its holder preempted, or a vCPU of the same pCPU) well before
 * the slice would (core/sched_slice.h). A spin on a pCPU of its own, e.g.
 * a guest's timed delay loop, costs one exit per window: with 2^12 the
 * test guest's delay loops took 50600 exits on Bochs, with 2^16 6000
 * (a boot run of 41500 exits in all).
 */
#define VMXC_PLE_GAP 128u
#define VMXC_PLE_WINDOW 65536u

/* The five 32-bit control fields, in the order of their capability MSRs. */
enum vmxc_field {
	VMXC_PIN = 0,
	VMXC_PROC,
	VMXC_PROC2,
	VMXC_EXIT,
	VMXC_ENTRY,
	VMXC_FIELD_COUNT,
};

struct vmx_controls {
	uint32_t ctl[VMXC_FIELD_COUNT];     /* the value at every VM entry */
	uint32_t dynamic[VMXC_FIELD_COUNT]; /* bits core sets and clears per entry */
	/*
	 * Bits core wants where the CPU allows them (allowed-1), and does
	 * without elsewhere: the platform sets each that the CPU can set and
	 * leaves the others clear, never refusing for one. Nothing core
	 * relies on for correctness is optional.
	 */
	uint32_t optional[VMXC_FIELD_COUNT];
	uint32_t exception_bitmap;          /* bit n: exception vector n exits */
	uint16_t vpid;                      /* never 0 (VPID 0 is the host's, SDM 29.1) */
};

/*
 * The control set for this vCPU. Depends on the VM's CPUID policy: a feature
 * the VM's CPUID shows must not #UD in the guest (RDTSCP/RDPID need "enable
 * RDTSCP", INVPCID needs "enable INVPCID", SDM 26.3 / Vol. 2 instruction pages).
 */
void vmxc_build(const struct vcpu *vcpu, struct vmx_controls *out);

/*
 * The vCPU's VPID: distinct for every vCPU of every VM slot, never 0. A slot
 * reused by a new VM reuses the VPIDs: vcpu_init asks for an INVVPID before
 * its first entry (the VCPU_REQ_FLUSH_VPID request).
 */
uint16_t vmxc_vpid(const struct vcpu *vcpu);

/*
 * APIC virtualization (SDM Vol. 3C chapter 29) without virtual-interrupt
 * delivery: "use TPR shadow", "virtualize APIC accesses" and "APIC-register
 * virtualization", used when the CPU allows all three (plat_vmx_ctl_cap).
 * Then a guest's xAPIC reads of the virtualized registers come from the
 * vCPU's virtual-APIC page (vlapic.page), its writes exit as APIC writes
 * (apic_write_exit) and MOV CR8 runs on the TPR shadow with the TPR
 * threshold of intr.h; without them the APIC page is an EPT violation
 * decoded by mmio.c, and CR8 accesses exit.
 */
bool vmxc_apic_virt(void);

/* "pin-based", "processor-based", ... as a refusal message names the field. */
const char *vmxc_field_name(enum vmxc_field f);
/* "RDPMC exiting" for (VMXC_PROC, 11); NULL for a reserved bit. */
const char *vmxc_control_name(enum vmxc_field f, unsigned bit);

#endif
