/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Model-based test of core/ept.c: seeded random sequences of map / modify /
 * unmap / write-protect operations, each checked at once against a flat
 * reference map (harness/ept_model.h): same translations, no table leaked,
 * no empty table, large pages wherever alignment allows, every entry valid,
 * and walks of random addresses agree with the model.
 *
 * TERN_EPT_MODEL_OPS=N   total operations over the four configurations
 *                        (default 20000: a few seconds under ASan)
 * TERN_EPT_MODEL_SEED=S  base seed (default fixed); printed on any failure
 */
#include <stdlib.h>
#include "unit.h"
#include "../ept_model.h"
#include "pt_pool.h"
#include "lib.h"

#define WINDOW (6ull << 30)   /* GPAs the operations touch: 6 GiB */

static uint64_t rng_state;
static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed on every host */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}
static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }

static unsigned long env_ul(const char *name, unsigned long dflt)
{
	const char *s = getenv(name);
	return s && *s ? strtoul(s, NULL, 0) : dflt;
}

static uint64_t pick_align(void)
{
	unsigned r = (unsigned)below(10);
	return r < 4 ? EPT_PAGE_4K : r < 8 ? EPT_PAGE_2M : EPT_PAGE_1G;
}

static void random_op(struct model_op *op, const struct model *m)
{
	unsigned r = (unsigned)below(100);
	op->kind = r < 40 ? 0 : r < 55 ? 1 : r < 80 ? 2 : r < 90 ? 3 : 4;
	/* Size: a few pages, a few 2 MiB blocks (+- pages), or a 1 GiB block. */
	unsigned sc = (unsigned)below(10);
	if (sc < 5)
		op->size = (1 + below(16)) * EPT_PAGE_4K;
	else if (sc < 9)
		op->size = (1 + below(4)) * EPT_PAGE_2M + (below(3) == 0 ? below(8) * EPT_PAGE_4K : 0);
	else
		op->size = (1 + below(2)) * EPT_PAGE_1G;
	uint64_t al = pick_align();
	/* Start near an existing extent's edge half of the time: splits and merges. */
	if (m->n && below(2) == 0) {
		const struct model_extent *x = &m->ext[below(m->n)];
		uint64_t edge = below(2) ? x->gpa : x->end;
		op->gpa = edge + (below(2) ? 0 : (below(5) - 2) * EPT_PAGE_4K);
	} else {
		op->gpa = below(WINDOW / al) * al;
	}
	if (op->gpa >= WINDOW)
		op->gpa = 0;
	/* HPA: offset from the GPA by a multiple of 1 GiB, 2 MiB or 4 KiB; an
	 * unaligned offset on a big range would fill the window with PTs. */
	uint64_t hal = op->size <= 16 * EPT_PAGE_4K ? pick_align() : (below(4) ? EPT_PAGE_1G : EPT_PAGE_2M);
	op->hpa = op->gpa + (1 + below(64)) * hal;
	op->prot = model_prots[below(4)];
	op->mtype = model_mtypes[below(3) == 0 ? below(5) : 0];
	/* A few hostile or malformed requests. */
	switch (below(60)) {
	case 0: op->gpa |= 0x800; break;
	case 1: op->size = 0; break;
	case 2: op->prot = EPT_W; break;
	case 3: op->prot = EPT_W | EPT_X; break;
	case 4: op->prot = EPT_X; break;          /* valid only with execute-only */
	case 5: op->mtype = 2 + (unsigned)below(2) * 5; break; /* 2 or 7 */
	case 6: op->gpa = (1ull << 48) - EPT_PAGE_4K; op->size = 2 * EPT_PAGE_4K; break;
	case 7: op->hpa = (1ull << 46) - EPT_PAGE_4K; break;
	case 8: op->size = ~0ull & ~0xfffull; break;
	case 9: op->prot = 0; break;
	default: break;
	}
}

struct config {
	const char *name;
	uint32_t flags;
	uint32_t pool_pages;
};

static const struct config configs[] = {
	{ "1G pages", EPT_F_1G, 4096 },
	{ "no 1G pages, ignore-PAT", EPT_F_IGNORE_PAT, 4096 },
	{ "execute-only, 1G", EPT_F_XONLY | EPT_F_1G, 4096 },
	{ "small pool (exhaustion)", EPT_F_1G, 24 },
};

static struct model model;

static void run_config(const struct config *c, uint64_t seed, unsigned long ops)
{
	rng_state = seed ? seed : 1;
	uint8_t *region = aligned_alloc(4096, (size_t)c->pool_pages * 4096);
	ck_assert_ptr_nonnull(region);
	struct pt_pool pool;
	struct ept ept;
	ck_assert_int_eq(pt_pool_init(&pool, region, 0x4000000000ull, c->pool_pages), 0);
	ck_assert_int_eq(ept_init(&ept, &pool, c->flags, 46), 0);
	model_init(&model, c->flags);
	unsigned long enomem = 0, mapped_ops = 0;
	for (unsigned long step = 0; step < ops; step++) {
		struct model_op op;
		random_op(&op, &model);
		int rc;
		bool ok = model_apply(&model, &ept, &op, c->pool_pages < 1024, &rc);
		if (ok)
			ok = model_check(&model, &ept);
		for (int w = 0; ok && w < 4; w++) {
			uint64_t gpa;
			if (model.n && below(2)) {
				const struct model_extent *x = &model.ext[below(model.n)];
				gpa = x->gpa + below((x->end - x->gpa) / 8) * 8;
				if (below(4) == 0)
					gpa = below(2) ? x->end : x->gpa - 8;
			} else {
				gpa = below(WINDOW);
			}
			ok = model_check_walk(&model, &ept, gpa, (unsigned)below(8));
		}
		ck_assert_msg(ok, "config '%s' seed %llu step %lu: %s (reproduce: TERN_EPT_MODEL_SEED=%llu)",
			      c->name, (unsigned long long)seed, step, model.why,
			      (unsigned long long)seed);
		enomem += rc == -TERN_ENOMEM;
		mapped_ops += rc == 0;
		/* Keep the map from filling the window: clear it now and then. */
		if (model_overflow(&model) || below(500) == 0) {
			ck_assert_int_eq(ept_unmap(&ept, 0, 1ull << EPT_GPA_BITS), 0);
			model_unmap(&model, 0, 1ull << EPT_GPA_BITS);
			ck_assert_msg(model_check(&model, &ept), "seed %llu: %s", (unsigned long long)seed,
				      model.why);
			ck_assert_uint_eq(pool.in_use, 1); /* the root alone */
		}
	}
	if (c->pool_pages < 1024)
		ck_assert_msg(enomem > 0, "the small pool never ran out: the test lost its point");
	ck_assert_uint_gt(mapped_ops, ops / 4);
	ept_destroy(&ept);
	ck_assert_uint_eq(pool.in_use, 0);
	free(region);
	printf("ept model: config '%s' seed %llu: %lu ops clean (%lu ENOMEM)\n", c->name,
	       (unsigned long long)seed, ops, enomem);
}

START_TEST(test_model_random)
{
	unsigned long total = env_ul("TERN_EPT_MODEL_OPS", 20000);
	uint64_t seed = env_ul("TERN_EPT_MODEL_SEED", 0x7e4e5eedull);
	run_config(&configs[_i], seed + (uint64_t)_i, total / TERN_ARRAY_SIZE(configs));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ept_model");
	TCase *tc = tcase_create("random");
	tcase_set_timeout(tc, 0);
	tcase_add_loop_test(tc, test_model_random, 0, (int)TERN_ARRAY_SIZE(configs));
	suite_add_tcase(s, tc);
	return s;
}
