/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IDT, TSS and exception handling. Faults inside a "try" (guest.h) are
 * recorded and resumed at the landing label; anything else is an
 * unexpected exception: reported as a FAIL and the run ends.
 */
#include "guest.h"

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

struct tss64 {
	uint32_t rsvd0;
	uint64_t rsp0, rsp1, rsp2, rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3, iopb;
} __attribute__((packed));

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern const uint64_t tg_isr_table[32];
extern const uint64_t tg_isr_irq_stubs_ptr;
#define IRQ_STUB_SIZE 16	/* isr.S */
extern uint64_t tg_gdt[];

static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static uint8_t ring0_stack[16384] __attribute__((aligned(16)));

volatile uint64_t tg_fixup_rip;
volatile uint64_t tg_fixup_rsp;
volatile struct tg_fault tg_last_fault;

#define GATE_INTR 0x8E		/* present, DPL0, 64-bit interrupt gate */
#define TSS_AVAIL 0x89		/* present, 64-bit available TSS */

static void set_gate(unsigned vec, uint64_t handler)
{
	idt[vec].off_lo = (uint16_t)handler;
	idt[vec].sel = TG_KCODE;
	idt[vec].ist = 0;
	idt[vec].type = GATE_INTR;
	idt[vec].off_mid = (uint16_t)(handler >> 16);
	idt[vec].off_hi = (uint32_t)(handler >> 32);
	idt[vec].zero = 0;
}

/* Also each AP's first act in 64-bit mode (t_smp.c): one IDT for all CPUs. */
void tg_idt_load(void)
{
	struct desc_ptr p;

	p.limit = sizeof(idt) - 1;
	p.base = (uint64_t)idt;
	__asm__ volatile("lidt %0" : : "m"(p));
}

void tg_idt_init(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

	for (unsigned v = 0; v < 32; v++)
		set_gate(v, tg_isr_table[v]);
	for (unsigned v = 32; v < 256; v++)
		set_gate(v, tg_isr_irq_stubs_ptr + IRQ_STUB_SIZE * (v - 32));
	tg_idt_load();

	/* The TSS gives the CPL3 -> CPL0 stack (SDM Vol. 3A 7.7). */
	tss.rsp0 = (uint64_t)(ring0_stack + sizeof(ring0_stack));
	tss.iopb = sizeof(tss);
	tg_gdt[TG_TSS / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) |
			     ((uint64_t)TSS_AVAIL << 40) | (((limit >> 16) & 0xF) << 48) |
			     (((base >> 24) & 0xFF) << 56);
	tg_gdt[TG_TSS / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(TG_TSS));
}

void tg_fault_begin(void)
{
	tg_last_fault.hit = false;
	tg_last_fault.vector = ~0ull;
	tg_last_fault.error = ~0ull;
	tg_last_fault.rip = 0;
	tg_last_fault.cr2 = 0;
	tg_last_fault.cs = 0;
}

struct tg_fault tg_fault_end(void)
{
	struct tg_fault f;

	tg_fixup_rip = 0;
	tg_fixup_rsp = 0;
	f.hit = tg_last_fault.hit;
	f.vector = tg_last_fault.vector;
	f.error = tg_last_fault.error;
	f.rip = tg_last_fault.rip;
	f.cr2 = tg_last_fault.cr2;
	f.cs = tg_last_fault.cs;
	return f;
}

void tg_isr(struct tg_frame *f);
void tg_isr(struct tg_frame *f)
{
	if (f->vector >= 32) {	/* interrupts: counted, EOI'd as irq.c is told */
		tg_irq_dispatch((unsigned)f->vector);
		return;
	}
	if (f->vector == TG_EXC_DB && tg_step.armed) {
		if (tg_step.count < TG_STEP_MAX) {
			tg_step.rips[tg_step.count] = f->rip;
			tg_step.rflags[tg_step.count] = f->rflags;
		}
		tg_step.count++;
		tg_step.rip = f->rip;
		tg_step.dr6 = read_dr6();
		if (tg_step.count >= tg_step.until)
			f->rflags &= ~TG_RFLAGS_TF;	/* IRET returns with TF off */
		return;
	}
	if (f->vector == TG_EXC_NMI && tg_irq.nmi_armed) {	/* t_lapic.c's NMI IPI */
		__atomic_fetch_add(&tg_irq.hits[TG_EXC_NMI], 1, __ATOMIC_SEQ_CST);
		return;
	}
	if (tg_fixup_rip) {
		tg_last_fault.hit = true;
		tg_last_fault.vector = f->vector;
		tg_last_fault.error = f->error;
		tg_last_fault.rip = f->rip;
		tg_last_fault.cs = f->cs;
		tg_last_fault.cr2 = f->vector == TG_EXC_PF ? read_cr2() : 0;
		f->rip = tg_fixup_rip;
		if (f->cs & 3) {
			/* Back from CPL3 to the kernel stack of the try. */
			f->cs = TG_KCODE;
			f->ss = TG_KDATA;
			f->rsp = tg_fixup_rsp;
		}
		tg_fixup_rip = 0;
		return;
	}
	tg_fail("unexpected-exception", "vector %lu error 0x%lx at rip 0x%lx cs 0x%lx cr2 0x%lx",
		f->vector, f->error, f->rip, f->cs, read_cr2());
	tg_finish();
}
