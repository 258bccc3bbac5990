/* SPDX-License-Identifier: BSD-3-Clause */
#include "iodev.h"
#include "guest.h"

/* Register block layout shared by the port block and the MMIO page. */
#define REG_ID 0u
#define REG_RESERVED 4u
#define PCI_REG_ID 0x00u
#define PCI_REG_COMMAND 0x04u
#define PCI_REG_CLASS 0x08u
#define PCI_REG_BAR0 0x10u
#define PCI_REG_BAR1 0x14u
#define PCI_REG_SUBSYS 0x2cu
#define PCI_REG_INT 0x3cu
#define PCI_BAR_IO 0x1u          /* PCI 3.0, 6.2.5.1: bit 0 set = I/O space */
#define PCI_COMMAND_RW 0x3u      /* I/O and memory space enables: all this device keeps */

void iodev_reset(struct iodev *d)
{
	memset(d, 0, sizeof(*d));
	d->bar0 = IODEV_PORT_BASE;
	d->bar1 = IODEV_MMIO_GPA;
}

/*
 * Byte `off` of a register block: the ID (read-only), a reserved dword
 * (reads 0), then `len` - 8 scratch bytes; beyond them reads 0.
 */
static void block_byte(uint8_t *scratch, uint32_t len, uint32_t id, uint32_t off, bool write,
		       uint8_t *b)
{
	if (off < REG_RESERVED) {
		if (!write)
			*b = (uint8_t)(id >> (8 * off));
	} else if (off >= IODEV_REG_SCRATCH && off < len) {
		if (write)
			scratch[off] = *b;
		else
			*b = scratch[off];
	} else if (!write) {
		*b = 0;
	}
}

/* Little-endian, byte by byte: every access size sees the same bytes. */
static void block_access(uint8_t *scratch, uint32_t len, uint32_t id, uint32_t off, uint32_t size,
			 bool write, uint64_t *v)
{
	uint64_t out = 0;
	for (uint32_t i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(*v >> (8 * i));
		block_byte(scratch, len, id, off + i, write, &b);
		out |= (uint64_t)b << (8 * i);
	}
	if (!write)
		*v = out;
}

bool iodev_port(struct iodev *d, uint64_t port, uint32_t size, bool write, uint64_t *v)
{
	if (port < IODEV_PORT_BASE || port + size > IODEV_PORT_BASE + IODEV_PORTS)
		return false;
	block_access(d->ports, IODEV_PORTS, IODEV_PORT_ID, (uint32_t)(port - IODEV_PORT_BASE), size,
		     write, v);
	return true;
}

bool iodev_mmio(struct iodev *d, uint64_t gpa, uint32_t size, bool write, uint64_t *v)
{
	if (gpa < IODEV_MMIO_GPA || gpa + size > IODEV_MMIO_GPA + IODEV_MMIO_SIZE)
		return false;
	block_access(d->mmio, IODEV_MMIO_SCRATCH_END, IODEV_MMIO_ID, (uint32_t)(gpa - IODEV_MMIO_GPA),
		     size, write, v);
	return true;
}

/* Configuration space dword `reg` (PCI 3.0, 6.1: type 0 header). */
static uint32_t cfg_read(const struct iodev *d, uint32_t reg)
{
	switch (reg) {
	case PCI_REG_ID:
	case PCI_REG_SUBSYS:
		return IODEV_PCI_DEVICE << 16 | IODEV_PCI_VENDOR;
	case PCI_REG_COMMAND:
		return d->command;   /* status 0: no capabilities, no errors */
	case PCI_REG_CLASS:
		return IODEV_PCI_CLASS_REV;
	/* BAR sizing (6.2.5.1): the bits below the size read 0, the type bits as the BAR's. */
	case PCI_REG_BAR0:
		return (d->bar0 & ~(IODEV_PORTS - 1u)) | PCI_BAR_IO;
	case PCI_REG_BAR1:
		return d->bar1 & ~(IODEV_MMIO_SIZE - 1u);  /* 32-bit, not prefetchable */
	case PCI_REG_INT:
		return d->int_line;  /* interrupt pin 0: no INTx */
	default:
		return 0;
	}
}

/* The bytes of dword `reg` selected by `mask` are written; read-only bits stay. */
static void cfg_write(struct iodev *d, uint32_t reg, uint32_t val, uint32_t mask)
{
	switch (reg) {
	case PCI_REG_COMMAND:
		d->command = (uint16_t)((d->command & ~mask) | (val & mask & PCI_COMMAND_RW));
		break;
	case PCI_REG_BAR0:
		d->bar0 = (d->bar0 & ~mask) | (val & mask);
		break;
	case PCI_REG_BAR1:
		d->bar1 = (d->bar1 & ~mask) | (val & mask);
		break;
	case PCI_REG_INT:
		d->int_line = (uint8_t)((d->int_line & ~mask) | (val & mask));
		break;
	default:
		break;   /* read-only or unimplemented: writes are dropped */
	}
}

bool iodev_pci(struct iodev *d, uint32_t bus, uint32_t dev, uint32_t func, uint32_t reg,
	       uint32_t size, bool write, uint64_t *v)
{
	if (bus != IODEV_PCI_BUS || dev != IODEV_PCI_DEV || func != IODEV_PCI_FUNC)
		return false;
	uint32_t shift = 8 * (reg & 3u);
	uint32_t mask = (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1u) << shift;
	uint32_t dword = reg & ~3u;
	if (write)
		cfg_write(d, dword, (uint32_t)*v << shift, mask);
	else
		*v = (cfg_read(d, dword) & mask) >> shift;
	return true;
}
