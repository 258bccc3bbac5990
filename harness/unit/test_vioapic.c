/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual IOAPIC against the 82093AA datasheet: indirect registers,
 * redirection entries, edge and level delivery with remote IRR, EOI from a
 * vLAPIC with re-delivery of a still-asserted line.
 */
#include "unit.h"
#include "vioapic.h"
#include "err.h"

static struct vioapic io;
static struct vioapic_out out;

static void setup(void)
{
	vioapic_init(&io, 3);
	out.count = 99;
}

static uint32_t rdreg(uint32_t reg)
{
	uint32_t v = 0xdeadbeef;
	vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, reg, &out);
	vioapic_mmio_read(&io, VIOAPIC_IOWIN, &v);
	return v;
}

static void wrreg(uint32_t reg, uint32_t val)
{
	vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, reg, &out);
	vioapic_mmio_write(&io, VIOAPIC_IOWIN, val, &out);
}

static void set_rte(unsigned pin, uint32_t lo, uint8_t dest)
{
	wrreg(VIOAPIC_REG_REDIR0 + 2 * pin + 1, (uint32_t)dest << 24);
	wrreg(VIOAPIC_REG_REDIR0 + 2 * pin, lo);
}

static void line(unsigned pin, bool high)
{
	ck_assert_int_eq(vioapic_set_line(&io, pin, high, &out), 0);
}

START_TEST(test_registers)
{
	ck_assert_uint_eq(rdreg(VIOAPIC_REG_ID), 3u << 24);
	ck_assert_uint_eq(rdreg(VIOAPIC_REG_VERSION), 0x00170011u);
	ck_assert_uint_eq(rdreg(VIOAPIC_REG_ARB), 3u << 24);
	wrreg(VIOAPIC_REG_ID, 0xffffffffu);
	ck_assert_uint_eq(rdreg(VIOAPIC_REG_ID), 0x0f000000u);
	wrreg(VIOAPIC_REG_VERSION, 0);
	wrreg(VIOAPIC_REG_ARB, 0);
	ck_assert_uint_eq(rdreg(VIOAPIC_REG_VERSION), 0x00170011u);
	ck_assert_uint_eq(rdreg(VIOAPIC_REG_ARB), 0x0f000000u);
	/* every entry starts masked */
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		ck_assert_uint_eq(rdreg(VIOAPIC_REG_REDIR0 + 2 * pin), 0x10000u);
		ck_assert_uint_eq(rdreg(VIOAPIC_REG_REDIR0 + 2 * pin + 1), 0);
	}
	/* reserved and read-only bits */
	wrreg(VIOAPIC_REG_REDIR0 + 4, 0xffffffffu);
	ck_assert_uint_eq(rdreg(VIOAPIC_REG_REDIR0 + 4), 0x1afffu);
	wrreg(VIOAPIC_REG_REDIR0 + 5, 0xffffffffu);
	ck_assert_uint_eq(rdreg(VIOAPIC_REG_REDIR0 + 5), 0xff000000u);
	/* no register: reads 0, writes go nowhere */
	wrreg(0x03, 0x1234);
	ck_assert_uint_eq(rdreg(0x03), 0);
	wrreg(0x40, 0x1234);
	ck_assert_uint_eq(rdreg(0x40), 0);
	ck_assert_uint_eq(rdreg(0x0f), 0);
	/* IOREGSEL is 8 bits; other window offsets are nothing */
	vioapic_mmio_write(&io, VIOAPIC_IOREGSEL, 0xffffff01u, &out);
	uint32_t v;
	vioapic_mmio_read(&io, VIOAPIC_IOREGSEL, &v);
	ck_assert_uint_eq(v, 0x01);
	vioapic_mmio_write(&io, 0x04, 0x10, &out);
	vioapic_mmio_read(&io, VIOAPIC_IOREGSEL, &v);
	ck_assert_uint_eq(v, 0x01);
	vioapic_mmio_read(&io, 0x14, &v);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(vioapic_set_line(&io, 24, true, &out), -TERN_EINVAL);
	ck_assert_int_eq(vioapic_set_line(&io, 0xffffffffu, true, &out), -TERN_EINVAL);
	ck_assert_uint_eq(out.count, 0);
}
END_TEST

START_TEST(test_edge)
{
	set_rte(1, 0x31 | VLAPIC_ICR_LOGICAL, 0x0c);
	ck_assert_uint_eq(out.count, 0);
	line(1, true);
	ck_assert_uint_eq(out.count, 1);
	ck_assert_uint_eq(out.msg[0].vector, 0x31);
	ck_assert_uint_eq(out.msg[0].delivery, VLAPIC_DM_FIXED);
	ck_assert(out.msg[0].logical && !out.msg[0].level && !out.msg[0].x2apic);
	ck_assert_uint_eq(out.msg[0].dest, 0x0c);
	line(1, true); /* no transition */
	ck_assert_uint_eq(out.count, 0);
	line(1, false);
	ck_assert_uint_eq(out.count, 0);
	line(1, false);
	ck_assert_uint_eq(out.count, 0);
	line(1, true);
	ck_assert_uint_eq(out.count, 1);
	/* masked: the edge is lost, unmasking later delivers nothing */
	line(1, false);
	set_rte(1, 0x31 | VIOAPIC_RTE_MASKED, 0);
	line(1, true);
	ck_assert_uint_eq(out.count, 0);
	set_rte(1, 0x31, 0);
	ck_assert_uint_eq(out.count, 0);
	/* active low: the falling edge asserts */
	set_rte(2, 0x32 | VIOAPIC_RTE_POLARITY_LOW | (VLAPIC_DM_LOWEST << 8), 1);
	line(2, true);
	ck_assert_uint_eq(out.count, 0);
	line(2, false);
	ck_assert_uint_eq(out.count, 1);
	ck_assert_uint_eq(out.msg[0].delivery, VLAPIC_DM_LOWEST);
	/* an edge entry never shows remote IRR, and EOI does nothing to it */
	ck_assert_uint_eq(rdreg(VIOAPIC_REG_REDIR0 + 4) & VIOAPIC_RTE_REMOTE_IRR, 0);
	vioapic_eoi(&io, 0x32, &out);
	ck_assert_uint_eq(out.count, 0);
}
END_TEST

START_TEST(test_level_remote_irr_eoi)
{
	set_rte(9, 0x49 | VIOAPIC_RTE_LEVEL, 2);
	line(9, true);
	ck_assert_uint_eq(out.count, 1);
	ck_assert(out.msg[0].level);
	ck_assert_uint_eq(rdreg(VIOAPIC_REG_REDIR0 + 18), 0x49 | VIOAPIC_RTE_LEVEL | VIOAPIC_RTE_REMOTE_IRR);
	/* no re-delivery while remote IRR is set */
	line(9, false);
	line(9, true);
	ck_assert_uint_eq(out.count, 0);
	/* a write cannot clear remote IRR */
	wrreg(VIOAPIC_REG_REDIR0 + 18, 0x49 | VIOAPIC_RTE_LEVEL);
	ck_assert_uint_eq(out.count, 0);
	ck_assert(rdreg(VIOAPIC_REG_REDIR0 + 18) & VIOAPIC_RTE_REMOTE_IRR);
	/* EOI of another vector: nothing */
	vioapic_eoi(&io, 0x48, &out);
	ck_assert_uint_eq(out.count, 0);
	/* EOI with the line still asserted: delivered again */
	vioapic_eoi(&io, 0x49, &out);
	ck_assert_uint_eq(out.count, 1);
	ck_assert(rdreg(VIOAPIC_REG_REDIR0 + 18) & VIOAPIC_RTE_REMOTE_IRR);
	/* EOI after the line dropped: remote IRR clears, nothing delivered */
	line(9, false);
	vioapic_eoi(&io, 0x49, &out);
	ck_assert_uint_eq(out.count, 0);
	ck_assert_uint_eq(rdreg(VIOAPIC_REG_REDIR0 + 18), 0x49 | VIOAPIC_RTE_LEVEL);
	/* masked level: held; unmasking with the line asserted delivers */
	set_rte(9, 0x49 | VIOAPIC_RTE_LEVEL | VIOAPIC_RTE_MASKED, 2);
	line(9, true);
	ck_assert_uint_eq(out.count, 0);
	wrreg(VIOAPIC_REG_REDIR0 + 18, 0x49 | VIOAPIC_RTE_LEVEL);
	ck_assert_uint_eq(out.count, 1);
	/* switching to edge drops remote IRR */
	wrreg(VIOAPIC_REG_REDIR0 + 18, 0x49);
	ck_assert_uint_eq(rdreg(VIOAPIC_REG_REDIR0 + 18), 0x49);
	/* two pins sharing a vector are both re-delivered by one EOI */
	set_rte(10, 0x50 | VIOAPIC_RTE_LEVEL, 0);
	set_rte(11, 0x50 | VIOAPIC_RTE_LEVEL | VIOAPIC_RTE_POLARITY_LOW, 1);
	ck_assert_uint_eq(out.count, 1); /* pin 11 is low = asserted */
	line(10, true);
	ck_assert_uint_eq(out.count, 1);
	vioapic_eoi(&io, 0x50, &out);
	ck_assert_uint_eq(out.count, 2);
	ck_assert_uint_eq(out.msg[0].dest, 0);
	ck_assert_uint_eq(out.msg[1].dest, 1);
}
END_TEST

/* The whole loop: IOAPIC -> vLAPIC -> ack -> EOI -> IOAPIC. */
START_TEST(test_with_vlapic)
{
	struct vlapic l[2];
	struct vlapic *lp[2] = { &l[0], &l[1] };
	struct vlapic_result res;
	for (unsigned i = 0; i < 2; i++) {
		vlapic_init(&l[i], i, i, i == 0, 1);
		vlapic_mmio_write(&l[i], VLAPIC_SVR, 0x1ff, 0, &res);
	}
	set_rte(4, 0x64 | VIOAPIC_RTE_LEVEL, 1);
	line(4, true);
	ck_assert_uint_eq(out.count, 1);
	ck_assert_uint_eq(vlapic_route(lp, 2, &out.msg[0]), 2u);
	ck_assert_int_eq(vlapic_accept(&l[1], &out.msg[0]), VLAPIC_EV_IRR);
	ck_assert_int_eq(vlapic_pending_vector(&l[1]), 0x64);
	ck_assert_int_eq(vlapic_ack(&l[1], 0x64), 0);
	vlapic_mmio_write(&l[1], VLAPIC_EOI, 0, 0, &res);
	ck_assert_int_eq(res.eoi_vector, 0x64);
	vioapic_eoi(&io, (uint8_t)res.eoi_vector, &out);
	ck_assert_uint_eq(out.count, 1); /* still asserted */
	vlapic_accept(&l[1], &out.msg[0]);
	ck_assert_int_eq(vlapic_pending_vector(&l[1]), 0x64);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vioapic");
	TCase *tc = tcase_create("vioapic");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_registers);
	tcase_add_test(tc, test_edge);
	tcase_add_test(tc, test_level_remote_irr_eoi);
	tcase_add_test(tc, test_with_vlapic);
	suite_add_tcase(s, tc);
	return s;
}
