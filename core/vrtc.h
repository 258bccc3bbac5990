/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual RTC / CMOS (Motorola MC146818A datasheet) at ports 0x70 (index,
 * bit 7 = NMI disable) and 0x71 (data): the time and alarm registers in BCD
 * or binary and 12 or 24 hour format, status A (update in progress, divider,
 * periodic rate), B (SET, interrupt enables, data mode), C (interrupt flags,
 * cleared by the read), D (valid RAM and time), and the CMOS RAM.
 *
 * Time is the guest TSC `now` with the TSC frequency given at init; the
 * clock counts whole seconds from the date set at init (or by the guest).
 * The interrupt flags are brought up to date at each access and by
 * vrtc_advance(); IRQ 8 is raised when IRQF sets. Where it goes: one
 * `struct vrtc` in struct vm, ports claimed by the port-I/O path.
 */
#ifndef TERN_VRTC_H
#define TERN_VRTC_H

#include <stdint.h>
#include <stdbool.h>

#define VRTC_INDEX 0x70u
#define VRTC_DATA 0x71u
#define VRTC_NMI_DISABLE 0x80u
/* Registers. */
#define VRTC_SEC 0x00u
#define VRTC_SEC_ALARM 0x01u
#define VRTC_MIN 0x02u
#define VRTC_MIN_ALARM 0x03u
#define VRTC_HOUR 0x04u
#define VRTC_HOUR_ALARM 0x05u
#define VRTC_DOW 0x06u
#define VRTC_DAY 0x07u
#define VRTC_MONTH 0x08u
#define VRTC_YEAR 0x09u
#define VRTC_REG_A 0x0au
#define VRTC_REG_B 0x0bu
#define VRTC_REG_C 0x0cu
#define VRTC_REG_D 0x0du
#define VRTC_CENTURY 0x32u   /* the ACPI FADT century byte */
#define VRTC_RAM_SIZE 128u
/* Register A. */
#define VRTC_A_UIP 0x80u
#define VRTC_A_DV_NORMAL 0x20u   /* 32.768 kHz time base, divider running */
#define VRTC_A_DV_MASK 0x70u
#define VRTC_A_RS_MASK 0x0fu
/* Register B. */
#define VRTC_B_SET 0x80u
#define VRTC_B_PIE 0x40u
#define VRTC_B_AIE 0x20u
#define VRTC_B_UIE 0x10u
#define VRTC_B_SQWE 0x08u
#define VRTC_B_DM_BINARY 0x04u
#define VRTC_B_24H 0x02u
#define VRTC_B_DSE 0x01u
/* Register C. */
#define VRTC_C_IRQF 0x80u
#define VRTC_C_PF 0x40u
#define VRTC_C_AF 0x20u
#define VRTC_C_UF 0x10u
/* Register D. */
#define VRTC_D_VRT 0x80u
/* The years the clock counts: 2000-2099 (century byte fixed at 20). */
#define VRTC_BASE_YEAR 2000u
#define VRTC_TSC_HZ_MIN 1000000ull
#define VRTC_TSC_HZ_MAX (1ull << 42)

struct vrtc_time {
	uint32_t sec, min, hour, day, mon, year; /* binary; year 0-99 since 2000 */
};

struct vrtc {
	uint64_t tsc_hz;
	uint8_t index;
	bool nmi_disabled;
	uint8_t reg_a, reg_b, reg_c;
	uint8_t alarm[3];        /* seconds, minutes, hours alarm bytes as written */
	uint8_t dow_adjust;      /* written day of week minus the computed one, mod 7 */
	uint64_t base_secs;      /* seconds since 2000-01-01 00:00:00 at base_now */
	uint64_t base_now;
	struct vrtc_time frozen; /* the time while not counting (SET or divider) */
	uint64_t pf_base;        /* `now` the periodic rate counts from */
	uint64_t checked;        /* `now` the flags were last brought up to date */
	uint8_t ram[VRTC_RAM_SIZE];
};

/*
 * Reset with the clock at `secs` seconds after 2000-01-01 00:00:00 at
 * `now`. -TERN_EINVAL unless 1 MHz <= tsc_hz <= 2^42 and the date is before 2100.
 */
int vrtc_init(struct vrtc *rtc, uint64_t tsc_hz, uint64_t secs, uint64_t now);
/* One-byte port access; -TERN_ENOENT for other ports. */
int vrtc_io_read(struct vrtc *rtc, uint16_t port, uint64_t now, uint8_t *value);
int vrtc_io_write(struct vrtc *rtc, uint16_t port, uint8_t value, uint64_t now);
/* True when IRQF rose since the last call (the IRQ 8 edge). */
bool vrtc_advance(struct vrtc *rtc, uint64_t now);
/* The next `now` an enabled interrupt can set IRQF, UINT64_MAX if none. */
uint64_t vrtc_next_deadline(const struct vrtc *rtc);
/* Port 0x70 bit 7: NMIs are not passed to the CPU. */
bool vrtc_nmi_disabled(const struct vrtc *rtc);

#endif
