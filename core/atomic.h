/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Atomics for memory another CPU may write at the same time: here, guest
 * paging-structure entries whose accessed/dirty bits the hypervisor sets on
 * the guest's behalf (page_walk.c) while the guest's other vCPUs may change
 * them. Built on the compiler's __atomic built-ins, which GCC and clang
 * expand inline for naturally aligned 32/64-bit objects on x86-64 (LOCK
 * CMPXCHG, SDM Vol. 3A 9.1.2.2), so core stays freestanding: no libc, no
 * libatomic call (harness/check_core_symbols.sh checks it).
 */
#ifndef TERN_ATOMIC_H
#define TERN_ATOMIC_H

#include <stdint.h>
#include <stdbool.h>

/*
 * If *p == *expected, store desired and return true; else load the current
 * value into *expected and return false. Sequentially consistent, as the
 * processor's own locked A/D updates are (SDM Vol. 3A 4.8).
 * @pre p is naturally aligned.
 */
static inline bool atomic_cmpxchg32(uint32_t *p, uint32_t *expected, uint32_t desired)
{
	return __atomic_compare_exchange_n(p, expected, desired, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

static inline bool atomic_cmpxchg64(uint64_t *p, uint64_t *expected, uint64_t desired)
{
	return __atomic_compare_exchange_n(p, expected, desired, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

#endif
