/* SPDX-License-Identifier: BSD-3-Clause */
/* Two cascaded 8259As (Intel 8259A datasheet). See vpic.h. */
#include "vpic.h"
#include "err.h"

#define ICW1_IC4 0x01u
#define ICW1_SNGL 0x02u
#define ICW1_LTIM 0x08u
#define ICW1_INIT 0x10u
#define ICW4_AEOI 0x02u
#define ICW4_SFNM 0x10u
#define OCW3_SELECT 0x08u
#define OCW3_RIS 0x01u
#define OCW3_RR 0x02u
#define OCW3_POLL 0x04u
#define OCW3_SMM 0x20u
#define OCW3_ESMM 0x40u
#define OCW2_CMD_SHIFT 5
#define OCW2_LEVEL_MASK 7u
#define BASE_BITS 0xf8u
#define POLL_INT 0x80u
#define SPURIOUS_IRQ 7u
#define NO_IRQ 8u
/* IRQ 0, 1, 2 (timer, keyboard, cascade) and 8, 13 are always edge (PIIX ELCR). */
#define ELCR_MASTER_BITS 0xf8u
#define ELCR_SLAVE_BITS 0xdeu

/* OCW2 commands (R, SL, EOI in bits 7:5). */
enum {
	OCW2_ROTATE_AEOI_CLEAR = 0,
	OCW2_EOI = 1,
	OCW2_NOP = 2,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4,
	OCW2_ROTATE_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

static void chip_reset(struct vpic_chip *c, uint8_t elcr_bits)
{
	/* ICW1 resets all but the ELCR, which is not part of the 8259A, and the inputs (write_cmd). */
	c->irr = 0;
	c->isr = 0;
	c->imr = 0;
	c->lines = 0;
	c->base = 0;
	c->icw3 = 0;
	c->init_step = 0;
	c->priority_add = 0;
	c->icw4_needed = false;
	c->single = false;
	c->ltim = false;
	c->auto_eoi = false;
	c->rotate_on_aeoi = false;
	c->sfnm = false;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->elcr_bits = elcr_bits;
}

void vpic_init(struct vpic *pic)
{
	chip_reset(&pic->chip[0], ELCR_MASTER_BITS);
	chip_reset(&pic->chip[1], ELCR_SLAVE_BITS);
	pic->chip[0].elcr = 0;
	pic->chip[1].elcr = 0;
}

/* Priority 0 (highest) .. 7 of the highest set bit in `mask`, NO_IRQ if none. */
static unsigned best_priority(const struct vpic_chip *c, uint8_t mask)
{
	for (unsigned p = 0; p < 8; p++)
		if ((mask >> ((p + c->priority_add) & 7u)) & 1u)
			return p;
	return NO_IRQ;
}

/* The IRQ (0-7) this chip would signal now, NO_IRQ if none. */
static unsigned chip_pending(const struct vpic_chip *c, bool master)
{
	unsigned req = best_priority(c, c->irr & (uint8_t)~c->imr);
	if (req == NO_IRQ)
		return NO_IRQ;
	uint8_t in_service = c->isr;
	/* Special mask mode: a masked level in service blocks nobody (datasheet OCW3). */
	if (c->special_mask)
		in_service &= (uint8_t)~c->imr;
	/* Special fully nested: the slave's requests may nest within its own service. */
	if (master && c->sfnm)
		in_service &= (uint8_t)~(1u << VPIC_CASCADE_IRQ);
	if (req >= best_priority(c, in_service))
		return NO_IRQ;
	return (req + c->priority_add) & 7u;
}

static bool level_mode(const struct vpic_chip *c, unsigned bit)
{
	return c->ltim || ((c->elcr >> bit) & 1u);
}

/* The slave's INTR is the master's IR2 input, a level. */
static void cascade(struct vpic *pic)
{
	struct vpic_chip *m = &pic->chip[0];
	if (chip_pending(&pic->chip[1], false) != NO_IRQ) {
		m->irr |= 1u << VPIC_CASCADE_IRQ;
	} else {
		m->irr &= (uint8_t)~(1u << VPIC_CASCADE_IRQ);
	}
}

/* Acknowledge `irq` on a chip: IRR -> ISR, or rotation in auto-EOI. */
static void chip_ack(struct vpic_chip *c, unsigned irq)
{
	/* A level request stays in IRR while its line is high. */
	if (!level_mode(c, irq))
		c->irr &= (uint8_t)~(1u << irq);
	if (!c->auto_eoi) {
		c->isr |= (uint8_t)(1u << irq);
	} else if (c->rotate_on_aeoi) {
		c->priority_add = (uint8_t)((irq + 1u) & 7u);
	}
}

bool vpic_output(const struct vpic *pic)
{
	return chip_pending(&pic->chip[0], true) != NO_IRQ;
}

uint8_t vpic_intack(struct vpic *pic)
{
	struct vpic_chip *m = &pic->chip[0], *s = &pic->chip[1];
	unsigned irq = chip_pending(m, true);
	if (irq == NO_IRQ)
		return (uint8_t)(m->base | SPURIOUS_IRQ); /* the request went away */
	chip_ack(m, irq);
	uint8_t vector = (uint8_t)(m->base + irq);
	if (irq == VPIC_CASCADE_IRQ) {
		unsigned sirq = chip_pending(s, false);
		if (sirq == NO_IRQ) {
			vector = (uint8_t)(s->base | SPURIOUS_IRQ);
		} else {
			chip_ack(s, sirq);
			vector = (uint8_t)(s->base + sirq);
		}
	}
	cascade(pic);
	return vector;
}

int vpic_set_irq(struct vpic *pic, unsigned irq, bool high)
{
	/* IR2 of the master is the slave's output, no device's line. */
	if (irq >= VPIC_IRQS || irq == VPIC_CASCADE_IRQ)
		return -TERN_EINVAL;
	struct vpic_chip *c = &pic->chip[irq >> 3];
	unsigned bit = irq & 7u;
	uint8_t m = (uint8_t)(1u << bit);
	if (level_mode(c, bit)) {
		if (high) {
			c->irr |= m;
		} else {
			c->irr &= (uint8_t)~m;
		}
	} else if (high && !(c->lines & m)) {
		c->irr |= m; /* edge: the rising edge is latched until INTA, masked or not */
	}
	if (high) {
		c->lines |= m;
	} else {
		c->lines &= (uint8_t)~m;
	}
	cascade(pic);
	return 0;
}

static void ocw2(struct vpic_chip *c, uint8_t value)
{
	unsigned cmd = value >> OCW2_CMD_SHIFT;
	unsigned level = value & OCW2_LEVEL_MASK;
	unsigned top = best_priority(c, c->isr);
	switch (cmd) {
	case OCW2_ROTATE_AEOI_CLEAR:
	case OCW2_ROTATE_AEOI_SET:
		c->rotate_on_aeoi = cmd == OCW2_ROTATE_AEOI_SET;
		break;
	case OCW2_EOI:
	case OCW2_ROTATE_EOI:
		if (top == NO_IRQ)
			break;
		level = (top + c->priority_add) & 7u;
		c->isr &= (uint8_t)~(1u << level);
		if (cmd == OCW2_ROTATE_EOI)
			c->priority_add = (uint8_t)((level + 1u) & 7u);
		break;
	case OCW2_SPECIFIC_EOI:
	case OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= (uint8_t)~(1u << level);
		if (cmd == OCW2_ROTATE_SPECIFIC_EOI)
			c->priority_add = (uint8_t)((level + 1u) & 7u);
		break;
	case OCW2_SET_PRIORITY:
		c->priority_add = (uint8_t)((level + 1u) & 7u); /* `level` becomes the lowest */
		break;
	default: /* OCW2_NOP */
		break;
	}
}

static void write_cmd(struct vpic_chip *c, uint8_t value)
{
	if (value & ICW1_INIT) {
		/*
		 * ICW1 resets the edge sense circuit, not the inputs (8259A
		 * datasheet, ICW1): an edge input must go low, then high to
		 * request again; a level input still high requests at once.
		 */
		uint8_t elcr = c->elcr, lines = c->lines;
		chip_reset(c, c->elcr_bits);
		c->elcr = elcr;
		c->lines = lines;
		c->icw4_needed = value & ICW1_IC4;
		c->single = value & ICW1_SNGL;
		c->ltim = value & ICW1_LTIM;
		c->irr = lines & (c->ltim ? 0xffu : elcr);
		c->init_step = 2;
		return;
	}
	if (!(value & OCW3_SELECT)) {
		ocw2(c, value);
		return;
	}
	/* OCW3 */
	if (value & OCW3_POLL)
		c->poll = true;
	if (value & OCW3_RR)
		c->read_isr = value & OCW3_RIS;
	if (value & OCW3_ESMM)
		c->special_mask = value & OCW3_SMM;
}

static void write_data(struct vpic_chip *c, uint8_t value)
{
	switch (c->init_step) {
	case 2:
		c->base = value & BASE_BITS;
		c->init_step = c->single ? (c->icw4_needed ? 4 : 0) : 3;
		break;
	case 3:
		c->icw3 = value;
		c->init_step = c->icw4_needed ? 4 : 0;
		break;
	case 4:
		c->auto_eoi = value & ICW4_AEOI;
		c->sfnm = value & ICW4_SFNM;
		c->init_step = 0;
		break;
	default:
		c->imr = value; /* OCW1 */
		break;
	}
}

/* Poll (OCW3 P): the highest request as 0x80 | level, acknowledged like INTA. */
static uint8_t poll_read(struct vpic *pic, unsigned idx)
{
	struct vpic_chip *c = &pic->chip[idx];
	c->poll = false;
	unsigned irq = chip_pending(c, idx == 0);
	if (irq == NO_IRQ)
		return 0;
	chip_ack(c, irq);
	return (uint8_t)(POLL_INT | irq);
}

int vpic_io_read(struct vpic *pic, uint16_t port, uint8_t *value)
{
	switch (port) {
	case VPIC_MASTER_CMD:
	case VPIC_SLAVE_CMD: {
		unsigned idx = port == VPIC_SLAVE_CMD;
		struct vpic_chip *c = &pic->chip[idx];
		if (c->poll) {
			*value = poll_read(pic, idx);
			cascade(pic);
		} else {
			*value = c->read_isr ? c->isr : c->irr;
		}
		return 0;
	}
	case VPIC_MASTER_DATA:
	case VPIC_SLAVE_DATA:
		*value = pic->chip[port == VPIC_SLAVE_DATA].imr;
		return 0;
	case VPIC_ELCR_MASTER:
	case VPIC_ELCR_SLAVE:
		*value = pic->chip[port == VPIC_ELCR_SLAVE].elcr;
		return 0;
	default:
		*value = 0xff;
		return -TERN_ENOENT;
	}
}

int vpic_io_write(struct vpic *pic, uint16_t port, uint8_t value)
{
	switch (port) {
	case VPIC_MASTER_CMD:
	case VPIC_SLAVE_CMD:
		write_cmd(&pic->chip[port == VPIC_SLAVE_CMD], value);
		break;
	case VPIC_MASTER_DATA:
	case VPIC_SLAVE_DATA:
		write_data(&pic->chip[port == VPIC_SLAVE_DATA], value);
		break;
	case VPIC_ELCR_MASTER:
	case VPIC_ELCR_SLAVE: {
		struct vpic_chip *c = &pic->chip[port == VPIC_ELCR_SLAVE];
		uint8_t old = c->elcr;
		c->elcr = value & c->elcr_bits;
		/*
		 * A pin that becomes level-sensitive requests while its line is
		 * high, as if it had just risen (IRR follows a level input);
		 * one that becomes edge keeps what it latched.
		 */
		uint8_t now_level = (uint8_t)(c->elcr & ~old);
		c->irr = (uint8_t)((c->irr & ~now_level) | (c->lines & now_level));
		break;
	}
	default:
		return -TERN_ENOENT;
	}
	cascade(pic);
	return 0;
}
