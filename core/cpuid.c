/* SPDX-License-Identifier: BSD-3-Clause */
#include "cpuid.h"
#include "err.h"
#include "lib.h"
#include "platform.h"
#include "vm.h"
#include "x86.h"
#include "exit_handlers.h"
#include "retire.h"

#define EXT_BASE 0x80000000u
#define XSAVE_LEGACY_AND_HEADER 576u  /* 512-byte legacy area + 64-byte header (SDM Vol. 1 13.4) */
#define DEFAULT_MAXPHYADDR 36u         /* without leaf 0x80000008 (SDM Vol. 3A 4.1.4) */

/* Subleaves Tern keeps of each indexed leaf (SDM Vol. 2A, CPUID); 0 = not indexed. */
static unsigned leaf_subleaves(uint32_t leaf)
{
	switch (leaf) {
	case 4: return 8;       /* deterministic cache parameters, one per cache */
	case 7: return 2;
	case 0xb: case 0x1f: return 2;  /* SMT and core levels, generated */
	case 0xd: return 10;    /* XSAVE components up to PKRU (9) */
	case 0xf: case 0x10: case 0x12: case 0x14: case 0x17: case 0x18:
	case 0x1d: case 0x1e:
		return 4;
	default: return 0;
	}
}

/*
 * Leaves describing features Tern hides (MONITOR/MWAIT, the PMU, RDT, SGX,
 * processor trace, Key Locker, PCONFIG, AMX): answered as zeros.
 */
static bool leaf_hidden(uint32_t leaf)
{
	switch (leaf) {
	case 5: case 0xa: case 0xf: case 0x10: case 0x12: case 0x14: case 0x19: case 0x1b:
	case 0x1d: case 0x1e:
		return true;
	default:
		return false;
	}
}

/*
 * The table always fits: at most every basic leaf up to CPUID_MAX_BASIC_LEAF
 * with the extra subleaves leaf_subleaves() keeps (7 + 1 + 1 + 9 + 8 * 3 + 1
 * = 43), every extended leaf up to CPUID_MAX_EXT_LEAF, and Tern's two.
 */
_Static_assert(CPUID_MAX_ENTRIES >= (CPUID_MAX_BASIC_LEAF + 1) + 43 +
				    (CPUID_MAX_EXT_LEAF - 0x80000000u + 1) + 2,
	       "the CPUID table cannot hold every leaf Tern keeps");

/* The named hidden bits are outside the shown masks (cpuid.h). */
_Static_assert(!(CPUID_1_ECX_SHOWN & (CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_MONITOR | CPUID_1_ECX_PDCM)),
	       "CPUID.1:ECX shows a feature Tern hides");
_Static_assert(!(CPUID_7_EBX_SHOWN & (CPUID_7_EBX_SGX | CPUID_7_EBX_PQM | CPUID_7_EBX_MPX | CPUID_7_EBX_PQE |
				      CPUID_7_EBX_PT)),
	       "CPUID.7:EBX shows a feature Tern hides");
_Static_assert(!(CPUID_7_ECX_SHOWN & (CPUID_7_ECX_WAITPKG | CPUID_7_ECX_CET_SS | CPUID_7_ECX_KL |
				      CPUID_7_ECX_SGX_LC | CPUID_7_ECX_PKS)),
	       "CPUID.7:ECX shows a feature Tern hides");
_Static_assert(!(CPUID_7_EDX_SHOWN & (CPUID_7_EDX_CET_IBT | CPUID_7_EDX_AMX_ALL)),
	       "CPUID.7:EDX shows a feature Tern hides");

static void add(struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf, bool indexed,
		const uint32_t regs[4])
{
	struct cpuid_entry *e = &p->entries[p->count++];
	e->leaf = leaf;
	e->subleaf = subleaf;
	e->indexed = indexed;
	tern_memcpy(e->regs, regs, sizeof(e->regs));
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

static uint32_t log2_of(uint32_t pow2)
{
	uint32_t s = 0;
	while ((1u << s) < pow2)
		s++;
	return s;
}

/*
 * Topology: one package, one core per vCPU, one thread per core, APIC ID =
 * vCPU id (SDM Vol. 3A 8.9). Leaves 1, 4, 0xB and 0x1F agree on it.
 */
static void topology(const struct cpuid_policy *p, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	uint32_t ids = pow2_at_least(p->vcpu_count);

	if (leaf == 1) {
		/* EBX[23:16]: addressable logical processor IDs in the package. */
		r[1] = (r[1] & ~0x00ff0000u) | ((ids & 0xffu) << 16);
		r[3] |= CPUID_1_EDX_HTT;
	} else if (leaf == 4 && (r[0] & 0x1fu)) {
		/* EAX[31:26]: core IDs - 1; EAX[25:14]: logical IDs sharing the cache - 1. */
		uint32_t level = (r[0] >> 5) & 7u;
		uint32_t sharing = level >= 3 ? ids - 1 : 0;
		r[0] = (r[0] & 0x3fffu) | ((sharing & 0xfffu) << 14) | (((ids - 1) & 0x3fu) << 26);
	} else if (leaf == 0xb || leaf == 0x1f) {
		/* Subleaf 0: SMT level (type 1); subleaf 1: core level (type 2). EDX at lookup. */
		if (sub == 0) {
			r[0] = 0;
			r[1] = 1;
			r[2] = 1u << 8;
		} else {
			r[0] = log2_of(ids);
			r[1] = p->vcpu_count;
			r[2] = (2u << 8) | 1u;
		}
		r[3] = 0;
	}
}

/* Adjust one host leaf to what the VM may see. */
static void filter(struct cpuid_policy *p, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	if (leaf_hidden(leaf)) {
		r[0] = r[1] = r[2] = r[3] = 0;
		return;
	}
	switch (leaf) {
	case 0:
		r[0] = p->max_basic; /* the range as cut to the leaves Tern knows */
		break;
	case 1:
		/*
		 * Only what Tern backs (cpuid.h, CPUID_1_*_SHOWN): VMX and SMX
		 * are the hypervisor's, MONITOR/MWAIT exit as #UD, no PMU
		 * capabilities (PDCM), no MCA, debug store or thermal control.
		 * The APIC, x2APIC and TSC-deadline bits are the vLAPIC's, shown
		 * as the host has them: the vLAPIC implements all three
		 * (test_feature_policy.c probes each).
		 */
		r[2] &= CPUID_1_ECX_SHOWN;
		r[3] &= CPUID_1_EDX_SHOWN;
		r[2] |= CPUID_1_ECX_HYPERVISOR;
		/* EBX[31:24] (initial APIC ID) is per vCPU: set at lookup. */
		r[1] &= 0x00ffffffu;
		break;
	case 6:
		/*
		 * Thermal and power management: only ARAT stays (the vLAPIC
		 * timer runs in every state, vlapic.c). The digital thermal
		 * sensor, power limit and package thermal bits (their MSRs and
		 * the thermal LVT interrupt), HWP, the interrupt thresholds
		 * (EBX), MPERF/APERF and the energy-performance bias (ECX) are
		 * not emulated.
		 */
		r[0] &= CPUID_6_EAX_ARAT;
		r[1] = r[2] = r[3] = 0;
		break;
	case 7:
		if (sub == 0) {
			/* Only what Tern backs (cpuid.h, CPUID_7_*_SHOWN); subleaves 0 and 1. */
			if (r[0] > 1)
				r[0] = 1;
			r[1] &= CPUID_7_EBX_SHOWN;
			r[1] |= CPUID_7_EBX_TSC_ADJUST; /* emulated (msr.c) */
			r[2] &= CPUID_7_ECX_SHOWN;
			r[3] &= CPUID_7_EDX_SHOWN;
		} else if (sub == 1) {
			r[0] &= CPUID_71_EAX_SHOWN;
			r[1] = r[2] = r[3] = 0;
		}
		break;
	case 0xd:
		if (sub == 0) {
			r[0] = (uint32_t)p->xcr0_supported;
			r[3] = (uint32_t)(p->xcr0_supported >> 32);
		} else if (sub == 1) {
			/* XSAVEOPT, XSAVEC, XGETBV1 stay; no supervisor states (XSS). */
			r[0] &= ~(CPUID_D1_EAX_XSAVES | CPUID_D1_EAX_XFD);
			r[1] = r[2] = r[3] = 0;
		} else if (!((p->xcr0_supported >> sub) & 1u)) {
			r[0] = r[1] = r[2] = r[3] = 0;
		}
		break;
	default:
		break;
	}
	topology(p, leaf, sub, r);
}

static uint32_t bit(uint32_t reg, unsigned n)
{
	return (reg >> n) & 1u;
}

/* What the VM's CPUID enumerates decides which CR4/EFER bits are reserved. */
static void derive(struct cpuid_policy *p, const uint32_t l1[4], const uint32_t l7[4],
		   const uint32_t e1[4], const uint32_t e8[4], bool have_e8)
{
	uint64_t c = 0;
	const uint32_t edx = l1[3], ecx = l1[2];
	if (bit(edx, 1)) c |= X86_CR4_VME | X86_CR4_PVI;
	if (bit(edx, 4)) c |= X86_CR4_TSD;
	if (bit(edx, 2)) c |= X86_CR4_DE;
	if (bit(edx, 3)) c |= X86_CR4_PSE;
	if (bit(edx, 6)) c |= X86_CR4_PAE;
	if (bit(edx, 7)) c |= X86_CR4_MCE;
	if (bit(edx, 13)) c |= X86_CR4_PGE;
	c |= X86_CR4_PCE;
	if (bit(edx, 24)) c |= X86_CR4_OSFXSR;
	if (bit(edx, 25)) c |= X86_CR4_OSXMMEXCPT;
	if (ecx & CPUID_1_ECX_PCID) c |= X86_CR4_PCIDE;
	if (ecx & CPUID_1_ECX_XSAVE) c |= X86_CR4_OSXSAVE;
	if (l7[1] & CPUID_7_EBX_FSGSBASE) c |= X86_CR4_FSGSBASE;
	if (l7[1] & CPUID_7_EBX_SMEP) c |= X86_CR4_SMEP;
	if (l7[1] & CPUID_7_EBX_SMAP) c |= X86_CR4_SMAP;
	if (l7[2] & CPUID_7_ECX_UMIP) c |= X86_CR4_UMIP;
	if (l7[2] & CPUID_7_ECX_PKU) c |= X86_CR4_PKE;
	if (l7[2] & CPUID_7_ECX_LA57) c |= X86_CR4_LA57;
	/* VMXE, SMXE, CET and PKS are never valid: their features are hidden. */
	p->cr4_valid = c;

	uint64_t e = 0;
	if (bit(e1[3], 11)) e |= X86_EFER_SCE;
	if (bit(e1[3], 29)) e |= X86_EFER_LME | X86_EFER_LMA;
	if (bit(e1[3], 20)) e |= X86_EFER_NXE;
	p->efer_valid = e;

	unsigned m = have_e8 ? (e8[0] & 0xffu) : DEFAULT_MAXPHYADDR;
	p->maxphyaddr = (m >= 32 && m <= 52) ? m : DEFAULT_MAXPHYADDR;
}

/* Leaf 0 spells the vendor in EBX, EDX, ECX, four ASCII bytes each, little-endian. */
static bool vendor_is(const uint32_t r[4], uint32_t ebx, uint32_t edx, uint32_t ecx)
{
	return r[1] == ebx && r[3] == edx && r[2] == ecx;
}

enum cpuid_vendor cpuid_vendor_of(const uint32_t leaf0[4])
{
	if (vendor_is(leaf0, 0x756e6547u, 0x49656e69u, 0x6c65746eu))    /* Genu ineI ntel */
		return CPUID_VENDOR_INTEL;
	if (vendor_is(leaf0, 0x68747541u, 0x69746e65u, 0x444d4163u) ||  /* Auth enti cAMD */
	    vendor_is(leaf0, 0x6f677948u, 0x6e65476eu, 0x656e6975u))    /* Hygo nGen uine */
		return CPUID_VENDOR_AMD;
	return CPUID_VENDOR_OTHER;
}

static void add_leaf(struct cpuid_policy *p, struct cpuid_slot *slot, uint32_t leaf)
{
	unsigned nsub = leaf_subleaves(leaf);
	uint32_t r[4];

	slot->first = (uint8_t)p->count;
	slot->nsub = (uint8_t)(nsub ? nsub : 1);
	for (uint32_t sub = 0; sub < slot->nsub; sub++) {
		plat_host_cpuid(leaf, sub, r);
		if (leaf < EXT_BASE)
			filter(p, leaf, sub, r);
		else if (leaf == EXT_BASE)
			r[0] = p->max_ext;
		add(p, leaf, sub, nsub != 0, r);
	}
}

int cpuid_policy_build(struct cpuid_policy *p, const struct vm_config *cfg)
{
	uint32_t r[4], l1[4], l7[4], e1[4], e8[4], d0[4];

	tern_memset(p, 0, sizeof(*p));
	p->vcpu_count = cfg->vcpu_count ? cfg->vcpu_count : 1;
	plat_host_cpuid(0, 0, r);
	p->vendor = cpuid_vendor_of(r);
	p->max_basic = r[0] < CPUID_MAX_BASIC_LEAF ? r[0] : CPUID_MAX_BASIC_LEAF;
	plat_host_cpuid(EXT_BASE, 0, r);
	p->max_ext = r[0] < EXT_BASE ? EXT_BASE : r[0] > CPUID_MAX_EXT_LEAF ? CPUID_MAX_EXT_LEAF : r[0];

	/* XCR0 support first: leaf 0xD's filter needs it. */
	plat_host_cpuid(0xd, 0, d0);
	p->xcr0_supported = p->max_basic >= 0xd
		? (((uint64_t)d0[3] << 32) | d0[0]) & CPUID_XCR0_ALLOWED : 0;

	for (uint32_t leaf = 0; leaf <= p->max_basic; leaf++)
		add_leaf(p, &p->basic[leaf], leaf);
	for (uint32_t leaf = EXT_BASE; leaf <= p->max_ext; leaf++)
		add_leaf(p, &p->ext[leaf - EXT_BASE], leaf);

	const uint32_t hv_base[4] = { CPUID_LEAF_HV_MAX, CPUID_TERN_SIG_EBX, CPUID_TERN_SIG_ECX,
				      CPUID_TERN_SIG_EDX };
	p->hv[0].first = (uint8_t)p->count;
	p->hv[0].nsub = 1;
	add(p, CPUID_LEAF_HV_BASE, 0, false, hv_base);
	/* 0x40000001: EAX = Tern's CPUID interface version; no features yet. */
	const uint32_t hv_feat[4] = { 1, 0, 0, 0 };
	p->hv[1].first = (uint8_t)p->count;
	p->hv[1].nsub = 1;
	add(p, CPUID_LEAF_HV_FEATURES, 0, false, hv_feat);

	const uint32_t none[4] = { 0, 0, 0, 0 };
	const struct cpuid_entry *le1 = cpuid_find(p, 1, 0), *le7 = cpuid_find(p, 7, 0);
	const struct cpuid_entry *lx1 = cpuid_find(p, EXT_BASE + 1, 0);
	const struct cpuid_entry *lx8 = cpuid_find(p, EXT_BASE + 8, 0);
	tern_memcpy(l1, le1 ? le1->regs : none, sizeof(l1));
	tern_memcpy(l7, le7 ? le7->regs : none, sizeof(l7));
	tern_memcpy(e1, lx1 ? lx1->regs : none, sizeof(e1));
	tern_memcpy(e8, lx8 ? lx8->regs : none, sizeof(e8));
	derive(p, l1, l7, e1, e8, lx8 != 0);
	return 0;
}

const struct cpuid_entry *cpuid_find(const struct cpuid_policy *p, uint32_t leaf, uint32_t subleaf)
{
	const struct cpuid_slot *s;
	if (leaf <= CPUID_MAX_BASIC_LEAF)
		s = &p->basic[leaf];
	else if (leaf >= EXT_BASE && leaf <= CPUID_MAX_EXT_LEAF)
		s = &p->ext[leaf - EXT_BASE];
	else if (leaf >= CPUID_LEAF_HV_BASE && leaf <= CPUID_LEAF_HV_MAX)
		s = &p->hv[leaf - CPUID_LEAF_HV_BASE];
	else
		return 0;
	if (!s->nsub)
		return 0;
	const struct cpuid_entry *e = &p->entries[s->first];
	if (!e->indexed)
		return e;
	return subleaf < s->nsub ? e + subleaf : 0;
}

/*
 * The entry that answers (leaf, subleaf), or NULL for a subleaf beyond what
 * is kept; *eff is the leaf actually answered. SDM Vol. 2A, CPUID: "If a
 * value entered for CPUID.EAX is higher than the maximum input value for
 * basic or extended function for that processor then the data for the
 * highest basic information leaf is returned." Tern's own range ends at
 * CPUID_LEAF_HV_MAX; past it the same rule applies. One range test per
 * range and an index: no scan (harness/bench/bench_exits.c).
 */
static const struct cpuid_entry *resolve(const struct cpuid_policy *p, uint32_t leaf,
					 uint32_t subleaf, uint32_t *eff)
{
	const struct cpuid_slot *s;

	if (leaf <= p->max_basic) {
		s = &p->basic[leaf];
	} else if (leaf - EXT_BASE <= p->max_ext - EXT_BASE) {
		s = &p->ext[leaf - EXT_BASE];
	} else if (leaf - CPUID_LEAF_HV_BASE <= CPUID_LEAF_HV_MAX - CPUID_LEAF_HV_BASE) {
		s = &p->hv[leaf - CPUID_LEAF_HV_BASE];
	} else {
		leaf = p->max_basic;
		s = &p->basic[leaf];
	}
	*eff = leaf;
	const struct cpuid_entry *e = &p->entries[s->first];
	if (!e->indexed)
		return e;
	return subleaf < s->nsub ? e + subleaf : 0;
}

/* XSAVE area size for the components enabled in XCR0 (CPUID.(0xD,0):EBX). */
static uint32_t xsave_size(const struct cpuid_policy *p, uint64_t xcr0)
{
	uint32_t size = XSAVE_LEGACY_AND_HEADER;
	for (uint32_t i = 2; i < leaf_subleaves(0xd); i++) {
		const struct cpuid_entry *e;
		if (!((xcr0 >> i) & 1u) || !(e = cpuid_find(p, 0xd, i)))
			continue;
		if (e->regs[1] + e->regs[0] > size)
			size = e->regs[1] + e->regs[0];
	}
	return size;
}

/* The lookup itself: inlined into cpuid_exit, the CPUID exit's hot path; cpuid_lookup for others. */
static inline __attribute__((always_inline)) void lookup(const struct cpuid_policy *p,
							  struct vcpu *vcpu, uint32_t leaf,
							  uint32_t subleaf, uint32_t regs[4])
{
	uint32_t eff;
	const struct cpuid_entry *e = resolve(p, leaf, subleaf, &eff);

	if (e) {
		regs[0] = e->regs[0];
		regs[1] = e->regs[1];
		regs[2] = e->regs[2];
		regs[3] = e->regs[3];
	} else {
		regs[0] = regs[1] = regs[2] = regs[3] = 0; /* subleaf beyond what is kept */
	}

	if (eff == 1) {
		regs[1] |= (uint32_t)vcpu->id << 24;
		/* OSXSAVE mirrors the guest's CR4.OSXSAVE (SDM Vol. 2A, CPUID). */
		if (vcpu_get_reg(vcpu, VCPU_CR4) & X86_CR4_OSXSAVE)
			regs[2] |= CPUID_1_ECX_OSXSAVE;
		else
			regs[2] &= ~CPUID_1_ECX_OSXSAVE;
		/*
		 * With IA32_APIC_BASE.EN clear the processor has no APIC, and
		 * CPUID.1:EDX.APIC reads 0 (SDM Vol. 3A 10.4.3).
		 */
		if (!vlapic_hw_enabled(&vcpu->lapic))
			regs[3] &= ~CPUID_1_EDX_APIC;
		return;
	}
	switch (eff) {
	case 7:
		/* OSPKE mirrors the guest's CR4.PKE (SDM Vol. 2A, CPUID). */
		if (subleaf == 0) {
			if (e && (vcpu_get_reg(vcpu, VCPU_CR4) & X86_CR4_PKE))
				regs[2] |= CPUID_7_ECX_OSPKE;
			else
				regs[2] &= ~CPUID_7_ECX_OSPKE;
		}
		break;
	case 0xb:
	case 0x1f:
		/* Levels past the core level are invalid: ECX[7:0] echoes the subleaf. */
		if (!e)
			regs[2] = subleaf & 0xffu;
		regs[3] = vcpu->id; /* x2APIC ID */
		break;
	case 0xd:
		if (subleaf == 0)
			regs[1] = xsave_size(p, vcpu_get_reg(vcpu, VCPU_XCR0));
		break;
	default:
		break;
	}
}

void cpuid_lookup(const struct cpuid_policy *p, struct vcpu *vcpu, uint32_t leaf,
		  uint32_t subleaf, uint32_t regs[4])
{
	lookup(p, vcpu, leaf, subleaf, regs);
}

/* CPUID exit (SDM Vol. 3C 26.1.2: CPUID always exits in VMX non-root). */
enum exit_action cpuid_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint32_t regs[4];
	uint32_t leaf = (uint32_t)vcpu_get_reg(vcpu, VCPU_RAX);
	uint32_t subleaf = (uint32_t)vcpu_get_reg(vcpu, VCPU_RCX);

	lookup(&vcpu->vm->cpuid, vcpu, leaf, subleaf, regs);
	/* CPUID writes EAX..EDX as 32-bit registers: the upper halves clear. */
	vcpu_set_reg(vcpu, VCPU_RAX, regs[0]);
	vcpu_set_reg(vcpu, VCPU_RBX, regs[1]);
	vcpu_set_reg(vcpu, VCPU_RCX, regs[2]);
	vcpu_set_reg(vcpu, VCPU_RDX, regs[3]);
	vcpu_retire_insn(vcpu, ex->instr_len);
	return EXIT_ACTION_RESUME;
}
