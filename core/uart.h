/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An in-hypervisor 16550A-compatible UART (the guest's COM1). Transmitted
 * bytes go to plat_console_putc(); received bytes are queued by the
 * platform with uart_receive(). Register layout: PC16550D datasheet.
 * Every register a driver programs: RBR/THR and DLL/DLM behind LCR.DLAB,
 * IER (all four sources), IIR (priorities: line status, received data, THR
 * empty, modem status) and FCR (FIFO enable, RX clear), LCR, MCR with
 * loopback (THR -> RBR, MCR -> MSR lines), LSR (DR, OE, THRE, TEMT), MSR
 * with its delta bits, SCR. Not modelled: baud timing, parity/framing
 * errors and break, the character timeout, FIFO trigger levels.
 */
#ifndef TERN_UART_H
#define TERN_UART_H

#include <stdint.h>
#include <stdbool.h>

struct vm;

#define UART_COM1_BASE 0x3f8
#define UART_NPORTS 8
#define UART_RX_FIFO 16

/* Register offsets from the base port. */
enum uart_reg {
	UART_RBR_THR_DLL = 0,
	UART_IER_DLM = 1,
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define UART_LCR_DLAB 0x80u
#define UART_MCR_LOOP 0x10u
#define UART_LSR_DR 0x01u
#define UART_LSR_OE 0x02u
#define UART_LSR_THRE 0x20u
#define UART_LSR_TEMT 0x40u
#define UART_IIR_NO_INT 0x01u
#define UART_IIR_MSI 0x00u      /* modem status changed (lowest priority) */
#define UART_IIR_THRI 0x02u
#define UART_IIR_RDI 0x04u
#define UART_IIR_RLSI 0x06u     /* receiver line status: overrun (highest priority) */
#define UART_IIR_FIFO_ON 0xc0u
#define UART_IER_RDI 0x01u
#define UART_IER_THRI 0x02u
#define UART_IER_RLSI 0x04u
#define UART_IER_MSI 0x08u
#define UART_MSR_DELTAS 0x0fu   /* DCTS, DDSR, TERI, DDCD: set on a change, cleared by reading MSR */
#define UART_FCR_ENABLE 0x01u
#define UART_FCR_CLEAR_RX 0x02u

struct uart16550 {
	uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
	uint8_t msr_delta;      /* MSR bits 3:0 since MSR was last read */
	uint8_t dll, dlm;
	bool thr_int_pending;   /* THRE interrupt latched until IIR is read */
	uint8_t rx[UART_RX_FIFO];
	uint8_t rx_head, rx_count;
	uint64_t tx_bytes;      /* bytes transmitted, for statistics */
};

void uart_init(struct uart16550 *u);
/*
 * One access to register `offset` (0..7). Reads set *value; writes take the
 * low byte. Accesses wider than a byte touch one register, as the 8-bit bus
 * of a real 16550 does.
 */
void uart_access(struct uart16550 *u, struct vm *vm, unsigned offset, bool write, uint32_t *value);
/* The platform queues a received byte; false when the FIFO overflowed. */
bool uart_receive(struct uart16550 *u, uint8_t byte);
/* Whether the UART raises its interrupt line (IER-enabled source pending). */
bool uart_irq_pending(const struct uart16550 *u);

#endif
