/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * INIT and SIPI as the guest sees them at its next entry (core/vm_mgr.c
 * vm_mgr_vcpu_init_signal / _sipi, the platform's prepare_entry): an AP
 * that ran before starts at vector << 8 : 0000 in the reset state, nothing
 * of its last exit written over it; an INIT that arrives while the vCPU
 * waits for an IOREQ or a WAIT_SYNC hypercall is taken after that wait.
 */
#include <string.h>
#include "unit.h"
#include "exit.h"
#include "exit_dispatch.h"
#include "ioreq.h"
#include "request.h"
#include "scheduler.h"
#include "sim.h"
#include "upcall.h"
#include "vm_irq.h"
#include "vm_mgr.h"
#include "two_vm.h"

#define PAGE 0x8000
#define RESET_CR0 0x60000010ull /* SDM Vol. 3A 9.1.1, Table 9-1: CD, NW, ET */

static struct tern hv;
static struct vm *sos, *u;
static struct vcpu *ap;

static void setup(void)
{
	two_vm_create(&hv, &sos, &u);
	u->state = VM_STATE_RUNNING;
	ap = &u->vcpus[1];
	ap->state = VCPU_STATE_RUNNABLE;
	/* The AP ran before (a CPU taken offline, a kexec): protected mode at 0x4000. */
	sim_vcpu_flat_state(ap, false, 0);
	sim_vcpu_hw(ap)->regs[VCPU_RIP] = 0x4000;
	sim_vcpu_hw(ap)->regs[VCPU_RAX] = 0x1111;
	vcpu_cache_reset(ap);
}

/* Another vCPU of the VM (the BSP, on another pCPU) sends INIT or SIPI. */
static void send(uint8_t delivery, uint8_t vector)
{
	struct vlapic_msg m = { .delivery = delivery, .dest = 1, .vector = vector,
				.assert = true, .level = delivery == VLAPIC_DM_INIT };
	uint16_t cpu = sim.this_cpu;
	sim.this_cpu = 1;
	vm_irq_deliver(u, NULL, &m);
	sim.this_cpu = cpu;
}

static void assert_entered_at_vector_0x10(void)
{
	const struct sim_vcpu_hw *hw = sim_vcpu_hw(ap);
	ck_assert_uint_eq(hw->segs[VCPU_CS].selector, 0x1000);
	ck_assert_uint_eq(hw->segs[VCPU_CS].base, 0x10000);
	ck_assert_uint_eq(hw->regs[VCPU_RIP], 0);
	ck_assert_uint_eq(hw->regs[VCPU_CR0], RESET_CR0);
	ck_assert_uint_eq(hw->regs[VCPU_RAX], 0);
}

START_TEST(test_sipi_after_halt_starts_at_vector)
{
	ck_assert_ptr_eq(sim_schedule(&hv, ap->pcpu), ap);
	/* cli; hlt: the exit leaves RIP (0x4001) dirty for the next entry. */
	struct exit_record hlt = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	(void)sim_vcpu_exit(ap, &hlt);
	ck_assert_uint_eq(ap->state, VCPU_STATE_HALTED);
	send(VLAPIC_DM_INIT, 0);
	ck_assert_ptr_null(sim_schedule(&hv, ap->pcpu)); /* INIT handled: it waits for SIPI */
	ck_assert_uint_eq(ap->state, VCPU_STATE_INIT);
	send(VLAPIC_DM_SIPI, 0x10);
	ck_assert_ptr_eq(sim_schedule(&hv, ap->pcpu), ap);
	assert_entered_at_vector_0x10();
}
END_TEST

/* INIT and SIPI handled in one pre-entry: the SIPI's state is the one entered. */
START_TEST(test_init_and_sipi_in_one_batch)
{
	ck_assert_ptr_eq(sim_schedule(&hv, ap->pcpu), ap);
	struct exit_record hlt = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	(void)sim_vcpu_exit(ap, &hlt);
	send(VLAPIC_DM_INIT, 0);
	send(VLAPIC_DM_SIPI, 0x10);
	ck_assert_ptr_eq(sim_schedule(&hv, ap->pcpu), ap);
	assert_entered_at_vector_0x10();
	ck_assert(!ap->load_pending);
}
END_TEST

/* An MMIO instruction waiting to go on is abandoned by INIT. */
START_TEST(test_init_abandons_mmio_in_progress)
{
	ap->mmio.active = true;
	ap->mmio.resume = true;
	vcpu_make_request(ap, VCPU_REQ_INIT);
	sim_vcpu_begin(ap);
	vcpu_pre_entry(ap);
	ck_assert(!ap->mmio.active);
	ck_assert(!ap->mmio.resume);
	ck_assert_uint_eq(ap->state, VCPU_STATE_INIT);
}
END_TEST

/* INIT during an outstanding IOREQ: the read lands, then the INIT; the SIPI starts it. */
START_TEST(test_init_waits_for_outstanding_ioreq)
{
	ck_assert_int_eq(ioreq_set_buffer(u, PAGE), 0);
	vcpu_cache_fill(ap, VCPU_RIP, 0x4000);
	struct exit_record in = { .reason = EXIT_REASON_IO_INSTRUCTION, .qualification = 0x1f00009,
				  .instr_len = 2 }; /* in ax, dx with DX = 0x1f0 */
	sim_vcpu_begin(ap);
	ck_assert_int_eq(vcpu_handle_exit(ap, &in), EXIT_ACTION_WAIT_IO);
	ck_assert_int_eq(unit_take_upcall(sos), IOREQ_UPCALL_VECTOR);
	send(VLAPIC_DM_INIT, 0);
	vcpu_pre_entry(ap);
	/* Still parked on its request; the device model's slot untouched. */
	ck_assert_uint_eq(ap->state, VCPU_STATE_WAIT_IO);
	ck_assert(ap->io.active);
	ck_assert(ap->init_held);
	ck_assert(!ap->load_pending);
	ck_assert_int_eq(vm_mgr_check(u), 0);
	/* A SIPI now finds no vCPU waiting for one: ignored (SDM Vol. 3A 8.4.4.1). */
	send(VLAPIC_DM_SIPI, 0x20);
	vcpu_pre_entry(ap);
	ck_assert_uint_eq(ap->state, VCPU_STATE_WAIT_IO);
	/* The device model completes: the request is done, then INIT is taken. */
	two_vm_dm_answer(sos, PAGE, 1, IOREQ_COMPLETE, 0x5678);
	ck_assert_int_eq(ioreq_complete(u, 1), 0);
	vcpu_pre_entry(ap);
	ck_assert(!ap->io.active);
	ck_assert(!ap->init_held);
	ck_assert_uint_eq(ap->state, VCPU_STATE_INIT);
	ck_assert_int_eq(vm_mgr_check(u), 0);
	send(VLAPIC_DM_SIPI, 0x10);
	ck_assert_ptr_eq(sim_schedule(&hv, ap->pcpu), ap);
	assert_entered_at_vector_0x10();
}
END_TEST

/* INIT to a Service VM vCPU in a WAIT_SYNC hypercall: taken once the wait ends. */
START_TEST(test_init_waits_for_wait_sync)
{
	struct vcpu *sv = &sos->vcpus[0];
	sos->state = VM_STATE_RUNNING;
	sv->state = VCPU_STATE_RUNNABLE;
	atomic_store32(&u->vcpus[0].running, 1); /* u is not quiescent yet */
	sim_vcpu_begin(sv);
	vcpu_wait_sync(sv, u, 0, true);
	sv->hc_wait = false;
	sv->state = VCPU_STATE_WAIT_SYNC;
	sv->lapic.apic_base &= ~VLAPIC_BASE_BSP; /* as an AP: it waits for a SIPI after the INIT */
	vcpu_make_request(sv, VCPU_REQ_INIT);
	vcpu_pre_entry(sv);
	ck_assert_uint_eq(sv->state, VCPU_STATE_WAIT_SYNC);
	ck_assert(sv->init_held);
	ck_assert(!sv->load_pending);
	/* u's vCPU is descheduled: the wait ends, the INIT is taken. */
	atomic_store32(&u->vcpus[0].running, 0);
	vm_sync_notify(u);
	vcpu_pre_entry(sv);
	ck_assert_uint_eq(sv->state, VCPU_STATE_INIT);
	ck_assert(sv->load_pending);
	ck_assert(!sv->init_held);
	ck_assert_uint_eq(sv->load.regs[VCPU_RIP], 0xfff0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vcpu_init");
	TCase *tc = tcase_create("vcpu_init");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_sipi_after_halt_starts_at_vector);
	tcase_add_test(tc, test_init_and_sipi_in_one_batch);
	tcase_add_test(tc, test_init_abandons_mmio_in_progress);
	tcase_add_test(tc, test_init_waits_for_outstanding_ioreq);
	tcase_add_test(tc, test_init_waits_for_wait_sync);
	suite_add_tcase(s, tc);
	return s;
}
