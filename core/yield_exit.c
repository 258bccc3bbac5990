/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exits that hand the pCPU back (sched_slice.h): PAUSE (PAUSE-loop
 * exiting, SDM Vol. 3C 25.6.2: the guest spins, most likely waiting for
 * another vCPU) and the VMX-preemption timer (SDM 26.5.1: it counted down
 * to the pCPU's deadline, sched_entry_deadline: the vCPU's own timers,
 * those of the vCPUs halted on its pCPU, or the end of its slice).
 *
 * PAUSE completes (a PAUSE-loop exit is taken on the PAUSE itself) and the
 * pCPU yields when another vCPU there is eligible: the spin's partner may
 * be that vCPU. The timer makes VCPU_REQ_TIMER on the halted vCPUs whose
 * deadline passed and yields the same way; the vCPU's own expired timers
 * raise their interrupts in vcpu_pre_entry, which advances them before
 * every entry.
 */
#include "exit_handlers.h"
#include "retire.h"
#include "sched_slice.h"

enum exit_action pause_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	vcpu_retire_insn(vcpu, ex->instr_len);
	return sched_other_eligible(vcpu) ? EXIT_ACTION_YIELD : EXIT_ACTION_RESUME;
}

enum exit_action preemption_timer_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	(void)ex;
	return sched_timer_expired(vcpu) ? EXIT_ACTION_YIELD : EXIT_ACTION_RESUME;
}
