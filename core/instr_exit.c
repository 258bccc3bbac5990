/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions whose whole emulation is a decision, not state: PAUSE,
 * WBINVD, INVD, RDTSC(P), and the VMX-preemption timer. CPL checks happen
 * before these exits (SDM Vol. 3C 26.1.1), so only CPL 0 reaches WBINVD/INVD.
 */
#include "exit_handlers.h"
#include "retire.h"
#include "msr.h"
#include "platform.h"
#include "vm.h"

/*
 * PAUSE (PAUSE exiting / PAUSE-loop exiting, SDM 25.6.2): the guest spins;
 * skipping the instruction and resuming is the yield point the platform
 * uses to run something else.
 */
enum exit_action pause_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	vcpu_retire_insn(vcpu, ex->instr_len);
	return EXIT_ACTION_RESUME;
}

/*
 * WBINVD and INVD: Tern gives guests no device DMA that bypasses the
 * caches, so there is nothing to write back; INVD must never discard the
 * host's dirty lines. Both complete as no-ops.
 */
enum exit_action cache_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	vcpu_retire_insn(vcpu, ex->instr_len);
	return EXIT_ACTION_RESUME;
}

/* RDTSC: EDX:EAX = host TSC + the vCPU's offset (SDM Vol. 2B RDTSC, 25.6.5). */
enum exit_action rdtsc_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint64_t tsc = plat_host_tsc() + vcpu->msr.tsc_offset;
	vcpu_set_reg(vcpu, VCPU_RAX, tsc & 0xffffffffull);
	vcpu_set_reg(vcpu, VCPU_RDX, tsc >> 32);
	vcpu_retire_insn(vcpu, ex->instr_len);
	return EXIT_ACTION_RESUME;
}

/* RDTSCP: also ECX = IA32_TSC_AUX (SDM Vol. 2B RDTSCP). */
enum exit_action rdtscp_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	enum exit_action a = rdtsc_exit(vcpu, ex);
	vcpu_set_reg(vcpu, VCPU_RCX, vcpu->msr.tsc_aux);
	return a;
}

/* The preemption timer bounds a guest's time slice; core has nothing to change. */
enum exit_action preemption_timer_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	(void)vcpu;
	(void)ex;
	return EXIT_ACTION_RESUME;
}
