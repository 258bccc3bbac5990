/* SPDX-License-Identifier: BSD-3-Clause */
/* Virtual I/O APIC (82093AA, version 0x11). See vioapic.h. */
#include "vioapic.h"
#include "err.h"

#define REGSEL_BITS 0xffu
#define ID_BITS 0x0f000000u
#define RTE_LO_BITS 0x0001afffu   /* vector, delivery, dest mode, polarity, trigger, mask */
#define RTE_HI_BITS 0xff000000u   /* destination */
#define RTE_VECTOR_MASK 0xffull
#define RTE_DM_SHIFT 8
#define RTE_DM_MASK 7u
#define RTE_LOGICAL (1ull << 11)

void vioapic_init(struct vioapic *io, uint32_t id)
{
	io->id = (id & 0xfu) << 24;
	io->ioregsel = 0;
	io->line = 0;
	for (unsigned i = 0; i < VIOAPIC_PINS; i++)
		io->rte[i] = VIOAPIC_RTE_MASKED;
}

static bool asserted(const struct vioapic *io, unsigned pin)
{
	bool high = (io->line >> pin) & 1u;
	return (io->rte[pin] & VIOAPIC_RTE_POLARITY_LOW) ? !high : high;
}

static void emit(struct vioapic *io, unsigned pin, struct vioapic_out *out)
{
	uint64_t rte = io->rte[pin];
	struct vlapic_msg *m = &out->msg[out->count++];
	m->vector = (uint8_t)(rte & RTE_VECTOR_MASK);
	m->delivery = (uint8_t)((rte >> RTE_DM_SHIFT) & RTE_DM_MASK);
	m->shorthand = VLAPIC_SH_NONE;
	m->logical = rte & RTE_LOGICAL;
	m->level = rte & VIOAPIC_RTE_LEVEL;
	m->assert = true;
	m->x2apic = false;
	m->dest = (uint32_t)(rte >> VIOAPIC_RTE_DEST_SHIFT);
	m->src = 0;
	/* Level: remote IRR holds the line off until the EOI (datasheet 3.2.4). */
	if (rte & VIOAPIC_RTE_LEVEL) {
		io->rte[pin] |= VIOAPIC_RTE_REMOTE_IRR;
	}
}

/* A level entry delivers while asserted, unmasked and not awaiting an EOI. */
static void level_check(struct vioapic *io, unsigned pin, struct vioapic_out *out)
{
	uint64_t rte = io->rte[pin];
	if ((rte & VIOAPIC_RTE_LEVEL) && !(rte & (VIOAPIC_RTE_MASKED | VIOAPIC_RTE_REMOTE_IRR)) &&
	    asserted(io, pin)) {
		emit(io, pin, out);
	}
}

static uint32_t reg_read(const struct vioapic *io, uint32_t reg)
{
	if (reg >= VIOAPIC_REG_REDIR0 && reg < VIOAPIC_REG_REDIR0 + 2 * VIOAPIC_PINS) {
		uint64_t rte = io->rte[(reg - VIOAPIC_REG_REDIR0) >> 1];
		return (reg & 1u) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
	}
	switch (reg) {
	case VIOAPIC_REG_ID:
	case VIOAPIC_REG_ARB: /* the arbitration ID is loaded from the ID */
		return io->id;
	case VIOAPIC_REG_VERSION:
		return VIOAPIC_VERSION_VALUE;
	default:
		return 0;
	}
}

static void reg_write(struct vioapic *io, uint32_t reg, uint32_t value, struct vioapic_out *out)
{
	if (reg == VIOAPIC_REG_ID) {
		io->id = value & ID_BITS;
		return;
	}
	if (reg < VIOAPIC_REG_REDIR0 || reg >= VIOAPIC_REG_REDIR0 + 2 * VIOAPIC_PINS)
		return; /* version, arbitration (read-only) and no register */
	unsigned pin = (reg - VIOAPIC_REG_REDIR0) >> 1;
	uint64_t rte = io->rte[pin];
	if (reg & 1u) {
		rte = (rte & 0xffffffffull) | (uint64_t)(value & RTE_HI_BITS) << 32;
	} else {
		/* delivery status and remote IRR are read-only */
		uint64_t keep = rte & (~0xffffffffull | VIOAPIC_RTE_REMOTE_IRR);
		rte = keep | (value & RTE_LO_BITS);
		if (!(rte & VIOAPIC_RTE_LEVEL)) {
			rte &= ~VIOAPIC_RTE_REMOTE_IRR; /* remote IRR means nothing for edge */
		}
	}
	io->rte[pin] = rte;
	level_check(io, pin, out);
}

void vioapic_mmio_read(struct vioapic *io, uint32_t offset, uint32_t *value)
{
	switch (offset) {
	case VIOAPIC_IOREGSEL:
		*value = io->ioregsel;
		break;
	case VIOAPIC_IOWIN:
		*value = reg_read(io, io->ioregsel);
		break;
	default:
		*value = 0;
		break;
	}
}

void vioapic_mmio_write(struct vioapic *io, uint32_t offset, uint32_t value,
			struct vioapic_out *out)
{
	out->count = 0;
	if (offset == VIOAPIC_IOREGSEL)
		io->ioregsel = value & REGSEL_BITS;
	else if (offset == VIOAPIC_IOWIN)
		reg_write(io, io->ioregsel, value, out);
}

int vioapic_set_line(struct vioapic *io, unsigned pin, bool high, struct vioapic_out *out)
{
	out->count = 0;
	if (pin >= VIOAPIC_PINS)
		return -TERN_EINVAL;
	bool was = asserted(io, pin);
	if (high) {
		io->line |= 1u << pin;
	} else {
		io->line &= ~(1u << pin);
	}
	uint64_t rte = io->rte[pin];
	if (rte & VIOAPIC_RTE_LEVEL) {
		level_check(io, pin, out);
	} else if (!was && asserted(io, pin) && !(rte & VIOAPIC_RTE_MASKED)) {
		/* Edge: the asserting transition; a masked pin latches nothing. */
		emit(io, pin, out);
	}
	return 0;
}

void vioapic_eoi(struct vioapic *io, uint8_t vector, struct vioapic_out *out)
{
	out->count = 0;
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		uint64_t rte = io->rte[pin];
		if ((rte & RTE_VECTOR_MASK) != vector || !(rte & VIOAPIC_RTE_REMOTE_IRR))
			continue;
		io->rte[pin] = rte & ~VIOAPIC_RTE_REMOTE_IRR;
		level_check(io, pin, out);
	}
}
