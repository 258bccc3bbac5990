/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual 8259A pair against the datasheet: the ICW sequence as Linux and
 * firmware program it, masking, priorities and rotation, EOI kinds, OCW3
 * reads and poll, auto-EOI, special mask, ELCR level triggering, cascade.
 */
#include "unit.h"
#include "vpic.h"
#include "vpit.h"
#include "vrtc.h"
#include "vlapic.h"
#include "err.h"

static struct vpic pic;

static void out8(uint16_t port, uint8_t v) { ck_assert_int_eq(vpic_io_write(&pic, port, v), 0); }

static uint8_t in8(uint16_t port)
{
	uint8_t v = 0x5a;
	ck_assert_int_eq(vpic_io_read(&pic, port, &v), 0);
	return v;
}

static void irq(unsigned n, bool high) { ck_assert_int_eq(vpic_set_irq(&pic, n, high), 0); }

static void pulse(unsigned n)
{
	irq(n, true);
	irq(n, false);
}

/* The usual PC set-up: master at 0x20, slave at 0x28 on IR2, 8086 mode. */
static void init_pc(uint8_t icw4)
{
	out8(0x20, 0x11);
	out8(0x21, 0x20);
	out8(0x21, 0x04);
	out8(0x21, icw4);
	out8(0xa0, 0x11);
	out8(0xa1, 0x28);
	out8(0xa1, 0x02);
	out8(0xa1, icw4);
	out8(0x21, 0x00);
	out8(0xa1, 0x00);
}

static void setup(void)
{
	vpic_init(&pic);
	init_pc(0x01);
}

START_TEST(test_init_sequence)
{
	ck_assert_uint_eq(pic.chip[0].base, 0x20);
	ck_assert_uint_eq(pic.chip[1].base, 0x28);
	ck_assert_uint_eq(pic.chip[0].icw3, 0x04);
	ck_assert_uint_eq(pic.chip[1].icw3, 0x02);
	out8(0x21, 0xfb);
	ck_assert_uint_eq(in8(0x21), 0xfb); /* OCW1 after the sequence */
	/* ICW1 clears the IMR; ICW2 keeps only bits 7:3 */
	out8(0x20, 0x13); /* single, ICW4 needed */
	ck_assert_uint_eq(in8(0x21), 0);
	out8(0x21, 0x47);
	ck_assert_uint_eq(pic.chip[0].base, 0x40);
	out8(0x21, 0x03); /* straight to ICW4 in single mode: auto-EOI */
	ck_assert(pic.chip[0].auto_eoi);
	out8(0x21, 0x99);
	ck_assert_uint_eq(in8(0x21), 0x99);
	/* no ICW4: two data writes end the sequence */
	out8(0x20, 0x10);
	out8(0x21, 0x30);
	out8(0x21, 0x04);
	ck_assert(!pic.chip[0].auto_eoi);
	out8(0x21, 0x55);
	ck_assert_uint_eq(in8(0x21), 0x55);
	/* single without ICW4 */
	out8(0x20, 0x12);
	out8(0x21, 0x30);
	out8(0x21, 0x66);
	ck_assert_uint_eq(in8(0x21), 0x66);
	/* other ports are not the PIC's */
	uint8_t v;
	ck_assert_int_eq(vpic_io_read(&pic, 0x22, &v), -TERN_ENOENT);
	ck_assert_uint_eq(v, 0xff);
	ck_assert_int_eq(vpic_io_write(&pic, 0x4d2, 0), -TERN_ENOENT);
	ck_assert_int_eq(vpic_set_irq(&pic, 16, true), -TERN_EINVAL);
	ck_assert_int_eq(vpic_set_irq(&pic, 2, true), -TERN_EINVAL);
}
END_TEST

START_TEST(test_edge_mask_priority_eoi)
{
	ck_assert(!vpic_output(&pic));
	ck_assert_uint_eq(vpic_intack(&pic), 0x27); /* nothing: spurious IRQ7 */
	pulse(4);
	pulse(1);
	ck_assert(vpic_output(&pic));
	ck_assert_uint_eq(in8(0x20), 0x12); /* IRR */
	ck_assert_uint_eq(vpic_intack(&pic), 0x21); /* IRQ1 first */
	out8(0x20, 0x0b); /* OCW3: read ISR */
	ck_assert_uint_eq(in8(0x20), 0x02);
	/* IRQ4 is lower priority than IRQ1 in service */
	ck_assert(!vpic_output(&pic));
	/* IRQ0 is higher: nests */
	pulse(0);
	ck_assert(vpic_output(&pic));
	ck_assert_uint_eq(vpic_intack(&pic), 0x20);
	ck_assert_uint_eq(in8(0x20), 0x03);
	out8(0x20, 0x20); /* non-specific EOI: IRQ0 */
	ck_assert_uint_eq(in8(0x20), 0x02);
	out8(0x20, 0x61); /* specific EOI IRQ1 */
	ck_assert_uint_eq(in8(0x20), 0x00);
	ck_assert_uint_eq(vpic_intack(&pic), 0x24);
	out8(0x20, 0x20);
	out8(0x20, 0x20); /* EOI with nothing in service */
	out8(0x20, 0x0a); /* read IRR again */
	ck_assert_uint_eq(in8(0x20), 0);
	/* masked: latched in IRR, no output, delivered when unmasked */
	out8(0x21, 0x08);
	pulse(3);
	ck_assert_uint_eq(in8(0x20), 0x08);
	ck_assert(!vpic_output(&pic));
	out8(0x21, 0x00);
	ck_assert_uint_eq(vpic_intack(&pic), 0x23);
	out8(0x20, 0x20);
	/* edge: a held line gives one interrupt */
	irq(5, true);
	ck_assert_uint_eq(vpic_intack(&pic), 0x25);
	out8(0x20, 0x20);
	irq(5, true);
	ck_assert(!vpic_output(&pic));
	/* OCW2 no-op leaves everything */
	pulse(6);
	ck_assert_uint_eq(vpic_intack(&pic), 0x26);
	out8(0x20, 0x40);
	out8(0x20, 0x0b);
	ck_assert_uint_eq(in8(0x20), 0x40);
}
END_TEST

START_TEST(test_rotation)
{
	/* set priority: IRQ4 lowest, so IRQ5 highest */
	out8(0x20, 0xc4);
	pulse(3);
	pulse(6);
	ck_assert_uint_eq(vpic_intack(&pic), 0x26);
	/* rotate on non-specific EOI: IRQ6 becomes lowest, IRQ7 highest */
	out8(0x20, 0xa0);
	ck_assert_uint_eq(pic.chip[0].priority_add, 7);
	pulse(0);
	ck_assert_uint_eq(vpic_intack(&pic), 0x20);
	ck_assert(!vpic_output(&pic)); /* IRQ3 is below IRQ0 in this order */
	/* rotate on specific EOI of IRQ0: IRQ0 lowest, IRQ1 highest */
	out8(0x20, 0xe0);
	ck_assert_uint_eq(pic.chip[0].priority_add, 1);
	ck_assert_uint_eq(vpic_intack(&pic), 0x23);
	out8(0x20, 0x0b);
	ck_assert_uint_eq(in8(0x20), 0x08);
	out8(0x20, 0x20);
	ck_assert_uint_eq(in8(0x20), 0);
	out8(0x20, 0xa0); /* rotate EOI with nothing in service: no change */
	ck_assert_uint_eq(pic.chip[0].priority_add, 1);
}
END_TEST

START_TEST(test_auto_eoi_and_poll)
{
	init_pc(0x03); /* auto-EOI */
	pulse(3);
	ck_assert_uint_eq(vpic_intack(&pic), 0x23);
	out8(0x20, 0x0b);
	ck_assert_uint_eq(in8(0x20), 0); /* nothing in service */
	/* rotate in auto-EOI mode */
	out8(0x20, 0x80);
	pulse(3);
	ck_assert_uint_eq(vpic_intack(&pic), 0x23);
	ck_assert_uint_eq(pic.chip[0].priority_add, 4);
	out8(0x20, 0x00); /* clear rotate in AEOI */
	pulse(5);
	ck_assert_uint_eq(vpic_intack(&pic), 0x25);
	ck_assert_uint_eq(pic.chip[0].priority_add, 4);
	/* poll: 0x80 | level, acknowledged; then 0 */
	init_pc(0x01);
	pulse(6);
	out8(0x20, 0x0c);
	ck_assert_uint_eq(in8(0x20), 0x86);
	out8(0x20, 0x0b);
	ck_assert_uint_eq(in8(0x20), 0x40);
	out8(0x20, 0x0c);
	ck_assert_uint_eq(in8(0x20), 0x00);
	/* poll on the slave */
	pulse(12);
	out8(0xa0, 0x0c);
	ck_assert_uint_eq(in8(0xa0), 0x84);
	ck_assert(!vpic_output(&pic)); /* its request was taken by the poll */
}
END_TEST

START_TEST(test_cascade)
{
	pulse(10);
	ck_assert(vpic_output(&pic));
	ck_assert_uint_eq(in8(0x20) & 0x04, 0x04); /* IR2 from the slave */
	ck_assert_uint_eq(vpic_intack(&pic), 0x2a);
	out8(0x20, 0x0b);
	out8(0xa0, 0x0b);
	ck_assert_uint_eq(in8(0x20), 0x04);
	ck_assert_uint_eq(in8(0xa0), 0x04);
	/* a higher slave request waits for the master's EOI (fully nested) */
	pulse(8);
	ck_assert(!vpic_output(&pic));
	out8(0xa0, 0x20);
	out8(0x20, 0x20);
	ck_assert_uint_eq(vpic_intack(&pic), 0x28);
	out8(0xa0, 0x20);
	out8(0x20, 0x20);
	/* special fully nested mode: it may nest */
	init_pc(0x11);
	pulse(10);
	ck_assert_uint_eq(vpic_intack(&pic), 0x2a);
	pulse(8);
	ck_assert(vpic_output(&pic));
	ck_assert_uint_eq(vpic_intack(&pic), 0x28);
	/* the slave's request withdrawn before INTA: spurious IRQ15 */
	init_pc(0x01);
	out8(0xa1, 0x00);
	irq(11, true);
	out8(0x4d1, 0x08); /* IRQ11 level */
	irq(11, true);
	ck_assert(vpic_output(&pic));
	pic.chip[1].imr = 0x08; /* masked behind the master's back */
	ck_assert_uint_eq(vpic_intack(&pic), 0x2f);
	/* slave masked as a whole on the master */
	out8(0xa1, 0x00);
	out8(0x21, 0x04);
	ck_assert(!vpic_output(&pic));
}
END_TEST

/* A pin switched to level in the ELCR while its line is high requests at once. */
START_TEST(test_elcr_to_level_with_line_high)
{
	out8(0x4d0, 0);
	irq(5, true);
	ck_assert_uint_eq(vpic_intack(&pic), 0x25);
	out8(0x20, 0x20);
	ck_assert(!vpic_output(&pic)); /* edge: no new edge, no request */
	out8(0x4d0, 1u << 5);
	ck_assert(vpic_output(&pic));
	ck_assert_uint_eq(vpic_intack(&pic), 0x25);
	out8(0x20, 0x20);
	/* Back to edge: the request it held while level stays latched until INTA, then none. */
	out8(0x4d0, 0);
	irq(5, false);
	ck_assert_uint_eq(vpic_intack(&pic), 0x25);
	out8(0x20, 0x20);
	ck_assert(!vpic_output(&pic));
	out8(0x4d0, 1u << 5); /* level with the line low: no request */
	ck_assert(!vpic_output(&pic));
}
END_TEST

START_TEST(test_level_elcr_ltim)
{
	/* ELCR: IRQ 0-2, 8 and 13 cannot be level */
	out8(0x4d0, 0xff);
	out8(0x4d1, 0xff);
	ck_assert_uint_eq(in8(0x4d0), 0xf8);
	ck_assert_uint_eq(in8(0x4d1), 0xde);
	/* level: IRR follows the line, re-requests after EOI while high */
	irq(9, true);
	ck_assert_uint_eq(vpic_intack(&pic), 0x29);
	out8(0xa0, 0x20);
	out8(0x20, 0x20);
	ck_assert(vpic_output(&pic));
	irq(9, false);
	ck_assert(!vpic_output(&pic));
	/* ICW1 keeps the ELCR */
	init_pc(0x01);
	ck_assert_uint_eq(in8(0x4d1), 0xde);
	/* ICW1.LTIM: every input of the chip is level */
	out8(0x4d0, 0);
	out8(0x20, 0x19);
	out8(0x21, 0x20);
	out8(0x21, 0x04);
	out8(0x21, 0x01);
	irq(1, true);
	ck_assert_uint_eq(vpic_intack(&pic), 0x21);
	out8(0x20, 0x20);
	ck_assert(vpic_output(&pic));
	irq(1, false);
	ck_assert(!vpic_output(&pic));
}
END_TEST

/*
 * ICW1 resets the edge sense, not the inputs (datasheet, ICW1): a level
 * input held high across a re-initialisation (Linux re-inits the PICs on
 * resume) still requests; an edge input held high is no new edge, only a
 * low-to-high transition after the init is.
 */
START_TEST(test_icw1_keeps_held_lines)
{
	out8(0x4d1, 0x02); /* IRQ 9 level */
	irq(4, true);      /* edge, held high */
	ck_assert_uint_eq(vpic_intack(&pic), 0x24);
	out8(0x20, 0x20);
	irq(9, true);
	init_pc(0x01);
	ck_assert(vpic_output(&pic));
	ck_assert_uint_eq(vpic_intack(&pic), 0x29);
	out8(0xa0, 0x20);
	out8(0x20, 0x20);
	/* Level and still high: requested again; IRQ 4 is not. */
	ck_assert_uint_eq(vpic_intack(&pic), 0x29);
	out8(0xa0, 0x20);
	out8(0x20, 0x20);
	irq(9, false);
	ck_assert(!vpic_output(&pic));
	irq(4, true);      /* a repeated "high" is no edge */
	ck_assert(!vpic_output(&pic));
	pulse(4);
	irq(4, true);
	ck_assert_uint_eq(vpic_intack(&pic), 0x24);
}
END_TEST

START_TEST(test_special_mask)
{
	pulse(1);
	ck_assert_uint_eq(vpic_intack(&pic), 0x21);
	pulse(5);
	ck_assert(!vpic_output(&pic)); /* blocked by IRQ1 in service */
	/* special mask: masking IRQ1 lets lower levels through */
	out8(0x20, 0x68);
	out8(0x21, 0x02);
	ck_assert(vpic_output(&pic));
	ck_assert_uint_eq(vpic_intack(&pic), 0x25);
	out8(0x20, 0x48); /* reset special mask */
	ck_assert(!pic.chip[0].special_mask);
	out8(0x20, 0x08); /* OCW3 without ESMM: special mask unchanged */
	ck_assert(!pic.chip[0].special_mask);
}
END_TEST

/*
 * Virtual-wire mode as firmware leaves the BSP: LVT LINT0 = ExtINT. The PIT
 * ticks IRQ 0 and the RTC IRQ 8 (through the slave); the vLAPIC says
 * EXTINT and the INTA takes the vector from the PIC.
 */
START_TEST(test_virtual_wire_pit_rtc)
{
	struct vpit pit;
	struct vrtc rtc;
	struct vlapic bsp;
	struct vlapic_result res;
	const uint64_t hz = 2ull * VPIT_HZ;
	ck_assert_int_eq(vpit_init(&pit, hz), 0);
	ck_assert_int_eq(vrtc_init(&rtc, hz, 0, 0), 0);
	vlapic_init(&bsp, 0, 0, true, 1);
	vlapic_mmio_write(&bsp, VLAPIC_SVR, 0x1ff, 0, &res);
	vlapic_mmio_write(&bsp, VLAPIC_LVT_LINT0, VLAPIC_DM_EXTINT << 8, 0, &res);
	/* PIT channel 0, rate generator, 1193 clocks (1 ms) */
	ck_assert_int_eq(vpit_io_write(&pit, VPIT_CONTROL, 0x34, 0), 0);
	ck_assert_int_eq(vpit_io_write(&pit, VPIT_CH0, 0xa9, 0), 0);
	ck_assert_int_eq(vpit_io_write(&pit, VPIT_CH0, 0x04, 0), 0);
	uint64_t t = vpit_next_deadline(&pit);
	ck_assert_uint_eq(t, 2 * 1193);
	ck_assert(vpit_advance(&pit, t));
	irq(0, true);
	irq(0, false);
	ck_assert(vpic_output(&pic));
	ck_assert_int_eq(vlapic_lint(&bsp, 0), VLAPIC_EV_EXTINT);
	ck_assert_uint_eq(vpic_intack(&pic), 0x20);
	out8(0x20, 0x20);
	/* RTC periodic interrupt on IRQ 8: the slave's vector */
	uint8_t b;
	ck_assert_int_eq(vrtc_io_write(&rtc, VRTC_INDEX, VRTC_REG_B, t), 0);
	ck_assert_int_eq(vrtc_io_write(&rtc, VRTC_DATA, VRTC_B_24H | VRTC_B_PIE, t), 0);
	uint64_t r = vrtc_next_deadline(&rtc);
	ck_assert(vrtc_advance(&rtc, r));
	irq(8, true);
	ck_assert(vpic_output(&pic));
	ck_assert_int_eq(vlapic_lint(&bsp, 0), VLAPIC_EV_EXTINT);
	ck_assert_uint_eq(vpic_intack(&pic), 0x28);
	/* the handler reads register C (IRQ 8 drops) and EOIs both PICs */
	ck_assert_int_eq(vrtc_io_write(&rtc, VRTC_INDEX, VRTC_REG_C, r), 0);
	ck_assert_int_eq(vrtc_io_read(&rtc, VRTC_DATA, r, &b), 0);
	ck_assert_uint_eq(b, VRTC_C_IRQF | VRTC_C_PF);
	irq(8, false);
	out8(0xa0, 0x20);
	out8(0x20, 0x20);
	ck_assert(!vpic_output(&pic));
	/* with LINT0 masked the PIC reaches nobody */
	vlapic_mmio_write(&bsp, VLAPIC_LVT_LINT0, VLAPIC_LVT_MASKED | VLAPIC_DM_EXTINT << 8, 0, &res);
	pulse(0);
	ck_assert(vpic_output(&pic));
	ck_assert_int_eq(vlapic_lint(&bsp, 0), VLAPIC_EV_NONE);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vpic");
	TCase *tc = tcase_create("vpic");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_init_sequence);
	tcase_add_test(tc, test_edge_mask_priority_eoi);
	tcase_add_test(tc, test_rotation);
	tcase_add_test(tc, test_auto_eoi_and_poll);
	tcase_add_test(tc, test_cascade);
	tcase_add_test(tc, test_level_elcr_ltim);
	tcase_add_test(tc, test_elcr_to_level_with_line_high);
	tcase_add_test(tc, test_icw1_keeps_held_lines);
	tcase_add_test(tc, test_special_mask);
	tcase_add_test(tc, test_virtual_wire_pit_rtc);
	suite_add_tcase(s, tc);
	return s;
}
