/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RDMSR/WRMSR inside a "try" (guest.h), for the checks that expect #GP:
 * unknown MSRs (t_msr.c), x2APIC registers and mode transitions (t_x2apic.c).
 */
#include "guest.h"

bool tg_try_rdmsr(uint32_t msr, uint64_t *val, struct tg_fault *f, uint64_t *at)
{
	uint32_t lo = 0, hi = 0;
	uint64_t insn;

	tg_fault_begin();
	__asm__ volatile(TG_ARM "lea 0f(%%rip), %2\n0:\trdmsr" TG_LAND
			 : "+a"(lo), "=d"(hi), "=&r"(insn) : "c"(msr) : "r11", "memory");
	*f = tg_fault_end();
	*val = ((uint64_t)hi << 32) | lo;
	*at = insn;
	return !f->hit;
}

bool tg_try_wrmsr(uint32_t msr, uint64_t val, struct tg_fault *f, uint64_t *at)
{
	uint64_t insn;

	tg_fault_begin();
	__asm__ volatile(TG_ARM "lea 0f(%%rip), %0\n0:\twrmsr" TG_LAND
			 : "=&r"(insn) : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
			 : "r11", "memory");
	*f = tg_fault_end();
	*at = insn;
	return !f->hit;
}

void tg_expect_gp(const char *name, bool ok, const struct tg_fault *f, uint64_t at)
{
	if (ok) {
		tg_fail(name, "no fault");
		return;
	}
	tg_check(name, f->vector == TG_EXC_GP && f->error == 0 && f->rip == at,
		 "vector %lu error 0x%lx at 0x%lx (insn at 0x%lx), want #GP(0)", f->vector, f->error,
		 f->rip, at);
}
