/* SPDX-License-Identifier: BSD-3-Clause */
/* Instruction retirement (retire.h has the rules and their SDM sections). */
#include "retire.h"
#include "intr.h"
#include "x86.h"

void vcpu_retire_emulated(struct vcpu *vcpu)
{
	const uint64_t shadow = INTR_STATE_STI | INTR_STATE_MOV_SS;
	uint64_t intr = vcpu_get_reg(vcpu, VCPU_INTERRUPTIBILITY);
	uint64_t rflags = vcpu_get_reg(vcpu, VCPU_RFLAGS);

	/* Registers are written only when they change: a trace lists every register written. */
	if (intr & shadow)
		vcpu_set_reg(vcpu, VCPU_INTERRUPTIBILITY, intr & ~shadow);
	/*
	 * TF as the instruction began: none Tern emulates changes it. OR, not
	 * set: a MOV SS before this instruction may have left its own
	 * breakpoint or single-step bits pending (SDM Vol. 3A 6.8.3: they are
	 * delivered after the next instruction), and one #DB reports them all.
	 */
	if (rflags & X86_RFLAGS_TF)
		vcpu_set_reg(vcpu, VCPU_PENDING_DBG, vcpu_get_reg(vcpu, VCPU_PENDING_DBG) | PENDING_DBG_BS);
	if (rflags & X86_RFLAGS_RF)
		vcpu_set_reg(vcpu, VCPU_RFLAGS, rflags & ~X86_RFLAGS_RF);
}

/*
 * Outside 64-bit mode the instruction pointer wraps at 32 bits (EIP). The
 * mode is only looked up when the addition crosses 4 GiB: below, masking
 * changes nothing; a RIP already above 4 GiB exists only in 64-bit mode
 * (SDM Vol. 3C 26.3.1.4 checks bits 63:32 = 0 otherwise).
 */
void vcpu_retire_slow(struct vcpu *vcpu, uint64_t old, uint32_t instr_len)
{
	uint64_t rip = old + instr_len;

	if ((rip >> 32) && !(old >> 32) && !vcpu_long_mode_64(vcpu))
		rip &= 0xffffffffu;
	vcpu_set_reg(vcpu, VCPU_RIP, rip);
	vcpu_retire_emulated(vcpu);
}

bool vcpu_single_stepping(struct vcpu *vcpu)
{
	return (vcpu_get_reg(vcpu, VCPU_RFLAGS) & X86_RFLAGS_TF) != 0;
}

void vcpu_retire_iteration(struct vcpu *vcpu)
{
	uint64_t rflags = vcpu_get_reg(vcpu, VCPU_RFLAGS);

	if (!(rflags & X86_RFLAGS_TF))
		return;
	vcpu_set_reg(vcpu, VCPU_PENDING_DBG, vcpu_get_reg(vcpu, VCPU_PENDING_DBG) | PENDING_DBG_BS);
	if (!(rflags & X86_RFLAGS_RF))
		vcpu_set_reg(vcpu, VCPU_RFLAGS, rflags | X86_RFLAGS_RF);
}

bool vcpu_step_trap_pending(const struct vcpu *vcpu)
{
	return (vcpu->reg_valid & (1u << VCPU_PENDING_DBG)) &&
	       (vcpu->regs[VCPU_PENDING_DBG] & PENDING_DBG_BS);
}
