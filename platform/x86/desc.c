/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GDT, TSS and IDT of the hypervisor (SDM Vol. 3A 3.4.5, 7.2.3, 6.14).
 * VM exits load host CS/TR from these selectors (SDM 28.5.2), and the host
 * TR selector may not be 0 (SDM 26.2.3), so a TSS is needed even though
 * Tern never switches stacks through it.
 */
#include <stdint.h>
#include <stdbool.h>
#include "desc.h"
#include "cpu.h"
#include "serial.h"
#include "machine.h"
#include "lapic.h"
#include "platform.h"
#include "vm.h"

#define GDT_CODE64 0x00af9a000000ffffull
#define GDT_DATA 0x00cf92000000ffffull
#define TSS_TYPE_AVAILABLE_64 0x9ull
#define DESC_PRESENT (1ull << 47)
#define IDT_GATE_INTERRUPT 0x8e

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __attribute__((packed));

/*
 * The descriptor tables are per-CPU hardware state, not core state. Each
 * pCPU has its own GDT and TSS: LTR marks the TSS descriptor busy (SDM
 * Vol. 3A 8.2.2), so two CPUs cannot load the same one, and a VM exit
 * loads the host TR and GDTR bases of the CPU that set up the VMCS
 * (vmcs.c, on the vCPU's owner). The IDT is shared.
 */
static uint64_t gdt[TERN_MAX_PCPUS][5] __attribute__((aligned(16)));
static struct tss64 tss[TERN_MAX_PCPUS] __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));

extern const uint64_t isr_table[32];
extern char isr_spurious[];
extern char isr_irq_master[];
extern char isr_irq_spurious[];
extern char isr_host_kick[];
extern char isr_host_timer[];
extern char isr_lapic_spurious[];

static void set_gate(unsigned vec, uint64_t handler)
{
	idt[vec].off_lo = (uint16_t)handler;
	idt[vec].sel = HOST_CS;
	idt[vec].ist = 0;
	idt[vec].type = IDT_GATE_INTERRUPT;
	idt[vec].off_mid = (uint16_t)(handler >> 16);
	idt[vec].off_hi = (uint32_t)(handler >> 32);
	idt[vec].reserved = 0;
}

/* Set once pic_init has remapped the 8259s: only then may anything unmask a line. */
static bool pic_ready;

bool pic_present(void)
{
	return pic_ready;
}

void pic_init(void)
{
	pic_ready = true;
	/* 8259A initialisation: ICW1 edge/cascade/ICW4, ICW2 vector base, ICW3 wiring, ICW4 8086. */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, PIC_VECTOR_BASE);
	outb(0xa1, PIC_VECTOR_BASE + 8);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	/* Everything masked: the guest gets only what core injects. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

/* 8259A command words: non-specific EOI (OCW2), read the in-service register (OCW3). */
#define PIC1_CMD 0x20
#define PIC2_CMD 0xa0
#define PIC_EOI 0x20
#define PIC_READ_ISR 0x0b
#define PIC_IRQS 16
#define PIC_SPURIOUS_LINE 7

void pic_complete(uint8_t vector)
{
	if (vector < PIC_VECTOR_BASE || vector >= PIC_VECTOR_BASE + PIC_IRQS)
		return;
	unsigned irq = vector - PIC_VECTOR_BASE;
	bool slave = irq >= 8;
	uint16_t cmd = slave ? PIC2_CMD : PIC1_CMD;
	if ((irq & 7) == PIC_SPURIOUS_LINE) {
		/* A spurious IRQ7/15 sets no in-service bit (8259A data sheet): no EOI for it. */
		outb(cmd, PIC_READ_ISR);
		if (!(inb(cmd) & (1u << PIC_SPURIOUS_LINE))) {
			if (slave)
				outb(PIC1_CMD, PIC_EOI); /* the master did see the cascade line */
			return;
		}
	}
	if (slave)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

/* Load pCPU cpu's GDT and TSS (built here) and the shared IDT. */
static void load_tables(unsigned cpu)
{
	uint64_t *g = gdt[cpu];
	uint64_t base = (uint64_t)&tss[cpu];
	uint64_t limit = sizeof(tss[cpu]) - 1;

	tss[cpu].iomap_base = sizeof(tss[cpu]);
	g[0] = 0;
	g[1] = GDT_CODE64;
	g[2] = GDT_DATA;
	/* 16-byte system descriptor, SDM Vol. 3A Figure 8-4. */
	g[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (TSS_TYPE_AVAILABLE_64 << 40) |
	       DESC_PRESENT | (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	g[4] = base >> 32;

	struct desc_ptr gp = { .limit = sizeof(gdt[cpu]) - 1, .base = (uint64_t)g };
	lgdt(&gp);
	__asm__ volatile(
		"pushq %[cs]\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movl %[ds], %%eax\n\t"
		"movl %%eax, %%ds\n\t"
		"movl %%eax, %%es\n\t"
		"movl %%eax, %%ss\n\t"
		"movl %%eax, %%fs\n\t"
		"movl %%eax, %%gs\n\t"
		: : [cs] "i"(HOST_CS), [ds] "i"(HOST_DS) : "rax", "memory");
	ltr(HOST_TR);
	struct desc_ptr ip = { .limit = sizeof(idt) - 1, .base = (uint64_t)idt };
	lidt(&ip);
}

void desc_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, v < 32 ? isr_table[v] : (uint64_t)isr_spurious);
	/* The 8259s are remapped to 0x20-0x2f (pic_init): IRQ0-6 acknowledge, 7 and 15 may be spurious. */
	for (unsigned v = PIC_VECTOR_BASE; v < PIC_VECTOR_BASE + 7; v++)
		set_gate(v, (uint64_t)isr_irq_master);
	set_gate(PIC_VECTOR_BASE + 7, (uint64_t)isr_irq_spurious);
	set_gate(PIC_VECTOR_BASE + 15, (uint64_t)isr_irq_spurious);
	/* The host LAPIC's vectors, taken while a pCPU idles in HLT (host_irq.c). */
	set_gate(X86_VEC_KICK, (uint64_t)isr_host_kick);
	set_gate(X86_VEC_TIMER, (uint64_t)isr_host_timer);
	set_gate(X86_VEC_SPURIOUS, (uint64_t)isr_lapic_spurious);
	load_tables(0);
}

void desc_ap_init(unsigned cpu)
{
	load_tables(cpu < TERN_MAX_PCPUS ? cpu : 0);
}

/* The calling pCPU's tables, for the VMCS it sets up. */
uint64_t desc_gdt_base(void) { return (uint64_t)gdt[plat_cpu_id()]; }
uint64_t desc_idt_base(void) { return (uint64_t)idt; }
uint64_t desc_tss_base(void) { return (uint64_t)&tss[plat_cpu_id()]; }

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP",
	"#SS", "#GP", "#PF", "15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "22", "23",
	"24", "25", "26", "27", "28", "29", "30", "31",
};

void x86_exception(struct exc_frame *f)
{
	const char *name = f->vector < 32 ? exc_names[f->vector] : "interrupt";
	x86_log("FATAL: exception %s (vector %lu) error 0x%lx in the hypervisor",
		name, (unsigned long)f->vector, (unsigned long)f->error);
	x86_log("  rip=%016lx cs=%lx rflags=%lx rsp=%016lx cr2=%016lx",
		(unsigned long)f->rip, (unsigned long)f->cs, (unsigned long)f->rflags,
		(unsigned long)f->rsp, (unsigned long)read_cr2());
	x86_log("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx",
		(unsigned long)f->rax, (unsigned long)f->rbx, (unsigned long)f->rcx, (unsigned long)f->rdx);
	x86_log("  rsi=%016lx rdi=%016lx rbp=%016lx",
		(unsigned long)f->rsi, (unsigned long)f->rdi, (unsigned long)f->rbp);
	x86_power_off(X86_EXIT_HV_FAULT);
}
