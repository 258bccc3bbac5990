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

#define VMX_MISC_PREEMPT_RATE_MASK 0x1fu
#define VMCS_PREEMPTION_TIMER_VALUE 0x482e
#define HOST_TIMER_MAX 0xffffffffu

/*
 * The preemption-timer value that expires at guest_deadline (an absolute
 * guest TSC, UINT64_MAX = no timer): host TSC = guest TSC - tsc_offset
 * (SDM 25.6.5, modulo 2^64), counted from host_now in units of 2^rate TSC
 * ticks, rounded up and one unit more so that it never fires before the
 * deadline (at most 2^(rate+1) ticks after it), and saturated at
 * HOST_TIMER_MAX (no timer, or one further away than 32 bits reach: the
 * guest exits then and the timer is armed again). A deadline already
 * passed gives 0.
 */
uint32_t host_timer_value(uint64_t guest_deadline, uint64_t tsc_offset, uint64_t host_now,
			  unsigned rate);

#endif
