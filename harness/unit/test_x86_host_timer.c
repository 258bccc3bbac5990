/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VMX-preemption timer value (platform/x86/host_timer.c): from a guest
 * TSC deadline and the vCPU's TSC offset, rounded so that it never fires
 * before the deadline, saturated, and safe for hostile deadlines.
 */
#include "unit.h"
#include "../../platform/x86/host_timer.c"

START_TEST(rate_and_rounding)
{
	/* 1000 TSC ticks at rate 0: 1000 units, plus the short first one. */
	ck_assert_uint_eq(host_timer_value(2000, 0, 1000, 0), 1001);
	/* rate 3: 1000/8 = 125 exactly, + 1; 1001/8 rounds up to 126, + 1. */
	ck_assert_uint_eq(host_timer_value(2000, 0, 1000, 3), 126);
	ck_assert_uint_eq(host_timer_value(2001, 0, 1000, 3), 127);
	/* The rate is IA32_VMX_MISC bits 4:0 only. */
	ck_assert_uint_eq(host_timer_value(2000, 0, 1000, 3 | 0x20), 126);
	/* Never early: value - 1 whole units cover the distance. */
	for (unsigned rate = 0; rate < 32; rate++) {
		uint64_t delta = 123456789ull;
		uint64_t v = host_timer_value(1000 + delta, 0, 1000, rate);
		ck_assert_uint_ge((v - 1) << rate, delta);
		ck_assert_uint_lt((v - 2) << rate, delta);
	}
}
END_TEST

START_TEST(offset_maps_guest_to_host)
{
	/* guest TSC = host TSC + offset: a guest 1e9 behind the host (offset -1e9). */
	uint64_t off = (uint64_t)-1000000000ll;
	ck_assert_uint_eq(host_timer_value(5000, off, 1000000000ull, 0), 5001);
	/* A guest ahead of the host. */
	ck_assert_uint_eq(host_timer_value(1000000500ull, 1000000000ull, 400, 0), 101);
}
END_TEST

START_TEST(passed_none_and_saturated)
{
	ck_assert_uint_eq(host_timer_value(999, 0, 1000, 5), 0);
	ck_assert_uint_eq(host_timer_value(1000, 0, 1000, 5), 0);
	ck_assert_uint_eq(host_timer_value(UINT64_MAX, 0, 1000, 5), HOST_TIMER_MAX);
	ck_assert_uint_eq(host_timer_value(UINT64_MAX, 12345, 1000, 0), HOST_TIMER_MAX);
	/* Further than 32 bits of units reach. */
	ck_assert_uint_eq(host_timer_value(1ull << 40, 0, 0, 5), HOST_TIMER_MAX);
	ck_assert_uint_eq(host_timer_value(UINT64_MAX - 1, 0, 0, 31), HOST_TIMER_MAX);
	/* A guest deadline below its offset wraps to far ahead: saturated, not an exit storm. */
	ck_assert_uint_eq(host_timer_value(10, 1000, 5000, 0), HOST_TIMER_MAX);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_host_timer");
	TCase *tc = tcase_create("host_timer");
	tcase_add_test(tc, rate_and_rounding);
	tcase_add_test(tc, offset_maps_guest_to_host);
	tcase_add_test(tc, passed_none_and_saturated);
	suite_add_tcase(s, tc);
	return s;
}
