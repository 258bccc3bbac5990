/* SPDX-License-Identifier: BSD-3-Clause */
#include "unit.h"
#include "err.h"
#include "io_qual.h"
#include "pio.h"
#include "sim.h"

struct recorder {
	unsigned calls;
	uint16_t port;
	unsigned size;
	bool write;
	uint32_t value;
};

static void record(struct vm *vm, void *opaque, uint16_t port, unsigned size, bool write,
		   uint32_t *value)
{
	(void)vm;
	struct recorder *r = opaque;
	r->calls++;
	r->port = port;
	r->size = size;
	r->write = write;
	if (write)
		r->value = *value;
	else
		*value = 0x11223344u & (size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1);
}

START_TEST(test_register_and_overlap)
{
	struct pio_bus bus = { 0 };
	struct recorder r = { 0 };
	ck_assert_int_eq(pio_register(&bus, 0x100, 8, record, &r, "a"), 0);
	ck_assert_int_eq(pio_register(&bus, 0x107, 2, record, &r, "b"), -TERN_EEXIST);
	ck_assert_int_eq(pio_register(&bus, 0xfe, 3, record, &r, "c"), -TERN_EEXIST);
	ck_assert_int_eq(pio_register(&bus, 0x108, 1, record, &r, "d"), 0);
	ck_assert_int_eq(pio_register(&bus, 0x200, 0, record, &r, "e"), -TERN_EINVAL);
	ck_assert_int_eq(pio_register(&bus, 0xffff, 2, record, &r, "f"), -TERN_EINVAL);
	ck_assert_int_eq(pio_register(&bus, 0x300, 1, NULL, &r, "g"), -TERN_EINVAL);
	for (unsigned i = bus.ndevs; i < PIO_MAX_DEVICES; i++)
		ck_assert_int_eq(pio_register(&bus, (uint16_t)(0x1000 + i), 1, record, &r, "x"), 0);
	ck_assert_int_eq(pio_register(&bus, 0x2000, 1, record, &r, "full"), -TERN_ENOSPC);
}
END_TEST

START_TEST(test_access_routing)
{
	struct pio_bus bus = { 0 };
	struct recorder r = { 0 };
	uint32_t v = 0xabcd;
	ck_assert_int_eq(pio_register(&bus, 0x100, 8, record, &r, "a"), 0);
	ck_assert(pio_access(&bus, NULL, 0x106, 2, true, &v));
	ck_assert_uint_eq(r.calls, 1);
	ck_assert_uint_eq(r.port, 0x106);
	ck_assert_uint_eq(r.value, 0xabcd);
	ck_assert(pio_access(&bus, NULL, 0x104, 4, false, &v));
	ck_assert_uint_eq(v, 0x11223344u);
	/* Straddling the device's end: unclaimed, all ones. */
	ck_assert(!pio_access(&bus, NULL, 0x107, 2, false, &v));
	ck_assert_uint_eq(v, 0xffff);
	ck_assert(!pio_access(&bus, NULL, 0x80, 1, false, &v));
	ck_assert_uint_eq(v, 0xff);
	ck_assert(!pio_access(&bus, NULL, 0x80, 4, false, &v));
	ck_assert_uint_eq(v, 0xffffffffu);
	v = 5;
	ck_assert(!pio_access(&bus, NULL, 0x80, 1, true, &v));
	ck_assert_uint_eq(v, 5); /* writes to nowhere leave the value alone */
	ck_assert_uint_eq(r.calls, 2);
}
END_TEST

START_TEST(test_io_qualification_fields)
{
	/* rep outsw, port in DX = 0x1f0: size 2, out, string, rep, DX. */
	uint64_t q = (0x1f0ull << 16) | (1u << 5) | (1u << 4) | 1u;
	ck_assert_uint_eq(io_qual_size(q), 2);
	ck_assert(!io_qual_is_in(q));
	ck_assert(io_qual_is_string(q));
	ck_assert(io_qual_is_rep(q));
	ck_assert(!io_qual_port_is_imm(q));
	ck_assert_uint_eq(io_qual_port(q), 0x1f0);
	ck_assert(io_qual_size_valid(q));
	/* in eax, 0x60 */
	q = (0x60ull << 16) | (1u << 6) | (1u << 3) | 3u;
	ck_assert_uint_eq(io_qual_size(q), 4);
	ck_assert(io_qual_is_in(q));
	ck_assert(io_qual_port_is_imm(q));
	ck_assert(!io_qual_is_string(q));
	ck_assert(!io_qual_is_rep(q));
	ck_assert(io_qual_size_valid(q));
	ck_assert(!io_qual_size_valid(2)); /* size code 2 = 3 bytes: invalid */
	ck_assert(!io_qual_size_valid(7));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("pio");
	TCase *tc = tcase_create("pio");
	tcase_add_test(tc, test_register_and_overlap);
	tcase_add_test(tc, test_access_routing);
	tcase_add_test(tc, test_io_qualification_fields);
	suite_add_tcase(s, tc);
	return s;
}
