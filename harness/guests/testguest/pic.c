/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two 8259As (master 0x20/0x21, slave 0xA0/0xA1; 8259A datasheet:
 * ICW1-ICW4, OCW1-OCW3) and the 8254 (0x40-0x43; channel 2's gate and OUT
 * through port 0x61), as the PC wires them: PIT OUT0 on IRQ0, the slave on
 * the master's IRQ2.
 */
#include "guest.h"

#define PIC_M_CMD 0x20
#define PIC_M_DATA 0x21
#define PIC_S_CMD 0xA0
#define PIC_S_DATA 0xA1
#define ICW1_INIT_ICW4 0x11	/* edge, cascade, ICW4 follows */
#define ICW3_MASTER_SLAVE_ON_IRQ2 0x04
#define ICW3_SLAVE_ID 0x02
#define ICW4_8086 0x01
#define ICW4_AEOI 0x02
#define OCW2_EOI 0x20		/* non-specific EOI */
#define OCW3_READ_IRR 0x0A
#define OCW3_READ_ISR 0x0B
#define PIC_CASCADE_IRQ 2

#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CH0_LOHI_MODE2 0x34	/* channel 0, lobyte/hibyte, mode 2, binary */
#define PIT_CH0_LOHI_MODE0 0x30
#define PIT_CH2_LOHI_MODE0 0xB0	/* channel 2, lobyte/hibyte, mode 0, binary */
#define PIT_CH2_LATCH 0x80	/* counter latch command, channel 2 */
#define PORT61 0x61
#define PORT61_GATE2 0x01
#define PORT61_SPEAKER 0x02
#define PORT61_OUT2 0x20
#define CALIBRATE_MS 10u
#define CALIBRATE_COUNT (PIT_HZ / 1000 * CALIBRATE_MS)
#define CALIBRATE_POLLS 20000000u
#define CALIBRATE_RUNS 3

void tg_pic_mask(uint8_t master_mask, uint8_t slave_mask)
{
	outb(PIC_M_DATA, master_mask);
	outb(PIC_S_DATA, slave_mask);
}

static void pic_program(uint8_t icw4, uint8_t master_mask, uint8_t slave_mask)
{
	outb(PIC_M_CMD, ICW1_INIT_ICW4);
	outb(PIC_S_CMD, ICW1_INIT_ICW4);
	outb(PIC_M_DATA, PIC_VECTOR_MASTER);	/* ICW2: vector base */
	outb(PIC_S_DATA, PIC_VECTOR_SLAVE);
	outb(PIC_M_DATA, ICW3_MASTER_SLAVE_ON_IRQ2);
	outb(PIC_S_DATA, ICW3_SLAVE_ID);
	outb(PIC_M_DATA, icw4);
	outb(PIC_S_DATA, icw4);
	tg_pic_mask(master_mask, slave_mask);
	for (unsigned v = PIC_VECTOR_MASTER; v < PIC_VECTOR_SLAVE + 8; v++)
		tg_irq.eoi[v] = (icw4 & ICW4_AEOI) ? TG_EOI_NONE : TG_EOI_PIC;
}

void tg_pic_init(uint8_t master_mask, uint8_t slave_mask)
{
	pic_program(ICW4_8086, master_mask, slave_mask);
}

void tg_pic_init_auto_eoi(uint8_t master_mask, uint8_t slave_mask)
{
	pic_program(ICW4_8086 | ICW4_AEOI, master_mask, slave_mask);
}

static uint8_t port61_idle(void)
{
	return inb(PORT61) & ~(PORT61_GATE2 | PORT61_SPEAKER);
}

void tg_pit_ch2_run(uint16_t count)
{
	uint8_t p61 = port61_idle();

	outb(PORT61, p61);
	outb(PIT_CMD, PIT_CH2_LOHI_MODE0);
	outb(PIT_CH2, (uint8_t)count);
	outb(PIT_CH2, (uint8_t)(count >> 8));
	outb(PORT61, p61 | PORT61_GATE2);
}

void tg_pit_ch2_stop(void)
{
	outb(PORT61, port61_idle());
}

uint16_t tg_pit_ch2_latch(void)
{
	uint8_t lo, hi;

	outb(PIT_CMD, PIT_CH2_LATCH);
	lo = inb(PIT_CH2);
	hi = inb(PIT_CH2);
	return (uint16_t)(hi << 8 | lo);
}

uint8_t tg_pic_read_isr(bool slave)
{
	outb(slave ? PIC_S_CMD : PIC_M_CMD, OCW3_READ_ISR);
	return inb(slave ? PIC_S_CMD : PIC_M_CMD);
}

uint8_t tg_pic_read_irr(bool slave)
{
	outb(slave ? PIC_S_CMD : PIC_M_CMD, OCW3_READ_IRR);
	return inb(slave ? PIC_S_CMD : PIC_M_CMD);
}

void tg_pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC_S_CMD, OCW2_EOI);
	outb(PIC_M_CMD, OCW2_EOI);
}

void tg_pit_ch0_periodic(uint16_t count)
{
	if (!count) {
		/* Mode 0 with count 1: OUT0 rises once and stays high, no more edges. */
		outb(PIT_CMD, PIT_CH0_LOHI_MODE0);
		outb(PIT_CH0, 1);
		outb(PIT_CH0, 0);
		return;
	}
	outb(PIT_CMD, PIT_CH0_LOHI_MODE2);
	outb(PIT_CH0, (uint8_t)count);
	outb(PIT_CH0, (uint8_t)(count >> 8));
}

void tg_pit_ch0_oneshot(uint16_t count)
{
	outb(PIT_CMD, PIT_CH0_LOHI_MODE0);	/* OUT0 low now, rises at terminal count */
	outb(PIT_CH0, (uint8_t)count);
	outb(PIT_CH0, (uint8_t)(count >> 8));
}

bool tg_pit_ch2_oneshot(uint16_t count, uint32_t max_polls, bool *low_first, uint64_t *tsc)
{
	uint8_t p61 = inb(PORT61) & ~(PORT61_GATE2 | PORT61_SPEAKER);
	uint64_t t0;
	uint32_t i;

	outb(PORT61, p61);			/* gate low: channel 2 holds */
	outb(PIT_CMD, PIT_CH2_LOHI_MODE0);	/* mode 0: OUT low from here to terminal count */
	outb(PIT_CH2, (uint8_t)count);
	outb(PIT_CH2, (uint8_t)(count >> 8));
	*low_first = !(inb(PORT61) & PORT61_OUT2);
	t0 = rdtsc();
	outb(PORT61, p61 | PORT61_GATE2);	/* gate high: count down */
	for (i = 0; i < max_polls && !(inb(PORT61) & PORT61_OUT2); i++)
		;
	*tsc = rdtsc() - t0;
	outb(PORT61, p61);
	return i < max_polls;
}

/*
 * The shortest of a few 10 ms runs: a run the host stretched (an emulator's
 * thread descheduled) only ever reads long, and a long millisecond would make
 * the rate checks' windows long too.
 */
bool tg_tsc_calibrate(void)
{
	bool low;
	uint64_t tsc, best = ~0ull;

	for (unsigned i = 0; i < CALIBRATE_RUNS; i++)
		if (tg_pit_ch2_oneshot(CALIBRATE_COUNT, CALIBRATE_POLLS, &low, &tsc) && tsc < best)
			best = tsc;
	if (best == ~0ull || best < CALIBRATE_MS)
		return false;
	tg_tsc_per_ms = best / CALIBRATE_MS;
	return true;
}
