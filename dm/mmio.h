/* SPDX-License-Identifier: BSD-3-Clause */
/* MMIO range lookup: which emulated device answers a guest-physical address. */
#ifndef TERN_DM_MMIO_H
#define TERN_DM_MMIO_H

#include "iorange.h"

void dm_mmio_init(struct dm_iorange_table *t);
int dm_mmio_register(struct dm_iorange_table *t, uint64_t gpa, uint64_t len, dm_io_fn fn, void *arg,
		     const char *name);
int dm_mmio_unregister(struct dm_iorange_table *t, uint64_t gpa, void *arg);
/* An access of 1, 2, 4 or 8 bytes; an unclaimed read yields all-ones. */
int dm_mmio_access(const struct dm_iorange_table *t, uint64_t gpa, unsigned size, bool write, uint64_t *value);

#endif
