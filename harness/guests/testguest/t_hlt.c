/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HLT with an interrupt pending: STI;HLT must wake for the interrupt and
 * continue (SDM Vol. 3A 6.8.3: the STI shadow makes the pair atomic, so an
 * interrupt already pending is taken in the HLT state). Natively the
 * interrupt is a LAPIC self-IPI (SDM Vol. 3A 12.6.1). Tern does not give
 * the guest an interrupt source yet, so under Tern this check is skipped
 * (touching 0xFEE00000 there would be an access to unmapped guest memory).
 */
#include "guest.h"

#define LAPIC ((volatile uint32_t *)0xFEE00000ull)
#define LAPIC_SVR (0xF0 / 4)
#define LAPIC_ICR_LO (0x300 / 4)
#define LAPIC_ICR_HI (0x310 / 4)
#define SVR_ENABLE 0x100u
#define ICR_SELF 0x40000u		/* destination shorthand 01: self */

void tg_test_hlt(void)
{
	uint64_t before;

	if (tg_env.tern) {
		tg_skip("hlt.pending-interrupt", "Tern offers the guest no interrupt source yet");
		return;
	}
	outb(0x21, 0xFF);	/* mask the 8259s: only our IPI may arrive */
	outb(0xA1, 0xFF);
	LAPIC[LAPIC_SVR] = SVR_ENABLE | 0xFF;
	before = tg_irq_count;
	LAPIC[LAPIC_ICR_HI] = 0;
	LAPIC[LAPIC_ICR_LO] = ICR_SELF | TG_IRQ_VECTOR;	/* pending: IF is 0 */
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	tg_check("hlt.pending-interrupt", tg_irq_count == before + 1,
		 "%lu interrupts after HLT, want 1", tg_irq_count - before);
}
