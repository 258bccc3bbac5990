/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scheduler: which vCPU a physical CPU enters next, and what happens
 * when it has none (docs/concurrency.md).
 *
 * Each vCPU is owned by one pCPU, chosen at creation from its VM's
 * cpu_affinity (sched_vcpu_pcpu). Per pCPU, sched_next() goes round-robin
 * over the vCPUs it owns and returns the next one that is RUNNABLE, is
 * HALTED with something to take (intr_can_wake: it becomes RUNNABLE), or
 * has requests pending (which the platform must let it handle in its own
 * context: vcpu_pre_entry, then it enters only if vcpu_can_enter()). A vCPU
 * parked on I/O, halted with nothing pending, paused, stopped or in INIT is
 * not run.
 *
 * When a pCPU has nothing to run, core decides whether anything can still
 * change that. Something can while a vCPU anywhere is current (running) or
 * runnable, or has requests pending, or is halted with a timer armed
 * (vcpu->timer_deadline: the platform's timer will make VCPU_REQ_TIMER on
 * it when the deadline passes): the pCPU idles (sched_next returns
 * NULL and cpus[cpu].idle is set) until a kick. Otherwise nothing can ever
 * wake a parked vCPU of this pCPU, and each one's VM is stopped with cause
 * "internal", reported the same on both platforms:
 *   "vm<m> vcpu<n> halted with no interrupt source that could wake it"
 *   (detail EXIT_REASON_HLT)
 *   "vm<m> vcpu<n> waits for an I/O request no one will complete"
 *   (detail the exit reason that sent it: I/O instruction or EPT violation)
 */
#ifndef TERN_SCHEDULER_H
#define TERN_SCHEDULER_H

#include <stdint.h>
#include <stdbool.h>
#include "vm.h"

/*
 * The pCPU that owns vCPU `id` of a VM: the id-th set bit of cpu_affinity
 * (one vCPU per set bit, as ACRN assigns them), counting round when there
 * are fewer bits than vCPUs; pCPU 0 when the affinity is 0 ("any", the
 * single-CPU image) or names no pCPU below TERN_MAX_PCPUS.
 */
uint16_t sched_vcpu_pcpu(const struct vm *vm, uint16_t id);

/*
 * The vCPU pCPU `cpu` handles next, made current (vcpu->running) in place
 * of the previous one; NULL when none (previous one no longer current).
 * @pre called on pCPU `cpu` only.
 */
struct vcpu *sched_next(struct tern *hv, uint16_t cpu);

/*
 * A pCPU that outlives its vCPUs (an AP of the image: VMs the Service VM
 * creates later may be given to it) waits for work after sched_next said
 * nothing can wake its parked vCPUs (NULL, cpus[cpu].idle clear): this sets
 * idle again, so that the next request for a vCPU it owns kicks it, and
 * scans once more. true: wait for a kick (HLT); false: something became
 * eligible meanwhile, call sched_next. @pre called on pCPU `cpu` only.
 */
bool sched_cpu_wait(struct tern *hv, uint16_t cpu);

/*
 * Scheduler slot i (vm * TERN_MAX_VCPUS + vcpu id): its vCPU, NULL when
 * the VM is powered off or has fewer vCPUs. Inline: every entry decision
 * looks at the pCPU's slots (sched_slice.c).
 */
static inline struct vcpu *sched_slot(struct tern *hv, uint32_t i)
{
	struct vm *vm = &hv->vms[i / TERN_MAX_VCPUS];
	uint16_t id = (uint16_t)(i % TERN_MAX_VCPUS);
	if (vm->state == VM_STATE_POWERED_OFF || id >= vm->config.vcpu_count)
		return (struct vcpu *)0;
	return &vm->vcpus[id];
}

/* After vcpu_pre_entry: the vCPU may be entered (RUNNABLE). */
bool vcpu_can_enter(const struct vcpu *vcpu);

#endif
