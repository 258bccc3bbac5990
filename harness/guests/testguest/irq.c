/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupt delivery bookkeeping: every vector from 32 up lands here (idt.c)
 * and is counted, time-stamped and logged in order; the handler then ends it
 * the way the check asked (tg_irq.eoi). The spurious vector is counted and
 * never EOI'd (SDM Vol. 3A 10.9: the APIC does not set ISR for it).
 */
#include "guest.h"

#define SPURIOUS_VECTOR 0xFF
/* Until calibrated (pic.c), a millisecond is taken as 3 million TSC cycles:
 * more than any CPU or emulator here, so an early wait is long, not short. */
#define TSC_PER_MS_UNCALIBRATED 3000000ull

volatile struct tg_irq_state tg_irq;
uint64_t tg_tsc_per_ms;

void tg_irq_dispatch(unsigned vector)
{
	__atomic_fetch_add(&tg_irq.hits[vector], 1, __ATOMIC_SEQ_CST);
	tg_irq.tsc[vector] = rdtsc();
	uint32_t n = __atomic_fetch_add(&tg_irq.log_n, 1, __ATOMIC_SEQ_CST);
	if (n < TG_IRQ_LOG)
		tg_irq.log[n] = (uint8_t)vector;
	if (vector == SPURIOUS_VECTOR)
		return;
	if (tg_irq.rtc_ack[vector])
		tg_rtc_read(RTC_REG_C);
	switch (tg_irq.eoi[vector]) {
	case TG_EOI_LAPIC:
		tg_lapic_eoi();
		break;
	case TG_EOI_PIC:
		tg_pic_eoi(vector - PIC_VECTOR_MASTER);
		break;
	default:
		break;
	}
}

void tg_irq_log_reset(void)
{
	tg_irq.log_n = 0;
	for (unsigned i = 0; i < TG_IRQ_LOG; i++)
		tg_irq.log[i] = 0;
}

static uint64_t ms_to_tsc(uint32_t ms)
{
	return (uint64_t)ms * (tg_tsc_per_ms ? tg_tsc_per_ms : TSC_PER_MS_UNCALIBRATED);
}

bool tg_wait_irq(unsigned vector, uint64_t want, uint32_t ms)
{
	uint64_t t0 = rdtsc(), budget = ms_to_tsc(ms);

	irq_on();
	while (tg_irq.hits[vector] < want && rdtsc() - t0 < budget)
		cpu_pause();
	irq_off();
	return tg_irq.hits[vector] >= want;
}

uint64_t tg_irqs_during(unsigned vector, uint32_t ms)
{
	uint64_t n = tg_irq.hits[vector];

	irq_on();
	tg_delay_ms(ms);
	irq_off();
	return tg_irq.hits[vector] - n;
}

void tg_delay_ms(uint32_t ms)
{
	uint64_t t0 = rdtsc(), budget = ms_to_tsc(ms);

	while (rdtsc() - t0 < budget)
		cpu_pause();
}
