/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EPT-violation exit qualification, SDM Vol. 3C 28.2.1, Table 28-7
 * ("Exit Qualification for EPT Violations"). One accessor per field.
 */
#ifndef TERN_EPT_QUAL_H
#define TERN_EPT_QUAL_H

#include <stdint.h>
#include <stdbool.h>

#define EPT_QUAL_READ        (1ull << 0)  /* the access was a data read */
#define EPT_QUAL_WRITE       (1ull << 1)  /* the access was a data write */
#define EPT_QUAL_FETCH       (1ull << 2)  /* the access was an instruction fetch */
#define EPT_QUAL_ACCESS_MASK 7ull
#define EPT_QUAL_PERM_SHIFT  3            /* bits 5:3: AND of R/W/X over the walk */
#define EPT_QUAL_READABLE    (1ull << 3)
#define EPT_QUAL_WRITABLE    (1ull << 4)
#define EPT_QUAL_EXECUTABLE  (1ull << 5)
#define EPT_QUAL_GLA_VALID   (1ull << 7)  /* guest-linear-address field is valid */
#define EPT_QUAL_GLA_XLATE   (1ull << 8)  /* 1: access to the translated linear
                                            * address; 0: to a guest paging-structure entry */
#define EPT_QUAL_NMI_UNBLOCK (1ull << 12) /* NMI unblocking due to IRET */

static inline bool ept_qual_read(uint64_t q) { return (q & EPT_QUAL_READ) != 0; }
static inline bool ept_qual_write(uint64_t q) { return (q & EPT_QUAL_WRITE) != 0; }
static inline bool ept_qual_fetch(uint64_t q) { return (q & EPT_QUAL_FETCH) != 0; }
/* The access that caused the violation, in the EPT_QUAL_READ/WRITE/FETCH bits. */
static inline unsigned ept_qual_access(uint64_t q) { return (unsigned)(q & EPT_QUAL_ACCESS_MASK); }
static inline bool ept_qual_readable(uint64_t q) { return (q & EPT_QUAL_READABLE) != 0; }
static inline bool ept_qual_writable(uint64_t q) { return (q & EPT_QUAL_WRITABLE) != 0; }
static inline bool ept_qual_executable(uint64_t q) { return (q & EPT_QUAL_EXECUTABLE) != 0; }
/* The R/W/X permissions the walk found, as EPT entry bits 2:0. */
static inline unsigned ept_qual_perms(uint64_t q) { return (unsigned)((q >> EPT_QUAL_PERM_SHIFT) & 7u); }
static inline bool ept_qual_gla_valid(uint64_t q) { return (q & EPT_QUAL_GLA_VALID) != 0; }
/* Meaningful only when ept_qual_gla_valid(): true for an access to the
 * translated linear address, false for a guest paging-structure access. */
static inline bool ept_qual_gla_is_linear(uint64_t q) { return (q & EPT_QUAL_GLA_XLATE) != 0; }
static inline bool ept_qual_nmi_unblock(uint64_t q) { return (q & EPT_QUAL_NMI_UNBLOCK) != 0; }

#endif
