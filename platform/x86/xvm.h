/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The platform's half of a VM and a vCPU on x86: where the guest's RAM and
 * page-table pages are in host memory, the VMCS, the GPR save area. Core's
 * struct vm / struct vcpu hold everything that decides; these only move
 * bits. Indexed by vm->id / vcpu->id.
 */
#ifndef TERN_X86_XVM_H
#define TERN_X86_XVM_H

#include <stdint.h>
#include <stdbool.h>
#include "vm.h"
#include "vmx.h"

/*
 * The guest state the VMCS does not hold (SDM Vol. 3C 25.4, 28.3: none of it
 * is saved or loaded by VM exits and entries): in the CPU while the vCPU is
 * the pCPU's current one, here while it is switched out (vcpu_switch.c).
 */
struct x86_guest_extra {
	uint64_t cr2;
	uint64_t xcr0;
	uint64_t star, lstar, cstar, fmask;     /* SYSCALL/SYSRET MSRs */
	uint64_t kernel_gs_base;                /* SWAPGS */
	uint64_t dr[4];
	uint64_t dr6;
	uint8_t *xsave;                         /* x87/SSE/AVX... state, xstate_area_size() bytes */
};

struct x86_vcpu {
	uint64_t gprs[16];              /* enum vcpu_reg order; RSP lives in the VMCS */
	uint8_t *vmcs;                  /* 4 KiB, hypervisor-virtual */
	uint64_t vmcs_hpa;
	bool launched;                  /* this VMCS was launched: VMRESUME, not VMLAUNCH */
	bool ready;                     /* vmcs_setup done for this VM (x86_vcpu_ready) */
	/*
	 * The pCPU this VMCS is active on (VMPTRLD, not VMCLEARed since), plus
	 * one; 0: none. Only that pCPU may VMCLEAR it (SDM Vol. 3C 25.11.1), so
	 * a destroyed VM's VMCS is retired there: plat_vm_retire sets retire,
	 * the owner VMCLEARs and clears both (x86_pcpu_retire). Atomic.
	 */
	uint32_t active_on;
	uint32_t retire;
	struct x86_guest_extra extra;
	uint64_t cr0_mask, cr4_mask;    /* guest/host masks (without core's contract: bits VMX pins) */
	uint64_t cr0_force1, cr4_force1; /* VMX fixed-1 bits (unrestricted guest frees PE/PG) */
	uint64_t cr0_force0, cr4_force0; /* VMX fixed-0 bits */
	uint32_t proc_ctls;             /* primary controls as last written */
	uint32_t window_ok;             /* window-exiting controls this CPU allows */
	uint32_t pin_ctls;              /* pin-based controls as last written */
	uint32_t pin_dynamic;           /* core's dynamic pin-based controls (the preemption timer) */
	uint32_t proc2_ctls;            /* secondary controls as last written */
	uint32_t apic_access_ok;        /* core's dynamic "virtualize APIC accesses", or 0 */
	uint8_t tpr_threshold;          /* the TPR threshold as last written */
	uint8_t preempt_rate;           /* its rate: TSC / 2^rate (IA32_VMX_MISC 4:0) */
	bool rdtscp;                    /* the host has IA32_TSC_AUX */
	bool tsc_aux_loaded;
	uint64_t tsc_aux;               /* IA32_TSC_AUX as last loaded */
	uint64_t entries;
};

struct x86_vm {
	bool used;
	uint8_t *ram;                   /* guest RAM, hypervisor-virtual */
	uint64_t ram_hpa, ram_size;
	uint8_t *pt;                    /* page-table pages for core's EPT */
	uint64_t pt_hpa;
	uint32_t pt_pages;
	uint64_t eptp;
	/* The slot's APIC-access page (plat_apic_access_page), carved once, zeroed per VM. */
	uint64_t apic_access_hpa;
	struct x86_vcpu vcpus[TERN_MAX_VCPUS];
};

/*
 * A physical CPU: the vCPUs it runs and the one whose VMCS is current (and
 * whose x86_guest_extra is in the CPU).
 */
#define X86_PCPU_MAX_VCPUS (TERN_MAX_VMS * TERN_MAX_VCPUS)
struct x86_pcpu {
	uint16_t cpu;                   /* its index: hv->cpus[], vcpu->pcpu, plat_cpu_id() */
	struct vcpu *current;
	uint32_t current_life;          /* current->vm->life when it became current */
	uint32_t retire_pending;        /* atomic: a VMCS active here is to be retired */
	bool retire_wait;               /* this pCPU asked others to retire: wait after the exit */
	struct vcpu *vcpus[X86_PCPU_MAX_VCPUS];
	unsigned count;
	uint64_t switches;
	const struct vmx_caps *caps;    /* for the VMCS of every VM created later */
};

struct x86_vm *xvm_of(const struct vm *vm);
static inline struct x86_vcpu *xvcpu_of(const struct vcpu *vcpu)
{
	return &xvm_of(vcpu->vm)->vcpus[vcpu->id];
}

/* Host RAM for a VM of size bytes (its config.ram_hpa), 0 when none is left. */
uint64_t x86_vm_ram(uint64_t size);
/* Page-table pages per VM for core's EPT (and later VT-d). */
#define X86_VM_PT_PAGES 256u
/*
 * The vCPU's VMCS: controls and host state (SDM 25). The guest state comes
 * from core (vcpu->load, loaded before the first entry by run.c).
 */
int vmcs_setup(struct vcpu *vcpu, const struct vmx_caps *caps);
/* vmcs_setup before the vCPU's first entry, once per VM (run.c): 0 or -errno. */
int x86_vcpu_ready(struct x86_pcpu *pc, struct vcpu *vcpu);
/* Give the pCPU a vCPU to run: 0, or -TERN_ENOSPC. */
int x86_pcpu_assign(struct x86_pcpu *pc, struct vcpu *vcpu);
/* Run the pCPU's vCPUs until none of them can run any more. */
void x86_pcpu_run(struct x86_pcpu *pc, struct tern *hv);

/*
 * Switching vCPUs (vcpu_switch.c). xstate_host_init() enables what saving a
 * guest's FPU/SIMD state needs in the host's CR4 (OSFXSR, and OSXSAVE when
 * the CPU has XSAVE), before VMXON; xstate_area_size() is then the bytes a
 * vCPU's save area needs (CPUID.(EAX=0DH,ECX=0):ECX, every component XCR0
 * can enable, or the 512-byte FXSAVE form). x86_guest_extra_init() gives a
 * vCPU that never ran the power-on values (SDM Vol. 3A Table 9-1).
 * x86_vcpu_switch() makes `next` the pCPU's current vCPU: saves the
 * current one's x86_guest_extra, VMPTRLDs next's VMCS and loads its state.
 */
void xstate_host_init(void);
/* The host enabled XSAVE (CR4.OSXSAVE): XCR0 is per vCPU, XSAVE/XRSTOR switch. */
bool xstate_host_xsave(void);
uint32_t xstate_area_size(void);
void x86_guest_extra_init(struct x86_guest_extra *g, uint8_t *xsave_area);
int x86_vcpu_switch(struct x86_pcpu *pc, struct vcpu *next);
/*
 * Retiring a destroyed VM's VMCSs (vcpu_switch.c). x86_pcpu_retire(): on
 * the owner, VMCLEAR every VMCS another pCPU asked to retire here (the
 * loop's top: no VMCS access under way); a retired current vCPU stops
 * being current without its state saved (its VM is gone).
 * x86_pcpu_retire_wait(): on the pCPU whose exit destroyed a VM, once the
 * exit is over (no lock held), wait until every owner did it, retiring
 * what others ask of this pCPU meanwhile; an owner that has not in a
 * second is lost: "FATAL: pCPU<n> did not retire ..." and power off
 * (X86_EXIT_HV_FAULT).
 */
void x86_pcpu_retire(struct x86_pcpu *pc, struct tern *hv);
void x86_pcpu_retire_wait(struct x86_pcpu *pc, struct tern *hv);
/* A whole state was loaded (vcpu->load): the non-VMCS part of it, in the CPU. */
void x86_guest_extra_load(struct vcpu *vcpu, const struct vcpu_load_state *st);

/* The rest of every VM's unfinished COM1 line, to the console (plat_vm.c). */
void x86_console_flush_all(void);

/* Multiboot guest loading (guest_load.c): mods[0] is the kernel, the
 * others become its multiboot modules, and the VM's ACPI tables
 * (core/vm_acpi.h, for vm's vCPUs) go to VM_ACPI_GPA, which no segment may
 * cover; a refusal has logged its line. */
struct boot_module;
int guest_load_multiboot(struct vm *vm, const struct boot_module *mods, unsigned nmods,
			 uint64_t *entry, uint32_t *mbi_gpa);

#endif
