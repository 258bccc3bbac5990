/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instruction retirement (core/retire.h) as the guest sees it: RIP past the
 * instruction with the mode's wrap, the STI/MOV-SS shadow over (the next
 * instruction can take an interrupt), RFLAGS.RF clear, and with RFLAGS.TF
 * exactly one single-step trap pending (pending debug exceptions BS) ahead
 * of any interrupt; and none of it for an instruction that faults.
 */
#include <string.h>
#include "unit.h"
#include "lapic_util.h"
#include "exit_dispatch.h"
#include "intr.h"
#include "ioreq.h"
#include "retire.h"
#include "sim.h"
#include "x86.h"

static struct tern hv;
static struct vm *vm;
static struct vcpu *v;

#define RIP0 0x1000ull
#define RFL_BASE (X86_RFLAGS_FIXED1 | X86_RFLAGS_IF)

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	/* A Service VM, so that VMCALL is a hypercall rather than #UD. */
	vm = sim_create_vm(&hv, "r", 1, true, 0x10000);
	vm->state = VM_STATE_RUNNING;
	v = &vm->vcpus[0];
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_RIP, RIP0);
	vcpu_cache_fill(v, VCPU_RFLAGS, RFL_BASE);
}

static struct exit_record rec(uint32_t reason, uint64_t qual, uint32_t len)
{
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = reason;
	ex.qualification = qual;
	ex.instr_len = len;
	return ex;
}

/* The state a fresh exit starts from: the cache holds what the CPU saved. */
static void guest(uint64_t rflags, uint64_t intr_state, uint64_t pending_dbg)
{
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_RIP, RIP0);
	vcpu_cache_fill(v, VCPU_RFLAGS, rflags);
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, intr_state);
	vcpu_cache_fill(v, VCPU_PENDING_DBG, pending_dbg);
}

START_TEST(test_core_function)
{
	guest(RFL_BASE | X86_RFLAGS_TF | X86_RFLAGS_RF, INTR_STATE_STI | INTR_STATE_NMI, 0);
	vcpu_retire_insn(v, 3);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), RIP0 + 3);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RFLAGS), RFL_BASE | X86_RFLAGS_TF);
	/* Blocking by NMI is not a shadow: it stays until IRET. */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), INTR_STATE_NMI);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_PENDING_DBG), PENDING_DBG_BS);
	ck_assert(vcpu_step_trap_pending(v));

	/* Nothing to end, clear or queue: nothing is written. */
	guest(RFL_BASE, 0, 0);
	vcpu_retire_insn(v, 2);
	ck_assert_uint_eq(v->reg_dirty, 1u << VCPU_RIP);
	ck_assert(!vcpu_step_trap_pending(v));

	/* The emulator's variant leaves RIP to the emulator. */
	guest(RFL_BASE | X86_RFLAGS_TF, INTR_STATE_MOV_SS, 0);
	vcpu_retire_emulated(v);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_PENDING_DBG), PENDING_DBG_BS);
}
END_TEST

START_TEST(test_trap_pending_only_from_the_cache)
{
	/* A value the platform would have to fetch was not set by this exit. */
	vcpu_cache_reset(v);
	ck_assert(!vcpu_step_trap_pending(v));
	vcpu_cache_fill(v, VCPU_PENDING_DBG, 0x1); /* B0 only: not a single-step trap */
	ck_assert(!vcpu_step_trap_pending(v));
	vcpu_cache_fill(v, VCPU_PENDING_DBG, PENDING_DBG_BS);
	ck_assert(vcpu_step_trap_pending(v));
}
END_TEST

START_TEST(test_wrap)
{
	/* 32-bit protected mode: EIP wraps at 4 GiB. */
	sim_vcpu_flat_state(v, false, 0);
	vcpu_cache_fill(v, VCPU_RIP, 0xfffffffeull);
	vcpu_retire_insn(v, 3);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 1);
	/* Compatibility mode (EFER.LMA, CS.L = 0) too. */
	sim_vcpu_flat_state(v, true, 0);
	struct seg_desc cs = *vcpu_get_seg(v, VCPU_CS);
	cs.ar = (cs.ar & ~(1u << 13)) | (1u << 14);
	vcpu_cache_fill_seg(v, VCPU_CS, &cs);
	vcpu_cache_fill(v, VCPU_RIP, 0xffffffffull);
	vcpu_retire_insn(v, 1);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0);
	/* 64-bit mode: across 4 GiB without a wrap, and at 2^64. */
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_RIP, 0xfffffffeull);
	vcpu_retire_insn(v, 2);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x100000000ull);
	vcpu_cache_fill(v, VCPU_RIP, 0xffffffffffffffffull);
	vcpu_retire_insn(v, 2);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 1);
}
END_TEST

/* Every exit that completes an instruction retires it the same way. */
struct completing {
	const char *name;
	uint32_t reason;
	uint64_t qual;
	uint32_t len;
	uint64_t rax, rcx, rdx;
	enum exit_action action;
};

static const struct completing completing[] = {
	{ "cpuid", EXIT_REASON_CPUID, 0, 2, 0, 0, 0, EXIT_ACTION_RESUME },
	{ "rdmsr", EXIT_REASON_RDMSR, 0, 2, 0, 0x1b, 0, EXIT_ACTION_RESUME },
	{ "wrmsr", EXIT_REASON_WRMSR, 0, 2, 0x00070406, 0x277, 0x00070406, EXIT_ACTION_RESUME },
	{ "rdtsc", EXIT_REASON_RDTSC, 0, 2, 0, 0, 0, EXIT_ACTION_RESUME },
	{ "rdtscp", EXIT_REASON_RDTSCP, 0, 3, 0, 0, 0, EXIT_ACTION_RESUME },
	{ "wbinvd", EXIT_REASON_WBINVD, 0, 2, 0, 0, 0, EXIT_ACTION_RESUME },
	{ "invd", EXIT_REASON_INVD, 0, 2, 0, 0, 0, EXIT_ACTION_RESUME },
	{ "pause", EXIT_REASON_PAUSE, 0, 2, 0, 0, 0, EXIT_ACTION_RESUME },
	/* CLTS: access type 2 (SDM Vol. 3C Table 28-3). */
	{ "clts", EXIT_REASON_CR_ACCESS, 2u << 4, 2, 0, 0, 0, EXIT_ACTION_RESUME },
	/* out 0x80, al: nobody claims the port, no device model: discarded. */
	{ "out", EXIT_REASON_IO_INSTRUCTION, 0x80ull << 16 | 1u << 6, 2, 0, 0, 0, EXIT_ACTION_RESUME },
	/* in al, dx from COM1's LSR. */
	{ "in", EXIT_REASON_IO_INSTRUCTION, 0x3fdull << 16 | 1u << 3, 1, 0, 0, 0, EXIT_ACTION_RESUME },
	/* HLT with IF = 1 and nothing pending: the vCPU sleeps, the instruction is done. */
	{ "hlt", EXIT_REASON_HLT, 0, 1, 0, 0, 0, EXIT_ACTION_HALT },
	/* An unknown hypercall completes with an error in RAX. */
	{ "vmcall", EXIT_REASON_VMCALL, 0, 3, 0, 0, 0, EXIT_ACTION_RESUME },
};

START_TEST(test_every_completing_exit_retires)
{
	for (unsigned i = 0; i < sizeof(completing) / sizeof(completing[0]); i++) {
		const struct completing *c = &completing[i];
		guest(RFL_BASE | X86_RFLAGS_TF | X86_RFLAGS_RF, INTR_STATE_STI, 0);
		vcpu_cache_fill(v, VCPU_RAX, c->rax);
		vcpu_cache_fill(v, VCPU_RCX, c->rcx);
		vcpu_cache_fill(v, VCPU_RDX, c->rdx);
		memset(&v->event, 0, sizeof(v->event));
		v->state = VCPU_STATE_RUNNABLE;
		struct exit_record ex = rec(c->reason, c->qual, c->len);
		ck_assert_msg(vcpu_handle_exit(v, &ex) == c->action, "%s: action", c->name);
		ck_assert_msg(!v->event.valid, "%s: nothing injected", c->name);
		ck_assert_msg(vcpu_get_reg(v, VCPU_RIP) == RIP0 + c->len, "%s: rip 0x%llx", c->name,
			      (unsigned long long)vcpu_get_reg(v, VCPU_RIP));
		ck_assert_msg(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY) == 0, "%s: shadow", c->name);
		ck_assert_msg(vcpu_get_reg(v, VCPU_RFLAGS) == (RFL_BASE | X86_RFLAGS_TF), "%s: rflags",
			      c->name);
		ck_assert_msg(vcpu_get_reg(v, VCPU_PENDING_DBG) == PENDING_DBG_BS, "%s: trap", c->name);
		ck_assert_msg(vcpu_reg_dirty(v, VCPU_PENDING_DBG), "%s: trap written", c->name);
	}
}
END_TEST

/* A fault instead of completion: RIP, shadow, RF, pending debug untouched. */
static void assert_not_retired(const char *what, uint8_t vector)
{
	ck_assert_msg(v->event.valid && v->event.vector == vector, "%s: fault injected", what);
	ck_assert_msg(!vcpu_reg_dirty(v, VCPU_RIP), "%s: rip", what);
	ck_assert_msg(!vcpu_reg_dirty(v, VCPU_RFLAGS), "%s: rflags", what);
	ck_assert_msg(!vcpu_reg_dirty(v, VCPU_INTERRUPTIBILITY), "%s: shadow", what);
	ck_assert_msg(!vcpu_reg_dirty(v, VCPU_PENDING_DBG), "%s: trap", what);
}

START_TEST(test_faulting_instruction_does_not_retire)
{
	uint64_t rfl = RFL_BASE | X86_RFLAGS_TF | X86_RFLAGS_RF;
	struct exit_record ex;

	guest(rfl, INTR_STATE_STI, 0);
	vcpu_cache_fill(v, VCPU_RCX, 0x12345);            /* no such MSR */
	ex = rec(EXIT_REASON_RDMSR, 0, 2);
	vcpu_handle_exit(v, &ex);
	assert_not_retired("rdmsr", X86_GP);

	guest(rfl, INTR_STATE_STI, 0);
	vcpu_cache_fill(v, VCPU_RCX, 0x277);
	vcpu_cache_fill(v, VCPU_RAX, 0x02);                /* PAT type 2 is reserved */
	memset(&v->event, 0, sizeof(v->event));
	ex = rec(EXIT_REASON_WRMSR, 0, 2);
	vcpu_handle_exit(v, &ex);
	assert_not_retired("wrmsr", X86_GP);

	/* mov cr4, rax with a reserved bit (63). */
	guest(rfl, INTR_STATE_MOV_SS, 0);
	vcpu_cache_fill(v, VCPU_RAX, 1ull << 63);
	memset(&v->event, 0, sizeof(v->event));
	ex = rec(EXIT_REASON_CR_ACCESS, 4, 3);
	vcpu_handle_exit(v, &ex);
	assert_not_retired("mov cr4", X86_GP);

	/* VMCALL at CPL 3: #GP. */
	guest(rfl, 0, 0);
	sim_vcpu_flat_state(v, true, 3);
	vcpu_cache_fill(v, VCPU_RFLAGS, rfl);
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, 0);
	vcpu_cache_fill(v, VCPU_PENDING_DBG, 0);
	memset(&v->event, 0, sizeof(v->event));
	ex = rec(EXIT_REASON_VMCALL, 0, 3);
	vcpu_handle_exit(v, &ex);
	assert_not_retired("vmcall", X86_GP);
}
END_TEST

START_TEST(test_sti_cpuid_unshields_next_instruction)
{
	/* Before CPUID the shadow holds the interrupt back... */
	guest(RFL_BASE, INTR_STATE_STI, 0);
	ck_assert_int_eq(unit_queue_interrupt(v, 0x30), 0);
	vcpu_pre_entry(v);
	ck_assert(!v->event.valid);
	ck_assert(v->intr.irq_window);
	/* ...after "sti; cpuid" the instruction after CPUID takes it. */
	struct exit_record ex = rec(EXIT_REASON_CPUID, 0, 2);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	vcpu_pre_entry(v);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.type, INTR_TYPE_EXT_INT);
	ck_assert_uint_eq(v->event.vector, 0x30);
	ck_assert(!v->intr.irq_window);
}
END_TEST

START_TEST(test_trap_goes_before_interrupts)
{
	guest(RFL_BASE | X86_RFLAGS_TF, 0, 0);
	ck_assert_int_eq(unit_queue_interrupt(v, 0x30), 0);
	vcpu_queue_nmi(v);
	struct exit_record ex = rec(EXIT_REASON_CPUID, 0, 2);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	vcpu_pre_entry(v);
	/* One trap, no event in the injection slot that would discard it. */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_PENDING_DBG), PENDING_DBG_BS);
	ck_assert(!v->event.valid);
	ck_assert(v->intr.nmi_window);
	ck_assert(v->intr.irq_window);
	ck_assert(v->intr.nmi_pending);
	/* The #DB was delivered; the NMI window exit follows: the NMI goes in. */
	guest(RFL_BASE | X86_RFLAGS_TF, 0, 0);
	ex = rec(EXIT_REASON_NMI_WINDOW, 0, 0);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.type, INTR_TYPE_NMI);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));          /* window exits retire nothing */
	ck_assert(!vcpu_reg_dirty(v, VCPU_PENDING_DBG));
}
END_TEST

START_TEST(test_hlt_trap_then_wakeup)
{
	/* "hlt" with TF: the trap stays pending while halted and goes first on wake-up. */
	guest(RFL_BASE | X86_RFLAGS_TF, 0, 0);
	struct exit_record ex = rec(EXIT_REASON_HLT, 0, 1);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_HALT);
	ck_assert_int_eq(unit_queue_interrupt(v, 0x40), 0);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	vcpu_pre_entry(v);
	ck_assert(!v->event.valid);
	ck_assert(v->intr.irq_window);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), RIP0 + 1);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_PENDING_DBG), PENDING_DBG_BS);
}
END_TEST

START_TEST(test_mov_ss_breakpoint_kept)
{
	/* B1 the CPU left pending behind MOV SS is delivered with the trap. */
	guest(RFL_BASE | X86_RFLAGS_TF, INTR_STATE_MOV_SS, 0x2);
	struct exit_record ex = rec(EXIT_REASON_CPUID, 0, 2);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_PENDING_DBG), PENDING_DBG_BS | 0x2);
	/* Without TF the CPU's bits are left as they are (not written). */
	guest(RFL_BASE, INTR_STATE_MOV_SS, 0x2);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(!vcpu_reg_dirty(v, VCPU_PENDING_DBG));
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), 0);
}
END_TEST

START_TEST(test_rep_outs_steps_each_iteration)
{
	/* rep outsb to the UART's scratch register, 32-bit protected mode without paging. */
	uint8_t *ram = sim_vm_ram(vm->id);
	ram[0x3000] = 0x11;
	ram[0x3001] = 0x22;
	guest(RFL_BASE | X86_RFLAGS_TF, INTR_STATE_STI, 0);
	sim_vcpu_flat_state(v, false, 0);
	vcpu_cache_fill(v, VCPU_CR0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
	vcpu_cache_fill(v, VCPU_RIP, RIP0);
	vcpu_cache_fill(v, VCPU_RFLAGS, RFL_BASE | X86_RFLAGS_TF);
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, INTR_STATE_STI);
	vcpu_cache_fill(v, VCPU_RSI, 0x3000);
	vcpu_cache_fill(v, VCPU_RCX, 2);
	struct exit_record ex = rec(EXIT_REASON_IO_INSTRUCTION, 0x3ffull << 16 | 1u << 4 | 1u << 5, 2);
	ex.instr_info = 1u << 7 | (uint32_t)VCPU_DS << 15;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	/* One element, then the trap on the instruction with RF set; the shadow stays. */
	ck_assert_uint_eq(vm->com1.scr, 0x11);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 1);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RSI), 0x3001);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RFLAGS), RFL_BASE | X86_RFLAGS_TF | X86_RFLAGS_RF);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_PENDING_DBG), PENDING_DBG_BS);
	ck_assert(!vcpu_reg_dirty(v, VCPU_INTERRUPTIBILITY));
	/* After the #DB, the guest re-executes it with RF still set: RF stays, unwritten. */
	vcpu_cache_fill(v, VCPU_PENDING_DBG, 0);
	vcpu_cache_fill(v, VCPU_RCX, 2);
	vcpu_cache_fill(v, VCPU_RSI, 0x3000);
	v->reg_dirty = 0;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 1);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RFLAGS));
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_PENDING_DBG), PENDING_DBG_BS);
	/* The last element retires. */
	vcpu_cache_fill(v, VCPU_PENDING_DBG, 0);
	v->reg_dirty = 0;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vm->com1.scr, 0x22);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), RIP0 + 2);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RFLAGS), RFL_BASE | X86_RFLAGS_TF);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_PENDING_DBG), PENDING_DBG_BS);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), 0);
	/* Not single-stepped, the whole count goes in one exit and nothing traps. */
	guest(RFL_BASE, 0, 0);
	sim_vcpu_flat_state(v, false, 0);
	vcpu_cache_fill(v, VCPU_CR0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
	vcpu_cache_fill(v, VCPU_RIP, RIP0);
	vcpu_cache_fill(v, VCPU_RFLAGS, RFL_BASE);
	vcpu_cache_fill(v, VCPU_RSI, 0x3000);
	vcpu_cache_fill(v, VCPU_RCX, 2);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), RIP0 + 2);
	ck_assert(!vcpu_reg_dirty(v, VCPU_PENDING_DBG));
}
END_TEST

/* The device model's IOREQ page in the Service VM (see test_string_io.c). */
#define DM_PAGE 0x8000

static void dm_answer(struct vm *sos, uint32_t value)
{
	uint8_t *slot = sim_vm_ram(sos->id) + DM_PAGE;
	uint32_t st = IOREQ_COMPLETE;
	memcpy(slot + IOREQ_OFF_VALUE, &value, 4);
	memcpy(slot + IOREQ_OFF_STATE, &st, 4);
}

START_TEST(test_device_model_io_retires)
{
	static struct tern hv2;
	sim_reset();
	tern_init(&hv2);
	struct vm *sos = sim_create_vm(&hv2, "sos", 1, true, 0x10000);
	struct vm *uos = sim_create_vm(&hv2, "uos", 1, false, 0x10000);
	ck_assert_int_eq(ioreq_set_buffer(uos, DM_PAGE), 0);
	struct vcpu *u = &uos->vcpus[0];
	sim_vcpu_flat_state(u, false, 0);
	vcpu_cache_fill(u, VCPU_CR0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
	vcpu_cache_fill(u, VCPU_RIP, 0x1000);
	vcpu_cache_fill(u, VCPU_RDI, 0x3000);
	vcpu_cache_fill(u, VCPU_RCX, 2);
	vcpu_cache_fill(u, VCPU_RFLAGS, RFL_BASE | X86_RFLAGS_TF);
	vcpu_cache_fill(u, VCPU_INTERRUPTIBILITY, INTR_STATE_STI);
	/* rep insw from 0x1f0, 32-bit addresses: qualification IN, string, REP, size 2. */
	struct exit_record ex = rec(EXIT_REASON_IO_INSTRUCTION,
				    0x1f0ull << 16 | 1u | 1u << 3 | 1u << 4 | 1u << 5, 2);
	ex.instr_info = 1u << 7;
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_WAIT_IO);
	dm_answer(sos, 0xbeef);
	ck_assert_int_eq(ioreq_complete(uos, 0), 0);
	vcpu_pre_entry(u);   /* the post-work runs on the User vCPU, before its entry */
	/*
	 * One element of two: the instruction re-executes, it has not retired;
	 * single-stepped, the iteration traps with RF set (SDM Vol. 3A 17.3.1.1).
	 */
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RIP), 0x1000);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_PENDING_DBG), PENDING_DBG_BS);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RFLAGS), RFL_BASE | X86_RFLAGS_TF | X86_RFLAGS_RF);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_INTERRUPTIBILITY), INTR_STATE_STI);
	/* The next exit: the CPU delivered the #DB and the guest's IRET restored RF. */
	vcpu_cache_fill(u, VCPU_PENDING_DBG, 0);
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_WAIT_IO);
	dm_answer(sos, 0x1234);
	ck_assert_int_eq(ioreq_complete(uos, 0), 0);
	vcpu_pre_entry(u);   /* the post-work runs on the User vCPU, before its entry */
	/* The last element completes it: retired when the device model answered. */
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RIP), 0x1002);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RFLAGS), RFL_BASE | X86_RFLAGS_TF);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_INTERRUPTIBILITY), 0);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_PENDING_DBG), PENDING_DBG_BS);

	/* in al, dx from a device-model port: retired when the request goes out. */
	vcpu_cache_reset(u);
	sim_vcpu_flat_state(u, false, 0);
	vcpu_cache_fill(u, VCPU_RIP, 0x2000);
	vcpu_cache_fill(u, VCPU_RFLAGS, RFL_BASE | X86_RFLAGS_TF | X86_RFLAGS_RF);
	vcpu_cache_fill(u, VCPU_INTERRUPTIBILITY, INTR_STATE_MOV_SS);
	ex = rec(EXIT_REASON_IO_INSTRUCTION, 0x1f7ull << 16 | 1u << 3, 1);
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RIP), 0x2001);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RFLAGS), RFL_BASE | X86_RFLAGS_TF);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_INTERRUPTIBILITY), 0);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_PENDING_DBG), PENDING_DBG_BS);
	dm_answer(sos, 0x77);
	ck_assert_int_eq(ioreq_complete(uos, 0), 0);
	vcpu_pre_entry(u);   /* the post-work runs on the User vCPU, before its entry */
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RAX) & 0xff, 0x77);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RIP), 0x2001);    /* retired once, not again */
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("retire");
	TCase *tc = tcase_create("retire");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_core_function);
	tcase_add_test(tc, test_trap_pending_only_from_the_cache);
	tcase_add_test(tc, test_wrap);
	tcase_add_test(tc, test_every_completing_exit_retires);
	tcase_add_test(tc, test_faulting_instruction_does_not_retire);
	tcase_add_test(tc, test_sti_cpuid_unshields_next_instruction);
	tcase_add_test(tc, test_trap_goes_before_interrupts);
	tcase_add_test(tc, test_hlt_trap_then_wakeup);
	tcase_add_test(tc, test_mov_ss_breakpoint_kept);
	tcase_add_test(tc, test_rep_outs_steps_each_iteration);
	tcase_add_test(tc, test_device_model_io_retires);
	suite_add_tcase(s, tc);
	return s;
}
