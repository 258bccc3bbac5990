/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exits that only hand the CPU back: PAUSE (PAUSE exiting / PAUSE-loop
 * exiting, SDM 25.6.2: the guest spins) and the VMX-preemption timer
 * (SDM 26.5.1: it counted down to the vCPU's timer_deadline, vcpu.h). PAUSE
 * exiting is not enabled; when it exits, the instruction completes. The
 * timer's exit changes nothing here: the expiry's work (the vLAPIC, PIT or
 * RTC interrupt) happens in vcpu_pre_entry, which advances the timers
 * before every entry.
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
