/* SPDX-License-Identifier: BSD-3-Clause */
#include "guest_mem.h"
#include "atomic.h"
#include "ept.h"
#include "err.h"
#include "lib.h"
#include "platform.h"
#include "vm.h"

#define GMEM_PAGE 4096u
#define GMEM_PAGE_OFF(a) ((a) & (GMEM_PAGE - 1u))

/*
 * len <= GMEM_MAX_LEN: at most two pages, however the access is aligned.
 * The second piece is empty (len 0) for an access within one page.
 */
struct pieces {
	uint8_t *hva[2];
	size_t len[2];
};

/*
 * Translate one page's piece [gpa, gpa+n) through the EPT and cache the
 * page when the platform maps it whole. Returns the piece's host address,
 * or NULL: not mapped for the access, or (*wp set) a write to a readable,
 * write-protected page whose host mapping failed.
 */
__attribute__((noinline)) static uint8_t *walk_fill(struct vm *vm, struct gmem_tlb_entry *e,
						    uint64_t gpa, size_t n, unsigned access,
						    uint64_t gen, bool *wp)
{
	struct ept_walk_result r;
	if (ept_walk(&vm->ept, gpa, access, &r) != EPT_WALK_MAPPED) {
		/* A write to a readable page: write protection, if the whole
		 * access is otherwise there to be done. */
		*wp = (access & EPT_ACCESS_WRITE) &&
		      ept_walk(&vm->ept, gpa, EPT_ACCESS_READ, &r) == EPT_WALK_MAPPED;
		return *wp ? plat_hpa_map(r.hpa, n) : (uint8_t *)0;
	}
	uint8_t *page = plat_hpa_map(r.hpa - GMEM_PAGE_OFF(r.hpa), GMEM_PAGE);
	if (page == (uint8_t *)0)
		return plat_hpa_map(r.hpa, n);
	e->gfn = gpa / GMEM_PAGE;
	e->gen = gen;
	e->hva = page;
	e->perms = ept_walk_perms(&r);
	return page + GMEM_PAGE_OFF(gpa);
}

/* Whether the entry holds the page for the access: cached, not before the
 * last reduction, with permissions that allow it (EPT_ACCESS_* are the
 * EPT_R/W/X bits). */
static inline bool tlb_hit(const struct gmem_tlb_entry *e, uint64_t gen, uint64_t gpa,
			   unsigned access)
{
	return ((e->gfn ^ (gpa / GMEM_PAGE)) | (e->gen ^ gen) | (access & ~e->perms)) == 0;
}

/* The page's cached host address for the access, or NULL (tlb_hit). */
static inline uint8_t *tlb_lookup(const struct gmem_tlb_entry *e, uint64_t gen, uint64_t gpa,
				  unsigned access)
{
	return tlb_hit(e, gen, gpa, access) ? e->hva + GMEM_PAGE_OFF(gpa) : (uint8_t *)0;
}

/*
 * One page's piece [gpa, gpa+n): from this pCPU's cache, else walked (and
 * cached). *hva is its host address; returns 0, -TERN_EFAULT, or
 * -TERN_EACCES for a write to a readable, write-protected page (*wp_gpa,
 * when given, is then the page).
 */
__attribute__((always_inline)) static inline int one_page(struct vm *vm, struct gmem_tlb *tlb,
							  uint64_t gen, uint64_t gpa, size_t n,
							  unsigned access, uint8_t **hva,
							  uint64_t *wp_gpa)
{
	struct gmem_tlb_entry *e = &tlb->e[(gpa / GMEM_PAGE) % GMEM_TLB_ENTRIES];
	bool wp = false;
	*hva = tlb_lookup(e, gen, gpa, access);
	if (*hva == (uint8_t *)0)
		*hva = walk_fill(vm, e, gpa, n, access, gen, &wp);
	if (*hva == (uint8_t *)0)
		return -TERN_EFAULT;
	if (!wp)
		return 0;
	if (wp_gpa)
		*wp_gpa = gpa & ~(uint64_t)(GMEM_PAGE - 1u);
	return -TERN_EACCES;
}

/*
 * Translate [gpa, gpa+len) page by page for the access (EPT_ACCESS_*),
 * every page before any byte moves; the second piece is empty for an
 * access within one page. -TERN_EACCES only for a write whose every page
 * is readable and one is write-protected (*wp_gpa: the first); every other
 * refusal is -TERN_EFAULT. Every access but a cache hit within one page
 * (resolve, below) comes here: a bad length, a miss, a page crossing.
 */
__attribute__((noinline)) static int resolve_walk(struct vm *vm, struct gmem_tlb *tlb,
						  uint64_t gen, uint64_t gpa, size_t len,
						  unsigned access, struct pieces *p,
						  uint64_t *wp_gpa)
{
	if (len == 0 || len > GMEM_MAX_LEN || gpa + len < gpa) {
		p->hva[0] = p->hva[1] = (uint8_t *)0;
		p->len[0] = p->len[1] = 0;
		return len == 0 ? 0 : -TERN_EFAULT;
	}
	size_t first = GMEM_PAGE - GMEM_PAGE_OFF(gpa);
	p->len[0] = first < len ? first : len;
	p->len[1] = len - p->len[0];
	int ret = one_page(vm, tlb, gen, gpa, p->len[0], access, &p->hva[0], wp_gpa);
	p->hva[1] = p->hva[0];
	if (ret == -TERN_EFAULT || p->len[1] == 0)
		return ret;
	/* The first write-protected page is the one reported. */
	int ret2 = one_page(vm, tlb, gen, gpa + p->len[0], p->len[1], access, &p->hva[1],
			    ret != 0 ? (uint64_t *)0 : wp_gpa);
	return ret2 == -TERN_EFAULT || ret == 0 ? ret2 : ret;
}

/*
 * As resolve_walk, which it is for every access but the common one: 1 to
 * GMEM_MAX_LEN bytes within one page this pCPU has cached for the access,
 * decided inline by the same test one_page's lookup makes (tlb_hit), with
 * the same result resolve_walk would give it. Its one test of the length
 * (len - 1 below the bytes left in the page: 0 wraps and fails) also rules
 * out a range that wraps around the address space, since no page at its
 * top is ever cached (ept_walk maps no GPA at or above 2^48).
 */
__attribute__((always_inline)) static inline int resolve(struct vm *vm, uint64_t gpa, size_t len,
							 unsigned access, struct pieces *p,
							 uint64_t *wp_gpa)
{
	struct gmem_tlb *tlb = &vm->gmem_tlb[(size_t)plat_cpu_id() % TERN_MAX_PCPUS];
	/* Read before any walk: a reduction after it makes what this access
	 * fills stale at once (guest_mem.h). Loaded after plat_cpu_id(), so
	 * that no register holds it across the call. */
	uint64_t gen = atomic_load64(&vm->ept.reductions);
	const struct gmem_tlb_entry *e = &tlb->e[(gpa / GMEM_PAGE) % GMEM_TLB_ENTRIES];
	if (len - 1u < GMEM_PAGE - GMEM_PAGE_OFF(gpa) && tlb_hit(e, gen, gpa, access)) {
		p->hva[0] = p->hva[1] = e->hva + GMEM_PAGE_OFF(gpa);
		p->len[0] = len;
		p->len[1] = 0;
		return 0;
	}
	/* Filled apart, so that the caller's pieces stay in registers on a hit. */
	struct pieces walked;
	int ret = resolve_walk(vm, tlb, gen, gpa, len, access, &walked, wp_gpa);
	*p = walked;
	return ret;
}

static int read_access(struct vm *vm, uint64_t gpa, void *dst, size_t len, unsigned access)
{
	struct pieces p;
	int ret = resolve(vm, gpa, len, access, &p, (uint64_t *)0);
	if (ret != 0) {
		plat_trace_gmem(vm, gpa, (const void *)0, len, GMEM_TRACE_READ_FAULT);
		return ret;
	}
	tern_memcpy(dst, p.hva[0], p.len[0]);
	if (p.len[1] != 0)
		tern_memcpy((uint8_t *)dst + p.len[0], p.hva[1], p.len[1]);
	plat_trace_gmem(vm, gpa, dst, len, GMEM_TRACE_READ);
	return 0;
}

int gmem_read(struct vm *vm, uint64_t gpa, void *dst, size_t len)
{
	return read_access(vm, gpa, dst, len, EPT_ACCESS_READ);
}

int gmem_fetch(struct vm *vm, uint64_t gpa, void *dst, size_t len)
{
	return read_access(vm, gpa, dst, len, EPT_ACCESS_FETCH);
}

/* Inline in both: gmem_write (wp_gpa NULL) was a jump into gmem_write_wp. */
__attribute__((always_inline)) static inline int write_access(struct vm *vm, uint64_t gpa,
							      const void *src, size_t len,
							      uint64_t *wp_gpa)
{
	struct pieces p;
	int ret = resolve(vm, gpa, len, EPT_ACCESS_WRITE, &p, wp_gpa);
	if (ret != 0)
		return ret;
	tern_memcpy(p.hva[0], src, p.len[0]);
	if (p.len[1] != 0)
		tern_memcpy(p.hva[1], (const uint8_t *)src + p.len[0], p.len[1]);
	plat_trace_gmem(vm, gpa, src, len, GMEM_TRACE_WRITE);
	return 0;
}

int gmem_write_wp(struct vm *vm, uint64_t gpa, const void *src, size_t len, uint64_t *wp_gpa)
{
	return write_access(vm, gpa, src, len, wp_gpa);
}

int gmem_write(struct vm *vm, uint64_t gpa, const void *src, size_t len)
{
	return write_access(vm, gpa, src, len, (uint64_t *)0);
}

int gmem_check(struct vm *vm, uint64_t gpa, size_t len, bool write, uint64_t *wp_gpa)
{
	struct pieces p;
	return resolve(vm, gpa, len, write ? EPT_ACCESS_WRITE : EPT_ACCESS_READ, &p, wp_gpa);
}

int gmem_cmpxchg(struct vm *vm, uint64_t gpa, unsigned size, uint64_t *expected, uint64_t desired,
		 uint64_t *wp_gpa)
{
	struct pieces p;
	if ((size != 4 && size != 8) || (gpa & (size - 1u)) != 0)
		return -TERN_EINVAL;
	/* Naturally aligned: one page, one host mapping. */
	int ret = resolve(vm, gpa, size, EPT_ACCESS_WRITE, &p, wp_gpa);
	if (ret != 0)
		return ret;
	bool swapped;
	if (size == 4) {
		uint32_t old = (uint32_t)*expected;
		swapped = atomic_cmpxchg32((uint32_t *)(void *)p.hva[0], &old, (uint32_t)desired);
		*expected = swapped ? *expected : old;
	} else {
		swapped = atomic_cmpxchg64((uint64_t *)(void *)p.hva[0], expected, desired);
	}
	if (!swapped)
		return -TERN_EAGAIN;
	uint8_t bytes[8];
	for (unsigned i = 0; i < size; i++)
		bytes[i] = (uint8_t)(desired >> (8 * i));
	plat_trace_gmem(vm, gpa, bytes, size, GMEM_TRACE_WRITE);
	return 0;
}
