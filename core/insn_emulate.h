/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instruction emulator for MMIO: executes a decoded instruction (see
 * insn_decode.h) against the vCPU's registers and a memory interface.
 *
 * Memory is reached only through struct emul_ops, by linear address after
 * segmentation (the callbacks do the page walk and route each access to a
 * device or to guest RAM). The unit tests serve it from a buffer; mmio.c
 * serves it from the page walker and the MMIO bus.
 *
 * Nothing is committed when an access faults: registers and RFLAGS are
 * written after every memory access of the instruction succeeded. String
 * instructions are the exception, as on the CPU: RSI/RDI/RCX reflect the
 * iterations completed before the fault (SDM Vol. 2B, REP).
 */
#ifndef TERN_INSN_EMULATE_H
#define TERN_INSN_EMULATE_H

#include <stdint.h>
#include <stdbool.h>
#include "insn_decode.h"
#include "guest_fault.h"
#include "vcpu.h"
#include "x86.h"

/* acc for emul_ops.read: the instruction will write the operand back. */
#define EMUL_ACC_RMW (1u << 0)

struct emul_ops {
	/*
	 * Copy @len bytes (1..8) at linear address @la. Return 0;
	 * -TERN_EFAULT with @f filled for a guest fault (#PF); any other
	 * negative value aborts the emulation with that error.
	 * With EMUL_ACC_RMW, a read must also check that @la is writable
	 * (and fault as a write would) before touching the device.
	 */
	int (*read)(void *opaque, uint64_t la, void *buf, unsigned len, unsigned acc,
		    struct guest_fault *f);
	int (*write)(void *opaque, uint64_t la, const void *buf, unsigned len,
		     struct guest_fault *f);
};

/* String iterations per call; the rest re-executes (RIP stays). */
#define EMUL_MAX_REP_DEFAULT 4096u

struct emul_ctx {
	struct vcpu *vcpu;
	const struct emul_ops *ops;
	void *opaque;
	enum insn_mode mode;     /* code size of CS */
	bool no_prot;            /* real or virtual-8086 mode: no segment type checks */
	uint32_t max_rep;
	bool rep_pending;        /* out: a REP stopped early; RIP not advanced */
	struct guest_fault fault;
	/*
	 * Optional: called before each iteration of a string instruction
	 * after the first. The iterations before it are committed (RSI, RDI,
	 * RCX) however the instruction stops from here on, so a caller that
	 * logs accesses to re-run the instruction (mmio.c) may forget theirs.
	 */
	void (*iter)(void *opaque);
};

/*
 * The decode mode of the vCPU's current code: real/virtual-8086 and
 * 16-bit protected mode are 16, CS.D selects 32, EFER.LMA with CS.L
 * is 64 (SDM Vol. 3A 5.2.1, Vol. 1 3.6).
 */
static inline void emul_ctx_init(struct emul_ctx *c, struct vcpu *vcpu,
				 const struct emul_ops *ops, void *opaque)
{
	const struct seg_desc *cs;

	c->vcpu = vcpu;
	c->ops = ops;
	c->opaque = opaque;
	c->max_rep = EMUL_MAX_REP_DEFAULT;
	c->rep_pending = false;
	c->fault.valid = false;
	c->no_prot = false;
	c->iter = 0;
	if (!(vcpu_get_reg(vcpu, VCPU_CR0) & X86_CR0_PE)) {
		c->mode = INSN_MODE_16;
		c->no_prot = true;
		return;
	}
	cs = vcpu_get_seg(vcpu, VCPU_CS);
	/* IA-32e mode: CS.L selects 64-bit code; no virtual-8086 mode there. */
	if (vcpu_get_reg(vcpu, VCPU_EFER) & X86_EFER_LMA) {
		if (seg_ar_l(cs->ar)) {
			c->mode = INSN_MODE_64;
			return;
		}
	} else if (vcpu_get_reg(vcpu, VCPU_RFLAGS) & X86_RFLAGS_VM) {
		c->mode = INSN_MODE_16;
		c->no_prot = true;
		return;
	}
	c->mode = seg_ar_db(cs->ar) ? INSN_MODE_32 : INSN_MODE_16;
}

/*
 * Execute @in. Returns 0 (RIP advanced by in->len unless c->rep_pending),
 * -TERN_EFAULT with c->fault set (#GP/#SS from segmentation, #PF from
 * the callbacks; RIP not advanced), or another negative error from a
 * callback.
 */
int emul_execute(struct emul_ctx *c, const struct insn *in);

/* Effective address (before segmentation) of in's ModRM memory operand. */
uint64_t emul_effective_addr(struct emul_ctx *c, const struct insn *in);

#endif
