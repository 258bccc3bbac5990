/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cross-vCPU requests (core/request.c) driven through the simulator's
 * platform steps, several vCPUs of several VMs on several pCPUs in a
 * scripted order: every race below happens in the same order on every run.
 *
 * The fake is as strict as VMREAD: a register fetch for a vCPU that its pCPU
 * is not handling aborts (platform/sim/sim.c), so any post-work core ran in
 * the wrong vCPU's context kills the test.
 */
#include <string.h>
#include <pthread.h>
#include <time.h>
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

#define PAGE 0x8000            /* the User VM's IOREQ page, in the Service VM's RAM */
#define SOS_RIP 0x5000
#define UOS_RIP 0x1000
#define VMCALL_LEN 3
#define DM_PORT 0x1f0          /* no in-hypervisor device: the device model's */
#define Q_STRING_IN(port, size) ((uint64_t)(port) << 16 | ((size) - 1) | (1u << 3) | (1u << 4))
#define INFO_ASZ32 (1u << 7)   /* address size 32-bit, ES (instruction information, SDM 28.2.5) */

static struct tern hv;
static struct vm *sos, *uos;
static struct vcpu *sv, *u;

/*
 * A vCPU as the hardware holds it, nothing cached: the Service VM in flat
 * 64-bit mode (hypercalls need it), the User VM in flat 32-bit protected
 * mode without paging (its string I/O addresses are guest-physical).
 */
static void hw_flat(struct vcpu *c, uint64_t rip, bool long_mode)
{
	sim_vcpu_flat_state(c, long_mode, 0);
	if (!long_mode)
		sim_vcpu_hw(c)->regs[VCPU_CR0] = 0x31; /* PE, ET, NE */
	sim_vcpu_hw(c)->regs[VCPU_RIP] = rip;
	vcpu_cache_reset(c);
}

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	sos = sim_create_vm(&hv, "sos", 1, true, 0x10000);
	uos = sim_create_vm(&hv, "uos", 1, false, 0x10000);
	ck_assert_ptr_nonnull(sos);
	ck_assert_ptr_nonnull(uos);
	/* The Service VM on pCPU 0, the User VM on pCPU 1. */
	uos->config.cpu_affinity = 0x2;
	sv = &sos->vcpus[0];
	u = &uos->vcpus[0];
	vcpu_bind_pcpu(u, sched_vcpu_pcpu(uos, 0));
	ck_assert_uint_eq(sv->pcpu, 0);
	ck_assert_uint_eq(u->pcpu, 1);
	sos->state = uos->state = VM_STATE_RUNNING;
	sv->state = u->state = VCPU_STATE_RUNNABLE;
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	hw_flat(sv, SOS_RIP, true);
	hw_flat(u, UOS_RIP, false);
	/* Both run their guests. */
	ck_assert_ptr_eq(sim_schedule(&hv, 0), sv);
	ck_assert_ptr_eq(sim_schedule(&hv, 1), u);
	ck_assert(sv->in_guest && u->in_guest);
}

/* The Service VM's vCPU exits with a hypercall (R8 = id, RDI, RSI). */
static enum exit_action sos_vmcall(uint64_t id, uint64_t p1, uint64_t p2)
{
	struct sim_vcpu_hw *hw = sim_vcpu_hw(sv);
	hw->regs[VCPU_R8] = id;
	hw->regs[VCPU_RDI] = p1;
	hw->regs[VCPU_RSI] = p2;
	struct exit_record ex = { .reason = EXIT_REASON_VMCALL, .instr_len = VMCALL_LEN };
	return sim_vcpu_exit(sv, &ex);
}

/* The device model answers the User vCPU's request in the IOREQ page. */
static void dm_completes(uint64_t value)
{
	uint8_t *slot = sim_vm_ram(sos->id) + PAGE;
	uint32_t st = IOREQ_COMPLETE;
	memcpy(slot + IOREQ_OFF_VALUE, &value, 8);
	memcpy(slot + IOREQ_OFF_STATE, &st, 4);
}

/*
 * A kick reached pCPU 1: its guest exits (external interrupt, acknowledged
 * on exit: the interruption information carries the kick's vector).
 */
#define KICK_VECTOR 0xf2
static enum exit_action kicked_exit(struct vcpu *c)
{
	struct exit_record ex = { .reason = EXIT_REASON_EXTERNAL_INTERRUPT,
				  .intr_info = INTR_INFO_VALID | KICK_VECTOR };
	return sim_vcpu_exit(c, &ex);
}

/*
 * Issue 10's first bug: a User VM's INSB to a device-model port parks it;
 * the Service VM completes the request. The post-work (the byte into
 * ES:RDI, RDI + 1, RIP past the instruction) is the User vCPU's, and RIP
 * was never read at the INS exit: run inside the Service VM's exit it
 * fetched the Service VM's RIP (the fake aborts on that fetch).
 */
START_TEST(test_post_work_runs_on_the_requesting_vcpu)
{
	uint8_t *uram = sim_vm_ram(uos->id);
	sim_vcpu_hw(u)->regs[VCPU_RDI] = 0x3000;
	struct exit_record ins = { .reason = EXIT_REASON_IO_INSTRUCTION,
				   .qualification = Q_STRING_IN(DM_PORT, 1), .instr_len = 1,
				   .instr_info = INFO_ASZ32 };
	ck_assert_int_eq(sim_vcpu_exit(u, &ins), EXIT_ACTION_WAIT_IO);
	ck_assert(!(u->reg_valid & (1u << VCPU_RIP))); /* RIP never read at the INS exit */
	/* pCPU 1 has nothing else: it idles, since the Service VM may still answer. */
	ck_assert_ptr_null(sim_schedule(&hv, 1));
	ck_assert(hv.cpus[1].idle);
	ck_assert_int_eq(uos->state, VM_STATE_RUNNING);

	dm_completes(0xab);
	ck_assert_int_eq(sos_vmcall(HC_NOTIFY_REQUEST_FINISH, uos->id, 0), EXIT_ACTION_RESUME);
	/* Nothing of the User vCPU changed in the Service VM's exit. */
	ck_assert_uint_eq(uram[0x3000], 0);
	ck_assert_uint_eq(sim_vcpu_hw(u)->regs[VCPU_RIP], UOS_RIP);
	ck_assert(u->requests & VCPU_REQ_IOREQ_DONE);
	ck_assert_uint_eq(u->state, VCPU_STATE_WAIT_IO);
	/* A hostile second completion before the vCPU ran its post-work: refused,
	 * the value handed over stays. */
	dm_completes(0xcd);
	ck_assert_int_eq(ioreq_complete(uos, 0), -TERN_EINVAL);
	ck_assert_uint_eq(u->io_value, 0xab);
	/* The Service VM resumes past its VMCALL with RAX = 0. */
	ck_assert_ptr_eq(sim_schedule(&hv, 0), sv);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RAX], 0);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RIP], SOS_RIP + VMCALL_LEN);

	/* pCPU 1 picks the User vCPU for its request and runs the post-work there. */
	ck_assert_ptr_eq(sim_schedule(&hv, 1), u);
	ck_assert_uint_eq(uram[0x3000], 0xab);
	ck_assert_uint_eq(sim_vcpu_hw(u)->regs[VCPU_RDI], 0x3001);
	ck_assert_uint_eq(sim_vcpu_hw(u)->regs[VCPU_RIP], UOS_RIP + 1);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RIP], SOS_RIP + VMCALL_LEN);
	ck_assert_uint_eq(u->state, VCPU_STATE_RUNNABLE);
	ck_assert(u->in_guest && !u->requests);
	/* A second completion of the same request is refused. */
	ck_assert_int_eq(ioreq_complete(uos, 0), -TERN_EINVAL);
}
END_TEST

/* The simulator refuses what VMREAD would: another vCPU's register. */
START_TEST(test_fetch_for_another_vcpu_aborts)
{
	sim_vcpu_begin(sv);
	(void)vcpu_get_reg(u, VCPU_RIP);
}
END_TEST

/* A request to a vCPU in guest mode kicks its pCPU; to one in root mode it does not. */
START_TEST(test_request_kicks_only_a_guest)
{
	sim_vcpu_begin(sv);
	vcpu_make_request(u, VCPU_REQ_FLUSH_EPT);
	ck_assert_uint_eq(sim.kicks[1], 1);
	ck_assert_uint_eq(kicked_exit(u), EXIT_ACTION_RESUME);
	sim_vcpu_begin(sv);
	vcpu_make_request(u, VCPU_REQ_FLUSH_EPT); /* root mode: it sees the bit before entry */
	ck_assert_uint_eq(sim.kicks[1], 1);
	unsigned inv = sim.vms[uos->id].ept_invalidations[0];
	ck_assert_ptr_eq(sim_schedule(&hv, 1), u);
	ck_assert_uint_eq(sim.vms[uos->id].ept_invalidations[0], inv + 1); /* both merged: one INVEPT */
	/* The entry protocol: a request that arrives after the pre-entry work stops the entry. */
	ck_assert_uint_eq(kicked_exit(u), EXIT_ACTION_RESUME);
	vcpu_pre_entry(u);
	atomic_or32(&u->requests, VCPU_REQ_FLUSH_EPT); /* as another CPU would, in between */
	ck_assert(!vcpu_enter_guest(u));
	ck_assert(!u->in_guest);
	ck_assert(sim_vcpu_enter(u));
	ck_assert_uint_eq(sim.vms[uos->id].ept_invalidations[0], inv + 2);
}
END_TEST

/*
 * HC_PAUSE_VM is synchronous: it returns only once the User vCPU, in guest
 * mode on pCPU 1, has left it and acknowledged. Meanwhile the Service VM's
 * vCPU is parked (not entered), its VMCALL retired but not yet seen.
 */
START_TEST(test_pause_waits_for_the_vcpu_to_leave_guest_mode)
{
	ck_assert_int_eq(sos_vmcall(HC_PAUSE_VM, uos->id, 0), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(sim.kicks[1], 1);
	ck_assert_uint_eq(sv->state, VCPU_STATE_WAIT_SYNC);
	ck_assert_ptr_null(sim_schedule(&hv, 0)); /* parked: pCPU 0 idles */
	ck_assert(hv.cpus[0].idle);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RIP], SOS_RIP);
	ck_assert(u->in_guest);

	/* The kick arrives: the User vCPU exits, acknowledges, is not entered (paused). */
	ck_assert_uint_eq(kicked_exit(u), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(u->state, VCPU_STATE_PAUSED);
	ck_assert_uint_eq(u->paused_state, VCPU_STATE_RUNNABLE);
	ck_assert_ptr_null(sim_schedule(&hv, 1));
	ck_assert(!u->in_guest && !u->running);
	/* The acknowledgement woke the Service VM's vCPU: the hypercall returns 0. */
	ck_assert(sv->requests & VCPU_REQ_WAKE);
	ck_assert_ptr_eq(sim_schedule(&hv, 0), sv);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RAX], 0);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RIP], SOS_RIP + VMCALL_LEN);
	ck_assert_int_eq(vm_mgr_check(uos), 0);
	ck_assert_int_eq(uos->sync_waiters, 0);

	/* Resumed, it runs again: its idle pCPU is kicked to look. */
	ck_assert(hv.cpus[1].idle);
	ck_assert_int_eq(sos_vmcall(HC_TERN_RESUME_VM, uos->id, 0), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(sim.kicks[1], 2);
	ck_assert_ptr_eq(sim_schedule(&hv, 0), sv);
	ck_assert_ptr_eq(sim_schedule(&hv, 1), u);
}
END_TEST

/*
 * A destroy racing a vCPU mid-exit: the User vCPU has written the
 * debug-exit port (its VM is stopped) but its pCPU is still handling that
 * exit. The destroy must not free the VM under it: the Service VM's VMCALL
 * waits, not retired, and runs again once pCPU 1 has let go of the vCPU.
 */
START_TEST(test_destroy_waits_for_a_vcpu_mid_exit)
{
	sim_vcpu_hw(u)->regs[VCPU_RAX] = 0;
	struct exit_record out = { .reason = EXIT_REASON_IO_INSTRUCTION,
				   .qualification = (uint64_t)0xf4 << 16, .instr_len = 2 };
	ck_assert_int_eq(sim_vcpu_exit(u, &out), EXIT_ACTION_STOP);
	ck_assert_int_eq(uos->state, VM_STATE_STOPPED);
	ck_assert(u->running); /* mid-exit: pCPU 1 has not scheduled since */
	ck_assert_int_eq(vm_mgr_destroy(uos), -TERN_EAGAIN); /* the VM manager says why */

	ck_assert_int_eq(sos_vmcall(HC_DESTROY_VM, uos->id, 0), EXIT_ACTION_RESUME);
	ck_assert_int_eq(uos->state, VM_STATE_STOPPED); /* not destroyed under the vCPU */
	ck_assert_ptr_eq(u->vm, uos);
	ck_assert_uint_eq(sv->state, VCPU_STATE_WAIT_SYNC);
	ck_assert(!vcpu_reg_dirty(sv, VCPU_RIP)); /* the VMCALL has not retired */
	ck_assert_ptr_null(sim_schedule(&hv, 0));

	/* pCPU 1 finishes with the vCPU: nothing to enter, it lets go. */
	ck_assert_ptr_null(sim_schedule(&hv, 1));
	ck_assert(!u->running);
	/* The Service VM runs its VMCALL again, and now the destroy is done. */
	ck_assert_ptr_eq(sim_schedule(&hv, 0), sv);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RIP], SOS_RIP);
	ck_assert_int_eq(sos_vmcall(HC_DESTROY_VM, uos->id, 0), EXIT_ACTION_RESUME);
	ck_assert_int_eq(uos->state, VM_STATE_POWERED_OFF);
	ck_assert_ptr_eq(sim_schedule(&hv, 0), sv);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RAX], 0);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RIP], SOS_RIP + VMCALL_LEN);
	ck_assert_ptr_null(sim_schedule(&hv, 1));
	ck_assert_int_eq(vm_mgr_destroy(uos), -TERN_ENOENT);
}
END_TEST

/* The first retired table page of the User VM's pool. */
static uint64_t retired_hpa(unsigned n)
{
	return uos->pt_pool.base_hpa + (uint64_t)uos->pt_pool.retired[n].page * PT_PAGE_SIZE;
}

/*
 * An EPT change racing a translation: the Service VM removes a 4 KiB page
 * the User vCPU (in guest mode, its TLB holding the translation) uses. The
 * table page that held it leaves the EPT but is not reused, not even
 * rewritten, until the vCPU has invalidated: until then the vCPU's old
 * translation still leads where it did.
 */
START_TEST(test_ept_table_not_reused_before_invalidation)
{
	struct ept_walk_result r;
	sim_vcpu_begin(sv);
	ck_assert_int_eq(vm_memory_map(uos, 0x40000000, 0x100000, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	sim_vcpu_begin(u);
	ck_assert_int_eq(sim_vcpu_translate(u, 0x40000010, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, 0x100010);
	uint32_t used = uos->pt_pool.in_use;

	sim_vcpu_begin(sv);
	ck_assert_int_eq(ept_unmap(&uos->ept, 0x40000000, 0x1000), 0);
	ck_assert_uint_eq(sim.kicks[1], 1);
	ck_assert_uint_ge(uos->pt_pool.nretired, 1);
	uint64_t table = retired_hpa(0);
	ck_assert(pt_pool_is_allocated(&uos->pt_pool, table));
	ck_assert_uint_eq(uos->pt_pool.in_use, used); /* nothing freed yet */
	uint8_t before[PT_PAGE_SIZE];
	memcpy(before, pt_pool_ptr(&uos->pt_pool, table), PT_PAGE_SIZE);

	/* The vCPU has not handled the request: its translation still works... */
	sim_vcpu_begin(u);
	ck_assert_int_eq(sim_vcpu_translate(u, 0x40000010, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, 0x100010);
	/* ...and new tables the Service VM needs meanwhile come from elsewhere. */
	sim_vcpu_begin(sv);
	ck_assert_int_eq(vm_memory_map(uos, 0x80000000, 0x200000, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	for (uint32_t n = 0; n < uos->pt_pool.nretired; n++)
		ck_assert(pt_pool_is_allocated(&uos->pt_pool, retired_hpa(n)));
	ck_assert_mem_eq(pt_pool_ptr(&uos->pt_pool, table), before, PT_PAGE_SIZE);

	/* The kick: the vCPU exits, invalidates in its own context, enters again. */
	ck_assert_uint_eq(kicked_exit(u), EXIT_ACTION_RESUME);
	ck_assert_ptr_eq(sim_schedule(&hv, 1), u);
	ck_assert_int_eq(sim_vcpu_translate(u, 0x40000010, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	/* The next change reclaims the table. */
	sim_vcpu_begin(sv);
	uint32_t retired = uos->pt_pool.nretired;
	ck_assert_int_eq(vm_memory_map(uos, 0x80001000, 0x201000, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert(!pt_pool_is_allocated(&uos->pt_pool, table));
	ck_assert_uint_lt(uos->pt_pool.nretired, retired);
}
END_TEST

/* A vCPU not current anywhere holds nothing: the tables go at the next change. */
START_TEST(test_parked_vcpu_does_not_hold_back_frees)
{
	sim_vcpu_begin(sv);
	ck_assert_int_eq(vm_memory_map(uos, 0x40000000, 0x100000, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	/* The User vCPU halts with nothing pending; pCPU 1 lets go of it (idle). */
	struct exit_record hlt = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	ck_assert_int_eq(sim_vcpu_exit(u, &hlt), EXIT_ACTION_HALT);
	ck_assert_ptr_null(sim_schedule(&hv, 1));
	ck_assert(hv.cpus[1].idle);
	sim_vcpu_begin(sv);
	ck_assert_int_eq(ept_unmap(&uos->ept, 0x40000000, 0x1000), 0);
	ck_assert_uint_eq(sim.kicks[1], 1); /* not in guest mode, but its pCPU idles: woken */
	uint64_t table = retired_hpa(0);
	ck_assert(vm_synced(uos, uos->sync_gen));
	ck_assert_int_eq(vm_memory_map(uos, 0x80000000, 0x200000, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert(pt_pool_is_allocated(&uos->pt_pool, table) ||
		  uos->pt_pool.nretired == 0); /* freed, perhaps reused by the map */
	ck_assert_uint_eq(uos->pt_pool.nretired, 0);
}
END_TEST

/*
 * HC_VM_SET_MEMORY_REGIONS removing memory the Service VM lent: it returns
 * only once the User vCPU (in guest mode, its TLB holding the page) has
 * invalidated, so the Service VM may lend that memory elsewhere as soon as
 * it sees the result.
 */
START_TEST(test_removing_lent_memory_waits_for_invalidation)
{
	uint8_t *sram = sim_vm_ram(sos->id);
	struct ept_walk_result r;
	sim_vcpu_begin(sv);
	/* The Service VM lends 16 KiB of its own RAM (mapped at creation, as on the image). */
	struct set_regions req = { .vmid = uos->id, .mr_num = 1, .regions_gpa = 0x3000 };
	struct vm_memory_region mr = { MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0x100000, 0xc000, 0x4000 };
	memcpy(sram + 0x2000, &req, sizeof(req));
	memcpy(sram + 0x3000, &mr, sizeof(mr));
	/* Lending adds translations: nothing to wait for. */
	ck_assert_int_eq(sos_vmcall(HC_VM_SET_MEMORY_REGIONS, 0x2000, 0), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(sv->state, VCPU_STATE_RUNNABLE);
	ck_assert_ptr_eq(sim_schedule(&hv, 0), sv);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RAX], 0);
	sim_vcpu_begin(u);
	ck_assert_int_eq(sim_vcpu_translate(u, 0x101010, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, sim.vms[sos->id].ram_hpa + 0xc000 + 0x1010);

	/* Taking it back: the hypercall waits for the User vCPU. */
	sim_vcpu_hw(sv)->regs[VCPU_RIP] = SOS_RIP;
	mr.type = MR_DEL;
	memcpy(sram + 0x3000, &mr, sizeof(mr));
	ck_assert_int_eq(sos_vmcall(HC_VM_SET_MEMORY_REGIONS, 0x2000, 0), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(sv->state, VCPU_STATE_WAIT_SYNC);
	ck_assert_uint_eq(sim.kicks[1], 1);
	ck_assert_ptr_null(sim_schedule(&hv, 0));
	sim_vcpu_begin(u);
	ck_assert_int_eq(sim_vcpu_translate(u, 0x101010, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(kicked_exit(u), EXIT_ACTION_RESUME);
	ck_assert_ptr_eq(sim_schedule(&hv, 1), u);
	ck_assert_int_eq(sim_vcpu_translate(u, 0x101010, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	/* Acknowledged: the Service VM sees the result only now. */
	ck_assert_ptr_eq(sim_schedule(&hv, 0), sv);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RAX], 0);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RIP], SOS_RIP + VMCALL_LEN);
}
END_TEST

/*
 * HC_RESET_VM of a paused VM whose vCPU is still current on its pCPU
 * (handling the pause's request): the VMCALL waits, then runs again.
 */
START_TEST(test_reset_waits_for_a_current_vcpu)
{
	ck_assert_int_eq(sos_vmcall(HC_PAUSE_VM, uos->id, 0), EXIT_ACTION_RESUME);
	/* The kick: u exits and acknowledges in its pre-entry path, where it stays
	 * (paused, not entered; pCPU 1 has not scheduled since: u is current). */
	ck_assert_uint_eq(kicked_exit(u), EXIT_ACTION_RESUME);
	ck_assert(!sim_vcpu_enter(u));
	ck_assert(u->running);
	ck_assert_ptr_eq(sim_schedule(&hv, 0), sv); /* the pause has returned */
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RIP], SOS_RIP + VMCALL_LEN);
	sim_vcpu_hw(sv)->regs[VCPU_RIP] = SOS_RIP;
	ck_assert_int_eq(sos_vmcall(HC_RESET_VM, uos->id, 0), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(sv->state, VCPU_STATE_WAIT_SYNC);
	ck_assert_int_eq(uos->state, VM_STATE_PAUSED); /* not reset under the vCPU */
	ck_assert_ptr_null(sim_schedule(&hv, 1));
	ck_assert_ptr_eq(sim_schedule(&hv, 0), sv);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RIP], SOS_RIP); /* to run again */
	ck_assert_int_eq(sos_vmcall(HC_RESET_VM, uos->id, 0), EXIT_ACTION_RESUME);
	ck_assert_int_eq(uos->state, VM_STATE_CREATED);
	ck_assert_uint_eq(u->state, VCPU_STATE_INIT);
	ck_assert_ptr_eq(sim_schedule(&hv, 0), sv);
	ck_assert_uint_eq(sim_vcpu_hw(sv)->regs[VCPU_RAX], 0);
	ck_assert_int_eq(vm_mgr_check(uos), 0);
}
END_TEST

/* The retired list is bounded: past it a page is kept forever, never reused early. */
START_TEST(test_retired_list_full_keeps_the_page)
{
	struct pt_pool *p = &uos->pt_pool;
	uint64_t hpa;
	ck_assert_ptr_nonnull(pt_pool_alloc(p, &hpa));
	p->nretired = PT_POOL_MAX_RETIRED;
	uint32_t in_use = p->in_use;
	pt_pool_retire(p, hpa);
	ck_assert_uint_eq(p->leaked, 1);
	ck_assert_uint_eq(p->in_use, in_use);
	ck_assert(pt_pool_is_allocated(p, hpa));
	p->nretired = 0;
	/* Not a page of the pool, or not allocated: ignored. */
	pt_pool_retire(p, p->base_hpa - PT_PAGE_SIZE);
	ck_assert_int_eq(pt_pool_free(p, hpa), 0);
	pt_pool_retire(p, hpa);
	ck_assert_uint_eq(p->nretired, 0);
}
END_TEST

/*
 * Wait, then do, against another pCPU's scheduler: between the VM
 * manager's check that no vCPU of the User VM is current and its act, pCPU
 * 1's sched_next must not make one current (it would run its pending
 * requests on a VM being destroyed). The manager's block (set before the
 * check) keeps it off; the skipped vCPU is woken once the act is done.
 */
START_TEST(test_scheduler_keeps_off_a_vm_being_acted_on)
{
	ck_assert_int_eq(sos_vmcall(HC_PAUSE_VM, uos->id, 0), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(kicked_exit(u), EXIT_ACTION_RESUME);
	ck_assert(!sim_vcpu_enter(u));                    /* paused: acknowledged, not entered */
	ck_assert_ptr_null(sim_schedule(&hv, 1));         /* pCPU 1 lets go of it */
	ck_assert(!u->running);
	/* The VM manager has checked (block set, nobody current), not yet acted. */
	uos->sched_block = SCHED_BLOCK_SET;
	vcpu_make_request(u, VCPU_REQ_FLUSH_EPT);          /* something pCPU 1 would run it for */
	sim.this_cpu = 1;
	ck_assert_ptr_null(sched_next(&hv, 1));
	ck_assert(!u->running);                           /* never current: the act is safe */
	ck_assert(uos->sched_block & SCHED_BLOCK_SKIPPED);
	/* A vCPU current when the block comes lets go at its next scan, waking the waiter. */
	uos->sched_block = 0;
	ck_assert_ptr_eq(sched_next(&hv, 1), u);
	ck_assert(u->running);
	uos->sched_block = SCHED_BLOCK_SET;
	ck_assert_ptr_null(sched_next(&hv, 1));
	ck_assert(!u->running);
	ck_assert_ptr_null(hv.cpus[1].current);
	uos->sched_block = 0;
	sim.this_cpu = 0;
}
END_TEST

/* The manager's side: a current vCPU refuses the act and leaves no block behind. */
START_TEST(test_blocked_act_refused_while_current)
{
	ck_assert_int_eq(sos_vmcall(HC_PAUSE_VM, uos->id, 0), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(kicked_exit(u), EXIT_ACTION_RESUME);
	ck_assert(!sim_vcpu_enter(u));
	ck_assert(u->running);                            /* still current on pCPU 1 */
	ck_assert_int_eq(vm_mgr_reset(uos), -TERN_EAGAIN);
	ck_assert_uint_eq(uos->sched_block, 0);
	struct vcpu_load_state st;
	vm_mgr_reset_state(&st, 0x600);
	ck_assert_int_eq(vm_mgr_set_vcpu_state(uos, 0, &st), -TERN_EAGAIN);
	ck_assert_uint_eq(uos->sched_block, 0);
	ck_assert_int_eq(vm_mgr_destroy(uos), -TERN_EAGAIN);
	ck_assert_uint_eq(uos->sched_block, 0);
	/* Let go: the reset goes through; a vCPU skipped meanwhile would be woken (none was). */
	ck_assert_ptr_null(sim_schedule(&hv, 1));
	unsigned kicks = sim.kicks[1];
	ck_assert_int_eq(vm_mgr_reset(uos), 0);
	ck_assert_uint_eq(uos->sched_block, 0);
	ck_assert_uint_eq(sim.kicks[1], kicks);
	/*
	 * A vCPU skipped while the block was up is woken once the act is
	 * done: its pCPU, idle since the skip, is kicked.
	 */
	u->state = VCPU_STATE_RUNNABLE;
	uos->sched_block = SCHED_BLOCK_SET;
	sim.this_cpu = 1;
	ck_assert_ptr_null(sched_next(&hv, 1));
	ck_assert(hv.cpus[1].idle);
	sim.this_cpu = 0;
	uos->sched_block = SCHED_BLOCK_SKIPPED;            /* the skip, within the act's window */
	u->state = VCPU_STATE_INIT;
	vm_mgr_reset_state(&st, 0x600);
	ck_assert_int_eq(vm_mgr_set_vcpu_state(uos, 0, &st), 0);
	ck_assert_uint_eq(uos->sched_block, 0);
	ck_assert_uint_gt(sim.kicks[1], kicks);
	ck_assert(u->requests & VCPU_REQ_WAKE);
}
END_TEST

/*
 * A Service VM vCPU waiting for VM n (WAIT_SYNC) waits for that VM, not for
 * the slot: destroyed (by another Service VM vCPU) and created again, the
 * new VM's acknowledgements are not what it waits for, and it is released.
 */
START_TEST(test_wait_sync_target_is_the_vm_not_the_slot)
{
	uint16_t id = uos->id;
	uint32_t life = uos->life;
	sim_vcpu_begin(sv);
	vcpu_wait_sync(sv, uos, uos->sync_gen + 5, false);  /* a generation that never comes */
	sv->state = VCPU_STATE_WAIT_SYNC;
	vcpu_handle_requests(sv);
	ck_assert_uint_eq(sv->state, VCPU_STATE_WAIT_SYNC);
	/* Destroyed and created again in the same slot (its generation back at 0). */
	uos->state = VM_STATE_STOPPED;
	u->state = VCPU_STATE_STOPPED;
	ck_assert_ptr_null(sim_schedule(&hv, 1));
	ck_assert_int_eq(vm_mgr_destroy(uos), 0);
	struct vm *again = sim_create_vm(&hv, "again", 1, false, 0x10000);
	ck_assert_ptr_eq(again, &hv.vms[id]);
	ck_assert_uint_ne(again->life, life);
	again->state = VM_STATE_RUNNING;
	vcpu_make_request(sv, VCPU_REQ_WAKE);
	vcpu_handle_requests(sv);
	ck_assert_uint_eq(sv->state, VCPU_STATE_RUNNABLE);
}
END_TEST

/*
 * vm->state has one writer at a time: a pause from the Service VM waits
 * while a vm_stop of the User VM (its own exit, pCPU 1) is writing it, and
 * then finds it stopped, rather than turning a stopped VM into a paused
 * one that a resume would run again.
 */
static int pause_ret;
static volatile int pause_done;
static void *pause_thread(void *arg)
{
	(void)arg;
	pause_ret = vm_mgr_pause(uos);
	pause_done = 1;
	return NULL;
}

START_TEST(test_pause_waits_for_a_stop_in_progress)
{
	pthread_t t;
	tern_lock(&uos->state_lock);                       /* pCPU 1 inside vm_stop */
	pause_done = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, pause_thread, NULL), 0);
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	ck_assert_int_eq(pause_done, 0);                   /* held back by the stop */
	uos->state = VM_STATE_STOPPED;                      /* the stop's writes */
	u->state = VCPU_STATE_STOPPED;
	tern_unlock(&uos->state_lock);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(pause_ret, -TERN_EBUSY);
	ck_assert_int_eq(uos->state, VM_STATE_STOPPED);
	ck_assert_uint_eq(u->state, VCPU_STATE_STOPPED);
	ck_assert_int_eq(vm_mgr_resume(uos), -TERN_EBUSY);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("requests");
	TCase *tc = tcase_create("requests");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_post_work_runs_on_the_requesting_vcpu);
	tcase_add_test_raise_signal(tc, test_fetch_for_another_vcpu_aborts, 6);
	tcase_add_test(tc, test_request_kicks_only_a_guest);
	tcase_add_test(tc, test_pause_waits_for_the_vcpu_to_leave_guest_mode);
	tcase_add_test(tc, test_destroy_waits_for_a_vcpu_mid_exit);
	tcase_add_test(tc, test_ept_table_not_reused_before_invalidation);
	tcase_add_test(tc, test_parked_vcpu_does_not_hold_back_frees);
	tcase_add_test(tc, test_removing_lent_memory_waits_for_invalidation);
	tcase_add_test(tc, test_reset_waits_for_a_current_vcpu);
	tcase_add_test(tc, test_retired_list_full_keeps_the_page);
	tcase_add_test(tc, test_scheduler_keeps_off_a_vm_being_acted_on);
	tcase_add_test(tc, test_blocked_act_refused_while_current);
	tcase_add_test(tc, test_wait_sync_target_is_the_vm_not_the_slot);
	tcase_add_test(tc, test_pause_waits_for_a_stop_in_progress);
	suite_add_tcase(s, tc);
	return s;
}
