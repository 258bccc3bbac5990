/* SPDX-License-Identifier: BSD-3-Clause */
/* Virtual 8254 PIT and port 0x61 (Intel 8254 datasheet). See vpit.h. */
#include "vpit.h"
#include "err.h"

#define CW_SC_SHIFT 6
#define CW_RW_SHIFT 4
#define CW_MODE_SHIFT 1
#define CW_BCD 0x01u
#define SC_READBACK 3u
#define RW_LATCH 0u
#define RW_LSB 1u
#define RW_MSB 2u
#define RW_WORD 3u
#define RB_NO_COUNT 0x20u
#define RB_NO_STATUS 0x10u
#define STATUS_OUT 0x80u
#define STATUS_NULL 0x40u
#define PORT_B_BITS 0x0fu
/* Port 0x61 bit 4 toggles with the DRAM refresh, every ~15 us (18 PIT clocks). */
#define REFRESH_TICKS 18u
#define WRAP_BINARY 65536u
#define WRAP_BCD 10000u
#define CHANNELS 3u

static uint64_t to_ticks(const struct vpit *pit, uint64_t now)
{
	uint64_t hz = pit->tsc_hz;
	return (now / hz) * VPIT_HZ + (now % hz) * VPIT_HZ / hz;
}

/* The first TSC value at which to_ticks() reaches `ticks` (saturating). */
static uint64_t to_tsc(const struct vpit *pit, uint64_t ticks)
{
	uint64_t hz = pit->tsc_hz, q = ticks / VPIT_HZ, r = ticks % VPIT_HZ;
	if (q > UINT64_MAX / hz)
		return UINT64_MAX;
	uint64_t t = q * hz, add = (r * hz + VPIT_HZ - 1) / VPIT_HZ;
	return t > UINT64_MAX - add ? UINT64_MAX : t + add;
}

/* Four BCD digits; invalid digits count with their binary weight, as written. */
static uint32_t bcd_to_bin(uint16_t v)
{
	return (v >> 12) * 1000u + ((v >> 8) & 0xfu) * 100u + ((v >> 4) & 0xfu) * 10u + (v & 0xfu);
}

static uint16_t bin_to_bcd(uint32_t v)
{
	v %= WRAP_BCD;
	return (uint16_t)((v / 1000u) << 12 | ((v / 100u) % 10u) << 8 | ((v / 10u) % 10u) << 4 | (v % 10u));
}

static void channel_reset(struct vpit_channel *c, bool gate)
{
	c->mode = 0;
	c->rw = RW_WORD;
	c->bcd = false;
	c->n = WRAP_BINARY;
	c->loaded = false;
	c->running = false;
	c->gate = gate;
	c->triggered = false;
	c->start = 0;
	c->frozen = 0;
	c->edge = 0;
	c->null_count = true;
	c->write_lsb = 0;
	c->write_msb_next = false;
	c->read_msb_next = false;
	c->count_latched = false;
	c->latch = 0;
	c->latch_msb_next = false;
	c->status_latched = false;
	c->status = 0;
}

int vpit_init(struct vpit *pit, uint64_t tsc_hz)
{
	if (tsc_hz < VPIT_HZ || tsc_hz > VPIT_TSC_HZ_MAX)
		return -TERN_EINVAL;
	pit->tsc_hz = tsc_hz;
	pit->port_b = 0;
	/* Channels 0 and 1 have their gates tied high; channel 2's is port 0x61 bit 0. */
	for (unsigned i = 0; i < CHANNELS; i++)
		channel_reset(&pit->ch[i], i != 2);
	return 0;
}

static uint64_t elapsed(const struct vpit_channel *c, uint64_t t)
{
	if (!c->running)
		return c->frozen;
	return c->frozen + (t > c->start ? t - c->start : 0);
}

static bool periodic(const struct vpit_channel *c) { return c->mode == 2 || c->mode == 3; }
static bool hw_triggered(const struct vpit_channel *c) { return c->mode == 1 || c->mode == 5; }

/* Elapsed ticks of the first OUT rising edge after a (re)start. */
static uint64_t first_edge(const struct vpit_channel *c)
{
	return c->mode >= 4 ? (uint64_t)c->n + 1 : c->n;
}

static uint32_t counter_value(const struct vpit_channel *c, uint64_t t)
{
	uint32_t wrap = c->bcd ? WRAP_BCD : WRAP_BINARY;
	if (!c->loaded)
		return 0;
	if (hw_triggered(c) && !c->triggered)
		return c->n % wrap;
	uint64_t e = elapsed(c, t);
	uint32_t v;
	if (c->mode == 2) {
		v = c->n - (uint32_t)(e % c->n);
	} else if (c->mode == 3) {
		/* square wave: each half period counts down by two (datasheet mode 3) */
		uint32_t half = (c->n + 1u) / 2u, ph = (uint32_t)(e % c->n);
		v = c->n - 2u * (ph < half ? ph : ph - half);
	} else {
		/* one-shot modes count on past terminal count, wrapping */
		v = (uint32_t)((c->n + wrap - e % wrap) % wrap);
	}
	return v % wrap;
}

static bool out_level(const struct vpit_channel *c, uint64_t t)
{
	if (!c->loaded)
		return c->mode != 0; /* a mode 0 control word drives OUT low */
	uint64_t e = elapsed(c, t);
	switch (c->mode) {
	case 0:
		return e >= c->n;
	case 1:
		return !c->triggered || e >= c->n;
	case 2:
		return !c->running || e % c->n != c->n - 1u;
	case 3:
		return !c->running || e % c->n < (c->n + 1u) / 2u;
	default: /* 4, 5: one clock low at terminal count */
		return (c->mode == 5 && !c->triggered) || e != c->n;
	}
}

static uint16_t shown_count(const struct vpit_channel *c, uint64_t t)
{
	uint32_t v = counter_value(c, t);
	return c->bcd ? bin_to_bcd(v) : (uint16_t)v;
}

static void restart(struct vpit_channel *c, uint64_t t)
{
	c->frozen = 0;
	c->start = t;
	c->running = true;
	c->edge = first_edge(c);
}

static void load(struct vpit_channel *c, uint16_t raw, uint64_t t)
{
	uint32_t n = c->bcd ? bcd_to_bin(raw) : raw;
	c->n = n ? n : (c->bcd ? WRAP_BCD : WRAP_BINARY);
	c->loaded = true;
	c->null_count = false;
	if (hw_triggered(c)) {
		/* waits for a rising gate edge */
		c->triggered = false;
		c->running = false;
		c->frozen = 0;
		c->edge = 0;
		return;
	}
	/* A new count restarts the counter (a rate generator reloads at once). */
	restart(c, t);
	if (!c->gate) {
		c->running = false; /* gate low: modes 0 and 4 pause, 2 and 3 stop */
	}
}

static void set_gate(struct vpit_channel *c, bool gate, uint64_t t)
{
	if (gate == c->gate)
		return;
	c->gate = gate;
	if (!c->loaded)
		return;
	if (gate) {
		if (c->mode == 0 || c->mode == 4) {
			c->start = t; /* resume */
			c->running = true;
		} else {
			c->triggered = true; /* 1, 5: trigger; 2, 3: reload */
			restart(c, t);
		}
	} else if (c->mode == 0 || c->mode == 4) {
		c->frozen = elapsed(c, t);
		c->running = false;
	} else if (periodic(c)) {
		c->running = false;
	}
}

static uint8_t status_byte(const struct vpit_channel *c, uint64_t t)
{
	return (uint8_t)((out_level(c, t) ? STATUS_OUT : 0) | (c->null_count ? STATUS_NULL : 0) |
			 c->rw << CW_RW_SHIFT | c->mode << CW_MODE_SHIFT | (c->bcd ? CW_BCD : 0));
}

static void latch_count(struct vpit_channel *c, uint64_t t)
{
	if (c->count_latched)
		return; /* a second latch before the read is ignored */
	c->latch = shown_count(c, t);
	c->count_latched = true;
	c->latch_msb_next = false;
}

static void control(struct vpit *pit, uint8_t v, uint64_t t)
{
	unsigned sc = v >> CW_SC_SHIFT;
	if (sc == SC_READBACK) {
		for (unsigned i = 0; i < CHANNELS; i++) {
			struct vpit_channel *c = &pit->ch[i];
			if (!((v >> (i + 1)) & 1u))
				continue;
			if (!(v & RB_NO_COUNT))
				latch_count(c, t);
			if (!(v & RB_NO_STATUS) && !c->status_latched) {
				c->status = status_byte(c, t);
				c->status_latched = true;
			}
		}
		return;
	}
	struct vpit_channel *c = &pit->ch[sc];
	unsigned rw = (v >> CW_RW_SHIFT) & 3u;
	if (rw == RW_LATCH) {
		latch_count(c, t);
		return;
	}
	unsigned mode = (v >> CW_MODE_SHIFT) & 7u;
	bool gate = c->gate;
	channel_reset(c, gate);
	c->mode = (uint8_t)(mode > 5 ? mode - 4 : mode); /* 6, 7 are 2, 3 */
	c->rw = (uint8_t)rw;
	c->bcd = v & CW_BCD;
}

static uint8_t data_read(struct vpit_channel *c, uint64_t t)
{
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	uint16_t v;
	bool msb;
	if (c->count_latched) {
		v = c->latch;
		if (c->rw == RW_WORD && !c->latch_msb_next) {
			c->latch_msb_next = true;
			msb = false;
		} else {
			msb = c->rw != RW_LSB;
			c->count_latched = false;
		}
	} else {
		v = shown_count(c, t);
		if (c->rw == RW_WORD) {
			msb = c->read_msb_next;
			c->read_msb_next = !msb;
		} else {
			msb = c->rw == RW_MSB;
		}
	}
	return (uint8_t)(msb ? v >> 8 : v);
}

static void data_write(struct vpit_channel *c, uint8_t v, uint64_t t)
{
	switch (c->rw) {
	case RW_LSB:
		load(c, v, t);
		break;
	case RW_MSB:
		load(c, (uint16_t)(v << 8), t);
		break;
	default:
		if (!c->write_msb_next) {
			c->write_lsb = v;
			c->write_msb_next = true;
		} else {
			c->write_msb_next = false;
			load(c, (uint16_t)(c->write_lsb | v << 8), t);
		}
		break;
	}
}

int vpit_io_read(struct vpit *pit, uint16_t port, uint64_t now, uint8_t *value)
{
	uint64_t t = to_ticks(pit, now);
	if (port >= VPIT_CH0 && port <= VPIT_CH2) {
		*value = data_read(&pit->ch[port - VPIT_CH0], t);
		return 0;
	}
	if (port == VPIT_CONTROL) {
		*value = 0xff; /* the control word register is write-only */
		return 0;
	}
	if (port == VPIT_PORT_B) {
		*value = (uint8_t)(pit->port_b | ((t / REFRESH_TICKS) & 1u ? VPIT_PORT_B_REFRESH : 0) |
				   (out_level(&pit->ch[2], t) ? VPIT_PORT_B_OUT2 : 0));
		return 0;
	}
	*value = 0xff;
	return -TERN_ENOENT;
}

int vpit_io_write(struct vpit *pit, uint16_t port, uint8_t value, uint64_t now)
{
	uint64_t t = to_ticks(pit, now);
	if (port >= VPIT_CH0 && port <= VPIT_CH2) {
		data_write(&pit->ch[port - VPIT_CH0], value, t);
	} else if (port == VPIT_CONTROL) {
		control(pit, value, t);
	} else if (port == VPIT_PORT_B) {
		pit->port_b = value & PORT_B_BITS;
		set_gate(&pit->ch[2], value & VPIT_PORT_B_GATE2, t);
	} else {
		return -TERN_ENOENT;
	}
	return 0;
}

bool vpit_advance(struct vpit *pit, uint64_t now)
{
	struct vpit_channel *c = &pit->ch[0];
	if (!c->running || !c->edge)
		return false;
	uint64_t e = elapsed(c, to_ticks(pit, now));
	if (e < c->edge)
		return false;
	c->edge = periodic(c) ? (e / c->n + 1u) * c->n : 0;
	return true;
}

uint64_t vpit_next_deadline(const struct vpit *pit)
{
	const struct vpit_channel *c = &pit->ch[0];
	if (!c->running || !c->edge)
		return UINT64_MAX;
	return to_tsc(pit, c->start + (c->edge - c->frozen));
}
