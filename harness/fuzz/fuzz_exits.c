/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the exit path as a state machine: a byte stream becomes a sequence
 * of exits (any reason, qualification, register state) on a User VM with an
 * IOREQ page in a Service VM, interleaved with hostile device-model
 * behaviour (forged or garbled slot states and values, completions for any
 * vCPU). Nothing may crash, read out of bounds, or resume a vCPU that is
 * parked without a completion.
 */
#include <stdint.h>
#include <string.h>
#include "exit_dispatch.h"
#include "ioreq.h"
#include "sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct stream {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct stream *s, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n && s->left; i++, s->left--)
		v |= (uint64_t)*s->p++ << (8 * i);
	return v;
}

#define PAGE 0x4000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tern hv;
	struct stream s = { data, size };

	sim_reset();
	tern_init(&hv);
	struct vm *sos = sim_create_vm(&hv, "sos", 1, true, 0x8000);
	struct vm *uos = sim_create_vm(&hv, "uos", 2, false, 0x8000);
	if (!sos || !uos)
		__builtin_trap();
	if (take(&s, 1) & 1)
		ioreq_set_buffer(uos, PAGE);
	uos->state = VM_STATE_RUNNING;

	while (s.left) {
		unsigned op = (unsigned)take(&s, 1);
		struct vcpu *v = &uos->vcpus[op & 1];
		if ((op >> 1) % 4 == 0) {
			/* The device model writes anything into a slot, then we complete. */
			uint8_t *slot = sim_vm_ram(sos->id) + PAGE + (op & 1) * IOREQ_SLOT_SIZE;
			uint32_t st = (uint32_t)take(&s, 1) % 5;
			uint64_t val = take(&s, 8);
			memcpy(slot + IOREQ_OFF_STATE, &st, 4);
			memcpy(slot + IOREQ_OFF_VALUE, &val, 8);
			bool was_waiting = v->io.active;
			int ret = ioreq_complete(uos, (uint16_t)take(&s, 1) % 3);
			if (ret == 0 && !was_waiting && (op & 1) == 0)
				__builtin_trap(); /* completed a vCPU that waited for nothing */
			continue;
		}
		if (v->state == VCPU_STATE_STOPPED || v->state == VCPU_STATE_WAIT_IO)
			continue; /* the platform never enters these */
		struct exit_record ex;
		memset(&ex, 0, sizeof(ex));
		ex.reason = (uint32_t)take(&s, 1) | (take(&s, 1) == 0xff ? EXIT_REASON_FAILED_ENTRY : 0);
		ex.qualification = take(&s, 4);
		ex.instr_len = (uint32_t)take(&s, 1) % 16;
		ex.idt_vectoring_info = (uint32_t)take(&s, 4);
		ex.idt_vectoring_error = (uint32_t)take(&s, 2);
		vcpu_cache_reset(v);
		sim_vcpu_flat_state(v, take(&s, 1) & 1, (unsigned)take(&s, 1) & 3);
		vcpu_cache_fill(v, VCPU_RAX, take(&s, 8));
		vcpu_cache_fill(v, VCPU_RCX, take(&s, 8));
		vcpu_cache_fill(v, VCPU_RIP, take(&s, 8));
		v->state = VCPU_STATE_RUNNABLE;
		enum exit_action a = vcpu_handle_exit(v, &ex);
		if (a == EXIT_ACTION_WAIT_IO && !v->io.active)
			__builtin_trap(); /* parked without a request */
		vcpu_pre_entry(v);
		memset(&v->event, 0, sizeof(v->event));
	}
	return 0;
}
