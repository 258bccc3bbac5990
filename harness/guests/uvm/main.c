/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The User VM payload (docs/testguest.md, "The User VM"): launched by the
 * test guest as Service VM through ACRN's hypercalls, it checks what a
 * User VM sees of Tern (CPUID policy, its own COM1, the test device
 * through its EPT, faults through its own IDT, one of them injected by
 * Tern), reports on its COM1 ("[vm1] PASS: user...." on Tern's console),
 * spins in CPUID exits until the Service VM says go (so the Service VM can
 * pause and resume it meanwhile), and exits through the debug-exit port.
 * Its port I/O, PCI configuration and (behind UVM_IOREQ_MMIO) MMIO
 * accesses to the device the Service VM emulates go through the IOREQ
 * page (ioreq_checks.c), in the mode the Service VM chose (mailbox).
 * 32-bit protected mode, paging off: guest-physical = linear.
 */
#include <stdbool.h>
#include "uvm_abi.h"
#include "uvm.h"

#define COM1 0x3f8u
#define UART_LSR 5u
#define LSR_THRE 0x20u
#define LSR_TEMT 0x40u
#define DEBUG_EXIT_PORT 0xf4u
#define TESTDEV_GPA 0xc0000000u
#define TESTDEV_ID_VALUE 0x4e524554u   /* "TERN" */
#define TESTDEV_SCRATCH 0x100u
#define CPUID1_ECX_VMX (1u << 5)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define EXC_UD 6u
#define EXC_GP 13u
#define MSR_BOGUS 0x12345678u          /* no such MSR (t_msr.c's too): Tern injects #GP(0) */
#define IDT_GATE_INT32 0x8e00u         /* present, DPL 0, 32-bit interrupt gate */

struct uvm_frame {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
	uint32_t vector, error, eip, cs, eflags;
};

/* At UVM_MAILBOX_GPA (link.ld): a symbol, so that the compiler sees an object. */
extern struct uvm_mailbox uvm_mailbox;
#define mb (&uvm_mailbox)
static uint32_t idt[2 * 32] __attribute__((aligned(8)));
static volatile uint32_t fault_vector, fault_error, fault_eip;
static unsigned tests, failures;

void uvm_isr_ud(void);
void uvm_isr_gp(void);
void uvm_main(void);
void uvm_trap(struct uvm_frame *f);

static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

void putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & LSR_THRE))
		;
	outb(COM1, (uint8_t)c);
}

void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void puthex(uint32_t v)
{
	puts("0x");
	for (int i = 28; i >= 0; i -= 4)
		putc("0123456789abcdef"[(v >> i) & 0xfu]);
}

/* "PASS: name" or "FAIL: name (got G, want W)", as the test guest reports. */
void check_eq(const char *name, uint32_t got, uint32_t want)
{
	tests++;
	if (got == want) {
		puts("PASS: ");
		puts(name);
		puts("\n");
		return;
	}
	failures++;
	puts("FAIL: ");
	puts(name);
	puts(" (got ");
	puthex(got);
	puts(", want ");
	puthex(want);
	puts(")\n");
}

/* Every fault here is expected: record it and resume after the instruction. */
void uvm_trap(struct uvm_frame *f)
{
	fault_vector = f->vector;
	fault_error = f->error;
	fault_eip = f->eip;
	f->eip += 2;    /* ud2 and rdmsr are both 2 bytes */
}

static void set_gate(unsigned vector, void (*handler)(void))
{
	uint32_t off = (uint32_t)handler;
	idt[2 * vector] = (UVM_CODE_SEL << 16) | (off & 0xffffu);
	idt[2 * vector + 1] = (off & 0xffff0000u) | IDT_GATE_INT32;
}

static void idt_init(void)
{
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idtr = {
		sizeof(idt) - 1, (uint32_t)idt
	};
	set_gate(EXC_UD, uvm_isr_ud);
	set_gate(EXC_GP, uvm_isr_gp);
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

static void test_cpuid(void)
{
	uint32_t r[4];
	cpuid(1, r);
	check_eq("user.cpuid-hypervisor-bit", r[2] & CPUID1_ECX_HYPERVISOR, CPUID1_ECX_HYPERVISOR);
	check_eq("user.cpuid-vmx-hidden", r[2] & CPUID1_ECX_VMX, 0);
	cpuid(0x40000000u, r);
	check_eq("user.cpuid-hv-signature", r[1] == 0x6e726554u && r[2] == 0x6e726554u &&
					    r[3] == 0x6e726554u, 1);   /* "TernTernTern" */
}

static void test_com1(void)
{
	/* Its own UART: idle, transmitter empty (core's 16550 per VM). */
	check_eq("user.com1-lsr-idle", inb(COM1 + UART_LSR) & (LSR_THRE | LSR_TEMT),
		 LSR_THRE | LSR_TEMT);
}

static void test_mmio(void)
{
	volatile uint32_t *dev = (volatile uint32_t *)TESTDEV_GPA;
	check_eq("user.mmio-id", dev[0], TESTDEV_ID_VALUE);
	dev[TESTDEV_SCRATCH / 4] = 0x5eed1234u;
	check_eq("user.mmio-scratch", dev[TESTDEV_SCRATCH / 4], 0x5eed1234u);
}

static void test_faults(void)
{
	uint32_t at;
	fault_vector = ~0u;
	__asm__ volatile("movl $1f, %0\n1: ud2" : "=r"(at));
	check_eq("user.fault-ud", fault_vector == EXC_UD && fault_eip == at, 1);
	/* RDMSR of an MSR that does not exist exits; Tern injects #GP(0). */
	fault_vector = ~0u;
	fault_error = ~0u;
	__asm__ volatile("movl $1f, %0\n1: rdmsr" : "=r"(at) : "c"(MSR_BOGUS) : "eax", "edx");
	check_eq("user.fault-rdmsr-gp", fault_vector == EXC_GP && fault_error == 0 && fault_eip == at, 1);
}

void uvm_main(void)
{
	uint32_t r[4];
	bool poll = mb->mode == UVM_MODE_POLL;
	puts("uvm: start\n");
	if (mb->mode == UVM_MODE_STUCK) {
		/* A request no one completes: this vCPU stays parked until the VM is destroyed. */
		puts("uvm: ioreq left unserved\n");
		(void)inl(IODEV_PORT_BASE);
		puts("uvm: unserved request returned\n");
		for (;;)
			__asm__ volatile("hlt");
	}
	puts(poll ? "uvm: ioreq polling mode\n" : "uvm: ioreq notification mode\n");
	idt_init();
	if (!poll) {
		test_cpuid();
		test_com1();
		test_mmio();
		test_faults();
	}
	uvm_test_ioreq(poll ? UVM_MODE_POLL : UVM_MODE_NOTIFY);
	puts("SUMMARY: ");
	if (tests >= 10)
		putc((char)('0' + tests / 10 % 10));
	putc((char)('0' + tests % 10));
	puts(" tests, ");
	putc((char)('0' + failures % 10));
	puts(" failures\n");
	mb->failures = failures;
	mb->magic = UVM_MAGIC;
	uvm_ioreq_doorbell();
	/* Each CPUID exits: the Service VM runs in between (one pCPU). */
	for (uint32_t n = 0; n < UVM_SPIN_MAX && !mb->go; n++) {
		mb->counter++;
		cpuid(0, r);
	}
	outl(DEBUG_EXIT_PORT, UVM_EXIT_OK | (failures > 15 ? 15 : failures));
	for (;;)
		__asm__ volatile("hlt");
}
