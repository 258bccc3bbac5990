/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hypercalls as the Service VM sees them: VMCALL exits with R8/RDI/RSI in,
 * RAX/RIP/injected faults and guest memory out, through vcpu_handle_exit().
 */
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "request.h"
#include "err.h"
#include "exit_dispatch.h"
#include "hypercall.h"
#include "ioreq.h"
#include "sim.h"
#include "vm.h"
#include "vm_memory.h"
#include "vm_mgr.h"
#include "x86.h"
#include "pio.h"
#include "debug_exit.h"

#define RIP0 0x1000u
#define VMCALL_LEN 3u
#define RAX_BEFORE 0xdeadbeefull
#define PARAM_GPA 0x2000u

static struct tern hv;
static struct tern snap;
static struct vm *sos;
static struct vcpu *v;
static enum exit_action last_action;

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	sos = sim_create_vm(&hv, "sos", 2, true, 0x10000);
	ck_assert_ptr_nonnull(sos);
	sos->state = VM_STATE_RUNNING;
	v = &sos->vcpus[0];
}

/* The state the platform fills on a VMCALL exit: 64-bit mode, CPL `cpl`. */
static void exit_state(struct vcpu *c, unsigned cpl, uint64_t id, uint64_t p1, uint64_t p2)
{
	c->state = VCPU_STATE_RUNNABLE;
	sim_vcpu_flat_state(c, true, cpl);
	vcpu_cache_fill(c, VCPU_RIP, RIP0);
	vcpu_cache_fill(c, VCPU_RAX, RAX_BEFORE);
	vcpu_cache_fill(c, VCPU_R8, id);
	vcpu_cache_fill(c, VCPU_RDI, p1);
	vcpu_cache_fill(c, VCPU_RSI, p2);
	memset(&c->event, 0, sizeof(c->event));
}

static enum exit_action vmcall_on(struct vcpu *c)
{
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_VMCALL;
	ex.instr_len = VMCALL_LEN;
	last_action = vcpu_handle_exit(c, &ex);
	return last_action;
}

/* One hypercall from the Service VM's vCPU 0 at CPL 0; returns RAX. */
static int64_t hc(uint64_t id, uint64_t p1, uint64_t p2)
{
	exit_state(v, 0, id, p1, p2);
	ck_assert_int_eq(vmcall_on(v), EXIT_ACTION_RESUME);
	ck_assert(!v->event.valid);
	ck_assert_uint_eq(v->regs[VCPU_RIP], RIP0 + VMCALL_LEN);
	ck_assert(vcpu_reg_dirty(v, VCPU_RAX));
	return (int64_t)v->regs[VCPU_RAX];
}

static void put(uint64_t gpa, const void *src, size_t len)
{
	memcpy(sim_vm_ram(sos->id) + gpa, src, len);
}

static void get(uint64_t gpa, void *dst, size_t len)
{
	memcpy(dst, sim_vm_ram(sos->id) + gpa, len);
}

static struct acrn_vm_creation creation(const char *name, uint64_t affinity)
{
	struct acrn_vm_creation cv;
	memset(&cv, 0, sizeof(cv));
	strncpy((char *)cv.name, name, sizeof(cv.name));
	cv.cpu_affinity = affinity;
	return cv;
}

/* HC_CREATE_VM through guest memory; returns RAX, *vmid the id written back. */
static int64_t create(const struct acrn_vm_creation *cv, uint16_t *vmid)
{
	put(PARAM_GPA, cv, sizeof(*cv));
	int64_t r = hc(HC_CREATE_VM, PARAM_GPA, 0);
	struct acrn_vm_creation out;
	get(PARAM_GPA, &out, sizeof(out));
	if (vmid)
		*vmid = out.vmid;
	return r;
}

static uint16_t create_ok(const char *name, uint64_t affinity)
{
	struct acrn_vm_creation cv = creation(name, affinity);
	uint16_t id = 0xffff;
	ck_assert_int_eq(create(&cv, &id), 0);
	return id;
}

/* ---- who may call ---------------------------------------------------------------- */

START_TEST(test_api_version)
{
	memset(sim_vm_ram(sos->id) + PARAM_GPA, 0xaa, 16);
	ck_assert_int_eq(hc(HC_GET_API_VERSION, PARAM_GPA, 0x5555), 0);
	struct hc_api_version ver;
	get(PARAM_GPA, &ver, sizeof(ver));
	ck_assert_uint_eq(ver.major_version, 1);
	ck_assert_uint_eq(ver.minor_version, 0);
	/* Nothing past the structure was written. */
	ck_assert_uint_eq(sim_vm_ram(sos->id)[PARAM_GPA + 8], 0xaa);
	/* Only RAX and RIP changed in the caller. */
	ck_assert_uint_eq(v->reg_dirty, (1u << VCPU_RAX) | (1u << VCPU_RIP));
	ck_assert_int_eq(hc(HC_GET_API_VERSION, PARAM_GPA + 4, 0), -TERN_EINVAL);
	ck_assert_int_eq(hc(HC_GET_API_VERSION, 0x10000 - 4, 0), -TERN_EINVAL);
	ck_assert_int_eq(hc(HC_GET_API_VERSION, 0x10000 - 8, 0), 0);
	ck_assert_int_eq(hc(HC_GET_API_VERSION, 0x10000, 0), -TERN_EFAULT);
	ck_assert_int_eq(hc(HC_GET_API_VERSION, ~0ull - 7, 0), -TERN_EFAULT);
}
END_TEST

/* A platform that leaves R8/RDI/RSI out of the cache (fetched on demand):
 * the hypercall reads them from the vCPU's state, a cached one as cached. */
START_TEST(test_parameters_fetched_when_not_cached)
{
	exit_state(v, 0, 0, 0, 0);
	v->reg_valid &= ~((1u << VCPU_R8) | (1u << VCPU_RSI));
	sim_vcpu_hw(v)->regs[VCPU_R8] = HC_GET_API_VERSION;
	sim_vcpu_hw(v)->regs[VCPU_RSI] = 0x5555;
	sim_vcpu_hw(v)->regs[VCPU_RDI] = PARAM_GPA + 0x100;   /* not read: RDI is cached */
	vcpu_cache_fill(v, VCPU_RDI, PARAM_GPA);
	memset(sim_vm_ram(sos->id) + PARAM_GPA, 0xaa, 16);
	memset(sim_vm_ram(sos->id) + PARAM_GPA + 0x100, 0xaa, 16);
	sim_vcpu_begin(v);
	ck_assert_int_eq(vmcall_on(v), EXIT_ACTION_RESUME);
	ck_assert_int_eq((int64_t)v->regs[VCPU_RAX], 0);
	ck_assert_uint_eq(v->regs[VCPU_RIP], RIP0 + VMCALL_LEN);
	struct hc_api_version ver;
	get(PARAM_GPA, &ver, sizeof(ver));
	ck_assert_uint_eq(ver.major_version, 1);
	ck_assert_uint_eq(sim_vm_ram(sos->id)[PARAM_GPA + 0x100], 0xaa);
	ck_assert_uint_eq(v->regs[VCPU_R8], HC_GET_API_VERSION);
}
END_TEST

START_TEST(test_user_vm_gets_ud)
{
	struct vm *uos = sim_create_vm(&hv, "uos", 1, false, 0x10000);
	uos->state = VM_STATE_RUNNING;
	struct vcpu *u = &uos->vcpus[0];
	exit_state(u, 0, HC_GET_API_VERSION, PARAM_GPA, 0);
	memcpy(&snap, &hv, sizeof(hv));
	ck_assert_int_eq(vmcall_on(u), EXIT_ACTION_RESUME);
	ck_assert(u->event.valid);
	ck_assert_uint_eq(u->event.vector, X86_UD);
	ck_assert(!u->event.has_error);
	/* RAX, RIP and the other VMs as they were; guest memory untouched. */
	ck_assert_uint_eq(u->reg_dirty, 0);
	ck_assert_uint_eq(u->regs[VCPU_RAX], RAX_BEFORE);
	ck_assert_uint_eq(u->regs[VCPU_RIP], RIP0);
	ck_assert(memcmp(&snap.vms[sos->id], &hv.vms[sos->id], sizeof(struct vm)) == 0);
	ck_assert_uint_eq(sim_vm_ram(uos->id)[PARAM_GPA], 0);
	/* At CPL 3 too: a User VM never learns that hypercalls exist. */
	exit_state(u, 3, HC_CREATE_VM, PARAM_GPA, 0);
	vmcall_on(u);
	ck_assert_uint_eq(u->event.vector, X86_UD);
}
END_TEST

START_TEST(test_cpl3_gets_gp0)
{
	for (unsigned cpl = 1; cpl <= 3; cpl++) {
		exit_state(v, cpl, HC_GET_API_VERSION, PARAM_GPA, 0);
		ck_assert_int_eq(vmcall_on(v), EXIT_ACTION_RESUME);
		ck_assert(v->event.valid);
		ck_assert_uint_eq(v->event.vector, X86_GP);
		ck_assert(v->event.has_error);
		ck_assert_uint_eq(v->event.error_code, 0);
		ck_assert_uint_eq(v->reg_dirty, 0);
		ck_assert_uint_eq(sim_vm_ram(sos->id)[PARAM_GPA], 0);
	}
}
END_TEST

START_TEST(test_outside_64bit_mode_gets_ud)
{
	/* 32-bit protected mode at CPL 0. */
	exit_state(v, 0, HC_GET_API_VERSION, PARAM_GPA, 0);
	sim_vcpu_flat_state(v, false, 0);
	vcpu_cache_fill(v, VCPU_R8, HC_GET_API_VERSION);
	vmcall_on(v);
	ck_assert_uint_eq(v->event.vector, X86_UD);
	ck_assert_uint_eq(v->reg_dirty, 0);
	/* Compatibility mode: IA-32e active, CS.L = 0. */
	exit_state(v, 0, HC_GET_API_VERSION, PARAM_GPA, 0);
	struct seg_desc cs = *vcpu_get_seg(v, VCPU_CS);
	cs.ar = 0xc09b;
	vcpu_cache_fill_seg(v, VCPU_CS, &cs);
	vmcall_on(v);
	ck_assert_uint_eq(v->event.vector, X86_UD);
	/* Compatibility mode at CPL 3 is #UD too: the mode is checked first. */
	exit_state(v, 3, HC_GET_API_VERSION, PARAM_GPA, 0);
	cs = *vcpu_get_seg(v, VCPU_CS);
	cs.ar = 0xc0fb;
	vcpu_cache_fill_seg(v, VCPU_CS, &cs);
	vmcall_on(v);
	ck_assert_uint_eq(v->event.vector, X86_UD);
	ck_assert_uint_eq(sim_vm_ram(sos->id)[PARAM_GPA], 0);
}
END_TEST

START_TEST(test_fault_during_double_fault_is_triple)
{
	/* The VMCALL exit interrupted #DF delivery: #GP then shuts the VM down. */
	exit_state(v, 3, HC_GET_API_VERSION, PARAM_GPA, 0);
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_VMCALL;
	ex.instr_len = VMCALL_LEN;
	ex.idt_vectoring_info = INTR_INFO_VALID | INTR_INFO_HAS_ERROR | (3u << 8) | X86_DF;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(sos->stop_cause, VM_STOP_TRIPLE_FAULT);
}
END_TEST

/* ---- ids ------------------------------------------------------------------------- */

START_TEST(test_bad_ids_change_nothing)
{
	const uint64_t ids[] = {
		0x00000000ull,            /* right low byte (GET_API_VERSION), no prefix */
		0x00000010ull,            /* CREATE_VM's low byte only */
		0x7f000000ull,
		0x7f000010ull,
		0x81000010ull,
		0x180000000ull,           /* bit 32 set above a valid id */
		0x180000010ull,
		0xffffffff80000010ull,    /* a sign-extended CREATE_VM */
		0x8000000000000010ull,
		0x80000001ull,            /* ACRN's SERVICE_VM_OFFLINE_CPU: not implemented */
		0x80000014ull,            /* ACRN's removed CREATE_VCPU */
		0x80000020ull,
		0x80000041ull,            /* ACRN's GPA2HPA */
		0x800000efull,
		0x800000f4ull,            /* past Tern's own */
		0x800000ffull,
		0x80000100ull,            /* low byte 0x00 with bit 8 set */
		0x80001010ull,
		~0ull,
	};
	uint16_t id = create_ok("target", 1);
	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		/* Parameters that would be valid for the low byte's hypercall. */
		struct acrn_vm_creation cv = creation("never", 1);
		put(PARAM_GPA, &cv, sizeof(cv));
		memcpy(&snap, &hv, sizeof(hv));
		uint8_t ram[64];
		get(PARAM_GPA, ram, sizeof(ram));
		ck_assert_msg(hc(ids[i], PARAM_GPA, id) == -TERN_ENOTTY, "id 0x%llx",
			      (unsigned long long)ids[i]);
		for (unsigned n = 0; n < TERN_MAX_VMS; n++)
			if (n != sos->id)
				ck_assert_msg(memcmp(&snap.vms[n], &hv.vms[n], sizeof(struct vm)) == 0,
					      "id 0x%llx changed vm%u", (unsigned long long)ids[i], n);
		uint8_t after[64];
		get(PARAM_GPA, after, sizeof(after));
		ck_assert(memcmp(ram, after, sizeof(ram)) == 0);
	}
	ck_assert(sim_log_contains("hypercall 0xffffffffffffffff failed: -25"));
}
END_TEST

/* ---- create ------------------------------------------------------------------------ */

START_TEST(test_create_vm)
{
	struct acrn_vm_creation cv = creation("uos-1", 0xc); /* two pCPUs: two vCPUs */
	cv.ioreq_buf = 0x7000;
	uint16_t id = 0xffff;
	ck_assert_int_eq(create(&cv, &id), 0);
	ck_assert_uint_eq(id, 1);
	struct acrn_vm_creation out;
	get(PARAM_GPA, &out, sizeof(out));
	ck_assert_uint_eq(out.vcpu_num, 2);
	ck_assert_uint_eq(out.ioreq_buf, 0x7000);
	ck_assert_uint_eq(out.cpu_affinity, 0xc);
	struct vm *vm = vm_get(&hv, id);
	ck_assert_ptr_nonnull(vm);
	ck_assert_uint_eq(vm->state, VM_STATE_CREATED);
	ck_assert_str_eq(vm->config.name, "uos-1");
	ck_assert_uint_eq(vm->config.vcpu_count, 2);
	ck_assert(!vm->config.service_vm);
	ck_assert(!vm->config.reset_on_triple_fault);
	ck_assert_uint_eq(vm->config.cpu_affinity, 0xc);
	/* Each vCPU is owned by the pCPU of its affinity bit. */
	ck_assert_uint_eq(vm->vcpus[0].pcpu, 2);
	ck_assert_uint_eq(vm->vcpus[1].pcpu, 3);
	ck_assert(!vm->ioreq_valid);  /* ioreq_buf is the HSM's, not a GPA */
	ck_assert(vm->vcpus[1].load_pending);
	ck_assert_uint_eq(vm->vcpus[1].load.regs[VCPU_RIP], 0xfff0);
	ck_assert(!vm->config.ioreq_polling);
	/* A 15-character name is the longest that fits. */
	ck_assert_uint_eq(create_ok("123456789012345", 1), 2);
	/* ACRN's IO_COMPLETION_POLLING is the one flag taken: polling mode (ioreq.h). */
	struct acrn_vm_creation pc = creation("poll", 1);
	pc.vm_flag = ACRN_VM_FLAG_IO_COMPLETION_POLLING;
	uint16_t pid;
	ck_assert_int_eq(create(&pc, &pid), 0);
	ck_assert(hv.vms[pid].config.ioreq_polling);
}
END_TEST

START_TEST(test_create_vm_refusals)
{
	struct { const char *what; struct acrn_vm_creation cv; int ret; } cases[] = {
		{ "reserved0", creation("a", 1), -TERN_EINVAL },
		{ "reserved1", creation("a", 1), -TERN_EINVAL },
		{ "vm_flag", creation("a", 1), -TERN_EINVAL },
		{ "no vCPU", creation("a", 0), -TERN_EINVAL },
		{ "nine vCPUs", creation("a", 0x1ff), -TERN_EINVAL },
		{ "empty name", creation("", 1), -TERN_EINVAL },
		{ "unterminated name", creation("a", 1), -TERN_EINVAL },
		{ "the Service VM's name", creation("sos", 1), -TERN_EEXIST },
		{ "a pCPU Tern does not run", creation("a", 1ull << TERN_MAX_PCPUS), -TERN_EINVAL },
	};
	cases[0].cv.reserved0 = 1;
	cases[1].cv.reserved1 = 0x100;
	cases[2].cv.vm_flag = ACRN_VM_FLAG_IO_COMPLETION_POLLING | 1ull << 0; /* + SECURE_WORLD */
	memset(cases[6].cv.name, 'n', sizeof(cases[6].cv.name));
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(&snap, &hv, sizeof(hv));
		ck_assert_msg(create(&cases[i].cv, NULL) == cases[i].ret, "%s", cases[i].what);
		for (unsigned n = 1; n < TERN_MAX_VMS; n++)
			ck_assert_msg(memcmp(&snap.vms[n], &hv.vms[n], sizeof(struct vm)) == 0, "%s",
				      cases[i].what);
		/* Nothing written back. */
		struct acrn_vm_creation out;
		get(PARAM_GPA, &out, sizeof(out));
		ck_assert(memcmp(&out, &cases[i].cv, sizeof(out)) == 0);
	}
	/* A platform that runs vCPUs on pCPU 0 only (today's image) refuses pCPU 1. */
	sim.pcpu_mask = 0x1;
	struct acrn_vm_creation one = creation("b", 0x2);
	ck_assert_int_eq(create(&one, NULL), -TERN_EINVAL);
	sim.pcpu_mask = (1ull << TERN_MAX_PCPUS) - 1;
	/* The structure must be aligned and inside the Service VM's memory. */
	ck_assert_int_eq(hc(HC_CREATE_VM, PARAM_GPA + 4, 0), -TERN_EINVAL);
	ck_assert_int_eq(hc(HC_CREATE_VM, 0x10000 - 40, 0), -TERN_EFAULT);
	ck_assert_int_eq(hc(HC_CREATE_VM, 0x8000000000000000ull, 0), -TERN_EFAULT);
	ck_assert_int_eq(hc(HC_CREATE_VM, ~0ull - 7, 0), -TERN_EFAULT);   /* wraps around */
	/* The id cannot be written back (a read-only page): the VM is not kept. */
	struct acrn_vm_creation ro = creation("readonly", 1);
	put(PARAM_GPA, &ro, sizeof(ro));
	memcpy(&snap, &hv, sizeof(hv));
	uint64_t page = PARAM_GPA & ~0xfffull;
	ck_assert_int_eq(ept_modify(&sos->ept, page, 0x1000, EPT_R, EPT_MT_WB), 0);
	ck_assert_int_eq(hc(HC_CREATE_VM, PARAM_GPA, 0), -TERN_EFAULT);
	ck_assert_int_eq(ept_modify(&sos->ept, page, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	for (unsigned n = 1; n < TERN_MAX_VMS; n++)
		ck_assert_uint_eq(hv.vms[n].state, VM_STATE_POWERED_OFF);
	ck_assert(sim_log_contains("vm1 (readonly) destroyed"));
	/* Names are unique among existing VMs; a destroyed VM's name is free. */
	uint16_t id = create_ok("dup", 1);
	struct acrn_vm_creation cv = creation("dup", 1);
	ck_assert_int_eq(create(&cv, NULL), -TERN_EEXIST);
	ck_assert_int_eq(hc(HC_DESTROY_VM, id, 0), 0);
	ck_assert_uint_eq(create_ok("dup", 1), id);
}
END_TEST

START_TEST(test_create_until_full)
{
	char name[16];
	for (unsigned i = 1; i < TERN_MAX_VMS; i++) {
		snprintf(name, sizeof(name), "vm%u", i);
		ck_assert_uint_eq(create_ok(name, 1), i);
	}
	struct acrn_vm_creation cv = creation("one-too-many", 1);
	ck_assert_int_eq(create(&cv, NULL), -TERN_ENOSPC);
}
END_TEST

/* ---- lifecycle through hypercalls --------------------------------------------- */

START_TEST(test_lifecycle)
{
	uint16_t id = create_ok("life", 3);
	struct vm *vm = vm_get(&hv, id);
	ck_assert_int_eq(hc(HC_PAUSE_VM, id, 0), -TERN_EBUSY);
	ck_assert_int_eq(hc(HC_START_VM, id, 0), 0);
	ck_assert_uint_eq(vm->state, VM_STATE_RUNNING);
	ck_assert_int_eq(hc(HC_START_VM, id, 0), -TERN_EBUSY);
	ck_assert_int_eq(hc(HC_RESET_VM, id, 0), -TERN_EBUSY);
	ck_assert_int_eq(hc(HC_DESTROY_VM, id, 0), -TERN_EBUSY);
	ck_assert_int_eq(hc(HC_TERN_PAUSE_VCPU, id, 1), 0);
	ck_assert_uint_eq(vm->vcpus[1].state, VCPU_STATE_PAUSED);
	ck_assert_int_eq(hc(HC_TERN_PAUSE_VCPU, id, 1), -TERN_EBUSY);
	ck_assert_int_eq(hc(HC_PAUSE_VM, id, 0), 0);
	ck_assert_uint_eq(vm->state, VM_STATE_PAUSED);
	ck_assert_int_eq(hc(HC_TERN_RESUME_VM, id, 0), 0);
	ck_assert_uint_eq(vm->state, VM_STATE_RUNNING);
	ck_assert_uint_eq(vm->vcpus[1].state, VCPU_STATE_PAUSED);
	ck_assert_int_eq(hc(HC_TERN_RESUME_VCPU, id, 1), 0);
	ck_assert_uint_eq(vm->vcpus[1].state, VCPU_STATE_INIT);
	ck_assert_int_eq(hc(HC_TERN_RESUME_VCPU, id, 1), -TERN_EBUSY);
	ck_assert_int_eq(hc(HC_TERN_RESUME_VM, id, 0), -TERN_EBUSY);
	ck_assert_int_eq(hc(HC_PAUSE_VM, id, 0), 0);
	ck_assert_int_eq(hc(HC_RESET_VM, id, 0), 0);
	ck_assert_uint_eq(vm->state, VM_STATE_CREATED);
	ck_assert_int_eq(hc(HC_DESTROY_VM, id, 0), 0);
	ck_assert_ptr_null(vm_get(&hv, id));
	ck_assert_int_eq(hc(HC_START_VM, id, 0), -TERN_ENOENT);
	for (unsigned i = 0; i < TERN_MAX_VMS; i++)
		ck_assert_int_eq(vm_mgr_check(&hv.vms[i]), 0);
}
END_TEST

/* HC_TERN_GET_VM_STATE: the lifecycle as the Service VM sees it, and a User
 * VM's debug-exit status after that port stopped it (and only it). */
static struct tern_vm_state vm_state_of(uint16_t id)
{
	struct tern_vm_state st;
	memset(sim_vm_ram(sos->id) + PARAM_GPA, 0xaa, sizeof(st) + 8);
	ck_assert_int_eq(hc(HC_TERN_GET_VM_STATE, id, PARAM_GPA), 0);
	get(PARAM_GPA, &st, sizeof(st));
	/* Nothing past the structure was written. */
	ck_assert_uint_eq(sim_vm_ram(sos->id)[PARAM_GPA + sizeof(st)], 0xaa);
	return st;
}

START_TEST(test_get_vm_state)
{
	uint16_t id = create_ok("uvm", 1);
	struct vm *vm = vm_get(&hv, id);
	ck_assert_uint_eq(vm_state_of(id).state, VM_STATE_CREATED);
	ck_assert_int_eq(hc(HC_START_VM, id, 0), 0);
	struct tern_vm_state st = vm_state_of(id);
	ck_assert_uint_eq(st.state, VM_STATE_RUNNING);
	ck_assert_uint_eq(st.stop_cause, VM_STOP_NONE);
	ck_assert_int_eq(hc(HC_PAUSE_VM, id, 0), 0);
	ck_assert_uint_eq(vm_state_of(id).state, VM_STATE_PAUSED);
	ck_assert_int_eq(hc(HC_TERN_RESUME_VM, id, 0), 0);
	/* The User VM writes its debug-exit port: it stops, the Service VM runs on. */
	uint32_t status = 0xa5;
	ck_assert(pio_access(&vm->pio, vm, DEBUG_EXIT_PORT, 1, true, &status));
	st = vm_state_of(id);
	ck_assert_uint_eq(st.state, VM_STATE_STOPPED);
	ck_assert_uint_eq(st.stop_cause, VM_STOP_GUEST_EXIT);
	ck_assert_uint_eq(st.stop_detail, 0xa5);
	ck_assert_uint_eq(st.exit_status, 0xa5);
	ck_assert_uint_eq(sos->state, VM_STATE_RUNNING);
	/* Bad arguments change nothing in the caller's memory. */
	memset(sim_vm_ram(sos->id) + PARAM_GPA, 0xaa, 16);
	ck_assert_int_eq(hc(HC_TERN_GET_VM_STATE, id, PARAM_GPA + 4), -TERN_EINVAL);
	ck_assert_int_eq(hc(HC_TERN_GET_VM_STATE, id, 0x10000 - 8), -TERN_EFAULT);
	ck_assert_int_eq(hc(HC_TERN_GET_VM_STATE, id + 1, PARAM_GPA), -TERN_ENOENT);
	ck_assert_int_eq(hc(HC_TERN_GET_VM_STATE, sos->id, PARAM_GPA), -TERN_EPERM);
	ck_assert_uint_eq(sim_vm_ram(sos->id)[PARAM_GPA], 0xaa);
	/* A destroyed VM is gone. */
	ck_assert_int_eq(hc(HC_DESTROY_VM, id, 0), 0);
	ck_assert_int_eq(hc(HC_TERN_GET_VM_STATE, id, PARAM_GPA), -TERN_ENOENT);
}
END_TEST

/* Every hypercall that names a VM checks the whole 64-bit id. */
START_TEST(test_vm_id_parameters)
{
	const uint64_t vm_ids[] = { HC_START_VM, HC_PAUSE_VM, HC_RESET_VM, HC_DESTROY_VM,
				    HC_TERN_RESUME_VM, HC_TERN_PAUSE_VCPU, HC_TERN_RESUME_VCPU,
				    HC_TERN_GET_VM_STATE,
				    HC_SET_VCPU_REGS };
	uint16_t id = create_ok("t", 1);
	ck_assert_uint_eq(id, 1);
	for (unsigned i = 0; i < sizeof(vm_ids) / sizeof(vm_ids[0]); i++) {
		memcpy(&snap, &hv, sizeof(hv));
		/* 0x1_00000001 would be VM 1 if truncated. */
		ck_assert_int_eq(hc(vm_ids[i], 0x100000001ull, 0), -TERN_EINVAL);
		ck_assert_int_eq(hc(vm_ids[i], 0x10001, 0), -TERN_EINVAL);
		ck_assert_int_eq(hc(vm_ids[i], TERN_MAX_VMS, 0), -TERN_EINVAL);
		ck_assert_int_eq(hc(vm_ids[i], ~0ull, 0), -TERN_EINVAL);
		ck_assert_int_eq(hc(vm_ids[i], 5, 0), -TERN_ENOENT);
		/* The Service VM is never a target, not even of itself. */
		ck_assert_int_eq(hc(vm_ids[i], sos->id, 0), -TERN_EPERM);
		for (unsigned n = 1; n < TERN_MAX_VMS; n++)
			ck_assert(memcmp(&snap.vms[n], &hv.vms[n], sizeof(struct vm)) == 0);
	}
	ck_assert_uint_eq(sos->state, VM_STATE_RUNNING);
	/* vCPU ids are checked whole as well. */
	ck_assert_int_eq(hc(HC_START_VM, id, 0), 0);
	ck_assert_int_eq(hc(HC_TERN_PAUSE_VCPU, id, 0x100000000ull), -TERN_EINVAL);
	ck_assert_int_eq(hc(HC_TERN_PAUSE_VCPU, id, TERN_MAX_VCPUS), -TERN_EINVAL);
	ck_assert_int_eq(hc(HC_TERN_PAUSE_VCPU, id, 1), -TERN_EINVAL); /* it has one */
	ck_assert_int_eq(hc(HC_TERN_RESUME_VCPU, id, 0x100000000ull), -TERN_EINVAL);
	ck_assert_uint_eq(vm_get(&hv, id)->vcpus[0].state, VCPU_STATE_RUNNABLE);
}
END_TEST

/* HC_VM_SET_MEMORY_REGIONS reaches vm_memory.c; destroy gives the tables back. */
START_TEST(test_memory_regions)
{
	/* The Service VM's RAM, mapped by vm_create as on the image. */
	const uint64_t sos_hpa = sim.vms[sos->id].ram_hpa;
	uint16_t id = create_ok("m", 1);
	struct vm *vm = vm_get(&hv, id);
	struct set_regions req = { .vmid = id, .mr_num = 1, .regions_gpa = 0x3000 };
	struct vm_memory_region mr = { MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0x100000, 0x8000, 0x4000 };
	put(PARAM_GPA, &req, sizeof(req));
	put(0x3000, &mr, sizeof(mr));
	ck_assert_int_eq(hc(HC_VM_SET_MEMORY_REGIONS, PARAM_GPA, 0), 0);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&vm->ept, 0x101234, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, sos_hpa + 0x9234);
	ck_assert_uint_gt(vm->pt_pool.in_use, 0);
	/* A region the Service VM does not back: -EFAULT, nothing mapped. */
	mr.gpa = 0x200000;
	mr.service_vm_gpa = 0x200000;
	put(0x3000, &mr, sizeof(mr));
	ck_assert_int_eq(hc(HC_VM_SET_MEMORY_REGIONS, PARAM_GPA, 0), -TERN_EFAULT);
	ck_assert_int_eq(ept_walk(&vm->ept, 0x200000, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	/* The Service VM's own memory is not changed this way. */
	req.vmid = sos->id;
	put(PARAM_GPA, &req, sizeof(req));
	ck_assert_int_eq(hc(HC_VM_SET_MEMORY_REGIONS, PARAM_GPA, 0), -TERN_EPERM);
	/* Destroyed and made again: the new VM's EPT maps nothing of the old one's. */
	ck_assert_int_eq(hc(HC_DESTROY_VM, id, 0), 0);
	ck_assert_uint_eq(create_ok("m2", 1), id);
	ck_assert_uint_eq(vm->pt_pool.in_use, UNIT_EPT_NEW_TABLES);
	ck_assert_int_eq(ept_walk(&vm->ept, 0x101234, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
}
END_TEST

/* ---- set vCPU registers ------------------------------------------------------------ */

static struct acrn_vcpu_regs long_mode_regs(uint16_t vcpu_id)
{
	struct acrn_vcpu_regs r;
	memset(&r, 0, sizeof(r));
	r.vcpu_id = vcpu_id;
	r.vcpu_regs.gprs.rsi = 0x7000;         /* a Linux boot_params pointer */
	r.vcpu_regs.gprs.r15 = 0xf15;
	r.vcpu_regs.gdt.base = 0x1500;
	r.vcpu_regs.gdt.limit = 0x1f;
	r.vcpu_regs.idt.base = 0x1600;
	r.vcpu_regs.idt.limit = 0xfff;
	r.vcpu_regs.rip = 0x1000000;
	r.vcpu_regs.cs_base = 0;
	r.vcpu_regs.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE;
	r.vcpu_regs.cr3 = 0x9000;
	r.vcpu_regs.cr4 = X86_CR4_PAE;
	r.vcpu_regs.ia32_efer = X86_EFER_LME | X86_EFER_LMA;
	r.vcpu_regs.rflags = 0x2;
	r.vcpu_regs.cs_ar = 0xa09b;
	r.vcpu_regs.cs_limit = 0xffffffff;
	r.vcpu_regs.cs_sel = 0x10;
	r.vcpu_regs.ss_sel = 0x18;
	r.vcpu_regs.ds_sel = 0x18;
	r.vcpu_regs.tr_sel = 0x20;
	return r;
}

START_TEST(test_set_vcpu_regs)
{
	uint16_t id = create_ok("regs", 7);
	struct vm *vm = vm_get(&hv, id);
	struct acrn_vcpu_regs r = long_mode_regs(2);
	put(PARAM_GPA, &r, sizeof(r));
	ck_assert_int_eq(hc(HC_SET_VCPU_REGS, id, PARAM_GPA), 0);
	const struct vcpu_load_state *st = &vm->vcpus[2].load;
	ck_assert(vm->vcpus[2].load_pending);
	ck_assert_uint_eq(st->regs[VCPU_RSI], 0x7000);
	ck_assert_uint_eq(st->regs[VCPU_R15], 0xf15);
	ck_assert_uint_eq(st->regs[VCPU_RIP], 0x1000000);
	ck_assert_uint_eq(st->regs[VCPU_CR3], 0x9000);
	ck_assert_uint_eq(st->regs[VCPU_EFER], X86_EFER_LME | X86_EFER_LMA);
	ck_assert_uint_eq(st->segs[VCPU_CS].selector, 0x10);
	ck_assert_uint_eq(st->segs[VCPU_CS].ar, 0xa09b);
	ck_assert_uint_eq(st->segs[VCPU_SS].selector, 0x18);
	ck_assert_uint_eq(st->segs[VCPU_SS].ar, 0xc093);
	ck_assert_uint_eq(st->segs[VCPU_DS].limit, 0xffffffff);
	ck_assert_uint_eq(st->segs[VCPU_ES].selector, 0);
	ck_assert_uint_eq(st->segs[VCPU_LDTR].ar, 0x10000);   /* null LDTR: unusable */
	ck_assert_uint_eq(st->segs[VCPU_TR].selector, 0x20);
	ck_assert_uint_eq(st->segs[VCPU_TR].ar, 0x8b);
	ck_assert_uint_eq(st->gdtr_base, 0x1500);
	ck_assert_uint_eq(st->gdtr_limit, 0x1f);
	ck_assert_uint_eq(st->idtr_base, 0x1600);
	ck_assert_uint_eq(st->idtr_limit, 0xfff);
	ck_assert_uint_eq(st->regs[VCPU_PAT], 0x0007040600070406ull);
	/* vCPU 0 keeps its reset state. */
	ck_assert_uint_eq(vm->vcpus[0].load.regs[VCPU_RIP], 0xfff0);

	/* Each of ACRN's sixteen GPRs lands in its own register. */
	r = long_mode_regs(1);
	struct acrn_gp_regs gp = {
		0x100, 0x101, 0x102, 0x103, 0x104, 0x105, 0x106, 0x107,
		0x108, 0x109, 0x10a, 0x10b, 0x10c, 0x10d, 0x10e, 0x10f,
	};
	r.vcpu_regs.gprs = gp;
	put(PARAM_GPA, &r, sizeof(r));
	ck_assert_int_eq(hc(HC_SET_VCPU_REGS, id, PARAM_GPA), 0);
	const enum vcpu_reg order[16] = { VCPU_RAX, VCPU_RCX, VCPU_RDX, VCPU_RBX, VCPU_RSP, VCPU_RBP,
					  VCPU_RSI, VCPU_RDI, VCPU_R8, VCPU_R9, VCPU_R10, VCPU_R11,
					  VCPU_R12, VCPU_R13, VCPU_R14, VCPU_R15 };
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(vm->vcpus[1].load.regs[order[i]], 0x100 + i);
	ck_assert_uint_eq(gp.rsp, 0x104);
	ck_assert_uint_eq(gp.r8, 0x108);

	/* Real mode: bases come from the selectors. */
	memset(&r, 0, sizeof(r));
	r.vcpu_regs.rflags = 0x2;
	r.vcpu_regs.cr0 = X86_CR0_ET;
	r.vcpu_regs.cs_sel = 0x1000;
	r.vcpu_regs.cs_base = 0x10000;
	r.vcpu_regs.cs_limit = 0xffff;
	r.vcpu_regs.cs_ar = 0x9b;
	r.vcpu_regs.ds_sel = 0x2000;
	r.vcpu_regs.ldt_sel = 0x28;
	put(PARAM_GPA, &r, sizeof(r));
	ck_assert_int_eq(hc(HC_SET_VCPU_REGS, id, PARAM_GPA), 0);
	st = &vm->vcpus[0].load;
	ck_assert_uint_eq(st->segs[VCPU_DS].base, 0x20000);
	ck_assert_uint_eq(st->segs[VCPU_DS].limit, 0xffff);
	ck_assert_uint_eq(st->segs[VCPU_DS].ar, 0x93);
	ck_assert_uint_eq(st->segs[VCPU_LDTR].ar, 0x82);
}
END_TEST

/*
 * reserved_16 (ACRN's acrn_common.h) is past the end of Linux's 296-byte
 * acrn_vcpu_regs, or its tail padding: a Linux HSM passes whatever follows
 * its copy there. Not checked: the state is taken as with zeros.
 */
START_TEST(test_set_vcpu_regs_ignores_bytes_past_linux_struct)
{
	uint16_t id = create_ok("regs16", 1);
	struct acrn_vcpu_regs r = long_mode_regs(0);
	r.vcpu_regs.gprs.rbx = 0x5150;
	ck_assert_uint_eq(offsetof(struct acrn_vcpu_regs, vcpu_regs.reserved_16), 292);
	memset(r.vcpu_regs.reserved_16, 0xa5, sizeof(r.vcpu_regs.reserved_16));
	put(PARAM_GPA, &r, sizeof(r));
	ck_assert_int_eq(hc(HC_SET_VCPU_REGS, id, PARAM_GPA), 0);
	const struct vcpu_load_state *st = &hv.vms[id].vcpus[0].load;
	ck_assert_uint_eq(st->regs[VCPU_RBX], 0x5150);
	ck_assert_uint_eq(st->regs[VCPU_RIP], r.vcpu_regs.rip);
	ck_assert_uint_eq(st->segs[VCPU_CS].selector, r.vcpu_regs.cs_sel);
	ck_assert_uint_eq(st->segs[VCPU_TR].selector, r.vcpu_regs.tr_sel);
}
END_TEST

START_TEST(test_set_vcpu_regs_refusals)
{
	uint16_t id = create_ok("regs", 3);
	struct { const char *what; struct acrn_vcpu_regs r; int ret; } cases[] = {
		{ "vcpu id past the VM's", long_mode_regs(2), -TERN_EINVAL },
		{ "vcpu id 0xffff", long_mode_regs(0xffff), -TERN_EINVAL },
		{ "header reserved", long_mode_regs(0), -TERN_EINVAL },
		{ "gdt reserved", long_mode_regs(0), -TERN_EINVAL },
		{ "idt reserved", long_mode_regs(0), -TERN_EINVAL },
		{ "reserved_64", long_mode_regs(0), -TERN_EINVAL },
		{ "reserved_32", long_mode_regs(0), -TERN_EINVAL },
		{ "CR4.VMXE", long_mode_regs(0), -TERN_EINVAL },
		{ "EFER.LMA without paging", long_mode_regs(0), -TERN_EINVAL },
		{ "RFLAGS bit 1 clear", long_mode_regs(0), -TERN_EINVAL },
		{ "CS not present", long_mode_regs(0), -TERN_EINVAL },
	};
	cases[2].r.reserved[1] = 1;
	cases[3].r.vcpu_regs.gdt.reserved[0] = 1;
	cases[4].r.vcpu_regs.idt.reserved[2] = 1;
	cases[5].r.vcpu_regs.reserved_64[3] = 1;
	cases[6].r.vcpu_regs.reserved_32[0] = 1;
	cases[7].r.vcpu_regs.cr4 |= X86_CR4_VMXE;
	cases[8].r.vcpu_regs.cr0 &= ~X86_CR0_PG;
	cases[9].r.vcpu_regs.rflags = 0;
	cases[10].r.vcpu_regs.cs_ar &= ~0x80u;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put(PARAM_GPA, &cases[i].r, sizeof(cases[i].r));
		memcpy(&snap, &hv, sizeof(hv));
		ck_assert_msg(hc(HC_SET_VCPU_REGS, id, PARAM_GPA) == cases[i].ret, "%s", cases[i].what);
		ck_assert_msg(memcmp(&snap.vms[id], &hv.vms[id], sizeof(struct vm)) == 0, "%s",
			      cases[i].what);
	}
	struct acrn_vcpu_regs r = long_mode_regs(0);
	put(PARAM_GPA, &r, sizeof(r));
	ck_assert_int_eq(hc(HC_SET_VCPU_REGS, id, PARAM_GPA + 4), -TERN_EINVAL);
	ck_assert_int_eq(hc(HC_SET_VCPU_REGS, id, 0x10000 - 16), -TERN_EFAULT);
	/* Not while the VM runs. */
	ck_assert_int_eq(hc(HC_START_VM, id, 0), 0);
	ck_assert_int_eq(hc(HC_SET_VCPU_REGS, id, PARAM_GPA), -TERN_EBUSY);
	ck_assert_int_eq(hc(HC_PAUSE_VM, id, 0), 0);
	ck_assert_int_eq(hc(HC_SET_VCPU_REGS, id, PARAM_GPA), 0);
}
END_TEST

/* ---- IOREQ: the page and the completion ----------------------------------------- */

#define IOREQ_PAGE 0x8000u

static struct vcpu *park_on_port_read(struct vm *vm, uint16_t vcpu_id)
{
	/* An IN from a port nobody emulates goes to the device model. */
	struct vcpu *u = &vm->vcpus[vcpu_id];
	u->state = VCPU_STATE_RUNNABLE;
	sim_vcpu_flat_state(u, true, 0);
	vcpu_cache_fill(u, VCPU_RIP, 0x5000);
	vcpu_cache_fill(u, VCPU_RAX, 0x11223344);
	struct exit_record ex = { .reason = EXIT_REASON_IO_INSTRUCTION,
				  .qualification = (0x1234ull << 16) | 0x8 | 0x1, .instr_len = 1 };
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(u->state, VCPU_STATE_WAIT_IO);
	u->reg_dirty = 0;
	return u;
}

static void dm_completes(uint16_t vcpu_id, uint32_t value)
{
	uint8_t *slot = sim_vm_ram(sos->id) + IOREQ_PAGE + vcpu_id * IOREQ_SLOT_SIZE;
	uint32_t st = IOREQ_COMPLETE;
	memcpy(slot + IOREQ_OFF_VALUE, &value, 4);
	memcpy(slot + IOREQ_OFF_STATE, &st, 4);
}

START_TEST(test_ioreq_hypercalls)
{
	uint16_t id = create_ok("dm-guest", 3);
	struct vm *vm = vm_get(&hv, id);
	const struct acrn_ioreq_buffer buf = { IOREQ_PAGE };
	put(0x3000, &buf, sizeof(buf));
	ck_assert_int_eq(hc(HC_SET_IOREQ_BUFFER, id, 0x3000), 0);
	ck_assert(vm->ioreq_valid);
	ck_assert_uint_eq(vm->ioreq_gpa, IOREQ_PAGE);
	const struct acrn_ioreq_buffer bad = { IOREQ_PAGE + 8 };
	put(0x3008, &bad, sizeof(bad));
	ck_assert_int_eq(hc(HC_SET_IOREQ_BUFFER, id, 0x3008), -TERN_EINVAL);
	ck_assert_int_eq(hc(HC_SET_IOREQ_BUFFER, id, 0x3004), -TERN_EINVAL);
	ck_assert_int_eq(hc(HC_SET_IOREQ_BUFFER, id, 0x10000), -TERN_EFAULT);
	ck_assert_uint_eq(vm->ioreq_gpa, IOREQ_PAGE);
	/* No VM id, a free VM slot and the Service VM itself have no IOREQ page to set. */
	ck_assert_int_eq(hc(HC_SET_IOREQ_BUFFER, TERN_MAX_VMS, 0x3000), -TERN_EINVAL);
	ck_assert_int_eq(hc(HC_SET_IOREQ_BUFFER, TERN_MAX_VMS - 1, 0x3000), -TERN_ENOENT);
	ck_assert_int_eq(hc(HC_SET_IOREQ_BUFFER, 0, 0x3000), -TERN_EPERM);
	ck_assert(!vm_get(&hv, 0)->ioreq_valid);

	ck_assert_int_eq(hc(HC_START_VM, id, 0), 0);
	ck_assert_int_eq(hc(HC_SET_IOREQ_BUFFER, id, 0x3000), -TERN_EBUSY);  /* not once running */
	struct vcpu *u = park_on_port_read(vm, 0);
	/* Not complete yet: -EBUSY, the vCPU waits on. */
	ck_assert_int_eq(hc(HC_NOTIFY_REQUEST_FINISH, id, 0), -TERN_EBUSY);
	ck_assert_int_eq(hc(HC_NOTIFY_REQUEST_FINISH, id, 1), -TERN_EINVAL);  /* nothing outstanding */
	ck_assert_int_eq(hc(HC_NOTIFY_REQUEST_FINISH, id, 0x100000000ull), -TERN_EINVAL);
	ck_assert_int_eq(hc(HC_NOTIFY_REQUEST_FINISH, sos->id, 0), -TERN_EPERM);

	/* Completed while the VM is paused: the value lands, the vCPU stays paused
	 * and is runnable once the VM resumes (not back to waiting). */
	ck_assert_int_eq(hc(HC_PAUSE_VM, id, 0), 0);
	dm_completes(0, 0xab);
	ck_assert_int_eq(hc(HC_NOTIFY_REQUEST_FINISH, id, 0), 0);
	/* The post-work is the vCPU's own, in its own context: not yet. */
	ck_assert_uint_eq(u->regs[VCPU_RAX], 0x11223344);
	ck_assert(u->requests & VCPU_REQ_IOREQ_DONE);
	/* Its pCPU handles the request; paused, it is not entered. */
	ck_assert(!sim_vcpu_enter(u));
	ck_assert_uint_eq(u->regs[VCPU_RAX], 0x112200ab);  /* a 16-bit IN: AX only */
	ck_assert_uint_eq(u->state, VCPU_STATE_PAUSED);
	ck_assert_int_eq(hc(HC_TERN_RESUME_VM, id, 0), 0);
	ck_assert_uint_eq(u->state, VCPU_STATE_RUNNABLE);
	ck_assert_int_eq(vm_mgr_check(vm), 0);

	/* A vCPU paused on its own while waiting: it waits again when resumed. */
	u = park_on_port_read(vm, 0);
	ck_assert_int_eq(hc(HC_TERN_PAUSE_VCPU, id, 0), 0);
	ck_assert_int_eq(hc(HC_TERN_RESUME_VCPU, id, 0), 0);
	ck_assert_uint_eq(u->state, VCPU_STATE_WAIT_IO);
	/* Its registers cannot be replaced while the request is out. */
	ck_assert_int_eq(hc(HC_PAUSE_VM, id, 0), 0);
	struct vcpu_load_state st;
	vm_mgr_reset_state(&st, 0);
	ck_assert_int_eq(vm_mgr_set_vcpu_state(vm, 0, &st), -TERN_EBUSY);
	/* A reset voids the request: every slot FREE, the vCPU back in INIT. */
	ck_assert_int_eq(hc(HC_RESET_VM, id, 0), 0);
	ck_assert(!u->io.active);
	ck_assert_uint_eq(u->state, VCPU_STATE_INIT);
	uint32_t state;
	memcpy(&state, sim_vm_ram(sos->id) + IOREQ_PAGE + IOREQ_OFF_STATE, 4);
	ck_assert_uint_eq(state, IOREQ_FREE);
	ck_assert(vm->ioreq_valid);
	ck_assert_int_eq(hc(HC_NOTIFY_REQUEST_FINISH, id, 0), -TERN_EINVAL);
}
END_TEST

START_TEST(test_reset_drops_an_unwritable_ioreq_page)
{
	uint16_t id = create_ok("gone", 1);
	struct vm *vm = vm_get(&hv, id);
	const struct acrn_ioreq_buffer buf = { IOREQ_PAGE };
	put(0x3000, &buf, sizeof(buf));
	ck_assert_int_eq(hc(HC_SET_IOREQ_BUFFER, id, 0x3000), 0);
	ck_assert_int_eq(hc(HC_START_VM, id, 0), 0);
	ck_assert_int_eq(hc(HC_PAUSE_VM, id, 0), 0);
	/* The Service VM's memory shrank under the page. */
	ck_assert_int_eq(ept_unmap(&sos->ept, 0x4000, sim.vms[sos->id].ram_size - 0x4000), 0);
	ck_assert_int_eq(vm_mgr_reset(vm), 0);
	ck_assert(!vm->ioreq_valid);
}
END_TEST

/* The Service VM's other vCPU can call too; its caller's state is its own. */
START_TEST(test_second_service_vcpu)
{
	struct vcpu *v1 = &sos->vcpus[1];
	exit_state(v1, 0, HC_GET_API_VERSION, PARAM_GPA, 0);
	ck_assert_int_eq(vmcall_on(v1), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v1->regs[VCPU_RAX], 0);
	ck_assert_uint_eq(v1->regs[VCPU_RIP], RIP0 + VMCALL_LEN);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hypercall");
	TCase *tc = tcase_create("hypercall");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_api_version);
	tcase_add_test(tc, test_parameters_fetched_when_not_cached);
	tcase_add_test(tc, test_get_vm_state);
	tcase_add_test(tc, test_user_vm_gets_ud);
	tcase_add_test(tc, test_cpl3_gets_gp0);
	tcase_add_test(tc, test_outside_64bit_mode_gets_ud);
	tcase_add_test(tc, test_fault_during_double_fault_is_triple);
	tcase_add_test(tc, test_bad_ids_change_nothing);
	tcase_add_test(tc, test_create_vm);
	tcase_add_test(tc, test_create_vm_refusals);
	tcase_add_test(tc, test_create_until_full);
	tcase_add_test(tc, test_lifecycle);
	tcase_add_test(tc, test_vm_id_parameters);
	tcase_add_test(tc, test_memory_regions);
	tcase_add_test(tc, test_set_vcpu_regs);
	tcase_add_test(tc, test_set_vcpu_regs_refusals);
	tcase_add_test(tc, test_set_vcpu_regs_ignores_bytes_past_linux_struct);
	tcase_add_test(tc, test_second_service_vcpu);
	tcase_add_test(tc, test_ioreq_hypercalls);
	tcase_add_test(tc, test_reset_drops_an_unwritable_ioreq_page);
	suite_add_tcase(s, tc);
	return s;
}
