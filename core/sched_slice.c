/* SPDX-License-Identifier: BSD-3-Clause */
#include "sched_slice.h"
#include "atomic.h"
#include "intr.h"
#include "platform.h"
#include "request.h"
#include "scheduler.h"

/* The live slots (hv->live_slots) but `self`'s: the walks below look at those only. */
static uint64_t others(struct tern *hv, const struct vcpu *self)
{
	return atomic_load64(&hv->live_slots) & ~(1ull << (self->vm->id * TERN_MAX_VCPUS + self->id));
}

/* The vCPUs of `self`'s pCPU among the slots in *live, one at a time. */
static inline struct vcpu *next_other(struct tern *hv, const struct vcpu *self, uint64_t *live)
{
	while (*live) {
		uint32_t i = (uint32_t)__builtin_ctzll(*live); /* BSF/TZCNT inline, no libgcc */
		*live &= *live - 1u;
		struct vcpu *v = sched_slot(hv, i);
		if (v && v->pcpu == self->pcpu)
			return v;
	}
	return (struct vcpu *)0;
}

/* Halted until its timer: the host TSC of its deadline, else UINT64_MAX. */
static inline __attribute__((always_inline)) uint64_t halted_deadline(const struct vcpu *v)
{
	if (__atomic_load_n(&v->state, __ATOMIC_RELAXED) != VCPU_STATE_HALTED ||
	    v->timer_deadline == UINT64_MAX)
		return UINT64_MAX;
	return v->timer_deadline - v->msr.tsc_offset; /* modulo 2^64, as the platform's (host_timer.h) */
}

/* The cheap tests first: most vCPUs that would run are simply runnable. */
static inline __attribute__((always_inline)) bool would_run(const struct vcpu *v)
{
	enum vcpu_state s = __atomic_load_n(&v->state, __ATOMIC_RELAXED);
	if (s == VCPU_STATE_RUNNABLE)
		return true;
	return vcpu_has_requests(v) || (s == VCPU_STATE_HALTED && intr_can_wake(v));
}

/*
 * The slice in host TSC ticks: the host's rate as the platform measured it
 * (tern.tsc_hz), else the default the VMs' timers assume. A pCPU's vCPUs
 * may belong to VMs whose CPUID tells other rates; the slice is the
 * pCPU's time, not a guest's.
 */
static uint64_t slice_ticks(const struct tern *hv)
{
	return (hv->tsc_hz ? hv->tsc_hz : TERN_DEFAULT_TSC_HZ) / SCHED_SLICE_PER_SEC;
}

bool sched_other_eligible(const struct vcpu *self)
{
	struct tern *hv = self->vm->hv;
	uint64_t live = others(hv, self);
	for (struct vcpu *v; (v = next_other(hv, self, &live));)
		if (would_run(v))
			return true;
	return false;
}

/* The decision from the entered vCPU's own timer and the others' summary. */
static inline __attribute__((always_inline)) void entry_finish(struct sched_cpu *c,
								const struct vcpu *vcpu)
{
	uint64_t d = vcpu->timer_deadline == UINT64_MAX ? UINT64_MAX
							: vcpu->timer_deadline - vcpu->msr.tsc_offset;
	c->deadline = d < c->others_deadline ? d : c->others_deadline;
	c->slice = c->others_slice;
}

/*
 * The walk over the pCPU's other vCPUs, into c->others_*: the halted ones'
 * deadlines, and whether one would run (then the slice). Out of line: the
 * entry decision takes it only when the summary is stale. The flag is
 * taken first, so a change made during the walk makes the next entry walk
 * again.
 */
static __attribute__((noinline)) void entry_walk(struct tern *hv, struct sched_cpu *c,
						 struct vcpu *vcpu)
{
	c->others_of = vcpu;
	(void)__atomic_exchange_n(&c->others_stale, 0u, __ATOMIC_ACQ_REL);
	uint64_t d = UINT64_MAX;
	bool other = false;
	uint64_t live = others(hv, vcpu);
	for (struct vcpu *v; (v = next_other(hv, vcpu, &live));) {
		uint64_t h = halted_deadline(v);
		if (h < d)
			d = h;
		if (!other)
			other = would_run(v);
	}
	c->others_deadline = d;
	/* tern.tsc_hz is set before any VM is created, and a creation marks the summary stale. */
	c->others_slice = other ? slice_ticks(hv) : 0;
	entry_finish(c, vcpu);
}

void sched_entry_deadline(struct vcpu *vcpu)
{
	struct tern *hv = vcpu->vm->hv;
	struct sched_cpu *c = vcpu->cpu;
	/*
	 * The others change only through what marks the summary stale, or by
	 * running here, which makes another vCPU the entered one: re-entering
	 * the same vCPU with nothing marked (the steady state) walks nothing.
	 */
	if (c->others_of != vcpu || __atomic_load_n(&c->others_stale, __ATOMIC_ACQUIRE)) {
		entry_walk(hv, c, vcpu);
		return;
	}
	entry_finish(c, vcpu);
}

uint64_t sched_cpu_arm(struct sched_cpu *c, uint64_t host_now)
{
	c->slice_end = UINT64_MAX;
	if (c->slice)
		c->slice_end = host_now + c->slice < host_now ? UINT64_MAX : host_now + c->slice;
	return c->slice_end < c->deadline ? c->slice_end : c->deadline;
}

bool sched_timer_expired(struct vcpu *vcpu)
{
	struct tern *hv = vcpu->vm->hv;
	uint64_t live = others(hv, vcpu);
	uint64_t now = 0;
	bool have_now = false;
	for (struct vcpu *v; (v = next_other(hv, vcpu, &live));) {
		uint64_t h = halted_deadline(v);
		if (h == UINT64_MAX)
			continue;
		/* The clock only when a timer may have expired: timer-less traces read none. */
		if (!have_now) {
			now = plat_host_tsc();
			have_now = true;
		}
		if (h <= now)
			vcpu_make_request(v, VCPU_REQ_TIMER);
	}
	return sched_other_eligible(vcpu);
}
