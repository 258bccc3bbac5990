/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The local APIC in xAPIC mode (irq=1; SDM Vol. 3A ch. 10, "Advanced
 * Programmable Interrupt Controller"): IA32_APIC_BASE, ID and version,
 * TPR/PPR (10.8.3.1), self-IPIs through the ICR with their IRR and ISR bits
 * around delivery and EOI (10.8.4, 10.8.5), priority order among pending
 * vectors, SVR software disable (10.4.7.2), LVT read-back and masks, and the
 * ESR on an illegal vector (10.5.3). Runs whenever CPUID.1:EDX.APIC is set.
 */
#include "guest.h"

#define V_SELF 0x41		/* class 4 */
#define V_SAME_CLASS 0x5F	/* class 5 */
#define V_ORDER_HI 0x61
#define V_ORDER_MID 0x52
#define V_ORDER_LO 0x4A
#define V_LVT 0x4E
#define V_LOGICAL 0x44
#define V_ILLEGAL 3		/* vectors 0-15 are illegal (SDM 10.5.2) */
#define WAIT_MS 50
#define APIC_VERSION_MIN 0x10	/* integrated APIC (SDM 10.4.8) */
#define APIC_VERSION_MAX 0x15
#define MAXLVT_MIN 3		/* at least four LVT entries */
#define MAXLVT_MAX 6
#define QEMU_LVT "QEMU TCG does not mask the LVT while the APIC is software-disabled"

static void self_ipi(unsigned vector)
{
	tg_lapic_icr(0, ICR_SELF | vector);
}

static void check_identity(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	uint32_t r[4], id, ver, maxlvt;

	tg_check("lapic.base-msr", (base & APIC_BASE_EN) && (base & APIC_BASE_BSP) &&
		 !(base & APIC_BASE_EXTD) && (base & APIC_BASE_ADDR_MASK) == LAPIC_MMIO,
		 "IA32_APIC_BASE 0x%lx, want EN, BSP, xAPIC mode, base 0xfee00000", base);
	cpuid(1, 0, r);
	id = tg_lapic_read(LAPIC_ID) >> 24;
	tg_check("lapic.id", id == r[1] >> 24, "APIC ID register %u, CPUID.1:EBX[31:24] %u",
		 id, r[1] >> 24);
	ver = tg_lapic_read(LAPIC_VER);
	maxlvt = (ver >> 16) & 0xFF;
	tg_check("lapic.version", (ver & 0xFF) >= APIC_VERSION_MIN && (ver & 0xFF) <= APIC_VERSION_MAX &&
		 maxlvt >= MAXLVT_MIN && maxlvt <= MAXLVT_MAX,
		 "version register 0x%x: version 0x%x, max LVT %u", ver, ver & 0xFF, maxlvt);
}

static void check_tpr_ppr(void)
{
	uint32_t tpr, ppr;

	tg_lapic_write(LAPIC_TPR, 0x5A);
	tpr = tg_lapic_read(LAPIC_TPR) & 0xFF;
	ppr = tg_lapic_read(LAPIC_PPR) & 0xFF;
	tg_check_eq("lapic.tpr-readback", tpr, 0x5A);
	/* ISR empty: PPR = TPR (SDM 10.8.3.1). */
	tg_check("lapic.ppr-equals-tpr", ppr == 0x5A, "PPR 0x%x with TPR 0x5a and no vector in service",
		 ppr);
	tg_lapic_write(LAPIC_TPR, 0);
}

static void check_self_ipi(void)
{
	bool irr, isr, got;
	uint32_t ppr;

	tg_irq.eoi[V_SELF] = TG_EOI_NONE;
	tg_irq.hits[V_SELF] = 0;
	tg_lapic_write(LAPIC_TPR, 0x21);
	self_ipi(V_SELF);		/* IF = 0: it stays requested */
	irr = tg_lapic_bit(LAPIC_IRR, V_SELF);
	isr = tg_lapic_bit(LAPIC_ISR, V_SELF);
	tg_check("lapic.self-ipi-irr", irr && !isr && tg_irq.hits[V_SELF] == 0,
		 "with IF = 0 after the ICR write: IRR %d ISR %d, %lu deliveries", irr, isr,
		 tg_irq.hits[V_SELF]);
	got = tg_wait_irq(V_SELF, 1, WAIT_MS);
	irr = tg_lapic_bit(LAPIC_IRR, V_SELF);
	isr = tg_lapic_bit(LAPIC_ISR, V_SELF);
	ppr = tg_lapic_read(LAPIC_PPR) & 0xFF;
	tg_check("lapic.self-ipi-isr", got && tg_irq.hits[V_SELF] == 1 && isr && !irr,
		 "after STI: %lu deliveries, ISR %d IRR %d, want 1 delivery in service", tg_irq.hits[V_SELF],
		 isr, irr);
	/* In service 0x41 with TPR 0x21: PPR = ISRV[7:4] << 4 = 0x40. */
	tg_check("lapic.ppr-in-service", ppr == 0x40, "PPR 0x%x with 0x41 in service and TPR 0x21, want 0x40",
		 ppr);
	tg_lapic_eoi();
	isr = tg_lapic_bit(LAPIC_ISR, V_SELF);
	ppr = tg_lapic_read(LAPIC_PPR) & 0xFF;
	tg_check("lapic.eoi-clears-isr", !isr && ppr == 0x21, "after EOI: ISR %d, PPR 0x%x (want 0x21)",
		 isr, ppr);
	tg_lapic_write(LAPIC_TPR, 0);
	tg_irq.eoi[V_SELF] = TG_EOI_LAPIC;
}

static void check_tpr_blocks(void)
{
	bool got, irr;

	/* A vector is delivered only if its class is above PPR's (SDM 10.8.3.1). */
	tg_irq.hits[V_SAME_CLASS] = 0;
	tg_lapic_write(LAPIC_TPR, 0x50);
	self_ipi(V_SAME_CLASS);
	got = tg_wait_irq(V_SAME_CLASS, 1, 5);
	irr = tg_lapic_bit(LAPIC_IRR, V_SAME_CLASS);
	tg_check("lapic.tpr-blocks-class", !got && irr,
		 "vector 0x5f with TPR 0x50: %lu deliveries, IRR %d, want held in IRR",
		 tg_irq.hits[V_SAME_CLASS], irr);
	tg_lapic_write(LAPIC_TPR, 0x40);
	got = tg_wait_irq(V_SAME_CLASS, 1, WAIT_MS);
	tg_check("lapic.tpr-lowered-delivers", got && tg_irq.hits[V_SAME_CLASS] == 1,
		 "TPR 0x40: %lu deliveries of 0x5f, want 1", tg_irq.hits[V_SAME_CLASS]);
	tg_lapic_write(LAPIC_TPR, 0);
}

static void check_order(void)
{
	bool got;

	tg_irq.hits[V_ORDER_LO] = 0;
	tg_irq_log_reset();
	self_ipi(V_ORDER_MID);
	self_ipi(V_ORDER_HI);
	self_ipi(V_ORDER_LO);
	got = tg_wait_irq(V_ORDER_LO, 1, WAIT_MS);
	tg_check("lapic.priority-order", got && tg_irq.log_n == 3 && tg_irq.log[0] == V_ORDER_HI &&
		 tg_irq.log[1] == V_ORDER_MID && tg_irq.log[2] == V_ORDER_LO,
		 "%u deliveries in the order 0x%x 0x%x 0x%x, want 0x61 0x52 0x4a", tg_irq.log_n,
		 tg_irq.log[0], tg_irq.log[1], tg_irq.log[2]);
}

static void check_svr_lvt(void)
{
	uint32_t svr = tg_lapic_read(LAPIC_SVR), a, b, c, d;
	/* The software disable below masks LINT0/LINT1 for good (SDM 10.4.7.2): put them back after. */
	uint32_t lint0 = tg_lapic_read(LAPIC_LVT_LINT0), lint1 = tg_lapic_read(LAPIC_LVT_LINT1);

	tg_lapic_write(LAPIC_LVT_TIMER, LVT_MASK | V_LVT);
	a = tg_lapic_read(LAPIC_LVT_TIMER);
	tg_lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | V_LVT);	/* initial count 0: stopped */
	b = tg_lapic_read(LAPIC_LVT_TIMER);
	tg_lapic_write(LAPIC_LVT_TIMER, LVT_MASK);
	tg_check("lapic.lvt-readback", a == (LVT_MASK | V_LVT) && b == (LVT_TIMER_PERIODIC | V_LVT),
		 "LVT timer read 0x%x and 0x%x, want 0x1004e and 0x2004e", a, b);

	/* Software disabled (SVR bit 8 clear): every LVT mask is set and sticks (SDM 10.4.7.2). */
	tg_lapic_write(LAPIC_LVT_ERROR, V_LVT);
	tg_lapic_write(LAPIC_SVR, svr & ~SVR_ENABLE);
	a = tg_lapic_read(LAPIC_LVT_ERROR);
	tg_lapic_write(LAPIC_LVT_ERROR, V_LVT);
	b = tg_lapic_read(LAPIC_LVT_ERROR);
	c = tg_lapic_read(LAPIC_SVR);
	tg_lapic_write(LAPIC_SVR, svr | SVR_ENABLE);
	tg_lapic_write(LAPIC_LVT_ERROR, V_LVT);
	d = tg_lapic_read(LAPIC_LVT_ERROR);
	tg_lapic_write(LAPIC_LVT_ERROR, LVT_MASK);
	/* Else the 8259's INTR (LINT0 ExtINT) never reaches the CPU again: t_rtc.c needs it. */
	tg_lapic_write(LAPIC_LVT_LINT0, lint0);
	tg_lapic_write(LAPIC_LVT_LINT1, lint1);
	if (tg_env.qemu_tcg) {
		tg_skip("lapic.svr-disable-masks-lvt", QEMU_LVT);
		tg_skip("lapic.svr-disabled-mask-sticks", QEMU_LVT);
	} else {
		tg_check("lapic.svr-disable-masks-lvt", (a & LVT_MASK) != 0,
			 "LVT error 0x%x after SVR 0x%x, want the mask bit set", a, c);
		tg_check("lapic.svr-disabled-mask-sticks", (b & LVT_MASK) && !(c & SVR_ENABLE),
			 "SVR 0x%x; unmasking the LVT error entry while disabled read 0x%x", c, b);
	}
	tg_check("lapic.svr-enable-unmasks", d == V_LVT, "after SVR enable LVT error reads 0x%x, want 0x4e",
		 d);
}

static void check_logical(void)
{
	uint32_t id = tg_lapic_read(LAPIC_ID) >> 24;
	bool hit;
	uint64_t miss;

	/* Flat model (DFR 0xF...): a logical destination matches if it shares a bit with
	 * LDR[31:24] (SDM 10.6.2.2). */
	tg_lapic_write(LAPIC_DFR, DFR_FLAT);
	tg_lapic_write(LAPIC_LDR, 0x01u << 24);
	tg_irq.hits[V_LOGICAL] = 0;
	tg_lapic_icr(0x01, ICR_DEST_LOGICAL | V_LOGICAL);
	hit = tg_wait_irq(V_LOGICAL, 1, WAIT_MS);
	tg_lapic_icr(0x02, ICR_DEST_LOGICAL | V_LOGICAL);
	miss = tg_irqs_during(V_LOGICAL, 5);
	tg_lapic_write(LAPIC_LDR, 0);
	tg_check("lapic.logical-flat-match", hit, "a fixed IPI to logical 0x01 with LDR 0x01000000 was not delivered");
	tg_check("lapic.logical-flat-miss", miss == 0,
		 "%lu deliveries of an IPI to logical 0x02 with LDR 0x01000000", miss);

	/* NMI delivery mode: vector 2 whatever the vector field, IF = 0 or not (SDM 10.6.1). */
	tg_irq.hits[TG_EXC_NMI] = 0;
	tg_irq.nmi_armed = 1;
	tg_lapic_icr(id, ICR_DM_NMI);
	tg_delay_ms(1);
	tg_irq.nmi_armed = 0;
	tg_check("lapic.nmi-ipi", tg_irq.hits[TG_EXC_NMI] == 1,
		 "%lu NMIs after an NMI IPI to ourselves (ID %u) with IF = 0, want 1",
		 tg_irq.hits[TG_EXC_NMI], id);
}

static void check_esr(void)
{
	uint32_t esr, again;

	if (tg_env.qemu_tcg) {
		tg_skip("lapic.esr-illegal-vector", "QEMU TCG delivers vectors 0-15 and sets no ESR bit");
		return;
	}
	tg_lapic_write(LAPIC_LVT_ERROR, LVT_MASK);
	tg_lapic_write(LAPIC_ESR, 0);
	tg_lapic_read(LAPIC_ESR);
	self_ipi(V_ILLEGAL);
	/* A write to the ESR latches the errors since the last write (SDM 10.5.3). */
	tg_lapic_write(LAPIC_ESR, 0);
	esr = tg_lapic_read(LAPIC_ESR);
	tg_lapic_write(LAPIC_ESR, 0);
	again = tg_lapic_read(LAPIC_ESR);
	tg_check("lapic.esr-illegal-vector",
		 (esr & (ESR_SEND_ILLEGAL_VECTOR | ESR_RECV_ILLEGAL_VECTOR)) != 0 && again == 0,
		 "ESR 0x%x after a self-IPI of vector 3 (want bit 5 or 6), then 0x%x (want 0)", esr, again);
}

/*
 * Under Tern, which loaded this kernel and so is its firmware: the BSP's
 * LAPIC as a PC's firmware leaves it (virtual wire, MP spec 3.6.2.2), read
 * before anything here writes it. On bare Bochs or QEMU it is whatever
 * their BIOS left, so it is not checked there.
 */
void tg_test_lapic_handoff(void)
{
	uint32_t svr, lint0, lint1;

	if (!tg_env.tern) {
		tg_skip("lapic.virtual-wire-handoff", "not under Tern");
		return;
	}
	if (!tg_cpu_has_apic())
		return;
	svr = tg_lapic_read(LAPIC_SVR);
	lint0 = tg_lapic_read(LAPIC_LVT_LINT0);
	lint1 = tg_lapic_read(LAPIC_LVT_LINT1);
	tg_check("lapic.virtual-wire-handoff",
		 (svr & SVR_ENABLE) && (svr & 0xff) == 0xff && lint0 == LVT_DM_EXTINT && lint1 == LVT_DM_NMI,
		 "SVR 0x%x, LINT0 0x%x, LINT1 0x%x; want enabled with vector 0xff, LINT0 ExtINT, LINT1 NMI, unmasked",
		 svr, lint0, lint1);
}

void tg_test_lapic(void)
{
	check_identity();
	check_tpr_ppr();
	check_self_ipi();
	check_tpr_blocks();
	check_order();
	check_svr_lvt();
	check_logical();
	check_esr();
}
