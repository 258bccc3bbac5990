/* SPDX-License-Identifier: BSD-3-Clause */
/* The MMIO test device; the layout is in testdev.h and docs/testdev.md. */
#include "testdev.h"
#include "vm.h"
#include "mmio.h"

/* One byte of the register block 0x000-0x0FF as it reads. */
static uint8_t reg_byte(const struct testdev *d, uint64_t count, unsigned off)
{
	if (off < TESTDEV_REG_ID + 4)
		return (uint8_t)(TESTDEV_ID_VALUE >> (8 * (off - TESTDEV_REG_ID)));
	if (off >= TESTDEV_REG_VERSION && off < TESTDEV_REG_VERSION + 4)
		return (uint8_t)(TESTDEV_VERSION_VALUE >> (8 * (off - TESTDEV_REG_VERSION)));
	if (off >= TESTDEV_REG_COUNT && off < TESTDEV_REG_COUNT + 8)
		return (uint8_t)(count >> (8 * (off - TESTDEV_REG_COUNT)));
	(void)d;
	return 0;
}

static int testdev_read(struct vm *vm, void *opaque, uint64_t offset, unsigned size,
			uint64_t *value)
{
	struct testdev *d = opaque;
	uint64_t count = d->count++;
	uint64_t v = 0;

	(void)vm;
	/* The bus hands over accesses inside the page only (mmio.c's route). */
	for (unsigned i = size; i > 0; i--) {
		unsigned off = (unsigned)offset + i - 1;
		uint8_t b = off < TESTDEV_SCRATCH ? reg_byte(d, count, off)
						  : d->scratch[off - TESTDEV_SCRATCH];
		v = (v << 8) | b;
	}
	*value = v;
	return 0;
}

static int testdev_write(struct vm *vm, void *opaque, uint64_t offset, unsigned size,
			 uint64_t value)
{
	struct testdev *d = opaque;

	(void)vm;
	d->count++;
	for (unsigned i = 0; i < size; i++, value >>= 8) {
		unsigned off = (unsigned)offset + i;

		/* Registers are read-only: the bytes that land on them are dropped. */
		if (off >= TESTDEV_SCRATCH)
			d->scratch[off - TESTDEV_SCRATCH] = (uint8_t)value;
	}
	return 0;
}

static const struct mmio_dev_ops testdev_ops = { testdev_read, testdev_write };

int testdev_init(struct vm *vm)
{
	struct testdev *d = &vm->testdev;
	uint8_t *p = (uint8_t *)d;

	for (unsigned i = 0; i < sizeof(*d); i++)
		p[i] = 0;
	return mmio_register(vm, TESTDEV_GPA, TESTDEV_SIZE, &testdev_ops, d, "testdev");
}
