/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A pool of 4 KiB page-table pages for one VM's EPT (and later its VT-d
 * second-level tables). The platform hands the VM one contiguous region at
 * creation (plat_pt_region); the pool hands out zeroed pages from it and
 * translates the host-physical addresses written into table entries back to
 * pointers, refusing any address outside the region.
 *
 * No malloc: the allocation bitmap is a fixed array inside the struct, so a
 * region may hold at most PT_POOL_MAX_PAGES pages (64 MiB of tables: enough
 * to map 32 GiB at 4 KiB granularity, far more with large pages).
 */
#ifndef TERN_PT_POOL_H
#define TERN_PT_POOL_H

#include <stdint.h>
#include <stdbool.h>

#define PT_PAGE_SIZE 4096u
#define PT_PAGE_SHIFT 12
#define PT_POOL_MAX_PAGES 16384u
#define PT_POOL_MAX_RETIRED 256u

/*
 * A table page taken out of the EPT while vCPUs may still hold it in their
 * paging-structure caches (docs/concurrency.md): it stays allocated, its
 * contents untouched, until every vCPU has invalidated. gen is the VM's
 * sync generation whose acknowledgement frees it; closed is false while
 * the change that retired it has not yet requested the invalidation.
 */
struct pt_retired {
	uint32_t page;
	uint32_t gen;
	bool closed;
};

struct pt_pool {
	uint8_t *base;           /* host pointer to page 0 */
	uint64_t base_hpa;       /* host-physical address of page 0 */
	uint64_t span;           /* npages * 4 KiB, for the bounds check */
	uint32_t npages;
	uint32_t in_use;
	uint32_t high_water;     /* most pages ever in use at once */
	uint32_t hint;           /* bitmap word to search first; every word below it is full */
	uint64_t used[PT_POOL_MAX_PAGES / 64]; /* bit set: page allocated */
	/* Deferred frees (pt_pool_retire), when `defer` is set by the pool's VM. */
	bool defer;
	uint32_t nretired;
	uint32_t leaked;         /* retired pages that found no slot: never reused */
	struct pt_retired retired[PT_POOL_MAX_RETIRED];
};

/*
 * @pre base points at npages * 4 KiB of memory the caller owns, 4 KiB
 * aligned, and base_hpa is its host-physical address (4 KiB aligned).
 * Returns -TERN_EINVAL for a misaligned or empty region, -TERN_E2BIG when
 * npages > PT_POOL_MAX_PAGES.
 */
int pt_pool_init(struct pt_pool *pool, void *base, uint64_t base_hpa, uint32_t npages);

/* A zeroed page and its HPA, or NULL when the pool is exhausted. */
void *pt_pool_alloc(struct pt_pool *pool, uint64_t *hpa);

/*
 * Return a page. -TERN_EINVAL when hpa is not a page of this pool,
 * -TERN_ENOENT when it is not allocated (double free).
 */
int pt_pool_free(struct pt_pool *pool, uint64_t hpa);

/*
 * A page the EPT no longer references. Without `defer` it is freed now
 * (pt_pool_free). With it, it stays allocated until pt_pool_reclaim()
 * learns that every vCPU invalidated after pt_pool_close(): a vCPU that
 * has not yet handled the invalidation may still walk it. When every slot
 * of the retired list is taken the page is never reused (counted in
 * `leaked`): safe, and loud in the statistics, rather than reused early.
 */
void pt_pool_retire(struct pt_pool *pool, uint64_t hpa);
/* The invalidation for every page retired so far is generation gen. */
void pt_pool_close(struct pt_pool *pool, uint32_t gen);
/* Every vCPU acknowledged generation `synced`: free what waited for it. */
void pt_pool_reclaim(struct pt_pool *pool, uint32_t synced);
/* No vCPU can hold anything of the pool any more (VM destroyed): free every retired page now. */
void pt_pool_release_retired(struct pt_pool *pool);

/* Pointer for an allocated-or-not page of the pool, NULL when hpa is outside
 * the region or not page aligned. */
static inline void *pt_pool_ptr(const struct pt_pool *pool, uint64_t hpa)
{
	uint64_t off = hpa - pool->base_hpa;
	if (off >= pool->span || (off & (PT_PAGE_SIZE - 1)) != 0)
		return (void *)0;
	return pool->base + off;
}

/* HPA of a pointer into the region (the inverse of pt_pool_ptr). */
uint64_t pt_pool_hpa(const struct pt_pool *pool, const void *page);

bool pt_pool_is_allocated(const struct pt_pool *pool, uint64_t hpa);
static inline uint32_t pt_pool_free_pages(const struct pt_pool *pool)
{
	return pool->npages - pool->in_use;
}

#endif
