/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit handling entry points: the platform calls vcpu_handle_exit() after
 * filling the exit record and register cache, and vcpu_pre_entry() before
 * every VM entry.
 */
#ifndef TERN_EXIT_DISPATCH_H
#define TERN_EXIT_DISPATCH_H

#include "exit.h"
#include "vcpu.h"

/* What the platform does after an exit has been handled. */
enum exit_action {
	EXIT_ACTION_RESUME = 0, /* enter the guest again */
	EXIT_ACTION_WAIT_IO,    /* vCPU parked on an IOREQ until completion */
	EXIT_ACTION_HALT,       /* vCPU parked until an interrupt is pending */
	EXIT_ACTION_STOP,       /* the VM (or this vCPU) stopped; do not enter */
	EXIT_ACTION_COUNT,
};

const char *exit_action_name(enum exit_action action);
int exit_action_from_name(const char *name, unsigned len);

/*
 * Handle one exit. @pre the platform has called vcpu_cache_reset() and
 * filled what it read on exit (at least the GPRs).
 */
enum exit_action vcpu_handle_exit(struct vcpu *vcpu, const struct exit_record *ex);

/*
 * Before VM entry: carries out requests core queued (EPT invalidation via
 * plat_ept_invalidate). Afterwards the platform writes back every register
 * in vcpu->reg_dirty and injects vcpu->event if valid, then clears both.
 */
void vcpu_pre_entry(struct vcpu *vcpu);

#endif
