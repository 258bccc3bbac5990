/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * APIC virtualization (SDM Vol. 3C chapter 29, without virtual-interrupt
 * delivery): the controls follow the CPU's capabilities (vmxc_apic_virt),
 * the virtual-APIC page holds what every virtualized read returns
 * (29.4.2), APIC-write exits (29.4.3.3) carry out EOI, ICR, SVR, LVT and
 * timer writes from the value the CPU stored, APIC-access exits are
 * decoded, and the TPR threshold (29.1.2) brings back an interrupt the
 * guest's TPR held. The CPU's part (storing the value, the TPR shadow) is
 * done here by writing the page as the CPU would.
 */
#include <string.h>
#include "unit.h"
#include "apic_qual.h"
#include "err.h"
#include "exit_dispatch.h"
#include "intr.h"
#include "lapic_util.h"
#include "mmio.h"
#include "msr.h"
#include "request.h"
#include "sim.h"
#include "vm.h"
#include "vmx_controls.h"
#include "x86.h"

#define RAM (1u << 20)
#define CODE 0x8000u
#define APIC 0xfee00000u

static struct tern hv;
static struct vm *vm;
static struct vcpu *v0, *v1;
static uint8_t *ram;

static void guest(struct vcpu *c)
{
	sim_vcpu_flat_state(c, false, 0);
	vcpu_cache_fill(c, VCPU_CR0, X86_CR0_PE);
	vcpu_cache_fill(c, VCPU_RFLAGS, 0x202);
	vcpu_cache_fill(c, VCPU_RIP, CODE);
	vcpu_cache_fill(c, VCPU_INTERRUPTIBILITY, 0);
}

static void make_vm(void)
{
	tern_init(&hv);
	vm = sim_create_vm(&hv, "apicv", 2, false, RAM);
	ck_assert_ptr_nonnull(vm);
	ram = sim_vm_ram(vm->id);
	vm->state = VM_STATE_RUNNING;
	v0 = &vm->vcpus[0];
	v1 = &vm->vcpus[1];
	v0->state = v1->state = VCPU_STATE_RUNNABLE;
	guest(v1);
	guest(v0);
}

static void setup(void)
{
	sim_reset();
	make_vm();
}

static uint32_t *page(struct vcpu *c, uint32_t off) { return vlapic_reg(&c->lapic, off); }

/* The guest stored `value` at `off` of its xAPIC page: the CPU's part, then the exit. */
static enum exit_action apic_write(struct vcpu *c, uint32_t off, uint32_t value)
{
	struct exit_record ex = { .reason = EXIT_REASON_APIC_WRITE, .qualification = off };
	*page(c, off & ~0xfu) = value;
	vcpu_cache_reset(c);
	guest(c);
	return vcpu_handle_exit(c, &ex);
}

/* An APIC-access exit of `type` at `off` for the instruction `bytes` at CODE (RBX = the address). */
static enum exit_action apic_access(struct vcpu *c, uint32_t off, unsigned type, const char *bytes,
				    unsigned n)
{
	struct exit_record ex = { .reason = EXIT_REASON_APIC_ACCESS, .instr_len = n,
				  .qualification = (uint64_t)type << 12 | off };
	memcpy(ram + CODE, bytes, n);
	vcpu_cache_reset(c);
	guest(c);
	vcpu_cache_fill(c, VCPU_RBX, APIC + off);
	vcpu_cache_fill(c, VCPU_RAX, 0xdeadbeef);
	return vcpu_handle_exit(c, &ex);
}

static bool irr(struct vcpu *c, unsigned v) { return vlapic_vec_test(&c->lapic, VLAPIC_IRR0, v); }
static bool isr(struct vcpu *c, unsigned v) { return vlapic_vec_test(&c->lapic, VLAPIC_ISR0, v); }

static struct vmx_controls controls(void)
{
	struct vmx_controls set;
	vmxc_build(v0, &set);
	return set;
}

START_TEST(test_controls_follow_capabilities)
{
	/* The production simulator's CPU has them: TPR shadow instead of CR8 exits. */
	struct vmx_controls set = controls();
	ck_assert(vmxc_apic_virt());
	ck_assert(set.ctl[VMXC_PROC] & VMXC_PROC_USE_TPR_SHADOW);
	ck_assert(!(set.ctl[VMXC_PROC] & (VMXC_PROC_CR8_LOAD_EXITING | VMXC_PROC_CR8_STORE_EXITING)));
	ck_assert(set.ctl[VMXC_PROC2] & VMXC_PROC2_APIC_REG_VIRT);
	ck_assert(set.dynamic[VMXC_PROC2] & VMXC_PROC2_VIRT_APIC_ACCESS);
	ck_assert(!(set.ctl[VMXC_PROC2] & VMXC_PROC2_VIRT_INTR_DELIVERY));
	ck_assert(!(set.ctl[VMXC_PIN] & VMXC_PIN_POSTED_INTERRUPTS));
	ck_assert(v0->intr.tpr_shadow);

	/* Without any one of the three (Bochs's older models, a client part): the EPT path, CR8 exits. */
	const struct { unsigned field; uint32_t bit; } drop[] = {
		{ VMXC_PROC, VMXC_PROC_USE_TPR_SHADOW },
		{ VMXC_PROC2, VMXC_PROC2_VIRT_APIC_ACCESS },
		{ VMXC_PROC2, VMXC_PROC2_APIC_REG_VIRT },
	};
	for (unsigned i = 0; i < sizeof(drop) / sizeof(drop[0]); i++) {
		sim_reset();
		sim.vmx_ctl_cap[drop[i].field] &= ~((uint64_t)drop[i].bit << 32);
		make_vm();
		ck_assert(!vmxc_apic_virt());
		set = controls();
		ck_assert(!(set.ctl[VMXC_PROC] & VMXC_PROC_USE_TPR_SHADOW));
		ck_assert(set.ctl[VMXC_PROC] & VMXC_PROC_CR8_LOAD_EXITING);
		ck_assert(set.ctl[VMXC_PROC] & VMXC_PROC_CR8_STORE_EXITING);
		ck_assert(!(set.ctl[VMXC_PROC2] & (VMXC_PROC2_APIC_REG_VIRT | VMXC_PROC2_VIRT_APIC_ACCESS)));
		ck_assert_uint_eq(set.dynamic[VMXC_PROC2], 0);
		ck_assert(!v0->intr.tpr_shadow);
		/* The xAPIC EOI still works, through the EPT violation and the decoder. */
		unit_queue_interrupt(v0, 0x41);
		ck_assert_int_eq(vlapic_ack(&v0->lapic, 0x41), 0);
		struct exit_record ex = { .reason = EXIT_REASON_EPT_VIOLATION,
					  .qualification = EPT_QUAL_WRITE | EPT_QUAL_LA_VALID | EPT_QUAL_LA_XLATED,
					  .guest_physical = APIC + VLAPIC_EOI };
		memcpy(ram + CODE, "\x89\x03", 2); /* mov [ebx], eax */
		vcpu_cache_fill(v0, VCPU_RBX, APIC + VLAPIC_EOI);
		vcpu_cache_fill(v0, VCPU_RAX, 0);
		ck_assert_int_eq(vcpu_handle_exit(v0, &ex), EXIT_ACTION_RESUME);
		ck_assert(!isr(v0, 0x41));
		ck_assert_uint_eq(vcpu_get_reg(v0, VCPU_RIP), CODE + 2);
	}
}
END_TEST

/* Every read the CPU answers from the page returns what the vLAPIC's own read returns. */
static void assert_page_coherent(struct vcpu *c)
{
	unsigned n = 0;
	for (uint32_t off = 0; off < 0x400; off += 16) {
		if (!vlapic_virtualized_read(off, 4))
			continue;
		uint32_t v;
		ck_assert_int_eq(vlapic_mmio_read(&c->lapic, off, 0, &v), 0);
		ck_assert_msg(*page(c, off) == v, "offset 0x%x: page 0x%x, register 0x%x", off, *page(c, off), v);
		n++;
	}
	/* ID, version, TPR, EOI, LDR, DFR, SVR, 8 ISR, 8 TMR, 8 IRR, ESR, ICR x2, 6 LVT, count, DCR */
	ck_assert_uint_eq(n, 7 + 24 + 1 + 2 + 6 + 2);
}

START_TEST(test_virtualized_reads_come_from_the_page)
{
	assert_page_coherent(v0); /* the reset state: ID, version 0x50014, DFR all ones, SVR 0xff */
	ck_assert_uint_eq(*page(v1, VLAPIC_ID), 1u << 24);
	ck_assert_uint_eq(*page(v0, VLAPIC_VERSION), VLAPIC_VERSION_VALUE);
	struct vlapic_result res;
	ck_assert_int_eq(apic_write(v0, VLAPIC_SVR, 0x1ff), EXIT_ACTION_RESUME);
	ck_assert_int_eq(apic_write(v0, VLAPIC_LDR, 0x03ffffffu), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(*page(v0, VLAPIC_LDR), 0x03000000u); /* bits 23:0 reserved */
	ck_assert_int_eq(apic_write(v0, VLAPIC_DFR, 0x0u), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(*page(v0, VLAPIC_DFR), 0x0fffffffu); /* cluster model, low bits read 1 */
	ck_assert_int_eq(apic_write(v0, VLAPIC_LVT_LINT0, 0x700), EXIT_ACTION_RESUME); /* ExtINT */
	ck_assert_int_eq(apic_write(v0, VLAPIC_LVT_ERROR, 0xffff00e0u), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(*page(v0, VLAPIC_LVT_ERROR), 0x100e0u); /* vector, mask */
	ck_assert_int_eq(apic_write(v0, VLAPIC_TIMER_DCR, 0xb), EXIT_ACTION_RESUME);
	ck_assert_int_eq(apic_write(v0, VLAPIC_TIMER_ICR, 12345), EXIT_ACTION_RESUME);
	/* A pending, an in-service and a level vector; an error latched in the ESR. */
	unit_queue_interrupt(v0, 0x91);
	ck_assert_int_eq(vlapic_ack(&v0->lapic, 0x91), 0);
	unit_queue_interrupt(v0, 0x35);
	ck_assert_int_eq(apic_write(v0, VLAPIC_ICR_LO, 0x40005), EXIT_ACTION_RESUME); /* self, vector 5: illegal */
	ck_assert_int_eq(apic_write(v0, VLAPIC_ESR, 0), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(*page(v0, VLAPIC_ESR), VLAPIC_ESR_SEND_ILLEGAL);
	/* The TPR the guest writes through the TPR shadow is the register (no exit). */
	*page(v0, VLAPIC_TPR) = 0x20;
	ck_assert_uint_eq(vlapic_cr8_read(&v0->lapic), 2);
	ck_assert_int_eq(vlapic_msr_write(&v0->lapic, 0, 0, 0, &res), -TERN_EFAULT); /* no x2APIC: #GP, nothing changes */
	ck_assert(!res.send);
	assert_page_coherent(v0);
	ck_assert(vlapic_vec_word(&v0->lapic, VLAPIC_ISR0, 4) == 1u << (0x91 - 0x80));
	ck_assert(vlapic_vec_word(&v0->lapic, VLAPIC_IRR0, 1) == 1u << (0x35 - 0x20));

	/* What the CPU leaves to exits: PPR, APR, remote read, current count, reserved offsets. */
	ck_assert(!vlapic_virtualized_read(VLAPIC_PPR, 4));
	ck_assert(!vlapic_virtualized_read(VLAPIC_APR, 4));
	ck_assert(!vlapic_virtualized_read(VLAPIC_RRD, 4));
	ck_assert(!vlapic_virtualized_read(VLAPIC_TIMER_CCR, 4));
	ck_assert(!vlapic_virtualized_read(0x3f0, 4));
	ck_assert(!vlapic_virtualized_read(0x400, 4));
	/* Only accesses entirely within the register's first 4 bytes (29.4.2). */
	ck_assert(vlapic_virtualized_read(VLAPIC_ICR_LO + 1, 2));
	ck_assert(!vlapic_virtualized_read(VLAPIC_ICR_LO + 2, 4));
	ck_assert(!vlapic_virtualized_read(VLAPIC_ICR_LO + 4, 4));
	ck_assert(!vlapic_virtualized_read(VLAPIC_ICR_LO, 0));
	ck_assert(!vlapic_virtualized_read(VLAPIC_ICR_LO, 8));
}
END_TEST

START_TEST(test_eoi_write)
{
	unit_queue_interrupt(v0, 0x41);
	ck_assert_int_eq(vlapic_ack(&v0->lapic, 0x41), 0);
	unit_queue_interrupt(v0, 0x61);
	ck_assert_int_eq(vlapic_ack(&v0->lapic, 0x61), 0);
	/* Trap-like: the store retired, nothing to retire again; the highest in service ends. */
	ck_assert_int_eq(apic_write(v0, VLAPIC_EOI, 0x12345678), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v0->reg_dirty, 0);
	ck_assert(!isr(v0, 0x61) && isr(v0, 0x41));
	ck_assert_uint_eq(*page(v0, VLAPIC_EOI), 0); /* reads 0 again */
	ck_assert_int_eq(apic_write(v0, VLAPIC_EOI, 0), EXIT_ACTION_RESUME);
	ck_assert(!isr(v0, 0x41));
	/* An EOI with nothing in service changes nothing. */
	ck_assert_int_eq(apic_write(v0, VLAPIC_EOI, 0), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vlapic_ppr(&v0->lapic), 0);
}
END_TEST

START_TEST(test_icr_writes)
{
	unit_lapic_enable(v0);
	unit_lapic_enable(v1);
	/* Fixed to APIC ID 1: ICR high first (its own APIC write), then low sends. */
	ck_assert_int_eq(apic_write(v0, VLAPIC_ICR_HI, 0x01ffffffu), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(*page(v0, VLAPIC_ICR_HI), 0x01000000u);
	ck_assert_int_eq(apic_write(v0, VLAPIC_ICR_LO, 0x51), EXIT_ACTION_RESUME);
	ck_assert(irr(v1, 0x51) && !irr(v0, 0x51));
	ck_assert(v1->requests & VCPU_REQ_EVENT);
	/* Self, with reserved bits the write ignores (xAPIC, SDM 10.6.1). */
	ck_assert_int_eq(apic_write(v0, VLAPIC_ICR_LO, 0xff040052u), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(*page(v0, VLAPIC_ICR_LO), 0x40052u);
	ck_assert(irr(v0, 0x52) && !irr(v1, 0x52));
	/* All but self. */
	ck_assert_int_eq(apic_write(v0, VLAPIC_ICR_LO, 0xc0053), EXIT_ACTION_RESUME);
	ck_assert(irr(v1, 0x53) && !irr(v0, 0x53));
	/* All including self. */
	ck_assert_int_eq(apic_write(v0, VLAPIC_ICR_LO, 0x80054), EXIT_ACTION_RESUME);
	ck_assert(irr(v1, 0x54) && irr(v0, 0x54));
	/* A byte write inside the register is reported at its own offset (29.4.3.3). */
	ck_assert_int_eq(apic_write(v0, VLAPIC_ICR_LO + 1, 0x40055), EXIT_ACTION_RESUME);
	ck_assert(irr(v0, 0x55));
	/* The remote IRR bit is in v1's page, where the CPU reads it, before v1 enters again. */
	ck_assert_uint_eq(*page(v1, VLAPIC_IRR0 + 0x20), (1u << 0x11) | (1u << 0x13) | (1u << 0x14));
}
END_TEST

START_TEST(test_svr_disable_and_lvts)
{
	ck_assert_int_eq(apic_write(v0, VLAPIC_SVR, 0x1ff), EXIT_ACTION_RESUME);
	ck_assert_int_eq(apic_write(v0, VLAPIC_LVT_TIMER, 0x40), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(*page(v0, VLAPIC_LVT_TIMER), 0x40);
	/* Software disable masks every LVT (SDM 10.4.7.2) and the mask sticks. */
	ck_assert_int_eq(apic_write(v0, VLAPIC_SVR, 0xff), EXIT_ACTION_RESUME);
	for (uint32_t off = VLAPIC_LVT_TIMER; off <= VLAPIC_LVT_ERROR; off += 16)
		ck_assert_msg(*page(v0, off) & VLAPIC_LVT_MASKED, "LVT 0x%x", off);
	ck_assert_int_eq(apic_write(v0, VLAPIC_LVT_TIMER, 0x40), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(*page(v0, VLAPIC_LVT_TIMER), VLAPIC_LVT_MASKED | 0x40);
	/* A disabled APIC takes no fixed IPI. */
	ck_assert_int_eq(apic_write(v0, VLAPIC_ICR_LO, 0x40061), EXIT_ACTION_RESUME);
	ck_assert(!irr(v0, 0x61));
	/* Re-enabled: the guest unmasks. */
	ck_assert_int_eq(apic_write(v0, VLAPIC_SVR, 0x1ff), EXIT_ACTION_RESUME);
	ck_assert_int_eq(apic_write(v0, VLAPIC_LVT_TIMER, 0x40), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(*page(v0, VLAPIC_LVT_TIMER), 0x40);
	/* Delivery status and remote IRR are read-only: what the guest stored is not kept. */
	ck_assert_int_eq(apic_write(v0, VLAPIC_LVT_LINT1, 0x5040), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(*page(v0, VLAPIC_LVT_LINT1), 0x40);
	/* In TSC-deadline mode the initial count ignores writes: the page shows the old one. */
	ck_assert_int_eq(apic_write(v0, VLAPIC_TIMER_ICR, 500), EXIT_ACTION_RESUME);
	ck_assert_int_eq(apic_write(v0, VLAPIC_LVT_TIMER, 0x40040), EXIT_ACTION_RESUME);
	ck_assert_int_eq(apic_write(v0, VLAPIC_TIMER_ICR, 777), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(*page(v0, VLAPIC_TIMER_ICR), 500);
	/* The ID is read-only in xAPIC mode here: restored. */
	ck_assert_int_eq(apic_write(v0, VLAPIC_ID, 0x07000000u), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(*page(v0, VLAPIC_ID), 0);
	assert_page_coherent(v0);
}
END_TEST

/*
 * The offsets of APIC-write exits, byte by byte over the page and past it
 * (SDM 29.4.3.1 less TPR): a write within the first 4 bytes of ID, EOI,
 * LDR, DFR, SVR, ESR, ICR low/high, the LVTs, the initial count and the DCR.
 */
START_TEST(test_apic_write_offsets)
{
	static const uint32_t regs[] = { VLAPIC_ID, VLAPIC_EOI, VLAPIC_LDR, VLAPIC_DFR, VLAPIC_SVR,
					 VLAPIC_ESR, VLAPIC_ICR_LO, VLAPIC_ICR_HI, VLAPIC_LVT_TIMER,
					 VLAPIC_LVT_THERMAL, VLAPIC_LVT_PERF, VLAPIC_LVT_LINT0,
					 VLAPIC_LVT_LINT1, VLAPIC_LVT_ERROR, VLAPIC_TIMER_ICR, VLAPIC_TIMER_DCR };
	unsigned n = 0;
	for (uint32_t off = 0; off < 0x2000; off++) {
		bool want = false;
		for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
			want |= off >= regs[i] && off < regs[i] + 4;
		ck_assert_msg(vlapic_apic_write_offset(off) == want, "offset 0x%x", off);
		n += want;
	}
	ck_assert_uint_eq(n, 16 * 4);
	/* Far offsets whose register bits would alias a register (off >> 4 modulo 64). */
	ck_assert(!vlapic_apic_write_offset(0x400 + VLAPIC_EOI));
	ck_assert(!vlapic_apic_write_offset(0x10000u + VLAPIC_ICR_LO));
	ck_assert(!vlapic_apic_write_offset(0xffffffffu));
}
END_TEST

START_TEST(test_apic_write_refused)
{
	/* TPR writes never exit as APIC writes (TPR virtualization, 29.4.3.2); nor do reserved offsets. */
	const uint32_t bad[] = { VLAPIC_TPR, VLAPIC_PPR, VLAPIC_ISR0, VLAPIC_TIMER_CCR, VLAPIC_ICR_LO + 4,
				 0x3f0, 0xff0, 0xfff };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup();
		ck_assert_msg(apic_write(v0, bad[i], 0) == EXIT_ACTION_STOP, "offset 0x%x", bad[i]);
		ck_assert_uint_eq(vm->stop_cause, VM_STOP_BAD_MEMORY);
	}
	/* In x2APIC mode the page is not the APIC's (the platform drops the control). */
	setup();
	struct guest_fault f;
	((struct cpuid_entry *)cpuid_find(&vm->cpuid, 1, 0))->regs[2] |= CPUID_1_ECX_X2APIC;
	msr_write(v0, MSR_IA32_APIC_BASE, 0xfee00d00ull, &f);
	ck_assert(!f.valid);
	ck_assert_int_eq(apic_write(v0, VLAPIC_ICR_LO, 0x40051), EXIT_ACTION_STOP);
	ck_assert(!irr(v0, 0x51));
}
END_TEST

START_TEST(test_apic_access_is_decoded)
{
	unit_queue_interrupt(v0, 0x91);
	ck_assert_int_eq(vlapic_ack(&v0->lapic, 0x91), 0);
	/* mov eax, [ebx] at PPR (not virtualized): the class in service. */
	ck_assert_int_eq(apic_access(v0, VLAPIC_PPR, APIC_ACCESS_LINEAR_READ, "\x8b\x03", 2), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v0, VCPU_RAX), 0x90);
	ck_assert_uint_eq(vcpu_get_reg(v0, VCPU_RIP), CODE + 2);
	/* A write to a register the CPU does not virtualize (PPR, read-only): ignored, retired. */
	ck_assert_int_eq(apic_access(v0, VLAPIC_PPR, APIC_ACCESS_LINEAR_WRITE, "\x89\x03", 2), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vlapic_ppr(&v0->lapic), 0x90);
	ck_assert_uint_eq(vcpu_get_reg(v0, VCPU_RIP), CODE + 2);
	/* Fetch, event delivery and guest-physical accesses are no register accesses: stop. */
	const unsigned types[] = { APIC_ACCESS_LINEAR_FETCH, APIC_ACCESS_LINEAR_EVENT, APIC_ACCESS_GPA_EVENT,
				   APIC_ACCESS_GPA_INSTR };
	for (unsigned i = 0; i < 4; i++) {
		setup();
		ck_assert_int_eq(apic_access(v0, VLAPIC_PPR, types[i], "\x8b\x03", 2), EXIT_ACTION_STOP);
		ck_assert_uint_eq(vm->stop_cause, VM_STOP_BAD_MEMORY);
	}
}
END_TEST

static void entry(struct vcpu *c)
{
	memset(&c->event, 0, sizeof(c->event));
	vcpu_cache_reset(c);
	guest(c);
	vcpu_pre_entry(c);
}

START_TEST(test_tpr_threshold)
{
	/* Nothing pending, or TPR 0: threshold 0. */
	entry(v0);
	ck_assert_uint_eq(v0->intr.tpr_threshold, 0);
	ck_assert(v0->intr.apic_access);
	/* Vector 0x35 (class 3) under TPR 0x50 (guest wrote it through the shadow): held, threshold 3. */
	*page(v0, VLAPIC_TPR) = 0x50;
	unit_queue_interrupt(v0, 0x35);
	entry(v0);
	ck_assert(!v0->event.valid);
	ck_assert_uint_eq(v0->intr.tpr_threshold, 3);
	/* The guest lowers VTPR to 0x20 < threshold: TPR below threshold (trap-like), then injection. */
	*page(v0, VLAPIC_TPR) = 0x20;
	struct exit_record ex = { .reason = EXIT_REASON_TPR_BELOW_THRESHOLD };
	ck_assert_int_eq(vcpu_handle_exit(v0, &ex), EXIT_ACTION_RESUME);
	entry(v0);
	ck_assert(v0->event.valid);
	ck_assert_uint_eq(v0->event.vector, 0x35);
	ck_assert_uint_eq(v0->intr.tpr_threshold, 0);
	/* A vector above the TPR's class is injected at once, no threshold. */
	*page(v0, VLAPIC_TPR) = 0x50;
	unit_queue_interrupt(v0, 0x61);
	entry(v0);
	ck_assert(v0->event.valid && v0->event.vector == 0x61);
	ck_assert_uint_eq(v0->intr.tpr_threshold, 0);
	/* Never above VTPR[7:4] (the VM-entry check, SDM 26.2.1.1), for every TPR and vector. */
	static struct vlapic l;
	for (unsigned tpr = 0; tpr < 256; tpr++) {
		for (unsigned vec = 16; vec < 256; vec++) {
			struct vlapic_result res;
			vlapic_init(&l, 0, 0, true, 1);
			vlapic_mmio_write(&l, VLAPIC_SVR, 0x1ff, 0, &res);
			vlapic_mmio_write(&l, VLAPIC_ICR_LO, 0x40000 | vec, 0, &res); /* self */
			ck_assert(res.send);
			ck_assert_int_eq(vlapic_accept(&l, &res.msg), VLAPIC_EV_IRR);
			*vlapic_reg(&l, VLAPIC_TPR) = tpr;
			uint32_t t = vlapic_tpr_threshold(&l);
			ck_assert_uint_le(t, tpr >> 4);
			ck_assert_uint_eq(t, (vec >> 4) <= (tpr >> 4) ? vec >> 4 : 0);
		}
	}
}
END_TEST

START_TEST(test_apic_access_follows_mode_and_base)
{
	struct guest_fault f;
	entry(v0);
	ck_assert(v0->intr.apic_access);
	/* Relocated: the APIC-access page is at the default base only; EPT path there. */
	msr_write(v0, MSR_IA32_APIC_BASE, 0xfed00900ull, &f);
	ck_assert(!f.valid);
	entry(v0);
	ck_assert(!v0->intr.apic_access);
	/* x2APIC mode: the xAPIC page is not the APIC's. */
	setup();
	((struct cpuid_entry *)cpuid_find(&vm->cpuid, 1, 0))->regs[2] |= CPUID_1_ECX_X2APIC;
	msr_write(v0, MSR_IA32_APIC_BASE, 0xfee00d00ull, &f);
	ck_assert(!f.valid);
	entry(v0);
	ck_assert(!v0->intr.apic_access);
	/* Disabled. */
	msr_write(v0, MSR_IA32_APIC_BASE, 0xfee00100ull, &f);
	ck_assert(!f.valid);
	entry(v0);
	ck_assert(!v0->intr.apic_access);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("apic_virt");
	TCase *tc = tcase_create("apicv");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_controls_follow_capabilities);
	tcase_add_test(tc, test_virtualized_reads_come_from_the_page);
	tcase_add_test(tc, test_eoi_write);
	tcase_add_test(tc, test_icr_writes);
	tcase_add_test(tc, test_svr_disable_and_lvts);
	tcase_add_test(tc, test_apic_write_refused);
	tcase_add_test(tc, test_apic_write_offsets);
	tcase_add_test(tc, test_apic_access_is_decoded);
	tcase_add_test(tc, test_tpr_threshold);
	tcase_add_test(tc, test_apic_access_follows_mode_and_base);
	suite_add_tcase(s, tc);
	return s;
}
