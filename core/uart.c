/* SPDX-License-Identifier: BSD-3-Clause */
#include "uart.h"
#include "lib.h"
#include "platform.h"

/* MSR bits mirrored from MCR in loopback: CTS<-RTS, DSR<-DTR, RI<-OUT1, DCD<-OUT2. */
#define MCR_DTR 0x01u
#define MCR_RTS 0x02u
#define MCR_OUT1 0x04u
#define MCR_OUT2 0x08u
#define MSR_CTS 0x10u
#define MSR_DSR 0x20u
#define MSR_RI 0x40u
#define MSR_DCD 0x80u

void uart_init(struct uart16550 *u)
{
	tern_memset(u, 0, sizeof(*u));
	u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
	/* A divisor of 1 (115200 baud) is what firmware leaves behind. */
	u->dll = 1;
	/* Not in loopback, the modem lines read as connected. */
	u->msr = MSR_CTS | MSR_DSR | MSR_DCD;
}

static void rx_push(struct uart16550 *u, uint8_t byte)
{
	if (u->rx_count == UART_RX_FIFO) {
		u->lsr |= UART_LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_RX_FIFO] = byte;
	u->rx_count++;
	u->lsr |= UART_LSR_DR;
}

static uint8_t rx_pop(struct uart16550 *u)
{
	if (!u->rx_count)
		return 0;
	uint8_t b = u->rx[u->rx_head];
	u->rx_head = (uint8_t)((u->rx_head + 1) % UART_RX_FIFO);
	if (--u->rx_count == 0)
		u->lsr &= (uint8_t)~UART_LSR_DR;
	return b;
}

bool uart_receive(struct uart16550 *u, uint8_t byte)
{
	bool room = u->rx_count < UART_RX_FIFO;
	rx_push(u, byte);
	return room;
}

/*
 * The interrupt source IIR names, highest priority first (PC16550D Table
 * IV): receiver line status (an overrun, until LSR is read), received
 * data, THR empty, modem status (a delta, until MSR is read).
 */
static uint8_t irq_source(const struct uart16550 *u)
{
	if ((u->ier & UART_IER_RLSI) && (u->lsr & UART_LSR_OE))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thr_int_pending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && u->msr_delta)
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

bool uart_irq_pending(const struct uart16550 *u)
{
	return irq_source(u) != UART_IIR_NO_INT;
}

static uint8_t loopback_msr(uint8_t mcr)
{
	uint8_t msr = 0;
	if (mcr & MCR_RTS)
		msr |= MSR_CTS;
	if (mcr & MCR_DTR)
		msr |= MSR_DSR;
	if (mcr & MCR_OUT1)
		msr |= MSR_RI;
	if (mcr & MCR_OUT2)
		msr |= MSR_DCD;
	return msr;
}

static void transmit(struct uart16550 *u, struct vm *vm, uint8_t byte)
{
	if (u->mcr & UART_MCR_LOOP)
		rx_push(u, byte); /* loopback: the byte comes straight back */
	else
		plat_console_putc(vm, byte);
	u->tx_bytes++;
	/* Transmission is instantaneous: THR is empty again at once. */
	u->thr_int_pending = true;
}

static uint8_t read_iir(struct uart16550 *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO_ON : 0;
	uint8_t src = irq_source(u);
	/* Reading IIR with THRE as the source clears it (PC16550D, Table IV). */
	if (src == UART_IIR_THRI)
		u->thr_int_pending = false;
	return fifo | src;
}

/* The modem status lines (MSR bits 7:4) as the guest sees them. */
static uint8_t msr_lines(const struct uart16550 *u)
{
	return (u->mcr & UART_MCR_LOOP) ? loopback_msr(u->mcr) : u->msr;
}

/*
 * MCR changes the lines in loopback (or leaving it): a changed CTS, DSR or
 * DCD sets its delta bit, RI going from 1 to 0 sets TERI (PC16550D, MSR).
 */
static void write_mcr(struct uart16550 *u, uint8_t v)
{
	uint8_t before = msr_lines(u);
	u->mcr = v & 0x1fu;
	uint8_t after = msr_lines(u), changed = before ^ after;
	u->msr_delta |= (uint8_t)(((changed & (MSR_CTS | MSR_DSR | MSR_DCD)) >> 4) |
				  ((before & ~after & MSR_RI) >> 4));
}

void uart_access(struct uart16550 *u, struct vm *vm, unsigned offset, bool write, uint32_t *value)
{
	bool dlab = (u->lcr & UART_LCR_DLAB) != 0;
	uint8_t v = (uint8_t)*value;

	if (write) {
		switch (offset) {
		case UART_RBR_THR_DLL:
			if (dlab)
				u->dll = v;
			else
				transmit(u, vm, v);
			break;
		case UART_IER_DLM:
			if (dlab) {
				u->dlm = v;
			} else {
				/* Enabling THRI with THR empty raises it at once. */
				if (!(u->ier & UART_IER_THRI) && (v & UART_IER_THRI))
					u->thr_int_pending = true;
				u->ier = v & 0x0fu;
			}
			break;
		case UART_IIR_FCR:
			u->fcr = v & 0xc9u;
			if (v & UART_FCR_CLEAR_RX) {
				u->rx_count = 0;
				u->lsr &= (uint8_t)~UART_LSR_DR;
			}
			break;
		case UART_LCR:
			u->lcr = v;
			break;
		case UART_MCR:
			write_mcr(u, v);
			break;
		case UART_LSR:
		case UART_MSR:
			break; /* read-only: writes are ignored, as on the chip */
		default:
			u->scr = v;
			break;
		}
		return;
	}

	switch (offset) {
	case UART_RBR_THR_DLL:
		v = dlab ? u->dll : rx_pop(u);
		break;
	case UART_IER_DLM:
		v = dlab ? u->dlm : u->ier;
		break;
	case UART_IIR_FCR:
		v = read_iir(u);
		break;
	case UART_LCR:
		v = u->lcr;
		break;
	case UART_MCR:
		v = u->mcr;
		break;
	case UART_LSR:
		v = u->lsr;
		u->lsr &= (uint8_t)~UART_LSR_OE; /* overrun is cleared by reading LSR */
		break;
	case UART_MSR:
		v = (uint8_t)(msr_lines(u) | u->msr_delta);
		u->msr_delta = 0;
		break;
	default:
		v = u->scr;
		break;
	}
	*value = v;
}
