/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual I/O APIC (Intel 82093AA datasheet, version 0x11): 24 input pins,
 * the redirection table behind IOREGSEL/IOWIN, edge and level triggering
 * with remote IRR, and the EOI a vLAPIC broadcasts for level vectors.
 *
 * Like the vLAPIC it never reaches a vCPU: every call that can deliver
 * returns the interrupt messages in a struct vioapic_out, which the VM-level
 * code routes and accepts exactly as an IPI (vlapic_route + vlapic_accept).
 * Pins 0-15 are the ISA IRQs (docs/interrupts.md).
 *
 * Where it goes: one `struct vioapic` in struct vm, its page at
 * VIOAPIC_BASE_DEFAULT trapped by the MMIO path.
 */
#ifndef TERN_VIOAPIC_H
#define TERN_VIOAPIC_H

#include <stdint.h>
#include <stdbool.h>
#include "vlapic.h"

#define VIOAPIC_BASE_DEFAULT 0xfec00000ull
#define VIOAPIC_PINS 24u
/* MMIO offsets in the IOAPIC window. */
#define VIOAPIC_IOREGSEL 0x00u
#define VIOAPIC_IOWIN 0x10u
#define VIOAPIC_WINDOW_SIZE 0x20u
/* Indirect registers. */
#define VIOAPIC_REG_ID 0x00u
#define VIOAPIC_REG_VERSION 0x01u
#define VIOAPIC_REG_ARB 0x02u
#define VIOAPIC_REG_REDIR0 0x10u
/* Version 0x11, maximum redirection entry 23 (bits 23:16). */
#define VIOAPIC_VERSION_VALUE 0x00170011u
/* Redirection entry fields. */
#define VIOAPIC_RTE_DELIVERY_STATUS (1ull << 12)
#define VIOAPIC_RTE_POLARITY_LOW (1ull << 13)
#define VIOAPIC_RTE_REMOTE_IRR (1ull << 14)
#define VIOAPIC_RTE_LEVEL (1ull << 15)
#define VIOAPIC_RTE_MASKED (1ull << 16)
#define VIOAPIC_RTE_DEST_SHIFT 56

struct vioapic_out {
	unsigned count;
	struct vlapic_msg msg[VIOAPIC_PINS];
};

struct vioapic {
	uint32_t id;                  /* IOAPIC ID, bits 27:24 of register 0 */
	uint32_t ioregsel;
	uint64_t rte[VIOAPIC_PINS];
	uint32_t line;                /* physical level of each input pin */
};

#define VIOAPIC_ID_SHIFT 24u
#define VIOAPIC_ID_MASK 0xfu

/* The 4-bit IOAPIC ID (register 0 bits 27:24), as the MADT names it. */
static inline uint8_t vioapic_id(const struct vioapic *io)
{
	return (uint8_t)((io->id >> VIOAPIC_ID_SHIFT) & VIOAPIC_ID_MASK);
}

/* Reset: every entry masked, ID `id` (0-15). */
void vioapic_init(struct vioapic *io, uint32_t id);
/*
 * 32-bit access at `offset` in the window: IOREGSEL (0x00), IOWIN (0x10);
 * anything else reads 0 and ignores writes. Unmasking a level entry whose
 * line is asserted delivers it (into `out`, cleared first).
 */
void vioapic_mmio_read(struct vioapic *io, uint32_t offset, uint32_t *value);
void vioapic_mmio_write(struct vioapic *io, uint32_t offset, uint32_t value,
			struct vioapic_out *out);
/*
 * Drive input `pin` to `high` (the physical level; an active-low entry is
 * asserted when low). -TERN_EINVAL for a pin >= 24.
 */
int vioapic_set_line(struct vioapic *io, unsigned pin, bool high, struct vioapic_out *out);
/* EOI of `vector` from a vLAPIC: clear remote IRR, re-deliver asserted lines. */
void vioapic_eoi(struct vioapic *io, uint8_t vector, struct vioapic_out *out);

#endif
