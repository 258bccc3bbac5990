/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HLT (SDM Vol. 3C 26.1.3): the vCPU sleeps until an event is pending. RIP
 * moves past HLT first, so that the interrupt, when it comes, returns to the
 * next instruction as it would on hardware.
 */
#include "exit_handlers.h"

enum exit_action hlt_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	vcpu_advance_rip(vcpu, ex->instr_len);
	if (vcpu->event.valid)
		return EXIT_ACTION_RESUME; /* an event is already queued: no sleep */
	vcpu->state = VCPU_STATE_HALTED;
	return EXIT_ACTION_HALT;
}
