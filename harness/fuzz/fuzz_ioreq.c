/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A hostile Service VM against the IOREQ page and the completion
 * hypercall (core/ioreq.c), with a User VM whose two vCPUs make port,
 * PCI-config and MMIO requests (loads, stores, read-modify-writes, REP
 * strings, accesses split between RAM and the device model). The input is
 * a sequence of operations: User vCPU exits, arbitrary bytes and states
 * written anywhere in the page, completions with any vCPU id, polling,
 * the vCPUs' pre-entry work, pause/resume/reset, the page unmapped or set
 * again. After each: both VMs pass vm_mgr_check(); a refused completion
 * changed neither the page nor the vCPU; an accepted one left the slot
 * FREE; a request sent left it PENDING; no emulation resumes while a
 * request is outstanding; nothing crashes or touches memory outside the
 * VMs (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "ept.h"
#include "exit_dispatch.h"
#include "ioreq.h"
#include "mmio.h"
#include "sim.h"
#include "fuzz_input.h"
#include "vm.h"
#include "vm_mgr.h"
#include "x86.h"

#define PAGE 0x8000u
#define UOS_RAM 0x10000u
#define CODE 0x1000u
#define DM_GPA 0xd0000000u


static struct tern hv;
static struct vm *sos, *uos;

/* 32-bit protected-mode instructions the emulator sends to the device model. */
static const struct { uint8_t len; uint8_t b[4]; } insns[] = {
	{ 2, { 0x8b, 0x03 } },             /* mov eax,[ebx] */
	{ 2, { 0x89, 0x03 } },             /* mov [ebx],eax */
	{ 2, { 0x88, 0x03 } },             /* mov [ebx],al */
	{ 3, { 0x66, 0x8b, 0x03 } },       /* mov ax,[ebx] */
	{ 2, { 0x87, 0x03 } },             /* xchg [ebx],eax */
	{ 2, { 0x01, 0x03 } },             /* add [ebx],eax */
	{ 3, { 0x0f, 0xb6, 0x03 } },       /* movzx eax,byte [ebx] */
	{ 2, { 0xf3, 0xa5 } },             /* rep movsd */
	{ 2, { 0xf3, 0xa4 } },             /* rep movsb */
	{ 2, { 0xf3, 0xab } },             /* rep stosd */
	{ 1, { 0xa5 } },                   /* movsd */
	{ 1, { 0xac } },                   /* lodsb */
	{ 2, { 0xf3, 0xa7 } },             /* repe cmpsd */
};

/* An address: the device model's, the end of RAM (split into it), RAM, or the test device. */
static uint32_t addr(struct input *in)
{
	uint8_t k = byte(in);
	switch (k & 3) {
	case 0: return DM_GPA + (k >> 2);
	case 1: return UOS_RAM - (k >> 2) % 9;
	case 2: return 0x4000u + (k >> 2);
	default: return 0xc0000100u + (k >> 2);
	}
}

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	sos = sim_create_vm(&hv, "sos", 1, true, 0x10000);
	uos = sim_create_vm(&hv, "uos", 2, false, UOS_RAM);
	if (!sos || !uos || ioreq_set_buffer(uos, PAGE))
		abort();
	uos->state = VM_STATE_RUNNING;
	for (unsigned i = 0; i < 2; i++) {
		struct vcpu *u = &uos->vcpus[i];
		u->state = VCPU_STATE_RUNNABLE;
		sim_vcpu_flat_state(u, false, 0);
		vcpu_cache_fill(u, VCPU_CR0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
	}
}

/* The User VM's IOREQ page (where it is now). */
static uint8_t *page(void) { return sim_vm_ram(sos->id) + uos->ioreq_gpa; }
static uint32_t slot_state(unsigned i)
{
	uint32_t x;
	memcpy(&x, page() + i * IOREQ_SLOT_SIZE + IOREQ_OFF_STATE, 4);
	return x;
}

static void user_exit(struct input *in, struct vcpu *u)
{
	if (u->state != VCPU_STATE_RUNNABLE)
		return;
	uint8_t k = byte(in);
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	sim_vcpu_begin(u); /* its pCPU handles its exit */
	vcpu_cache_fill(u, VCPU_RIP, CODE);
	vcpu_cache_fill(u, VCPU_RAX, u32(in));
	vcpu_cache_fill(u, VCPU_RFLAGS, 0x2 | ((k & 0x80) ? X86_RFLAGS_DF : 0));
	if (k & 0x40) {
		/* Port I/O: the device model's port, or PCI configuration. */
		static const uint16_t ports[] = { 0x1f0, 0xcf8, 0xcfc, 0xcfe, 0xcff };
		uint16_t port = ports[byte(in) % 5];
		unsigned size = (k & 3) == 3 ? 4 : (k & 3) + 1;
		ex.reason = EXIT_REASON_IO_INSTRUCTION;
		ex.qualification = (uint64_t)port << 16 | (size - 1) | ((k & 4) ? 8u : 0);
		ex.instr_len = 1;
	} else {
		unsigned n = byte(in) % (sizeof(insns) / sizeof(insns[0]));
		memcpy(sim_vm_ram(uos->id) + CODE, insns[n].b, insns[n].len);
		uint32_t a = addr(in);
		vcpu_cache_fill(u, VCPU_RBX, a);
		vcpu_cache_fill(u, VCPU_RSI, addr(in));
		vcpu_cache_fill(u, VCPU_RDI, addr(in));
		vcpu_cache_fill(u, VCPU_RCX, byte(in) % 6);
		ex.reason = EXIT_REASON_EPT_VIOLATION;
		ex.qualification = ((k & 1) ? EPT_QUAL_WRITE : EPT_QUAL_READ) | EPT_QUAL_LA_VALID |
				   EPT_QUAL_LA_XLATED;
		ex.guest_physical = a;
	}
	if (vcpu_handle_exit(u, &ex) == EXIT_ACTION_WAIT_IO && u->io.active &&
	    slot_state(u->id) != IOREQ_PENDING)
		abort(); /* a request is sent PENDING */
}

/* HC_NOTIFY_REQUEST_FINISH: refused, it changes nothing; accepted, the slot is FREE. */
static void notify(uint16_t id)
{
	static uint8_t before[IOREQ_PAGE_SIZE];
	struct vcpu *u = id < 2 ? &uos->vcpus[id] : 0;
	uint64_t regs[VCPU_REG_COUNT];
	enum vcpu_state st = u ? u->state : VCPU_STATE_INIT;
	memcpy(before, page(), IOREQ_PAGE_SIZE);
	if (u)
		memcpy(regs, u->regs, sizeof(regs));
	int rc = ioreq_complete(uos, id);
	if (rc == 0 && slot_state(id) != IOREQ_FREE)
		abort();
	if (rc != 0 && (memcmp(before, page(), IOREQ_PAGE_SIZE) ||
			(u && (memcmp(regs, u->regs, sizeof(regs)) || st != u->state))))
		abort();
}

static void check(void)
{
	if (vm_mgr_check(uos) || vm_mgr_check(sos))
		abort();
	for (unsigned i = 0; i < uos->config.vcpu_count; i++)
		if (uos->vcpus[i].mmio.resume && uos->vcpus[i].io.active)
			abort(); /* an emulation goes on only after its request completed */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	setup();
	for (unsigned steps = 0; in.left && steps < 64; steps++) {
		uint8_t op = byte(&in);
		struct vcpu *u = &uos->vcpus[op & 1];
		switch ((op >> 1) % 12) {
		case 0:
		case 1:
			user_exit(&in, u);
			break;
		case 2: { /* any bytes anywhere in the page */
			unsigned off = (byte(&in) | (unsigned)byte(&in) << 8) % IOREQ_PAGE_SIZE;
			unsigned n = byte(&in) % 9;
			for (unsigned i = 0; i < n && off + i < IOREQ_PAGE_SIZE; i++)
				page()[off + i] = byte(&in);
			break;
		}
		case 3: { /* any state in a slot */
			uint32_t s = (op & 0x80) ? u32(&in) : byte(&in) % 5;
			memcpy(page() + (byte(&in) % IOREQ_SLOTS) * IOREQ_SLOT_SIZE + IOREQ_OFF_STATE, &s, 4);
			break;
		}
		case 4: { /* a well-formed answer for the vCPU's slot */
			uint8_t *s = page() + u->id * IOREQ_SLOT_SIZE;
			uint32_t v = u32(&in), st = IOREQ_COMPLETE;
			memcpy(s + IOREQ_OFF_VALUE, &v, 4);
			memcpy(s + IOREQ_OFF_STATE, &st, 4);
			notify(u->id);
			break;
		}
		case 5:
			notify((op & 0x80) ? (uint16_t)(byte(&in) | byte(&in) << 8) : byte(&in) % 3);
			break;
		case 6:
			sim_vcpu_begin(u);
			vcpu_pre_entry(u);
			break;
		case 7:
			uos->config.ioreq_polling = (op & 0x80) != 0;
			ioreq_poll(u);
			break;
		case 8:
			if (uos->state == VM_STATE_PAUSED)
				(void)vm_mgr_resume(uos);
			else
				(void)vm_mgr_pause(uos);
			break;
		case 9:
			if (uos->state == VM_STATE_PAUSED && vm_mgr_reset(uos) == 0)
				(void)vm_mgr_start(uos);
			break;
		case 10: /* the Service VM's page unmapped, or mapped again */
			if (op & 0x80)
				(void)ept_unmap(&sos->ept, PAGE, 0x1000);
			else
				(void)ept_map(&sos->ept, PAGE, sos->config.ram_hpa + PAGE, 0x1000, EPT_RWX,
					      EPT_MT_WB);
			break;
		default:
			(void)ioreq_set_buffer(uos, (op & 0x80) ? PAGE + 0x1000 * (byte(&in) % 17) : PAGE);
			break;
		}
		check();
	}
	return 0;
}
