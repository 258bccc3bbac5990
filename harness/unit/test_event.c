/* SPDX-License-Identifier: BSD-3-Clause */
#include "unit.h"
#include "event.h"
#include "exit.h"
#include "sim.h"
#include "x86.h"

static struct tern hv;
static struct vcpu *v;

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	struct vm *vm = sim_create_vm(&hv, "e", 1, false, 0x1000);
	v = &vm->vcpus[0];
	sim_vcpu_flat_state(v, true, 0);
}

static void expect_event(uint8_t vector, bool has_error, uint32_t err)
{
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.type, INTR_TYPE_HW_EXCEPTION);
	ck_assert_uint_eq(v->event.vector, vector);
	ck_assert_int_eq(v->event.has_error, has_error);
	ck_assert_uint_eq(v->event.error_code, err);
}

START_TEST(test_error_code_vectors)
{
	const uint8_t with[] = { X86_DF, X86_TS, X86_NP, X86_SS, X86_GP, X86_PF, X86_AC, X86_CP };
	for (unsigned i = 0; i < sizeof(with); i++)
		ck_assert(event_vector_has_error(with[i]));
	const uint8_t without[] = { X86_DE, X86_DB, X86_NMI, X86_BP, X86_UD, X86_NM, X86_MF, X86_MC };
	for (unsigned i = 0; i < sizeof(without); i++)
		ck_assert(!event_vector_has_error(without[i]));
}
END_TEST

START_TEST(test_single_faults)
{
	ck_assert(!vcpu_inject_ud(v));
	expect_event(X86_UD, false, 0);
	v->event.valid = false;
	ck_assert(!vcpu_inject_gp0(v));
	expect_event(X86_GP, true, 0);
	v->event.valid = false;
	ck_assert(!vcpu_inject_pf(v, 0xdead000, 0x6));
	expect_event(X86_PF, true, 6);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR2), 0xdead000);
	ck_assert(vcpu_reg_dirty(v, VCPU_CR2));
}
END_TEST

/* SDM Vol. 3A Table 6-5, every class pair. */
START_TEST(test_double_fault_table)
{
	struct { uint8_t first, second, result; bool triple; } cases[] = {
		{ X86_GP, X86_GP, X86_DF, false },  /* contributory, contributory */
		{ X86_DE, X86_NP, X86_DF, false },
		{ X86_GP, X86_PF, X86_PF, false },  /* contributory then #PF: serial */
		{ X86_PF, X86_PF, X86_DF, false },  /* #PF then #PF */
		{ X86_PF, X86_GP, X86_DF, false },  /* #PF then contributory */
		{ X86_PF, X86_UD, X86_UD, false },  /* benign second: serial */
		{ X86_UD, X86_GP, X86_GP, false },  /* benign first: serial */
		{ X86_DB, X86_PF, X86_PF, false },
		{ X86_DF, X86_GP, 0, true },        /* during #DF: shutdown */
		{ X86_DF, X86_PF, 0, true },
		{ X86_DF, X86_UD, X86_UD, false },  /* benign during #DF: serial */
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v->event.valid = false;
		ck_assert(!vcpu_inject_fault(v, cases[i].first, event_vector_has_error(cases[i].first), 0x10));
		bool triple = vcpu_inject_fault(v, cases[i].second,
						event_vector_has_error(cases[i].second), 0x20);
		ck_assert_msg(triple == cases[i].triple, "case %u", i);
		if (triple) {
			ck_assert(!v->event.valid);
			continue;
		}
		ck_assert_msg(v->event.vector == cases[i].result, "case %u: vector %u", i, v->event.vector);
		if (cases[i].result == X86_DF)
			ck_assert_uint_eq(v->event.error_code, 0); /* #DF pushes 0 */
	}
}
END_TEST

START_TEST(test_pf_during_df_is_triple_and_keeps_cr2)
{
	vcpu_inject_fault(v, X86_DF, true, 0);
	vcpu_cache_fill(v, VCPU_CR2, 0x1234);
	ck_assert(vcpu_inject_pf(v, 0x5678, 2));
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR2), 0x1234);
}
END_TEST

START_TEST(test_requeue_vectoring)
{
	/* Not valid: nothing queued. */
	vcpu_requeue_vectoring(v, 0x0000000e, 0, 0);
	ck_assert(!v->event.valid);
	/* A #PF with error code 2 interrupted by the exit. */
	vcpu_requeue_vectoring(v, INTR_INFO_VALID | INTR_INFO_HAS_ERROR | (3u << 8) | 14u, 2, 0);
	expect_event(X86_PF, true, 2);
	/* A software interrupt keeps its instruction length. */
	vcpu_requeue_vectoring(v, INTR_INFO_VALID | (4u << 8) | 0x80u, 99, 2);
	ck_assert_uint_eq(v->event.type, INTR_TYPE_SW_INT);
	ck_assert_uint_eq(v->event.vector, 0x80);
	ck_assert_uint_eq(v->event.instr_len, 2);
	ck_assert(!v->event.has_error);
	ck_assert_uint_eq(v->event.error_code, 0);
	/* A fault raised while a re-queued #GP is pending becomes #DF. */
	vcpu_requeue_vectoring(v, INTR_INFO_VALID | INTR_INFO_HAS_ERROR | (3u << 8) | 13u, 0, 0);
	vcpu_inject_gp0(v);
	expect_event(X86_DF, true, 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("event");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_error_code_vectors);
	tcase_add_test(tc, test_single_faults);
	tcase_add_test(tc, test_double_fault_table);
	tcase_add_test(tc, test_pf_during_df_is_triple_and_keeps_cr2);
	tcase_add_test(tc, test_requeue_vectoring);
	suite_add_tcase(s, tc);
	return s;
}
