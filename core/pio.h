/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VM's port-I/O bus: in-hypervisor devices claim port ranges and are
 * tried before a request would go to the device model.
 */
#ifndef TERN_PIO_H
#define TERN_PIO_H

#include <stdint.h>
#include <stdbool.h>

struct vm;

#define PIO_MAX_DEVICES 16

/*
 * One access of `size` bytes (1, 2 or 4) at `port`, which lies inside the
 * device's range. Reads fill *value (only the low `size` bytes are used).
 */
typedef void (*pio_handler)(struct vm *vm, void *opaque, uint16_t port, unsigned size,
			    bool write, uint32_t *value);

struct pio_device {
	uint16_t base;
	uint16_t count;
	pio_handler handler;
	void *opaque;
	const char *name;
};

struct pio_bus {
	struct pio_device devs[PIO_MAX_DEVICES];
	unsigned ndevs;
};

/* -TERN_EEXIST when the range overlaps a device, -TERN_ENOSPC when full. */
int pio_register(struct pio_bus *bus, uint16_t base, uint16_t count, pio_handler handler,
		 void *opaque, const char *name);
/* The device claiming every byte of [port, port+size), or NULL. */
const struct pio_device *pio_find(const struct pio_bus *bus, uint16_t port, unsigned size);
/*
 * Dispatch an access. Unclaimed ports behave as an empty ISA bus: reads
 * return all ones, writes are discarded. Returns true when a device claimed it.
 */
bool pio_access(struct pio_bus *bus, struct vm *vm, uint16_t port, unsigned size, bool write,
		uint32_t *value);

#endif
