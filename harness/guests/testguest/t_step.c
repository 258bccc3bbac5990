/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Single-stepping (RFLAGS.TF) over instructions Tern emulates: CPUID, a
 * store to the test device (MMIO; natively a store to RAM) and OUT to the
 * UART's scratch register. Each must trap exactly once, after the
 * instruction: one #DB whose frame RIP is the next instruction, with DR6.BS
 * set (SDM Vol. 3A 17.3.1.4). TF is set by POPF, which does not itself trap
 * (the trap comes after the instruction that follows it); the #DB handler
 * (idt.c) clears TF in the frame so that stepping stops there. A REP
 * string instruction traps after each iteration.
 */
#include "guest.h"

#define DEV_SCRATCH ((uint64_t)0xC0000100)
#define UART_SCR (COM1 + 7)
#define DR6_BS (1ull << 14)
#define DR6_INIT 0xFFFF0FF0ull		/* DR6 with no condition bits set */
#define RFLAGS_TF_BIT "0x100"	/* TG_RFLAGS_TF, as an asm immediate */

volatile struct tg_step tg_step;
volatile uint64_t tg_step_next;

/* Arm the recorder for `until` traps, clear DR6; the asm that follows sets TF. */
static void step_begin_n(uint64_t until)
{
	tg_step.until = until;
	tg_step.count = 0;
	tg_step.rip = 0;
	tg_step.dr6 = 0;
	tg_step_next = 0;
	__asm__ volatile("mov %0, %%dr6" : : "r"(DR6_INIT));
	tg_step.armed = true;
}

static void step_begin(void)
{
	step_begin_n(1);
}

/* "lea": the next instruction's address; "popfq": TF on, no trap after POPF itself. */
#define STEP_PROLOGUE                                                                  \
	"lea 1f(%%rip), %%r11\n\tmov %%r11, tg_step_next(%%rip)\n\t"                   \
	"pushfq\n\torq $" RFLAGS_TF_BIT ", (%%rsp)\n\tpopfq\n\t"
#define STEP_EPILOGUE "\n1:\n\t"

static void step_check(const char *name)
{
	tg_step.armed = false;
	tg_check(name, tg_step.count == 1 && tg_step.rip == tg_step_next && (tg_step.dr6 & DR6_BS),
		 "%lu #DB, last at rip 0x%lx (next instruction 0x%lx), DR6 0x%lx", tg_step.count,
		 tg_step.rip, tg_step_next, tg_step.dr6);
	/* TF must be off again: the handler cleared it in the frame. */
	if (read_rflags() & TG_RFLAGS_TF)
		tg_fail(name, "RFLAGS.TF still set after the step");
}

static uint32_t ram_word;

void tg_test_step(void)
{
	uint32_t a = 0x40000000u, b, c = 0, d;

	step_begin();
	__asm__ volatile(STEP_PROLOGUE "cpuid" STEP_EPILOGUE
			 : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "r11", "memory", "cc");
	step_check("step.cpuid");

	/* Under Tern the test device (an EPT-violation exit, emulated); natively RAM. */
	volatile uint32_t *dst = tg_env.tern ? (volatile uint32_t *)DEV_SCRATCH : &ram_word;
	uint32_t v = 0x5eb0cafe;
	step_begin();
	__asm__ volatile(STEP_PROLOGUE "movl %0, (%1)" STEP_EPILOGUE
			 : : "r"(v), "r"(dst) : "r11", "memory", "cc");
	step_check("step.mmio-store");
	tg_check_eq("step.mmio-store-value", *dst, v);

	/* OUT to the UART's scratch register (a port I/O exit under Tern). */
	uint8_t byte = 0xa5;
	uint16_t port = UART_SCR;
	step_begin();
	__asm__ volatile(STEP_PROLOGUE "outb %%al, %%dx" STEP_EPILOGUE
			 : : "a"(byte), "d"(port) : "r11", "memory", "cc");
	step_check("step.out-uart");
	tg_check_eq("step.out-uart-value", inb(UART_SCR), byte);

	/*
	 * REP OUTSB of two bytes: a trap after each iteration. The first with
	 * RIP still on the instruction (and RF = 1 pushed, SDM Vol. 3A
	 * 17.3.1.1; checked under Tern only, emulators differ), the second
	 * after it; the guest re-executes the instruction in between.
	 */
	static const uint8_t two[2] = { 0x3c, 0xc3 };
	const uint8_t *src = two;
	uint64_t cnt = 2, insn = 0;
	step_begin_n(2);
	__asm__ volatile("lea 2f(%%rip), %%r10\n\tmov %%r10, %2\n\t" STEP_PROLOGUE
			 "2: rep outsb" STEP_EPILOGUE
			 : "+S"(src), "+c"(cnt), "=m"(insn) : "d"(port) : "r10", "r11", "memory", "cc");
	tg_step.armed = false;
	bool rf_ok = !tg_env.tern || (tg_step.rflags[0] & TG_RFLAGS_RF);
	tg_check("step.rep-outs", tg_step.count == 2 && tg_step.rips[0] == insn &&
				       tg_step.rips[1] == tg_step_next && rf_ok && cnt == 0 &&
				       (tg_step.dr6 & DR6_BS),
		 "%lu #DB at rip 0x%lx, 0x%lx (instruction 0x%lx, next 0x%lx), first RFLAGS 0x%lx, "
		 "RCX %lu, DR6 0x%lx", tg_step.count, tg_step.rips[0], tg_step.rips[1], insn,
		 tg_step_next, tg_step.rflags[0], cnt, tg_step.dr6);
	tg_check_eq("step.rep-outs-value", inb(UART_SCR), 0xc3);
}
