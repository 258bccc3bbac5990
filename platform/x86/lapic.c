/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host LAPIC in x2APIC or xAPIC mode (lapic.h). The mode is chosen once
 * on the BSP and every AP follows it: SDM 11.12.5 allows the transition
 * xAPIC -> x2APIC only from the enabled xAPIC state, so each CPU first
 * enables its xAPIC, then sets EXTD.
 */
#include "lapic.h"
#include "cpu.h"
#include "machine.h"
#include "host_timer.h"
#include "serial.h"

#define X2APIC_MSR_BASE 0x800u
#define X2APIC_ICR 0x830u
#define XAPIC_SEND_SPINS 1000000u

static bool use_x2apic;
static bool use_tsc_deadline;
static uint64_t timer_rate_q32;         /* one-shot: LAPIC timer ticks per 2^32 TSC ticks */
/* Calibration: 2^CALIB_SHIFT TSC ticks counted down from the largest initial count. */
#define CALIB_SHIFT 22u
static volatile uint32_t *xapic;        /* the xAPIC page, identity mapped */

static uint32_t lapic_read(uint32_t reg)
{
	if (use_x2apic)
		return (uint32_t)rdmsr(X2APIC_MSR_BASE + reg / 16);
	return xapic[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (use_x2apic)
		wrmsr(X2APIC_MSR_BASE + reg / 16, v);
	else
		xapic[reg / 4] = v;
}

void lapic_init(uint64_t mmio_base)
{
	uint32_t r[4];
	cpuid_count(1, 0, r);
	use_x2apic = (r[2] & CPUID_1_ECX_X2APIC) != 0;
	if (!mmio_base)
		mmio_base = rdmsr(HOST_MSR_APIC_BASE) & APIC_BASE_ADDR_MASK;
	xapic = (volatile uint32_t *)phys_to_virt(mmio_base);
	lapic_cpu_init();
}

void lapic_cpu_init(void)
{
	uint64_t base = rdmsr(HOST_MSR_APIC_BASE);
	if (!(base & APIC_BASE_ENABLE))
		wrmsr(HOST_MSR_APIC_BASE, base |= APIC_BASE_ENABLE);
	if (use_x2apic && !(base & APIC_BASE_X2APIC))
		wrmsr(HOST_MSR_APIC_BASE, base | APIC_BASE_X2APIC);
	/* SDM 11.9: software-enable with the spurious vector; LVTs stay as reset/BIOS left them. */
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | X86_VEC_SPURIOUS);
}

bool lapic_x2apic(void)
{
	return use_x2apic;
}

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);
	return use_x2apic ? id : id >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

bool lapic_send_ipi(uint32_t dest, uint32_t icr_lo)
{
	if (use_x2apic) {
		/*
		 * SDM 11.12.3: WRMSR to the x2APIC ICR is not serializing; a
		 * fence first, so that the request bits a kick announces are
		 * visible before the target can act on the IPI.
		 */
		__asm__ volatile("mfence" ::: "memory");
		wrmsr(X2APIC_ICR, ((uint64_t)dest << 32) | icr_lo);
		return true;
	}
	/* The xAPIC page is uncacheable: its stores are not reordered with earlier ones. */
	uint32_t spins = 0;
	while ((lapic_read(LAPIC_ICR_LO) & ICR_DELIVERY_PENDING) && ++spins < XAPIC_SEND_SPINS)
		cpu_pause();
	if (spins >= XAPIC_SEND_SPINS)
		return false;
	lapic_write(LAPIC_ICR_HI, dest << 24);
	lapic_write(LAPIC_ICR_LO, icr_lo);
	return true;
}

void lapic_timer_init(void)
{
	uint32_t r[4];
	cpuid_count(1, 0, r);
	use_tsc_deadline = (r[2] & CPUID_1_ECX_TSC_DEADLINE) != 0;
	lapic_timer_stop();
	if (use_tsc_deadline)
		return;
	/* Masked one-shot from the largest count for a known number of TSC ticks. */
	lapic_write(LAPIC_TIMER_DCR, LAPIC_DCR_DIV1);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | LVT_TIMER_ONESHOT | X86_VEC_TIMER);
	uint64_t t0 = rdtsc(), t;
	lapic_write(LAPIC_TIMER_ICR, HOST_TIMER_MAX);
	while ((t = rdtsc()) - t0 < (1ull << CALIB_SHIFT))
		cpu_pause();
	uint64_t ticks = HOST_TIMER_MAX - lapic_read(LAPIC_TIMER_CCR);
	lapic_write(LAPIC_TIMER_ICR, 0);
	/* ticks / (t - t0) in 32.32 fixed point; t - t0 >= 2^CALIB_SHIFT, ticks < 2^32. */
	timer_rate_q32 = (ticks << 32) / (t - t0);
	x86_log("host LAPIC timer: one-shot, %lu ticks per 2^%u TSC ticks", (unsigned long)ticks,
		CALIB_SHIFT);
}

bool lapic_timer_tsc_deadline(void)
{
	return use_tsc_deadline;
}

void lapic_timer_arm(uint64_t deadline)
{
	if (use_tsc_deadline) {
		lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | X86_VEC_TIMER);
		/* SDM 11.5.4.1: the LVT write (xAPIC: a store) before the WRMSR. */
		__asm__ volatile("mfence" ::: "memory");
		wrmsr(HOST_MSR_TSC_DEADLINE, deadline);
		return;
	}
	uint64_t now = rdtsc();
	lapic_write(LAPIC_TIMER_DCR, LAPIC_DCR_DIV1);
	lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_ONESHOT | X86_VEC_TIMER);
	lapic_write(LAPIC_TIMER_ICR,
		    host_timer_oneshot_count(deadline > now ? deadline - now : 0, timer_rate_q32));
}

void lapic_timer_stop(void)
{
	/* Either mode: masked, and nothing counting (SDM 11.5.4: count 0 / deadline 0 disarm). */
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | X86_VEC_TIMER);
	if (use_tsc_deadline)
		wrmsr(HOST_MSR_TSC_DEADLINE, 0);
	else
		lapic_write(LAPIC_TIMER_ICR, 0);
}
