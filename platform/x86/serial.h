/* SPDX-License-Identifier: BSD-3-Clause */
/* The host's 16550 serial ports: COM1 is the console, COM2 the trace stream. */
#ifndef TERN_X86_SERIAL_H
#define TERN_X86_SERIAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define SERIAL_COM1 0x3f8
#define SERIAL_COM2 0x2f8
#define SERIAL_COM2_IRQ 3

void serial_init(uint16_t base);
/* Whether a 16550 answers at base (its scratch register holds what is written). */
bool serial_probe(uint16_t base);
/* The console (x86_log, the guest's console output): COM1 unless told otherwise; 0: none, output dropped. */
void serial_console_use(uint16_t base);
uint16_t serial_console_port(void);
void serial_putc(uint16_t base, uint8_t c);
/* Pace output on this port by its THR-empty interrupt (master 8259 line irq) instead of polling. */
void serial_use_irq(uint16_t base, unsigned irq);
void serial_write(uint16_t base, const void *buf, size_t len);
/* Console output: "\n" becomes "\r\n". */
void console_puts(const char *s);
/* A formatted console line (no prefix added). */
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Whole console lines from several pCPUs: held around each line (x86_log,
 * plat_log, a VM's line). Bounded: a CPU that faulted while holding it
 * (the exception report) still gets its line out after the bound.
 */
void console_lock(void);
void console_unlock(void);
/* "tern: " + formatted line + newline on COM1. */
void x86_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
