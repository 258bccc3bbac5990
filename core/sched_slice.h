/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Time on a shared pCPU (docs/concurrency.md "Several vCPUs on one pCPU"):
 * the one host timer a pCPU arms while it runs a vCPU, and what happens
 * when it expires.
 *
 * A pCPU runs one vCPU at a time and has one host timer (the
 * VMX-preemption timer, SDM Vol. 3C 26.5.1). Before each entry core
 * computes when that timer must fire (sched_entry_deadline):
 *   - the entered vCPU's own timer_deadline (vcpu.h);
 *   - the earliest timer_deadline of this pCPU's other vCPUs that are
 *     halted on a timer: nobody else looks at them while the pCPU is
 *     busy, so their timers fire at their deadline, not at the running
 *     vCPU's next exit;
 *   - when another vCPU of this pCPU is eligible, the end of the time
 *     slice (SCHED_SLICE_PER_SEC): a vCPU that never exits (a spin loop
 *     waiting for a vCPU that shares its pCPU) leaves the pCPU then.
 * The platform arms the timer from that (sched_cpu_arm, with the host TSC
 * it reads when it arms). On the timer's exit core makes VCPU_REQ_TIMER on
 * the halted vCPUs whose deadline passed, and on it or a PAUSE-loop exit
 * yields the pCPU when another vCPU here is eligible (EXIT_ACTION_YIELD:
 * back to sched_next, whose round-robin cursor is past the running vCPU).
 *
 * The timer's exit does not ask whether it was the slice that ended: the
 * platforms ask sched_next after every exit and it alternates among the
 * eligible vCPUs, so each entry while another is eligible starts a fresh
 * slice, and a decision that compared the clock with slice_end (a TSC the
 * platform read, which no trace holds) could not be replayed.
 */
#ifndef TERN_SCHED_SLICE_H
#define TERN_SCHED_SLICE_H

#include <stdbool.h>
#include <stdint.h>
#include "vm.h"

/*
 * Slices per second of TSC: 1 ms. Long enough that the timer costs at
 * most a thousand extra exits a second (each a few microseconds: well
 * under 1% of the pCPU) and that a vCPU's caches stay warm over its turn;
 * short enough that a vCPU spinning on a lock or flag another vCPU of its
 * pCPU must set delays it by one millisecond per turn, the period of a
 * guest's 1000 Hz tick, so that the waiter's tick is not lost either.
 */
#define SCHED_SLICE_PER_SEC 1000u

/*
 * A vCPU of pCPU `c` changed while it may not be the one the pCPU runs,
 * in what the entry decision reads of it (state, requests, timer, what it
 * could take, its VM's slot): the pCPU's next entry decision walks its
 * vCPUs again (sched_cpu.others_*). Called after the change: the release
 * makes it visible to that walk. Callers: vcpu_make_request (every effect
 * one vCPU or the VM manager has on another), vcpu_init and vm_create
 * (a vCPU appears), vm_mgr_destroy (its VM's slot is gone), sched_next
 * waking a halted vCPU it then may not claim. Inline: every request pays it.
 */
static inline void sched_cpu_stale(struct sched_cpu *c)
{
	__atomic_store_n(&c->others_stale, 1u, __ATOMIC_RELEASE);
}

/*
 * At the end of vcpu_pre_entry, on the vCPU's own pCPU: sets
 * hv->cpus[vcpu->pcpu].deadline (host TSC: the earliest of the vCPU's own
 * timer_deadline and those of the pCPU's other vCPUs halted on a timer,
 * each guest deadline less its vCPU's TSC offset, modulo 2^64) and .slice
 * (the slice in host TSC ticks, at tern.tsc_hz or the default rate, when another vCPU of the pCPU is eligible,
 * else 0). Reads no clock. The other vCPUs' part is walked only when the
 * entered vCPU is not the one of the last decision or sched_cpu_stale was
 * called since (the same values as a walk at every entry: nothing else
 * changes another vCPU of the pCPU).
 */
void sched_entry_deadline(struct vcpu *vcpu);

/*
 * The platform, right before the entry, with the host TSC it reads then:
 * the host TSC at which its timer must fire, min(deadline, host_now +
 * slice), UINT64_MAX for no timer (no deadline, no slice). Records the
 * slice's end in slice_end.
 */
uint64_t sched_cpu_arm(struct sched_cpu *c, uint64_t host_now);

/*
 * Another vCPU of `self`'s pCPU would run if the pCPU were handed on:
 * runnable, with requests pending, or halted with something to take.
 * Changes nothing (sched_next makes the changes when it picks one).
 */
bool sched_other_eligible(const struct vcpu *self);

/*
 * The host timer expired (preemption-timer exit) or the guest spins
 * (PAUSE-loop exit), in `vcpu`'s exit on its pCPU: VCPU_REQ_TIMER on each
 * other vCPU of the pCPU halted on a timer whose deadline has passed (the
 * host TSC is read only when there is one), then true when the pCPU is to
 * be handed on (another vCPU is eligible): the exit's action is
 * EXIT_ACTION_YIELD.
 */
bool sched_timer_expired(struct vcpu *vcpu);

#endif
