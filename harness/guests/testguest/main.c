/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tern's test guest: a multiboot kernel that exercises every kind of exit
 * Tern handles and prints kvm-unit-tests style results on COM1. See
 * docs/testguest.md for each check and the Tern behaviour it expects.
 */
#include "guest.h"

#define CPUID_HV_BASE 0x40000000u
#define CPUID1_ECX_VMX (1u << 5)
#define CPUID1_ECX_HYPERVISOR (1u << 31)

static void detect(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	tg_env.cpu_vmx = r[2] & CPUID1_ECX_VMX;
	tg_env.hv_sig[0] = 0;
	if (r[2] & CPUID1_ECX_HYPERVISOR) {
		cpuid(CPUID_HV_BASE, 0, r);
		memcpy(&tg_env.hv_sig[0], &r[1], 4);
		memcpy(&tg_env.hv_sig[4], &r[2], 4);
		memcpy(&tg_env.hv_sig[8], &r[3], 4);
		tg_env.hv_sig[12] = 0;
		for (int i = 0; i < 12; i++)	/* keep the banner printable */
			if (tg_env.hv_sig[i] < 0x20 || tg_env.hv_sig[i] > 0x7E)
				tg_env.hv_sig[i] = '.';
	}
	tg_env.tern = memcmp(tg_env.hv_sig, "TernTernTern", 12) == 0;
	tg_env.qemu_tcg = memcmp(tg_env.hv_sig, "TCGTCGTCGTCG", 12) == 0;
}

#define MB_BOOT_MAGIC 0x2BADB002u
#define MBI_CMDLINE (1u << 2)

/* Is `word` one of the space-separated words of the multiboot command line? */
static bool cmdline_has(uint32_t magic, uint32_t info, const char *word)
{
	const uint32_t *mbi = (const uint32_t *)(uintptr_t)info;
	const char *p;
	size_t n = 0;

	if (magic != MB_BOOT_MAGIC || !info || !(mbi[0] & MBI_CMDLINE) || !mbi[4])
		return false;
	while (word[n])
		n++;
	for (p = (const char *)(uintptr_t)mbi[4]; *p; p++)
		if ((p == (const char *)(uintptr_t)mbi[4] || p[-1] == ' ') && memcmp(p, word, n) == 0 &&
		    (p[n] == ' ' || p[n] == 0))
			return true;
	return false;
}

/*
 * The interrupt, timer and SMP checks run only when the command line asks
 * (irq=1, smp=1): the boot tests ask on bare Bochs and QEMU, and under Tern
 * once it emulates the LAPIC, IOAPIC, PIC and PIT (docs/testguest.md).
 */
static void interrupt_checks(void)
{
	bool apic;

	if (!tg_env.irq && !tg_env.smp)
		return;
	apic = tg_lapic_setup();
	tg_acpi_madt();
	if (!apic) {
		tg_printf("testguest: CPUID.1:EDX.APIC = 0: no local APIC, no interrupt checks\n");
		return;
	}
	if (tg_env.irq) {
		tg_test_pic_pit();
		tg_test_lapic();
		tg_test_timer();
		tg_test_rtc();
		tg_test_ioapic();
	}
}

void tg_main(uint32_t magic, uint32_t info);
void tg_main(uint32_t magic, uint32_t info)
{
	tg_console_init();
	detect();
	/* Read before any check: t_smp.c's trampoline may overwrite low memory. */
	tg_env.irq = cmdline_has(magic, info, "irq=1");
	tg_env.smp = cmdline_has(magic, info, "smp=1");
	tg_printf("testguest: start (%s%s%s)\n", tg_env.tern ? "under Tern" : "native",
		  tg_env.hv_sig[0] ? ", hypervisor signature " : "", tg_env.hv_sig);
	/* First, before the guest has an IDT: the first boot ends in a triple fault. */
	tg_test_reset(magic, info);
	tg_idt_init();
	/* Before any check writes the LAPIC (t_msr.c toggles IA32_APIC_BASE, which resets it). */
	tg_test_lapic_handoff();

	tg_test_multiboot(magic, info);
	tg_test_cpuid();
	tg_test_pio();
	tg_test_string_io();
	tg_test_msr();
	tg_test_cr();
	tg_test_intercept();
	tg_test_faults();
	tg_test_mmio();
	tg_test_hypercall();
	tg_test_step();
	tg_test_uvm();
	interrupt_checks();
	tg_test_hlt();
	if (tg_env.smp)
		tg_test_smp();
	if (tg_env.irq && tg_cpu_has_apic())
		tg_test_x2apic();	/* last: it leaves the APIC in x2APIC mode */
	tg_finish();
}
