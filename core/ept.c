/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EPT construction, change and walk. See ept.h for the invariants.
 */
#include "ept.h"
#include "atomic.h"
#include "ept_qual.h"
#include "exit.h"
#include "err.h"
#include "lib.h"

#define EPT_GPA_LIMIT (1ull << EPT_GPA_BITS)

/* ---- validity (SDM Vol. 3C 29.3.3.1) ------------------------------------- */

/* Bits 2:0 values that are invalid in any present entry: write without read
 * (010b, 110b) and, without execute-only support, 100b. */
static bool rwx_invalid(const struct ept *ept, unsigned rwx)
{
	if (rwx == EPT_W || rwx == (EPT_W | EPT_X))
		return true;
	return rwx == EPT_X && (ept->flags & EPT_F_XONLY) == 0;
}

/* Reserved bits below the address: a large leaf's bits (size-1):12 (Tables
 * 29-2 and 29-4), a non-leaf's bits 7:3 (PML4E) or 6:3 (PDPTE, PDE). */
static uint64_t rsvd_low(unsigned level, bool leaf)
{
	if (leaf)
		return level == 1 ? 0 : (ept_level_size(level) - 1u) & ~(EPT_PAGE_4K - 1u);
	return level == EPT_LEVELS ? 0xf8u : 0x78u;
}

bool ept_entry_misconfigured(const struct ept *ept, uint64_t e, unsigned level)
{
	if (!ept_entry_present(e))
		return false;
	if (rwx_invalid(ept, (unsigned)(e & EPT_RWX)))
		return true;
	if ((e & ept->rsvd_hi) != 0)
		return true;
	bool leaf = ept_entry_is_leaf(e, level);
	/* A 1 GiB page where the CPU has none: bit 7 of the PDPTE is reserved. */
	if (leaf && level == 3 && (ept->flags & EPT_F_1G) == 0)
		return true;
	if ((e & rsvd_low(level, leaf)) != 0)
		return true;
	return leaf && !ept_mtype_valid(ept_entry_mtype(e));
}

int ept_init(struct ept *ept, struct pt_pool *pool, uint32_t flags, unsigned phys_bits)
{
	if ((flags & ~(EPT_F_IGNORE_PAT | EPT_F_1G | EPT_F_XONLY)) != 0 || phys_bits < 36 ||
	    phys_bits > 52)
		return -TERN_EINVAL;
	/* The fast walk trusts that a table entry pointing into the pool has no
	 * reserved address bits: the pool must lie below MAXPHYADDR. */
	if (phys_bits < 64 && pool->base_hpa + pool->span > (1ull << phys_bits))
		return -TERN_EINVAL;
	uint64_t root_hpa;
	uint64_t *root = pt_pool_alloc(pool, &root_hpa);
	if (root == (void *)0)
		return -TERN_ENOMEM;
	ept->pool = pool;
	ept->root = root;
	ept->root_hpa = root_hpa;
	ept->flags = flags;
	ept->phys_bits = phys_bits;
	ept->addr_mask = EPT_ADDR_MASK & ((1ull << phys_bits) - 1u);
	ept->rsvd_hi = EPT_ADDR_MASK & ~ept->addr_mask;
	ept->leaf_ok = 0;
	for (unsigned n = 0; n < 64; n++) {
		unsigned rwx = n & 7u, mt = n >> 3;
		if (rwx != 0 && !rwx_invalid(ept, rwx) && ept_mtype_valid(mt))
			ept->leaf_ok |= 1ull << n;
	}
	for (unsigned access = 0; access < 8; access++) {
		ept->leaf_ok_for[access] = 0;
		for (unsigned n = 0; n < 64; n++)
			if ((ept->leaf_ok >> n) & 1u && (access & ~n & EPT_RWX) == 0)
				ept->leaf_ok_for[access] |= 1ull << n;
	}
	ept->table_key = pool->base_hpa | EPT_RWX;
	ept->pt_base = pool->base;
	ept->pt_npages = pool->npages;
	ept->page_limit = 1ull << phys_bits;
	ept->on_reduce = (void (*)(void *))0;
	ept->on_reduce_arg = (void *)0;
	ept->reductions = 0;
	return 0;
}

static void free_subtree(struct ept *ept, uint64_t *table, unsigned level)
{
	if (level > 1) {
		for (unsigned i = 0; i < EPT_ENTRIES; i++) {
			uint64_t e = table[i];
			if (!ept_entry_present(e) || ept_entry_is_leaf(e, level))
				continue;
			uint64_t *child = pt_pool_ptr(ept->pool, ept_entry_table(e));
			if (child != (void *)0)
				free_subtree(ept, child, level - 1);
		}
	}
	pt_pool_retire(ept->pool, pt_pool_hpa(ept->pool, table));
}

void ept_destroy(struct ept *ept)
{
	if (ept->root != (void *)0)
		free_subtree(ept, ept->root, EPT_LEVELS);
	ept->root = (void *)0;
	ept->root_hpa = 0;
}

/* ---- the range engine -----------------------------------------------------
 *
 * One recursive walk over [lo, hi) does every kind of change. It runs twice:
 * a dry run that reads the tree (and the entries a split would produce)
 * without writing, counting the tables the change needs and finding
 * conflicts; then, only if the pool has that many pages free, the real run.
 * On the way back up, each table the change touched is collapsed when it has
 * become empty or a uniform block a large page can map.
 */

enum range_kind { RANGE_MAP, RANGE_MODIFY, RANGE_UNMAP };

struct range_op {
	enum range_kind kind;
	bool dry;
	bool reduced;           /* a present translation changed or a table was freed */
	uint64_t gpa;           /* first byte of the whole request */
	uint64_t hpa;           /* RANGE_MAP: HPA of gpa */
	uint64_t attrs;         /* RANGE_MAP: leaf attribute bits */
	uint64_t clear, set;    /* RANGE_MODIFY: new = (old & ~clear) | set */
	bool set_needs_read;    /* RANGE_MODIFY: apply only to readable leaves */
	uint32_t need;          /* tables to allocate (dry run) */
};

/* What the dry run sees in a table: a real table, the entries a large leaf
 * would split into, or nothing (a table not yet allocated). */
struct view {
	uint64_t *table;
	uint64_t large;      /* when table is NULL: the leaf being split, or 0 */
};

static bool leaf_allowed(const struct ept *ept, unsigned level)
{
	return level == 1 || level == 2 || (level == 3 && (ept->flags & EPT_F_1G) != 0);
}

static uint64_t make_leaf(uint64_t addr, uint64_t attrs, unsigned level)
{
	return addr | attrs | (level > 1 ? EPT_PS : 0);
}

/* Entry i of the table that splitting large (a leaf at level+1) produces. */
static uint64_t split_entry(uint64_t large, unsigned level, unsigned i)
{
	uint64_t attrs = large & ~EPT_ADDR_MASK & ~EPT_PS;
	uint64_t addr = ept_entry_page(large, level + 1) + (uint64_t)i * ept_level_size(level);
	return make_leaf(addr, attrs, level);
}

static uint64_t view_read(const struct view *v, unsigned level, unsigned i)
{
	if (v->table != (void *)0)
		return v->table[i];
	if (v->large != 0)
		return split_entry(v->large, level, i);
	return 0;
}

/* Link a new table below *slot: empty, or holding the split of the leaf in *slot. */
static uint64_t *new_table(struct ept *ept, uint64_t *slot, unsigned child_level)
{
	uint64_t hpa;
	uint64_t *t = pt_pool_alloc(ept->pool, &hpa);
	if (t == (void *)0)
		return (void *)0;
	uint64_t old = *slot;
	if (ept_entry_present(old))
		for (unsigned i = 0; i < EPT_ENTRIES; i++)
			t[i] = split_entry(old, child_level, i);
	*slot = hpa | EPT_RWX;
	return t;
}

/*
 * After a change below *slot (a table of child_level entries): free it when
 * empty, or replace it with one leaf when its entries are uniform leaves that
 * an aligned large page at the slot's level maps exactly.
 */
static void collapse(struct ept *ept, struct range_op *op, uint64_t *slot, uint64_t *child,
		     unsigned child_level)
{
	uint64_t e0 = child[0];
	unsigned level = child_level + 1;
	bool empty = !ept_entry_present(e0);
	bool uniform = !empty && ept_entry_is_leaf(e0, child_level) && leaf_allowed(ept, level) &&
		       (ept_entry_page(e0, child_level) & (ept_level_size(level) - 1u)) == 0;
	uint64_t step = ept_level_size(child_level);
	for (unsigned i = 1; i < EPT_ENTRIES && (empty || uniform); i++) {
		uint64_t e = child[i];
		if (empty && ept_entry_present(e))
			empty = false;
		if (uniform && e != e0 + (uint64_t)i * step)
			uniform = false;
	}
	if (!empty && !uniform)
		return;
	*slot = empty ? 0 : make_leaf(ept_entry_page(e0, child_level), e0 & EPT_LEAF_ATTRS, level);
	pt_pool_retire(ept->pool, pt_pool_hpa(ept->pool, child));
	/* A CPU may hold the freed table in its paging-structure caches. */
	op->reduced = true;
}

static uint64_t modified(const struct range_op *op, uint64_t e)
{
	if (op->set_needs_read && (e & EPT_R) == 0)
		return e;
	return (e & ~op->clear) | op->set;
}

static int range(struct ept *ept, struct range_op *op, const struct view *v, unsigned level,
		 uint64_t lo, uint64_t hi)
{
	uint64_t sz = ept_level_size(level);
	/* Nothing below an absent table can conflict or need a table at level 1
	 * (a map into an empty PT writes leaves only). */
	if (op->dry && v->table == (void *)0 && v->large == 0 && level == 1)
		return 0;
	/* Mapping 4 KiB pages for real: the dry run found every entry of
	 * [lo, hi) (all in this one table) absent, so write them in one go. */
	if (level == 1 && op->kind == RANGE_MAP && !op->dry) {
		uint64_t leaf = make_leaf(op->hpa + (lo - op->gpa), op->attrs, 1);
		uint64_t *t = &v->table[ept_index(lo, 1)];
		for (uint64_t n = (hi - lo) >> 12, k = 0; k < n; k++)
			t[k] = leaf + (k << 12);
		return 0;
	}
	for (uint64_t cur = lo; cur < hi;) {
		uint64_t base = cur & ~(sz - 1u);
		uint64_t end = base + sz < hi ? base + sz : hi;
		bool full = cur == base && end == base + sz;
		unsigned i = ept_index(cur, level);
		uint64_t e = view_read(v, level, i);
		uint64_t *slot = v->table != (void *)0 ? &v->table[i] : (uint64_t *)0;
		bool present = ept_entry_present(e);
		bool leaf = present && ept_entry_is_leaf(e, level);
		struct view sub = { (uint64_t *)0, 0 };
		uint64_t start = cur;
		bool descend = false;
		cur = end;

		switch (op->kind) {
		case RANGE_MAP: {
			uint64_t hpa = op->hpa + (base - op->gpa); /* used when full */
			if (leaf)
				return -TERN_EEXIST;
			if (!present && full && leaf_allowed(ept, level) && (hpa & (sz - 1u)) == 0) {
				/* This entry and every further whole one of the range in
				 * this table: leaves, all where nothing is mapped. */
				uint64_t more = (hi - cur) / sz;
				if (more > EPT_ENTRIES - 1u - i)
					more = EPT_ENTRIES - 1u - i;
				for (unsigned k = 1; k <= more; k++)
					if (view_read(v, level, i + k) != 0)
						return -TERN_EEXIST;
				if (!op->dry)
					for (unsigned k = 0; k <= more; k++)
						slot[k] = make_leaf(hpa + k * sz, op->attrs, level);
				cur += more * sz;
				continue;
			}
			descend = true;
			break;
		}
		case RANGE_MODIFY:
			if (!present)
				continue;
			if (leaf) {
				uint64_t n = modified(op, e);
				if (n == e)
					continue;
				if (full) {
					if (!op->dry) {
						*slot = n;
						op->reduced = true;
					}
					continue;
				}
			}
			descend = true;
			break;
		case RANGE_UNMAP:
			if (!present)
				continue;
			if (full) {
				if (!op->dry) {
					uint64_t *child = leaf ? (uint64_t *)0
							       : pt_pool_ptr(ept->pool, ept_entry_table(e));
					*slot = 0;
					if (child != (void *)0)
						free_subtree(ept, child, level - 1);
					op->reduced = true;
				}
				continue;
			}
			descend = true;
			break;
		}
		if (!descend)
			continue;

		/* Go one level down: into the existing table, or a new one (empty,
		 * or the split of a large leaf). */
		if (op->dry) {
			if (present && !leaf) {
				sub.table = pt_pool_ptr(ept->pool, ept_entry_table(e));
				if (sub.table == (void *)0)
					return -TERN_EIO; /* corrupted entry: not ours */
			} else {
				/* Stop counting once the pool cannot cover it: bounds the
				 * dry run of a huge request by the pool's size. */
				if (++op->need > pt_pool_free_pages(ept->pool))
					return -TERN_ENOMEM;
				sub.large = leaf ? e : 0;
			}
			int rc = range(ept, op, &sub, level - 1, start, end);
			if (rc != 0)
				return rc;
			continue;
		}
		if (present && !leaf) {
			sub.table = pt_pool_ptr(ept->pool, ept_entry_table(e));
			if (sub.table == (void *)0)
				return -TERN_EIO;
		} else {
			sub.table = new_table(ept, slot, level - 1);
			if (sub.table == (void *)0)
				return -TERN_ENOMEM; /* the dry run said it would fit */
		}
		int rc = range(ept, op, &sub, level - 1, start, end);
		if (rc != 0)
			return rc;
		collapse(ept, op, slot, sub.table, level - 1);
	}
	return 0;
}

static int run(struct ept *ept, struct range_op *op, uint64_t gpa, uint64_t size)
{
	struct view root = { ept->root, 0 };
	op->gpa = gpa;
	op->dry = true;
	op->need = 0;
	op->reduced = false;
	/* The dry run fails with -TERN_ENOMEM as soon as the tables it counts
	 * exceed the pool's free pages, so past it the real run cannot run out. */
	int rc = range(ept, op, &root, EPT_LEVELS, gpa, gpa + size);
	if (rc != 0)
		return rc;
	op->dry = false;
	rc = range(ept, op, &root, EPT_LEVELS, gpa, gpa + size);
	if (op->reduced) {
		/* After the entries changed: a translation cached under the old
		 * count (guest_mem.c) is not used again. One writer (the caller
		 * holds the VM's memory), readers on other pCPUs. */
		atomic_store64(&ept->reductions, ept->reductions + 1u);
		if (ept->on_reduce != (void (*)(void *))0)
			ept->on_reduce(ept->on_reduce_arg);
	}
	return rc;
}

static bool range_valid(uint64_t gpa, uint64_t size)
{
	return size != 0 && ((gpa | size) & (EPT_PAGE_4K - 1u)) == 0 && gpa < EPT_GPA_LIMIT &&
	       size <= EPT_GPA_LIMIT - gpa;
}

static bool prot_valid(const struct ept *ept, unsigned prot)
{
	return prot != 0 && (prot & ~(unsigned)EPT_RWX) == 0 && !rwx_invalid(ept, prot);
}

static uint64_t leaf_attrs(const struct ept *ept, unsigned prot, enum ept_mtype mtype)
{
	return (uint64_t)prot | ((uint64_t)mtype << EPT_MT_SHIFT) |
	       ((ept->flags & EPT_F_IGNORE_PAT) != 0 ? EPT_IPAT : 0);
}

int ept_map(struct ept *ept, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned prot,
	    enum ept_mtype mtype)
{
	if (!range_valid(gpa, size) || (hpa & (EPT_PAGE_4K - 1u)) != 0 ||
	    hpa > ept->addr_mask || size > ept->addr_mask + EPT_PAGE_4K - hpa ||
	    !prot_valid(ept, prot) || !ept_mtype_valid(mtype))
		return -TERN_EINVAL;
	struct range_op op = { .kind = RANGE_MAP, .hpa = hpa, .attrs = leaf_attrs(ept, prot, mtype) };
	return run(ept, &op, gpa, size);
}

int ept_modify(struct ept *ept, uint64_t gpa, uint64_t size, unsigned prot, enum ept_mtype mtype)
{
	if (!range_valid(gpa, size) || !prot_valid(ept, prot) || !ept_mtype_valid(mtype))
		return -TERN_EINVAL;
	struct range_op op = { .kind = RANGE_MODIFY, .clear = EPT_LEAF_ATTRS,
			       .set = leaf_attrs(ept, prot, mtype) };
	return run(ept, &op, gpa, size);
}

int ept_unmap(struct ept *ept, uint64_t gpa, uint64_t size)
{
	if (!range_valid(gpa, size))
		return -TERN_EINVAL;
	struct range_op op = { .kind = RANGE_UNMAP };
	return run(ept, &op, gpa, size);
}

int ept_write_protect(struct ept *ept, uint64_t gpa, uint64_t size)
{
	if (!range_valid(gpa, size))
		return -TERN_EINVAL;
	struct range_op op = { .kind = RANGE_MODIFY, .clear = EPT_W };
	return run(ept, &op, gpa, size);
}

int ept_write_unprotect(struct ept *ept, uint64_t gpa, uint64_t size)
{
	if (!range_valid(gpa, size))
		return -TERN_EINVAL;
	/* W only where R is set: W without R would be a misconfiguration. */
	struct range_op op = { .kind = RANGE_MODIFY, .set = EPT_W, .set_needs_read = true };
	return run(ept, &op, gpa, size);
}

static bool scan_hpa(const struct ept *ept, const uint64_t *t, unsigned level, uint64_t hpa,
		     uint64_t end)
{
	for (unsigned i = 0; i < EPT_ENTRIES; i++) {
		uint64_t e = t[i];
		if (!ept_entry_present(e))
			continue;
		if (ept_entry_is_leaf(e, level)) {
			uint64_t page = ept_entry_page(e, level);
			if (page < end && hpa < page + ept_level_size(level))
				return true;
			continue;
		}
		const uint64_t *c = pt_pool_ptr(ept->pool, ept_entry_table(e));
		if (c != (void *)0 && scan_hpa(ept, c, level - 1, hpa, end))
			return true;
	}
	return false;
}

bool ept_maps_hpa(const struct ept *ept, uint64_t hpa, uint64_t size)
{
	uint64_t end = hpa + size < hpa ? ~0ull : hpa + size;
	return ept->root != (void *)0 && scan_hpa(ept, ept->root, EPT_LEVELS, hpa, end);
}

/* ---- the walk ------------------------------------------------------------ */

static enum ept_walk_status violation(struct ept_walk_result *r, unsigned access)
{
	r->qual = (uint64_t)access | ((uint64_t)ept_walk_perms(r) << EPT_QUAL_PERM_SHIFT);
	return EPT_WALK_VIOLATION;
}

/*
 * The walk as SDM 29.3.3 describes it: entries are read from the root down
 * until one is not present (a violation) or maps a page; any invalid entry
 * read on the way is a misconfiguration, which takes precedence over a
 * violation; permissions are the AND over every entry read.
 */
__attribute__((noinline)) static enum ept_walk_status
walk_full(const struct ept *ept, uint64_t gpa, unsigned access, struct ept_walk_result *r)
{
	const uint64_t *t = ept->root;
	r->hpa = 0;
	r->entry = 0;
	r->level = EPT_LEVELS;
	r->upper_perms = EPT_RWX;
	if (gpa >= EPT_GPA_LIMIT)
		return violation(r, access);
	for (unsigned level = EPT_LEVELS;; level--) {
		uint64_t e = t[ept_index(gpa, level)];
		r->entry = e;
		r->level = level;
		if (!ept_entry_present(e))
			return violation(r, access);
		if (ept_entry_misconfigured(ept, e, level))
			return EPT_WALK_MISCONFIG;
		if (ept_entry_is_leaf(e, level)) {
			r->hpa = ept_entry_page(e, level) | (gpa & (ept_level_size(level) - 1u));
			if ((access & ~ept_walk_perms(r)) != 0)
				return violation(r, access);
			return EPT_WALK_MAPPED;
		}
		r->upper_perms &= ept_entry_perms(e);
		t = pt_pool_ptr(ept->pool, ept_entry_table(e));
		/* A table outside the pool is not one Tern wrote: refuse to follow it. */
		if (t == (void *)0)
			return EPT_WALK_MISCONFIG;
	}
}

/* Rotating the low 12 bits to the top lets one unsigned compare test
 * "page aligned" and "below the limit" together. */
static inline uint64_t ror12(uint64_t x) { return (x >> 12) | (x << 52); }

/*
 * The fast path handles the common shape: non-leaf entries that are exactly
 * "pool page | RWX" (e - table_key is then a page offset inside the pool, so
 * the entry is present, valid and full-permission) and a valid 4 KiB leaf
 * that permits the access. Everything else is re-walked by walk_full, which
 * is the specification; the fast path only ever agrees with it.
 */
enum ept_walk_status ept_walk(const struct ept *ept, uint64_t gpa, unsigned access,
			      struct ept_walk_result *r)
{
	const uint8_t *base = ept->pt_base;
	uint64_t npages = ept->pt_npages;
	uint64_t key = ept->table_key;
	uint64_t idx4 = gpa >> 39;
	uint64_t e, off, page;

	access &= EPT_RWX;
	if (idx4 >= EPT_ENTRIES)
		goto slow;
	off = ept->root[idx4] - key;
	if (ror12(off) >= npages)
		goto slow;
	/* (gpa >> (shift - 3)) & 0xff8 is the entry's byte offset in its table. */
	off = *(const uint64_t *)(base + off + ((gpa >> 27) & 0xff8u)) - key;
	if (ror12(off) >= npages)
		goto slow;
	off = *(const uint64_t *)(base + off + ((gpa >> 18) & 0xff8u)) - key;
	if (ror12(off) >= npages)
		goto pde;
	e = *(const uint64_t *)(base + off + ((gpa >> 9) & 0xff8u));
	/* One bit test: a valid leaf's bits 5:0 that also permit this access. */
	if (((ept->leaf_ok_for[access] >> (e & 63u)) & 1u) == 0)
		goto slow;
	/* The page address below 2^MAXPHYADDR also rules out bits 63:52. */
	page = e & ~(EPT_PAGE_4K - 1u);
	if (page >= ept->page_limit)
		goto slow;
	r->level = 1;
	r->upper_perms = EPT_RWX;
	r->entry = e;
	r->hpa = page | (gpa & (EPT_PAGE_4K - 1u));
	return EPT_WALK_MAPPED;
pde:
	/* Not a table: a valid 2 MiB leaf that permits the access (Table 29-4:
	 * PS set, bits 20:12 reserved)? */
	e = off + key;
	if ((e & EPT_PS) == 0 || ((ept->leaf_ok_for[access] >> (e & 63u)) & 1u) == 0 ||
	    (e & (EPT_PAGE_2M - EPT_PAGE_4K)) != 0)
		goto slow;
	page = e & ~(EPT_PAGE_4K - 1u); /* 2 MiB aligned: bits 20:12 are clear */
	if (page >= ept->page_limit)
		goto slow;
	r->level = 2;
	r->upper_perms = EPT_RWX;
	r->entry = e;
	r->hpa = page | (gpa & (EPT_PAGE_2M - 1u));
	return EPT_WALK_MAPPED;
slow:
	return walk_full(ept, gpa, access, r);
}

/* ---- exits ----------------------------------------------------------------- */

int ept_classify_exit(const struct ept *ept, const struct exit_record *ex, struct ept_fault *out)
{
	uint16_t reason = exit_basic_reason(ex);
	if (exit_is_entry_failure(ex) ||
	    (reason != EXIT_REASON_EPT_VIOLATION && reason != EXIT_REASON_EPT_MISCONFIG))
		return -TERN_EINVAL;
	/* An EPT misconfiguration has no qualification (28.2.1): walk for any access. */
	out->access = reason == EXIT_REASON_EPT_VIOLATION ? ept_qual_access(ex->qualification) : 0;
	out->gpa = ex->guest_physical;
	enum ept_walk_status st = ept_walk(ept, out->gpa, out->access, &out->walk);
	if (st == EPT_WALK_MISCONFIG)
		out->kind = EPT_FAULT_MISCONFIG;
	else if (st == EPT_WALK_MAPPED)
		out->kind = EPT_FAULT_SPURIOUS;
	else if (!ept_entry_present(out->walk.entry))
		out->kind = EPT_FAULT_UNMAPPED;
	else if ((out->access & EPT_ACCESS_WRITE) != 0 && (ept_walk_perms(&out->walk) & EPT_R) != 0 &&
		 (ept_walk_perms(&out->walk) & EPT_W) == 0 &&
		 (out->access & ~ept_walk_perms(&out->walk) & (EPT_ACCESS_READ | EPT_ACCESS_FETCH)) == 0)
		out->kind = EPT_FAULT_WRITE_PROTECT;
	else
		out->kind = EPT_FAULT_PERMISSION;
	return 0;
}

const char *ept_fault_kind_name(enum ept_fault_kind kind)
{
	static const char *const names[] = {
		[EPT_FAULT_SPURIOUS] = "spurious",
		[EPT_FAULT_WRITE_PROTECT] = "write-protect",
		[EPT_FAULT_UNMAPPED] = "unmapped",
		[EPT_FAULT_PERMISSION] = "permission",
		[EPT_FAULT_MISCONFIG] = "misconfig",
	};
	if ((unsigned)kind >= TERN_ARRAY_SIZE(names))
		return "unknown";
	return names[kind];
}
