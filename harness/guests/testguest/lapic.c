/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The local APIC's registers in either mode: xAPIC through the 4 KiB page at
 * IA32_APIC_BASE (0xFEE00000, uncached in the guest's page tables), x2APIC
 * through MSR 0x800 + offset/16 (SDM Vol. 3A 10.12.1.2), where the ICR is
 * one 64-bit MSR with the destination in bits 63:32.
 */
#include "guest.h"

#define CPUID1_EDX_APIC (1u << 9)
#define MSR_X2APIC_ICR (MSR_X2APIC_BASE + LAPIC_ICR_LO / 16)
#define ICR_POLLS 1000000u

bool tg_x2apic;

static volatile uint32_t *mmio(unsigned reg)
{
	return (volatile uint32_t *)(uintptr_t)(LAPIC_MMIO + reg);
}

uint32_t tg_lapic_read(unsigned reg)
{
	if (tg_x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC_BASE + reg / 16);
	return *mmio(reg);
}

void tg_lapic_write(unsigned reg, uint32_t v)
{
	if (tg_x2apic)
		wrmsr(MSR_X2APIC_BASE + reg / 16, v);
	else
		*mmio(reg) = v;
}

void tg_lapic_eoi(void)
{
	tg_lapic_write(LAPIC_EOI, 0);
}

void tg_lapic_icr(uint32_t dest, uint32_t lo)
{
	if (tg_x2apic) {
		/* No delivery status in x2APIC mode (SDM 10.12.9). */
		wrmsr(MSR_X2APIC_ICR, ((uint64_t)dest << 32) | lo);
		return;
	}
	*mmio(LAPIC_ICR_HI) = dest << 24;
	*mmio(LAPIC_ICR_LO) = lo;
	for (uint32_t i = 0; i < ICR_POLLS && (*mmio(LAPIC_ICR_LO) & ICR_PENDING); i++)
		cpu_pause();
}

bool tg_lapic_bit(unsigned base, unsigned vector)
{
	return (tg_lapic_read(base + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
}

bool tg_cpu_has_apic(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return r[3] & CPUID1_EDX_APIC;
}

bool tg_lapic_setup(void)
{
	uint64_t base;

	if (!tg_cpu_has_apic())
		return false;
	base = rdmsr(MSR_APIC_BASE);
	if (!(base & APIC_BASE_EN))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN);
	tg_lapic_write(LAPIC_SVR, SVR_ENABLE | 0xFF);
	tg_lapic_write(LAPIC_TPR, 0);
	tg_lapic_write(LAPIC_LVT_TIMER, LVT_MASK);
	tg_lapic_write(LAPIC_LVT_ERROR, LVT_MASK);
	/* LINT0 as ExtINT: the 8259's INTR reaches the CPU (virtual wire, MP spec 3.6.2.2). */
	tg_lapic_write(LAPIC_LVT_LINT0, LVT_DM_EXTINT);
	tg_lapic_write(LAPIC_LVT_LINT1, LVT_DM_NMI);
	tg_lapic_write(LAPIC_ESR, 0);
	return true;
}
