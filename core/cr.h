/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control registers: CR0/CR4 guest/host masks and read shadows (SDM Vol. 3C
 * 25.6.6), the validity checks of MOV to CR0/CR3/CR4/CR8, CLTS and LMSW
 * (SDM Vol. 3A 2.5, Vol. 2B MOV CR), and XSETBV (SDM Vol. 2C XSETBV,
 * Vol. 1 13.3).
 *
 * Registers: vcpu regs CR0/CR4 hold the values the CPU runs with (GUEST_CR0,
 * GUEST_CR4); the guest reads (real & ~mask) | (shadow & mask).
 *
 * What the platform applies before VM entry when `dirty` is set:
 *   CR0_GUEST_HOST_MASK = cr0_mask    CR0_READ_SHADOW = cr0_shadow
 *   CR4_GUEST_HOST_MASK = cr4_mask    CR4_READ_SHADOW = cr4_shadow
 * then clears `dirty`. When `pdpte_dirty` is set it writes GUEST_PDPTE0..3
 * from pdpte[] (PAE paging with EPT, SDM 26.3.2.4) and clears it. The
 * "IA-32e mode guest" VM-entry control always follows EFER.LMA (regs[EFER]).
 */
#ifndef TERN_CR_H
#define TERN_CR_H

#include <stdint.h>
#include <stdbool.h>
#include "guest_fault.h"

struct vcpu;
struct exit_record;

struct vcpu_cr {
	uint64_t cr0_mask;    /* bits Tern owns: guest writes that change them exit */
	uint64_t cr0_shadow;  /* the guest's view of the owned bits */
	uint64_t cr4_mask;
	uint64_t cr4_shadow;
	bool dirty;
	uint64_t pdpte[4];
	bool pdpte_dirty;
};

/*
 * Owned CR0 bits: everything except TS, MP and EM, which only matter to the
 * guest's own FPU switching and have no invalid combination.
 */
#define CR_CR0_GUEST_OWNED ((1ull << 1) | (1ull << 2) | (1ull << 3))
#define CR_CR0_MASK (~CR_CR0_GUEST_OWNED)
/* Every CR4 bit is owned: each write is validated. */
#define CR_CR4_MASK (~0ull)
/* Architectural reset value of CR0 (SDM Vol. 3A Table 9-1): CD, NW, ET. */
#define CR_CR0_RESET 0x60000010ull

/* Power-on state: reset CR0/CR4 shadows and masks. */
void cr_reset(struct vcpu *vcpu);
/*
 * Load a boot state (the platform or VM manager starting a guest in
 * protected or long mode): sets shadows and running values.
 */
void cr_set_initial(struct vcpu *vcpu, uint64_t cr0, uint64_t cr4);

/*
 * A whole register state is about to be loaded by the platform (VM manager:
 * reset, HC_SET_VCPU_REGS, vcpu->load): its CR0/CR4 become the guest's view
 * (the read shadows). The platform ORs in the bits VMX forces on
 * (CR0.NE, CR4.VMXE; IA32_VMX_CR0/CR4_FIXED0) when it writes the state.
 * Also requests an INVVPID of the vCPU's VPID (the VCPU_REQ_FLUSH_VPID request).
 */
void cr_adopt_load_state(struct vcpu *vcpu, uint64_t cr0, uint64_t cr4);

/*
 * A whole state with PAE paging (CR0.PG, CR4.PAE, not IA-32e) about to be
 * loaded: read its four PDPTEs from guest memory at CR3 now, as MOV to CR3
 * would (with EPT the CPU takes them from the VMCS, SDM Vol. 3C 26.3.2.4;
 * pdpte_dirty makes the platform write them). 0 (nothing to do outside
 * PAE paging), or -TERN_EINVAL when CR3 is not in RAM or a present PDPTE
 * has reserved bits set (VM entry would fail, SDM 26.3.1.6); nothing
 * changes then.
 */
int cr_load_state_pdptes(struct vcpu *vcpu, uint64_t cr0, uint64_t cr3, uint64_t cr4,
			 uint64_t efer);

uint64_t cr_guest_cr0(struct vcpu *vcpu);
uint64_t cr_guest_cr4(struct vcpu *vcpu);

/*
 * Each returns 0, or -TERN_EFAULT with the guest-visible fault in *f
 * (nothing changed).
 * MOV to CRn with the value as the CPU would see it (already sized).
 */
int cr_write_cr0(struct vcpu *vcpu, uint64_t value, struct guest_fault *f);
int cr_write_cr3(struct vcpu *vcpu, uint64_t value, struct guest_fault *f);
int cr_write_cr4(struct vcpu *vcpu, uint64_t value, struct guest_fault *f);
int cr_write_cr8(struct vcpu *vcpu, uint64_t value, struct guest_fault *f);
/* LMSW (SDM Vol. 2A LMSW): loads CR0[3:0]; cannot clear PE. */
int cr_lmsw(struct vcpu *vcpu, uint16_t source, struct guest_fault *f);
/* XSETBV with ECX = index, EDX:EAX = value. */
int cr_xsetbv(struct vcpu *vcpu, uint32_t index, uint64_t value, struct guest_fault *f);
/* EFER write (WRMSR 0xC0000080): the LME/LMA rules of SDM Vol. 3A 9.8.5. */
int cr_write_efer(struct vcpu *vcpu, uint64_t value, struct guest_fault *f);

#endif
