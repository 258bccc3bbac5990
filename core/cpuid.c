/* SPDX-License-Identifier: BSD-3-Clause */
#include "cpuid.h"
#include "err.h"
#include "lib.h"
#include "platform.h"
#include "vm.h"
#include "x86.h"
#include "exit_handlers.h"

#define EXT_BASE 0x80000000u
/* Leaves whose output depends on ECX (SDM Vol. 2A, CPUID). */
static bool leaf_indexed(uint32_t leaf)
{
	return leaf == 4 || leaf == 7 || leaf == 0xb || leaf == 0xd || leaf == 0xf ||
	       leaf == 0x10 || leaf == 0x12 || leaf == 0x14 || leaf == 0x17 || leaf == 0x18 ||
	       leaf == 0x1f;
}

/* How many subleaves of an indexed leaf Tern keeps. */
#define MAX_SUBLEAVES 4

static int add(struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf, bool indexed,
	       const uint32_t regs[4])
{
	if (p->count == CPUID_MAX_ENTRIES)
		return -TERN_ENOSPC;
	struct cpuid_entry *e = &p->entries[p->count++];
	e->leaf = leaf;
	e->subleaf = subleaf;
	e->indexed = indexed;
	tern_memcpy(e->regs, regs, sizeof(e->regs));
	return 0;
}

/* Adjust one host leaf to what the VM may see. */
static void filter(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	(void)subleaf;
	switch (leaf) {
	case 1:
		/* VMX and SMX are the hypervisor's; the guest is told it is a guest. */
		r[2] &= ~(CPUID_1_ECX_VMX | CPUID_1_ECX_SMX);
		r[2] |= CPUID_1_ECX_HYPERVISOR;
		/* EBX[31:24] (initial APIC ID) is per vCPU: set at lookup. */
		r[1] &= 0x00ffffffu;
		break;
	default:
		break;
	}
}

int cpuid_policy_build(struct cpuid_policy *p, const struct vm_config *cfg)
{
	uint32_t r[4];
	int ret;

	(void)cfg;
	tern_memset(p, 0, sizeof(*p));
	plat_host_cpuid(0, 0, r);
	p->max_basic = r[0];
	plat_host_cpuid(EXT_BASE, 0, r);
	p->max_ext = r[0] >= EXT_BASE ? r[0] : EXT_BASE;

	for (uint32_t leaf = 0; leaf <= p->max_basic; leaf++) {
		unsigned nsub = leaf_indexed(leaf) ? MAX_SUBLEAVES : 1;
		for (uint32_t sub = 0; sub < nsub; sub++) {
			plat_host_cpuid(leaf, sub, r);
			filter(leaf, sub, r);
			if ((ret = add(p, leaf, sub, leaf_indexed(leaf), r)))
				return ret;
		}
	}
	for (uint32_t leaf = EXT_BASE; leaf <= p->max_ext; leaf++) {
		plat_host_cpuid(leaf, 0, r);
		if ((ret = add(p, leaf, 0, false, r)))
			return ret;
	}
	const uint32_t hv_base[4] = { CPUID_LEAF_HV_MAX, CPUID_TERN_SIG_EBX, CPUID_TERN_SIG_ECX,
				      CPUID_TERN_SIG_EDX };
	if ((ret = add(p, CPUID_LEAF_HV_BASE, 0, false, hv_base)))
		return ret;
	/* 0x40000001: EAX = Tern's CPUID interface version; no features yet. */
	const uint32_t hv_feat[4] = { 1, 0, 0, 0 };
	return add(p, CPUID_LEAF_HV_FEATURES, 0, false, hv_feat);
}

static const struct cpuid_entry *find(const struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf)
{
	for (unsigned i = 0; i < p->count; i++) {
		const struct cpuid_entry *e = &p->entries[i];
		if (e->leaf == leaf && (!e->indexed || e->subleaf == subleaf))
			return e;
	}
	return 0;
}

/*
 * SDM Vol. 2A, CPUID: "If a value entered for CPUID.EAX is higher than the
 * maximum input value for basic or extended function for that processor then
 * the data for the highest basic information leaf is returned." Tern's own
 * range ends at CPUID_LEAF_HV_MAX; past it the same rule applies.
 */
static uint32_t effective_leaf(const struct cpuid_policy *p, uint32_t leaf)
{
	if (leaf >= EXT_BASE)
		return leaf <= p->max_ext ? leaf : p->max_basic;
	if (leaf >= CPUID_LEAF_HV_BASE && leaf <= CPUID_LEAF_HV_RANGE_END)
		return leaf <= CPUID_LEAF_HV_MAX ? leaf : p->max_basic;
	return leaf <= p->max_basic ? leaf : p->max_basic;
}

void cpuid_lookup(const struct cpuid_policy *p, struct vcpu *vcpu, uint32_t leaf,
		  uint32_t subleaf, uint32_t regs[4])
{
	uint32_t eff = effective_leaf(p, leaf);
	const struct cpuid_entry *e = find(p, eff, subleaf);

	if (e)
		tern_memcpy(regs, e->regs, 4 * sizeof(uint32_t));
	else
		tern_memset(regs, 0, 4 * sizeof(uint32_t)); /* subleaf beyond what is kept */

	if (eff == 1) {
		regs[1] |= (uint32_t)vcpu->id << 24;
		/* OSXSAVE mirrors the guest's CR4.OSXSAVE (SDM Vol. 2A, CPUID). */
		if (vcpu_get_reg(vcpu, VCPU_CR4) & X86_CR4_OSXSAVE)
			regs[2] |= CPUID_1_ECX_OSXSAVE;
		else
			regs[2] &= ~CPUID_1_ECX_OSXSAVE;
	}
}

/* CPUID exit (SDM Vol. 3C 26.1.2: CPUID always exits in VMX non-root). */
enum exit_action cpuid_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint32_t regs[4];
	uint32_t leaf = (uint32_t)vcpu_get_reg(vcpu, VCPU_RAX);
	uint32_t subleaf = (uint32_t)vcpu_get_reg(vcpu, VCPU_RCX);

	cpuid_lookup(&vcpu->vm->cpuid, vcpu, leaf, subleaf, regs);
	/* CPUID writes EAX..EDX as 32-bit registers: the upper halves clear. */
	vcpu_set_reg(vcpu, VCPU_RAX, regs[0]);
	vcpu_set_reg(vcpu, VCPU_RBX, regs[1]);
	vcpu_set_reg(vcpu, VCPU_RCX, regs[2]);
	vcpu_set_reg(vcpu, VCPU_RDX, regs[3]);
	vcpu_advance_rip(vcpu, ex->instr_len);
	return EXIT_ACTION_RESUME;
}
