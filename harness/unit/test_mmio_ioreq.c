/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MMIO requests to the device model with restartable emulation
 * (core/mmio.c, docs/mmio.md): a User VM with real page tables touches
 * guest-physical memory that is neither RAM nor an in-hypervisor range;
 * the Service VM's page shows the IOREQ_TYPE_MMIO request (ACRN's layout),
 * the test plays the device model, and after each completion the vCPU's
 * pre-entry work finishes the instruction or sends the next request.
 * Asserted: the slot's bytes, the guest's registers and memory, and that
 * no device sees an access twice (the test device counts its accesses).
 */
#include <string.h>
#include "unit.h"
#include "err.h"
#include "exit_dispatch.h"
#include "ioreq.h"
#include "mmio.h"
#include "ept.h"
#include "page_walk.h"
#include "request.h"
#include "sim.h"
#include "testdev.h"
#include "vm.h"
#include "vm_mgr.h"
#include "x86.h"

#define RAM_SIZE (16u << 20)
#define CODE 0x10000ull
#define PAGE 0x8000
#define DM 0xd0000000ull       /* nobody's: the device model's MMIO */
/* Linear addresses (4 KiB pages at 3 GiB). */
#define LA_TD   0xc0000000ull  /* testdev */
#define LA_RAM  0xc0001000ull  /* RAM 0x300000 */
#define LA_DM   0xc0002000ull  /* DM, DM + 0x1000 next */
#define LA_RAM2 0xc0004000ull  /* RAM 0x301000, then DM + 0x2000 */
#define LA_NP   0xc0006000ull  /* not present */

static struct tern hv;
static struct vm *sos, *uos;
static struct vcpu *v;
static uint8_t *ram;

static void put64(uint64_t gpa, uint64_t x) { memcpy(ram + gpa, &x, 8); }

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	sos = sim_create_vm(&hv, "sos", 1, true, 0x10000);
	uos = sim_create_vm(&hv, "uos", 1, false, RAM_SIZE);
	ck_assert_ptr_nonnull(sos);
	ck_assert_ptr_nonnull(uos);
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	ram = sim_vm_ram(uos->id);
	v = &uos->vcpus[0];
	put64(0x1000, 0x2000 | PTE_P | PTE_RW);
	put64(0x2000, 0x0 | PTE_P | PTE_RW | PTE_PS);
	put64(0x2000 + 3 * 8, 0x3000 | PTE_P | PTE_RW);
	put64(0x3000, 0x4000 | PTE_P | PTE_RW);
	put64(0x4000 + 0 * 8, TESTDEV_GPA | PTE_P | PTE_RW);
	put64(0x4000 + 1 * 8, 0x300000 | PTE_P | PTE_RW);
	put64(0x4000 + 2 * 8, DM | PTE_P | PTE_RW);
	put64(0x4000 + 3 * 8, (DM + 0x1000) | PTE_P | PTE_RW);
	put64(0x4000 + 4 * 8, 0x301000 | PTE_P | PTE_RW);
	put64(0x4000 + 5 * 8, (DM + 0x2000) | PTE_P | PTE_RW);
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_CR3, 0x1000);
	vcpu_cache_fill(v, VCPU_RIP, CODE);
	uos->state = VM_STATE_RUNNING;
	v->state = VCPU_STATE_RUNNABLE;
}

static uint8_t *slot(void) { return sim_vm_ram(sos->id) + PAGE; }
static uint32_t slot32(unsigned off) { uint32_t x; memcpy(&x, slot() + off, 4); return x; }
static uint64_t slot64(unsigned off) { uint64_t x; memcpy(&x, slot() + off, 8); return x; }

/* The request the device model finds: type MMIO, pending, and these fields. */
static void expect_req(uint32_t dir, uint64_t addr, uint64_t size, uint64_t wvalue)
{
	ck_assert_uint_eq(v->state, VCPU_STATE_WAIT_IO);
	ck_assert_uint_eq(slot32(IOREQ_OFF_STATE), IOREQ_PENDING);
	ck_assert_uint_eq(slot32(IOREQ_OFF_TYPE), IOREQ_TYPE_MMIO);
	ck_assert_uint_eq(slot32(IOREQ_OFF_DIRECTION), dir);
	ck_assert_uint_eq(slot64(IOREQ_OFF_ADDRESS), addr);
	ck_assert_uint_eq(slot64(IOREQ_OFF_SIZE), size);
	if (dir == IOREQ_WRITE)
		ck_assert_uint_eq(slot64(IOREQ_OFF_VALUE), wvalue);
}

/* The device model completes with `value`; the vCPU runs its pre-entry work. */
static void complete(uint64_t value)
{
	uint32_t st = IOREQ_COMPLETE;
	memcpy(slot() + IOREQ_OFF_VALUE, &value, 8);
	memcpy(slot() + IOREQ_OFF_STATE, &st, 4);
	ck_assert_int_eq(ioreq_complete(uos, 0), 0);
	vcpu_pre_entry(v);
}

static enum exit_action run(const char *bytes, unsigned n, uint64_t gpa, bool write)
{
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_EPT_VIOLATION;
	ex.qualification = (write ? EPT_QUAL_WRITE : EPT_QUAL_READ) | EPT_QUAL_LA_VALID |
			   EPT_QUAL_LA_XLATED;
	ex.guest_physical = gpa;
	memcpy(ram + CODE, bytes, n);
	vcpu_cache_fill(v, VCPU_RIP, CODE);
	return vcpu_handle_exit(v, &ex);
}

#define RUN(s, gpa, w) run(s, sizeof(s) - 1, gpa, w)

static void expect_done(uint64_t rip)
{
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	ck_assert(!v->mmio.active);
	ck_assert(!v->io.active);
	ck_assert_uint_eq(slot32(IOREQ_OFF_STATE), IOREQ_FREE);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), rip);
	ck_assert(!v->event.valid);
	ck_assert_int_eq(vm_mgr_check(uos), 0);
}

START_TEST(load_and_store)
{
	vcpu_cache_fill(v, VCPU_RBX, LA_DM + 0x10);
	vcpu_cache_fill(v, VCPU_RAX, 0xffffffffffffffffull);
	ck_assert_int_eq(RUN("\x8b\x03", DM + 0x10, false), EXIT_ACTION_WAIT_IO); /* mov eax,[rbx] */
	expect_req(IOREQ_READ, DM + 0x10, 4, 0);
	/* Nothing of the instruction is done before the completion. */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0xffffffffffffffffull);
	ck_assert_int_eq(vm_mgr_check(uos), 0);
	complete(0xaabbccdd11223344ull);   /* cut to the request's 4 bytes */
	expect_done(CODE + 2);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x11223344);  /* 32-bit load zero-extends */

	/* mov [rbx],rcx: 8 bytes out, nothing back. */
	vcpu_cache_fill(v, VCPU_RCX, 0x0102030405060708ull);
	ck_assert_int_eq(RUN("\x48\x89\x0b", DM + 0x10, true), EXIT_ACTION_WAIT_IO);
	expect_req(IOREQ_WRITE, DM + 0x10, 8, 0x0102030405060708ull);
	complete(0xdead);
	expect_done(CODE + 3);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 0x0102030405060708ull);

	/* mov byte [rbx],0x5a; movzx eax, word [rbx]. */
	ck_assert_int_eq(RUN("\xc6\x03\x5a", DM + 0x10, true), EXIT_ACTION_WAIT_IO);
	expect_req(IOREQ_WRITE, DM + 0x10, 1, 0x5a);
	complete(0);
	expect_done(CODE + 3);
	ck_assert_int_eq(RUN("\x0f\xb7\x03", DM + 0x10, false), EXIT_ACTION_WAIT_IO);
	expect_req(IOREQ_READ, DM + 0x10, 2, 0);
	complete(0x12345678);
	expect_done(CODE + 3);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x5678);
}
END_TEST

START_TEST(read_modify_write_two_requests)
{
	/* xchg [rbx],eax: the read, then the write of the old EAX; EAX gets the read. */
	vcpu_cache_fill(v, VCPU_RBX, LA_DM + 0x20);
	vcpu_cache_fill(v, VCPU_RAX, 0x99887766);
	ck_assert_int_eq(RUN("\x87\x03", DM + 0x20, true), EXIT_ACTION_WAIT_IO);
	expect_req(IOREQ_READ, DM + 0x20, 4, 0);
	complete(0x44332211);
	expect_req(IOREQ_WRITE, DM + 0x20, 4, 0x99887766);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x99887766);   /* not yet */
	complete(0);
	expect_done(CODE + 2);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x44332211);

	/* add [rbx],ecx: flags from the device's value; RFLAGS only at the end. */
	vcpu_cache_fill(v, VCPU_RCX, 1);
	vcpu_cache_fill(v, VCPU_RFLAGS, 0x2);
	ck_assert_int_eq(RUN("\x01\x0b", DM + 0x20, true), EXIT_ACTION_WAIT_IO);
	complete(0xffffffff);
	expect_req(IOREQ_WRITE, DM + 0x20, 4, 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RFLAGS), 0x2);
	complete(0);
	expect_done(CODE + 2);
	ck_assert(vcpu_get_reg(v, VCPU_RFLAGS) & X86_RFLAGS_CF);
	ck_assert(vcpu_get_reg(v, VCPU_RFLAGS) & X86_RFLAGS_ZF);
}
END_TEST

START_TEST(rep_movs_device_to_ram)
{
	/* rep movsd, 3 elements from the device model into RAM: one request each. */
	vcpu_cache_fill(v, VCPU_RSI, LA_DM + 0x100);
	vcpu_cache_fill(v, VCPU_RDI, LA_RAM);
	vcpu_cache_fill(v, VCPU_RCX, 3);
	vcpu_cache_fill(v, VCPU_RFLAGS, 0x2);
	ck_assert_int_eq(RUN("\xf3\xa5", DM + 0x100, false), EXIT_ACTION_WAIT_IO);
	for (unsigned i = 0; i < 3; i++) {
		expect_req(IOREQ_READ, DM + 0x100 + 4 * i, 4, 0);
		/* The iterations before this one are committed, this one is not. */
		ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 3 - i);
		ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RSI), LA_DM + 0x100 + 4 * i);
		ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDI), LA_RAM + 4 * i);
		ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE);
		complete(0xa0a0a0a0u + i);
	}
	expect_done(CODE + 2);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RSI), LA_DM + 0x10c);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDI), LA_RAM + 12);
	for (unsigned i = 0; i < 3; i++) {
		uint32_t x;
		memcpy(&x, ram + 0x300000 + 4 * i, 4);
		ck_assert_uint_eq(x, 0xa0a0a0a0u + i);
	}
}
END_TEST

START_TEST(rep_stos_and_movs_to_device)
{
	/* rep stosw backwards (DF=1): two writes going down. */
	vcpu_cache_fill(v, VCPU_RDI, LA_DM + 0x40);
	vcpu_cache_fill(v, VCPU_RCX, 2);
	vcpu_cache_fill(v, VCPU_RAX, 0xbeef);
	vcpu_cache_fill(v, VCPU_RFLAGS, 0x2 | X86_RFLAGS_DF);
	ck_assert_int_eq(RUN("\xf3\x66\xab", DM + 0x40, true), EXIT_ACTION_WAIT_IO);
	expect_req(IOREQ_WRITE, DM + 0x40, 2, 0xbeef);
	complete(0);
	expect_req(IOREQ_WRITE, DM + 0x3e, 2, 0xbeef);
	complete(0);
	expect_done(CODE + 3);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDI), LA_DM + 0x3c);

	/* movsq from RAM to the device model: the RAM bytes are the request's value. */
	put64(0x300000, 0x1122334455667788ull);
	vcpu_cache_fill(v, VCPU_RSI, LA_RAM);
	vcpu_cache_fill(v, VCPU_RDI, LA_DM);
	vcpu_cache_fill(v, VCPU_RFLAGS, 0x2);
	ck_assert_int_eq(RUN("\x48\xa5", DM, true), EXIT_ACTION_WAIT_IO);
	expect_req(IOREQ_WRITE, DM, 8, 0x1122334455667788ull);
	/* The guest rewriting its RAM meanwhile changes nothing: the read is logged. */
	put64(0x300000, 0);
	complete(0);
	expect_done(CODE + 2);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RSI), LA_RAM + 8);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDI), LA_DM + 8);
}
END_TEST

START_TEST(no_device_sees_an_access_twice)
{
	/* movsd from the test device (it counts accesses) to the device model. */
	memcpy(uos->testdev.scratch, "\x01\x02\x03\x04", 4);
	uint64_t before = uos->testdev.count;
	vcpu_cache_fill(v, VCPU_RSI, LA_TD + TESTDEV_SCRATCH);
	vcpu_cache_fill(v, VCPU_RDI, LA_DM + 8);
	vcpu_cache_fill(v, VCPU_RFLAGS, 0x2);
	ck_assert_int_eq(RUN("\xa5", DM + 8, true), EXIT_ACTION_WAIT_IO);
	expect_req(IOREQ_WRITE, DM + 8, 4, 0x04030201);
	ck_assert_uint_eq(uos->testdev.count, before + 1);
	memcpy(uos->testdev.scratch, "\xff\xff\xff\xff", 4);
	complete(0);
	expect_done(CODE + 1);
	ck_assert_uint_eq(uos->testdev.count, before + 1);

	/* Without a device model nothing changes: unbacked memory stops the VM. */
	uos->ioreq_valid = false;
	vcpu_cache_fill(v, VCPU_RBX, LA_DM);
	ck_assert_int_eq(RUN("\x8b\x03", DM, false), EXIT_ACTION_STOP);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_BAD_MEMORY);
}
END_TEST

START_TEST(split_accesses)
{
	/* mov rax,[rbx] at the end of a RAM page: 6 bytes of RAM, then 2 of the device model. */
	put64(0x301ff8, 0x8877665544332211ull);
	vcpu_cache_fill(v, VCPU_RBX, LA_RAM2 + 0xffa);
	ck_assert_int_eq(RUN("\x48\x8b\x03", DM + 0x2000, false), EXIT_ACTION_WAIT_IO);
	expect_req(IOREQ_READ, DM + 0x2000, 2, 0);
	complete(0xbbaa);
	expect_done(CODE + 3);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0xbbaa887766554433ull);

	/* 4 bytes at the last byte of the RAM page: 1 of RAM, then 3: requests of 2 and 1. */
	vcpu_cache_fill(v, VCPU_RBX, LA_RAM2 + 0xfff);
	vcpu_cache_fill(v, VCPU_RAX, 0xcafef00d);
	ck_assert_int_eq(RUN("\x89\x03", DM + 0x2000, true), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(ram[0x301fff], 0x0d);
	expect_req(IOREQ_WRITE, DM + 0x2000, 2, 0xfef0);
	complete(0);
	expect_req(IOREQ_WRITE, DM + 0x2002, 1, 0xca);
	complete(0);
	expect_done(CODE + 2);

	/* 8 bytes across two device-model pages: 4 and 4, in order. */
	vcpu_cache_fill(v, VCPU_RBX, LA_DM + 0xffc);
	ck_assert_int_eq(RUN("\x48\x8b\x03", DM + 0xffc, false), EXIT_ACTION_WAIT_IO);
	expect_req(IOREQ_READ, DM + 0xffc, 4, 0);
	complete(0x44332211);
	expect_req(IOREQ_READ, DM + 0x1000, 4, 0);
	complete(0x88776655);
	expect_done(CODE + 3);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x8877665544332211ull);
}
END_TEST

START_TEST(pause_in_between)
{
	/* rep movsb from RAM to the device model, 2 elements; the VM is paused after the first request. */
	ram[0x300000] = 0x11;
	ram[0x300001] = 0x22;
	vcpu_cache_fill(v, VCPU_RSI, LA_RAM);
	vcpu_cache_fill(v, VCPU_RDI, LA_DM);
	vcpu_cache_fill(v, VCPU_RCX, 2);
	vcpu_cache_fill(v, VCPU_RFLAGS, 0x2);
	ck_assert_int_eq(RUN("\xf3\xa4", DM, true), EXIT_ACTION_WAIT_IO);
	expect_req(IOREQ_WRITE, DM, 1, 0x11);
	ck_assert_int_eq(vm_mgr_pause(uos), 0);
	complete(0);
	/* Paused: the completion is taken, but no further access is made. */
	ck_assert_uint_eq(v->state, VCPU_STATE_PAUSED);
	ck_assert_uint_eq(slot32(IOREQ_OFF_STATE), IOREQ_FREE);
	ck_assert(v->mmio.resume);
	vcpu_pre_entry(v);
	ck_assert_uint_eq(slot32(IOREQ_OFF_STATE), IOREQ_FREE);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 2);
	ck_assert_int_eq(vm_mgr_check(uos), 0);
	/* Resumed: the second element goes out (the first is not sent again). */
	ck_assert_int_eq(vm_mgr_resume(uos), 0);
	vcpu_pre_entry(v);
	expect_req(IOREQ_WRITE, DM + 1, 1, 0x22);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 1);
	ck_assert_int_eq(vm_mgr_check(uos), 0);
	/* Paused while waiting: it stays parked, and the completion is kept until resumed. */
	ck_assert_int_eq(vm_mgr_pause(uos), 0);
	ck_assert_uint_eq(v->paused_state, VCPU_STATE_WAIT_IO);
	complete(0);
	ck_assert_int_eq(vm_mgr_resume(uos), 0);
	vcpu_pre_entry(v);
	expect_done(CODE + 2);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RSI), LA_RAM + 2);
}
END_TEST

START_TEST(fault_after_completion)
{
	/* movsd from the device model to a page that is not present: #PF after the read. */
	vcpu_cache_fill(v, VCPU_RSI, LA_DM);
	vcpu_cache_fill(v, VCPU_RDI, LA_NP + 4);
	vcpu_cache_fill(v, VCPU_RFLAGS, 0x2);
	ck_assert_int_eq(RUN("\xa5", DM, false), EXIT_ACTION_WAIT_IO);
	expect_req(IOREQ_READ, DM, 4, 0);
	complete(0x1234);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	ck_assert(!v->mmio.active);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.vector, X86_PF);
	ck_assert_uint_eq(v->event.error_code, PF_EC_W);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR2), LA_NP + 4);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RSI), LA_DM);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDI), LA_NP + 4);
}
END_TEST

START_TEST(write_protect_in_between)
{
	/* movsd device model -> RAM the EPT write-protects: the read, a WP request, then the write. */
	ck_assert_int_eq(ept_write_protect(&uos->ept, 0x300000, 0x1000), 0);
	vcpu_cache_fill(v, VCPU_RSI, LA_DM);
	vcpu_cache_fill(v, VCPU_RDI, LA_RAM);
	vcpu_cache_fill(v, VCPU_RFLAGS, 0x2);
	ck_assert_int_eq(RUN("\xa5", DM, false), EXIT_ACTION_WAIT_IO);
	expect_req(IOREQ_READ, DM, 4, 0);
	complete(0x5678);
	ck_assert_uint_eq(v->state, VCPU_STATE_WAIT_IO);
	ck_assert_uint_eq(slot32(IOREQ_OFF_TYPE), IOREQ_TYPE_WP);
	ck_assert_uint_eq(slot64(IOREQ_OFF_ADDRESS), 0x300000);
	/* The device model lifts the protection; the read is not sent again. */
	ck_assert_int_eq(ept_write_unprotect(&uos->ept, 0x300000, 0x1000), 0);
	complete(0);
	expect_done(CODE + 1);
	uint32_t x;
	memcpy(&x, ram + 0x300000, 4);
	ck_assert_uint_eq(x, 0x5678);
}
END_TEST

START_TEST(new_state_abandons_the_instruction)
{
	/* A completion taken while paused, then HC_SET_VCPU_REGS: the old instruction does not go on. */
	vcpu_cache_fill(v, VCPU_RBX, LA_DM);
	ck_assert_int_eq(RUN("\x8b\x03", DM, false), EXIT_ACTION_WAIT_IO);
	ck_assert_int_eq(vm_mgr_pause(uos), 0);
	complete(0x42);
	ck_assert(v->mmio.resume);
	struct vcpu_load_state st;
	vm_mgr_reset_state(&st, 0);
	atomic_store32(&v->running, 0);
	ck_assert_int_eq(vm_mgr_set_vcpu_state(uos, 0, &st), 0);
	ck_assert(!v->mmio.resume);
	ck_assert(!v->mmio.active);
	ck_assert_int_eq(vm_mgr_resume(uos), 0);
	vcpu_pre_entry(v);
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
	ck_assert_uint_eq(slot32(IOREQ_OFF_STATE), IOREQ_FREE);   /* no request made */
	ck_assert(!vcpu_reg_dirty(v, VCPU_RAX));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("mmio_ioreq");
	TCase *t = tcase_create("core");
	tcase_add_checked_fixture(t, setup, 0);
	tcase_add_test(t, load_and_store);
	tcase_add_test(t, read_modify_write_two_requests);
	tcase_add_test(t, rep_movs_device_to_ram);
	tcase_add_test(t, rep_stos_and_movs_to_device);
	tcase_add_test(t, no_device_sees_an_access_twice);
	tcase_add_test(t, split_accesses);
	tcase_add_test(t, pause_in_between);
	tcase_add_test(t, fault_after_completion);
	tcase_add_test(t, write_protect_in_between);
	tcase_add_test(t, new_state_abandons_the_instruction);
	suite_add_tcase(s, t);
	return s;
}
