/* SPDX-License-Identifier: BSD-3-Clause */
/* The port-I/O table: which emulated device answers a port (64 KiB space). */
#ifndef TERN_DM_PIO_H
#define TERN_DM_PIO_H

#include "iorange.h"

#define DM_PIO_SPACE 0x10000u

void dm_pio_init(struct dm_iorange_table *t);
int dm_pio_register(struct dm_iorange_table *t, uint16_t port, uint32_t len, dm_io_fn fn, void *arg,
		    const char *name);
int dm_pio_unregister(struct dm_iorange_table *t, uint16_t port, void *arg);
/* A port access of 1, 2 or 4 bytes; an unclaimed read yields all-ones (a floating bus). */
int dm_pio_access(const struct dm_iorange_table *t, uint16_t port, unsigned size, bool write, uint32_t *value);

#endif
