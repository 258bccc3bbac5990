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
	lookup(vm, 0, 4, 1, r);
	ck_assert_uint_eq(r[0], 0x1c004122);
}
END_TEST

START_TEST(test_table_overflow_refused)
{
	/* A host claiming 0x7f basic leaves does not fit the fixed table. */
	const uint32_t leaf0[4] = { 0x7f, 0x756e6547, 0x6c65746e, 0x49656e69 };
	sim_set_host_cpuid(0, 0, leaf0);
	struct vm_config cfg = { .name = "big", .vcpu_count = 1 };
	struct vm *vm;
	ck_assert_int_eq(vm_create(&hv, &cfg, &vm), -TERN_ENOSPC);
	struct cpuid_policy p;
	ck_assert_int_eq(cpuid_policy_build(&p, &cfg), -TERN_ENOSPC);
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
	suite_add_tcase(s, tc);
	return s;
}
