/* SPDX-License-Identifier: BSD-3-Clause */
#include "host_timer.h"

/* A vCPU of pCPU `cpu` halted until its timer (the scheduler's "waiting"). */
static struct vcpu *waiting(const struct tern *hv, unsigned vm_i, unsigned vcpu_i, uint16_t cpu)
{
	const struct vm *vm = &hv->vms[vm_i];
	if (vm->state == VM_STATE_POWERED_OFF || vcpu_i >= vm->config.vcpu_count)
		return (struct vcpu *)0;
	struct vcpu *v = (struct vcpu *)&vm->vcpus[vcpu_i];
	if (v->pcpu != cpu || v->state != VCPU_STATE_HALTED || v->timer_deadline == UINT64_MAX)
		return (struct vcpu *)0;
	return v;
}

uint64_t host_timer_idle_deadline(const struct tern *hv, uint16_t cpu)
{
	uint64_t earliest = UINT64_MAX;
	for (unsigned i = 0; i < TERN_MAX_VMS; i++) {
		for (unsigned j = 0; j < TERN_MAX_VCPUS; j++) {
			const struct vcpu *v = waiting(hv, i, j, cpu);
			if (v && v->timer_deadline - v->msr.tsc_offset < earliest)
				earliest = v->timer_deadline - v->msr.tsc_offset;
		}
	}
	return earliest;
}

unsigned host_timer_expire(struct tern *hv, uint16_t cpu, uint64_t now, host_timer_expired_fn *expired)
{
	unsigned n = 0;
	for (unsigned i = 0; i < TERN_MAX_VMS; i++) {
		for (unsigned j = 0; j < TERN_MAX_VCPUS; j++) {
			struct vcpu *v = waiting(hv, i, j, cpu);
			if (v && v->timer_deadline - v->msr.tsc_offset <= now) {
				expired(v, now);
				n++;
			}
		}
	}
	return n;
}

uint32_t host_timer_oneshot_count(uint64_t delta_tsc, uint64_t rate_q32)
{
	/* 128-bit product: a multiply instruction, no libgcc call. */
	unsigned __int128 p = (unsigned __int128)delta_tsc * rate_q32;
	unsigned __int128 ticks = (p >> 32) + ((p & 0xffffffffu) != 0) + 1u;
	return ticks > HOST_TIMER_MAX ? HOST_TIMER_MAX : (uint32_t)ticks;
}

uint32_t host_timer_pin_ctls(uint32_t pin, uint32_t dynamic, uint64_t guest_deadline)
{
	uint32_t on = guest_deadline != UINT64_MAX ? dynamic & VMXC_PIN_PREEMPTION_TIMER : 0;
	return (pin & ~(uint32_t)VMXC_PIN_PREEMPTION_TIMER) | on;
}

uint32_t host_timer_value(uint64_t guest_deadline, uint64_t tsc_offset, uint64_t host_now,
			  unsigned rate)
{
	if (guest_deadline == UINT64_MAX)
		return HOST_TIMER_MAX;
	/*
	 * Unsigned: a deadline that maps below host_now has passed; one that
	 * wraps to far ahead (a guest TSC below its offset) saturates, which
	 * costs one early exit, never a storm of immediate ones.
	 */
	uint64_t host_deadline = guest_deadline - tsc_offset;
	if (host_deadline <= host_now)
		return 0;
	rate &= VMX_MISC_PREEMPT_RATE_MASK;
	uint64_t delta = host_deadline - host_now;
	/*
	 * The timer decrements each time TSC bit `rate` changes (SDM
	 * 26.5.1), so its first unit may be short: one unit more than the
	 * rounded-up quotient keeps it from firing before the deadline.
	 */
	uint64_t ticks = (delta >> rate) + ((delta & ((1ull << rate) - 1u)) != 0) + 1u;
	return ticks > HOST_TIMER_MAX ? HOST_TIMER_MAX : (uint32_t)ticks;
}
