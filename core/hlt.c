/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HLT (SDM Vol. 3C 26.1.3): the vCPU sleeps until an event is pending. RIP
 * moves past HLT first, so that the interrupt, when it comes, returns to the
 * next instruction as it would on hardware. The vCPU is parked (no spinning):
 * vcpu_queue_interrupt()/vcpu_queue_nmi() make it runnable again when it can
 * take what arrived (an NMI always; an interrupt only if RFLAGS.IF was 1).
 */
#include "exit_handlers.h"
#include "retire.h"
#include "intr.h"
#include "x86.h"
#include "vm_irq.h"

enum exit_action hlt_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	/*
	 * HLT completes when it halts, so an STI or MOV-SS shadow covering it
	 * is over ("sti; hlt" must take the interrupt that wakes it at once).
	 * With RFLAGS.TF the single-step trap is pending while halted and is
	 * delivered on wake-up, before the waking interrupt (the VMCS models
	 * exactly this: SDM Vol. 3C 26.3.1.5 checks BS against TF for the HLT
	 * activity state; intr.c holds the interrupt back behind the trap).
	 */
	vcpu_retire_insn(vcpu, ex->instr_len);
	vcpu->intr.halt_if = (vcpu_get_reg(vcpu, VCPU_RFLAGS) & X86_RFLAGS_IF) != 0;
	/* A timer that expired already wakes it at once; else timer_deadline is what it waits for. */
	vcpu_timers_advance(vcpu);
	/* An event already queued (or deliverable) ends the halt at once. */
	if (vcpu->event.valid || intr_can_wake(vcpu))
		return EXIT_ACTION_RESUME;
	vcpu->state = VCPU_STATE_HALTED;
	return EXIT_ACTION_HALT;
}
