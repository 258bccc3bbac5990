/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The local APIC timer (irq=1; SDM Vol. 3A 10.5.4): divide configuration,
 * the current count counting down, one-shot and periodic interrupts
 * delivered and EOI'd, a zero initial count stopping it, and TSC-deadline
 * mode (10.5.4.1) when CPUID.1:ECX.TSC-deadline is set: the interrupt comes
 * at the deadline, not before, once, and the MSR reads 0 once it has fired
 * (not on Bochs 2.7, which keeps the deadline there: skipped, saying so).
 */
#include "guest.h"

#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define V_TIMER 0x48
#define DCR_DIV16 0x3
#define MEASURE_MS 10
#define WAIT_MS 100
#define PERIODS 4

static uint32_t ticks_per_ms;

static void stop(void)
{
	tg_lapic_write(LAPIC_LVT_TIMER, LVT_MASK | V_TIMER);
	tg_lapic_write(LAPIC_TIMER_ICR, 0);
}

/*
 * Timer ticks a millisecond with this divide configuration (masked one-shot),
 * over about MEASURE_MS. The TSC is read next to each current-count read, so
 * an emulator thread the host stalls in between stretches both alike.
 */
static uint32_t count_rate(uint32_t dcr)
{
	uint32_t a, b;
	uint64_t t0, t1;

	tg_lapic_write(LAPIC_TIMER_DCR, dcr);
	tg_lapic_write(LAPIC_LVT_TIMER, LVT_MASK | V_TIMER);
	tg_lapic_write(LAPIC_TIMER_ICR, 0xFFFFFFFFu);
	t0 = rdtsc();
	a = tg_lapic_read(LAPIC_TIMER_CCR);
	tg_delay_ms(MEASURE_MS);
	b = tg_lapic_read(LAPIC_TIMER_CCR);
	t1 = rdtsc();
	tg_lapic_write(LAPIC_TIMER_ICR, 0);
	if (a <= b || t1 <= t0 || !tg_tsc_per_ms)
		return 0;
	return (uint32_t)((uint64_t)(a - b) * tg_tsc_per_ms / (t1 - t0));
}

static void check_counting(void)
{
	static const uint32_t dcrs[] = { 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xA, 0xB };
	uint32_t bad = ~0u, r1, r16;

	for (unsigned i = 0; i < sizeof(dcrs) / sizeof(dcrs[0]); i++) {
		tg_lapic_write(LAPIC_TIMER_DCR, dcrs[i]);
		if ((tg_lapic_read(LAPIC_TIMER_DCR) & 0xB) != dcrs[i])
			bad = dcrs[i];
	}
	tg_check("timer.dcr-readback", bad == ~0u, "DCR written 0x%x reads 0x%x", bad,
		 tg_lapic_read(LAPIC_TIMER_DCR));
	r1 = count_rate(DCR_DIV1);
	r16 = count_rate(DCR_DIV16);
	tg_check("timer.ccr-decreases", r1 > 0, "current count moved %u ticks a ms over %u ms", r1,
		 MEASURE_MS);
	/* Divide by 16 counts 16 times slower: allow a factor of 2 for the measurement. */
	tg_check("timer.divide-by-16", r16 > 0 && r1 / r16 >= 8 && r1 / r16 <= 32,
		 "%u ticks a ms divided by 1, %u divided by 16", r1, r16);
	ticks_per_ms = r1;
	tg_lapic_write(LAPIC_TIMER_DCR, DCR_DIV1);
}

static void check_one_shot(void)
{
	uint64_t t0;
	bool got;

	tg_irq.hits[V_TIMER] = 0;
	tg_lapic_write(LAPIC_LVT_TIMER, V_TIMER);
	t0 = rdtsc();
	tg_lapic_write(LAPIC_TIMER_ICR, ticks_per_ms);	/* 1 ms */
	got = tg_wait_irq(V_TIMER, 1, WAIT_MS);
	tg_check("timer.one-shot", got && tg_irq.tsc[V_TIMER] - t0 >= tg_tsc_per_ms / 2,
		 "%s after %lu TSC cycles for a 1 ms count (%lu cycles a ms)", got ? "fired" : "did not fire",
		 got ? tg_irq.tsc[V_TIMER] - t0 : 0, tg_tsc_per_ms);
	tg_irqs_during(V_TIMER, 5);
	tg_check("timer.one-shot-once", tg_irq.hits[V_TIMER] == (got ? 1 : 0) &&
		 tg_lapic_read(LAPIC_TIMER_CCR) == 0, "%lu deliveries 5 ms later, current count %u",
		 tg_irq.hits[V_TIMER], tg_lapic_read(LAPIC_TIMER_CCR));
	stop();
}

static void check_periodic(void)
{
	uint64_t n, later;
	uint32_t ccr;
	bool got, pending;

	tg_irq.hits[V_TIMER] = 0;
	tg_lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | V_TIMER);
	tg_lapic_write(LAPIC_TIMER_ICR, ticks_per_ms);
	got = tg_wait_irq(V_TIMER, PERIODS, WAIT_MS);
	ccr = tg_lapic_read(LAPIC_TIMER_CCR);
	/* Writing 0 to the initial count stops the timer (SDM 10.5.4); a period that
	 * ended before it may already wait in IRR. */
	tg_lapic_write(LAPIC_TIMER_ICR, 0);
	pending = tg_lapic_bit(LAPIC_IRR, V_TIMER);
	n = tg_irq.hits[V_TIMER];
	later = tg_irqs_during(V_TIMER, 5);
	tg_check("timer.periodic", got && ccr != 0,
		 "%lu deliveries in %u ms of a 1 ms period (want %u), current count %u",
		 n, WAIT_MS, PERIODS, ccr);
	tg_check("timer.stop-on-zero-icr", later == pending,
		 "%lu deliveries in the 5 ms after initial count 0 (%u was pending)", later, pending);
	stop();
}

static void check_tsc_deadline(void)
{
	uint32_t r[4];
	uint64_t deadline, after;
	bool got;

	cpuid(1, 0, r);
	if (!(r[2] & CPUID1_ECX_TSC_DEADLINE)) {
		tg_skip("timer.tsc-deadline", "CPUID.1:ECX.TSC-deadline = 0");
		tg_skip("timer.tsc-deadline-once", "CPUID.1:ECX.TSC-deadline = 0");
		tg_skip("timer.tsc-deadline-msr-cleared", "CPUID.1:ECX.TSC-deadline = 0");
		return;
	}
	tg_irq.hits[V_TIMER] = 0;
	tg_lapic_write(LAPIC_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | V_TIMER);
	deadline = rdtsc() + tg_tsc_per_ms;
	wrmsr(MSR_TSC_DEADLINE, deadline);
	got = tg_wait_irq(V_TIMER, 1, WAIT_MS);
	tg_check("timer.tsc-deadline", got && tg_irq.tsc[V_TIMER] >= deadline,
		 "%s, handler TSC 0x%lx, deadline 0x%lx", got ? "fired" : "did not fire",
		 tg_irq.tsc[V_TIMER], deadline);
	after = rdmsr(MSR_TSC_DEADLINE);
	tg_irqs_during(V_TIMER, 5);
	tg_check("timer.tsc-deadline-once", got && tg_irq.hits[V_TIMER] == 1,
		 "%lu deliveries 5 ms after the deadline, want 1", tg_irq.hits[V_TIMER]);
	/* "it disarms itself and clears the IA32_TSC_DEADLINE MSR" (SDM 10.5.4.1) */
	if (tg_env.bochs)
		tg_skip("timer.tsc-deadline-msr-cleared", "Bochs 2.7 keeps the deadline in the MSR");
	else
		tg_check("timer.tsc-deadline-msr-cleared", after == 0,
			 "IA32_TSC_DEADLINE reads 0x%lx after the interrupt, want 0", after);
	wrmsr(MSR_TSC_DEADLINE, 0);
	stop();
}

void tg_test_timer(void)
{
	check_counting();
	check_one_shot();
	check_periodic();
	check_tsc_deadline();
}

/* For t_hlt.c: arm a one-shot of `ms` on vector `vector`; false if the timer never counted. */
bool tg_timer_one_shot(unsigned vector, uint32_t ms)
{
	if (!ticks_per_ms)
		return false;
	tg_lapic_write(LAPIC_TIMER_DCR, DCR_DIV1);
	tg_lapic_write(LAPIC_LVT_TIMER, vector);
	tg_lapic_write(LAPIC_TIMER_ICR, ticks_per_ms * ms);
	return true;
}
