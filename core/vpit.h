/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual 8254 PIT (Intel 8254 datasheet) at ports 0x40-0x43 and the
 * system control port B (0x61) with channel 2's gate and output, as
 * firmware and Linux use them for the tick (channel 0 on IRQ 0) and for TSC
 * calibration (channel 2, polled through port 0x61 bit 5).
 *
 * Counting modes 0 (interrupt on terminal count), 1 (hardware one-shot), 2
 * (rate generator), 3 (square wave), 4 (software strobe) and 5 (hardware
 * strobe); modes 6 and 7 are 2 and 3. Access lobyte / hibyte / lobyte then
 * hibyte, binary or BCD counting, the counter-latch command and read-back
 * (count and status). Channel 1 (DRAM refresh on the PC) counts like the
 * others but drives nothing.
 *
 * Time is the guest TSC passed in as `now`, converted to the 1.193182 MHz
 * PIT clock with the TSC frequency given at init. Core calls
 * vpit_advance(now) to learn of IRQ 0 edges and arms vpit_next_deadline().
 *
 * Where it goes: one `struct vpit` in struct vm, its ports claimed by the
 * port-I/O path.
 */
#ifndef TERN_VPIT_H
#define TERN_VPIT_H

#include <stdint.h>
#include <stdbool.h>

#define VPIT_HZ 1193182u
#define VPIT_CH0 0x40u
#define VPIT_CH2 0x42u
#define VPIT_CONTROL 0x43u
#define VPIT_PORT_B 0x61u
#define VPIT_PORT_B_GATE2 0x01u
#define VPIT_PORT_B_SPEAKER 0x02u
#define VPIT_PORT_B_REFRESH 0x10u
#define VPIT_PORT_B_OUT2 0x20u
/* The TSC frequencies the conversions are exact for: VPIT_HZ .. 4 THz. */
#define VPIT_TSC_HZ_MAX (1ull << 42)

struct vpit_channel {
	uint8_t mode;          /* 0-5 */
	uint8_t rw;            /* 1 lobyte, 2 hibyte, 3 lobyte then hibyte */
	bool bcd;
	uint32_t n;            /* count in effect, 1..65536 (binary) / 10000 (BCD) */
	bool loaded;           /* a count was written since the mode was set */
	bool running;          /* the counting element counts */
	bool gate;
	bool triggered;        /* modes 1 and 5: the gate edge came */
	uint64_t start;        /* PIT tick when counting (re)started */
	uint64_t frozen;       /* elapsed ticks before `start` (gate pauses) */
	uint64_t edge;         /* elapsed ticks of the next OUT rising edge, 0: none */
	bool null_count;
	uint8_t write_lsb;
	bool write_msb_next;
	bool read_msb_next;
	bool count_latched;
	uint16_t latch;
	bool latch_msb_next;
	bool status_latched;
	uint8_t status;
};

struct vpit {
	uint64_t tsc_hz;
	uint8_t port_b;        /* the writable bits 3:0 of port 0x61 */
	struct vpit_channel ch[3];
};

/* Reset state; -TERN_EINVAL unless VPIT_HZ <= tsc_hz <= VPIT_TSC_HZ_MAX. */
int vpit_init(struct vpit *pit, uint64_t tsc_hz);
/* One-byte port access; -TERN_ENOENT for a port that is not the PIT's. */
int vpit_io_read(struct vpit *pit, uint16_t port, uint64_t now, uint8_t *value);
int vpit_io_write(struct vpit *pit, uint16_t port, uint8_t value, uint64_t now);
/* True if channel 0's OUT rose (IRQ 0 edge) since the last call; missed ones coalesce. */
bool vpit_advance(struct vpit *pit, uint64_t now);
/* Guest TSC of channel 0's next rising edge, UINT64_MAX if none. */
uint64_t vpit_next_deadline(const struct vpit *pit);

#endif
