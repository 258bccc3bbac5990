/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions Tern intercepts so that core's policy holds instead of the
 * host's (core/vmx_controls.c, core/exit_dispatch.c):
 *   MOV to/from CR8   core's TPR (CR8-load/store exiting): a value written
 *                     reads back; bits 63:4 set are #GP(0) (SDM Vol. 3A 10.8.6.1);
 *   RDPMC             #GP(0): CPUID.0xA shows no counters, so no index is
 *                     valid (SDM Vol. 2B RDPMC) — not the host's counters;
 *   MONITOR, MWAIT    #UD as on a CPU without them (CPUID.1:ECX.MONITOR = 0);
 *                     natively MWAIT could wait for ever, so Tern only;
 *   WBINVD            completes (a no-op for the guest) without touching
 *                     the host's caches: RIP moves on, registers unchanged.
 */
#include "guest.h"

#define CR8_TEST_VALUE 5ull
#define CR8_RESERVED_BIT (1ull << 4)
#define CPUID1_ECX_MONITOR (1u << 3)
#define CPUID_PMU_LEAF 0xa

static bool try_write_cr8(uint64_t v, struct tg_fault *f, uint64_t *at)
{
	uint64_t insn;

	tg_fault_begin();
	__asm__ volatile(TG_ARM "lea 0f(%%rip), %0\n0:\tmov %1, %%cr8" TG_LAND
			 : "=&r"(insn) : "r"(v) : "r11", "memory");
	*f = tg_fault_end();
	*at = insn;
	return !f->hit;
}

static uint64_t read_cr8(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static void expect_fault(const char *name, const char *what, bool ok, const struct tg_fault *f,
			 uint64_t at, uint64_t vector)
{
	if (ok) {
		tg_fail(name, "%s did not fault", what);
		return;
	}
	tg_check(name, f->vector == vector && f->error == 0 && f->rip == at,
		 "%s: vector %lu error 0x%lx at 0x%lx (insn at 0x%lx), want vector %lu", what,
		 f->vector, f->error, f->rip, at, vector);
}

static void test_cr8(void)
{
	struct tg_fault f;
	uint64_t at, orig = read_cr8(), got;
	bool ok;

	ok = try_write_cr8(CR8_TEST_VALUE, &f, &at);
	got = read_cr8();
	try_write_cr8(orig, &f, &at);
	tg_check("cr8.write-read-back", ok && got == CR8_TEST_VALUE && read_cr8() == orig,
		 "wrote %llu, read %lu, restored %lu -> %lu%s", CR8_TEST_VALUE, got, orig, read_cr8(),
		 ok ? "" : " (faulted)");

	if (tg_env.qemu_tcg) {
		tg_skip("cr8.reserved-gp", "QEMU TCG does not check CR8's reserved bits");
		return;
	}
	ok = try_write_cr8(CR8_RESERVED_BIT, &f, &at);
	got = read_cr8();
	if (ok) {
		try_write_cr8(orig, &f, &at);
		tg_fail("cr8.reserved-gp", "mov cr8 <- 0x10 did not fault, CR8 read %lu", got);
		return;
	}
	tg_check("cr8.reserved-gp", f.vector == TG_EXC_GP && f.error == 0 && f.rip == at && got == orig,
		 "vector %lu error 0x%lx at 0x%lx (insn at 0x%lx), CR8 %lu -> %lu; want #GP(0), unchanged",
		 f.vector, f.error, f.rip, at, orig, got);
}

static void test_rdpmc(void)
{
	struct tg_fault f;
	uint32_t r[4];
	uint64_t at;

	if (!tg_env.tern) {
		tg_skip("intercept.rdpmc-gp", "not under Tern");
		return;
	}
	cpuid(CPUID_PMU_LEAF, 0, r);
	if (r[0] != 0) {
		tg_fail("intercept.rdpmc-gp", "CPUID.0xA:EAX = 0x%x, want no counters", r[0]);
		return;
	}
	tg_fault_begin();
	__asm__ volatile(TG_ARM "lea 0f(%%rip), %0\n0:\trdpmc" TG_LAND
			 : "=&r"(at) : "c"(0) : "rax", "rdx", "r11", "memory");
	f = tg_fault_end();
	expect_fault("intercept.rdpmc-gp", "rdpmc ecx=0", !f.hit, &f, at, TG_EXC_GP);
}

static void test_monitor_mwait(void)
{
	static volatile uint64_t line;
	struct tg_fault f;
	uint32_t r[4];
	uint64_t at;

	if (!tg_env.tern) {
		tg_skip("intercept.monitor-ud", "not under Tern");
		tg_skip("intercept.mwait-ud", "not under Tern");
		return;
	}
	cpuid(1, 0, r);
	if (r[2] & CPUID1_ECX_MONITOR) {
		tg_fail("intercept.monitor-ud", "CPUID.1:ECX.MONITOR is set under Tern");
		tg_fail("intercept.mwait-ud", "CPUID.1:ECX.MONITOR is set under Tern");
		return;
	}
	tg_fault_begin();
	__asm__ volatile(TG_ARM "lea 0f(%%rip), %0\n0:\tmonitor" TG_LAND
			 : "=&r"(at) : "a"(&line), "c"(0), "d"(0) : "r11", "memory");
	f = tg_fault_end();
	expect_fault("intercept.monitor-ud", "monitor", !f.hit, &f, at, TG_EXC_UD);

	tg_fault_begin();
	__asm__ volatile(TG_ARM "lea 0f(%%rip), %0\n0:\tmwait" TG_LAND
			 : "=&r"(at) : "a"(0), "c"(0) : "r11", "memory");
	f = tg_fault_end();
	expect_fault("intercept.mwait-ud", "mwait", !f.hit, &f, at, TG_EXC_UD);
}

static void test_wbinvd(void)
{
	struct tg_fault f;
	uint64_t a = 0x1111222233334444ull, c = 0x5555666677778888ull, d = 0x99990000aaaabbbbull;
	uint64_t a0 = a, c0 = c, d0 = d, passed = 0;

	tg_fault_begin();
	__asm__ volatile(TG_ARM "wbinvd\n\tmovq $1, %3" TG_LAND
			 : "+a"(a), "+c"(c), "+d"(d), "+r"(passed) : : "r11", "memory");
	f = tg_fault_end();
	tg_check("intercept.wbinvd", !f.hit && passed == 1 && a == a0 && c == c0 && d == d0,
		 "fault %d (vector %lu), next instruction %s, rax 0x%lx rcx 0x%lx rdx 0x%lx", f.hit,
		 f.vector, passed ? "ran" : "skipped", a, c, d);
}

void tg_test_intercept(void)
{
	test_cr8();
	test_rdpmc();
	test_monitor_mwait();
	test_wbinvd();
}
