/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EPT benchmarks.
 *  - instructions per GPA walk (ept_walk) of a 4 KiB mapping (target 60)
 *    and of a 2 MiB mapping;
 *  - mapping a 4 GiB guest in three shapes (1 GiB pages allowed and HPA
 *    1 GiB aligned; no 1 GiB pages; HPA only 4 KiB aligned): page-table
 *    pages used against the minimum possible, and the wall time of the map
 *    relative to a memset of the same number of 4 KiB pages, measured in the
 *    same run (and the instruction counts of both, as callgrind cases).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <spawn.h>
#include <sys/wait.h>
#include "bench.h"
#include "ept.h"
#include "pt_pool.h"

#define POOL_PAGES 4096u
#define POOL_HPA 0x4000000000ull
#define GUEST (4ull << 30)

static uint8_t *region;
static struct pt_pool pool;
static struct ept ept;
static volatile uint64_t sink;
static uint64_t gpas[BENCH_ITERS];
extern char **environ;

static void fresh(uint32_t flags)
{
	if (ept.root)
		ept_destroy(&ept);
	if (pt_pool_init(&pool, region, POOL_HPA, POOL_PAGES) || ept_init(&ept, &pool, flags, 46))
		abort();
}

static struct ept_walk_result res;

/* Same arguments as ept_walk, so the harness adds one jump and nothing else. */
BENCH_MEASURE static enum ept_walk_status measure_walk_4k(const struct ept *e, uint64_t gpa,
							 unsigned access, struct ept_walk_result *r)
{
	return ept_walk(e, gpa, access, r);
}

BENCH_MEASURE static enum ept_walk_status measure_walk_2m(const struct ept *e, uint64_t gpa,
							 unsigned access, struct ept_walk_result *r)
{
	return ept_walk(e, gpa, access, r);
}

BENCH_MEASURE static void measure_map_4g_1g(void)
{
	if (ept_map(&ept, 0, 0x100000000ull, GUEST, EPT_RWX, EPT_MT_WB))
		abort();
}

BENCH_MEASURE static void measure_map_4g_2m(void)
{
	if (ept_map(&ept, 0, 0x100000000ull, GUEST, EPT_RWX, EPT_MT_WB))
		abort();
}

BENCH_MEASURE static void measure_map_4g_4k(void)
{
	if (ept_map(&ept, 0, 0x100001000ull, GUEST, EPT_RWX, EPT_MT_WB))
		abort();
}

BENCH_MEASURE static void measure_memset_pages(void *dst, size_t len)
{
	memset(dst, 0, len);
	sink = ((volatile uint8_t *)dst)[len - 1];
}

/*
 * The fewest tables any EPT can map [0, size) → [hpa, hpa+size) with,
 * counted from first principles (independent of ept.c): the PML4, plus one
 * table under every entry of the range that cannot itself be a leaf (a
 * leaf needs the whole entry covered, the HPA aligned to it, and the page
 * size supported), level by level until every entry is a leaf.
 */
static unsigned min_tables(uint64_t hpa, uint64_t size, int has_1g)
{
	unsigned tables = 1; /* the PML4 */
	for (unsigned level = 4; level >= 2; level--) {
		uint64_t sz = 1ull << (12 + 9 * (level - 1));
		int leaf_ok = level == 2 || (level == 3 && has_1g);
		int all_leaves = 1;
		for (uint64_t g = 0; g < size; g += sz) {
			if (!(leaf_ok && g + sz <= size && ((hpa + g) & (sz - 1)) == 0)) {
				tables++;
				all_leaves = 0;
			}
		}
		if (all_leaves)
			break;
	}
	return tables;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct map_shape {
	const char *name;
	uint32_t flags;
	uint64_t hpa;
	void (*measure)(void);
};

static const struct map_shape shapes[] = {
	{ "1 GiB pages", EPT_F_1G, 0x100000000ull, measure_map_4g_1g },
	{ "2 MiB pages, no 1 GiB support", 0, 0x100000000ull, measure_map_4g_2m },
	{ "4 KiB pages, HPA 4 KiB aligned only", EPT_F_1G, 0x100001000ull, measure_map_4g_4k },
};

/* Under callgrind: the map once (an instruction-count case) and its tables. */
static unsigned map_case(const struct map_shape *m)
{
	fresh(m->flags);
	m->measure();
	unsigned used = pool.in_use;
	bench_figure("map 4 GiB (%s): %u page-table pages, minimum possible %u", m->name, used,
		     min_tables(m->hpa, GUEST, (m->flags & EPT_F_1G) != 0));
	return used;
}

/*
 * Natively (a child process callgrind does not follow): wall time of the
 * map against a memset of as many 4 KiB pages as it used, best of many runs.
 */
static void time_case(const struct map_shape *m)
{
	fresh(m->flags);
	if (ept_map(&ept, 0, m->hpa, GUEST, EPT_RWX, EPT_MT_WB))
		abort();
	unsigned used = pool.in_use;
	size_t len = (size_t)used * PT_PAGE_SIZE;
	uint8_t *buf = aligned_alloc(4096, len);
	memset(buf, 1, len);
	const int reps = used > 100 ? 20 : 2000;
	double best_map = 1e9, best_set = 1e9;
	for (int i = 0; i < reps; i++) {
		fresh(m->flags);
		double t0 = now();
		if (ept_map(&ept, 0, m->hpa, GUEST, EPT_RWX, EPT_MT_WB))
			abort();
		double t1 = now();
		measure_memset_pages(buf, len);
		double t2 = now();
		if (t1 - t0 < best_map)
			best_map = t1 - t0;
		if (t2 - t1 < best_set)
			best_set = t2 - t1;
	}
	free(buf);
	bench_figure("map 4 GiB (%s): %.2f us, %.1fx the time of a memset of its %u pages (%.2f us), native, best of %d",
		     m->name, best_map * 1e6, best_map / best_set, used, best_set * 1e6, reps);
}

int main(int argc, char **argv)
{
	region = aligned_alloc(4096, (size_t)POOL_PAGES * PT_PAGE_SIZE);
	if (!region)
		return 1;
	if (argc > 1 && strcmp(argv[1], "--time") == 0) {
		for (unsigned i = 0; i < 3; i++)
			time_case(&shapes[i]);
		return 0;
	}

	/* 4 KiB mappings: HPA offset by one page so no large page fits. */
	fresh(EPT_F_1G);
	if (ept_map(&ept, 0x10000000, 0x20001000, 64ull << 20, EPT_RWX, EPT_MT_WB))
		return 1;
	for (unsigned i = 0; i < BENCH_ITERS; i++)
		gpas[i] = 0x10000000 + ((i * 7919u) % (64u << 8)) * 0x1000 + (i & 0xff8);
	for (unsigned i = 0; i < BENCH_ITERS; i++)
		if (measure_walk_4k(&ept, gpas[i], EPT_ACCESS_READ, &res) != EPT_WALK_MAPPED || res.level != 1 ||
		    res.hpa != gpas[i] + 0x10001000)
			return 1;
	bench_case("measure_walk_4k", "ept_walk, 4 KiB mapping", BENCH_ITERS, 60);

	/* 2 MiB mappings. */
	fresh(EPT_F_1G);
	if (ept_map(&ept, 0x10000000, 0x20000000, 64ull << 20, EPT_RWX, EPT_MT_WB))
		return 1;
	for (unsigned i = 0; i < BENCH_ITERS; i++)
		if (measure_walk_2m(&ept, gpas[i], EPT_ACCESS_READ, &res) != EPT_WALK_MAPPED || res.level != 2 ||
		    res.hpa != gpas[i] + 0x10000000)
			return 1;
	bench_case("measure_walk_2m", "ept_walk, 2 MiB mapping", BENCH_ITERS, 0);

	for (unsigned i = 0; i < 3; i++)
		map_case(&shapes[i]);
	bench_case("measure_map_4g_1g", "ept_map 4 GiB, 1 GiB pages", 1, 0);
	bench_case("measure_map_4g_2m", "ept_map 4 GiB, 2 MiB pages", 1, 0);
	bench_case("measure_map_4g_4k", "ept_map 4 GiB, 4 KiB pages", 1, 0);

	/* Wall time outside callgrind: this binary again, as a child. */
	fflush(stdout);
	pid_t pid;
	char *args[] = { argv[0], "--time", NULL };
	int status = 0;
	if (posix_spawn(&pid, argv[0], NULL, NULL, args, environ) != 0 ||
	    waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 1;
	ept_destroy(&ept);
	free(region);
	return 0;
}
