/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest page walk: linear -> guest-physical translation the way the CPU does
 * it (Intel SDM Vol. 3A, chapter 4), for 32-bit, PAE, 4-level and 5-level
 * paging, with every access-rights rule of 4.6 and the accessed/dirty
 * updates of 4.8. A failed translation is returned as data: the #PF error
 * code (4.7) and the CR2 value to inject.
 *
 * Every paging-structure read and A/D write goes through guest_mem.c (the
 * VM's EPT), so a hostile CR3 or entry cannot reach outside guest memory.
 */
#ifndef TERN_PAGE_WALK_H
#define TERN_PAGE_WALK_H

#include <stdint.h>
#include <stdbool.h>
#include "guest_fault.h"
#include "vcpu.h"
#include "x86.h"   /* the CR0/CR4/EFER/RFLAGS bits the walk depends on */

struct vm;

/* Paging-structure entry bits (SDM Vol. 3A 4.3-4.5, Tables 4-4 to 4-20). */
#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_XD  (1ull << 63)
static inline unsigned pte_pkey(uint64_t e) { return (unsigned)(e >> 59) & 0xfu; }

/* #PF error code, SDM Vol. 3A 4.7, Figure 4-12. */
#define PF_EC_P    (1u << 0)
#define PF_EC_W    (1u << 1)
#define PF_EC_U    (1u << 2)
#define PF_EC_RSVD (1u << 3)
#define PF_EC_ID   (1u << 4)
#define PF_EC_PK   (1u << 5)

/* What kind of access is translated. */
#define PW_ACC_READ     0u
#define PW_ACC_WRITE    (1u << 0)
#define PW_ACC_FETCH    (1u << 1)
/* Implicit supervisor-mode access (descriptor tables etc., SDM 4.6). */
#define PW_ACC_IMPLICIT (1u << 2)
/* Check the rights but leave A/D alone (probe before a read-modify-write). */
#define PW_ACC_PROBE    (1u << 3)

enum pw_mode {
	PW_MODE_NONE = 0,   /* CR0.PG = 0: linear is physical */
	PW_MODE_32BIT,
	PW_MODE_PAE,
	PW_MODE_4LEVEL,
	PW_MODE_5LEVEL,
};

/* The register state a walk reads (SDM Vol. 3A 4.1.1, Table 4-1). */
struct pw_regs {
	uint64_t cr0, cr3, cr4, efer, rflags;
	unsigned cpl;
	uint32_t pkru;        /* user-mode protection-key rights, 4.6.2 */
	uint32_t pkrs;        /* supervisor-mode rights (IA32_PKRS) */
	unsigned maxphyaddr;  /* physical-address width, CPUID.80000008H:EAX[7:0] */
};

/*
 * Fill @out from the vCPU's register cache. PKRU/PKRS are not in the cache
 * yet (not VMCS fields): they read as 0, i.e. keys grant every access.
 */
void pw_regs_from_vcpu(struct vcpu *vcpu, struct pw_regs *out);

enum pw_mode pw_mode_of(const struct pw_regs *r);

/*
 * Translate @la for an access of kind @acc (PW_ACC_*).
 * Returns 0 and *gpa; -TERN_EFAULT with @f filled (#PF, CR2 = la) when the
 * guest takes a page fault; -TERN_EIO when a paging structure lies outside
 * guest RAM (no guest fault: the hypervisor cannot complete the walk), or
 * when an entry keeps changing under the A/D update; -TERN_EACCES with
 * f->wp and f->wp_gpa when the A/D update hits a paging structure the EPT
 * write-protects (the caller sends a WP IOREQ, as for a guest write).
 * On success the accessed/dirty flags are set as the CPU would (4.8), each
 * with a compare-and-swap of the entry that was read (atomic.h).
 */
int pw_translate(struct vm *vm, const struct pw_regs *r, uint64_t la, unsigned acc,
		 uint64_t *gpa, struct guest_fault *f);

#endif
