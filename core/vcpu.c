/* SPDX-License-Identifier: BSD-3-Clause */
#include "vcpu.h"
#include "lib.h"
#include "platform.h"
#include "x86.h"
#include "scheduler.h"
#include "sched_slice.h"
#include "request.h"
#include "vm.h"
#include "vm_irq.h"

void vcpu_bind_pcpu(struct vcpu *vcpu, uint16_t pcpu)
{
	vcpu->pcpu = pcpu;
	vcpu->cpu = &vcpu->vm->hv->cpus[pcpu];
}

void vcpu_init(struct vcpu *vcpu, struct vm *vm, uint16_t id)
{
	tern_memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->state = VCPU_STATE_INIT;
	if (vm && vm->hv)
		vcpu_bind_pcpu(vcpu, sched_vcpu_pcpu(vm, id));
	if (vm && vm->hv && vm->id < TERN_MAX_VMS && id < TERN_MAX_VCPUS) {
		atomic_or64(&vm->hv->live_slots, 1ull << (vm->id * TERN_MAX_VCPUS + id));
		sched_cpu_stale(vcpu->cpu); /* a vCPU its pCPU's entry decisions did not know */
	}
	/* The VPID (vmxc_vpid) belonged to the slot's previous VM: start clean. */
	vcpu->requests = VCPU_REQ_FLUSH_VPID;
	cr_reset(vcpu);
	intr_reset(vcpu);
	msr_reset(vcpu);
	/* Power-up (SDM 10.4.7.1); APIC ID = vCPU index, as CPUID.1/0xB show it (cpuid.c). */
	uint64_t per_tick = vm ? vm_irq_tsc_hz(vm) / VM_IRQ_APIC_BUS_HZ : 1;
	vlapic_init(&vcpu->lapic, id, id, id == 0, (uint32_t)(per_tick ? per_tick : 1));
	vcpu->timer_deadline = UINT64_MAX;
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

void vcpu_fetch_regs(struct vcpu *vcpu, uint32_t mask)
{
	for (uint32_t miss = mask & ~vcpu->reg_valid; miss != 0; miss &= miss - 1u)
		(void)vcpu_fetch_reg(vcpu, (enum vcpu_reg)__builtin_ctz(miss)); /* TZCNT, no library call */
}

const struct seg_desc *vcpu_fetch_seg(struct vcpu *vcpu, enum vcpu_seg seg)
{
	struct seg_desc d;
	plat_vcpu_fetch_seg(vcpu, seg, &d);
	vcpu_cache_fill_seg(vcpu, seg, &d);
	return &vcpu->segs[seg];
}
