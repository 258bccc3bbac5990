/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RTC's periodic interrupt (irq=1; MC146818A: register A's rate, B's
 * PIE, C's IRQF and PF, cleared by reading C, which also drops IRQ8) through
 * the slave 8259 (IRQ8, cascaded on the master's IRQ2). The IOAPIC's pin 8
 * path is in t_ioapic.c.
 */
#include "guest.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_NMI_OFF 0x80
#define RTC_A_1024HZ 0x26	/* divider 010 (32.768 kHz), rate 6 */
#define RTC_VECTOR (PIC_VECTOR_SLAVE + 0)
#define WINDOW_MS 50
#define MASTER_ONLY_CASCADE 0xFB
#define SLAVE_ONLY_IRQ8 0xFE
#define ALL_MASKED 0xFF

uint8_t tg_rtc_read(uint8_t reg)
{
	outb(CMOS_INDEX, CMOS_NMI_OFF | reg);
	return inb(CMOS_DATA);
}

void tg_rtc_write(uint8_t reg, uint8_t v)
{
	outb(CMOS_INDEX, CMOS_NMI_OFF | reg);
	outb(CMOS_DATA, v);
}

void tg_test_rtc(void)
{
	uint8_t b = tg_rtc_read(RTC_REG_B), c1, c2;
	uint64_t n;
	bool got;

	tg_rtc_write(RTC_REG_A, RTC_A_1024HZ);
	tg_rtc_read(RTC_REG_C);
	tg_irq.hits[RTC_VECTOR] = 0;
	tg_irq.rtc_ack[RTC_VECTOR] = 0;
	tg_pic_mask(MASTER_ONLY_CASCADE, SLAVE_ONLY_IRQ8);
	tg_irq.eoi[RTC_VECTOR] = TG_EOI_NONE;
	tg_rtc_write(RTC_REG_B, (uint8_t)(b | RTC_B_PIE));
	/* The first period: delivered through the cascade, C says why. */
	got = tg_wait_irq(RTC_VECTOR, 1, WINDOW_MS);
	c1 = tg_rtc_read(RTC_REG_C);
	c2 = tg_rtc_read(RTC_REG_C);
	tg_check("rtc.periodic-pic-cascade", got, "no IRQ8 (vector 0x28) in %u ms of a 1024 Hz periodic rate",
		 WINDOW_MS);
	tg_check("rtc.register-c", (c1 & (RTC_C_IRQF | RTC_C_PF)) == (RTC_C_IRQF | RTC_C_PF) &&
		 !(c2 & RTC_C_IRQF), "register C read 0x%x then 0x%x, want IRQF|PF then IRQF clear", c1, c2);
	tg_pic_eoi(8);
	tg_irq.eoi[RTC_VECTOR] = TG_EOI_PIC;
	tg_irq.rtc_ack[RTC_VECTOR] = 1;

	/* The rate: 1024 Hz over the window, each acknowledged by reading C. */
	n = tg_irqs_during(RTC_VECTOR, WINDOW_MS);
	tg_check("rtc.periodic-rate", n >= WINDOW_MS / TG_RATE_SLACK && n <= WINDOW_MS * 2,
		 "%lu interrupts in %u ms at 1024 Hz", n, WINDOW_MS);

	tg_rtc_write(RTC_REG_B, b & (uint8_t)~RTC_B_PIE);
	tg_rtc_read(RTC_REG_C);
	tg_pic_mask(ALL_MASKED, ALL_MASKED);
	tg_irq.rtc_ack[RTC_VECTOR] = 0;
}
