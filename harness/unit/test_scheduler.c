/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * core/scheduler.c: which vCPU a pCPU enters, round-robin among the runnable
 * vCPUs it owns, and the policies when none is left (a halted vCPU nothing
 * can wake, a request no device model will complete): the VM stops with
 * cause "internal" and the same log line on both platforms.
 */
#include "unit.h"
#include "atomic.h"
#include "exit.h"
#include "ioreq.h"
#include "request.h"
#include "scheduler.h"
#include "sim.h"
#include "vm_mgr.h"

static struct tern hv;
static struct vm *a, *b, *c;

static struct vm *running_vm(const char *name, uint16_t vcpus, uint64_t affinity)
{
	struct vm *vm = sim_create_vm(&hv, name, vcpus, false, 0x1000);
	ck_assert_ptr_nonnull(vm);
	vm->config.cpu_affinity = affinity;
	vm->state = VM_STATE_RUNNING;
	for (uint16_t i = 0; i < vcpus; i++) {
		vcpu_bind_pcpu(&vm->vcpus[i], sched_vcpu_pcpu(vm, i));
		vm->vcpus[i].state = VCPU_STATE_RUNNABLE;
	}
	return vm;
}

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	a = running_vm("a", 2, 0);       /* both on pCPU 0 */
	b = running_vm("b", 1, 0x1);     /* pCPU 0 */
	c = running_vm("c", 1, 0x2);     /* pCPU 1 */
}

START_TEST(test_owner_from_affinity)
{
	struct vm_config cfg = { .vcpu_count = 3, .cpu_affinity = 0xa };
	struct vm vm = { .config = cfg };
	ck_assert_uint_eq(sched_vcpu_pcpu(&vm, 0), 1);
	ck_assert_uint_eq(sched_vcpu_pcpu(&vm, 1), 3);
	ck_assert_uint_eq(sched_vcpu_pcpu(&vm, 2), 1);   /* fewer bits than vCPUs: round */
	vm.config.cpu_affinity = 0;
	ck_assert_uint_eq(sched_vcpu_pcpu(&vm, 5), 0);
	vm.config.cpu_affinity = 1ull << TERN_MAX_PCPUS; /* no pCPU Tern schedules on */
	ck_assert_uint_eq(sched_vcpu_pcpu(&vm, 1), 0);
	vm.config.cpu_affinity = 1ull << (TERN_MAX_PCPUS - 1);
	ck_assert_uint_eq(sched_vcpu_pcpu(&vm, 0), TERN_MAX_PCPUS - 1);
}
END_TEST

START_TEST(test_round_robin_within_affinity)
{
	struct vcpu *want[] = { &a->vcpus[0], &a->vcpus[1], &b->vcpus[0] };
	for (unsigned round = 0; round < 7; round++) {
		struct vcpu *v = sched_next(&hv, 0);
		ck_assert_ptr_eq(v, want[round % 3]);
		ck_assert(v->running);
		ck_assert_ptr_eq(hv.cpus[0].current, v);
	}
	/* Only the current one is running; the others were let go. */
	ck_assert(!a->vcpus[1].running && !b->vcpus[0].running);
	ck_assert(a->vcpus[0].running);
	/* pCPU 1 only ever gets its own. */
	ck_assert_ptr_eq(sched_next(&hv, 1), &c->vcpus[0]);
	ck_assert_ptr_eq(sched_next(&hv, 1), &c->vcpus[0]);
}
END_TEST

START_TEST(test_parked_paused_not_run)
{
	a->vcpus[0].state = VCPU_STATE_HALTED;
	a->vcpus[1].state = VCPU_STATE_WAIT_IO;
	a->vcpus[1].io.active = true;
	ck_assert_int_eq(vm_mgr_pause_vcpu(b, 0), 0);
	/* The pause asked b's vCPU to acknowledge: handled once, then it is not run. */
	ck_assert_ptr_eq(sched_next(&hv, 0), &b->vcpus[0]);
	sim_vcpu_begin(&b->vcpus[0]);
	vcpu_handle_requests(&b->vcpus[0]);
	ck_assert(!vcpu_can_enter(&b->vcpus[0]));
	/* Nothing on pCPU 0, but pCPU 1 runs c: something may still wake them. */
	ck_assert_ptr_null(sched_next(&hv, 0));
	ck_assert(hv.cpus[0].idle);
	ck_assert(!b->vcpus[0].running);
	ck_assert_int_eq(a->state, VM_STATE_RUNNING);
	ck_assert(!sim_log_contains("halted"));
	/* A halted vCPU with something to take (an NMI) is run again. */
	a->vcpus[0].intr.nmi_pending = true;
	ck_assert_ptr_eq(sched_next(&hv, 0), &a->vcpus[0]);
	ck_assert_uint_eq(a->vcpus[0].state, VCPU_STATE_RUNNABLE);
	ck_assert(!hv.cpus[0].idle);
}
END_TEST

/* One VM, nothing anywhere that could wake its halted vCPU: core stops it. */
START_TEST(test_halted_without_wake_source_stops_the_vm)
{
	c->vcpus[0].state = VCPU_STATE_STOPPED;
	c->state = VM_STATE_STOPPED;
	b->vcpus[0].state = VCPU_STATE_HALTED;
	a->vcpus[0].state = a->vcpus[1].state = VCPU_STATE_INIT;
	/* While a's vCPUs are still current somewhere, the pCPU only idles. */
	atomic_store32(&c->vcpus[0].running, 1);
	ck_assert_ptr_null(sched_next(&hv, 0));
	ck_assert_int_eq(b->state, VM_STATE_RUNNING);
	atomic_store32(&c->vcpus[0].running, 0);
	ck_assert_ptr_null(sched_next(&hv, 0));
	ck_assert(!hv.cpus[0].idle);
	ck_assert(sim_log_contains("vm1 vcpu0 halted with no interrupt source that could wake it"));
	ck_assert_int_eq(b->state, VM_STATE_STOPPED);
	ck_assert_int_eq(b->stop_cause, VM_STOP_INTERNAL);
	ck_assert_uint_eq(b->stop_detail, EXIT_REASON_HLT);
	/* a has only INIT vCPUs (waiting for a SIPI): not this policy's to stop. */
	ck_assert_int_eq(a->state, VM_STATE_RUNNING);
}
END_TEST

START_TEST(test_unanswered_request_stops_the_vm)
{
	c->vcpus[0].state = VCPU_STATE_STOPPED;
	c->state = VM_STATE_STOPPED;
	b->vcpus[0].state = VCPU_STATE_WAIT_IO;
	b->vcpus[0].io.active = true;
	b->vcpus[0].io.req.type = IOREQ_TYPE_PORTIO;
	a->vcpus[0].state = VCPU_STATE_WAIT_IO;
	a->vcpus[0].io.active = true;
	a->vcpus[0].io.req.type = IOREQ_TYPE_MMIO;
	a->vcpus[1].state = VCPU_STATE_INIT;
	ck_assert_ptr_null(sched_next(&hv, 0));
	ck_assert(sim_log_contains("vm1 vcpu0 waits for an I/O request no one will complete"));
	ck_assert(sim_log_contains("vm0 vcpu0 waits for an I/O request no one will complete"));
	ck_assert_int_eq(b->stop_cause, VM_STOP_INTERNAL);
	ck_assert_uint_eq(b->stop_detail, EXIT_REASON_IO_INSTRUCTION);
	ck_assert_uint_eq(a->stop_detail, EXIT_REASON_EPT_VIOLATION);
}
END_TEST

/* A request makes a parked vCPU eligible, so that it handles it in its own context. */
START_TEST(test_requests_make_a_parked_vcpu_eligible)
{
	for (uint16_t i = 0; i < 2; i++)
		a->vcpus[i].state = VCPU_STATE_HALTED;
	b->vcpus[0].state = VCPU_STATE_HALTED;
	vcpu_make_request(&a->vcpus[1], VCPU_REQ_FLUSH_EPT);
	ck_assert_ptr_eq(sched_next(&hv, 0), &a->vcpus[1]);
	sim_vcpu_begin(&a->vcpus[1]);
	vcpu_handle_requests(&a->vcpus[1]);
	ck_assert(!vcpu_can_enter(&a->vcpus[1]));
	ck_assert_ptr_null(sched_next(&hv, 0));
}
END_TEST

/*
 * An AP with nothing that can wake its vCPUs waits for work instead of
 * ending: sched_cpu_wait sets idle again, so that a VM started later on it
 * kicks it, and rescans so that a request made in between is not lost.
 */
START_TEST(test_cpu_wait_for_work_is_kicked)
{
	for (uint16_t i = 0; i < 2; i++)
		a->vcpus[i].state = VCPU_STATE_HALTED;
	b->vcpus[0].state = VCPU_STATE_HALTED;
	c->vcpus[0].state = VCPU_STATE_PAUSED;
	sim.this_cpu = 1;
	ck_assert_ptr_null(sched_next(&hv, 1));
	ck_assert(!hv.cpus[1].idle);                      /* nothing may wake c: not idle */
	ck_assert(sched_cpu_wait(&hv, 1));                /* so wait for work, with idle set */
	ck_assert(hv.cpus[1].idle);
	sim.this_cpu = 0;
	unsigned kicks = sim.kicks[1];
	vcpu_make_request(&c->vcpus[0], VCPU_REQ_WAKE);   /* e.g. the VM is resumed from pCPU 0 */
	ck_assert_uint_eq(sim.kicks[1], kicks + 1);
	/* A request already there when it goes to wait: no wait, sched_next takes it. */
	sim.this_cpu = 1;
	ck_assert(!sched_cpu_wait(&hv, 1));
	ck_assert(!hv.cpus[1].idle);
	ck_assert_ptr_eq(sched_next(&hv, 1), &c->vcpus[0]);
}
END_TEST

/*
 * A Service VM as `vcpus=3` makes it on two pCPUs (platform/x86/main.c):
 * affinity 0x3, vCPUs on pCPUs 0, 1, 0. Its APs wait for SIPI and no pCPU
 * enters them; once started each runs only on its own pCPU, vCPU 2 taking
 * turns with the BSP on pCPU 0.
 */
START_TEST(test_vcpus_outnumber_pcpus)
{
	a->state = b->state = c->state = VM_STATE_POWERED_OFF; /* this test's VM alone */
	struct vm *d = running_vm("d", 3, 0x3);
	ck_assert_uint_eq(d->vcpus[0].pcpu, 0);
	ck_assert_uint_eq(d->vcpus[1].pcpu, 1);
	ck_assert_uint_eq(d->vcpus[2].pcpu, 0);
	d->vcpus[1].state = d->vcpus[2].state = VCPU_STATE_INIT;
	for (unsigned i = 0; i < 3; i++)
		ck_assert_ptr_eq(sched_next(&hv, 0), &d->vcpus[0]);
	sim.this_cpu = 1;
	ck_assert(sched_cpu_wait(&hv, 1));            /* pCPU 1 waits: its vCPU waits for SIPI */
	sim.this_cpu = 0;
	vm_mgr_vcpu_sipi(&d->vcpus[2], 0x08);
	ck_assert_uint_eq(d->vcpus[2].load.segs[VCPU_CS].selector, 0x0800);
	struct vcpu *want[] = { &d->vcpus[2], &d->vcpus[0] };
	for (unsigned round = 0; round < 4; round++)
		ck_assert_ptr_eq(sched_next(&hv, 0), want[round % 2]);
	sim.this_cpu = 1;
	ck_assert(sched_cpu_wait(&hv, 1));
	vm_mgr_vcpu_sipi(&d->vcpus[1], 0x08);
	ck_assert(!sched_cpu_wait(&hv, 1));
	for (unsigned i = 0; i < 3; i++)
		ck_assert_ptr_eq(sched_next(&hv, 1), &d->vcpus[1]);
}
END_TEST

/*
 * A request to a vCPU whose pCPU runs another vCPU in guest mode (an MSI
 * for a halted vCPU behind a busy one): that pCPU is kicked, the request
 * does not wait for the running guest's next exit.
 */
/* The parked vCPUs of pCPU 0 with their creation's requests done: nothing makes them eligible. */
static void park_all_but_a0(void)
{
	a->vcpus[1].state = VCPU_STATE_HALTED;
	b->vcpus[0].state = VCPU_STATE_HALTED;
	vcpu_handle_requests(&a->vcpus[1]);
	vcpu_handle_requests(&b->vcpus[0]);
	atomic_store32(&a->vcpus[1].requests, 0);
	atomic_store32(&b->vcpus[0].requests, 0);
}

START_TEST(test_request_behind_another_guest_kicks)
{
	park_all_but_a0();
	ck_assert_ptr_eq(sim_schedule(&hv, 0), &a->vcpus[0]);
	ck_assert(a->vcpus[0].in_guest);
	sim.this_cpu = 1;                                  /* e.g. the Service VM on pCPU 1 */
	unsigned kicks = sim.kicks[0];
	vcpu_make_request(&b->vcpus[0], VCPU_REQ_EVENT);
	ck_assert_uint_eq(sim.kicks[0], kicks + 1);
	ck_assert(hv.cpus[0].in_guest);
	/* The exit the kick causes (here a0 halts too): pCPU 0 leaves guest mode and looks at b. */
	sim.this_cpu = 0;
	struct exit_record hlt = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	(void)sim_vcpu_exit(&a->vcpus[0], &hlt);
	ck_assert(!hv.cpus[0].in_guest);
	ck_assert_ptr_eq(sched_next(&hv, 0), &b->vcpus[0]);
}
END_TEST

/*
 * The request arrives after the scheduler's scan passed its vCPU but
 * before the pCPU enters the one it picked: no kick (not in guest mode,
 * not idle), so the entry does not happen; the scheduler looks again.
 */
START_TEST(test_request_after_scan_refuses_entry)
{
	park_all_but_a0();
	sim.this_cpu = 0;
	ck_assert_ptr_eq(sched_next(&hv, 0), &a->vcpus[0]);
	vcpu_handle_requests(&a->vcpus[0]);
	sim.this_cpu = 1;
	unsigned kicks = sim.kicks[0];
	vcpu_make_request(&b->vcpus[0], VCPU_REQ_EVENT);
	ck_assert_uint_eq(sim.kicks[0], kicks);
	sim.this_cpu = 0;
	ck_assert(!vcpu_enter_guest(&a->vcpus[0]));
	ck_assert(!a->vcpus[0].in_guest);
	ck_assert(!hv.cpus[0].in_guest);
	ck_assert_ptr_eq(sched_next(&hv, 0), &b->vcpus[0]);
	/* Taken once: with nothing else asked, the next entry goes in. */
	vcpu_handle_requests(&b->vcpus[0]);
	ck_assert(vcpu_enter_guest(&a->vcpus[0]));
	vcpu_leave_guest(&a->vcpus[0]);
	/* A request to the vCPU itself alone does not send it back once handled. */
	vcpu_make_request(&a->vcpus[0], VCPU_REQ_TIMER);
	vcpu_handle_requests(&a->vcpus[0]);
	ck_assert(vcpu_enter_guest(&a->vcpus[0]));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("sched");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_owner_from_affinity);
	tcase_add_test(tc, test_round_robin_within_affinity);
	tcase_add_test(tc, test_parked_paused_not_run);
	tcase_add_test(tc, test_halted_without_wake_source_stops_the_vm);
	tcase_add_test(tc, test_unanswered_request_stops_the_vm);
	tcase_add_test(tc, test_requests_make_a_parked_vcpu_eligible);
	tcase_add_test(tc, test_cpu_wait_for_work_is_kicked);
	tcase_add_test(tc, test_vcpus_outnumber_pcpus);
	tcase_add_test(tc, test_request_behind_another_guest_kicks);
	tcase_add_test(tc, test_request_after_scan_refuses_entry);
	suite_add_tcase(s, tc);
	return s;
}
