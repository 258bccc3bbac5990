/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Decoder and emulator cases the native differential test cannot reach:
 * 16-bit addressing and code, prefix corner cases, everything that must be
 * #UD, segmentation faults (limits, types, unusable segments, expand-down),
 * FS/GS bases, LA57 canonical addresses, interrupted and faulting REP.
 * Expected values are worked out from the SDM, not read back from the code.
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "err.h"
#include "insn_decode.h"
#include "insn_emulate.h"
#include "insn_flags.h"
#include "vcpu.h"

/* ---- decoder ------------------------------------------------------------------ */

struct dcase {
	const char *hex;
	enum insn_mode mode;
	int rc;
	uint8_t len, op, osize, asize, seg, base, index;
	int64_t disp;
};

#define NR INSN_NOREG
static const struct dcase dcases[] = {
	/* 16-bit addressing, SDM Vol. 2A Table 2-1. */
	{ "8b00", INSN_MODE_16, 0, 2, INSN_OP_MOV, 2, 2, VCPU_DS, VCPU_RBX, VCPU_RSI, 0 },
	{ "8b01", INSN_MODE_16, 0, 2, INSN_OP_MOV, 2, 2, VCPU_DS, VCPU_RBX, VCPU_RDI, 0 },
	{ "8b02", INSN_MODE_16, 0, 2, INSN_OP_MOV, 2, 2, VCPU_SS, VCPU_RBP, VCPU_RSI, 0 },
	{ "8b03", INSN_MODE_16, 0, 2, INSN_OP_MOV, 2, 2, VCPU_SS, VCPU_RBP, VCPU_RDI, 0 },
	{ "8b04", INSN_MODE_16, 0, 2, INSN_OP_MOV, 2, 2, VCPU_DS, NR, VCPU_RSI, 0 },
	{ "8b05", INSN_MODE_16, 0, 2, INSN_OP_MOV, 2, 2, VCPU_DS, NR, VCPU_RDI, 0 },
	{ "8b063412", INSN_MODE_16, 0, 4, INSN_OP_MOV, 2, 2, VCPU_DS, NR, NR, 0x1234 },
	{ "8b07", INSN_MODE_16, 0, 2, INSN_OP_MOV, 2, 2, VCPU_DS, VCPU_RBX, NR, 0 },
	{ "8b46fe", INSN_MODE_16, 0, 3, INSN_OP_MOV, 2, 2, VCPU_SS, VCPU_RBP, NR, -2 },
	{ "8b870080", INSN_MODE_16, 0, 4, INSN_OP_MOV, 2, 2, VCPU_DS, VCPU_RBX, NR, -0x8000 },
	{ "3e8b4600", INSN_MODE_16, 0, 4, INSN_OP_MOV, 2, 2, VCPU_DS, VCPU_RBP, NR, 0 },
	{ "668b07", INSN_MODE_16, 0, 3, INSN_OP_MOV, 4, 2, VCPU_DS, VCPU_RBX, NR, 0 },
	{ "678b03", INSN_MODE_16, 0, 3, INSN_OP_MOV, 2, 4, VCPU_DS, VCPU_RBX, NR, 0 },
	{ "a13412", INSN_MODE_16, 0, 3, INSN_OP_MOV, 2, 2, VCPU_DS, NR, NR, 0x1234 },
	/* 32-bit code: [disp32] is absolute, 67 selects 16-bit addressing, 63 is ARPL. */
	{ "8b0578563412", INSN_MODE_32, 0, 6, INSN_OP_MOV, 4, 4, VCPU_DS, NR, NR, 0x12345678 },
	{ "678b07", INSN_MODE_32, 0, 3, INSN_OP_MOV, 4, 2, VCPU_DS, VCPU_RBX, NR, 0 },
	{ "63c0", INSN_MODE_32, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "820001", INSN_MODE_32, 0, 3, INSN_OP_ADD, 1, 4, VCPU_DS, VCPU_RAX, NR, 0 },
	{ "488b03", INSN_MODE_32, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },               /* 48 is DEC EAX there */
	{ "648b03", INSN_MODE_32, 0, 3, INSN_OP_MOV, 4, 4, VCPU_FS, VCPU_RBX, NR, 0 },
	/* 64-bit code: REX placement, sizes, SIB, RIP-relative. */
	{ "820001", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "48668b03", INSN_MODE_64, 0, 4, INSN_OP_MOV, 2, 8, VCPU_DS, VCPU_RBX, NR, 0 },
	{ "66488b03", INSN_MODE_64, 0, 4, INSN_OP_MOV, 8, 8, VCPU_DS, VCPU_RBX, NR, 0 },
	{ "41488b03", INSN_MODE_64, 0, 4, INSN_OP_MOV, 8, 8, VCPU_DS, VCPU_RBX, NR, 0 },
	{ "8b0424", INSN_MODE_64, 0, 3, INSN_OP_MOV, 4, 8, VCPU_SS, VCPU_RSP, NR, 0 },
	{ "8b042500100000", INSN_MODE_64, 0, 7, INSN_OP_MOV, 4, 8, VCPU_DS, NR, NR, 0x1000 },
	{ "428b0420", INSN_MODE_64, 0, 4, INSN_OP_MOV, 4, 8, VCPU_DS, VCPU_RAX, VCPU_R12, 0 },
	{ "418b4508", INSN_MODE_64, 0, 4, INSN_OP_MOV, 4, 8, VCPU_DS, VCPU_R13, NR, 8 },
	{ "8b4508", INSN_MODE_64, 0, 3, INSN_OP_MOV, 4, 8, VCPU_SS, VCPU_RBP, NR, 8 },
	{ "678b0510000000", INSN_MODE_64, 0, 7, INSN_OP_MOV, 4, 4, VCPU_DS, NR, NR, 0x10 },
	{ "f7050000000078563412", INSN_MODE_64, 0, 10, INSN_OP_TEST, 4, 8, VCPU_DS, NR, NR, 0 },
	{ "66f7033412", INSN_MODE_64, 0, 5, INSN_OP_TEST, 2, 8, VCPU_DS, VCPU_RBX, NR, 0 },
	{ "48a18877665544332211", INSN_MODE_64, 0, 10, INSN_OP_MOV, 8, 8, VCPU_DS, NR, NR,
	  0x1122334455667788ll },
	{ "67a144332211", INSN_MODE_64, 0, 6, INSN_OP_MOV, 4, 4, VCPU_DS, NR, NR, 0x11223344 },
	{ "0fba2305", INSN_MODE_64, 0, 4, INSN_OP_BT, 4, 8, VCPU_DS, VCPU_RBX, NR, 0 },
	{ "0fba3b05", INSN_MODE_64, 0, 4, INSN_OP_BTC, 4, 8, VCPU_DS, VCPU_RBX, NR, 0 },
	{ "4863c8", INSN_MODE_64, 0, 3, INSN_OP_MOVSX, 8, 8, VCPU_DS, NR, NR, 0 },
	/* #UD: groups without the operation, LOCK misuse, MOVNTI forms, unknown opcodes. */
	{ "0fba0305", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "c60801", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "c7c000000000", INSN_MODE_64, 0, 6, INSN_OP_MOV, 4, 8, VCPU_DS, NR, NR, 0 },
	{ "f723", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "fe13", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "ff33", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "f08b03", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "f001c3", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "f03803", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "f00fa303", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "f00303", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "f0a4", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "f00103", INSN_MODE_64, 0, 3, INSN_OP_ADD, 4, 8, VCPU_DS, VCPU_RBX, NR, 0 },
	{ "660fc303", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "f30fc303", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "0fc3c0", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "0f0b", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "90", INSN_MODE_64, INSN_ERR_UD, 0, 0, 0, 0, 0, 0, 0, 0 },
	/* Lengths: truncated input, and more than 15 bytes. */
	{ "8b", INSN_MODE_64, INSN_ERR_TRUNCATED, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "0f", INSN_MODE_64, INSN_ERR_TRUNCATED, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "8b84240000", INSN_MODE_64, INSN_ERR_TRUNCATED, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "66", INSN_MODE_64, INSN_ERR_TRUNCATED, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "6666666666666666666666666666668b03", INSN_MODE_64, INSN_ERR_TOO_LONG, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "66666666666666666666668b8000000000", INSN_MODE_64, INSN_ERR_TOO_LONG, 0, 0, 0, 0, 0, 0, 0, 0 },
	/* Every field that can run out: one byte short of the input, or past the 15-byte limit with exactly 15 given. */
	{ "8b0634", INSN_MODE_16, INSN_ERR_TRUNCATED, 0, 0, 0, 0, 0, 0, 0, 0 }, /* 16-bit disp16 one byte short */
	{ "8b46", INSN_MODE_16, INSN_ERR_TRUNCATED, 0, 0, 0, 0, 0, 0, 0, 0 }, /* 16-bit disp8 missing */
	{ "8b8700", INSN_MODE_16, INSN_ERR_TRUNCATED, 0, 0, 0, 0, 0, 0, 0, 0 }, /* 16-bit [bx+disp16] one byte short */
	{ "8b04", INSN_MODE_64, INSN_ERR_TRUNCATED, 0, 0, 0, 0, 0, 0, 0, 0 }, /* SIB missing */
	{ "8b0425000000", INSN_MODE_64, INSN_ERR_TRUNCATED, 0, 0, 0, 0, 0, 0, 0, 0 }, /* SIB with no base: disp32 one byte short */
	{ "8b05000000", INSN_MODE_64, INSN_ERR_TRUNCATED, 0, 0, 0, 0, 0, 0, 0, 0 }, /* RIP-relative disp32 one byte short */
	{ "8b40", INSN_MODE_64, INSN_ERR_TRUNCATED, 0, 0, 0, 0, 0, 0, 0, 0 }, /* disp8 missing */
	{ "a100000000000000", INSN_MODE_64, INSN_ERR_TRUNCATED, 0, 0, 0, 0, 0, 0, 0, 0 }, /* moffs64 one byte short */
	{ "c70000", INSN_MODE_64, INSN_ERR_TRUNCATED, 0, 0, 0, 0, 0, 0, 0, 0 }, /* imm32 missing */
	{ "66666666666666666666666666660f", INSN_MODE_64, INSN_ERR_TOO_LONG, 0, 0, 0, 0, 0, 0, 0, 0 }, /* the second opcode byte would be the 16th */
	{ "66666666666666666666666666668b", INSN_MODE_64, INSN_ERR_TOO_LONG, 0, 0, 0, 0, 0, 0, 0, 0 }, /* ModRM would be the 16th byte */
	{ "6666666666666666666666668b0634", INSN_MODE_16, INSN_ERR_TOO_LONG, 0, 0, 0, 0, 0, 0, 0, 0 }, /* disp16 past byte 15 */
	{ "666666666666666666666666668b46", INSN_MODE_16, INSN_ERR_TOO_LONG, 0, 0, 0, 0, 0, 0, 0, 0 }, /* disp8 past byte 15 */
	{ "6666666666666666666666668b8700", INSN_MODE_16, INSN_ERR_TOO_LONG, 0, 0, 0, 0, 0, 0, 0, 0 }, /* [bx+disp16] past byte 15 */
	{ "666666666666666666666666668b04", INSN_MODE_64, INSN_ERR_TOO_LONG, 0, 0, 0, 0, 0, 0, 0, 0 }, /* SIB past byte 15 */
	{ "6666666666666666668b0425000000", INSN_MODE_64, INSN_ERR_TOO_LONG, 0, 0, 0, 0, 0, 0, 0, 0 }, /* SIB disp32 past byte 15 */
	{ "666666666666666666668b05000000", INSN_MODE_64, INSN_ERR_TOO_LONG, 0, 0, 0, 0, 0, 0, 0, 0 }, /* RIP-relative disp32 past byte 15 */
	{ "666666666666666666666666668b40", INSN_MODE_64, INSN_ERR_TOO_LONG, 0, 0, 0, 0, 0, 0, 0, 0 }, /* disp8 past byte 15 */
	{ "66666666666666a100000000000000", INSN_MODE_64, INSN_ERR_TOO_LONG, 0, 0, 0, 0, 0, 0, 0, 0 }, /* moffs64 past byte 15 */
	{ "666666666666666666666666c70000", INSN_MODE_64, INSN_ERR_TOO_LONG, 0, 0, 0, 0, 0, 0, 0, 0 }, /* imm16 past byte 15 */
	{ "6666666666666666668b8000000000", INSN_MODE_64, 0, 15, INSN_OP_MOV, 2, 8, VCPU_DS,
	  VCPU_RAX, NR, 0 },
};

static unsigned unhex(const char *h, uint8_t *out)
{
	unsigned n = 0;
	for (; h[0] && h[1]; h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

START_TEST(decode_table)
{
	const struct dcase *c = &dcases[_i];
	uint8_t b[32];
	unsigned n = unhex(c->hex, b);
	struct insn in;
	int rc = insn_decode(b, n, c->mode, &in);

	ck_assert_msg(rc == c->rc, "%s (mode %d): rc %d, expected %d", c->hex, c->mode, rc, c->rc);
	if (rc != 0)
		return;
	ck_assert_msg(in.len == c->len, "%s: len %u, expected %u", c->hex, in.len, c->len);
	ck_assert_msg(in.op == c->op, "%s: op %s", c->hex, insn_op_name(in.op));
	ck_assert_msg(in.osize == c->osize, "%s: osize %u", c->hex, in.osize);
	ck_assert_msg(in.asize == c->asize, "%s: asize %u", c->hex, in.asize);
	if (in.flags & INSN_F_MEM) {
		ck_assert_msg(in.seg == c->seg, "%s: seg %u", c->hex, in.seg);
		ck_assert_msg(in.base == c->base, "%s: base %u", c->hex, in.base);
		ck_assert_msg(in.index == c->index, "%s: index %u", c->hex, in.index);
		ck_assert_msg(in.disp == c->disp, "%s: disp %lld", c->hex, (long long)in.disp);
	}
}
END_TEST

START_TEST(decode_details)
{
	struct insn in;
	uint8_t b[16];

	/* REP: the last of F2/F3 wins; LOCK with a memory XCHG is fine. */
	ck_assert_int_eq(insn_decode(b, unhex("f2f3a4", b), INSN_MODE_64, &in), 0);
	ck_assert(in.flags & INSN_F_REP);
	ck_assert(!(in.flags & INSN_F_REPNE));
	ck_assert_int_eq(insn_decode(b, unhex("f3f2a4", b), INSN_MODE_64, &in), 0);
	ck_assert(in.flags & INSN_F_REPNE);
	/* Immediates sign-extend to the operand size. */
	ck_assert_int_eq(insn_decode(b, unhex("48c703ffffffff", b), INSN_MODE_64, &in), 0);
	ck_assert_uint_eq(in.imm, ~0ull);
	ck_assert_int_eq(insn_decode(b, unhex("6683038f", b), INSN_MODE_64, &in), 0);
	ck_assert_uint_eq(in.imm, 0xff8f);
	ck_assert_int_eq(insn_decode(b, unhex("0fba2390", b), INSN_MODE_64, &in), 0);
	ck_assert_uint_eq(in.imm, 0x90);                 /* bit offsets are unsigned */
	/* RIP-relative flag; the REX byte selects SPL..DIL for byte registers. */
	ck_assert_int_eq(insn_decode(b, unhex("8b0510000000", b), INSN_MODE_64, &in), 0);
	ck_assert(in.flags & INSN_F_RIPREL);
	ck_assert_int_eq(insn_decode(b, unhex("408a33", b), INSN_MODE_64, &in), 0);
	ck_assert(in.flags & INSN_F_REX);
	ck_assert_uint_eq(in.reg, VCPU_RSI);
	/* SETcc: condition from the opcode. */
	ck_assert_int_eq(insn_decode(b, unhex("0f9503", b), INSN_MODE_64, &in), 0);
	ck_assert_uint_eq(in.op, INSN_OP_SETCC);
	ck_assert_uint_eq(in.cc, 5);
	/* Which operations write their r/m operand (what an IOREQ completion writes back). */
	ck_assert_int_eq(insn_decode(b, unhex("8903", b), INSN_MODE_64, &in), 0);
	ck_assert(insn_writes_rm(&in));
	ck_assert_int_eq(insn_decode(b, unhex("8b03", b), INSN_MODE_64, &in), 0);
	ck_assert(!insn_writes_rm(&in));
	ck_assert_int_eq(insn_decode(b, unhex("3903", b), INSN_MODE_64, &in), 0);
	ck_assert(!insn_writes_rm(&in));
	ck_assert_int_eq(insn_decode(b, unhex("0fab03", b), INSN_MODE_64, &in), 0);
	ck_assert(insn_writes_rm(&in));
	ck_assert_int_eq(insn_decode(b, unhex("0f9403", b), INSN_MODE_64, &in), 0);
	ck_assert(insn_writes_rm(&in));
	ck_assert_int_eq(insn_decode(b, unhex("a10000000000000000", b), INSN_MODE_64, &in), 0);
	ck_assert(!insn_writes_rm(&in));
	/* A mode that does not exist. */
	ck_assert_int_eq(insn_decode(b, unhex("8b03", b), (enum insn_mode)7, &in), INSN_ERR_UD);
	ck_assert_str_eq(insn_op_name(INSN_OP_CMPXCHG), "cmpxchg");
	ck_assert_str_eq(insn_op_name(200), "?");
}
END_TEST

/* ---- emulator ------------------------------------------------------------------ */

#define TMEM (1u << 20)
static uint8_t tmem[TMEM];
static uint64_t fault_la = ~0ull;      /* an access touching this address faults */
static unsigned accesses;

static int t_read(void *op, uint64_t la, void *buf, unsigned len, unsigned acc,
		  struct guest_fault *f)
{
	(void)op; (void)acc;
	if ((fault_la >= la && fault_la < la + len) || la + len > TMEM) {
		guest_fault_pf(f, 0, la);
		return -TERN_EFAULT;
	}
	accesses++;
	memcpy(buf, tmem + la, len);
	return 0;
}

static int t_write(void *op, uint64_t la, const void *buf, unsigned len, struct guest_fault *f)
{
	(void)op;
	if ((fault_la >= la && fault_la < la + len) || la + len > TMEM) {
		guest_fault_pf(f, 2, la);
		return -TERN_EFAULT;
	}
	accesses++;
	memcpy(tmem + la, buf, len);
	return 0;
}

static const struct emul_ops t_ops = { t_read, t_write };
static struct vcpu v;

static void fill(unsigned mode)
{
	vcpu_init(&v, NULL, 0);
	for (unsigned r = 0; r < VCPU_REG_COUNT; r++)
		vcpu_cache_fill(&v, (enum vcpu_reg)r, 0);
	vcpu_cache_fill(&v, VCPU_RFLAGS, 2);
	struct seg_desc cs, ds = { 0x10, 0, 0xffffffff, 0xc093 };
	if (mode == 64) {
		vcpu_cache_fill(&v, VCPU_CR0, 0x80000011);
		vcpu_cache_fill(&v, VCPU_CR4, 0x20);
		vcpu_cache_fill(&v, VCPU_EFER, 0x500);
		cs = (struct seg_desc){ 0x8, 0, 0xffffffff, 0xa09b };
	} else if (mode == 32) {
		vcpu_cache_fill(&v, VCPU_CR0, 0x11);
		cs = (struct seg_desc){ 0x8, 0, 0xffffffff, 0xc09b };
	} else {                    /* 16-bit protected mode, 64 KiB segments */
		vcpu_cache_fill(&v, VCPU_CR0, 0x11);
		cs = (struct seg_desc){ 0x8, 0x10000, 0xffff, 0x009b };
		ds = (struct seg_desc){ 0x10, 0x20000, 0xffff, 0x0093 };
	}
	for (unsigned s = 0; s < VCPU_SEG_COUNT; s++)
		vcpu_cache_fill_seg(&v, (enum vcpu_seg)s, s == VCPU_CS ? &cs : &ds);
	memset(tmem, 0, sizeof(tmem));
	fault_la = ~0ull;
	accesses = 0;
}

/* Decode and execute; returns emul_execute's result, the context in *c. */
static int run(struct emul_ctx *c, const char *hex)
{
	uint8_t b[16];
	struct insn in;
	unsigned n = unhex(hex, b);

	emul_ctx_init(c, &v, &t_ops, NULL);
	ck_assert_int_eq(insn_decode(b, n, c->mode, &in), 0);
	ck_assert_uint_eq(in.len, n);
	return emul_execute(c, &in);
}

static uint64_t reg(enum vcpu_reg r) { return vcpu_get_reg(&v, r); }
static void set(enum vcpu_reg r, uint64_t x) { vcpu_cache_fill(&v, r, x); }

START_TEST(code16_addressing_and_wrap)
{
	struct emul_ctx c;
	fill(16);
	/* mov ax,[bp+di+4]: SS:(BP+DI+4) with SS.base 0x20000. */
	set(VCPU_RBP, 0xffff0000fff0);
	set(VCPU_RDI, 0x0a);
	tmem[0x20000 + 0xfffe] = 0x34;
	tmem[0x20000 + 0xffff] = 0x12;
	set(VCPU_RAX, 0xaaaaaaaaaaaaaaaa);
	ck_assert_int_eq(run(&c, "8b4304"), 0);
	ck_assert_uint_eq(c.mode, INSN_MODE_16);
	ck_assert_uint_eq(reg(VCPU_RAX), 0xaaaaaaaaaaaa1234);   /* 16-bit write merges */
	/* The offset wraps at 64 KiB: BP+DI+0x14 = 0x1000e -> 0x000e. */
	tmem[0x2000e] = 0x77;
	ck_assert_int_eq(run(&c, "8a4314"), 0);
	ck_assert_uint_eq(reg(VCPU_RAX) & 0xff, 0x77);
	/* IP wraps at 64 KiB too. */
	set(VCPU_RIP, 0xfffe);
	ck_assert_int_eq(run(&c, "8a4314"), 0);
	ck_assert_uint_eq(reg(VCPU_RIP), 0x0001);
	/* A word at offset 0xffff runs past the limit: #GP(0); via BP: #SS(0). */
	set(VCPU_RBX, 0xffff);
	ck_assert_int_eq(run(&c, "8b07"), -TERN_EFAULT);
	ck_assert_uint_eq(c.fault.vector, 13);
	ck_assert_uint_eq(c.fault.error_code, 0);
	set(VCPU_RBP, 0xffff);
	ck_assert_int_eq(run(&c, "8b4600"), -TERN_EFAULT);
	ck_assert_uint_eq(c.fault.vector, 12);
	/* 32-bit operand size and address size in 16-bit code. */
	set(VCPU_RBX, 0x100);
	memcpy(tmem + 0x20100, "\x01\x02\x03\x04", 4);
	ck_assert_int_eq(run(&c, "66678b03"), 0);
	ck_assert_uint_eq(reg(VCPU_RAX), 0x04030201);
}
END_TEST

START_TEST(code16_strings)
{
	struct emul_ctx c;
	fill(16);
	/* movsb with DF=1 from SI=0: SI wraps to 0xffff, upper bits of RSI kept. */
	set(VCPU_RSI, 0x1234560000);
	set(VCPU_RDI, 0x40);
	set(VCPU_RFLAGS, 2 | RFL_DF);
	tmem[0x20000] = 0x5a;
	ck_assert_int_eq(run(&c, "a4"), 0);
	ck_assert_uint_eq(tmem[0x20040], 0x5a);
	ck_assert_uint_eq(reg(VCPU_RSI), 0x123456ffff);
	ck_assert_uint_eq(reg(VCPU_RDI), 0x3f);
	/* rep stosw with CX=3 (upper bits of RCX ignored and kept). */
	set(VCPU_RFLAGS, 2);
	set(VCPU_RCX, 0x7700000003);
	set(VCPU_RDI, 0x80);
	set(VCPU_RAX, 0xbeef);
	ck_assert_int_eq(run(&c, "f3ab"), 0);
	ck_assert_uint_eq(reg(VCPU_RCX), 0x7700000000);
	ck_assert_uint_eq(reg(VCPU_RDI), 0x86);
	ck_assert_uint_eq(tmem[0x20084], 0xef);
	ck_assert_uint_eq(tmem[0x20085], 0xbe);
	ck_assert_uint_eq(tmem[0x20086], 0);
	/* repne scasb stops at the match. */
	memcpy(tmem + 0x20100, "abcXdef", 7);
	set(VCPU_RDI, 0x100);
	set(VCPU_RCX, 10);
	set(VCPU_RAX, 'X');
	ck_assert_int_eq(run(&c, "f2ae"), 0);
	ck_assert_uint_eq(reg(VCPU_RDI), 0x104);
	ck_assert_uint_eq(reg(VCPU_RCX), 6);
	ck_assert(reg(VCPU_RFLAGS) & RFL_ZF);
}
END_TEST

START_TEST(segment_types_and_limits)
{
	struct emul_ctx c;
	struct seg_desc s;
	fill(32);
	set(VCPU_RBX, 0x1000);
	/* Read-only data segment: reads work, writes #GP(0). */
	s = (struct seg_desc){ 0x10, 0, 0xffffffff, 0xc091 };
	vcpu_cache_fill_seg(&v, VCPU_DS, &s);
	ck_assert_int_eq(run(&c, "8b03"), 0);
	ck_assert_int_eq(run(&c, "8903"), -TERN_EFAULT);
	ck_assert_uint_eq(c.fault.vector, 13);
	/* A read-modify-write needs a writable segment before any access. */
	accesses = 0;
	ck_assert_int_eq(run(&c, "0103"), -TERN_EFAULT);
	ck_assert_uint_eq(accesses, 0);
	/* Code segments: readable ones can be read through CS, never written;
	 * execute-only ones cannot be read. */
	ck_assert_int_eq(run(&c, "2e8b03"), 0);
	ck_assert_int_eq(run(&c, "2e8903"), -TERN_EFAULT);
	s = (struct seg_desc){ 0x8, 0, 0xffffffff, 0xc099 };
	vcpu_cache_fill_seg(&v, VCPU_CS, &s);
	ck_assert_int_eq(run(&c, "2e8b03"), -TERN_EFAULT);
	/* Unusable segment: #GP(0); unusable SS through EBP: #SS(0). */
	s = (struct seg_desc){ 0, 0, 0, 0x10000 };
	vcpu_cache_fill_seg(&v, VCPU_ES, &s);
	vcpu_cache_fill_seg(&v, VCPU_SS, &s);
	ck_assert_int_eq(run(&c, "268b03"), -TERN_EFAULT);
	ck_assert_uint_eq(c.fault.vector, 13);
	ck_assert_int_eq(run(&c, "8b4500"), -TERN_EFAULT);
	ck_assert_uint_eq(c.fault.vector, 12);
	/* Expand-down data segment, limit 0xfff: offsets 0x1000..0xffffffff are valid. */
	s = (struct seg_desc){ 0x10, 0x10000, 0xfff, 0xc097 };
	vcpu_cache_fill_seg(&v, VCPU_DS, &s);
	ck_assert_int_eq(run(&c, "8b03"), 0);                    /* [0x1000] */
	set(VCPU_RBX, 0xffe);
	ck_assert_int_eq(run(&c, "8b03"), -TERN_EFAULT);
	/* 16-bit expand-down (B=0): the upper bound is 0xffff. */
	s = (struct seg_desc){ 0x10, 0, 0xfff, 0x0097 };
	vcpu_cache_fill_seg(&v, VCPU_DS, &s);
	set(VCPU_RBX, 0xfffe);
	ck_assert_int_eq(run(&c, "8b03"), -TERN_EFAULT);
	ck_assert_int_eq(run(&c, "668b03"), 0);
	/* Segment bases apply outside 64-bit mode, linear addresses wrap at 4 GiB. */
	s = (struct seg_desc){ 0x10, 0xfffff000, 0xffffffff, 0xc093 };
	vcpu_cache_fill_seg(&v, VCPU_DS, &s);
	set(VCPU_RBX, 0x2000);
	tmem[0x1000] = 0x99;
	ck_assert_int_eq(run(&c, "8a03"), 0);
	ck_assert_uint_eq(reg(VCPU_RAX) & 0xff, 0x99);
}
END_TEST

START_TEST(modes_from_vcpu_state)
{
	struct emul_ctx c;
	/* Real mode: 16-bit, no type checks; virtual-8086 mode likewise. */
	fill(16);
	vcpu_cache_fill(&v, VCPU_CR0, 0x10);
	emul_ctx_init(&c, &v, &t_ops, NULL);
	ck_assert_uint_eq(c.mode, INSN_MODE_16);
	ck_assert(c.no_prot);
	fill(32);
	set(VCPU_RFLAGS, 2 | RFL_VM);
	emul_ctx_init(&c, &v, &t_ops, NULL);
	ck_assert_uint_eq(c.mode, INSN_MODE_16);
	ck_assert(c.no_prot);
	/* IA-32e mode with CS.L=0: compatibility mode, sized by CS.D. */
	fill(64);
	struct seg_desc cs = { 0x8, 0, 0xffffffff, 0xc09b };
	vcpu_cache_fill_seg(&v, VCPU_CS, &cs);
	emul_ctx_init(&c, &v, &t_ops, NULL);
	ck_assert_uint_eq(c.mode, INSN_MODE_32);
	ck_assert(!c.no_prot);
}
END_TEST

START_TEST(fs_gs_and_canonical)
{
	struct emul_ctx c;
	struct seg_desc fs = { 0, 0x3000, 0, 0x10093 }, gs = { 0, 0x5000, 0, 0x10093 };
	fill(64);
	vcpu_cache_fill_seg(&v, VCPU_FS, &fs);
	vcpu_cache_fill_seg(&v, VCPU_GS, &gs);
	set(VCPU_RBX, 0x10);
	tmem[0x3010] = 0x11;
	tmem[0x5010] = 0x22;
	tmem[0x0010] = 0x33;
	/* FS/GS bases apply (even with the unusable bit: 64-bit mode ignores it); DS/ES do not. */
	ck_assert_int_eq(run(&c, "648a03"), 0);
	ck_assert_uint_eq(reg(VCPU_RAX) & 0xff, 0x11);
	ck_assert_int_eq(run(&c, "658a03"), 0);
	ck_assert_uint_eq(reg(VCPU_RAX) & 0xff, 0x22);
	ck_assert_int_eq(run(&c, "268a03"), 0);
	ck_assert_uint_eq(reg(VCPU_RAX) & 0xff, 0x33);
	/* 0x00ff8000_00000000: canonical only with 5-level paging (CR4.LA57). */
	set(VCPU_RBX, 0x00ff800000000000ull);
	ck_assert_int_eq(run(&c, "8a03"), -TERN_EFAULT);
	ck_assert_uint_eq(c.fault.vector, 13);
	set(VCPU_CR4, 0x20 | (1u << 12));
	ck_assert_int_eq(run(&c, "8a03"), -TERN_EFAULT);   /* passes the check, then the buffer faults */
	ck_assert_uint_eq(c.fault.vector, 14);
	set(VCPU_RBX, 0x0100000000000000ull);              /* not 57-bit canonical either */
	ck_assert_int_eq(run(&c, "8a03"), -TERN_EFAULT);
	ck_assert_uint_eq(c.fault.vector, 13);
	/* An access whose last byte crosses into non-canonical space. */
	set(VCPU_CR4, 0x20);
	set(VCPU_RBX, 0x00007ffffffffffcull);
	ck_assert_int_eq(run(&c, "488b03"), -TERN_EFAULT);
	ck_assert_uint_eq(c.fault.vector, 13);
	/* RIP-relative addressing adds the next instruction's RIP. */
	set(VCPU_RIP, 0x1000);
	tmem[0x1016] = 0x44;
	ck_assert_int_eq(run(&c, "8a0510000000"), 0);
	ck_assert_uint_eq(reg(VCPU_RAX) & 0xff, 0x44);
	struct insn in;
	uint8_t b[8] = { 0x8b, 0x44, 0x58, 0x10 };               /* [rax+rbx*2+0x10] */
	set(VCPU_RAX, 0x100);
	set(VCPU_RBX, 0x8);
	emul_ctx_init(&c, &v, &t_ops, NULL);
	ck_assert_int_eq(insn_decode(b, 4, c.mode, &in), 0);
	ck_assert_uint_eq(emul_effective_addr(&c, &in), 0x120);
}
END_TEST

START_TEST(rep_interrupted_and_faulting)
{
	struct emul_ctx c;
	uint8_t b[4] = { 0xf3, 0xa4 };
	struct insn in;
	fill(64);
	for (unsigned i = 0; i < 16; i++)
		tmem[0x100 + i] = (uint8_t)i;
	set(VCPU_RSI, 0x100);
	set(VCPU_RDI, 0x200);
	set(VCPU_RCX, 5);
	set(VCPU_RIP, 0x4000);
	/* At most two iterations per call: RCX/RSI/RDI move on, RIP stays. */
	emul_ctx_init(&c, &v, &t_ops, NULL);
	c.max_rep = 2;
	ck_assert_int_eq(insn_decode(b, 2, c.mode, &in), 0);
	ck_assert_int_eq(emul_execute(&c, &in), 0);
	ck_assert(c.rep_pending);
	ck_assert_uint_eq(reg(VCPU_RCX), 3);
	ck_assert_uint_eq(reg(VCPU_RSI), 0x102);
	ck_assert_uint_eq(reg(VCPU_RIP), 0x4000);
	/* The guest re-executes; a fault at the third byte's source stops it there. */
	fault_la = 0x103;
	c.max_rep = 100;
	ck_assert_int_eq(emul_execute(&c, &in), -TERN_EFAULT);
	ck_assert_uint_eq(c.fault.vector, 14);
	ck_assert_uint_eq(reg(VCPU_RCX), 2);
	ck_assert_uint_eq(reg(VCPU_RSI), 0x103);
	ck_assert_uint_eq(reg(VCPU_RDI), 0x203);
	ck_assert_uint_eq(reg(VCPU_RIP), 0x4000);
	ck_assert_uint_eq(tmem[0x202], 2);
	ck_assert_uint_eq(tmem[0x203], 0);
	/* Then it completes. */
	fault_la = ~0ull;
	ck_assert_int_eq(emul_execute(&c, &in), 0);
	ck_assert(!c.rep_pending);
	ck_assert_uint_eq(reg(VCPU_RCX), 0);
	ck_assert_uint_eq(tmem[0x204], 4);
	ck_assert_uint_eq(reg(VCPU_RIP), 0x4002);
	/* A first-iteration fault leaves every register alone. */
	set(VCPU_RCX, 4);
	set(VCPU_RSI, 0x300);
	fault_la = 0x300;
	ck_assert_int_eq(emul_execute(&c, &in), -TERN_EFAULT);
	ck_assert_uint_eq(reg(VCPU_RCX), 4);
	ck_assert_uint_eq(reg(VCPU_RSI), 0x300);
	/* Non-string faults commit nothing: xchg with a faulting write. */
	fill(64);
	set(VCPU_RBX, 0x500);
	set(VCPU_RAX, 0x1234);
	tmem[0x500] = 0x77;
	fault_la = ~0ull;
	ck_assert_int_eq(run(&c, "8703"), 0);
	ck_assert_uint_eq(reg(VCPU_RAX), 0x77);
	ck_assert_uint_eq(tmem[0x500], 0x34);
	/* An unknown operation in a hand-made insn is #UD. */
	memset(&in, 0, sizeof(in));
	in.op = INSN_OP_COUNT;
	ck_assert_int_eq(emul_execute(&c, &in), -TERN_EFAULT);
	ck_assert_uint_eq(c.fault.vector, 6);
}
END_TEST

START_TEST(flags_helpers)
{
	/* Condition codes, SDM Vol. 1 Appendix B. */
	ck_assert(flags_cond(RFL_OF, 0x0));
	ck_assert(!flags_cond(RFL_OF, 0x1));
	ck_assert(flags_cond(RFL_CF, 0x2));
	ck_assert(flags_cond(RFL_ZF, 0x4));
	ck_assert(flags_cond(RFL_ZF, 0x6));
	ck_assert(!flags_cond(0, 0x6));
	ck_assert(flags_cond(RFL_SF, 0x8));
	ck_assert(flags_cond(RFL_PF, 0xa));
	ck_assert(flags_cond(RFL_SF, 0xc));           /* SF != OF */
	ck_assert(!flags_cond(RFL_SF | RFL_OF, 0xc));
	ck_assert(flags_cond(RFL_ZF, 0xe));
	ck_assert(flags_cond(0, 0xf));
	/* 0x7f + 1 in a byte: OF, SF, AF; 0xff + 1: CF, ZF, AF, PF. */
	uint64_t f = 0;
	ck_assert_uint_eq(flags_alu(INSN_OP_ADD, 0x7f, 1, 1, &f), 0x80);
	ck_assert_uint_eq(f & RFL_ARITH, RFL_OF | RFL_SF | RFL_AF);
	ck_assert_uint_eq(flags_alu(INSN_OP_ADD, 0xff, 1, 1, &f), 0);
	ck_assert_uint_eq(f & RFL_ARITH, RFL_CF | RFL_ZF | RFL_AF | RFL_PF);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("insn");
	TCase *tc = tcase_create("decode");
	tcase_add_loop_test(tc, decode_table, 0, sizeof(dcases) / sizeof(dcases[0]));
	tcase_add_test(tc, decode_details);
	suite_add_tcase(s, tc);
	tc = tcase_create("emulate");
	tcase_add_test(tc, code16_addressing_and_wrap);
	tcase_add_test(tc, code16_strings);
	tcase_add_test(tc, segment_types_and_limits);
	tcase_add_test(tc, modes_from_vcpu_state);
	tcase_add_test(tc, fs_gs_and_canonical);
	tcase_add_test(tc, rep_interrupted_and_faulting);
	tcase_add_test(tc, flags_helpers);
	suite_add_tcase(s, tc);
	return s;
}
