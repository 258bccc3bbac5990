/* SPDX-License-Identifier: BSD-3-Clause */
/* Policies of the exits without a concept file of their own, and exits during event delivery. */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "lapic_util.h"
#include "exit_dispatch.h"
#include "intr.h"
#include "sim.h"
#include "x86.h"

static struct tern hv;
static struct vm *vm;
static struct vcpu *v;

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	vm = sim_create_vm(&hv, "x", 1, false, 0x1000);
	vm->state = VM_STATE_RUNNING;
	v = &vm->vcpus[0];
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
}

static struct exit_record rec(uint32_t reason, uint64_t qual)
{
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = reason;
	ex.qualification = qual;
	ex.instr_len = 2;
	return ex;
}

static uint32_t hw_exc(uint8_t vector, bool err)
{
	return INTR_INFO_VALID | (INTR_TYPE_HW_EXCEPTION << 8) | (err ? INTR_INFO_HAS_ERROR : 0) | vector;
}

START_TEST(test_host_nmi_and_interrupt_leave_guest_alone)
{
	struct exit_record ex = rec(EXIT_REASON_EXCEPTION_NMI, 0);
	ex.intr_info = INTR_INFO_VALID | (INTR_TYPE_NMI << 8) | X86_NMI;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->reg_dirty, 0);
	ck_assert(!v->event.valid);
	ex = rec(EXIT_REASON_EXTERNAL_INTERRUPT, 0);
	ex.intr_info = INTR_INFO_VALID | 0xef;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->reg_dirty, 0);
	ck_assert(!v->event.valid);
	ex = rec(EXIT_REASON_PREEMPTION_TIMER, 0);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->reg_dirty, 0);
}
END_TEST

START_TEST(test_ac_reflected_with_error_code)
{
	struct exit_record ex = rec(EXIT_REASON_EXCEPTION_NMI, 0);
	ex.intr_info = hw_exc(X86_AC, true);
	ex.intr_error = 0;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.vector, X86_AC);
	ck_assert(v->event.has_error);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
}
END_TEST

START_TEST(test_ac_during_ac_delivery)
{
	/*
	 * #AC raised while delivering #AC: benign + benign is serial, the new
	 * #AC is delivered (the guest sees it) rather than the CPU looping.
	 */
	struct exit_record ex = rec(EXIT_REASON_EXCEPTION_NMI, 0);
	ex.intr_info = hw_exc(X86_AC, true);
	ex.idt_vectoring_info = hw_exc(X86_AC, true);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, X86_AC);
}
END_TEST

START_TEST(test_nmi_unblocking_restored)
{
	struct exit_record ex = rec(EXIT_REASON_EXCEPTION_NMI, 0);
	ex.intr_info = hw_exc(X86_AC, true) | INTR_INFO_NMI_UNBLOCK_IRET;
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, INTR_STATE_STI);
	vcpu_handle_exit(v, &ex);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), INTR_STATE_STI | INTR_STATE_NMI);
	ck_assert(vcpu_reg_dirty(v, VCPU_INTERRUPTIBILITY));
}
END_TEST

/*
 * SDM Vol. 3C 27.2.3: bit 12 is undefined for #DF; a #DF exit carrying it
 * leaves the guest's NMI blocking as it was.
 */
START_TEST(test_nmi_unblocking_ignored_for_double_fault)
{
	struct exit_record ex = rec(EXIT_REASON_EXCEPTION_NMI, 0);
	ex.intr_info = hw_exc(X86_DF, true) | INTR_INFO_NMI_UNBLOCK_IRET;
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, INTR_STATE_STI);
	vcpu_handle_exit(v, &ex);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), INTR_STATE_STI);
	ck_assert(!vcpu_reg_dirty(v, VCPU_INTERRUPTIBILITY));
}
END_TEST

START_TEST(test_machine_check_stops)
{
	struct exit_record ex = rec(EXIT_REASON_EXCEPTION_NMI, 0);
	ex.intr_info = hw_exc(X86_MC, false);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_INTERNAL);
	ck_assert_uint_eq(vm->stop_detail, X86_MC);
	ck_assert(sim_log_contains("machine check in guest context"));
}
END_TEST

START_TEST(test_unintercepted_exception_stops)
{
	const uint8_t vecs[] = { X86_DE, X86_DB, X86_BP, X86_UD, X86_GP, X86_PF, 31 };
	for (unsigned i = 0; i < sizeof(vecs); i++) {
		setup();
		struct exit_record ex = rec(EXIT_REASON_EXCEPTION_NMI, 0);
		ex.intr_info = hw_exc(vecs[i], false);
		ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
		ck_assert_uint_eq(vm->stop_cause, VM_STOP_UNEXPECTED_EXIT);
		ck_assert(sim_log_contains("not intercepted"));
	}
	/* A software exception (INT3) with #BP not intercepted: stop as well. */
	setup();
	struct exit_record ex = rec(EXIT_REASON_EXCEPTION_NMI, 0);
	ex.intr_info = INTR_INFO_VALID | (INTR_TYPE_SW_EXCEPTION << 8) | X86_BP;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	/* An exception exit without valid interruption info is a corrupt record. */
	setup();
	ex.intr_info = 0;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_INTERNAL);
}
END_TEST

START_TEST(test_skipped_instructions)
{
	const uint32_t reasons[] = { EXIT_REASON_PAUSE, EXIT_REASON_WBINVD, EXIT_REASON_INVD };
	for (unsigned i = 0; i < 3; i++) {
		setup();
		struct exit_record ex = rec(reasons[i], 0);
		ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
		ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1002);
		ck_assert_uint_eq(v->reg_dirty, 1u << VCPU_RIP);
		ck_assert(!v->event.valid);
	}
}
END_TEST

START_TEST(test_reflected_ud_and_gp)
{
	const uint32_t ud[] = { EXIT_REASON_MWAIT, EXIT_REASON_MONITOR, EXIT_REASON_VMFUNC,
				EXIT_REASON_ENCLS, EXIT_REASON_ENCLV, EXIT_REASON_XSAVES,
				EXIT_REASON_XRSTORS, EXIT_REASON_UMWAIT, EXIT_REASON_TPAUSE,
				EXIT_REASON_LOADIWKEY, EXIT_REASON_SEAMCALL, EXIT_REASON_TDCALL,
				EXIT_REASON_GETSEC, EXIT_REASON_INVVPID };
	for (unsigned i = 0; i < sizeof(ud) / sizeof(ud[0]); i++) {
		setup();
		struct exit_record ex = rec(ud[i], 0);
		ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
		ck_assert_msg(v->event.valid && v->event.vector == X86_UD, "%s", exit_reason_name(ud[i]));
		ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	}
	setup();
	struct exit_record ex = rec(EXIT_REASON_RDPMC, 0);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, X86_GP);
	ck_assert_uint_eq(v->event.error_code, 0);
}
END_TEST

START_TEST(test_reports_name_the_qualification)
{
	struct { uint32_t reason; uint64_t qual; uint32_t info; const char *text; } cases[] = {
		{ EXIT_REASON_TASK_SWITCH, 0x28 | (3ull << 30), 0, "task switch by IDT task gate to TSS selector 0x28" },
		{ EXIT_REASON_TASK_SWITCH, 0x30 | (1ull << 30), 0, "task switch by IRET to TSS selector 0x30" },
		{ EXIT_REASON_DR_ACCESS, 7 | (1u << 4) | (3u << 8), 0, "MOV from DR7 (GPR 3)" },
		{ EXIT_REASON_DR_ACCESS, 1, 0, "MOV to DR1 (GPR 0)" },
		{ EXIT_REASON_INVLPG, 0xffff800000001000ull, 0, "INVLPG 0xffff800000001000" },
		{ EXIT_REASON_INVPCID, 0x10, 2u << 28, "INVPCID (type in GPR 2, disp 0x10)" },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup();
		struct exit_record ex = rec(cases[i].reason, cases[i].qual);
		ex.instr_info = cases[i].info;
		ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
		ck_assert_uint_eq(vm->stop_cause, VM_STOP_UNEXPECTED_EXIT);
		ck_assert_uint_eq(vm->stop_detail, cases[i].reason);
		ck_assert_msg(sim_log_contains(cases[i].text), "case %u: log lacks '%s'", i, cases[i].text);
	}
}
END_TEST

START_TEST(test_stop_reasons_named)
{
	const uint32_t stops[] = { EXIT_REASON_INIT, EXIT_REASON_SIPI, EXIT_REASON_IO_SMI,
				   EXIT_REASON_OTHER_SMI, EXIT_REASON_RSM,
				   EXIT_REASON_MONITOR_TRAP_FLAG,
				   EXIT_REASON_VIRTUALIZED_EOI, EXIT_REASON_GDTR_IDTR_ACCESS,
				   EXIT_REASON_LDTR_TR_ACCESS,
				   EXIT_REASON_RDRAND, EXIT_REASON_RDSEED, EXIT_REASON_PML_FULL,
				   EXIT_REASON_SPP, EXIT_REASON_ENQCMD_PASID, EXIT_REASON_ENQCMDS_PASID,
				   EXIT_REASON_BUS_LOCK, EXIT_REASON_NOTIFY, 35, 38, 42, 65, 71 };
	for (unsigned i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		setup();
		struct exit_record ex = rec(stops[i], 0);
		char want[64];
		snprintf(want, sizeof(want), "exit reason %u (%s)", stops[i], exit_reason_name(stops[i]));
		ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
		ck_assert_uint_eq(vm->stop_cause, VM_STOP_UNEXPECTED_EXIT);
		ck_assert_msg(sim_log_contains(want), "no report '%s'", want);
		ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	}
}
END_TEST

/* A fault reflected while the exit interrupted #DF delivery is a triple fault. */
START_TEST(test_fault_during_double_fault_is_triple)
{
	struct exit_record ex = rec(EXIT_REASON_RDPMC, 0);
	ex.idt_vectoring_info = hw_exc(X86_DF, true);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_TRIPLE_FAULT);
	/* The same through a CR write refused with #GP. */
	setup();
	ex = rec(EXIT_REASON_CR_ACCESS, 4 | (0u << 8));
	vcpu_cache_fill(v, VCPU_RAX, X86_CR4_VMXE);
	ex.idt_vectoring_info = hw_exc(X86_DF, true);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_TRIPLE_FAULT);
	/* #GP during #GP delivery: #DF. */
	setup();
	ex = rec(EXIT_REASON_RDPMC, 0);
	ex.idt_vectoring_info = hw_exc(X86_GP, true);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, X86_DF);
	ck_assert_uint_eq(v->event.error_code, 0);
	/*
	 * The guest's #AC during #DF delivery: #AC is benign (SDM Vol. 3A
	 * Table 6-4; only a contributory fault or #PF shuts down, 6.15
	 * Interrupt 8), so it is delivered and the VM runs on.
	 */
	setup();
	ex = rec(EXIT_REASON_EXCEPTION_NMI, 0);
	ex.intr_info = hw_exc(X86_AC, true);
	ex.idt_vectoring_info = hw_exc(X86_DF, true);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vm->state, VM_STATE_RUNNING);
	ck_assert_uint_eq(v->event.vector, X86_AC);
	/* #UD during #PF delivery: serial, #UD. */
	setup();
	ex = rec(EXIT_REASON_VMXON, 0);
	ex.idt_vectoring_info = hw_exc(X86_PF, true);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, X86_UD);
}
END_TEST

/* An exit that needs no reflection re-delivers the interrupted event unchanged. */
START_TEST(test_exit_during_delivery_reinjects)
{
	struct exit_record ex = rec(EXIT_REASON_EXTERNAL_INTERRUPT, 0);
	ex.intr_info = INTR_INFO_VALID | 0xef; /* acknowledged on exit: the vector is there */
	ex.idt_vectoring_info = hw_exc(X86_PF, true);
	ex.idt_vectoring_error = 0x6;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.vector, X86_PF);
	ck_assert_uint_eq(v->event.error_code, 6);
	/* Pending interrupts wait behind it. */
	vcpu_cache_fill(v, VCPU_RFLAGS, 0x202);
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, 0);
	unit_queue_interrupt(v, 0x40);
	vcpu_pre_entry(v);
	ck_assert_uint_eq(v->event.vector, X86_PF);
	ck_assert(v->intr.irq_window);
}
END_TEST

START_TEST(test_triple_fault_reset_configured)
{
	/*
	 * Reset on triple fault configured: the VM is not stopped; the BSP
	 * resumes with its architectural reset state for the platform to load.
	 */
	struct exit_record ex = rec(EXIT_REASON_TRIPLE_FAULT, 0);
	vm->config.reset_on_triple_fault = true;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(!vm_is_stopped(vm));
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_NONE);
	ck_assert(v->load_pending);
	ck_assert(sim_log_contains("reset after a triple fault"));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("exits");
	TCase *tc = tcase_create("exits");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_host_nmi_and_interrupt_leave_guest_alone);
	tcase_add_test(tc, test_ac_reflected_with_error_code);
	tcase_add_test(tc, test_ac_during_ac_delivery);
	tcase_add_test(tc, test_nmi_unblocking_restored);
	tcase_add_test(tc, test_nmi_unblocking_ignored_for_double_fault);
	tcase_add_test(tc, test_machine_check_stops);
	tcase_add_test(tc, test_unintercepted_exception_stops);
	tcase_add_test(tc, test_skipped_instructions);
	tcase_add_test(tc, test_reflected_ud_and_gp);
	tcase_add_test(tc, test_reports_name_the_qualification);
	tcase_add_test(tc, test_stop_reasons_named);
	tcase_add_test(tc, test_fault_during_double_fault_is_triple);
	tcase_add_test(tc, test_exit_during_delivery_reinjects);
	tcase_add_test(tc, test_triple_fault_reset_configured);
	suite_add_tcase(s, tc);
	return s;
}
