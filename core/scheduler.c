/* SPDX-License-Identifier: BSD-3-Clause */
#include "scheduler.h"
#include "atomic.h"
#include "exit.h"
#include "intr.h"
#include "ioreq.h"
#include "log.h"
#include "request.h"
#include "sched_slice.h"

uint16_t sched_vcpu_pcpu(const struct vm *vm, uint16_t id)
{
	uint64_t aff = vm->config.cpu_affinity & ((1ull << TERN_MAX_PCPUS) - 1);
	unsigned n = 0;
	for (uint64_t x = aff; x; x &= x - 1u) /* no popcount built-in: it may call libgcc */
		n++;
	if (n == 0)
		return 0;
	unsigned want = id % n;
	for (uint16_t cpu = 0;; cpu++) {
		if (((aff >> cpu) & 1u) && want-- == 0)
			return cpu;
	}
}

bool vcpu_can_enter(const struct vcpu *vcpu)
{
	return vcpu->state == VCPU_STATE_RUNNABLE;
}

/* Worth handing to the platform: it runs, or has requests to carry out. */
static bool eligible(struct vcpu *v)
{
	ioreq_poll(v);
	if (v->state == VCPU_STATE_HALTED && intr_can_wake(v)) {
		tern_lock(&v->sched_lock);
		if (v->state == VCPU_STATE_HALTED)
			v->state = VCPU_STATE_RUNNABLE;
		tern_unlock(&v->sched_lock);
		/* Its pCPU may enter another if the claim fails: that decision reads the new state. */
		sched_cpu_stale(v->cpu);
	}
	return v->state == VCPU_STATE_RUNNABLE || vcpu_has_requests(v);
}

/* Anything in the system that could still wake a parked vCPU of `cpu`. */
static bool anything_may_wake(struct tern *hv, uint16_t cpu)
{
	for (uint32_t i = 0; i < TERN_MAX_VMS * TERN_MAX_VCPUS; i++) {
		struct vcpu *v = sched_slot(hv, i);
		if (!v)
			continue;
		if (v->pcpu != cpu && atomic_load32(&v->running))
			return true;
		if (v->state == VCPU_STATE_RUNNABLE || vcpu_has_requests(v))
			return true;
		/* Halted with a timer armed: waiting for the platform's timer, not stuck. */
		if (v->state == VCPU_STATE_HALTED && v->timer_deadline != UINT64_MAX)
			return true;
	}
	return false;
}

/* Nothing can wake them: the parked vCPUs' VMs stop, with the reason. */
static void stop_unwakeable(struct tern *hv, uint16_t cpu)
{
	for (uint32_t i = 0; i < TERN_MAX_VMS * TERN_MAX_VCPUS; i++) {
		struct vcpu *v = sched_slot(hv, i);
		if (!v || v->pcpu != cpu || v->vm->state != VM_STATE_RUNNING)
			continue;
		if (v->state == VCPU_STATE_HALTED) {
			log_err("vm%u vcpu%u halted with no interrupt source that could wake it",
				v->vm->id, v->id);
			vm_stop(v->vm, VM_STOP_INTERNAL, EXIT_REASON_HLT);
		} else if (v->state == VCPU_STATE_WAIT_IO) {
			ioreq_report_pending(v, "waits for an I/O request no one will complete");
			vm_stop(v->vm, VM_STOP_INTERNAL,
				v->io.req.type == IOREQ_TYPE_PORTIO ||
				v->io.req.type == IOREQ_TYPE_PCICFG ? EXIT_REASON_IO_INSTRUCTION
								    : EXIT_REASON_EPT_VIOLATION);
		}
	}
}

static void make_current(struct sched_cpu *c, struct vcpu *v)
{
	struct vcpu *old = c->current;
	if (v)
		atomic_store32(&v->running, 1);
	c->current = v;
	if (old && old != v) {
		atomic_store32(&old->running, 0);
		/* A Service VM vCPU may wait for this VM to become quiescent. */
		vm_sync_notify(old->vm);
	}
}

/*
 * v (eligible) is to become this pCPU's current vCPU: `running` first, then
 * the VM's block read (the VM manager sets the block, then reads `running`:
 * vm_mgr.c block_quiescent), so that no vCPU becomes current between the
 * VM manager's check and its act. Blocked: not current any more, and a
 * Service VM vCPU waiting for the VM to be quiescent looks again.
 */
static bool claim(struct sched_cpu *c, struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint32_t life = atomic_load32(&vm->life);
	atomic_store32(&v->running, 1);
	bool blocked = (atomic_load32(&vm->sched_block) & SCHED_BLOCK_SET) != 0;
	/*
	 * Destroyed since slot() read it (the block stays set then, but a
	 * vm_create in the slot clears it): a VM being created or of another
	 * life is not the one the scan found eligible.
	 */
	bool gone = __atomic_load_n(&vm->state, __ATOMIC_SEQ_CST) == VM_STATE_POWERED_OFF ||
		    atomic_load32(&vm->life) != life;
	if (!blocked && !gone)
		return true;
	if (blocked)
		atomic_or32(&vm->sched_block, SCHED_BLOCK_SKIPPED); /* unblock wakes it */
	if (c->current == v)
		c->current = (struct vcpu *)0;
	atomic_store32(&v->running, 0);
	vm_sync_notify(vm);
	return false;
}

/* The live slots (hv->live_slots) fit one 64-bit word. */
typedef char sched_slots_fit[TERN_MAX_VMS * TERN_MAX_VCPUS <= 64 ? 1 : -1];

struct vcpu *sched_next(struct tern *hv, uint16_t cpu)
{
	struct sched_cpu *c = &hv->cpus[cpu];
	const uint32_t n = TERN_MAX_VMS * TERN_MAX_VCPUS;

	/* Idle first, then scan: a request made meanwhile is seen or kicks (request.c). */
	atomic_store32(&c->idle, 1);
	/*
	 * Round-robin from the cursor over the slots that ever held a vCPU
	 * (the same order as over every slot): those at or after the cursor,
	 * then those before it. A vCPU created after the load had its bit set
	 * before anything could be asked of it, and the request kicks.
	 */
	uint64_t live = atomic_load64(&hv->live_slots);
	uint64_t from = c->cursor < n ? ~0ull << c->cursor : 0;
	uint64_t part[2] = { live & from, live & ~from };
	for (unsigned p = 0; p < 2; p++) {
		for (uint64_t m = part[p]; m; m &= m - 1u) {
			uint32_t i = (uint32_t)__builtin_ctzll(m); /* BSF/TZCNT inline, no libgcc */
			struct vcpu *v = sched_slot(hv, i);
			if (v && v->pcpu == cpu && eligible(v) && claim(c, v)) {
				c->cursor = (i + 1) % n;
				atomic_store32(&c->idle, 0);
				make_current(c, v);
				return v;
			}
		}
	}
	make_current(c, (struct vcpu *)0);
	if (anything_may_wake(hv, cpu))
		return (struct vcpu *)0; /* idle until a kick */
	atomic_store32(&c->idle, 0);
	stop_unwakeable(hv, cpu);
	return (struct vcpu *)0;
}

bool sched_cpu_wait(struct tern *hv, uint16_t cpu)
{
	struct sched_cpu *c = &hv->cpus[cpu];
	/* Idle first, then scan, as in sched_next: a request made meanwhile is seen or kicks. */
	atomic_store32(&c->idle, 1);
	for (uint32_t i = 0; i < TERN_MAX_VMS * TERN_MAX_VCPUS; i++) {
		struct vcpu *v = sched_slot(hv, i);
		if (v && v->pcpu == cpu && eligible(v)) {
			atomic_store32(&c->idle, 0);
			return false;
		}
	}
	return true;
}
