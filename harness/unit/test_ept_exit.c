/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EPT-violation and EPT-misconfiguration exits (core/ept_exit.c) driven
 * through vcpu_handle_exit() in the simulator, with exit qualifications as
 * the CPU reports them (SDM Vol. 3C 28.2.1, Table 28-7). What is checked is
 * what a user sees: the action, the vCPU's state and RIP, the VM's stop
 * cause and detail, the log, the IOREQ slot the Service VM's device model
 * reads, the test device's registers, and the invalidation before entry.
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "request.h"
#include "err.h"
#include "ept.h"
#include "ept_exit.h"
#include "ept_qual.h"
#include "exit_dispatch.h"
#include "intr.h"
#include "ioreq.h"
#include "sim.h"
#include "upcall.h"
#include "sim_tlb.h"
#include "testdev.h"
#include "vm_memory.h"
#include "two_vm.h"

#define IOREQ_PAGE 0x8000ull          /* in the Service VM's RAM */
/* Host RAM behind the User VM's extra mappings (carved in setup). */
static uint64_t uos_hpa;
#define UOS_HPA    uos_hpa
#define RIP0       0x4000ull
#define WP_GPA     0x10000ull         /* RWX page, then write-protected */
#define RO_GPA     0x11000ull         /* read-only page */
#define XO_GPA     0x12000ull         /* execute-only page */
#define RW_GPA     0x13000ull         /* read/write page */
#define HOLE_GPA   0xfed00000ull      /* nothing mapped, no device */

static struct tern hv;
static struct vm *sos, *uos;
static struct vcpu *v;

static void setup(void)
{
	two_vm_create(&hv, &sos, &uos);
	uos_hpa = sim_host_ram_alloc(0x4000);
	ck_assert_uint_ne(uos_hpa, 0);
	ck_assert_uint_eq(uos->id, 1);
	ck_assert_int_eq(vm_memory_map(uos, WP_GPA, UOS_HPA, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(vm_memory_map(uos, RO_GPA, UOS_HPA + 0x1000, 0x1000, EPT_R, EPT_MT_WB), 0);
	ck_assert_int_eq(vm_memory_map(uos, XO_GPA, UOS_HPA + 0x2000, 0x1000, EPT_X, EPT_MT_WB), 0);
	ck_assert_int_eq(vm_memory_map(uos, RW_GPA, UOS_HPA + 0x3000, 0x1000, EPT_R | EPT_W,
				       EPT_MT_WB), 0);
	ck_assert_int_eq(ept_write_protect(&uos->ept, WP_GPA, 0x1000), 0);
	uos->state = VM_STATE_RUNNING;
	for (unsigned i = 0; i < 2; i++) {
		uos->vcpus[i].requests &= ~VCPU_REQ_FLUSH_EPT;  /* the protection above asked for one */
		uos->vcpus[i].state = VCPU_STATE_RUNNABLE;
	}
	v = two_vm_flat_vcpu(uos, 1, RIP0);
	vcpu_cache_fill(v, VCPU_RAX, 0x1122334455667788ull);
}

static uint32_t slot32(unsigned vcpu, unsigned off) { return two_vm_slot32(sos, IOREQ_PAGE, vcpu, off); }
static uint64_t slot64(unsigned vcpu, unsigned off) { return two_vm_slot64(sos, IOREQ_PAGE, vcpu, off); }

/* The device model marks vCPU's request done (the value it left in the slot stands). */
static void dm_complete(unsigned vcpu)
{
	two_vm_put_slot32(sos, IOREQ_PAGE, vcpu, IOREQ_OFF_STATE, IOREQ_COMPLETE);
}

static struct exit_record ept_record(uint32_t reason, uint64_t qual, uint64_t gpa)
{
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = reason;
	ex.qualification = qual;
	ex.guest_physical = gpa;
	ex.guest_linear = gpa;
	return ex;
}

static enum exit_action violation(struct vcpu *vcpu, uint64_t qual, uint64_t gpa)
{
	struct exit_record ex = ept_record(EXIT_REASON_EPT_VIOLATION, qual, gpa);
	return vcpu_handle_exit(vcpu, &ex);
}

/* The qualification the CPU reports for an access the sim's TLB refuses. */
static uint64_t cpu_qual(struct vcpu *vcpu, uint64_t gpa, unsigned access)
{
	struct ept_walk_result r;
	ck_assert_int_eq(sim_vcpu_translate(vcpu, gpa, access, &r), EPT_WALK_VIOLATION);
	ck_assert_uint_eq(r.qual & EPT_QUAL_ACCESS_MASK, access);
	return r.qual | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLATE;
}

/* ---- write-protect --------------------------------------------------------------- */

START_TEST(wp_write_becomes_ioreq_and_reexecutes)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, IOREQ_PAGE), 0);
	uint64_t q = cpu_qual(v, WP_GPA + 0xa38, EPT_ACCESS_WRITE);
	/* The walk found R and X, not W (Table 28-7 bits 5:3). */
	ck_assert(ept_qual_readable(q) && !ept_qual_writable(q) && ept_qual_executable(q));

	ck_assert_int_eq(violation(v, q, WP_GPA + 0xa38), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(v->state, VCPU_STATE_WAIT_IO);
	ck_assert_uint_eq(uos->state, VM_STATE_RUNNING);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_NONE);
	ck_assert_uint_eq(uos->vcpus[0].state, VCPU_STATE_RUNNABLE);
	/* What the device model finds in slot 1 (ACRN's acrn_io_request). */
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_TYPE), 3);              /* ACRN_IOREQ_TYPE_WP */
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_DIRECTION), IOREQ_WRITE);
	ck_assert_uint_eq(slot64(1, IOREQ_OFF_ADDRESS), WP_GPA + 0xa38);
	ck_assert_uint_eq(slot64(1, IOREQ_OFF_SIZE), 0);
	ck_assert_uint_eq(slot64(1, IOREQ_OFF_VALUE), 0);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_STATE), IOREQ_PENDING);
	ck_assert_uint_eq(slot32(0, IOREQ_OFF_STATE), IOREQ_FREE);
	ck_assert_int_eq(unit_take_upcall(sos), IOREQ_UPCALL_VECTOR);
	/* A notification, not an emulated write: the instruction has not moved on. */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), RIP0);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));

	/* Not done until the device model says COMPLETE. */
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EBUSY);
	ck_assert_uint_eq(v->state, VCPU_STATE_WAIT_IO);
	dm_complete(1);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	vcpu_pre_entry(v); /* the post-work runs on the vCPU, before its entry */
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_STATE), IOREQ_FREE);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), RIP0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x1122334455667788ull);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RAX));
	ck_assert(!sim_log_contains("vm1: EPT"));

	/* The device model still protects the page: the re-executed write asks again. */
	ck_assert_int_eq(violation(v, q, WP_GPA + 0xa38), EXIT_ACTION_WAIT_IO);
	ck_assert_int_eq(unit_take_upcall(sos), IOREQ_UPCALL_VECTOR);
	dm_complete(1);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	vcpu_pre_entry(v); /* the post-work runs on the vCPU, before its entry */
	/* It lifts the protection: the write goes through. */
	ck_assert_int_eq(ept_write_unprotect(&uos->ept, WP_GPA, 0x1000), 0);
	vcpu_pre_entry(v);
	struct ept_walk_result r;
	ck_assert_int_eq(sim_vcpu_translate(v, WP_GPA + 0xa38, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, UOS_HPA + 0xa38);
}
END_TEST

START_TEST(wp_read_modify_write_is_wp)
{
	/* add [mem], reg reads and writes: the qualification has both bits. */
	ck_assert_int_eq(ioreq_set_buffer(uos, IOREQ_PAGE), 0);
	uint64_t q = cpu_qual(v, WP_GPA + 8, EPT_ACCESS_READ | EPT_ACCESS_WRITE);
	ck_assert_int_eq(violation(v, q, WP_GPA + 8), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_TYPE), IOREQ_TYPE_WP);
	ck_assert_uint_eq(slot64(1, IOREQ_OFF_ADDRESS), WP_GPA + 8);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_STATE), IOREQ_PENDING);
}
END_TEST

START_TEST(wp_without_ioreq_page_stops)
{
	uint64_t q = cpu_qual(v, WP_GPA + 0x10, EPT_ACCESS_WRITE);
	ck_assert_int_eq(violation(v, q, WP_GPA + 0x10), EXIT_ACTION_STOP);
	ck_assert_uint_eq(uos->state, VM_STATE_STOPPED);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_BAD_MEMORY);
	ck_assert_uint_eq(uos->stop_detail, WP_GPA >> 12);
	ck_assert_uint_eq(v->state, VCPU_STATE_STOPPED);
	ck_assert_uint_eq(uos->vcpus[0].state, VCPU_STATE_STOPPED);
	ck_assert_int_eq(unit_take_upcall(sos), -1);
	char want[128];
	snprintf(want, sizeof(want), "vm1: EPT write-protect at gpa 0x10010 (qualification 0x%llx)",
		 (unsigned long long)q);
	ck_assert_msg(sim_log_contains(want), "log lacks: %s", want);
	ck_assert(sim_log_contains("vm1 (uos) stopped: bad-memory (detail 0x10)"));
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), RIP0);
}
END_TEST

START_TEST(wp_with_unusable_ioreq_page_stops)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, IOREQ_PAGE), 0);
	ck_assert_int_eq(ept_unmap(&sos->ept, 0x1000, sim.vms[sos->id].ram_size - 0x1000), 0); /* the Service VM's memory shrank under the page */
	uint64_t q = cpu_qual(v, WP_GPA, EPT_ACCESS_WRITE);
	ck_assert_int_eq(violation(v, q, WP_GPA), EXIT_ACTION_STOP);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_INTERNAL);
	ck_assert(sim_log_contains("vm1 vcpu1: IOREQ page unusable"));
	ck_assert_int_eq(unit_take_upcall(sos), -1);
}
END_TEST

/* ---- spurious ----------------------------------------------------------------- */

START_TEST(spurious_flushes_and_resumes)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, IOREQ_PAGE), 0);
	/* A read of a read/write page: the map permits it, the CPU's cached
	 * translation did not. Invalidate and re-execute, nothing more. */
	ck_assert(!(v->requests & VCPU_REQ_FLUSH_EPT));
	ck_assert_int_eq(violation(v, EPT_QUAL_READ | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLATE,
				   RW_GPA + 4), EXIT_ACTION_RESUME);
	ck_assert((v->requests & VCPU_REQ_FLUSH_EPT));
	ck_assert(!(uos->vcpus[0].requests & VCPU_REQ_FLUSH_EPT));       /* only the exiting vCPU */
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	ck_assert_uint_eq(uos->state, VM_STATE_RUNNING);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_NONE);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), RIP0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x1122334455667788ull);
	ck_assert_int_eq(unit_take_upcall(sos), -1);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_STATE), IOREQ_FREE);
	ck_assert(!sim_log_contains("vm1: EPT"));
	/* The entry invalidates once. */
	vcpu_pre_entry(v);
	ck_assert(!(v->requests & VCPU_REQ_FLUSH_EPT));
	ck_assert_uint_eq(sim.vms[uos->id].ept_invalidations[1], 1);
	ck_assert_uint_eq(sim.vms[uos->id].ept_invalidations[0], 0);

	/* The CPU refused a write to the protected page; before the exit is
	 * handled the Service VM lifts the protection (on another CPU). The
	 * write is retried, not sent to the device model. */
	uint64_t q = cpu_qual(v, WP_GPA + 0x20, EPT_ACCESS_WRITE);
	ck_assert_int_eq(ept_write_unprotect(&uos->ept, WP_GPA, 0x1000), 0);
	ck_assert_int_eq(violation(v, q, WP_GPA + 0x20), EXIT_ACTION_RESUME);
	ck_assert((v->requests & VCPU_REQ_FLUSH_EPT));
	ck_assert_int_eq(unit_take_upcall(sos), -1);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_STATE), IOREQ_FREE);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), RIP0);
	vcpu_pre_entry(v);
	struct ept_walk_result r;
	ck_assert_int_eq(sim_vcpu_translate(v, WP_GPA + 0x20, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, UOS_HPA + 0x20);
}
END_TEST

/* ---- unmapped: the MMIO path ------------------------------------------------------ */

/* 32-bit protected mode without paging: linear == guest-physical. */
static void flat32_at(uint64_t rip, const char *code, unsigned n)
{
	sim_vcpu_flat_state(v, false, 0);
	vcpu_cache_fill(v, VCPU_CR0, 0x11);
	vcpu_cache_fill(v, VCPU_RIP, rip);
	memcpy(sim_vm_ram(uos->id) + rip, code, n);
}

START_TEST(unmapped_testdev_is_emulated)
{
	/* An IOREQ page exists, but the in-hypervisor device is served locally. */
	ck_assert_int_eq(ioreq_set_buffer(uos, IOREQ_PAGE), 0);
	flat32_at(0x2000, "\x8b\x03", 2);                             /* mov eax,[ebx] */
	vcpu_cache_fill(v, VCPU_RBX, TESTDEV_GPA);
	ck_assert_int_eq(violation(v, EPT_QUAL_READ | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLATE,
				   TESTDEV_GPA), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), TESTDEV_ID_VALUE);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x2002);
	ck_assert_uint_eq(uos->testdev.count, 1);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_NONE);

	/* mov dword [ebx+0x100], 0xdeadbeef: a write into the scratch area. */
	flat32_at(0x2002, "\xc7\x83\x00\x01\x00\x00\xef\xbe\xad\xde", 10);
	vcpu_cache_fill(v, VCPU_RBX, TESTDEV_GPA);
	ck_assert_int_eq(violation(v, EPT_QUAL_WRITE | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLATE,
				   TESTDEV_GPA + 0x100), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(uos->testdev.scratch[0], 0xef);
	ck_assert_uint_eq(uos->testdev.scratch[3], 0xde);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x200c);
	ck_assert_uint_eq(uos->testdev.count, 2);
	ck_assert_int_eq(unit_take_upcall(sos), -1);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_STATE), IOREQ_FREE);
}
END_TEST

START_TEST(unmapped_without_device_stops)
{
	ck_assert_int_eq(violation(v, EPT_QUAL_READ | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLATE,
				   HOLE_GPA + 0x40), EXIT_ACTION_STOP);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_BAD_MEMORY);
	ck_assert_uint_eq(uos->stop_detail, HOLE_GPA >> 12);
	ck_assert_uint_eq(v->state, VCPU_STATE_STOPPED);
	ck_assert(sim_log_contains("vm1: EPT violation at gpa 0xfed00040 (qualification 0x181) is "
				   "not emulated MMIO"));
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), RIP0);
}
END_TEST

/* ---- permission: mapped, refused, not a WP write ------------------------------------- */

static const struct {
	const char *what;
	uint64_t gpa;
	unsigned access;
} perm_cases[] = {
	{ "fetch from a read-only page", RO_GPA + 0x100, EPT_ACCESS_FETCH },
	{ "read of an execute-only page", XO_GPA + 0x200, EPT_ACCESS_READ },
	{ "write to an execute-only page", XO_GPA + 0x300, EPT_ACCESS_WRITE },
	{ "fetch from a read/write page", RW_GPA + 0x400, EPT_ACCESS_FETCH },
	{ "write+fetch on a read-only page", RO_GPA + 0x500, EPT_ACCESS_WRITE | EPT_ACCESS_FETCH },
};

START_TEST(permission_stops)
{
	/* Even with an IOREQ page: these are not the device model's business. */
	ck_assert_int_eq(ioreq_set_buffer(uos, IOREQ_PAGE), 0);
	uint64_t gpa = perm_cases[_i].gpa;
	uint64_t q = cpu_qual(v, gpa, perm_cases[_i].access);
	ck_assert_msg(violation(v, q, gpa) == EXIT_ACTION_STOP, "%s", perm_cases[_i].what);
	ck_assert_uint_eq(uos->state, VM_STATE_STOPPED);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_BAD_MEMORY);
	ck_assert_uint_eq(uos->stop_detail, gpa >> 12);
	ck_assert_uint_eq(v->state, VCPU_STATE_STOPPED);
	ck_assert_int_eq(unit_take_upcall(sos), -1);
	ck_assert_uint_eq(slot32(1, IOREQ_OFF_STATE), IOREQ_FREE);
	char want[128];
	snprintf(want, sizeof(want), "vm1: EPT permission at gpa 0x%llx (qualification 0x%llx)",
		 (unsigned long long)gpa, (unsigned long long)q);
	ck_assert_msg(sim_log_contains(want), "%s: log lacks: %s", perm_cases[_i].what, want);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), RIP0);
}
END_TEST

/* ---- misconfiguration ------------------------------------------------------------- */

/* The 4 KiB leaf that maps gpa in the VM's EPT. */
static uint64_t *leaf_of(struct vm *vm, uint64_t gpa)
{
	uint64_t *table = vm->ept.root;
	for (unsigned level = EPT_LEVELS; level > 1; level--) {
		uint64_t e = table[ept_index(gpa, level)];
		ck_assert(ept_entry_present(e) && !ept_entry_is_leaf(e, level));
		table = pt_pool_ptr(&vm->pt_pool, ept_entry_table(e));
		ck_assert_ptr_nonnull(table);
	}
	return &table[ept_index(gpa, 1)];
}

START_TEST(violation_on_misconfigured_entry_stops_internal)
{
	/* The CPU refused a write; meanwhile Tern's own map got corrupted. */
	uint64_t q = cpu_qual(v, RO_GPA + 0x10, EPT_ACCESS_WRITE);
	*leaf_of(uos, RO_GPA) |= EPT_MT_MASK;  /* memory type 7: invalid (29.3.3.1) */
	ck_assert_int_eq(violation(v, q, RO_GPA + 0x10), EXIT_ACTION_STOP);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_INTERNAL);
	ck_assert_uint_eq(uos->stop_detail, RO_GPA >> 12);
	char want[128];
	snprintf(want, sizeof(want), "vm1: EPT misconfig at gpa 0x11010 (qualification 0x%llx)",
		 (unsigned long long)q);
	ck_assert_msg(sim_log_contains(want), "log lacks: %s", want);
}
END_TEST

START_TEST(misconfig_exit_stops_internal)
{
	*leaf_of(uos, RW_GPA) = (*leaf_of(uos, RW_GPA) & ~EPT_RWX) | EPT_W; /* W without R */
	struct exit_record ex = ept_record(EXIT_REASON_EPT_MISCONFIG, 0, RW_GPA + 0x44);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(uos->state, VM_STATE_STOPPED);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_INTERNAL);
	ck_assert_uint_eq(uos->stop_detail, RW_GPA >> 12);
	ck_assert_uint_eq(v->state, VCPU_STATE_STOPPED);
	ck_assert(sim_log_contains("vm1: EPT misconfig at gpa 0x13044 (qualification 0x0)"));
	ck_assert(!sim_log_contains("no longer present"));
}
END_TEST

START_TEST(misconfig_exit_gone_still_stops)
{
	/* The entry the CPU found invalid has since been rewritten: still Tern's bug. */
	struct exit_record ex = ept_record(EXIT_REASON_EPT_MISCONFIG, 0, RW_GPA + 0x44);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_INTERNAL);
	ck_assert_uint_eq(uos->stop_detail, RW_GPA >> 12);
	ck_assert(sim_log_contains("vm1: EPT misconfiguration at gpa 0x13044 no longer present"));
	ck_assert(sim_log_contains("vm1: EPT misconfig at gpa 0x13044 (qualification 0x0)"));
}
END_TEST

/* ---- an IRET that unblocked NMIs (Table 28-7 bit 12) ------------------------------- */

/* An NMI is pending when the IRET that ends the guest's NMI handler faults. */
static void nmi_pending_at_iret(void)
{
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, 0); /* the CPU cleared the blocking */
	vcpu_queue_nmi(v);
}

START_TEST(retried_iret_keeps_nmis_blocked)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, IOREQ_PAGE), 0);
	/* Spurious: the IRET's stack read is retried with NMIs blocked again. */
	nmi_pending_at_iret();
	ck_assert_int_eq(violation(v, EPT_QUAL_READ | EPT_QUAL_NMI_UNBLOCK, RW_GPA + 0xff8),
			 EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), INTR_STATE_NMI);
	vcpu_pre_entry(v);
	ck_assert(!v->event.valid);           /* the NMI waits for the IRET */
	ck_assert(v->intr.nmi_pending && v->intr.nmi_window);

	/* Write-protect: the instruction is retried too, once the device
	 * model completes; the blocking is set again all the same. */
	v->event.valid = false;
	uint64_t q = cpu_qual(v, WP_GPA + 0xff0, EPT_ACCESS_WRITE) | EPT_QUAL_NMI_UNBLOCK;
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, 0);
	ck_assert_int_eq(violation(v, q, WP_GPA + 0xff0), EXIT_ACTION_WAIT_IO);
	dm_complete(1);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	vcpu_pre_entry(v); /* the post-work runs on the vCPU, before its entry */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), INTR_STATE_NMI);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), RIP0);
}
END_TEST

START_TEST(nmi_unblock_bit_ignored_when_not_retried_or_undefined)
{
	/* Without bit 12 the NMI goes in at the next entry. */
	nmi_pending_at_iret();
	ck_assert_int_eq(violation(v, EPT_QUAL_READ, RW_GPA), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), 0);
	vcpu_pre_entry(v);
	ck_assert(v->event.valid && !v->intr.nmi_pending);

	/* During event delivery bit 12 is undefined (Table 28-7): not trusted. */
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_RIP, RIP0);
	v->event.valid = false;
	struct exit_record ex = ept_record(EXIT_REASON_EPT_VIOLATION,
					   EPT_QUAL_WRITE | EPT_QUAL_NMI_UNBLOCK, RW_GPA);
	ex.idt_vectoring_info = INTR_INFO_VALID | (3u << 8) | 14u; /* #PF being delivered */
	ex.idt_vectoring_error = 2;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), 0);
	ck_assert(v->event.valid);            /* the #PF is delivered again */

	/* Emulated MMIO completes the instruction: nothing is re-blocked. */
	flat32_at(0x2000, "\x8b\x03", 2);
	vcpu_cache_fill(v, VCPU_RBX, TESTDEV_GPA);
	v->event.valid = false;
	ck_assert_int_eq(violation(v, EPT_QUAL_READ | EPT_QUAL_NMI_UNBLOCK, TESTDEV_GPA),
			 EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), TESTDEV_ID_VALUE);
}
END_TEST

/* ---- handlers called with a record they do not own ---------------------------------- */

START_TEST(foreign_records_stop_internal)
{
	/* The dispatcher never routes these here; a caller that does gets a stop. */
	struct exit_record ex = ept_record(EXIT_REASON_EPT_VIOLATION | EXIT_REASON_FAILED_ENTRY,
					   EPT_QUAL_WRITE, WP_GPA);
	ck_assert_int_eq(ept_violation_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_INTERNAL);
	ck_assert_uint_eq(uos->stop_detail, EXIT_REASON_EPT_VIOLATION | EXIT_REASON_FAILED_ENTRY);
	ck_assert_int_eq(unit_take_upcall(sos), -1);

	struct vm *other = sim_create_vm(&hv, "other", 1, false, 0x1000);
	ck_assert_ptr_nonnull(other);
	ex = ept_record(EXIT_REASON_CPUID, 0, 0x5000);
	ck_assert_int_eq(ept_misconfig_exit(&other->vcpus[0], &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(other->stop_cause, VM_STOP_INTERNAL);
	ck_assert_uint_eq(other->stop_detail, 5);
	ck_assert(!sim_log_contains("no longer present"));
}
END_TEST

/* An entry failure on reason 48 never reaches the EPT handlers. */
START_TEST(entry_failure_is_not_an_ept_violation)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, IOREQ_PAGE), 0);
	struct exit_record ex = ept_record(EXIT_REASON_EPT_VIOLATION | EXIT_REASON_FAILED_ENTRY,
					   EPT_QUAL_WRITE, WP_GPA);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_ENTRY_FAILURE);
	ck_assert_uint_eq(uos->stop_detail, EXIT_REASON_EPT_VIOLATION | EXIT_REASON_FAILED_ENTRY);
	ck_assert_int_eq(unit_take_upcall(sos), -1);
	ck_assert(!sim_log_contains("vm1: EPT"));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ept_exit");
	TCase *tc = tcase_create("ept_exit");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, wp_write_becomes_ioreq_and_reexecutes);
	tcase_add_test(tc, wp_read_modify_write_is_wp);
	tcase_add_test(tc, wp_without_ioreq_page_stops);
	tcase_add_test(tc, wp_with_unusable_ioreq_page_stops);
	tcase_add_test(tc, spurious_flushes_and_resumes);
	tcase_add_test(tc, unmapped_testdev_is_emulated);
	tcase_add_test(tc, unmapped_without_device_stops);
	tcase_add_loop_test(tc, permission_stops, 0, (int)(sizeof(perm_cases) / sizeof(perm_cases[0])));
	tcase_add_test(tc, violation_on_misconfigured_entry_stops_internal);
	tcase_add_test(tc, misconfig_exit_stops_internal);
	tcase_add_test(tc, misconfig_exit_gone_still_stops);
	tcase_add_test(tc, retried_iret_keeps_nmis_blocked);
	tcase_add_test(tc, nmi_unblock_bit_ignored_when_not_retried_or_undefined);
	tcase_add_test(tc, foreign_records_stop_internal);
	tcase_add_test(tc, entry_failure_is_not_an_ept_violation);
	suite_add_tcase(s, tc);
	return s;
}
