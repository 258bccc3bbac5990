/* SPDX-License-Identifier: BSD-3-Clause */
#include "unit.h"
#include "event.h"
#include "exit_dispatch.h"
#include "intr.h"
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

/*
 * Every ordered pair of exception vectors 0-31 against SDM Vol. 3A Table 6-4
 * (classes) and Table 6-5 (combinations), written here as data.
 */
enum cls { BENIGN, CONTRIB, PAGE, DOUBLE };
static enum cls table_6_4(unsigned vec)
{
	static const unsigned contributory[] = { 0, 10, 11, 12, 13 };
	for (unsigned i = 0; i < 5; i++)
		if (vec == contributory[i])
			return CONTRIB;
	return vec == 14 ? PAGE : vec == 8 ? DOUBLE : BENIGN;
}

START_TEST(test_every_exception_pair)
{
	for (unsigned first = 0; first < 32; first++) {
		for (unsigned second = 0; second < 32; second++) {
			enum cls a = table_6_4(first), b = table_6_4(second);
			bool triple = a == DOUBLE && (b == CONTRIB || b == PAGE);
			bool dbl = (a == CONTRIB && b == CONTRIB) || (a == PAGE && (b == CONTRIB || b == PAGE));
			v->event.valid = false;
			ck_assert(!vcpu_inject_fault(v, (uint8_t)first, event_vector_has_error((uint8_t)first), 7));
			bool got = vcpu_inject_fault(v, (uint8_t)second, event_vector_has_error((uint8_t)second), 9);
			ck_assert_msg(got == triple, "%u then %u: triple %d", first, second, got);
			if (triple) {
				ck_assert(!v->event.valid);
			} else if (dbl) {
				expect_event(X86_DF, true, 0);
			} else {
				bool e = event_vector_has_error((uint8_t)second);
				expect_event((uint8_t)second, e, e ? 9 : 0);
			}
		}
	}
}
END_TEST

/* Re-queued interrupts, NMIs and software events versus a new exception. */
START_TEST(test_exception_after_other_event_types)
{
	const uint32_t ext = INTR_INFO_VALID | (INTR_TYPE_EXT_INT << 8) | 0x30;
	vcpu_requeue_vectoring(v, ext, 0, 0);
	ck_assert(!vcpu_inject_gp0(v));
	expect_event(X86_GP, true, 0);
	ck_assert_int_eq(intr_highest_deliverable(v), 0x30);

	const uint32_t nmi = INTR_INFO_VALID | (INTR_TYPE_NMI << 8) | 2;
	vcpu_requeue_vectoring(v, nmi, 0, 0);
	ck_assert(!vcpu_inject_pf(v, 0x1000, 2));
	expect_event(X86_PF, true, 2);
	ck_assert(v->intr.nmi_pending);

	/* INT3 (software exception) and INT 0x80: the new fault replaces them. */
	const uint32_t types[] = { INTR_TYPE_SW_EXCEPTION, INTR_TYPE_SW_INT, INTR_TYPE_PRIV_SW_EXCEPTION };
	for (unsigned i = 0; i < 3; i++) {
		vcpu_requeue_vectoring(v, INTR_INFO_VALID | (types[i] << 8) | 3u, 0, 1);
		ck_assert(!vcpu_inject_gp0(v));
		expect_event(X86_GP, true, 0);
		ck_assert_uint_eq(v->event.instr_len, 0);
	}
}
END_TEST

START_TEST(test_event_reflect)
{
	struct guest_fault f = { 0 };
	ck_assert_int_eq(event_reflect(v, &f), EXIT_ACTION_RESUME);
	ck_assert(!v->event.valid);
	guest_fault_ud(&f);
	ck_assert_int_eq(event_reflect(v, &f), EXIT_ACTION_RESUME);
	expect_event(X86_UD, false, 0);
	v->event.valid = false;
	guest_fault_pf(&f, 0x7, 0xdead000);
	ck_assert_int_eq(event_reflect(v, &f), EXIT_ACTION_RESUME);
	expect_event(X86_PF, true, 7);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR2), 0xdead000);
	v->event.valid = false;
	guest_fault_gp0(&f);
	ck_assert_int_eq(event_reflect(v, &f), EXIT_ACTION_RESUME);
	expect_event(X86_GP, true, 0);
	v->event.valid = false;
	vcpu_inject_fault(v, X86_DF, true, 0);
	ck_assert_int_eq(event_reflect(v, &f), EXIT_ACTION_STOP);
	ck_assert(vm_is_stopped(v->vm));
	ck_assert_uint_eq(v->vm->stop_cause, VM_STOP_TRIPLE_FAULT);
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
	tcase_add_test(tc, test_every_exception_pair);
	tcase_add_test(tc, test_exception_after_other_event_types);
	tcase_add_test(tc, test_event_reflect);
	suite_add_tcase(s, tc);
	return s;
}
