/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HLT and interrupts. STI;HLT with an interrupt already pending must wake
 * for it and continue (SDM Vol. 3A 6.8.3: the STI shadow makes the pair
 * atomic, so an interrupt already pending is taken in the HLT state); the
 * interrupt is a LAPIC self-IPI (SDM Vol. 3A 10.6.1, 12.6.1 in newer
 * editions). And HLT with nothing pending is woken by the LAPIC timer
 * (irq=1, t_timer.c calibrated it); the PIT on IRQ0 is armed as a watchdog
 * ~55 ms out so a timer that never fires is a FAIL, not a hang. Under Tern without irq=1 both are skipped:
 * Tern offers the guest no interrupt source yet (touching 0xFEE00000 there
 * would be an access to unmapped guest memory).
 */
#include "guest.h"

#define V_HLT_TIMER 0x49
#define V_WATCHDOG PIC_VECTOR_MASTER
#define TIMER_MS 2
#define ONLY_IRQ0 0xFE

static void pending_interrupt(void)
{
	uint64_t before;

	tg_pic_mask(0xFF, 0xFF);	/* only our IPI may arrive */
	tg_lapic_write(LAPIC_SVR, SVR_ENABLE | 0xFF);
	before = tg_irq.hits[TG_IRQ_VECTOR];
	tg_lapic_icr(0, ICR_SELF | TG_IRQ_VECTOR);	/* pending: IF is 0 */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	tg_check("hlt.pending-interrupt", tg_irq.hits[TG_IRQ_VECTOR] == before + 1,
		 "%lu interrupts after HLT, want 1", tg_irq.hits[TG_IRQ_VECTOR] - before);
}

static void timer_wakeup(void)
{
	uint64_t t, w;

	tg_pic_init(0xFF, 0xFF);
	tg_pit_ch0_oneshot(0);		/* mode 0, 65536 counts: the watchdog */
	t = tg_irq.hits[V_HLT_TIMER];
	w = tg_irq.hits[V_WATCHDOG];
	tg_pic_mask(ONLY_IRQ0, 0xFF);
	if (!tg_timer_one_shot(V_HLT_TIMER, TIMER_MS)) {
		tg_fail("hlt.timer-wakeup", "the LAPIC timer never counted (timer.ccr-decreases)");
	} else {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		tg_check("hlt.timer-wakeup", tg_irq.hits[V_HLT_TIMER] == t + 1 &&
			 tg_irq.hits[V_WATCHDOG] == w,
			 "HLT ended with %lu LAPIC timer and %lu watchdog (PIT) interrupts, want 1 and 0",
			 tg_irq.hits[V_HLT_TIMER] - t, tg_irq.hits[V_WATCHDOG] - w);
	}
	tg_pic_mask(0xFF, 0xFF);
	tg_lapic_write(LAPIC_LVT_TIMER, LVT_MASK);
	tg_lapic_write(LAPIC_TIMER_ICR, 0);
}

void tg_test_hlt(void)
{
	if (tg_env.tern && !tg_env.irq) {
		tg_skip("hlt.pending-interrupt", TG_NO_IRQ_SOURCE);
		tg_skip("hlt.timer-wakeup", TG_NO_IRQ_SOURCE);
		return;
	}
	pending_interrupt();
	if (tg_env.irq)
		timer_wakeup();
	else
		tg_skip("hlt.timer-wakeup", "no irq=1 on the command line");
}
