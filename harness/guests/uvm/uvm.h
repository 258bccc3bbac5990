/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The User VM payload's shared declarations (main.c, ioreq_checks.c):
 * port I/O, reporting. Guest code: inline assembly is its job.
 */
#ifndef UVM_H
#define UVM_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void putc(char c);
void puts(const char *s);
/* "PASS: name" or "FAIL: name (got G, want W)", as the test guest reports. */
void check_eq(const char *name, uint32_t got, uint32_t want);

/* The device the Service VM serves through the IOREQ page, in `mode` (UVM_MODE_*). */
void uvm_test_ioreq(uint32_t mode);
/*
 * One more request after the checks (mailbox magic set): a Service VM that
 * sleeps in HLT until an upcall is woken by it to see the magic.
 */
void uvm_ioreq_doorbell(void);

#endif
