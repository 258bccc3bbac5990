/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Atomics for state that another CPU reads or writes: vCPU request bits,
 * the "in guest" flag, acknowledgement generations, and guest
 * paging-structure entries whose accessed/dirty bits the hypervisor sets on
 * the guest's behalf (page_walk.c) while the guest's other vCPUs may change
 * them. Built on the compiler's __atomic built-ins, which GCC and clang
 * expand inline for naturally aligned 8/16/32/64-bit objects on x86-64
 * (LOCK-prefixed or XCHG instructions, SDM Vol. 3A 9.1.2.2), so core stays
 * freestanding: no libc, no libatomic call (harness/check_core_symbols.sh
 * checks it).
 *
 * Every operation here is sequentially consistent: the request protocol
 * (request.h) relies on "set the bit, then read the flag" on one CPU and
 * "set the flag, then read the bits" on the other never both missing each
 * other, which needs a full barrier (x86 reorders a store after a later
 * load, SDM Vol. 3A 9.2.3.4).
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

static inline uint32_t atomic_load32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static inline void atomic_store32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static inline uint64_t atomic_load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

/* *p |= bits; returns the old value. */
static inline uint64_t atomic_or64(uint64_t *p, uint64_t bits)
{
	return __atomic_fetch_or(p, bits, __ATOMIC_SEQ_CST);
}

static inline void atomic_store64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/* *p |= bits; returns the old value. */
static inline uint32_t atomic_or32(uint32_t *p, uint32_t bits)
{
	return __atomic_fetch_or(p, bits, __ATOMIC_SEQ_CST);
}

/* *p &= ~bits; returns the old value. */
static inline uint32_t atomic_clear32(uint32_t *p, uint32_t bits)
{
	return __atomic_fetch_and(p, ~bits, __ATOMIC_SEQ_CST);
}

/* *p = v; returns the old value. */
static inline uint32_t atomic_xchg32(uint32_t *p, uint32_t v)
{
	return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}

/* *p += v; returns the new value. */
static inline uint32_t atomic_add32(uint32_t *p, uint32_t v)
{
	return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}

/*
 * Ordering for data published through a flag in shared memory (the IOREQ
 * slot's state, ioreq.c): a release fence keeps earlier loads and stores
 * before a later store of the flag; an acquire fence keeps a load of the
 * flag before the loads after it. No instruction on x86-64 (TSO, SDM Vol.
 * 3A 9.2.2), but the compiler may not move accesses across them.
 */
static inline void atomic_release_fence(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void atomic_acquire_fence(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

/* A full barrier (MFENCE on x86-64). */
static inline void atomic_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * A spin lock, for the one piece of vCPU state two CPUs must both change:
 * its scheduling state (vcpu->state, pause_mask, paused_state), which the
 * owner sets at the end of every exit and the VM manager sets on pause,
 * resume and stop. Held for a few instructions, never across a call that
 * can take another lock. PAUSE in the loop (SDM Vol. 2B, PAUSE: "improves
 * the performance of spin-wait loops").
 */
struct tern_lock {
	uint32_t held;
};

static inline void tern_lock(struct tern_lock *l)
{
	while (__atomic_exchange_n(&l->held, 1u, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->held, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline void tern_unlock(struct tern_lock *l)
{
	__atomic_store_n(&l->held, 0u, __ATOMIC_RELEASE);
}

#endif
