/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit qualification for control-register accesses, SDM Vol. 3C Table 28-3.
 * One pure accessor per field.
 */
#ifndef TERN_CR_QUAL_H
#define TERN_CR_QUAL_H

#include <stdint.h>
#include <stdbool.h>

/* Bits 5:4, access type. */
enum cr_access_type {
	CR_ACCESS_MOV_TO_CR = 0,
	CR_ACCESS_MOV_FROM_CR = 1,
	CR_ACCESS_CLTS = 2,
	CR_ACCESS_LMSW = 3,
};

/* Bits 3:0: number of the control register (0 for CLTS and LMSW). */
static inline unsigned cr_qual_cr(uint64_t q) { return (unsigned)(q & 0xfu); }
static inline enum cr_access_type cr_qual_access(uint64_t q)
{
	return (enum cr_access_type)((q >> 4) & 3u);
}
/* Bit 6: LMSW operand type, 1 = memory, 0 = register. */
static inline bool cr_qual_lmsw_mem(uint64_t q) { return (q >> 6) & 1u; }
/* Bits 11:8: the GPR of MOV CR (encoding order, 4 = RSP). */
static inline unsigned cr_qual_gpr(uint64_t q) { return (unsigned)((q >> 8) & 0xfu); }
/* Bits 31:16: the LMSW source data. */
static inline uint16_t cr_qual_lmsw_data(uint64_t q) { return (uint16_t)(q >> 16); }

#endif
