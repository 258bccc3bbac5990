/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenarios, the device model's life and misbehaviour: tern-dm killed with
 * SIGKILL while it holds a request, restarted against the same VM, shut down
 * with SIGTERM, its VM destroyed under it; a device model of the test's own
 * that completes what it should not; MSI and INTx requests reaching core.
 * Asserted: the guest's vCPU state and registers, the IOREQ slot, the VM's
 * state, tern-dm's exit status and lines, core's answers to each hypercall.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "unit.h"
#include "scenario.h"
#include "sim.h"
#include "hypercall.h"
#include "ioreq.h"
#include "vm_mgr.h"

#define UNCLAIMED_PORT 0x2f0u     /* no device of tern-dm's or core's there */
#define NOTIFY 0x4008a231u
#define INJECT_MSI 0x4010a223u
#define SET_IRQLINE 0x4008a225u
#define SET_VCPU_REGS 0x4128a216u

static const char *const devs[] = { "-m", "2M", "-s", "3,pci-testdev", NULL };
static struct scn S;

static uint32_t slot_u32(unsigned off)
{
	uint32_t v;
	memcpy(&v, sim_live_page(&S.live, S.vm) + off, 4);
	return v;
}

static const struct sim_live_hcall *last_hcall(uint64_t id)
{
	return scn_last_hcall(&S, id);
}

START_TEST(sigkill_mid_request_then_restart_pause_destroy)
{
	ck_assert_int_eq(scn_start(&S, "uvm", devs, false), 0);
	/* tern-dm stopped before it sees the request, killed while it is pending. */
	ck_assert_int_eq(kill(S.dm.pid, SIGSTOP), 0);
	ck_assert_int_eq(scn_io_begin(&S, true, UNCLAIMED_PORT, 1, 0), 0);
	sim_live_settle(&S.live);
	ck_assert_uint_eq(S.u->state, VCPU_STATE_WAIT_IO);
	ck_assert_uint_eq(slot_u32(IOREQ_OFF_STATE), IOREQ_PENDING);
	ck_assert_int_eq(kill(S.dm.pid, SIGKILL), 0);
	int st = scn_wait_dm(&S, &S.dm, SCN_TIMEOUT_MS);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* The hang-up is seen; the vCPU stays parked on its request, nothing else moved. */
	ck_assert_int_eq(scn_io_finish(&S, 200), -1);
	ck_assert_uint_eq(S.live.hangups, 1);
	ck_assert_uint_eq(sim_live_conns(&S.live), 0);
	ck_assert_uint_eq(S.u->state, VCPU_STATE_WAIT_IO);
	ck_assert(S.u->io.active);
	ck_assert_uint_eq(S.u->io.req.addr, UNCLAIMED_PORT);
	ck_assert_uint_eq(slot_u32(IOREQ_OFF_STATE), IOREQ_PENDING);
	ck_assert_int_eq(S.vm->state, VM_STATE_RUNNING);

	/* A restarted tern-dm for the same VM is refused by core (the name exists) and touches nothing. */
	struct child again;
	static const char *const args[] = { "--cpu_affinity", "1", "-m", "2M", "-s", "3,pci-testdev", "uvm", NULL };
	ck_assert_int_eq(scn_spawn(&S, &again, args), 0);
	st = scn_wait_dm(&S, &again, SCN_TIMEOUT_MS);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	ck_assert(child_out_has(&again, "tern-dm: uvm: CREATE_VM refused: the VM already has a device model"));
	child_end(&again);
	ck_assert_int_eq(last_hcall(HC_CREATE_VM)->result, -EEXIST);
	ck_assert_uint_eq(S.u->state, VCPU_STATE_WAIT_IO);
	ck_assert_uint_eq(slot_u32(IOREQ_OFF_STATE), IOREQ_PENDING);

	/* The VM can still be paused and destroyed by the Service VM. */
	ck_assert_int_eq(scn_pause_destroy_parked(&S), 0);
	scn_stop(&S);
}
END_TEST

START_TEST(sigterm_is_a_clean_shutdown)
{
	ck_assert_int_eq(scn_start(&S, "uvm", devs, false), 0);
	uint16_t id = S.vm->id;
	ck_assert_int_eq(kill(S.dm.pid, SIGTERM), 0);
	int st = scn_wait_dm(&S, &S.dm, SCN_TIMEOUT_MS);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert(child_out_has(&S.dm, "tern-dm: uvm: Terminated: shutting down"));
	/* Its DESTROY_VM reached core as a pause and a destroy, both accepted. */
	ck_assert_int_eq(last_hcall(HC_PAUSE_VM)->result, 0);
	ck_assert_int_eq(last_hcall(HC_DESTROY_VM)->result, 0);
	ck_assert_uint_eq(last_hcall(HC_DESTROY_VM)->p1, id);
	ck_assert_int_eq(S.hv.vms[id].state, VM_STATE_POWERED_OFF);
	ck_assert_uint_eq(S.live.hangups, 0);
	scn_stop(&S);
}
END_TEST

START_TEST(vm_destroyed_makes_tern_dm_exit)
{
	ck_assert_int_eq(scn_start(&S, "uvm", devs, false), 0);
	ck_assert_int_eq(scn_hypercall(&S, HC_PAUSE_VM, S.vm->id, 0), 0);
	ck_assert_int_eq(scn_hypercall(&S, HC_DESTROY_VM, S.vm->id, 0), 0);
	int st = scn_wait_dm(&S, &S.dm, SCN_TIMEOUT_MS);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert(child_out_has(&S.dm, "the hypervisor closed the connection: the VM is gone"));
	ck_assert_uint_eq(sim_live_conns(&S.live), 0);
	scn_stop(&S);
}
END_TEST

START_TEST(malformed_completions_are_refused)
{
	struct scn_raw R;
	ck_assert_int_eq(scn_start_raw(&S, &R, "raw"), 0);
	S.u = &S.vm->vcpus[0];
	sim_vcpu_hw(S.u)->regs[VCPU_RAX] = 0x11223344u;
	ck_assert_int_eq(scn_io_begin(&S, true, UNCLAIMED_PORT, 1, 0), 0);
	sim_live_settle(&S.live);
	ck_assert_uint_eq(S.u->state, VCPU_STATE_WAIT_IO);
	ck_assert_uint_eq(slot_u32(IOREQ_OFF_STATE), IOREQ_PENDING);
	/* The page the raw device model mapped from the memfd is the Service VM's page. */
	uint32_t type;
	memcpy(&type, R.page + IOREQ_OFF_TYPE, 4);
	ck_assert_uint_eq(type, IOREQ_TYPE_PORTIO);
	uint64_t eventfd_count = 0;
	ck_assert_int_eq(read(R.req_fd, &eventfd_count, 8), 8);
	ck_assert_uint_ge(eventfd_count, 1);

	struct { uint16_t vmid, reserved; uint32_t vcpu; } n = { R.vmid, 0, 0 };
	/* Not COMPLETE yet: core says busy, the vCPU waits on. */
	ck_assert_int_eq(scn_raw_call(&S, &R, NOTIFY, 8, &n, 8), -EBUSY);
	/* A vCPU the VM does not have; another VM's id; a reserved field set. */
	n.vcpu = 5;
	ck_assert_int_eq(scn_raw_call(&S, &R, NOTIFY, 8, &n, 8), -EINVAL);
	n.vcpu = 0;
	n.vmid = (uint16_t)(R.vmid + 1);
	ck_assert_int_eq(scn_raw_call(&S, &R, NOTIFY, 8, &n, 8), -EINVAL);
	n.vmid = R.vmid;
	n.reserved = 1;
	ck_assert_int_eq(scn_raw_call(&S, &R, NOTIFY, 8, &n, 8), -EINVAL);
	n.reserved = 0;
	/* A state no party may write. */
	uint32_t bad_state = 7;
	memcpy(R.page + IOREQ_OFF_STATE, &bad_state, 4);
	ck_assert_int_eq(scn_raw_call(&S, &R, NOTIFY, 8, &n, 8), -EBUSY);
	/* COMPLETE with the size rewritten: refused, the slot stays for a corrected one. */
	uint64_t size = 4, value = 0x123456789abcull;
	memcpy(R.page + IOREQ_OFF_SIZE, &size, 8);
	memcpy(R.page + IOREQ_OFF_VALUE, &value, 8);
	uint32_t complete = IOREQ_COMPLETE;
	memcpy(R.page + IOREQ_OFF_STATE, &complete, 4);
	ck_assert_int_eq(scn_raw_call(&S, &R, NOTIFY, 8, &n, 8), -EINVAL);
	ck_assert_uint_eq(S.u->state, VCPU_STATE_WAIT_IO);
	/* Corrected: accepted; a value wider than the access is cut to AL. */
	size = 1;
	memcpy(R.page + IOREQ_OFF_SIZE, &size, 8);
	ck_assert_int_eq(scn_raw_call(&S, &R, NOTIFY, 8, &n, 8), 0);
	ck_assert_int_eq(scn_io_finish(&S, SCN_TIMEOUT_MS), 0);
	ck_assert_uint_eq(sim_vcpu_hw(S.u)->regs[VCPU_RAX], 0x112233bcu);
	ck_assert_uint_eq(slot_u32(IOREQ_OFF_STATE), IOREQ_FREE);
	/* Twice: nothing is outstanding any more. */
	memcpy(R.page + IOREQ_OFF_STATE, &complete, 4);
	ck_assert_int_eq(scn_raw_call(&S, &R, NOTIFY, 8, &n, 8), -EINVAL);
	ck_assert_uint_eq(S.u->state, VCPU_STATE_RUNNABLE);
	ck_assert_int_eq(vm_mgr_check(S.vm), 0);
	/* A header whose length is not the request's: the hypervisor side hangs up. */
	ck_assert_int_eq(scn_raw_call(&S, &R, NOTIFY, 4, &n, 4), -EPIPE);
	ck_assert_uint_eq(sim_live_conns(&S.live), 0);
	ck_assert_int_eq(S.vm->state, VM_STATE_RUNNING);
	scn_raw_close(&R);
	scn_stop(&S);
}
END_TEST

/*
 * INJECT_MSI and SET_IRQLINE reach core as ACRN's hypercalls 0x23 and 0x25
 * from the Service VM, with the device model's bytes, and core's answer
 * comes back to the device model: 0 for a message core delivers into the
 * User VM's vLAPICs / vIOAPIC (core/vm_irq.c; what the vCPU then sees is
 * test_vm_irq.c's), -EINVAL for an MSI address that is not 0xFEExxxxx
 * (SDM 10.11.1) and for a GSI past the IOAPIC's 24 pins.
 */
START_TEST(msi_and_irqline_reach_core)
{
	struct scn_raw R;
	ck_assert_int_eq(scn_start_raw(&S, &R, "raw"), 0);
	struct { uint64_t addr, data; } msi = { 0xfee00000ull, 0x4031ull };
	ck_assert_int_eq(scn_raw_call(&S, &R, INJECT_MSI, 16, &msi, 16), 0);
	const struct sim_live_hcall *h = last_hcall(SIM_LIVE_HC_INJECT_MSI);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->p1, R.vmid);
	ck_assert_uint_eq(h->p2, SIM_LIVE_PARAM_GPA);
	ck_assert_mem_eq(h->param, &msi, 16);
	ck_assert_int_eq(h->result, 0);
	msi.addr = 0x12345000ull;
	ck_assert_int_eq(scn_raw_call(&S, &R, INJECT_MSI, 16, &msi, 16), -EINVAL);
	uint64_t ops = (uint64_t)2 << 32 | 5u;   /* gsi 5, RAISING_PULSE */
	ck_assert_int_eq(scn_raw_call(&S, &R, SET_IRQLINE, 8, &ops, 8), 0);
	h = last_hcall(SIM_LIVE_HC_SET_IRQLINE);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->p1, R.vmid);
	ck_assert_uint_eq(h->p2, ops);
	ck_assert_int_eq(h->result, 0);
	ops = (uint64_t)2 << 32 | 24u;           /* no pin 24 */
	ck_assert_int_eq(scn_raw_call(&S, &R, SET_IRQLINE, 8, &ops, 8), -EINVAL);
	scn_raw_close(&R);
	scn_stop(&S);
}
END_TEST

/*
 * SET_VCPU_REGS (Linux's 296-byte acrn_vcpu_regs) reaches core's
 * HC_SET_VCPU_REGS (ACRN's 304 bytes; the live mode's HSM puts non-zero
 * bytes after the 296, as a kernel buffer may hold): refused while the VM
 * runs, a reserved field refused, taken while paused (the state the vCPU
 * will run with, up to the last selector Linux's structure carries).
 */
START_TEST(set_vcpu_regs_reaches_core)
{
	struct scn_raw R;
	ck_assert_int_eq(scn_start_raw(&S, &R, "raw"), 0);
	uint8_t regs[296];
	memset(regs, 0, sizeof(regs));
	/* vcpu_id 0; gprs at 8 (rax..r15), gdt 136, idt 152, rip 168, cs_base 176, cr0 184,
	 * cr4 192, cr3 200, efer 208, rflags 216, ..., cs_ar 256, cs_limit 260, cs_sel 276. */
	uint64_t rax = 0x1234, rip = 0xfff0, cr0 = 0x60000010, rflags = 2;
	uint32_t cs_ar = 0x9b, cs_limit = 0xffff;
	uint64_t cs_base = 0xffff0000ull;
	memcpy(regs + 8, &rax, 8);
	memcpy(regs + 168, &rip, 8);
	memcpy(regs + 176, &cs_base, 8);
	memcpy(regs + 184, &cr0, 8);
	memcpy(regs + 216, &rflags, 8);
	memcpy(regs + 256, &cs_ar, 4);
	memcpy(regs + 260, &cs_limit, 4);
	uint16_t cs_sel = 0xf000, gs_sel = 0x1234;
	memcpy(regs + 276, &cs_sel, 2);
	/* The last selectors Linux's structure carries (gs 286, ldt 288, tr 290). */
	memcpy(regs + 286, &gs_sel, 2);
	/* 292-295 are Linux's tail padding (core's reserved_16[0..1]): not checked. */
	memset(regs + 292, 0x5a, 4);
	ck_assert_int_eq(scn_raw_call(&S, &R, SET_VCPU_REGS, 296, regs, 296), -EBUSY);
	ck_assert_int_eq(scn_hypercall(&S, HC_PAUSE_VM, R.vmid, 0), 0);
	regs[2] = 1;                          /* reserved[0] */
	ck_assert_int_eq(scn_raw_call(&S, &R, SET_VCPU_REGS, 296, regs, 296), -EINVAL);
	regs[2] = 0;
	ck_assert_int_eq(scn_raw_call(&S, &R, SET_VCPU_REGS, 296, regs, 296), 0);
	ck_assert(S.vm->vcpus[0].load_pending);
	ck_assert_uint_eq(S.vm->vcpus[0].load.regs[VCPU_RAX], 0x1234);
	ck_assert_uint_eq(S.vm->vcpus[0].load.regs[VCPU_RIP], 0xfff0);
	ck_assert_uint_eq(S.vm->vcpus[0].load.segs[VCPU_GS].selector, 0x1234);
	ck_assert_uint_eq(S.vm->vcpus[0].load.segs[VCPU_GS].base, 0x12340);
	ck_assert_uint_eq(S.vm->vcpus[0].load.segs[VCPU_CS].base, 0xffff0000ull);
	ck_assert_int_eq(last_hcall(HC_SET_VCPU_REGS)->result, 0);
	scn_raw_close(&R);
	scn_stop(&S);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("scn_life");
	TCase *tc = tcase_create("scenarios");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sigkill_mid_request_then_restart_pause_destroy);
	tcase_add_test(tc, sigterm_is_a_clean_shutdown);
	tcase_add_test(tc, vm_destroyed_makes_tern_dm_exit);
	tcase_add_test(tc, malformed_completions_are_refused);
	tcase_add_test(tc, msi_and_irqline_reach_core);
	tcase_add_test(tc, set_vcpu_regs_reaches_core);
	suite_add_tcase(s, tc);
	return s;
}
