/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Faults the guest raises and must receive itself, with the architectural
 * vector, error code and RIP (SDM Vol. 3A 6.15): #UD from UD2, #DE, #BP
 * (a trap: RIP after INT3), #PF for a not-present page with CR2 and the
 * error code (6.15 "Interrupt 14"), #GP(0) for a non-canonical address.
 * (#GP from a bad MSR is in t_msr.c.)
 */
#include "guest.h"

#define UNMAPPED 0x100000000ull		/* PDPT entry 4: not present */
#define NONCANON 0x8000000000000000ull
#define PF_ERR_WRITE 0x2

static void check_fault(const char *name, const struct tg_fault *f, uint64_t vec, uint64_t err,
			uint64_t rip)
{
	tg_check(name, f->hit && f->vector == vec && f->error == err && f->rip == rip,
		 "%s vector %lu error 0x%lx rip 0x%lx, want vector %lu error 0x%lx rip 0x%lx",
		 f->hit ? "got" : "no fault;", f->vector, f->error, f->rip, vec, err, rip);
}

void tg_test_faults(void)
{
	struct tg_fault f;
	uint64_t at, val = 0, one = 1, zero = 0;

	tg_fault_begin();
	__asm__ volatile(TG_ARM "lea 0f(%%rip), %0\n0:\tud2" TG_LAND : "=&r"(at) : : "r11", "memory");
	f = tg_fault_end();
	check_fault("fault.ud-ud2", &f, TG_EXC_UD, 0, at);

	tg_fault_begin();
	__asm__ volatile(TG_ARM "lea 0f(%%rip), %0\n\txor %%edx, %%edx\n0:\tdivq %1" TG_LAND
			 : "=&r"(at) : "r"(zero), "a"(one) : "rdx", "r11", "memory");
	f = tg_fault_end();
	check_fault("fault.de-div0", &f, TG_EXC_DE, 0, at);

	tg_fault_begin();
	__asm__ volatile(TG_ARM "lea 0f(%%rip), %0\n\tint3\n0:" TG_LAND : "=&r"(at) : : "r11", "memory");
	f = tg_fault_end();
	check_fault("fault.bp-int3-trap", &f, TG_EXC_BP, 0, at);

	tg_fault_begin();
	__asm__ volatile(TG_ARM "lea 0f(%%rip), %0\n0:\tmovq (%2), %1" TG_LAND
			 : "=&r"(at), "+r"(val) : "r"(UNMAPPED) : "r11", "memory");
	f = tg_fault_end();
	check_fault("fault.pf-read-not-present", &f, TG_EXC_PF, 0, at);
	tg_check_eq("fault.pf-read-cr2", f.cr2, UNMAPPED);

	tg_fault_begin();
	__asm__ volatile(TG_ARM "lea 0f(%%rip), %0\n0:\tmovq %1, 8(%2)" TG_LAND
			 : "=&r"(at) : "r"(val), "r"(UNMAPPED) : "r11", "memory");
	f = tg_fault_end();
	check_fault("fault.pf-write-not-present", &f, TG_EXC_PF, PF_ERR_WRITE, at);
	tg_check_eq("fault.pf-write-cr2", f.cr2, UNMAPPED + 8);

	tg_fault_begin();
	__asm__ volatile(TG_ARM "lea 0f(%%rip), %0\n0:\tmovq (%2), %1" TG_LAND
			 : "=&r"(at), "+r"(val) : "r"(NONCANON) : "r11", "memory");
	f = tg_fault_end();
	check_fault("fault.gp-noncanonical", &f, TG_EXC_GP, 0, at);
}
