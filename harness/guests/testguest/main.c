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

void tg_main(uint32_t magic, uint32_t info);
void tg_main(uint32_t magic, uint32_t info)
{
	tg_console_init();
	detect();
	tg_printf("testguest: start (%s%s%s)\n", tg_env.tern ? "under Tern" : "native",
		  tg_env.hv_sig[0] ? ", hypervisor signature " : "", tg_env.hv_sig);
	/* First, before the guest has an IDT: the first boot ends in a triple fault. */
	tg_test_reset(magic, info);
	tg_idt_init();

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
	tg_test_hlt();
	tg_finish();
}
