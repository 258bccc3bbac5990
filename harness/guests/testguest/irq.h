/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interrupt side of the test guest (irq=1, smp=1): delivery bookkeeping
 * (irq.c), the local APIC in xAPIC or x2APIC mode (lapic.c), the 8259 pair
 * and the 8254 (pic.c), the ACPI MADT (acpi.c). Included by guest.h.
 */
#ifndef TG_IRQ_H
#define TG_IRQ_H

/* ---- delivery bookkeeping (irq.c) ---------------------------------------------- */
/* How the handler of a vector ends the interrupt. */
enum tg_eoi {
	TG_EOI_LAPIC = 0,	/* EOI to the local APIC (the default) */
	TG_EOI_NONE,		/* none: the check looks at ISR/remote IRR and EOIs itself */
	TG_EOI_PIC,		/* non-specific EOI to the 8259(s) (OCW2 0x20) */
};
#define TG_IRQ_LOG 16
struct tg_irq_state {
	uint64_t hits[256];		/* deliveries per vector, all CPUs */
	uint64_t tsc[256];		/* RDTSC in the handler, last delivery */
	uint8_t eoi[256];		/* enum tg_eoi per vector */
	uint8_t rtc_ack[256];		/* read RTC register C first (drops IRQ8), t_rtc.c */
	uint8_t log[TG_IRQ_LOG];	/* the first TG_IRQ_LOG vectors since tg_irq_log_reset */
	uint32_t log_n;
	uint32_t nmi_armed;		/* count NMIs in hits[2] instead of failing the run */
};
extern volatile struct tg_irq_state tg_irq;
void tg_irq_dispatch(unsigned vector);
void tg_irq_log_reset(void);
/*
 * With IF = 1, wait until tg_irq.hits[vector] >= want or `ms` milliseconds
 * (TSC, as calibrated against the PIT by pic.c) have passed; IF = 0 after.
 * Returns whether the count was reached. Every wait of the checks is one of
 * these: a missing interrupt is a FAIL, never a hang.
 */
bool tg_wait_irq(unsigned vector, uint64_t want, uint32_t ms);
/* With IF = 1 for `ms` milliseconds: how many times `vector` was delivered. */
uint64_t tg_irqs_during(unsigned vector, uint32_t ms);
/*
 * A periodic source's count over a window may fall short of the periods by
 * this factor: where the host stalls an emulator's vCPU thread, edges that
 * come while the last one is unacknowledged merge (QEMU TCG on a loaded
 * machine loses about half). It may never exceed them by more than 2x. The
 * band still catches a wrong divisor or rate (5x off or worse).
 */
#define TG_RATE_SLACK 5
/* Spin with IF as it is for `ms` milliseconds of TSC. */
void tg_delay_ms(uint32_t ms);
extern uint64_t tg_tsc_per_ms;		/* 0 until pic.c has calibrated it */
/* Arm the LAPIC timer one-shot (t_timer.c); false if it never counted. */
bool tg_timer_one_shot(unsigned vector, uint32_t ms);
uint8_t tg_rtc_read(uint8_t reg);	/* CMOS index 0x70 (NMI kept off), data 0x71 */
void tg_rtc_write(uint8_t reg, uint8_t v);
#define RTC_REG_A 0x0A
#define RTC_REG_B 0x0B
#define RTC_REG_C 0x0C
#define RTC_B_PIE 0x40
#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
/* The names printed when the irq checks are off, shared with t_hlt.c. */
#define TG_NO_IRQ_SOURCE "Tern offers the guest no interrupt source yet"
/* The IOAPIC checks that need the ACPI MADT (its address, the PIT's override) when there is none. */
#define TG_NO_MADT "no ACPI MADT"

/* ---- local APIC (lapic.c; SDM Vol. 3A ch. 10 [12 in newer editions]) ------------ */
#define MSR_APIC_BASE		0x1B
#define APIC_BASE_BSP		(1ull << 8)
#define APIC_BASE_EXTD		(1ull << 10)
#define APIC_BASE_EN		(1ull << 11)
#define APIC_BASE_ADDR_MASK	0xFFFFFF000ull
#define LAPIC_MMIO		0xFEE00000ull
#define MSR_X2APIC_BASE		0x800	/* + register offset / 16 */
#define MSR_TSC_DEADLINE	0x6E0

#define LAPIC_ID	0x020
#define LAPIC_VER	0x030
#define LAPIC_TPR	0x080
#define LAPIC_APR	0x090
#define LAPIC_PPR	0x0A0
#define LAPIC_EOI	0x0B0
#define LAPIC_LDR	0x0D0
#define LAPIC_DFR	0x0E0
#define LAPIC_SVR	0x0F0
#define LAPIC_ISR	0x100	/* 8 registers, 0x10 apart */
#define LAPIC_TMR	0x180
#define LAPIC_IRR	0x200
#define LAPIC_ESR	0x280
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_LVT_LINT0	0x350
#define LAPIC_LVT_LINT1	0x360
#define LAPIC_LVT_ERROR	0x370
#define LAPIC_TIMER_ICR	0x380
#define LAPIC_TIMER_CCR	0x390
#define LAPIC_TIMER_DCR	0x3E0
#define LAPIC_SELF_IPI	0x3F0	/* x2APIC only */

#define SVR_ENABLE	(1u << 8)
#define LVT_MASK	(1u << 16)
#define LVT_LEVEL	(1u << 15)
#define LVT_REMOTE_IRR	(1u << 14)
#define LVT_DM_EXTINT	(7u << 8)
#define LVT_DM_NMI	(4u << 8)
#define LVT_TIMER_PERIODIC	(1u << 17)
#define LVT_TIMER_TSC_DEADLINE	(2u << 17)
#define DCR_DIV1	0xB	/* divide configuration 1011b: divide by 1 */
#define ICR_DM_INIT	(5u << 8)
#define ICR_DM_SIPI	(6u << 8)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_PENDING	(1u << 12)
#define ICR_TRIG_LEVEL	(1u << 15)
#define ICR_SELF	(1u << 18)	/* destination shorthand 01 */
#define ICR_ALL_BUT_SELF (3u << 18)	/* destination shorthand 11 */
#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_DM_NMI	(4u << 8)
#define DFR_FLAT	0xFFFFFFFFu
#define ESR_SEND_ILLEGAL_VECTOR	(1u << 5)
#define ESR_RECV_ILLEGAL_VECTOR	(1u << 6)
#define ESR_ILLEGAL_REG		(1u << 7)

extern bool tg_x2apic;		/* the BSP's APIC is in x2APIC mode (t_x2apic.c) */
uint32_t tg_lapic_read(unsigned reg);
void tg_lapic_write(unsigned reg, uint32_t v);
void tg_lapic_eoi(void);
/* ICR: destination APIC ID and the low word; waits (bounded) for delivery status idle. */
void tg_lapic_icr(uint32_t dest, uint32_t lo);
/* Bit `vector` of the ISR, TMR or IRR (base LAPIC_ISR, LAPIC_TMR, LAPIC_IRR). */
bool tg_lapic_bit(unsigned base, unsigned vector);
/* LAPIC enabled (IA32_APIC_BASE.EN, SVR), TPR 0, LVTs masked; false if CPUID.1:EDX.APIC = 0. */
bool tg_lapic_setup(void);
bool tg_cpu_has_apic(void);

/* ---- 8259A pair and 8254 (pic.c) -------------------------------------------------- */
#define PIC_VECTOR_MASTER 0x20	/* IRQ n -> vector 0x20 + n */
#define PIC_VECTOR_SLAVE  0x28
/* ICW1-4: edge, cascade on IRQ2, 8086 mode, normal EOI; then the masks (OCW1). */
void tg_pic_init(uint8_t master_mask, uint8_t slave_mask);
/* The same with ICW4's AEOI bit: the 8259 ends each interrupt at its acknowledge. */
void tg_pic_init_auto_eoi(uint8_t master_mask, uint8_t slave_mask);
void tg_pic_mask(uint8_t master_mask, uint8_t slave_mask);
uint8_t tg_pic_read_isr(bool slave);	/* OCW3 read ISR */
uint8_t tg_pic_read_irr(bool slave);	/* OCW3 read IRR */
void tg_pic_eoi(unsigned irq);
#define PIT_HZ 1193182u
/* Channel 0, mode 2 (rate generator) with this count; 0 stops it (mode 0, count 1). */
void tg_pit_ch0_periodic(uint16_t count);
/* Channel 2 in mode 0 from `count` with its gate high / its gate low again. */
void tg_pit_ch2_run(uint16_t count);
void tg_pit_ch2_stop(void);
/* Channel 2's count, latched (counter latch command) and read low then high byte. */
uint16_t tg_pit_ch2_latch(void);
/* Channel 0, mode 0 (interrupt on terminal count); count 0 means 65536. */
void tg_pit_ch0_oneshot(uint16_t count);
/* Channel 2, mode 0 through the port 0x61 gate: returns whether OUT2 rose
 * within `max_polls` polls of port 0x61 (and, in *low_first, that it was low before). */
bool tg_pit_ch2_oneshot(uint16_t count, uint32_t max_polls, bool *low_first, uint64_t *tsc);
/* Calibrates tg_tsc_per_ms against channel 2 (10 ms). */
bool tg_tsc_calibrate(void);

/* ---- ACPI MADT (acpi.c) --------------------------------------------------------- */
#define TG_MAX_CPUS 4
struct tg_madt {
	bool found;
	uint32_t lapic_addr;
	unsigned ncpus;			/* enabled processor local APICs */
	uint8_t apic_id[TG_MAX_CPUS];
	unsigned listed;		/* all enabled ones, including beyond TG_MAX_CPUS */
	uint32_t ioapic_addr;		/* the IOAPIC with GSI base 0, or 0 */
	uint32_t isa_gsi[16];		/* ISA IRQ -> GSI (interrupt source overrides) */
	uint16_t isa_flags[16];		/* MPS INTI flags of the override, 0 = bus default */
};
extern struct tg_madt tg_madt;
void tg_acpi_madt(void);

#endif
