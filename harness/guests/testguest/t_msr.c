/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RDMSR/WRMSR: IA32_FEATURE_CONTROL as Tern shows it (locked, VMX off), #GP
 * for MSRs that do not exist (SDM Vol. 4; RDMSR raises #GP(0) for a
 * reserved or unimplemented MSR), for x2APIC MSRs while the APIC is not in
 * x2APIC mode (SDM Vol. 3A 12.12.1.2), and a TSC that moves forward.
 */
#include "guest.h"

#define MSR_FEATURE_CONTROL 0x3A
#define MSR_TSC 0x10
#define MSR_BOGUS 0x12345678
#define MSR_X2APIC_VERSION 0x803
#define MSR_X2APIC_TPR 0x808
#define MSR_X2APIC_802 0x802

void tg_test_msr(void)
{
	struct tg_fault f;
	uint64_t v, at, t0, t1, m;
	bool ok;

	if (tg_env.tern) {
		ok = tg_try_rdmsr(MSR_FEATURE_CONTROL, &v, &f, &at);
		if (ok)
			tg_check_eq("msr.feature-control-locked-vmx-off", v, 0x1);
		else
			tg_fail("msr.feature-control-locked-vmx-off", "vector %lu on RDMSR 0x3a", f.vector);
		/* Locked: any write is #GP (SDM Vol. 3C 24.7). */
		ok = tg_try_wrmsr(MSR_FEATURE_CONTROL, 0x5, &f, &at);
		tg_expect_gp("msr.feature-control-write-gp", ok, &f, at);
	} else {
		tg_skip("msr.feature-control-locked-vmx-off", "not under Tern");
		tg_skip("msr.feature-control-write-gp", "not under Tern");
	}

	if (tg_env.qemu_tcg) {
		/* QEMU 7.2 TCG reads unknown and x2APIC MSRs as 0, ignores writes,
		 * and reads IA32_TSC as 0: not the architecture, so not checked. */
		tg_skip("msr.unknown-rdmsr-gp", "QEMU TCG reads unknown MSRs as 0");
		tg_skip("msr.unknown-wrmsr-gp", "QEMU TCG ignores writes to unknown MSRs");
		tg_skip("msr.x2apic-802-gp", "QEMU TCG does not fault x2APIC MSRs in xAPIC mode");
		tg_skip("msr.tsc-increases", "QEMU TCG reads IA32_TSC as 0");
		return;
	}
	ok = tg_try_rdmsr(MSR_BOGUS, &v, &f, &at);
	tg_expect_gp("msr.unknown-rdmsr-gp", ok, &f, at);
	ok = tg_try_wrmsr(MSR_BOGUS, 0, &f, &at);
	tg_expect_gp("msr.unknown-wrmsr-gp", ok, &f, at);
	ok = tg_try_rdmsr(MSR_X2APIC_802, &v, &f, &at);
	tg_expect_gp("msr.x2apic-802-gp", ok, &f, at);

	t0 = rdtsc();
	ok = tg_try_rdmsr(MSR_TSC, &m, &f, &at);
	for (volatile int i = 0; i < 1000; i++)
		;
	t1 = rdtsc();
	tg_check("msr.tsc-increases", ok && t0 < m && m < t1,
		 "RDTSC 0x%lx, RDMSR(0x10) 0x%lx%s, RDTSC 0x%lx", t0, m, ok ? "" : " (faulted)", t1);
}
