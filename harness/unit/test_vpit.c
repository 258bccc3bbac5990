/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual 8254 against the datasheet: the modes, access modes, latch and
 * read-back, BCD, gates, port 0x61 (Linux's TSC calibration loop) and the
 * IRQ 0 deadlines. The TSC runs at twice the PIT clock: tick k is TSC 2k.
 */
#include "unit.h"
#include "vpit.h"
#include "err.h"

#define T(k) (2ull * (k))

static struct vpit pit;

static void setup(void)
{
	ck_assert_int_eq(vpit_init(&pit, 2ull * VPIT_HZ), 0);
}

static void out8(uint16_t port, uint8_t v, uint64_t now)
{
	ck_assert_int_eq(vpit_io_write(&pit, port, v, now), 0);
}

static uint8_t in8(uint16_t port, uint64_t now)
{
	uint8_t v = 0x5a;
	ck_assert_int_eq(vpit_io_read(&pit, port, now, &v), 0);
	return v;
}

static uint16_t read16(uint16_t port, uint64_t now)
{
	uint16_t lo = in8(port, now);
	return (uint16_t)(lo | in8(port, now) << 8);
}

/* Channel `ch`, lobyte/hibyte, `mode`, count `n`, at tick `k`. */
static void program(unsigned ch, unsigned mode, uint16_t n, uint64_t k)
{
	out8(VPIT_CONTROL, (uint8_t)(ch << 6 | 0x30 | mode << 1), T(k));
	out8((uint16_t)(VPIT_CH0 + ch), (uint8_t)n, T(k));
	out8((uint16_t)(VPIT_CH0 + ch), (uint8_t)(n >> 8), T(k));
}

static uint8_t status(unsigned ch, uint64_t k)
{
	out8(VPIT_CONTROL, (uint8_t)(0xe0 | 2u << ch), T(k)); /* read-back status only */
	return in8((uint16_t)(VPIT_CH0 + ch), T(k));
}

START_TEST(test_init_and_ports)
{
	struct vpit p;
	ck_assert_int_eq(vpit_init(&p, VPIT_HZ - 1), -TERN_EINVAL);
	ck_assert_int_eq(vpit_init(&p, VPIT_TSC_HZ_MAX + 1), -TERN_EINVAL);
	ck_assert_int_eq(vpit_init(&p, VPIT_TSC_HZ_MAX), 0);
	uint8_t v;
	ck_assert_int_eq(vpit_io_read(&pit, 0x44, 0, &v), -TERN_ENOENT);
	ck_assert_uint_eq(v, 0xff);
	ck_assert_int_eq(vpit_io_write(&pit, 0x3f, 0, 0), -TERN_ENOENT);
	ck_assert_uint_eq(in8(VPIT_CONTROL, 0), 0xff);
	ck_assert_uint_eq(vpit_next_deadline(&pit), UINT64_MAX);
	ck_assert(!vpit_advance(&pit, T(100000)));
	/* nothing loaded: the count reads 0 */
	ck_assert_uint_eq(read16(VPIT_CH0, 0), 0);
}
END_TEST

START_TEST(test_mode2_rate_generator_irq0)
{
	program(0, 2, 1000, 50);
	ck_assert_uint_eq(vpit_next_deadline(&pit), T(1050));
	ck_assert_uint_eq(read16(VPIT_CH0, T(50)), 1000);
	ck_assert_uint_eq(read16(VPIT_CH0, T(50 + 300)), 700);
	ck_assert(!vpit_advance(&pit, T(1049)));
	ck_assert(vpit_advance(&pit, T(1050)));
	ck_assert_uint_eq(vpit_next_deadline(&pit), T(2050));
	ck_assert(!vpit_advance(&pit, T(1051)));
	/* missed periods coalesce */
	ck_assert(vpit_advance(&pit, T(5500)));
	ck_assert_uint_eq(vpit_next_deadline(&pit), T(6050));
	/* OUT is low for the one clock at count 1 */
	ck_assert(status(0, 50 + 998) & 0x80);
	ck_assert(!(status(0, 50 + 999) & 0x80));
	ck_assert(status(0, 50 + 1000) & 0x80);
	/* mode 6 is mode 2; the status shows the programming */
	out8(VPIT_CONTROL, 0x3c, 0);
	ck_assert_uint_eq(status(0, 0), 0x80 | 0x40 | 0x34); /* OUT high, null count until written */
	out8(VPIT_CH0, 0, 0);
	out8(VPIT_CH0, 0, 0); /* 0 is 65536 */
	ck_assert_uint_eq(status(0, 0), 0x80 | 0x34);
	ck_assert_uint_eq(vpit_next_deadline(&pit), T(65536));
	ck_assert_uint_eq(read16(VPIT_CH0, T(1)), 65535);
}
END_TEST

START_TEST(test_mode0_one_shot)
{
	out8(VPIT_CONTROL, 0x30, 0);
	ck_assert(!(status(0, 0) & 0x80)); /* mode 0 drives OUT low */
	program(0, 0, 100, 10);
	ck_assert(!(status(0, 109) & 0x80));
	ck_assert(status(0, 110) & 0x80);
	ck_assert_uint_eq(vpit_next_deadline(&pit), T(110));
	ck_assert(vpit_advance(&pit, T(200)));
	ck_assert_uint_eq(vpit_next_deadline(&pit), UINT64_MAX);
	ck_assert(!vpit_advance(&pit, T(70000)));
	/* counts on past terminal count, wrapping */
	ck_assert_uint_eq(read16(VPIT_CH0, T(10 + 101)), 0xffff);
	/* other modes start with OUT high */
	out8(VPIT_CONTROL, 0x36, 0);
	ck_assert(status(0, 0) & 0x80);
}
END_TEST

START_TEST(test_mode3_square_wave)
{
	program(0, 3, 10, 0);
	ck_assert(status(0, 0) & 0x80);
	ck_assert(status(0, 4) & 0x80);
	ck_assert(!(status(0, 5) & 0x80));
	ck_assert(!(status(0, 9) & 0x80));
	ck_assert(status(0, 10) & 0x80);
	/* counts down by two each half */
	ck_assert_uint_eq(read16(VPIT_CH0, T(0)), 10);
	ck_assert_uint_eq(read16(VPIT_CH0, T(2)), 6);
	ck_assert_uint_eq(read16(VPIT_CH0, T(6)), 8);
	ck_assert(vpit_advance(&pit, T(10)));
	ck_assert_uint_eq(vpit_next_deadline(&pit), T(20));
	/* odd count: high one clock longer */
	program(0, 3, 5, 100);
	ck_assert(status(0, 102) & 0x80);
	ck_assert(!(status(0, 103) & 0x80));
}
END_TEST

START_TEST(test_mode4_strobe)
{
	program(0, 4, 20, 0);
	ck_assert(status(0, 19) & 0x80);
	ck_assert(!(status(0, 20) & 0x80));
	ck_assert(status(0, 21) & 0x80);
	ck_assert_uint_eq(vpit_next_deadline(&pit), T(21));
	ck_assert(!vpit_advance(&pit, T(20)));
	ck_assert(vpit_advance(&pit, T(21)));
	ck_assert_uint_eq(vpit_next_deadline(&pit), UINT64_MAX);
}
END_TEST

START_TEST(test_access_modes_and_latch)
{
	/* lobyte only */
	out8(VPIT_CONTROL, 0x10 | 0x04, 0);
	out8(VPIT_CH0, 0x80, 0);
	ck_assert_uint_eq(in8(VPIT_CH0, T(16)), 0x70);
	ck_assert_uint_eq(in8(VPIT_CH0, T(16)), 0x70);
	/* hibyte only */
	out8(VPIT_CONTROL, 0x20 | 0x04, 0);
	out8(VPIT_CH0, 0x02, 0);
	ck_assert_uint_eq(in8(VPIT_CH0, T(0x100)), 0x01);
	/* latch: the value of the latch moment, until both bytes are read */
	program(0, 2, 0x1234, 0);
	out8(VPIT_CONTROL, 0x00, T(0x34));
	out8(VPIT_CONTROL, 0x00, T(0x100)); /* ignored: already latched */
	ck_assert_uint_eq(in8(VPIT_CH0, T(0x200)), 0x00);
	ck_assert_uint_eq(in8(VPIT_CH0, T(0x300)), 0x12);
	ck_assert_uint_eq(read16(VPIT_CH0, T(0x1000)), 0x0234);
	/* a latched lobyte / hibyte channel gives one byte */
	out8(VPIT_CONTROL, 0x10 | 0x04, 0);
	out8(VPIT_CH0, 0x40, 0);
	out8(VPIT_CONTROL, 0x00, T(0x10));
	ck_assert_uint_eq(in8(VPIT_CH0, T(0x20)), 0x30);
	ck_assert_uint_eq(in8(VPIT_CH0, T(0x20)), 0x20);
	out8(VPIT_CONTROL, 0x20 | 0x04, 0);
	out8(VPIT_CH0, 0x40, 0);
	out8(VPIT_CONTROL, 0x00, T(0x100));
	ck_assert_uint_eq(in8(VPIT_CH0, T(0x2000)), 0x3f);
	ck_assert_uint_eq(in8(VPIT_CH0, T(0x2000)), 0x20);
	/* read-back of count and status together: status first */
	program(1, 2, 300, 0);
	out8(VPIT_CONTROL, 0xc4, T(100)); /* ch1, count and status */
	ck_assert_uint_eq(in8(0x41, T(150)), 0x80 | 0x34);
	ck_assert_uint_eq(read16(0x41, T(150)), 200);
	/* read-back with neither latches nothing; of count only */
	out8(VPIT_CONTROL, 0xf4, T(100));
	ck_assert_uint_eq(read16(0x41, T(150)), 150);
	out8(VPIT_CONTROL, 0xd4, T(100));
	out8(VPIT_CONTROL, 0xe4, T(120)); /* status latched after the count */
	ck_assert_uint_eq(in8(0x41, T(150)), 0x80 | 0x34);
	ck_assert_uint_eq(read16(0x41, T(150)), 200);
	/* a second status latch before the read keeps the first */
	program(0, 0, 100, 0);
	out8(VPIT_CONTROL, 0xe2, T(50));
	out8(VPIT_CONTROL, 0xe2, T(150));
	ck_assert_uint_eq(in8(VPIT_CH0, T(150)), 0x30);
	ck_assert_uint_eq(status(0, 150), 0x80 | 0x30);
}
END_TEST

START_TEST(test_bcd)
{
	out8(VPIT_CONTROL, 0x35, 0); /* mode 2, BCD */
	out8(VPIT_CH0, 0x00, 0);
	out8(VPIT_CH0, 0x10, 0); /* 1000 decimal */
	ck_assert_uint_eq(vpit_next_deadline(&pit), T(1000));
	ck_assert_uint_eq(read16(VPIT_CH0, T(1)), 0x0999);
	out8(VPIT_CH0, 0x00, 0);
	out8(VPIT_CH0, 0x00, 0); /* 0 is 10000 */
	ck_assert_uint_eq(vpit_next_deadline(&pit), T(10000));
	ck_assert_uint_eq(read16(VPIT_CH0, T(1)), 0x9999);
	ck_assert_uint_eq(status(0, 1), 0x80 | 0x35);
	/* mode 0 in BCD wraps at 10000 */
	out8(VPIT_CONTROL, 0x31, 0);
	out8(VPIT_CH0, 0x05, 0);
	out8(VPIT_CH0, 0x00, 0);
	ck_assert_uint_eq(read16(VPIT_CH0, T(6)), 0x9999);
}
END_TEST

START_TEST(test_port61_calibration)
{
	/* Linux pit_calibrate_tsc: gate on, speaker off, mode 0 lohi, poll OUT2 */
	out8(VPIT_PORT_B, (uint8_t)((in8(VPIT_PORT_B, 0) & ~0x02) | 0x01), 0);
	ck_assert_uint_eq(in8(VPIT_PORT_B, 0) & 0x0f, 0x01);
	out8(VPIT_CONTROL, 0xb0, 0);
	out8(VPIT_CH2, 0x9c, T(5));
	out8(VPIT_CH2, 0x2e, T(5)); /* 11932: 10 ms */
	ck_assert(!(in8(VPIT_PORT_B, T(5 + 11931)) & VPIT_PORT_B_OUT2));
	ck_assert(in8(VPIT_PORT_B, T(5 + 11932)) & VPIT_PORT_B_OUT2);
	/* channel 2 raises no IRQ 0 */
	ck_assert_uint_eq(vpit_next_deadline(&pit), UINT64_MAX);
	/* the refresh bit toggles with time */
	ck_assert(!(in8(VPIT_PORT_B, T(17)) & VPIT_PORT_B_REFRESH));
	ck_assert(in8(VPIT_PORT_B, T(18)) & VPIT_PORT_B_REFRESH);
	/* only bits 3:0 are written */
	out8(VPIT_PORT_B, 0xff, 0);
	ck_assert_uint_eq(in8(VPIT_PORT_B, T(0)) & 0xcf, 0x0f);
}
END_TEST

START_TEST(test_gate)
{
	/* mode 0 pauses while the gate is low */
	out8(VPIT_PORT_B, 0x01, 0);
	program(2, 0, 100, 0);
	out8(VPIT_PORT_B, 0x00, T(30));
	ck_assert_uint_eq(read16(VPIT_CH2, T(500)), 70);
	out8(VPIT_PORT_B, 0x00, T(31)); /* no change */
	out8(VPIT_PORT_B, 0x01, T(1000));
	ck_assert_uint_eq(read16(VPIT_CH2, T(1010)), 60);
	ck_assert(in8(VPIT_PORT_B, T(1070)) & VPIT_PORT_B_OUT2);
	/* written with the gate low: waits */
	out8(VPIT_PORT_B, 0x00, T(2000));
	program(2, 0, 50, 2000);
	ck_assert_uint_eq(read16(VPIT_CH2, T(2100)), 50);
	/* mode 2: gate low stops with OUT high, the rising edge reloads */
	program(2, 2, 40, 3000);
	ck_assert(in8(VPIT_PORT_B, T(3039)) & VPIT_PORT_B_OUT2);
	out8(VPIT_PORT_B, 0x01, T(3100));
	ck_assert_uint_eq(read16(VPIT_CH2, T(3110)), 30);
	out8(VPIT_PORT_B, 0x00, T(3120));
	ck_assert(in8(VPIT_PORT_B, T(3139)) & VPIT_PORT_B_OUT2);
	out8(VPIT_PORT_B, 0x01, T(3200));
	ck_assert_uint_eq(read16(VPIT_CH2, T(3200)), 40);
	/* mode 1: one-shot from the gate's rising edge, OUT low until TC */
	out8(VPIT_PORT_B, 0x00, T(4000));
	program(2, 1, 25, 4000);
	ck_assert(in8(VPIT_PORT_B, T(4100)) & VPIT_PORT_B_OUT2);
	ck_assert_uint_eq(read16(VPIT_CH2, T(4100)), 25);
	out8(VPIT_PORT_B, 0x01, T(4200));
	ck_assert(!(in8(VPIT_PORT_B, T(4224)) & VPIT_PORT_B_OUT2));
	ck_assert(in8(VPIT_PORT_B, T(4225)) & VPIT_PORT_B_OUT2);
	out8(VPIT_PORT_B, 0x00, T(4300)); /* the gate falling does nothing here */
	ck_assert_uint_eq(read16(VPIT_CH2, T(4301)), (uint16_t)(25 - 101));
	/* mode 5: strobe from the gate's rising edge */
	program(2, 5, 10, 5000);
	ck_assert(in8(VPIT_PORT_B, T(5010)) & VPIT_PORT_B_OUT2);
	out8(VPIT_PORT_B, 0x01, T(5100));
	ck_assert(!(in8(VPIT_PORT_B, T(5110)) & VPIT_PORT_B_OUT2));
	ck_assert(in8(VPIT_PORT_B, T(5111)) & VPIT_PORT_B_OUT2);
	/* a gate edge before any count: nothing starts */
	out8(VPIT_CONTROL, 0xb2, 0);
	out8(VPIT_PORT_B, 0x00, T(6000));
	out8(VPIT_PORT_B, 0x01, T(6001));
	ck_assert_uint_eq(read16(VPIT_CH2, T(6002)), 0);
	/* a hostile huge TSC saturates the deadline */
	program(0, 2, 10, 0);
	ck_assert(vpit_advance(&pit, UINT64_MAX - 1));
	ck_assert_uint_ge(vpit_next_deadline(&pit), UINT64_MAX - 40);
	program(0, 2, 60000, 0);
	ck_assert(vpit_advance(&pit, UINT64_MAX));
	ck_assert_uint_eq(vpit_next_deadline(&pit), UINT64_MAX); /* past the end of time */
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vpit");
	TCase *tc = tcase_create("vpit");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_init_and_ports);
	tcase_add_test(tc, test_mode2_rate_generator_irq0);
	tcase_add_test(tc, test_mode0_one_shot);
	tcase_add_test(tc, test_mode3_square_wave);
	tcase_add_test(tc, test_mode4_strobe);
	tcase_add_test(tc, test_access_modes_and_latch);
	tcase_add_test(tc, test_bcd);
	tcase_add_test(tc, test_port61_calibration);
	tcase_add_test(tc, test_gate);
	suite_add_tcase(s, tc);
	return s;
}
