/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions per cross-vCPU request (core/request.c): the requester sets
 * the bit and kicks the target's pCPU (the target is in guest mode), the
 * target handles it in its own context before its next entry. Two cases:
 * a bare acknowledgement request (VCPU_REQ_SYNC: the protocol's own cost)
 * and an IOREQ completion (ioreq_complete in the Service VM's exit, the
 * post-work on the requesting vCPU: an IN's value merged into RAX). The
 * platform's share is the kick (plat_kick_pcpu) and, for a SYNC, the
 * invalidation it always carries out (plat_ept_invalidate: the simulator's
 * software TLB flush here, one INVEPT on x86), each its own row; the rest
 * is core's.
 */
#include <stdio.h>
#include <string.h>
#include "bench.h"
#include "ioreq.h"
#include "request.h"
#include "scheduler.h"
#include "sim.h"
#include "vm.h"

#define PAGE 0x8000

static struct tern hv;
static struct vm *sos, *uos;
static struct vcpu *u;

BENCH_MEASURE static void measure_request_sync(void)
{
	sim.this_cpu = 0;
	vcpu_make_request(u, VCPU_REQ_SYNC);
	sim.this_cpu = 1;
	vcpu_handle_requests(u);
}

BENCH_MEASURE static int measure_ioreq_completion(void)
{
	sim.this_cpu = 0;
	int rc = ioreq_complete(uos, 0);
	sim.this_cpu = 1;
	vcpu_handle_requests(u);
	return rc;
}

static void dm_completes(uint64_t value)
{
	uint8_t *slot = sim_vm_ram(sos->id) + PAGE;
	uint32_t st = IOREQ_COMPLETE;
	memcpy(slot + IOREQ_OFF_VALUE, &value, 8);
	memcpy(slot + IOREQ_OFF_STATE, &st, 4);
}

int main(void)
{
	sim_reset();
	tern_init(&hv);
	sos = sim_create_vm(&hv, "sos", 1, true, 0x10000);
	uos = sim_create_vm(&hv, "uos", 1, false, 0x10000);
	if (!sos || !uos || ioreq_set_buffer(uos, PAGE))
		return 1;
	uos->config.cpu_affinity = 0x2;
	u = &uos->vcpus[0];
	vcpu_bind_pcpu(u, sched_vcpu_pcpu(uos, 0));
	sos->state = uos->state = VM_STATE_RUNNING;
	sim.current[1] = u;
	vcpu_cache_fill(u, VCPU_RAX, 0);

	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		u->in_guest = 1;
		u->running = 1;
		measure_request_sync();
		if (u->requests || u->ack_gen != uos->sync_gen)
			return 1;
	}
	unsigned kicks = sim.kicks[1];

	/* Park u once on a real IN from a device-model port to get its post-work. */
	struct exit_record ex = { .reason = EXIT_REASON_IO_INSTRUCTION,
				  .qualification = (0x1f0ull << 16) | 0x8, .instr_len = 1 };
	u->in_guest = 0;
	u->state = VCPU_STATE_RUNNABLE;
	sim_vcpu_begin(u);
	if (vcpu_handle_exit(u, &ex) != EXIT_ACTION_WAIT_IO)
		return 1;
	const struct ioreq parked = u->io.req;
	ioreq_post_fn in_post = u->io.post;
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		/* Parked as that exit left it; the device model answers. */
		u->state = VCPU_STATE_WAIT_IO;
		u->io.active = true;
		u->io.req = parked;
		u->io.post = in_post;
		dm_completes(i & 0xff);
		if (measure_ioreq_completion() != 0 || u->state != VCPU_STATE_RUNNABLE ||
		    (u->regs[VCPU_RAX] & 0xff) != (i & 0xff))
			return 1;
	}
	bench_figure("kicks sent: %u for %u requests to a vCPU in guest mode",
		     kicks, BENCH_ITERS);
	bench_case("measure_request_sync", "cross-vCPU request: make + handle", BENCH_ITERS, 0);
	bench_case("measure_ioreq_completion", "IOREQ completion + post-work on its vCPU",
		   BENCH_ITERS, 0);
	bench_case("plat_kick_pcpu", "  of which platform: the kick (sim)", BENCH_ITERS, 0);
	bench_case("plat_ept_invalidate", "  of which platform: INVEPT (sim TLB flush)", BENCH_ITERS, 0);
	return 0;
}
