/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's interrupt dispatch (platform/x86/host_irq.c), compiled on the
 * host against a fake LAPIC and 8259: which controller each vector the CPU
 * acknowledged is completed at, and that the 8259s are touched only where
 * they exist (the MADT's PCAT_COMPAT: pic_present).
 */
#include "unit.h"
#include "../../platform/x86/host_irq.c"

static unsigned eois, kicks;
static int pic_done;
static bool have_pic;

void lapic_eoi(void) { eois++; }
void smp_count_kick(void) { kicks++; }
bool pic_present(void) { return have_pic; }
void pic_complete(uint8_t vector) { pic_done = vector; }

static void setup(void)
{
	eois = kicks = 0;
	pic_done = -1;
	have_pic = true;
}

START_TEST(kick_and_timer_get_the_lapic_eoi)
{
	x86_host_irq(X86_VEC_KICK);
	ck_assert_uint_eq(eois, 1);
	ck_assert_uint_eq(kicks, 1);
	x86_host_irq(X86_VEC_TIMER);
	ck_assert_uint_eq(eois, 2);
	ck_assert_uint_eq(kicks, 1);
	ck_assert_int_eq(pic_done, -1);
}
END_TEST

START_TEST(spurious_gets_no_eoi)
{
	/* SDM 11.9: an EOI for the spurious vector would complete another interrupt. */
	x86_host_irq(X86_VEC_SPURIOUS);
	ck_assert_uint_eq(eois, 0);
	ck_assert_int_eq(pic_done, -1);
}
END_TEST

START_TEST(pic_vectors_only_where_the_8259s_exist)
{
	x86_host_irq(PIC_VECTOR_BASE + 3);
	ck_assert_int_eq(pic_done, PIC_VECTOR_BASE + 3);
	ck_assert_uint_eq(eois, 0);
	pic_done = -1;
	have_pic = false;
	x86_host_irq(PIC_VECTOR_BASE + 3);
	ck_assert_int_eq(pic_done, -1);
	ck_assert_uint_eq(eois, 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_host_irq");
	TCase *tc = tcase_create("host_irq");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, kick_and_timer_get_the_lapic_eoi);
	tcase_add_test(tc, spurious_gets_no_eoi);
	tcase_add_test(tc, pic_vectors_only_where_the_8259s_exist);
	suite_add_tcase(s, tc);
	return s;
}
