/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * plat_clock_ns from the TSC. The TSC rate is measured once at boot against
 * the 8254 PIT (channel 2, gated through port 0x61, counting down from a
 * known value at 1.193182 MHz), which every PC and both emulators have.
 */
#include "clock.h"
#include "cpu.h"
#include "platform.h"

#define PIT_HZ 1193182u
#define PIT_CH2_DATA 0x42
#define PIT_MODE 0x43
#define PIT_MODE_CH2_LOHI_ONESHOT 0xb0
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define CALIB_MS 10u
#define CALIB_TICKS (PIT_HZ / (1000u / CALIB_MS))
#define CALIB_SPIN_LIMIT 100000000u
/* Used when the PIT never answers: a plausible rate, clearly reported. */
#define FALLBACK_TSC_HZ 1000000000ull

static uint64_t tsc_hz = FALLBACK_TSC_HZ;
static uint64_t tsc_boot;

uint64_t clock_calibrate(void)
{
	uint8_t b = inb(PORT_B);
	outb(PORT_B, (uint8_t)((b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	outb(PIT_MODE, PIT_MODE_CH2_LOHI_ONESHOT);
	outb(PIT_CH2_DATA, CALIB_TICKS & 0xff);
	outb(PIT_CH2_DATA, CALIB_TICKS >> 8);
	/* Restart the count: a rising edge on gate 2. */
	b = inb(PORT_B);
	outb(PORT_B, (uint8_t)(b & ~PORT_B_GATE2));
	outb(PORT_B, (uint8_t)(b | PORT_B_GATE2));
	uint64_t t0 = rdtsc();
	uint32_t spins = 0;
	while (!(inb(PORT_B) & PORT_B_OUT2) && spins < CALIB_SPIN_LIMIT)
		spins++;
	uint64_t t1 = rdtsc();
	if (spins < CALIB_SPIN_LIMIT && t1 > t0)
		tsc_hz = (t1 - t0) * (1000u / CALIB_MS);
	tsc_boot = rdtsc();
	return tsc_hz;
}

uint64_t clock_tsc_hz(void)
{
	return tsc_hz;
}

uint64_t plat_clock_ns(void)
{
	uint64_t d = rdtsc() - tsc_boot;
	/* Split to avoid overflow: whole seconds, then the remainder. */
	return (d / tsc_hz) * 1000000000ull + ((d % tsc_hz) * 1000000000ull) / tsc_hz;
}
