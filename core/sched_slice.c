/* SPDX-License-Identifier: BSD-3-Clause */
#include "sched_slice.h"
#include "atomic.h"
#include "intr.h"
#include "platform.h"
#include "request.h"
#include "scheduler.h"
#include "vm_irq.h"

/* The live slots of pCPU `cpu`'s vCPUs other than `self`, one at a time. */
static struct vcpu *next_other(struct tern *hv, const struct vcpu *self, uint64_t *live)
{
	while (*live) {
		uint32_t i = (uint32_t)__builtin_ctzll(*live); /* BSF/TZCNT inline, no libgcc */
		*live &= *live - 1u;
		struct vcpu *v = sched_slot(hv, i);
		if (v && v != self && v->pcpu == self->pcpu)
			return v;
	}
	return (struct vcpu *)0;
}

/* Halted until its timer: the host TSC of its deadline, else UINT64_MAX. */
static uint64_t halted_deadline(const struct vcpu *v)
{
	if (__atomic_load_n(&v->state, __ATOMIC_RELAXED) != VCPU_STATE_HALTED ||
	    v->timer_deadline == UINT64_MAX)
		return UINT64_MAX;
	return v->timer_deadline - v->msr.tsc_offset; /* modulo 2^64, as the platform's (host_timer.h) */
}

static bool would_run(const struct vcpu *v)
{
	enum vcpu_state s = __atomic_load_n(&v->state, __ATOMIC_RELAXED);
	return s == VCPU_STATE_RUNNABLE || vcpu_has_requests(v) ||
	       (s == VCPU_STATE_HALTED && intr_can_wake(v));
}

bool sched_other_eligible(const struct vcpu *self)
{
	struct tern *hv = self->vm->hv;
	uint64_t live = atomic_load64(&hv->live_slots);
	for (struct vcpu *v; (v = next_other(hv, self, &live));)
		if (would_run(v))
			return true;
	return false;
}

void sched_entry_deadline(struct vcpu *vcpu)
{
	struct tern *hv = vcpu->vm->hv;
	struct sched_cpu *c = &hv->cpus[vcpu->pcpu];
	uint64_t d = vcpu->timer_deadline == UINT64_MAX ? UINT64_MAX
							: vcpu->timer_deadline - vcpu->msr.tsc_offset;
	bool other = false;
	uint64_t live = atomic_load64(&hv->live_slots);
	for (struct vcpu *v; (v = next_other(hv, vcpu, &live));) {
		uint64_t h = halted_deadline(v);
		if (h < d)
			d = h;
		other = other || would_run(v);
	}
	c->deadline = d;
	/* The host TSC runs at the guests' rate (offsetting, no scaling: msr.h). */
	c->slice = other ? vm_irq_tsc_hz(vcpu->vm) / SCHED_SLICE_PER_SEC : 0;
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
	uint64_t live = atomic_load64(&hv->live_slots);
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
