/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host timer of a pCPU while it runs a vCPU: the VMX-preemption timer
 * (SDM Vol. 3C 26.5.1 "VMX-Preemption Timer"). It counts down from the
 * VMCS value at the TSC rate divided by 2^rate, rate = IA32_VMX_MISC bits
 * 4:0 (SDM Appendix A.6), and exits (reason 52) at 0; a value of 0 exits
 * before the guest executes an instruction (SDM 26.7.4).
 */
#ifndef TERN_X86_HOST_TIMER_H
#define TERN_X86_HOST_TIMER_H

#include <stdint.h>
#include "vm.h"
#include "vmx_controls.h"

#define VMX_MISC_PREEMPT_RATE_MASK 0x1fu
#define VMCS_PREEMPTION_TIMER_VALUE 0x482e
#define HOST_TIMER_MAX 0xffffffffu

/*
 * The preemption-timer value that expires at guest_deadline (an absolute
 * guest TSC, UINT64_MAX = no timer; run.c passes the pCPU's host-TSC
 * deadline, core/sched_slice.h, with tsc_offset 0): host TSC = guest TSC - tsc_offset
 * (SDM 25.6.5, modulo 2^64), counted from host_now in units of 2^rate TSC
 * ticks, rounded up and one unit more so that it never fires before the
 * deadline (at most 2^(rate+1) ticks after it), and saturated at
 * HOST_TIMER_MAX (no timer, or one further away than 32 bits reach: the
 * guest exits then and the timer is armed again). A deadline already
 * passed gives 0.
 */
uint32_t host_timer_value(uint64_t guest_deadline, uint64_t tsc_offset, uint64_t host_now,
			  unsigned rate);

/*
 * The pin-based controls for the next entry: "activate VMX-preemption
 * timer" on exactly when the entry has a deadline (guest_deadline !=
 * UINT64_MAX) and core's set lists the control as dynamic (`dynamic`, its
 * dynamic[VMXC_PIN]: the CPU allows it both ways), off otherwise, so a
 * vCPU without a timer takes no timer exits at all. Every other bit is
 * `pin` as it is.
 */
uint32_t host_timer_pin_ctls(uint32_t pin, uint32_t dynamic, uint64_t guest_deadline);

/*
 * An idle pCPU (run.c: sched_next found nothing to enter) whose vCPUs are
 * halted with a timer armed (vcpu->timer_deadline, scheduler.h: "waiting,
 * not stuck") wakes for the earliest of them with its host LAPIC timer on
 * X86_VEC_TIMER (lapic.h). These decide when, and whom it wakes.
 *
 * host_timer_idle_deadline: the earliest host TSC (guest deadline -
 * tsc_offset, modulo 2^64 as in host_timer_value) among the vCPUs the
 * pCPU `cpu` owns that are halted with a deadline; UINT64_MAX: none (the
 * pCPU waits for a kick only).
 */
uint64_t host_timer_idle_deadline(const struct tern *hv, uint16_t cpu);

/*
 * After the wait, at host TSC `now`: for each such vCPU whose host
 * deadline is at or before `now`, expired(vcpu, now), which makes
 * VCPU_REQ_TIMER on it (core/vm_irq.c vcpu_timers_advance does the rest at
 * its next pre-entry) and, in the recording build, its `timer` record.
 * Returns how many expired.
 */
typedef void host_timer_expired_fn(struct vcpu *vcpu, uint64_t now);
unsigned host_timer_expire(struct tern *hv, uint16_t cpu, uint64_t now, host_timer_expired_fn *expired);

/*
 * The host LAPIC timer's one-shot initial count for a wait of delta_tsc
 * TSC ticks, from the calibrated rate: rate_q32 LAPIC timer ticks (divide
 * by 1) per 2^32 TSC ticks. Rounded up and one tick more so that it never
 * fires before the deadline (the timer may be early by a part of its first
 * tick, as the preemption timer); at least 1 (an initial count of 0 stops
 * the timer, SDM Vol. 3A 11.5.4); saturated at 0xffffffff (the pCPU wakes
 * early and arms again).
 */
uint32_t host_timer_oneshot_count(uint64_t delta_tsc, uint64_t rate_q32);

#endif
