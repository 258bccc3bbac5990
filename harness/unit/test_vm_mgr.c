/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VM manager's state machines: every (state, operation) pair, legal ones
 * checked for the state they lead to, illegal ones for an error and a
 * hypervisor state identical byte for byte to the one before.
 */
#include <string.h>
#include "unit.h"
#include "request.h"
#include "err.h"
#include "exit_dispatch.h"
#include "platform.h"
#include "scheduler.h"
#include "sim.h"
#include "vm.h"
#include "vm_mgr.h"
#include "x86.h"

static struct tern hv;
static struct tern before;

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
}

static struct vm_config cfg_of(const char *name, uint16_t vcpus)
{
	struct vm_config c;
	memset(&c, 0, sizeof(c));
	strcpy(c.name, name);
	c.vcpu_count = vcpus;
	return c;
}

static struct vm *new_vm(const char *name, uint16_t vcpus)
{
	struct vm_config c = cfg_of(name, vcpus);
	struct vm *vm = NULL;
	ck_assert_int_eq(vm_mgr_create(&hv, &c, &vm), 0);
	return vm;
}

/* A valid 64-bit register state (flat, long mode, CPL 0). */
static struct vcpu_load_state long_mode_state(void)
{
	struct vcpu_load_state st;
	vm_mgr_reset_state(&st, 0);
	st.regs[VCPU_RIP] = 0x100000;
	st.regs[VCPU_RSP] = 0x8000;
	st.regs[VCPU_CR0] = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE;
	st.regs[VCPU_CR3] = 0x1000;
	st.regs[VCPU_CR4] = X86_CR4_PAE;
	st.regs[VCPU_EFER] = X86_EFER_LME | X86_EFER_LMA;
	st.segs[VCPU_CS] = (struct seg_desc){ .selector = 8, .base = 0, .limit = 0xffffffff, .ar = 0xa09b };
	return st;
}

/* ---- the table ---------------------------------------------------------------- */

enum setup_state {
	S_OFF, S_CREATED, S_RUNNING, S_PAUSED, S_STOPPED,
	S_RUNNING_V0_PAUSED,   /* running, vCPU 0 paused on its own */
	S_PAUSED_V0_PAUSED,    /* then the VM paused too */
	S_PAUSED_V0_WAIT_IO,   /* vCPU 0 was waiting for I/O when the VM paused */
	S_COUNT,
};

static const char *const setup_names[S_COUNT] = {
	"powered-off", "created", "running", "paused", "stopped",
	"running+vcpu0-paused", "paused+vcpu0-paused", "paused+vcpu0-wait-io",
};

enum op { OP_START, OP_PAUSE, OP_RESUME, OP_RESET, OP_DESTROY, OP_PAUSE_VCPU, OP_RESUME_VCPU,
	  OP_SET_STATE, OP_PAUSE_BAD_VCPU, OP_SET_BAD_STATE, OP_COUNT };

static const char *const op_names[OP_COUNT] = {
	"start", "pause", "resume", "reset", "destroy", "pause-vcpu0", "resume-vcpu0",
	"set-state-vcpu0", "pause-vcpu2", "set-bad-state",
};

static struct vm *make(enum setup_state s)
{
	/* Another VM alongside, so that an operation that touched it would show. */
	struct vm *other = new_vm("bystander", 1);
	ck_assert_int_eq(vm_mgr_start(other), 0);
	if (s == S_OFF)
		return &hv.vms[TERN_MAX_VMS - 1];
	struct vm *vm = new_vm("subject", 2);
	if (s == S_CREATED)
		return vm;
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	switch (s) {
	case S_PAUSED:
		ck_assert_int_eq(vm_mgr_pause(vm), 0);
		break;
	case S_STOPPED:
		vm_stop(vm, VM_STOP_GUEST_EXIT, 3);
		break;
	case S_RUNNING_V0_PAUSED:
		ck_assert_int_eq(vm_mgr_pause_vcpu(vm, 0), 0);
		break;
	case S_PAUSED_V0_PAUSED:
		ck_assert_int_eq(vm_mgr_pause_vcpu(vm, 0), 0);
		ck_assert_int_eq(vm_mgr_pause(vm), 0);
		break;
	case S_PAUSED_V0_WAIT_IO:
		/* What ioreq_send() leaves behind. */
		vm->vcpus[0].state = VCPU_STATE_WAIT_IO;
		vm->vcpus[0].io.active = true;
		ck_assert_int_eq(vm_mgr_pause(vm), 0);
		break;
	default:
		break;
	}
	return vm;
}

static int run(enum op op, struct vm *vm)
{
	struct vcpu_load_state st = long_mode_state();
	switch (op) {
	case OP_START: return vm_mgr_start(vm);
	case OP_PAUSE: return vm_mgr_pause(vm);
	case OP_RESUME: return vm_mgr_resume(vm);
	case OP_RESET: return vm_mgr_reset(vm);
	case OP_DESTROY: return vm_mgr_destroy(vm);
	case OP_PAUSE_VCPU: return vm_mgr_pause_vcpu(vm, 0);
	case OP_RESUME_VCPU: return vm_mgr_resume_vcpu(vm, 0);
	case OP_SET_STATE: return vm_mgr_set_vcpu_state(vm, 0, &st);
	case OP_PAUSE_BAD_VCPU: return vm_mgr_pause_vcpu(vm, 2);
	case OP_SET_BAD_STATE:
		st.regs[VCPU_CR4] |= X86_CR4_VMXE;
		return vm_mgr_set_vcpu_state(vm, 0, &st);
	default: return -9999;
	}
}

#define OK(st) { 0, st }
#define NOENT { -TERN_ENOENT, 0 }
#define BUSY { -TERN_EBUSY, 0 }
#define INVAL { -TERN_EINVAL, 0 }
struct expect { int ret; enum vm_state after; };

/* What each operation does from each state: the VM state machine as a table. */
static const struct expect table[S_COUNT][OP_COUNT] = {
	/*                 start                pause               resume              reset               destroy                   pause-v0            resume-v0           set-state           pause-v2  set-bad */
	[S_OFF] =        { NOENT,               NOENT,              NOENT,              NOENT,              NOENT,                    NOENT,              NOENT,              NOENT,              NOENT,    NOENT },
	[S_CREATED] =    { OK(VM_STATE_RUNNING), BUSY,              BUSY,               BUSY,               OK(VM_STATE_POWERED_OFF), BUSY,               BUSY,               OK(VM_STATE_CREATED), BUSY,   INVAL },
	[S_RUNNING] =    { BUSY,                OK(VM_STATE_PAUSED), BUSY,              BUSY,               BUSY,                     OK(VM_STATE_RUNNING), BUSY,             BUSY,               INVAL,    BUSY },
	[S_PAUSED] =     { BUSY,                BUSY,               OK(VM_STATE_RUNNING), OK(VM_STATE_CREATED), OK(VM_STATE_POWERED_OFF), OK(VM_STATE_PAUSED), BUSY,          OK(VM_STATE_PAUSED), INVAL,   INVAL },
	[S_STOPPED] =    { BUSY,                BUSY,               BUSY,               OK(VM_STATE_CREATED), OK(VM_STATE_POWERED_OFF), BUSY,             BUSY,               BUSY,               BUSY,     BUSY },
	[S_RUNNING_V0_PAUSED] = { BUSY,         OK(VM_STATE_PAUSED), BUSY,              BUSY,               BUSY,                     BUSY,               OK(VM_STATE_RUNNING), BUSY,             INVAL,    BUSY },
	[S_PAUSED_V0_PAUSED] = { BUSY,          BUSY,               OK(VM_STATE_RUNNING), OK(VM_STATE_CREATED), OK(VM_STATE_POWERED_OFF), BUSY,           OK(VM_STATE_PAUSED), OK(VM_STATE_PAUSED), INVAL, INVAL },
	[S_PAUSED_V0_WAIT_IO] = { BUSY,         BUSY,               OK(VM_STATE_RUNNING), OK(VM_STATE_CREATED), OK(VM_STATE_POWERED_OFF), OK(VM_STATE_PAUSED), BUSY,          BUSY,               INVAL,    BUSY },
};

START_TEST(test_every_state_operation_pair)
{
	unsigned legal = 0, illegal = 0;
	for (unsigned s = 0; s < S_COUNT; s++) {
		for (unsigned o = 0; o < OP_COUNT; o++) {
			setup();
			struct vm *vm = make((enum setup_state)s);
			memcpy(&before, &hv, sizeof(hv));
			int ret = run((enum op)o, vm);
			const struct expect *e = &table[s][o];
			ck_assert_msg(ret == e->ret, "%s from %s: returned %d, expected %d", op_names[o],
				      setup_names[s], ret, e->ret);
			if (e->ret != 0) {
				ck_assert_msg(memcmp(&before, &hv, sizeof(hv)) == 0,
					      "%s from %s failed (%d) but changed the hypervisor state",
					      op_names[o], setup_names[s], ret);
				illegal++;
			} else {
				ck_assert_msg(vm->state == e->after, "%s from %s: state %s, expected %s",
					      op_names[o], setup_names[s], vm_state_name(vm->state),
					      vm_state_name(e->after));
				/* The bystander VM is untouched by a legal operation too. */
				ck_assert(memcmp(&before.vms[0], &hv.vms[0], sizeof(hv.vms[0])) == 0);
				legal++;
			}
			for (unsigned i = 0; i < TERN_MAX_VMS; i++)
				ck_assert_msg(vm_mgr_check(&hv.vms[i]) == 0, "%s from %s: vm%u inconsistent",
					      op_names[o], setup_names[s], i);
		}
	}
	ck_assert_uint_eq(legal + illegal, S_COUNT * OP_COUNT);
	ck_assert_uint_ge(illegal, 40);
}
END_TEST

/* ---- semantics of each operation --------------------------------------------- */

START_TEST(test_start_runs_the_bsp_only)
{
	struct vm *vm = new_vm("smp", 3);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_eq(vm->vcpus[i].state, VCPU_STATE_INIT);
		ck_assert(vm->vcpus[i].load_pending);
	}
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	ck_assert_uint_eq(vm->vcpus[0].state, VCPU_STATE_RUNNABLE);
	ck_assert_uint_eq(vm->vcpus[1].state, VCPU_STATE_INIT);
	ck_assert_uint_eq(vm->vcpus[2].state, VCPU_STATE_INIT);
	ck_assert(sim_log_contains("vm0 (smp) started"));
}
END_TEST

START_TEST(test_pause_keeps_what_each_vcpu_waited_for)
{
	struct vm *vm = new_vm("w", 4);
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	vm->vcpus[1].state = VCPU_STATE_WAIT_IO;
	vm->vcpus[1].io.active = true;
	vm->vcpus[2].state = VCPU_STATE_HALTED;
	/* vCPU 3 is an AP still in INIT. */
	ck_assert_int_eq(vm_mgr_pause(vm), 0);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(vm->vcpus[i].state, VCPU_STATE_PAUSED);
	ck_assert_int_eq(vm_mgr_resume(vm), 0);
	ck_assert_uint_eq(vm->vcpus[0].state, VCPU_STATE_RUNNABLE);
	ck_assert_uint_eq(vm->vcpus[1].state, VCPU_STATE_WAIT_IO);
	ck_assert_uint_eq(vm->vcpus[2].state, VCPU_STATE_HALTED);
	ck_assert_uint_eq(vm->vcpus[3].state, VCPU_STATE_INIT);
}
END_TEST

START_TEST(test_vm_and_vcpu_pauses_are_independent)
{
	struct vm *vm = new_vm("ind", 2);
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	vm->vcpus[1].state = VCPU_STATE_WAIT_IO;
	vm->vcpus[1].io.active = true;
	ck_assert_int_eq(vm_mgr_pause_vcpu(vm, 1), 0);
	ck_assert_uint_eq(vm->vcpus[1].state, VCPU_STATE_PAUSED);
	ck_assert_uint_eq(vm->vcpus[0].state, VCPU_STATE_RUNNABLE);
	ck_assert_int_eq(vm_mgr_pause(vm), 0);
	/* Resuming the VM leaves the vCPU paused on its own paused. */
	ck_assert_int_eq(vm_mgr_resume(vm), 0);
	ck_assert_uint_eq(vm->vcpus[0].state, VCPU_STATE_RUNNABLE);
	ck_assert_uint_eq(vm->vcpus[1].state, VCPU_STATE_PAUSED);
	/* Resuming the vCPU inside a paused VM leaves it paused with its VM. */
	ck_assert_int_eq(vm_mgr_pause(vm), 0);
	ck_assert_int_eq(vm_mgr_resume_vcpu(vm, 1), 0);
	ck_assert_uint_eq(vm->vcpus[1].state, VCPU_STATE_PAUSED);
	ck_assert_uint_eq(vm->vcpus[1].pause_mask, VCPU_PAUSED_BY_VM);
	ck_assert_int_eq(vm_mgr_resume(vm), 0);
	/* Back to waiting for its I/O, not runnable. */
	ck_assert_uint_eq(vm->vcpus[1].state, VCPU_STATE_WAIT_IO);
	ck_assert_int_eq(vm_mgr_check(vm), 0);
}
END_TEST

START_TEST(test_wake)
{
	struct vm *vm = new_vm("wake", 3);
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	vm->vcpus[0].state = VCPU_STATE_WAIT_IO;
	vm->vcpus[0].io.active = true;
	ck_assert(!vm_mgr_vcpu_wake(&vm->vcpus[0]));      /* the request is still out */
	ck_assert_uint_eq(vm->vcpus[0].state, VCPU_STATE_WAIT_IO);
	vm->vcpus[0].io.active = false;                   /* what ioreq_complete does */
	ck_assert(vm_mgr_vcpu_wake(&vm->vcpus[0]));
	ck_assert_uint_eq(vm->vcpus[0].state, VCPU_STATE_RUNNABLE);
	ck_assert(!vm_mgr_vcpu_wake(&vm->vcpus[0]));      /* not waiting */
	ck_assert(!vm_mgr_vcpu_wake(&vm->vcpus[1]));      /* INIT: a SIPI's business */
	ck_assert_uint_eq(vm->vcpus[1].state, VCPU_STATE_INIT);
	vm->vcpus[2].state = VCPU_STATE_HALTED;
	ck_assert_int_eq(vm_mgr_pause(vm), 0);
	/* The I/O completes while the VM is paused: runnable once resumed. */
	ck_assert(vm_mgr_vcpu_wake(&vm->vcpus[2]));
	ck_assert_uint_eq(vm->vcpus[2].state, VCPU_STATE_PAUSED);
	ck_assert_int_eq(vm_mgr_resume(vm), 0);
	ck_assert_uint_eq(vm->vcpus[2].state, VCPU_STATE_RUNNABLE);
}
END_TEST

static void assert_reset_state(const struct vcpu *v, uint32_t signature)
{
	const struct vcpu_load_state *st = &v->load;
	ck_assert(v->load_pending);
	ck_assert_uint_eq(v->state, VCPU_STATE_INIT);
	ck_assert_uint_eq(st->regs[VCPU_RIP], 0xfff0);
	ck_assert_uint_eq(st->regs[VCPU_RFLAGS], 0x2);
	ck_assert_uint_eq(st->regs[VCPU_CR0], 0x60000010);
	ck_assert_uint_eq(st->regs[VCPU_CR3], 0);
	ck_assert_uint_eq(st->regs[VCPU_CR4], 0);
	ck_assert_uint_eq(st->regs[VCPU_EFER], 0);
	ck_assert_uint_eq(st->regs[VCPU_RDX], signature);
	ck_assert_uint_eq(st->regs[VCPU_RAX], 0);
	ck_assert_uint_eq(st->regs[VCPU_RSP], 0);
	ck_assert_uint_eq(st->regs[VCPU_DR7], 0x400);
	ck_assert_uint_eq(st->regs[VCPU_XCR0], 1);
	ck_assert_uint_eq(st->regs[VCPU_PAT], 0x0007040600070406ull);
	ck_assert_uint_eq(st->segs[VCPU_CS].selector, 0xf000);
	ck_assert_uint_eq(st->segs[VCPU_CS].base, 0xffff0000);
	ck_assert_uint_eq(st->segs[VCPU_CS].limit, 0xffff);
	ck_assert_uint_eq(st->segs[VCPU_CS].ar, 0x9b);
	ck_assert_uint_eq(st->segs[VCPU_SS].ar, 0x93);
	ck_assert_uint_eq(st->segs[VCPU_DS].base, 0);
	ck_assert_uint_eq(st->segs[VCPU_LDTR].ar, 0x82);
	ck_assert_uint_eq(st->segs[VCPU_TR].ar, 0x8b);
	ck_assert_uint_eq(st->gdtr_limit, 0xffff);
	ck_assert_uint_eq(st->idtr_limit, 0xffff);
	/* The state the reset produces is one the checks accept. */
	ck_assert_int_eq(vm_mgr_check_load_state(st), 0);
	ck_assert(!v->event.valid);
	ck_assert_uint_eq(v->reg_dirty, 0);
	ck_assert_uint_eq(v->pause_mask, 0);
}

START_TEST(test_reset_restores_the_architectural_state)
{
	struct vm *vm = new_vm("r", 2);
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	struct vcpu *v = &vm->vcpus[0];
	vcpu_set_reg(v, VCPU_RAX, 0x1234);
	v->event.valid = true;
	v->load_pending = false;
	vm->com1.ier = 0x5;
	ck_assert_int_eq(vm_mgr_pause_vcpu(vm, 1), 0);
	ck_assert_int_eq(vm_mgr_pause(vm), 0);
	ck_assert_int_eq(vm_mgr_reset(vm), 0);
	ck_assert_uint_eq(vm->state, VM_STATE_CREATED);
	/* CPUID.1:EAX of the simulated host (a Haswell): the signature in EDX. */
	for (unsigned i = 0; i < 2; i++) {
		assert_reset_state(&vm->vcpus[i], 0x000306c3);
		ck_assert((vm->vcpus[i].requests & VCPU_REQ_FLUSH_EPT));
	}
	ck_assert_uint_eq(vm->com1.ier, 0);
	ck_assert(sim_log_contains("vm0 (r) reset"));
	ck_assert_int_eq(vm_mgr_start(vm), 0);
}
END_TEST

START_TEST(test_reset_after_a_stop_clears_the_cause)
{
	struct vm *vm = new_vm("s", 1);
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	vm_stop(vm, VM_STOP_ENTRY_FAILURE, 33);
	ck_assert_int_eq(vm_mgr_reset(vm), 0);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_NONE);
	ck_assert_uint_eq(vm->stop_detail, 0);
	assert_reset_state(&vm->vcpus[0], 0x000306c3);
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	ck_assert_uint_eq(vm->vcpus[0].state, VCPU_STATE_RUNNABLE);
}
END_TEST

START_TEST(test_destroy_frees_the_slot)
{
	struct vm *vm = new_vm("d", 1);
	uint16_t id = vm->id;
	ck_assert_int_eq(vm_mgr_destroy(vm), 0);
	ck_assert_ptr_null(vm_get(&hv, id));
	ck_assert_ptr_eq(vm->hv, &hv);
	ck_assert_uint_eq(vm->id, id);
	ck_assert(sim_log_contains("vm0 (d) destroyed"));
	struct vm *again = new_vm("d2", 2);
	ck_assert_ptr_eq(again, vm);
	ck_assert_str_eq(again->config.name, "d2");
	ck_assert_int_eq(vm_mgr_destroy(vm), 0);
	ck_assert_int_eq(vm_mgr_destroy(vm), -TERN_ENOENT);
}
END_TEST

/*
 * A scheduler on another pCPU may have taken a vCPU of the VM (its slot
 * read) before the destroy, and claim it after: the wiped VM stays blocked
 * for it and its vCPUs still lead to that block, so claim leaves them
 * alone (scheduler.c). A VM created in the slot afterwards runs.
 */
START_TEST(test_destroy_keeps_the_slot_blocked_until_created_again)
{
	struct vm *vm = new_vm("d", 2);
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	ck_assert_int_eq(vm_mgr_pause(vm), 0);
	vcpu_make_request(&vm->vcpus[0], VCPU_REQ_EVENT); /* HC_INJECT_MSI meanwhile: eligible */
	ck_assert_int_eq(vm_mgr_destroy(vm), 0);
	ck_assert_uint_eq(vm->state, VM_STATE_POWERED_OFF);
	ck_assert_uint_ne(vm->sched_block & SCHED_BLOCK_SET, 0);
	for (uint16_t i = 0; i < 2; i++) {
		ck_assert_ptr_eq(vm->vcpus[i].vm, vm);
		ck_assert_uint_eq(vm->vcpus[i].requests, 0);
		ck_assert_uint_eq(vm->vcpus[i].running, 0);
	}
	ck_assert_uint_eq(vm->life, 0);
	ck_assert_ptr_null(sched_next(&hv, 0));
	struct vm *again = new_vm("d2", 1);
	ck_assert_ptr_eq(again, vm);
	ck_assert_uint_eq(again->sched_block, 0);
	ck_assert_int_eq(vm_mgr_start(again), 0);
	ck_assert_ptr_eq(sched_next(&hv, 0), &again->vcpus[0]);
}
END_TEST

/*
 * Per-vCPU pause against a stop: a vCPU its own exit stopped (settle; the
 * VM's vm_stop follows) stays stopped, it does not become PAUSED with the
 * stop to come back to, and the VM then stops consistently.
 */
START_TEST(test_pause_vcpu_leaves_a_stopped_vcpu_stopped)
{
	struct vm *vm = new_vm("ps", 2);
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	struct vcpu *v = &vm->vcpus[0];
	v->state = VCPU_STATE_STOPPED; /* its exit decided EXIT_ACTION_STOP, vm_stop not yet run */
	ck_assert_int_eq(vm_mgr_pause_vcpu(vm, 0), 0);
	ck_assert_uint_eq(v->state, VCPU_STATE_STOPPED);
	ck_assert_uint_eq(v->pause_mask, 0);
	vm_stop(vm, VM_STOP_INTERNAL, 0);
	ck_assert_uint_eq(v->state, VCPU_STATE_STOPPED);
	ck_assert_int_eq(vm_mgr_check(vm), 0);
	/* And not taken back by a resume: the VM is stopped. */
	ck_assert_int_ne(vm_mgr_resume_vcpu(vm, 0), 0);
	ck_assert_uint_eq(v->state, VCPU_STATE_STOPPED);
}
END_TEST

START_TEST(test_set_state_replaces_the_cache)
{
	struct vm *vm = new_vm("regs", 1);
	struct vcpu *v = &vm->vcpus[0];
	vcpu_set_reg(v, VCPU_RBX, 7);
	struct vcpu_load_state st = long_mode_state();
	ck_assert_int_eq(vm_mgr_set_vcpu_state(vm, 0, &st), 0);
	ck_assert(v->load_pending);
	ck_assert_uint_eq(v->load.regs[VCPU_RIP], 0x100000);
	ck_assert_uint_eq(v->load.regs[VCPU_EFER], X86_EFER_LME | X86_EFER_LMA);
	ck_assert_uint_eq(v->reg_dirty, 0);
	ck_assert_uint_eq(v->reg_valid, 0);
	ck_assert_int_eq(vm_mgr_set_vcpu_state(vm, 1, &st), -TERN_EINVAL);
}
END_TEST

/* PAE paging: the PDPTEs come from guest memory when the state is set. */
START_TEST(test_set_state_with_pae_paging_loads_pdptes)
{
	/* 1 MiB of RAM carved from host RAM and mapped at creation, as on the image. */
	struct vm_config c = cfg_of("pae", 1);
	c.mem_size = 0x100000;
	c.ram_hpa = sim_host_ram_alloc(c.mem_size);
	ck_assert_uint_ne(c.ram_hpa, 0);
	struct vm *vm = NULL;
	ck_assert_int_eq(vm_mgr_create(&hv, &c, &vm), 0);
	uint8_t *ram = plat_hpa_map(c.ram_hpa, 0x2000);
	ck_assert_ptr_nonnull(ram);
	struct vcpu *v = &vm->vcpus[0];
	uint64_t pdpte[4] = { 0x2001, 0x3001, 0, 0x5001 };
	memcpy(ram + 0x1000, pdpte, sizeof(pdpte));
	struct vcpu_load_state st = long_mode_state();
	st.regs[VCPU_EFER] = 0;
	st.segs[VCPU_CS].ar = 0xc09b;
	ck_assert_int_eq(vm_mgr_set_vcpu_state(vm, 0, &st), 0);
	ck_assert(v->cr.pdpte_dirty);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(v->cr.pdpte[i], pdpte[i]);

	/* A present PDPTE with a reserved bit (bit 1): refused, nothing changed. */
	pdpte[2] = 0x4003;
	memcpy(ram + 0x1000, pdpte, sizeof(pdpte));
	st.regs[VCPU_RIP] = 0x200000;
	memcpy(&before, &hv, sizeof(hv));
	ck_assert_int_eq(vm_mgr_set_vcpu_state(vm, 0, &st), -TERN_EINVAL);
	ck_assert(memcmp(&before, &hv, sizeof(hv)) == 0);
	/* CR3 outside RAM: refused too. */
	st.regs[VCPU_CR3] = 0x40000000;
	ck_assert_int_eq(vm_mgr_set_vcpu_state(vm, 0, &st), -TERN_EINVAL);
	/* Not PAE paging (IA-32e): guest memory is not read. */
	st = long_mode_state();
	st.regs[VCPU_CR3] = 0x40000000;
	ck_assert_int_eq(vm_mgr_set_vcpu_state(vm, 0, &st), 0);
}
END_TEST

/* Each field that makes a register state unloadable, one at a time. */
START_TEST(test_bad_load_states)
{
	struct { const char *what; enum vcpu_reg reg; uint64_t value; } regs[] = {
		{ "RFLAGS bit 1 clear", VCPU_RFLAGS, 0 },
		{ "RFLAGS reserved bit 3", VCPU_RFLAGS, 0xa },
		{ "RFLAGS reserved bit 63", VCPU_RFLAGS, 0x8000000000000002ull },
		{ "CR0 reserved bit 6", VCPU_CR0, 0x80000051 },
		{ "CR0 bit 32", VCPU_CR0, 0x180000011ull },
		{ "CR0.PG without PE", VCPU_CR0, 0x80000010 },
		{ "CR0.NW without CD", VCPU_CR0, 0xa0000011 },
		{ "CR4.VMXE", VCPU_CR4, X86_CR4_PAE | X86_CR4_VMXE },
		{ "CR4.SMXE", VCPU_CR4, X86_CR4_PAE | X86_CR4_SMXE },
		{ "CR4 reserved bit 15", VCPU_CR4, X86_CR4_PAE | (1ull << 15) },
		{ "CR4 without PAE in long mode", VCPU_CR4, 0 },
		{ "EFER reserved bit 1", VCPU_EFER, 0x502 },
		{ "EFER.LMA without LME, paging on", VCPU_EFER, X86_EFER_LMA },
		{ "EFER.LME without LMA, paging on", VCPU_EFER, X86_EFER_LME },
		{ "CR3 bit 52", VCPU_CR3, 1ull << 52 },
		{ "XCR0 without x87", VCPU_XCR0, 0x2 },
		{ "XCR0 AVX without SSE", VCPU_XCR0, 0x5 },
	};
	for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		struct vcpu_load_state st = long_mode_state();
		st.regs[regs[i].reg] = regs[i].value;
		ck_assert_msg(vm_mgr_check_load_state(&st) == -TERN_EINVAL, "%s accepted", regs[i].what);
	}
	struct { const char *what; uint32_t ar; uint32_t limit; } cs[] = {
		{ "CS reserved AR bit 8", 0xa19b, 0xffffffff },
		{ "CS reserved AR bit 17", 0x2a09b, 0xffffffff },
		{ "CS unusable", 0x1a09b, 0xffffffff },
		{ "CS not present", 0xa01b, 0xffffffff },
		{ "CS a system segment", 0xa08b, 0xffffffff },
		{ "CS not accessed", 0xa09a, 0xffffffff },
		{ "CS a data segment in protected mode", 0xa093, 0xffffffff },
		{ "CS.G with a byte-granular limit", 0xa09b, 0xfffe },
		{ "CS limit above 1 MiB without G", 0x209b, 0xffffffff },
		{ "CS.L with D set", 0xe09b, 0xffffffff },
	};
	for (unsigned i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		struct vcpu_load_state st = long_mode_state();
		st.segs[VCPU_CS].ar = cs[i].ar;
		st.segs[VCPU_CS].limit = cs[i].limit;
		ck_assert_msg(vm_mgr_check_load_state(&st) == -TERN_EINVAL, "%s accepted", cs[i].what);
	}
	/* A byte-granular limit without G is what G=0 means: accepted. */
	struct vcpu_load_state st = long_mode_state();
	st.segs[VCPU_CS].ar = 0x209b;
	st.segs[VCPU_CS].limit = 0xfffe;
	ck_assert_int_eq(vm_mgr_check_load_state(&st), 0);
	st = long_mode_state();
	st.segs[VCPU_TR].selector = 0x44;
	ck_assert_int_eq(vm_mgr_check_load_state(&st), -TERN_EINVAL);
	st = long_mode_state();
	st.segs[VCPU_LDTR].selector = 0x0c;
	ck_assert_int_eq(vm_mgr_check_load_state(&st), -TERN_EINVAL);
	/* 64-bit code outside IA-32e mode. */
	st = long_mode_state();
	st.regs[VCPU_CR0] = X86_CR0_PE | X86_CR0_ET;
	st.regs[VCPU_EFER] = 0;
	ck_assert_int_eq(vm_mgr_check_load_state(&st), -TERN_EINVAL);
	/* ... and the same with 32-bit code is fine. */
	st.segs[VCPU_CS].ar = 0xc09b;
	ck_assert_int_eq(vm_mgr_check_load_state(&st), 0);
	/* Real mode with an unrestricted guest's data-typed CS (type 3). */
	vm_mgr_reset_state(&st, 0);
	st.segs[VCPU_CS].ar = 0x93;
	ck_assert_int_eq(vm_mgr_check_load_state(&st), 0);
	/* LME set before paging is on is legal (the LMA switch comes with PG). */
	vm_mgr_reset_state(&st, 0);
	st.regs[VCPU_CR0] = X86_CR0_PE | X86_CR0_ET;
	st.regs[VCPU_EFER] = X86_EFER_LME;
	st.segs[VCPU_CS].ar = 0xc09b;
	st.segs[VCPU_CS].limit = 0xffffffff;
	ck_assert_int_eq(vm_mgr_check_load_state(&st), 0);
}
END_TEST

/* ---- triple fault: stop, or reset and run again ------------------------------- */

static enum exit_action triple_fault_on(struct vcpu *v)
{
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_TRIPLE_FAULT;
	v->state = VCPU_STATE_RUNNABLE;
	vcpu_cache_reset(v);
	return vcpu_handle_exit(v, &ex);
}

START_TEST(test_triple_fault_resets_when_configured)
{
	struct vm_config c = cfg_of("reboots", 2);
	c.reset_on_triple_fault = true;
	struct vm *vm = NULL;
	ck_assert_int_eq(vm_mgr_create(&hv, &c, &vm), 0);
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	/* The BSP faults while an event was being delivered: all of it goes. */
	vm->vcpus[0].load_pending = false;
	ck_assert_int_eq(triple_fault_on(&vm->vcpus[0]), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vm->state, VM_STATE_RUNNING);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_NONE);
	assert_reset_state(&vm->vcpus[1], 0x000306c3);
	ck_assert_uint_eq(vm->vcpus[0].state, VCPU_STATE_RUNNABLE);
	ck_assert(vm->vcpus[0].load_pending);
	ck_assert_uint_eq(vm->vcpus[0].load.regs[VCPU_RIP], 0xfff0);
	ck_assert(sim_log_contains("vm0 (reboots) reset after a triple fault"));

	/* An AP faults: the VM reboots and the AP is not entered (wait-for-SIPI). */
	vm->vcpus[1].state = VCPU_STATE_RUNNABLE;
	vm->vcpus[1].load_pending = false;
	ck_assert_int_eq(triple_fault_on(&vm->vcpus[1]), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->state, VM_STATE_RUNNING);
	assert_reset_state(&vm->vcpus[1], 0x000306c3);
	ck_assert_uint_eq(vm->vcpus[0].state, VCPU_STATE_RUNNABLE);
	ck_assert_int_eq(vm_mgr_check(vm), 0);
}
END_TEST

START_TEST(test_triple_fault_stops_by_default)
{
	struct vm *vm = new_vm("stops", 1);
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	ck_assert_int_eq(triple_fault_on(&vm->vcpus[0]), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->state, VM_STATE_STOPPED);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_TRIPLE_FAULT);
	ck_assert_int_eq(vm_mgr_check(vm), 0);
	/* A powered-off slot is left alone by a stray reboot. */
	memcpy(&before, &hv, sizeof(hv));
	vm_mgr_reboot(&hv.vms[5]);
	ck_assert(memcmp(&before, &hv, sizeof(hv)) == 0);
}
END_TEST

/* ---- a kernel the hypervisor loaded: the Multiboot hand-off, warm reset ------- */

START_TEST(test_multiboot_state)
{
	struct vcpu_load_state st;
	memset(&st, 0xa5, sizeof(st));
	vm_mgr_multiboot_state(&st, 0x10000c, 0x2badb002, 0x9000);
	ck_assert_uint_eq(st.regs[VCPU_RIP], 0x10000c);
	ck_assert_uint_eq(st.regs[VCPU_RAX], 0x2badb002);
	ck_assert_uint_eq(st.regs[VCPU_RBX], 0x9000);
	ck_assert_uint_eq(st.regs[VCPU_RDX], 0);
	ck_assert_uint_eq(st.regs[VCPU_RSP], 0);
	ck_assert_uint_eq(st.regs[VCPU_RFLAGS], 0x2);          /* IF and VM clear */
	ck_assert_uint_eq(st.regs[VCPU_CR0], X86_CR0_PE | X86_CR0_ET);  /* paging off */
	ck_assert_uint_eq(st.regs[VCPU_CR3], 0);
	ck_assert_uint_eq(st.regs[VCPU_CR4], 0);
	ck_assert_uint_eq(st.regs[VCPU_EFER], 0);
	ck_assert_uint_eq(st.regs[VCPU_DR7], 0x400);
	ck_assert_uint_eq(st.regs[VCPU_PAT], 0x0007040600070406ull);
	for (unsigned s = VCPU_ES; s <= VCPU_GS; s++) {
		ck_assert_uint_eq(st.segs[s].base, 0);
		ck_assert_uint_eq(st.segs[s].limit, 0xffffffff);
		ck_assert_uint_eq(st.segs[s].selector, s == VCPU_CS ? 0x08 : 0x10);
		/* 32-bit (D/B), page granular, present, accessed: execute/read or read/write. */
		ck_assert_uint_eq(st.segs[s].ar, s == VCPU_CS ? 0xc09b : 0xc093);
	}
	ck_assert(seg_ar_unusable(st.segs[VCPU_LDTR].ar));
	ck_assert_uint_eq(st.segs[VCPU_TR].ar, 0x8b);
	ck_assert_uint_eq(st.idtr_limit, 0x3ff);
	ck_assert_int_eq(vm_mgr_check_load_state(&st), 0);
}
END_TEST

static void assert_boot_state(struct vcpu *v, uint32_t entry)
{
	ck_assert(v->load_pending);
	ck_assert_uint_eq(v->load.regs[VCPU_RIP], entry);
	ck_assert_uint_eq(v->load.regs[VCPU_RAX], 0x2badb002);
	ck_assert_uint_eq(v->load.regs[VCPU_RBX], 0x9000);
	ck_assert_uint_eq(v->load.segs[VCPU_CS].ar, 0xc09b);
	/* The guest reads back the CR0 it was handed (read shadow). */
	ck_assert_uint_eq(v->cr.cr0_shadow, X86_CR0_PE | X86_CR0_ET);
	ck_assert(v->cr.dirty);
	/* Its vLAPIC as firmware leaves it: virtual wire (MP spec 3.6.2.2). */
	ck_assert_uint_eq(vlapic_reg_get(&v->lapic, VLAPIC_SVR), 0x1ff);
	ck_assert_uint_eq(vlapic_reg_get(&v->lapic, VLAPIC_LVT_LINT0), VLAPIC_DM_EXTINT << VLAPIC_DM_SHIFT);
	ck_assert_uint_eq(vlapic_reg_get(&v->lapic, VLAPIC_LVT_LINT1), VLAPIC_DM_NMI << VLAPIC_DM_SHIFT);
	ck_assert(vlapic_lint0_extint(&v->lapic));
}

START_TEST(test_boot_state_survives_resets)
{
	struct vm_config c = cfg_of("kernel", 2);
	c.reset_on_triple_fault = true;
	struct vm *vm = NULL;
	ck_assert_int_eq(vm_mgr_create(&hv, &c, &vm), 0);
	struct vcpu_load_state st;
	vm_mgr_multiboot_state(&st, 0x10000c, 0x2badb002, 0x9000);
	ck_assert_int_eq(vm_mgr_set_boot_state(vm, &st), 0);
	assert_boot_state(&vm->vcpus[0], 0x10000c);
	assert_reset_state(&vm->vcpus[1], 0x000306c3);     /* APs: the architectural state */
	ck_assert_uint_eq(vlapic_reg_get(&vm->vcpus[1].lapic, VLAPIC_LVT_LINT0), VLAPIC_LVT_MASKED);
	ck_assert_uint_eq(vlapic_reg_get(&vm->vcpus[1].lapic, VLAPIC_SVR), VLAPIC_SVR_RESET);
	ck_assert_int_eq(vm_mgr_start(vm), 0);

	/* A triple fault with reset configured: the BSP enters its boot state again. */
	vm->vcpus[0].load_pending = false;
	vm->vcpus[0].cr.cr0_shadow = 0x80000011;
	ck_assert_int_eq(triple_fault_on(&vm->vcpus[0]), EXIT_ACTION_RESUME);
	assert_boot_state(&vm->vcpus[0], 0x10000c);
	ck_assert_uint_eq(vm->vcpus[0].state, VCPU_STATE_RUNNABLE);
	assert_reset_state(&vm->vcpus[1], 0x000306c3);
	ck_assert_int_eq(vm_mgr_check(vm), 0);

	/* So does a reset through the VM manager. */
	ck_assert_int_eq(vm_mgr_pause(vm), 0);
	vm->vcpus[0].load_pending = false;
	ck_assert_int_eq(vm_mgr_reset(vm), 0);
	assert_boot_state(&vm->vcpus[0], 0x10000c);

	/* Only while CREATED, and only a loadable state; refusals change nothing. */
	st.regs[VCPU_RFLAGS] = 0;
	memcpy(&before, &hv, sizeof(hv));
	ck_assert_int_eq(vm_mgr_set_boot_state(vm, &st), -TERN_EINVAL);
	ck_assert(memcmp(&before, &hv, sizeof(hv)) == 0);
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	vm_mgr_multiboot_state(&st, 0x200000, 0x2badb002, 0x9000);
	memcpy(&before, &hv, sizeof(hv));
	ck_assert_int_eq(vm_mgr_set_boot_state(vm, &st), -TERN_EBUSY);
	ck_assert(memcmp(&before, &hv, sizeof(hv)) == 0);
	ck_assert_int_eq(vm_mgr_set_boot_state(&hv.vms[5], &st), -TERN_ENOENT);

	/* Destroy forgets it: the next VM in the slot resets to the reset vector. */
	ck_assert_int_eq(vm_mgr_pause(vm), 0);
	ck_assert_int_eq(vm_mgr_destroy(vm), 0);
	struct vm *next = new_vm("next", 1);
	ck_assert_ptr_eq(next, vm);
	assert_reset_state(&next->vcpus[0], 0x000306c3);
}
END_TEST

START_TEST(test_set_vcpu_regs_is_not_a_boot_state)
{
	/* As in ACRN: the device model sets the registers again after a reset. */
	struct vm *vm = new_vm("uos", 1);
	struct vcpu_load_state st = long_mode_state();
	ck_assert_int_eq(vm_mgr_set_vcpu_state(vm, 0, &st), 0);
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	ck_assert_int_eq(vm_mgr_pause(vm), 0);
	ck_assert_int_eq(vm_mgr_reset(vm), 0);
	assert_reset_state(&vm->vcpus[0], 0x000306c3);
	ck_assert(!vm->boot_state_valid);
}
END_TEST

/* ---- the invariant checker finds what it claims to --------------------------- */

START_TEST(test_check_finds_inconsistencies)
{
	struct vm *vm = new_vm("inv", 2);
	ck_assert_int_eq(vm_mgr_check(vm), 0);
	vm->vcpus[1].state = VCPU_STATE_RUNNABLE;         /* CREATED with a running vCPU */
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->vcpus[1].state = VCPU_STATE_INIT;
	ck_assert_int_eq(vm_mgr_start(vm), 0);
	vm->vcpus[1].state = VCPU_STATE_PAUSED;           /* paused with no reason */
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->vcpus[1].state = VCPU_STATE_INIT;
	vm->vcpus[1].pause_mask = VCPU_PAUSED_BY_VM;      /* VM-paused in a running VM */
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->vcpus[1].pause_mask = 0;
	vm->vcpus[1].state = VCPU_STATE_STOPPED;          /* stopped in a running VM */
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->vcpus[1].state = VCPU_STATE_WAIT_IO;          /* waiting with no request out */
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->vcpus[1].state = VCPU_STATE_RUNNABLE;         /* a request out, not waiting */
	vm->vcpus[1].io.active = true;
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->vcpus[1].io.active = false;
	vm->vcpus[1].state = VCPU_STATE_INIT;
	ck_assert_int_eq(vm_mgr_pause_vcpu(vm, 1), 0);
	vm->vcpus[1].paused_state = VCPU_STATE_STOPPED;   /* would resume into STOPPED */
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->vcpus[1].paused_state = VCPU_STATE_INIT;
	ck_assert_int_eq(vm_mgr_pause(vm), 0);
	ck_assert_int_eq(vm_mgr_check(vm), 0);
	vm->vcpus[0].pause_mask = VCPU_PAUSED_BY_VCPU;    /* paused VM, vCPU not paused by it */
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->vcpus[0].pause_mask = VCPU_PAUSED_BY_VM | 0x80;
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->vcpus[0].pause_mask = VCPU_PAUSED_BY_VM;
	vm->vcpus[0].id = 1;                              /* wrong id */
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->vcpus[0].id = 0;
	vm->state = VM_STATE_STOPPED;                     /* stopped, vCPUs paused */
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->state = (enum vm_state)9;
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	ck_assert_int_eq(vm_mgr_start(vm), -TERN_EBUSY);
	vm->state = VM_STATE_PAUSED;
	vm->config.vcpu_count = 0;
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->config.vcpu_count = TERN_MAX_VCPUS + 1;       /* more vCPUs than a VM holds */
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->config.vcpu_count = 2;
	ck_assert_int_eq(vm_mgr_check(vm), 0);
	vm->vcpus[1].vm = &hv.vms[(vm->id + 1) % TERN_MAX_VMS]; /* another VM's vCPU */
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
	vm->vcpus[1].vm = vm;
	ck_assert_int_eq(vm_mgr_resume(vm), 0);
	ck_assert_int_eq(vm_mgr_check(vm), 0);
	vm->vcpus[1].state = VCPU_STATE_RUNNABLE;         /* paused on its own, yet runnable */
	ck_assert_int_eq(vm_mgr_check(vm), -TERN_EINVAL);
}
END_TEST

START_TEST(test_state_names)
{
	ck_assert_str_eq(vm_state_name(VM_STATE_POWERED_OFF), "powered-off");
	ck_assert_str_eq(vm_state_name(VM_STATE_STOPPED), "stopped");
	ck_assert_str_eq(vm_state_name((enum vm_state)17), "unknown");
	ck_assert_str_eq(vcpu_state_name(VCPU_STATE_WAIT_IO), "wait-io");
	ck_assert_str_eq(vcpu_state_name((enum vcpu_state)17), "unknown");
}
END_TEST

START_TEST(test_create_refuses_like_vm_create)
{
	struct vm_config c = cfg_of("x", 0);
	struct vm *vm = NULL;
	memcpy(&before, &hv, sizeof(hv));
	ck_assert_int_eq(vm_mgr_create(&hv, &c, &vm), -TERN_EINVAL);
	ck_assert_ptr_null(vm);
	ck_assert(memcmp(&before, &hv, sizeof(hv)) == 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vm_mgr");
	TCase *tc = tcase_create("vm_mgr");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_every_state_operation_pair);
	tcase_add_test(tc, test_start_runs_the_bsp_only);
	tcase_add_test(tc, test_pause_keeps_what_each_vcpu_waited_for);
	tcase_add_test(tc, test_vm_and_vcpu_pauses_are_independent);
	tcase_add_test(tc, test_wake);
	tcase_add_test(tc, test_reset_restores_the_architectural_state);
	tcase_add_test(tc, test_reset_after_a_stop_clears_the_cause);
	tcase_add_test(tc, test_destroy_frees_the_slot);
	tcase_add_test(tc, test_destroy_keeps_the_slot_blocked_until_created_again);
	tcase_add_test(tc, test_pause_vcpu_leaves_a_stopped_vcpu_stopped);
	tcase_add_test(tc, test_set_state_replaces_the_cache);
	tcase_add_test(tc, test_bad_load_states);
	tcase_add_test(tc, test_set_state_with_pae_paging_loads_pdptes);
	tcase_add_test(tc, test_triple_fault_resets_when_configured);
	tcase_add_test(tc, test_triple_fault_stops_by_default);
	tcase_add_test(tc, test_multiboot_state);
	tcase_add_test(tc, test_boot_state_survives_resets);
	tcase_add_test(tc, test_set_vcpu_regs_is_not_a_boot_state);
	tcase_add_test(tc, test_check_finds_inconsistencies);
	tcase_add_test(tc, test_state_names);
	tcase_add_test(tc, test_create_refuses_like_vm_create);
	suite_add_tcase(s, tc);
	return s;
}
