/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <string.h>
#include "unit.h"
#include "lib.h"

START_TEST(test_mem_routines)
{
	uint8_t a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, b[8];
	tern_memset(b, 0xee, sizeof(b));
	ck_assert_uint_eq(b[7], 0xee);
	tern_memcpy(b, a, 8);
	ck_assert_int_eq(tern_memcmp(a, b, 8), 0);
	b[3] = 9;
	ck_assert_int_eq(tern_memcmp(a, b, 8), -1);
	ck_assert_int_eq(tern_memcmp(b, a, 8), 1);
	ck_assert_int_eq(tern_memcmp(a, b, 3), 0);
}
END_TEST

/* Every length up to a few words, at every alignment: exactly the n bytes
 * move, nothing before or after them is touched. */
START_TEST(test_memcpy_lengths)
{
	uint8_t src[64], dst[80];
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	for (size_t n = 0; n <= 40; n++) {
		for (unsigned so = 0; so < 8; so++) {
			for (unsigned doff = 0; doff < 8; doff++) {
				memset(dst, 0xee, sizeof(dst));
				ck_assert_ptr_eq(tern_memcpy(dst + 8 + doff, src + so, n), dst + 8 + doff);
				ck_assert_int_eq(memcmp(dst + 8 + doff, src + so, n), 0);
				for (unsigned k = 0; k < sizeof(dst); k++)
					if (k < 8 + doff || k >= 8 + doff + n)
						ck_assert_uint_eq(dst[k], 0xee);
			}
		}
	}
}
END_TEST

START_TEST(test_str_routines)
{
	char buf[4];
	ck_assert_uint_eq(tern_strlen(""), 0);
	ck_assert_uint_eq(tern_strlen("tern"), 4);
	ck_assert_uint_eq(tern_strlcpy(buf, "hypervisor", sizeof(buf)), 10);
	ck_assert_str_eq(buf, "hyp");
	ck_assert_uint_eq(tern_strlcpy(buf, "ab", 0), 2);
	ck_assert_int_eq(tern_strncmp("abc", "abd", 2), 0);
	ck_assert_int_eq(tern_strncmp("abc", "abd", 3), -1);
	ck_assert_int_eq(tern_strncmp("abd", "abc", 3), 1);
	ck_assert_int_eq(tern_strncmp("ab", "ab", 5), 0);
}
END_TEST

/* No format attribute: lets the tests pass the odd formats a checker would refuse. */
static int fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = tern_vsnprintf(buf, size, f, ap);
	va_end(ap);
	return n;
}

START_TEST(test_snprintf_formats)
{
	char buf[128];
	tern_snprintf(buf, sizeof(buf), "%d %i %u %x %X %c %s %%", -42, 7, 42u, 0xbeefu, 0xbeefu, 'z', "ok");
	ck_assert_str_eq(buf, "-42 7 42 beef BEEF z ok %");
	fmt(buf, sizeof(buf), "%lx %llu %zu %ld", 0xffffffffffull, 18446744073709551615ull,
		      (size_t)12, (long)-9223372036854775807L - 1);
	ck_assert_str_eq(buf, "ffffffffff 18446744073709551615 12 -9223372036854775808");
	fmt(buf, sizeof(buf), "[%08x] [%4d] [%-] [%5s] [%03d]", 0x1234u, 12, "ab", -5);
	ck_assert_str_eq(buf, "[00001234] [  12] [%-] [   ab] [-05]");
	tern_snprintf(buf, sizeof(buf), "%p %s", (void *)0x1000, (char *)NULL);
	ck_assert_str_eq(buf, "0x1000 (null)");
	fmt(buf, sizeof(buf), "end%");
	ck_assert_str_eq(buf, "end");
}
END_TEST

START_TEST(test_snprintf_truncates)
{
	char buf[6];
	int n = tern_snprintf(buf, sizeof(buf), "%s-%d", "tern", 1234);
	ck_assert_int_eq(n, 9);
	ck_assert_str_eq(buf, "tern-");
	ck_assert_int_eq(tern_snprintf(buf, 0, "xyz"), 3);
	ck_assert_str_eq(buf, "tern-"); /* size 0: nothing written */
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("lib");
	TCase *tc = tcase_create("lib");
	tcase_add_test(tc, test_mem_routines);
	tcase_add_test(tc, test_memcpy_lengths);
	tcase_add_test(tc, test_str_routines);
	tcase_add_test(tc, test_snprintf_formats);
	tcase_add_test(tc, test_snprintf_truncates);
	suite_add_tcase(s, tc);
	return s;
}
