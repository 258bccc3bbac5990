/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A guest-visible fault, returned as data by the page walker and the
 * instruction emulator; the exit handler injects it at one place.
 * Vectors are the architectural exception numbers (x86.h, SDM Vol. 3A
 * Table 6-1).
 */
#ifndef TERN_GUEST_FAULT_H
#define TERN_GUEST_FAULT_H

#include <stdint.h>
#include <stdbool.h>
#include "x86.h"

struct guest_fault {
	bool valid;
	uint8_t vector;
	bool has_error;
	uint32_t error_code;
	uint64_t cr2;          /* faulting linear address, #PF only */
	/*
	 * Not a guest fault (valid stays false; the call returned
	 * -TERN_EACCES): a write the hypervisor made for the guest (an A/D
	 * update, an emulated store) hit a page its EPT write-protects. The
	 * exit handler sends a WP IOREQ for wp_gpa and leaves RIP, as for the
	 * guest's own write (ept_exit.c).
	 */
	bool wp;
	uint64_t wp_gpa;
};

static inline void guest_fault_set(struct guest_fault *f, uint8_t vector, bool has_error,
				   uint32_t error_code)
{
	f->valid = true;
	f->vector = vector;
	f->has_error = has_error;
	f->error_code = error_code;
	f->cr2 = 0;
}

/* #UD has no error code; #GP(0) and #SS(0) carry a zero one (SDM 6.15). */
static inline void guest_fault_ud(struct guest_fault *f) { guest_fault_set(f, X86_UD, false, 0); }
static inline void guest_fault_gp0(struct guest_fault *f) { guest_fault_set(f, X86_GP, true, 0); }
static inline void guest_fault_ss0(struct guest_fault *f) { guest_fault_set(f, X86_SS, true, 0); }

static inline void guest_fault_pf(struct guest_fault *f, uint32_t error_code, uint64_t cr2)
{
	guest_fault_set(f, X86_PF, true, error_code);
	f->cr2 = cr2;
}

#endif
