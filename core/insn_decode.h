/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * x86 instruction decoder for MMIO emulation: prefixes (66, 67, REX, segment
 * overrides, LOCK, REP/REPNE), ModRM/SIB, displacements, RIP-relative
 * addressing, immediates and moffs, in 16-, 32- and 64-bit code
 * (SDM Vol. 2A chapter 2). It decodes the instructions the emulator
 * executes (insn_emulate.h) and rejects everything else as #UD.
 *
 * Pure: bytes in, struct insn out. No vCPU, no memory access.
 */
#ifndef TERN_INSN_DECODE_H
#define TERN_INSN_DECODE_H

#include <stdint.h>
#include <stdbool.h>

/* Longest legal instruction (SDM Vol. 2A 2.3.11); longer is #GP(0). */
#define INSN_MAX_LEN 15

/* Default operand/address size of the code segment (SDM Vol. 1 3.6). */
enum insn_mode {
	INSN_MODE_16 = 0,
	INSN_MODE_32,
	INSN_MODE_64,
};

enum insn_op {
	INSN_OP_NONE = 0,
	/* The Group 1 operations in ModRM.reg order (SDM Vol. 2 Table A-6). */
	INSN_OP_ADD, INSN_OP_OR, INSN_OP_ADC, INSN_OP_SBB,
	INSN_OP_AND, INSN_OP_SUB, INSN_OP_XOR, INSN_OP_CMP,
	INSN_OP_TEST,
	INSN_OP_MOV,
	INSN_OP_MOVZX,
	INSN_OP_MOVSX,     /* also MOVSXD (63) */
	INSN_OP_XCHG,
	INSN_OP_BT, INSN_OP_BTS, INSN_OP_BTR, INSN_OP_BTC,
	INSN_OP_MOVS, INSN_OP_STOS, INSN_OP_LODS, INSN_OP_CMPS, INSN_OP_SCAS,
	INSN_OP_INC, INSN_OP_DEC, INSN_OP_NOT, INSN_OP_NEG,
	INSN_OP_XADD, INSN_OP_CMPXCHG,
	INSN_OP_SETCC,
	INSN_OP_COUNT,
};

/* Where the operands are. */
enum insn_form {
	INSN_FORM_NONE = 0,
	INSN_FORM_EG,     /* r/m is the destination, ModRM.reg the source */
	INSN_FORM_GE,     /* ModRM.reg is the destination, r/m the source */
	INSN_FORM_EI,     /* r/m, immediate */
	INSN_FORM_AI,     /* accumulator, immediate */
	INSN_FORM_E,      /* r/m only */
	INSN_FORM_MOFFS_LOAD,   /* A0/A1: accumulator <- [moffs] */
	INSN_FORM_MOFFS_STORE,  /* A2/A3: [moffs] <- accumulator */
	INSN_FORM_STRING,
};

#define INSN_NOREG 0xffu

/* insn.flags */
#define INSN_F_MEM     (1u << 0)   /* r/m (or moffs) is a memory operand */
#define INSN_F_RIPREL  (1u << 1)
#define INSN_F_LOCK    (1u << 2)
#define INSN_F_REP     (1u << 3)   /* F3: REP / REPE */
#define INSN_F_REPNE   (1u << 4)   /* F2 */
#define INSN_F_REX     (1u << 5)   /* a REX prefix: byte regs 4-7 are SPL..DIL */
#define INSN_F_SEGOVR  (1u << 6)   /* a segment-override prefix was given */

struct insn {
	uint8_t len;
	uint8_t op;        /* enum insn_op */
	uint8_t form;      /* enum insn_form */
	uint8_t flags;     /* INSN_F_* */
	uint8_t osize;     /* operand size in bytes: 1, 2, 4, 8 */
	uint8_t ssize;     /* MOVZX/MOVSX source size in bytes */
	uint8_t asize;     /* address size in bytes: 2, 4, 8 */
	uint8_t seg;       /* segment of the memory operand (enum vcpu_seg) */
	uint8_t reg;       /* ModRM.reg with REX.R: a GPR number */
	uint8_t rm;        /* ModRM.rm with REX.B when the operand is a register */
	uint8_t base;      /* GPR or INSN_NOREG */
	uint8_t index;     /* GPR or INSN_NOREG */
	uint8_t scale;     /* index shift, 0..3 */
	uint8_t cc;        /* condition for SETcc (low opcode nibble) */
	uint8_t opcode;    /* the opcode byte (after 0F for two-byte opcodes) */
	uint8_t map;       /* 0: one-byte map, 1: 0F map */
	int64_t disp;      /* displacement, or the moffs address */
	uint64_t imm;      /* immediate, sign-extended to the operand size */
};

/* Decoder results besides 0. */
#define INSN_ERR_UD        (-1)  /* undefined or unsupported: #UD */
#define INSN_ERR_TOO_LONG  (-2)  /* longer than 15 bytes: #GP(0) */
#define INSN_ERR_TRUNCATED (-3)  /* needs more than the bytes given */

/*
 * Decode the instruction at @bytes (@avail bytes readable).
 * Returns 0, or INSN_ERR_*. With INSN_ERR_TRUNCATED the caller fetches
 * more bytes (up to INSN_MAX_LEN) and decodes again.
 */
int insn_decode(const uint8_t *bytes, unsigned avail, enum insn_mode mode, struct insn *out);

/* True for operations that write their r/m operand (lockable when memory). */
bool insn_writes_rm(const struct insn *in);

const char *insn_op_name(unsigned op);

#endif
