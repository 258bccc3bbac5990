/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SHA-256 against the FIPS 180-4 examples (NIST's "SHA256.pdf" example
 * values and the one-million-'a' vector of the Secure Hash Standard
 * validation system), fed whole and in awkward pieces, and the digest list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "sha256.h"

static void unhex(const char *hex, uint8_t out[SHA256_DIGEST_LEN])
{
	for (unsigned i = 0; i < SHA256_DIGEST_LEN; i++) {
		unsigned v;
		ck_assert(sscanf(hex + 2 * i, "%2x", &v) == 1);
		out[i] = (uint8_t)v;
	}
}

static void check_digest(const uint8_t *msg, size_t len, const char *hex)
{
	uint8_t want[SHA256_DIGEST_LEN], got[SHA256_DIGEST_LEN];
	unhex(hex, want);
	sha256(msg, len, got);
	ck_assert_mem_eq(got, want, SHA256_DIGEST_LEN);
	/* The same through the incremental interface in 1, 3, 63, 64 and 65 byte pieces. */
	static const size_t steps[] = { 1, 3, 63, 64, 65 };
	for (unsigned k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		struct sha256 s;
		sha256_init(&s);
		for (size_t off = 0; off < len; off += steps[k])
			sha256_update(&s, msg + off, len - off < steps[k] ? len - off : steps[k]);
		memset(got, 0, sizeof(got));
		sha256_final(&s, got);
		ck_assert_msg(memcmp(got, want, SHA256_DIGEST_LEN) == 0, "step %zu of %zu bytes",
			      steps[k], len);
	}
}

#define STR(s) (const uint8_t *)(s), sizeof(s) - 1

START_TEST(empty)
{
	check_digest(STR(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(abc)
{
	check_digest(STR("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(two_blocks_448)
{
	/* 448 bits: the padding needs a second block (FIPS 180-4 section 5.1.1). */
	check_digest(STR("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(two_blocks_896)
{
	check_digest(STR("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			 "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
		     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}
END_TEST

START_TEST(million_a)
{
	size_t n = 1000000;
	uint8_t *m = malloc(n);
	ck_assert_ptr_nonnull(m);
	memset(m, 'a', n);
	uint8_t want[SHA256_DIGEST_LEN], got[SHA256_DIGEST_LEN];
	unhex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", want);
	sha256(m, n, got);
	ck_assert_mem_eq(got, want, SHA256_DIGEST_LEN);
	free(m);
}
END_TEST

START_TEST(padding_boundaries)
{
	/* 55 bytes: the bit length still fits the last block; 56: padding spills
	 * into a block of its own. Reference digests from Python's hashlib. */
	uint8_t m[56];
	memset(m, 'x', sizeof(m));
	check_digest(m, 55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
	check_digest(m, 56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
}
END_TEST

START_TEST(digest_list)
{
	uint8_t list[3][SHA256_DIGEST_LEN], d[SHA256_DIGEST_LEN];
	sha256(STR("one"), list[0]);
	sha256(STR("two"), list[1]);
	sha256(STR("three"), list[2]);
	sha256(STR("two"), d);
	ck_assert(sha256_in_list(d, (const uint8_t (*)[SHA256_DIGEST_LEN])list, 3));
	sha256(STR("three"), d);
	ck_assert(sha256_in_list(d, (const uint8_t (*)[SHA256_DIGEST_LEN])list, 3));
	/* The last entry is not looked at when the count excludes it. */
	ck_assert(!sha256_in_list(d, (const uint8_t (*)[SHA256_DIGEST_LEN])list, 2));
	ck_assert(!sha256_in_list(d, (const uint8_t (*)[SHA256_DIGEST_LEN])list, 0));
	/* One bit off in the last byte is not a match. */
	d[SHA256_DIGEST_LEN - 1] ^= 1;
	ck_assert(!sha256_in_list(d, (const uint8_t (*)[SHA256_DIGEST_LEN])list, 3));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("fips180-4");
	tcase_add_test(tc, empty);
	tcase_add_test(tc, abc);
	tcase_add_test(tc, two_blocks_448);
	tcase_add_test(tc, two_blocks_896);
	tcase_add_test(tc, million_a);
	tcase_add_test(tc, padding_boundaries);
	tcase_add_test(tc, digest_list);
	suite_add_tcase(s, tc);
	return s;
}
