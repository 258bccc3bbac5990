/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Polled 16550 output. Bochs models the baud rate, so a write must wait for
 * LSR.THRE (PLATFORMS.md); the wait is bounded so a missing or wedged UART
 * costs time, never a hang.
 */
#include <stdarg.h>
#include "serial.h"
#include "cpu.h"
#include "lib.h"
#include "desc.h"
#include "platform.h"

/* 16550 register offsets and bits (PC16550D data sheet). */
#define UART_THR 0
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7
#define UART_LCR_8N1 0x03
#define UART_LCR_DLAB 0x80
#define UART_FCR_ENABLE_CLEAR 0x07
#define UART_MCR_DTR_RTS_OUT2 0x0b
#define UART_LSR_THRE 0x20
/* 115200 baud: divisor 1. */
#define UART_DIVISOR 1
/* About 10 ms of polling at Bochs speed before giving up on one byte. */
#define UART_THRE_SPINS 1000000u

/*
 * A 16550 keeps what is written to its scratch register (PC16550D data
 * sheet, SCR); an absent port reads back 0xff (an undriven ISA bus) or
 * anything but both patterns.
 */
#define UART_PROBE_A 0x5a
#define UART_PROBE_B 0xa5

bool serial_probe(uint16_t base)
{
	uint8_t old = inb(base + UART_SCR);
	outb(base + UART_SCR, UART_PROBE_A);
	bool ok = inb(base + UART_SCR) == UART_PROBE_A;
	outb(base + UART_SCR, UART_PROBE_B);
	ok = ok && inb(base + UART_SCR) == UART_PROBE_B;
	outb(base + UART_SCR, old);
	return ok;
}

void serial_init(uint16_t base)
{
	outb(base + UART_IER, 0);
	outb(base + UART_LCR, UART_LCR_DLAB);
	outb(base + UART_DLL, UART_DIVISOR & 0xff);
	outb(base + UART_DLM, UART_DIVISOR >> 8);
	outb(base + UART_LCR, UART_LCR_8N1);
	outb(base + UART_FCR, UART_FCR_ENABLE_CLEAR);
	outb(base + UART_MCR, UART_MCR_DTR_RTS_OUT2);
}

/*
 * Interrupt-paced ports: instead of spinning on THRE (which, under Bochs,
 * burns emulated time at the modelled baud rate), fill the 16-byte FIFO,
 * then HLT until the UART's THR-empty interrupt. A halted Bochs CPU skips
 * ahead to the next timer event, so a long stream (the exit trace on COM2)
 * goes out many times faster. Per-port hardware state, not core state.
 */
#define UART_IER_THRE 0x02
#define UART_FIFO_DEPTH 16
#define PIC1_DATA 0x21

static struct {
	uint16_t base;
	uint8_t irq;            /* master 8259 line */
	unsigned fifo_room;
} paced;

void serial_use_irq(uint16_t base, unsigned irq)
{
	/* Without remapped 8259s (an EFI boot with no MADT to say they exist) stay polled. */
	if (irq > 6 || !pic_present())
		return;
	paced.base = base;
	paced.irq = (uint8_t)irq;
	paced.fifo_room = 0;
	outb(base + UART_IER, UART_IER_THRE);
}

/* Bounded: a missing or wedged UART costs time, never a hang. */
static void wait_thre_poll(uint16_t base)
{
	for (uint32_t i = 0; i < UART_THRE_SPINS; i++) {
		if (inb(base + UART_LSR) & UART_LSR_THRE)
			return;
		cpu_pause();
	}
}

/*
 * Only on the BSP: the 8259 delivers to the BSP alone (its INTR input;
 * MP spec 3.6.2, virtual-wire mode), so an AP that halted for the THRE
 * interrupt would never be woken, and the pCPUs waiting for the recorder
 * it holds would spin with IF clear for ever.
 */
static void wait_thre_irq(uint16_t base)
{
	while (!(inb(base + UART_LSR) & UART_LSR_THRE)) {
		uint8_t mask = inb(PIC1_DATA);
		outb(PIC1_DATA, (uint8_t)(mask & ~(1u << paced.irq)));
		cpu_sti_hlt();
		outb(PIC1_DATA, mask);
	}
}

void serial_putc(uint16_t base, uint8_t c)
{
	if (!base)
		return;                 /* no console UART (serial_console_use(0)) */
	if (paced.base && base == paced.base) {
		if (paced.fifo_room == 0) {
			/* THRE in FIFO mode: the whole transmit FIFO is empty (PC16550D). */
			if (plat_cpu_id() == 0)
				wait_thre_irq(base);
			else
				wait_thre_poll(base);
			paced.fifo_room = UART_FIFO_DEPTH;
		}
		paced.fifo_room--;
		outb(base + UART_THR, c);
		return;
	}
	wait_thre_poll(base);
	outb(base + UART_THR, c);
}

void serial_write(uint16_t base, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		serial_putc(base, p[i]);
}

/* The console UART: COM1 unless the ACPI SPCR names another; 0 when there is none (main.c). */
static uint16_t console_port = SERIAL_COM1;

void serial_console_use(uint16_t base)
{
	console_port = base;
}

uint16_t serial_console_port(void)
{
	return console_port;
}

void console_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			serial_putc(console_port, '\r');
		serial_putc(console_port, (uint8_t)*s);
	}
}

static uint32_t console_held;
#define CONSOLE_LOCK_SPINS 50000000u

void console_lock(void)
{
	for (uint32_t spins = 0; __atomic_exchange_n(&console_held, 1u, __ATOMIC_ACQUIRE); spins++)
		if (spins >= CONSOLE_LOCK_SPINS)
			return;
		else
			cpu_pause();
}

void console_unlock(void)
{
	__atomic_store_n(&console_held, 0u, __ATOMIC_RELEASE);
}

void console_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	tern_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_lock();
	console_puts(buf);
	console_unlock();
}

void x86_log(const char *fmt, ...)
{
	char buf[512]; /* a guest command line of a few hundred bytes fits */
	va_list ap;
	va_start(ap, fmt);
	tern_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_lock();
	console_puts("tern: ");
	console_puts(buf);
	console_puts("\n");
	console_unlock();
}
