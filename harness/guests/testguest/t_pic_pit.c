/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 8254 and the 8259A pair in legacy mode (irq=1): channel 2 counted down
 * through the port 0x61 gate with OUT2 read back there (which also calibrates
 * the TSC for every later wait), then channel 0 as a rate generator on IRQ0
 * through the master 8259 to the CPU (the local APIC's LINT0 in ExtINT mode,
 * virtual wire). The 8259 is initialised with ICW1-ICW4 (vector base 0x20),
 * and the checks use its mask (OCW1), its ISR/IRR (OCW3) and EOI (OCW2).
 */
#include "guest.h"

#define IRQ0_VECTOR PIC_VECTOR_MASTER
#define PIT_1MS (PIT_HZ / 1000)
#define CH2_COUNT 0x2000		/* about 6.9 ms */
#define CH2_POLLS 20000000u
#define IRQ_WAIT_MS 200
#define RATE_WINDOW_MS 50
#define ALL_MASKED 0xFF
#define ONLY_IRQ0 0xFE

static void check_ch2(void)
{
	bool low_first, rose;
	uint64_t tsc;

	rose = tg_pit_ch2_oneshot(CH2_COUNT, CH2_POLLS, &low_first, &tsc);
	tg_check("pit.ch2-gate-out", rose && low_first,
		 "OUT2 %s after programming mode 0, %s within %u polls of port 0x61",
		 low_first ? "low" : "high", rose ? "rose" : "never rose", CH2_POLLS);
	if (tg_tsc_calibrate())
		tg_printf("testguest: TSC %lu kHz against PIT channel 2\n", tg_tsc_per_ms);
	else
		tg_printf("testguest: TSC not calibrated (PIT channel 2 did not count)\n");
}

/* With the gate high, two latched reads of channel 2 show it counting down. */
static void check_ch2_latch(void)
{
	uint16_t a, b;

	tg_pit_ch2_run(0xFFFF);
	tg_delay_ms(1);
	a = tg_pit_ch2_latch();
	tg_delay_ms(5);
	b = tg_pit_ch2_latch();
	tg_pit_ch2_stop();
	/* 5 ms is about 5966 counts of 65535: no wrap in between. */
	tg_check("pit.ch2-latch-counts-down", b < a && (uint32_t)(a - b) >= PIT_1MS,
		 "latched counts 0x%x then 0x%x 5 ms later, want at least %u less", a, b, PIT_1MS);
}

static void check_imr(void)
{
	uint8_t m, s;

	tg_pic_init(0xA5, 0x5A);
	m = inb(0x21);
	s = inb(0xA1);
	tg_check("pic.imr-readback", m == 0xA5 && s == 0x5A,
		 "after ICW1-4 and OCW1 0xa5/0x5a the masks read 0x%x/0x%x", m, s);
	tg_pic_mask(ALL_MASKED, ALL_MASKED);
}

static void check_irq0(void)
{
	uint64_t n;

	tg_irq.hits[IRQ0_VECTOR] = 0;
	tg_pit_ch0_periodic(PIT_1MS);
	tg_pic_mask(ONLY_IRQ0, ALL_MASKED);
	tg_check("pit.ch0-irq0", tg_wait_irq(IRQ0_VECTOR, 3, IRQ_WAIT_MS),
		 "%lu IRQ0 interrupts (vector 0x20) in %u ms of a 1 ms rate generator, want 3",
		 tg_irq.hits[IRQ0_VECTOR], IRQ_WAIT_MS);

	/* Rate: RATE_WINDOW_MS of TSC should see about as many 1 ms periods. */
	n = tg_irqs_during(IRQ0_VECTOR, RATE_WINDOW_MS);
	tg_check("pit.ch0-rate", n >= RATE_WINDOW_MS / TG_RATE_SLACK && n <= RATE_WINDOW_MS * 2,
		 "%lu interrupts in %u ms at 1 kHz", n, RATE_WINDOW_MS);
}

static void check_isr_eoi(void)
{
	uint8_t isr;
	bool first, again;

	/* Without an EOI, IRQ0's ISR bit blocks IRQ0 itself (fully nested mode). */
	tg_irq.eoi[IRQ0_VECTOR] = TG_EOI_NONE;
	tg_irq.hits[IRQ0_VECTOR] = 0;
	first = tg_wait_irq(IRQ0_VECTOR, 1, IRQ_WAIT_MS);
	isr = tg_pic_read_isr(false);
	tg_irqs_during(IRQ0_VECTOR, 20);
	tg_check("pic.isr-until-eoi", first && (isr & 1) && tg_irq.hits[IRQ0_VECTOR] == 1,
		 "first IRQ0 %s, ISR 0x%x, %lu deliveries in 20 ms without EOI, want ISR bit 0 and 1",
		 first ? "seen" : "missing", isr, tg_irq.hits[IRQ0_VECTOR]);
	tg_irq.eoi[IRQ0_VECTOR] = TG_EOI_PIC;
	tg_pic_eoi(0);
	isr = tg_pic_read_isr(false);
	again = tg_wait_irq(IRQ0_VECTOR, 2, IRQ_WAIT_MS);
	tg_check("pic.eoi-clears-isr", !(isr & 1) && again,
		 "after OCW2 EOI ISR 0x%x, next IRQ0 %s", isr, again ? "seen" : "missing");
}

static void check_auto_eoi(void)
{
	uint8_t isr;
	bool got;

	/* ICW4.AEOI: no EOI from the handler, yet IRQ0 keeps coming and ISR stays clear. */
	tg_pic_init_auto_eoi(ALL_MASKED, ALL_MASKED);
	tg_irq.hits[IRQ0_VECTOR] = 0;
	tg_pic_mask(ONLY_IRQ0, ALL_MASKED);
	got = tg_wait_irq(IRQ0_VECTOR, 3, IRQ_WAIT_MS);
	isr = tg_pic_read_isr(false);
	tg_pic_init(ALL_MASKED, ALL_MASKED);
	tg_check("pic.auto-eoi", got && !(isr & 1),
		 "%lu IRQ0 deliveries without EOI in auto-EOI mode (want 3), ISR 0x%x", tg_irq.hits[IRQ0_VECTOR],
		 isr);
}

static void check_mask(void)
{
	uint64_t n;

	tg_pic_mask(ALL_MASKED, ALL_MASKED);
	n = tg_irqs_during(IRQ0_VECTOR, 20);
	tg_check("pic.mask-blocks", n == 0, "%lu IRQ0 deliveries in 20 ms with IMR bit 0 set", n);
}

void tg_test_pic_pit(void)
{
	check_ch2();
	check_ch2_latch();
	check_imr();
	check_irq0();
	check_isr_eoi();
	check_auto_eoi();
	tg_pic_mask(ONLY_IRQ0, ALL_MASKED);
	check_mask();
	tg_pit_ch0_periodic(0);
	/* Drain an edge latched while masked, then leave everything masked. */
	tg_pic_mask(ONLY_IRQ0, ALL_MASKED);
	tg_irqs_during(IRQ0_VECTOR, 2);
	tg_pic_mask(ALL_MASKED, ALL_MASKED);
}
