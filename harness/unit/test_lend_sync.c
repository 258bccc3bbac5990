/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory taken back from a User VM is not lent again before every vCPU of
 * that VM invalidated (issue 10: "no lent page is reused before every vCPU
 * that could hold a translation has invalidated"). Two Service VM vCPUs on
 * one pCPU: one takes a page back and waits; the other tries to lend the
 * same page to a second User VM meanwhile.
 */
#include <string.h>
#include "unit.h"
#include "err.h"
#include "exit_dispatch.h"
#include "hypercall.h"
#include "ioreq.h"
#include "request.h"
#include "scheduler.h"
#include "sim.h"
#include "sim_tlb.h"
#include "vm_memory.h"
#include "vm_mgr.h"
#define SOS_RIP 0x5000
#define VMCALL_LEN 3
static struct tern hv;
static struct vm *sos, *u1, *u2;

static void hw_flat(struct vcpu *c, uint64_t rip, bool lm)
{
	sim_vcpu_flat_state(c, lm, 0);
	if (!lm)
		sim_vcpu_hw(c)->regs[VCPU_CR0] = 0x31;
	sim_vcpu_hw(c)->regs[VCPU_RIP] = rip;
	vcpu_cache_reset(c);
}
static enum exit_action vmcall(struct vcpu *c, uint64_t id, uint64_t p1)
{
	struct sim_vcpu_hw *hw = sim_vcpu_hw(c);
	hw->regs[VCPU_R8] = id; hw->regs[VCPU_RDI] = p1; hw->regs[VCPU_RSI] = 0;
	hw->regs[VCPU_RIP] = SOS_RIP;
	struct exit_record ex = { .reason = EXIT_REASON_VMCALL, .instr_len = VMCALL_LEN };
	return sim_vcpu_exit(c, &ex);
}
static void put_req(uint32_t off, uint16_t vmid, uint32_t type)
{
	uint8_t *sram = sim_vm_ram(sos->id);
	struct set_regions req = { .vmid = vmid, .mr_num = 1, .regions_gpa = off + 0x100 };
	struct vm_memory_region mr = { type, MEM_ACCESS_RWX | MEM_TYPE_WB, 0x100000, 0xc000, 0x1000 };
	memcpy(sram + off, &req, sizeof(req));
	memcpy(sram + off + 0x100, &mr, sizeof(mr));
}
START_TEST(relend_before_invalidation)
{
	struct ept_walk_result r;
	sim_reset();
	tern_init(&hv);
	sos = sim_create_vm(&hv, "sos", 2, true, 0x10000);
	u1 = sim_create_vm(&hv, "u1", 1, false, 0x10000);
	u2 = sim_create_vm(&hv, "u2", 1, false, 0x10000);
	ck_assert_ptr_nonnull(u2);
	u1->config.cpu_affinity = 0x2; vcpu_bind_pcpu(&u1->vcpus[0], 1);
	u2->config.cpu_affinity = 0x4; vcpu_bind_pcpu(&u2->vcpus[0], 2);
	struct vcpu *s0 = &sos->vcpus[0], *s1 = &sos->vcpus[1], *a = &u1->vcpus[0];
	vcpu_bind_pcpu(s0, 0);
	vcpu_bind_pcpu(s1, 0);
	sos->state = u1->state = u2->state = VM_STATE_RUNNING;
	s0->state = s1->state = a->state = u2->vcpus[0].state = VCPU_STATE_RUNNABLE;
	hw_flat(s0, SOS_RIP, true); hw_flat(s1, SOS_RIP, true);
	hw_flat(a, 0x1000, false); hw_flat(&u2->vcpus[0], 0x1000, false);
	ck_assert_ptr_eq(sim_schedule(&hv, 0), s0);
	ck_assert_ptr_eq(sim_schedule(&hv, 1), a);
	put_req(0x2000, u1->id, MR_ADD);
	ck_assert_int_eq(vmcall(s0, HC_VM_SET_MEMORY_REGIONS, 0x2000), EXIT_ACTION_RESUME);
	ck_assert_ptr_eq(sim_schedule(&hv, 0), s1);
	ck_assert_ptr_eq(sim_schedule(&hv, 0), s0);
	ck_assert_uint_eq(sim_vcpu_hw(s0)->regs[VCPU_RAX], 0);
	sim_vcpu_begin(a);
	ck_assert_int_eq(sim_vcpu_translate(a, 0x100010, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	/* s0 takes it back from u1: parks until u1's vCPU invalidated. */
	put_req(0x2000, u1->id, MR_DEL);
	ck_assert_int_eq(vmcall(s0, HC_VM_SET_MEMORY_REGIONS, 0x2000), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(s0->state, VCPU_STATE_WAIT_SYNC);
	/* s1 lends the same page to u2 meanwhile. */
	ck_assert_ptr_eq(sim_schedule(&hv, 0), s1);
	put_req(0x4000, u2->id, MR_ADD);
	ck_assert_int_eq(vmcall(s1, HC_VM_SET_MEMORY_REGIONS, 0x4000), EXIT_ACTION_RESUME);
	ck_assert_ptr_eq(sim_schedule(&hv, 0), s1);
	/* u1's vCPU still translates the page: the lend is refused, busy. */
	ck_assert_int_eq((int64_t)sim_vcpu_hw(s1)->regs[VCPU_RAX], -TERN_EBUSY);
	sim_vcpu_begin(a);
	ck_assert_int_eq(sim_vcpu_translate(a, 0x100010, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	/* The kick: u1's vCPU exits and invalidates; s0's call completes. */
	struct exit_record kick = { .reason = EXIT_REASON_EXTERNAL_INTERRUPT,
				    .intr_info = INTR_INFO_VALID | 0xf2 };
	ck_assert_int_eq(sim_vcpu_exit(a, &kick), EXIT_ACTION_RESUME);
	ck_assert_ptr_eq(sim_schedule(&hv, 1), a);
	ck_assert_int_eq(sim_vcpu_translate(a, 0x100010, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	/* Now the same page may go to u2. */
	ck_assert_int_eq(vmcall(s1, HC_VM_SET_MEMORY_REGIONS, 0x4000), EXIT_ACTION_RESUME);
	ck_assert_int_eq((int64_t)s1->regs[VCPU_RAX], 0); /* written back at its next entry */
	sim_vcpu_begin(&u2->vcpus[0]);
	ck_assert_int_eq(sim_vcpu_translate(&u2->vcpus[0], 0x100010, EPT_ACCESS_WRITE, &r),
			 EPT_WALK_MAPPED);
}
END_TEST
Suite *unit_suite(void)
{
	Suite *s = suite_create("lend_sync");
	TCase *tc = tcase_create("lend_sync");
	tcase_add_test(tc, relend_before_invalidation);
	suite_add_tcase(s, tc);
	return s;
}
