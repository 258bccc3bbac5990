/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The MMIO exit path end to end in the simulator: a guest with real page
 * tables and code in its RAM touches the test device at 0xC0000000; the
 * EPT-violation exit fetches, decodes and emulates the instruction. The
 * tests look at what the guest would see: registers, RIP, the device's
 * scratch and counter, guest RAM, and the event injected.
 */
#include <string.h>
#include "unit.h"
#include "err.h"
#include "exit_dispatch.h"
#include "mmio.h"
#include "insn_emulate.h"
#include "intr.h"
#include "page_walk.h"
#include "retire.h"
#include "sim.h"
#include "testdev.h"
#include "vm.h"
#include "vm_memory.h"
#include "ept.h"
#include "x86.h"

#define RAM_SIZE (16u << 20)
#define CODE 0x10000ull
#define TD TESTDEV_GPA

static struct tern hv;
static struct vm *vm;
static struct vcpu *v;
static uint8_t *ram;

static void put64(uint64_t gpa, uint64_t x) { memcpy(ram + gpa, &x, 8); }

/* 64-bit page tables: 0-1 GiB identity (1 GiB page); 3-4 GiB through 4 KiB pages. */
static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	vm = sim_create_vm(&hv, "mmio", 1, false, RAM_SIZE);
	ck_assert_ptr_nonnull(vm);
	ram = sim_vm_ram(vm->id);
	v = &vm->vcpus[0];
	put64(0x1000, 0x2000 | PTE_P | PTE_RW);
	put64(0x2000, 0x0 | PTE_P | PTE_RW | PTE_PS);
	put64(0x2000 + 3 * 8, 0x3000 | PTE_P | PTE_RW);
	put64(0x3000, 0x4000 | PTE_P | PTE_RW);
	put64(0x4000, TD | PTE_P | PTE_RW);                /* LA 0xC0000000 -> testdev */
	put64(0x4000 + 8, 0x300000 | PTE_P | PTE_RW);      /* LA 0xC0001000 -> RAM */
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_CR3, 0x1000);
	vcpu_cache_fill(v, VCPU_RIP, CODE);
	vm->state = VM_STATE_RUNNING;
}

static struct exit_record ept_exit(uint64_t gpa)
{
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_EPT_VIOLATION;
	ex.qualification = EPT_QUAL_READ | EPT_QUAL_LA_VALID | EPT_QUAL_LA_XLATED;
	ex.guest_physical = gpa;
	return ex;
}

/* Put the instruction at RIP and take the exit. */
static enum exit_action run_at(uint64_t rip, const char *bytes, unsigned n)
{
	struct exit_record ex = ept_exit(TD);
	memcpy(ram + rip, bytes, n);
	vcpu_cache_fill(v, VCPU_RIP, rip);
	return vcpu_handle_exit(v, &ex);
}

static enum exit_action run(const char *bytes, unsigned n)
{
	return run_at(CODE, bytes, n);
}

#define RUN(s) run(s, sizeof(s) - 1)

START_TEST(registry)
{
	static const struct mmio_dev_ops none = { 0, 0 };
	const struct mmio_range *r = mmio_find(vm, TD + 0xfff);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->name, "testdev");
	ck_assert_ptr_null(mmio_find(vm, TD + 0x1000));
	ck_assert_ptr_null(mmio_find(vm, TD - 1));
	const struct mmio_dev_ops *ops = r->ops;
	ck_assert_int_eq(mmio_register(vm, TD + 0x800, 0x1000, ops, 0, "x"), -TERN_EEXIST);
	ck_assert_int_eq(mmio_register(vm, TD - 0x800, 0x1000, ops, 0, "x"), -TERN_EEXIST);
	ck_assert_int_eq(mmio_register(vm, 0x1000, 0, ops, 0, "x"), -TERN_EINVAL);
	ck_assert_int_eq(mmio_register(vm, ~0ull - 10, 0x100, ops, 0, "x"), -TERN_EINVAL);
	ck_assert_int_eq(mmio_register(vm, 0x1000, 0x10, &none, 0, "x"), -TERN_EINVAL);
	ck_assert_int_eq(mmio_register(vm, 0x1000, 0x10, NULL, 0, "x"), -TERN_EINVAL);
	/* The testdev and the IOAPIC (vm_irq.c) are there from the VM's creation. */
	ck_assert_ptr_nonnull(mmio_find(vm, 0xfec00000ull));
	for (unsigned i = 2; i < MMIO_MAX_RANGES; i++)
		ck_assert_int_eq(mmio_register(vm, 0xd0000000ull + i * 0x1000, 0x1000, ops, 0, "x"), 0);
	ck_assert_int_eq(mmio_register(vm, 0xe0000000ull, 0x1000, ops, 0, "x"), -TERN_ENOSPC);
}
END_TEST

START_TEST(mov_load_store_64)
{
	vcpu_cache_fill(v, VCPU_RBX, TD);
	ck_assert_int_eq(RUN("\x8b\x03"), EXIT_ACTION_RESUME);              /* mov eax,[rbx] */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), TESTDEV_ID_VALUE);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE + 2);
	ck_assert(!v->event.valid);
	/* "TERN" in memory, byte by byte. */
	ck_assert_int_eq(RUN("\x8a\x4b\x03"), EXIT_ACTION_RESUME);          /* mov cl,[rbx+3] */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX) & 0xff, 'N');
	ck_assert_int_eq(RUN("\x8b\x53\x08"), EXIT_ACTION_RESUME);          /* mov edx,[rbx+8] */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDX), 1);
	/* 64-bit store to scratch and load back through another encoding. */
	vcpu_cache_fill(v, VCPU_RCX, 0x1122334455667788ull);
	ck_assert_int_eq(RUN("\x48\x89\x8b\x00\x01\x00\x00"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vm->testdev.scratch[0], 0x88);
	ck_assert_uint_eq(vm->testdev.scratch[7], 0x11);
	vcpu_cache_fill(v, VCPU_RSI, 0x80);
	ck_assert_int_eq(RUN("\x4c\x8b\x44\x73\x00"), EXIT_ACTION_RESUME);  /* mov r8,[rbx+rsi*2] */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_R8), 0x1122334455667788ull);
	/* The counter: five accesses before this one. */
	ck_assert_int_eq(RUN("\x48\x8b\x43\x10"), EXIT_ACTION_RESUME);      /* mov rax,[rbx+16] */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 5);
	ck_assert_uint_eq(vm->testdev.count, 6);
	/* Writes to read-only registers are ignored. */
	ck_assert_int_eq(RUN("\xc7\x03\x00\x00\x00\x00"), EXIT_ACTION_RESUME); /* mov dword [rbx],0 */
	ck_assert_int_eq(RUN("\x8b\x03"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), TESTDEV_ID_VALUE);
}
END_TEST

START_TEST(rmw_and_moffs)
{
	vcpu_cache_fill(v, VCPU_RBX, TD + 0x200);
	vm->testdev.scratch[0x100] = 0xff;
	/* add dword [rbx],1: carry out of the low byte. */
	ck_assert_int_eq(RUN("\x83\x03\x01"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vm->testdev.scratch[0x100], 0);
	ck_assert_uint_eq(vm->testdev.scratch[0x101], 1);
	/* lock bts dword [rbx],31 */
	ck_assert_int_eq(RUN("\xf0\x0f\xba\x2b\x1f"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vm->testdev.scratch[0x103], 0x80);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RFLAGS) & 1, 0);
	/* mov al,[moffs64] (A0) */
	ck_assert_int_eq(RUN("\xa0\x03\x02\x00\xc0\x00\x00\x00\x00"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX) & 0xff, 0x80);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE + 9);
}
END_TEST

START_TEST(rep_movs_between_device_and_ram)
{
	for (unsigned i = 0; i < 32; i++)
		vm->testdev.scratch[i] = (uint8_t)(0xa0 + i);
	vcpu_cache_fill(v, VCPU_RSI, TD + 0x100);
	vcpu_cache_fill(v, VCPU_RDI, 0x200000);
	vcpu_cache_fill(v, VCPU_RCX, 8);
	ck_assert_int_eq(RUN("\xf3\x48\xa5"), EXIT_ACTION_RESUME);          /* rep movsq */
	for (unsigned i = 0; i < 32; i++)
		ck_assert_uint_eq(ram[0x200000 + i], 0xa0 + i);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RSI), TD + 0x140);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDI), 0x200040);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE + 3);
	/* rep stosb into the device. */
	vcpu_cache_fill(v, VCPU_RAX, 0x5a);
	vcpu_cache_fill(v, VCPU_RDI, TD + 0x300);
	vcpu_cache_fill(v, VCPU_RCX, 3);
	ck_assert_int_eq(RUN("\xf3\xaa"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vm->testdev.scratch[0x200], 0x5a);
	ck_assert_uint_eq(vm->testdev.scratch[0x202], 0x5a);
	ck_assert_uint_eq(vm->testdev.scratch[0x203], 0);
}
END_TEST

START_TEST(straddling_the_page_end)
{
	/* 4 bytes at 0xffe: two to the device, two to the next page (RAM). */
	vcpu_cache_fill(v, VCPU_RBX, TD + 0xffe);
	vcpu_cache_fill(v, VCPU_RAX, 0xddccbbaa);
	ck_assert_int_eq(RUN("\x89\x03"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vm->testdev.scratch[0xefe], 0xaa);
	ck_assert_uint_eq(vm->testdev.scratch[0xeff], 0xbb);
	ck_assert_uint_eq(ram[0x300000], 0xcc);
	ck_assert_uint_eq(ram[0x300001], 0xdd);
	vcpu_cache_fill(v, VCPU_RAX, 0);
	ck_assert_int_eq(RUN("\x8b\x03"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0xddccbbaa);
	/* The next page unmapped: #PF for its address, nothing written. */
	put64(0x4000 + 8, 0);
	vcpu_cache_fill(v, VCPU_RAX, 0x11111111);
	ck_assert_int_eq(RUN("\x89\x03"), EXIT_ACTION_RESUME);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.vector, 14);
	ck_assert_uint_eq(v->event.error_code, PF_EC_W);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR2), TD + 0x1000);
	ck_assert_uint_eq(vm->testdev.scratch[0xefe], 0xaa);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE);
}
END_TEST

START_TEST(data_page_fault)
{
	/* Device page read-only with CR0.WP: a write faults with P|W, a read works. */
	put64(0x4000, TD | PTE_P);
	vcpu_cache_fill(v, VCPU_CR0, 0x80010011ull);
	vcpu_cache_fill(v, VCPU_RBX, TD + 0x100);
	ck_assert_int_eq(RUN("\x89\x03"), EXIT_ACTION_RESUME);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.vector, 14);
	ck_assert_uint_eq(v->event.error_code, PF_EC_P | PF_EC_W);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR2), TD + 0x100);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE);
	/* A read-modify-write faults before the device sees the read. */
	uint64_t before = vm->testdev.count;
	v->event.valid = false;
	ck_assert_int_eq(RUN("\x01\x03"), EXIT_ACTION_RESUME);              /* add [rbx],eax */
	ck_assert_uint_eq(v->event.error_code, PF_EC_P | PF_EC_W);
	ck_assert_uint_eq(vm->testdev.count, before);
	v->event.valid = false;
	ck_assert_int_eq(RUN("\x8b\x03"), EXIT_ACTION_RESUME);
	ck_assert(!v->event.valid);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE + 2);
}
END_TEST

START_TEST(fetch_across_pages)
{
	/* mov eax,[rbx+0x100] split 3|3 over the 0x5ffd..0x6002 boundary (identity map). */
	vcpu_cache_fill(v, VCPU_RBX, TD);
	ck_assert_int_eq(run_at(0x5ffd, "\x8b\x83\x00\x01\x00\x00", 6), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x6003);
	/* Code in 4 KiB pages at LA 0xC0001000 (RAM 0x300000) whose next page is absent. */
	put64(0x4000 + 8, 0x300000 | PTE_P | PTE_RW);
	memcpy(ram + 0x300ffe, "\x8b\x83", 2);
	vcpu_cache_fill(v, VCPU_RIP, 0xC0001ffeull);
	vcpu_cache_fill(v, VCPU_EFER, 0xd00);                            /* LME|LMA|NXE */
	struct exit_record ex = ept_exit(TD);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.vector, 14);
	ck_assert_uint_eq(v->event.error_code, PF_EC_ID);   /* not present, fetch, NXE */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR2), 0xC0002000ull);
	/* A 2-byte instruction that ends at the page end needs no second page. */
	v->event.valid = false;
	memcpy(ram + 0x300ffe, "\x8b\x03", 2);
	vcpu_cache_fill(v, VCPU_RIP, 0xC0001ffeull);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(!v->event.valid);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), TESTDEV_ID_VALUE);
}
END_TEST

START_TEST(faults_ud_gp)
{
	vcpu_cache_fill(v, VCPU_RBX, TD);
	/* mul dword [rbx]: not emulated -> #UD, RIP unchanged. */
	ck_assert_int_eq(RUN("\xf7\x23"), EXIT_ACTION_RESUME);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.vector, 6);
	ck_assert(!v->event.has_error);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE);
	/* lock mov: #UD. */
	v->event.valid = false;
	ck_assert_int_eq(RUN("\xf0\x89\x03"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, 6);
	/* 15 prefixes + opcode: longer than 15 bytes -> #GP(0). */
	v->event.valid = false;
	ck_assert_int_eq(RUN("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x89\x03"),
			 EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, 13);
	ck_assert(v->event.has_error);
	ck_assert_uint_eq(v->event.error_code, 0);
	/* Non-canonical address -> #GP(0); via RBP -> #SS(0). */
	v->event.valid = false;
	vcpu_cache_fill(v, VCPU_RBX, 0x0000800000000000ull);
	ck_assert_int_eq(RUN("\x8b\x03"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, 13);
	v->event.valid = false;
	vcpu_cache_fill(v, VCPU_RBP, 0x0000800000000000ull);
	ck_assert_int_eq(RUN("\x8b\x45\x00"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, 12);
}
END_TEST

START_TEST(not_emulated_stops)
{
	struct exit_record ex = ept_exit(0x50000000);
	memcpy(ram + CODE, "\x8b\x03", 2);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_BAD_MEMORY);
}
END_TEST

START_TEST(fetch_and_walk_exits_stop)
{
	struct exit_record ex = ept_exit(TD);
	ex.qualification = EPT_QUAL_FETCH | EPT_QUAL_LA_VALID | EPT_QUAL_LA_XLATED;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	setup();
	ex.qualification = EPT_QUAL_READ | EPT_QUAL_LA_VALID;   /* during the guest's page walk */
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	/* Code outside RAM: the fetch cannot complete. */
	setup();
	vcpu_cache_fill(v, VCPU_RIP, 0x3000000);
	ex = ept_exit(TD);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	/* A data access that lands outside RAM and every device. */
	setup();
	put64(0x4000 + 8, 0x7000000 | PTE_P | PTE_RW);
	vcpu_cache_fill(v, VCPU_RBX, TD + 0x1000);
	ck_assert_int_eq(RUN("\x8b\x03"), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_BAD_MEMORY);
}
END_TEST

START_TEST(protected_32bit_no_paging)
{
	/* Flat 32-bit protected mode, paging off: mov eax,[moffs32]. */
	sim_vcpu_flat_state(v, false, 0);
	vcpu_cache_fill(v, VCPU_CR0, 0x11);
	ck_assert_int_eq(RUN("\xa1\x08\x00\x00\xc0"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 1);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE + 5);
	/* A read-only data segment: a write is #GP(0). */
	struct seg_desc ds = { 0x10, 0, 0xffffffff, 0xc091 };
	vcpu_cache_fill_seg(v, VCPU_DS, &ds);
	ck_assert_int_eq(RUN("\xa3\x00\x01\x00\xc0"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, 13);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE);
}
END_TEST

START_TEST(real_mode_16bit)
{
	/* Real mode (unrestricted guest) with DS.base at the device. */
	sim_vcpu_flat_state(v, false, 0);
	vcpu_cache_fill(v, VCPU_CR0, 0x10);
	struct seg_desc cs = { 0x1000, 0x10000, 0xffff, 0x9b };
	struct seg_desc ds = { 0xc000, TD, 0xffff, 0x93 };
	vcpu_cache_fill_seg(v, VCPU_CS, &cs);
	vcpu_cache_fill_seg(v, VCPU_DS, &ds);
	vcpu_cache_fill(v, VCPU_RBX, 4);
	vcpu_cache_fill(v, VCPU_RSI, 2);
	memcpy(ram + 0x10000, "\x8b\x40\x02", 3);                        /* mov ax,[bx+si+2] */
	vcpu_cache_fill(v, VCPU_RIP, 0);
	struct exit_record ex = ept_exit(TD + 8);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(!v->event.valid);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 1);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 3);
	/* Offsets wrap at 64 KiB (0xfffe+2+2 = 2): a read of [2]. */
	vcpu_cache_fill(v, VCPU_RBX, 0xfffe);
	vcpu_cache_fill(v, VCPU_RIP, 0);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(!v->event.valid);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x4e52);
	/* A word at 0xffff runs past the 64 KiB limit: #GP(0). */
	vcpu_cache_fill(v, VCPU_RBX, 0xfffd);
	vcpu_cache_fill(v, VCPU_RSI, 0);
	vcpu_cache_fill(v, VCPU_RIP, 0);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, 13);
}
END_TEST

START_TEST(interrupt_shadow_ends)
{
	vcpu_cache_fill(v, VCPU_RBX, TD);
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, 3);
	ck_assert_int_eq(RUN("\x8b\x03"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), 0);
}
END_TEST

/* A completed MMIO instruction retires like any other (core/retire.h); a partial REP or a fault does not. */
START_TEST(retirement)
{
	const uint64_t tf_rf = X86_RFLAGS_FIXED1 | X86_RFLAGS_TF | X86_RFLAGS_RF;

	/* mov [rbx], eax with TF, RF and the STI shadow. */
	vcpu_cache_fill(v, VCPU_RBX, TD + 0x100);
	vcpu_cache_fill(v, VCPU_RAX, 0x11223344);
	vcpu_cache_fill(v, VCPU_RFLAGS, tf_rf);
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, INTR_STATE_STI);
	ck_assert_int_eq(RUN("\x89\x03"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vm->testdev.scratch[0], 0x44);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE + 2);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RFLAGS), tf_rf & ~X86_RFLAGS_RF);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_PENDING_DBG), PENDING_DBG_BS);

	/* rep stosb of 5000 bytes: the emulator stops after 4096; RIP stays, nothing retires. */
	vcpu_cache_reset(v);
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_CR3, 0x1000);
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, INTR_STATE_STI);
	vcpu_cache_fill(v, VCPU_RDI, 0xC0001000ull);
	vcpu_cache_fill(v, VCPU_RCX, 5000);
	ck_assert_int_eq(RUN("\xf3\xaa"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 5000 - EMUL_MAX_REP_DEFAULT);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	ck_assert(!vcpu_reg_dirty(v, VCPU_RFLAGS));
	ck_assert(!vcpu_reg_dirty(v, VCPU_INTERRUPTIBILITY));
	ck_assert(!vcpu_reg_dirty(v, VCPU_PENDING_DBG));

	/* Single-stepped: one iteration, then the trap with RIP on the instruction and RF set. */
	vcpu_cache_reset(v);
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_CR3, 0x1000);
	vcpu_cache_fill(v, VCPU_RFLAGS, X86_RFLAGS_FIXED1 | X86_RFLAGS_TF);
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, INTR_STATE_STI);
	vcpu_cache_fill(v, VCPU_RDI, 0xC0001000ull);
	vcpu_cache_fill(v, VCPU_RCX, 3);
	ck_assert_int_eq(RUN("\xf3\xaa"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 2);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDI), 0xC0001001ull);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RFLAGS), X86_RFLAGS_FIXED1 | X86_RFLAGS_TF | X86_RFLAGS_RF);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_PENDING_DBG), PENDING_DBG_BS);
	ck_assert(!vcpu_reg_dirty(v, VCPU_INTERRUPTIBILITY));
	/* The last iteration retires: RIP on, RF clear, the trap again, the shadow over. */
	vcpu_cache_reset(v);
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_CR3, 0x1000);
	vcpu_cache_fill(v, VCPU_RFLAGS, X86_RFLAGS_FIXED1 | X86_RFLAGS_TF | X86_RFLAGS_RF);
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, INTR_STATE_STI);
	vcpu_cache_fill(v, VCPU_RDI, 0xC0001002ull);
	vcpu_cache_fill(v, VCPU_RCX, 1);
	ck_assert_int_eq(RUN("\xf3\xaa"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE + 2);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RFLAGS), X86_RFLAGS_FIXED1 | X86_RFLAGS_TF);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_PENDING_DBG), PENDING_DBG_BS);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_INTERRUPTIBILITY), 0);

	/* A store to a page that is not present: #PF, nothing retired. */
	vcpu_cache_reset(v);
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_CR3, 0x1000);
	vcpu_cache_fill(v, VCPU_RFLAGS, tf_rf);
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, INTR_STATE_STI);
	vcpu_cache_fill(v, VCPU_RBX, 0xC0002000ull);
	ck_assert_int_eq(RUN("\x89\x03"), EXIT_ACTION_RESUME);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.vector, X86_PF);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	ck_assert(!vcpu_reg_dirty(v, VCPU_RFLAGS));
	ck_assert(!vcpu_reg_dirty(v, VCPU_INTERRUPTIBILITY));
	ck_assert(!vcpu_reg_dirty(v, VCPU_PENDING_DBG));
}
END_TEST

START_TEST(double_fault_to_triple)
{
	/* A #PF while a #DF is queued: triple fault, the VM shuts down. */
	put64(0x4000, TD | PTE_P);
	vcpu_cache_fill(v, VCPU_CR0, 0x80010011ull);
	vcpu_cache_fill(v, VCPU_RBX, TD);
	struct exit_record ex = ept_exit(TD);
	ex.idt_vectoring_info = INTR_INFO_VALID | (INTR_TYPE_HW_EXCEPTION << 8) | 8 | INTR_INFO_HAS_ERROR;
	memcpy(ram + CODE, "\x89\x03", 2);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_TRIPLE_FAULT);
}
END_TEST

/*
 * A 4-byte device register right after RAM, in the same page: an access
 * that spans both is split at the range boundary, and each part carries its
 * own bytes of the operand (RAM the low ones, the device the high ones, or
 * the other way round).
 */
#define REG_GPA 0x250000ull
struct reg_dev {
	unsigned writes, reads;
	uint64_t off, val;
	unsigned size;
};

static int reg_write(struct vm *m, void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct reg_dev *d = opaque;
	(void)m;
	d->writes++;
	d->off = off;
	d->size = size;
	d->val = val;
	return 0;
}

static int reg_read(struct vm *m, void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
	struct reg_dev *d = opaque;
	(void)m;
	d->reads++;
	d->off = off;
	d->size = size;
	*val = 0xd4d3d2d1ull >> (8 * off);
	return 0;
}

START_TEST(access_spanning_ram_and_device)
{
	static const struct mmio_dev_ops reg_ops = { reg_read, reg_write };
	struct reg_dev d = { 0 };

	/* A device never sits over RAM: its page first leaves the VM's RAM. */
	ck_assert_int_eq(mmio_register(vm, REG_GPA, 4, &reg_ops, &d, "reg"), -TERN_EEXIST);
	ck_assert_int_eq(ept_unmap(&vm->ept, REG_GPA, 0x1000), 0);
	ck_assert_int_eq(mmio_register(vm, REG_GPA, 4, &reg_ops, &d, "reg"), 0);
	/* ... and RAM is not mapped over a device. */
	ck_assert_int_eq(vm_memory_map(vm, REG_GPA, vm->config.ram_hpa + REG_GPA, 0x1000,
				       EPT_RWX, EPT_MT_WB), -TERN_EEXIST);
	/* mov [rbx], rax at the end of the RAM page before: 4 bytes to RAM, then 4 to the register. */
	vcpu_cache_fill(v, VCPU_RBX, REG_GPA - 4);
	vcpu_cache_fill(v, VCPU_RAX, 0x8877665544332211ull);
	ck_assert_int_eq(RUN("\x48\x89\x03"), EXIT_ACTION_RESUME);
	ck_assert_mem_eq(ram + REG_GPA - 4, "\x11\x22\x33\x44", 4);
	ck_assert_uint_eq(d.writes, 1);
	ck_assert_uint_eq(d.off, 0);
	ck_assert_uint_eq(d.size, 4);
	ck_assert_uint_eq(d.val, 0x88776655);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), CODE + 3);

	/* mov [rbx], ax at the register's upper half. */
	vcpu_cache_fill(v, VCPU_RBX, REG_GPA + 2);
	ck_assert_int_eq(RUN("\x66\x89\x03"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(d.writes, 2);
	ck_assert_uint_eq(d.off, 2);
	ck_assert_uint_eq(d.size, 2);
	ck_assert_uint_eq(d.val, 0x2211);

	/* And back: mov rax, [rbx] 4 bytes before the register: RAM 4, the register 4. */
	memcpy(ram + REG_GPA - 2, "\xa1\xa2", 2);
	vcpu_cache_fill(v, VCPU_RBX, REG_GPA - 4);
	vcpu_cache_fill(v, VCPU_RAX, 0);
	ck_assert_int_eq(RUN("\x48\x8b\x03"), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0xd4d3d2d1a2a12211ull);
	ck_assert_uint_eq(d.reads, 1);
	ck_assert_uint_eq(d.size, 4);
	/* Past the register, the page holds neither RAM nor a device: no device model, the VM stops. */
	vcpu_cache_fill(v, VCPU_RBX, REG_GPA);
	ck_assert_int_eq(RUN("\x48\x8b\x03"), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_BAD_MEMORY);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("mmio");
	TCase *tc = tcase_create("exit");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, registry);
	tcase_add_test(tc, mov_load_store_64);
	tcase_add_test(tc, rmw_and_moffs);
	tcase_add_test(tc, rep_movs_between_device_and_ram);
	tcase_add_test(tc, straddling_the_page_end);
	tcase_add_test(tc, access_spanning_ram_and_device);
	tcase_add_test(tc, data_page_fault);
	tcase_add_test(tc, fetch_across_pages);
	tcase_add_test(tc, faults_ud_gp);
	tcase_add_test(tc, not_emulated_stops);
	tcase_add_test(tc, fetch_and_walk_exits_stop);
	tcase_add_test(tc, protected_32bit_no_paging);
	tcase_add_test(tc, real_mode_16bit);
	tcase_add_test(tc, interrupt_shadow_ends);
	tcase_add_test(tc, retirement);
	tcase_add_test(tc, double_fault_to_triple);
	suite_add_tcase(s, tc);
	return s;
}
