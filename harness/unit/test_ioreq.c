/* SPDX-License-Identifier: BSD-3-Clause */
/* IOREQ round trips, seen from both sides: the bytes the Service VM finds in
 * its page (ACRN's acrn_io_request layout) and the registers the guest gets. */
#include <string.h>
#include "unit.h"
#include "err.h"
#include "exit_dispatch.h"
#include "hypercall.h"
#include "ioreq.h"
#include "scheduler.h"
#include "sim.h"
#include "upcall.h"
#include "two_vm.h"

#define PAGE 0x8000

static struct tern hv;
static struct vm *sos, *uos;
static struct vcpu *v;

static void setup(void)
{
	two_vm_create(&hv, &sos, &uos);
	v = two_vm_flat_vcpu(uos, 1, 0x1000);
}

static uint32_t slot32(unsigned vcpu, unsigned off) { return two_vm_slot32(sos, PAGE, vcpu, off); }
static uint64_t slot64(unsigned vcpu, unsigned off) { return two_vm_slot64(sos, PAGE, vcpu, off); }
static void dm_complete(unsigned vcpu, uint64_t value)
{
	two_vm_dm_answer(sos, PAGE, vcpu, IOREQ_COMPLETE, value);
}

static enum exit_action io(uint64_t qual, uint32_t len)
{
	struct exit_record ex = { .reason = EXIT_REASON_IO_INSTRUCTION, .qualification = qual,
				  .instr_len = len };
	return vcpu_handle_exit(v, &ex);
}

START_TEST(test_buffer_validation)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE + 8), -TERN_EINVAL);   /* unaligned */
	ck_assert_int_eq(ioreq_set_buffer(uos, 0x10000), -TERN_EINVAL);    /* past the SOS's RAM */
	ck_assert_int_eq(ioreq_set_buffer(uos, 0xfffffffffffff000ull), -TERN_EINVAL);
	ck_assert(!ioreq_ready(uos));
	memset(sim_vm_ram(sos->id) + PAGE, 0xaa, IOREQ_PAGE_SIZE);
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	ck_assert(ioreq_ready(uos));
	for (unsigned i = 0; i < IOREQ_SLOTS; i++)
		ck_assert_uint_eq(slot32(i, IOREQ_OFF_STATE), IOREQ_FREE);
}
END_TEST

START_TEST(test_no_service_vm)
{
	struct tern hv2;
	tern_init(&hv2);
	struct vm *lone = sim_create_vm(&hv2, "lone", 1, false, 0x1000);
	ck_assert_int_eq(ioreq_set_buffer(lone, 0), -TERN_EINVAL);
	ck_assert_int_eq(ioreq_complete(lone, 0), -TERN_EINVAL);
}
END_TEST

START_TEST(test_pio_read_round_trip)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	vcpu_cache_fill(v, VCPU_RAX, 0x1111111111111111ull);
	/* in ax, dx with DX = 0x1f0 (no in-hypervisor device there) */
	ck_assert_int_eq(io(0x1f00009, 2), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(v->state, VCPU_STATE_WAIT_IO);
	ck_assert_int_eq(unit_take_upcall(sos), IOREQ_UPCALL_VECTOR);
	/* What the device model sees in slot 1. */
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_STATE), IOREQ_PENDING);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_TYPE), IOREQ_TYPE_PORTIO);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_DIRECTION), IOREQ_READ);
	ck_assert_uint_eq(slot64(1, IOREQ_OFF_ADDRESS), 0x1f0);
	ck_assert_uint_eq(slot64(1, IOREQ_OFF_SIZE), 2);
	ck_assert_uint_eq(slot32(0, IOREQ_OFF_STATE), IOREQ_FREE);
	/* RIP has moved; RAX waits for the device model. */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1001 + 1);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RAX));

	/* PROCESSING is not completion. */
	uint32_t st = IOREQ_PROCESSING;
	memcpy(sim_vm_ram(sos->id) + PAGE + IOREQ_SLOT_SIZE + IOREQ_OFF_STATE, &st, 4);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EBUSY);
	ck_assert_uint_eq(v->state, VCPU_STATE_WAIT_IO);

	/* A value wider than the request is cut to 16 bits. */
	dm_complete(1, 0xdeadbeefcafe1234ull);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	vcpu_pre_entry(v); /* the post-work runs on the vCPU, before its entry */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x1111111111111234ull);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_STATE), IOREQ_FREE);
	/* Completing twice does nothing. */
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EINVAL);
}
END_TEST

START_TEST(test_pio_write_and_in_eax)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	vcpu_cache_fill(v, VCPU_RAX, 0xffffffff87654321ull);
	ck_assert_int_eq(io(0x1f00003, 1), EXIT_ACTION_WAIT_IO); /* out dx, eax */
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_DIRECTION), IOREQ_WRITE);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_VALUE), 0x87654321u);
	dm_complete(1, 0x5555);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	vcpu_pre_entry(v); /* the post-work runs on the vCPU, before its entry */
	ck_assert(!vcpu_reg_dirty(v, VCPU_RAX)); /* a write completes without touching RAX */
	/* in eax: the 32-bit result zero-extends. */
	ck_assert_int_eq(io(0x1f0000b, 1), EXIT_ACTION_WAIT_IO);
	dm_complete(1, 0xaaaaaaaa01020304ull);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	vcpu_pre_entry(v); /* the post-work runs on the vCPU, before its entry */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x01020304u);
}
END_TEST

START_TEST(test_claimed_ports_stay_local)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	vcpu_cache_fill(v, VCPU_RAX, 'k');
	ck_assert_int_eq(io(0x3f80000, 1), EXIT_ACTION_RESUME);
	ck_assert_str_eq(sim_console(uos->id), "k");
	ck_assert_int_eq(unit_take_upcall(sos), -1);
}
END_TEST

START_TEST(test_hostile_completions)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	ck_assert_int_eq(ioreq_complete(uos, 7), -TERN_EINVAL);  /* no such vCPU */
	ck_assert_int_eq(ioreq_complete(uos, 0), -TERN_EINVAL);  /* nothing outstanding */
	dm_complete(0, 1);                                        /* a forged COMPLETE */
	ck_assert_int_eq(ioreq_complete(uos, 0), -TERN_EINVAL);
	ck_assert_uint_eq(uos->vcpus[0].state, VCPU_STATE_INIT);
}
END_TEST

START_TEST(test_never_completed_vm_can_stop)
{
	/* A device model that never answers leaves the vCPU parked, nothing more. */
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	ck_assert_int_eq(io(0x1f00008, 1), EXIT_ACTION_WAIT_IO);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EBUSY);
	vm_stop(uos, VM_STOP_INTERNAL, 0);
	ck_assert_uint_eq(v->state, VCPU_STATE_STOPPED);
}
END_TEST

START_TEST(test_page_gone_stops_vm)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	ck_assert_int_eq(ept_unmap(&sos->ept, 0x1000, sim.vms[sos->id].ram_size - 0x1000), 0); /* the Service VM's memory shrank under the page */
	ck_assert_int_eq(io(0x1f00008, 1), EXIT_ACTION_STOP);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_INTERNAL);
	ck_assert(sim_log_contains("vm1 vcpu1: IOREQ page unusable"));
}
END_TEST

START_TEST(test_mmio_request_layout)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	struct ioreq req = { .type = IOREQ_TYPE_WP, .dir = IOREQ_WRITE, .addr = 0x5000, .size = 8,
			     .value = 0x0102030405060708ull };
	ck_assert_int_eq(ioreq_send(v, &req, NULL), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_TYPE), IOREQ_TYPE_WP);
	ck_assert_uint_eq(slot64(1, IOREQ_OFF_VALUE), 0x0102030405060708ull);
	ck_assert_uint_eq(slot64(1, IOREQ_OFF_SIZE), 8);
	/* A write has no post-work; a read without post-work is just freed. */
	dm_complete(1, 0);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	vcpu_pre_entry(v); /* the post-work runs on the vCPU, before its entry */
	struct ioreq rd = { .type = IOREQ_TYPE_MMIO, .dir = IOREQ_READ, .addr = 0x6000, .size = 8 };
	ck_assert_int_eq(ioreq_send(v, &rd, NULL), EXIT_ACTION_WAIT_IO);
	dm_complete(1, 0x77);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	vcpu_pre_entry(v); /* the post-work runs on the vCPU, before its entry */
}
END_TEST

/* HC_SET_CALLBACK_VECTOR: 0x20..0xFF, checked before anything changes. */
START_TEST(test_callback_vector)
{
	struct vcpu *s0 = &sos->vcpus[0];
	ck_assert_uint_eq(sos->upcall_vector, IOREQ_UPCALL_VECTOR);
	ck_assert_int_eq(hypercall_dispatch(s0, HC_SET_CALLBACK_VECTOR, 0x1f, 0), -TERN_EINVAL);
	ck_assert_int_eq(hypercall_dispatch(s0, HC_SET_CALLBACK_VECTOR, 0x100, 0), -TERN_EINVAL);
	ck_assert_int_eq(hypercall_dispatch(s0, HC_SET_CALLBACK_VECTOR, 0x1000000e0ull, 0), -TERN_EINVAL);
	ck_assert_uint_eq(sos->upcall_vector, IOREQ_UPCALL_VECTOR);
	ck_assert_int_eq(hypercall_dispatch(s0, HC_SET_CALLBACK_VECTOR, 0x20, 0), 0);
	ck_assert_uint_eq(sos->upcall_vector, 0x20);
	ck_assert_int_eq(hypercall_dispatch(s0, HC_SET_CALLBACK_VECTOR, 0xff, 0), 0);

	/* The next request raises that vector on the Service VM's vCPU 0 (a
	 * request bit: vcpu_make_request kicks it, test_requests.c), not on the
	 * requesting vCPU. */
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	ck_assert_int_eq(io(0x1f00009, 2), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_POLLING), 0);
	ck_assert(!(v->requests & VCPU_REQ_UPCALL));
	ck_assert_int_eq(intr_highest_deliverable(s0), -1); /* not before s0 handles it */
	ck_assert_int_eq(unit_take_upcall(sos), 0xff);
	/* Queued as an external interrupt: injected at its next entry. */
	dm_complete(1, 0);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	vcpu_pre_entry(v);
	ck_assert_int_eq(io(0x1f00009, 2), EXIT_ACTION_WAIT_IO);
	ck_assert(s0->requests & VCPU_REQ_UPCALL);
	vcpu_handle_requests(s0);
	ck_assert_int_eq(intr_highest_deliverable(s0), 0xff);
}
END_TEST

/* Polling mode: no upcall; the scheduler's look at the vCPU finds COMPLETE. */
START_TEST(test_polling_mode)
{
	uos->config.ioreq_polling = true;
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	vcpu_cache_fill(v, VCPU_RAX, 0);
	ck_assert_int_eq(io(0x1f00009, 2), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_POLLING), 1);
	ck_assert_int_eq(unit_take_upcall(sos), -1);
	ioreq_poll(v); /* still PENDING: nothing happens */
	ck_assert_uint_eq(v->state, VCPU_STATE_WAIT_IO);
	ck_assert(!vcpu_has_requests(v));
	dm_complete(1, 0xbeef);
	ck_assert_ptr_eq(sched_next(&hv, v->pcpu), v); /* eligible: the completion was found */
	vcpu_pre_entry(v);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0xbeef);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_STATE), IOREQ_FREE);
	/* A notification-mode VM is not polled: COMPLETE waits for the hypercall. */
	uos->config.ioreq_polling = false;
	ck_assert_int_eq(io(0x1f00009, 2), EXIT_ACTION_WAIT_IO);
	dm_complete(1, 0x1234);
	ioreq_poll(v);
	ck_assert_uint_eq(v->state, VCPU_STATE_WAIT_IO);
	ck_assert(!vcpu_has_requests(v));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ioreq");
	TCase *tc = tcase_create("ioreq");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_buffer_validation);
	tcase_add_test(tc, test_no_service_vm);
	tcase_add_test(tc, test_pio_read_round_trip);
	tcase_add_test(tc, test_pio_write_and_in_eax);
	tcase_add_test(tc, test_claimed_ports_stay_local);
	tcase_add_test(tc, test_hostile_completions);
	tcase_add_test(tc, test_never_completed_vm_can_stop);
	tcase_add_test(tc, test_page_gone_stops_vm);
	tcase_add_test(tc, test_mmio_request_layout);
	tcase_add_test(tc, test_callback_vector);
	tcase_add_test(tc, test_polling_mode);
	suite_add_tcase(s, tc);
	return s;
}
