/* SPDX-License-Identifier: BSD-3-Clause */
/* INS/OUTS through 4-level paging: page crossings, faults mid-REP, batches, segments. */
#include <string.h>
#include "unit.h"
#include "exit_dispatch.h"
#include "ioreq.h"
#include "sim.h"
#include "string_io.h"
#include "x86.h"

static struct tern hv;
static struct vm *vm;
static struct vcpu *v;
static uint8_t *ram;

#define Q_OUT(port, size, rep) ((uint64_t)(port) << 16 | ((size) - 1) | (1u << 4) | ((rep) ? 1u << 5 : 0))
#define Q_IN(port, size, rep) (Q_OUT(port, size, rep) | (1u << 3))
#define INFO(asz, seg) (((asz) << 7) | ((seg) << 15))

static void put64(uint64_t gpa, uint64_t val)
{
	memcpy(ram + gpa, &val, 8);
}

/*
 * Linear 0x200000 -> GPA 0x8000, 0x201000 -> 0x6000 (not adjacent),
 * 0x202000 not present.
 */
static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	vm = sim_create_vm(&hv, "s", 1, true, 0x40000);
	vm->state = VM_STATE_RUNNING;
	v = &vm->vcpus[0];
	ram = sim_vm_ram(vm->id);
	put64(0x1000, 0x2000 | 7);   /* PML4[0] */
	put64(0x2000, 0x3000 | 7);   /* PDPT[0] */
	put64(0x3000 + 8, 0x4000 | 7); /* PD[1]: 0x200000-0x3fffff */
	put64(0x4000, 0x8000 | 7);   /* PT[0] */
	put64(0x4008, 0x6000 | 7);   /* PT[1] */
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_CR3, 0x1000);
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
}

static struct exit_record rec(uint64_t qual, uint32_t info)
{
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_IO_INSTRUCTION;
	ex.qualification = qual;
	ex.instr_info = info;
	ex.instr_len = 2;
	return ex;
}

START_TEST(test_outs_across_pages)
{
	memcpy(ram + 0x8ffe, "ab", 2);
	memcpy(ram + 0x6000, "cd", 2);
	vcpu_cache_fill(v, VCPU_RSI, 0x200ffe);
	vcpu_cache_fill(v, VCPU_RCX, 4);
	struct exit_record ex = rec(Q_OUT(0x3f8, 1, true), INFO(2, VCPU_DS));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_str_eq(sim_console(vm->id), "abcd");
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RSI), 0x201002);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1002);
}
END_TEST

START_TEST(test_ins_element_straddles_pages)
{
	/* insd from port 0x80 (all ones) at 0x200ffe: two bytes in each page. */
	vcpu_cache_fill(v, VCPU_RDI, 0x200ffe);
	struct exit_record ex = rec(Q_IN(0x80, 4, false), INFO(2, 0));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(ram[0x8ffe], 0xff);
	ck_assert_uint_eq(ram[0x8fff], 0xff);
	ck_assert_uint_eq(ram[0x6000], 0xff);
	ck_assert_uint_eq(ram[0x6001], 0xff);
	ck_assert_uint_eq(ram[0x6002], 0);
	ck_assert_uint_eq(ram[0x9000], 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDI), 0x201002);
	/* The walk set accessed and dirty in the PTEs (SDM 4.8). */
	ck_assert_uint_eq(ram[0x4000] & 0x60, 0x60);
}
END_TEST

START_TEST(test_page_fault_mid_rep)
{
	memcpy(ram + 0x6ffe, "xy", 2);
	vcpu_cache_fill(v, VCPU_RSI, 0x201ffe);
	vcpu_cache_fill(v, VCPU_RCX, 4);
	struct exit_record ex = rec(Q_OUT(0x3f8, 1, true), INFO(2, VCPU_DS));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	/* Two elements done; the third faults: registers say where it stopped. */
	ck_assert_str_eq(sim_console(vm->id), "xy");
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RSI), 0x202000);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 2);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.vector, X86_PF);
	ck_assert_uint_eq(v->event.error_code, 0); /* read, supervisor, not present */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR2), 0x202000);
}
END_TEST

START_TEST(test_batches_leave_rip)
{
	vcpu_cache_fill(v, VCPU_RDI, 0x200000);
	vcpu_cache_fill(v, VCPU_RCX, STRING_IO_BATCH + 5);
	struct exit_record ex = rec(Q_IN(0x80, 1, true), INFO(2, 0));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 5);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDI), 0x200000 + STRING_IO_BATCH);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	ck_assert(!v->event.valid);
	/* The guest re-executes; the rest completes and RIP moves on. */
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1002);
	ck_assert_uint_eq(ram[0x8000 + STRING_IO_BATCH + 4], 0xff);
	ck_assert_uint_eq(ram[0x8000 + STRING_IO_BATCH + 5], 0);
}
END_TEST

START_TEST(test_address_size_32_in_long_mode)
{
	/* addr32 rep outsb: ESI/ECX used, upper halves cleared on write-back. */
	memcpy(ram + 0x8000, "q", 1);
	vcpu_cache_fill(v, VCPU_RSI, 0xdead000000200000ull);
	vcpu_cache_fill(v, VCPU_RCX, 0xbeef000000000001ull);
	struct exit_record ex = rec(Q_OUT(0x3f8, 1, true), INFO(1, VCPU_DS));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_str_eq(sim_console(vm->id), "q");
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RSI), 0x200001);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 0);
}
END_TEST

START_TEST(test_non_canonical)
{
	vcpu_cache_fill(v, VCPU_RSI, 0x0000800000000000ull);
	struct exit_record ex = rec(Q_OUT(0x3f8, 1, false), INFO(2, VCPU_DS));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, X86_GP);
	/* Through SS: #SS(0). */
	setup();
	vcpu_cache_fill(v, VCPU_RSI, 0x00007fffffffffffull); /* last byte of a word crosses */
	ex = rec(Q_OUT(0x3f8, 2, false), INFO(2, VCPU_SS));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, X86_SS);
	ck_assert_uint_eq(v->event.error_code, 0);
	/* FS has a base in 64-bit mode. */
	setup();
	memcpy(ram + 0x8010, "f", 1);
	struct seg_desc fs = { 0, 0x200000, 0, 0xc093 };
	vcpu_cache_fill_seg(v, VCPU_FS, &fs);
	vcpu_cache_fill(v, VCPU_RSI, 0x10);
	ex = rec(Q_OUT(0x3f8, 1, false), INFO(2, VCPU_FS));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_str_eq(sim_console(vm->id), "f");
	/*
	 * DS has none (SDM Vol. 3A 3.4.4): a base left in its hidden part is
	 * ignored, both for the address (RSI alone) and for the canonical check
	 * (base + RSI would be canonical here, RSI is not).
	 */
	setup();
	memcpy(ram + 0x8020, "d", 1);
	struct seg_desc ds = { 0, 0xffff000000000000ull, 0, 0xc093 };
	vcpu_cache_fill_seg(v, VCPU_DS, &ds);
	vcpu_cache_fill(v, VCPU_RSI, 0x200020);
	ex = rec(Q_OUT(0x3f8, 1, false), INFO(2, VCPU_DS));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(!v->event.valid);
	ck_assert_str_eq(sim_console(vm->id), "d");
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
	vcpu_cache_fill(v, VCPU_RSI, 0x0000800000200020ull);
	ex = rec(Q_OUT(0x3f8, 1, false), INFO(2, VCPU_DS));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, X86_GP);
}
END_TEST

START_TEST(test_debug_exit_mid_string)
{
	memcpy(ram + 0x8000, "\x07\x08\x09", 3);
	vcpu_cache_fill(v, VCPU_RSI, 0x200000);
	vcpu_cache_fill(v, VCPU_RCX, 3);
	struct exit_record ex = rec(Q_OUT(0xf4, 1, true), INFO(2, VCPU_DS));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_GUEST_EXIT);
	ck_assert_uint_eq(vm->exit_status, 7);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 2);
}
END_TEST

/* An OUTSW element straddling two (non-adjacent) pages: its low byte from the first, high from the second. */
START_TEST(test_outs_element_straddles_pages)
{
	ram[0x8fff] = 0x0a;
	ram[0x6000] = 0x0b;
	vcpu_cache_fill(v, VCPU_RSI, 0x200fff);
	struct exit_record ex = rec(Q_OUT(0xf4, 2, false), INFO(2, VCPU_DS));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_GUEST_EXIT);
	ck_assert_uint_eq(vm->exit_status, 0x0b0a);
}
END_TEST

START_TEST(test_paging_structure_outside_ram)
{
	vcpu_cache_fill(v, VCPU_CR3, 0x7ffff000);
	vcpu_cache_fill(v, VCPU_RSI, 0x200000);
	struct exit_record ex = rec(Q_OUT(0x3f8, 1, false), INFO(2, VCPU_DS));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_BAD_MEMORY);
	ck_assert(sim_log_contains("outside the guest"));
}
END_TEST

START_TEST(test_impossible_instruction_info)
{
	const struct { bool long_mode; uint32_t info; } bad[] = {
		{ true, INFO(3, VCPU_DS) }, { true, INFO(7, VCPU_DS) },
		{ true, INFO(0, VCPU_DS) },   /* 16-bit addresses do not exist in 64-bit mode */
		{ false, INFO(2, VCPU_DS) },  /* 64-bit addresses only exist there */
		{ true, INFO(2, 6) }, { true, INFO(2, 7) },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup();
		if (!bad[i].long_mode)
			sim_vcpu_flat_state(v, false, 0);
		struct exit_record ex = rec(Q_OUT(0x3f8, 1, false), bad[i].info);
		ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
		ck_assert_uint_eq(vm->stop_cause, VM_STOP_INTERNAL);
		ck_assert(sim_log_contains("impossible instruction info"));
	}
}
END_TEST

/* 32-bit protected mode without paging: segment types and limits. */
static void prot32(void)
{
	sim_vcpu_flat_state(v, false, 0);
	vcpu_cache_fill(v, VCPU_CR0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
}

START_TEST(test_segment_rules)
{
	struct { uint32_t ar; uint32_t limit; uint64_t off; bool in; unsigned seg; bool ok; } c[] = {
		{ 0xc09b, 0xffffffff, 0x100, false, VCPU_CS, true },  /* readable code: OUTS ok */
		{ 0xc099, 0xffffffff, 0x100, false, VCPU_CS, false }, /* execute-only code */
		{ 0xc09b, 0xffffffff, 0x100, true, VCPU_ES, false },  /* INS into code */
		{ 0xc091, 0xffffffff, 0x100, false, VCPU_DS, true },  /* read-only data: OUTS ok */
		{ 0xc093 | (1u << 16), 0xffffffff, 0x100, false, VCPU_DS, false }, /* unusable */
		{ 0x4097, 0x0fff, 0x1000, false, VCPU_DS, true },     /* expand-down, above limit */
		{ 0x4097, 0x0fff, 0x0fff, false, VCPU_DS, false },    /* expand-down, at limit */
		{ 0x0097, 0x0fff, 0xffff, false, VCPU_DS, true },     /* expand-down 16-bit top */
		{ 0xc093, 0x0fff, 0x0fff, false, VCPU_SS, true },
		{ 0xc093, 0x0fff, 0x1000, false, VCPU_SS, false },    /* past the limit: #SS */
	};
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		setup();
		prot32();
		struct seg_desc d = { 0x10, 0, c[i].limit, c[i].ar };
		vcpu_cache_fill_seg(v, (enum vcpu_seg)c[i].seg, &d);
		vcpu_cache_fill(v, c[i].in ? VCPU_RDI : VCPU_RSI, c[i].off);
		struct exit_record ex = c[i].in ? rec(Q_IN(0x80, 1, false), INFO(1, 0))
						: rec(Q_OUT(0x3f8, 1, false), INFO(1, c[i].seg));
		ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
		if (c[i].ok) {
			ck_assert_msg(!v->event.valid, "case %u faulted", i);
			ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1002);
		} else {
			ck_assert_msg(v->event.valid, "case %u did not fault", i);
			ck_assert_uint_eq(v->event.vector, c[i].seg == VCPU_SS ? X86_SS : X86_GP);
			ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
		}
	}
}
END_TEST

START_TEST(test_real_mode_limit_only)
{
	sim_vcpu_flat_state(v, false, 0);
	vcpu_cache_fill(v, VCPU_CR0, X86_CR0_ET);
	struct seg_desc ds = { 0x1000, 0x10000, 0xffff, 0x93 };
	vcpu_cache_fill_seg(v, VCPU_DS, &ds);
	memcpy(ram + 0x10010, "r", 1);
	vcpu_cache_fill(v, VCPU_RSI, 0x10);
	struct exit_record ex = rec(Q_OUT(0x3f8, 1, false), INFO(0, VCPU_DS));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_str_eq(sim_console(vm->id), "r");
	/* Word at offset 0xffff crosses the 64 KiB limit: #GP. */
	vcpu_cache_fill(v, VCPU_RSI, 0xffff);
	ex = rec(Q_OUT(0x3f8, 2, false), INFO(0, VCPU_DS));
	vcpu_handle_exit(v, &ex);
	ck_assert_uint_eq(v->event.vector, X86_GP);
}
END_TEST

/* Guest memory that is not RAM (paging off, 32-bit): the VM stops, reported. */
START_TEST(test_memory_outside_ram)
{
	const struct { bool in; unsigned size; uint64_t off; } c[] = {
		{ true, 1, 0x7ffff000 },      /* INS, first byte outside */
		{ false, 1, 0x7ffff000 },     /* OUTS, first byte outside */
	};
	for (unsigned i = 0; i < 2; i++) {
		setup();
		sim_vcpu_flat_state(v, false, 0);
		vcpu_cache_fill(v, VCPU_CR0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
		vcpu_cache_fill(v, c[i].in ? VCPU_RDI : VCPU_RSI, c[i].off);
		struct exit_record ex = c[i].in ? rec(Q_IN(0x80, c[i].size, false), INFO(1, 0))
						: rec(Q_OUT(0x3f8, c[i].size, false), INFO(1, VCPU_DS));
		ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
		ck_assert_uint_eq(vm->stop_cause, VM_STOP_BAD_MEMORY);
	}
}
END_TEST

/* A page straddle whose second page is not RAM: the element never happens. */
START_TEST(test_straddle_into_non_ram)
{
	put64(0x4010, 0x7fff0000 | 7); /* PT[2]: la 0x202000 -> outside RAM */
	put64(0x4008, 0x6000 | 7);
	for (int in = 0; in < 2; in++) {
		vcpu_cache_reset(v);
		sim_vcpu_flat_state(v, true, 0);
		vcpu_cache_fill(v, VCPU_CR3, 0x1000);
		vm->state = VM_STATE_RUNNING;
		vcpu_cache_fill(v, in ? VCPU_RDI : VCPU_RSI, 0x201ffe);
		struct exit_record ex = in ? rec(Q_IN(0x80, 4, false), INFO(2, 0))
					   : rec(Q_OUT(0x3f8, 4, false), INFO(2, VCPU_DS));
		ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
		ck_assert_uint_eq(vm->stop_cause, VM_STOP_BAD_MEMORY);
	}
}
END_TEST

/* Virtual-8086 mode: limit checks only, like real mode. */
START_TEST(test_virtual_8086)
{
	sim_vcpu_flat_state(v, false, 3);
	vcpu_cache_fill(v, VCPU_CR0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
	vcpu_cache_fill(v, VCPU_RFLAGS, X86_RFLAGS_VM | 0x2);
	struct seg_desc es = { 0x2000, 0x20000, 0xffff, 0xf3 };
	vcpu_cache_fill_seg(v, VCPU_ES, &es);
	vcpu_cache_fill(v, VCPU_RDI, 0x10);
	struct exit_record ex = rec(Q_IN(0x80, 2, false), INFO(0, 0));
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(ram[0x20010], 0xff);
	ck_assert_uint_eq(ram[0x20011], 0xff);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDI), 0x12);
}
END_TEST

/* Ports nobody in the hypervisor claims go to the device model, one element per request. */
#define DM_PAGE 0x8000
static uint32_t dm_slot32(struct vm *sos, unsigned vcpu, unsigned off)
{
	uint32_t x;
	memcpy(&x, sim_vm_ram(sos->id) + DM_PAGE + vcpu * IOREQ_SLOT_SIZE + off, 4);
	return x;
}

static void dm_answer(struct vm *sos, unsigned vcpu, uint32_t value)
{
	uint8_t *slot = sim_vm_ram(sos->id) + DM_PAGE + vcpu * IOREQ_SLOT_SIZE;
	uint32_t st = IOREQ_COMPLETE;
	memcpy(slot + IOREQ_OFF_VALUE, &value, 4);
	memcpy(slot + IOREQ_OFF_STATE, &st, 4);
}

/* A Service VM and a User VM with its IOREQ page; the User vCPU in 32-bit protected mode at 0x1000. */
static struct vcpu *dm_vms(struct vm **sos, struct vm **uos)
{
	static struct tern hv2;
	sim_reset();
	tern_init(&hv2);
	*sos = sim_create_vm(&hv2, "sos", 1, true, 0x10000);
	*uos = sim_create_vm(&hv2, "uos", 1, false, 0x10000);
	ck_assert_int_eq(ioreq_set_buffer(*uos, DM_PAGE), 0);
	struct vcpu *u = &(*uos)->vcpus[0];
	sim_vcpu_flat_state(u, false, 0);
	vcpu_cache_fill(u, VCPU_CR0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
	vcpu_cache_fill(u, VCPU_RIP, 0x1000);
	return u;
}

START_TEST(test_rep_ins_through_device_model)
{
	struct vm *sos, *uos;
	struct vcpu *u = dm_vms(&sos, &uos);
	uint8_t *uram = sim_vm_ram(uos->id);
	vcpu_cache_fill(u, VCPU_RDI, 0x3000);
	vcpu_cache_fill(u, VCPU_RCX, 2);
	/* rep insw from 0x1f0 (an ATA data port in the device model). */
	struct exit_record ex = rec(Q_IN(0x1f0, 2, true), INFO(1, 0));
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_DIRECTION), IOREQ_READ);
	ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_ADDRESS), 0x1f0);
	dm_answer(sos, 0, 0xbeef);
	ck_assert_int_eq(ioreq_complete(uos, 0), 0);
	vcpu_pre_entry(u); /* the post-work runs on the vCPU, before its entry */
	ck_assert_uint_eq(uram[0x3000], 0xef);
	ck_assert_uint_eq(uram[0x3001], 0xbe);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RDI), 0x3002);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RCX), 1);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RIP), 0x1000); /* re-executed for the next element */
	/* Second element: the count runs out, RIP moves on. */
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_WAIT_IO);
	dm_answer(sos, 0, 0x1234);
	ck_assert_int_eq(ioreq_complete(uos, 0), 0);
	vcpu_pre_entry(u); /* the post-work runs on the vCPU, before its entry */
	ck_assert_uint_eq(uram[0x3002], 0x34);
	ck_assert_uint_eq(uram[0x3003], 0x12);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RCX), 0);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RIP), 0x1002);
	/* outsb to the device model: the byte from memory is the request's value. */
	uram[0x4000] = 0x5a;
	vcpu_cache_fill(u, VCPU_RSI, 0x4000);
	struct seg_desc ds = { 0x10, 0, 0xffffffff, 0xc093 };
	vcpu_cache_fill_seg(u, VCPU_DS, &ds);
	ex = rec(Q_OUT(0x1f7, 1, false), INFO(1, VCPU_DS));
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_DIRECTION), IOREQ_WRITE);
	ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_VALUE), 0x5a);
	dm_answer(sos, 0, 0);
	ck_assert_int_eq(ioreq_complete(uos, 0), 0);
	vcpu_pre_entry(u); /* the post-work runs on the vCPU, before its entry */
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RSI), 0x4001);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RIP), 0x1004);
	/* REP with ECX = 0: no request at all. */
	vcpu_cache_fill(u, VCPU_RCX, 0);
	ex = rec(Q_IN(0x1f0, 2, true), INFO(1, 0));
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RIP), 0x1006);
	/* A fault before the request: nothing is sent. */
	struct seg_desc es_ro = { 0x10, 0, 0xffffffff, 0xc091 };
	vcpu_cache_fill_seg(u, VCPU_ES, &es_ro);
	vcpu_cache_fill(u, VCPU_RCX, 1);
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(u->event.vector, X86_GP);
	ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_STATE), IOREQ_FREE);
	/* An element outside guest RAM: the VM stops. */
	memset(&u->event, 0, sizeof(u->event));
	struct seg_desc es = { 0x10, 0, 0xffffffff, 0xc093 };
	vcpu_cache_fill_seg(u, VCPU_ES, &es);
	vcpu_cache_fill(u, VCPU_RDI, 0x7fff0000);
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(uos->stop_cause, VM_STOP_BAD_MEMORY);
}
END_TEST

/*
 * INS/OUTS on the PCI configuration ports (pci_cfg.h): OUTSD to 0xCF8 sets
 * the latch here, CONFIG_DATA becomes PCICFG requests naming
 * bus/device/function/register (one element each), or reads all ones.
 */
START_TEST(test_pci_config_strings)
{
	struct vm *sos, *uos;
	struct vcpu *u = dm_vms(&sos, &uos);
	uint8_t *uram = sim_vm_ram(uos->id);
	struct seg_desc ds = { 0x10, 0, 0xffffffff, 0xc093 };
	vcpu_cache_fill_seg(u, VCPU_DS, &ds);

	/* outsd: 00:03.1 register 0x10, enabled, into the latch; nothing goes out. */
	uint32_t cf8 = 0x80000000u | 3u << 11 | 1u << 8 | 0x10u;
	memcpy(uram + 0x4000, &cf8, 4);
	vcpu_cache_fill(u, VCPU_RSI, 0x4000);
	struct exit_record ex = rec(Q_OUT(0xcf8, 4, false), INFO(1, VCPU_DS));
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(uos->pci_cf8, cf8);
	ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_STATE), IOREQ_FREE);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RSI), 0x4004);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RIP), 0x1002);

	/* rep insw from 0xCFE: two PCICFG reads of register 0x12. */
	vcpu_cache_fill(u, VCPU_RDI, 0x3000);
	vcpu_cache_fill(u, VCPU_RCX, 2);
	ex = rec(Q_IN(0xcfe, 2, true), INFO(1, 0));
	for (unsigned i = 0; i < 2; i++) {
		vcpu_cache_fill(u, VCPU_RIP, 0x1000);
		ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_WAIT_IO);
		ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_TYPE), IOREQ_TYPE_PCICFG);
		ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_DIRECTION), IOREQ_READ);
		ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_SIZE), 2);
		ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_PCI_BUS), 0);
		ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_PCI_DEV), 3);
		ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_PCI_FUNC), 1);
		ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_PCI_REG), 0x12);
		dm_answer(sos, 0, 0xabcd0000u | (0x1111u * (i + 1)));
		ck_assert_int_eq(ioreq_complete(uos, 0), 0);
		vcpu_pre_entry(u);
	}
	ck_assert_uint_eq(uram[0x3000], 0x11);
	ck_assert_uint_eq(uram[0x3001], 0x11);
	ck_assert_uint_eq(uram[0x3002], 0x22);
	ck_assert_uint_eq(uram[0x3003], 0x22);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RCX), 0);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RIP), 0x1002);

	/* outsb to 0xCFD: a PCICFG write of register 0x11 with the byte. */
	uram[0x4004] = 0x7e;
	ex = rec(Q_OUT(0xcfd, 1, false), INFO(1, VCPU_DS));
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_TYPE), IOREQ_TYPE_PCICFG);
	ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_DIRECTION), IOREQ_WRITE);
	ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_PCI_REG), 0x11);
	ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_VALUE), 0x7e);
	dm_answer(sos, 0, 0);
	ck_assert_int_eq(ioreq_complete(uos, 0), 0);
	vcpu_pre_entry(u);
	ck_assert_uint_eq(vcpu_get_reg(u, VCPU_RSI), 0x4005);

	/* insd 0xCF8 reads the latch back; with the latch disabled CONFIG_DATA reads all ones. */
	vcpu_cache_fill(u, VCPU_RDI, 0x3010);
	ex = rec(Q_IN(0xcf8, 4, false), INFO(1, 0));
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(uram[0x3013], 0x80);
	ck_assert_uint_eq(uram[0x3011], 0x19);
	uos->pci_cf8 = 0;
	vcpu_cache_fill(u, VCPU_RDI, 0x3020);
	ex = rec(Q_IN(0xcfc, 4, false), INFO(1, 0));
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(dm_slot32(sos, 0, IOREQ_OFF_STATE), IOREQ_FREE);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(uram[0x3020 + i], 0xff);
	/* Without a device model an enabled CONFIG_DATA reads all ones too. */
	uos->pci_cf8 = cf8;
	uos->ioreq_valid = false;
	vcpu_cache_fill(u, VCPU_RDI, 0x3030);
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_RESUME);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(uram[0x3030 + i], 0xff);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("string_io");
	TCase *tc = tcase_create("string_io");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_outs_across_pages);
	tcase_add_test(tc, test_ins_element_straddles_pages);
	tcase_add_test(tc, test_page_fault_mid_rep);
	tcase_add_test(tc, test_batches_leave_rip);
	tcase_add_test(tc, test_address_size_32_in_long_mode);
	tcase_add_test(tc, test_non_canonical);
	tcase_add_test(tc, test_debug_exit_mid_string);
	tcase_add_test(tc, test_outs_element_straddles_pages);
	tcase_add_test(tc, test_paging_structure_outside_ram);
	tcase_add_test(tc, test_impossible_instruction_info);
	tcase_add_test(tc, test_segment_rules);
	tcase_add_test(tc, test_real_mode_limit_only);
	tcase_add_test(tc, test_memory_outside_ram);
	tcase_add_test(tc, test_straddle_into_non_ram);
	tcase_add_test(tc, test_virtual_8086);
	tcase_add_test(tc, test_rep_ins_through_device_model);
	tcase_add_test(tc, test_pci_config_strings);
	suite_add_tcase(s, tc);
	return s;
}
