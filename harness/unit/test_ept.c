/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of core/pt_pool.c and core/ept.c: every function, the entry
 * layout of SDM Vol. 3C 29.3.2, the walk's classification (29.3.3), the
 * violation qualification (Table 28-7) and each error path, including pool
 * exhaustion leaving the map as it was.
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "ept.h"
#include "ept_qual.h"
#include "exit.h"
#include "err.h"
#include "pt_pool.h"

#define POOL_HPA 0x4000000000ull   /* below 2^39 */
#define PHYS 39

static uint8_t *region;
static struct pt_pool pool;
static struct ept ept;
static unsigned reduce_calls;

static void count_reduce(void *arg)
{
	ck_assert_ptr_eq(arg, &ept);
	reduce_calls++;
}

static void setup_pool(uint32_t pages, uint32_t flags)
{
	free(region);
	region = aligned_alloc(4096, (size_t)pages * 4096);
	memset(region, 0xa5, (size_t)pages * 4096); /* tables must come back zeroed */
	ck_assert_int_eq(pt_pool_init(&pool, region, POOL_HPA, pages), 0);
	ck_assert_int_eq(ept_init(&ept, &pool, flags, PHYS), 0);
	ept.on_reduce = count_reduce;
	ept.on_reduce_arg = &ept;
	reduce_calls = 0;
}

static void teardown(void)
{
	free(region);
	region = NULL;
}

/* The entry at a level for gpa, read from the tables directly. */
static uint64_t entry_at(uint64_t gpa, unsigned want_level)
{
	const uint64_t *t = ept.root;
	for (unsigned level = EPT_LEVELS;; level--) {
		uint64_t e = t[ept_index(gpa, level)];
		if (level == want_level || !ept_entry_present(e) || ept_entry_is_leaf(e, level))
			return level == want_level ? e : 0;
		t = pt_pool_ptr(&pool, e & EPT_ADDR_MASK);
	}
}

static uint64_t *table_of(uint64_t gpa, unsigned level)
{
	const uint64_t *t = ept.root;
	for (unsigned l = EPT_LEVELS; l > level; l--)
		t = pt_pool_ptr(&pool, t[ept_index(gpa, l)] & EPT_ADDR_MASK);
	return (uint64_t *)t;
}

/* ---- pt_pool -------------------------------------------------------------- */

START_TEST(pool_init_rejects)
{
	static uint8_t buf[3 * 4096] __attribute__((aligned(4096)));
	struct pt_pool p;
	ck_assert_int_eq(pt_pool_init(&p, NULL, 0, 1), -TERN_EINVAL);
	ck_assert_int_eq(pt_pool_init(&p, buf, 0, 0), -TERN_EINVAL);
	ck_assert_int_eq(pt_pool_init(&p, buf + 8, 0, 1), -TERN_EINVAL);
	ck_assert_int_eq(pt_pool_init(&p, buf, 0x1008, 1), -TERN_EINVAL);
	ck_assert_int_eq(pt_pool_init(&p, buf, 0, PT_POOL_MAX_PAGES + 1), -TERN_E2BIG);
	ck_assert_int_eq(pt_pool_init(&p, buf, ~0xfffull, 2), -TERN_EINVAL); /* wraps */
	ck_assert_int_eq(pt_pool_init(&p, buf, 0x1000, 3), 0);
}
END_TEST

START_TEST(pool_alloc_free)
{
	enum { N = 70 }; /* not a multiple of 64: the last bitmap word is partial */
	uint8_t *buf = aligned_alloc(4096, N * 4096);
	memset(buf, 0xff, N * 4096);
	struct pt_pool p;
	ck_assert_int_eq(pt_pool_init(&p, buf, 0x200000, N), 0);
	uint64_t hpas[N];
	for (unsigned i = 0; i < N; i++) {
		uint8_t *pg = pt_pool_alloc(&p, &hpas[i]);
		ck_assert_ptr_nonnull(pg);
		for (unsigned b = 0; b < 4096; b++)
			ck_assert_uint_eq(pg[b], 0);
		ck_assert_ptr_eq(pt_pool_ptr(&p, hpas[i]), pg);
		ck_assert_uint_eq(pt_pool_hpa(&p, pg), hpas[i]);
		ck_assert(pt_pool_is_allocated(&p, hpas[i]));
		ck_assert(hpas[i] >= 0x200000 && hpas[i] < 0x200000 + N * 4096);
		for (unsigned j = 0; j < i; j++)
			ck_assert_uint_ne(hpas[j], hpas[i]);
		memset(pg, 0x5a, 4096);
	}
	uint64_t h;
	ck_assert_ptr_null(pt_pool_alloc(&p, &h));
	ck_assert_uint_eq(p.in_use, N);
	ck_assert_uint_eq(pt_pool_free_pages(&p), 0);
	ck_assert_int_eq(pt_pool_free(&p, hpas[37]), 0);
	ck_assert_int_eq(pt_pool_free(&p, hpas[37]), -TERN_ENOENT);   /* double free */
	ck_assert_int_eq(pt_pool_free(&p, hpas[3] + 8), -TERN_EINVAL); /* not a page */
	ck_assert_int_eq(pt_pool_free(&p, 0x200000 - 4096), -TERN_EINVAL);
	ck_assert_int_eq(pt_pool_free(&p, 0x200000 + N * 4096), -TERN_EINVAL);
	ck_assert(!pt_pool_is_allocated(&p, hpas[37]));
	ck_assert(!pt_pool_is_allocated(&p, 0x100000));
	ck_assert_uint_eq(p.in_use, N - 1);
	ck_assert_uint_eq(p.high_water, N);
	/* The freed page comes back, zeroed. */
	uint8_t *pg = pt_pool_alloc(&p, &h);
	ck_assert_uint_eq(h, hpas[37]);
	ck_assert_uint_eq(pg[100], 0);
	ck_assert_ptr_null(pt_pool_ptr(&p, 0x200000 + N * 4096));
	ck_assert_ptr_null(pt_pool_ptr(&p, 0x1ff000));
	ck_assert_ptr_null(pt_pool_ptr(&p, 0x200010));
	free(buf);
}
END_TEST

/*
 * The pool hands out the lowest free page: the search starts at the hint
 * word, and freeing a page below it lowers the hint, so a page freed in
 * word 0 after the last allocation came from the last word is the next
 * one out (not NULL, not a page past the region).
 */
START_TEST(pool_alloc_lowest_free_page)
{
	enum { N = 128 };   /* two whole bitmap words */
	uint8_t *buf = aligned_alloc(4096, N * 4096);
	struct pt_pool p;
	uint64_t h;

	ck_assert_int_eq(pt_pool_init(&p, buf, 0x200000, N), 0);
	for (unsigned i = 0; i < N; i++) {
		ck_assert_ptr_nonnull(pt_pool_alloc(&p, &h));
		ck_assert_uint_eq(h, 0x200000 + (uint64_t)i * 4096);   /* lowest free page first */
	}
	ck_assert_int_eq(pt_pool_free(&p, 0x200000 + 100 * 4096), 0);
	ck_assert_int_eq(pt_pool_free(&p, 0x200000 + 5 * 4096), 0);
	ck_assert_ptr_eq(pt_pool_alloc(&p, &h), buf + 5 * 4096);
	ck_assert_uint_eq(h, 0x200000 + 5 * 4096);
	ck_assert_ptr_eq(pt_pool_alloc(&p, &h), buf + 100 * 4096);
	ck_assert_uint_eq(h, 0x200000 + 100 * 4096);
	ck_assert_ptr_null(pt_pool_alloc(&p, &h));
	free(buf);
}
END_TEST

/*
 * The same at the largest pool, whose bitmap is exactly PT_POOL_MAX_PAGES
 * bits, with the pool struct allocated to its size: a search reading a word
 * past the bitmap would be an out-of-bounds read (ASan).
 */
START_TEST(pool_alloc_lowest_free_at_max_size)
{
	const uint32_t n = PT_POOL_MAX_PAGES;
	uint8_t *buf = aligned_alloc(4096, (size_t)n * 4096);
	struct pt_pool *p = malloc(sizeof(*p));
	uint64_t h;

	ck_assert_int_eq(pt_pool_init(p, buf, 0x40000000, n), 0);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_ptr_nonnull(pt_pool_alloc(p, &h));
	ck_assert_uint_eq(h, 0x40000000 + (uint64_t)(n - 1) * 4096);
	ck_assert_int_eq(pt_pool_free(p, 0x40000000 + 63 * 4096), 0);
	ck_assert_ptr_eq(pt_pool_alloc(p, &h), buf + 63 * 4096);
	ck_assert_uint_eq(h, 0x40000000 + 63 * 4096);
	ck_assert_ptr_null(pt_pool_alloc(p, &h));
	free(p);
	free(buf);
}
END_TEST

/* ---- ept_init / entry layout ----------------------------------------------- */

START_TEST(init_rejects)
{
	static uint8_t buf[4096] __attribute__((aligned(4096)));
	struct pt_pool p;
	struct ept e;
	ck_assert_int_eq(pt_pool_init(&p, buf, POOL_HPA, 1), 0);
	ck_assert_int_eq(ept_init(&e, &p, 1u << 9, PHYS), -TERN_EINVAL);
	ck_assert_int_eq(ept_init(&e, &p, 0, 35), -TERN_EINVAL);
	ck_assert_int_eq(ept_init(&e, &p, 0, 53), -TERN_EINVAL);
	ck_assert_int_eq(ept_init(&e, &p, 0, 38), -TERN_EINVAL); /* pool above MAXPHYADDR */
	ck_assert_int_eq(ept_init(&e, &p, 0, PHYS), 0);
	ck_assert_int_eq(ept_init(&e, &p, 0, PHYS), -TERN_ENOMEM); /* the one page is the first root */
	ck_assert_uint_eq(ept_flags_from_cap(EPT_CAP_XONLY | EPT_CAP_1G), EPT_F_XONLY | EPT_F_1G);
	ck_assert_uint_eq(ept_flags_from_cap(0), 0);
}
END_TEST

START_TEST(map_4k_layout)
{
	setup_pool(16, EPT_F_1G);
	ck_assert_uint_eq(pool.in_use, 1);
	ck_assert_int_eq(ept_map(&ept, 0x7000, 0x12345000, 0x1000, EPT_R | EPT_W, EPT_MT_WB), 0);
	/* Tables: PML4 → PDPT → PD → PT, each entry "table HPA | RWX" (Tables 29-1, 29-3, 29-5). */
	ck_assert_uint_eq(pool.in_use, 4);
	uint64_t pml4e = ept.root[0];
	ck_assert_uint_eq(pml4e & 0xfff, 7);
	ck_assert(pt_pool_is_allocated(&pool, pml4e & EPT_ADDR_MASK));
	/* The PTE: HPA, R/W, memory type 6 in bits 5:3 (Table 29-6). */
	ck_assert_uint_eq(entry_at(0x7000, 1), 0x12345000ull | 0x3 | (6u << 3));
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&ept, 0x7abc, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, 0x12345abc);
	ck_assert_uint_eq(r.level, 1);
	ck_assert_uint_eq(ept_walk_page_size(&r), 4096);
	ck_assert_uint_eq(ept_walk_perms(&r), EPT_R | EPT_W);
	ck_assert_uint_eq(ept_walk_mtype(&r), EPT_MT_WB);
	ck_assert(!ept_walk_ipat(&r));
	ck_assert_uint_eq(reduce_calls, 0); /* adding never needs an invalidation */
	/* Neighbours are not mapped. */
	ck_assert_int_eq(ept_walk(&ept, 0x8000, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	ck_assert_uint_eq(r.qual, EPT_QUAL_READ);
	ck_assert_int_eq(ept_walk(&ept, 0x6fff, 0, &r), EPT_WALK_VIOLATION);
	ept_destroy(&ept);
	ck_assert_uint_eq(pool.in_use, 0);
	ept_destroy(&ept); /* twice is harmless */
}
END_TEST

START_TEST(ignore_pat_and_uc)
{
	setup_pool(16, EPT_F_IGNORE_PAT);
	ck_assert_int_eq(ept_map(&ept, 0xfee00000, 0xfee00000, 0x1000, EPT_R | EPT_W, EPT_MT_UC), 0);
	uint64_t e = entry_at(0xfee00000, 1);
	ck_assert_uint_eq(e, 0xfee00000ull | 3 | EPT_IPAT);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&ept, 0xfee00000, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
	ck_assert(ept_walk_ipat(&r));
	ck_assert_uint_eq(ept_walk_mtype(&r), EPT_MT_UC);
}
END_TEST

START_TEST(large_pages_used)
{
	setup_pool(64, EPT_F_1G);
	/* 2 MiB aligned on both sides: one PDE with PS (Table 29-4). */
	ck_assert_int_eq(ept_map(&ept, 0x200000, 0x40200000, 0x200000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_uint_eq(pool.in_use, 3);
	ck_assert_uint_eq(entry_at(0x200000, 2), 0x40200000ull | EPT_PS | 7 | (6u << 3));
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&ept, 0x3fffff, EPT_ACCESS_FETCH, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, 0x403fffff);
	ck_assert_uint_eq(ept_walk_page_size(&r), EPT_PAGE_2M);
	/* 1 GiB: one PDPTE with PS (Table 29-2); 4 GiB in four of them, no more tables. */
	ck_assert_int_eq(ept_map(&ept, 0x100000000ull, 0x200000000ull, 4ull << 30, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_uint_eq(pool.in_use, 3);
	ck_assert_uint_eq(entry_at(0x140000000ull, 3), 0x240000000ull | EPT_PS | 7 | (6u << 3));
	ck_assert_int_eq(ept_walk(&ept, 0x17fffffffull, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, 0x27fffffffull);
	ck_assert_uint_eq(r.level, 3);
	/* HPA aligned to 2 MiB only: 2 MiB pages. */
	ck_assert_int_eq(ept_map(&ept, 0x1000000000ull, 0x40200000, 1ull << 30, EPT_R, EPT_MT_WB), 0);
	ck_assert_uint_eq(pool.in_use, 4);
	ck_assert_uint_eq(entry_at(0x1000200000ull, 2), 0x40400000ull | EPT_PS | 1 | (6u << 3));
}
END_TEST

START_TEST(no_1g_pages_without_support)
{
	setup_pool(64, 0);
	ck_assert_int_eq(ept_map(&ept, 0x40000000, 0x40000000, 1ull << 30, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_uint_eq(pool.in_use, 3); /* PML4, PDPT, one PD of 2 MiB pages */
	ck_assert(entry_at(0x40000000, 3) != 0 && !(entry_at(0x40000000, 3) & EPT_PS));
	ck_assert(entry_at(0x7fe00000, 2) & EPT_PS);
}
END_TEST

START_TEST(map_rejects)
{
	setup_pool(16, 0);
	static const struct { uint64_t gpa, hpa, size; unsigned prot, mt; } bad[] = {
		{ 0x1008, 0, 0x1000, 7, 6 },            /* misaligned GPA */
		{ 0x1000, 0x10, 0x1000, 7, 6 },         /* misaligned HPA */
		{ 0x1000, 0, 0x1800, 7, 6 },            /* misaligned size */
		{ 0x1000, 0, 0, 7, 6 },                 /* empty */
		{ (1ull << 48) - 0x1000, 0, 0x2000, 7, 6 }, /* past the 48-bit GPA space */
		{ 1ull << 48, 0, 0x1000, 7, 6 },
		{ 0x1000, (1ull << PHYS) - 0x1000, 0x2000, 7, 6 }, /* past MAXPHYADDR */
		{ 0x1000, 1ull << PHYS, 0x1000, 7, 6 },
		{ 0x1000, 0, 0x1000, 0, 6 },            /* no access */
		{ 0x1000, 0, 0x1000, EPT_W, 6 },        /* write without read (29.3.3.1) */
		{ 0x1000, 0, 0x1000, EPT_W | EPT_X, 6 },
		{ 0x1000, 0, 0x1000, EPT_X, 6 },        /* execute-only, not supported here */
		{ 0x1000, 0, 0x1000, 8 | 1, 6 },
		{ 0x1000, 0, 0x1000, 7, 2 },            /* invalid memory types */
		{ 0x1000, 0, 0x1000, 7, 3 },
		{ 0x1000, 0, 0x1000, 7, 7 },
		{ 0x1000, 0, 0x1000, 7, 9 },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ept_map(&ept, bad[i].gpa, bad[i].hpa, bad[i].size, bad[i].prot,
				      (enum ept_mtype)bad[i].mt) == -TERN_EINVAL, "case %u", i);
	ck_assert_uint_eq(pool.in_use, 1);
	ck_assert_int_eq(ept_modify(&ept, 0x1000, 0x1000, EPT_W, EPT_MT_WB), -TERN_EINVAL);
	ck_assert_int_eq(ept_modify(&ept, 0x1000, 0x1000, EPT_R, 2), -TERN_EINVAL);
	ck_assert_int_eq(ept_modify(&ept, 0x1001, 0x1000, EPT_R, EPT_MT_WB), -TERN_EINVAL);
	ck_assert_int_eq(ept_unmap(&ept, 0x1000, 0), -TERN_EINVAL);
	ck_assert_int_eq(ept_write_protect(&ept, 0x1000, 0x10), -TERN_EINVAL);
	ck_assert_int_eq(ept_write_unprotect(&ept, 1ull << 48, 0x1000), -TERN_EINVAL);
}
END_TEST

START_TEST(execute_only_when_supported)
{
	setup_pool(16, EPT_F_XONLY);
	ck_assert_int_eq(ept_map(&ept, 0x1000, 0x5000, 0x1000, EPT_X, EPT_MT_WB), 0);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&ept, 0x1000, EPT_ACCESS_FETCH, &r), EPT_WALK_MAPPED);
	ck_assert_int_eq(ept_walk(&ept, 0x1000, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	ck_assert_uint_eq(r.qual, EPT_QUAL_READ | EPT_QUAL_EXECUTABLE);
	/* Write-unprotect must not make it W without R. */
	ck_assert_int_eq(ept_write_unprotect(&ept, 0x1000, 0x1000), 0);
	ck_assert_uint_eq(entry_at(0x1000, 1) & 7, EPT_X);
}
END_TEST

START_TEST(overlap_refused_unchanged)
{
	setup_pool(16, EPT_F_1G);
	ck_assert_int_eq(ept_map(&ept, 0x200000, 0x800000, 0x200000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(ept_map(&ept, 0x3ff000, 0x1000, 0x2000, EPT_R, EPT_MT_WB), -TERN_EEXIST);
	ck_assert_int_eq(ept_map(&ept, 0x0, 0x1000, 0x400000, EPT_R, EPT_MT_WB), -TERN_EEXIST);
	ck_assert_uint_eq(pool.in_use, 3);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&ept, 0x400000, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	ck_assert_int_eq(ept_walk(&ept, 0x1ff000, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	/* Overlap below a table (4 KiB pages mapped) is found too. */
	ck_assert_int_eq(ept_map(&ept, 0x5000, 0x5000, 0x1000, EPT_R, EPT_MT_WB), 0);
	ck_assert_int_eq(ept_map(&ept, 0x0, 0x0, 0x200000, EPT_R, EPT_MT_WB), -TERN_EEXIST);
	ck_assert_uint_eq(entry_at(0x0, 1), 0);
}
END_TEST

START_TEST(split_and_merge)
{
	setup_pool(16, EPT_F_1G);
	ck_assert_int_eq(ept_map(&ept, 0x40000000, 0x80000000, 1ull << 30, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_uint_eq(pool.in_use, 2);
	/* A 4 KiB hole in a 1 GiB page: PD + PT, 2 MiB pages around, 4 KiB near. */
	ck_assert_int_eq(ept_unmap(&ept, 0x40201000, 0x1000), 0);
	ck_assert_uint_eq(pool.in_use, 4);
	ck_assert_uint_eq(reduce_calls, 1);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&ept, 0x40201000, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	ck_assert_uint_eq(r.qual, EPT_QUAL_READ);  /* not present: permission bits 0 */
	ck_assert_int_eq(ept_walk(&ept, 0x40202000, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, 0x80202000);
	ck_assert_uint_eq(r.level, 1);
	ck_assert_int_eq(ept_walk(&ept, 0x40400000, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.level, 2);
	ck_assert_int_eq(ept_walk(&ept, 0x40000000, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, 0x80000000);
	/* Filling the hole restores the 1 GiB page and frees both tables. */
	ck_assert_int_eq(ept_map(&ept, 0x40201000, 0x80201000, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_uint_eq(pool.in_use, 2);
	ck_assert_uint_eq(entry_at(0x40000000, 3), 0x80000000ull | EPT_PS | 7 | (6u << 3));
	/* A different HPA there does not merge. */
	ck_assert_int_eq(ept_unmap(&ept, 0x40201000, 0x1000), 0);
	ck_assert_int_eq(ept_map(&ept, 0x40201000, 0x90201000, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_uint_eq(pool.in_use, 4);
	/* Unmapping everything leaves the root alone. */
	ck_assert_int_eq(ept_unmap(&ept, 0, 1ull << 40), 0);
	ck_assert_uint_eq(pool.in_use, 1);
	ck_assert_int_eq(ept_walk(&ept, 0x40000000, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	/* Unmapping nothing changes nothing and needs no invalidation. */
	unsigned before = reduce_calls;
	ck_assert_int_eq(ept_unmap(&ept, 0, 1ull << 40), 0);
	ck_assert_uint_eq(reduce_calls, before);
}
END_TEST

START_TEST(modify_and_write_protect)
{
	setup_pool(16, EPT_F_1G);
	ck_assert_int_eq(ept_map(&ept, 0x200000, 0x200000, 0x200000, EPT_RWX, EPT_MT_WB), 0);
	/* Modify one page: split; the rest unchanged. */
	ck_assert_int_eq(ept_modify(&ept, 0x300000, 0x1000, EPT_R, EPT_MT_UC), 0);
	ck_assert_uint_eq(reduce_calls, 1);
	ck_assert_uint_eq(entry_at(0x300000, 1), 0x300000ull | EPT_R);
	ck_assert_uint_eq(entry_at(0x301000, 1), 0x301000ull | 7 | (6u << 3));
	ck_assert_uint_eq(pool.in_use, 4);
	/* Modifying over holes skips them (ACRN MR_MODIFY). */
	ck_assert_int_eq(ept_modify(&ept, 0x0, 0x800000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_uint_eq(pool.in_use, 3); /* merged back */
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&ept, 0x100000, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	/* A modify that changes nothing neither splits nor invalidates. */
	unsigned before = reduce_calls;
	ck_assert_int_eq(ept_modify(&ept, 0x201000, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_uint_eq(reduce_calls, before);
	ck_assert_uint_eq(pool.in_use, 3);
	/* Write-protect a page: a write now violates with R and X reported. */
	ck_assert_int_eq(ept_write_protect(&ept, 0x205000, 0x1000), 0);
	ck_assert_uint_eq(reduce_calls, before + 1);
	ck_assert_int_eq(ept_walk(&ept, 0x205010, EPT_ACCESS_WRITE, &r), EPT_WALK_VIOLATION);
	ck_assert_uint_eq(r.qual, EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_EXECUTABLE);
	ck_assert_int_eq(ept_walk(&ept, 0x205010, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
	ck_assert_int_eq(ept_walk(&ept, 0x206010, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_int_eq(ept_write_unprotect(&ept, 0x205000, 0x1000), 0);
	ck_assert_uint_eq(pool.in_use, 3);
	ck_assert_int_eq(ept_walk(&ept, 0x205010, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
}
END_TEST

START_TEST(exhaustion_leaves_map_unchanged)
{
	/* Four pages: root, PDPT, PD and one PT. */
	setup_pool(4, EPT_F_1G);
	ck_assert_int_eq(ept_map(&ept, 0x200000, 0x200000, 0x200000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(ept_map(&ept, 0x1000, 0x1000, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_uint_eq(pool.in_use, 4);
	uint64_t snapshot[4][512];
	memcpy(snapshot, region, sizeof(snapshot));
	unsigned before = reduce_calls;
	/* Each of these needs a table the pool no longer has. */
	ck_assert_int_eq(ept_unmap(&ept, 0x300000, 0x1000), -TERN_ENOMEM);        /* split 2M */
	ck_assert_int_eq(ept_modify(&ept, 0x300000, 0x1000, EPT_R, EPT_MT_WB), -TERN_ENOMEM);
	ck_assert_int_eq(ept_write_protect(&ept, 0x200000, 0x3000), -TERN_ENOMEM);
	ck_assert_int_eq(ept_map(&ept, 0x40001000, 0x1000, 0x1000, EPT_R, EPT_MT_WB), -TERN_ENOMEM);
	/* A big map that would fit most of its range first: still nothing. */
	ck_assert_int_eq(ept_map(&ept, 0x80000000, 0x80000000, 0x40001000, EPT_R, EPT_MT_WB), -TERN_ENOMEM);
	ck_assert_mem_eq(snapshot, region, sizeof(snapshot));
	ck_assert_uint_eq(pool.in_use, 4);
	ck_assert_uint_eq(reduce_calls, before);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&ept, 0x300000, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_int_eq(ept_walk(&ept, 0x80000000, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	/* What needs no table still works: a 1 GiB page, unmapping whole pages. */
	ck_assert_int_eq(ept_map(&ept, 0x80000000, 0x80000000, 0x40000000, EPT_R, EPT_MT_WB), 0);
	ck_assert_int_eq(ept_unmap(&ept, 0x200000, 0x200000), 0);
	ck_assert_uint_eq(pool.in_use, 4);
	/* A pool of one page holds the root, then nothing. */
	setup_pool(1, EPT_F_1G);
	ck_assert_int_eq(ept_map(&ept, 0, 0, 0x1000, EPT_R, EPT_MT_WB), -TERN_ENOMEM);
	ck_assert_uint_eq(pool.in_use, 1);
}
END_TEST

/* ---- walk classification ---------------------------------------------------- */

START_TEST(walk_misconfigurations)
{
	setup_pool(16, 0);
	ck_assert_int_eq(ept_map(&ept, 0x1000, 0x1000, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(ept_map(&ept, 0x400000, 0x400000, 0x200000, EPT_RWX, EPT_MT_WB), 0);
	uint64_t *pt = table_of(0x1000, 1);
	uint64_t *pd = table_of(0x1000, 2);
	uint64_t good = pt[1], good_pde = pd[0], good_2m = pd[2];
	struct { uint64_t *where; uint64_t value; uint64_t gpa; unsigned level; } cases[] = {
		{ &pt[1], (good & ~7ull) | EPT_W, 0x1000, 1 },            /* W without R */
		{ &pt[1], (good & ~7ull) | EPT_W | EPT_X, 0x1000, 1 },
		{ &pt[1], (good & ~7ull) | EPT_X, 0x1000, 1 },            /* X-only unsupported */
		{ &pt[1], (good & ~EPT_MT_MASK) | (2u << 3), 0x1000, 1 }, /* memory type 2 */
		{ &pt[1], (good & ~EPT_MT_MASK) | (3u << 3), 0x1000, 1 },
		{ &pt[1], (good & ~EPT_MT_MASK) | (7u << 3), 0x1000, 1 },
		{ &pt[1], good | (1ull << PHYS), 0x1000, 1 },              /* above MAXPHYADDR */
		{ &pd[0], good_pde | 0x8, 0x1000, 2 },                     /* PDE bits 6:3 */
		{ &pd[0], (good_pde & ~7ull) | EPT_W, 0x1000, 2 },
		{ &pd[2], good_2m | 0x1000, 0x400000, 2 },                 /* 2 MiB leaf bits 20:12 */
		{ &ept.root[0], ept.root[0] | EPT_PS, 0x1000, 4 },         /* PML4E bit 7 */
		{ &ept.root[0], ept.root[0] | (1ull << 50), 0x1000, 4 },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t saved = *cases[i].where;
		*cases[i].where = cases[i].value;
		struct ept_walk_result r;
		/* Misconfiguration takes precedence over any violation (29.3.3). */
		for (unsigned access = 0; access < 8; access++) {
			ck_assert_msg(ept_walk(&ept, cases[i].gpa, access, &r) == EPT_WALK_MISCONFIG,
				      "case %u access %u", i, access);
			ck_assert_uint_eq(r.level, cases[i].level);
			ck_assert_uint_eq(r.entry, cases[i].value);
		}
		ck_assert(ept_entry_misconfigured(&ept, cases[i].value, cases[i].level));
		*cases[i].where = saved;
		ck_assert_int_eq(ept_walk(&ept, cases[i].gpa, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
	}
	/* A 1 GiB leaf where the CPU has none. */
	uint64_t *pdpt = table_of(0x1000, 3);
	uint64_t saved = pdpt[1];
	pdpt[1] = 0x40000000ull | EPT_PS | 7 | (6u << 3);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&ept, 0x40000000, EPT_ACCESS_READ, &r), EPT_WALK_MISCONFIG);
	ck_assert_uint_eq(r.level, 3);
	/* A table pointer outside the pool is not followed. */
	pdpt[1] = 0x1000ull | 7;
	ck_assert_int_eq(ept_walk(&ept, 0x40000000, EPT_ACCESS_READ, &r), EPT_WALK_MISCONFIG);
	pdpt[1] = saved;
	ck_assert(!ept_entry_misconfigured(&ept, 0, 1));
	ck_assert(!ept_entry_misconfigured(&ept, good, 1));
}
END_TEST

START_TEST(walk_permissions_and_qualification)
{
	setup_pool(16, EPT_F_XONLY | EPT_F_1G);
	ck_assert_int_eq(ept_map(&ept, 0x1000, 0x1000, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(ept_map(&ept, 0x2000, 0x2000, 0x1000, EPT_R, EPT_MT_WB), 0);
	ck_assert_int_eq(ept_map(&ept, 0x3000, 0x3000, 0x1000, EPT_R | EPT_X, EPT_MT_WB), 0);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&ept, 0x2000, EPT_ACCESS_FETCH, &r), EPT_WALK_VIOLATION);
	ck_assert_uint_eq(r.qual, EPT_QUAL_FETCH | EPT_QUAL_READABLE);
	ck_assert_int_eq(ept_walk(&ept, 0x2000, EPT_ACCESS_READ | EPT_ACCESS_WRITE, &r), EPT_WALK_VIOLATION);
	ck_assert_uint_eq(r.qual, EPT_QUAL_READ | EPT_QUAL_WRITE | EPT_QUAL_READABLE);
	ck_assert_int_eq(ept_walk(&ept, 0x3000, EPT_ACCESS_WRITE, &r), EPT_WALK_VIOLATION);
	ck_assert_uint_eq(r.qual, EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_EXECUTABLE);
	/* Permissions are the AND over every level (29.3.3.2): a read-only PDE. */
	uint64_t *pd = table_of(0x1000, 2);
	pd[0] = (pd[0] & ~7ull) | EPT_R;
	ck_assert_int_eq(ept_walk(&ept, 0x1000, EPT_ACCESS_WRITE, &r), EPT_WALK_VIOLATION);
	ck_assert_uint_eq(r.qual, EPT_QUAL_WRITE | EPT_QUAL_READABLE);
	ck_assert_uint_eq(ept_walk_perms(&r), EPT_R);
	ck_assert_int_eq(ept_walk(&ept, 0x1000, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(ept_walk_perms(&r), EPT_R);
	/* A not-present PDPTE reports no permissions. */
	ck_assert_int_eq(ept_walk(&ept, 0x40000000, EPT_ACCESS_WRITE, &r), EPT_WALK_VIOLATION);
	ck_assert_uint_eq(r.qual, EPT_QUAL_WRITE);
	ck_assert_uint_eq(r.level, 3);
	/* Beyond the 48-bit guest-physical space. */
	ck_assert_int_eq(ept_walk(&ept, 1ull << 48, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	ck_assert_uint_eq(r.qual, EPT_QUAL_READ);
}
END_TEST

START_TEST(maps_hpa)
{
	setup_pool(16, EPT_F_1G);
	ck_assert(!ept_maps_hpa(&ept, 0, ~0ull));
	ck_assert_int_eq(ept_map(&ept, 0x1000, 0x50000000, 0x1000, EPT_R, EPT_MT_WB), 0);
	ck_assert_int_eq(ept_map(&ept, 0x40000000, 0x80000000, 0x40000000, EPT_R, EPT_MT_WB), 0);
	ck_assert(ept_maps_hpa(&ept, 0x50000000, 0x1000));
	ck_assert(ept_maps_hpa(&ept, 0x4ffff000, 0x2000));
	ck_assert(!ept_maps_hpa(&ept, 0x4ffff000, 0x1000));
	ck_assert(!ept_maps_hpa(&ept, 0x50001000, 0x1000));
	ck_assert(ept_maps_hpa(&ept, 0xbffff000, 0x1000));
	ck_assert(!ept_maps_hpa(&ept, 0xc0000000, 0x1000));
	ck_assert(ept_maps_hpa(&ept, 0x50000000, ~0ull)); /* wraps: to the top */
	ck_assert(!ept_maps_hpa(&ept, 0xc0000000, ~0ull));
	ept_destroy(&ept);
	ck_assert(!ept_maps_hpa(&ept, 0x50000000, 0x1000));
}
END_TEST

/* ---- exits -------------------------------------------------------------------------- */

static struct ept_fault classify(uint32_t reason, uint64_t qual, uint64_t gpa, int want_rc)
{
	struct exit_record ex = { .reason = reason, .qualification = qual, .guest_physical = gpa };
	struct ept_fault f;
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ept_classify_exit(&ept, &ex, &f), want_rc);
	return f;
}

START_TEST(classify_exits)
{
	setup_pool(16, 0);
	ck_assert_int_eq(ept_map(&ept, 0x1000, 0x1000, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(ept_map(&ept, 0x2000, 0x2000, 0x1000, EPT_R | EPT_W, EPT_MT_WB), 0);
	ck_assert_int_eq(ept_write_protect(&ept, 0x1000, 0x1000), 0);
	/* A guest write to the write-protected page (qualification as the CPU reports it). */
	struct ept_fault f = classify(EXIT_REASON_EPT_VIOLATION,
				      EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_EXECUTABLE |
					      EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLATE,
				      0x1008, 0);
	ck_assert_int_eq(f.kind, EPT_FAULT_WRITE_PROTECT);
	ck_assert_uint_eq(f.gpa, 0x1008);
	ck_assert_uint_eq(f.access, EPT_ACCESS_WRITE);
	ck_assert_uint_eq(f.walk.hpa, 0x1008);
	/* Unmapped: the MMIO path (or the VM stops). */
	f = classify(EXIT_REASON_EPT_VIOLATION, EPT_QUAL_READ, 0xfed00000, 0);
	ck_assert_int_eq(f.kind, EPT_FAULT_UNMAPPED);
	f = classify(EXIT_REASON_EPT_VIOLATION, EPT_QUAL_WRITE, 1ull << 50, 0);
	ck_assert_int_eq(f.kind, EPT_FAULT_UNMAPPED);
	/* Fetch from a non-executable page: not a write-protect case. */
	f = classify(EXIT_REASON_EPT_VIOLATION, EPT_QUAL_FETCH, 0x2000, 0);
	ck_assert_int_eq(f.kind, EPT_FAULT_PERMISSION);
	/* A write that also fetches from a page without X is no plain WP write. */
	f = classify(EXIT_REASON_EPT_VIOLATION, EPT_QUAL_WRITE | EPT_QUAL_FETCH, 0x1000, 0);
	ck_assert_int_eq(f.kind, EPT_FAULT_WRITE_PROTECT); /* 0x1000 has X */
	ck_assert_int_eq(ept_modify(&ept, 0x1000, 0x1000, EPT_R, EPT_MT_WB), 0);
	f = classify(EXIT_REASON_EPT_VIOLATION, EPT_QUAL_WRITE | EPT_QUAL_FETCH, 0x1000, 0);
	ck_assert_int_eq(f.kind, EPT_FAULT_PERMISSION);
	/* Permitted now (stale TLB on the exiting CPU): spurious, re-enter. */
	f = classify(EXIT_REASON_EPT_VIOLATION, EPT_QUAL_WRITE, 0x2000, 0);
	ck_assert_int_eq(f.kind, EPT_FAULT_SPURIOUS);
	/* Misconfiguration exits: find the entry; none there any more is spurious. */
	f = classify(EXIT_REASON_EPT_MISCONFIG, 0, 0x2000, 0);
	ck_assert_int_eq(f.kind, EPT_FAULT_SPURIOUS);
	table_of(0x2000, 1)[2] |= 7u << 3;
	f = classify(EXIT_REASON_EPT_MISCONFIG, 0, 0x2000, 0);
	ck_assert_int_eq(f.kind, EPT_FAULT_MISCONFIG);
	ck_assert_uint_eq(f.walk.level, 1);
	classify(EXIT_REASON_CPUID, 0, 0, -TERN_EINVAL);
	classify(EXIT_REASON_EPT_VIOLATION | EXIT_REASON_FAILED_ENTRY, 0, 0, -TERN_EINVAL);
	ck_assert_str_eq(ept_fault_kind_name(EPT_FAULT_WRITE_PROTECT), "write-protect");
	ck_assert_str_eq(ept_fault_kind_name(EPT_FAULT_MISCONFIG), "misconfig");
	ck_assert_str_eq(ept_fault_kind_name((enum ept_fault_kind)99), "unknown");
}
END_TEST

START_TEST(qual_accessors)
{
	/* A write through a guest paging-structure walk, GLA valid, after IRET with NMIs blocked. */
	uint64_t q = 0x2 | (0x1 << 3) | (1u << 7) | (1u << 12);
	ck_assert(!ept_qual_read(q) && ept_qual_write(q) && !ept_qual_fetch(q));
	ck_assert_uint_eq(ept_qual_access(q), EPT_ACCESS_WRITE);
	ck_assert(ept_qual_readable(q) && !ept_qual_writable(q) && !ept_qual_executable(q));
	ck_assert_uint_eq(ept_qual_perms(q), EPT_R);
	ck_assert(ept_qual_gla_valid(q) && !ept_qual_gla_is_linear(q));
	ck_assert(ept_qual_nmi_unblock(q));
	q = 0x5 | (0x7 << 3) | (3u << 7);
	ck_assert(ept_qual_read(q) && ept_qual_fetch(q) && ept_qual_writable(q) && ept_qual_executable(q));
	ck_assert(ept_qual_gla_is_linear(q) && !ept_qual_nmi_unblock(q));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ept");
	TCase *tc = tcase_create("pool");
	tcase_add_test(tc, pool_init_rejects);
	tcase_add_test(tc, pool_alloc_free);
	tcase_add_test(tc, pool_alloc_lowest_free_page);
	tcase_add_test(tc, pool_alloc_lowest_free_at_max_size);
	suite_add_tcase(s, tc);
	tc = tcase_create("map");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, init_rejects);
	tcase_add_test(tc, map_4k_layout);
	tcase_add_test(tc, ignore_pat_and_uc);
	tcase_add_test(tc, large_pages_used);
	tcase_add_test(tc, no_1g_pages_without_support);
	tcase_add_test(tc, map_rejects);
	tcase_add_test(tc, execute_only_when_supported);
	tcase_add_test(tc, overlap_refused_unchanged);
	tcase_add_test(tc, split_and_merge);
	tcase_add_test(tc, modify_and_write_protect);
	tcase_add_test(tc, exhaustion_leaves_map_unchanged);
	suite_add_tcase(s, tc);
	tc = tcase_create("walk");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, walk_misconfigurations);
	tcase_add_test(tc, walk_permissions_and_qualification);
	tcase_add_test(tc, maps_hpa);
	tcase_add_test(tc, classify_exits);
	tcase_add_test(tc, qual_accessors);
	suite_add_tcase(s, tc);
	return s;
}
