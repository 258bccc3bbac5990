/* SPDX-License-Identifier: BSD-3-Clause */
/* Register layout: the 16550 data sheet (offsets 0-7, DLAB in LCR bit 7). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "dm.h"
#include "pio.h"
#include "uart.h"

#define UART_THR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define UART_LCR_DLAB 0x80u
#define UART_IIR_NONE 0x01u
#define UART_LSR_THRE 0x20u
#define UART_LSR_TEMT 0x40u

struct dm_uart {
	int out_fd;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
};

static int uart_io(void *arg, bool is_write, uint64_t off, unsigned size, uint64_t *value)
{
	struct dm_uart *u = arg;
	if (size != 1) {          /* the 16550's registers are bytes */
		if (!is_write)
			*value = ~0ull;
		return 0;
	}
	bool dlab = (u->lcr & UART_LCR_DLAB) != 0;
	uint8_t v = (uint8_t)*value;
	if (is_write) {
		switch (off) {
		case UART_THR:
			if (dlab) {
				u->dll = v;
			} else if (write(u->out_fd, &v, 1) != 1) {
				/* stdout gone: the byte is lost, as on a disconnected line */
			}
			break;
		case UART_IER: if (dlab) u->dlm = v; else u->ier = v & 0x0f; break;
		case UART_LCR: u->lcr = v; break;
		case UART_MCR: u->mcr = v & 0x1f; break;
		case UART_SCR: u->scr = v; break;
		default: break;   /* FCR, LSR, MSR: nothing to keep */
		}
		return 0;
	}
	switch (off) {
	case UART_THR: *value = dlab ? u->dll : 0; break;
	case UART_IER: *value = dlab ? u->dlm : u->ier; break;
	case UART_IIR: *value = UART_IIR_NONE; break;
	case UART_LCR: *value = u->lcr; break;
	case UART_MCR: *value = u->mcr; break;
	case UART_LSR: *value = UART_LSR_THRE | UART_LSR_TEMT; break;
	case UART_MSR: *value = 0; break;
	default: *value = u->scr; break;
	}
	return 0;
}

int dm_uart_create(struct dm *dm, int out_fd)
{
	struct dm_uart *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->out_fd = out_fd;
	int rc = dm_pio_register(&dm->pio, DM_UART_COM1_PORT, 8, uart_io, u, "com1");
	if (rc) {
		free(u);
		return rc;
	}
	dm->uart = u;
	return 0;
}

void dm_uart_destroy(struct dm *dm)
{
	if (!dm->uart)
		return;
	dm_pio_unregister(&dm->pio, DM_UART_COM1_PORT, dm->uart);
	free(dm->uart);
	dm->uart = NULL;
}
