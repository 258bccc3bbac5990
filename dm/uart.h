/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * -l com1,stdio: a 16550 at 0x3F8 whose transmitter writes to tern-dm's
 * stdout. Output only for now: the receiver is always empty (LSR.DR clear)
 * and no interrupt is raised (IIR reads "none pending").
 */
#ifndef TERN_DM_UART_H
#define TERN_DM_UART_H

struct dm;

#define DM_UART_COM1_PORT 0x3f8u

/* 0 or -errno. */
int dm_uart_create(struct dm *dm, int out_fd);
void dm_uart_destroy(struct dm *dm);

#endif
