/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exits Tern's controls do not cause, or whose emulation Tern does not offer
 * yet, but whose qualification says something worth reporting: the VM stops
 * and the log line names the reason and the decoded qualification.
 */
#include "dr_qual.h"
#include "exit_handlers.h"
#include "insn_info.h"
#include "log.h"
#include "task_switch_qual.h"
#include "vm.h"

static const char *const ts_sources[] = { "CALL", "IRET", "JMP", "IDT task gate" };

static enum exit_action stop(struct vcpu *vcpu, const struct exit_record *ex)
{
	vm_stop(vcpu->vm, VM_STOP_UNEXPECTED_EXIT, exit_basic_reason(ex));
	return EXIT_ACTION_STOP;
}

/*
 * Task switch (SDM Vol. 3C 26.4.2: always exits). Hardware task switching
 * exists only outside IA-32e mode and is not emulated: the VM stops with
 * the source and the TSS selector.
 */
enum exit_action task_switch_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	log_err("vm%u vcpu%u: task switch by %s to TSS selector 0x%x is not emulated",
		vcpu->vm->id, vcpu->id, ts_sources[ts_qual_source(ex->qualification)],
		ts_qual_selector(ex->qualification));
	return stop(vcpu, ex);
}

/* MOV DR: "MOV-DR exiting" is off, debug registers belong to the guest. */
enum exit_action dr_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint64_t q = ex->qualification;
	log_err("vm%u vcpu%u: MOV %s DR%u (GPR %u) exited, MOV-DR exiting is off", vcpu->vm->id,
		vcpu->id, dr_qual_is_read(q) ? "from" : "to", dr_qual_dr(q), dr_qual_gpr(q));
	return stop(vcpu, ex);
}

/* INVLPG: "INVLPG exiting" is off (EPT); INVPCID exits only with it. */
enum exit_action invlpg_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	log_err("vm%u vcpu%u: INVLPG 0x%llx exited, INVLPG exiting is off", vcpu->vm->id, vcpu->id,
		(unsigned long long)invlpg_qual_linear(ex->qualification));
	return stop(vcpu, ex);
}

enum exit_action invpcid_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint32_t info = ex->instr_info;
	log_err("vm%u vcpu%u: INVPCID (type in GPR %u, disp 0x%llx) exited, INVLPG exiting is off",
		vcpu->vm->id, vcpu->id, inv_info_type_reg(info),
		(unsigned long long)invpcid_qual_displacement(ex->qualification));
	return stop(vcpu, ex);
}
