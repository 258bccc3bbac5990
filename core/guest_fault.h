/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A guest-visible fault decided by an emulation routine, returned as data;
 * the exit handler turns it into an injection with event_reflect() (event.h).
 */
#ifndef TERN_GUEST_FAULT_H
#define TERN_GUEST_FAULT_H

enum guest_fault {
	GUEST_FAULT_NONE = 0,
	GUEST_FAULT_GP0,   /* #GP(0) */
	GUEST_FAULT_UD,    /* #UD */
};

#endif
