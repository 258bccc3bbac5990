/* SPDX-License-Identifier: BSD-3-Clause */
/* Arithmetic flags: SDM Vol. 1 3.4.3.1 and the per-instruction flag rules. */
#include "insn_flags.h"
#include "insn_decode.h"

uint64_t flags_szp(uint64_t res, unsigned size)
{
	uint64_t f = 0;
	uint8_t p = (uint8_t)res;

	/* PF: even number of set bits in the least-significant byte. */
	p ^= p >> 4;
	p ^= p >> 2;
	p ^= p >> 1;
	if (!(p & 1))
		f |= RFL_PF;
	if ((res & tern_size_mask(size)) == 0)
		f |= RFL_ZF;
	if ((res >> (8 * size - 1)) & 1)
		f |= RFL_SF;
	return f;
}

uint64_t flags_alu(unsigned op, uint64_t a, uint64_t b, unsigned size, uint64_t *rflags)
{
	uint64_t mask = tern_size_mask(size);
	uint64_t sign = 1ull << (8 * size - 1);
	uint64_t carry_in = *rflags & RFL_CF;
	uint64_t res, f = 0;

	a &= mask;
	b &= mask;
	switch (op) {
	case INSN_OP_ADD:
	case INSN_OP_ADC: {
		uint64_t c = op == INSN_OP_ADC ? carry_in : 0;

		res = (a + b + c) & mask;
		if (c ? res <= a : res < a)
			f |= RFL_CF;
		if ((a ^ res) & (b ^ res) & sign)
			f |= RFL_OF;
		f |= (a ^ b ^ res) & RFL_AF;
		break;
	}
	case INSN_OP_SUB:
	case INSN_OP_SBB:
	case INSN_OP_CMP: {
		uint64_t c = op == INSN_OP_SBB ? carry_in : 0;

		res = (a - b - c) & mask;
		if (c ? a <= b : a < b)
			f |= RFL_CF;
		if ((a ^ b) & (a ^ res) & sign)
			f |= RFL_OF;
		f |= (a ^ b ^ res) & RFL_AF;
		break;
	}
	case INSN_OP_OR:
		res = a | b;
		break;
	case INSN_OP_XOR:
		res = a ^ b;
		break;
	case INSN_OP_AND:
	case INSN_OP_TEST:
	default:
		res = a & b;
		break;
	}
	f |= flags_szp(res, size);
	*rflags = (*rflags & ~RFL_ARITH) | f;
	return res;
}

bool flags_cond(uint64_t rflags, unsigned cc)
{
	bool cf = rflags & RFL_CF, zf = rflags & RFL_ZF, sf = rflags & RFL_SF;
	bool of = rflags & RFL_OF, pf = rflags & RFL_PF;
	bool r;

	switch ((cc >> 1) & 7) {
	case 0: r = of; break;               /* O */
	case 1: r = cf; break;               /* B/C */
	case 2: r = zf; break;               /* E/Z */
	case 3: r = cf || zf; break;         /* BE */
	case 4: r = sf; break;               /* S */
	case 5: r = pf; break;               /* P */
	case 6: r = sf != of; break;         /* L */
	default: r = zf || (sf != of); break; /* LE */
	}
	return (cc & 1) ? !r : r;
}
