/* SPDX-License-Identifier: BSD-3-Clause */
#include "vcpu.h"
#include "lib.h"
#include "platform.h"

/* RFLAGS bit 1 is reserved and always reads 1 (SDM Vol. 1, 3.4.3). */
#define RFLAGS_FIXED 0x2u
#define EFER_LMA (1u << 10)

void vcpu_init(struct vcpu *vcpu, struct vm *vm, uint16_t id)
{
	tern_memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->state = VCPU_STATE_INIT;
}

void vcpu_cache_reset(struct vcpu *vcpu)
{
	vcpu->reg_valid = 0;
	vcpu->reg_dirty = 0;
	vcpu->seg_valid = 0;
}

void vcpu_cache_fill(struct vcpu *vcpu, enum vcpu_reg reg, uint64_t value)
{
	vcpu->regs[reg] = value;
	vcpu->reg_valid |= 1u << reg;
}

void vcpu_cache_fill_seg(struct vcpu *vcpu, enum vcpu_seg seg, const struct seg_desc *desc)
{
	vcpu->segs[seg] = *desc;
	vcpu->seg_valid |= (uint16_t)(1u << seg);
}

uint64_t vcpu_get_reg(struct vcpu *vcpu, enum vcpu_reg reg)
{
	if (!(vcpu->reg_valid & (1u << reg)))
		vcpu_cache_fill(vcpu, reg, plat_vcpu_fetch_reg(vcpu, reg));
	return vcpu->regs[reg];
}

void vcpu_set_reg(struct vcpu *vcpu, enum vcpu_reg reg, uint64_t value)
{
	if (reg == VCPU_RFLAGS)
		value |= RFLAGS_FIXED;
	vcpu->regs[reg] = value;
	vcpu->reg_valid |= 1u << reg;
	vcpu->reg_dirty |= 1u << reg;
}

const struct seg_desc *vcpu_get_seg(struct vcpu *vcpu, enum vcpu_seg seg)
{
	if (!(vcpu->seg_valid & (1u << seg))) {
		struct seg_desc d;
		plat_vcpu_fetch_seg(vcpu, seg, &d);
		vcpu_cache_fill_seg(vcpu, seg, &d);
	}
	return &vcpu->segs[seg];
}

void vcpu_advance_rip(struct vcpu *vcpu, uint32_t instr_len)
{
	uint64_t rip = vcpu_get_reg(vcpu, VCPU_RIP) + instr_len;
	/* Outside 64-bit mode the instruction pointer wraps at 32 bits (EIP). */
	if (!vcpu_long_mode_64(vcpu))
		rip &= 0xffffffffu;
	vcpu_set_reg(vcpu, VCPU_RIP, rip);
}

unsigned vcpu_cpl(struct vcpu *vcpu)
{
	/* SDM Vol. 3C 24.4.1: SS.DPL is always the CPL on VM exit. */
	return seg_ar_dpl(vcpu_get_seg(vcpu, VCPU_SS)->ar);
}

bool vcpu_long_mode_64(struct vcpu *vcpu)
{
	if (!(vcpu_get_reg(vcpu, VCPU_EFER) & EFER_LMA))
		return false;
	return seg_ar_l(vcpu_get_seg(vcpu, VCPU_CS)->ar);
}
