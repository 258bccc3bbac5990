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

struct x86_vcpu {
	uint64_t gprs[16];              /* enum vcpu_reg order; RSP lives in the VMCS */
	uint8_t *vmcs;                  /* 4 KiB, hypervisor-virtual */
	uint64_t vmcs_hpa;
	bool launched;
	uint64_t cr0_mask, cr4_mask;    /* guest/host masks (without core's contract: bits VMX pins) */
	uint64_t cr0_force1, cr4_force1; /* VMX fixed-1 bits (unrestricted guest frees PE/PG) */
	uint64_t cr0_force0, cr4_force0; /* VMX fixed-0 bits */
	uint32_t proc_ctls;             /* primary controls as last written */
	uint32_t window_ok;             /* window-exiting controls this CPU allows */
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
	struct x86_vcpu vcpus[TERN_MAX_VCPUS];
};

struct x86_vm *xvm_of(const struct vm *vm);
static inline struct x86_vcpu *xvcpu_of(const struct vcpu *vcpu)
{
	return &xvm_of(vcpu->vm)->vcpus[vcpu->id];
}

/* Host RAM for a VM of size bytes (its config.ram_hpa), 0 when none is left. */
uint64_t x86_vm_ram(uint64_t size);
/* Host memory below this is identity-mapped (mem.c's limit). */
#define X86_DIRECT_MAP_LIMIT (4ull << 30)

/* Page-table pages per VM for core's EPT (and later VT-d). */
#define X86_VM_PT_PAGES 256u
/* VMCS for the vCPU in the multiboot start state (SDM 25, multiboot 3.2). */
int vmcs_setup(struct vcpu *vcpu, const struct vmx_caps *caps, uint64_t rip, uint32_t eax,
	       uint32_t ebx);
/* Run the vCPU until its VM stops. */
void x86_run_vcpu(struct vcpu *vcpu, const struct vmx_caps *caps);

/* Multiboot guest loading (guest_load.c). */
struct boot_module;
int guest_load_multiboot(struct vm *vm, const struct boot_module *mod, uint64_t *entry,
			 uint32_t *mbi_gpa);

#endif
