/* SPDX-License-Identifier: BSD-3-Clause */
#include "unit.h"
#include "sim.h"
#include "uart.h"

static struct tern hv;
static struct vm *vm;

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	vm = sim_create_vm(&hv, "t", 1, true, 0x10000);
	ck_assert_ptr_nonnull(vm);
}

static uint8_t rd(unsigned off)
{
	uint32_t v = 0xdeadbeef;
	uart_access(&vm->com1, vm, off, false, &v);
	ck_assert_uint_le(v, 0xff);
	return (uint8_t)v;
}

static void wr(unsigned off, uint8_t val)
{
	uint32_t v = val;
	uart_access(&vm->com1, vm, off, true, &v);
}

START_TEST(test_reset_state)
{
	ck_assert_uint_eq(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_NO_INT);
	ck_assert_uint_eq(rd(UART_IER_DLM), 0);
	ck_assert_uint_eq(rd(UART_MSR), 0xb0);
	ck_assert_uint_eq(rd(UART_RBR_THR_DLL), 0); /* empty FIFO reads 0 */
}
END_TEST

START_TEST(test_transmit_reaches_console)
{
	wr(UART_RBR_THR_DLL, 'o');
	wr(UART_RBR_THR_DLL, 'k');
	ck_assert_str_eq(sim_console(vm->id), "ok");
	ck_assert_uint_eq(vm->com1.tx_bytes, 2);
}
END_TEST

START_TEST(test_divisor_latch)
{
	wr(UART_LCR, 0x83);
	wr(UART_RBR_THR_DLL, 0x01);
	wr(UART_IER_DLM, 0x02);
	ck_assert_uint_eq(rd(UART_RBR_THR_DLL), 0x01);
	ck_assert_uint_eq(rd(UART_IER_DLM), 0x02);
	ck_assert_str_eq(sim_console(vm->id), ""); /* DLAB writes are not data */
	wr(UART_LCR, 0x03);
	ck_assert_uint_eq(rd(UART_LCR), 0x03);
	ck_assert_uint_eq(rd(UART_IER_DLM), 0); /* IER untouched by the DLM write */
}
END_TEST

START_TEST(test_scratch_and_readonly)
{
	wr(UART_SCR, 0xa5);
	ck_assert_uint_eq(rd(UART_SCR), 0xa5);
	wr(UART_LSR, 0x00);
	wr(UART_MSR, 0x00);
	ck_assert_uint_eq(rd(UART_LSR), 0x60);
	ck_assert_uint_eq(rd(UART_MSR), 0xb0);
	wr(UART_MCR, 0xff);
	ck_assert_uint_eq(rd(UART_MCR), 0x1f);
	wr(UART_IER_DLM, 0xff);
	ck_assert_uint_eq(rd(UART_IER_DLM), 0x0f);
}
END_TEST

START_TEST(test_loopback_and_msr)
{
	wr(UART_MCR, UART_MCR_LOOP | 0x0f);
	ck_assert_uint_eq(rd(UART_MSR), 0xf0);
	/* RTS -> CTS; DSR and DCD fell (DDSR, DDCD), RI fell (TERI). */
	wr(UART_MCR, UART_MCR_LOOP | 0x02);
	ck_assert_uint_eq(rd(UART_MSR), 0x10 | 0x0e);
	ck_assert_uint_eq(rd(UART_MSR), 0x10); /* the deltas are cleared by the read */
	/* DTR -> DSR; CTS fell, DSR rose (DCTS, DDSR); RI rising is no TERI. */
	wr(UART_MCR, UART_MCR_LOOP | 0x05);
	ck_assert_uint_eq(rd(UART_MSR), 0x60 | 0x03);
	wr(UART_MCR, UART_MCR_LOOP | 0x01);
	ck_assert_uint_eq(rd(UART_MSR), 0x20 | 0x04);
	wr(UART_RBR_THR_DLL, 'x');
	ck_assert_str_eq(sim_console(vm->id), "");
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	ck_assert_uint_eq(rd(UART_RBR_THR_DLL), 'x');
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, 0);
}
END_TEST

START_TEST(test_receive_fifo_overrun)
{
	for (int i = 0; i < UART_RX_FIFO; i++)
		ck_assert(uart_receive(&vm->com1, (uint8_t)('a' + i)));
	ck_assert(!uart_receive(&vm->com1, 'Z'));
	uint8_t lsr = rd(UART_LSR);
	ck_assert_uint_eq(lsr & (UART_LSR_OE | UART_LSR_DR), UART_LSR_OE | UART_LSR_DR);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_OE, 0); /* cleared by the read */
	for (int i = 0; i < UART_RX_FIFO; i++)
		ck_assert_uint_eq(rd(UART_RBR_THR_DLL), 'a' + i);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, 0);
}
END_TEST

START_TEST(test_fifo_clear)
{
	uart_receive(&vm->com1, 'q');
	wr(UART_IIR_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, 0);
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_FIFO_ON | UART_IIR_NO_INT);
	/* An FCR write without CLEAR_RX (FIFO enable only) keeps what was received. */
	uart_receive(&vm->com1, 'r');
	uart_receive(&vm->com1, 's');
	wr(UART_IIR_FCR, UART_FCR_ENABLE);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	ck_assert_uint_eq(rd(UART_RBR_THR_DLL), 'r');
	ck_assert_uint_eq(rd(UART_RBR_THR_DLL), 's');
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_DR, 0);
}
END_TEST

START_TEST(test_interrupts)
{
	ck_assert(!uart_irq_pending(&vm->com1));
	/* Enabling THRI with an empty THR raises it at once; reading IIR clears it. */
	wr(UART_IER_DLM, UART_IER_THRI);
	ck_assert(uart_irq_pending(&vm->com1));
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_THRI);
	ck_assert(!uart_irq_pending(&vm->com1));
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_NO_INT);
	wr(UART_RBR_THR_DLL, '.');
	ck_assert(uart_irq_pending(&vm->com1));
	/* Received data outranks THRE. */
	wr(UART_IER_DLM, UART_IER_THRI | UART_IER_RDI);
	uart_receive(&vm->com1, 'r');
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_RDI);
	ck_assert(uart_irq_pending(&vm->com1));
	rd(UART_RBR_THR_DLL);
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_THRI);
}
END_TEST

/*
 * Each IER enable bit gates its own source: data waiting or THR empty with
 * the bit clear raise nothing; THRE is raised by enabling THRI (its 0 -> 1
 * edge) with THR empty, so rewriting IER with THRI already set does not
 * raise an acknowledged THRE again.
 */
START_TEST(test_ier_gates_each_source)
{
	/* THRI clear: a transmitted byte leaves THR empty but raises nothing. */
	wr(UART_RBR_THR_DLL, 'a');
	ck_assert(!uart_irq_pending(&vm->com1));
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_NO_INT);
	/* RDI clear: received data raises nothing either. */
	uart_receive(&vm->com1, 'x');
	ck_assert(!uart_irq_pending(&vm->com1));
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_NO_INT);
	/* RDI set: the waiting byte interrupts; reading it ends that. */
	wr(UART_IER_DLM, UART_IER_RDI);
	ck_assert(uart_irq_pending(&vm->com1));
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_RDI);
	ck_assert_uint_eq(rd(UART_RBR_THR_DLL), 'x');
	ck_assert(!uart_irq_pending(&vm->com1));
	/* THRI 0 -> 1 with THR empty raises THRE; IIR acknowledges it. */
	wr(UART_IER_DLM, UART_IER_RDI | UART_IER_THRI);
	ck_assert(uart_irq_pending(&vm->com1));
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_THRI);
	ck_assert(!uart_irq_pending(&vm->com1));
	/* Writing IER again with THRI still set is no new edge: nothing pending. */
	wr(UART_IER_DLM, UART_IER_THRI);
	ck_assert(!uart_irq_pending(&vm->com1));
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_NO_INT);
	/* THRI cleared and set again is. */
	wr(UART_IER_DLM, 0);
	ck_assert(!uart_irq_pending(&vm->com1));
	wr(UART_IER_DLM, UART_IER_THRI);
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_THRI);
}
END_TEST

/* Line status (an overrun) outranks everything, modem status is last; each gated by IER. */
START_TEST(test_line_and_modem_status_interrupts)
{
	for (int i = 0; i <= UART_RX_FIFO; i++)
		uart_receive(&vm->com1, 'o');
	ck_assert(!uart_irq_pending(&vm->com1));
	wr(UART_IER_DLM, UART_IER_RLSI | UART_IER_RDI | UART_IER_MSI);
	ck_assert(uart_irq_pending(&vm->com1));
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_RLSI);
	ck_assert_uint_eq(rd(UART_LSR) & UART_LSR_OE, UART_LSR_OE);   /* reading LSR ends it */
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_RDI);
	wr(UART_IIR_FCR, UART_FCR_CLEAR_RX);
	ck_assert(!uart_irq_pending(&vm->com1));
	/* Loopback on: CTS, DSR, DCD fall (RTS, DTR, OUT2 clear): a modem status interrupt. */
	wr(UART_MCR, UART_MCR_LOOP);
	ck_assert(uart_irq_pending(&vm->com1));
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_MSI);
	ck_assert_uint_eq(rd(UART_MSR), 0x0b);   /* DCTS, DDSR, DDCD; the lines all low */
	ck_assert(!uart_irq_pending(&vm->com1));
	ck_assert_uint_eq(rd(UART_IIR_FCR), UART_IIR_NO_INT);
	/* Without MSI enabled a delta raises nothing (but still reads back). */
	wr(UART_IER_DLM, 0);
	wr(UART_MCR, UART_MCR_LOOP | 0x02);
	ck_assert(!uart_irq_pending(&vm->com1));
	ck_assert_uint_eq(rd(UART_MSR), 0x11);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("uart");
	TCase *tc = tcase_create("uart");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_reset_state);
	tcase_add_test(tc, test_transmit_reaches_console);
	tcase_add_test(tc, test_divisor_latch);
	tcase_add_test(tc, test_scratch_and_readonly);
	tcase_add_test(tc, test_loopback_and_msr);
	tcase_add_test(tc, test_receive_fifo_overrun);
	tcase_add_test(tc, test_fifo_clear);
	tcase_add_test(tc, test_interrupts);
	tcase_add_test(tc, test_ier_gates_each_source);
	tcase_add_test(tc, test_line_and_modem_status_interrupts);
	suite_add_tcase(s, tc);
	return s;
}
