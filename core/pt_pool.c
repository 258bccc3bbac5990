/* SPDX-License-Identifier: BSD-3-Clause */
#include "pt_pool.h"
#include "err.h"

int pt_pool_init(struct pt_pool *pool, void *base, uint64_t base_hpa, uint32_t npages)
{
	if (base == (void *)0 || npages == 0 || ((uintptr_t)base & (PT_PAGE_SIZE - 1)) != 0 ||
	    (base_hpa & (PT_PAGE_SIZE - 1)) != 0)
		return -TERN_EINVAL;
	if (npages > PT_POOL_MAX_PAGES)
		return -TERN_E2BIG;
	/* The region's last byte must not wrap the physical address space. */
	if (base_hpa + (uint64_t)npages * PT_PAGE_SIZE < base_hpa)
		return -TERN_EINVAL;
	pool->base = base;
	pool->base_hpa = base_hpa;
	pool->span = (uint64_t)npages * PT_PAGE_SIZE;
	pool->npages = npages;
	pool->in_use = 0;
	pool->high_water = 0;
	pool->hint = 0;
	for (uint32_t i = 0; i < PT_POOL_MAX_PAGES / 64; i++)
		pool->used[i] = 0;
	pool->defer = false;
	pool->nretired = 0;
	pool->leaked = 0;
	return 0;
}

static void zero_page(void *page)
{
	uint64_t *q = page;
	for (unsigned i = 0; i < PT_PAGE_SIZE / 8; i++)
		q[i] = 0;
}

void *pt_pool_alloc(struct pt_pool *pool, uint64_t *hpa)
{
	uint32_t words = (pool->npages + 63) / 64;
	if (pool->in_use == pool->npages)
		return (void *)0;
	/*
	 * Every bitmap word below the hint is full: an allocation moves the
	 * hint only up to the word it took a page from (the words it skipped
	 * were full), and pt_pool_free lowers it to the word of the page it
	 * frees. So the lowest free page is at or after the hint, and the
	 * search never needs to wrap.
	 */
	for (uint32_t w = pool->hint; w < words; w++) {
		uint64_t freebits = ~pool->used[w];
		if (w == words - 1 && (pool->npages & 63) != 0)
			freebits &= (1ull << (pool->npages & 63)) - 1;
		if (freebits == 0)
			continue;
		unsigned bit = (unsigned)__builtin_ctzll(freebits);
		uint32_t page = w * 64 + bit;
		pool->used[w] |= 1ull << bit;
		pool->hint = w;
		pool->in_use++;
		if (pool->in_use > pool->high_water)
			pool->high_water = pool->in_use;
		void *p = pool->base + (uint64_t)page * PT_PAGE_SIZE;
		zero_page(p);
		*hpa = pool->base_hpa + (uint64_t)page * PT_PAGE_SIZE;
		return p;
	}
	return (void *)0; /* unreachable while in_use matches the bitmap */
}

static int page_index(const struct pt_pool *pool, uint64_t hpa, uint32_t *index)
{
	uint64_t off = hpa - pool->base_hpa;
	if (off >= pool->span || (off & (PT_PAGE_SIZE - 1)) != 0)
		return -TERN_EINVAL;
	*index = (uint32_t)(off >> PT_PAGE_SHIFT);
	return 0;
}

int pt_pool_free(struct pt_pool *pool, uint64_t hpa)
{
	uint32_t i;
	int rc = page_index(pool, hpa, &i);
	if (rc != 0)
		return rc;
	uint64_t bit = 1ull << (i & 63);
	if ((pool->used[i / 64] & bit) == 0)
		return -TERN_ENOENT;
	pool->used[i / 64] &= ~bit;
	pool->in_use--;
	if (i / 64 < pool->hint)
		pool->hint = i / 64;
	return 0;
}

uint64_t pt_pool_hpa(const struct pt_pool *pool, const void *page)
{
	return pool->base_hpa + (uint64_t)((const uint8_t *)page - pool->base);
}

bool pt_pool_is_allocated(const struct pt_pool *pool, uint64_t hpa)
{
	uint32_t i;
	if (page_index(pool, hpa, &i) != 0)
		return false;
	return (pool->used[i / 64] >> (i & 63)) & 1u;
}

void pt_pool_retire(struct pt_pool *pool, uint64_t hpa)
{
	uint32_t i;
	if (!pool->defer) {
		(void)pt_pool_free(pool, hpa);
		return;
	}
	if (page_index(pool, hpa, &i) != 0 || !pt_pool_is_allocated(pool, hpa))
		return;
	if (pool->nretired == PT_POOL_MAX_RETIRED) {
		pool->leaked++;
		return;
	}
	pool->retired[pool->nretired++] = (struct pt_retired){ i, 0, false };
}

void pt_pool_close(struct pt_pool *pool, uint32_t gen)
{
	for (uint32_t n = 0; n < pool->nretired; n++) {
		if (!pool->retired[n].closed) {
			pool->retired[n].gen = gen;
			pool->retired[n].closed = true;
		}
	}
}

void pt_pool_reclaim(struct pt_pool *pool, uint32_t synced)
{
	uint32_t kept = 0;
	for (uint32_t n = 0; n < pool->nretired; n++) {
		struct pt_retired r = pool->retired[n];
		/* Generations wrap: reached when the distance is under half the range. */
		if (r.closed && (int32_t)(synced - r.gen) >= 0)
			(void)pt_pool_free(pool, pool->base_hpa + (uint64_t)r.page * PT_PAGE_SIZE);
		else
			pool->retired[kept++] = r;
	}
	pool->nretired = kept;
}

void pt_pool_release_retired(struct pt_pool *pool)
{
	for (uint32_t n = 0; n < pool->nretired; n++)
		(void)pt_pool_free(pool, pool->base_hpa + (uint64_t)pool->retired[n].page * PT_PAGE_SIZE);
	pool->nretired = 0;
	pool->defer = false;
}
