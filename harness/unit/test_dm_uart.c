/* SPDX-License-Identifier: BSD-3-Clause */
/* tern-dm's com1 (-l com1,stdio): the registers a 16550 driver programs, output bytes. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "pio.h"
#include "rec_hsm.h"
#include "uart.h"
#include "unit.h"

static struct rec_hsm R;
static struct dm D;
static int P[2];

static void setup(void)
{
	rec_hsm_init(&R, &D, NULL);
	ck_assert_int_eq(pipe2(P, O_NONBLOCK), 0);
	ck_assert_int_eq(dm_uart_create(&D, P[1]), 0);
}

static void teardown(void)
{
	dm_fini(&D);
	close(P[0]);
	close(P[1]);
}

static uint32_t in(unsigned off, unsigned size)
{
	uint32_t v = 0;
	dm_pio_access(&D.pio, (uint16_t)(DM_UART_COM1_PORT + off), size, false, &v);
	return v;
}

static void out(unsigned off, uint32_t v)
{
	dm_pio_access(&D.pio, (uint16_t)(DM_UART_COM1_PORT + off), 1, true, &v);
}

START_TEST(registers_and_output)
{
	ck_assert_uint_eq(in(5, 1), 0x60);    /* LSR: THR empty, transmitter empty, no data */
	ck_assert_uint_eq(in(2, 1), 0x01);    /* IIR: nothing pending */
	out(3, 0x83);                         /* DLAB on, 8N1 */
	out(0, 0x01);
	out(1, 0x00);
	ck_assert_uint_eq(in(0, 1), 0x01);    /* DLL */
	ck_assert_uint_eq(in(1, 1), 0x00);    /* DLM */
	out(3, 0x03);
	ck_assert_uint_eq(in(3, 1), 0x03);
	out(1, 0xff);
	ck_assert_uint_eq(in(1, 1), 0x0f);    /* IER: four defined bits */
	out(4, 0xff);
	ck_assert_uint_eq(in(4, 1), 0x1f);
	out(7, 0x5a);
	ck_assert_uint_eq(in(7, 1), 0x5a);
	ck_assert_uint_eq(in(6, 1), 0);
	ck_assert_uint_eq(in(0, 1), 0);       /* RBR: empty */
	out(0, 'o');
	out(0, 'k');
	char buf[8] = { 0 };
	ck_assert_int_eq(read(P[0], buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "ok");
	/* Wider accesses are not the 16550's: all-ones, dropped. */
	ck_assert_uint_eq(in(0, 2), 0xffff);
	uint32_t v = 0x4141;
	dm_pio_access(&D.pio, DM_UART_COM1_PORT, 2, true, &v);
	ck_assert_int_eq(read(P[0], buf, sizeof(buf)), -1);
	/* A second com1 cannot take the same ports. */
	struct dm_uart *first = D.uart;
	ck_assert_int_lt(dm_uart_create(&D, P[1]), 0);
	ck_assert_ptr_eq(D.uart, first);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("dm_uart");
	TCase *tc = tcase_create("com1");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, registers_and_output);
	suite_add_tcase(s, tc);
	return s;
}
