/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The recording build's error paths of the pCPU loop (platform/x86/run.c
 * with trace_rec.c, TERN_RECORD=1) against the fake CPU: a VMCS set-up the
 * CPU refuses and a failed VM entry stop the VM outside any handling; the
 * stream then holds the STOP and the requests the stop raised (vm_stop's
 * VCPU_REQ_SYNC) with that pCPU's scheduling entry, before the recorder is
 * let go, not ahead of whatever the next holder records.
 */
#define TERN_X86_HOST_TEST 1
#define TERN_RECORD 1
#define plat_vcpu_fetch_reg x86_fetch_reg
#define plat_vcpu_fetch_seg x86_fetch_seg
#define plat_vm_retire x86_vm_retire    /* the simulator has its own ... */
#define plat_trace_request x86_trace_request
#define plat_trace_polled_complete x86_trace_polled_complete
#define plat_trace_exit x86_trace_exit  /* ... and these reach the recorder by its hooks */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "sim.h"
#include "vm_mgr.h"
#include "trace_bin.h"
#include "../../platform/x86/run.c"
#include "../../platform/x86/host_timer.c"
#include "../../platform/x86/load_state.c"
#include "../../platform/x86/vcpu_switch.c"
#include "../../platform/x86/trace_rec.c"
#include "x86_fake_cpu.h"

/* COM2: the stream. */
static uint8_t stream[1 << 16];
static size_t stream_len;
void serial_write(uint16_t base, const void *buf, size_t len)
{
	ck_assert_uint_eq(base, SERIAL_COM2);
	ck_assert_uint_le(stream_len + len, sizeof(stream));
	memcpy(stream + stream_len, buf, len);
	stream_len += len;
}
void serial_init(uint16_t base) { (void)base; }
void serial_use_irq(uint16_t base, unsigned irq) { (void)base; (void)irq; }
bool x86_cmdline_has(const char *word) { (void)word; return false; }

static struct vm *vm_a, *vm_b;

static void setup(void)
{
	fake_cpu_reset();
	trec_init(&rec, to_stream, 0);
	rec.vm_emitted = true;          /* as trace_rec_vm leaves it: the stream has begun */
	stream_len = 0;                 /* the header aside: the records are parsed */
	enter_rc = 0;
	sim_reset();
	sim.request_hook = x86_trace_request;
	sim.trace_hook = x86_trace_exit;
	tern_init(&hv);
	vm_a = sim_create_vm(&hv, "a", 1, true, 0x100000);
	vm_b = sim_create_vm(&hv, "b", 1, false, 0x100000);
	ck_assert_ptr_nonnull(vm_a);
	ck_assert_ptr_nonnull(vm_b);
	give_vmcs(&vm_a->vcpus[0], 0);
	give_vmcs(&vm_b->vcpus[0], 1);
	exit_reason = EXIT_REASON_HLT;
}

static void teardown(void)
{
	fake_cpu_free();
}

/*
 * The records from vm's SCHED record to the next SCHED: a STOP with cause
 * `cause`, and a REQUEST of vm with VCPU_REQ_SYNC among them.
 */
static void assert_stop_with_sched_entry(const struct vm *vm, uint32_t cause)
{
	size_t pos = 0;
	struct trace_bin_rec *r = malloc(sizeof(*r));
	bool in = false, stop = false, sync = false, seen = false;
	while (pos < stream_len) {
		ck_assert_int_eq(trace_bin_next(stream, stream_len, &pos, r), 0);
		if (r->type == TRACE_BIN_SCHED) {
			if (in)
				break;
			in = !(r->index & TRACE_BIN_SCHED_NONE) && r->vm_id == vm->id;
			seen = seen || in;
		} else if (in && r->type == TRACE_BIN_STOP) {
			ck_assert_uint_eq(r->stop_cause, cause);
			stop = true;
		} else if (in && r->type == TRACE_BIN_REQUEST && r->vm_id == vm->id &&
			   (r->bits & VCPU_REQ_SYNC)) {
			sync = true;
		}
	}
	free(r);
	ck_assert_msg(seen, "no SCHED record for vm%u", vm->id);
	ck_assert_msg(stop, "no STOP with vm%u's entry", vm->id);
	ck_assert_msg(sync, "vm%u's SYNC request not with its entry", vm->id);
	ck_assert_uint_eq(rec.async_len, 0);        /* nothing left for the next holder */
}

START_TEST(test_set_up_failure_records_the_stop)
{
	xvcpu_of(&vm_b->vcpus[0])->ready = false;
	setup_fails = -TERN_EIO;
	ck_assert_int_eq(vm_mgr_start(vm_b), 0);
	x86_pcpu_run(&pc, &hv);
	ck_assert_uint_eq(vm_b->state, VM_STATE_STOPPED);
	assert_stop_with_sched_entry(vm_b, VM_STOP_INTERNAL);
}
END_TEST

START_TEST(test_entry_failure_records_the_stop)
{
	enter_rc = 1;                               /* VMfailInvalid */
	ck_assert_int_eq(vm_mgr_start(vm_a), 0);
	x86_pcpu_run(&pc, &hv);
	ck_assert_uint_eq(vm_a->state, VM_STATE_STOPPED);
	ck_assert_uint_eq(vm_a->stop_cause, VM_STOP_INTERNAL);
	assert_stop_with_sched_entry(vm_a, VM_STOP_INTERNAL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_rec_errors");
	TCase *tc = tcase_create("rec_errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_set_up_failure_records_the_stop);
	tcase_add_test(tc, test_entry_failure_records_the_stop);
	suite_add_tcase(s, tc);
	return s;
}
