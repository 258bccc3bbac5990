/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CPUID as Tern presents it: VMX hidden, the hypervisor-present bit set
 * (CPUID.1:ECX[31], reserved for hypervisors), and the hypervisor leaves
 * from 0x40000000 naming Tern.
 */
#include "guest.h"

#define NOT_TERN "not under Tern"

void tg_test_cpuid(void)
{
	uint32_t r[4];

	if (!tg_env.tern) {
		tg_skip("cpuid.vmx-hidden", NOT_TERN);
		tg_skip("cpuid.hypervisor-bit", NOT_TERN);
		tg_skip("cpuid.hv-max-leaf", NOT_TERN);
		tg_skip("cpuid.hv-signature", NOT_TERN);
		return;
	}
	cpuid(1, 0, r);
	tg_check("cpuid.vmx-hidden", !(r[2] & (1u << 5)), "leaf 1 ECX 0x%x has VMX (bit 5)", r[2]);
	tg_check("cpuid.hypervisor-bit", r[2] & (1u << 31), "leaf 1 ECX 0x%x lacks bit 31", r[2]);
	cpuid(0x40000000, 0, r);
	tg_check("cpuid.hv-max-leaf", r[0] >= 0x40000001u && r[0] < 0x40000100u,
		 "leaf 0x40000000 EAX 0x%x", r[0]);
	tg_check("cpuid.hv-signature",
		 r[1] == 0x6E726554u && r[2] == 0x6E726554u && r[3] == 0x6E726554u,
		 "EBX,ECX,EDX 0x%x 0x%x 0x%x, want \"Tern\" (0x6e726554) in each", r[1], r[2], r[3]);
}
