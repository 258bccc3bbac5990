/* SPDX-License-Identifier: BSD-3-Clause */
/* Single-instruction wrappers for platform/x86 (the only place with inline asm). */
#ifndef TERN_X86_CPU_H
#define TERN_X86_CPU_H

#include <stdint.h>

#ifndef TERN_X86_HOST_TEST
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	__asm__ volatile("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
			 : "a"(leaf), "c"(sub));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_CR(n)                                                          \
	static inline uint64_t read_cr##n(void)                               \
	{                                                                     \
		uint64_t v;                                                   \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));             \
		return v;                                                     \
	}                                                                     \
	static inline void write_cr##n(uint64_t v)                            \
	{                                                                     \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");    \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void cpu_pause(void) { __asm__ volatile("pause"); }
static inline void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}
/* Wait for an interrupt with interrupts enabled for exactly that instruction. */
static inline void cpu_sti_hlt(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
/*
 * One PAUSE with interrupts enabled for exactly that instruction: STI's
 * shadow covers the PAUSE (SDM Vol. 2B STI), so an interrupt pending by
 * then is taken after it, before the CLI. The busy counterpart of
 * cpu_sti_hlt, for a pCPU that must keep looking (run.c idle_poll).
 */
static inline void cpu_sti_pause(void) { __asm__ volatile("sti; pause; cli" ::: "memory"); }

static inline uint64_t xgetbv(uint32_t index)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return ((uint64_t)hi << 32) | lo;
}
static inline void xsetbv(uint32_t index, uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(index), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* XSAVE/XRSTOR with every component XCR0 enables (RFBM = XCR0, EDX:EAX all
 * ones); FXSAVE/FXRSTOR, the legacy 512-byte form (SDM Vol. 1 13.7-13.8,
 * Vol. 2A FXSAVE). The area is 64 (XSAVE) or 16 (FXSAVE) byte aligned. */
static inline void xsave(void *area)
{
	__asm__ volatile("xsave64 %0" : "+m"(*(uint8_t (*)[512])area) : "a"(~0u), "d"(~0u) : "memory");
}
static inline void xrstor(const void *area)
{
	__asm__ volatile("xrstor64 %0" : : "m"(*(const uint8_t (*)[512])area), "a"(~0u), "d"(~0u)
			 : "memory");
}
static inline void fxsave(void *area)
{
	__asm__ volatile("fxsave64 %0" : "+m"(*(uint8_t (*)[512])area) : : "memory");
}
static inline void fxrstor(const void *area)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t (*)[512])area) : "memory");
}

/* Debug registers DR0-DR3 and DR6 (DR7 is in the VMCS), SDM Vol. 3B 18.2. */
#define DEFINE_DR(n)                                                          \
	static inline uint64_t read_dr##n(void)                               \
	{                                                                     \
		uint64_t v;                                                   \
		__asm__ volatile("mov %%db" #n ", %0" : "=r"(v));             \
		return v;                                                     \
	}                                                                     \
	static inline void write_dr##n(uint64_t v)                            \
	{                                                                     \
		__asm__ volatile("mov %0, %%db" #n : : "r"(v));               \
	}
DEFINE_DR(0)
DEFINE_DR(1)
DEFINE_DR(2)
DEFINE_DR(3)
DEFINE_DR(6)
#undef DEFINE_DR

#else
/*
 * Host unit tests (harness/unit/test_x86_*.c) compile platform/x86 sources
 * on Linux: the privileged instructions become functions the test fakes.
 */
void outb(uint16_t port, uint8_t v);
void outw(uint16_t port, uint16_t v);
void outl(uint16_t port, uint32_t v);
uint8_t inb(uint16_t port);
void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t out[4]);
uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t v);
uint64_t rdtsc(void);
uint64_t read_cr0(void);
uint64_t read_cr2(void);
uint64_t read_cr3(void);
uint64_t read_cr4(void);
void write_cr0(uint64_t v);
void write_cr2(uint64_t v);
void write_cr3(uint64_t v);
void write_cr4(uint64_t v);
void cpu_pause(void);
void cpu_halt_forever(void);
void cpu_sti_hlt(void);
void cpu_sti_pause(void);
uint64_t xgetbv(uint32_t index);
void xsetbv(uint32_t index, uint64_t v);
void xsave(void *area);
void xrstor(const void *area);
void fxsave(void *area);
void fxrstor(const void *area);
uint64_t read_dr0(void);
uint64_t read_dr1(void);
uint64_t read_dr2(void);
uint64_t read_dr3(void);
uint64_t read_dr6(void);
void write_dr0(uint64_t v);
void write_dr1(uint64_t v);
void write_dr2(uint64_t v);
void write_dr3(uint64_t v);
void write_dr6(uint64_t v);
#endif

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static inline void lgdt(const struct desc_ptr *p) { __asm__ volatile("lgdt %0" : : "m"(*p)); }
static inline void lidt(const struct desc_ptr *p) { __asm__ volatile("lidt %0" : : "m"(*p)); }
static inline void ltr(uint16_t sel) { __asm__ volatile("ltr %0" : : "r"(sel)); }
static inline void sgdt(struct desc_ptr *p) { __asm__ volatile("sgdt %0" : "=m"(*p)); }
static inline void sidt(struct desc_ptr *p) { __asm__ volatile("sidt %0" : "=m"(*p)); }

#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)

#define HOST_MSR_FEATURE_CONTROL 0x3a
#define HOST_MSR_PAT 0x277
#define HOST_MSR_SYSENTER_CS 0x174
#define HOST_MSR_SYSENTER_ESP 0x175
#define HOST_MSR_SYSENTER_EIP 0x176
#define HOST_MSR_FS_BASE 0xc0000100
#define HOST_MSR_GS_BASE 0xc0000101
#define HOST_MSR_EFER 0xc0000080
#define HOST_MSR_TSC_AUX 0xc0000103
#define HOST_MSR_STAR 0xc0000081
#define HOST_MSR_LSTAR 0xc0000082
#define HOST_MSR_CSTAR 0xc0000083
#define HOST_MSR_FMASK 0xc0000084
#define HOST_MSR_KERNEL_GS_BASE 0xc0000102
#define CPUID_80000001_EDX_RDTSCP (1u << 27)

#endif
