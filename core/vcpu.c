/* SPDX-License-Identifier: BSD-3-Clause */
#include "vcpu.h"
#include "lib.h"
#include "platform.h"
#include "x86.h"
#include "scheduler.h"
#include "request.h"

void vcpu_init(struct vcpu *vcpu, struct vm *vm, uint16_t id)
{
	tern_memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->state = VCPU_STATE_INIT;
	vcpu->pcpu = vm ? sched_vcpu_pcpu(vm, id) : 0;
	if (vm && vm->hv && vm->id < TERN_MAX_VMS && id < TERN_MAX_VCPUS)
		atomic_or64(&vm->hv->live_slots, 1ull << (vm->id * TERN_MAX_VCPUS + id));
	/* The VPID (vmxc_vpid) belonged to the slot's previous VM: start clean. */
	vcpu->requests = VCPU_REQ_FLUSH_VPID;
	vcpu->timer_deadline = UINT64_MAX;      /* no timer until core computes one */
	cr_reset(vcpu);
	intr_reset(vcpu);
	msr_reset(vcpu);
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

/* Cache misses (vcpu_get_reg / vcpu_get_seg in vcpu.h): fetch once. */
uint64_t vcpu_fetch_reg(struct vcpu *vcpu, enum vcpu_reg reg)
{
	vcpu_cache_fill(vcpu, reg, plat_vcpu_fetch_reg(vcpu, reg));
	return vcpu->regs[reg];
}

const struct seg_desc *vcpu_fetch_seg(struct vcpu *vcpu, enum vcpu_seg seg)
{
	struct seg_desc d;
	plat_vcpu_fetch_seg(vcpu, seg, &d);
	vcpu_cache_fill_seg(vcpu, seg, &d);
	return &vcpu->segs[seg];
}

unsigned vcpu_cpl(struct vcpu *vcpu)
{
	/* SDM Vol. 3C 24.4.1: SS.DPL is always the CPL on VM exit. */
	return seg_ar_dpl(vcpu_get_seg(vcpu, VCPU_SS)->ar);
}

bool vcpu_long_mode_64(struct vcpu *vcpu)
{
	if (!(vcpu_get_reg(vcpu, VCPU_EFER) & X86_EFER_LMA))
		return false;
	return seg_ar_l(vcpu_get_seg(vcpu, VCPU_CS)->ar);
}
