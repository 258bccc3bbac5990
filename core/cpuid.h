/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-VM CPUID policy: a table built once at VM creation from the host's
 * CPUID (plat_host_cpuid) and the VM's configuration, answered from then on
 * without touching the host. Per-vCPU fields (APIC IDs, OSXSAVE) are filled
 * in at lookup time.
 */
#ifndef TERN_CPUID_H
#define TERN_CPUID_H

#include <stdint.h>
#include <stdbool.h>

struct vcpu;
struct vm_config;

#define CPUID_MAX_ENTRIES 64

/* Tern's hypervisor leaves (the 0x40000000 range is reserved for hypervisors). */
#define CPUID_LEAF_HV_BASE 0x40000000u
#define CPUID_LEAF_HV_FEATURES 0x40000001u
#define CPUID_LEAF_HV_MAX CPUID_LEAF_HV_FEATURES
#define CPUID_LEAF_HV_RANGE_END 0x4fffffffu
/* "TernTernTern" as EBX, ECX, EDX. */
#define CPUID_TERN_SIG_EBX 0x6e726554u
#define CPUID_TERN_SIG_ECX 0x6e726554u
#define CPUID_TERN_SIG_EDX 0x6e726554u

/* CPUID.1 bits Tern controls (SDM Vol. 2A, CPUID, Table 3-10). */
#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_SMX (1u << 6)
#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)

struct cpuid_entry {
	uint32_t leaf;
	uint32_t subleaf;
	bool indexed;     /* subleaf matters for this leaf */
	uint32_t regs[4]; /* EAX, EBX, ECX, EDX */
};

struct cpuid_policy {
	struct cpuid_entry entries[CPUID_MAX_ENTRIES];
	unsigned count;
	uint32_t max_basic;
	uint32_t max_ext;
};

/* -TERN_ENOSPC if the host reports more leaves than the table holds. */
int cpuid_policy_build(struct cpuid_policy *p, const struct vm_config *cfg);
/* Answer CPUID(leaf, subleaf) for this vCPU: regs = EAX, EBX, ECX, EDX. */
void cpuid_lookup(const struct cpuid_policy *p, struct vcpu *vcpu, uint32_t leaf,
		  uint32_t subleaf, uint32_t regs[4]);

#endif
