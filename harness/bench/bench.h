/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmarks count instructions with callgrind, never time. A bench binary
 * defines one BENCH_MEASURE function per case, named measure_<case>, that
 * performs exactly one operation; main() does the set-up outside it and
 * calls it BENCH_ITERS times, then announces the case with bench_case().
 * harness/run_bench.sh divides the function's inclusive instruction count
 * by its calls and compares it with the target.
 */
#ifndef TERN_BENCH_H
#define TERN_BENCH_H

#include <stdio.h>

#define BENCH_ITERS 1000
#define BENCH_MEASURE __attribute__((noinline, noipa, used))

/* target 0: no target, just report. */
static inline void bench_case(const char *fn, const char *what, unsigned iters, unsigned target)
{
	printf("bench-case %s %u %u %s\n", fn, iters, target, what);
}

/* A figure the binary measured itself (counts, ratios), printed as is. */
#define bench_figure(...) do { printf("figure: "); printf(__VA_ARGS__); printf("\n"); } while (0)

#endif
