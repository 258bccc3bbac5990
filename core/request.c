/* SPDX-License-Identifier: BSD-3-Clause */
#include "request.h"
#include "atomic.h"
#include "intr.h"
#include "ioreq.h"
#include "log.h"
#include "platform.h"
#include "sched_slice.h"
#include "vm.h"
#include "vm_mgr.h"

void vcpu_make_request(struct vcpu *vcpu, uint32_t req)
{
	struct sched_cpu *c = vcpu->cpu;
	atomic_or32(&vcpu->requests, req);
	sched_cpu_stale(c); /* its requests are part of the entry decision */
	atomic_store32(&c->posted, 1);
	plat_trace_request(vcpu, req);
	/*
	 * Set, then read (request.h): a vCPU entering now sees the bit itself,
	 * a pCPU entering another of its vCPUs now sees `posted`, a pCPU going
	 * idle now finds it in its scan (scheduler.c sets idle before it
	 * scans). Kicked: a pCPU in guest mode, whichever of its vCPUs it runs
	 * (the one asked waits for that guest's exit otherwise), or an idle
	 * pCPU waiting for work.
	 */
	if (atomic_load32(&vcpu->in_guest) || atomic_load32(&c->in_guest) || atomic_load32(&c->idle))
		plat_kick_pcpu(vcpu->pcpu);
}

bool vcpu_has_requests(const struct vcpu *vcpu)
{
	return (atomic_load32(&vcpu->requests) & ~VCPU_REQ_AT_ENTRY) != 0;
}

/* The IOREQ post-work, in the vCPU's own context: its registers are current. */
static void ioreq_done(struct vcpu *vcpu)
{
	if (!atomic_load32(&vcpu->io_completed))
		return;
	const struct ioreq *req = &vcpu->io.req;
	vcpu->io.active = false;
	/* A read's value, or (an MMIO write, a WP) the emulation that goes on. */
	if (vcpu->io.post)
		vcpu->io.post(vcpu, req, vcpu->io_value);
	atomic_store32(&vcpu->io_completed, 0);
	/* Runnable again; a paused vCPU becomes runnable when resumed. */
	vm_mgr_vcpu_wake(vcpu);
}

/* WAIT_SYNC: runnable again once the target VM acknowledged (or is gone). */
static void sync_wait_done(struct vcpu *vcpu)
{
	struct vm *t = vm_get(vcpu->vm->hv, vcpu->hc_wait_vm);
	if (t && t->life != vcpu->hc_wait_life)
		t = (struct vm *)0; /* destroyed and its slot used again: the one waited for is gone */
	if (t && !(vcpu->hc_wait_quiesce ? vm_quiescent(t) : vm_synced(t, vcpu->hc_wait_gen)))
		return;
	if (t)
		atomic_clear32(&t->sync_waiters, 1u << vcpu->id);
	tern_lock(&vcpu->sched_lock);
	if (vcpu->state == VCPU_STATE_WAIT_SYNC)
		vcpu->state = VCPU_STATE_RUNNABLE;
	tern_unlock(&vcpu->sched_lock);
}

/*
 * The upcall is a fixed interrupt to vCPU 0's vLAPIC: a software-disabled
 * one does not accept it (SDM 10.4.7.2), as hardware would not. Said once,
 * since a Service VM whose kernel never enables its APIC waits forever.
 */
static void upcall(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	if (vcpu_queue_interrupt(vcpu, vm->upcall_vector) == 0 || vm->upcall_drop_logged)
		return;
	vm->upcall_drop_logged = true;
	log_warn("vm%u vcpu%u: upcall vector 0x%x dropped: its APIC is software-disabled (SVR bit 8 clear)",
		 vm->id, vcpu->id, vm->upcall_vector);
}

void vcpu_handle_requests(struct vcpu *vcpu)
{
	/* Nothing pending (every entry but a few): a load, not the exchange. */
	if (!atomic_load32(&vcpu->requests) && vcpu->state != VCPU_STATE_WAIT_SYNC)
		return;
	uint32_t req = atomic_xchg32(&vcpu->requests, 0);
	/*
	 * The generation after the bits (vm_sync_request raises it before it
	 * sets them): a SYNC taken here belongs to this generation or an
	 * earlier one. A later generation read here may be one whose bits are
	 * not set yet, but its change to the EPT was made before it was raised,
	 * so before this read, so before the invalidation below. Hence a SYNC
	 * always invalidates, and only a SYNC acknowledges.
	 */
	uint32_t gen = (req & VCPU_REQ_SYNC) ? atomic_load32(&vcpu->vm->sync_gen) : 0;
	if (req & VCPU_REQ_IOREQ_DONE)
		ioreq_done(vcpu);
	if (req & (VCPU_REQ_FLUSH_EPT | VCPU_REQ_SYNC))
		plat_ept_invalidate(vcpu);
	if (req & VCPU_REQ_FLUSH_VPID)
		plat_vpid_invalidate(vcpu);
	/* Queued here, in the vCPU's own context (intr.h's precondition);
	 * the vector was checked when the Service VM set it. */
	if (req & VCPU_REQ_UPCALL)
		upcall(vcpu);
	/* Delivered by other vCPUs (vm_irq.c): INIT before SIPI, as they were sent. */
	if (req & VCPU_REQ_NMI)
		vcpu_queue_nmi(vcpu);
	if (req & VCPU_REQ_INIT)
		vm_mgr_vcpu_init_signal(vcpu);
	if (req & VCPU_REQ_SIPI)
		vm_mgr_vcpu_sipi(vcpu, (uint8_t)atomic_load32(&vcpu->sipi_vector));
	if (req & VCPU_REQ_APIC_ERROR)
		vlapic_take_remote_errors(&vcpu->lapic);
	/* VCPU_REQ_EVENT and _TIMER: vcpu_pre_entry advances the timers and wakes it next. */
	if (req & VCPU_REQ_SYNC) {
		/* Out of guest mode, translations dropped: nothing of before gen is held. */
		atomic_store32(&vcpu->ack_gen, gen);
		vm_sync_notify(vcpu->vm);
	}
	if (vcpu->state == VCPU_STATE_WAIT_SYNC)
		sync_wait_done(vcpu);
	/* An INIT that came during an IOREQ or WAIT_SYNC, once that ended. */
	if (vcpu->init_held)
		vm_mgr_vcpu_init_held(vcpu);
}

void vm_sync_notify(struct vm *vm)
{
	uint32_t w = atomic_load32(&vm->sync_waiters);
	struct vm *svm = w ? vm_service(vm->hv) : (struct vm *)0;
	for (uint16_t i = 0; svm && i < svm->config.vcpu_count && i < TERN_MAX_VCPUS; i++)
		if (w & (1u << i))
			vcpu_make_request(&svm->vcpus[i], VCPU_REQ_WAKE);
}

void vcpu_wait_sync(struct vcpu *vcpu, struct vm *target, uint32_t gen, bool quiesce)
{
	vcpu->hc_wait_vm = target->id;
	vcpu->hc_wait_life = target->life;
	vcpu->hc_wait_gen = gen;
	vcpu->hc_wait_quiesce = quiesce;
	vcpu->hc_wait = true;
	atomic_or32(&target->sync_waiters, 1u << vcpu->id);
	/* Acknowledged in between: the wake-up is not lost, the bit makes it look again. */
	vcpu_make_request(vcpu, VCPU_REQ_WAKE);
}

bool vm_quiescent(const struct vm *vm)
{
	for (uint16_t i = 0; i < vm->config.vcpu_count && i < TERN_MAX_VCPUS; i++)
		if (atomic_load32(&vm->vcpus[i].running))
			return false;
	return true;
}

/*
 * A parked vCPU of the pCPU but `self` has a request that may make it
 * worth scheduling (a runnable one with a request just waits for its turn,
 * as it would without).
 */
static bool other_has_requests(struct tern *hv, const struct vcpu *self)
{
	for (uint16_t i = 0; i < TERN_MAX_VMS; i++) {
		const struct vm *vm = &hv->vms[i];
		if (vm->state == VM_STATE_POWERED_OFF)
			continue;
		for (uint16_t j = 0; j < vm->config.vcpu_count && j < TERN_MAX_VCPUS; j++) {
			const struct vcpu *v = &vm->vcpus[j];
			if (v != self && v->pcpu == self->pcpu && vcpu_has_requests(v) &&
			    __atomic_load_n(&v->state, __ATOMIC_RELAXED) != VCPU_STATE_RUNNABLE)
				return true;
		}
	}
	return false;
}

bool vcpu_enter_guest(struct vcpu *vcpu)
{
	struct sched_cpu *c = vcpu->cpu;
	atomic_store32(&vcpu->in_guest, 1);
	atomic_store32(&c->in_guest, 1);
	/*
	 * Set, then read (request.h): a request made now is seen here or
	 * kicks; one made to another vCPU of this pCPU since the scheduler's
	 * scan sends it back to the scheduler (the scan may have passed it).
	 */
	bool refuse = atomic_load32(&vcpu->requests) != 0;
	if (!refuse && atomic_load32(&c->posted) && atomic_xchg32(&c->posted, 0))
		refuse = other_has_requests(vcpu->vm->hv, vcpu);
	if (refuse) {
		atomic_store32(&c->in_guest, 0);
		atomic_store32(&vcpu->in_guest, 0);
	}
	return !refuse;
}

void vcpu_leave_guest(struct vcpu *vcpu)
{
	atomic_store32(&vcpu->cpu->in_guest, 0);
	atomic_store32(&vcpu->in_guest, 0);
}

uint32_t vm_sync_request(struct vm *vm, uint32_t req)
{
	uint32_t gen = atomic_add32(&vm->sync_gen, 1);
	atomic_or32(&vm->hv->sync_vms, 1u << vm->id);
	for (uint16_t i = 0; i < vm->config.vcpu_count && i < TERN_MAX_VCPUS; i++)
		vcpu_make_request(&vm->vcpus[i], req | VCPU_REQ_SYNC);
	return gen;
}

/* Generations wrap: a is at or after b when the distance is under half the range. */
static bool gen_reached(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

static bool vcpu_synced(const struct vcpu *v, uint32_t gen)
{
	/* running is read first: a vCPU picked after this read handles its bits before entry. */
	if (!atomic_load32(&v->running))
		return true;
	return gen_reached(atomic_load32(&v->ack_gen), gen);
}

bool vm_synced(const struct vm *vm, uint32_t gen)
{
	for (uint16_t i = 0; i < vm->config.vcpu_count && i < TERN_MAX_VCPUS; i++)
		if (!vcpu_synced(&vm->vcpus[i], gen))
			return false;
	return true;
}

uint32_t vm_synced_gen(const struct vm *vm)
{
	uint32_t newest = atomic_load32(&vm->sync_gen);
	uint32_t min = newest;
	for (uint16_t i = 0; i < vm->config.vcpu_count && i < TERN_MAX_VCPUS; i++) {
		const struct vcpu *v = &vm->vcpus[i];
		if (!atomic_load32(&v->running))
			continue;
		uint32_t a = atomic_load32(&v->ack_gen);
		if (!gen_reached(a, min))
			min = a;
	}
	return min;
}
