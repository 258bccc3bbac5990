/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include "iorange.h"

void dm_iorange_init(struct dm_iorange_table *t, uint64_t limit)
{
	memset(t, 0, sizeof(*t));
	t->limit = limit;
}

/* [a, a + al) and [b, b + bl) intersect; lengths are non-zero and in range. */
static bool overlaps(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
	return a < b + bl && b < a + al;
}

int dm_iorange_add(struct dm_iorange_table *t, uint64_t base, uint64_t len, dm_io_fn fn,
		   void *arg, const char *name)
{
	if (len == 0 || base >= t->limit || len > t->limit - base || !fn)
		return -EINVAL;
	for (unsigned i = 0; i < t->n; i++)
		if (overlaps(base, len, t->r[i].base, t->r[i].len))
			return -EEXIST;
	if (t->n == DM_IORANGE_MAX)
		return -ENOSPC;
	t->r[t->n++] = (struct dm_iorange){ base, len, fn, arg, name };
	return 0;
}

int dm_iorange_remove(struct dm_iorange_table *t, uint64_t base, void *arg)
{
	for (unsigned i = 0; i < t->n; i++) {
		if (t->r[i].base == base && t->r[i].arg == arg) {
			t->r[i] = t->r[--t->n];
			return 0;
		}
	}
	return -ENOENT;
}

const struct dm_iorange *dm_iorange_find(const struct dm_iorange_table *t, uint64_t addr, unsigned size)
{
	for (unsigned i = 0; i < t->n; i++) {
		const struct dm_iorange *r = &t->r[i];
		if (addr >= r->base && addr - r->base < r->len && size <= r->len - (addr - r->base))
			return r;
	}
	return NULL;
}

int dm_iorange_access(const struct dm_iorange_table *t, uint64_t addr, unsigned size, bool write,
		      uint64_t *value)
{
	const struct dm_iorange *r = dm_iorange_find(t, addr, size);
	if (!r)
		return -ENOENT;
	return r->fn(r->arg, write, addr - r->base, size, value);
}
