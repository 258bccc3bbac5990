/* SPDX-License-Identifier: BSD-3-Clause */
#include "host_timer.h"

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
