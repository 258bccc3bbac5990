/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The test guest's shared declarations. This is guest code, not core/: it
 * uses inline assembly freely, because poking the CPU is its whole job.
 */
#ifndef TG_GUEST_H
#define TG_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

/* ---- environment ---------------------------------------------------------- */
struct tg_env {
	bool tern;		/* CPUID 0x40000000 says "TernTernTern" */
	bool cpu_vmx;		/* CPUID.1:ECX.VMX as this CPU reports it */
	char hv_sig[13];	/* leaf 0x40000000 signature, if any */
	bool qemu_tcg;		/* "TCGTCGTCGTCG": QEMU without KVM, see docs/testguest.md */
	bool bochs;		/* bare Bochs: ACPI OEM "BOCHS ", no hypervisor signature (acpi.c) */
	bool irq;		/* `irq=1` on the command line: LAPIC, timer, PIC/PIT, IOAPIC, RTC */
	bool smp;		/* `smp=1` on the command line: start the APs (t_smp.c) */
};
extern struct tg_env tg_env;

/* ---- port I/O, CPU helpers -------------------------------------------------- */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_rflags(void) { uint64_t v; __asm__ volatile("pushfq; popq %0" : "=r"(v)); return v; }

/* ---- console (COM1) and reporting ---------------------------------------------- */
#define COM1 0x3F8
void tg_console_init(void);
void tg_putc(char c);
void tg_puts(const char *s);
void tg_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tg_vprintf(const char *fmt, va_list ap);

void tg_pass(const char *name);
void tg_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tg_skip(const char *name, const char *why);
/* PASS if got == want, else FAIL naming both. Returns the verdict. */
bool tg_check_eq(const char *name, uint64_t got, uint64_t want);
bool tg_check(const char *name, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tg_finish(void) __attribute__((noreturn));
void tg_exit(uint32_t code) __attribute__((noreturn));

/* ---- exceptions ------------------------------------------------------------------ */
struct tg_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

/*
 * A "try": inline asm stores the address of its landing label in
 * tg_fixup_rip (TG_ARM, clobbers r11) before the instruction that may fault.
 * The exception handler records the fault and resumes at the landing label
 * (at CPL0 on the kernel stack saved in tg_fixup_rsp if the fault came from
 * CPL3). tg_fault_begin() resets the record; tg_fault_end() disarms.
 */
struct tg_fault {
	bool hit;
	uint64_t vector, error, rip, cr2, cs;
};
extern volatile uint64_t tg_fixup_rip;
extern volatile uint64_t tg_fixup_rsp;
extern volatile struct tg_fault tg_last_fault;
#define TG_ARM "lea 1f(%%rip), %%r11\n\tmov %%r11, tg_fixup_rip(%%rip)\n\t"
#define TG_LAND "\n1:\n\t"
void tg_fault_begin(void);
struct tg_fault tg_fault_end(void);

void tg_idt_init(void);
void tg_idt_load(void);

/*
 * Single-step #DB recorder (t_step.c, idt.c): while armed, each #DB is
 * counted and its frame recorded; TF is cleared in the frame at the
 * `until`-th trap.
 */
#define TG_STEP_MAX 4
struct tg_step {
	bool armed;
	uint64_t until, count, rip, dr6;
	uint64_t rips[TG_STEP_MAX], rflags[TG_STEP_MAX];
};
extern volatile struct tg_step tg_step;
static inline uint64_t read_dr6(void) { uint64_t v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
#define TG_IRQ_VECTOR 0x40
#define TG_EXC_UD 6
#define TG_EXC_GP 13
#define TG_EXC_PF 14
#define TG_EXC_DE 0
#define TG_EXC_DB 1
#define TG_EXC_NMI 2
#define TG_RFLAGS_TF (1ull << 8)
#define TG_RFLAGS_RF (1ull << 16)
#define TG_EXC_BP 3

/* ---- MSRs that may fault (msr.c) --------------------------------------------------- */
bool tg_try_rdmsr(uint32_t msr, uint64_t *val, struct tg_fault *f, uint64_t *at);
bool tg_try_wrmsr(uint32_t msr, uint64_t val, struct tg_fault *f, uint64_t *at);
/* PASS if the access faulted with #GP(0) at the instruction `at`. */
void tg_expect_gp(const char *name, bool ok, const struct tg_fault *f, uint64_t at);
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void irq_on(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void irq_off(void) { __asm__ volatile("cli" ::: "memory"); }

#include "irq.h"

/* ---- checks, one file each ---------------------------------------------------------- */
void tg_test_multiboot(uint32_t magic, uint32_t info);
void tg_test_cpuid(void);
void tg_test_pio(void);
void tg_test_mmio(void);
void tg_test_msr(void);
void tg_test_cr(void);
void tg_test_hlt(void);
void tg_test_string_io(void);
void tg_test_hypercall(void);
void tg_test_faults(void);
void tg_test_reset(uint32_t magic, uint32_t info);
void tg_test_intercept(void);
void tg_test_step(void);
void tg_test_uvm(void);
void tg_test_pic_pit(void);
void tg_test_lapic(void);
void tg_test_lapic_handoff(void);
void tg_test_x2apic(void);
void tg_test_timer(void);
void tg_test_ioapic(void);
void tg_test_rtc(void);
void tg_test_smp(void);

/* ---- small libc-free helpers ------------------------------------------------------- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
