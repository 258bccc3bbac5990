/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: EPT operation sequences from bytes, each checked against
 * the flat reference model (harness/ept_model.h) after every step, with a
 * small pool so exhaustion (and the all-or-nothing rule) is hit often.
 *
 * Input: a first byte choosing the configuration (1 GiB pages,
 * execute-only, ignore-PAT, pool size), then 12-byte records:
 *   kind, gpa (3 bytes of 4 KiB pages, scaled by a granularity), size
 *   (2 bytes + granularity), HPA offset (2 bytes + granularity), prot, mtype.
 */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include "../ept_model.h"
#include "pt_pool.h"

#define POOL_MAX 64u

static uint8_t region[POOL_MAX * 4096] __attribute__((aligned(4096)));
static struct model model;

static uint64_t gran(unsigned g)
{
	static const uint64_t sizes[4] = { EPT_PAGE_4K, EPT_PAGE_2M, EPT_PAGE_1G, EPT_PAGE_4K * 3 };
	return sizes[g & 3];
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_ept: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t cfg = data[0];
	uint32_t flags = (cfg & 1 ? EPT_F_1G : 0) | (cfg & 2 ? EPT_F_XONLY : 0) |
			 (cfg & 4 ? EPT_F_IGNORE_PAT : 0);
	uint32_t pages = 4u + ((cfg >> 3) % (POOL_MAX - 3));
	struct pt_pool pool;
	struct ept ept;
	if (pt_pool_init(&pool, region, 0x4000000000ull, pages) || ept_init(&ept, &pool, flags, 46))
		fail("set-up");
	model_init(&model, flags);
	for (size_t off = 1; off + 12 <= size && !model_overflow(&model); off += 12) {
		const uint8_t *b = data + off;
		struct model_op op;
		op.kind = b[0] % 5;
		op.gpa = ((uint64_t)b[1] | (uint64_t)b[2] << 8 | (uint64_t)(b[3] & 0x3f) << 16) *
			 gran(b[3] >> 6);
		op.size = ((uint64_t)b[4] | (uint64_t)(b[5] & 0x3f) << 8) * gran(b[5] >> 6);
		op.hpa = op.gpa + ((uint64_t)b[6] | (uint64_t)b[7] << 8) * gran(b[8] & 3);
		if (b[8] & 4)
			op.hpa ^= (uint64_t)b[9] << 40; /* far, possibly past MAXPHYADDR */
		op.prot = b[10] & 7;
		if (b[10] & 8)
			op.prot = b[10] >> 4;      /* anything, invalid included */
		op.mtype = b[11] & 7;
		int rc;
		if (!model_apply(&model, &ept, &op, true, &rc) || !model_check(&model, &ept))
			fail(model.why);
		/* Walks near the operation and at its ends. */
		uint64_t probes[3] = { op.gpa, op.gpa + op.size - 8, op.gpa + op.size };
		for (unsigned i = 0; i < 3; i++)
			if (!model_check_walk(&model, &ept, probes[i], b[9] & 7))
				fail(model.why);
	}
	ept_destroy(&ept);
	if (pool.in_use != 0)
		fail("pages left after ept_destroy");
	return 0;
}
