/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port I/O to COM1 (a 16550, which Tern emulates in the hypervisor): the
 * scratch register, the divisor latch behind LCR.DLAB, LSR.THRE; then
 * string I/O (REP OUTSB to THR, REP INSB from the scratch register).
 */
#include "guest.h"

#define SCR 7
#define LCR 3
#define LSR 5
#define DLL 0
#define DLM 1

static void drain(void)
{
	for (unsigned n = 0; n < 2000000u && (inb(COM1 + LSR) & 0x60) != 0x60; n++)
		;
}

void tg_test_pio(void)
{
	uint8_t a, b, dll, dlm, lcr;

	outb(COM1 + SCR, 0xA5);
	a = inb(COM1 + SCR);
	outb(COM1 + SCR, 0x5A);
	b = inb(COM1 + SCR);
	tg_check("pio.com1-scratch", a == 0xA5 && b == 0x5A, "read back 0x%x 0x%x, want 0xa5 0x5a", a, b);

	drain();
	outb(COM1 + LCR, 0x83);	/* DLAB | 8N1 */
	outb(COM1 + DLL, 0x0C);	/* 9600 baud, briefly */
	outb(COM1 + DLM, 0x02);
	lcr = inb(COM1 + LCR);
	dll = inb(COM1 + DLL);
	dlm = inb(COM1 + DLM);
	outb(COM1 + DLL, 0x01);	/* back to 115200 */
	outb(COM1 + DLM, 0x00);
	outb(COM1 + LCR, 0x03);
	tg_check("pio.com1-divisor-latch", lcr == 0x83 && dll == 0x0C && dlm == 0x02,
		 "LCR 0x%x DLL 0x%x DLM 0x%x, want 0x83 0xc 0x2", lcr, dll, dlm);
	lcr = inb(COM1 + LCR);
	tg_check("pio.com1-lcr-restored", lcr == 0x03, "LCR 0x%x, want 0x3", lcr);

	drain();
	tg_check("pio.com1-lsr-thre", inb(COM1 + LSR) & 0x20, "LSR.THRE clear after draining");
}

void tg_test_string_io(void)
{
	static const char msg[] = "[outsb-ok]\r\n";	/* 12 bytes: fits the FIFO */
	uint8_t buf[9];
	uint64_t rcx = sizeof(msg) - 1, rsi = (uint64_t)msg, rdi;
	bool ok = true;

	drain();
	__asm__ volatile("rep outsb" : "+c"(rcx), "+S"(rsi) : "d"((uint16_t)COM1) : "memory");
	tg_check("strio.rep-outsb", rcx == 0 && rsi == (uint64_t)msg + sizeof(msg) - 1,
		 "RCX %lu RSI advanced by %lu", rcx, rsi - (uint64_t)msg);
	drain();

	memset(buf, 0, sizeof(buf));
	outb(COM1 + SCR, 0xC3);
	rcx = 8;
	rdi = (uint64_t)buf;
	__asm__ volatile("rep insb" : "+c"(rcx), "+D"(rdi) : "d"((uint16_t)(COM1 + SCR)) : "memory");
	for (int i = 0; i < 8; i++)
		ok = ok && buf[i] == 0xC3;
	tg_check("strio.rep-insb", ok && buf[8] == 0 && rcx == 0 && rdi == (uint64_t)buf + 8,
		 "bytes %x %x .. %x, guard %x, RCX %lu", buf[0], buf[1], buf[7], buf[8], rcx);
}
