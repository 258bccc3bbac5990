/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For tests of routines that return 0 or -TERN_EFAULT with a guest fault
 * filled in (struct guest_fault): one code for the result and the fault,
 * asserted together. Each test file gets its own copy of `gf` and outcome().
 */
#ifndef TERN_FAULT_OUTCOME_H
#define TERN_FAULT_OUTCOME_H

#include <string.h>
#include "unit.h"
#include "err.h"
#include "guest_fault.h"
#include "x86.h"

#define NO_FAULT 0
#define FAULT_GP0 1
#define FAULT_UD 2
#define FAULT_OTHER 99

static struct guest_fault gf;

static inline int outcome(int rc)
{
	int code = NO_FAULT;
	if (rc == 0) {
		ck_assert(!gf.valid);
	} else {
		ck_assert_int_eq(rc, -TERN_EFAULT);
		ck_assert(gf.valid);
		if (gf.vector == X86_GP && gf.has_error && gf.error_code == 0)
			code = FAULT_GP0;
		else if (gf.vector == X86_UD && !gf.has_error)
			code = FAULT_UD;
		else
			code = FAULT_OTHER;
	}
	memset(&gf, 0, sizeof(gf));
	return code;
}

#endif
