/* SPDX-License-Identifier: BSD-3-Clause */
#include "unit.h"
#include "sim.h"
#include "vcpu.h"
#include "retire.h"

static struct tern hv;
static struct vcpu *v;

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	struct vm *vm = sim_create_vm(&hv, "c", 2, false, 0x1000);
	v = &vm->vcpus[1];
}

START_TEST(test_init)
{
	ck_assert_uint_eq(v->id, 1);
	ck_assert_uint_eq(v->state, VCPU_STATE_INIT);
	ck_assert_uint_eq(v->reg_valid | v->reg_dirty, 0);
	/* No timer until core computes one: the platform arms nothing (vcpu.h). */
	ck_assert_uint_eq(v->timer_deadline, UINT64_MAX);
}
END_TEST

START_TEST(test_fill_is_not_dirty_set_is)
{
	vcpu_cache_fill(v, VCPU_RBX, 7);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RBX), 7);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RBX));
	vcpu_set_reg(v, VCPU_RBX, 8);
	ck_assert(vcpu_reg_dirty(v, VCPU_RBX));
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RBX), 8);
	ck_assert_uint_eq(v->reg_dirty, 1u << VCPU_RBX);
	vcpu_cache_reset(v);
	ck_assert_uint_eq(v->reg_dirty | v->reg_valid | v->seg_valid, 0);
}
END_TEST

START_TEST(test_rflags_bit1_forced)
{
	vcpu_set_reg(v, VCPU_RFLAGS, 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RFLAGS), 2);
}
END_TEST

START_TEST(test_miss_fetches_from_platform)
{
	/* The sim fake answers 0 outside a replay; the value is then cached. */
	sim_vcpu_begin(v);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_R15), 0);
	ck_assert(v->reg_valid & (1u << VCPU_R15));
	const struct seg_desc *cs = vcpu_get_seg(v, VCPU_CS);
	ck_assert_uint_eq(cs->ar, 0);
	ck_assert(v->seg_valid & (1u << VCPU_CS));
}
END_TEST

/* Several registers at once: the cached ones keep their (cached) values,
 * the others come from the platform's state; none is dirty. */
START_TEST(test_cache_regs_fetches_only_the_missing)
{
	sim_vcpu_begin(v);
	sim_vcpu_hw(v)->regs[VCPU_R8] = 0x88;
	sim_vcpu_hw(v)->regs[VCPU_RDI] = 0x77;
	sim_vcpu_hw(v)->regs[VCPU_RSI] = 0x66;
	vcpu_cache_fill(v, VCPU_RDI, 0x1234);
	const uint32_t mask = (1u << VCPU_R8) | (1u << VCPU_RDI) | (1u << VCPU_RSI);
	vcpu_cache_regs(v, mask);
	ck_assert_uint_eq(v->reg_valid & mask, mask);
	ck_assert_uint_eq(v->regs[VCPU_R8], 0x88);
	ck_assert_uint_eq(v->regs[VCPU_RDI], 0x1234);
	ck_assert_uint_eq(v->regs[VCPU_RSI], 0x66);
	ck_assert_uint_eq(v->reg_dirty, 0);
	ck_assert(!(v->reg_valid & (1u << VCPU_RAX)));
	/* All cached: nothing is fetched again. */
	sim_vcpu_hw(v)->regs[VCPU_R8] = 0x99;
	vcpu_cache_regs(v, mask);
	ck_assert_uint_eq(v->regs[VCPU_R8], 0x88);
}
END_TEST

START_TEST(test_rip_advance_and_wrap)
{
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_RIP, 0xfffffffffffffffeull);
	vcpu_retire_insn(v, 3);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 1); /* 64-bit wraps at 2^64 */
	sim_vcpu_flat_state(v, false, 0);
	vcpu_cache_fill(v, VCPU_RIP, 0xffffffffull);
	vcpu_retire_insn(v, 2);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 1); /* EIP wraps at 2^32 */
	ck_assert(vcpu_reg_dirty(v, VCPU_RIP));
}
END_TEST

START_TEST(test_cpl_and_mode)
{
	sim_vcpu_flat_state(v, true, 3);
	ck_assert_uint_eq(vcpu_cpl(v), 3);
	ck_assert(vcpu_long_mode_64(v));
	sim_vcpu_flat_state(v, false, 0);
	ck_assert_uint_eq(vcpu_cpl(v), 0);
	ck_assert(!vcpu_long_mode_64(v));
	/* Compatibility mode: EFER.LMA with CS.L clear. */
	sim_vcpu_flat_state(v, true, 0);
	struct seg_desc cs = *vcpu_get_seg(v, VCPU_CS);
	cs.ar &= ~(1u << 13);
	vcpu_cache_fill_seg(v, VCPU_CS, &cs);
	ck_assert(!vcpu_long_mode_64(v));
}
END_TEST

START_TEST(test_seg_accessors)
{
	uint32_t ar = 0x1a09bu | (3u << 5);
	ck_assert_uint_eq(seg_ar_type(ar), 0xb);
	ck_assert_uint_eq(seg_ar_dpl(ar), 3);
	ck_assert(seg_ar_present(ar));
	ck_assert(seg_ar_l(ar));
	ck_assert(!seg_ar_db(ar));
	ck_assert(seg_ar_unusable(ar));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vcpu");
	TCase *tc = tcase_create("vcpu");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_fill_is_not_dirty_set_is);
	tcase_add_test(tc, test_rflags_bit1_forced);
	tcase_add_test(tc, test_cache_regs_fetches_only_the_missing);
	tcase_add_test(tc, test_miss_fetches_from_platform);
	tcase_add_test(tc, test_rip_advance_and_wrap);
	tcase_add_test(tc, test_cpl_and_mode);
	tcase_add_test(tc, test_seg_accessors);
	suite_add_tcase(s, tc);
	return s;
}
