/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest memory through the EPT (core/guest_mem.c): instructions for an
 * 8-byte gmem_read (the EPT walk, the host mapping, the copy, the trace
 * hook) of a User VM's lent 4 KiB page and of the Service VM's own RAM
 * (2 MiB pages), each a page not accessed before (a translation-cache miss,
 * guest_mem.h), then of pages the cache holds, and the platform's share of it: one plat_hpa_map and one
 * plat_trace_gmem of platform/sim, measured alone so that core's share is
 * the difference.
 */
#include <stdlib.h>
#include "bench.h"
#include "guest_mem.h"
#include "platform.h"
#include "sim.h"
#include "vm_memory.h"

static struct tern hv;
static uint64_t gpas[BENCH_ITERS];
static volatile uint64_t sink;

BENCH_MEASURE static int measure_gmem_read_4k(struct vm *vm, uint64_t gpa, uint64_t *out)
{
	return gmem_read(vm, gpa, out, sizeof(*out));
}

BENCH_MEASURE static int measure_gmem_read_2m(struct vm *vm, uint64_t gpa, uint64_t *out)
{
	return gmem_read(vm, gpa, out, sizeof(*out));
}

BENCH_MEASURE static int measure_gmem_read_cached(struct vm *vm, uint64_t gpa, uint64_t *out)
{
	return gmem_read(vm, gpa, out, sizeof(*out));
}

BENCH_MEASURE static void measure_platform_share(struct vm *vm, uint64_t hpa, uint64_t gpa)
{
	void *p = plat_hpa_map(hpa, 8);
	plat_trace_gmem(vm, gpa, p, 8, GMEM_TRACE_READ);
}

int main(void)
{
	sim_reset();
	tern_init(&hv);
	struct vm *svm = sim_create_vm(&hv, "service", 1, true, 64ull << 20);
	struct vm *uvm = sim_create_vm(&hv, "user", 1, false, 0);
	if (!svm || !uvm)
		return 1;
	/* 16 MiB lent page by page, every other Service VM page: 4 KiB leaves only. */
	for (uint64_t i = 0; i < 4096; i++) {
		struct vm_memory_region mr = { MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, i << 12,
					       (16ull << 20) + (i << 13), 0x1000 };
		if (vm_memory_region_op(svm, uvm, &mr))
			return 1;
	}
	uint64_t v;
	for (unsigned i = 0; i < BENCH_ITERS; i++)
		gpas[i] = ((i * 7919u) % 4096u) * 0x1000 + (i & 0xff8);
	for (unsigned i = 0; i < BENCH_ITERS; i++)
		if (measure_gmem_read_4k(uvm, gpas[i], &v))
			return 1;
	sink = v;
	bench_case("measure_gmem_read_4k", "gmem_read 8 B, lent 4 KiB page", BENCH_ITERS, 0);
	for (unsigned i = 0; i < BENCH_ITERS; i++)
		if (measure_gmem_read_2m(svm, gpas[i], &v))
			return 1;
	sink = v;
	bench_case("measure_gmem_read_2m", "gmem_read 8 B, own RAM in 2 MiB pages", BENCH_ITERS, 0);
	/* The same few pages again and again (a hypercall's parameters, the
	 * instruction being emulated): the translation cache's hits. */
	for (unsigned i = 0; i < BENCH_ITERS; i++)
		if (measure_gmem_read_cached(uvm, gpas[i % 4u], &v))
			return 1;
	sink = v;
	bench_case("measure_gmem_read_cached", "gmem_read 8 B, page cached (4 pages reused)",
		   BENCH_ITERS, 0);
	uint64_t hpa = sim.vms[svm->id].ram_hpa;
	for (unsigned i = 0; i < BENCH_ITERS; i++)
		measure_platform_share(svm, hpa + gpas[i], gpas[i]);
	bench_case("measure_platform_share", "of which platform/sim (hpa_map + trace)", BENCH_ITERS, 0);
	return 0;
}
