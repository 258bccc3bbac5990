/* SPDX-License-Identifier: BSD-3-Clause */
#include "pio.h"
#include "err.h"
#include "range.h"

int pio_register(struct pio_bus *bus, uint16_t base, uint16_t count, pio_handler handler,
		 void *opaque, const char *name)
{
	if (!count || !handler || (uint32_t)base + count > 0x10000u)
		return -TERN_EINVAL;
	for (unsigned i = 0; i < bus->ndevs; i++)
		if (range_overlaps(base, count, bus->devs[i].base, bus->devs[i].count))
			return -TERN_EEXIST;
	if (bus->ndevs == PIO_MAX_DEVICES)
		return -TERN_ENOSPC;
	bus->devs[bus->ndevs++] = (struct pio_device){ base, count, handler, opaque, name };
	return 0;
}

const struct pio_device *pio_find(const struct pio_bus *bus, uint16_t port, unsigned size)
{
	for (unsigned i = 0; i < bus->ndevs; i++) {
		const struct pio_device *d = &bus->devs[i];
		if (port >= d->base && (uint32_t)port + size <= (uint32_t)d->base + d->count)
			return d;
	}
	return 0;
}

bool pio_access(struct pio_bus *bus, struct vm *vm, uint16_t port, unsigned size, bool write,
		uint32_t *value)
{
	const struct pio_device *d = pio_find(bus, port, size);
	if (!d) {
		if (!write)
			*value = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
		return false;
	}
	d->handler(vm, d->opaque, port, size, write, value);
	return true;
}
