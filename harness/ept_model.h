/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A flat reference model of an EPT map, shared by harness/unit/test_ept_model.c
 * and harness/fuzz/fuzz_ept.c. The model is a sorted list of extents
 * (GPA range → HPA, leaf attributes); the tree under test is flattened into
 * the same form and the two compared. It also checks the structural
 * invariants: every table reachable from the root is allocated in the pool
 * and the pool holds nothing else (no leak); no table is empty; no table
 * could be replaced by a large page (large pages wherever alignment allows);
 * every entry is valid (no misconfiguration).
 *
 * Header-only (static functions) so both programs include it; written
 * independently of ept.c's range engine.
 */
#ifndef TERN_EPT_MODEL_H
#define TERN_EPT_MODEL_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "ept.h"
#include "err.h"

#define MODEL_MAX_EXTENTS 8192

struct model_extent {
	uint64_t gpa, end;   /* [gpa, end) */
	uint64_t hpa;
	uint64_t attrs;      /* EPT_LEAF_ATTRS bits */
};

struct model {
	struct model_extent ext[MODEL_MAX_EXTENTS];
	unsigned n;
	bool xonly;
	uint64_t ipat;
	char why[256];       /* first mismatch found by model_check */
};

static void model_init(struct model *m, uint32_t ept_flags)
{
	m->n = 0;
	m->xonly = (ept_flags & EPT_F_XONLY) != 0;
	m->ipat = (ept_flags & EPT_F_IGNORE_PAT) != 0 ? EPT_IPAT : 0;
	m->why[0] = 0;
}

static bool model_overflow(const struct model *m) { return m->n + 4 >= MODEL_MAX_EXTENTS; }

/* Merge neighbours that translate contiguously with the same attributes. */
static void model_normalize(struct model *m)
{
	unsigned w = 0;
	for (unsigned r = 0; r < m->n; r++) {
		struct model_extent *x = &m->ext[r];
		if (x->end == x->gpa)
			continue;
		if (w > 0) {
			struct model_extent *p = &m->ext[w - 1];
			if (p->end == x->gpa && p->hpa + (p->end - p->gpa) == x->hpa &&
			    p->attrs == x->attrs) {
				p->end = x->end;
				continue;
			}
		}
		m->ext[w++] = *x;
	}
	m->n = w;
}

/* Cut extents so that no extent straddles addr. */
static void model_cut(struct model *m, uint64_t addr)
{
	for (unsigned i = 0; i < m->n; i++) {
		struct model_extent *x = &m->ext[i];
		if (x->gpa < addr && addr < x->end) {
			memmove(&m->ext[i + 1], &m->ext[i], (m->n - i) * sizeof(*x));
			m->n++;
			m->ext[i].end = addr;
			m->ext[i + 1].gpa = addr;
			m->ext[i + 1].hpa = m->ext[i].hpa + (addr - m->ext[i].gpa);
			return;
		}
	}
}

static bool model_any_mapped(const struct model *m, uint64_t gpa, uint64_t end)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->ext[i].gpa < end && gpa < m->ext[i].end)
			return true;
	return false;
}

static void model_map(struct model *m, uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t attrs)
{
	unsigned i = 0;
	while (i < m->n && m->ext[i].gpa < gpa)
		i++;
	memmove(&m->ext[i + 1], &m->ext[i], (m->n - i) * sizeof(m->ext[0]));
	m->ext[i] = (struct model_extent){ gpa, gpa + size, hpa, attrs };
	m->n++;
	model_normalize(m);
}

enum model_change { MODEL_SET, MODEL_CLEAR_W, MODEL_SET_W };

static void model_modify(struct model *m, uint64_t gpa, uint64_t size, enum model_change how,
			 uint64_t attrs)
{
	model_cut(m, gpa);
	model_cut(m, gpa + size);
	for (unsigned i = 0; i < m->n; i++) {
		struct model_extent *x = &m->ext[i];
		if (x->gpa < gpa || x->end > gpa + size)
			continue;
		if (how == MODEL_SET)
			x->attrs = attrs;
		else if (how == MODEL_CLEAR_W)
			x->attrs &= ~EPT_W;
		else if (x->attrs & EPT_R)
			x->attrs |= EPT_W;
	}
	model_normalize(m);
}

static void model_unmap(struct model *m, uint64_t gpa, uint64_t size)
{
	model_cut(m, gpa);
	model_cut(m, gpa + size);
	for (unsigned i = 0; i < m->n; i++)
		if (m->ext[i].gpa >= gpa && m->ext[i].end <= gpa + size)
			m->ext[i].end = m->ext[i].gpa; /* dropped by normalize */
	model_normalize(m);
}

/* ---- flattening and checking the tree -------------------------------------- */

struct model_scan {
	struct model *m;
	const struct ept *ept;
	struct model_extent *out;
	unsigned n, cap;
	unsigned tables;
	bool bad;
};

static void scan_fail(struct model_scan *s, const char *what, uint64_t gpa, unsigned level, uint64_t e)
{
	if (!s->bad)
		snprintf(s->m->why, sizeof(s->m->why), "%s at gpa 0x%llx level %u entry 0x%llx", what,
			 (unsigned long long)gpa, level, (unsigned long long)e);
	s->bad = true;
}

static void scan_emit(struct model_scan *s, uint64_t gpa, uint64_t size, uint64_t hpa, uint64_t attrs)
{
	if (s->n > 0) {
		struct model_extent *p = &s->out[s->n - 1];
		if (p->end == gpa && p->hpa + (p->end - p->gpa) == hpa && p->attrs == attrs) {
			p->end += size;
			return;
		}
	}
	if (s->n == s->cap) {
		s->bad = true;
		snprintf(s->m->why, sizeof(s->m->why), "too many extents in the tree");
		return;
	}
	s->out[s->n++] = (struct model_extent){ gpa, gpa + size, hpa, attrs };
}

static bool model_leaf_allowed(const struct ept *ept, unsigned level)
{
	return level <= 2 || (level == 3 && (ept->flags & EPT_F_1G));
}

static void scan_table(struct model_scan *s, const uint64_t *t, unsigned level, uint64_t base)
{
	const struct ept *ept = s->ept;
	uint64_t sz = ept_level_size(level);
	bool any = false, uniform = level < EPT_LEVELS && model_leaf_allowed(ept, level + 1);
	s->tables++;
	for (unsigned i = 0; i < EPT_ENTRIES; i++) {
		uint64_t e = t[i], gpa = base + i * sz;
		if (!(e & EPT_RWX)) {
			uniform = false;
			if (e != 0)
				scan_fail(s, "non-present entry with stale bits", gpa, level, e);
			continue;
		}
		any = true;
		if (ept_entry_misconfigured(ept, e, level))
			scan_fail(s, "misconfigured entry", gpa, level, e);
		bool leaf = level == 1 || (level < EPT_LEVELS && (e & EPT_PS));
		if (!leaf) {
			uniform = false;
			if ((e & ~EPT_ADDR_MASK) != EPT_RWX)
				scan_fail(s, "table entry without full permissions", gpa, level, e);
			const uint64_t *c = pt_pool_ptr(ept->pool, e & EPT_ADDR_MASK);
			if (!c || !pt_pool_is_allocated(ept->pool, e & EPT_ADDR_MASK)) {
				scan_fail(s, "table entry outside the pool's allocated pages", gpa, level, e);
				continue;
			}
			scan_table(s, c, level - 1, gpa);
			continue;
		}
		uint64_t hpa = e & EPT_ADDR_MASK & ~(sz - 1);
		uint64_t attrs = e & EPT_LEAF_ATTRS;
		if (uniform) {
			uint64_t e0 = t[0];
			uint64_t h0 = e0 & EPT_ADDR_MASK & ~(sz - 1);
			if (i == 0 ? (h0 & (sz * EPT_ENTRIES - 1)) != 0
				   : (hpa != h0 + i * sz || attrs != (e0 & EPT_LEAF_ATTRS)))
				uniform = false;
		}
		scan_emit(s, gpa, sz, hpa, attrs);
	}
	if (level < EPT_LEVELS && !any)
		scan_fail(s, "empty table", base, level, 0);
	if (level < EPT_LEVELS && any && uniform)
		scan_fail(s, "table a large page could replace", base, level, 0);
}

/*
 * Compare the tree with the model and check the invariants. Returns true when
 * all hold; otherwise m->why says what differs.
 */
static bool model_check(struct model *m, const struct ept *ept)
{
	static struct model_extent flat[MODEL_MAX_EXTENTS];
	struct model_scan s = { m, ept, flat, 0, MODEL_MAX_EXTENTS, 0, false };
	m->why[0] = 0;
	scan_table(&s, ept->root, EPT_LEVELS, 0);
	if (s.bad)
		return false;
	if (s.tables != ept->pool->in_use) {
		snprintf(m->why, sizeof(m->why), "%u tables reachable, %u pool pages in use (leak)",
			 s.tables, ept->pool->in_use);
		return false;
	}
	if (s.n != m->n) {
		snprintf(m->why, sizeof(m->why), "tree has %u extents, model %u", s.n, m->n);
		for (unsigned i = 0; i < s.n && i < m->n; i++)
			if (memcmp(&flat[i], &m->ext[i], sizeof(flat[i])) != 0) {
				snprintf(m->why, sizeof(m->why),
					 "tree has %u extents, model %u; first difference at #%u: tree gpa 0x%llx-0x%llx hpa 0x%llx attrs 0x%llx, model gpa 0x%llx-0x%llx hpa 0x%llx attrs 0x%llx",
					 s.n, m->n, i, (unsigned long long)flat[i].gpa,
					 (unsigned long long)flat[i].end, (unsigned long long)flat[i].hpa,
					 (unsigned long long)flat[i].attrs, (unsigned long long)m->ext[i].gpa,
					 (unsigned long long)m->ext[i].end, (unsigned long long)m->ext[i].hpa,
					 (unsigned long long)m->ext[i].attrs);
				break;
			}
		return false;
	}
	for (unsigned i = 0; i < s.n; i++)
		if (memcmp(&flat[i], &m->ext[i], sizeof(flat[i])) != 0) {
			snprintf(m->why, sizeof(m->why),
				 "extent %u: tree gpa 0x%llx-0x%llx hpa 0x%llx attrs 0x%llx, model gpa 0x%llx-0x%llx hpa 0x%llx attrs 0x%llx",
				 i, (unsigned long long)flat[i].gpa, (unsigned long long)flat[i].end,
				 (unsigned long long)flat[i].hpa, (unsigned long long)flat[i].attrs,
				 (unsigned long long)m->ext[i].gpa, (unsigned long long)m->ext[i].end,
				 (unsigned long long)m->ext[i].hpa, (unsigned long long)m->ext[i].attrs);
			return false;
		}
	return true;
}

/* What ept_walk must say for gpa, from the model alone. */
static bool model_lookup(const struct model *m, uint64_t gpa, uint64_t *hpa, uint64_t *attrs)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->ext[i].gpa <= gpa && gpa < m->ext[i].end) {
			*hpa = m->ext[i].hpa + (gpa - m->ext[i].gpa);
			*attrs = m->ext[i].attrs;
			return true;
		}
	return false;
}

/* Walk gpa for an access and compare with the model; false with m->why on a difference. */
static bool model_check_walk(struct model *m, const struct ept *ept, uint64_t gpa, unsigned access)
{
	struct ept_walk_result r;
	enum ept_walk_status st = ept_walk(ept, gpa, access, &r);
	uint64_t hpa = 0, attrs = 0;
	bool mapped = model_lookup(m, gpa, &hpa, &attrs);
	unsigned perms = mapped ? (unsigned)(attrs & EPT_RWX) : 0;
	enum ept_walk_status want = (mapped && (access & ~perms) == 0) ? EPT_WALK_MAPPED : EPT_WALK_VIOLATION;
	uint64_t qual = want == EPT_WALK_VIOLATION ? access | ((uint64_t)perms << 3) : 0;
	if (st != want || (mapped && r.hpa != hpa) || (want == EPT_WALK_VIOLATION && r.qual != qual) || ept_walk_perms(&r) != perms ||
	    (mapped && (r.entry & EPT_LEAF_ATTRS) != attrs)) {
		snprintf(m->why, sizeof(m->why),
			 "walk gpa 0x%llx access %u: status %d hpa 0x%llx qual 0x%llx perms %u; model mapped %d hpa 0x%llx attrs 0x%llx",
			 (unsigned long long)gpa, access, st, (unsigned long long)r.hpa,
			 (unsigned long long)r.qual, ept_walk_perms(&r), mapped, (unsigned long long)hpa,
			 (unsigned long long)attrs);
		return false;
	}
	return true;
}

/* ---- one random operation, shared by the model test and the fuzzer ------------ */

struct model_op {
	unsigned kind;      /* 0 map, 1 modify, 2 unmap, 3 write-protect, 4 write-unprotect */
	uint64_t gpa, size, hpa;
	unsigned prot, mtype;
};

static const unsigned model_prots[] = { EPT_R, EPT_R | EPT_W, EPT_R | EPT_X, EPT_RWX, EPT_X };
static const unsigned model_mtypes[] = { EPT_MT_WB, EPT_MT_UC, EPT_MT_WC, EPT_MT_WT, EPT_MT_WP };

/*
 * Apply op to both the EPT and the model, checking the return code against
 * the model's prediction. -ENOMEM is accepted only when allow_enomem and
 * then the model stays as it was (the caller's model_check proves the tree
 * did too). Returns false with m->why on a mismatch.
 */
static bool model_apply(struct model *m, struct ept *ept, const struct model_op *op, bool allow_enomem,
			int *rc_out)
{
	bool valid_range = op->size != 0 && ((op->gpa | op->size) & 0xfff) == 0 &&
			   op->gpa < (1ull << EPT_GPA_BITS) && op->size <= (1ull << EPT_GPA_BITS) - op->gpa;
	bool valid_prot = op->prot != 0 && (op->prot & ~7u) == 0 && op->prot != EPT_W &&
			  op->prot != (EPT_W | EPT_X) && (op->prot != EPT_X || m->xonly);
	bool valid_mt = ept_mtype_valid(op->mtype);
	uint64_t attrs = op->prot | ((uint64_t)op->mtype << 3) | m->ipat;
	int want, rc;
	switch (op->kind) {
	case 0:
		rc = ept_map(ept, op->gpa, op->hpa, op->size, op->prot, (enum ept_mtype)op->mtype);
		if (!valid_range || !valid_prot || !valid_mt || (op->hpa & 0xfff) ||
		    op->hpa + op->size > (1ull << ept->phys_bits) || op->hpa + op->size < op->hpa)
			want = -TERN_EINVAL;
		else if (model_any_mapped(m, op->gpa, op->gpa + op->size))
			want = -TERN_EEXIST;
		else
			want = 0;
		if (want == 0 && rc == 0)
			model_map(m, op->gpa, op->hpa, op->size, attrs);
		break;
	case 1:
		rc = ept_modify(ept, op->gpa, op->size, op->prot, (enum ept_mtype)op->mtype);
		want = (!valid_range || !valid_prot || !valid_mt) ? -TERN_EINVAL : 0;
		if (want == 0 && rc == 0)
			model_modify(m, op->gpa, op->size, MODEL_SET, attrs);
		break;
	case 2:
		rc = ept_unmap(ept, op->gpa, op->size);
		want = valid_range ? 0 : -TERN_EINVAL;
		if (want == 0 && rc == 0)
			model_unmap(m, op->gpa, op->size);
		break;
	case 3:
		rc = ept_write_protect(ept, op->gpa, op->size);
		want = valid_range ? 0 : -TERN_EINVAL;
		if (want == 0 && rc == 0)
			model_modify(m, op->gpa, op->size, MODEL_CLEAR_W, 0);
		break;
	default:
		rc = ept_write_unprotect(ept, op->gpa, op->size);
		want = valid_range ? 0 : -TERN_EINVAL;
		if (want == 0 && rc == 0)
			model_modify(m, op->gpa, op->size, MODEL_SET_W, 0);
		break;
	}
	*rc_out = rc;
	/* Exhaustion may be found before an overlap further on: either error
	 * leaves the map unchanged. */
	if (rc == want || (rc == -TERN_ENOMEM && (want == 0 || want == -TERN_EEXIST) && allow_enomem))
		return true;
	snprintf(m->why, sizeof(m->why),
		 "op %u gpa 0x%llx size 0x%llx hpa 0x%llx prot %u mt %u returned %d, model says %d",
		 op->kind, (unsigned long long)op->gpa, (unsigned long long)op->size,
		 (unsigned long long)op->hpa, op->prot, op->mtype, rc, want);
	return false;
}

#endif
