/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's own local APIC (SDM Vol. 3A chapter 11, "Advanced Programmable
 * Interrupt Controller"): x2APIC through its MSRs when the CPU has it
 * (CPUID.1:ECX[21]), else xAPIC through the MMIO page the MADT names.
 * Tern uses it for four things only: its CPU's ID (plat_cpu_id), IPIs
 * (INIT-SIPI-SIPI to start the APs, the kick), the EOI of the vectors it
 * delivers, and its timer for an idle pCPU's vCPU deadlines.
 */
#ifndef TERN_X86_LAPIC_H
#define TERN_X86_LAPIC_H


/* The host's own vectors (above every 8259 vector, PIC_VECTOR_BASE + 16). */
#define X86_VEC_TIMER 0xef              /* the host LAPIC timer (an idle pCPU's vCPU deadlines) */
#define X86_VEC_KICK 0xf0               /* plat_kick_pcpu: leave guest mode, look at the requests */
/* SDM 11.9: the spurious vector; bits 3:0 are 1s on the P6 family, so 0xff. */
#define X86_VEC_SPURIOUS 0xff

/* The APIC-base MSR and the x2APIC MSR range (SDM 11.4.4, 11.12.1). */
#define HOST_MSR_APIC_BASE 0x1b
#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull
#define CPUID_1_ECX_X2APIC (1u << 21)

/* Register offsets (xAPIC MMIO; the x2APIC MSR is 0x800 + offset / 16). */
#define LAPIC_ID 0x20
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_SVR_ENABLE (1u << 8)
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_ICR 0x380
#define LAPIC_TIMER_CCR 0x390
#define LAPIC_TIMER_DCR 0x3e0

/* The LAPIC timer (SDM 11.5.4): LVT timer mode bits 18:17, divide configuration. */
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_ONESHOT (0u << 17)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define LAPIC_DCR_DIV1 0xbu
#define HOST_MSR_TSC_DEADLINE 0x6e0
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)

/* ICR fields (SDM 11.6.1, Figure 11-12). */
#define ICR_DELIVERY_FIXED (0u << 8)
#define ICR_DELIVERY_INIT (5u << 8)
#define ICR_DELIVERY_STARTUP (6u << 8)
#define ICR_DELIVERY_PENDING (1u << 12)  /* xAPIC only: send pending */
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)

#ifndef __ASSEMBLY__
#include <stdint.h>
#include <stdbool.h>

/*
 * Choose the mode and map (xAPIC) the registers: x2APIC when the CPU has
 * it, else xAPIC at mmio_base (the MADT's address; 0: IA32_APIC_BASE's).
 * Then enable this CPU's LAPIC (lapic_cpu_init). On the BSP, once.
 */
void lapic_init(uint64_t mmio_base);
/* Enable the LAPIC of the calling CPU in the chosen mode, SVR with the spurious vector. */
void lapic_cpu_init(void);
bool lapic_x2apic(void);
/* The calling CPU's APIC ID (x2APIC: 32 bits; xAPIC: bits 31:24 of the ID register). */
uint32_t lapic_id(void);
/* End of interrupt for the vector the LAPIC delivered (not for ExtINT, not for spurious). */
void lapic_eoi(void);
/*
 * Send an IPI: icr_lo (vector, delivery mode, level/trigger) to the CPU
 * with APIC ID dest. xAPIC: waits, bounded, for the previous one to leave
 * (delivery status); false if it never did. x2APIC has no such bit.
 */
bool lapic_send_ipi(uint32_t dest, uint32_t icr_lo);
/*
 * A host interrupt the CPU took: acknowledged on a VM exit (run.c) or
 * delivered through the IDT while the pCPU idles (isr.S). The kick and the
 * timer get the LAPIC's EOI, the LAPIC's spurious vector none (SDM 11.9);
 * an 8259 vector goes to pic_complete, only where the 8259s exist (the
 * MADT's PCAT_COMPAT, pic_present). Anything else is no host device's.
 */
void x86_host_irq(uint32_t vector);

/*
 * The host LAPIC timer, for an idle pCPU's earliest vCPU deadline (run.c,
 * host_timer.h). TSC-deadline mode where CPUID.1:ECX[24] says the host has
 * it (SDM 11.5.4.1); else one-shot with divide by 1 and a count from the
 * LAPIC timer's rate, calibrated once on the BSP against the TSC (the
 * deadlines are TSC values, so no other clock is needed).
 * lapic_timer_init: on the BSP after lapic_init. lapic_timer_arm: interrupt
 * X86_VEC_TIMER at (or, one-shot, just after) host TSC `deadline`; one
 * already passed fires at once. lapic_timer_stop: disarmed, LVT masked.
 */
void lapic_timer_init(void);
void lapic_timer_arm(uint64_t deadline);
void lapic_timer_stop(void);
bool lapic_timer_tsc_deadline(void);
#endif

#endif
