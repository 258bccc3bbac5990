/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions per handled hypercall exit, from the exit record to the
 * resume decision (vcpu_handle_exit), with the register cache filled as the
 * platform fills it on a VMCALL exit (the GPRs; segments and EFER fetched
 * lazily from the platform).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "exit_dispatch.h"
#include "hypercall.h"
#include "sim.h"
#include "vm.h"
#include "vm_mgr.h"

static struct tern hv;
static struct vcpu *v;
static const struct exit_record vmcall = { .reason = EXIT_REASON_VMCALL, .instr_len = 3 };

/* What the x86 platform has in the cache after a VMCALL exit. */
static void exit_state(uint64_t id, uint64_t p1, uint64_t p2)
{
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_R8, id);
	vcpu_cache_fill(v, VCPU_RDI, p1);
	vcpu_cache_fill(v, VCPU_RSI, p2);
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
	v->state = VCPU_STATE_RUNNABLE;
}

BENCH_MEASURE static enum exit_action measure_hc_api_version(void)
{
	return vcpu_handle_exit(v, &vmcall);
}

BENCH_MEASURE static enum exit_action measure_hc_pause_vcpu(void)
{
	return vcpu_handle_exit(v, &vmcall);
}

BENCH_MEASURE static enum exit_action measure_hc_resume_vcpu(void)
{
	return vcpu_handle_exit(v, &vmcall);
}

BENCH_MEASURE static enum exit_action measure_hc_bad_id(void)
{
	return vcpu_handle_exit(v, &vmcall);
}

static void expect(enum exit_action a, int64_t rax)
{
	if (a != EXIT_ACTION_RESUME || (int64_t)v->regs[VCPU_RAX] != rax) {
		fprintf(stderr, "bench_hypercall: unexpected result %d rax %lld\n", a,
			(long long)v->regs[VCPU_RAX]);
		exit(1);
	}
}

int main(void)
{
	sim_reset();
	tern_init(&hv);
	struct vm *sos = sim_create_vm(&hv, "sos", 1, true, 0x10000);
	struct vm_config cfg = { .name = "uos", .vcpu_count = 2 };
	struct vm *uos = NULL;
	if (!sos || vm_mgr_create(&hv, &cfg, &uos) || vm_mgr_start(uos))
		return 1;
	sos->state = VM_STATE_RUNNING;
	v = &sos->vcpus[0];

	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		exit_state(HC_GET_API_VERSION, 0x2000, 0);
		expect(measure_hc_api_version(), 0);
	}
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		exit_state(HC_TERN_PAUSE_VCPU, uos->id, 1);
		expect(measure_hc_pause_vcpu(), 0);
		exit_state(HC_TERN_RESUME_VCPU, uos->id, 1);
		expect(measure_hc_resume_vcpu(), 0);
	}
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		exit_state(0x180000000ull, 0x2000, 0);
		expect(measure_hc_bad_id(), -25);
	}
	bench_case("measure_hc_api_version", "hypercall exit: GET_API_VERSION", BENCH_ITERS, 250);
	bench_case("measure_hc_pause_vcpu", "hypercall exit: Tern PAUSE_VCPU", BENCH_ITERS, 250);
	bench_case("measure_hc_resume_vcpu", "hypercall exit: Tern RESUME_VCPU", BENCH_ITERS, 250);
	bench_case("measure_hc_bad_id", "hypercall exit: unknown id (-ENOTTY)", BENCH_ITERS, 0);
	return 0;
}
