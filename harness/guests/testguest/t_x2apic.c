/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * x2APIC mode (irq=1, when CPUID.1:ECX.x2APIC is set; SDM Vol. 3A 10.12):
 * the switch from xAPIC through IA32_APIC_BASE.EXTD, the registers as MSRs
 * 0x800-0x8FF (ID, version, derived LDR, TPR, SELF IPI, the 64-bit ICR), the
 * #GP of a non-zero EOI write, of writes to read-only registers and to
 * reserved bits, of registers x2APIC does not have (10.12.1.2), and the #GP of
 * the illegal transitions out of x2APIC mode (10.12.5, Figure 10-27: to
 * xAPIC, and to the invalid state EN = 0, EXTD = 1).
 *
 * The way back (x2APIC -> disabled -> xAPIC) is not taken: Bochs 2.7, like a
 * P6, cannot re-enable an APIC once IA32_APIC_BASE.EN was cleared, so these
 * run last (main.c) and the APIC stays in x2APIC mode to the end. The x2APIC
 * LDR derived from the ID (10.12.10.2) SKIPs on Bochs 2.7, which leaves it 0
 * (it derives it only when leaving x2APIC mode).
 */
#include "guest.h"

#define CPUID1_ECX_X2APIC (1u << 21)
#define X2(reg) (MSR_X2APIC_BASE + (reg) / 16)
#define MSR_X2_DFR X2(0x0E0)	/* DFR does not exist in x2APIC mode */
#define V_SELF_MSR 0x42
#define V_ICR 0x43
#define WAIT_MS 50

static const char *const names[] = {
	"x2apic.enable", "x2apic.id", "x2apic.version", "x2apic.ldr-derived", "x2apic.tpr-msr",
	"x2apic.self-ipi-msr", "x2apic.icr-self", "x2apic.eoi-nonzero-gp", "x2apic.id-write-gp",
	"x2apic.dfr-gp", "x2apic.tpr-reserved-gp", "x2apic.to-xapic-gp", "x2apic.invalid-state-gp",
};

static void gp_check(const char *name, bool write, uint32_t msr, uint64_t val)
{
	struct tg_fault f;
	uint64_t at, v;
	bool ok = write ? tg_try_wrmsr(msr, val, &f, &at) : tg_try_rdmsr(msr, &v, &f, &at);

	tg_expect_gp(name, ok, &f, at);
}

static void in_x2apic(uint32_t xid, uint32_t xver)
{
	uint32_t id = (uint32_t)rdmsr(X2(LAPIC_ID)), ldr = (uint32_t)rdmsr(X2(LAPIC_LDR));
	uint32_t want_ldr = ((id >> 4) << 16) | (1u << (id & 0xF));
	uint64_t tpr;

	tg_check("x2apic.id", id == xid, "MSR 0x802 reads %u, the xAPIC ID was %u", id, xid);
	tg_check("x2apic.version", (uint32_t)rdmsr(X2(LAPIC_VER)) == xver,
		 "MSR 0x803 reads 0x%lx, the xAPIC version register 0x%x", rdmsr(X2(LAPIC_VER)), xver);
	/* Logical ID = cluster (ID[19:4]) << 16 | 1 << ID[3:0] (SDM 10.12.10.2). */
	if (tg_env.bochs)
		tg_skip("x2apic.ldr-derived", "Bochs 2.7 reads the x2APIC LDR as 0");
	else
		tg_check("x2apic.ldr-derived", ldr == want_ldr, "LDR 0x%x, want 0x%x", ldr, want_ldr);
	wrmsr(X2(LAPIC_TPR), 0x30);
	tpr = rdmsr(X2(LAPIC_TPR));
	wrmsr(X2(LAPIC_TPR), 0);
	tg_check_eq("x2apic.tpr-msr", tpr, 0x30);

	tg_irq.hits[V_SELF_MSR] = 0;
	wrmsr(X2(LAPIC_SELF_IPI), V_SELF_MSR);
	tg_check("x2apic.self-ipi-msr", tg_wait_irq(V_SELF_MSR, 1, WAIT_MS) &&
		 tg_irq.hits[V_SELF_MSR] == 1, "%lu deliveries of 0x42 after WRMSR 0x83f, want 1 (EOI by MSR 0x80b)",
		 tg_irq.hits[V_SELF_MSR]);
	tg_irq.hits[V_ICR] = 0;
	tg_lapic_icr(id, V_ICR);	/* fixed, physical destination: ourselves */
	tg_check("x2apic.icr-self", tg_wait_irq(V_ICR, 1, WAIT_MS) && tg_irq.hits[V_ICR] == 1,
		 "%lu deliveries of 0x43 after WRMSR 0x830 to ID %u, want 1", tg_irq.hits[V_ICR], id);

	gp_check("x2apic.eoi-nonzero-gp", true, X2(LAPIC_EOI), 1);
	gp_check("x2apic.id-write-gp", true, X2(LAPIC_ID), id);
	gp_check("x2apic.dfr-gp", false, MSR_X2_DFR, 0);
	/* Bits 63:32 of every x2APIC MSR but the ICR are reserved. */
	gp_check("x2apic.tpr-reserved-gp", true, X2(LAPIC_TPR), 1ull << 32);
}

void tg_test_x2apic(void)
{
	uint32_t r[4], xid, xver;
	uint64_t base = rdmsr(MSR_APIC_BASE), at;
	struct tg_fault f;
	bool ok;

	cpuid(1, 0, r);
	if (!(r[2] & CPUID1_ECX_X2APIC)) {
		for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			tg_skip(names[i], "CPUID.1:ECX.x2APIC = 0");
		return;
	}
	xid = tg_lapic_read(LAPIC_ID) >> 24;
	xver = tg_lapic_read(LAPIC_VER);
	ok = tg_try_wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD, &f, &at);
	tg_check("x2apic.enable", ok && (rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD),
		 "WRMSR IA32_APIC_BASE |= EXTD: %s, reads 0x%lx", ok ? "no fault" : "faulted",
		 rdmsr(MSR_APIC_BASE));
	if (!ok)
		return;
	tg_x2apic = true;
	tg_lapic_write(LAPIC_SVR, SVR_ENABLE | 0xFF);
	in_x2apic(xid, xver);

	/* x2APIC -> xAPIC directly is illegal, and EN = 0 with EXTD = 1 is no state at all. */
	gp_check("x2apic.to-xapic-gp", true, MSR_APIC_BASE, base & ~APIC_BASE_EXTD);
	gp_check("x2apic.invalid-state-gp", true, MSR_APIC_BASE,
		 (base & ~APIC_BASE_EN) | APIC_BASE_EXTD);
}
