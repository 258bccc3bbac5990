/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interrupt controllers and timers wired into the exits (core/vm_irq.c,
 * intr.c, msr.c, mmio.c): what a guest sees when it touches its xAPIC page,
 * sends IPIs, programs the IOAPIC, PIC, PIT and RTC, and halts waiting for
 * a timer; what the Service VM's INJECT_MSI / SET_IRQLINE do; and that no
 * interrupt ever reaches another VM.
 */
#include <string.h>
#include "unit.h"
#include "err.h"
#include "exit_dispatch.h"
#include "hypercall.h"
#include "intr.h"
#include "lapic_util.h"
#include "msr.h"
#include "request.h"
#include "atomic.h"
#include "scheduler.h"
#include "sim.h"
#include "vm.h"
#include "vm_irq.h"
#include "vm_mgr.h"
#include "x86.h"

#define RAM (1u << 20)
#define CODE 0x8000u
#define APIC 0xfee00000u
#define IOAPIC 0xfec00000u
#define HZ TERN_DEFAULT_TSC_HZ

static struct tern hv;
static struct vm *vm;
static struct vcpu *v0, *v1;
static uint8_t *ram;

/* A 32-bit guest with paging off (linear = physical), IF set, interruptible. */
static void guest(struct vcpu *c)
{
	sim_vcpu_flat_state(c, false, 0);
	vcpu_cache_fill(c, VCPU_CR0, X86_CR0_PE);
	vcpu_cache_fill(c, VCPU_RFLAGS, 0x202);
	vcpu_cache_fill(c, VCPU_RIP, CODE);
}

/*
 * The xAPIC page here is the EPT path (mmio.c), which a CPU without APIC
 * virtualization runs: with it, 0xFEE00000 is the APIC-access page and its
 * accesses are the exits of test_apic_virt.c.
 */
static void setup(void)
{
	sim_reset();
	sim.vmx_ctl_cap[VMXC_PROC2] &= ~((uint64_t)(VMXC_PROC2_VIRT_APIC_ACCESS | VMXC_PROC2_APIC_REG_VIRT) << 32);
	tern_init(&hv);
	vm = sim_create_vm(&hv, "irq", 2, false, RAM);
	ck_assert_ptr_nonnull(vm);
	ram = sim_vm_ram(vm->id);
	vm->state = VM_STATE_RUNNING;
	v0 = &vm->vcpus[0];
	v1 = &vm->vcpus[1];
	v0->state = v1->state = VCPU_STATE_RUNNABLE;
	sim.host_tsc = 1000000;
	guest(v1);
	guest(v0);
}

/* Run one instruction at CODE that touches `gpa` (EPT violation, MMIO path). */
static enum exit_action touch(struct vcpu *c, uint64_t gpa, bool write, const char *bytes, unsigned n)
{
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_EPT_VIOLATION;
	ex.qualification = (write ? EPT_QUAL_WRITE : EPT_QUAL_READ) | EPT_QUAL_LA_VALID | EPT_QUAL_LA_XLATED;
	ex.guest_physical = gpa;
	memcpy(ram + CODE, bytes, n);
	vcpu_cache_fill(c, VCPU_RIP, CODE);
	return vcpu_handle_exit(c, &ex);
}

/* mov eax, [ebx] / mov [ebx], eax at the xAPIC or IOAPIC register `gpa`. */
static uint32_t mmio_rd(struct vcpu *c, uint64_t gpa)
{
	vcpu_cache_fill(c, VCPU_RBX, gpa);
	ck_assert_int_eq(touch(c, gpa, false, "\x8b\x03", 2), EXIT_ACTION_RESUME);
	return (uint32_t)vcpu_get_reg(c, VCPU_RAX);
}

static void mmio_wr(struct vcpu *c, uint64_t gpa, uint32_t value)
{
	vcpu_cache_fill(c, VCPU_RBX, gpa);
	vcpu_cache_fill(c, VCPU_RAX, value);
	ck_assert_int_eq(touch(c, gpa, true, "\x89\x03", 2), EXIT_ACTION_RESUME);
}

static void ioapic_rte(struct vcpu *c, unsigned pin, uint64_t rte)
{
	mmio_wr(c, IOAPIC, VIOAPIC_REG_REDIR0 + 2 * pin);
	mmio_wr(c, IOAPIC + VIOAPIC_IOWIN, (uint32_t)rte);
	mmio_wr(c, IOAPIC, VIOAPIC_REG_REDIR0 + 2 * pin + 1);
	mmio_wr(c, IOAPIC + VIOAPIC_IOWIN, (uint32_t)(rte >> 32));
}

static void out8(uint16_t port, uint8_t value)
{
	uint32_t x = value;
	ck_assert(pio_access(&vm->pio, vm, port, 1, true, &x));
}

static uint8_t in8(uint16_t port)
{
	uint32_t x = 0;
	ck_assert(pio_access(&vm->pio, vm, port, 1, false, &x));
	return (uint8_t)x;
}

static void expect_injected(struct vcpu *c, uint8_t vector)
{
	ck_assert_msg(c->event.valid, "nothing injected, vector 0x%x expected", vector);
	ck_assert_uint_eq(c->event.type, INTR_TYPE_EXT_INT);
	ck_assert_uint_eq(c->event.vector, vector);
	memset(&c->event, 0, sizeof(c->event));
}

/* ---- the xAPIC page ---------------------------------------------------------- */

START_TEST(test_xapic_page_registers)
{
	ck_assert_uint_eq(mmio_rd(v0, APIC + VLAPIC_VERSION), VLAPIC_VERSION_VALUE);
	ck_assert_uint_eq(mmio_rd(v0, APIC + VLAPIC_ID), 0);
	ck_assert_uint_eq(mmio_rd(v1, APIC + VLAPIC_ID), 1u << 24);
	ck_assert_uint_eq(mmio_rd(v0, APIC + VLAPIC_SVR), VLAPIC_SVR_RESET);
	mmio_wr(v0, APIC + VLAPIC_SVR, 0x1ff);
	ck_assert_uint_eq(mmio_rd(v0, APIC + VLAPIC_SVR), 0x1ff);
	ck_assert_uint_eq(vcpu_get_reg(v0, VCPU_RIP), CODE + 2);
	/* A byte read sees the register's bytes; a byte write is no register write. */
	vcpu_cache_fill(v0, VCPU_RBX, APIC + VLAPIC_VERSION);
	vcpu_cache_fill(v0, VCPU_RAX, 0);
	ck_assert_int_eq(touch(v0, APIC + VLAPIC_VERSION, false, "\x8a\x03", 2), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v0, VCPU_RAX) & 0xff, 0x14);
	vcpu_cache_fill(v0, VCPU_RBX, APIC + VLAPIC_TPR);
	vcpu_cache_fill(v0, VCPU_RAX, 0x50);
	ck_assert_int_eq(touch(v0, APIC + VLAPIC_TPR, true, "\x88\x03", 2), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(mmio_rd(v0, APIC + VLAPIC_TPR), 0);
	/* TPR through the page is CR8 (SDM 10.8.6.1). */
	mmio_wr(v0, APIC + VLAPIC_TPR, 0x70);
	ck_assert_uint_eq(vlapic_cr8_read(&v0->lapic), 7);
	/* A dword write not on a register's start is no register write either (SDM 10.4.1). */
	mmio_wr(v0, APIC + VLAPIC_TPR + 1, 0x90909090u);
	ck_assert_uint_eq(vlapic_cr8_read(&v0->lapic), 7);
	ck_assert_uint_eq(mmio_rd(v0, APIC + VLAPIC_TPR), 0x70);
	/* The IOAPIC window alike: a byte or a misaligned dword leaves IOREGSEL as it was. */
	mmio_wr(v0, IOAPIC, VIOAPIC_REG_REDIR0);
	vcpu_cache_fill(v0, VCPU_RBX, IOAPIC);
	vcpu_cache_fill(v0, VCPU_RAX, 0x01);
	ck_assert_int_eq(touch(v0, IOAPIC, true, "\x88\x03", 2), EXIT_ACTION_RESUME);
	mmio_wr(v0, IOAPIC + 2, 0x01);
	ck_assert_uint_eq(mmio_rd(v0, IOAPIC), VIOAPIC_REG_REDIR0);
	/* A reserved offset: ESR "illegal register address" after the ESR write. */
	mmio_rd(v0, APIC + 0x40);
	mmio_wr(v0, APIC + VLAPIC_ESR, 0);
	ck_assert_uint_eq(mmio_rd(v0, APIC + VLAPIC_ESR), VLAPIC_ESR_ILLEGAL_REG);
}
END_TEST

START_TEST(test_apic_page_follows_base_and_mode)
{
	/* Relocated: the old page is unbacked memory again (the VM stops there). */
	struct guest_fault f = { 0 };
	ck_assert_int_eq(msr_write(v1, MSR_IA32_APIC_BASE, 0xfed00800ull, &f), 0);
	ck_assert_uint_eq(mmio_rd(v1, 0xfed00000u + VLAPIC_VERSION), VLAPIC_VERSION_VALUE);
	ck_assert(!vm_irq_apic_page(v1, APIC));
	ck_assert(vm_irq_apic_page(v0, APIC)); /* every vCPU has its own base */
	/* Globally disabled: no page at all. */
	ck_assert_int_eq(msr_write(v1, MSR_IA32_APIC_BASE, 0xfed00000ull, &f), 0);
	ck_assert(!vm_irq_apic_page(v1, 0xfed00000u));
	vcpu_cache_fill(v1, VCPU_RBX, 0xfed00000u);
	ck_assert_int_eq(touch(v1, 0xfed00000u, false, "\x8b\x03", 2), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_BAD_MEMORY);
}
END_TEST

START_TEST(test_apic_base_msr_rules)
{
	struct guest_fault f = { 0 };
	uint64_t val = 0;
	ck_assert_int_eq(msr_read(v0, MSR_IA32_APIC_BASE, &val, &f), 0);
	ck_assert_uint_eq(val, 0xfee00900ull);
	/* EXTD without EN is an invalid state (SDM 10.12.5): #GP. */
	ck_assert_int_eq(msr_write(v0, MSR_IA32_APIC_BASE, 0xfee00500ull, &f), -TERN_EFAULT);
	ck_assert(f.valid && f.vector == X86_GP);
	/* A policy that does not show x2APIC (a host without it): EXTD is reserved. */
	struct cpuid_entry *l1 = (struct cpuid_entry *)cpuid_find(&vm->cpuid, 1, 0);
	l1->regs[2] &= ~CPUID_1_ECX_X2APIC;
	ck_assert_int_eq(msr_write(v0, MSR_IA32_APIC_BASE, 0xfee00d00ull, &f), -TERN_EFAULT);
	/* The x2APIC MSRs fault outside x2APIC mode (SDM 10.12.1.2). */
	ck_assert_int_eq(msr_read(v0, 0x802, &val, &f), -TERN_EFAULT);
	ck_assert_int_eq(msr_write(v0, 0x80b, 0, &f), -TERN_EFAULT);
}
END_TEST

/* x2APIC mode (CPUID.1:ECX.x2APIC shown, as the host has it): the MSR interface. */
START_TEST(test_x2apic_msrs)
{
	struct cpuid_entry *l1 = (struct cpuid_entry *)cpuid_find(&vm->cpuid, 1, 0);
	ck_assert_ptr_nonnull(l1);
	l1->regs[2] |= CPUID_1_ECX_X2APIC;
	struct guest_fault f = { 0 };
	uint64_t val = 0;
	ck_assert_int_eq(msr_write(v0, MSR_IA32_APIC_BASE, 0xfee00d00ull, &f), 0);
	ck_assert_int_eq(msr_write(v1, MSR_IA32_APIC_BASE, 0xfee00c00ull, &f), 0);
	ck_assert(!vm_irq_apic_page(v0, APIC)); /* x2APIC mode: the page is not the APIC's */
	ck_assert_int_eq(msr_read(v1, 0x802, &val, &f), 0);
	ck_assert_uint_eq(val, 1); /* 32-bit x2APIC ID */
	ck_assert_int_eq(msr_write(v1, 0x80f, 0x1ff, &f), 0); /* SVR: enabled */
	ck_assert_int_eq(msr_write(v0, 0x80f, 0x1ff, &f), 0);
	/* A fixed IPI through the 64-bit ICR: vCPU 1 gets it by request. */
	ck_assert_int_eq(msr_write(v0, 0x830, (1ull << 32) | 0x45, &f), 0);
	ck_assert(v1->requests & VCPU_REQ_EVENT);
	vcpu_pre_entry(v1);
	expect_injected(v1, 0x45);
	/* x2APIC EOI (MSR 0x80B): only 0 may be written. */
	ck_assert_int_eq(msr_write(v1, 0x80b, 1, &f), -TERN_EFAULT);
	ck_assert_int_eq(msr_write(v1, 0x80b, 0, &f), 0);
	ck_assert_int_eq(vlapic_ppr(&v1->lapic), 0);
	/* Self IPI MSR; the timer's CCR reads through the clock. */
	ck_assert_int_eq(msr_write(v0, 0x83f, 0x46, &f), 0);
	ck_assert_int_eq(intr_highest_deliverable(v0), 0x46);
	ck_assert_int_eq(msr_write(v0, 0x838, 1000, &f), 0);
	ck_assert_int_eq(msr_read(v0, 0x839, &val, &f), 0);
	ck_assert_uint_eq(val, 1000);
	ck_assert_int_eq(msr_read(v0, 0x83f, &val, &f), -TERN_EFAULT); /* write-only */
}
END_TEST

/* ---- IPIs ------------------------------------------------------------------------ */

START_TEST(test_fixed_ipi_to_other_vcpu)
{
	mmio_wr(v0, APIC + VLAPIC_SVR, 0x1ff);
	mmio_wr(v1, APIC + VLAPIC_SVR, 0x1ff);
	/* vCPU 1 halts, IF set. */
	struct exit_record hlt = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	ck_assert_int_eq(vcpu_handle_exit(v1, &hlt), EXIT_ACTION_HALT);
	/* vCPU 0: ICR high = destination 1, low = fixed vector 0x51. */
	mmio_wr(v0, APIC + VLAPIC_ICR_HI, 1u << 24);
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, 0x51);
	/* Not in vCPU 0's IRR; vCPU 1's by atomic OR plus a request. */
	ck_assert_int_eq(intr_highest_deliverable(v0), -1);
	ck_assert(v1->requests & VCPU_REQ_EVENT);
	ck_assert_int_eq(intr_highest_deliverable(v1), 0x51);
	/* The scheduler hands it over; its pre-entry wakes it and injects. */
	ck_assert_ptr_eq(sched_next(&hv, 0), v1->state == VCPU_STATE_RUNNABLE ? v1 : v0);
	vcpu_pre_entry(v1);
	ck_assert_uint_eq(v1->state, VCPU_STATE_RUNNABLE);
	expect_injected(v1, 0x51);
	/* In service: EOI through the page clears it. */
	ck_assert_uint_eq(mmio_rd(v1, APIC + VLAPIC_ISR0 + 0x20), 1u << (0x51 - 0x40)); /* ISR 95:64 */
	mmio_wr(v1, APIC + VLAPIC_EOI, 0);
	ck_assert_uint_eq(mmio_rd(v1, APIC + VLAPIC_ISR0 + 0x20), 0);
	/* Broadcast to all including self: both get it. */
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, 0x52 | (VLAPIC_SH_ALL << VLAPIC_ICR_SH_SHIFT));
	ck_assert_int_eq(intr_highest_deliverable(v0), 0x52);
	ck_assert_int_eq(intr_highest_deliverable(v1), 0x52);
}
END_TEST

/*
 * The INIT-SIPI-SIPI of t_smp.c as the simulator's entry path sees it: the
 * INIT is carried out on one pass (the AP parks, its reset state handed
 * over and loaded on the next pass), the SIPI 10 ms later on another. The
 * AP is entered at the SIPI's vector (CS 0x9a00, base 0x9a000, IP 0; SDM
 * Vol. 3A 8.4.4.1), not at the reset vector 0xFFFFFFF0 the INIT left.
 */
START_TEST(test_sipi_on_a_later_pass_is_entered)
{
	struct sim_vcpu_hw *hw = sim_vcpu_hw(v1);
	mmio_wr(v0, APIC + VLAPIC_ICR_HI, 1u << 24);
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, (VLAPIC_DM_INIT << VLAPIC_DM_SHIFT) | VLAPIC_ICR_ASSERT);
	ck_assert(!sim_vcpu_enter(v1));
	ck_assert_uint_eq(v1->state, VCPU_STATE_INIT);
	ck_assert(!sim_vcpu_enter(v1));               /* nothing new: still waits */
	ck_assert_uint_eq(hw->regs[VCPU_RIP], 0xfff0);
	ck_assert_uint_eq(hw->segs[VCPU_CS].base, 0xffff0000u);
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, (VLAPIC_DM_SIPI << VLAPIC_DM_SHIFT) | 0x9a);
	ck_assert(sim_vcpu_enter(v1));
	ck_assert_uint_eq(v1->state, VCPU_STATE_RUNNABLE);
	ck_assert_uint_eq(hw->regs[VCPU_RIP], 0);
	ck_assert_uint_eq(hw->segs[VCPU_CS].selector, 0x9a00);
	ck_assert_uint_eq(hw->segs[VCPU_CS].base, 0x9a000);
}
END_TEST

START_TEST(test_nmi_init_sipi)
{
	/* NMI IPI to vCPU 1: a request, then an NMI at its entry. */
	mmio_wr(v0, APIC + VLAPIC_ICR_HI, 1u << 24);
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, VLAPIC_DM_NMI << VLAPIC_DM_SHIFT);
	ck_assert(v1->requests & VCPU_REQ_NMI);
	vcpu_pre_entry(v1);
	ck_assert(v1->event.valid && v1->event.type == INTR_TYPE_NMI);
	memset(&v1->event, 0, sizeof(v1->event));
	/* INIT: it waits for SIPI and is not run. */
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, (VLAPIC_DM_INIT << VLAPIC_DM_SHIFT) | VLAPIC_ICR_ASSERT);
	ck_assert(v1->requests & VCPU_REQ_INIT);
	vcpu_pre_entry(v1);
	ck_assert_uint_eq(v1->state, VCPU_STATE_INIT);
	ck_assert(!vcpu_can_enter(v1));
	/* SIPI vector 0x9a: real mode at 9a00:0000. */
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, (VLAPIC_DM_SIPI << VLAPIC_DM_SHIFT) | 0x9a);
	ck_assert(v1->requests & VCPU_REQ_SIPI);
	vcpu_pre_entry(v1);
	ck_assert_uint_eq(v1->state, VCPU_STATE_RUNNABLE);
	ck_assert(v1->load_pending);
	ck_assert_uint_eq(v1->load.segs[VCPU_CS].selector, 0x9a00);
	ck_assert_uint_eq(v1->load.segs[VCPU_CS].base, 0x9a000);
	ck_assert_uint_eq(v1->load.regs[VCPU_RIP], 0);
	ck_assert_uint_eq(v1->load.regs[VCPU_CR0], 0x60000010ull);
	/* A second SIPI to a running vCPU is ignored. */
	v1->load_pending = false;
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, (VLAPIC_DM_SIPI << VLAPIC_DM_SHIFT) | 0x10);
	vcpu_pre_entry(v1);
	ck_assert(!v1->load_pending);
	/* INIT with shorthand self or all including self is invalid (SDM Table 10-3): nothing. */
	mmio_wr(v0, APIC + VLAPIC_ICR_LO,
		(VLAPIC_DM_INIT << VLAPIC_DM_SHIFT) | VLAPIC_ICR_ASSERT | (VLAPIC_SH_SELF << VLAPIC_ICR_SH_SHIFT));
	mmio_wr(v0, APIC + VLAPIC_ICR_LO,
		(VLAPIC_DM_INIT << VLAPIC_DM_SHIFT) | VLAPIC_ICR_ASSERT | (VLAPIC_SH_ALL << VLAPIC_ICR_SH_SHIFT));
	ck_assert_uint_eq(v0->requests & VCPU_REQ_INIT, 0);
	ck_assert_uint_eq(v1->requests & VCPU_REQ_INIT, 0); /* nor anyone else */
	vcpu_pre_entry(v0);
	ck_assert_uint_eq(v0->state, VCPU_STATE_RUNNABLE);
	ck_assert(!v0->load_pending);
	/*
	 * The BSP's INIT to its own ID: taken at the next instruction boundary
	 * (the ICR write retires first), then it runs from the reset vector
	 * (SDM 8.4.2), not waiting for a SIPI; the retired RIP is not
	 * written over the reset state.
	 */
	mmio_wr(v0, APIC + VLAPIC_ICR_HI, 0);
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, (VLAPIC_DM_INIT << VLAPIC_DM_SHIFT) | VLAPIC_ICR_ASSERT);
	ck_assert_uint_eq(v0->state, VCPU_STATE_RUNNABLE);
	ck_assert(v0->requests & VCPU_REQ_INIT);
	vcpu_pre_entry(v0);
	ck_assert_uint_eq(v0->state, VCPU_STATE_RUNNABLE);
	ck_assert(v0->load_pending);
	ck_assert_uint_eq(v0->load.regs[VCPU_RIP], 0xfff0);
	ck_assert_uint_eq(v0->load.segs[VCPU_CS].base, 0xffff0000ull);
	ck_assert_uint_eq(v0->reg_dirty & (1u << VCPU_RIP), 0);
	ck_assert(vcpu_can_enter(v0));
	ck_assert(!vm_is_stopped(vm));
}
END_TEST

/*
 * The ICR's trigger-mode bit matters only for INIT level de-assert (SDM
 * Vol. 3A 10.6.1): a fixed IPI sent with it set is edge-triggered at the
 * target, its TMR bit clear, so its EOI is not broadcast to the IOAPIC
 * (where it would clear the remote IRR of a level entry with the vector).
 */
START_TEST(test_ipi_trigger_bit_does_not_set_tmr)
{
	mmio_wr(v0, APIC + VLAPIC_SVR, 0x1ff);
	mmio_wr(v1, APIC + VLAPIC_SVR, 0x1ff);
	mmio_wr(v0, APIC + VLAPIC_ICR_HI, 1u << 24);
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, 0x61 | VLAPIC_TRIGGER_LEVEL | VLAPIC_ICR_ASSERT);
	ck_assert_int_eq(intr_highest_deliverable(v1), 0x61);
	ck_assert_uint_eq(mmio_rd(v1, APIC + VLAPIC_TMR0 + 0x30), 0); /* TMR 127:96 */
	/* Lowest priority likewise. */
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, 0x64 | (VLAPIC_DM_LOWEST << VLAPIC_DM_SHIFT) |
					  VLAPIC_TRIGGER_LEVEL | VLAPIC_ICR_ASSERT);
	ck_assert_int_eq(intr_highest_deliverable(v1), 0x64);
	ck_assert_uint_eq(mmio_rd(v1, APIC + VLAPIC_TMR0 + 0x30), 0);
	/* And a self IPI (the sender's own vLAPIC). */
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, 0x63 | VLAPIC_TRIGGER_LEVEL | VLAPIC_ICR_ASSERT |
					  (VLAPIC_SH_SELF << VLAPIC_ICR_SH_SHIFT));
	ck_assert_int_eq(intr_highest_deliverable(v0), 0x63);
	ck_assert_uint_eq(mmio_rd(v0, APIC + VLAPIC_TMR0 + 0x30), 0);
}
END_TEST

/* A fixed IPI to a vCPU in guest mode on another pCPU: atomic IRR OR, request, kick. */
START_TEST(test_ipi_across_pcpus_kicks)
{
	mmio_wr(v0, APIC + VLAPIC_SVR, 0x1ff);
	mmio_wr(v1, APIC + VLAPIC_SVR, 0x1ff);
	vm->config.cpu_affinity = 0x3;
	vcpu_bind_pcpu(v1, sched_vcpu_pcpu(vm, 1));
	ck_assert_uint_eq(v1->pcpu, 1);
	atomic_store32(&v1->in_guest, 1); /* running its guest on pCPU 1 */
	sim.kicks[1] = 0;
	guest(v0); /* the sender's exit on pCPU 0 */
	mmio_wr(v0, APIC + VLAPIC_ICR_HI, 1u << 24);
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, 0x55);
	ck_assert_uint_eq(sim.kicks[1], 1);
	ck_assert(v1->requests & VCPU_REQ_EVENT);
	ck_assert_uint_eq(vlapic_vec_word(&v1->lapic, VLAPIC_IRR0, 0x55 >> 5), 1u << (0x55 & 31));
	/* The kick's exit on pCPU 1; its entry decision injects the vector. */
	vcpu_leave_guest(v1);
	guest(v1);
	vcpu_pre_entry(v1);
	expect_injected(v1, 0x55);
	ck_assert_int_eq(intr_highest_deliverable(v0), -1);
}
END_TEST

/*
 * A second running VM of `n` vCPUs with enabled APICs (the same IDs as
 * ours), and this VM's two APICs software-enabled.
 */
static struct vm *other_vm(uint16_t n)
{
	struct vm *other = sim_create_vm(&hv, "other", n, false, RAM);
	ck_assert_ptr_nonnull(other);
	other->state = VM_STATE_RUNNING;
	for (unsigned i = 0; i < n; i++)
		unit_lapic_enable(&other->vcpus[i]);
	mmio_wr(v0, APIC + VLAPIC_SVR, 0x1ff);
	mmio_wr(v1, APIC + VLAPIC_SVR, 0x1ff);
	return other;
}

/* Interrupts never cross VMs: another VM's vCPUs with the same APIC IDs get nothing. */
START_TEST(test_no_delivery_to_another_vm)
{
	struct vm *other = other_vm(2);
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, 0x60 | (VLAPIC_SH_ALL << VLAPIC_ICR_SH_SHIFT));
	ck_assert_int_eq(vm_irq_msi(vm, NULL, 0xfee01000ull, 0x61), 0);
	ck_assert_int_eq(vm_irq_msi(vm, NULL, 0xfeeff000ull, 0x62), 0); /* broadcast */
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_int_eq(intr_highest_deliverable(&other->vcpus[i]), -1);
		ck_assert_uint_eq(other->vcpus[i].requests & ~VCPU_REQ_FLUSH_VPID, 0);
	}
	ck_assert_int_eq(intr_highest_deliverable(v1), 0x62);
}
END_TEST

/*
 * Hostile physical destinations of a fixed IPI (the unicast the route
 * finds by index): an ID at or past the VM's vCPU count, where another
 * VM has vCPUs, names no one; nor does 0xFF in x2APIC mode (not a
 * broadcast there, SDM 10.12.9) or an APIC hardware-disabled; reserved
 * ICR bits are #GP (10.12.1.3). Through both encodings, and across
 * xAPIC -> disabled -> xAPIC -> x2APIC mode changes of the target.
 */
START_TEST(test_ipi_hostile_destinations)
{
	struct vm *other = other_vm(4);
	struct guest_fault f = { 0 };
	/* xAPIC: 8-bit destinations 2, 3 (the other VM's IDs), 0x3f, 0xfe. */
	static const uint32_t far8[] = { 2, 3, 0x3f, 0xfe };
	for (unsigned i = 0; i < sizeof(far8) / sizeof(far8[0]); i++) {
		mmio_wr(v0, APIC + VLAPIC_ICR_HI, far8[i] << 24);
		mmio_wr(v0, APIC + VLAPIC_ICR_LO, 0x70);
	}
	ck_assert_int_eq(intr_highest_deliverable(v0), -1);
	ck_assert_int_eq(intr_highest_deliverable(v1), -1);
	ck_assert_uint_eq(v1->requests & VCPU_REQ_EVENT, 0);
	/* The target's APIC disabled (IA32_APIC_BASE.EN clear): nothing; enabled again: it takes it. */
	ck_assert_int_eq(msr_write(v1, MSR_IA32_APIC_BASE, 0xfee00000ull, &f), 0);
	mmio_wr(v0, APIC + VLAPIC_ICR_HI, 1u << 24);
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, 0x71);
	ck_assert_uint_eq(v1->requests & VCPU_REQ_EVENT, 0);
	ck_assert_int_eq(msr_write(v1, MSR_IA32_APIC_BASE, 0xfee00800ull, &f), 0);
	ck_assert_int_eq(vlapic_pending_vector(&v1->lapic), -1); /* a disabled APIC took nothing */
	mmio_wr(v1, APIC + VLAPIC_SVR, 0x1ff); /* disabling reset it (10.4.3) */
	mmio_wr(v0, APIC + VLAPIC_ICR_LO, 0x72);
	ck_assert(v1->requests & VCPU_REQ_EVENT);
	ck_assert_int_eq(intr_highest_deliverable(v1), 0x72);
	v1->requests = 0;
	/* Both in x2APIC mode: 32-bit destinations. */
	((struct cpuid_entry *)cpuid_find(&vm->cpuid, 1, 0))->regs[2] |= CPUID_1_ECX_X2APIC;
	ck_assert_int_eq(msr_write(v0, MSR_IA32_APIC_BASE, 0xfee00d00ull, &f), 0);
	ck_assert_int_eq(msr_write(v1, MSR_IA32_APIC_BASE, 0xfee00c00ull, &f), 0);
	static const uint64_t far32[] = { 2, 3, 0xff, 64, 0x100, 0xfffffffeull, 1ull << 31 };
	for (unsigned i = 0; i < sizeof(far32) / sizeof(far32[0]); i++)
		ck_assert_int_eq(msr_write(v0, 0x830, far32[i] << 32 | 0x73, &f), 0);
	/* Reserved bits of the low half (12, 13, 16, 17, 20-31): #GP, nothing sent. */
	static const uint32_t reserved[] = { 1u << 12, 1u << 13, 1u << 16, 1u << 17, 1u << 20, 1u << 31 };
	for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		ck_assert_int_eq(msr_write(v0, 0x830, 1ull << 32 | 0x74 | reserved[i], &f), -TERN_EFAULT);
		ck_assert(f.valid && f.vector == X86_GP);
	}
	ck_assert_uint_eq(v1->requests & VCPU_REQ_EVENT, 0);
	ck_assert_int_eq(intr_highest_deliverable(v1), 0x72); /* nothing newer */
	ck_assert_int_eq(intr_highest_deliverable(v0), -1);
	/* The real destination still works after all that. */
	ck_assert_int_eq(msr_write(v0, 0x830, 1ull << 32 | 0x75, &f), 0);
	ck_assert(v1->requests & VCPU_REQ_EVENT);
	ck_assert_int_eq(intr_highest_deliverable(v1), 0x75);
	v1->requests = 0;
	/* An MSI's illegal vector to it is not in its IRR, only an APIC error; a level one sets its TMR bit. */
	ck_assert_int_eq(vm_irq_msi(vm, v0, 0xfee01000ull, 0x0f), 0);
	ck_assert_uint_eq(v1->requests, VCPU_REQ_APIC_ERROR | VCPU_REQ_EVENT);
	ck_assert_int_eq(intr_highest_deliverable(v1), 0x75);
	v1->requests = 0;
	ck_assert_int_eq(vm_irq_msi(vm, v0, 0xfee01000ull,
				VM_IRQ_MSI_DATA_LEVEL | VM_IRQ_MSI_DATA_ASSERT | 0x76), 0);
	ck_assert(v1->requests & VCPU_REQ_EVENT);
	ck_assert(vlapic_vec_test(&v1->lapic, VLAPIC_TMR0, 0x76));
	/* A level de-assert raises nothing. */
	v1->requests = 0;
	ck_assert_int_eq(vm_irq_msi(vm, v0, 0xfee01000ull, VM_IRQ_MSI_DATA_LEVEL | 0x77), 0);
	ck_assert_uint_eq(v1->requests, 0);
	ck_assert(!vlapic_vec_test(&v1->lapic, VLAPIC_IRR0, 0x77));
	/* Software-disabled (SVR bit 8 clear): a fixed IPI is not taken, no request. */
	v1->requests = 0;
	ck_assert_int_eq(msr_write(v1, 0x80f, 0xff, &f), 0);
	ck_assert_int_eq(msr_write(v0, 0x830, 1ull << 32 | 0x77, &f), 0);
	ck_assert_uint_eq(v1->requests & VCPU_REQ_EVENT, 0);
	ck_assert(!vlapic_vec_test(&v1->lapic, VLAPIC_IRR0, 0x77));
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_int_eq(intr_highest_deliverable(&other->vcpus[i]), -1);
		ck_assert_uint_eq(other->vcpus[i].requests & ~VCPU_REQ_FLUSH_VPID, 0);
	}
}
END_TEST

/* ---- IOAPIC, MSI, PIC -------------------------------------------------------------- */

START_TEST(test_ioapic_level_and_eoi)
{
	mmio_wr(v0, APIC + VLAPIC_SVR, 0x1ff);
	ck_assert_uint_eq(mmio_rd(v0, IOAPIC + VIOAPIC_IOWIN), 2u << 24); /* ID: after the 2 vCPUs' */
	mmio_wr(v0, IOAPIC, VIOAPIC_REG_VERSION);
	ck_assert_uint_eq(mmio_rd(v0, IOAPIC + VIOAPIC_IOWIN), VIOAPIC_VERSION_VALUE);
	/* Pin 5: level, vector 0x70, to APIC 0. */
	ioapic_rte(v0, 5, 0x70 | VIOAPIC_RTE_LEVEL);
	ck_assert_int_eq(vm_irq_set_gsi(vm, NULL, 5, VM_IRQ_LINE_HIGH), 0);
	ck_assert(v0->requests & VCPU_REQ_EVENT);
	vcpu_pre_entry(v0);
	expect_injected(v0, 0x70);
	/* Remote IRR set until the EOI; the EOI of the still-asserted line delivers it again. */
	mmio_wr(v0, IOAPIC, VIOAPIC_REG_REDIR0 + 10);
	ck_assert(mmio_rd(v0, IOAPIC + VIOAPIC_IOWIN) & VIOAPIC_RTE_REMOTE_IRR);
	mmio_wr(v0, APIC + VLAPIC_EOI, 0);
	ck_assert_int_eq(intr_highest_deliverable(v0), 0x70);
	vcpu_pre_entry(v0);
	expect_injected(v0, 0x70);
	ck_assert_int_eq(vm_irq_set_gsi(vm, NULL, 5, VM_IRQ_LINE_LOW), 0);
	mmio_wr(v0, APIC + VLAPIC_EOI, 0);
	ck_assert(!(mmio_rd(v0, IOAPIC + VIOAPIC_IOWIN) & VIOAPIC_RTE_REMOTE_IRR));
	ck_assert_int_eq(intr_highest_deliverable(v0), -1);
	/* A non-dword access: reads give the bytes, writes are ignored. */
	vcpu_cache_fill(v0, VCPU_RBX, IOAPIC);
	vcpu_cache_fill(v0, VCPU_RAX, 0x33);
	ck_assert_int_eq(touch(v0, IOAPIC, true, "\x88\x03", 2), EXIT_ACTION_RESUME);
	vcpu_cache_fill(v0, VCPU_RAX, 0);
	ck_assert_int_eq(touch(v0, IOAPIC, false, "\x8a\x03", 2), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v0, VCPU_RAX) & 0xff, VIOAPIC_REG_REDIR0 + 10);
	/* Pulses on an edge pin, hostile GSIs and ops. */
	ioapic_rte(v0, 6, 0x71);
	ck_assert_int_eq(vm_irq_set_gsi(vm, NULL, 6, VM_IRQ_LINE_RAISING_PULSE), 0);
	ck_assert_int_eq(intr_highest_deliverable(v0), 0x71);
	ck_assert_int_eq(vm_irq_set_gsi(vm, NULL, 6, VM_IRQ_LINE_FALLING_PULSE), 0);
	ck_assert_int_eq(vm_irq_set_gsi(vm, NULL, 24, VM_IRQ_LINE_HIGH), -TERN_EINVAL);
	ck_assert_int_eq(vm_irq_set_gsi(vm, NULL, 6, 4), -TERN_EINVAL);
	ck_assert_int_eq(vm_irq_isa(vm, NULL, 2, true), -TERN_EINVAL);
	ck_assert_int_eq(vm_irq_isa(vm, NULL, 16, true), -TERN_EINVAL);
}
END_TEST

START_TEST(test_msi)
{
	unit_lapic_enable(v1);
	ck_assert_int_eq(vm_irq_msi(vm, NULL, 0xfec00000ull, 0x40), -TERN_EINVAL);
	ck_assert_int_eq(vm_irq_msi(vm, NULL, 0x1fee00000ull, 0x40), -TERN_EINVAL);
	/* Physical destination 1, vector 0x48; logical destination bit 1 (flat) too. */
	ck_assert_int_eq(vm_irq_msi(vm, NULL, 0xfee01000ull, 0x48), 0);
	ck_assert_int_eq(intr_highest_deliverable(v1), 0x48);
	ck_assert_int_eq(intr_highest_deliverable(v0), -1);
	/* Level-triggered MSI sets TMR. */
	ck_assert_int_eq(vm_irq_msi(vm, NULL, 0xfee01000ull, 0xc049), 0);
	ck_assert(vlapic_vec_test(&v1->lapic, VLAPIC_TMR0, 0x49));
	/* NMI by MSI. */
	ck_assert_int_eq(vm_irq_msi(vm, NULL, 0xfee01000ull, VLAPIC_DM_NMI << VLAPIC_DM_SHIFT), 0);
	ck_assert(v1->requests & VCPU_REQ_NMI);
	vcpu_pre_entry(v1);
	memset(&v1->event, 0, sizeof(v1->event));
	/*
	 * An illegal vector (5) from outside the target's context: nothing in
	 * its IRR, Receive Illegal Vector in its ESR once it runs, and its
	 * error LVT's interrupt (SDM 10.5.3), as for one it received itself.
	 */
	mmio_wr(v1, APIC + VLAPIC_LVT_ERROR, 0x4e);
	uint32_t irr_before = vlapic_vec_word(&v1->lapic, VLAPIC_IRR0, 0);
	ck_assert_int_eq(vm_irq_msi(vm, NULL, 0xfee01000ull, 0x05), 0);
	ck_assert_uint_eq(vlapic_vec_word(&v1->lapic, VLAPIC_IRR0, 0), irr_before);
	ck_assert(v1->requests & VCPU_REQ_APIC_ERROR);
	vcpu_pre_entry(v1);
	ck_assert(v1->event.valid);
	ck_assert_uint_eq(v1->event.vector, 0x4e);
	mmio_wr(v1, APIC + VLAPIC_ESR, 0);
	ck_assert_uint_eq(mmio_rd(v1, APIC + VLAPIC_ESR), VLAPIC_ESR_RECV_ILLEGAL);
	mmio_wr(v1, APIC + VLAPIC_ESR, 0);
	ck_assert_uint_eq(mmio_rd(v1, APIC + VLAPIC_ESR), 0);
}
END_TEST

/* The PIC in legacy mode: 8259 initialised, LINT0 ExtINT (virtual wire), IRQ 1 raised. */
static void pic_init(void)
{
	out8(0x20, 0x11);
	out8(0x21, 0x20);
	out8(0x21, 0x04);
	out8(0x21, 0x01);
	out8(0xa0, 0x11);
	out8(0xa1, 0x28);
	out8(0xa1, 0x02);
	out8(0xa1, 0x01);
	out8(0x21, 0x00);
	out8(0xa1, 0x00);
}

START_TEST(test_pic_extint_through_lint0)
{
	pic_init();
	ck_assert_uint_eq(in8(0x21), 0);
	/* LINT0 masked (reset): the PIC's INTR does not reach the CPU. */
	ck_assert_int_eq(vm_irq_isa(vm, v0, 1, true), 0);
	ck_assert_int_eq(intr_highest_deliverable(v0), -1);
	mmio_wr(v0, APIC + VLAPIC_SVR, 0x1ff);
	mmio_wr(v0, APIC + VLAPIC_LVT_LINT0, VLAPIC_DM_EXTINT << VLAPIC_DM_SHIFT);
	ck_assert_int_eq(intr_highest_deliverable(v0), INTR_EXTINT);
	ck_assert_int_eq(intr_highest_deliverable(v1), -1); /* only the BSP's LINT0 is wired */
	vcpu_pre_entry(v0);
	expect_injected(v0, 0x21); /* the INTA cycle gave base + 1 */
	ck_assert_int_eq(vm_irq_isa(vm, v0, 1, false), 0);
	out8(0x20, 0x20); /* non-specific EOI */
	/* Slave IRQ 12 through the cascade, raised from no vCPU: vCPU 0 is asked to look. */
	v0->requests = 0;
	ck_assert_int_eq(vm_irq_isa(vm, NULL, 12, true), 0);
	ck_assert(v0->requests & VCPU_REQ_EVENT);
	vcpu_pre_entry(v0);
	expect_injected(v0, 0x2c);
	/* ELCR ports are the PIC's too (word access split per byte). */
	uint32_t x = 0x0a20;
	ck_assert(pio_access(&vm->pio, vm, VPIC_ELCR_MASTER, 2, true, &x));
	x = 0;
	ck_assert(pio_access(&vm->pio, vm, VPIC_ELCR_MASTER, 2, false, &x));
	ck_assert_uint_eq(x, 0x0a20);
	/* A hardware-disabled vLAPIC: INTR goes to the CPU directly (SDM 10.4.3). */
	out8(0xa0, 0x20);
	out8(0x20, 0x20);
	struct guest_fault f = { 0 };
	ck_assert_int_eq(msr_write(v0, MSR_IA32_APIC_BASE, 0xfee00100ull, &f), 0);
	ck_assert_int_eq(vm_irq_isa(vm, v0, 3, true), 0);
	ck_assert_int_eq(intr_highest_deliverable(v0), INTR_EXTINT);
}
END_TEST

/* An ExtINT whose delivery an exception displaced is delivered after it, without a new INTA. */
START_TEST(test_requeued_vectors)
{
	unit_lapic_enable(v0);
	ck_assert_int_eq(vcpu_queue_interrupt(v0, 0x80), 0);
	vcpu_pre_entry(v0);
	ck_assert(v0->event.valid && v0->event.vector == 0x80);
	ck_assert_uint_eq(vlapic_ppr(&v0->lapic), 0x80);
	intr_requeue_vector(v0, 0x80);
	ck_assert_uint_eq(vlapic_ppr(&v0->lapic), 0);
	ck_assert_int_eq(intr_highest_deliverable(v0), 0x80);
	memset(&v0->event, 0, sizeof(v0->event));
	intr_requeue_vector(v0, 0x23); /* not in ISR: a PIC vector */
	ck_assert_int_eq(intr_highest_deliverable(v0), 0x23);
	vcpu_pre_entry(v0);
	expect_injected(v0, 0x23);
}
END_TEST

/* ---- time ---------------------------------------------------------------------------- */

START_TEST(test_lapic_timer_wakes_halted_vcpu)
{
	mmio_wr(v0, APIC + VLAPIC_SVR, 0x1ff);
	mmio_wr(v0, APIC + VLAPIC_TIMER_DCR, 0xb); /* divide by 1 */
	mmio_wr(v0, APIC + VLAPIC_LVT_TIMER, 0x41);
	ck_assert_uint_eq(v0->timer_deadline, UINT64_MAX); /* not armed until the count */
	sim.host_tsc = 2000000;
	mmio_wr(v0, APIC + VLAPIC_TIMER_ICR, 100);
	vcpu_pre_entry(v0);
	uint64_t per_tick = HZ / VM_IRQ_APIC_BUS_HZ;
	ck_assert_uint_eq(v0->timer_deadline, 2000000 + 100 * per_tick);
	ck_assert_uint_eq(mmio_rd(v0, APIC + VLAPIC_TIMER_CCR), 100);
	/* HLT with the timer armed: halted, waiting; the scheduler does not stop the VM. */
	v1->state = VCPU_STATE_HALTED;
	struct exit_record hlt = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	ck_assert_int_eq(vcpu_handle_exit(v0, &hlt), EXIT_ACTION_HALT);
	ck_assert_ptr_null(sched_next(&hv, 0));
	ck_assert(!vm_is_stopped(vm));
	/* The deadline passes; the platform's timer requests it; the scheduler runs it. */
	sim.host_tsc = v0->timer_deadline;
	vcpu_make_request(v0, VCPU_REQ_TIMER);
	ck_assert_ptr_eq(sched_next(&hv, 0), v0);
	vcpu_pre_entry(v0);
	ck_assert_uint_eq(v0->state, VCPU_STATE_RUNNABLE);
	expect_injected(v0, 0x41);
	ck_assert_uint_eq(v0->timer_deadline, UINT64_MAX); /* one-shot: over */
	/* A timer that expired before HLT ends the halt at once. */
	mmio_wr(v0, APIC + VLAPIC_EOI, 0);
	mmio_wr(v0, APIC + VLAPIC_TIMER_ICR, 1);
	sim.host_tsc += 1000;
	vcpu_cache_fill(v0, VCPU_RIP, CODE);
	ck_assert_int_eq(vcpu_handle_exit(v0, &hlt), EXIT_ACTION_RESUME);
}
END_TEST

START_TEST(test_tsc_deadline_timer)
{
	mmio_wr(v0, APIC + VLAPIC_SVR, 0x1ff);
	mmio_wr(v0, APIC + VLAPIC_LVT_TIMER, 0x42 | (VLAPIC_TIMER_TSC_DEADLINE << VLAPIC_TIMER_MODE_SHIFT));
	/* The guest TSC is host TSC + offset (msr.h). */
	struct guest_fault f = { 0 };
	ck_assert_int_eq(msr_write(v0, MSR_IA32_TSC, 5000000, &f), 0);
	ck_assert_uint_eq(vcpu_guest_tsc(v0), 5000000);
	ck_assert_int_eq(msr_write(v0, MSR_IA32_TSC_DEADLINE, 5001000, &f), 0);
	vcpu_pre_entry(v0);
	ck_assert_uint_eq(v0->timer_deadline, 5001000);
	ck_assert(!v0->event.valid);
	sim.host_tsc += 1000;
	vcpu_pre_entry(v0);
	expect_injected(v0, 0x42);
	uint64_t val = 1;
	ck_assert_int_eq(msr_read(v0, MSR_IA32_TSC_DEADLINE, &val, &f), 0);
	ck_assert_uint_eq(val, 0); /* fired: disarmed (SDM 10.5.4.1) */
}
END_TEST

START_TEST(test_pit_irq0_through_ioapic_pin2)
{
	mmio_wr(v0, APIC + VLAPIC_SVR, 0x1ff);
	ioapic_rte(v0, VM_IRQ_PIT_PIN, 0x30);
	/* Channel 0, lobyte/hibyte, mode 2, count 1193: a 1 ms rate generator. */
	out8(0x43, 0x34);
	out8(0x40, 1193 & 0xff);
	out8(0x40, 1193 >> 8);
	ck_assert(v0->requests & VCPU_REQ_TIMER); /* the VM's deadline moved */
	vcpu_pre_entry(v0);
	ck_assert_uint_ne(v0->timer_deadline, UINT64_MAX);
	ck_assert_uint_eq(v1->timer_deadline, UINT64_MAX); /* the PIT is armed by vCPU 0 only */
	ck_assert(!v0->event.valid);
	sim.host_tsc = v0->timer_deadline;
	vcpu_pre_entry(v0);
	expect_injected(v0, 0x30);
	ck_assert_uint_gt(v0->timer_deadline, sim.host_tsc); /* periodic: the next tick */
	/* Port 0x61: channel 2's gate, OUT read back (calibration loops poll it). */
	out8(0x61, VPIT_PORT_B_GATE2);
	ck_assert_uint_eq(in8(0x61) & 0x0f, VPIT_PORT_B_GATE2);
	/* Counter latch and read of channel 0. */
	out8(0x43, 0x00);
	uint16_t c = in8(0x40);
	c |= (uint16_t)(in8(0x40) << 8);
	ck_assert_uint_le(c, 1193);
}
END_TEST

START_TEST(test_rtc_periodic_irq8)
{
	mmio_wr(v0, APIC + VLAPIC_SVR, 0x1ff);
	ioapic_rte(v0, VM_IRQ_RTC_ISA, 0x38);
	out8(0x70, VRTC_REG_A);
	ck_assert_uint_eq(in8(0x71) & VRTC_A_DV_MASK, VRTC_A_DV_NORMAL);
	out8(0x70, VRTC_REG_A);
	out8(0x71, VRTC_A_DV_NORMAL | 0x6); /* 1024 Hz */
	out8(0x70, VRTC_REG_B);
	out8(0x71, VRTC_B_PIE | VRTC_B_24H);
	vcpu_pre_entry(v0);
	ck_assert_uint_ne(v0->timer_deadline, UINT64_MAX);
	sim.host_tsc = v0->timer_deadline;
	vcpu_pre_entry(v0);
	expect_injected(v0, 0x38);
	/* Register C read acknowledges (and the next period arms again). */
	out8(0x70, VRTC_REG_C);
	ck_assert(in8(0x71) & VRTC_C_PF);
	/* The clock: 2000-01-01 at guest TSC 0 (no wall clock on the seam). */
	out8(0x70, VRTC_YEAR);
	ck_assert_uint_eq(in8(0x71), 0);
}
END_TEST

/* ---- the Service VM's hypercalls --------------------------------------------------------- */

START_TEST(test_inject_msi_and_irqline_hypercalls)
{
	struct vm *sos = sim_create_vm(&hv, "sos", 1, true, RAM);
	ck_assert_ptr_nonnull(sos);
	struct vcpu *s0 = &sos->vcpus[0];
	uint8_t *sram = sim_vm_ram(sos->id);
	uint64_t entry[2] = { 0xfee01000ull, 0x4a };
	memcpy(sram + 0x3000, entry, sizeof(entry));
	unit_lapic_enable(v1);
	ck_assert_int_eq(hypercall_dispatch(s0, HC_INJECT_MSI, vm->id, 0x3000), 0);
	ck_assert_int_eq(intr_highest_deliverable(v1), 0x4a);
	ck_assert_int_eq(hypercall_dispatch(s0, HC_INJECT_MSI, vm->id, 0x3001), -TERN_EINVAL);
	ck_assert_int_eq(hypercall_dispatch(s0, HC_INJECT_MSI, sos->id, 0x3000), -TERN_EPERM);
	ck_assert_int_eq(hypercall_dispatch(s0, HC_INJECT_MSI, 7, 0x3000), -TERN_ENOENT);
	entry[0] = 0xfec00000ull;
	memcpy(sram + 0x3000, entry, sizeof(entry));
	ck_assert_int_eq(hypercall_dispatch(s0, HC_INJECT_MSI, vm->id, 0x3000), -TERN_EINVAL);
	/* SET_IRQLINE: gsi 9 high (level RTE to APIC 1), then low; bad gsi / op. */
	ioapic_rte(v0, 9, 0x4b | VIOAPIC_RTE_LEVEL | (1ull << VIOAPIC_RTE_DEST_SHIFT));
	ck_assert_int_eq(hypercall_dispatch(s0, HC_SET_IRQLINE, vm->id, 9), 0);
	ck_assert_int_eq(intr_highest_deliverable(v1), 0x4b);
	ck_assert_int_eq(hypercall_dispatch(s0, HC_SET_IRQLINE, vm->id, 9 | (1ull << 32)), 0);
	ck_assert_int_eq(hypercall_dispatch(s0, HC_SET_IRQLINE, vm->id, 24), -TERN_EINVAL);
	ck_assert_int_eq(hypercall_dispatch(s0, HC_SET_IRQLINE, vm->id, 9 | (9ull << 32)), -TERN_EINVAL);
}
END_TEST

/* The upcall reaches a Service VM whose kernel enabled its APIC; a disabled one drops it, said once. */
START_TEST(test_upcall_needs_an_enabled_apic)
{
	struct vm *sos = sim_create_vm(&hv, "sos", 1, true, RAM);
	ck_assert_ptr_nonnull(sos);
	struct vcpu *s0 = &sos->vcpus[0];
	sim_log_clear();
	vcpu_make_request(s0, VCPU_REQ_UPCALL);
	vcpu_handle_requests(s0);
	ck_assert_int_eq(intr_highest_deliverable(s0), -1);
	ck_assert(sim_log_contains("upcall vector 0xf3 dropped: its APIC is software-disabled"));
	sim_log_clear();
	vcpu_make_request(s0, VCPU_REQ_UPCALL);
	vcpu_handle_requests(s0);
	ck_assert(!sim_log_contains("dropped")); /* once */
	unit_lapic_enable(s0);
	vcpu_make_request(s0, VCPU_REQ_UPCALL);
	vcpu_handle_requests(s0);
	ck_assert_int_eq(intr_highest_deliverable(s0), 0xf3);
}
END_TEST

START_TEST(test_reset_restores_devices)
{
	mmio_wr(v0, APIC + VLAPIC_SVR, 0x1ff);
	ioapic_rte(v0, 4, 0x77);
	pic_init();
	out8(0x21, 0xff);
	vm->state = VM_STATE_PAUSED;
	v0->state = v1->state = VCPU_STATE_PAUSED;
	v0->pause_mask = v1->pause_mask = VCPU_PAUSED_BY_VM;
	v0->paused_state = v1->paused_state = VCPU_STATE_RUNNABLE;
	atomic_store32(&v0->running, 0);
	ck_assert_int_eq(vm_mgr_reset(vm), 0);
	ck_assert_uint_eq(vm->ioapic.rte[4] & VIOAPIC_RTE_MASKED, VIOAPIC_RTE_MASKED);
	ck_assert_uint_eq(vm->pic.chip[0].imr, 0);
	ck_assert(!vlapic_sw_enabled(&v0->lapic));
	ck_assert_uint_eq(v0->lapic.apic_base, 0xfee00900ull);
	ck_assert_uint_eq(v1->lapic.apic_base, 0xfee00800ull);
	ck_assert_uint_eq(v0->timer_deadline, UINT64_MAX);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vm_irq");
	TCase *tc = tcase_create("wiring");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_xapic_page_registers);
	tcase_add_test(tc, test_apic_page_follows_base_and_mode);
	tcase_add_test(tc, test_apic_base_msr_rules);
	tcase_add_test(tc, test_x2apic_msrs);
	tcase_add_test(tc, test_fixed_ipi_to_other_vcpu);
	tcase_add_test(tc, test_nmi_init_sipi);
	tcase_add_test(tc, test_sipi_on_a_later_pass_is_entered);
	tcase_add_test(tc, test_ipi_trigger_bit_does_not_set_tmr);
	tcase_add_test(tc, test_no_delivery_to_another_vm);
	tcase_add_test(tc, test_ipi_hostile_destinations);
	tcase_add_test(tc, test_ipi_across_pcpus_kicks);
	tcase_add_test(tc, test_ioapic_level_and_eoi);
	tcase_add_test(tc, test_msi);
	tcase_add_test(tc, test_pic_extint_through_lint0);
	tcase_add_test(tc, test_requeued_vectors);
	tcase_add_test(tc, test_lapic_timer_wakes_halted_vcpu);
	tcase_add_test(tc, test_tsc_deadline_timer);
	tcase_add_test(tc, test_pit_irq0_through_ioapic_pin2);
	tcase_add_test(tc, test_rtc_periodic_irq8);
	tcase_add_test(tc, test_inject_msi_and_irqline_hypercalls);
	tcase_add_test(tc, test_upcall_needs_an_enabled_apic);
	tcase_add_test(tc, test_reset_restores_devices);
	suite_add_tcase(s, tc);
	return s;
}
