/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "request.h"
#include "exit_dispatch.h"
#include "sim.h"
#include "x86.h"

static struct tern hv;
static struct vm *vm;
static struct vcpu *v;
static int hook_calls, hook_action;

static void hook(struct vcpu *vcpu, const struct exit_record *ex, int action)
{
	(void)vcpu;
	(void)ex;
	hook_calls++;
	hook_action = action;
}

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	vm = sim_create_vm(&hv, "d", 1, true, 0x10000);
	vm->state = VM_STATE_RUNNING;
	v = &vm->vcpus[0];
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
	hook_calls = 0;
	sim.trace_hook = hook;
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

START_TEST(test_cpuid_exit)
{
	struct exit_record ex = rec(EXIT_REASON_CPUID, 0, 2);
	vcpu_cache_fill(v, VCPU_RAX, 0);
	vcpu_cache_fill(v, VCPU_RCX, 0);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RBX), 0x756e6547);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1002);
	ck_assert_uint_eq(v->reg_dirty, (1u << VCPU_RAX) | (1u << VCPU_RBX) | (1u << VCPU_RCX) |
				       (1u << VCPU_RDX) | (1u << VCPU_RIP));
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	ck_assert_uint_eq(v->exits, 1);
	ck_assert_int_eq(hook_calls, 1);
	ck_assert_int_eq(hook_action, EXIT_ACTION_RESUME);
}
END_TEST

START_TEST(test_out_and_in)
{
	struct exit_record out = rec(EXIT_REASON_IO_INSTRUCTION, 0x3f80000, 1);
	vcpu_cache_fill(v, VCPU_RAX, 'T');
	ck_assert_int_eq(vcpu_handle_exit(v, &out), EXIT_ACTION_RESUME);
	ck_assert_str_eq(sim_console(vm->id), "T");
	ck_assert(!vcpu_reg_dirty(v, VCPU_RAX)); /* OUT leaves RAX alone */
	vcpu_cache_reset(v);
	sim_vcpu_flat_state(v, true, 0);
	struct exit_record in = rec(EXIT_REASON_IO_INSTRUCTION, 0x3fd0008, 1);
	vcpu_cache_fill(v, VCPU_RAX, 0xffffffffffffff00ull);
	ck_assert_int_eq(vcpu_handle_exit(v, &in), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0xffffffffffffff60ull);
	/* in ax: 16-bit merge */
	struct exit_record inw = rec(EXIT_REASON_IO_INSTRUCTION, 0x3fd0009, 1);
	vcpu_cache_fill(v, VCPU_RAX, 0x123456789abcdef0ull);
	vcpu_handle_exit(v, &inw);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x123456789abc0060ull);
}
END_TEST

START_TEST(test_bad_io_size_stops)
{
	struct exit_record ex = rec(EXIT_REASON_IO_INSTRUCTION, 0x3f80002, 1);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_INTERNAL);
	ck_assert_str_eq(sim_console(vm->id), "");
}
END_TEST

START_TEST(test_debug_exit_sizes)
{
	struct exit_record ex = rec(EXIT_REASON_IO_INSTRUCTION, 0xf40040, 2); /* out 0xf4, al */
	vcpu_cache_fill(v, VCPU_RAX, 0x1ff);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->exit_status, 0xff);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_GUEST_EXIT);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	ck_assert_uint_eq(v->state, VCPU_STATE_STOPPED);
	ck_assert(sim_log_contains("exited with status 255"));
}
END_TEST

START_TEST(test_hlt_parks)
{
	struct exit_record ex = rec(EXIT_REASON_HLT, 0, 1);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_HALT);
	ck_assert_uint_eq(v->state, VCPU_STATE_HALTED);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1001);
}
END_TEST

START_TEST(test_entry_failure)
{
	struct exit_record ex = rec(EXIT_REASON_FAILED_ENTRY | EXIT_REASON_ENTRY_FAIL_MSR_LOADING, 3, 0);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_ENTRY_FAILURE);
	ck_assert_uint_eq(vm->stop_detail, EXIT_REASON_FAILED_ENTRY | EXIT_REASON_ENTRY_FAIL_MSR_LOADING);
	ck_assert(sim_log_contains("entry-failure, exit reason 34 (ENTRY_FAIL_MSR_LOADING)"));
}
END_TEST

START_TEST(test_ud_reflected_without_rip_move)
{
	struct exit_record ex = rec(EXIT_REASON_VMCLEAR, 0, 4);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.vector, X86_UD);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
}
END_TEST

START_TEST(test_ud_during_double_fault_delivery)
{
	/* The exit interrupted delivery of #DF; #UD then is benign: delivered. */
	struct exit_record ex = rec(EXIT_REASON_VMXON, 0, 4);
	ex.idt_vectoring_info = INTR_INFO_VALID | INTR_INFO_HAS_ERROR | (3u << 8) | X86_DF;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, X86_UD);
}
END_TEST

START_TEST(test_triple_fault)
{
	struct exit_record ex = rec(EXIT_REASON_TRIPLE_FAULT, 0, 0);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_TRIPLE_FAULT);
}
END_TEST

/*
 * No reason falls through silently: every basic reason (and numbers past
 * the list) either changes guest-visible state, parks the vCPU, or stops the
 * VM with a log line that names the reason.
 */
START_TEST(test_every_reason_has_a_policy)
{
	for (uint32_t r = 0; r <= EXIT_REASON_MAX + 2; r++) {
		setup();
		struct exit_record ex = rec(r, 0x3f80000, 2);
		vcpu_cache_fill(v, VCPU_RAX, 0);
		vcpu_cache_fill(v, VCPU_RCX, 0);
		enum exit_action a = vcpu_handle_exit(v, &ex);
		/* A spurious EPT violation's effect is the invalidation it asks for. */
		bool visible = v->reg_dirty || v->event.valid || (v->requests & VCPU_REQ_FLUSH_EPT);
		char name[64];
		snprintf(name, sizeof(name), "exit reason %u (%s)", r, exit_reason_name(r));
		switch (a) {
		case EXIT_ACTION_RESUME:
			/*
			 * Host events (interrupt, preemption timer) and window
			 * exits with nothing pending resume the guest unchanged, as
			 * does TPR below threshold (trap-like: the guest's own MOV
			 * CR8 retired; the entry decision injects what it unmasked).
			 */
			if (r != EXIT_REASON_EXTERNAL_INTERRUPT && r != EXIT_REASON_PREEMPTION_TIMER &&
			    r != EXIT_REASON_INTERRUPT_WINDOW && r != EXIT_REASON_NMI_WINDOW &&
			    r != EXIT_REASON_TPR_BELOW_THRESHOLD)
				ck_assert_msg(visible, "reason %u resumed with no visible effect", r);
			break;
		case EXIT_ACTION_HALT:
		case EXIT_ACTION_WAIT_IO:
			break;
		case EXIT_ACTION_STOP:
			ck_assert_msg(vm_is_stopped(vm), "reason %u: stop without stopping the VM", r);
			if (vm->stop_cause == VM_STOP_UNEXPECTED_EXIT)
				ck_assert_msg(sim_log_contains(name), "reason %u: no report naming it", r);
			break;
		default:
			ck_abort_msg("reason %u: action %d", r, a);
		}
	}
}
END_TEST

START_TEST(test_pre_entry_invalidates_once)
{
	v->requests |= VCPU_REQ_FLUSH_EPT;
	vcpu_pre_entry(v);
	ck_assert_uint_eq(sim.vms[vm->id].ept_invalidations[0], 1);
	ck_assert(!(v->requests & VCPU_REQ_FLUSH_EPT));
	vcpu_pre_entry(v);
	ck_assert_uint_eq(sim.vms[vm->id].ept_invalidations[0], 1);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(exit_reason_name(EXIT_REASON_XSETBV), "XSETBV");
	ck_assert_str_eq(exit_reason_name(35), "UNKNOWN");
	ck_assert_str_eq(exit_reason_name(5000), "UNKNOWN");
	ck_assert_int_eq(exit_reason_from_name("EPT_VIOLATION", 13), EXIT_REASON_EPT_VIOLATION);
	ck_assert_int_eq(exit_reason_from_name("EPT_VIOLATIO", 12), -1);
	ck_assert_str_eq(exit_action_name(EXIT_ACTION_WAIT_IO), "wait-io");
	ck_assert_str_eq(exit_action_name((enum exit_action)42), "unknown");
	ck_assert_int_eq(exit_action_from_name("halt", 4), EXIT_ACTION_HALT);
	ck_assert_int_eq(exit_action_from_name("hal", 3), -1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *tc = tcase_create("dispatch");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_cpuid_exit);
	tcase_add_test(tc, test_out_and_in);
	tcase_add_test(tc, test_bad_io_size_stops);
	tcase_add_test(tc, test_debug_exit_sizes);
	tcase_add_test(tc, test_hlt_parks);
	tcase_add_test(tc, test_entry_failure);
	tcase_add_test(tc, test_ud_reflected_without_rip_move);
	tcase_add_test(tc, test_ud_during_double_fault_delivery);
	tcase_add_test(tc, test_triple_fault);
	tcase_add_test(tc, test_every_reason_has_a_policy);
	tcase_add_test(tc, test_pre_entry_invalidates_once);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}
