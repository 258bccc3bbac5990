/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's 16550 output (platform/x86/serial.c) against a fake UART and
 * 8259: the interrupt-paced port (COM2, the recording build's trace) waits
 * for the THR-empty interrupt in HLT only on the BSP, which alone the 8259
 * interrupts; an AP polls LSR.THRE, bounded.
 */
#define TERN_X86_HOST_TEST 1
#include <string.h>
#include "unit.h"
#define plat_cpu_id test_cpu_id    /* the simulator has its own */
#include "../../platform/x86/serial.c"

#define COM2 0x2f8
#define FIFO 16u

static uint16_t this_cpu;
uint16_t test_cpu_id(void);
uint16_t test_cpu_id(void) { return this_cpu; }
static unsigned written, hlts, spins;
static uint8_t pic1_mask;
/* The fake UART: THRE clears once the FIFO holds FIFO bytes; the transmitter
 * drains it after drain_after LSR reads (polling) or at once on the BSP's
 * THRE interrupt (HLT with IRQ 3 unmasked). */
static unsigned fifo, lsr_reads, drain_after;
static bool wedged;

bool pic_present(void) { return true; }
void cpu_pause(void) { spins++; }
void cpu_sti_hlt(void)
{
	hlts++;
	/* The 8259's INTR reaches the BSP only: on an AP this HLT would last for ever. */
	ck_assert_msg(this_cpu == 0, "pCPU%u halted for an 8259 interrupt", this_cpu);
	ck_assert(!(pic1_mask & (1u << SERIAL_COM2_IRQ)));
	if (!wedged)
		fifo = 0;
}
uint8_t inb(uint16_t port)
{
	if (port == PIC1_DATA)
		return pic1_mask;
	if (port == COM2 + UART_LSR) {
		if (!wedged && ++lsr_reads >= drain_after)
			fifo = 0;
		return fifo == 0 ? UART_LSR_THRE : 0;
	}
	return 0;
}
void outb(uint16_t port, uint8_t v)
{
	if (port == PIC1_DATA)
		pic1_mask = v;
	if (port == COM2 + UART_THR) {
		ck_assert_uint_lt(fifo, FIFO);          /* never written into a full FIFO */
		fifo++;
		written++;
		lsr_reads = 0;
	}
}
static void setup(void)
{
	this_cpu = 0;
	written = hlts = spins = lsr_reads = fifo = 0;
	drain_after = UINT32_MAX;
	wedged = false;
	pic1_mask = 0xff;
	memset(&paced, 0, sizeof(paced));
	serial_use_irq(COM2, SERIAL_COM2_IRQ);
}

static void send(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		serial_putc(COM2, (uint8_t)i);
}

START_TEST(bsp_waits_for_the_thre_interrupt)
{
	send(40);
	ck_assert_uint_eq(written, 40);
	ck_assert_uint_eq(hlts, 2);                 /* after bytes 16 and 32 */
	ck_assert_uint_eq(pic1_mask, 0xff);         /* IRQ 3 masked again */
}
END_TEST

/* The finding: an AP emitting more than a FIFO's worth halted for good. */
START_TEST(ap_polls_lsr_instead)
{
	this_cpu = 1;
	drain_after = 5;
	send(40);
	ck_assert_uint_eq(written, 40);
	ck_assert_uint_eq(hlts, 0);
	ck_assert_uint_eq(spins, 2 * 4);           /* 4 busy reads before each drain */
	ck_assert_uint_eq(pic1_mask, 0xff);         /* the 8259 untouched */
}
END_TEST

/* A wedged UART on an AP costs the bounded wait per FIFO, never a hang. */
START_TEST(ap_wait_is_bounded)
{
	this_cpu = 2;
	wedged = true;
	fifo = 0;
	send(FIFO);
	fifo = FIFO - 1;                            /* full, never drains: one slot left for the fake */
	serial_putc(COM2, 0x55);
	ck_assert_uint_eq(spins, UART_THRE_SPINS);
	ck_assert_uint_eq(written, FIFO + 1);
	ck_assert_uint_eq(hlts, 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_serial");
	TCase *tc = tcase_create("serial");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, bsp_waits_for_the_thre_interrupt);
	tcase_add_test(tc, ap_polls_lsr_instead);
	tcase_add_test(tc, ap_wait_is_bounded);
	suite_add_tcase(s, tc);
	return s;
}
