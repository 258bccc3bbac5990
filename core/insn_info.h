/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VM-exit instruction-information field (SDM Vol. 3C 28.2.5): the formats
 * used by INS/OUTS (Table 28-8) and by INVEPT/INVPCID/INVVPID (Table 28-13),
 * and the exit qualification of INVLPG/INVPCID (Table 28-1). Pure accessors.
 */
#ifndef TERN_INSN_INFO_H
#define TERN_INSN_INFO_H

#include <stdint.h>
#include <stdbool.h>

/* Bits 9:7: address size, 0 = 16-bit, 1 = 32-bit, 2 = 64-bit (3 undefined). */
enum instr_addr_size { ADDR_SIZE_16 = 0, ADDR_SIZE_32 = 1, ADDR_SIZE_64 = 2 };

/* ---- INS/OUTS, Table 28-8 ---- */
static inline unsigned ins_outs_info_addr_size(uint32_t info) { return (info >> 7) & 7u; }
/* Bits 17:15: segment register for OUTS (0 ES .. 5 GS); undefined for INS (always ES). */
static inline unsigned ins_outs_info_seg(uint32_t info) { return (info >> 15) & 7u; }
/* Address size in bytes (2, 4, 8), or 0 for an encoding the SDM leaves undefined. */
static inline unsigned insn_info_addr_bytes(unsigned addr_size)
{
	return addr_size == ADDR_SIZE_16 ? 2 : addr_size == ADDR_SIZE_32 ? 4
	       : addr_size == ADDR_SIZE_64 ? 8 : 0;
}

/* ---- INVEPT, INVPCID, INVVPID, Table 28-13 ---- */
/* Bits 1:0: scaling of the index (0 none, 1 by 2, 2 by 4, 3 by 8). */
static inline unsigned inv_info_scale(uint32_t info) { return info & 3u; }
static inline unsigned inv_info_addr_size(uint32_t info) { return (info >> 7) & 7u; }
static inline unsigned inv_info_seg(uint32_t info) { return (info >> 15) & 7u; }
static inline unsigned inv_info_index(uint32_t info) { return (info >> 18) & 0xfu; }
/* Bit 22: the index register is not used. */
static inline bool inv_info_index_invalid(uint32_t info) { return (info >> 22) & 1u; }
static inline unsigned inv_info_base(uint32_t info) { return (info >> 23) & 0xfu; }
/* Bit 27: the base register is not used. */
static inline bool inv_info_base_invalid(uint32_t info) { return (info >> 27) & 1u; }
/* Bits 31:28: reg2, the register that holds the invalidation type. */
static inline unsigned inv_info_type_reg(uint32_t info) { return (info >> 28) & 0xfu; }

/*
 * INVLPG: the exit qualification is the linear-address operand.
 * INVPCID: the exit qualification is the displacement of the memory operand.
 */
static inline uint64_t invlpg_qual_linear(uint64_t q) { return q; }
static inline uint64_t invpcid_qual_displacement(uint64_t q) { return q; }

/* INVPCID types, SDM Vol. 2A INVPCID. */
enum invpcid_type {
	INVPCID_ADDRESS = 0,      /* individual address */
	INVPCID_SINGLE = 1,       /* single context */
	INVPCID_ALL_GLOBAL = 2,   /* all contexts, including globals */
	INVPCID_ALL = 3,          /* all contexts, except globals */
};

#endif
