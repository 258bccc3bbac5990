/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Arithmetic flags as the CPU computes them (SDM Vol. 1 3.4.3, Appendix A
 * "EFLAGS cross-reference"; each instruction's "Flags Affected" in Vol. 2).
 */
#ifndef TERN_INSN_FLAGS_H
#define TERN_INSN_FLAGS_H

#include <stdint.h>
#include <stdbool.h>
#include "lib.h"

#define RFL_CF (1ull << 0)
#define RFL_PF (1ull << 2)
#define RFL_AF (1ull << 4)
#define RFL_ZF (1ull << 6)
#define RFL_SF (1ull << 7)
#define RFL_TF (1ull << 8)
#define RFL_DF (1ull << 10)
#define RFL_OF (1ull << 11)
#define RFL_VM (1ull << 17)
#define RFL_ARITH (RFL_CF | RFL_PF | RFL_AF | RFL_ZF | RFL_SF | RFL_OF)

/*
 * Compute @op (INSN_OP_ADD..INSN_OP_CMP, INSN_OP_TEST) on @a and @b of
 * @size bytes; returns the result and replaces the arithmetic flags in
 * *@rflags. AF after AND/OR/XOR/TEST (undefined in the SDM) is cleared, as
 * Intel and AMD CPUs do (insn_vendor.h, INSN_QUIRK_LOGIC_AF).
 */
uint64_t flags_alu(unsigned op, uint64_t a, uint64_t b, unsigned size, uint64_t *rflags);

/* ZF/SF/PF of a result (PF over its low byte only). */
uint64_t flags_szp(uint64_t res, unsigned size);

/* Condition code cc (low nibble of Jcc/SETcc), SDM Vol. 1 Appendix B. */
bool flags_cond(uint64_t rflags, unsigned cc);

#endif
