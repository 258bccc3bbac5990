/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual MC146818A against the datasheet: time registers in BCD and
 * binary, 12 and 24 hour mode, the calendar (leap day, the 2099 -> 2000
 * roll-over), SET, UIP, register C flags and IRQ 8, the periodic rate,
 * alarms, CMOS RAM and the NMI bit. The TSC runs at 1 MHz: S(x) is x seconds.
 */
#include "unit.h"
#include "vrtc.h"
#include "err.h"

#define HZ 1000000ull
#define S(x) ((uint64_t)(x) * HZ)
#define DAY 86400ull
/* 2000-02-29 (a Tuesday, the 60th day of 2000) 23:59:58 */
#define LEAP_EVE (59ull * DAY + 23 * 3600 + 59 * 60 + 58)
/* days from 2000-01-01 to 2100-01-01: 100 years, 25 leap days */
#define CENTURY_DAYS 36525ull

static struct vrtc rtc;

static void setup(void)
{
	ck_assert_int_eq(vrtc_init(&rtc, HZ, LEAP_EVE, 0), 0);
}

static uint8_t rd(uint8_t idx, uint64_t now)
{
	uint8_t v = 0x5a;
	ck_assert_int_eq(vrtc_io_write(&rtc, VRTC_INDEX, idx, now), 0);
	ck_assert_int_eq(vrtc_io_read(&rtc, VRTC_DATA, now, &v), 0);
	return v;
}

static void wr(uint8_t idx, uint8_t v, uint64_t now)
{
	ck_assert_int_eq(vrtc_io_write(&rtc, VRTC_INDEX, idx, now), 0);
	ck_assert_int_eq(vrtc_io_write(&rtc, VRTC_DATA, v, now), 0);
}

START_TEST(test_reset_and_ports)
{
	struct vrtc r;
	ck_assert_int_eq(vrtc_init(&r, VRTC_TSC_HZ_MIN - 1, 0, 0), -TERN_EINVAL);
	ck_assert_int_eq(vrtc_init(&r, VRTC_TSC_HZ_MAX + 1, 0, 0), -TERN_EINVAL);
	ck_assert_int_eq(vrtc_init(&r, HZ, CENTURY_DAYS * DAY, 0), -TERN_EINVAL);
	ck_assert_int_eq(vrtc_init(&r, HZ, CENTURY_DAYS * DAY - 1, 0), 0);
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), UINT64_MAX); /* a rate, but no PIE */
	ck_assert_uint_eq(rd(VRTC_REG_A, 0), 0x26);
	ck_assert_uint_eq(rd(VRTC_REG_B, 0), 0x02);
	ck_assert_uint_eq(rd(VRTC_REG_C, 0), 0);
	ck_assert_uint_eq(rd(VRTC_REG_D, 0), 0x80);
	ck_assert_uint_eq(rd(VRTC_CENTURY, 0), 0x20);
	ck_assert_uint_eq(rd(VRTC_SEC, 0), 0x58);
	ck_assert_uint_eq(rd(VRTC_MIN, 0), 0x59);
	ck_assert_uint_eq(rd(VRTC_HOUR, 0), 0x23);
	ck_assert_uint_eq(rd(VRTC_DAY, 0), 0x29);
	ck_assert_uint_eq(rd(VRTC_MONTH, 0), 0x02);
	ck_assert_uint_eq(rd(VRTC_YEAR, 0), 0x00);
	ck_assert_uint_eq(rd(VRTC_DOW, 0), 3); /* Tuesday */
	uint8_t v;
	ck_assert_int_eq(vrtc_io_read(&rtc, VRTC_INDEX, 0, &v), 0);
	ck_assert_uint_eq(v, 0xff);
	ck_assert_int_eq(vrtc_io_read(&rtc, 0x72, 0, &v), -TERN_ENOENT);
	ck_assert_uint_eq(v, 0xff);
	ck_assert_int_eq(vrtc_io_write(&rtc, 0x72, 0, 0), -TERN_ENOENT);
	/* the NMI bit of the index port, and the index wraps at 128 */
	ck_assert(!vrtc_nmi_disabled(&rtc));
	wr(0x80 | 0x40, 0x77, 0);
	ck_assert(vrtc_nmi_disabled(&rtc));
	ck_assert_uint_eq(rd(0x40, 0), 0x77);
	ck_assert(!vrtc_nmi_disabled(&rtc));
	/* read-only registers */
	wr(VRTC_REG_C, 0xff, 0);
	wr(VRTC_REG_D, 0x00, 0);
	wr(VRTC_CENTURY, 0x19, 0);
	ck_assert_uint_eq(rd(VRTC_REG_C, 0), 0);
	ck_assert_uint_eq(rd(VRTC_REG_D, 0), 0x80);
	ck_assert_uint_eq(rd(VRTC_CENTURY, 0), 0x20);
	wr(VRTC_REG_A, 0xa6, 0); /* UIP cannot be written */
	ck_assert_uint_eq(rd(VRTC_REG_A, 0), 0x26);
	/* an alarm interrupt while SET stops the clock: nothing to arm */
	wr(VRTC_REG_B, VRTC_B_SET | VRTC_B_AIE, 0);
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), UINT64_MAX);
}
END_TEST

START_TEST(test_calendar)
{
	/* past midnight of the leap day */
	ck_assert_uint_eq(rd(VRTC_SEC, S(1)), 0x59);
	ck_assert_uint_eq(rd(VRTC_SEC, S(2)), 0x00);
	ck_assert_uint_eq(rd(VRTC_HOUR, S(2)), 0x00);
	ck_assert_uint_eq(rd(VRTC_DAY, S(2)), 0x01);
	ck_assert_uint_eq(rd(VRTC_MONTH, S(2)), 0x03);
	ck_assert_uint_eq(rd(VRTC_DOW, S(2)), 4); /* Wednesday */
	/* the year 2099 rolls over to 00 */
	ck_assert_int_eq(vrtc_init(&rtc, HZ, CENTURY_DAYS * DAY - 1, 0), 0);
	ck_assert_uint_eq(rd(VRTC_YEAR, 0), 0x99);
	ck_assert_uint_eq(rd(VRTC_MONTH, 0), 0x12);
	ck_assert_uint_eq(rd(VRTC_DAY, 0), 0x31);
	ck_assert_uint_eq(rd(VRTC_DOW, 0), 5); /* 2099-12-31 is a Thursday */
	ck_assert_uint_eq(rd(VRTC_YEAR, S(1)), 0x00);
	ck_assert_uint_eq(rd(VRTC_MONTH, S(1)), 0x01);
	ck_assert_uint_eq(rd(VRTC_DAY, S(1)), 0x01);
	/* 2001 is no leap year: Feb 28 is followed by Mar 1 */
	ck_assert_int_eq(vrtc_init(&rtc, HZ, (366ull + 58) * DAY, 0), 0);
	ck_assert_uint_eq(rd(VRTC_DAY, 0), 0x28);
	ck_assert_uint_eq(rd(VRTC_DAY, S(DAY)), 0x01);
	ck_assert_uint_eq(rd(VRTC_MONTH, S(DAY)), 0x03);
}
END_TEST

START_TEST(test_binary_and_12h)
{
	wr(VRTC_REG_B, VRTC_B_DM_BINARY | VRTC_B_24H, 0);
	ck_assert_uint_eq(rd(VRTC_SEC, 0), 58);
	ck_assert_uint_eq(rd(VRTC_HOUR, 0), 23);
	ck_assert_uint_eq(rd(VRTC_DAY, 0), 29);
	ck_assert_uint_eq(rd(VRTC_CENTURY, 0), 20);
	/* 12 hour, BCD: 23h is 11 PM, midnight is 12 AM, noon 12 PM */
	wr(VRTC_REG_B, 0, 0);
	ck_assert_uint_eq(rd(VRTC_HOUR, 0), 0x80 | 0x11);
	ck_assert_uint_eq(rd(VRTC_HOUR, S(2)), 0x12);
	wr(VRTC_HOUR, 0x80 | 0x12, S(2));
	ck_assert_uint_eq(rd(VRTC_HOUR, S(2)), 0x80 | 0x12);
	wr(VRTC_REG_B, VRTC_B_24H, S(2));
	ck_assert_uint_eq(rd(VRTC_HOUR, S(2)), 0x12);
	wr(VRTC_REG_B, 0, S(2));
	wr(VRTC_HOUR, 0x01, S(2));
	ck_assert_uint_eq(rd(VRTC_HOUR, S(2)), 0x01);
	/* 12 hour values out of range are ignored */
	wr(VRTC_HOUR, 0x13, S(2));
	wr(VRTC_HOUR, 0x00, S(2));
	wr(VRTC_HOUR, 0x8a | 0x10, S(2)); /* BCD digit a */
	ck_assert_uint_eq(rd(VRTC_HOUR, S(2)), 0x01);
	/* 12 hour, binary */
	wr(VRTC_REG_B, VRTC_B_DM_BINARY, S(2));
	wr(VRTC_HOUR, 0x80 | 3, S(2));
	ck_assert_uint_eq(rd(VRTC_HOUR, S(2)), 0x80 | 3);
	wr(VRTC_REG_B, VRTC_B_DM_BINARY | VRTC_B_24H, S(2));
	ck_assert_uint_eq(rd(VRTC_HOUR, S(2)), 15);
}
END_TEST

START_TEST(test_set_and_writes)
{
	/* Linux's set sequence: SET, the fields, SET cleared */
	wr(VRTC_REG_B, VRTC_B_SET | VRTC_B_24H | VRTC_B_UIE, S(10));
	ck_assert_uint_eq(rd(VRTC_REG_B, S(10)), VRTC_B_SET | VRTC_B_24H); /* SET clears UIE */
	wr(VRTC_SEC, 0x30, S(10));
	wr(VRTC_MIN, 0x15, S(10));
	wr(VRTC_HOUR, 0x09, S(10));
	wr(VRTC_DAY, 0x31, S(10)); /* still February: shown as written */
	wr(VRTC_MONTH, 0x12, S(10));
	wr(VRTC_YEAR, 0x26, S(10));
	wr(VRTC_REG_B, VRTC_B_SET | VRTC_B_24H, S(10)); /* SET again: still frozen */
	/* frozen while SET */
	ck_assert_uint_eq(rd(VRTC_SEC, S(50)), 0x30);
	ck_assert_uint_eq(rd(VRTC_DAY, S(50)), 0x31);
	ck_assert(!(rd(VRTC_REG_A, S(50) + HZ - 1) & VRTC_A_UIP));
	wr(VRTC_REG_B, VRTC_B_24H, S(60));
	ck_assert_uint_eq(rd(VRTC_SEC, S(61)), 0x31);
	ck_assert_uint_eq(rd(VRTC_YEAR, S(61)), 0x26);
	ck_assert_uint_eq(rd(VRTC_MONTH, S(61)), 0x12);
	ck_assert_uint_eq(rd(VRTC_DAY, S(61)), 0x31);
	ck_assert_uint_eq(rd(VRTC_DOW, S(61)), 5); /* 2026-12-31 is a Thursday */
	/* a day past the month's end runs on into the next month once counting */
	wr(VRTC_REG_B, VRTC_B_SET | VRTC_B_24H, S(70));
	wr(VRTC_MONTH, 0x02, S(70));
	wr(VRTC_REG_B, VRTC_B_24H, S(70));
	ck_assert_uint_eq(rd(VRTC_MONTH, S(70)), 0x03);
	ck_assert_uint_eq(rd(VRTC_DAY, S(70)), 0x03);
	/* writes while counting take effect at once */
	wr(VRTC_MIN, 0x45, S(80));
	ck_assert_uint_eq(rd(VRTC_MIN, S(80)), 0x45);
	wr(VRTC_SEC, 0x00, S(80));
	ck_assert_uint_eq(rd(VRTC_SEC, S(85)), 0x05);
	/* values that do not fit are ignored */
	wr(VRTC_SEC, 0x60, S(85));
	wr(VRTC_SEC, 0x0a, S(85));
	wr(VRTC_MIN, 0x60, S(85));
	wr(VRTC_HOUR, 0x24, S(85));
	wr(VRTC_HOUR, 0x1b, S(85));
	wr(VRTC_DAY, 0x00, S(85));
	wr(VRTC_DAY, 0x32, S(85));
	wr(VRTC_MONTH, 0x00, S(85));
	wr(VRTC_MONTH, 0x13, S(85));
	wr(VRTC_YEAR, 0xa0, S(85));
	ck_assert_uint_eq(rd(VRTC_SEC, S(85)), 0x05);
	ck_assert_uint_eq(rd(VRTC_MIN, S(85)), 0x45);
	ck_assert_uint_eq(rd(VRTC_DAY, S(85)), 0x03);
	ck_assert_uint_eq(rd(VRTC_MONTH, S(85)), 0x03);
	ck_assert_uint_eq(rd(VRTC_YEAR, S(85)), 0x26);
	wr(VRTC_REG_B, VRTC_B_DM_BINARY | VRTC_B_24H, S(85));
	wr(VRTC_YEAR, 100, S(85));
	ck_assert_uint_eq(rd(VRTC_YEAR, S(85)), 26);
	/* the day of week is a register of its own */
	ck_assert_uint_eq(rd(VRTC_DOW, S(85)), 3); /* 2026-03-03 is a Tuesday */
	wr(VRTC_DOW, 1, S(85));
	ck_assert_uint_eq(rd(VRTC_DOW, S(85)), 1);
	ck_assert_uint_eq(rd(VRTC_DOW, S(85) + S(DAY)), 2);
	wr(VRTC_DOW, 0, S(85));
	wr(VRTC_DOW, 8, S(85));
	ck_assert_uint_eq(rd(VRTC_DOW, S(85)), 1);
	/* the divider held in reset stops the clock too */
	wr(VRTC_REG_A, 0x70, S(90));
	ck_assert_uint_eq(rd(VRTC_SEC, S(200)), 10);
	wr(VRTC_SEC, 20, S(200));
	wr(VRTC_REG_A, 0x26, S(300));
	ck_assert_uint_eq(rd(VRTC_SEC, S(301)), 21);
}
END_TEST

START_TEST(test_uip)
{
	/* the clock was set at now = 0: updates at each whole second */
	ck_assert(!(rd(VRTC_REG_A, S(3) + HZ - 245) & VRTC_A_UIP));
	ck_assert(rd(VRTC_REG_A, S(3) + HZ - 244) & VRTC_A_UIP);
	ck_assert(rd(VRTC_REG_A, S(3) + HZ - 1) & VRTC_A_UIP);
	ck_assert(!(rd(VRTC_REG_A, S(4)) & VRTC_A_UIP));
	/* during UIP the old second still shows */
	ck_assert_uint_eq(rd(VRTC_SEC, S(1) + HZ - 1), 0x59);
}
END_TEST

START_TEST(test_update_interrupt)
{
	/* UF is set each second, IRQF only with UIE (no periodic rate here) */
	wr(VRTC_REG_A, 0x20, 0);
	wr(VRTC_HOUR_ALARM, 0x05, 0); /* not the midnight coming at S(2) */
	ck_assert(!vrtc_advance(&rtc, S(1)));
	ck_assert_uint_eq(rd(VRTC_REG_C, S(1)), VRTC_C_UF);
	ck_assert_uint_eq(rd(VRTC_REG_C, S(1)), 0); /* read to clear */
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), UINT64_MAX);
	wr(VRTC_REG_B, VRTC_B_24H | VRTC_B_UIE, S(1) + 5);
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), S(2));
	ck_assert(!vrtc_advance(&rtc, S(2) - 1));
	ck_assert(vrtc_advance(&rtc, S(2)));
	ck_assert(!vrtc_advance(&rtc, S(3))); /* IRQF still set: no new edge */
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), UINT64_MAX);
	ck_assert_uint_eq(rd(VRTC_REG_C, S(3)), VRTC_C_IRQF | VRTC_C_UF);
	ck_assert(vrtc_advance(&rtc, S(4)));
	/* time going backwards sets nothing */
	ck_assert_uint_eq(rd(VRTC_REG_C, S(4)), VRTC_C_IRQF | VRTC_C_UF);
	ck_assert(!vrtc_advance(&rtc, S(1)));
	ck_assert_uint_eq(rd(VRTC_REG_C, S(2)), 0);
	/* at the end of time the next update saturates */
	rd(VRTC_REG_C, UINT64_MAX);
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), UINT64_MAX);
}
END_TEST

START_TEST(test_periodic)
{
	/* rate 6: 1024 Hz, 976.5625 us */
	ck_assert_uint_eq(rd(VRTC_REG_C, 976), 0);
	ck_assert_uint_eq(rd(VRTC_REG_C, 977), VRTC_C_PF);
	wr(VRTC_REG_B, VRTC_B_24H | VRTC_B_PIE, 977);
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), 1954); /* ceil(2 * 976.5625) */
	ck_assert(!vrtc_advance(&rtc, 1953));
	ck_assert(vrtc_advance(&rtc, 1954));
	ck_assert_uint_eq(rd(VRTC_REG_C, 1954), VRTC_C_IRQF | VRTC_C_PF);
	/* rate 15: 2 Hz; a new rate restarts the chain */
	wr(VRTC_REG_A, 0x2f, 10000);
	rd(VRTC_REG_C, 10000);
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), 10000 + HZ / 2);
	/* rates 1 and 2 are 256 Hz and 128 Hz */
	wr(VRTC_REG_A, 0x21, 20000);
	rd(VRTC_REG_C, 20000);
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), 20000 + 3907);
	wr(VRTC_REG_A, 0x22, 30000);
	rd(VRTC_REG_C, 30000);
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), 30000 + 7813);
	/* rate 0, or the divider off: no periodic interrupt */
	wr(VRTC_REG_A, 0x20, 40000);
	rd(VRTC_REG_C, 40000);
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), UINT64_MAX);
	ck_assert(!vrtc_advance(&rtc, S(100)));
	ck_assert_uint_eq(rd(VRTC_REG_C, S(100)) & VRTC_C_PF, 0);
	wr(VRTC_REG_A, 0x06, S(100));
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), UINT64_MAX);
	/* a hostile huge now saturates */
	wr(VRTC_REG_A, 0x2f, UINT64_MAX - 10);
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), UINT64_MAX);
}
END_TEST

START_TEST(test_alarm)
{
	/* alarm at 00:00:05 BCD (no periodic rate here) */
	wr(VRTC_REG_A, 0x20, 0);
	wr(VRTC_SEC_ALARM, 0x05, 0);
	wr(VRTC_MIN_ALARM, 0x00, 0);
	wr(VRTC_HOUR_ALARM, 0x00, 0);
	ck_assert_uint_eq(rd(VRTC_SEC_ALARM, 0), 0x05);
	wr(VRTC_REG_B, VRTC_B_24H | VRTC_B_AIE, 0);
	ck_assert_uint_eq(vrtc_next_deadline(&rtc), S(1));
	ck_assert(!vrtc_advance(&rtc, S(6)));
	ck_assert(vrtc_advance(&rtc, S(7)));
	ck_assert_uint_eq(rd(VRTC_REG_C, S(7)), VRTC_C_IRQF | VRTC_C_AF | VRTC_C_UF);
	/* don't-care hours and minutes: every minute at :05 */
	wr(VRTC_MIN_ALARM, 0xc0, S(7));
	wr(VRTC_HOUR_ALARM, 0xff, S(7));
	ck_assert(!vrtc_advance(&rtc, S(66)));
	ck_assert(vrtc_advance(&rtc, S(67)));
	/* a long sleep still finds it */
	rd(VRTC_REG_C, S(67));
	wr(VRTC_MIN_ALARM, 0x30, S(67));
	wr(VRTC_HOUR_ALARM, 0x12, S(67));
	ck_assert(vrtc_advance(&rtc, S(10 * DAY)));
	ck_assert_uint_eq(rd(VRTC_REG_C, S(10 * DAY)), VRTC_C_IRQF | VRTC_C_AF | VRTC_C_UF);
	/* no match in the time passed */
	ck_assert(!vrtc_advance(&rtc, S(10 * DAY + 100)));
	ck_assert_uint_eq(rd(VRTC_REG_C, S(10 * DAY + 100)), VRTC_C_UF);
}
END_TEST

START_TEST(test_cmos_ram)
{
	for (unsigned i = 0x0e; i < VRTC_RAM_SIZE; i++)
		if (i != VRTC_CENTURY)
			wr((uint8_t)i, (uint8_t)(i ^ 0xa5), 0);
	for (unsigned i = 0x0e; i < VRTC_RAM_SIZE; i++)
		if (i != VRTC_CENTURY)
			ck_assert_uint_eq(rd((uint8_t)i, 0), i ^ 0xa5);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vrtc");
	TCase *tc = tcase_create("vrtc");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_reset_and_ports);
	tcase_add_test(tc, test_calendar);
	tcase_add_test(tc, test_binary_and_12h);
	tcase_add_test(tc, test_set_and_writes);
	tcase_add_test(tc, test_uip);
	tcase_add_test(tc, test_update_interrupt);
	tcase_add_test(tc, test_periodic);
	tcase_add_test(tc, test_alarm);
	tcase_add_test(tc, test_cmos_ram);
	suite_add_tcase(s, tc);
	return s;
}
