/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instruction decoder, SDM Vol. 2A chapter 2 (format, prefixes, ModRM/SIB,
 * REX) and Appendix A (opcode maps).
 */
#include "insn_decode.h"
#include "lib.h"
#include "vcpu.h"

/* Descriptor flags. */
#define D_MODRM  (1u << 0)
#define D_BYTE   (1u << 1)   /* byte operands */
#define D_IMM8   (1u << 2)   /* imm8, sign-extended to the operand size */
#define D_IMMZ   (1u << 3)   /* imm16/imm32 (imm32 sign-extended for 64-bit) */
#define D_GROUP  (1u << 4)   /* the operation is chosen by ModRM.reg */
#define D_NO64   (1u << 5)   /* invalid in 64-bit mode */
#define D_MEMONLY (1u << 6)  /* ModRM.mod = 3 is #UD */
#define D_UIMM8  (1u << 7)   /* imm8, zero-extended (bit offsets) */
#define D_SPECIAL (1u << 8)  /* extra validity checks (D_NO64, 63, 0F C3) */

struct op_desc {
	uint8_t op;
	uint8_t form;
	uint16_t fl;
	uint8_t ssize;
};

enum { GRP_1 = 1, GRP_3, GRP_4, GRP_5, GRP_8, GRP_11 };

#define ALU_ROW(o) \
	{ o, INSN_FORM_EG, D_MODRM | D_BYTE, 0 }, { o, INSN_FORM_EG, D_MODRM, 0 }, \
	{ o, INSN_FORM_GE, D_MODRM | D_BYTE, 0 }, { o, INSN_FORM_GE, D_MODRM, 0 }, \
	{ o, INSN_FORM_AI, D_BYTE | D_IMM8, 0 }, { o, INSN_FORM_AI, D_IMMZ, 0 }

/* One-byte opcode map, SDM Vol. 2D Table A-2 (only what Tern emulates). */
static const struct op_desc map1[256] = {
	[0x00] = ALU_ROW(INSN_OP_ADD),
	[0x08] = ALU_ROW(INSN_OP_OR),
	[0x10] = ALU_ROW(INSN_OP_ADC),
	[0x18] = ALU_ROW(INSN_OP_SBB),
	[0x20] = ALU_ROW(INSN_OP_AND),
	[0x28] = ALU_ROW(INSN_OP_SUB),
	[0x30] = ALU_ROW(INSN_OP_XOR),
	[0x38] = ALU_ROW(INSN_OP_CMP),
	[0x63] = { INSN_OP_MOVSX, INSN_FORM_GE, D_MODRM | D_SPECIAL, 4 },  /* MOVSXD; 64-bit only */
	[0x80] = { GRP_1, INSN_FORM_EI, D_MODRM | D_BYTE | D_IMM8 | D_GROUP, 0 },
	[0x81] = { GRP_1, INSN_FORM_EI, D_MODRM | D_IMMZ | D_GROUP, 0 },
	[0x82] = { GRP_1, INSN_FORM_EI, D_MODRM | D_BYTE | D_IMM8 | D_GROUP | D_NO64 | D_SPECIAL, 0 },
	[0x83] = { GRP_1, INSN_FORM_EI, D_MODRM | D_IMM8 | D_GROUP, 0 },
	[0x84] = { INSN_OP_TEST, INSN_FORM_EG, D_MODRM | D_BYTE, 0 },
	[0x85] = { INSN_OP_TEST, INSN_FORM_EG, D_MODRM, 0 },
	[0x86] = { INSN_OP_XCHG, INSN_FORM_EG, D_MODRM | D_BYTE, 0 },
	[0x87] = { INSN_OP_XCHG, INSN_FORM_EG, D_MODRM, 0 },
	[0x88] = { INSN_OP_MOV, INSN_FORM_EG, D_MODRM | D_BYTE, 0 },
	[0x89] = { INSN_OP_MOV, INSN_FORM_EG, D_MODRM, 0 },
	[0x8a] = { INSN_OP_MOV, INSN_FORM_GE, D_MODRM | D_BYTE, 0 },
	[0x8b] = { INSN_OP_MOV, INSN_FORM_GE, D_MODRM, 0 },
	[0xa0] = { INSN_OP_MOV, INSN_FORM_MOFFS_LOAD, D_BYTE, 0 },
	[0xa1] = { INSN_OP_MOV, INSN_FORM_MOFFS_LOAD, 0, 0 },
	[0xa2] = { INSN_OP_MOV, INSN_FORM_MOFFS_STORE, D_BYTE, 0 },
	[0xa3] = { INSN_OP_MOV, INSN_FORM_MOFFS_STORE, 0, 0 },
	[0xa4] = { INSN_OP_MOVS, INSN_FORM_STRING, D_BYTE, 0 },
	[0xa5] = { INSN_OP_MOVS, INSN_FORM_STRING, 0, 0 },
	[0xa6] = { INSN_OP_CMPS, INSN_FORM_STRING, D_BYTE, 0 },
	[0xa7] = { INSN_OP_CMPS, INSN_FORM_STRING, 0, 0 },
	[0xa8] = { INSN_OP_TEST, INSN_FORM_AI, D_BYTE | D_IMM8, 0 },
	[0xa9] = { INSN_OP_TEST, INSN_FORM_AI, D_IMMZ, 0 },
	[0xaa] = { INSN_OP_STOS, INSN_FORM_STRING, D_BYTE, 0 },
	[0xab] = { INSN_OP_STOS, INSN_FORM_STRING, 0, 0 },
	[0xac] = { INSN_OP_LODS, INSN_FORM_STRING, D_BYTE, 0 },
	[0xad] = { INSN_OP_LODS, INSN_FORM_STRING, 0, 0 },
	[0xae] = { INSN_OP_SCAS, INSN_FORM_STRING, D_BYTE, 0 },
	[0xaf] = { INSN_OP_SCAS, INSN_FORM_STRING, 0, 0 },
	[0xc6] = { GRP_11, INSN_FORM_EI, D_MODRM | D_BYTE | D_IMM8 | D_GROUP, 0 },
	[0xc7] = { GRP_11, INSN_FORM_EI, D_MODRM | D_IMMZ | D_GROUP, 0 },
	[0xf6] = { GRP_3, INSN_FORM_E, D_MODRM | D_BYTE | D_GROUP, 0 },
	[0xf7] = { GRP_3, INSN_FORM_E, D_MODRM | D_GROUP, 0 },
	[0xfe] = { GRP_4, INSN_FORM_E, D_MODRM | D_BYTE | D_GROUP, 0 },
	[0xff] = { GRP_5, INSN_FORM_E, D_MODRM | D_GROUP, 0 },
};

#define SETCC { INSN_OP_SETCC, INSN_FORM_E, D_MODRM | D_BYTE, 0 }

/* Two-byte opcode map (0F xx), SDM Vol. 2D Table A-3. */
static const struct op_desc map2[256] = {
	[0x90] = SETCC, [0x91] = SETCC, [0x92] = SETCC, [0x93] = SETCC,
	[0x94] = SETCC, [0x95] = SETCC, [0x96] = SETCC, [0x97] = SETCC,
	[0x98] = SETCC, [0x99] = SETCC, [0x9a] = SETCC, [0x9b] = SETCC,
	[0x9c] = SETCC, [0x9d] = SETCC, [0x9e] = SETCC, [0x9f] = SETCC,
	[0xa3] = { INSN_OP_BT, INSN_FORM_EG, D_MODRM, 0 },
	[0xab] = { INSN_OP_BTS, INSN_FORM_EG, D_MODRM, 0 },
	[0xb0] = { INSN_OP_CMPXCHG, INSN_FORM_EG, D_MODRM | D_BYTE, 0 },
	[0xb1] = { INSN_OP_CMPXCHG, INSN_FORM_EG, D_MODRM, 0 },
	[0xb3] = { INSN_OP_BTR, INSN_FORM_EG, D_MODRM, 0 },
	[0xb6] = { INSN_OP_MOVZX, INSN_FORM_GE, D_MODRM, 1 },
	[0xb7] = { INSN_OP_MOVZX, INSN_FORM_GE, D_MODRM, 2 },
	[0xba] = { GRP_8, INSN_FORM_EI, D_MODRM | D_UIMM8 | D_GROUP, 0 },
	[0xbb] = { INSN_OP_BTC, INSN_FORM_EG, D_MODRM, 0 },
	[0xbe] = { INSN_OP_MOVSX, INSN_FORM_GE, D_MODRM, 1 },
	[0xbf] = { INSN_OP_MOVSX, INSN_FORM_GE, D_MODRM, 2 },
	[0xc0] = { INSN_OP_XADD, INSN_FORM_EG, D_MODRM | D_BYTE, 0 },
	[0xc1] = { INSN_OP_XADD, INSN_FORM_EG, D_MODRM, 0 },
	[0xc3] = { INSN_OP_MOV, INSN_FORM_EG, D_MODRM | D_MEMONLY | D_SPECIAL, 0 },  /* MOVNTI */
};

/* ModRM.reg -> operation for the groups (SDM Vol. 2D Table A-6). */
static uint8_t group_op(uint8_t grp, unsigned r, uint8_t *form)
{
	switch (grp) {
	case GRP_1:
		return (uint8_t)(INSN_OP_ADD + r);
	case GRP_3:
		if (r <= 1) {           /* TEST r/m, imm (/1 is an alias of /0) */
			*form = INSN_FORM_EI;
			return INSN_OP_TEST;
		}
		if (r == 2)
			return INSN_OP_NOT;
		if (r == 3)
			return INSN_OP_NEG;
		return INSN_OP_NONE;    /* MUL/IMUL/DIV/IDIV: not emulated */
	case GRP_4:
	case GRP_5:
		if (r == 0)
			return INSN_OP_INC;
		if (r == 1)
			return INSN_OP_DEC;
		return INSN_OP_NONE;
	case GRP_8:
		return r >= 4 ? (uint8_t)(INSN_OP_BT + (r - 4)) : INSN_OP_NONE;
	case GRP_11:
		return r == 0 ? INSN_OP_MOV : INSN_OP_NONE;
	default:
		return INSN_OP_NONE;
	}
}

static inline bool op_is_lockable(unsigned op)
{
	/* SDM Vol. 2A, LOCK: the instructions that accept it (memory dest only). */
	switch (op) {
	case INSN_OP_ADD: case INSN_OP_OR: case INSN_OP_ADC: case INSN_OP_SBB:
	case INSN_OP_AND: case INSN_OP_SUB: case INSN_OP_XOR:
	case INSN_OP_BTS: case INSN_OP_BTR: case INSN_OP_BTC:
	case INSN_OP_XCHG: case INSN_OP_INC: case INSN_OP_DEC:
	case INSN_OP_NOT: case INSN_OP_NEG: case INSN_OP_XADD: case INSN_OP_CMPXCHG:
		return true;
	default:
		return false;
	}
}

bool insn_writes_rm(const struct insn *in)
{
	switch (in->op) {
	case INSN_OP_CMP: case INSN_OP_TEST: case INSN_OP_BT:
	case INSN_OP_MOVZX: case INSN_OP_MOVSX:
		return false;
	case INSN_OP_MOV:
		return in->form == INSN_FORM_EG || in->form == INSN_FORM_EI;
	default:
		return op_is_lockable(in->op) || in->op == INSN_OP_SETCC;
	}
}

static inline int64_t sx8(uint8_t v) { return (int8_t)v; }

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i > 0; i--)
		v = (v << 8) | p[i - 1];
	return v;
}

static int64_t sign_extend(uint64_t v, unsigned bytes)
{
	unsigned sh = 64 - 8 * bytes;

	return (int64_t)(v << sh) >> sh;
}

/* 16-bit ModRM addressing, SDM Vol. 2A Table 2-1. */
static const uint8_t rm16_base[8] = { VCPU_RBX, VCPU_RBX, VCPU_RBP, VCPU_RBP,
				      INSN_NOREG, INSN_NOREG, VCPU_RBP, VCPU_RBX };
static const uint8_t rm16_index[8] = { VCPU_RSI, VCPU_RDI, VCPU_RSI, VCPU_RDI,
				       VCPU_RSI, VCPU_RDI, INSN_NOREG, INSN_NOREG };

/* Legacy prefixes (SDM Vol. 2A 2.1.1): kind, and the segment for overrides. */
enum { PK_NONE = 0, PK_OPSZ, PK_ADSZ, PK_LOCK, PK_REPNE, PK_REP, PK_SEG };
#define PK_SEGV(s) (PK_SEG | ((s) << 4))
static const uint8_t prefix_tab[256] = {
	[0x66] = PK_OPSZ, [0x67] = PK_ADSZ, [0xf0] = PK_LOCK, [0xf2] = PK_REPNE, [0xf3] = PK_REP,
	[0x26] = PK_SEGV(VCPU_ES), [0x2e] = PK_SEGV(VCPU_CS), [0x36] = PK_SEGV(VCPU_SS),
	[0x3e] = PK_SEGV(VCPU_DS), [0x64] = PK_SEGV(VCPU_FS), [0x65] = PK_SEGV(VCPU_GS),
};

/* Default operand size by mode and 66 (SDM Vol. 1 3.6); address size by mode and 67. */
static const uint8_t osize_tab[3][2] = { { 2, 4 }, { 4, 2 }, { 4, 2 } };
static const uint8_t asize_tab[3][2] = { { 2, 4 }, { 4, 2 }, { 8, 4 } };

#define NEED(n) do { if (i + (n) > avail) return (i + (n) > INSN_MAX_LEN) ? \
	INSN_ERR_TOO_LONG : INSN_ERR_TRUNCATED; } while (0)

/*
 * The encodings MMIO accesses use most: an optional REX, then a one-byte
 * opcode with a ModRM memory operand [base], [base+disp8] or [base+disp32]
 * (no SIB, no RIP-relative), no immediate, 32- or 64-bit code. Returns 1
 * for anything else, which the general decoder below handles; both produce
 * the same struct insn (the native differential test runs both).
 */
#define D_NOT_COMMON (D_GROUP | D_IMM8 | D_IMMZ | D_UIMM8 | D_SPECIAL | D_MEMONLY)
/* Displacement bytes by ModRM.mod for the forms decode_common takes (mod 3 is not one). */
static const uint8_t common_disp_len[4] = { 0, 1, 4, 0 };

static inline int decode_common(const uint8_t *restrict b, unsigned avail, enum insn_mode mode,
				struct insn *restrict in)
{
	unsigned i = 0, rex = 0, len;
	const struct op_desc *d;
	uint8_t c, m, mod, rm, base;

	if (avail < 2 || mode == INSN_MODE_16)
		return 1;
	c = b[0];
	if (mode == INSN_MODE_64 && (c & 0xf0) == 0x40) {
		rex = c;
		i = 1;
		c = b[1];
	}
	d = &map1[c];
	if ((d->fl & (D_MODRM | D_NOT_COMMON)) != D_MODRM || d->op == INSN_OP_NONE || i + 1 >= avail)
		return 1;
	m = b[i + 1];
	mod = m >> 6;
	rm = m & 7;
	if (mod == 3 || rm == 4 || (mod == 0 && rm == 5))
		return 1;
	len = i + 2 + common_disp_len[mod];
	if (len > avail)
		return 1;
	base = (uint8_t)(rm | ((rex & 1) << 3));
	/* One assignment: the compiler merges the byte fields into wide stores. */
	*in = (struct insn){
		.len = (uint8_t)len,
		.op = d->op,
		.form = d->form,
		.flags = INSN_F_MEM | (rex ? INSN_F_REX : 0),
		.osize = (d->fl & D_BYTE) ? 1 : (rex & 8) ? 8 : 4,
		.asize = mode == INSN_MODE_64 ? 8 : 4,
		.seg = base == VCPU_RBP ? VCPU_SS : VCPU_DS,
		.reg = (uint8_t)(((m >> 3) & 7) | ((rex & 4) << 1)),
		.base = base,
		.index = INSN_NOREG,
		.cc = c & 0xf,
		.opcode = c,
		.disp = mod == 1 ? sx8(b[i + 2]) : mod == 2 ? (int32_t)get_le(b + i + 2, 4) : 0,
	};
	return 0;
}

static __attribute__((noinline)) int decode_general(const uint8_t *restrict b, unsigned avail,
						    enum insn_mode mode, struct insn *restrict out);

int insn_decode(const uint8_t *restrict b, unsigned avail, enum insn_mode mode,
		struct insn *restrict out)
{
	if ((unsigned)mode > INSN_MODE_64)
		return INSN_ERR_UD;
	if (decode_common(b, avail, mode, out) == 0)
		return 0;
	return decode_general(b, avail, mode, out);
}

static __attribute__((noinline)) int decode_general(const uint8_t *restrict b, unsigned avail,
						    enum insn_mode mode, struct insn *restrict out)
{
	unsigned i = 0, rex = 0, pfx = 0, seg = VCPU_DS, k;
	bool opsz = false, adsz = false, m64 = mode == INSN_MODE_64;
	const struct op_desc *d;
	struct insn *restrict in = out;
	uint8_t c;
	unsigned fl;

	if (avail > INSN_MAX_LEN)
		avail = INSN_MAX_LEN;

	/* Legacy prefixes and REX (SDM Vol. 2A 2.1.1, 2.2.1). */
	for (;;) {
		NEED(1);
		c = b[i++];
		k = prefix_tab[c];
		if (k == PK_NONE) {
			if (!m64 || (c & 0xf0) != 0x40)
				break;
			rex = c;        /* REX counts only right before the opcode */
			continue;
		}
		switch (k & 0xf) {
		case PK_OPSZ: opsz = true; break;
		case PK_ADSZ: adsz = true; break;
		case PK_LOCK: pfx |= INSN_F_LOCK; break;
		case PK_REPNE: pfx = (pfx & ~INSN_F_REP) | INSN_F_REPNE; break;
		case PK_REP: pfx = (pfx & ~INSN_F_REPNE) | INSN_F_REP; break;
		default: seg = k >> 4; pfx |= INSN_F_SEGOVR; break;
		}
		rex = 0;
	}

	in->map = 0;
	if (c == 0x0f) {
		NEED(1);
		c = b[i++];
		in->map = 1;
		d = &map2[c];
	} else {
		d = &map1[c];
	}
	fl = d->fl;
	in->opcode = c;
	in->op = d->op;
	in->form = d->form;
	in->ssize = d->ssize;
	if (in->op == INSN_OP_NONE)
		return INSN_ERR_UD;
	if (fl & D_SPECIAL) {
		if ((fl & D_NO64) && m64)
			return INSN_ERR_UD;
		/* 63 is ARPL outside 64-bit mode. */
		if (in->map == 0 && c == 0x63 && !m64)
			return INSN_ERR_UD;
		/* MOVNTI has no 66/F2/F3 form (SDM Vol. 2B: NP 0F C3). */
		if (in->map == 1 && c == 0xc3 && (opsz || (pfx & (INSN_F_REP | INSN_F_REPNE))))
			return INSN_ERR_UD;
	}

	/* Operand size (SDM Vol. 1 3.6, Vol. 2A 2.2.1.2): REX.W over 66. */
	if (fl & D_BYTE)
		in->osize = 1;
	else if (rex & 8)
		in->osize = 8;
	else
		in->osize = osize_tab[mode][opsz];
	in->asize = asize_tab[mode][adsz];
	if (rex)
		pfx |= INSN_F_REX;
	in->reg = 0;
	in->rm = 0;
	in->base = INSN_NOREG;
	in->index = INSN_NOREG;
	in->scale = 0;
	in->disp = 0;
	in->imm = 0;

	if (fl & D_MODRM) {
		uint8_t m, mod, r, rm;

		NEED(1);
		m = b[i++];
		mod = m >> 6;
		r = (m >> 3) & 7;
		rm = m & 7;
		in->reg = (uint8_t)(r | ((rex & 4) << 1));
		if (fl & D_GROUP) {
			in->op = group_op(d->op, r, &in->form);
			if (in->op == INSN_OP_NONE)
				return INSN_ERR_UD;
		}
		if (mod == 3) {
			if (fl & D_MEMONLY)
				return INSN_ERR_UD;
			in->rm = (uint8_t)(rm | ((rex & 1) << 3));
		} else if (in->asize == 2) {
			/* 16-bit addressing, SDM Vol. 2A Table 2-1. */
			pfx |= INSN_F_MEM;
			in->base = rm16_base[rm];
			in->index = rm16_index[rm];
			if (mod == 0 && rm == 6) {
				in->base = INSN_NOREG;
				NEED(2);
				in->disp = (int16_t)get_le(b + i, 2);
				i += 2;
			} else if (mod == 1) {
				NEED(1);
				in->disp = sx8(b[i++]);
			} else if (mod == 2) {
				NEED(2);
				in->disp = (int16_t)get_le(b + i, 2);
				i += 2;
			}
			if (in->base == VCPU_RBP && !(pfx & INSN_F_SEGOVR))
				seg = VCPU_SS;
		} else {
			/* 32/64-bit addressing, SDM Vol. 2A Tables 2-2 and 2-3, 2.2.1.6. */
			pfx |= INSN_F_MEM;
			if (rm == 4) {
				uint8_t sib;
				unsigned idx;

				NEED(1);
				sib = b[i++];
				in->scale = sib >> 6;
				idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
				in->index = idx == 4 ? INSN_NOREG : (uint8_t)idx;
				if ((sib & 7) == 5 && mod == 0) {
					NEED(4);
					in->disp = (int32_t)get_le(b + i, 4);
					i += 4;
				} else {
					in->base = (uint8_t)((sib & 7) | ((rex & 1) << 3));
				}
			} else if (rm == 5 && mod == 0) {
				NEED(4);
				in->disp = (int32_t)get_le(b + i, 4);
				i += 4;
				if (m64)
					pfx |= INSN_F_RIPREL;
			} else {
				in->base = (uint8_t)(rm | ((rex & 1) << 3));
			}
			if (mod == 1) {
				NEED(1);
				in->disp = sx8(b[i++]);
			} else if (mod == 2) {
				NEED(4);
				in->disp = (int32_t)get_le(b + i, 4);
				i += 4;
			}
			if ((in->base == VCPU_RSP || in->base == VCPU_RBP) && !(pfx & INSN_F_SEGOVR))
				seg = VCPU_SS;
		}
	} else if (in->form == INSN_FORM_MOFFS_LOAD || in->form == INSN_FORM_MOFFS_STORE) {
		/* moffs: an address-size offset, no ModRM (SDM Vol. 2B, MOV). */
		NEED(in->asize);
		in->disp = (int64_t)get_le(b + i, in->asize);
		i += in->asize;
		pfx |= INSN_F_MEM;
	} else if (in->form == INSN_FORM_STRING) {
		pfx |= INSN_F_MEM;
	}

	if (fl & (D_IMM8 | D_UIMM8 | D_IMMZ) || (in->op == INSN_OP_TEST && in->form == INSN_FORM_EI)) {
		unsigned n;

		if (fl & (D_IMM8 | D_UIMM8))
			n = 1;
		else    /* imm16/imm32, also F6/F7 /0 TEST (SDM Vol. 2B, TEST) */
			n = in->osize == 8 ? 4 : in->osize;
		NEED(n);
		in->imm = (fl & D_UIMM8) ? b[i]
					: (uint64_t)sign_extend(get_le(b + i, n), n) & tern_size_mask(in->osize);
		i += n;
	}

	/* LOCK: only lockable operations with a memory destination (SDM Vol. 2A LOCK). */
	if ((pfx & INSN_F_LOCK) &&
	    (!op_is_lockable(in->op) || !(pfx & INSN_F_MEM) || in->form == INSN_FORM_STRING ||
	     in->form == INSN_FORM_GE))
		return INSN_ERR_UD;

	in->flags = (uint8_t)pfx;
	in->seg = (uint8_t)seg;
	in->cc = c & 0xf;
	in->len = (uint8_t)i;
	return 0;
}

const char *insn_op_name(unsigned op)
{
	static const char *const names[INSN_OP_COUNT] = {
		[INSN_OP_NONE] = "none",
		[INSN_OP_ADD] = "add", [INSN_OP_OR] = "or", [INSN_OP_ADC] = "adc",
		[INSN_OP_SBB] = "sbb", [INSN_OP_AND] = "and", [INSN_OP_SUB] = "sub",
		[INSN_OP_XOR] = "xor", [INSN_OP_CMP] = "cmp", [INSN_OP_TEST] = "test",
		[INSN_OP_MOV] = "mov", [INSN_OP_MOVZX] = "movzx", [INSN_OP_MOVSX] = "movsx",
		[INSN_OP_XCHG] = "xchg", [INSN_OP_BT] = "bt", [INSN_OP_BTS] = "bts",
		[INSN_OP_BTR] = "btr", [INSN_OP_BTC] = "btc", [INSN_OP_MOVS] = "movs",
		[INSN_OP_STOS] = "stos", [INSN_OP_LODS] = "lods", [INSN_OP_CMPS] = "cmps",
		[INSN_OP_SCAS] = "scas", [INSN_OP_INC] = "inc", [INSN_OP_DEC] = "dec",
		[INSN_OP_NOT] = "not", [INSN_OP_NEG] = "neg", [INSN_OP_XADD] = "xadd",
		[INSN_OP_CMPXCHG] = "cmpxchg", [INSN_OP_SETCC] = "setcc",
	};

	return op < INSN_OP_COUNT && names[op] ? names[op] : "?";
}
