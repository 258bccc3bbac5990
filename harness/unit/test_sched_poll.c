/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * core/sched_poll.c: sched_cpu_polls, the predicate an idle pCPU asks to
 * choose between PAUSE-polling and HLT. It holds exactly while a vCPU the
 * pCPU owns waits on a polling-mode request not completed yet: from the
 * exit that sent the request until the scheduler's poll finds COMPLETE;
 * never for a notification-mode VM (its completion kicks), another pCPU's
 * vCPU, or a VM that is gone.
 */
#include <string.h>
#include "unit.h"
#include "exit_dispatch.h"
#include "ioreq.h"
#include "request.h"
#include "scheduler.h"
#include "sched_poll.h"
#include "sim.h"
#include "vm_mgr.h"
#include "two_vm.h"

#define PAGE 0x8000
#define OUT_DX_BYTE 0x1f00000ull    /* exit qualification: OUT DX, AL to port 0x1f0 */
#define IN_DX_WORD 0x1f00009ull     /* IN AX, DX from port 0x1f0 */

static struct tern hv;
static struct vm *sos, *uos;
static struct vcpu *v;

static void setup(void)
{
	two_vm_create(&hv, &sos, &uos);
	/* The User VM on pCPU 1 (its vCPU 1 there, vCPU 0 on pCPU 0 with it the Service VM). */
	uos->state = VM_STATE_RUNNING;
	uos->config.cpu_affinity = 0x3;
	for (uint16_t i = 0; i < 2; i++)
		vcpu_bind_pcpu(&uos->vcpus[i], sched_vcpu_pcpu(uos, i));
	v = two_vm_flat_vcpu(uos, 1, 0x1000);
	ck_assert_uint_eq(v->pcpu, 1);
	vcpu_cache_fill(v, VCPU_RAX, 0);
	/* The Service VM runs on pCPU 0 (its device model may still complete the request). */
	sos->state = VM_STATE_RUNNING;
	sos->vcpus[0].state = VCPU_STATE_RUNNABLE;
	ck_assert_ptr_eq(sched_next(&hv, 0), &sos->vcpus[0]);
}

static enum exit_action io(uint64_t qual)
{
	struct exit_record ex = { .reason = EXIT_REASON_IO_INSTRUCTION, .qualification = qual,
				  .instr_len = 1 };
	return vcpu_handle_exit(v, &ex);
}

static void dm_write_state(unsigned vcpu, uint32_t st, uint64_t value)
{
	two_vm_dm_answer(sos, PAGE, vcpu, st, value);
}

START_TEST(test_polls_while_the_request_waits)
{
	uos->config.ioreq_polling = true;
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	ck_assert(!sched_cpu_polls(&hv, 1));          /* nothing outstanding yet */
	ck_assert_int_eq(io(IN_DX_WORD), EXIT_ACTION_WAIT_IO);
	ck_assert(sched_cpu_polls(&hv, 1));
	ck_assert(!sched_cpu_polls(&hv, 0));          /* not pCPU 0's vCPU */
	/* Still PENDING, then PROCESSING: the scheduler finds nothing, the pCPU polls on. */
	ck_assert_ptr_null(sched_next(&hv, 1));
	ck_assert(sched_cpu_polls(&hv, 1));
	dm_write_state(1, IOREQ_PROCESSING, 0);
	ck_assert_ptr_null(sched_next(&hv, 1));
	ck_assert(sched_cpu_polls(&hv, 1));
	/* COMPLETE: the poll takes it; the vCPU has its request and the pCPU stops polling. */
	dm_write_state(1, IOREQ_COMPLETE, 0xbeef);
	ck_assert_ptr_eq(sched_next(&hv, 1), v);
	ck_assert(!sched_cpu_polls(&hv, 1));
	vcpu_pre_entry(v);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0xbeef);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	ck_assert(!sched_cpu_polls(&hv, 1));
}
END_TEST

START_TEST(test_notification_mode_does_not_poll)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	ck_assert_int_eq(io(OUT_DX_BYTE), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(v->state, VCPU_STATE_WAIT_IO);
	/* HC_NOTIFY_REQUEST_FINISH kicks pCPU 1: it may HLT. */
	ck_assert(!sched_cpu_polls(&hv, 1));
}
END_TEST

START_TEST(test_gone_or_paused_vm_does_not_poll)
{
	uos->config.ioreq_polling = true;
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	ck_assert_int_eq(io(OUT_DX_BYTE), EXIT_ACTION_WAIT_IO);
	ck_assert(sched_cpu_polls(&hv, 1));
	/* Paused: it does not wait on the slot any more (the pause parks it). */
	ck_assert_int_eq(vm_mgr_pause_vcpu(uos, 1), 0);
	vcpu_pre_entry(v);
	ck_assert_uint_eq(v->state, VCPU_STATE_PAUSED);
	ck_assert(!sched_cpu_polls(&hv, 1));
	/* A slot past the VM's vCPUs, and a powered-off VM, are not looked at. */
	v->state = VCPU_STATE_WAIT_IO;
	ck_assert(sched_cpu_polls(&hv, 1));
	uos->config.vcpu_count = 1;
	ck_assert(!sched_cpu_polls(&hv, 1));
	uos->config.vcpu_count = 2;
	uos->state = VM_STATE_POWERED_OFF;
	ck_assert(!sched_cpu_polls(&hv, 1));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("sched_poll");
	TCase *tc = tcase_create("sched_poll");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_polls_while_the_request_waits);
	tcase_add_test(tc, test_notification_mode_does_not_poll);
	tcase_add_test(tc, test_gone_or_paused_vm_does_not_poll);
	suite_add_tcase(s, tc);
	return s;
}
