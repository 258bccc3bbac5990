/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions per decode + emulate of typical MMIO accesses, the guest
 * page walk excluded: memory is served by callbacks over a buffer, as the
 * emulator's caller would after translation. Each measure_* runs the whole
 * path one exit takes: reading the code mode from the vCPU, decoding the
 * bytes, executing against the vCPU's register cache, advancing RIP.
 */
#include <stdint.h>
#include <string.h>
#include "bench.h"
#include "insn_decode.h"
#include "insn_emulate.h"
#include "err.h"
#include "vcpu.h"

static uint8_t region[4096];
#define REGION_BASE 0xC0000000ull

/* Fixed-size copies, as a device register file would do them. */
static inline void copy(void *dst, const void *src, unsigned len)
{
	switch (len) {
	case 1: memcpy(dst, src, 1); break;
	case 2: memcpy(dst, src, 2); break;
	case 4: memcpy(dst, src, 4); break;
	default: memcpy(dst, src, 8); break;
	}
}

static int buf_read(void *opaque, uint64_t la, void *buf, unsigned len, unsigned acc,
		    struct guest_fault *f)
{
	(void)opaque; (void)acc;
	if (la - REGION_BASE > sizeof(region) - len) {
		guest_fault_gp0(f);
		return -TERN_EFAULT;
	}
	copy(buf, region + (la - REGION_BASE), len);
	return 0;
}

static int buf_write(void *opaque, uint64_t la, const void *buf, unsigned len,
		     struct guest_fault *f)
{
	(void)opaque;
	if (la - REGION_BASE > sizeof(region) - len) {
		guest_fault_gp0(f);
		return -TERN_EFAULT;
	}
	copy(region + (la - REGION_BASE), buf, len);
	return 0;
}

static const struct emul_ops ops = { buf_read, buf_write };
static struct vcpu vcpu;

static void vcpu_64bit(void)
{
	vcpu_init(&vcpu, NULL, 0);
	for (unsigned r = 0; r < VCPU_REG_COUNT; r++)
		vcpu_cache_fill(&vcpu, (enum vcpu_reg)r, 0);
	vcpu_cache_fill(&vcpu, VCPU_RFLAGS, 2);
	vcpu_cache_fill(&vcpu, VCPU_CR0, 0x80000011ull);
	vcpu_cache_fill(&vcpu, VCPU_CR4, 0x20);
	vcpu_cache_fill(&vcpu, VCPU_EFER, 0x500);
	struct seg_desc cs = { 0x8, 0, 0xffffffff, 0xa09b };
	struct seg_desc ds = { 0x10, 0, 0xffffffff, 0xc093 };
	for (unsigned s = 0; s < VCPU_SEG_COUNT; s++)
		vcpu_cache_fill_seg(&vcpu, (enum vcpu_seg)s, s == VCPU_CS ? &cs : &ds);
	vcpu_cache_fill(&vcpu, VCPU_RBX, REGION_BASE + 0x100);
	vcpu_cache_fill(&vcpu, VCPU_RAX, 0x12345678);
}

static int one(const uint8_t *bytes, unsigned len)
{
	struct emul_ctx c;
	struct insn in;
	int rc;

	emul_ctx_init(&c, &vcpu, &ops, NULL);
	if ((rc = insn_decode(bytes, len, c.mode, &in)) != 0)
		return rc;
	return emul_execute(&c, &in);
}

static const uint8_t mov_store[] = { 0x89, 0x03 };
static const uint8_t mov_load[] = { 0x8b, 0x03 };
static const uint8_t movzx_load[] = { 0x0f, 0xb6, 0x03 };
static const uint8_t rep_movsb[] = { 0xf3, 0xa4 };

BENCH_MEASURE static int measure_mov_store(void) { return one(mov_store, sizeof(mov_store)); }
BENCH_MEASURE static int measure_mov_load(void) { return one(mov_load, sizeof(mov_load)); }
BENCH_MEASURE static int measure_movzx_load(void) { return one(movzx_load, sizeof(movzx_load)); }
BENCH_MEASURE static int measure_rep_movsb64(void) { return one(rep_movsb, sizeof(rep_movsb)); }

int main(void)
{
	int bad = 0;

	vcpu_64bit();
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		vcpu_cache_fill(&vcpu, VCPU_RIP, 0x1000);
		bad |= measure_mov_store();
	}
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		vcpu_cache_fill(&vcpu, VCPU_RIP, 0x1000);
		bad |= measure_mov_load();
	}
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		vcpu_cache_fill(&vcpu, VCPU_RIP, 0x1000);
		bad |= measure_movzx_load();
	}
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		vcpu_cache_fill(&vcpu, VCPU_RIP, 0x1000);
		vcpu_cache_fill(&vcpu, VCPU_RSI, REGION_BASE + 0x200);
		vcpu_cache_fill(&vcpu, VCPU_RDI, REGION_BASE + 0x400);
		vcpu_cache_fill(&vcpu, VCPU_RCX, 64);
		bad |= measure_rep_movsb64();
	}
	if (bad || vcpu_get_reg(&vcpu, VCPU_RCX) != 0) {
		printf("emulation failed\n");
		return 1;
	}
	bench_case("measure_mov_store", "mmio: mov [rbx],eax (89 03)", BENCH_ITERS, 300);
	bench_case("measure_mov_load", "mmio: mov eax,[rbx] (8b 03)", BENCH_ITERS, 0);
	bench_case("measure_movzx_load", "mmio: movzx eax,byte [rbx] (0f b6 03)", BENCH_ITERS, 0);
	bench_case("measure_rep_movsb64", "mmio: rep movsb, 64 bytes (f3 a4)", BENCH_ITERS, 0);
	return 0;
}
