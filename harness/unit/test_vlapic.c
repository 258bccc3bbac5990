/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual LAPIC against SDM Vol. 3A chapter 10: registers in both modes,
 * priorities, EOI, ESR, IPIs through a small in-test VM of four vLAPICs
 * (route + accept, as the VM-level delivery will do), LVT and the timer.
 */
#include "unit.h"
#include "vlapic.h"
#include "err.h"

#define NCPU 4
#define TPT 10u /* TSC ticks per timer input tick */

static struct vlapic cpu[NCPU];
static struct vlapic *cpus[NCPU];
static enum vlapic_event last_ev[NCPU];
static uint8_t last_vec[NCPU];

static void setup(void)
{
	for (unsigned i = 0; i < NCPU; i++) {
		vlapic_init(&cpu[i], i, i, i == 0, TPT);
		cpus[i] = &cpu[i];
		last_ev[i] = VLAPIC_EV_NONE;
		last_vec[i] = 0;
	}
}

static uint32_t rd(unsigned c, uint32_t off)
{
	uint32_t v = 0xdeadbeef;
	ck_assert_int_eq(vlapic_mmio_read(&cpu[c], off, 0, &v), 0);
	return v;
}

/* The VM-level delivery: route the message, accept it on every target. */
static uint64_t deliver(const struct vlapic_result *res)
{
	if (!res->send)
		return 0;
	uint64_t set = vlapic_route(cpus, NCPU, &res->msg);
	for (unsigned i = 0; i < NCPU; i++)
		if ((set >> i) & 1u) {
			last_ev[i] = vlapic_accept(&cpu[i], &res->msg);
			last_vec[i] = res->msg.vector;
		}
	return set;
}

static struct vlapic_result wr_at(unsigned c, uint32_t off, uint32_t val, uint64_t now)
{
	struct vlapic_result res;
	ck_assert_int_eq(vlapic_mmio_write(&cpu[c], off, val, now, &res), 0);
	return res;
}

static struct vlapic_result wr(unsigned c, uint32_t off, uint32_t val) { return wr_at(c, off, val, 0); }

static void enable(unsigned c) { wr(c, VLAPIC_SVR, VLAPIC_SVR_ENABLE | 0xff); }

static void to_x2apic(unsigned c)
{
	struct guest_fault f;
	vlapic_apic_base_write(&cpu[c], cpu[c].apic_base | VLAPIC_BASE_EXTD, 0, &f);
	ck_assert(!f.valid);
}

/* True: the read raises #GP(0) (-TERN_EFAULT), and reads 0. */
static bool msr_gp_read(unsigned c, uint32_t msr)
{
	uint64_t v = 1;
	int rc = vlapic_msr_read(&cpu[c], msr, 0, &v);
	ck_assert(rc == 0 || rc == -TERN_EFAULT);
	if (rc)
		ck_assert_uint_eq(v, 0);
	return rc != 0;
}

static uint64_t msr_rd(unsigned c, uint32_t msr)
{
	uint64_t v = 0;
	ck_assert_int_eq(vlapic_msr_read(&cpu[c], msr, 0, &v), 0);
	return v;
}

/* A write that must not raise #GP. */
static struct vlapic_result msr_wr(unsigned c, uint32_t msr, uint64_t val)
{
	struct vlapic_result res;
	ck_assert_int_eq(vlapic_msr_write(&cpu[c], msr, val, 0, &res), 0);
	return res;
}

/* True: the write raises #GP(0) (-TERN_EFAULT) and sends nothing. */
static bool msr_gp_write(unsigned c, uint32_t msr, uint64_t val)
{
	struct vlapic_result res;
	int rc = vlapic_msr_write(&cpu[c], msr, val, 0, &res);
	ck_assert(rc == 0 || rc == -TERN_EFAULT);
	if (rc)
		ck_assert(!res.send && res.eoi_vector < 0);
	return rc != 0;
}

static bool irr(unsigned c, unsigned v) { return (rd(c, VLAPIC_IRR0 + (v >> 5) * 16) >> (v & 31)) & 1u; }
static bool isr(unsigned c, unsigned v) { return (rd(c, VLAPIC_ISR0 + (v >> 5) * 16) >> (v & 31)) & 1u; }
static bool tmr(unsigned c, unsigned v) { return (rd(c, VLAPIC_TMR0 + (v >> 5) * 16) >> (v & 31)) & 1u; }

static uint32_t esr(unsigned c)
{
	wr(c, VLAPIC_ESR, 0);
	return rd(c, VLAPIC_ESR);
}

static struct vlapic_msg fixed_msg(uint8_t vector, uint32_t dest, bool logical)
{
	struct vlapic_msg m = { .vector = vector, .delivery = VLAPIC_DM_FIXED, .logical = logical,
				.assert = true, .dest = dest };
	return m;
}

START_TEST(test_reset_state)
{
	ck_assert_uint_eq(rd(2, VLAPIC_ID), 2u << 24);
	ck_assert_uint_eq(rd(0, VLAPIC_VERSION), 0x00050014u);
	ck_assert_uint_eq(rd(0, VLAPIC_SVR), 0xff);
	ck_assert_uint_eq(rd(0, VLAPIC_DFR), 0xffffffffu);
	ck_assert_uint_eq(rd(0, VLAPIC_LDR), 0);
	for (uint32_t off = VLAPIC_LVT_TIMER; off <= VLAPIC_LVT_ERROR; off += 16)
		ck_assert_uint_eq(rd(0, off), VLAPIC_LVT_MASKED);
	ck_assert_uint_eq(cpu[0].apic_base, 0xfee00000u | VLAPIC_BASE_EN | VLAPIC_BASE_BSP);
	ck_assert_uint_eq(cpu[1].apic_base, 0xfee00000u | VLAPIC_BASE_EN);
	ck_assert(!vlapic_sw_enabled(&cpu[0]));
	ck_assert(!vlapic_x2apic(&cpu[0]));
	ck_assert_int_eq(vlapic_pending_vector(&cpu[0]), -1);
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), UINT64_MAX);
	/* tsc_per_tick 0 is taken as 1 */
	struct vlapic l;
	vlapic_init(&l, 0, 0, true, 0);
	ck_assert_uint_eq(l.tsc_per_tick, 1);
}
END_TEST

START_TEST(test_xapic_readonly_and_reserved)
{
	wr(0, VLAPIC_ID, 0x55000000u);       /* read-only here */
	ck_assert_uint_eq(rd(0, VLAPIC_ID), 0);
	wr(0, VLAPIC_VERSION, 0);
	wr(0, VLAPIC_PPR, 0xff);
	wr(0, VLAPIC_APR, 0xff);
	wr(0, VLAPIC_RRD, 0xff);
	wr(0, VLAPIC_IRR0, 0xffffffffu);
	wr(0, VLAPIC_TIMER_CCR, 5);
	ck_assert_uint_eq(rd(0, VLAPIC_VERSION), 0x00050014u);
	ck_assert_uint_eq(rd(0, VLAPIC_IRR0), 0);
	ck_assert_uint_eq(rd(0, VLAPIC_PPR), 0);
	ck_assert_uint_eq(rd(0, VLAPIC_RRD), 0);
	ck_assert_uint_eq(rd(0, VLAPIC_EOI), 0);
	ck_assert_uint_eq(esr(0), 0); /* none of that is an error */
	/* reserved offsets, misaligned and out-of-page: illegal register address */
	ck_assert_uint_eq(rd(0, 0x2f0), 0);
	ck_assert_uint_eq(esr(0), VLAPIC_ESR_ILLEGAL_REG);
	ck_assert_uint_eq(esr(0), 0); /* cleared by the write */
	wr(0, VLAPIC_SELF_IPI, 0x40); /* x2APIC only */
	ck_assert_uint_eq(esr(0), VLAPIC_ESR_ILLEGAL_REG);
	ck_assert_uint_eq(rd(0, VLAPIC_TPR + 4), 0);
	ck_assert_uint_eq(esr(0), VLAPIC_ESR_ILLEGAL_REG);
	wr(0, VLAPIC_TPR + 4, 0x50);
	ck_assert_uint_eq(esr(0), VLAPIC_ESR_ILLEGAL_REG);
	ck_assert_uint_eq(rd(0, VLAPIC_TPR), 0);
	wr(0, 0x1000, 1);
	ck_assert_uint_eq(esr(0), VLAPIC_ESR_ILLEGAL_REG);
	ck_assert_uint_eq(rd(0, 0x1020), 0);
	ck_assert_uint_eq(esr(0), VLAPIC_ESR_ILLEGAL_REG);
	wr(0, 0xffffffff0u & 0xffffffffu, 1);
	ck_assert_uint_eq(esr(0), VLAPIC_ESR_ILLEGAL_REG);
	/* reserved bits are dropped */
	wr(0, VLAPIC_TPR, 0xffffff37u);
	ck_assert_uint_eq(rd(0, VLAPIC_TPR), 0x37);
	wr(0, VLAPIC_LDR, 0xffffffffu);
	ck_assert_uint_eq(rd(0, VLAPIC_LDR), 0xff000000u);
	wr(0, VLAPIC_DFR, 0);
	ck_assert_uint_eq(rd(0, VLAPIC_DFR), 0x0fffffffu);
	wr(0, VLAPIC_ICR_HI, 0xffffffffu);
	ck_assert_uint_eq(rd(0, VLAPIC_ICR_HI), 0xff000000u);
	wr(0, VLAPIC_TIMER_DCR, 0xffffffffu);
	ck_assert_uint_eq(rd(0, VLAPIC_TIMER_DCR), 0xb);
	enable(0);
	wr(0, VLAPIC_LVT_LINT0, 0xffffffffu);
	ck_assert_uint_eq(rd(0, VLAPIC_LVT_LINT0), 0x1a7ffu);
	wr(0, VLAPIC_LVT_ERROR, 0xffffffffu);
	ck_assert_uint_eq(rd(0, VLAPIC_LVT_ERROR), 0x100ffu);
	wr(0, VLAPIC_LVT_PERF, 0xffffffffu);
	ck_assert_uint_eq(rd(0, VLAPIC_LVT_PERF), 0x107ffu);
	wr(0, VLAPIC_SVR, 0xffffffffu);
	ck_assert_uint_eq(rd(0, VLAPIC_SVR), 0x3ffu);
}
END_TEST

START_TEST(test_not_xapic_is_not_the_page)
{
	uint32_t v = 7;
	struct vlapic_result res;
	to_x2apic(1);
	ck_assert_int_eq(vlapic_mmio_read(&cpu[1], VLAPIC_ID, 0, &v), -TERN_ENODEV);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(vlapic_mmio_write(&cpu[1], VLAPIC_TPR, 0x20, 0, &res), -TERN_ENODEV);
	ck_assert_uint_eq(msr_rd(1, VLAPIC_MSR(VLAPIC_TPR)), 0);
	/* x2APIC MSRs are #GP in xAPIC mode */
	ck_assert(msr_gp_read(0, VLAPIC_MSR(VLAPIC_ID)));
	ck_assert(msr_gp_write(0, VLAPIC_MSR(VLAPIC_TPR), 0));
	ck_assert(msr_gp_read(1, 0x7ff));
	ck_assert(msr_gp_read(1, 0x900));
}
END_TEST

START_TEST(test_ppr_apr_rules)
{
	enable(0);
	/* PPR = TPR when TPR class >= ISR class, else ISRV & 0xf0 (10.8.3.1) */
	wr(0, VLAPIC_TPR, 0x35);
	ck_assert_uint_eq(rd(0, VLAPIC_PPR), 0x35);
	struct vlapic_msg m = fixed_msg(0x51, 0, false);
	ck_assert_int_eq(vlapic_accept(&cpu[0], &m), VLAPIC_EV_IRR);
	ck_assert_uint_eq(rd(0, VLAPIC_APR), 0x50); /* IRR class above TPR */
	ck_assert_int_eq(vlapic_pending_vector(&cpu[0]), 0x51);
	ck_assert_int_eq(vlapic_ack(&cpu[0], 0x51), 0);
	ck_assert_uint_eq(rd(0, VLAPIC_PPR), 0x50);
	ck_assert_uint_eq(rd(0, VLAPIC_APR), 0x50);
	ck_assert(isr(0, 0x51) && !irr(0, 0x51));
	/* same class as in service: not deliverable; higher class: deliverable */
	m.vector = 0x5f;
	vlapic_accept(&cpu[0], &m);
	ck_assert_int_eq(vlapic_pending_vector(&cpu[0]), -1);
	ck_assert_int_eq(vlapic_ack(&cpu[0], 0x5f), -TERN_EINVAL);
	m.vector = 0x60;
	vlapic_accept(&cpu[0], &m);
	ck_assert_int_eq(vlapic_pending_vector(&cpu[0]), 0x60);
	ck_assert_int_eq(vlapic_ack(&cpu[0], 0x5f), -TERN_EINVAL); /* below the PPR */
	ck_assert_int_eq(vlapic_ack(&cpu[0], 0x70), -TERN_EINVAL); /* not in IRR */
	/* TPR above everything: APR = TPR */
	wr(0, VLAPIC_TPR, 0x7a);
	ck_assert_uint_eq(rd(0, VLAPIC_APR), 0x7a);
	ck_assert_uint_eq(rd(0, VLAPIC_PPR), 0x7a);
	ck_assert_int_eq(vlapic_pending_vector(&cpu[0]), -1);
	/* ISR class above TPR and IRR: APR from ISR */
	wr(0, VLAPIC_TPR, 0x10);
	ck_assert_int_eq(vlapic_ack(&cpu[0], 0x60), 0);
	ck_assert_uint_eq(rd(0, VLAPIC_APR), 0x60);
	/* TPR class equal to ISR class: PPR = TPR */
	wr(0, VLAPIC_TPR, 0x6c);
	ck_assert_uint_eq(rd(0, VLAPIC_PPR), 0x6c);
	ck_assert_uint_eq(vlapic_cr8_read(&cpu[0]), 6);
	vlapic_cr8_write(&cpu[0], 0x2);
	ck_assert_uint_eq(rd(0, VLAPIC_TPR), 0x20);
	vlapic_cr8_write(&cpu[0], 0xf3);
	ck_assert_uint_eq(rd(0, VLAPIC_TPR), 0x30);
}
END_TEST

START_TEST(test_eoi_highest_and_level_broadcast)
{
	enable(0);
	struct vlapic_msg m = fixed_msg(0x40, 0, false);
	m.level = true;
	vlapic_accept(&cpu[0], &m);
	ck_assert(tmr(0, 0x40));
	ck_assert_int_eq(vlapic_ack(&cpu[0], 0x40), 0);
	m = fixed_msg(0x90, 0, false);
	vlapic_accept(&cpu[0], &m);
	ck_assert(!tmr(0, 0x90));
	ck_assert_int_eq(vlapic_ack(&cpu[0], 0x90), 0);
	/* EOI retires the highest in service first: the edge 0x90, no broadcast */
	struct vlapic_result res = wr(0, VLAPIC_EOI, 0x1234);
	ck_assert_int_eq(res.eoi_vector, -1);
	ck_assert(!isr(0, 0x90) && isr(0, 0x40));
	res = wr(0, VLAPIC_EOI, 0);
	ck_assert_int_eq(res.eoi_vector, 0x40);
	ck_assert(!isr(0, 0x40));
	res = wr(0, VLAPIC_EOI, 0); /* nothing in service */
	ck_assert_int_eq(res.eoi_vector, -1);
	/* an edge re-arrival clears TMR */
	m.vector = 0x40;
	vlapic_accept(&cpu[0], &m);
	ck_assert(!tmr(0, 0x40));
}
END_TEST

START_TEST(test_software_disable)
{
	struct vlapic_msg m = fixed_msg(0x40, 0, false);
	/* disabled: fixed dropped, NMI/INIT/SIPI still taken */
	ck_assert_int_eq(vlapic_accept(&cpu[0], &m), VLAPIC_EV_NONE);
	m.delivery = VLAPIC_DM_NMI;
	ck_assert_int_eq(vlapic_accept(&cpu[0], &m), VLAPIC_EV_NMI);
	m.delivery = VLAPIC_DM_INIT;
	ck_assert_int_eq(vlapic_accept(&cpu[0], &m), VLAPIC_EV_INIT);
	m.assert = false;
	ck_assert_int_eq(vlapic_accept(&cpu[0], &m), VLAPIC_EV_NONE);
	m.delivery = VLAPIC_DM_SIPI;
	ck_assert_int_eq(vlapic_accept(&cpu[0], &m), VLAPIC_EV_SIPI);
	m.delivery = VLAPIC_DM_EXTINT;
	ck_assert_int_eq(vlapic_accept(&cpu[0], &m), VLAPIC_EV_EXTINT);
	m.delivery = VLAPIC_DM_SMI;
	ck_assert_int_eq(vlapic_accept(&cpu[0], &m), VLAPIC_EV_NONE);
	m.delivery = 3;
	ck_assert_int_eq(vlapic_accept(&cpu[0], &m), VLAPIC_EV_NONE);
	/* LVT mask cannot be cleared while disabled */
	wr(0, VLAPIC_LVT_LINT1, 0x400);
	ck_assert_uint_eq(rd(0, VLAPIC_LVT_LINT1), 0x10400u);
	enable(0);
	wr(0, VLAPIC_LVT_LINT1, 0x400);
	ck_assert_uint_eq(rd(0, VLAPIC_LVT_LINT1), 0x400u);
	m = fixed_msg(0x41, 0, false);
	ck_assert_int_eq(vlapic_accept(&cpu[0], &m), VLAPIC_EV_IRR);
	/* disabling sets every mask; IRR is held */
	wr(0, VLAPIC_SVR, 0xff);
	ck_assert_uint_eq(rd(0, VLAPIC_LVT_LINT1), 0x10400u);
	ck_assert(irr(0, 0x41));
	ck_assert_uint_eq(rd(0, VLAPIC_SVR), 0xff);
}
END_TEST

START_TEST(test_esr_and_illegal_vectors)
{
	enable(0);
	enable(1);
	/* an error LVT with a legal vector interrupts on an error */
	wr(0, VLAPIC_LVT_ERROR, 0xfe);
	wr(0, VLAPIC_ICR_HI, 1u << 24);
	struct vlapic_result res = wr(0, VLAPIC_ICR_LO, 0x05); /* fixed vector 5: illegal */
	ck_assert(!res.send);
	ck_assert(irr(0, 0xfe));
	ck_assert_uint_eq(rd(0, VLAPIC_ESR), 0); /* not latched before a write */
	ck_assert_uint_eq(esr(0), VLAPIC_ESR_SEND_ILLEGAL);
	/* receiving an illegal vector */
	struct vlapic_msg m = fixed_msg(0x0f, 1, false);
	ck_assert_int_eq(vlapic_accept(&cpu[1], &m), VLAPIC_EV_NONE);
	ck_assert(!irr(1, 0x0f));
	ck_assert_uint_eq(esr(1), VLAPIC_ESR_RECV_ILLEGAL);
	/* an illegal vector in the error LVT is logged, not delivered, no recursion */
	wr(1, VLAPIC_LVT_ERROR, 0x03);
	vlapic_accept(&cpu[1], &m);
	ck_assert_uint_eq(esr(1), VLAPIC_ESR_RECV_ILLEGAL);
	ck_assert_uint_eq(rd(1, VLAPIC_IRR0), 0);
	/* lowest priority with an illegal vector is refused the same way */
	res = wr(0, VLAPIC_ICR_LO, 0x100 | 0x02);
	ck_assert(!res.send);
	ck_assert_uint_eq(esr(0), VLAPIC_ESR_SEND_ILLEGAL);
	/* NMI does not care about its vector */
	res = wr(0, VLAPIC_ICR_LO, 0x400 | 0x02);
	ck_assert(res.send);
	ck_assert_uint_eq(deliver(&res), 1u << 1);
	ck_assert_int_eq(last_ev[1], VLAPIC_EV_NMI);
}
END_TEST

/*
 * The acceptance from another vCPU's context (vlapic_accept_remote): a
 * fixed or lowest-priority vector ORed into IRR with its TMR bit set
 * (level) or cleared (edge); dropped by a hardware- or software-disabled
 * APIC and for an illegal vector, with no ESR bit (the ESR is the owner's);
 * the other modes only return their event and write nothing.
 */
START_TEST(test_accept_remote)
{
	enable(1);
	struct vlapic_msg m = fixed_msg(0x61, 1, false);
	m.level = true;
	ck_assert_int_eq(vlapic_accept_remote(&cpu[1], &m), VLAPIC_EV_IRR);
	ck_assert(irr(1, 0x61));
	ck_assert_uint_eq(rd(1, VLAPIC_TMR0 + 0x30), 1u << 1); /* TMR 127:96, vector 0x61 */
	m.level = false; /* edge again: the TMR bit is cleared */
	ck_assert_int_eq(vlapic_accept_remote(&cpu[1], &m), VLAPIC_EV_IRR);
	ck_assert_uint_eq(rd(1, VLAPIC_TMR0 + 0x30), 0);
	m.delivery = VLAPIC_DM_LOWEST;
	m.vector = 0xfe;
	ck_assert_int_eq(vlapic_accept_remote(&cpu[1], &m), VLAPIC_EV_IRR);
	ck_assert(irr(1, 0xfe));
	/*
	 * Illegal vector: not in IRR; Receive Illegal Vector waits in
	 * esr_remote (the ESR is the owner's) until the owner takes it.
	 */
	m.vector = 0x0f;
	ck_assert_int_eq(vlapic_accept_remote(&cpu[1], &m), VLAPIC_EV_ERROR);
	ck_assert(!irr(1, 0x0f));
	wr(1, VLAPIC_ESR, 0);
	ck_assert_uint_eq(rd(1, VLAPIC_ESR), 0);
	vlapic_take_remote_errors(&cpu[1]);
	wr(1, VLAPIC_ESR, 0);
	ck_assert_uint_eq(rd(1, VLAPIC_ESR), VLAPIC_ESR_RECV_ILLEGAL);
	vlapic_take_remote_errors(&cpu[1]); /* taken once */
	wr(1, VLAPIC_ESR, 0);
	ck_assert_uint_eq(rd(1, VLAPIC_ESR), 0);
	/* Software-disabled: no fixed interrupt, NMI / INIT / SIPI still (10.4.7.2). */
	wr(1, VLAPIC_SVR, 0xff);
	m.vector = 0x62;
	m.delivery = VLAPIC_DM_FIXED;
	ck_assert_int_eq(vlapic_accept_remote(&cpu[1], &m), VLAPIC_EV_NONE);
	ck_assert(!irr(1, 0x62));
	m.delivery = VLAPIC_DM_NMI;
	ck_assert_int_eq(vlapic_accept_remote(&cpu[1], &m), VLAPIC_EV_NMI);
	m.delivery = VLAPIC_DM_INIT;
	ck_assert_int_eq(vlapic_accept_remote(&cpu[1], &m), VLAPIC_EV_INIT);
	m.assert = false; /* INIT de-assert: nothing */
	ck_assert_int_eq(vlapic_accept_remote(&cpu[1], &m), VLAPIC_EV_NONE);
	m.delivery = VLAPIC_DM_SIPI;
	ck_assert_int_eq(vlapic_accept_remote(&cpu[1], &m), VLAPIC_EV_SIPI);
	ck_assert(!irr(1, 0x62));
	/* Hardware-disabled: nothing at all. */
	enable(1);
	struct guest_fault f;
	vlapic_apic_base_write(&cpu[1], cpu[1].apic_base & ~VLAPIC_BASE_EN, 0, &f);
	ck_assert(!f.valid);
	m.delivery = VLAPIC_DM_FIXED;
	ck_assert_int_eq(vlapic_accept_remote(&cpu[1], &m), VLAPIC_EV_NONE);
	m.delivery = VLAPIC_DM_NMI;
	ck_assert_int_eq(vlapic_accept_remote(&cpu[1], &m), VLAPIC_EV_NONE);
	ck_assert_int_eq(vlapic_pending_vector(&cpu[1]), -1);
	/* vlapic_unack of a vector not in service changes nothing. */
	enable(2);
	vlapic_unack(&cpu[2], 0x70);
	ck_assert_int_eq(vlapic_pending_vector(&cpu[2]), -1);
}
END_TEST

/*
 * Every delivery mode x shorthand of the ICR in both modes (SDM 10.6.1,
 * Table 10-3): fixed goes out with any shorthand, lowest priority without
 * or to all excluding self, NMI/INIT/SIPI with any but self; SMI is
 * refused, modes 3 and 7 are reserved. An illegal vector of fixed or
 * lowest priority sends nothing and sets ESR "send illegal vector" with
 * every shorthand, whether the combination is valid or not.
 */
START_TEST(test_ipi_every_mode_and_shorthand)
{
	enable(0);
	enable(1);
	to_x2apic(1);
	for (unsigned dm = 0; dm < 8; dm++) {
		for (unsigned sh = 0; sh < 4; sh++) {
			bool sends;
			switch (dm) {
			case VLAPIC_DM_FIXED:
				sends = true;
				break;
			case VLAPIC_DM_LOWEST:
			case VLAPIC_DM_NMI:
			case VLAPIC_DM_INIT:
			case VLAPIC_DM_SIPI:
				/* SDM Table 10-3: self and all including self take fixed only. */
				sends = sh == VLAPIC_SH_NONE || sh == VLAPIC_SH_OTHERS;
				break;
			default:
				sends = false;
				break;
			}
			uint32_t lo = 0x40u | dm << 8 | sh << 18 | VLAPIC_ICR_ASSERT;
			wr(0, VLAPIC_ICR_HI, 2u << 24);
			struct vlapic_result xr = wr(0, VLAPIC_ICR_LO, lo);
			struct vlapic_result x2 = msr_wr(1, VLAPIC_MSR(VLAPIC_ICR_LO), (uint64_t)3 << 32 | lo);
			ck_assert_msg(xr.send == sends && x2.send == sends, "dm %u sh %u", dm, sh);
			if (sends) {
				ck_assert_uint_eq(xr.msg.delivery, dm);
				ck_assert_uint_eq(xr.msg.shorthand, sh);
				ck_assert_uint_eq(xr.msg.vector, 0x40);
				ck_assert_uint_eq(xr.msg.dest, 2);
				ck_assert(!xr.msg.x2apic && !xr.msg.level && xr.msg.assert);
				ck_assert_uint_eq(xr.msg.src, 0);
				ck_assert_uint_eq(x2.msg.delivery, dm);
				ck_assert_uint_eq(x2.msg.shorthand, sh);
				ck_assert_uint_eq(x2.msg.dest, 3);
				ck_assert(x2.msg.x2apic);
				ck_assert_uint_eq(x2.msg.src, 1);
			}
			/* Vector 0x0f: illegal for fixed and lowest priority only (10.5.3). */
			bool illegal = dm == VLAPIC_DM_FIXED || dm == VLAPIC_DM_LOWEST;
			wr(0, VLAPIC_ESR, 0);
			xr = wr(0, VLAPIC_ICR_LO, (lo & ~0xffu) | 0x0f);
			wr(0, VLAPIC_ESR, 0);
			ck_assert_uint_eq(rd(0, VLAPIC_ESR), illegal ? VLAPIC_ESR_SEND_ILLEGAL : 0);
			ck_assert(xr.send == (sends && !illegal));
			(void)msr_wr(1, VLAPIC_MSR(VLAPIC_ESR), 0);
			x2 = msr_wr(1, VLAPIC_MSR(VLAPIC_ICR_LO), (lo & ~0xffu) | 0x0f);
			(void)msr_wr(1, VLAPIC_MSR(VLAPIC_ESR), 0);
			ck_assert_uint_eq(msr_rd(1, VLAPIC_MSR(VLAPIC_ESR)), illegal ? VLAPIC_ESR_SEND_ILLEGAL : 0);
			ck_assert(x2.send == (sends && !illegal));
			/* INIT level de-assert (trigger level, assert clear) only synchronises: nothing. */
			xr = wr(0, VLAPIC_ICR_LO, (lo & ~VLAPIC_ICR_ASSERT) | VLAPIC_TRIGGER_LEVEL);
			ck_assert(xr.send == (sends && dm != VLAPIC_DM_INIT));
			if (xr.send)
				ck_assert(!xr.msg.level); /* an IPI is edge-triggered at its target */
		}
	}
}
END_TEST

START_TEST(test_ipi_physical_and_shorthands)
{
	for (unsigned i = 0; i < NCPU; i++)
		enable(i);
	wr(0, VLAPIC_ICR_HI, 2u << 24);
	struct vlapic_result res = wr(0, VLAPIC_ICR_LO, 0x31);
	ck_assert_uint_eq(rd(0, VLAPIC_ICR_LO), 0x31);
	ck_assert_uint_eq(deliver(&res), 1u << 2);
	ck_assert(irr(2, 0x31) && !irr(1, 0x31) && !irr(0, 0x31));
	ck_assert_int_eq(vlapic_pending_vector(&cpu[2]), 0x31);
	/* physical broadcast */
	wr(0, VLAPIC_ICR_HI, 0xffu << 24);
	res = wr(0, VLAPIC_ICR_LO, 0x32);
	ck_assert_uint_eq(deliver(&res), 0xf);
	/* no such APIC */
	wr(0, VLAPIC_ICR_HI, 9u << 24);
	res = wr(0, VLAPIC_ICR_LO, 0x33);
	ck_assert_uint_eq(deliver(&res), 0);
	/* self, all, all-but-self (destination field ignored) */
	res = wr(1, VLAPIC_ICR_LO, 0x34 | VLAPIC_SH_SELF << 18);
	ck_assert_uint_eq(deliver(&res), 1u << 1);
	res = wr(1, VLAPIC_ICR_LO, 0x35 | VLAPIC_SH_ALL << 18);
	ck_assert_uint_eq(deliver(&res), 0xf);
	res = wr(1, VLAPIC_ICR_LO, 0x36 | VLAPIC_SH_OTHERS << 18);
	ck_assert_uint_eq(deliver(&res), 0xd);
	ck_assert(irr(0, 0x36) && !irr(1, 0x36));
	/* a hardware-disabled APIC receives nothing */
	struct guest_fault f;
	vlapic_apic_base_write(&cpu[3], cpu[3].apic_base & ~VLAPIC_BASE_EN, 0, &f);
	ck_assert(!f.valid);
	res = wr(1, VLAPIC_ICR_LO, 0x37 | VLAPIC_SH_ALL << 18);
	ck_assert_uint_eq(deliver(&res), 0x7);
	struct vlapic_msg m = fixed_msg(0x40, 3, false);
	ck_assert_uint_eq(vlapic_route(cpus, NCPU, &m), 0);
	/* IDs that are not the index are found all the same */
	struct vlapic *perm[NCPU] = { &cpu[2], &cpu[0], &cpu[3], &cpu[1] };
	m.dest = 1;
	ck_assert_uint_eq(vlapic_route(perm, NCPU, &m), 1u << 3);
	m.dest = 3;
	ck_assert_uint_eq(vlapic_route(perm, NCPU, &m), 0); /* disabled */
	ck_assert_int_eq(vlapic_accept(&cpu[3], &m), VLAPIC_EV_NONE);
	ck_assert_int_eq(vlapic_pending_vector(&cpu[3]), -1);
	*vlapic_reg(&cpu[3], VLAPIC_IRR0 + 0x20) = 1; /* held from before the disable */
	ck_assert_int_eq(vlapic_ack(&cpu[3], 0x40), -TERN_EINVAL);
	ck_assert_int_eq(vlapic_lint(&cpu[3], 0), VLAPIC_EV_NONE);
}
END_TEST

START_TEST(test_ipi_kinds)
{
	for (unsigned i = 0; i < NCPU; i++)
		enable(i);
	wr(0, VLAPIC_ICR_HI, 1u << 24);
	/* INIT, SIPI with its vector, NMI */
	struct vlapic_result res = wr(0, VLAPIC_ICR_LO, 0x500 | VLAPIC_ICR_ASSERT);
	deliver(&res);
	ck_assert_int_eq(last_ev[1], VLAPIC_EV_INIT);
	res = wr(0, VLAPIC_ICR_LO, 0x69a);
	deliver(&res);
	ck_assert_int_eq(last_ev[1], VLAPIC_EV_SIPI);
	ck_assert_uint_eq(last_vec[1], 0x9a);
	/* INIT level de-assert, SMI and reserved modes send nothing */
	res = wr(0, VLAPIC_ICR_LO, 0x500 | VLAPIC_TRIGGER_LEVEL);
	ck_assert(!res.send);
	res = wr(0, VLAPIC_ICR_LO, 0x200);
	ck_assert(!res.send);
	res = wr(0, VLAPIC_ICR_LO, 0x340);
	ck_assert(!res.send);
	res = wr(0, VLAPIC_ICR_LO, 0x740);
	ck_assert(!res.send);
	/* invalid shorthand combinations (Table 10-3) */
	res = wr(0, VLAPIC_ICR_LO, 0x400 | VLAPIC_SH_SELF << 18);
	ck_assert(!res.send);
	res = wr(0, VLAPIC_ICR_LO, 0x140 | VLAPIC_SH_ALL << 18);
	ck_assert(!res.send);
	/* INIT asserted level-triggered goes out */
	res = wr(0, VLAPIC_ICR_LO, 0x500 | VLAPIC_TRIGGER_LEVEL | VLAPIC_ICR_ASSERT);
	ck_assert(res.send);
	ck_assert(res.msg.level && res.msg.assert);
	/* after INIT the APIC is in its reset state, ID and base kept */
	wr(1, VLAPIC_TPR, 0x40);
	vlapic_init_reset(&cpu[1]);
	ck_assert_uint_eq(rd(1, VLAPIC_TPR), 0);
	ck_assert_uint_eq(rd(1, VLAPIC_ID), 1u << 24);
	ck_assert_uint_eq(rd(1, VLAPIC_SVR), 0xff);
}
END_TEST

START_TEST(test_logical_flat_cluster_lowest)
{
	for (unsigned i = 0; i < NCPU; i++) {
		enable(i);
		wr(i, VLAPIC_LDR, (1u << i) << 24);
	}
	wr(0, VLAPIC_ICR_HI, 0x06u << 24);
	struct vlapic_result res = wr(0, VLAPIC_ICR_LO, 0x41 | VLAPIC_ICR_LOGICAL);
	ck_assert(res.msg.logical);
	ck_assert_uint_eq(deliver(&res), 0x6);
	wr(0, VLAPIC_ICR_HI, 0xffu << 24); /* logical broadcast */
	res = wr(0, VLAPIC_ICR_LO, 0x42 | VLAPIC_ICR_LOGICAL);
	ck_assert_uint_eq(deliver(&res), 0xf);
	/* lowest priority among 1, 2: the lower APR (TPR) wins, ties to the lower index */
	wr(0, VLAPIC_ICR_HI, 0x06u << 24);
	wr(1, VLAPIC_TPR, 0x50);
	res = wr(0, VLAPIC_ICR_LO, 0x143 | VLAPIC_ICR_LOGICAL);
	ck_assert_uint_eq(deliver(&res), 1u << 2);
	wr(1, VLAPIC_TPR, 0);
	wr(2, VLAPIC_TPR, 0);
	res = wr(0, VLAPIC_ICR_LO, 0x144 | VLAPIC_ICR_LOGICAL);
	ck_assert_uint_eq(deliver(&res), 1u << 1);
	/* a software-disabled APIC is not chosen; none enabled -> nobody */
	wr(1, VLAPIC_SVR, 0xff);
	res = wr(0, VLAPIC_ICR_LO, 0x145 | VLAPIC_ICR_LOGICAL);
	ck_assert_uint_eq(deliver(&res), 1u << 2);
	wr(2, VLAPIC_SVR, 0xff);
	res = wr(0, VLAPIC_ICR_LO, 0x146 | VLAPIC_ICR_LOGICAL);
	ck_assert_uint_eq(deliver(&res), 0);
	wr(0, VLAPIC_ICR_HI, 0x80u << 24); /* nobody has logical ID bit 7 */
	res = wr(0, VLAPIC_ICR_LO, 0x146 | VLAPIC_ICR_LOGICAL);
	ck_assert_uint_eq(deliver(&res), 0);
	/* cluster model: cluster in dest[7:4], members in dest[3:0] */
	enable(1);
	enable(2);
	for (unsigned i = 0; i < NCPU; i++) {
		wr(i, VLAPIC_DFR, 0x0fffffffu);
		wr(i, VLAPIC_LDR, ((i < 2 ? 0x10u : 0x20u) | (1u << (i & 1))) << 24);
	}
	wr(0, VLAPIC_ICR_HI, 0x23u << 24);
	res = wr(0, VLAPIC_ICR_LO, 0x47 | VLAPIC_ICR_LOGICAL);
	ck_assert_uint_eq(deliver(&res), 0xc);
	wr(0, VLAPIC_ICR_HI, 0x12u << 24);
	res = wr(0, VLAPIC_ICR_LO, 0x48 | VLAPIC_ICR_LOGICAL);
	ck_assert_uint_eq(deliver(&res), 0x2);
	wr(0, VLAPIC_ICR_HI, 0x30u << 24);
	res = wr(0, VLAPIC_ICR_LO, 0x49 | VLAPIC_ICR_LOGICAL);
	ck_assert_uint_eq(deliver(&res), 0);
	/* a reserved DFR model matches nothing */
	wr(3, VLAPIC_DFR, 0x5fffffffu);
	wr(0, VLAPIC_ICR_HI, 0x2fu << 24);
	res = wr(0, VLAPIC_ICR_LO, 0x4a | VLAPIC_ICR_LOGICAL);
	ck_assert_uint_eq(deliver(&res), 0x4);
	/* an 8-bit physical broadcast reaches every mode */
	struct vlapic_msg m = fixed_msg(0x50, 0xff, false);
	ck_assert_uint_eq(vlapic_route(cpus, NCPU, &m), 0xf);
}
END_TEST

START_TEST(test_x2apic_registers)
{
	to_x2apic(2);
	enable(0);
	ck_assert(vlapic_x2apic(&cpu[2]));
	ck_assert_uint_eq(msr_rd(2, VLAPIC_MSR(VLAPIC_ID)), 2);
	ck_assert_uint_eq(msr_rd(2, VLAPIC_MSR(VLAPIC_LDR)), 1u << 2);
	ck_assert_uint_eq(msr_rd(2, VLAPIC_MSR(VLAPIC_VERSION)), 0x00050014u);
	ck_assert_uint_eq(msr_rd(2, VLAPIC_MSR(VLAPIC_SVR)), 0xff);
	/* read-only, write-only, reserved registers */
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_ID), 2));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_LDR), 4));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_VERSION), 0));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_PPR), 0));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_ISR0), 0));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_TIMER_CCR), 0));
	ck_assert(msr_gp_read(2, VLAPIC_MSR(VLAPIC_EOI)));
	ck_assert(msr_gp_read(2, VLAPIC_MSR(VLAPIC_SELF_IPI)));
	ck_assert(msr_gp_read(2, VLAPIC_MSR(VLAPIC_DFR)));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_DFR), 0xffffffffu));
	ck_assert(msr_gp_read(2, VLAPIC_MSR(VLAPIC_APR)));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_APR), 0));
	ck_assert(msr_gp_read(2, VLAPIC_MSR(VLAPIC_RRD)));
	ck_assert(msr_gp_read(2, 0x831));
	ck_assert(msr_gp_write(2, 0x831, 0));
	ck_assert(msr_gp_read(2, 0x82f)); /* no CMCI LVT */
	ck_assert(msr_gp_read(2, 0x8ff));
	ck_assert(msr_gp_write(2, 0x840, 0));
	/* reserved bits */
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_TPR), 0x100));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_TPR), 1ull << 32));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_EOI), 1));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_ESR), 1));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_SVR), 0x1000));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_TIMER_DCR), 4));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_LVT_ERROR), 0x400));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_LVT_TIMER), 3u << 17));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_ICR_LO), 1u << 13 | 0x40));
	ck_assert(msr_gp_write(2, VLAPIC_MSR(VLAPIC_SELF_IPI), 0x140));
	/* what is allowed */
	ck_assert(!msr_gp_write(2, VLAPIC_MSR(VLAPIC_TPR), 0x20));
	ck_assert_uint_eq(msr_rd(2, VLAPIC_MSR(VLAPIC_TPR)), 0x20);
	ck_assert_uint_eq(msr_rd(2, VLAPIC_MSR(VLAPIC_PPR)), 0x20);
	ck_assert(!msr_gp_write(2, VLAPIC_MSR(VLAPIC_SVR), 0x1ff));
	ck_assert(!msr_gp_write(2, VLAPIC_MSR(VLAPIC_ESR), 0));
	ck_assert_uint_eq(msr_rd(2, VLAPIC_MSR(VLAPIC_ESR)), 0);
	/* read-only LVT bits written back are ignored, not #GP */
	ck_assert(!msr_gp_write(2, VLAPIC_MSR(VLAPIC_LVT_LINT0), 0x5000 | 0x30));
	ck_assert_uint_eq(msr_rd(2, VLAPIC_MSR(VLAPIC_LVT_LINT0)), 0x30);
	/* ICR: one 64-bit MSR, 32-bit destination */
	struct vlapic_result res = msr_wr(2, VLAPIC_MSR(VLAPIC_ICR_LO), 0x0000000000000051ull);
	ck_assert(res.send);
	ck_assert(res.msg.x2apic);
	ck_assert_uint_eq(deliver(&res), 1u << 0); /* 8-bit receiver: dest 0 is APIC 0 */
	res = msr_wr(2, VLAPIC_MSR(VLAPIC_ICR_LO), 0x0000000200000052ull);
	ck_assert_uint_eq(msr_rd(2, VLAPIC_MSR(VLAPIC_ICR_LO)), 0x0000000200000052ull);
	ck_assert_uint_eq(deliver(&res), 1u << 2);
	ck_assert(irr(0, 0x51) && !irr(0, 0x52));
	ck_assert_uint_eq(msr_rd(2, VLAPIC_MSR(VLAPIC_IRR0) + 2), 1u << (0x52 - 0x40));
	/* SELF IPI */
	res = msr_wr(2, VLAPIC_MSR(VLAPIC_SELF_IPI), 0x61);
	ck_assert_uint_eq(deliver(&res), 1u << 2);
	ck_assert_int_eq(vlapic_pending_vector(&cpu[2]), 0x61);
	ck_assert_int_eq(vlapic_ack(&cpu[2], 0x61), 0);
	ck_assert_uint_eq(msr_rd(2, VLAPIC_MSR(VLAPIC_ISR0) + 3), 1u << 1);
	res = msr_wr(2, VLAPIC_MSR(VLAPIC_EOI), 0);
	ck_assert_uint_eq(msr_rd(2, VLAPIC_MSR(VLAPIC_ISR0) + 3), 0);
	/* physical 0xFF from an x2APIC: ID 255 to x2APICs, a broadcast to xAPICs */
	res = msr_wr(2, VLAPIC_MSR(VLAPIC_ICR_LO), 0x000000ff00000058ull);
	ck_assert_uint_eq(deliver(&res), 0xb);
	/* x2APIC broadcast and cluster destinations */
	res = msr_wr(2, VLAPIC_MSR(VLAPIC_ICR_LO), 0xffffffff00000053ull);
	ck_assert_uint_eq(deliver(&res), 0xf);
	res = msr_wr(2, VLAPIC_MSR(VLAPIC_ICR_LO), 0x0000010000000054ull); /* dest 0x100: beyond 8 bits */
	ck_assert_uint_eq(deliver(&res), 0);
	res = msr_wr(2, VLAPIC_MSR(VLAPIC_ICR_LO), 0x0000000400000855ull); /* logical cluster 0, bit 2 */
	ck_assert_uint_eq(deliver(&res), 1u << 2);
	res = msr_wr(2, VLAPIC_MSR(VLAPIC_ICR_LO), 0x0001000400000856ull); /* cluster 1 */
	ck_assert_uint_eq(deliver(&res), 0);
	res = msr_wr(2, VLAPIC_MSR(VLAPIC_ICR_LO), 0x0000000800000856ull); /* cluster 0, bit 3 */
	ck_assert_uint_eq(deliver(&res), 0);
	/* the timer LVT in x2APIC mode */
	ck_assert(!msr_gp_write(2, VLAPIC_MSR(VLAPIC_LVT_TIMER), 0x20040ull));
	ck_assert_uint_eq(msr_rd(2, VLAPIC_MSR(VLAPIC_LVT_TIMER)), 0x20040ull);
	/* an 8-bit logical destination means nothing to an x2APIC */
	struct vlapic_msg m = fixed_msg(0x57, 0x04, true);
	ck_assert_uint_eq(vlapic_route(cpus, NCPU, &m), 0);
	m.logical = false;
	m.dest = 2;
	ck_assert_uint_eq(vlapic_route(cpus, NCPU, &m), 1u << 2);
	m.dest = 0xff;
	ck_assert_uint_eq(vlapic_route(cpus, NCPU, &m) >> 2 & 1u, 1u);
}
END_TEST

START_TEST(test_apic_base_transitions)
{
	struct guest_fault f;
	uint64_t base = cpu[1].apic_base;
	/* invalid state, reserved bits, BSP flag */
	vlapic_apic_base_write(&cpu[1], (base & ~VLAPIC_BASE_EN) | VLAPIC_BASE_EXTD, 0, &f);
	ck_assert(f.valid && f.vector == X86_GP);
	vlapic_apic_base_write(&cpu[1], base | 1, 0, &f);
	ck_assert(f.valid);
	vlapic_apic_base_write(&cpu[1], base | (1ull << 9), 0, &f);
	ck_assert(f.valid);
	vlapic_apic_base_write(&cpu[1], base | (1ull << 40), 1ull << 40, &f);
	ck_assert(f.valid);
	vlapic_apic_base_write(&cpu[1], base | VLAPIC_BASE_BSP, 0, &f);
	ck_assert(f.valid);
	ck_assert_uint_eq(cpu[1].apic_base, base);
	/* xAPIC -> x2APIC keeps state, x2APIC -> xAPIC is illegal */
	wr(1, VLAPIC_TPR, 0x30);
	wr(1, VLAPIC_LDR, 0x80000000u);
	to_x2apic(1);
	ck_assert_uint_eq(msr_rd(1, VLAPIC_MSR(VLAPIC_TPR)), 0x30);
	ck_assert_uint_eq(msr_rd(1, VLAPIC_MSR(VLAPIC_LDR)), 1u << 1);
	vlapic_apic_base_write(&cpu[1], base, 0, &f);
	ck_assert(f.valid);
	ck_assert(vlapic_x2apic(&cpu[1]));
	/* x2APIC -> disabled resets; disabled -> x2APIC is illegal; disabled -> xAPIC */
	vlapic_apic_base_write(&cpu[1], base & ~VLAPIC_BASE_EN, 0, &f);
	ck_assert(!f.valid);
	ck_assert(!vlapic_hw_enabled(&cpu[1]));
	ck_assert_uint_eq(vlapic_reg_get(&cpu[1], VLAPIC_TPR), 0);
	ck_assert(msr_gp_read(1, VLAPIC_MSR(VLAPIC_TPR)));
	vlapic_apic_base_write(&cpu[1], base | VLAPIC_BASE_EXTD, 0, &f);
	ck_assert(f.valid);
	vlapic_apic_base_write(&cpu[1], base, 0, &f);
	ck_assert(!f.valid);
	ck_assert_uint_eq(rd(1, VLAPIC_ID), 1u << 24);
	ck_assert_uint_eq(rd(1, VLAPIC_LDR), 0);
	/* INIT in x2APIC mode stays in x2APIC mode with the derived LDR */
	to_x2apic(3);
	vlapic_init_reset(&cpu[3]);
	ck_assert(vlapic_x2apic(&cpu[3]));
	ck_assert_uint_eq(msr_rd(3, VLAPIC_MSR(VLAPIC_LDR)), 1u << 3);
	/* relocating the base in xAPIC mode is taken */
	vlapic_apic_base_write(&cpu[1], (base & 0xfffull) | 0xfed00000ull, 0, &f);
	ck_assert(!f.valid);
	ck_assert_uint_eq(cpu[1].apic_base & ~0xfffull, 0xfed00000ull);
}
END_TEST

START_TEST(test_lint_pins)
{
	enable(0);
	/* masked: nothing; ExtINT (virtual wire); NMI; INIT; SMI refused */
	ck_assert_int_eq(vlapic_lint(&cpu[0], 0), VLAPIC_EV_NONE);
	ck_assert_int_eq(vlapic_lint(&cpu[0], 2), VLAPIC_EV_NONE);
	wr(0, VLAPIC_LVT_LINT0, VLAPIC_DM_EXTINT << 8);
	ck_assert_int_eq(vlapic_lint(&cpu[0], 0), VLAPIC_EV_EXTINT);
	wr(0, VLAPIC_LVT_LINT1, VLAPIC_DM_NMI << 8);
	ck_assert_int_eq(vlapic_lint(&cpu[0], 1), VLAPIC_EV_NMI);
	wr(0, VLAPIC_LVT_LINT1, VLAPIC_DM_INIT << 8);
	ck_assert_int_eq(vlapic_lint(&cpu[0], 1), VLAPIC_EV_INIT);
	wr(0, VLAPIC_LVT_LINT1, VLAPIC_DM_SMI << 8);
	ck_assert_int_eq(vlapic_lint(&cpu[0], 1), VLAPIC_EV_NONE);
	/* fixed edge */
	wr(0, VLAPIC_LVT_LINT1, 0x70);
	ck_assert_int_eq(vlapic_lint(&cpu[0], 1), VLAPIC_EV_IRR);
	ck_assert(irr(0, 0x70) && !tmr(0, 0x70));
	/* fixed level: remote IRR until EOI */
	wr(0, VLAPIC_LVT_LINT0, 0x80 | VLAPIC_TRIGGER_LEVEL);
	ck_assert_int_eq(vlapic_lint(&cpu[0], 0), VLAPIC_EV_IRR);
	ck_assert_uint_eq(rd(0, VLAPIC_LVT_LINT0), 0x80 | VLAPIC_TRIGGER_LEVEL | VLAPIC_LVT_REMOTE_IRR);
	ck_assert_int_eq(vlapic_lint(&cpu[0], 0), VLAPIC_EV_NONE);
	/* a write cannot clear remote IRR */
	wr(0, VLAPIC_LVT_LINT0, 0x80 | VLAPIC_TRIGGER_LEVEL);
	ck_assert(rd(0, VLAPIC_LVT_LINT0) & VLAPIC_LVT_REMOTE_IRR);
	ck_assert_int_eq(vlapic_ack(&cpu[0], 0x80), 0);
	struct vlapic_result res = wr(0, VLAPIC_EOI, 0);
	ck_assert_int_eq(res.eoi_vector, 0x80);
	ck_assert_uint_eq(rd(0, VLAPIC_LVT_LINT0), 0x80 | VLAPIC_TRIGGER_LEVEL);
	/* an illegal vector from a LINT pin is an error */
	wr(0, VLAPIC_LVT_LINT0, 0x08);
	ck_assert_int_eq(vlapic_lint(&cpu[0], 0), VLAPIC_EV_NONE);
	ck_assert_uint_eq(esr(0), VLAPIC_ESR_RECV_ILLEGAL);
	wr(0, VLAPIC_LVT_LINT0, 0x08 | VLAPIC_TRIGGER_LEVEL);
	ck_assert_int_eq(vlapic_lint(&cpu[0], 0), VLAPIC_EV_NONE);
	ck_assert(!(rd(0, VLAPIC_LVT_LINT0) & VLAPIC_LVT_REMOTE_IRR));
}
END_TEST

START_TEST(test_timer_oneshot)
{
	enable(0);
	wr(0, VLAPIC_TIMER_DCR, 0x0); /* divide by 2 */
	wr(0, VLAPIC_LVT_TIMER, 0xe0);
	wr_at(0, VLAPIC_TIMER_ICR, 100, 1000);
	/* one count = 10 TSC ticks * 2 */
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), 1000 + 100 * 20);
	uint32_t v;
	vlapic_mmio_read(&cpu[0], VLAPIC_TIMER_CCR, 1000, &v);
	ck_assert_uint_eq(v, 100);
	vlapic_mmio_read(&cpu[0], VLAPIC_TIMER_CCR, 1000 + 20 * 30 + 19, &v);
	ck_assert_uint_eq(v, 70);
	ck_assert_uint_eq(rd(0, VLAPIC_TIMER_ICR), 100);
	ck_assert(!vlapic_timer_advance(&cpu[0], 2999));
	ck_assert(!irr(0, 0xe0));
	ck_assert(vlapic_timer_advance(&cpu[0], 3000));
	ck_assert(irr(0, 0xe0));
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), UINT64_MAX);
	ck_assert(!vlapic_timer_advance(&cpu[0], 9000));
	vlapic_mmio_read(&cpu[0], VLAPIC_TIMER_CCR, 9000, &v);
	ck_assert_uint_eq(v, 0);
	/* now before the start (hostile / wrapped time) counts nothing */
	wr_at(0, VLAPIC_TIMER_ICR, 5, 10000);
	vlapic_mmio_read(&cpu[0], VLAPIC_TIMER_CCR, 5, &v);
	ck_assert_uint_eq(v, 5);
	/* initial count 0 stops it */
	wr_at(0, VLAPIC_TIMER_ICR, 0, 10001);
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), UINT64_MAX);
	/* masked: counts and expires without an interrupt */
	wr(0, VLAPIC_LVT_TIMER, 0xe1 | VLAPIC_LVT_MASKED);
	wr_at(0, VLAPIC_TIMER_ICR, 1, 0);
	ck_assert(!vlapic_timer_advance(&cpu[0], 20));
	ck_assert(!irr(0, 0xe1));
	/* an illegal timer vector is an error, not an interrupt */
	wr(0, VLAPIC_LVT_TIMER, 0x01);
	wr_at(0, VLAPIC_TIMER_ICR, 1, 0);
	ck_assert(!vlapic_timer_advance(&cpu[0], 20));
	ck_assert_uint_eq(esr(0), VLAPIC_ESR_RECV_ILLEGAL);
	/* a huge count saturates the deadline instead of wrapping */
	wr(0, VLAPIC_TIMER_DCR, 0xa); /* divide by 128 */
	wr_at(0, VLAPIC_TIMER_ICR, 0xffffffffu, UINT64_MAX - 5);
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), UINT64_MAX);
}
END_TEST

START_TEST(test_timer_divide_values)
{
	static const uint32_t dcr[8] = { 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb };
	static const uint32_t div[8] = { 2, 4, 8, 16, 32, 64, 128, 1 };
	enable(0);
	wr(0, VLAPIC_LVT_TIMER, 0xe0);
	for (unsigned i = 0; i < 8; i++) {
		wr(0, VLAPIC_TIMER_DCR, dcr[i]);
		wr_at(0, VLAPIC_TIMER_ICR, 3, 0);
		ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), 3ull * TPT * div[i]);
	}
}
END_TEST

START_TEST(test_timer_periodic_and_dcr_change)
{
	enable(0);
	wr(0, VLAPIC_TIMER_DCR, 0xb); /* divide by 1: a count is 10 ticks */
	wr(0, VLAPIC_LVT_TIMER, 0xd0 | VLAPIC_TIMER_PERIODIC << 17);
	wr_at(0, VLAPIC_TIMER_ICR, 10, 0);
	ck_assert(vlapic_timer_advance(&cpu[0], 100));
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), 200);
	uint32_t v;
	vlapic_mmio_read(&cpu[0], VLAPIC_TIMER_CCR, 100, &v);
	ck_assert_uint_eq(v, 10); /* reloaded */
	vlapic_mmio_read(&cpu[0], VLAPIC_TIMER_CCR, 130, &v);
	ck_assert_uint_eq(v, 7);
	/* missed periods coalesce into one interrupt */
	ck_assert_int_eq(vlapic_ack(&cpu[0], 0xd0), 0);
	ck_assert(vlapic_timer_advance(&cpu[0], 555));
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), 600);
	ck_assert(irr(0, 0xd0));
	/* reading the current count brings the timer up to date */
	vlapic_mmio_read(&cpu[0], VLAPIC_TIMER_CCR, 650, &v);
	ck_assert_uint_eq(v, 5);
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), 700);
	/* a new divisor applies from the current count on */
	wr_at(0, VLAPIC_TIMER_DCR, 0x0, 650); /* divide by 2: 20 ticks */
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), 650 + 5 * 20);
	ck_assert(vlapic_timer_advance(&cpu[0], 750));
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), 750 + 10 * 20);
	vlapic_mmio_read(&cpu[0], VLAPIC_TIMER_CCR, 760, &v);
	ck_assert_uint_eq(v, 10);
	/* a mode change disarms */
	wr(0, VLAPIC_LVT_TIMER, 0xd0);
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), UINT64_MAX);
	vlapic_mmio_read(&cpu[0], VLAPIC_TIMER_CCR, 760, &v);
	ck_assert_uint_eq(v, 0);
	/* the reserved mode is not taken in xAPIC mode */
	wr(0, VLAPIC_LVT_TIMER, 0xd1 | 3u << 17);
	ck_assert_uint_eq(rd(0, VLAPIC_LVT_TIMER), 0xd1);
	/* DCR written on a stopped timer starts nothing */
	wr(0, VLAPIC_TIMER_DCR, 0x1);
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), UINT64_MAX);
	/* periodic with an expired one-shot count: DCR does not restart it */
	wr(0, VLAPIC_LVT_TIMER, 0xd0 | VLAPIC_TIMER_PERIODIC << 17);
	wr_at(0, VLAPIC_TIMER_ICR, 0, 0);
	vlapic_mmio_read(&cpu[0], VLAPIC_TIMER_CCR, 500, &v);
	ck_assert_uint_eq(v, 0);
}
END_TEST

START_TEST(test_timer_tsc_deadline)
{
	enable(0);
	vlapic_tsc_deadline_write(&cpu[0], 5000, 0); /* not in deadline mode: ignored */
	ck_assert_uint_eq(vlapic_tsc_deadline_read(&cpu[0]), 0);
	wr(0, VLAPIC_LVT_TIMER, 0xc0 | VLAPIC_TIMER_TSC_DEADLINE << 17);
	wr_at(0, VLAPIC_TIMER_ICR, 100, 0); /* ignored in this mode */
	ck_assert_uint_eq(rd(0, VLAPIC_TIMER_ICR), 0);
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), UINT64_MAX);
	vlapic_tsc_deadline_write(&cpu[0], 5000, 100);
	ck_assert_uint_eq(vlapic_tsc_deadline_read(&cpu[0]), 5000);
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), 5000);
	ck_assert_uint_eq(rd(0, VLAPIC_TIMER_CCR), 0);
	ck_assert(!vlapic_timer_advance(&cpu[0], 4999));
	ck_assert(vlapic_timer_advance(&cpu[0], 5000));
	ck_assert(irr(0, 0xc0));
	ck_assert_uint_eq(vlapic_tsc_deadline_read(&cpu[0]), 0); /* disarmed by expiry */
	ck_assert(!vlapic_timer_advance(&cpu[0], 6000));
	/* a deadline in the past fires at once; 0 disarms */
	vlapic_tsc_deadline_write(&cpu[0], 10, 6000);
	ck_assert_int_eq(vlapic_ack(&cpu[0], 0xc0), 0);
	ck_assert(vlapic_timer_advance(&cpu[0], 6000)); /* in service and pending again */
	ck_assert(irr(0, 0xc0) && isr(0, 0xc0));
	vlapic_tsc_deadline_write(&cpu[0], 7000, 6000);
	vlapic_tsc_deadline_write(&cpu[0], 0, 6000);
	ck_assert_uint_eq(vlapic_next_deadline(&cpu[0]), UINT64_MAX);
	/* leaving the mode clears the deadline */
	vlapic_tsc_deadline_write(&cpu[0], 9000, 6000);
	wr(0, VLAPIC_LVT_TIMER, 0xc0);
	wr(0, VLAPIC_LVT_TIMER, 0xc0 | VLAPIC_TIMER_TSC_DEADLINE << 17);
	ck_assert_uint_eq(vlapic_tsc_deadline_read(&cpu[0]), 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vlapic");
	TCase *tc = tcase_create("vlapic");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_reset_state);
	tcase_add_test(tc, test_xapic_readonly_and_reserved);
	tcase_add_test(tc, test_not_xapic_is_not_the_page);
	tcase_add_test(tc, test_ppr_apr_rules);
	tcase_add_test(tc, test_eoi_highest_and_level_broadcast);
	tcase_add_test(tc, test_software_disable);
	tcase_add_test(tc, test_esr_and_illegal_vectors);
	tcase_add_test(tc, test_ipi_physical_and_shorthands);
	tcase_add_test(tc, test_ipi_every_mode_and_shorthand);
	tcase_add_test(tc, test_accept_remote);
	tcase_add_test(tc, test_ipi_kinds);
	tcase_add_test(tc, test_logical_flat_cluster_lowest);
	tcase_add_test(tc, test_x2apic_registers);
	tcase_add_test(tc, test_apic_base_transitions);
	tcase_add_test(tc, test_lint_pins);
	tcase_add_test(tc, test_timer_oneshot);
	tcase_add_test(tc, test_timer_divide_values);
	tcase_add_test(tc, test_timer_periodic_and_dcr_change);
	tcase_add_test(tc, test_timer_tsc_deadline);
	suite_add_tcase(s, tc);
	return s;
}
