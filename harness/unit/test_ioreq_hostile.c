/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every IOREQ slot transition, legal and illegal, and a Service VM that
 * misbehaves (core/ioreq.c): each illegal step is refused with its error,
 * reported on the log in one line, and changes nothing — the requesting
 * vCPU stays parked with its registers as they were, the slot as the
 * Service VM left it, other VMs unaffected — and the VM can still be
 * paused and destroyed. Only the hypervisor writes PENDING and FREE.
 */
#include <string.h>
#include "unit.h"
#include "err.h"
#include "ept.h"
#include "exit_dispatch.h"
#include "ioreq.h"
#include "request.h"
#include "sim.h"
#include "vm_mgr.h"
#include "two_vm.h"

#define PAGE 0x8000
#define PAGE2 0x9000

static struct tern hv;
static struct vm *sos, *uos, *other;
static struct vcpu *v;

static void setup(void)
{
	two_vm_create(&hv, &sos, &uos);
	other = sim_create_vm(&hv, "other", 1, false, 0x10000);
	ck_assert_ptr_nonnull(other);
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	ck_assert_int_eq(ioreq_set_buffer(other, PAGE2), 0);
	uos->state = other->state = VM_STATE_RUNNING;
	v = two_vm_flat_vcpu(uos, 1, 0x1000);
	v->state = VCPU_STATE_RUNNABLE;
	vcpu_cache_fill(v, VCPU_RAX, 0x1111111111111111ull);
	sim_log_clear();
}

static uint8_t *slot_of(uint64_t page, unsigned vcpu)
{
	return two_vm_slot(sos, page, vcpu);
}
static uint32_t state(void) { uint32_t x; memcpy(&x, slot_of(PAGE, 1) + IOREQ_OFF_STATE, 4); return x; }
static void put32(unsigned off, uint32_t x) { memcpy(slot_of(PAGE, 1) + off, &x, 4); }

/* IN of `size` bytes from `port` (in DX) on a runnable vCPU `c` at `rip`. */
static enum exit_action port_in(struct vcpu *c, uint16_t port, unsigned size, uint64_t rip)
{
	struct exit_record ex = { .reason = EXIT_REASON_IO_INSTRUCTION,
				  .qualification = (uint64_t)port << 16 | (size - 1) | 8u, .instr_len = 1 };
	c->state = VCPU_STATE_RUNNABLE;
	sim_vcpu_flat_state(c, true, 0);
	vcpu_cache_fill(c, VCPU_RIP, rip);
	return vcpu_handle_exit(c, &ex);
}

/* A read of `size` bytes from port 0x1f0 (the device model's) by vCPU 1 of the User VM. */
static void send(unsigned size)
{
	struct exit_record ex = { .reason = EXIT_REASON_IO_INSTRUCTION,
				  .qualification = 0x1f00000ull | (size - 1) | 8u, .instr_len = 1 };
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(state(), IOREQ_PENDING);
}

/* The vCPU as a refused completion must leave it: parked, RAX untouched after its pre-entry. */
static void still_parked(void)
{
	ck_assert_uint_eq(v->state, VCPU_STATE_WAIT_IO);
	ck_assert(v->io.active);
	vcpu_pre_entry(v);
	ck_assert_uint_eq(v->state, VCPU_STATE_WAIT_IO);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x1111111111111111ull);
	ck_assert_int_eq(vm_mgr_check(uos), 0);
}

START_TEST(legal_transitions)
{
	/* FREE --hv--> PENDING --svm--> PROCESSING --svm--> COMPLETE --hv--> FREE */
	ck_assert_uint_eq(state(), IOREQ_FREE);
	send(1);
	put32(IOREQ_OFF_STATE, IOREQ_PROCESSING);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EBUSY);
	ck_assert(sim_log_contains("vm1 vcpu1: IOREQ completion refused: slot state PROCESSING (2), not complete"));
	still_parked();
	put32(IOREQ_OFF_VALUE, 0xabcdef42u);   /* bits past the 1-byte size are ignored */
	put32(IOREQ_OFF_STATE, IOREQ_COMPLETE);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	ck_assert_uint_eq(state(), IOREQ_FREE);
	vcpu_pre_entry(v);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x1111111111111142ull);
	/* COMPLETE straight from PENDING (no PROCESSING) is legal too: ACRN's polling HSM does it. */
	send(2);
	put32(IOREQ_OFF_VALUE, 0x7777);
	put32(IOREQ_OFF_STATE, IOREQ_COMPLETE);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	ck_assert_uint_eq(state(), IOREQ_FREE);
}
END_TEST

/* Each state a Service VM can leave in the slot when it notifies. */
START_TEST(illegal_states)
{
	static const struct { uint32_t st; const char *log; } cases[] = {
		{ IOREQ_PENDING, "slot state PENDING (0), not complete" },
		{ IOREQ_FREE, "slot state FREE (3), which only the hypervisor writes" },
		{ 4, "slot state not a state (4)" },
		{ 0xffffffffu, "slot state not a state (4294967295)" },
	};
	send(4);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sim_log_clear();
		put32(IOREQ_OFF_STATE, cases[i].st);
		ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EBUSY);
		ck_assert_msg(sim_log_contains(cases[i].log), "no report for state %u", cases[i].st);
		ck_assert_uint_eq(state(), cases[i].st);    /* the hypervisor left it */
		still_parked();
	}
	/* Repaired, it completes. */
	put32(IOREQ_OFF_STATE, IOREQ_COMPLETE);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
}
END_TEST

START_TEST(twice_and_not_pending)
{
	/* A slot with nothing pending (vCPU 0 never sent): refused, reported. */
	memcpy(slot_of(PAGE, 0) + IOREQ_OFF_STATE, &(uint32_t){ IOREQ_COMPLETE }, 4);
	ck_assert_int_eq(ioreq_complete(uos, 0), -TERN_EINVAL);
	ck_assert(sim_log_contains("vm1 vcpu0: IOREQ completion refused: no request is pending"));
	ck_assert_uint_eq(uos->vcpus[0].requests & VCPU_REQ_IOREQ_DONE, 0);
	/* A vCPU that does not exist, and a VM without an IOREQ page. */
	sim_log_clear();
	ck_assert_int_eq(ioreq_complete(uos, 2), -TERN_EINVAL);
	ck_assert(sim_log_contains("IOREQ completion for vcpu 2 refused"));
	/* Completed twice: before its post-work ran, and after. */
	send(1);
	put32(IOREQ_OFF_STATE, IOREQ_COMPLETE);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	put32(IOREQ_OFF_STATE, IOREQ_COMPLETE);
	sim_log_clear();
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EINVAL);
	ck_assert(sim_log_contains("no request is pending"));
	vcpu_pre_entry(v);
	uint64_t rax = vcpu_get_reg(v, VCPU_RAX);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EINVAL);
	vcpu_pre_entry(v);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), rax);   /* no second post-work */
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
}
END_TEST

START_TEST(illegal_size)
{
	send(2);
	put32(IOREQ_OFF_SIZE, 8);
	put32(IOREQ_OFF_STATE, IOREQ_COMPLETE);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EINVAL);
	ck_assert(sim_log_contains("vm1 vcpu1: IOREQ completed with size 8, requested 2"));
	ck_assert_uint_eq(state(), IOREQ_COMPLETE);
	still_parked();
	put32(IOREQ_OFF_SIZE, 2);
	put32(IOREQ_OFF_SIZE + 4, 0x100);   /* bits 63:32 of the u64 size */
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EINVAL);
	still_parked();
}
END_TEST

START_TEST(never_completes)
{
	send(4);
	put32(IOREQ_OFF_STATE, IOREQ_PROCESSING);   /* taken, and never answered */
	/* Another User VM is served meanwhile. */
	struct vcpu *o = &other->vcpus[0];
	ck_assert_int_eq(port_in(o, 0x60, 1, 0x2000), EXIT_ACTION_WAIT_IO);
	memcpy(slot_of(PAGE2, 0) + IOREQ_OFF_VALUE, &(uint32_t){ 0x5a }, 4);
	memcpy(slot_of(PAGE2, 0) + IOREQ_OFF_STATE, &(uint32_t){ IOREQ_COMPLETE }, 4);
	ck_assert_int_eq(ioreq_complete(other, 0), 0);
	vcpu_pre_entry(o);
	ck_assert_uint_eq(o->state, VCPU_STATE_RUNNABLE);
	ck_assert_uint_eq(vcpu_get_reg(o, VCPU_RAX) & 0xff, 0x5a);
	/* The stuck VM pauses (the request reported with its port) and is destroyed. */
	still_parked();
	ck_assert_int_eq(vm_mgr_pause(uos), 0);
	ck_assert(sim_log_contains("vm1 vcpu1 paused with an I/O request outstanding: port read at 0x1f0, 4 bytes"));
	ck_assert_int_eq(vm_mgr_check(uos), 0);
	sim_log_clear();
	ck_assert_int_eq(vm_mgr_destroy(uos), 0);
	ck_assert(sim_log_contains("vm1 vcpu1 destroyed with an I/O request outstanding: port read at 0x1f0, 4 bytes"));
	/* Its slots are FREE again: the device model finds nothing of it. */
	ck_assert_uint_eq(state(), IOREQ_FREE);
	/* A completion arriving now names a VM that is gone: nothing happens to anyone. */
	put32(IOREQ_OFF_STATE, IOREQ_COMPLETE);
	ck_assert_uint_eq(other->vcpus[0].state, VCPU_STATE_RUNNABLE);
	ck_assert_int_eq(vm_mgr_check(other), 0);
}
END_TEST

START_TEST(page_unmapped_while_pending)
{
	send(1);
	/* The page stops being the Service VM's memory. */
	ck_assert_int_eq(ept_unmap(&sos->ept, PAGE, 0x1000), 0);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EFAULT);
	ck_assert(sim_log_contains("vm1 vcpu1: IOREQ page at 0x8000 is not the Service VM's memory any more; "
				   "the port request at 0x1f0 stays pending"));
	still_parked();
	/* The other VM, whose page is still there, is not affected. */
	ck_assert(ioreq_ready(other));
	/* Sending on an unusable page stops that VM (reported), not the hypervisor. */
	ck_assert_int_eq(port_in(&uos->vcpus[0], 0x1f0, 1, 0x3000), EXIT_ACTION_STOP);
	ck_assert(sim_log_contains("vm1 vcpu0: IOREQ page unusable"));
	ck_assert_int_eq(vm_mgr_destroy(uos), 0);
	ck_assert_uint_eq(other->state, VM_STATE_RUNNING);
}
END_TEST

/* A hostile Service VM cannot fill the console: IOREQ_REPORTS_MAX lines, then one more saying so. */
START_TEST(reports_are_bounded)
{
	for (unsigned i = 0; i < 3 * IOREQ_REPORTS_MAX; i++)
		ck_assert_int_eq(ioreq_complete(uos, 0), -TERN_EINVAL);
	unsigned lines = 0;
	for (const char *p = sim.log; (p = strstr(p, "IOREQ completion refused")) != NULL; p++)
		lines++;
	ck_assert_uint_eq(lines, IOREQ_REPORTS_MAX);
	ck_assert(sim_log_contains("vm1: further IOREQ errors are not reported"));
}
END_TEST

/*
 * Past the cap every mistake is still refused with its own error and
 * changes nothing; only its line is left out: a bad vCPU id, a slot not
 * complete, a corrupt size and a page that is gone all stay silent.
 */
START_TEST(capped_reports_still_refuse)
{
	for (unsigned i = 0; i <= IOREQ_REPORTS_MAX; i++)
		ck_assert_int_eq(ioreq_complete(uos, 0), -TERN_EINVAL);
	ck_assert(sim_log_contains("vm1: further IOREQ errors are not reported"));
	send(2);
	sim_log_clear();
	ck_assert_int_eq(ioreq_complete(uos, 2), -TERN_EINVAL);        /* no such vCPU */
	put32(IOREQ_OFF_STATE, IOREQ_PROCESSING);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EBUSY);
	put32(IOREQ_OFF_SIZE, 4);
	put32(IOREQ_OFF_STATE, IOREQ_COMPLETE);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EINVAL);        /* size 4 for a 2-byte read */
	ck_assert_uint_eq(state(), IOREQ_COMPLETE);
	still_parked();
	ck_assert_int_eq(ept_unmap(&sos->ept, PAGE, 0x1000), 0);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EFAULT);
	ck_assert(!sim_log_contains("IOREQ"));
	ck_assert_uint_eq(sim.log_len, 0);
	still_parked();
	/* The other VM's reports are its own: its first mistake is logged. */
	ck_assert_int_eq(ioreq_complete(other, 0), -TERN_EINVAL);
	ck_assert(sim_log_contains("vm2 vcpu0: IOREQ completion refused: no request is pending"));
}
END_TEST

/* An aligned page outside the Service VM's memory is no IOREQ page: refused, nothing set. */
START_TEST(buffer_outside_service_memory)
{
	struct vm *late = sim_create_vm(&hv, "late", 1, false, 0x10000);
	ck_assert_ptr_nonnull(late);
	ck_assert_int_eq(ioreq_set_buffer(late, 0x10000), -TERN_EINVAL);
	ck_assert_int_eq(ioreq_set_buffer(late, 0x40000000), -TERN_EINVAL);
	ck_assert(!ioreq_ready(late));
	/* The pages of the VMs that have one are untouched. */
	ck_assert_uint_eq(state(), IOREQ_FREE);
	ck_assert(ioreq_ready(uos));
}
END_TEST

/* Polling mode: a slot not complete yet is asked again quietly; an illegal state is reported. */
START_TEST(polling_quiet_until_wrong)
{
	uos->config.ioreq_polling = true;
	send(1);
	put32(IOREQ_OFF_STATE, IOREQ_PROCESSING);
	ioreq_poll(v);
	ioreq_poll(v);
	ck_assert(!sim_log_contains("IOREQ"));
	put32(IOREQ_OFF_STATE, 9);
	ioreq_poll(v);
	ck_assert(sim_log_contains("slot state not a state (9)"));
	still_parked();
	put32(IOREQ_OFF_STATE, IOREQ_COMPLETE);
	ioreq_poll(v);
	ck_assert_uint_eq(state(), IOREQ_FREE);
	vcpu_pre_entry(v);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ioreq_hostile");
	TCase *t = tcase_create("slots");
	tcase_add_checked_fixture(t, setup, 0);
	tcase_add_test(t, legal_transitions);
	tcase_add_test(t, illegal_states);
	tcase_add_test(t, twice_and_not_pending);
	tcase_add_test(t, illegal_size);
	tcase_add_test(t, never_completes);
	tcase_add_test(t, page_unmapped_while_pending);
	tcase_add_test(t, reports_are_bounded);
	tcase_add_test(t, polling_quiet_until_wrong);
	tcase_add_test(t, capped_reports_still_refuse);
	tcase_add_test(t, buffer_outside_service_memory);
	suite_add_tcase(s, t);
	return s;
}
