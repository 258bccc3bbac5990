/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Model-specific registers: which MSRs trap (the MSR bitmap, SDM Vol. 3C
 * 25.6.9), the MSRs Tern emulates, and RDMSR/WRMSR exits. Every MSR that
 * is neither emulated nor passed through raises #GP(0), as does any write
 * with reserved bits set. IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC
 * range (0x800-0x8FF) are the vCPU's vLAPIC's (vlapic.h): #GP outside
 * x2APIC mode, which needs CPUID.1:ECX.x2APIC.
 *
 * What the platform applies:
 *   - vm->msr_bitmap.bits is the 4 KiB MSR bitmap (page-aligned): its HPA
 *     goes into the MSR-bitmap address, with "use MSR bitmaps" set.
 *   - MSRs in the pass-through list (msr_is_passthrough) are the guest's own
 *     on the CPU: the platform saves and restores them when it switches
 *     between VMs (or loads them with the VM-entry/exit MSR lists).
 *   - vcpu->msr.tsc_offset goes into the TSC-offset field (with "use TSC
 *     offsetting") when tsc_offset_dirty is set; the platform then clears it.
 *   - vcpu->msr.tsc_aux is the guest's IA32_TSC_AUX: the platform loads it
 *     before entry (VM-entry MSR-load list) so that RDTSCP/RDPID see it.
 *   - regs[PAT] and regs[EFER] are the GUEST_IA32_PAT / GUEST_IA32_EFER
 *     fields (load/save PAT and EFER controls).
 */
#ifndef TERN_MSR_H
#define TERN_MSR_H

#include <stdint.h>
#include <stdbool.h>
#include "guest_fault.h"

struct vcpu;
struct vm;

/* MSR indices, SDM Vol. 4 Table 2-2. */
#define MSR_IA32_TSC 0x10u
#define MSR_IA32_APIC_BASE 0x1bu
#define MSR_IA32_FEATURE_CONTROL 0x3au
#define MSR_IA32_TSC_ADJUST 0x3bu
#define MSR_IA32_BIOS_SIGN_ID 0x8bu
#define MSR_IA32_MTRRCAP 0xfeu
#define MSR_IA32_SYSENTER_CS 0x174u
#define MSR_IA32_SYSENTER_ESP 0x175u
#define MSR_IA32_SYSENTER_EIP 0x176u
#define MSR_IA32_MISC_ENABLE 0x1a0u
#define MSR_IA32_MTRR_PHYSBASE0 0x200u
#define MSR_IA32_MTRR_FIX64K_00000 0x250u
#define MSR_IA32_MTRR_FIX16K_80000 0x258u
#define MSR_IA32_MTRR_FIX16K_A0000 0x259u
#define MSR_IA32_MTRR_FIX4K_C0000 0x268u
#define MSR_IA32_MTRR_FIX4K_F8000 0x26fu
#define MSR_IA32_PAT 0x277u
#define MSR_IA32_MTRR_DEF_TYPE 0x2ffu
#define MSR_IA32_TSC_DEADLINE 0x6e0u
#define MSR_X2APIC_FIRST 0x800u
#define MSR_X2APIC_LAST 0x8ffu
#define MSR_IA32_EFER 0xc0000080u
#define MSR_IA32_STAR 0xc0000081u
#define MSR_IA32_LSTAR 0xc0000082u
#define MSR_IA32_CSTAR 0xc0000083u
#define MSR_IA32_FMASK 0xc0000084u
#define MSR_IA32_FS_BASE 0xc0000100u
#define MSR_IA32_GS_BASE 0xc0000101u
#define MSR_IA32_KERNEL_GS_BASE 0xc0000102u
#define MSR_IA32_TSC_AUX 0xc0000103u

/* IA32_APIC_BASE fields, SDM Vol. 3A 10.4.4. */
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define APIC_BASE_DEFAULT 0xfee00000ull
/* IA32_FEATURE_CONTROL as Tern shows it: locked, VMX off in and outside SMX. */
#define FEATURE_CONTROL_LOCKED 0x1ull
/* MTRRs Tern offers: 8 variable ranges, fixed ranges, write combining (SDM 11.11.1). */
#define MTRR_VCNT 8u
#define MTRRCAP_VALUE (MTRR_VCNT | (1u << 8) | (1u << 10))
#define MTRR_FIXED_COUNT 11u
/* MISC_ENABLE at reset: fast strings; BTS and PEBS unavailable (SDM Vol. 4 Table 2-2). */
#define MISC_ENABLE_FAST_STRING (1ull << 0)
#define MISC_ENABLE_BTS_UNAVAIL (1ull << 11)
#define MISC_ENABLE_PEBS_UNAVAIL (1ull << 12)
#define MISC_ENABLE_RESET (MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL)
/* PAT at reset (SDM Vol. 3A 11.12.4). */
#define PAT_RESET 0x0007040600070406ull

struct vcpu_msr {
	uint64_t tsc_offset;     /* guest TSC = host TSC + tsc_offset (mod 2^64) */
	bool tsc_offset_dirty;
	uint64_t tsc_adjust;
	uint64_t tsc_aux;        /* the platform loads it into IA32_TSC_AUX for RDTSCP/RDPID */
	uint64_t misc_enable;
	uint64_t mtrr_def_type;
	uint64_t mtrr_fixed[MTRR_FIXED_COUNT];
	uint64_t mtrr_var[2 * MTRR_VCNT];   /* PHYSBASEn, PHYSMASKn */
};

/* The MSR bitmap, SDM Vol. 3C 25.6.9: a set bit makes the access exit. */
#define MSR_BITMAP_SIZE 4096
#define MSR_BITMAP_READ_LOW 0      /* MSRs 0x00000000-0x00001FFF */
#define MSR_BITMAP_READ_HIGH 1024  /* MSRs 0xC0000000-0xC0001FFF */
#define MSR_BITMAP_WRITE_LOW 2048
#define MSR_BITMAP_WRITE_HIGH 3072
struct msr_bitmap {
	_Alignas(4096) uint8_t bits[MSR_BITMAP_SIZE];
};

/* Trap every MSR except the pass-through list. */
void msr_bitmap_build(struct msr_bitmap *b);
/* Whether the bitmap makes RDMSR (write=false) / WRMSR of `msr` exit; MSRs outside both ranges always exit. */
bool msr_bitmap_traps(const struct msr_bitmap *b, uint32_t msr, bool write);
/* MSRs the guest reads and writes without an exit. */
bool msr_is_passthrough(uint32_t msr);

/* Power-on values of the emulated MSRs (SDM Vol. 3A Table 9-1). */
void msr_reset(struct vcpu *vcpu);
/* Emulated RDMSR/WRMSR: 0, or -TERN_EFAULT with the fault (#GP(0)) in *f. */
int msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value, struct guest_fault *f);
int msr_write(struct vcpu *vcpu, uint32_t msr, uint64_t value, struct guest_fault *f);
/* Whether a memory type is valid in PAT (0,1,4,5,6,7) / an MTRR (0,1,4,5,6). */
bool msr_pat_type_valid(unsigned type);
bool msr_mtrr_type_valid(unsigned type);

#endif
