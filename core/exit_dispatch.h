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
#include "vmx_controls.h"

/* What the platform does after an exit has been handled. */
enum exit_action {
	EXIT_ACTION_RESUME = 0, /* enter the guest again */
	EXIT_ACTION_WAIT_IO,    /* vCPU parked on an IOREQ until completion */
	EXIT_ACTION_HALT,       /* vCPU parked until an interrupt is pending */
	EXIT_ACTION_STOP,       /* the VM (or this vCPU) stopped; do not enter */
	/*
	 * Runnable, but the pCPU goes to sched_next before entering it again:
	 * another vCPU of this pCPU is eligible and this one's slice ended or
	 * it spins (sched_slice.h). A platform that re-enters a vCPU after
	 * RESUME without asking sched_next must not do so after YIELD.
	 */
	EXIT_ACTION_YIELD,
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
 * Before VM entry, in the vCPU's own context: carries out its requests
 * (vcpu_handle_requests, request.h: EPT invalidation via
 * plat_ept_invalidate, VPID invalidation via plat_vpid_invalidate, IOREQ
 * post-work) and injects a pending NMI or external interrupt when
 * the guest can take it (intr.h). Afterwards the platform, in this order:
 *   - writes back every register in vcpu->reg_dirty;
 *   - injects vcpu->event if valid (VM-entry interruption information,
 *     error code, instruction length), then clears it;
 *   - sets "interrupt-window exiting" (primary processor-based control
 *     bit 2) iff vcpu->intr.irq_window, and "NMI-window exiting" (bit 22)
 *     iff vcpu->intr.nmi_window (SDM Vol. 3C 25.6.2); core recomputes both
 *     at every entry, so the platform only copies them;
 *   - applies vcpu->cr when cr.dirty / cr.pdpte_dirty (cr.h) and the TSC
 *     offset when msr.tsc_offset_dirty (msr.h), clearing each flag;
 *   - sets the "IA-32e mode guest" entry control to EFER.LMA.
 * The platform enters the vCPU only when vcpu_can_enter() holds
 * afterwards (scheduler.h: the requests may have left it parked), and through
 * vcpu_enter_guest() (request.h). A vCPU in VCPU_STATE_HALTED is not
 * entered: the scheduler makes it RUNNABLE when
 * vcpu_queue_interrupt()/vcpu_queue_nmi() give it something to take.
 *
 * The exception bitmap is EXIT_EXCEPTION_BITMAP (exception.c explains each
 * vector); the platform programs it from core's control set (vmx_controls.h).
 */
#define EXIT_EXCEPTION_BITMAP ((1u << 17) | (1u << 18)) /* #AC, #MC */
void vcpu_pre_entry(struct vcpu *vcpu);

/*
 * How each row of the exit table is reached on hardware, against core's
 * control set (vmx_controls.h). A control is a field and a mask (all its
 * bits); the pseudo-fields name the exception bitmap and the bits core sets
 * per entry (vmx_controls.dynamic). A mask of 0 names nothing.
 */
#define EXIT_CTL_EXCEPTION_BITMAP VMXC_FIELD_COUNT
#define EXIT_CTL_DYNAMIC(f) (VMXC_FIELD_COUNT + 1 + (f))
/* The CR0/CR4 guest/host masks core sets at vCPU creation (cr.h), not a control bit. */
#define EXIT_CTL_CR_MASKS (EXIT_CTL_DYNAMIC(VMXC_FIELD_COUNT))
struct exit_ctl {
	uint8_t field;  /* enum vmxc_field or EXIT_CTL_* */
	uint32_t mask;
};

enum exit_reach_kind {
	EXIT_REACH_UNDEFINED = 0, /* a number the SDM does not use */
	/* Exits whatever the controls: SDM Vol. 3C 26.1.2 (instructions), 26.2 (events), 27.8 (entry failures). */
	EXIT_REACH_ALWAYS,
	EXIT_REACH_CONTROL,       /* exits because `need` is set */
	EXIT_REACH_NATIVE,        /* the guest runs it natively: `clear` must be clear */
	EXIT_REACH_NEVER,         /* a mode or feature Tern never enables (`clear`, when one control gates it) */
	EXIT_REACH_OPTIONAL,      /* exits because `need` is set, which core sets when the CPU has it (vmxc_apic_virt) */
};

struct exit_reach {
	enum exit_reach_kind kind;
	struct exit_ctl need, need2;    /* must be set */
	struct exit_ctl clear, clear2;  /* must be clear */
};

/* The row of a basic exit reason; NULL past the table. */
const struct exit_reach *exit_reach_of(uint16_t basic);

/*
 * Controls no single exit reason depends on but core's register model does
 * (msr.h: regs[EFER]/regs[PAT] are the guest's own fields; the reset and
 * multiboot states run with paging off; VCPU_REQ_FLUSH_VPID names the vCPU's VPID).
 * Returns the count; *out the table.
 */
struct exit_state_need {
	struct exit_ctl ctl;
	const char *why;
};
unsigned exit_state_needs(const struct exit_state_need **out);

#endif
