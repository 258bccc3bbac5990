/* SPDX-License-Identifier: BSD-3-Clause */
/* Virtual MC146818A RTC and CMOS RAM. See vrtc.h. */
#include "vrtc.h"
#include "err.h"

#define INDEX_MASK 0x7fu
#define REG_A_BITS 0x7fu           /* UIP is read-only */
#define RTC_BASE_HZ 32768u
#define UIP_US 244u                /* UIP is set this long before the update (datasheet) */
#define US_PER_S 1000000u
#define SECS_PER_DAY 86400u
#define ALARM_DONT_CARE 0xc0u
#define HOUR_PM 0x80u
#define CENTURY 20u
#define END_YEAR 2100u

/* ---- the calendar (proleptic Gregorian), days counted from 0000-03-01 ---- */

static uint64_t days_from_civil(uint32_t y, uint32_t m, uint32_t d)
{
	/* Years start in March so that the leap day is the last day of a year. */
	uint32_t mp = m > 2 ? m - 3 : m + 9;
	if (m <= 2) {
		y--;
	}
	uint64_t yoe = y % 400u;
	uint64_t doy = (153u * mp + 2u) / 5u + d - 1u;
	return (uint64_t)(y / 400u) * 146097u + yoe * 365u + yoe / 4u - yoe / 100u + doy;
}

static void civil_from_days(uint64_t z, uint32_t *y, uint32_t *m, uint32_t *d)
{
	uint64_t era = z / 146097u, doe = z % 146097u;
	uint64_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
	uint64_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
	uint64_t mp = (5u * doy + 2u) / 153u;
	*d = (uint32_t)(doy - (153u * mp + 2u) / 5u + 1u);
	*m = (uint32_t)(mp < 10u ? mp + 3u : mp - 9u);
	*y = (uint32_t)(era * 400u + yoe + (*m <= 2u));
}

static uint64_t epoch_days(void) { return days_from_civil(VRTC_BASE_YEAR, 1, 1); }
static uint64_t span_secs(void) { return (days_from_civil(END_YEAR, 1, 1) - epoch_days()) * SECS_PER_DAY; }

static void to_time(uint64_t secs, struct vrtc_time *t)
{
	secs %= span_secs(); /* year 99 rolls over to 00 */
	uint64_t days = secs / SECS_PER_DAY, rem = secs % SECS_PER_DAY;
	uint32_t y;
	civil_from_days(epoch_days() + days, &y, &t->mon, &t->day);
	t->year = y - VRTC_BASE_YEAR;
	t->hour = (uint32_t)(rem / 3600u);
	t->min = (uint32_t)(rem / 60u % 60u);
	t->sec = (uint32_t)(rem % 60u);
}

/* A day past the month's end counts on into the next month (as after a SET). */
static uint64_t from_time(const struct vrtc_time *t)
{
	uint64_t days = days_from_civil(VRTC_BASE_YEAR + t->year, t->mon, t->day) - epoch_days();
	return days * SECS_PER_DAY + t->hour * 3600u + t->min * 60u + t->sec;
}

/* ---- time ---- */

static bool counting(const struct vrtc *rtc)
{
	return !(rtc->reg_b & VRTC_B_SET) && (rtc->reg_a & VRTC_A_DV_MASK) == VRTC_A_DV_NORMAL;
}

/* Seconds since 2000 at `now`, not yet wrapped at 2100. @pre counting(rtc) */
static uint64_t raw_secs(const struct vrtc *rtc, uint64_t now)
{
	return rtc->base_secs + (now > rtc->base_now ? (now - rtc->base_now) / rtc->tsc_hz : 0);
}

static void current(const struct vrtc *rtc, uint64_t now, struct vrtc_time *t)
{
	if (!counting(rtc)) {
		*t = rtc->frozen;
		return;
	}
	to_time(raw_secs(rtc, now), t);
}

/* 1/32768 s units in `d` TSC ticks. */
static uint64_t units(const struct vrtc *rtc, uint64_t d)
{
	return (d / rtc->tsc_hz) * RTC_BASE_HZ + (d % rtc->tsc_hz) * RTC_BASE_HZ / rtc->tsc_hz;
}

/* The periodic interrupt period in 1/32768 s for rate select rs (Table 5), 0: none. */
static uint64_t period_units(const struct vrtc *rtc)
{
	unsigned rs = rtc->reg_a & VRTC_A_RS_MASK;
	if (!rs || (rtc->reg_a & VRTC_A_DV_MASK) != VRTC_A_DV_NORMAL)
		return 0;
	if (rs < 3) {
		rs += 7; /* 256 Hz and 128 Hz, as rates 8 and 9 */
	}
	return 1ull << (rs - 1u);
}

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
/* @pre b != 0 */
static uint64_t sat_mul(uint64_t a, uint64_t b) { return a > UINT64_MAX / b ? UINT64_MAX : a * b; }

/* ---- register encodings ---- */

static uint8_t encode(const struct vrtc *rtc, uint32_t v)
{
	if (rtc->reg_b & VRTC_B_DM_BINARY)
		return (uint8_t)v;
	return (uint8_t)((v / 10u) << 4 | v % 10u);
}

static uint8_t encode_hour(const struct vrtc *rtc, uint32_t h)
{
	if (rtc->reg_b & VRTC_B_24H)
		return encode(rtc, h);
	uint32_t h12 = h % 12u ? h % 12u : 12u;
	return (uint8_t)(encode(rtc, h12) | (h >= 12u ? HOUR_PM : 0));
}

static bool decode(const struct vrtc *rtc, uint8_t b, uint32_t *v)
{
	if (rtc->reg_b & VRTC_B_DM_BINARY) {
		*v = b;
		return true;
	}
	if ((b & 0xfu) > 9u || (b >> 4) > 9u)
		return false;
	*v = (b >> 4) * 10u + (b & 0xfu);
	return true;
}

static bool decode_hour(const struct vrtc *rtc, uint8_t b, uint32_t *h)
{
	if (rtc->reg_b & VRTC_B_24H)
		return decode(rtc, b, h) && *h < 24u;
	if (!decode(rtc, b & (uint8_t)~HOUR_PM, h) || *h < 1u || *h > 12u)
		return false;
	*h = *h % 12u + (b & HOUR_PM ? 12u : 0u);
	return true;
}

/* Day of week 1 (Sunday) .. 7; 2000-01-01 was a Saturday. */
static uint32_t day_of_week(const struct vrtc *rtc, const struct vrtc_time *t)
{
	uint64_t days = from_time(t) / SECS_PER_DAY;
	return (uint32_t)((days + 6u + rtc->dow_adjust) % 7u) + 1u;
}

/* ---- interrupt flags ---- */

static bool alarm_match(const struct vrtc *rtc, uint64_t secs)
{
	struct vrtc_time t;
	to_time(secs, &t);
	uint8_t now_bytes[3] = { encode(rtc, t.sec), encode(rtc, t.min), encode_hour(rtc, t.hour) };
	for (unsigned i = 0; i < 3; i++) {
		uint8_t a = rtc->alarm[i];
		if ((a & ALARM_DONT_CARE) != ALARM_DONT_CARE && a != now_bytes[i])
			return false;
	}
	return true;
}

/* Bring register C up to `now`; true when IRQF rose. */
static bool update_flags(struct vrtc *rtc, uint64_t now)
{
	if (now <= rtc->checked)
		return false;
	if (counting(rtc)) {
		uint64_t s0 = raw_secs(rtc, rtc->checked), s1 = raw_secs(rtc, now);
		if (s1 > s0) {
			rtc->reg_c |= VRTC_C_UF;
			/* one day of updates covers every alarm pattern */
			uint64_t s = s1 - s0 > SECS_PER_DAY ? s1 - SECS_PER_DAY + 1u : s0 + 1u;
			for (; s <= s1; s++) {
				if (alarm_match(rtc, s)) {
					rtc->reg_c |= VRTC_C_AF;
					break;
				}
			}
		}
	}
	uint64_t p = period_units(rtc);
	if (p && units(rtc, now - rtc->pf_base) / p > units(rtc, rtc->checked - rtc->pf_base) / p) {
		rtc->reg_c |= VRTC_C_PF;
	}
	rtc->checked = now;
	uint8_t c = rtc->reg_c, b = rtc->reg_b;
	bool irq = ((c & VRTC_C_PF) && (b & VRTC_B_PIE)) || ((c & VRTC_C_AF) && (b & VRTC_B_AIE)) ||
		   ((c & VRTC_C_UF) && (b & VRTC_B_UIE));
	if (!irq || (c & VRTC_C_IRQF))
		return false;
	rtc->reg_c |= VRTC_C_IRQF;
	return true;
}

bool vrtc_advance(struct vrtc *rtc, uint64_t now) { return update_flags(rtc, now); }

uint64_t vrtc_next_deadline(const struct vrtc *rtc)
{
	if (rtc->reg_c & VRTC_C_IRQF)
		return UINT64_MAX; /* no new edge until register C is read */
	uint64_t best = UINT64_MAX, hz = rtc->tsc_hz;
	uint64_t p = period_units(rtc);
	if (p && (rtc->reg_b & VRTC_B_PIE)) {
		uint64_t u = (units(rtc, rtc->checked - rtc->pf_base) / p + 1u) * p;
		uint64_t off = sat_add(sat_mul(u / RTC_BASE_HZ, hz),
				       ((u % RTC_BASE_HZ) * hz + RTC_BASE_HZ - 1u) / RTC_BASE_HZ);
		best = sat_add(rtc->pf_base, off);
	}
	if ((rtc->reg_b & (VRTC_B_UIE | VRTC_B_AIE)) && counting(rtc)) {
		uint64_t e = rtc->checked > rtc->base_now ? rtc->checked - rtc->base_now : 0;
		uint64_t k = e / hz + 1u;
		uint64_t t = sat_add(rtc->base_now, sat_mul(k, hz));
		if (t < best)
			best = t;
	}
	return best;
}

/* ---- registers ---- */

int vrtc_init(struct vrtc *rtc, uint64_t tsc_hz, uint64_t secs, uint64_t now)
{
	if (tsc_hz < VRTC_TSC_HZ_MIN || tsc_hz > VRTC_TSC_HZ_MAX || secs >= span_secs())
		return -TERN_EINVAL;
	rtc->tsc_hz = tsc_hz;
	rtc->index = 0;
	rtc->nmi_disabled = false;
	rtc->reg_a = VRTC_A_DV_NORMAL | 0x06u; /* 1024 Hz, as firmware leaves it */
	rtc->reg_b = VRTC_B_24H;
	rtc->reg_c = 0;
	for (unsigned i = 0; i < 3; i++)
		rtc->alarm[i] = 0;
	rtc->dow_adjust = 0;
	rtc->base_secs = secs;
	rtc->base_now = now;
	to_time(secs, &rtc->frozen);
	rtc->pf_base = now;
	rtc->checked = now;
	for (unsigned i = 0; i < VRTC_RAM_SIZE; i++)
		rtc->ram[i] = 0;
	return 0;
}

bool vrtc_nmi_disabled(const struct vrtc *rtc) { return rtc->nmi_disabled; }

static uint8_t reg_read(struct vrtc *rtc, uint8_t idx, uint64_t now)
{
	struct vrtc_time t;
	current(rtc, now, &t);
	switch (idx) {
	case VRTC_SEC:
		return encode(rtc, t.sec);
	case VRTC_MIN:
		return encode(rtc, t.min);
	case VRTC_HOUR:
		return encode_hour(rtc, t.hour);
	case VRTC_DOW:
		return encode(rtc, day_of_week(rtc, &t));
	case VRTC_DAY:
		return encode(rtc, t.day);
	case VRTC_MONTH:
		return encode(rtc, t.mon);
	case VRTC_YEAR:
		return encode(rtc, t.year);
	case VRTC_SEC_ALARM:
	case VRTC_MIN_ALARM:
	case VRTC_HOUR_ALARM:
		return rtc->alarm[idx >> 1];
	case VRTC_REG_A: {
		/* UIP: the last 244 us before a second's update (datasheet, Figure 4) */
		uint64_t frac = (now > rtc->base_now ? now - rtc->base_now : 0) % rtc->tsc_hz;
		bool uip = counting(rtc) && frac >= rtc->tsc_hz - rtc->tsc_hz * UIP_US / US_PER_S;
		return (uint8_t)(rtc->reg_a | (uip ? VRTC_A_UIP : 0));
	}
	case VRTC_REG_B:
		return rtc->reg_b;
	case VRTC_REG_C: {
		uint8_t c = rtc->reg_c;
		rtc->reg_c = 0; /* read to clear; IRQ 8 drops */
		return c;
	}
	case VRTC_REG_D:
		return VRTC_D_VRT;
	case VRTC_CENTURY:
		return encode(rtc, CENTURY);
	default:
		return rtc->ram[idx];
	}
}

/* A time register write: a value that does not fit is ignored. */
static void time_write(struct vrtc *rtc, uint8_t idx, uint8_t value, uint64_t now)
{
	struct vrtc_time t;
	current(rtc, now, &t);
	uint32_t v;
	bool ok = idx == VRTC_HOUR ? decode_hour(rtc, value, &v) : decode(rtc, value, &v);
	if (!ok)
		return;
	switch (idx) {
	case VRTC_SEC:
		ok = v < 60u;
		t.sec = v;
		break;
	case VRTC_MIN:
		ok = v < 60u;
		t.min = v;
		break;
	case VRTC_HOUR:
		t.hour = v;
		break;
	case VRTC_DAY:
		ok = v >= 1u && v <= 31u;
		t.day = v;
		break;
	case VRTC_MONTH:
		ok = v >= 1u && v <= 12u;
		t.mon = v;
		break;
	case VRTC_YEAR:
		ok = v < 100u;
		t.year = v;
		break;
	default: /* VRTC_DOW */
		if (v >= 1u && v <= 7u)
			rtc->dow_adjust = (uint8_t)((rtc->dow_adjust + v + 7u - day_of_week(rtc, &t)) % 7u);
		return;
	}
	if (!ok)
		return;
	if (counting(rtc)) {
		rtc->base_secs = from_time(&t);
		rtc->base_now = now;
	} else {
		rtc->frozen = t;
	}
}

static void reg_write(struct vrtc *rtc, uint8_t idx, uint8_t value, uint64_t now)
{
	switch (idx) {
	case VRTC_SEC:
	case VRTC_MIN:
	case VRTC_HOUR:
	case VRTC_DOW:
	case VRTC_DAY:
	case VRTC_MONTH:
	case VRTC_YEAR:
		time_write(rtc, idx, value, now);
		return;
	case VRTC_SEC_ALARM:
	case VRTC_MIN_ALARM:
	case VRTC_HOUR_ALARM:
		rtc->alarm[idx >> 1] = value;
		return;
	case VRTC_REG_A:
	case VRTC_REG_B: {
		struct vrtc_time before;
		bool was = counting(rtc);
		current(rtc, now, &before);
		if (idx == VRTC_REG_A) {
			if ((value ^ rtc->reg_a) & REG_A_BITS)
				rtc->pf_base = now; /* a new rate or divider restarts the periodic chain */
			rtc->reg_a = value & REG_A_BITS;
		} else {
			/* SET stops the updates and clears UIE (datasheet register B) */
			rtc->reg_b = value & VRTC_B_SET ? value & (uint8_t)~VRTC_B_UIE : value;
		}
		if (was && !counting(rtc)) {
			rtc->frozen = before;
		} else if (!was && counting(rtc)) {
			rtc->base_secs = from_time(&rtc->frozen);
			rtc->base_now = now;
		}
		return;
	}
	case VRTC_REG_C:
	case VRTC_REG_D:
	case VRTC_CENTURY:
		return; /* read-only */
	default:
		rtc->ram[idx] = value;
		return;
	}
}

int vrtc_io_read(struct vrtc *rtc, uint16_t port, uint64_t now, uint8_t *value)
{
	if (port == VRTC_INDEX) {
		*value = 0xff; /* the index register is write-only */
		return 0;
	}
	if (port != VRTC_DATA) {
		*value = 0xff;
		return -TERN_ENOENT;
	}
	(void)update_flags(rtc, now);
	*value = reg_read(rtc, rtc->index, now);
	return 0;
}

int vrtc_io_write(struct vrtc *rtc, uint16_t port, uint8_t value, uint64_t now)
{
	if (port == VRTC_INDEX) {
		rtc->index = value & INDEX_MASK;
		rtc->nmi_disabled = value & VRTC_NMI_DISABLE;
		return 0;
	}
	if (port != VRTC_DATA)
		return -TERN_ENOENT;
	(void)update_flags(rtc, now);
	reg_write(rtc, rtc->index, value, now);
	return 0;
}
