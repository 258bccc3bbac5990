/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * COM1 output and the kvm-unit-tests style report: PASS/FAIL/SKIP lines,
 * a SUMMARY line, and the verdict through the debug-exit port 0xF4.
 */
#include "guest.h"

#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0
#define UART_DLM 1
#define LSR_THRE 0x20
#define LCR_8N1 0x03
#define LCR_DLAB 0x80
/* Bochs models baud timing (PLATFORMS.md): poll THRE, but never forever. */
#define THRE_POLL_BOUND 2000000u

#define DEBUG_EXIT_PORT 0xF4
#define BOCHS_SHUTDOWN_PORT 0x8900

struct tg_env tg_env;

static unsigned n_tests, n_fail, n_skip;

void tg_console_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1);	/* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, 0x07);	/* FIFOs on and cleared */
	outb(COM1 + UART_MCR, 0x03);	/* DTR, RTS; OUT2 off: no UART IRQ */
}

void tg_putc(char c)
{
	unsigned n = 0;

	while (!(inb(COM1 + UART_LSR) & LSR_THRE) && n < THRE_POLL_BOUND)
		n++;
	outb(COM1 + UART_THR, (uint8_t)c);
}

void tg_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			tg_putc('\r');
		tg_putc(*s);
	}
}

static void put_num(uint64_t v, unsigned base, int width, char pad, bool neg)
{
	char buf[24];
	int i = 0;

	do {
		buf[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[i++] = '-';
	while (i < width)
		tg_putc(pad), width--;
	while (i)
		tg_putc(buf[--i]);
}

void tg_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			if (*fmt == '\n')
				tg_putc('\r');
			tg_putc(*fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, lng = 0;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			lng++, fmt++;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			tg_puts(s ? s : "(null)");
			break;
		}
		case 'c':
			tg_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
			break;
		}
		case 'u':
			put_num(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad, false);
			break;
		case 'x':
			put_num(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad, false);
			break;
		case '%':
			tg_putc('%');
			break;
		default:
			tg_putc('?');
			break;
		}
	}
}

void tg_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tg_vprintf(fmt, ap);
	va_end(ap);
}

void tg_pass(const char *name)
{
	n_tests++;
	tg_printf("PASS: %s\n", name);
}

void tg_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	n_tests++;
	n_fail++;
	tg_printf("FAIL: %s (", name);
	va_start(ap, fmt);
	tg_vprintf(fmt, ap);
	va_end(ap);
	tg_puts(")\n");
}

void tg_skip(const char *name, const char *why)
{
	n_tests++;
	n_skip++;
	tg_printf("SKIP: %s (%s)\n", name, why);
}

bool tg_check_eq(const char *name, uint64_t got, uint64_t want)
{
	if (got == want) {
		tg_pass(name);
		return true;
	}
	tg_fail(name, "got 0x%lx, want 0x%lx", got, want);
	return false;
}

bool tg_check(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		tg_pass(name);
		return true;
	}
	n_tests++;
	n_fail++;
	tg_printf("FAIL: %s (", name);
	va_start(ap, fmt);
	tg_vprintf(fmt, ap);
	va_end(ap);
	tg_puts(")\n");
	return false;
}

/*
 * The verdict: 0 all passed, 1 failures. Under Tern the write to 0xF4 ends
 * the VM. Natively, QEMU needs -device isa-debug-exit,iobase=0xf4 (exit
 * status 2*value+1); Bochs has no such device, so fall back to its
 * "Shutdown" port. Under Tern nothing but COM1 and 0xF4 is touched.
 */
void tg_exit(uint32_t code)
{
	outl(DEBUG_EXIT_PORT, code);
	if (!tg_env.tern) {
		const char *s = "Shutdown";
		while (*s)
			outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s++);
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}

void tg_finish(void)
{
	tg_printf("SUMMARY: %u tests, %u failures, %u skipped\n", n_tests, n_fail, n_skip);
	tg_exit(n_fail ? 1 : 0);
}

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}
