/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exits that only hand the CPU back: PAUSE (PAUSE exiting / PAUSE-loop
 * exiting, SDM 25.6.2: the guest spins) and the VMX-preemption timer (the
 * end of a time slice). Core's control set enables neither today; when
 * they exit, the instruction completes (PAUSE) or nothing changes (the
 * timer), and the scheduler chooses what runs next.
 */
#include "exit_handlers.h"
#include "retire.h"

enum exit_action pause_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	vcpu_retire_insn(vcpu, ex->instr_len);
	return EXIT_ACTION_RESUME;
}

enum exit_action preemption_timer_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	(void)vcpu;
	(void)ex;
	return EXIT_ACTION_RESUME;
}
