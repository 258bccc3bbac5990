/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit qualification for I/O instructions, SDM Vol. 3C Table 28-5.
 * One pure accessor per field.
 */
#ifndef TERN_IO_QUAL_H
#define TERN_IO_QUAL_H

#include <stdint.h>
#include <stdbool.h>

/* Bits 2:0: size of access minus one (0 = 1 byte, 1 = 2 bytes, 3 = 4 bytes). */
static inline unsigned io_qual_size(uint64_t q) { return (unsigned)(q & 7u) + 1; }
/* Bit 3: direction, 1 = IN. */
static inline bool io_qual_is_in(uint64_t q) { return (q >> 3) & 1u; }
/* Bit 4: string instruction (INS/OUTS). */
static inline bool io_qual_is_string(uint64_t q) { return (q >> 4) & 1u; }
/* Bit 5: REP prefixed. */
static inline bool io_qual_is_rep(uint64_t q) { return (q >> 5) & 1u; }
/* Bit 6: operand encoding, 1 = immediate port, 0 = DX. */
static inline bool io_qual_port_is_imm(uint64_t q) { return (q >> 6) & 1u; }
/* Bits 31:16: port number. */
static inline uint16_t io_qual_port(uint64_t q) { return (uint16_t)(q >> 16); }
/* Only sizes 1, 2 and 4 are architectural; the other encodings are invalid. */
static inline bool io_qual_size_valid(uint64_t q)
{
	unsigned s = io_qual_size(q);
	return s == 1 || s == 2 || s == 4;
}

#endif
