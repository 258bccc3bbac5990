/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenarios, MMIO to a live tern-dm: the guest of a User VM (played by
 * harness/scenario) uses the PCI test device's memory BAR (dm/pci_testdev.h:
 * 256 scratch bytes at offset 0, the ID register at 0x108) through core's
 * MMIO requests (docs/mmio.md). Loads and stores of 1, 2, 4 and (64-bit
 * code) 8 bytes, MOVS
 * between the device and RAM both ways, a REP that makes a request per
 * element with the VM paused between two of them, split accesses (RAM into
 * the BAR; core's test device into the BAR), ADD and XCHG to the device.
 * Every test runs in notification mode (_i = 0) and polling mode (_i = 1).
 * Asserted: the guest's registers and RFLAGS, its RAM, what it reads back
 * from the device, and how many requests tern-dm says it served (none made
 * twice).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include "unit.h"
#include "scenario.h"
#include "sim.h"
#include "hypercall.h"
#include "ioreq.h"
#include "vcpu.h"
#include "vm_mgr.h"
#include "testdev.h"
#include "../../dm/pci.h"

/*
 * tern-dm's test device (dm/pci_testdev.h, not included: core/testdev.h,
 * which vm.h brings, uses the same TESTDEV_ names for core's device).
 */
#define DM_TD_BAR_MEM 1u
#define DM_TD_BAR_MSIX 2u
#define DM_TD_REG_ID 0x108u
#define DM_TD_REG_VECTORS 0x10cu
#define DM_TD_ID 0x4e524554u
#define DM_TD_DEFAULT_VECTORS 4u
#define CORE_TESTDEV_GPA TESTDEV_GPA
#define CORE_TESTDEV_SIZE TESTDEV_SIZE

#define SLOT 3u
#define RAM_SIZE (2u << 20)
#define RAM_BUF 0x8000u           /* guest RAM the MOVS tests use */
#define RFLAGS_FIXED 0x2u
#define RFLAGS_SF (1u << 7)
#define RFLAGS_ZF (1u << 6)
#define RFLAGS_OF (1u << 11)
#define RFLAGS_CF (1u << 0)
#define BAR_MEM_FLAGS 0xfu

static const char *const devs[] = { "-m", "2M", "-s", "3,pci-testdev", NULL };
static struct scn S;

static void start(bool polling)
{
	ck_assert_int_eq(scn_start(&S, "uvm", devs, polling), 0);
}

/* Stop tern-dm; it must have served exactly n requests and rejected none. */
static void stop_served(unsigned n)
{
	char line[64];
	unsigned upcalls = S.live.upcalls;
	scn_stop(&S);
	ck_assert(WIFEXITED(S.dm.status) && WEXITSTATUS(S.dm.status) == 0);
	snprintf(line, sizeof(line), "served %u requests, rejected 0", n);
	ck_assert_msg(child_out_has(&S.dm, line), "want '%s', tern-dm said:\n%s", line, S.dm.out);
	/* Notification mode raises the upcall for each request; polling mode never. */
	if (S.polling)
		ck_assert_uint_eq(upcalls, 0);
	else
		ck_assert_uint_ge(upcalls, n);
}

static uint64_t reg(unsigned r)
{
	return sim_vcpu_hw(S.u)->regs[r];
}

static void set_reg(unsigned r, uint64_t v)
{
	sim_vcpu_hw(S.u)->regs[r] = v;
}

static uint8_t *ram(uint64_t gpa, uint64_t len)
{
	uint8_t *p = sim_live_guest(&S.live, S.vm, gpa, len);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* The test device's memory BAR idx as the guest reads it (one PCI-config request). */
static uint32_t mem_bar(unsigned idx)
{
	uint32_t bar = scn_cfg_read(&S, SLOT, 0, PCIR_BAR0 + 4 * idx, 4);
	ck_assert_uint_eq(bar & PCIM_BAR_IO, 0);
	return bar & ~BAR_MEM_FLAGS;
}

static uint32_t load(uint64_t gpa, unsigned size)
{
	uint32_t v = 0;
	ck_assert_int_eq(scn_mmio_load(&S, gpa, size, &v), 0);
	return v;
}

static void store(uint64_t gpa, unsigned size, uint32_t v)
{
	ck_assert_int_eq(scn_mmio_store(&S, gpa, size, v), 0);
}

static void insn(const char *bytes, unsigned len, bool write, uint64_t gpa)
{
	ck_assert_int_eq(scn_insn(&S, (const uint8_t *)bytes, len, write, gpa), 0);
}

START_TEST(loads_and_stores_each_size)
{
	start(_i);
	uint32_t base = mem_bar(DM_TD_BAR_MEM);
	/* tern-dm's window lies above core's test device (dm/pci.h, docs/testdev.md). */
	ck_assert_uint_eq(base, DM_PCI_MEM_BASE);
	ck_assert(base >= CORE_TESTDEV_GPA + CORE_TESTDEV_SIZE);
	store(base, 4, 0x11223344u);
	ck_assert_uint_eq(load(base, 4), 0x11223344u);
	/* A byte or word load writes AL/AX and keeps the rest of EAX (SDM Vol. 2A, MOV). */
	set_reg(VCPU_RAX, 0xaabbccddu);
	ck_assert_uint_eq(load(base + 1, 1), 0xaabbcc33u);
	ck_assert_uint_eq(load(base + 2, 2), 0xaabb1122u);
	store(base + 3, 1, 0x99u);
	store(base + 0x11, 2, 0xbeefu);      /* unaligned: one 2-byte request */
	ck_assert_uint_eq(load(base, 4), 0x99223344u);
	ck_assert_uint_eq(load(base + 0x10, 4), 0x00beef00u);
	ck_assert_uint_eq(load(base + DM_TD_REG_ID, 4), DM_TD_ID);
	ck_assert_uint_eq(load(base + DM_TD_REG_VECTORS, 4), DM_TD_DEFAULT_VECTORS);
	/* Core's test device still answers at its own place, without a request. */
	ck_assert_uint_eq(load(CORE_TESTDEV_GPA, 4), TESTDEV_ID_VALUE);
	ck_assert_int_eq(S.vm->state, VM_STATE_RUNNING);
	stop_served(1 + 10);
}
END_TEST

START_TEST(movs_between_device_and_ram)
{
	start(_i);
	uint32_t base = mem_bar(DM_TD_BAR_MEM);
	for (unsigned i = 0; i < 4; i++)
		store(base + 4 * i, 4, 0x03020100u + 0x04040404u * i);
	/* rep movsd, device -> RAM: four reads, the bytes land in RAM. */
	uint8_t *dst = ram(RAM_BUF, 16);
	memset(dst, 0xee, 16);
	set_reg(VCPU_RSI, base);
	set_reg(VCPU_RDI, RAM_BUF);
	set_reg(VCPU_RCX, 4);
	insn("\xf3\xa5", 2, false, base);
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(dst[i], i);
	ck_assert_uint_eq(reg(VCPU_RCX), 0);
	ck_assert_uint_eq(reg(VCPU_RSI), base + 16);
	ck_assert_uint_eq(reg(VCPU_RDI), RAM_BUF + 16);
	/* movsb (no REP), RAM -> device. */
	*ram(RAM_BUF + 0x100, 1) = 0x5a;
	set_reg(VCPU_RSI, RAM_BUF + 0x100);
	set_reg(VCPU_RDI, base + 0x20);
	insn("\xa4", 1, true, base + 0x20);
	ck_assert_uint_eq(reg(VCPU_RSI), RAM_BUF + 0x101);
	ck_assert_uint_eq(reg(VCPU_RDI), base + 0x21);
	/* rep movsw, RAM -> device: eight writes. */
	uint8_t *src = ram(RAM_BUF + 0x200, 16);
	for (unsigned i = 0; i < 16; i++)
		src[i] = (uint8_t)(0xa0 + i);
	set_reg(VCPU_RSI, RAM_BUF + 0x200);
	set_reg(VCPU_RDI, base + 0x40);
	set_reg(VCPU_RCX, 8);
	insn("\x66\xf3\xa5", 3, true, base + 0x40);
	ck_assert_uint_eq(reg(VCPU_RCX), 0);
	ck_assert_uint_eq(reg(VCPU_RDI), base + 0x50);
	ck_assert_uint_eq(load(base + 0x20, 1) & 0xff, 0x5a);
	ck_assert_uint_eq(load(base + 0x40, 4), 0xa3a2a1a0u);
	ck_assert_uint_eq(load(base + 0x4c, 4), 0xafaeadacu);
	/* 1 config read, 4 stores, 4 + 1 + 8 string elements, 3 loads. */
	stop_served(1 + 4 + 13 + 3);
}
END_TEST

static bool never(struct sim_live *l, void *arg)
{
	(void)l;
	(void)arg;
	return false;
}

static uint64_t slot_u64(unsigned off)
{
	uint64_t v = 0;
	memcpy(&v, sim_live_page(&S.live, S.vm) + off, off == IOREQ_OFF_STATE ? 4 : 8);
	return v;
}

/*
 * rep movsb of 16 bytes, RAM -> device: one request per element, RCX/RSI/RDI
 * committed per element (docs/mmio.md). tern-dm is held (SIGSTOP) while the
 * first request is pending and the VM is paused; let go, tern-dm completes
 * it, but the paused vCPU makes no further access and its registers stay;
 * resumed, the instruction finishes with every byte written once.
 */
START_TEST(rep_over_several_requests_paused_between)
{
	start(_i);
	uint32_t base = mem_bar(DM_TD_BAR_MEM);
	uint8_t *src = ram(RAM_BUF, 16);
	for (unsigned i = 0; i < 16; i++)
		src[i] = (uint8_t)(0x10 + i);
	set_reg(VCPU_RSI, RAM_BUF);
	set_reg(VCPU_RDI, base);
	set_reg(VCPU_RCX, 16);
	uint64_t rip = reg(VCPU_RIP);
	ck_assert_int_eq(kill(S.dm.pid, SIGSTOP), 0);
	ck_assert_int_eq(scn_insn_begin(&S, (const uint8_t *)"\xf3\xa4", 2, true, base), 0);
	sim_live_settle(&S.live);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_STATE), IOREQ_PENDING);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_ADDRESS), base);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_VALUE), 0x10);
	ck_assert_int_eq(scn_hypercall(&S, HC_PAUSE_VM, S.vm->id, 0), 0);
	ck_assert_int_eq(S.vm->state, VM_STATE_PAUSED);
	ck_assert_int_eq(kill(S.dm.pid, SIGCONT), 0);
	/* tern-dm completes the first element; nothing else moves while paused. */
	(void)sim_live_run(&S.live, never, NULL, 300, S.polling);
	ck_assert_uint_ne(slot_u64(IOREQ_OFF_STATE), IOREQ_PENDING);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_ADDRESS), base);     /* no second request went out */
	ck_assert_uint_eq(vcpu_get_reg(S.u, VCPU_RCX), 16);
	ck_assert_uint_eq(vcpu_get_reg(S.u, VCPU_RDI), base);
	ck_assert(!S.u->in_guest);
	ck_assert_uint_eq(reg(VCPU_RIP), rip);  /* the CPU never left the instruction */
	ck_assert_int_eq(vm_mgr_check(S.vm), 0);
	/* Resumed: the rest goes out and the instruction completes. */
	ck_assert_int_eq(scn_hypercall(&S, HC_TERN_RESUME_VM, S.vm->id, 0), 0);
	ck_assert_int_eq(scn_io_finish(&S, SCN_TIMEOUT_MS), 0);
	ck_assert_uint_eq(reg(VCPU_RCX), 0);
	ck_assert_uint_eq(reg(VCPU_RSI), RAM_BUF + 16);
	ck_assert_uint_eq(reg(VCPU_RDI), base + 16);
	ck_assert_uint_eq(load(base, 4), 0x13121110u);
	ck_assert_uint_eq(load(base + 4, 4), 0x17161514u);
	ck_assert_uint_eq(load(base + 8, 4), 0x1b1a1918u);
	ck_assert_uint_eq(load(base + 12, 4), 0x1f1e1d1cu);
	stop_served(1 + 16 + 4);
}
END_TEST

/*
 * tern-dm SIGKILLed while an MMIO read of a rep movsd (device -> RAM) is
 * pending: the vCPU stays parked on it, the slot says what it was, RAM and
 * the registers are untouched, and the VM can still be paused and destroyed.
 */
START_TEST(sigkill_mid_mmio_request)
{
	start(_i);
	uint32_t base = mem_bar(DM_TD_BAR_MEM);
	uint8_t *dst = ram(RAM_BUF, 8);
	memset(dst, 0xee, 8);
	set_reg(VCPU_RSI, base + 8);
	set_reg(VCPU_RDI, RAM_BUF);
	set_reg(VCPU_RCX, 2);
	ck_assert_int_eq(kill(S.dm.pid, SIGSTOP), 0);
	ck_assert_int_eq(scn_insn_begin(&S, (const uint8_t *)"\xf3\xa5", 2, false, base + 8), 0);
	sim_live_settle(&S.live);
	ck_assert_uint_eq(S.u->state, VCPU_STATE_WAIT_IO);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_TYPE) & 0xffffffffu, IOREQ_TYPE_MMIO);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_ADDRESS), base + 8);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_SIZE), 4);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_STATE), IOREQ_PENDING);
	ck_assert_int_eq(kill(S.dm.pid, SIGKILL), 0);
	int st = scn_wait_dm(&S, &S.dm, SCN_TIMEOUT_MS);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_int_eq(scn_io_finish(&S, 200), -1);
	ck_assert_uint_eq(S.u->state, VCPU_STATE_WAIT_IO);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_STATE), IOREQ_PENDING);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(dst[i], 0xee);
	ck_assert_uint_eq(vcpu_get_reg(S.u, VCPU_RCX), 2);
	ck_assert_uint_eq(vcpu_get_reg(S.u, VCPU_RDI), RAM_BUF);
	ck_assert_int_eq(scn_pause_destroy_parked(&S), 0);
	scn_stop(&S);
}
END_TEST

#define NOTIFY_REQUEST_FINISH 0x4008a231u   /* ACRN's ioctl number (dm/hsm.h) */
#define UNCLAIMED_GPA 0xd0000000ull       /* no RAM, no range of core's: the device model's */

static void raw_complete(struct scn_raw *r, uint64_t size, uint64_t value, int32_t want)
{
	struct { uint16_t vmid, reserved; uint32_t vcpu; } n = { r->vmid, 0, 0 };
	uint32_t complete = IOREQ_COMPLETE;
	memcpy(r->page + IOREQ_OFF_SIZE, &size, 8);
	memcpy(r->page + IOREQ_OFF_VALUE, &value, 8);
	memcpy(r->page + IOREQ_OFF_STATE, &complete, 4);
	ck_assert_int_eq(scn_raw_call(&S, r, NOTIFY_REQUEST_FINISH, 8, &n, 8), want);
}

/*
 * A device model of the test's own completes the MMIO reads of a rep movsw
 * (device -> RAM): a completion whose size was rewritten is refused and
 * changes nothing; corrected, a value wider than the access is cut to it,
 * the element lands in RAM and the next request goes out; a completion
 * after the instruction finished is refused.
 */
START_TEST(malformed_mmio_completions)
{
	struct scn_raw R;
	ck_assert_int_eq(scn_start_raw(&S, &R, "raw"), 0);
	uint8_t *dst = ram(RAM_BUF, 4);
	memset(dst, 0xee, 4);
	set_reg(VCPU_RSI, UNCLAIMED_GPA);
	set_reg(VCPU_RDI, RAM_BUF);
	set_reg(VCPU_RCX, 2);
	ck_assert_int_eq(scn_insn_begin(&S, (const uint8_t *)"\x66\xf3\xa5", 3, false, UNCLAIMED_GPA), 0);
	sim_live_settle(&S.live);
	ck_assert_uint_eq(S.u->state, VCPU_STATE_WAIT_IO);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_TYPE) & 0xffffffffu, IOREQ_TYPE_MMIO);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_DIRECTION) & 0xffffffffu, IOREQ_READ);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_ADDRESS), UNCLAIMED_GPA);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_SIZE), 2);
	raw_complete(&R, 4, 0x11112222, -EINVAL);
	ck_assert_uint_eq(S.u->state, VCPU_STATE_WAIT_IO);
	ck_assert_uint_eq(dst[0], 0xee);
	raw_complete(&R, 2, 0xdeadbeefcafeull, 0);
	sim_live_settle(&S.live);
	ck_assert_uint_eq(dst[0], 0xfe);
	ck_assert_uint_eq(dst[1], 0xca);
	ck_assert_uint_eq(dst[2], 0xee);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_STATE), IOREQ_PENDING);
	ck_assert_uint_eq(slot_u64(IOREQ_OFF_ADDRESS), UNCLAIMED_GPA + 2);
	ck_assert_uint_eq(vcpu_get_reg(S.u, VCPU_RCX), 1);
	raw_complete(&R, 2, 0x1234, 0);
	ck_assert_int_eq(scn_io_finish(&S, SCN_TIMEOUT_MS), 0);
	ck_assert_uint_eq(dst[2] | dst[3] << 8, 0x1234);
	ck_assert_uint_eq(reg(VCPU_RCX), 0);
	ck_assert_uint_eq(reg(VCPU_RSI), UNCLAIMED_GPA + 4);
	raw_complete(&R, 2, 0x5678, -EINVAL);
	ck_assert_uint_eq(dst[2] | dst[3] << 8, 0x1234);
	ck_assert_int_eq(vm_mgr_check(S.vm), 0);
	scn_raw_close(&R);
	scn_stop(&S);
}
END_TEST

/*
 * Split accesses, made piece by piece (docs/mmio.md): the BAR moved right
 * after the end of RAM, a load across the two; the BAR moved right after
 * core's test device, a store and a load across the two ranges.
 */
START_TEST(split_accesses)
{
	start(_i);
	scn_cfg_write(&S, SLOT, 0, PCIR_BAR0 + 4 * DM_TD_BAR_MEM, 4, RAM_SIZE);
	ck_assert_uint_eq(mem_bar(DM_TD_BAR_MEM), RAM_SIZE);
	store(RAM_SIZE, 4, 0xddccbbaau);
	uint8_t *tail = ram(RAM_SIZE - 2, 2);
	tail[0] = 0x11;
	tail[1] = 0x22;
	/* mov eax,[ebx]: two bytes of RAM, then one 2-byte request. */
	set_reg(VCPU_RBX, RAM_SIZE - 2);
	insn("\x8b\x03", 2, false, RAM_SIZE);
	ck_assert_uint_eq(reg(VCPU_RAX), 0xbbaa2211u);
	/* mov [ebx],eax back across: RAM gets the low half, the device the high. */
	set_reg(VCPU_RAX, 0x87654321u);
	insn("\x89\x03", 2, true, RAM_SIZE);
	ck_assert_uint_eq(tail[0], 0x21);
	ck_assert_uint_eq(tail[1], 0x43);
	ck_assert_uint_eq(load(RAM_SIZE, 4), 0xddcc8765u);

	/* Core's test device, then the BAR. */
	uint64_t next = CORE_TESTDEV_GPA + CORE_TESTDEV_SIZE;
	scn_cfg_write(&S, SLOT, 0, PCIR_BAR0 + 4 * DM_TD_BAR_MEM, 4, (uint32_t)next);
	ck_assert_uint_eq(mem_bar(DM_TD_BAR_MEM), next);
	set_reg(VCPU_RAX, 0x0badf00du);
	set_reg(VCPU_RBX, next - 2);
	insn("\x89\x03", 2, true, next - 2);
	ck_assert_uint_eq(load(next - 2, 2) & 0xffff, 0xf00d);   /* core's scratch, no request */
	ck_assert_uint_eq(load(next, 2) & 0xffff, 0x0bad);      /* tern-dm's scratch */
	set_reg(VCPU_RBX, next - 1);
	insn("\x8b\x03", 2, false, next - 1);
	/* core's last byte, then tern-dm's scratch (0xddcc0bad since the BAR moved with it). */
	ck_assert_uint_eq(reg(VCPU_RAX), 0xcc0badf0u);
	/*
	 * Requests: BAR write + read, store, load's piece, store's piece, load;
	 * BAR write + read, store's piece, one load, and the last load's three
	 * bytes of tern-dm's as a 2-byte and a 1-byte request.
	 */
	stop_served(2 + 1 + 1 + 1 + 1 + 2 + 1 + 1 + 2);
}
END_TEST

/*
 * 8-byte accesses, from 64-bit code (scn_long_mode): mov [rbx],rax and
 * mov rax,[rbx] are one 8-byte request each; rep movsq device -> RAM one
 * per element.
 */
START_TEST(eight_byte_accesses_in_long_mode)
{
	start(_i);
	uint32_t base = mem_bar(DM_TD_BAR_MEM);
	ck_assert_int_eq(scn_long_mode(&S), 0);
	set_reg(VCPU_RAX, 0x1122334455667788ull);
	set_reg(VCPU_RBX, base + 0x80);
	insn("\x48\x89\x03", 3, true, base + 0x80);
	set_reg(VCPU_RAX, 0);
	insn("\x48\x8b\x03", 3, false, base + 0x80);
	ck_assert_uint_eq(reg(VCPU_RAX), 0x1122334455667788ull);
	/* The halves, as 4-byte loads (zero-extended into RAX in 64-bit mode). */
	set_reg(VCPU_RAX, ~0ull);
	insn("\x8b\x03", 2, false, base + 0x80);
	ck_assert_uint_eq(reg(VCPU_RAX), 0x55667788u);
	set_reg(VCPU_RBX, base + 0x84);
	insn("\x8b\x03", 2, false, base + 0x84);
	ck_assert_uint_eq(reg(VCPU_RAX), 0x11223344u);
	set_reg(VCPU_RSI, base + 0x80);
	set_reg(VCPU_RDI, RAM_BUF);
	set_reg(VCPU_RCX, 2);
	memset(ram(RAM_BUF, 16), 0, 16);
	insn("\xf3\x48\xa5", 3, false, base + 0x80);
	uint64_t got[2];
	memcpy(got, ram(RAM_BUF, 16), 16);
	ck_assert_uint_eq(got[0], 0x1122334455667788ull);
	ck_assert_uint_eq(got[1], 0);                    /* scratch 0x88-0x8f, never written */
	ck_assert_uint_eq(reg(VCPU_RCX), 0);
	ck_assert_uint_eq(reg(VCPU_RDI), RAM_BUF + 16);
	stop_served(1 + 2 + 2 + 2);
}
END_TEST

/* ADD and XCHG to the device: a read request, then a write of the computed value. */
START_TEST(read_modify_write)
{
	start(_i);
	uint32_t base = mem_bar(DM_TD_BAR_MEM);
	store(base + 0x30, 4, 0x7fffffffu);
	set_reg(VCPU_RAX, 1);
	set_reg(VCPU_RFLAGS, RFLAGS_FIXED | RFLAGS_CF);
	set_reg(VCPU_RBX, base + 0x30);
	insn("\x01\x03", 2, true, base + 0x30);   /* add [ebx],eax */
	/* 0x7fffffff + 1: signed overflow, negative, no carry (SDM Vol. 2A, ADD). */
	uint64_t fl = reg(VCPU_RFLAGS);
	ck_assert_uint_eq(fl & (RFLAGS_OF | RFLAGS_SF | RFLAGS_ZF | RFLAGS_CF), RFLAGS_OF | RFLAGS_SF);
	ck_assert_uint_eq(reg(VCPU_RAX), 1);
	ck_assert_uint_eq(load(base + 0x30, 4), 0x80000000u);
	set_reg(VCPU_RAX, 0xcafef00du);
	set_reg(VCPU_RBX, base + 0x30);
	insn("\x87\x03", 2, true, base + 0x30);   /* xchg [ebx],eax */
	ck_assert_uint_eq(reg(VCPU_RAX), 0x80000000u);
	ck_assert_uint_eq(load(base + 0x30, 4), 0xcafef00du);
	stop_served(1 + 1 + 2 + 1 + 2 + 1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("scn_mmio");
	TCase *tc = tcase_create("scenarios");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, loads_and_stores_each_size, 0, 2);
	tcase_add_loop_test(tc, movs_between_device_and_ram, 0, 2);
	tcase_add_loop_test(tc, rep_over_several_requests_paused_between, 0, 2);
	tcase_add_loop_test(tc, split_accesses, 0, 2);
	tcase_add_loop_test(tc, read_modify_write, 0, 2);
	tcase_add_loop_test(tc, eight_byte_accesses_in_long_mode, 0, 2);
	tcase_add_loop_test(tc, sigkill_mid_mmio_request, 0, 2);
	tcase_add_test(tc, malformed_mmio_completions);
	suite_add_tcase(s, tc);
	return s;
}
