/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two-VM fixture the IOREQ tests share: a fresh simulator and
 * hypervisor with a Service VM "sos" (vm0, one vCPU) and a User VM "uos"
 * (vm1, two vCPUs), 64 KiB of RAM each; the User VM's vCPUs in flat state
 * where a test asks; and the slot of an IOREQ page in the Service VM's
 * RAM as the device model reads and writes it (ACRN's acrn_io_request
 * layout, core/ioreq.h), by copy, since the slot fields need not be
 * aligned for the host.
 */
#ifndef TERN_TEST_TWO_VM_H
#define TERN_TEST_TWO_VM_H

#include <string.h>
#include "unit.h"
#include "ioreq.h"
#include "sim.h"
#include "vcpu.h"

#define TWO_VM_RAM 0x10000u

/* sim_reset, tern_init, then vm0 "sos" (Service VM) and vm1 "uos" (User VM). */
static inline void two_vm_create(struct tern *hv, struct vm **sos, struct vm **uos)
{
	sim_reset();
	tern_init(hv);
	*sos = sim_create_vm(hv, "sos", 1, true, TWO_VM_RAM);
	*uos = sim_create_vm(hv, "uos", 2, false, TWO_VM_RAM);
	ck_assert_ptr_nonnull(*sos);
	ck_assert_ptr_nonnull(*uos);
}

/* vCPU `id` of `vm` in flat 64-bit state at `rip`. */
static inline struct vcpu *two_vm_flat_vcpu(struct vm *vm, uint16_t id, uint64_t rip)
{
	struct vcpu *v = &vm->vcpus[id];
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_RIP, rip);
	return v;
}

/* vCPU `vcpu`'s slot of the IOREQ page at Service VM GPA `page`. */
static inline uint8_t *two_vm_slot(const struct vm *sos, uint64_t page, unsigned vcpu)
{
	return sim_vm_ram(sos->id) + page + (size_t)vcpu * IOREQ_SLOT_SIZE;
}

static inline uint32_t two_vm_slot32(const struct vm *sos, uint64_t page, unsigned vcpu, unsigned off)
{
	uint32_t x;
	memcpy(&x, two_vm_slot(sos, page, vcpu) + off, 4);
	return x;
}

static inline uint64_t two_vm_slot64(const struct vm *sos, uint64_t page, unsigned vcpu, unsigned off)
{
	uint64_t x;
	memcpy(&x, two_vm_slot(sos, page, vcpu) + off, 8);
	return x;
}

static inline void two_vm_put_slot32(const struct vm *sos, uint64_t page, unsigned vcpu, unsigned off,
				     uint32_t x)
{
	memcpy(two_vm_slot(sos, page, vcpu) + off, &x, 4);
}

/* The device model's answer: the value, then the state (what it writes last). */
static inline void two_vm_dm_answer(const struct vm *sos, uint64_t page, unsigned vcpu, uint32_t state,
				    uint64_t value)
{
	uint8_t *slot = two_vm_slot(sos, page, vcpu);
	memcpy(slot + IOREQ_OFF_VALUE, &value, 8);
	memcpy(slot + IOREQ_OFF_STATE, &state, 4);
}

#endif
