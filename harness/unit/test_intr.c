/* SPDX-License-Identifier: BSD-3-Clause */
/* Pending interrupts, NMI, TPR, window requests, HLT parking and waking. */
#include <string.h>
#include "unit.h"
#include "err.h"
#include "event.h"
#include "exit_dispatch.h"
#include "intr.h"
#include "sim.h"
#include "x86.h"
#include "lapic_util.h"
#include "vm_mgr.h"

static struct tern hv;
static struct vm *vm;
static struct vcpu *v;

static void guest(uint64_t rflags, uint64_t intr_state)
{
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
	vcpu_cache_fill(v, VCPU_RFLAGS, rflags);
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, intr_state);
}

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	vm = sim_create_vm(&hv, "i", 1, false, 0x1000);
	vm->state = VM_STATE_RUNNING;
	v = &vm->vcpus[0];
	v->state = VCPU_STATE_RUNNABLE;
	unit_lapic_enable(v);
	guest(0x202, 0);
}

/* The guest's EOI write to its xAPIC page. */
static void eoi(struct vcpu *c)
{
	struct vlapic_result res;
	vlapic_mmio_write(&c->lapic, VLAPIC_EOI, 0, 0, &res);
}

static void expect_event(uint8_t type, uint8_t vector)
{
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.type, type);
	ck_assert_uint_eq(v->event.vector, vector);
	ck_assert(!v->event.has_error);
}

START_TEST(test_invalid_vectors_refused)
{
	for (unsigned vec = 0; vec < INTR_MIN_VECTOR; vec++)
		ck_assert_int_eq(vcpu_queue_interrupt(v, (uint8_t)vec), -TERN_EINVAL);
	ck_assert_int_eq(intr_highest_deliverable(v), -1);
	intr_requeue_vector(v, 3); /* ignored as well */
	ck_assert_int_eq(intr_highest_deliverable(v), -1);
	ck_assert_int_eq(vcpu_queue_interrupt(v, 255), 0);
	ck_assert_int_eq(intr_highest_deliverable(v), 255);
}
END_TEST

START_TEST(test_highest_vector_first)
{
	vcpu_queue_interrupt(v, 0x31);
	vcpu_queue_interrupt(v, 0xec);
	vcpu_queue_interrupt(v, 0x80);
	vcpu_pre_entry(v);
	expect_event(INTR_TYPE_EXT_INT, 0xec);
	ck_assert(v->intr.irq_window == false);
	/* The platform injected it: in service, it holds back lower classes (SDM 10.8.3.1). */
	memset(&v->event, 0, sizeof(v->event));
	vcpu_pre_entry(v);
	ck_assert(!v->event.valid);
	ck_assert_uint_eq(vlapic_ppr(&v->lapic), 0xe0);
	/* The handler's EOI: the next entry takes the next one. */
	eoi(v);
	vcpu_pre_entry(v);
	expect_event(INTR_TYPE_EXT_INT, 0x80);
	memset(&v->event, 0, sizeof(v->event));
	eoi(v);
	vcpu_pre_entry(v);
	expect_event(INTR_TYPE_EXT_INT, 0x31);
	memset(&v->event, 0, sizeof(v->event));
	eoi(v);
	vcpu_pre_entry(v);
	ck_assert(!v->event.valid);
	ck_assert(!v->intr.irq_window);
}
END_TEST

START_TEST(test_not_interruptible_requests_window)
{
	const struct { uint64_t rflags, state; } cases[] = {
		{ 0x002, 0 },                      /* IF = 0 */
		{ 0x202, INTR_STATE_STI },         /* STI shadow */
		{ 0x202, INTR_STATE_MOV_SS },      /* MOV SS shadow */
	};
	for (unsigned i = 0; i < 3; i++) {
		setup();
		guest(cases[i].rflags, cases[i].state);
		vcpu_queue_interrupt(v, 0x40);
		vcpu_pre_entry(v);
		ck_assert_msg(!v->event.valid, "case %u injected", i);
		ck_assert(v->intr.irq_window);
		/* Window exit once the guest can take it: injected, window off. */
		guest(0x202, 0);
		struct exit_record ex = { .reason = EXIT_REASON_INTERRUPT_WINDOW };
		ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
		expect_event(INTR_TYPE_EXT_INT, 0x40);
		ck_assert(!v->intr.irq_window);
		ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	}
}
END_TEST

START_TEST(test_tpr_masks_classes)
{
	unit_set_cr8(v, 4);
	vcpu_queue_interrupt(v, 0x4f); /* class 4: not above TPR */
	ck_assert_int_eq(intr_highest_deliverable(v), -1);
	vcpu_pre_entry(v);
	ck_assert(!v->event.valid);
	ck_assert(!v->intr.irq_window); /* masked by TPR, not by the guest state: no window */
	vcpu_queue_interrupt(v, 0x50);
	ck_assert_int_eq(intr_highest_deliverable(v), 0x50);
	unit_set_cr8(v, 0);
	ck_assert_int_eq(intr_highest_deliverable(v), 0x50);
}
END_TEST

START_TEST(test_nmi_before_interrupt)
{
	vcpu_queue_interrupt(v, 0x40);
	vcpu_queue_nmi(v);
	vcpu_pre_entry(v);
	expect_event(INTR_TYPE_NMI, X86_NMI);
	ck_assert(!v->intr.nmi_pending);
	ck_assert(v->intr.irq_window); /* the interrupt waits for the next window */
	memset(&v->event, 0, sizeof(v->event));
	vcpu_pre_entry(v);
	expect_event(INTR_TYPE_EXT_INT, 0x40);
}
END_TEST

START_TEST(test_nmi_blocked)
{
	const uint64_t blocking[] = { INTR_STATE_NMI, INTR_STATE_STI, INTR_STATE_MOV_SS };
	for (unsigned i = 0; i < 3; i++) {
		setup();
		guest(0x002, blocking[i]);
		vcpu_queue_nmi(v);
		vcpu_pre_entry(v);
		ck_assert(!v->event.valid);
		ck_assert(v->intr.nmi_window);
		ck_assert(v->intr.nmi_pending);
		guest(0x002, 0);
		struct exit_record ex = { .reason = EXIT_REASON_NMI_WINDOW };
		ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
		expect_event(INTR_TYPE_NMI, X86_NMI);
		ck_assert(!v->intr.nmi_window);
	}
}
END_TEST

START_TEST(test_queued_exception_keeps_priority)
{
	vcpu_inject_gp0(v);
	vcpu_queue_nmi(v);
	vcpu_queue_interrupt(v, 0x40);
	vcpu_pre_entry(v);
	ck_assert_uint_eq(v->event.vector, X86_GP);
	ck_assert_uint_eq(v->event.type, INTR_TYPE_HW_EXCEPTION);
	ck_assert(v->intr.nmi_window);
	ck_assert(v->intr.irq_window);
}
END_TEST

START_TEST(test_hlt_parks_until_interrupt)
{
	struct exit_record ex = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_HALT);
	ck_assert_uint_eq(v->state, VCPU_STATE_HALTED);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1001);
	/* A masked-by-TPR interrupt does not wake it. */
	unit_set_cr8(v, 0xf);
	vcpu_queue_interrupt(v, 0x30);
	ck_assert_uint_eq(v->state, VCPU_STATE_HALTED);
	unit_set_cr8(v, 0);
	vcpu_queue_interrupt(v, 0x31);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	vcpu_pre_entry(v);
	expect_event(INTR_TYPE_EXT_INT, 0x31);
}
END_TEST

START_TEST(test_sti_hlt_takes_the_wakeup_interrupt)
{
	guest(0x202, INTR_STATE_STI);
	struct exit_record ex = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_HALT);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), 0);
	ck_assert(vcpu_reg_dirty(v, VCPU_INTERRUPTIBILITY));
	vcpu_queue_interrupt(v, 0x30);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	vcpu_pre_entry(v);
	expect_event(INTR_TYPE_EXT_INT, 0x30);
	ck_assert(!v->intr.irq_window);
}
END_TEST

START_TEST(test_cli_hlt_wakes_only_on_nmi)
{
	guest(0x002, 0);
	struct exit_record ex = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_HALT);
	vcpu_queue_interrupt(v, 0x40);
	ck_assert_uint_eq(v->state, VCPU_STATE_HALTED);
	vcpu_queue_nmi(v);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
}
END_TEST

START_TEST(test_hlt_with_pending_does_not_sleep)
{
	vcpu_queue_interrupt(v, 0x40);
	struct exit_record ex = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	/* A queue on a running vCPU does not change its state. */
	vcpu_queue_nmi(v);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	v->state = VCPU_STATE_PAUSED;
	vcpu_queue_interrupt(v, 0x41);
	ck_assert_uint_eq(v->state, VCPU_STATE_PAUSED);
}
END_TEST

/* An exception raised while an interrupted interrupt/NMI sits in the slot (SDM 6.15). */
START_TEST(test_exception_over_requeued_interrupt)
{
	struct exit_record ex = { .reason = EXIT_REASON_RDPMC, .instr_len = 2 };
	ex.idt_vectoring_info = INTR_INFO_VALID | (INTR_TYPE_EXT_INT << 8) | 0x41;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, X86_GP);
	ck_assert_int_eq(intr_highest_deliverable(v), 0x41); /* back in the IRR */
	setup();
	ex.idt_vectoring_info = INTR_INFO_VALID | (INTR_TYPE_NMI << 8) | X86_NMI;
	vcpu_handle_exit(v, &ex);
	ck_assert_uint_eq(v->event.vector, X86_GP);
	ck_assert(v->intr.nmi_pending);
	/* A software interrupt is dropped: its INT n runs again. */
	setup();
	ex.idt_vectoring_info = INTR_INFO_VALID | (INTR_TYPE_SW_INT << 8) | 0x80;
	vcpu_handle_exit(v, &ex);
	ck_assert_uint_eq(v->event.vector, X86_GP);
	ck_assert_int_eq(intr_highest_deliverable(v), -1);
	ck_assert(!v->intr.nmi_pending);
}
END_TEST

START_TEST(test_reset_clears)
{
	vcpu_queue_interrupt(v, 0x40);
	vcpu_queue_nmi(v);
	unit_set_cr8(v, 3);
	/*
	 * INIT (SDM 10.4.7.3): nothing pending, the TPR 0; the BSP runs from
	 * the reset vector (8.4.2), an AP waits for SIPI.
	 */
	vm_mgr_vcpu_init_signal(v);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	ck_assert(v->load_pending);
	ck_assert_uint_eq(v->load.regs[VCPU_RIP], 0xfff0);
	ck_assert_int_eq(intr_highest_deliverable(v), -1);
	ck_assert(!intr_can_wake(v));
	ck_assert_uint_eq(vlapic_cr8_read(&v->lapic), 0);
	v->lapic.apic_base &= ~VLAPIC_BASE_BSP; /* the same vCPU as an AP */
	vcpu_queue_interrupt(v, 0x40);
	vm_mgr_vcpu_init_signal(v);
	ck_assert_uint_eq(v->state, VCPU_STATE_INIT);
	ck_assert_int_eq(intr_highest_deliverable(v), -1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("intr");
	TCase *tc = tcase_create("intr");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_invalid_vectors_refused);
	tcase_add_test(tc, test_highest_vector_first);
	tcase_add_test(tc, test_not_interruptible_requests_window);
	tcase_add_test(tc, test_tpr_masks_classes);
	tcase_add_test(tc, test_nmi_before_interrupt);
	tcase_add_test(tc, test_nmi_blocked);
	tcase_add_test(tc, test_queued_exception_keeps_priority);
	tcase_add_test(tc, test_hlt_parks_until_interrupt);
	tcase_add_test(tc, test_cli_hlt_wakes_only_on_nmi);
	tcase_add_test(tc, test_sti_hlt_takes_the_wakeup_interrupt);
	tcase_add_test(tc, test_hlt_with_pending_does_not_sleep);
	tcase_add_test(tc, test_exception_over_requeued_interrupt);
	tcase_add_test(tc, test_reset_clears);
	suite_add_tcase(s, tc);
	return s;
}
