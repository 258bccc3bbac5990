/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * State-machine fuzzing of the VM manager and the hypercalls: the input is
 * a sequence of operations (manager calls, VMCALL exits from the Service VM
 * or a User VM at any CPL and mode with any id, parameters and parameter
 * memory, HLT exits, triple faults, wake-ups, stops, Service VM memory lent
 * with any region, IOREQ pages anywhere, guest-memory accesses through any
 * VM's EPT). After every operation every VM must satisfy vm_mgr_check(),
 * there must be at most one Service VM, no page of its RAM may be lent to
 * two VMs or hold an IOREQ page while lent, and an operation that failed
 * must have left every VM it could touch byte for byte as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "exit_dispatch.h"
#include "guest_mem.h"
#include "hypercall.h"
#include "ioreq.h"
#include "platform.h"
#include "sim.h"
#include "fuzz_input.h"
#include "vm.h"
#include "vm_memory.h"
#include "vm_mgr.h"

#define SOS_RAM 0x10000u


static struct tern hv;
static struct tern snap;

/*
 * Whether a VM is as its snapshot was, its translation cache and its count
 * of reported Service VM mistakes aside: the cache (guest_mem.h) holds
 * nothing a guest or the Service VM can observe, and a refused operation
 * may well have filled it reading guest memory; a refused IOREQ completion
 * is reported, and counted against the log's limit (ioreq.c), on purpose.
 */
static bool vm_unchanged(struct vm *before, const struct vm *now)
{
	memcpy(before->gmem_tlb, now->gmem_tlb, sizeof(now->gmem_tlb));
	before->ioreq_reports = now->ioreq_reports;
	return memcmp(before, now, sizeof(*now)) == 0;
}

/* The same over the whole hypervisor: every VM, and the rest of struct tern. */
static bool hv_unchanged(void)
{
	for (unsigned i = 0; i < TERN_MAX_VMS; i++)
		memcpy(snap.vms[i].gmem_tlb, hv.vms[i].gmem_tlb, sizeof(hv.vms[i].gmem_tlb));
	return memcmp(&snap, &hv, sizeof(hv)) == 0;
}

static const uint64_t interesting_ids[] = {
	HC_GET_API_VERSION, HC_CREATE_VM, HC_DESTROY_VM, HC_START_VM, HC_PAUSE_VM, HC_RESET_VM,
	HC_SET_VCPU_REGS, HC_VM_SET_MEMORY_REGIONS, HC_TERN_RESUME_VM, HC_TERN_PAUSE_VCPU,
	HC_TERN_RESUME_VCPU, HC_SET_IOREQ_BUFFER, HC_NOTIFY_REQUEST_FINISH, HC_SERVICE_VM_OFFLINE_CPU, HC_SET_CALLBACK_VECTOR, HC_INJECT_MSI, HC_SET_IRQLINE, 0x10, 0x180000010ull, 0xffffffff80000012ull,
};

/* A parameter: mostly small (VM and vCPU ids, the parameter page), sometimes anything. */
static uint64_t param(struct input *in)
{
	uint8_t k = byte(in);
	switch (k & 3) {
	case 0: return k >> 2;                 /* 0..63: ids */
	case 1: return 0x2000 + ((uint64_t)(k >> 2) << 3);  /* aligned, inside RAM */
	case 2: return u64(in);
	default: return (uint64_t)(k >> 2) << 32 | 1;       /* truncation bait */
	}
}

static void vmcall(struct input *in, struct vm *caller_vm)
{
	if (caller_vm->config.vcpu_count == 0)
		return;
	struct vcpu *c = &caller_vm->vcpus[byte(in) % caller_vm->config.vcpu_count];
	uint8_t mode = byte(in);
	uint64_t id = (mode & 0x80) ? u64(in) : interesting_ids[byte(in) % (sizeof(interesting_ids) / 8)];
	uint64_t p1 = param(in), p2 = param(in);
	/* Parameter memory: what the Service VM holds at the parameter page. */
	uint8_t *ram = sim_vm_ram(caller_vm->id);
	if (ram) {
		size_t n = byte(in) * 2u;
		for (size_t i = 0; i < n && in->left; i++)
			ram[0x2000 + i] = byte(in);
	}
	if (c->state != VCPU_STATE_RUNNABLE)
		return; /* only a running vCPU exits */
	sim_vcpu_flat_state(c, !(mode & 1), (mode >> 1) & 3);
	vcpu_cache_fill(c, VCPU_R8, id);
	vcpu_cache_fill(c, VCPU_RDI, p1);
	vcpu_cache_fill(c, VCPU_RSI, p2);
	vcpu_cache_fill(c, VCPU_RIP, 0x1000);
	vcpu_cache_fill(c, VCPU_RAX, 0x5a5a);

	memcpy(&snap, &hv, sizeof(hv));
	struct exit_record ex = { .reason = EXIT_REASON_VMCALL, .instr_len = 3 };
	enum exit_action a = vcpu_handle_exit(c, &ex);
	if (a >= EXIT_ACTION_COUNT)
		abort();
	bool hypercall_ran = vcpu_reg_dirty(c, VCPU_RAX);
	if (hypercall_ran && !caller_vm->config.service_vm)
		abort(); /* only the Service VM gets a result */
	if (c->event.valid && hypercall_ran)
		abort(); /* a faulting VMCALL has no result */
	bool failed = !hypercall_ran || (int64_t)c->regs[VCPU_RAX] < 0;
	/* ACRN's semantics keep the regions applied before a failing one. */
	bool partial_ok = hypercall_ran && id == HC_VM_SET_MEMORY_REGIONS;
	if (failed && !partial_ok) {
		/* Nothing but the caller's own VM (its vCPU's registers) changed. */
		for (unsigned i = 0; i < TERN_MAX_VMS; i++)
			if (&hv.vms[i] != caller_vm && !vm_unchanged(&snap.vms[i], &hv.vms[i]))
				abort();
	}
	/* Before the next entry: what the platform does. */
	vcpu_pre_entry(c);
	c->reg_dirty = 0;
	memset(&c->event, 0, sizeof(c->event));
	if (c->state == VCPU_STATE_STOPPED && caller_vm->state != VM_STATE_STOPPED)
		abort();
}

static struct vm *pick_vm(struct input *in)
{
	return &hv.vms[byte(in) % TERN_MAX_VMS];
}

static void load_state(struct input *in, struct vcpu_load_state *st)
{
	vm_mgr_reset_state(st, 0);
	uint8_t k = byte(in);
	if (k & 1)
		st->regs[VCPU_CR0] = u64(in);
	if (k & 2)
		st->regs[VCPU_CR4] = u64(in);
	if (k & 4)
		st->regs[VCPU_EFER] = u64(in);
	if (k & 8)
		st->regs[VCPU_RFLAGS] = u64(in);
	if (k & 16)
		st->segs[VCPU_CS].ar = (uint32_t)u64(in);
	if (k & 32)
		st->segs[VCPU_CS].limit = (uint32_t)u64(in);
}

/* A manager operation: on failure nothing at all may change. */
static void manager_op(struct input *in, uint8_t op)
{
	struct vm *vm = pick_vm(in);
	uint16_t vcpu = byte(in) % (TERN_MAX_VCPUS + 1);
	struct vcpu_load_state st;
	struct vm_config cfg;
	struct vm *made = NULL;
	int ret;

	if (op == 7)
		load_state(in, &st);
	if (op == 8) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.name[0] = (char)('a' + byte(in) % 26);
		cfg.vcpu_count = byte(in) % (TERN_MAX_VCPUS + 2);
		cfg.reset_on_triple_fault = byte(in) & 1;
	}
	memcpy(&snap, &hv, sizeof(hv));
	switch (op) {
	case 0: ret = vm_mgr_start(vm); break;
	case 1: ret = vm_mgr_pause(vm); break;
	case 2: ret = vm_mgr_resume(vm); break;
	case 3: ret = vm->config.service_vm ? -1 : vm_mgr_reset(vm); break;
	case 4: ret = vm->config.service_vm ? -1 : vm_mgr_destroy(vm); break;
	case 5: ret = vm_mgr_pause_vcpu(vm, vcpu); break;
	case 6: ret = vm_mgr_resume_vcpu(vm, vcpu); break;
	case 7: ret = vm_mgr_set_vcpu_state(vm, vcpu, &st); break;
	default: ret = vm_mgr_create(&hv, &cfg, &made); break;
	}
	if (ret != 0 && !hv_unchanged())
		abort();
	if (ret == 0 && op == 8 && (!made || made->state != VM_STATE_CREATED))
		abort();
}

/* The device model marks a slot of the IOREQ page at 0x8000 COMPLETE (or anything). */
static void dm_writes_slot(struct input *in, struct vm *sos)
{
	uint8_t *ram = sim_vm_ram(sos->id);
	uint8_t slot = byte(in) % 16;
	uint32_t state = byte(in) % 5;
	uint64_t value = u64(in);
	memcpy(ram + 0x8000 + slot * 256 + 136, &state, 4);
	memcpy(ram + 0x8000 + slot * 256 + 88, &value, 8);
	/* Sometimes a size the request did not have (completions must refuse it). */
	uint8_t k = byte(in);
	if (k & 1) {
		uint64_t size = k & 2 ? (uint64_t)(k >> 2) : u64(in);
		memcpy(ram + 0x8000 + slot * 256 + 80, &size, 8);
	}
}

/* A guest exit that parks or stops a running vCPU: HLT, an IN from a port
 * only the device model serves (IOREQ), a triple fault, or PCI config: a
 * dword to CONFIG_ADDRESS, then any IN/OUT size on CONFIG_DATA (PCICFG). */
static void guest_exit(struct input *in, uint8_t kind)
{
	struct vm *vm = pick_vm(in);
	if (vm->state == VM_STATE_POWERED_OFF)
		return;
	struct vcpu *c = &vm->vcpus[byte(in) % vm->config.vcpu_count];
	if (c->state != VCPU_STATE_RUNNABLE)
		return;
	sim_vcpu_begin(c); /* its pCPU handles its exit */
	vcpu_cache_reset(c);
	vcpu_cache_fill(c, VCPU_RIP, 0x1000);
	vcpu_cache_fill(c, VCPU_EFER, 0);
	vcpu_cache_fill(c, VCPU_RAX, 0);
	struct exit_record ex = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	if (kind == 1)
		ex.reason = EXIT_REASON_TRIPLE_FAULT;
	if (kind == 2) {
		ex.reason = EXIT_REASON_IO_INSTRUCTION;
		ex.qualification = (0x1234ull << 16) | 0x8 | 0x1;  /* IN AX, 0x1234 */
	}
	if (kind == 3) {
		vcpu_cache_fill(c, VCPU_RAX, (uint32_t)u64(in));
		ex.reason = EXIT_REASON_IO_INSTRUCTION;
		ex.qualification = (0xcf8ull << 16) | 0x3;        /* OUT DX, EAX */
		if (vcpu_handle_exit(c, &ex) != EXIT_ACTION_RESUME)
			abort(); /* the latch never leaves the hypervisor */
		uint8_t a = byte(in);
		static const uint8_t sizes[] = { 0, 1, 3, 3 };
		ex.qualification = ((0xcfcull + (a & 3)) << 16) | sizes[(a >> 2) & 3] | (a & 0x10 ? 0x8 : 0);
	}
	vcpu_handle_exit(c, &ex);
	vcpu_pre_entry(c);
	c->reg_dirty = 0;
}

/* MR_ADD/MR_MODIFY/MR_DEL of a small region: refused means nothing changed. */
static void lend_op(struct input *in, struct vm *sos)
{
	struct vm *to = pick_vm(in);
	if (to->state == VM_STATE_POWERED_OFF || to == sos)
		return;
	uint8_t k = byte(in);
	struct vm_memory_region mr = {
		.type = (k & 3) == 3 ? MR_DEL : (k & 3) == 2 ? MR_MODIFY : MR_ADD,
		.prot = (k & 4) ? (uint32_t)u64(in) : (MEM_ACCESS_RWX | MEM_TYPE_WB),
		.gpa = (uint64_t)(byte(in) % 32) << 12,
		.service_vm_gpa = (k & 8) ? u64(in) : (uint64_t)(byte(in) % 20) << 12,
		.size = (uint64_t)(1 + byte(in) % 4) << 12,
	};
	memcpy(&snap, &hv, sizeof(hv));
	if (vm_memory_region_op(sos, to, &mr) != 0 && !hv_unchanged())
		abort();
}

/* An IOREQ page anywhere in (or outside) the Service VM's RAM. */
static void ioreq_page_op(struct input *in)
{
	struct vm *vm = pick_vm(in);
	if (vm->state == VM_STATE_POWERED_OFF || vm->config.service_vm)
		return;
	uint8_t k = byte(in);
	uint64_t gpa = (k & 1) ? u64(in) : (uint64_t)(k >> 1) << 12;
	memcpy(&snap, &hv, sizeof(hv));
	if (ioreq_set_buffer(vm, gpa) != 0 && !hv_unchanged())
		abort();
}

/*
 * What a read or fetch gave agrees with an uncached walk of every page it
 * touches: the translation cache (guest_mem.h) never outlives a change the
 * operations before made, nor reaches a page the EPT does not map.
 */
static void check_against_walk(struct vm *vm, uint64_t gpa, size_t len, unsigned access, int rc,
			       const uint8_t *got)
{
	bool ok = len <= GMEM_MAX_LEN && gpa + len >= gpa;
	for (size_t done = 0; ok && done < len;) {
		uint64_t a = gpa + done;
		size_t n = 0x1000 - (a & 0xfff);
		if (n > len - done)
			n = len - done;
		struct ept_walk_result r;
		const uint8_t *h = ept_walk(&vm->ept, a, access, &r) == EPT_WALK_MAPPED ?
					   plat_hpa_map(r.hpa, n) : NULL;
		ok = h != NULL && (rc != 0 || memcmp(h, got + done, n) == 0);
		done += n;
	}
	if (ok != (rc == 0))
		abort();
}

/* Guest memory through a VM's EPT: any address, length and operation. */
static void gmem_op(struct input *in, struct vm *sos)
{
	static uint8_t buf[GMEM_MAX_LEN + 8], before[SOS_RAM];
	struct vm *vm = pick_vm(in);
	if (vm->state == VM_STATE_POWERED_OFF)
		return;
	uint8_t k = byte(in);
	uint64_t gpa = (k & 8) ? u64(in) : (uint64_t)byte(in) << 8;
	size_t len = (k & 16) ? (size_t)(u64(in) % sizeof(buf)) : byte(in) % 16;
	uint64_t exp = u64(in), wp = 0;
	memcpy(before, sim_vm_ram(sos->id), SOS_RAM);
	int rc;
	switch (k & 3) {
	case 0:
		rc = gmem_read(vm, gpa, buf, len);
		check_against_walk(vm, gpa, len, EPT_ACCESS_READ, rc, buf);
		break;
	case 1:
		rc = gmem_fetch(vm, gpa, buf, len);
		check_against_walk(vm, gpa, len, EPT_ACCESS_FETCH, rc, buf);
		break;
	case 2: rc = gmem_write_wp(vm, gpa, buf, len, &wp); break;
	default: rc = gmem_cmpxchg(vm, gpa, (k & 4) ? 8 : 4, &exp, u64(in), &wp); break;
	}
	if (rc != 0 && rc != -TERN_EFAULT && rc != -TERN_EACCES && rc != -TERN_EAGAIN && rc != -TERN_EINVAL)
		abort();
	/* A refused access writes nothing. */
	if (rc != 0 && memcmp(before, sim_vm_ram(sos->id), SOS_RAM) != 0)
		abort();
	if (rc == -TERN_EACCES && (wp & 0xfff) != 0)
		abort();
}

/* No page of the Service VM's RAM is lent to two VMs, or lent while an IOREQ page. */
static void check_lending(const struct vm *sos)
{
	uint64_t base = sim.vms[sos->id].ram_hpa;
	for (uint64_t page = 0; page < SOS_RAM; page += 0x1000) {
		unsigned holders = 0;
		bool ioreq = false;
		for (unsigned i = 0; i < TERN_MAX_VMS; i++) {
			const struct vm *o = &hv.vms[i];
			if (o->state == VM_STATE_POWERED_OFF)
				continue;
			if (o->ioreq_valid && o->ioreq_gpa == page)
				ioreq = true;
			if (o != sos && ept_maps_hpa(&o->ept, base + page, 0x1000))
				holders++;
		}
		if (holders > 1 || (holders && ioreq))
			abort();
	}
}

static void check_all(void)
{
	unsigned services = 0;
	for (unsigned i = 0; i < TERN_MAX_VMS; i++) {
		const struct vm *vm = &hv.vms[i];
		if (vm_mgr_check(vm) != 0 || vm->id != i || vm->hv != &hv)
			abort();
		if (vm->state != VM_STATE_POWERED_OFF && vm->config.service_vm)
			services++;
	}
	if (services > 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	sim_reset();
	tern_init(&hv);
	struct vm *sos = sim_create_vm(&hv, "sos", 2, true, SOS_RAM);
	/* A User VM as the Service VM makes one: no RAM of its own. */
	struct vm *uos = sim_create_vm(&hv, "uos", 2, false, 0);
	if (!sos || !uos)
		abort();
	vm_mgr_start(sos);
	sos->vcpus[1].state = VCPU_STATE_RUNNABLE;
	/* The Service VM's RAM, mapped by vm_create as on the image, is what
	 * MR_ADD lends; the User VM gets a page of it. */
	struct vm_memory_region first = { MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0, 0x4000, 0x1000 };
	if (vm_memory_region_op(sos, uos, &first) != 0)
		abort();
	/* The User VM's port I/O goes to the device model through 0x8000. */
	if (ioreq_set_buffer(uos, 0x8000) != 0)
		abort();
	vm_mgr_start(uos);
	uos->config.ioreq_polling = (byte(&in) & 1) != 0; /* notification or polling mode */

	for (unsigned steps = 0; in.left && steps < 256; steps++) {
		uint8_t op = byte(&in) % 18;
		if (op <= 8) {
			manager_op(&in, op);
		} else if (op == 9) {
			vmcall(&in, sos);
		} else if (op == 10) {
			if (uos->state != VM_STATE_POWERED_OFF)
				vmcall(&in, uos);
		} else if (op == 11) {
			struct vm *vm = pick_vm(&in);
			if (vm->state != VM_STATE_POWERED_OFF) {
				struct vcpu *c = &vm->vcpus[byte(&in) % vm->config.vcpu_count];
				ioreq_poll(c); /* the scheduler's look at a polling VM's vCPU */
				vm_mgr_vcpu_wake(c);
			}
		} else if (op == 12) {
			struct vm *vm = pick_vm(&in);
			if (vm->state == VM_STATE_RUNNING && !vm->config.service_vm)
				vm_stop(vm, VM_STOP_GUEST_EXIT, byte(&in));
		} else if (op == 13) {
			guest_exit(&in, byte(&in) % 4);
		} else if (op == 14) {
			dm_writes_slot(&in, sos);
		} else if (op == 15) {
			lend_op(&in, sos);
		} else if (op == 16) {
			ioreq_page_op(&in);
		} else {
			gmem_op(&in, sos);
		}
		check_all();
		/* The scan is costly: after the operations that lend or place pages. */
		if (op == 9 || op == 15 || op == 16)
			check_lending(sos);
	}
	check_lending(sos);
	return 0;
}
