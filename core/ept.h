/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Extended page tables: one VM's guest-physical → host-physical map.
 *
 * Four levels (SDM Vol. 3C 29.3.2): level 4 = PML4, 3 = PDPT (may map a
 * 1 GiB page), 2 = PD (may map a 2 MiB page), 1 = PT (4 KiB pages). Tables
 * come from a struct pt_pool. The map is kept canonical: every entry that
 * could be a large page (aligned GPA and HPA, identical attributes over the
 * whole block) is one, and no table is empty. Every change either completes
 * or, on an error (pool exhausted, overlap), leaves the map untouched: the
 * pages an operation needs are counted by a dry run before anything changes.
 *
 * A change that removes or reduces a translation (or frees a table a CPU
 * may have cached) calls the owner's on_reduce hook once; for a VM that
 * marks every vCPU to invalidate before its next entry (vm_memory.c).
 *
 * VT-d second-level tables share this entry layout for bits 2:0 (R/W/X),
 * 7 (page size) and 51:12 (address): the entry helpers below and the range
 * engine in ept.c are written against those fields only, with the EPT-only
 * leaf attributes (memory type, ignore-PAT) passed in as opaque low bits.
 */
#ifndef TERN_EPT_H
#define TERN_EPT_H

#include <stdint.h>
#include <stdbool.h>
#include "pt_pool.h"

/* Entry bits, SDM Vol. 3C Tables 29-1 .. 29-6. */
#define EPT_R           (1ull << 0)
#define EPT_W           (1ull << 1)
#define EPT_X           (1ull << 2)
#define EPT_RWX         (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT    3
#define EPT_MT_MASK     (7ull << EPT_MT_SHIFT)   /* leaf memory type, 29.3.7 */
#define EPT_IPAT        (1ull << 6)              /* leaf: ignore guest PAT */
#define EPT_PS          (1ull << 7)              /* PDPTE/PDE: maps a page */
#define EPT_ACCESSED    (1ull << 8)
#define EPT_DIRTY       (1ull << 9)
#define EPT_ADDR_MASK   0x000ffffffffff000ull    /* bits 51:12 */
#define EPT_LEAF_ATTRS  (EPT_RWX | EPT_MT_MASK | EPT_IPAT)

#define EPT_LEVELS      4
#define EPT_GPA_BITS    48          /* 4-level EPT translates 48-bit GPAs */
#define EPT_ENTRIES     512u
#define EPT_PAGE_4K     0x1000ull
#define EPT_PAGE_2M     0x200000ull
#define EPT_PAGE_1G     0x40000000ull

/* EPT memory types (SDM 29.3.7, the PAT/MTRR encodings); 2, 3, 7 are invalid. */
enum ept_mtype {
	EPT_MT_UC = 0,
	EPT_MT_WC = 1,
	EPT_MT_WT = 4,
	EPT_MT_WP = 5,
	EPT_MT_WB = 6,
};

/* struct ept flags */
#define EPT_F_IGNORE_PAT (1u << 0)  /* set IPAT in every leaf this EPT writes */
#define EPT_F_1G         (1u << 1)  /* CPU supports 1 GiB pages (IA32_VMX_EPT_VPID_CAP bit 17) */
#define EPT_F_XONLY      (1u << 2)  /* CPU supports execute-only (EPT_VPID_CAP bit 0) */

/* IA32_VMX_EPT_VPID_CAP bits (SDM Vol. 3D A.10) that shape the map. */
#define EPT_CAP_XONLY   (1ull << 0)
#define EPT_CAP_1G      (1ull << 17)

/* struct ept flags for a CPU with this capability MSR (ignore-PAT not included). */
static inline uint32_t ept_flags_from_cap(uint64_t cap)
{
	return ((cap & EPT_CAP_XONLY) != 0 ? EPT_F_XONLY : 0u) | ((cap & EPT_CAP_1G) != 0 ? EPT_F_1G : 0u);
}

struct ept {
	struct pt_pool *pool;
	uint64_t *root;           /* the PML4 */
	uint64_t root_hpa;        /* for the EPTP */
	uint32_t flags;
	unsigned phys_bits;       /* MAXPHYADDR */
	uint64_t addr_mask;       /* address bits (MAXPHYADDR-1):12 */
	uint64_t rsvd_hi;         /* bits 51:MAXPHYADDR, reserved in every entry */
	uint64_t leaf_ok;         /* bit n: an entry with bits 5:0 == n is a valid leaf */
	/* For ept_walk's fast path: */
	uint64_t table_key;       /* pool base HPA | RWX */
	const uint8_t *pt_base;   /* the pool's pages and their number */
	uint64_t pt_npages;
	uint64_t page_limit;      /* 2^MAXPHYADDR: a 4 KiB leaf's bits 63:12 must be below */
	uint64_t leaf_ok_for[8];  /* per access: leaf_ok and permits the access */
	void (*on_reduce)(void *arg);
	void *on_reduce_arg;
	/* Times on_reduce was due: bumped (atomic_store64) after every change
	 * that removed or reduced a translation, so a translation cached under
	 * an older count is stale (guest_mem.c's per-pCPU cache). */
	uint64_t reductions;
};

/* Geometry of a level. */
static inline unsigned ept_level_shift(unsigned level) { return 12u + 9u * (level - 1u); }
static inline uint64_t ept_level_size(unsigned level) { return 1ull << ept_level_shift(level); }
static inline unsigned ept_index(uint64_t gpa, unsigned level)
{
	return (unsigned)(gpa >> ept_level_shift(level)) & (EPT_ENTRIES - 1u);
}

/* Entry accessors (SDM 29.3.2). An entry is present when any of R/W/X is set. */
static inline bool ept_entry_present(uint64_t e) { return (e & EPT_RWX) != 0; }
static inline bool ept_entry_is_leaf(uint64_t e, unsigned level)
{
	return level == 1 || (level < EPT_LEVELS && (e & EPT_PS) != 0);
}
static inline unsigned ept_entry_perms(uint64_t e) { return (unsigned)(e & EPT_RWX); }
static inline unsigned ept_entry_mtype(uint64_t e) { return (unsigned)((e & EPT_MT_MASK) >> EPT_MT_SHIFT); }
static inline bool ept_entry_ipat(uint64_t e) { return (e & EPT_IPAT) != 0; }
/* Address a leaf at this level maps (its low bits are reserved, 29.3.2). */
static inline uint64_t ept_entry_page(uint64_t e, unsigned level)
{
	return e & EPT_ADDR_MASK & ~(ept_level_size(level) - 1u);
}
/* Address of the next table (non-leaf entries). */
static inline uint64_t ept_entry_table(uint64_t e) { return e & EPT_ADDR_MASK; }

static inline bool ept_mtype_valid(unsigned mt)
{
	return mt == EPT_MT_UC || mt == EPT_MT_WC || mt == EPT_MT_WT || mt == EPT_MT_WP ||
	       mt == EPT_MT_WB;
}

/*
 * Set up an empty EPT with its root page from pool. phys_bits is the CPU's
 * MAXPHYADDR (36..52). -TERN_EINVAL on bad flags/width or a pool that lies
 * above MAXPHYADDR, -TERN_ENOMEM when the pool has no page.
 */
int ept_init(struct ept *ept, struct pt_pool *pool, uint32_t flags, unsigned phys_bits);
/* Free every table, the root included. */
void ept_destroy(struct ept *ept);

/*
 * Map [gpa, gpa+size) to [hpa, hpa+size) with prot (EPT_R/W/X) and memory
 * type. All three 4 KiB aligned, size > 0, gpa+size <= 2^48, hpa+size <=
 * 2^MAXPHYADDR; prot non-zero, not W without R, X-only only with EPT_F_XONLY.
 * -TERN_EINVAL for those, -TERN_EEXIST when any page of the range is already
 * mapped, -TERN_ENOMEM when the pool cannot hold the tables (found first,
 * either may be returned when both apply). On error the map is unchanged.
 */
int ept_map(struct ept *ept, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned prot,
	    enum ept_mtype mtype);
/*
 * Give the mapped pages of [gpa, gpa+size) new permissions and memory type;
 * unmapped holes are skipped (ACRN's MR_MODIFY semantics). Errors as ept_map.
 */
int ept_modify(struct ept *ept, uint64_t gpa, uint64_t size, unsigned prot, enum ept_mtype mtype);
/* Remove every mapping in [gpa, gpa+size); holes are fine. May need a table
 * to split a large page: -TERN_ENOMEM then, with the map unchanged. */
int ept_unmap(struct ept *ept, uint64_t gpa, uint64_t size);
/*
 * Clear W on the mapped pages of [gpa, gpa+size) (writes then cause EPT
 * violations, reported as write-protect IOREQs), or with _unprotect set W
 * again on those that are readable. Holes are skipped.
 */
int ept_write_protect(struct ept *ept, uint64_t gpa, uint64_t size);
int ept_write_unprotect(struct ept *ept, uint64_t gpa, uint64_t size);

/* Whether any leaf maps host memory overlapping [hpa, hpa+size) (a scan of
 * the whole tree: for configuration time, not exits). */
bool ept_maps_hpa(const struct ept *ept, uint64_t hpa, uint64_t size);

/* ---- walking ------------------------------------------------------------- */

enum ept_walk_status {
	EPT_WALK_MAPPED = 0,     /* translation exists and permits the access */
	EPT_WALK_VIOLATION,      /* not present, or the access is not permitted */
	EPT_WALK_MISCONFIG,      /* an entry on the walk is invalid (29.3.3.1) */
};

struct ept_walk_result {
	uint64_t hpa;      /* MAPPED: the translation of gpa */
	unsigned level;    /* level of entry */
	unsigned upper_perms; /* AND of R/W/X over the non-leaf entries: use ept_walk_perms() */
	uint64_t entry;    /* the leaf; VIOLATION: the last entry read; MISCONFIG: the bad one */
	uint64_t qual;     /* VIOLATION only: exit qualification bits 5:0 (Table 28-7) */
};

/* Access kinds for ept_walk: the exit-qualification bits 2:0. */
#define EPT_ACCESS_READ  1u
#define EPT_ACCESS_WRITE 2u
#define EPT_ACCESS_FETCH 4u

/*
 * Translate gpa as the CPU would for an access (EPT_ACCESS_* bits, may be 0
 * for "any present translation"). Returns the status; fills r.
 */
enum ept_walk_status ept_walk(const struct ept *ept, uint64_t gpa, unsigned access,
			      struct ept_walk_result *r);

static inline uint64_t ept_walk_page_size(const struct ept_walk_result *r)
{
	return ept_level_size(r->level);
}
/* R/W/X the walk allows: the AND over every entry read (29.3.3.2); 0 when
 * the walk ended at a not-present entry. MAPPED and VIOLATION results. */
static inline unsigned ept_walk_perms(const struct ept_walk_result *r)
{
	return r->upper_perms & (unsigned)r->entry & (unsigned)EPT_RWX;
}
static inline unsigned ept_walk_mtype(const struct ept_walk_result *r) { return ept_entry_mtype(r->entry); }
static inline bool ept_walk_ipat(const struct ept_walk_result *r) { return ept_entry_ipat(r->entry); }

/* Whether an entry at a level is invalid by SDM 29.3.3.1 (a misconfiguration). */
bool ept_entry_misconfigured(const struct ept *ept, uint64_t e, unsigned level);

/* ---- EPT-violation / misconfiguration exits ------------------------------ */

struct exit_record;

enum ept_fault_kind {
	EPT_FAULT_SPURIOUS = 0,  /* the map now permits the access (changed since): re-enter */
	EPT_FAULT_WRITE_PROTECT, /* write to a readable, write-protected page: IOREQ WP */
	EPT_FAULT_UNMAPPED,      /* no translation: MMIO emulation, else stop the VM */
	EPT_FAULT_PERMISSION,    /* mapped, access not permitted (not a WP write) */
	EPT_FAULT_MISCONFIG,     /* an invalid entry on the walk: Tern's bug, stop the VM */
};

struct ept_fault {
	enum ept_fault_kind kind;
	uint64_t gpa;
	unsigned access;         /* EPT_ACCESS_* of the faulting access */
	struct ept_walk_result walk;
};

/*
 * Classify an EPT-violation (48) or EPT-misconfiguration (49) exit against
 * the current map. -TERN_EINVAL for any other exit reason.
 */
int ept_classify_exit(const struct ept *ept, const struct exit_record *ex, struct ept_fault *out);
const char *ept_fault_kind_name(enum ept_fault_kind kind);

#endif
