/* SPDX-License-Identifier: BSD-3-Clause */
/* A running VM in the simulator for benchmarks that take whole exits. */
#ifndef TERN_BENCH_VM_H
#define TERN_BENCH_VM_H

#include <stdio.h>
#include "sim.h"

/* A fresh simulator with one running VM of `vcpus` vCPUs (64 KiB RAM), or NULL. */
static inline struct vm *bench_vm(struct tern *hv, uint16_t vcpus, bool service)
{
	sim_reset();
	tern_init(hv);
	struct vm *vm = sim_create_vm(hv, "bench", vcpus, service, 0x10000);
	if (!vm) {
		printf("no VM\n");
		return NULL;
	}
	vm->state = VM_STATE_RUNNING;
	return vm;
}

#endif
