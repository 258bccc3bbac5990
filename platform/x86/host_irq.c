/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's own interrupts (lapic.h: x86_host_irq). With "acknowledge
 * interrupt on exit" (core's exit controls) the exit's interruption
 * information carries the vector the CPU acknowledged (SDM Vol. 3C
 * 25.9.2, 26.2.1.2); while a pCPU idles in HLT the same vectors arrive
 * through the IDT. Either way each must be completed where it came from,
 * or its controller blocks every later one of equal or lower priority.
 */
#include "lapic.h"
#include "desc.h"
#include "smp.h"

void x86_host_irq(uint32_t vector)
{
	switch (vector) {
	case X86_VEC_KICK:
		/* The kick's work is in the request bits: the caller's loop looks at them. */
		smp_count_kick();
		lapic_eoi();
		break;
	case X86_VEC_TIMER:
		lapic_eoi();
		break;
	case X86_VEC_SPURIOUS:
		/* SDM 11.9: a spurious-interrupt vector sets no ISR bit: no EOI. */
		break;
	default:
		if (pic_present())
			pic_complete((uint8_t)vector);
		break;
	}
}
