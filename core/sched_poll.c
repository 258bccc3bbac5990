/* SPDX-License-Identifier: BSD-3-Clause */
#include "sched_poll.h"
#include "atomic.h"
#include "ioreq.h"

bool sched_cpu_polls(const struct tern *hv, uint16_t cpu)
{
	/* The slots that ever held a vCPU (hv->live_slots, as sched_next scans them). */
	uint64_t live = atomic_load64(&hv->live_slots);
	for (uint64_t m = live; m; m &= m - 1u) {
		uint32_t i = (uint32_t)__builtin_ctzll(m); /* BSF/TZCNT inline, no libgcc */
		const struct vm *vm = &hv->vms[i / TERN_MAX_VCPUS];
		uint16_t id = (uint16_t)(i % TERN_MAX_VCPUS);
		if (vm->state == VM_STATE_POWERED_OFF || id >= vm->config.vcpu_count)
			continue;
		const struct vcpu *v = &vm->vcpus[id];
		if (v->pcpu == cpu && ioreq_polls(v))
			return true;
	}
	return false;
}
