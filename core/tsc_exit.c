/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RDTSC and RDTSCP when they exit. With TSC offsetting the guest runs them
 * natively (core's control set); these handlers give the same answer the
 * CPU would, host TSC + the vCPU's offset, for a configuration that makes
 * them exit.
 */
#include "exit_handlers.h"
#include "retire.h"
#include "msr.h"
#include "platform.h"
#include "vm.h"

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
