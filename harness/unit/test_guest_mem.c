/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * core/guest_mem.c on the simulator's host RAM: guest memory reached only
 * through the VM's EPT, with the image's mapping rules (every VM's RAM
 * mapped by vm_create, the Service VM's owned and lendable). The first two
 * tests are issue 10's second and third bugs: on the old code a Service VM
 * mapped as on the image could not lend its RAM (-EPERM), and a User VM
 * whose RAM the EPT maps stopped with bad-memory on its first emulated
 * access. Then: page-crossing accesses, EPT permissions, write protection
 * honoured by hypervisor-emulated writes (WP IOREQs), atomic A/D updates.
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "sim.h"
#include "guest_mem.h"
#include "ioreq.h"
#include "ept_qual.h"
#include "testdev.h"
#include "page_walk.h"
#include "platform.h"
#include "vm_memory.h"
#include "vm_mgr.h"
#include "exit_dispatch.h"
#include "err.h"

#define SVM_RAM    (4ull << 20)
#define IOREQ_PAGE 0x8000ull        /* in the Service VM's RAM, never lent here */
#define LEND_BASE  0x100000ull      /* Service VM GPA of what the tests lend */
#define LSR_IDLE   0x60u            /* UART LSR with nothing sent or received: THRE | TEMT */

static struct tern hv;
static struct vm *svm, *uvm;
static struct vcpu *v;
static uint8_t *sram;               /* the Service VM's RAM, GPA 0 up */

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	svm = sim_create_vm(&hv, "service", 1, true, SVM_RAM);
	uvm = sim_create_vm(&hv, "user", 1, false, 0);
	ck_assert_ptr_nonnull(svm);
	ck_assert_ptr_nonnull(uvm);
	sram = sim_vm_ram(svm->id);
	uvm->state = VM_STATE_RUNNING;
	v = &uvm->vcpus[0];
	v->state = VCPU_STATE_RUNNABLE;
}

static int lend(struct vm *to, uint64_t gpa, uint64_t svm_gpa, uint64_t size, uint32_t prot)
{
	struct vm_memory_region mr = { MR_ADD, prot | MEM_TYPE_WB, gpa, svm_gpa, size };
	return vm_memory_region_op(svm, to, &mr);
}

#define RWX MEM_ACCESS_RWX
#define R   MEM_ACCESS_READ

/* Protected mode without paging: linear = guest-physical. */
static void flat32(void)
{
	sim_vcpu_flat_state(v, false, 0);
	vcpu_cache_fill(v, VCPU_CR0, 0x11);
	vcpu_cache_fill(v, VCPU_RIP, 0x100);
}

static struct exit_record string_io(uint16_t port, bool in)
{
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_IO_INSTRUCTION;
	ex.qualification = (uint64_t)port << 16 | (1u << 4) | (in ? 1u << 3 : 0); /* byte, string */
	ex.instr_info = (1u << 7) | ((unsigned)VCPU_DS << 15);                  /* 32-bit address */
	ex.instr_len = 1;
	return ex;
}

static uint32_t slot32(unsigned off)
{
	uint32_t x;
	memcpy(&x, sram + IOREQ_PAGE + v->id * IOREQ_SLOT_SIZE + off, 4);
	return x;
}

static uint64_t slot64(unsigned off)
{
	uint64_t x;
	memcpy(&x, sram + IOREQ_PAGE + v->id * IOREQ_SLOT_SIZE + off, 8);
	return x;
}

/* ---- issue 10's bugs -------------------------------------------------------------- */

START_TEST(lend_service_ram_mapped_as_on_the_image)
{
	/* The request, as the Service VM's kernel writes it into its RAM. */
	struct set_regions req = { .vmid = uvm->id, .mr_num = 1, .regions_gpa = 0x2000 };
	struct vm_memory_region mr = { MR_ADD, RWX | MEM_TYPE_WB, 0, LEND_BASE, 0x10000 };
	memcpy(sram + 0x1000, &req, sizeof(req));
	memcpy(sram + 0x2000, &mr, sizeof(mr));
	ck_assert_int_eq(vm_memory_set_regions(svm, 0x1000), 0);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&uvm->ept, 0x1234, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, sim.vms[svm->id].ram_hpa + LEND_BASE + 0x1234);
	/* The Service VM keeps its own access (its device model needs it). */
	ck_assert_int_eq(ept_walk(&svm->ept, LEND_BASE + 0x1234, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, sim.vms[svm->id].ram_hpa + LEND_BASE + 0x1234);
}
END_TEST

START_TEST(user_vm_emulated_access_to_lent_ram)
{
	ck_assert_int_eq(lend(uvm, 0, LEND_BASE, 0x10000, RWX), 0);
	flat32();
	/* outsb from its memory: the byte the Service VM sees there. */
	sram[LEND_BASE + 0x1234] = 'X';
	vcpu_cache_fill(v, VCPU_RSI, 0x1234);
	struct exit_record ex = string_io(0x3f8, false);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(!vm_is_stopped(uvm));
	ck_assert_str_eq(sim_console(uvm->id), "X");
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RSI), 0x1235);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x101);
	/* insb of the line status into its memory: the Service VM sees it. */
	vcpu_cache_reset(v);
	flat32();
	vcpu_cache_fill(v, VCPU_RDI, 0x2000);
	ex = string_io(0x3fd, true);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(sram[LEND_BASE + 0x2000], LSR_IDLE);
}
END_TEST

/* ---- the access path ------------------------------------------------------------- */

START_TEST(page_crossing_accesses_split_per_page)
{
	/* Adjacent guest pages, far apart (and in reverse order) in host memory. */
	ck_assert_int_eq(lend(uvm, 0x0, LEND_BASE + 0x5000, 0x1000, RWX), 0);
	ck_assert_int_eq(lend(uvm, 0x1000, LEND_BASE + 0x3000, 0x1000, RWX), 0);
	memcpy(sram + LEND_BASE + 0x5ffe, "ab", 2);
	memcpy(sram + LEND_BASE + 0x3000, "cd", 2);
	uint8_t b[4];
	ck_assert_int_eq(gmem_read(uvm, 0xffe, b, 4), 0);
	ck_assert_mem_eq(b, "abcd", 4);
	ck_assert_int_eq(gmem_write(uvm, 0xfff, "WXY", 3), 0);
	ck_assert_uint_eq(sram[LEND_BASE + 0x5fff], 'W');
	ck_assert_mem_eq(sram + LEND_BASE + 0x3000, "XY", 2);
	ck_assert_uint_eq(sram[LEND_BASE + 0x6000], 0);
	/* A crossing into nothing copies nothing. */
	memset(b, 0x55, sizeof(b));
	ck_assert_int_eq(gmem_read(uvm, 0x1ffe, b, 4), -TERN_EFAULT);
	ck_assert_uint_eq(b[0], 0x55);
	ck_assert_int_eq(gmem_write(uvm, 0x1ffe, "zz", 4), -TERN_EFAULT);
	ck_assert_uint_eq(sram[LEND_BASE + 0x3ffe], 0);
	/* Bounds of one access. */
	ck_assert_int_eq(gmem_read(uvm, 0, b, 0), 0);
	static uint8_t big[GMEM_MAX_LEN + 1];
	ck_assert_int_eq(gmem_read(uvm, 0, big, sizeof(big)), -TERN_EFAULT);
	ck_assert_int_eq(gmem_read(uvm, ~0ull, b, 2), -TERN_EFAULT);
}
END_TEST

START_TEST(ept_permissions_are_honoured)
{
	ck_assert_int_eq(lend(uvm, 0x3000, LEND_BASE + 0x3000, 0x1000, R), 0);
	ck_assert_int_eq(lend(uvm, 0x4000, LEND_BASE + 0x4000, 0x1000, MEM_ACCESS_EXEC), 0);
	ck_assert_int_eq(lend(uvm, 0x5000, LEND_BASE + 0x5000, 0x1000, R | MEM_ACCESS_WRITE), 0);
	ck_assert_int_eq(lend(uvm, 0x6000, LEND_BASE + 0x6000, 0x1000, R), 0);
	sram[LEND_BASE + 0x4000] = 0x90;
	uint8_t b[4] = { 0 };
	ck_assert_int_eq(gmem_read(uvm, 0x4000, b, 1), -TERN_EFAULT);    /* execute-only */
	ck_assert_int_eq(gmem_fetch(uvm, 0x4000, b, 1), 0);
	ck_assert_uint_eq(b[0], 0x90);
	ck_assert_int_eq(gmem_fetch(uvm, 0x5000, b, 1), -TERN_EFAULT);   /* not executable */
	ck_assert_int_eq(gmem_write(uvm, 0x4000, b, 1), -TERN_EFAULT);   /* not even readable */
	/* A write to a readable page that is not writable: write protection. */
	uint64_t wp = 0;
	ck_assert_int_eq(gmem_write_wp(uvm, 0x3010, "w", 1, &wp), -TERN_EACCES);
	ck_assert_uint_eq(wp, 0x3000);
	ck_assert_uint_eq(sram[LEND_BASE + 0x3010], 0);
	/* Crossing from a writable page into a protected one: nothing written. */
	wp = 0;
	ck_assert_int_eq(gmem_write_wp(uvm, 0x5ffe, "abcd", 4, &wp), -TERN_EACCES);
	ck_assert_uint_eq(wp, 0x6000);
	ck_assert_uint_eq(sram[LEND_BASE + 0x5ffe], 0);
	ck_assert_int_eq(gmem_check(uvm, 0x5ffe, 2, true, &wp), 0);
	ck_assert_int_eq(gmem_check(uvm, 0x3000, 1, false, &wp), 0);
	/* Nothing mapped. */
	ck_assert_int_eq(gmem_read(uvm, 0x100000, b, 1), -TERN_EFAULT);
	ck_assert_int_eq(gmem_write_wp(uvm, 0x100000, b, 1, &wp), -TERN_EFAULT);
}
END_TEST

START_TEST(only_host_ram_is_mapped)
{
	/* An EPT may map host memory that is not RAM (here: absent); core
	 * cannot reach it, and nothing outside host RAM is ever mapped. */
	ck_assert_int_eq(vm_memory_map(uvm, 0x7000, 0x300000000ull, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	uint8_t b;
	ck_assert_int_eq(gmem_read(uvm, 0x7000, &b, 1), -TERN_EFAULT);
	ck_assert_ptr_null(plat_hpa_map(SIM_HOST_RAM_HPA - 1, 2));
	ck_assert_ptr_null(plat_hpa_map(SIM_HOST_RAM_HPA + sim.host_ram_used, 1));
	ck_assert_ptr_null(plat_hpa_map(~0ull, 1));
	ck_assert_ptr_nonnull(plat_hpa_map(SIM_HOST_RAM_HPA + sim.host_ram_used - 1, 1));
	/* Host RAM is one shared memory object another process could map. */
	ck_assert_int_ge(sim_host_ram_fd(), 0);
}
END_TEST

START_TEST(cmpxchg)
{
	ck_assert_int_eq(lend(uvm, 0x3000, LEND_BASE + 0x3000, 0x1000, RWX), 0);
	ck_assert_int_eq(lend(uvm, 0x4000, LEND_BASE + 0x4000, 0x1000, R), 0);
	uint64_t x = 5, exp = 5;
	memcpy(sram + LEND_BASE + 0x3008, &x, 8);
	ck_assert_int_eq(gmem_cmpxchg(uvm, 0x3008, 8, &exp, 7, NULL), 0);
	memcpy(&x, sram + LEND_BASE + 0x3008, 8);
	ck_assert_uint_eq(x, 7);
	exp = 5;
	ck_assert_int_eq(gmem_cmpxchg(uvm, 0x3008, 8, &exp, 9, NULL), -TERN_EAGAIN);
	ck_assert_uint_eq(exp, 7);   /* the value it holds */
	memcpy(&x, sram + LEND_BASE + 0x3008, 8);
	ck_assert_uint_eq(x, 7);
	exp = 7;
	ck_assert_int_eq(gmem_cmpxchg(uvm, 0x3008, 4, &exp, 0x11, NULL), 0);
	memcpy(&x, sram + LEND_BASE + 0x3008, 8);
	ck_assert_uint_eq(x, 0x11);
	exp = 3;
	ck_assert_int_eq(gmem_cmpxchg(uvm, 0x3008, 4, &exp, 0x12, NULL), -TERN_EAGAIN);
	ck_assert_uint_eq(exp, 0x11);
	ck_assert_int_eq(gmem_cmpxchg(uvm, 0x3004, 8, &exp, 0, NULL), -TERN_EINVAL);
	ck_assert_int_eq(gmem_cmpxchg(uvm, 0x3008, 2, &exp, 0, NULL), -TERN_EINVAL);
	uint64_t wp = 0;
	exp = 0;
	ck_assert_int_eq(gmem_cmpxchg(uvm, 0x4000, 8, &exp, 1, &wp), -TERN_EACCES);
	ck_assert_uint_eq(wp, 0x4000);
	ck_assert_int_eq(gmem_cmpxchg(uvm, 0x9000, 8, &exp, 1, &wp), -TERN_EFAULT);
}
END_TEST

/* ---- A/D bits and write protection ------------------------------------------------ */

/* The User VM's 4-level tables in lent memory: linear 0x200000 -> GPA 0x8000. */
static void paged64(void)
{
	ck_assert_int_eq(lend(uvm, 0, LEND_BASE, 0x10000, RWX), 0);
	uint64_t e[] = { 0x2000 | 7, 0x3000 | 7, 0x4000 | 7, 0x8000 | 7 };
	uint64_t at[] = { 0x1000, 0x2000, 0x3008, 0x4000 };
	for (unsigned i = 0; i < 4; i++)
		memcpy(sram + LEND_BASE + at[i], &e[i], 8);
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_CR3, 0x1000);
	vcpu_cache_fill(v, VCPU_RIP, 0x100);
}

static uint64_t pte(void)
{
	uint64_t x;
	memcpy(&x, sram + LEND_BASE + 0x4000, 8);
	return x;
}

/* "Another vCPU" flips the PTE's software bit 9 right after the walk read it. */
static unsigned racing;
static void race_pte(struct vm *vm, uint64_t gpa, size_t len)
{
	(void)len;
	if (vm == uvm && gpa == 0x4000 && racing) {
		racing--;
		uint64_t x = pte() ^ (1ull << 9);
		memcpy(sram + LEND_BASE + 0x4000, &x, 8);
	}
}

START_TEST(ad_update_keeps_a_racing_change)
{
	paged64();
	struct pw_regs pw;
	struct guest_fault f;
	uint64_t gpa;
	pw_regs_from_vcpu(v, &pw);
	racing = 1;
	sim.gmem_read_hook = race_pte;
	ck_assert_int_eq(pw_translate(uvm, &pw, 0x200010, PW_ACC_WRITE, &gpa, &f), 0);
	ck_assert_uint_eq(gpa, 0x8010);
	/* The walk saw the entry change under its update and walked again: A
	 * and D set, the other vCPU's bit kept (a plain write would lose it). */
	ck_assert_uint_eq(pte(), 0x8000 | 7 | PTE_A | PTE_D | (1ull << 9));
	ck_assert_uint_eq(racing, 0);
	/* An entry that never stops changing: the walk gives up, it does not hang. */
	racing = 100;
	uint64_t clean = 0x8000 | 7;
	memcpy(sram + LEND_BASE + 0x4000, &clean, 8);
	ck_assert_int_eq(pw_translate(uvm, &pw, 0x200010, PW_ACC_READ, &gpa, &f), -TERN_EIO);
	ck_assert_uint_eq(racing, 100 - 4);
	sim.gmem_read_hook = NULL;
}
END_TEST

START_TEST(ad_update_on_write_protected_table_is_wp_ioreq)
{
	paged64();
	ck_assert_int_eq(ioreq_set_buffer(uvm, IOREQ_PAGE), 0);
	/* The upper entries' A bits are set already; the page table is protected. */
	uint64_t e[] = { 0x2000 | 7 | PTE_A, 0x3000 | 7 | PTE_A, 0x4000 | 7 | PTE_A };
	uint64_t at[] = { 0x1000, 0x2000, 0x3008 };
	for (unsigned i = 0; i < 3; i++)
		memcpy(sram + LEND_BASE + at[i], &e[i], 8);
	ck_assert_int_eq(ept_write_protect(&uvm->ept, 0x4000, 0x1000), 0);
	sram[LEND_BASE + 0x8010] = 'Q';
	vcpu_cache_fill(v, VCPU_RSI, 0x200010);
	struct exit_record ex = string_io(0x3f8, false);
	ex.instr_info = (2u << 7) | ((unsigned)VCPU_DS << 15);   /* 64-bit address */
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_WAIT_IO);
	/* As the CPU's own A/D write would: a WP request for the table's page,
	 * the instruction not done. */
	ck_assert_uint_eq(slot32(IOREQ_OFF_TYPE), IOREQ_TYPE_WP);
	ck_assert_uint_eq(slot64(IOREQ_OFF_ADDRESS), 0x4000);
	ck_assert_uint_eq(slot32(IOREQ_OFF_STATE), IOREQ_PENDING);
	ck_assert_str_eq(sim_console(uvm->id), "");
	ck_assert_uint_eq(pte(), 0x8000 | 7);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	ck_assert(!vcpu_reg_dirty(v, VCPU_RSI));
}
END_TEST

START_TEST(string_io_store_to_wp_page_is_wp_ioreq)
{
	ck_assert_int_eq(lend(uvm, 0, LEND_BASE, 0x10000, RWX), 0);
	ck_assert_int_eq(ioreq_set_buffer(uvm, IOREQ_PAGE), 0);
	ck_assert_int_eq(ept_write_protect(&uvm->ept, 0x5000, 0x1000), 0);
	flat32();
	vcpu_cache_fill(v, VCPU_RDI, 0x5010);
	struct exit_record ex = string_io(0x3fd, true);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(slot32(IOREQ_OFF_TYPE), IOREQ_TYPE_WP);
	ck_assert_uint_eq(slot64(IOREQ_OFF_ADDRESS), 0x5000);
	ck_assert_uint_eq(sram[LEND_BASE + 0x5010], 0);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	ck_assert(!vcpu_reg_dirty(v, VCPU_RDI));
	/* A port only the device model serves: the destination is checked before
	 * the request goes out, so a WP request goes instead of the port read. */
	ck_assert_int_eq(ioreq_complete(uvm, 0), -TERN_EBUSY);   /* still outstanding */
	uint32_t done = IOREQ_COMPLETE;
	memcpy(sram + IOREQ_PAGE + IOREQ_OFF_STATE, &done, 4);
	ck_assert_int_eq(ioreq_complete(uvm, 0), 0);
	vcpu_cache_reset(v);
	flat32();
	vcpu_cache_fill(v, VCPU_RDI, 0x5020);
	v->state = VCPU_STATE_RUNNABLE;
	ex = string_io(0x1234, true);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(slot32(IOREQ_OFF_TYPE), IOREQ_TYPE_WP);
	ck_assert_uint_eq(slot64(IOREQ_OFF_ADDRESS), 0x5000);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RDI));
	/* Without a device model the VM stops instead. */
	struct vm *u2 = sim_create_vm(&hv, "user2", 1, false, 0);
	ck_assert_int_eq(lend(u2, 0, LEND_BASE + 0x10000, 0x10000, RWX), 0);
	ck_assert_int_eq(ept_write_protect(&u2->ept, 0x5000, 0x1000), 0);
	u2->state = VM_STATE_RUNNING;
	struct vcpu *w = &u2->vcpus[0];
	w->state = VCPU_STATE_RUNNABLE;
	sim_vcpu_flat_state(w, false, 0);
	vcpu_cache_fill(w, VCPU_CR0, 0x11);
	vcpu_cache_fill(w, VCPU_RDI, 0x5010);
	ck_assert_int_eq(vcpu_handle_exit(w, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(u2->stop_cause, VM_STOP_BAD_MEMORY);
	ck_assert_uint_eq(u2->stop_detail, 0x5);
}
END_TEST

START_TEST(mmio_emulator_store_to_wp_page_is_wp_ioreq)
{
	ck_assert_int_eq(lend(uvm, 0, LEND_BASE, 0x10000, RWX), 0);
	ck_assert_int_eq(ioreq_set_buffer(uvm, IOREQ_PAGE), 0);
	ck_assert_int_eq(ept_write_protect(&uvm->ept, 0x5000, 0x1000), 0);
	flat32();
	sram[LEND_BASE + 0x100] = 0xa4;                      /* movsb */
	vcpu_cache_fill(v, VCPU_RSI, TESTDEV_GPA + TESTDEV_REG_ID);
	vcpu_cache_fill(v, VCPU_RDI, 0x5010);
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_EPT_VIOLATION;
	ex.qualification = EPT_QUAL_READ | EPT_QUAL_LA_VALID | EPT_QUAL_LA_XLATED;
	ex.guest_physical = TESTDEV_GPA + TESTDEV_REG_ID;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(slot32(IOREQ_OFF_TYPE), IOREQ_TYPE_WP);
	ck_assert_uint_eq(slot64(IOREQ_OFF_ADDRESS), 0x5000);
	ck_assert_uint_eq(sram[LEND_BASE + 0x5010], 0);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	ck_assert(!vcpu_reg_dirty(v, VCPU_RSI));
	ck_assert(!vcpu_reg_dirty(v, VCPU_RDI));
	/* Unprotected, the same instruction completes. */
	ck_assert_int_eq(ept_write_unprotect(&uvm->ept, 0x5000, 0x1000), 0);
	uint32_t done = IOREQ_COMPLETE;   /* the device model's answer */
	memcpy(sram + IOREQ_PAGE + IOREQ_OFF_STATE, &done, 4);
	ck_assert_int_eq(ioreq_complete(uvm, 0), 0);
	vcpu_cache_reset(v);
	flat32();
	vcpu_cache_fill(v, VCPU_RSI, TESTDEV_GPA + TESTDEV_REG_ID);
	vcpu_cache_fill(v, VCPU_RDI, 0x5010);
	v->state = VCPU_STATE_RUNNABLE;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_ne(sram[LEND_BASE + 0x5010], 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x101);
}
END_TEST


/* ---- hostile Service VMs: refused, nothing changed ------------------------------- */

static struct vm *uvm2;

static void setup_two(void)
{
	setup();
	uvm2 = sim_create_vm(&hv, "user2", 1, false, 0);
	ck_assert_ptr_nonnull(uvm2);
}

/* Nothing but the tables of a new VM: it maps nothing of its own. */
static void assert_maps_nothing(const struct vm *vm)
{
	ck_assert_uint_eq(vm->pt_pool.in_use, UNIT_EPT_NEW_TABLES);
}

START_TEST(lend_memory_it_does_not_own)
{
	/* Host RAM nobody owns, which the Service VM's EPT (wrongly) maps. */
	uint64_t stray = sim_host_ram_alloc(0x1000);
	ck_assert_int_eq(ept_map(&svm->ept, 0x8000000, stray, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(lend(uvm, 0, 0x8000000, 0x1000, RWX), -TERN_EPERM);
	/* A pre-launched VM's RAM: its alone. */
	struct vm *rt = sim_create_vm(&hv, "rt", 1, false, 0x10000);
	ck_assert_ptr_nonnull(rt);
	uint64_t rt_hpa = sim.vms[rt->id].ram_hpa;
	ck_assert_int_eq(ept_map(&svm->ept, 0x9000000, rt_hpa, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(lend(uvm, 0, 0x9000000, 0x1000, RWX), -TERN_EPERM);
	ck_assert_int_eq(vm_memory_map(uvm, 0, rt_hpa, 0x1000, EPT_RWX, EPT_MT_WB), -TERN_EPERM);
	/* Its last page and the stray one after it (contiguous in host memory):
	 * the range is not all its own. */
	ck_assert_uint_eq(stray, sim.vms[svm->id].ram_hpa + SVM_RAM);
	ck_assert_int_eq(ept_map(&svm->ept, SVM_RAM, stray, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(lend(uvm, 0, SVM_RAM - 0x1000, 0x2000, RWX), -TERN_EPERM);
	assert_maps_nothing(uvm);
}
END_TEST

START_TEST(lend_the_same_page_twice)
{
	ck_assert_int_eq(lend(uvm, 0, LEND_BASE, 0x2000, RWX), 0);
	ck_assert_int_eq(lend(uvm2, 0, LEND_BASE, 0x1000, RWX), -TERN_EBUSY);
	ck_assert_int_eq(lend(uvm2, 0, LEND_BASE + 0x1000, 0x2000, RWX), -TERN_EBUSY); /* overlapping */
	ck_assert_int_eq(lend(uvm, 0x10000, LEND_BASE, 0x1000, RWX), -TERN_EBUSY);    /* an alias */
	assert_maps_nothing(uvm2);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&uvm->ept, 0x10000, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	/* Given back, it may be lent again. */
	struct vm_memory_region del = { MR_DEL, 0, 0, 0, 0x2000 };
	ck_assert_int_eq(vm_memory_region_op(svm, uvm, &del), 0);
	ck_assert_int_eq(lend(uvm2, 0, LEND_BASE, 0x1000, RWX), 0);
	/* And a destroyed VM's lent pages are free again. */
	ck_assert_int_eq(lend(uvm, 0, LEND_BASE + 0x4000, 0x1000, RWX), 0);
	uvm->state = VM_STATE_PAUSED;
	ck_assert_int_eq(vm_mgr_destroy(uvm), 0);
	ck_assert_int_eq(lend(uvm2, 0x4000, LEND_BASE + 0x4000, 0x1000, RWX), 0);
}
END_TEST

START_TEST(lend_hypervisor_memory)
{
	/* Host RAM the hypervisor occupies, which the Service VM's EPT (wrongly) maps. */
	uint64_t hvmem = sim_host_ram_alloc(0x200000);
	hv.hv_hpa_base = hvmem;
	hv.hv_hpa_size = 0x200000;
	ck_assert_int_eq(ept_map(&svm->ept, 0x8000000, hvmem, 0x200000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(lend(uvm, 0, 0x8000000, 0x1000, RWX), -TERN_EPERM);
	/* Page tables, the Service VM's own included. */
	ck_assert_int_eq(ept_map(&svm->ept, 0x9000000, svm->ept.root_hpa, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(lend(uvm, 0, 0x9000000, 0x1000, RWX), -TERN_EPERM);
	assert_maps_nothing(uvm);
	/* A VM whose RAM would be hypervisor memory is not created. */
	struct vm_config cfg = { .name = "bad", .vcpu_count = 1, .mem_size = 0x1000, .ram_hpa = hvmem };
	struct vm *bad = NULL;
	ck_assert_int_eq(vm_create(&hv, &cfg, &bad), -TERN_EPERM);
	for (unsigned i = 0; i < TERN_MAX_VMS; i++)
		ck_assert(strcmp(hv.vms[i].config.name, "bad") != 0 || hv.vms[i].state == VM_STATE_POWERED_OFF);
	ck_assert_ptr_null(vm_get(&hv, 3));
	/* Nor one on another VM's RAM. */
	cfg.ram_hpa = sim.vms[svm->id].ram_hpa;
	ck_assert_int_eq(vm_create(&hv, &cfg, &bad), -TERN_EPERM);
	ck_assert_ptr_null(vm_get(&hv, 3));
}
END_TEST

START_TEST(ioreq_page_in_lent_memory)
{
	ck_assert_int_eq(lend(uvm, 0, LEND_BASE, 0x2000, RWX), 0);
	memset(sram + LEND_BASE, 0xaa, 0x2000);
	ck_assert_int_eq(ioreq_set_buffer(uvm2, LEND_BASE + 0x1000), -TERN_EPERM);
	ck_assert_int_eq(ioreq_set_buffer(uvm, LEND_BASE), -TERN_EPERM);
	ck_assert(!uvm2->ioreq_valid && !uvm->ioreq_valid);
	/* Not one slot was set FREE in the User VM's memory. */
	for (unsigned i = 0; i < 0x2000; i++)
		ck_assert_uint_eq(sram[LEND_BASE + i], 0xaa);
}
END_TEST

START_TEST(reuse_another_vms_ioreq_page)
{
	ck_assert_int_eq(ioreq_set_buffer(uvm, IOREQ_PAGE), 0);
	sram[IOREQ_PAGE + IOREQ_OFF_STATE] = IOREQ_PROCESSING;   /* the device model at work */
	ck_assert_int_eq(ioreq_set_buffer(uvm2, IOREQ_PAGE), -TERN_EBUSY);
	ck_assert(!uvm2->ioreq_valid);
	ck_assert_uint_eq(sram[IOREQ_PAGE + IOREQ_OFF_STATE], IOREQ_PROCESSING);
	/* Its own page again is fine; a page holding an IOREQ page is never lent. */
	ck_assert_int_eq(lend(uvm2, 0, IOREQ_PAGE, 0x1000, RWX), -TERN_EPERM);
	ck_assert_int_eq(lend(uvm2, 0, IOREQ_PAGE - 0x1000, 0x2000, RWX), -TERN_EPERM);
	assert_maps_nothing(uvm2);
	ck_assert_int_eq(ioreq_set_buffer(uvm, IOREQ_PAGE), 0);
	ck_assert_int_eq(ioreq_set_buffer(uvm2, IOREQ_PAGE + 0x1000), 0);
}
END_TEST

static unsigned nreads;
static size_t read_len[16];
static void count_reads(struct vm *vm, uint64_t gpa, size_t len)
{
	(void)gpa;
	if (vm == svm && nreads < 16)
		read_len[nreads++] = len;
}

START_TEST(set_regions_hostile_list)
{
	static struct vm_memory_region mr[VM_MEMORY_MAX_REGIONS + 1];
	for (unsigned i = 0; i < VM_MEMORY_MAX_REGIONS + 1; i++)
		mr[i] = (struct vm_memory_region){ MR_ADD, RWX | MEM_TYPE_WB, i * 0x1000ull,
						   LEND_BASE + i * 0x1000ull, 0x1000 };
	struct set_regions req = { .vmid = uvm->id, .mr_num = 9, .regions_gpa = 0x2004 };
	memcpy(sram + 0x1000, &req, sizeof(req));
	memcpy(sram + 0x2004, mr, 9 * sizeof(mr[0]));
	/* The list, or the request itself, not 8-byte aligned. */
	ck_assert_int_eq(vm_memory_set_regions(svm, 0x1000), -TERN_EINVAL);
	ck_assert_int_eq(vm_memory_set_regions(svm, 0x1004), -TERN_EINVAL);
	/* More regions than one page holds. */
	req.regions_gpa = 0x2000;
	req.mr_num = VM_MEMORY_MAX_REGIONS + 1;
	memcpy(sram + 0x1000, &req, sizeof(req));
	ck_assert_int_eq(vm_memory_set_regions(svm, 0x1000), -TERN_EINVAL);
	/* The list running off the end of the Service VM's memory in its second piece. */
	req.regions_gpa = SVM_RAM - 256;
	req.mr_num = 9;
	memcpy(sram + 0x1000, &req, sizeof(req));
	memcpy(sram + SVM_RAM - 256, mr, 256);
	ck_assert_int_eq(vm_memory_set_regions(svm, 0x1000), -TERN_EFAULT);
	assert_maps_nothing(uvm);
	/* Nine regions are read in two pieces: 256 bytes, then 32. */
	req.regions_gpa = 0x2000;
	memcpy(sram + 0x1000, &req, sizeof(req));
	memcpy(sram + 0x2000, mr, 9 * sizeof(mr[0]));
	nreads = 0;
	sim.gmem_read_hook = count_reads;
	ck_assert_int_eq(vm_memory_set_regions(svm, 0x1000), 0);
	sim.gmem_read_hook = NULL;
	ck_assert_uint_eq(nreads, 3);
	ck_assert_uint_eq(read_len[0], sizeof(req));
	ck_assert_uint_eq(read_len[1], 256);
	ck_assert_uint_eq(read_len[2], 32);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&uvm->ept, 0x8000, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
	/* A full page of regions: sixteen pieces. */
	assert_maps_nothing(uvm2);
	for (unsigned i = 0; i < VM_MEMORY_MAX_REGIONS; i++)
		mr[i].service_vm_gpa += 0x100000;
	req.vmid = uvm2->id;
	req.mr_num = VM_MEMORY_MAX_REGIONS;
	memcpy(sram + 0x1000, &req, sizeof(req));
	memcpy(sram + 0x2000, mr, VM_MEMORY_MAX_REGIONS * sizeof(mr[0]));
	nreads = 0;
	sim.gmem_read_hook = count_reads;
	ck_assert_int_eq(vm_memory_set_regions(svm, 0x1000), 0);
	sim.gmem_read_hook = NULL;
	ck_assert_uint_eq(nreads, 16);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("guest_mem");
	TCase *tc = tcase_create("guest_mem");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, lend_service_ram_mapped_as_on_the_image);
	tcase_add_test(tc, user_vm_emulated_access_to_lent_ram);
	tcase_add_test(tc, page_crossing_accesses_split_per_page);
	tcase_add_test(tc, ept_permissions_are_honoured);
	tcase_add_test(tc, only_host_ram_is_mapped);
	tcase_add_test(tc, cmpxchg);
	tcase_add_test(tc, ad_update_keeps_a_racing_change);
	tcase_add_test(tc, ad_update_on_write_protected_table_is_wp_ioreq);
	tcase_add_test(tc, string_io_store_to_wp_page_is_wp_ioreq);
	tcase_add_test(tc, mmio_emulator_store_to_wp_page_is_wp_ioreq);
	suite_add_tcase(s, tc);
	TCase *th = tcase_create("hostile");
	tcase_add_checked_fixture(th, setup_two, NULL);
	tcase_add_test(th, lend_memory_it_does_not_own);
	tcase_add_test(th, lend_the_same_page_twice);
	tcase_add_test(th, lend_hypervisor_memory);
	tcase_add_test(th, ioreq_page_in_lent_memory);
	tcase_add_test(th, reuse_another_vms_ioreq_page);
	tcase_add_test(th, set_regions_hostile_list);
	suite_add_tcase(s, th);
	return s;
}
