/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include "pio.h"

void dm_pio_init(struct dm_iorange_table *t)
{
	dm_iorange_init(t, DM_PIO_SPACE);
}

int dm_pio_register(struct dm_iorange_table *t, uint16_t port, uint32_t len, dm_io_fn fn, void *arg,
		    const char *name)
{
	return dm_iorange_add(t, port, len, fn, arg, name);
}

int dm_pio_unregister(struct dm_iorange_table *t, uint16_t port, void *arg)
{
	return dm_iorange_remove(t, port, arg);
}

int dm_pio_access(const struct dm_iorange_table *t, uint16_t port, unsigned size, bool write, uint32_t *value)
{
	if (size != 1 && size != 2 && size != 4)
		return -EINVAL;
	uint64_t mask = (1ull << (size * 8)) - 1;
	uint64_t v = write ? (*value & mask) : 0;
	int rc = dm_iorange_access(t, port, size, write, &v);
	if (!write)
		*value = rc ? (uint32_t)mask : (uint32_t)(v & mask);
	return rc;
}
