/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>
#include "unit.h"
#include "cpuid.h"
#include "err.h"
#include "sim.h"
#include "x86.h"

static struct tern hv;

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
}

static void lookup(struct vm *vm, unsigned vcpu, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	sim_vcpu_begin(&vm->vcpus[vcpu]); /* its CPUID exit is being handled */
	cpuid_lookup(&vm->cpuid, &vm->vcpus[vcpu], leaf, sub, r);
}

START_TEST(test_vmx_smx_hidden_hypervisor_set)
{
	struct vm *vm = sim_create_vm(&hv, "v", 4, false, 0x1000);
	uint32_t r[4];
	sim_vcpu_flat_state(&vm->vcpus[2], true, 0);
	lookup(vm, 2, 1, 0, r);
	ck_assert_uint_eq(r[2] & CPUID_1_ECX_VMX, 0);
	ck_assert_uint_eq(r[2] & CPUID_1_ECX_SMX, 0);
	ck_assert_uint_eq(r[2] & CPUID_1_ECX_HYPERVISOR, CPUID_1_ECX_HYPERVISOR);
	ck_assert_uint_eq(r[1] >> 24, 2); /* initial APIC ID = vCPU id */
	ck_assert_uint_eq(r[0], 0x306c3);
}
END_TEST

START_TEST(test_host_smx_also_hidden)
{
	const uint32_t host1[4] = { 0x306c3, 0x07100800, 0xffffffffu & ~(1u << 31), 0xbfebfbff };
	sim_set_host_cpuid(1, 0, host1);
	struct vm *vm = sim_create_vm(&hv, "v", 1, false, 0x1000);
	uint32_t r[4];
	sim_vcpu_flat_state(&vm->vcpus[0], false, 0);
	lookup(vm, 0, 1, 0, r);
	ck_assert_uint_eq(r[2] & (CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_OSXSAVE), 0);
	ck_assert_uint_eq(r[1] >> 24, 0); /* host APIC ID 7 replaced */
}
END_TEST

START_TEST(test_osxsave_follows_cr4)
{
	struct vm *vm = sim_create_vm(&hv, "v", 1, false, 0x1000);
	uint32_t r[4];
	sim_vcpu_flat_state(&vm->vcpus[0], true, 0);
	vcpu_cache_fill(&vm->vcpus[0], VCPU_CR4, X86_CR4_OSXSAVE | X86_CR4_PAE);
	lookup(vm, 0, 1, 0, r);
	ck_assert_uint_eq(r[2] & CPUID_1_ECX_OSXSAVE, CPUID_1_ECX_OSXSAVE);
	vcpu_cache_fill(&vm->vcpus[0], VCPU_CR4, X86_CR4_PAE);
	lookup(vm, 0, 1, 0, r);
	ck_assert_uint_eq(r[2] & CPUID_1_ECX_OSXSAVE, 0);
}
END_TEST

START_TEST(test_tern_leaves)
{
	struct vm *vm = sim_create_vm(&hv, "v", 1, false, 0x1000);
	uint32_t r[4];
	char sig[13] = { 0 };
	lookup(vm, 0, CPUID_LEAF_HV_BASE, 0, r);
	ck_assert_uint_eq(r[0], CPUID_LEAF_HV_MAX);
	memcpy(sig, &r[1], 4);
	memcpy(sig + 4, &r[2], 4);
	memcpy(sig + 8, &r[3], 4);
	ck_assert_str_eq(sig, "TernTernTern");
	lookup(vm, 0, CPUID_LEAF_HV_FEATURES, 0, r);
	ck_assert_uint_eq(r[0], 1);
}
END_TEST

START_TEST(test_out_of_range_leaves)
{
	struct vm *vm = sim_create_vm(&hv, "v", 1, false, 0x1000);
	uint32_t top[4], r[4];
	lookup(vm, 0, 0xd, 0, top);
	const uint32_t probes[] = { 0xe, 0x3fffffff, 0x40000002, 0x4fffffff, 0x50000000,
				    0x80000009, 0xffffffff };
	for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		lookup(vm, 0, probes[i], 0, r);
		ck_assert_mem_eq(r, top, sizeof(r));
	}
	/* Extended leaves inside the range answer themselves. */
	lookup(vm, 0, 0x80000008, 0, r);
	ck_assert_uint_eq(r[0], 0x3027);
	/* A subleaf Tern does not keep answers zero (end of the list). */
	lookup(vm, 0, 4, 9, r);
	ck_assert_uint_eq(r[0] | r[1] | r[2] | r[3], 0);
	/* Cache leaf 4 keeps the host's geometry; topology fields follow one vCPU. */
	lookup(vm, 0, 4, 1, r);
	ck_assert_uint_eq(r[0], 0x122);
}
END_TEST

START_TEST(test_table_overflow_refused)
{
	/*
	 * A host claiming 0x7f basic and 0x800000ff extended leaves: the
	 * policy stops at the leaves Tern knows, so the table always fits.
	 */
	const uint32_t leaf0[4] = { 0x7f, 0x756e6547, 0x6c65746e, 0x49656e69 };
	const uint32_t ext0[4] = { 0x800000ff, 0, 0, 0 };
	sim_set_host_cpuid(0, 0, leaf0);
	sim_set_host_cpuid(0x80000000, 0, ext0);
	struct vm_config cfg = { .name = "big", .vcpu_count = 1 };
	struct vm *vm;
	ck_assert_int_eq(vm_create(&hv, &cfg, &vm), 0);
	ck_assert_uint_eq(vm->cpuid.max_basic, CPUID_MAX_BASIC_LEAF);
	ck_assert_uint_eq(vm->cpuid.max_ext, CPUID_MAX_EXT_LEAF);
	ck_assert_uint_le(vm->cpuid.count, CPUID_MAX_ENTRIES);
	uint32_t r[4];
	lookup(vm, 0, 0, 0, r);
	ck_assert_uint_eq(r[0], CPUID_MAX_BASIC_LEAF); /* leaf 0 reports the cut range */
	lookup(vm, 0, 0x80000000, 0, r);
	ck_assert_uint_eq(r[0], CPUID_MAX_EXT_LEAF);
}
END_TEST

START_TEST(test_no_extended_range)
{
	/* A host whose 0x80000000 leaf is garbage still gets a sane policy. */
	const uint32_t zero[4] = { 0, 0, 0, 0 };
	sim_set_host_cpuid(0x80000000, 0, zero);
	struct vm *vm = sim_create_vm(&hv, "v", 1, false, 0x1000);
	ck_assert_ptr_nonnull(vm);
	ck_assert_uint_eq(vm->cpuid.max_ext, 0x80000000);
}
END_TEST

/* Leaves 1, 4, 0xB agree on one package of N single-thread cores. */
START_TEST(test_topology_follows_vcpu_count)
{
	const struct { uint16_t n; uint32_t ids, shift; } cases[] = {
		{ 1, 1, 0 }, { 2, 2, 1 }, { 3, 4, 2 }, { 5, 8, 3 }, { 8, 8, 3 },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup();
		struct vm *vm = sim_create_vm(&hv, "t", cases[i].n, false, 0x1000);
		ck_assert_ptr_nonnull(vm);
		for (unsigned c = 0; c < cases[i].n; c++) {
			uint32_t r[4];
			sim_vcpu_flat_state(&vm->vcpus[c], true, 0);
			lookup(vm, c, 1, 0, r);
			ck_assert_uint_eq((r[1] >> 16) & 0xff, cases[i].ids);
			ck_assert_uint_eq(r[1] >> 24, c);
			ck_assert(r[3] & CPUID_1_EDX_HTT);
			/* SMT level: one thread, x2APIC ID = vCPU id. */
			lookup(vm, c, 0xb, 0, r);
			ck_assert_uint_eq(r[0], 0);
			ck_assert_uint_eq(r[1], 1);
			ck_assert_uint_eq(r[2], 0x100);
			ck_assert_uint_eq(r[3], c);
			/* Core level: N processors, shift covers the IDs. */
			lookup(vm, c, 0xb, 1, r);
			ck_assert_uint_eq(r[0], cases[i].shift);
			ck_assert_uint_eq(r[1], cases[i].n);
			ck_assert_uint_eq(r[2], 0x201);
			ck_assert_uint_eq(r[3], c);
			/* Past the last level: invalid type, ECX[7:0] echoes the subleaf. */
			lookup(vm, c, 0xb, 0x17, r);
			ck_assert_uint_eq(r[0] | r[1], 0);
			ck_assert_uint_eq(r[2], 0x17);
			ck_assert_uint_eq(r[3], c);
			/* Cache leaf 4: cores per package; L1/L2 private, L3 shared by all. */
			for (unsigned sub = 0; sub < 4; sub++) {
				lookup(vm, c, 4, sub, r);
				unsigned level = (r[0] >> 5) & 7;
				ck_assert_uint_eq(r[0] >> 26, cases[i].ids - 1);
				ck_assert_uint_eq((r[0] >> 14) & 0xfff, level == 3 ? cases[i].ids - 1 : 0);
			}
			lookup(vm, c, 4, 4, r);
			ck_assert_uint_eq(r[0] & 0x1f, 0); /* no fifth cache: null type */
		}
	}
}
END_TEST

START_TEST(test_hidden_features)
{
	const uint32_t l7[4] = { 0, 0xffffffffu, 0xffffffffu, 0xffffffffu };
	const uint32_t pmu[4] = { 0x07300403, 1, 2, 0x603 };
	sim_set_host_cpuid(7, 0, l7);
	sim_set_host_cpuid(0xa, 0, pmu);
	struct vm *vm = sim_create_vm(&hv, "h", 1, false, 0x1000);
	uint32_t r[4];
	sim_vcpu_flat_state(&vm->vcpus[0], true, 0);
	lookup(vm, 0, 7, 0, r);
	ck_assert_uint_eq(r[1] & (CPUID_7_EBX_SGX | CPUID_7_EBX_MPX | CPUID_7_EBX_PT), 0);
	ck_assert_uint_eq(r[2] & (CPUID_7_ECX_WAITPKG | CPUID_7_ECX_KL | CPUID_7_ECX_PKS), 0);
	ck_assert_uint_eq(r[3] & CPUID_7_EDX_AMX_ALL, 0);
	lookup(vm, 0, 0xa, 0, r);
	ck_assert_uint_eq(r[0] | r[1] | r[2] | r[3], 0); /* no PMU: RDPMC is #GP */
	lookup(vm, 0, 1, 0, r);
	ck_assert_uint_eq(r[2] & (CPUID_1_ECX_MONITOR | CPUID_1_ECX_PDCM), 0);
	ck_assert_uint_eq(r[2] & CPUID_1_ECX_X2APIC, CPUID_1_ECX_X2APIC); /* the vLAPIC's, as the host */
	/* With the host's LA57/PKU/UMIP visible, CR4 accepts them; never VMXE/SMXE/CET/PKS. */
	ck_assert(vm->cpuid.cr4_valid & X86_CR4_LA57);
	ck_assert(vm->cpuid.cr4_valid & X86_CR4_PKE);
	ck_assert(vm->cpuid.cr4_valid & X86_CR4_UMIP);
	ck_assert_uint_eq(vm->cpuid.cr4_valid & (X86_CR4_VMXE | X86_CR4_SMXE | X86_CR4_CET | X86_CR4_PKS), 0);
	/* TSC_ADJUST is always offered: it is emulated. */
	const uint32_t l7none[4] = { 0, 0, 0, 0 };
	setup();
	sim_set_host_cpuid(7, 0, l7none);
	vm = sim_create_vm(&hv, "h", 1, false, 0x1000);
	lookup(vm, 0, 7, 0, r);
	ck_assert_uint_eq(r[1], CPUID_7_EBX_TSC_ADJUST);
}
END_TEST

START_TEST(test_xsave_leaf)
{
	struct vm *vm = sim_create_vm(&hv, "x", 1, false, 0x1000);
	struct vcpu *v = &vm->vcpus[0];
	uint32_t r[4];
	sim_vcpu_flat_state(v, true, 0);
	ck_assert_uint_eq(vm->cpuid.xcr0_supported, 7);
	/* EBX follows the guest's XCR0; ECX is the size for everything supported. */
	vcpu_cache_fill(v, VCPU_XCR0, 1);
	lookup(vm, 0, 0xd, 0, r);
	ck_assert_uint_eq(r[0], 7);
	ck_assert_uint_eq(r[1], 576);
	ck_assert_uint_eq(r[2], 0x340);
	ck_assert_uint_eq(r[3], 0);
	vcpu_cache_fill(v, VCPU_XCR0, 7);
	lookup(vm, 0, 0xd, 0, r);
	ck_assert_uint_eq(r[1], 0x340);
	/* Host with MPX and PKRU: MPX not offered, its subleaves zero. */
	const uint32_t d0[4] = { 0x21f, 0xa88, 0xa88, 0 };
	const uint32_t d3[4] = { 0x40, 0x3c0, 0, 0 };
	const uint32_t d9[4] = { 0x8, 0xa80, 0, 0 };
	const uint32_t d1[4] = { 0x1f, 0x100, 0x100, 0 };
	setup();
	sim_set_host_cpuid(0xd, 0, d0);
	sim_set_host_cpuid(0xd, 1, d1);
	sim_set_host_cpuid(0xd, 3, d3);
	sim_set_host_cpuid(0xd, 9, d9);
	vm = sim_create_vm(&hv, "x", 1, false, 0x1000);
	v = &vm->vcpus[0];
	sim_vcpu_flat_state(v, true, 0);
	ck_assert_uint_eq(vm->cpuid.xcr0_supported, 0x207);
	lookup(vm, 0, 0xd, 3, r);
	ck_assert_uint_eq(r[0] | r[1] | r[2] | r[3], 0);
	lookup(vm, 0, 0xd, 1, r);
	ck_assert_uint_eq(r[0], 0x7); /* XSAVES and XFD hidden */
	ck_assert_uint_eq(r[1] | r[2] | r[3], 0);
	vcpu_cache_fill(v, VCPU_XCR0, 0x207);
	lookup(vm, 0, 0xd, 0, r);
	ck_assert_uint_eq(r[1], 0xa88);
}
END_TEST

START_TEST(test_derived_limits)
{
	struct vm *vm = sim_create_vm(&hv, "d", 1, false, 0x1000);
	ck_assert_uint_eq(vm->cpuid.maxphyaddr, 39);
	ck_assert_uint_eq(vm->cpuid.efer_valid, X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE);
	/* Without leaf 0x80000008 (or a nonsense width): 36 bits. */
	const uint32_t ext0[4] = { 0x80000004, 0, 0, 0 };
	setup();
	sim_set_host_cpuid(0x80000000, 0, ext0);
	vm = sim_create_vm(&hv, "d", 1, false, 0x1000);
	ck_assert_uint_eq(vm->cpuid.maxphyaddr, 36);
	const uint32_t e8[4] = { 0xff, 0, 0, 0 };
	setup();
	sim_set_host_cpuid(0x80000008, 0, e8);
	vm = sim_create_vm(&hv, "d", 1, false, 0x1000);
	ck_assert_uint_eq(vm->cpuid.maxphyaddr, 36);
	/* A host without leaf 0xD (max basic 6): no XCR0 bits beyond none. */
	const uint32_t l0[4] = { 6, 0x756e6547, 0x6c65746e, 0x49656e69 };
	setup();
	sim_set_host_cpuid(0, 0, l0);
	vm = sim_create_vm(&hv, "d", 1, false, 0x1000);
	ck_assert_uint_eq(vm->cpuid.xcr0_supported, 0);
	ck_assert_ptr_null(cpuid_find(&vm->cpuid, 0xd, 0));
	ck_assert_ptr_null(cpuid_find(&vm->cpuid, 0x40000002, 0));
	/* The hypervisor leaves are there on any host: the range, then version 1 with no features. */
	const struct cpuid_entry *h0 = cpuid_find(&vm->cpuid, CPUID_LEAF_HV_BASE, 0);
	ck_assert_ptr_nonnull(h0);
	ck_assert_uint_eq(h0->regs[0], CPUID_LEAF_HV_MAX);
	ck_assert_uint_eq(h0->regs[1], CPUID_TERN_SIG_EBX);
	const struct cpuid_entry *h1 = cpuid_find(&vm->cpuid, CPUID_LEAF_HV_FEATURES, 0);
	ck_assert_ptr_nonnull(h1);
	ck_assert_uint_eq(h1->regs[0], 1);
	ck_assert_uint_eq(h1->regs[1] | h1->regs[2] | h1->regs[3], 0);
	ck_assert_ptr_null(cpuid_find(&vm->cpuid, 0x30000000, 0));
}
END_TEST

/* A host that enumerates nothing: CR4 and EFER have no optional bits. */
START_TEST(test_bare_host)
{
	const uint32_t zero[4] = { 0, 0, 0, 0 };
	const uint32_t l0[4] = { 7, 0x756e6547, 0x6c65746e, 0x49656e69 };
	const uint32_t x0[4] = { 0x80000001, 0, 0, 0 };
	sim_set_host_cpuid(0, 0, l0);
	sim_set_host_cpuid(1, 0, zero);
	sim_set_host_cpuid(7, 0, zero);
	sim_set_host_cpuid(0x80000000, 0, x0);
	sim_set_host_cpuid(0x80000001, 0, zero);
	struct vm_config cfg = { .name = "bare", .vcpu_count = 0 };
	struct cpuid_policy p;
	ck_assert_int_eq(cpuid_policy_build(&p, &cfg), 0);
	ck_assert_uint_eq(p.vcpu_count, 1);
	ck_assert_uint_eq(p.cr4_valid, X86_CR4_PCE);
	ck_assert_uint_eq(p.efer_valid, 0);
	ck_assert_uint_eq(p.xcr0_supported, 0);
	ck_assert_uint_eq(p.maxphyaddr, 36);
	/* Full-featured leaf 1 and 7 turn each CR4 bit on. */
	const uint32_t l1[4] = { 0, 0, 0xffffffffu, 0xffffffffu };
	const uint32_t l7[4] = { 0, 0xffffffffu, 0xffffffffu, 0 };
	const uint32_t x1[4] = { 0, 0, 0, 0xffffffffu };
	sim_set_host_cpuid(1, 0, l1);
	sim_set_host_cpuid(7, 0, l7);
	sim_set_host_cpuid(0x80000001, 0, x1);
	ck_assert_int_eq(cpuid_policy_build(&p, &cfg), 0);
	/* Bits 0-12, FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP, PKE: never VMXE, SMXE, CET, PKS. */
	ck_assert_uint_eq(p.cr4_valid, 0x1fffull | X86_CR4_FSGSBASE | X86_CR4_PCIDE | X86_CR4_OSXSAVE |
			  X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE);
	ck_assert_uint_eq(p.efer_valid, 0xd01);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("cpuid");
	TCase *tc = tcase_create("cpuid");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_vmx_smx_hidden_hypervisor_set);
	tcase_add_test(tc, test_host_smx_also_hidden);
	tcase_add_test(tc, test_osxsave_follows_cr4);
	tcase_add_test(tc, test_tern_leaves);
	tcase_add_test(tc, test_out_of_range_leaves);
	tcase_add_test(tc, test_table_overflow_refused);
	tcase_add_test(tc, test_no_extended_range);
	tcase_add_test(tc, test_topology_follows_vcpu_count);
	tcase_add_test(tc, test_hidden_features);
	tcase_add_test(tc, test_xsave_leaf);
	tcase_add_test(tc, test_derived_limits);
	tcase_add_test(tc, test_bare_host);
	suite_add_tcase(s, tc);
	return s;
}
