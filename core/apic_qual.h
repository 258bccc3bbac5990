/* SPDX-License-Identifier: BSD-3-Clause */
/* Exit qualification for APIC-access VM exits, SDM Vol. 3C Table 28-6. */
#ifndef TERN_APIC_QUAL_H
#define TERN_APIC_QUAL_H

#include <stdint.h>
#include <stdbool.h>

/* Bits 15:12: access type. */
enum apic_access_type {
	APIC_ACCESS_LINEAR_READ = 0,       /* data read during instruction execution */
	APIC_ACCESS_LINEAR_WRITE = 1,      /* data write during instruction execution */
	APIC_ACCESS_LINEAR_FETCH = 2,      /* instruction fetch */
	APIC_ACCESS_LINEAR_EVENT = 3,      /* read or write during event delivery */
	APIC_ACCESS_GPA_EVENT = 10,        /* guest-physical access during event delivery */
	APIC_ACCESS_GPA_INSTR = 15,        /* guest-physical fetch or instruction execution */
};

/* Bits 11:0: offset of the access in the APIC page (linear accesses only). */
static inline unsigned apic_qual_offset(uint64_t q) { return (unsigned)(q & 0xfffu); }
static inline unsigned apic_qual_type(uint64_t q) { return (unsigned)((q >> 12) & 0xfu); }
/* The offset is defined only for the linear access types (0-3). */
static inline bool apic_qual_offset_valid(uint64_t q) { return apic_qual_type(q) <= 3; }
/* Bit 16: asynchronous to instruction execution and not event delivery. */
static inline bool apic_qual_async(uint64_t q) { return (q >> 16) & 1u; }

#endif
