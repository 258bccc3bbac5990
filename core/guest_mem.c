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
/* len <= GMEM_MAX_LEN: at most two pages, however the access is aligned. */
#define GMEM_MAX_PIECES 2u

struct piece {
	uint8_t *hva;
	size_t len;
};

/*
 * Translate [gpa, gpa+len) page by page for the access (EPT_ACCESS_*).
 * -TERN_EACCES only for a write whose every page is readable and one is
 * write-protected; every other refusal is -TERN_EFAULT.
 */
static int resolve(struct vm *vm, uint64_t gpa, size_t len, unsigned access,
		   struct piece p[GMEM_MAX_PIECES], unsigned *np, uint64_t *wp_gpa)
{
	int ret = 0;
	bool wp = false;
	*np = 0;
	if (len == 0 || len > GMEM_MAX_LEN || gpa + len < gpa)
		return len == 0 ? 0 : -TERN_EFAULT;
	while (len > 0 && ret == 0) {
		struct ept_walk_result r;
		size_t n = GMEM_PAGE - GMEM_PAGE_OFF(gpa);
		if (n > len)
			n = len;
		if (ept_walk(&vm->ept, gpa, access, &r) != EPT_WALK_MAPPED) {
			/* A write to a readable page: write protection, if the
			 * whole access is otherwise there to be done. */
			bool readable = (access & EPT_ACCESS_WRITE) &&
					ept_walk(&vm->ept, gpa, EPT_ACCESS_READ, &r) == EPT_WALK_MAPPED;
			if (!readable)
				ret = -TERN_EFAULT;
			else if (!wp && wp_gpa)
				*wp_gpa = gpa & ~(uint64_t)(GMEM_PAGE - 1u);
			wp = wp || readable;
		}
		if (ret == 0 && (p[*np].hva = plat_hpa_map(r.hpa, n)) == (void *)0)
			ret = -TERN_EFAULT;
		p[(*np)++].len = n;
		gpa += n;
		len -= n;
	}
	return ret ? ret : wp ? -TERN_EACCES : 0;
}

static int read_access(struct vm *vm, uint64_t gpa, void *dst, size_t len, unsigned access)
{
	struct piece p[GMEM_MAX_PIECES];
	unsigned np;
	int ret = resolve(vm, gpa, len, access, p, &np, (uint64_t *)0);
	if (ret != 0) {
		plat_trace_gmem(vm, gpa, (const void *)0, len, GMEM_TRACE_READ_FAULT);
		return ret;
	}
	size_t done = 0;
	for (unsigned i = 0; i < np; i++) {
		tern_memcpy((uint8_t *)dst + done, p[i].hva, p[i].len);
		done += p[i].len;
	}
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

int gmem_write_wp(struct vm *vm, uint64_t gpa, const void *src, size_t len, uint64_t *wp_gpa)
{
	struct piece p[GMEM_MAX_PIECES];
	unsigned np;
	int ret = resolve(vm, gpa, len, EPT_ACCESS_WRITE, p, &np, wp_gpa);
	if (ret != 0)
		return ret;
	size_t done = 0;
	for (unsigned i = 0; i < np; i++) {
		tern_memcpy(p[i].hva, (const uint8_t *)src + done, p[i].len);
		done += p[i].len;
	}
	plat_trace_gmem(vm, gpa, src, len, GMEM_TRACE_WRITE);
	return 0;
}

int gmem_write(struct vm *vm, uint64_t gpa, const void *src, size_t len)
{
	return gmem_write_wp(vm, gpa, src, len, (uint64_t *)0);
}

int gmem_check(struct vm *vm, uint64_t gpa, size_t len, bool write, uint64_t *wp_gpa)
{
	struct piece p[GMEM_MAX_PIECES];
	unsigned np;
	return resolve(vm, gpa, len, write ? EPT_ACCESS_WRITE : EPT_ACCESS_READ, p, &np, wp_gpa);
}

int gmem_cmpxchg(struct vm *vm, uint64_t gpa, unsigned size, uint64_t *expected, uint64_t desired,
		 uint64_t *wp_gpa)
{
	struct piece p[GMEM_MAX_PIECES];
	unsigned np;
	if ((size != 4 && size != 8) || (gpa & (size - 1u)) != 0)
		return -TERN_EINVAL;
	/* Naturally aligned: one page, one host mapping. */
	int ret = resolve(vm, gpa, size, EPT_ACCESS_WRITE, p, &np, wp_gpa);
	if (ret != 0)
		return ret;
	bool swapped;
	if (size == 4) {
		uint32_t old = (uint32_t)*expected;
		swapped = atomic_cmpxchg32((uint32_t *)(void *)p[0].hva, &old, (uint32_t)desired);
		*expected = swapped ? *expected : old;
	} else {
		swapped = atomic_cmpxchg64((uint64_t *)(void *)p[0].hva, expected, desired);
	}
	if (!swapped)
		return -TERN_EAGAIN;
	uint8_t bytes[8];
	for (unsigned i = 0; i < size; i++)
		bytes[i] = (uint8_t)(desired >> (8 * i));
	plat_trace_gmem(vm, gpa, bytes, size, GMEM_TRACE_WRITE);
	return 0;
}
