/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the interrupt controllers and timers driven through
 * their register interfaces with hostile values. A small VM of vLAPICs
 * (route + accept as the VM-level delivery does it); after every step the
 * architectural invariants are checked:
 *   - no vector below 16 is ever in IRR or ISR (SDM 10.5.2);
 *   - a route reaches only existing vCPUs; lowest priority at most one;
 *   - the pending vector is above the PPR class and acknowledgeable;
 *   - time moves forward only and a deadline is never in the past after
 *     the timer was brought up to date.
 *
 * Input: 16-byte records: op, device (high nibble) and cpu, 2 bytes
 * register/offset, 8 bytes value, 4 bytes time step. Devices: 0-9 the
 * vLAPICs, 10-11 the vIOAPIC (whose messages go to the vLAPICs, and whose
 * EOIs come from them), 12 the vPIC (its output on LINT0 of vCPU 0),
 * 13-14 the vPIT (IRQ 0 to the PIC and IOAPIC pin 2), 15 the RTC (IRQ 8).
 */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "vlapic.h"
#include "vioapic.h"
#include "vpic.h"
#include "vpit.h"
#include "vrtc.h"

#define NCPU 4u
#define REC 16u

static struct vlapic cpu[NCPU];
static struct vlapic *cpus[NCPU];
static struct vioapic ioapic;
static struct vpic pic;
static struct vpit pit;
static struct vrtc rtc;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_irqchip: %s\n", what);
	abort();
}

static uint64_t le(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static void check_lapic(const struct vlapic *l)
{
	if (vlapic_vec_word(l, VLAPIC_IRR0, 0) & 0xffffu || vlapic_vec_word(l, VLAPIC_ISR0, 0) & 0xffffu)
		fail("vector below 16 in IRR/ISR");
	int v = vlapic_pending_vector(l);
	if (v >= 0 && (v < 16 || v > 255 || (unsigned)v >> 4 <= vlapic_ppr(l) >> 4))
		fail("pending vector not above the PPR");
	if (vlapic_ppr(l) > 0xff || vlapic_apr(l) > 0xff)
		fail("priority out of range");
}

static void deliver(const struct vlapic_result *res)
{
	if (!res->send)
		return;
	uint64_t set = vlapic_route(cpus, NCPU, &res->msg);
	if (set >> NCPU)
		fail("route beyond the VM");
	if (res->msg.delivery == VLAPIC_DM_LOWEST && (set & (set - 1)))
		fail("lowest priority to several");
	for (unsigned i = 0; i < NCPU; i++)
		if ((set >> i) & 1u)
			(void)vlapic_accept(&cpu[i], &res->msg);
}

static void deliver_io(const struct vioapic_out *out)
{
	if (out->count > VIOAPIC_PINS)
		fail("IOAPIC output overflow");
	for (unsigned k = 0; k < out->count; k++) {
		struct vlapic_result r = { .send = true, .msg = out->msg[k] };
		deliver(&r);
	}
}

/* A vLAPIC write's EOI broadcast goes to the IOAPIC, like the VM will do it. */
static void after_lapic(const struct vlapic_result *res)
{
	deliver(res);
	if (res->eoi_vector >= 0) {
		struct vioapic_out out;
		vioapic_eoi(&ioapic, (uint8_t)res->eoi_vector, &out);
		deliver_io(&out);
	}
}

static void pic_step(const uint8_t *b)
{
	static const uint16_t ports[8] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x22, 0x4d2 };
	uint16_t port = b[0] & 0x40 ? (uint16_t)le(b + 2, 2) : ports[b[2] & 7];
	uint8_t v;
	switch (b[0] % 4) {
	case 0:
		(void)vpic_io_read(&pic, port, &v);
		break;
	case 1:
		(void)vpic_io_write(&pic, port, b[4]);
		break;
	case 2:
		(void)vpic_set_irq(&pic, b[0] & 0x80 ? b[3] : b[3] & 15, b[4] & 1);
		break;
	default: {
		bool out = vpic_output(&pic);
		v = vpic_intack(&pic);
		if ((v & 0xf8) != pic.chip[0].base && (v & 0xf8) != pic.chip[1].base)
			fail("INTA vector from neither chip");
		if (!out && v != (pic.chip[0].base | 7))
			fail("INTA without INTR is not spurious");
		break;
	}
	}
	/* virtual wire: the PIC output on LINT0 of vCPU 0 */
	if (vpic_output(&pic) && vlapic_lint(&cpu[0], 0) == VLAPIC_EV_EXTINT)
		(void)vpic_intack(&pic);
}

static void pit_step(const uint8_t *b, uint64_t now)
{
	uint16_t port = b[0] & 0x40 ? (uint16_t)le(b + 2, 2) : (uint16_t)(0x40u + (b[2] & 3));
	if (b[2] & 0x80)
		port = VPIT_PORT_B;
	uint8_t v;
	if (b[0] & 1)
		(void)vpit_io_write(&pit, port, b[4], now);
	else
		(void)vpit_io_read(&pit, port, now, &v);
	/* IRQ 0 edges go to the PIC and IOAPIC pin 2 as the VM will wire them */
	if (vpit_advance(&pit, now)) {
		struct vioapic_out out;
		(void)vpic_set_irq(&pic, 0, true);
		(void)vpic_set_irq(&pic, 0, false);
		(void)vioapic_set_line(&ioapic, 2, true, &out);
		deliver_io(&out);
		(void)vioapic_set_line(&ioapic, 2, false, &out);
		deliver_io(&out);
	}
	if (vpit_next_deadline(&pit) <= now && pit.ch[0].edge)
		fail("PIT deadline in the past after advance");
}

static void rtc_step(const uint8_t *b, uint64_t now)
{
	uint16_t port = b[0] & 0x40 ? (uint16_t)le(b + 2, 2) : (uint16_t)(0x70u + (b[2] & 1));
	uint8_t v;
	if (b[0] & 1)
		(void)vrtc_io_write(&rtc, port, b[4], now);
	else
		(void)vrtc_io_read(&rtc, port, now, &v);
	if (vrtc_advance(&rtc, now)) {
		(void)vpic_set_irq(&pic, 8, true);
		(void)vpic_set_irq(&pic, 8, false);
	}
	if (!(rtc.reg_c & VRTC_C_IRQF) && vrtc_next_deadline(&rtc) < now)
		fail("RTC deadline in the past after advance");
}

static void ioapic_step(const uint8_t *b)
{
	uint32_t reg = (uint32_t)le(b + 2, 2);
	uint64_t val = le(b + 4, 8);
	struct vioapic_out out;
	uint32_t v;
	switch (b[0] % 4) {
	case 0:
		vioapic_mmio_read(&ioapic, reg & 0x1f, &v);
		break;
	case 1:
		vioapic_mmio_write(&ioapic, reg & 0x1f, (uint32_t)val, &out);
		deliver_io(&out);
		break;
	case 2:
		if (vioapic_set_line(&ioapic, b[0] & 0x80 ? reg : reg % VIOAPIC_PINS, val & 1, &out) == 0)
			deliver_io(&out);
		else if (out.count)
			fail("refused pin delivered");
		break;
	default:
		vioapic_eoi(&ioapic, (uint8_t)val, &out);
		deliver_io(&out);
		break;
	}
}

static void lapic_step(const uint8_t *b, uint64_t now)
{
	struct vlapic *l = &cpu[b[1] % NCPU];
	uint32_t reg = (uint32_t)le(b + 2, 2);
	uint64_t val = le(b + 4, 8);
	struct vlapic_result res;
	struct guest_fault f;
	uint32_t v32;
	uint64_t v64;

	switch (b[0] % 12) {
	case 0:
		(void)vlapic_mmio_read(l, reg & 0x1fff, now, &v32);
		break;
	case 1:
	case 2:
		/* mostly real registers, sometimes anywhere */
		(void)vlapic_mmio_write(l, b[0] & 0x80 ? reg : (reg & 0x3f0), (uint32_t)val, now, &res);
		after_lapic(&res);
		break;
	case 3:
		if (vlapic_msr_read(l, 0x800u + (reg & 0x1ff) - (b[0] & 0x80 ? 0x40 : 0), now, &v64) && v64)
			fail("#GP and a value read");
		break;
	case 4:
	case 5:
		if (vlapic_msr_write(l, 0x800u + (reg & 0xff), val, now, &res) && res.send)
			fail("#GP and a send");
		after_lapic(&res);
		break;
	case 6: {
		/* IA32_APIC_BASE: mode bits from the input, base kept mostly sane */
		uint64_t nb = (l->apic_base & ~0xd00ull) | (val & 0xd00ull);
		if (b[0] & 0x80)
			nb = val;
		vlapic_apic_base_write(l, nb, ~0ull << 36, &f);
		break;
	}
	case 7:
		vlapic_tsc_deadline_write(l, b[0] & 0x80 ? val : now + (val & 0xffff), now);
		break;
	case 8: {
		int p = vlapic_pending_vector(l);
		if (p >= 0 && vlapic_ack(l, (uint8_t)p))
			fail("pending vector not acknowledgeable");
		break;
	}
	case 9:
		(void)vlapic_lint(l, b[2] % 3);
		break;
	case 10:
		vlapic_cr8_write(l, val);
		break;
	default: {
		struct vlapic_msg m = { .vector = (uint8_t)val, .delivery = (uint8_t)(val >> 8) & 7,
					.shorthand = (uint8_t)(val >> 11) & 3, .logical = (val >> 13) & 1,
					.level = (val >> 14) & 1, .assert = (val >> 15) & 1,
					.x2apic = (val >> 16) & 1, .dest = (uint32_t)(val >> 32),
					.src = b[1] % NCPU };
		res.send = true;
		res.msg = m;
		deliver(&res);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t now = 0;
	for (unsigned i = 0; i < NCPU; i++) {
		vlapic_init(&cpu[i], i, i, i == 0, 1u + i);
		cpus[i] = &cpu[i];
	}
	vioapic_init(&ioapic, NCPU);
	vpic_init(&pic);
	if (vpit_init(&pit, 3u * VPIT_HZ) || vrtc_init(&rtc, 2000000u, 12345678u, 0))
		fail("init");
	for (size_t off = 0; off + REC <= size; off += REC) {
		const uint8_t *b = data + off;
		now += le(b + 12, 4);
		unsigned dev = b[1] >> 4;
		if (dev < 10)
			lapic_step(b, now);
		else if (dev < 12)
			ioapic_step(b);
		else if (dev < 13)
			pic_step(b);
		else if (dev < 15)
			pit_step(b, now);
		else
			rtc_step(b, now);
		for (unsigned i = 0; i < NCPU; i++) {
			(void)vlapic_timer_advance(&cpu[i], now);
			if (vlapic_next_deadline(&cpu[i]) <= now)
				fail("deadline in the past after advance");
			check_lapic(&cpu[i]);
		}
	}
	return 0;
}
