/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * core/sched_slice.c: two vCPUs that share a pCPU. A vCPU that spins
 * without exiting leaves the pCPU when its time slice ends; a vCPU halted
 * on its timer while its pCPU runs another is woken at its deadline (the
 * pCPU's one host timer is armed for it), not at the running vCPU's next
 * exit; a PAUSE-loop exit hands the pCPU on.
 */
#include <string.h>
#include "unit.h"
#include "exit_dispatch.h"
#include "lapic_util.h"
#include "msr.h"
#include "request.h"
#include "sched_slice.h"
#include "scheduler.h"
#include "sim.h"
#include "vm_irq.h"
#include "vm_mgr.h"
#include "vlapic.h"

#define HZ TERN_DEFAULT_TSC_HZ
#define SLICE (HZ / SCHED_SLICE_PER_SEC)
#define T0 1000000ull

static struct tern hv;
static struct vm *vm;
static struct vcpu *v0, *v1;

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	vm = sim_create_vm(&hv, "smp", 2, false, 0x10000); /* affinity 0: both on pCPU 0 */
	ck_assert_ptr_nonnull(vm);
	vm->state = VM_STATE_RUNNING;
	v0 = &vm->vcpus[0];
	v1 = &vm->vcpus[1];
	ck_assert_uint_eq(v0->pcpu, 0);
	ck_assert_uint_eq(v1->pcpu, 0);
	sim.host_tsc = T0;
	/* Interruptible (RFLAGS.IF): a halted vCPU wakes for an interrupt. */
	sim_vcpu_flat_state(v1, false, 0);
	sim_vcpu_hw(v1)->regs[VCPU_RFLAGS] = 0x202;
	sim_vcpu_flat_state(v0, false, 0);
	sim_vcpu_hw(v0)->regs[VCPU_RFLAGS] = 0x202;
	v0->state = v1->state = VCPU_STATE_RUNNABLE;
}

static enum exit_action exit_with(struct vcpu *v, uint32_t reason, uint32_t len)
{
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = reason;
	ex.instr_len = len;
	return sim_vcpu_exit(v, &ex);
}

/* pCPU 0's next vCPU, entered; its host timer armed at the sim's clock. */
static struct vcpu *run_next(uint64_t *armed_at)
{
	struct vcpu *v = sim_schedule(&hv, 0);
	ck_assert_ptr_nonnull(v);
	*armed_at = sched_cpu_arm(&hv.cpus[0], sim.host_tsc);
	return v;
}

START_TEST(test_spinning_vcpu_yields_after_the_slice)
{
	uint64_t at;
	ck_assert_ptr_eq(run_next(&at), v0);
	/* v1 is eligible: v0 gets one slice, no timer of its own. */
	ck_assert_uint_eq(hv.cpus[0].slice, SLICE);
	ck_assert_uint_eq(hv.cpus[0].deadline, UINT64_MAX);
	ck_assert_uint_eq(at, T0 + SLICE);
	ck_assert_uint_eq(hv.cpus[0].slice_end, T0 + SLICE);
	/* v0 spins without an exit until the timer ends its slice: v1 gets the pCPU. */
	sim.host_tsc = at;
	ck_assert_int_eq(exit_with(v0, EXIT_REASON_PREEMPTION_TIMER, 0), EXIT_ACTION_YIELD);
	ck_assert_uint_eq(v0->state, VCPU_STATE_RUNNABLE);
	ck_assert_ptr_eq(run_next(&at), v1);
	ck_assert_uint_eq(at, sim.host_tsc + SLICE);
	/* And back: v0 is still eligible, so v1's slice ends the same way. */
	sim.host_tsc = at;
	ck_assert_int_eq(exit_with(v1, EXIT_REASON_PREEMPTION_TIMER, 0), EXIT_ACTION_YIELD);
	ck_assert_ptr_eq(run_next(&at), v0);
}
END_TEST

START_TEST(test_alone_on_the_pcpu_no_slice)
{
	v1->state = VCPU_STATE_HALTED; /* nothing armed, nothing to take */
	uint64_t at;
	ck_assert_ptr_eq(run_next(&at), v0);
	ck_assert_uint_eq(hv.cpus[0].slice, 0);
	ck_assert_uint_eq(at, UINT64_MAX); /* no timer: no preemption-timer exits at all */
	ck_assert_uint_eq(hv.cpus[0].slice_end, UINT64_MAX);
	/* A timer exit (a recorded one) changes nothing: v0 goes on. */
	ck_assert_int_eq(exit_with(v0, EXIT_REASON_PREEMPTION_TIMER, 0), EXIT_ACTION_RESUME);
	ck_assert_ptr_eq(run_next(&at), v0);
}
END_TEST

/*
 * v1: guest TSC 6000000 ahead of the host's, a TSC-deadline timer (vector
 * 0x43) 50000 ticks on; v0 halted, so v1 runs first, then halts on it.
 */
static void v1_halts_on_its_timer(void)
{
	struct guest_fault f = { 0 };
	struct vlapic_result res;
	unit_lapic_enable(v1);
	vlapic_mmio_write(&v1->lapic, VLAPIC_LVT_TIMER,
			  0x43 | (VLAPIC_TIMER_TSC_DEADLINE << VLAPIC_TIMER_MODE_SHIFT), 0, &res);
	ck_assert_int_eq(msr_write(v1, MSR_IA32_TSC, T0 + 6000000, &f), 0);
	ck_assert_int_eq(msr_write(v1, MSR_IA32_TSC_DEADLINE, T0 + 6050000, &f), 0);
	v0->state = VCPU_STATE_HALTED;
	uint64_t at;
	ck_assert_ptr_eq(run_next(&at), v1);
	ck_assert_uint_eq(v1->timer_deadline, T0 + 6050000);
	ck_assert_int_eq(exit_with(v1, EXIT_REASON_HLT, 1), EXIT_ACTION_HALT);
}

START_TEST(test_halted_timer_fires_on_a_busy_pcpu)
{
	v1_halts_on_its_timer();
	uint64_t at;
	/* v0 wakes (an NMI for it) and keeps the pCPU busy. */
	vcpu_queue_nmi(v0);
	ck_assert_ptr_eq(run_next(&at), v0);
	/* The pCPU's timer is v1's deadline in host time, though v0 has no timer. */
	ck_assert_uint_eq(v0->timer_deadline, UINT64_MAX);
	ck_assert_uint_eq(hv.cpus[0].slice, 0);
	ck_assert_uint_eq(at, T0 + 50000);
	/* An exit of v0 just before it: v1 is not woken early, v0 goes on. */
	sim.host_tsc = at - 1;
	ck_assert_int_eq(exit_with(v0, EXIT_REASON_PREEMPTION_TIMER, 0), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v1->requests & VCPU_REQ_TIMER, 0);
	ck_assert_ptr_eq(run_next(&at), v0);
	ck_assert_uint_eq(at, T0 + 50000);
	/* The timer fires at the deadline: v1's timer request, the pCPU is handed on. */
	sim.host_tsc = at;
	ck_assert_int_eq(exit_with(v0, EXIT_REASON_PREEMPTION_TIMER, 0), EXIT_ACTION_YIELD);
	ck_assert_uint_ne(v1->requests & VCPU_REQ_TIMER, 0);
	ck_assert_ptr_eq(run_next(&at), v1);
	/* v1's pre-entry advanced its timer: vector 0x43 injected, the timer disarmed. */
	ck_assert_uint_eq(v1->state, VCPU_STATE_RUNNABLE);
	ck_assert(sim_vcpu_hw(v1)->injected.valid);
	ck_assert_uint_eq(sim_vcpu_hw(v1)->injected.vector, 0x43);
	ck_assert_uint_eq(v1->timer_deadline, UINT64_MAX);
	/* v0 is eligible again: v1 runs one slice. */
	ck_assert_uint_eq(at, sim.host_tsc + SLICE);
}
END_TEST

/* Two halted vCPUs with timers on the busy pCPU: the earlier arms it; only it is woken then. */
START_TEST(test_earliest_of_several_halted_timers)
{
	struct vm *w = sim_create_vm(&hv, "three", 3, false, 0x10000);
	ck_assert_ptr_nonnull(w);
	w->state = VM_STATE_RUNNING;
	v0->state = v1->state = VCPU_STATE_STOPPED; /* the first VM's vCPUs are out of the way */
	struct vcpu *w0 = &w->vcpus[0], *w1 = &w->vcpus[1], *w2 = &w->vcpus[2];
	ck_assert_uint_eq(w2->pcpu, 0);
	sim_vcpu_flat_state(w0, false, 0);
	w0->state = VCPU_STATE_RUNNABLE;
	/* Halted on their timers (what their last pre-entry left), w2's the later. */
	w1->state = w2->state = VCPU_STATE_HALTED;
	w1->timer_deadline = T0 + 100;
	w2->timer_deadline = T0 + 200;
	uint64_t at;
	ck_assert_ptr_eq(run_next(&at), w0);
	ck_assert_uint_eq(at, T0 + 100);
	sim.host_tsc = at;
	ck_assert_int_eq(exit_with(w0, EXIT_REASON_PREEMPTION_TIMER, 0), EXIT_ACTION_YIELD);
	ck_assert_uint_ne(w1->requests & VCPU_REQ_TIMER, 0);
	ck_assert_uint_eq(w2->requests & VCPU_REQ_TIMER, 0);
}
END_TEST

START_TEST(test_pause_loop_exit_hands_the_pcpu_on)
{
	uint64_t at;
	ck_assert_ptr_eq(run_next(&at), v0);
	sim_vcpu_hw(v0)->regs[VCPU_RIP] = 0x1000;
	ck_assert_int_eq(exit_with(v0, EXIT_REASON_PAUSE, 2), EXIT_ACTION_YIELD);
	ck_assert_uint_eq(vcpu_get_reg(v0, VCPU_RIP), 0x1002); /* PAUSE completed */
	ck_assert_ptr_eq(run_next(&at), v1);
	/* Alone on the pCPU, the spinner goes on spinning. */
	v0->state = VCPU_STATE_HALTED;
	sim_vcpu_hw(v1)->regs[VCPU_RIP] = 0x2000;
	ck_assert_int_eq(exit_with(v1, EXIT_REASON_PAUSE, 2), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v1, VCPU_RIP), 0x2002);
}
END_TEST

/*
 * The entry decision keeps what it knows of the pCPU's other vCPUs from one
 * entry of the same vCPU to the next (sched_cpu.others_*): each change to
 * one of them shows in the very next decision, not only after a switch.
 */

/* An IPI to a parked vCPU: the next entry of the running one gets a slice. */
START_TEST(test_request_to_a_parked_vcpu_shows_at_the_next_entry)
{
	v1->state = VCPU_STATE_HALTED;
	unit_lapic_enable(v1);
	uint64_t at;
	ck_assert_ptr_eq(run_next(&at), v0);
	ck_assert_uint_eq(hv.cpus[0].slice, 0);
	ck_assert_int_eq(exit_with(v0, EXIT_REASON_PREEMPTION_TIMER, 0), EXIT_ACTION_RESUME);
	ck_assert_ptr_eq(run_next(&at), v0); /* the same vCPU again: nothing changed */
	ck_assert_uint_eq(hv.cpus[0].slice, 0);
	ck_assert_uint_eq(at, UINT64_MAX);
	/* v0 sends a fixed IPI to v1 (route, IRR bit, VCPU_REQ_EVENT), then enters again. */
	const struct vlapic_msg ipi = { .vector = 0x51, .delivery = VLAPIC_DM_FIXED, .dest = 1, .src = 0 };
	vm_irq_deliver(vm, v0, &ipi);
	ck_assert_uint_ne(v1->requests & VCPU_REQ_EVENT, 0);
	vcpu_pre_entry(v0);
	ck_assert_uint_eq(hv.cpus[0].slice, SLICE);
	ck_assert_uint_eq(sched_cpu_arm(&hv.cpus[0], sim.host_tsc), T0 + SLICE);
}
END_TEST

/* A halted vCPU re-arms its timer (in its own turn) and halts again: the pCPU follows. */
START_TEST(test_rearmed_timer_of_a_halted_vcpu_moves_the_pcpu_timer)
{
	struct guest_fault f = { 0 };
	v1_halts_on_its_timer();
	uint64_t at;
	vcpu_queue_nmi(v0);
	ck_assert_ptr_eq(run_next(&at), v0);
	ck_assert_uint_eq(at, T0 + 50000);
	/* v0 exits and enters again and again: still v1's deadline. */
	sim.host_tsc = T0 + 10000;
	ck_assert_int_eq(exit_with(v0, EXIT_REASON_PREEMPTION_TIMER, 0), EXIT_ACTION_RESUME);
	ck_assert_ptr_eq(run_next(&at), v0);
	ck_assert_uint_eq(at, T0 + 50000);
	/* It fires: v1 runs, takes 0x43, arms a later deadline and halts again. */
	sim.host_tsc = T0 + 50000;
	ck_assert_int_eq(exit_with(v0, EXIT_REASON_PREEMPTION_TIMER, 0), EXIT_ACTION_YIELD);
	ck_assert_ptr_eq(run_next(&at), v1);
	ck_assert_uint_eq(sim_vcpu_hw(v1)->injected.vector, 0x43);
	ck_assert_int_eq(msr_write(v1, MSR_IA32_TSC_DEADLINE, T0 + 6090000, &f), 0);
	ck_assert_int_eq(exit_with(v1, EXIT_REASON_HLT, 1), EXIT_ACTION_HALT);
	/* v0's next entry: the new deadline in host time, no slice (v1 has nothing to take). */
	ck_assert_ptr_eq(run_next(&at), v0);
	ck_assert_uint_eq(hv.cpus[0].slice, 0);
	ck_assert_uint_eq(at, T0 + 90000);
}
END_TEST

/* A second VM on the pCPU: created and started, paused, destroyed, each seen at once. */
START_TEST(test_vm_life_on_the_pcpu_shows_at_the_next_entry)
{
	v1->state = VCPU_STATE_HALTED;
	uint64_t at;
	ck_assert_ptr_eq(run_next(&at), v0);
	ck_assert_uint_eq(hv.cpus[0].slice, 0);
	struct vm *w = sim_create_vm(&hv, "other", 1, false, 0x10000); /* affinity 0: pCPU 0 */
	ck_assert_ptr_nonnull(w);
	struct vcpu *w0 = &w->vcpus[0];
	ck_assert_uint_eq(w0->pcpu, 0);
	vcpu_pre_entry(v0);
	ck_assert_uint_eq(hv.cpus[0].slice, 0); /* created, not started: nothing to run */
	ck_assert_int_eq(vm_mgr_start(w), 0);
	vcpu_pre_entry(v0);
	ck_assert_uint_eq(hv.cpus[0].slice, SLICE); /* its BSP is runnable */
	/* Its BSP halts on a timer (what its pre-entry would leave): the pCPU's timer is its. */
	w0->state = VCPU_STATE_HALTED;
	w0->timer_deadline = T0 + 700;
	atomic_xchg32(&w0->requests, 0);
	sched_cpu_stale(&hv.cpus[0]); /* the test changed it by hand, as no path does */
	vcpu_pre_entry(v0);
	ck_assert_uint_eq(hv.cpus[0].slice, 0);
	ck_assert_uint_eq(hv.cpus[0].deadline, T0 + 700);
	/* Paused: not halted any more, but it has the pause's request to acknowledge. */
	ck_assert_int_eq(vm_mgr_pause(w), 0);
	vcpu_pre_entry(v0);
	ck_assert_uint_eq(hv.cpus[0].deadline, UINT64_MAX);
	ck_assert_uint_eq(hv.cpus[0].slice, SLICE);
	/* Destroyed: nothing of it is left in the decision. */
	ck_assert_int_eq(vm_mgr_destroy(w), 0);
	vcpu_pre_entry(v0);
	ck_assert_uint_eq(hv.cpus[0].slice, 0);
	ck_assert_uint_eq(hv.cpus[0].deadline, UINT64_MAX);
}
END_TEST

START_TEST(test_arm_takes_the_earlier)
{
	struct sched_cpu c = { .deadline = 5000, .slice = 1000, .slice_end = 0 };
	ck_assert_uint_eq(sched_cpu_arm(&c, 3000), 4000);   /* the slice ends first */
	ck_assert_uint_eq(c.slice_end, 4000);
	ck_assert_uint_eq(sched_cpu_arm(&c, 4500), 5000);   /* the timer is first */
	c.deadline = UINT64_MAX;
	ck_assert_uint_eq(sched_cpu_arm(&c, UINT64_MAX - 10), UINT64_MAX); /* saturated, no wrap */
	c.slice = 0;
	ck_assert_uint_eq(sched_cpu_arm(&c, 3000), UINT64_MAX);
	ck_assert_uint_eq(c.slice_end, UINT64_MAX);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("sched_slice");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_spinning_vcpu_yields_after_the_slice);
	tcase_add_test(tc, test_alone_on_the_pcpu_no_slice);
	tcase_add_test(tc, test_halted_timer_fires_on_a_busy_pcpu);
	tcase_add_test(tc, test_earliest_of_several_halted_timers);
	tcase_add_test(tc, test_pause_loop_exit_hands_the_pcpu_on);
	tcase_add_test(tc, test_request_to_a_parked_vcpu_shows_at_the_next_entry);
	tcase_add_test(tc, test_rearmed_timer_of_a_halted_vcpu_moves_the_pcpu_timer);
	tcase_add_test(tc, test_vm_life_on_the_pcpu_shows_at_the_next_entry);
	tcase_add_test(tc, test_arm_takes_the_earlier);
	suite_add_tcase(s, tc);
	return s;
}
