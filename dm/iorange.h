/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A table of non-overlapping address ranges with their handlers: the one
 * mechanism behind tern-dm's port-I/O table (pio.c) and MMIO lookup (mmio.c).
 */
#ifndef TERN_DM_IORANGE_H
#define TERN_DM_IORANGE_H

#include <stdbool.h>
#include <stdint.h>

/* offset is relative to the range's base; *value is read or written. 0 or -errno. */
typedef int (*dm_io_fn)(void *arg, bool write, uint64_t offset, unsigned size, uint64_t *value);

#define DM_IORANGE_MAX 64

struct dm_iorange {
	uint64_t base;
	uint64_t len;
	dm_io_fn fn;
	void *arg;
	const char *name;
};

struct dm_iorange_table {
	struct dm_iorange r[DM_IORANGE_MAX];
	unsigned n;
	uint64_t limit;           /* one past the last address of the space */
};

void dm_iorange_init(struct dm_iorange_table *t, uint64_t limit);
/* -EINVAL: empty or past the limit; -EEXIST: overlaps a range; -ENOSPC: table full. */
int dm_iorange_add(struct dm_iorange_table *t, uint64_t base, uint64_t len, dm_io_fn fn,
		   void *arg, const char *name);
/* -ENOENT: no range starts at base with that handler argument. */
int dm_iorange_remove(struct dm_iorange_table *t, uint64_t base, void *arg);
/* The range holding all of [addr, addr + size), or NULL (unclaimed or straddling). */
const struct dm_iorange *dm_iorange_find(const struct dm_iorange_table *t, uint64_t addr, unsigned size);
/* Dispatch one access: -ENOENT when no range holds it. */
int dm_iorange_access(const struct dm_iorange_table *t, uint64_t addr, unsigned size, bool write,
		      uint64_t *value);

#endif
