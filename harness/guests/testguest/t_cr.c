/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MOV to CR4: setting VMXE must #GP under Tern (VMX is hidden, so VMXE is a
 * reserved bit for the guest: SDM Vol. 3A 2.5, MOV to CR4 with a reserved
 * bit set raises #GP(0)); a legal change (TSD, OSFXSR) must stick and be
 * what MOV from CR4 returns.
 */
#include "guest.h"

#define CR4_TSD (1ull << 2)
#define CR4_VMXE (1ull << 13)
#define CR4_OSFXSR (1ull << 9)

static bool try_write_cr4(uint64_t v, struct tg_fault *f, uint64_t *at)
{
	uint64_t insn;

	tg_fault_begin();
	__asm__ volatile(TG_ARM "lea 0f(%%rip), %0\n0:\tmov %1, %%cr4" TG_LAND
			 : "=&r"(insn) : "r"(v) : "r11", "memory");
	*f = tg_fault_end();
	*at = insn;
	return !f->hit;
}

static void toggle(const char *name, uint64_t bit)
{
	struct tg_fault f;
	uint64_t at, orig = read_cr4(), changed, back;
	bool ok1, ok2;

	ok1 = try_write_cr4(orig ^ bit, &f, &at);
	changed = read_cr4();
	ok2 = try_write_cr4(orig, &f, &at);
	back = read_cr4();
	tg_check(name, ok1 && ok2 && changed == (orig ^ bit) && back == orig,
		 "CR4 0x%lx -> wrote 0x%lx read 0x%lx -> restored read 0x%lx%s", orig, orig ^ bit,
		 changed, back, ok1 && ok2 ? "" : " (faulted)");
}

void tg_test_cr(void)
{
	struct tg_fault f;
	uint64_t at, before = read_cr4(), after;
	bool ok;

	toggle("cr4.toggle-tsd", CR4_TSD);
	toggle("cr4.toggle-osfxsr", CR4_OSFXSR);

	if (!tg_env.tern && tg_env.cpu_vmx) {
		tg_skip("cr4.vmxe-gp", "native CPU has VMX: CR4.VMXE is legal here");
		return;
	}
	if (tg_env.qemu_tcg) {
		tg_skip("cr4.vmxe-gp", "QEMU 7.2 TCG hangs on MOV to CR4 with VMXE");
		return;
	}
	ok = try_write_cr4(before | CR4_VMXE, &f, &at);
	after = read_cr4();
	if (ok) {
		try_write_cr4(before, &f, &at);
		tg_fail("cr4.vmxe-gp", "no fault, CR4 read 0x%lx", after);
		return;
	}
	tg_check("cr4.vmxe-gp", f.vector == TG_EXC_GP && f.error == 0 && f.rip == at && after == before,
		 "vector %lu error 0x%lx at 0x%lx (insn 0x%lx), CR4 0x%lx -> 0x%lx", f.vector, f.error,
		 f.rip, at, before, after);
}
