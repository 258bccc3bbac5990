/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest-physical memory as core reaches it: every access is translated by
 * the VM's EPT (ept_walk, honouring its R/W/X permissions, SDM Vol. 3C
 * 29.3.3.2, or that walk's cached result, below) to a host-physical
 * address, and the platform maps that host page (plat_hpa_map), refusing
 * anything that is not host RAM. Nothing in core
 * reads or writes guest memory any other way, so what a VM (or the
 * hypervisor on its behalf) can touch is exactly what its EPT maps.
 *
 * An access may cross pages; each page is translated on its own (adjacent
 * guest pages need not be adjacent in host memory), every page before any
 * byte moves, so that a failed access copies nothing.
 *
 * Returns 0, or:
 *   -TERN_EFAULT  some byte is not mapped for the access (no translation,
 *                 not permitted, or not host RAM the platform maps);
 *   -TERN_EACCES  a write: every page is mapped readable but one is
 *                 write-protected (readable, not writable). A hypervisor-
 *                 emulated guest write then becomes a WP IOREQ, as the
 *                 guest's own write would (ept_exit.c); *wp_gpa (when
 *                 given) is that page's guest-physical address.
 * Each access is reported to the platform's trace sink (plat_trace_gmem).
 * @pre len <= GMEM_MAX_LEN.
 *
 * Translation cache. The EPT walk and the host mapping of a page are kept,
 * per VM and per pCPU (struct gmem_tlb, one writer: the pCPU that uses
 * it), as the page's host address and the R/W/X the walk allowed, tagged
 * with the EPT's reduction count (ept.reductions). Any change that removes
 * or reduces a translation bumps that count, so the next access after it
 * walks again: it faults, or reaches the page the EPT maps now. Changes
 * that only add (a new mapping, more permissions) need no invalidation: a
 * page not cached, or an access its cached permissions do not allow, walks.
 * Every access compares the count, so a cached translation outlives a
 * change only for an access already under way on another pCPU when it was
 * made, exactly as an uncached walk followed by its copy would: the window
 * the acknowledgement protocol covers (docs/concurrency.md; a vCPU
 * acknowledges outside exit handling, with no access in progress).
 */
#ifndef TERN_GUEST_MEM_H
#define TERN_GUEST_MEM_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

struct vm;

#define GMEM_MAX_LEN 4096u

/* Cached translations per VM and pCPU: direct-mapped by guest page number.
 * An exit touches a few pages (hypercall parameters, the instruction, the
 * guest's paging structures); 8 keeps a 4-level walk plus its data. */
#define GMEM_TLB_ENTRIES 8u

struct gmem_tlb_entry {
	uint64_t gfn;        /* guest-physical page number */
	uint64_t gen;        /* ept.reductions when it was filled */
	uint8_t *hva;        /* the platform's mapping of the whole host page */
	unsigned perms;      /* EPT_R/W/X the walk allowed; 0: empty */
};

/*
 * In struct vm, zeroed (every entry empty) with the VM at its creation and
 * its destruction, the only times its EPT is made anew (ept_init counts
 * reductions from 0 again): a VM created in a destroyed VM's slot finds
 * none of its translations.
 */

struct gmem_tlb {
	struct gmem_tlb_entry e[GMEM_TLB_ENTRIES];
};

int gmem_read(struct vm *vm, uint64_t gpa, void *dst, size_t len);
/* An instruction fetch: the pages must be executable (not readable). */
int gmem_fetch(struct vm *vm, uint64_t gpa, void *dst, size_t len);
int gmem_write(struct vm *vm, uint64_t gpa, const void *src, size_t len);
int gmem_write_wp(struct vm *vm, uint64_t gpa, const void *src, size_t len, uint64_t *wp_gpa);

/* Whether the access could be made (as above), moving nothing. */
int gmem_check(struct vm *vm, uint64_t gpa, size_t len, bool write, uint64_t *wp_gpa);

/*
 * Compare-and-swap of a naturally aligned 4- or 8-byte value (a guest
 * paging-structure entry): if it still holds *expected, desired is stored
 * atomically; otherwise *expected receives the current value and
 * -TERN_EAGAIN is returned. Other errors as gmem_write_wp; -TERN_EINVAL for
 * a bad size or alignment.
 */
int gmem_cmpxchg(struct vm *vm, uint64_t gpa, unsigned size, uint64_t *expected, uint64_t desired,
		 uint64_t *wp_gpa);

#endif
