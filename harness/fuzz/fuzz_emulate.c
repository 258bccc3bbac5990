/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the MMIO instruction emulator. An input is a CPU state, instruction
 * bytes and a memory stream (the replay idea of Xen's emulator corpus):
 *
 *   byte 0        bit 0: target (0: decoder + emulator over the stream,
 *                 1: the whole mmio_emulate() path on a simulated VM whose
 *                 RAM is the rest of the input: page walk, fetch, bus)
 *   bytes 1..     struct fuzz_state (registers, control registers, segments)
 *   then          15 instruction bytes, then the memory stream / RAM image
 *
 * Target 0 serves every read from the stream (a leading byte per access
 * decides whether it faults) and checks every access's size; target 1 lets
 * the guest's own page tables (from the input) drive the walk. Either must
 * end in success, a guest fault or an error: never a crash, an out-of-bounds
 * access or undefined behaviour (ASan/UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "insn_decode.h"
#include "insn_emulate.h"
#include "mmio.h"
#include "sim.h"
#include "vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_state {
	uint64_t gpr[16];
	uint64_t rip, rflags, cr0, cr3, cr4, efer;
	struct {
		uint16_t sel;
		uint32_t base;
		uint32_t limit;
		uint32_t ar;
	} seg[6];
	uint8_t max_rep;
};

struct stream {
	const uint8_t *p;
	size_t n;
	unsigned reads, writes;
};

static uint8_t take(struct stream *s)
{
	if (!s->n)
		return 0;
	s->n--;
	return *s->p++;
}

static int st_read(void *opaque, uint64_t la, void *buf, unsigned len, unsigned acc,
		   struct guest_fault *f)
{
	struct stream *s = opaque;
	uint8_t *b = buf;
	(void)acc;
	if (len == 0 || len > 8)
		abort();
	s->reads++;
	if (take(s) == 0xff) {
		guest_fault_pf(f, 0, la);
		return -TERN_EFAULT;
	}
	for (unsigned i = 0; i < len; i++)
		b[i] = take(s);
	return 0;
}

static int st_write(void *opaque, uint64_t la, const void *buf, unsigned len,
		    struct guest_fault *f)
{
	struct stream *s = opaque;
	volatile uint8_t sink = 0;
	if (len == 0 || len > 8)
		abort();
	for (unsigned i = 0; i < len; i++)      /* every byte must be readable */
		sink ^= ((const uint8_t *)buf)[i];
	(void)sink;
	s->writes++;
	if (take(s) == 0xfe) {
		guest_fault_pf(f, 2, la);
		return -TERN_EFAULT;
	}
	return 0;
}

static const struct emul_ops stream_ops = { st_read, st_write };

static void load_state(struct vcpu *v, const struct fuzz_state *st)
{
	sim_vcpu_begin(v); /* its pCPU handles its exit */
	vcpu_cache_reset(v);
	for (unsigned r = 0; r < VCPU_REG_COUNT; r++)
		vcpu_cache_fill(v, (enum vcpu_reg)r, 0);
	for (unsigned r = 0; r < 16; r++)
		vcpu_cache_fill(v, (enum vcpu_reg)r, st->gpr[r]);
	vcpu_cache_fill(v, VCPU_RIP, st->rip);
	vcpu_cache_fill(v, VCPU_RFLAGS, st->rflags);
	vcpu_cache_fill(v, VCPU_CR0, st->cr0);
	vcpu_cache_fill(v, VCPU_CR3, st->cr3);
	vcpu_cache_fill(v, VCPU_CR4, st->cr4);
	vcpu_cache_fill(v, VCPU_EFER, st->efer);
	for (unsigned s = 0; s < VCPU_SEG_COUNT; s++) {
		struct seg_desc d = { 0, 0, 0xffffffff, 0xc093 };
		if (s < 6)
			d = (struct seg_desc){ st->seg[s].sel, st->seg[s].base, st->seg[s].limit,
					       st->seg[s].ar };
		vcpu_cache_fill_seg(v, (enum vcpu_seg)s, &d);
	}
}

static void fuzz_emulator(const struct fuzz_state *st, const uint8_t *insn, const uint8_t *rest,
			  size_t n)
{
	static struct vcpu v;
	struct stream s = { rest, n, 0, 0 };
	struct emul_ctx c;
	struct insn in;
	int rc;

	vcpu_init(&v, NULL, 0);
	load_state(&v, st);
	emul_ctx_init(&c, &v, &stream_ops, &s);
	c.max_rep = st->max_rep;
	for (unsigned avail = 0; avail <= INSN_MAX_LEN; avail++) {
		rc = insn_decode(insn, avail, c.mode, &in);
		if (rc != INSN_ERR_TRUNCATED)
			break;
	}
	if (rc != 0)
		return;
	if (in.len == 0 || in.len > INSN_MAX_LEN || in.osize == 0 || in.osize > 8)
		abort();
	rc = emul_execute(&c, &in);
	if (rc == -TERN_EFAULT && !c.fault.valid)
		abort();
	if (rc != 0 && rc != -TERN_EFAULT)
		abort();
	/* A REP never does more iterations than allowed per call. */
	if (s.reads + s.writes > 2u * (c.max_rep ? c.max_rep : 1) + 2)
		abort();
}

#define FUZZ_RAM (64u << 10)

static void fuzz_mmio(const struct fuzz_state *st, const uint8_t *insn, const uint8_t *rest,
		      size_t n)
{
	static struct tern hv;
	static struct vm *vm;
	struct guest_fault f;
	struct vcpu *v;
	uint8_t *ram;

	if (!vm) {
		sim_reset();
		tern_init(&hv);
		vm = sim_create_vm(&hv, "fuzz", 1, false, FUZZ_RAM);
		if (!vm)
			abort();
	}
	ram = sim_vm_ram(vm->id);
	memset(ram, 0, FUZZ_RAM);
	memcpy(ram, rest, n < FUZZ_RAM ? n : FUZZ_RAM);
	memset(&vm->testdev, 0, sizeof(vm->testdev));
	v = &vm->vcpus[0];
	load_state(v, st);
	/* The instruction at RIP when that is inside RAM (flat code, no paging). */
	uint64_t at = st->rip & (FUZZ_RAM - 1);
	if (at + INSN_MAX_LEN <= FUZZ_RAM)
		memcpy(ram + at, insn, INSN_MAX_LEN);
	bool retired;
	int rc = mmio_emulate(v, &f, &retired);
	if (rc == -TERN_EFAULT && !f.valid)
		abort();
	if (retired && rc != 0)
		abort(); /* only a completed instruction retires */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state st;
	uint8_t insn[INSN_MAX_LEN];

	if (size < 1 + sizeof(st) + INSN_MAX_LEN)
		return 0;
	memcpy(&st, data + 1, sizeof(st));
	memcpy(insn, data + 1 + sizeof(st), INSN_MAX_LEN);
	const uint8_t *rest = data + 1 + sizeof(st) + INSN_MAX_LEN;
	size_t n = size - 1 - sizeof(st) - INSN_MAX_LEN;
	if (data[0] & 1)
		fuzz_mmio(&st, insn, rest, n);
	else
		fuzz_emulator(&st, insn, rest, n);
	return 0;
}
