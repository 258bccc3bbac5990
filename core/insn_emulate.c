/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instruction emulator. Operations follow the "Operation" and "Flags
 * Affected" sections of SDM Vol. 2; segmentation is segment.c's.
 */
#include "insn_emulate.h"
#include "insn_flags.h"
#include "insn_vendor.h"
#include "err.h"
#include "segment.h"
#include "x86.h"

/*
 * The fast path (one MOV per exit) is a handful of small helpers: the image
 * and the bench force them inline. The sanitizer build (unit tests,
 * coverage) keeps one copy of each, so that branch coverage counts a
 * branch once rather than once per call site.
 */
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
#define EMUL_INLINE static inline __attribute__((always_inline))
#else
#define EMUL_INLINE static inline
#endif

/*
 * Register read through the vCPU cache: the value when cached, else the
 * platform fetch of vcpu_get_reg(). Inline: an MMIO exit reads several
 * registers, nearly always cached, and the cached read is one load.
 */
EMUL_INLINE uint64_t reg_get(struct vcpu *v, enum vcpu_reg r)
{
	if ((v->reg_valid >> r) & 1u)
		return v->regs[r];
	return vcpu_get_reg(v, r);
}

EMUL_INLINE const struct seg_desc *seg_get(struct vcpu *v, enum vcpu_seg s)
{
	if ((v->seg_valid >> s) & 1u)
		return &v->segs[s];
	return vcpu_get_seg(v, s);
}

static inline int64_t sext(uint64_t v, unsigned bytes)
{
	unsigned sh = 64 - 8 * bytes;

	return (int64_t)(v << sh) >> sh;
}


/* ---- registers ---------------------------------------------------------- */

/* Byte registers 4-7 are AH, CH, DH, BH without REX (SDM Vol. 2A 3.7.2.1). */
EMUL_INLINE uint64_t gpr_read(struct vcpu *v, unsigned r, unsigned size, bool rex)
{
	if (size == 1 && !rex && r >= 4 && r < 8)
		return (reg_get(v, (enum vcpu_reg)(r - 4)) >> 8) & 0xff;
	return reg_get(v, (enum vcpu_reg)r) & tern_size_mask(size);
}

/* 8- and 16-bit writes merge; 32-bit writes zero-extend (SDM Vol. 1 3.4.1.1). */
EMUL_INLINE void gpr_write(struct vcpu *v, unsigned r, unsigned size, bool rex, uint64_t val)
{
	enum vcpu_reg reg = (enum vcpu_reg)r;
	uint64_t old;

	switch (size) {
	case 1:
		if (!rex && r >= 4 && r < 8) {
			reg = (enum vcpu_reg)(r - 4);
			old = reg_get(v, reg);
			vcpu_set_reg(v, reg, (old & ~0xff00ull) | ((val & 0xff) << 8));
			return;
		}
		old = reg_get(v, reg);
		vcpu_set_reg(v, reg, (old & ~0xffull) | (val & 0xff));
		return;
	case 2:
		old = reg_get(v, reg);
		vcpu_set_reg(v, reg, (old & ~0xffffull) | (val & 0xffff));
		return;
	case 4:
		vcpu_set_reg(v, reg, val & 0xffffffffull);
		return;
	default:
		vcpu_set_reg(v, reg, val);
		return;
	}
}

/* An address-size register update: RSI/RDI/RCX in string instructions. */
static void addr_reg_write(struct vcpu *v, enum vcpu_reg r, unsigned asize, uint64_t val)
{
	gpr_write(v, r, asize, true, val);
}

/* ---- addressing ---------------------------------------------------------- */

EMUL_INLINE uint64_t eff_addr(struct emul_ctx *c, const struct insn *in)
{
	uint64_t a = (uint64_t)in->disp;

	if (in->base != INSN_NOREG)
		a += reg_get(c->vcpu, (enum vcpu_reg)in->base);
	if (in->index != INSN_NOREG)
		a += reg_get(c->vcpu, (enum vcpu_reg)in->index) << in->scale;
	if (in->flags & INSN_F_RIPREL)
		a += reg_get(c->vcpu, VCPU_RIP) + in->len;
	return a & tern_size_mask(in->asize);
}

uint64_t emul_effective_addr(struct emul_ctx *c, const struct insn *in)
{
	return eff_addr(c, in);
}

/*
 * Segment offset -> linear address with the checks the CPU makes
 * (segment.h). 64-bit mode without FS/GS, the MMIO fast path, is inline:
 * the offset is the address, and CR4 is read only for an address that is
 * not 48-bit canonical.
 */
static int linearize_slow(struct emul_ctx *c, unsigned seg, uint64_t off, unsigned len,
			  bool write, uint64_t *la)
{
	enum seg_mode mode = c->mode == INSN_MODE_64 ? SEG_MODE_64 :
			     c->no_prot ? SEG_MODE_REAL : SEG_MODE_PROT;
	bool la57 = mode == SEG_MODE_64 && (reg_get(c->vcpu, VCPU_CR4) & X86_CR4_LA57);

	return seg_linearize(seg_get(c->vcpu, (enum vcpu_seg)seg), (enum vcpu_seg)seg, mode, la57,
			     off, len, write, &c->fault, la);
}

/* 64-bit mode, not FS/GS, not 48-bit canonical: canonical with LA57, or the fault. */
static __attribute__((noinline)) int linearize_la57(struct emul_ctx *c, unsigned seg, uint64_t off,
						    unsigned len)
{
	if ((reg_get(c->vcpu, VCPU_CR4) & X86_CR4_LA57) && seg_canonical(off, len, true))
		return 0;
	return seg_fault((enum vcpu_seg)seg, &c->fault);
}

EMUL_INLINE int linearize(struct emul_ctx *c, unsigned seg, uint64_t off, unsigned len,
			    bool write, uint64_t *la)
{
	if (c->mode == INSN_MODE_64 && seg != VCPU_FS && seg != VCPU_GS) {
		*la = off;
		if (seg_canonical(off, len, false))
			return 0;
		return linearize_la57(c, seg, off, len);
	}
	return linearize_slow(c, seg, off, len, write, la);
}

EMUL_INLINE int mem_read(struct emul_ctx *c, uint64_t la, unsigned len, unsigned acc, uint64_t *v)
{
	uint64_t x = 0;
	int rc = c->ops->read(c->opaque, la, &x, len, acc, &c->fault);

	*v = x;
	return rc;
}

EMUL_INLINE int mem_write(struct emul_ctx *c, uint64_t la, unsigned len, uint64_t v)
{
	return c->ops->write(c->opaque, la, &v, len, &c->fault);
}

/* The r/m operand: a register, or a linear address. */
struct opnd {
	bool mem;
	uint8_t reg;
	uint64_t la;
};

EMUL_INLINE int rm_resolve_at(struct emul_ctx *c, const struct insn *in, uint64_t ea, unsigned len,
			 bool write, struct opnd *o)
{
	if (!(in->flags & INSN_F_MEM)) {
		o->mem = false;
		o->reg = in->rm;
		return 0;
	}
	o->mem = true;
	return linearize(c, in->seg, ea, len, write, &o->la);
}

EMUL_INLINE int rm_resolve(struct emul_ctx *c, const struct insn *in, unsigned len, bool write,
			     struct opnd *o)
{
	uint64_t ea = (in->flags & INSN_F_MEM) ? eff_addr(c, in) : 0;

	return rm_resolve_at(c, in, ea, len, write, o);
}

EMUL_INLINE int opnd_read(struct emul_ctx *c, const struct insn *in, const struct opnd *o,
		     unsigned len, unsigned acc, uint64_t *v)
{
	if (!o->mem) {
		*v = gpr_read(c->vcpu, o->reg, len, in->flags & INSN_F_REX);
		return 0;
	}
	return mem_read(c, o->la, len, acc, v);
}

EMUL_INLINE int opnd_write(struct emul_ctx *c, const struct insn *in, const struct opnd *o,
		      unsigned len, uint64_t v)
{
	if (!o->mem) {
		gpr_write(c->vcpu, o->reg, len, in->flags & INSN_F_REX, v);
		return 0;
	}
	return mem_write(c, o->la, len, v);
}

/* ---- operations ------------------------------------------------------------ */

static int do_mov(struct emul_ctx *c, const struct insn *in)
{
	struct vcpu *v = c->vcpu;
	bool rex = in->flags & INSN_F_REX;
	unsigned sz = in->osize;
	struct opnd o;
	uint64_t val;
	int rc;

	switch (in->form) {
	case INSN_FORM_EG:
		if ((rc = rm_resolve(c, in, sz, true, &o)) != 0)
			return rc;
		return opnd_write(c, in, &o, sz, gpr_read(v, in->reg, sz, rex));
	case INSN_FORM_GE:
		if ((rc = rm_resolve(c, in, sz, false, &o)) != 0 ||
		    (rc = opnd_read(c, in, &o, sz, 0, &val)) != 0)
			return rc;
		gpr_write(v, in->reg, sz, rex, val);
		return 0;
	case INSN_FORM_EI:
		if ((rc = rm_resolve(c, in, sz, true, &o)) != 0)
			return rc;
		return opnd_write(c, in, &o, sz, in->imm);
	case INSN_FORM_MOFFS_LOAD:
	case INSN_FORM_MOFFS_STORE: {
		bool store = in->form == INSN_FORM_MOFFS_STORE;
		uint64_t la;

		if ((rc = linearize(c, in->seg, (uint64_t)in->disp & tern_size_mask(in->asize), sz, store,
				    &la)) != 0)
			return rc;
		if (store)
			return mem_write(c, la, sz, gpr_read(v, VCPU_RAX, sz, rex));
		if ((rc = mem_read(c, la, sz, 0, &val)) != 0)
			return rc;
		gpr_write(v, VCPU_RAX, sz, rex, val);
		return 0;
	}
	default:
		guest_fault_ud(&c->fault);
		return -TERN_EFAULT;
	}
}

static __attribute__((noinline)) int do_movx(struct emul_ctx *c, const struct insn *in)
{
	unsigned ss = in->ssize < in->osize ? in->ssize : in->osize;
	struct opnd o;
	uint64_t val;
	int rc;

	if ((rc = rm_resolve(c, in, ss, false, &o)) != 0 ||
	    (rc = opnd_read(c, in, &o, ss, 0, &val)) != 0)
		return rc;
	if (in->op == INSN_OP_MOVSX)
		val = (uint64_t)sext(val, ss);
	gpr_write(c->vcpu, in->reg, in->osize, in->flags & INSN_F_REX, val);
	return 0;
}

/* ADD..CMP and TEST in every form. */
static __attribute__((noinline)) int do_alu(struct emul_ctx *c, const struct insn *in)
{
	struct vcpu *v = c->vcpu;
	bool rex = in->flags & INSN_F_REX;
	bool writes = in->op != INSN_OP_CMP && in->op != INSN_OP_TEST;
	unsigned sz = in->osize;
	uint64_t a, b, res, rfl;
	struct opnd dst;
	int rc;

	switch (in->form) {
	case INSN_FORM_GE: {
		struct opnd src;

		dst.mem = false;
		dst.reg = in->reg;
		if ((rc = rm_resolve(c, in, sz, false, &src)) != 0 ||
		    (rc = opnd_read(c, in, &src, sz, 0, &b)) != 0)
			return rc;
		break;
	}
	case INSN_FORM_AI:
		dst.mem = false;
		dst.reg = VCPU_RAX;
		b = in->imm;
		break;
	case INSN_FORM_EG:
	case INSN_FORM_EI:
		if ((rc = rm_resolve(c, in, sz, writes, &dst)) != 0)
			return rc;
		b = in->form == INSN_FORM_EI ? in->imm : gpr_read(v, in->reg, sz, rex);
		break;
	default:
		guest_fault_ud(&c->fault);
		return -TERN_EFAULT;
	}
	if ((rc = opnd_read(c, in, &dst, sz, writes ? EMUL_ACC_RMW : 0, &a)) != 0)
		return rc;
	rfl = reg_get(v, VCPU_RFLAGS);
	res = flags_alu(in->op, a, b, sz, &rfl);
	if (writes && (rc = opnd_write(c, in, &dst, sz, res)) != 0)
		return rc;
	vcpu_set_reg(v, VCPU_RFLAGS, rfl);
	return 0;
}

/* BT/BTS/BTR/BTC, SDM Vol. 2A "BT": register offsets reach beyond the operand. */
static __attribute__((noinline)) int do_bt(struct emul_ctx *c, const struct insn *in)
{
	struct vcpu *v = c->vcpu;
	unsigned sz = in->osize;
	unsigned lg = sz == 2 ? 4 : sz == 4 ? 5 : 6;   /* log2 of the bit count */
	bool writes = in->op != INSN_OP_BT;
	uint64_t off, bit, a, rfl;
	struct opnd o;
	int rc;

	if (in->form == INSN_FORM_EI) {
		bit = in->imm & ((1u << lg) - 1);
		if ((rc = rm_resolve(c, in, sz, writes, &o)) != 0)
			return rc;
	} else {
		off = gpr_read(v, in->reg, sz, true);
		bit = off & ((1u << lg) - 1);
		if (in->flags & INSN_F_MEM) {
			/* EA + operand-size * (signed bit offset DIV operand bits). */
			int64_t words = sext(off, sz) >> lg;
			uint64_t ea = (eff_addr(c, in) + (uint64_t)words * sz) &
				      tern_size_mask(in->asize);

			if ((rc = rm_resolve_at(c, in, ea, sz, writes, &o)) != 0)
				return rc;
		} else if ((rc = rm_resolve(c, in, sz, writes, &o)) != 0) {
			return rc;
		}
	}
	if ((rc = opnd_read(c, in, &o, sz, writes ? EMUL_ACC_RMW : 0, &a)) != 0)
		return rc;
	rfl = reg_get(v, VCPU_RFLAGS);
	/*
	 * CF is the bit. ZF, and OF/SF/AF/PF which the SDM leaves undefined,
	 * keep their values as on the AMD CPUs measured (INSN_QUIRK_BT_ZF,
	 * INSN_QUIRK_BT_OSAP: the same for every vendor).
	 */
	rfl = (rfl & ~RFL_CF) | ((a >> bit) & 1);
	if (writes) {
		if (in->op == INSN_OP_BTS)
			a |= 1ull << bit;
		else if (in->op == INSN_OP_BTR)
			a &= ~(1ull << bit);
		else
			a ^= 1ull << bit;
		if ((rc = opnd_write(c, in, &o, sz, a)) != 0)
			return rc;
	}
	vcpu_set_reg(v, VCPU_RFLAGS, rfl);
	return 0;
}

/* XCHG, XADD, CMPXCHG: r/m with ModRM.reg, memory always read for write. */
static __attribute__((noinline)) int do_exchange(struct emul_ctx *c, const struct insn *in)
{
	struct vcpu *v = c->vcpu;
	bool rex = in->flags & INSN_F_REX;
	unsigned sz = in->osize;
	uint64_t a, b, res, rfl;
	struct opnd o;
	int rc;

	if ((rc = rm_resolve(c, in, sz, true, &o)) != 0 ||
	    (rc = opnd_read(c, in, &o, sz, EMUL_ACC_RMW, &a)) != 0)
		return rc;
	b = gpr_read(v, in->reg, sz, rex);

	switch (in->op) {
	case INSN_OP_XCHG:
		if ((rc = opnd_write(c, in, &o, sz, b)) != 0)
			return rc;
		gpr_write(v, in->reg, sz, rex, a);
		return 0;
	case INSN_OP_XADD:
		/* TEMP <- SRC + DEST; SRC <- DEST; DEST <- TEMP. */
		rfl = reg_get(v, VCPU_RFLAGS);
		res = flags_alu(INSN_OP_ADD, a, b, sz, &rfl);
		if (o.mem) {
			if ((rc = opnd_write(c, in, &o, sz, res)) != 0)
				return rc;
			gpr_write(v, in->reg, sz, rex, a);
		} else {
			gpr_write(v, in->reg, sz, rex, a);
			gpr_write(v, o.reg, sz, rex, res);
		}
		vcpu_set_reg(v, VCPU_RFLAGS, rfl);
		return 0;
	case INSN_OP_CMPXCHG:
	default: {
		uint64_t acc = gpr_read(v, VCPU_RAX, sz, rex);

		rfl = reg_get(v, VCPU_RFLAGS);
		flags_alu(INSN_OP_CMP, acc, a, sz, &rfl);
		if (rfl & RFL_ZF) {
			if ((rc = opnd_write(c, in, &o, sz, b)) != 0)
				return rc;
		} else {
			/* The destination is written back (locked cycle) when it is memory. */
			if (o.mem && (rc = opnd_write(c, in, &o, sz, a)) != 0)
				return rc;
			gpr_write(v, VCPU_RAX, sz, rex, a);
		}
		vcpu_set_reg(v, VCPU_RFLAGS, rfl);
		return 0;
	}
	}
}

/* INC, DEC, NOT, NEG, SETcc: one r/m operand. */
static __attribute__((noinline)) int do_unary(struct emul_ctx *c, const struct insn *in)
{
	struct vcpu *v = c->vcpu;
	unsigned sz = in->osize;
	uint64_t a = 0, res, rfl = reg_get(v, VCPU_RFLAGS), cf;
	struct opnd o;
	int rc;

	if ((rc = rm_resolve(c, in, sz, true, &o)) != 0)
		return rc;
	if (in->op == INSN_OP_SETCC)
		return opnd_write(c, in, &o, 1, flags_cond(rfl, in->cc) ? 1 : 0);
	if ((rc = opnd_read(c, in, &o, sz, EMUL_ACC_RMW, &a)) != 0)
		return rc;
	cf = rfl & RFL_CF;
	switch (in->op) {
	case INSN_OP_INC:   /* CF is not affected */
		res = flags_alu(INSN_OP_ADD, a, 1, sz, &rfl);
		rfl = (rfl & ~RFL_CF) | cf;
		break;
	case INSN_OP_DEC:
		res = flags_alu(INSN_OP_SUB, a, 1, sz, &rfl);
		rfl = (rfl & ~RFL_CF) | cf;
		break;
	case INSN_OP_NEG:   /* flags as 0 - a; CF = (a != 0) */
		res = flags_alu(INSN_OP_SUB, 0, a, sz, &rfl);
		break;
	case INSN_OP_NOT:   /* no flags */
	default:
		res = ~a;
		break;
	}
	if ((rc = opnd_write(c, in, &o, sz, res)) != 0)
		return rc;
	vcpu_set_reg(v, VCPU_RFLAGS, rfl);
	return 0;
}

/* MOVS, STOS, LODS, CMPS, SCAS with REP/REPE/REPNE (SDM Vol. 2B, REP). */
static __attribute__((noinline)) int do_string(struct emul_ctx *c, const struct insn *in)
{
	struct vcpu *v = c->vcpu;
	unsigned sz = in->osize, as = in->asize;
	uint64_t am = tern_size_mask(as);
	/* F2 repeats MOVS/STOS/LODS as F3 does (INSN_QUIRK_REPNE_NONCMP, every vendor). */
	bool rep = (in->flags & (INSN_F_REP | INSN_F_REPNE)) != 0;
	bool uses_si = in->op == INSN_OP_MOVS || in->op == INSN_OP_LODS || in->op == INSN_OP_CMPS;
	bool uses_di = in->op != INSN_OP_LODS;
	bool cmp = in->op == INSN_OP_CMPS || in->op == INSN_OP_SCAS;
	uint64_t rfl = reg_get(v, VCPU_RFLAGS);
	uint64_t step = (rfl & RFL_DF) ? (uint64_t)0 - sz : sz;
	uint64_t rsi = uses_si ? reg_get(v, VCPU_RSI) : 0;
	uint64_t rdi = uses_di ? reg_get(v, VCPU_RDI) : 0;
	uint64_t rcx = rep ? reg_get(v, VCPU_RCX) : 0;
	uint64_t rax = in->op == INSN_OP_LODS ? 0 : gpr_read(v, VCPU_RAX, sz, true);
	uint64_t cnt = rcx & am, a, b, la_s = 0, la_d = 0;
	bool loaded = false;
	void (*iter)(void *) = c->iter;
	uint32_t n = 0;
	int rc = 0;

	if (rep && cnt == 0) {
		/*
		 * No iteration: nothing moves, but an Intel CPU still writes ECX,
		 * zeroing RCX[63:32], and MOVS/STOS also write back the index
		 * registers they use as 32-bit registers, zeroing RSI[63:32] /
		 * RDI[63:32]; LODS, CMPS and SCAS leave RSI and RDI whole
		 * (INSN_QUIRK_REP_ZERO_COUNT).
		 */
		if (as == 4 && insn_quirk_on(v, INSN_QUIRK_REP_ZERO_COUNT)) {
			addr_reg_write(v, VCPU_RCX, as, 0);
			if (in->op == INSN_OP_MOVS)
				addr_reg_write(v, VCPU_RSI, as, rsi);
			if (in->op == INSN_OP_MOVS || in->op == INSN_OP_STOS)
				addr_reg_write(v, VCPU_RDI, as, rdi);
		}
		return 0;
	}
	for (;;) {
		if (rep && cnt == 0)
			break;
		if (n >= c->max_rep && n > 0) {   /* at least one iteration per call */
			c->rep_pending = true;
			break;
		}
		if (iter && n > 0)
			iter(c->opaque);
		if (uses_si && (rc = linearize(c, in->seg, rsi & am, sz, false, &la_s)) != 0)
			break;
		if (uses_di && (rc = linearize(c, VCPU_ES, rdi & am, sz, in->op == INSN_OP_MOVS ||
					       in->op == INSN_OP_STOS, &la_d)) != 0)
			break;
		switch (in->op) {
		case INSN_OP_MOVS:
			if ((rc = mem_read(c, la_s, sz, 0, &a)) == 0)
				rc = mem_write(c, la_d, sz, a);
			break;
		case INSN_OP_STOS:
			rc = mem_write(c, la_d, sz, rax);
			break;
		case INSN_OP_LODS:
			if ((rc = mem_read(c, la_s, sz, 0, &a)) == 0) {
				rax = a;
				loaded = true;
			}
			break;
		case INSN_OP_CMPS:
			if ((rc = mem_read(c, la_s, sz, 0, &a)) == 0 &&
			    (rc = mem_read(c, la_d, sz, 0, &b)) == 0)
				flags_alu(INSN_OP_CMP, a, b, sz, &rfl);
			break;
		case INSN_OP_SCAS:
		default:
			if ((rc = mem_read(c, la_d, sz, 0, &b)) == 0)
				flags_alu(INSN_OP_CMP, rax, b, sz, &rfl);
			break;
		}
		if (rc != 0)
			break;
		n++;
		rsi += step;
		rdi += step;
		if (!rep)
			break;
		cnt--;
		/* REPE stops on ZF = 0, REPNE on ZF = 1 (CMPS and SCAS only). */
		if (cmp && (((in->flags & INSN_F_REP) && !(rfl & RFL_ZF)) ||
			    ((in->flags & INSN_F_REPNE) && (rfl & RFL_ZF))))
			break;
	}

	/* Commit what the completed iterations did, also before a fault. */
	if (n > 0) {
		if (uses_si)
			addr_reg_write(v, VCPU_RSI, as, rsi);
		if (uses_di)
			addr_reg_write(v, VCPU_RDI, as, rdi);
		if (loaded)
			gpr_write(v, VCPU_RAX, sz, true, rax);
		if (cmp)
			vcpu_set_reg(v, VCPU_RFLAGS, rfl);
	}
	if (rep && n > 0)
		addr_reg_write(v, VCPU_RCX, as, cnt);
	return rc;
}

int emul_execute(struct emul_ctx *c, const struct insn *in)
{
	int rc;

	c->fault.valid = false;
	c->rep_pending = false;
	if (in->op == INSN_OP_MOV) {
		/* The common MMIO access: no jump-table dispatch. */
		if ((rc = do_mov(c, in)) != 0)
			return rc;
		goto advance;
	}
	switch (in->op) {
	case INSN_OP_MOVZX:
	case INSN_OP_MOVSX:
		rc = do_movx(c, in);
		break;
	case INSN_OP_ADD: case INSN_OP_OR: case INSN_OP_ADC: case INSN_OP_SBB:
	case INSN_OP_AND: case INSN_OP_SUB: case INSN_OP_XOR: case INSN_OP_CMP:
	case INSN_OP_TEST:
		rc = do_alu(c, in);
		break;
	case INSN_OP_BT: case INSN_OP_BTS: case INSN_OP_BTR: case INSN_OP_BTC:
		rc = do_bt(c, in);
		break;
	case INSN_OP_XCHG: case INSN_OP_XADD: case INSN_OP_CMPXCHG:
		rc = do_exchange(c, in);
		break;
	case INSN_OP_INC: case INSN_OP_DEC: case INSN_OP_NOT: case INSN_OP_NEG:
	case INSN_OP_SETCC:
		rc = do_unary(c, in);
		break;
	case INSN_OP_MOVS: case INSN_OP_STOS: case INSN_OP_LODS:
	case INSN_OP_CMPS: case INSN_OP_SCAS:
		rc = do_string(c, in);
		break;
	default:
		guest_fault_ud(&c->fault);
		rc = -TERN_EFAULT;
		break;
	}
	if (rc != 0 || c->rep_pending)
		return rc;
advance:
	{
		/* IP wraps at the code-segment size (SDM Vol. 1 3.5). */
		static const uint64_t ip_mask[] = {
			[INSN_MODE_16] = 0xffffull,
			[INSN_MODE_32] = 0xffffffffull,
			[INSN_MODE_64] = ~0ull,
		};
		uint64_t rip = reg_get(c->vcpu, VCPU_RIP) + in->len;

		vcpu_set_reg(c->vcpu, VCPU_RIP, rip & ip_mask[c->mode]);
	}
	return 0;
}
