/* SPDX-License-Identifier: BSD-3-Clause */
/* Exit qualification for MOV DR, SDM Vol. 3C Table 28-4. */
#ifndef TERN_DR_QUAL_H
#define TERN_DR_QUAL_H

#include <stdint.h>
#include <stdbool.h>

/* Bits 2:0: number of the debug register. */
static inline unsigned dr_qual_dr(uint64_t q) { return (unsigned)(q & 7u); }
/* Bit 4: direction, 0 = MOV to DR, 1 = MOV from DR. */
static inline bool dr_qual_is_read(uint64_t q) { return (q >> 4) & 1u; }
/* Bits 11:8: the general-purpose register. */
static inline unsigned dr_qual_gpr(uint64_t q) { return (unsigned)((q >> 8) & 0xfu); }

#endif
