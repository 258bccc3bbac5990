/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual PIC: two cascaded 8259As (Intel 8259A datasheet) as on the PC,
 * master at ports 0x20/0x21 with the slave on its IR2, slave at 0xA0/0xA1,
 * and the edge/level control registers (ELCR) at 0x4D0/0x4D1.
 *
 * Implemented: the ICW1-ICW4 initialisation sequence, OCW1 (IMR), OCW2
 * (non-specific / specific EOI, rotate on EOI, rotate in auto-EOI, set
 * priority), OCW3 (read IRR / ISR, poll, special mask mode), auto-EOI,
 * special fully nested mode, edge (with the edge latch) and level
 * triggering (ELCR or ICW1.LTIM), and the INTA sequence returning the
 * vector, spurious IRQ7 / IRQ15 included. 8080 mode and buffered mode are
 * not: ICW4 bit 0 clear and the buffer bits are ignored.
 *
 * The PIC's INTR output is vpic_output(); it feeds the BSP's LINT0 (vLAPIC
 * LVT LINT0 = ExtINT, virtual-wire mode); the vCPU then takes the vector
 * with vpic_intack(). Where it goes: one `struct vpic` in struct vm, its
 * ports claimed by the port-I/O path.
 */
#ifndef TERN_VPIC_H
#define TERN_VPIC_H

#include <stdint.h>
#include <stdbool.h>

#define VPIC_MASTER_CMD 0x20u
#define VPIC_MASTER_DATA 0x21u
#define VPIC_SLAVE_CMD 0xa0u
#define VPIC_SLAVE_DATA 0xa1u
#define VPIC_ELCR_MASTER 0x4d0u
#define VPIC_ELCR_SLAVE 0x4d1u
#define VPIC_CASCADE_IRQ 2u
#define VPIC_IRQS 16u

struct vpic_chip {
	uint8_t irr;
	uint8_t isr;
	uint8_t imr;
	uint8_t lines;          /* input levels, for the edge latch */
	uint8_t elcr;
	uint8_t elcr_bits;      /* which IRQs may be level (ELCR writable bits) */
	uint8_t base;           /* ICW2 vector base (bits 7:3) */
	uint8_t icw3;
	uint8_t init_step;      /* 0 ready; 2, 3, 4 waiting for that ICW */
	uint8_t priority_add;   /* IRQ with the highest priority (rotation) */
	bool icw4_needed;
	bool single;
	bool ltim;              /* ICW1 level-triggered mode, all inputs */
	bool auto_eoi;
	bool rotate_on_aeoi;
	bool sfnm;              /* special fully nested mode */
	bool special_mask;
	bool read_isr;          /* OCW3 read register: ISR (else IRR) */
	bool poll;              /* next command-port read is a poll */
};

struct vpic {
	struct vpic_chip chip[2]; /* [0] master, [1] slave */
};

void vpic_init(struct vpic *pic);
/* Port access (one byte). -TERN_ENOENT for a port that is not the PIC's. */
int vpic_io_read(struct vpic *pic, uint16_t port, uint8_t *value);
int vpic_io_write(struct vpic *pic, uint16_t port, uint8_t value);
/* Drive IRQ line `irq` (0-15) to `high`. -TERN_EINVAL for irq >= 16 and the cascade (2). */
int vpic_set_irq(struct vpic *pic, unsigned irq, bool high);
/* The master's INTR output: an unmasked request above what is in service. */
bool vpic_output(const struct vpic *pic);
/* The INTA cycle: the vector of the highest request (spurious: IRQ 7 / 15). */
uint8_t vpic_intack(struct vpic *pic);

#endif
