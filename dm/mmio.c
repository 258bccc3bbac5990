/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include "mmio.h"

/* Guest-physical addresses: MAXPHYADDR is at most 52 bits (SDM Vol. 3A 4.1.4). */
#define DM_MMIO_SPACE (1ull << 52)

void dm_mmio_init(struct dm_iorange_table *t)
{
	dm_iorange_init(t, DM_MMIO_SPACE);
}

int dm_mmio_register(struct dm_iorange_table *t, uint64_t gpa, uint64_t len, dm_io_fn fn, void *arg,
		     const char *name)
{
	return dm_iorange_add(t, gpa, len, fn, arg, name);
}

int dm_mmio_unregister(struct dm_iorange_table *t, uint64_t gpa, void *arg)
{
	return dm_iorange_remove(t, gpa, arg);
}

int dm_mmio_access(const struct dm_iorange_table *t, uint64_t gpa, unsigned size, bool write, uint64_t *value)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	uint64_t mask = size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
	uint64_t v = write ? (*value & mask) : 0;
	int rc = dm_iorange_access(t, gpa, size, write, &v);
	if (!write)
		*value = rc ? mask : (v & mask);
	return rc;
}
