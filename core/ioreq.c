/* SPDX-License-Identifier: BSD-3-Clause */
#include "ioreq.h"
#include "err.h"
#include "lib.h"
#include "guest_mem.h"
#include "log.h"
#include "platform.h"
#include "vm.h"
#include "vm_mgr.h"
#include "vm_memory.h"
#include "atomic.h"
#include "request.h"

static uint64_t slot_gpa(const struct vm *vm, uint16_t vcpu_id)
{
	return vm->ioreq_gpa + (uint64_t)vcpu_id * IOREQ_SLOT_SIZE;
}

static int put32(struct vm *svm, uint64_t gpa, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	return gmem_write(svm, gpa, b, 4);
}

static int put64(struct vm *svm, uint64_t gpa, uint64_t v)
{
	int ret = put32(svm, gpa, (uint32_t)v);
	return ret ? ret : put32(svm, gpa + 4, (uint32_t)(v >> 32));
}

static uint64_t le64(const uint8_t *b)
{
	uint64_t v = 0;
	for (unsigned i = 8; i > 0; i--)
		v = v << 8 | b[i - 1];
	return v;
}

static int get32(struct vm *svm, uint64_t gpa, uint32_t *v)
{
	uint8_t b[4];
	int ret = gmem_read(svm, gpa, b, 4);
	if (!ret)
		*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return ret;
}

/*
 * The state last, after a release fence: the Service VM acts on it, so
 * every field written before must be visible first (its HSM reads the
 * state with acquire semantics). States are below 256: even a store made
 * byte by byte changes one byte, so no torn state is ever seen.
 */
static int publish(struct vm *svm, uint64_t slot, uint32_t state)
{
	atomic_release_fence();
	return put32(svm, slot + IOREQ_OFF_STATE, state);
}

int ioreq_set_buffer(struct vm *vm, uint64_t service_gpa)
{
	struct vm *svm = vm_service(vm->hv);
	uint8_t probe;

	int ret = 0;

	if (!svm || (service_gpa & (IOREQ_PAGE_SIZE - 1)) ||
	    gmem_read(svm, service_gpa, &probe, 1) ||
	    gmem_read(svm, service_gpa + IOREQ_PAGE_SIZE - 1, &probe, 1))
		return -TERN_EINVAL;
	if ((ret = vm_memory_ioreq_page_check(svm, vm, service_gpa)) != 0)
		return ret;   /* lent, or another VM's page: nothing written */
	for (uint16_t i = 0; i < IOREQ_SLOTS; i++)
		if (put32(svm, service_gpa + (uint64_t)i * IOREQ_SLOT_SIZE + IOREQ_OFF_STATE, IOREQ_FREE))
			return -TERN_EINVAL;
	vm->ioreq_gpa = service_gpa;
	vm->ioreq_valid = true;
	return 0;
}

bool ioreq_ready(const struct vm *vm)
{
	return vm->ioreq_valid && vm_service(vm->hv) != 0;
}

enum exit_action ioreq_send(struct vcpu *vcpu, const struct ioreq *req, ioreq_post_fn post)
{
	struct vm *vm = vcpu->vm;
	struct vm *svm = vm_service(vm->hv);
	uint64_t slot = slot_gpa(vm, vcpu->id);
	bool pci = req->type == IOREQ_TYPE_PCICFG;
	/* Port I/O and PCI config carry a 32-bit value (acrn_pio/pci_request). */
	bool v32 = req->type == IOREQ_TYPE_PORTIO || pci;

	/*
	 * The vCPU's side first (a device model on another CPU may complete
	 * as soon as the state says PENDING), then the request, the state last:
	 * the Service VM acts on the state.
	 */
	vcpu->io.active = true;
	vcpu->io.req = *req;
	vcpu->io.post = post;
	if (!svm || !vm->ioreq_valid || vcpu->id >= IOREQ_SLOTS ||
	    put32(svm, slot + IOREQ_OFF_TYPE, req->type) ||
	    put32(svm, slot + IOREQ_OFF_POLLING, vm->config.ioreq_polling ? 1u : 0u) ||
	    put32(svm, slot + IOREQ_OFF_DIRECTION, req->dir) ||
	    /* acrn_pci_request has reserved words where the address is. */
	    put64(svm, slot + IOREQ_OFF_ADDRESS, pci ? 0 : req->addr) ||
	    put64(svm, slot + IOREQ_OFF_SIZE, req->size) ||
	    (v32 ? put32(svm, slot + IOREQ_OFF_VALUE, (uint32_t)req->value)
		 : put64(svm, slot + IOREQ_OFF_VALUE, req->value)) ||
	    (pci && (put32(svm, slot + IOREQ_OFF_PCI_BUS, req->pci_bus) ||
		     put32(svm, slot + IOREQ_OFF_PCI_DEV, req->pci_dev) ||
		     put32(svm, slot + IOREQ_OFF_PCI_FUNC, req->pci_func) ||
		     put32(svm, slot + IOREQ_OFF_PCI_REG, req->pci_reg))) ||
	    put32(svm, slot + IOREQ_OFF_KERNEL_HANDLED, 0) ||
	    publish(svm, slot, IOREQ_PENDING)) {
		vcpu->io.active = false;
		log_err("vm%u vcpu%u: IOREQ page unusable", vm->id, vcpu->id);
		vm_stop(vm, VM_STOP_INTERNAL, (uint32_t)req->type);
		return EXIT_ACTION_STOP;
	}
	/*
	 * Notification mode: the upcall is an interrupt for the Service VM's
	 * vCPU 0 (ACRN's HSM listens there), queued by that vCPU itself
	 * through a request and a kick, as for any other vCPU's state.
	 */
	if (!vm->config.ioreq_polling)
		vcpu_make_request(&svm->vcpus[0], VCPU_REQ_UPCALL);
	return EXIT_ACTION_WAIT_IO;
}

int ioreq_set_callback_vector(struct vm *svm, uint64_t vector)
{
	/* ACRN's range: the first vector after the exceptions (0x20) to 0xFF. */
	if (vector < IOREQ_UPCALL_VECTOR_MIN || vector > IOREQ_UPCALL_VECTOR_MAX)
		return -TERN_EINVAL;
	svm->upcall_vector = (uint8_t)vector;
	return 0;
}

/*
 * The Service VM's mistakes about a VM's requests are reported, one line
 * each, up to IOREQ_REPORTS_MAX per VM (a hostile one could otherwise fill
 * the console), then once that the rest are not.
 */
static bool may_report(struct vm *vm)
{
	if (vm->ioreq_reports > IOREQ_REPORTS_MAX)
		return false;
	if (vm->ioreq_reports++ == IOREQ_REPORTS_MAX) {
		log_err("vm%u: further IOREQ errors are not reported", vm->id);
		return false;
	}
	return true;
}

static const char *const type_names[] = {
	[IOREQ_TYPE_PORTIO] = "port", [IOREQ_TYPE_MMIO] = "MMIO", [IOREQ_TYPE_PCICFG] = "PCI config",
	[IOREQ_TYPE_WP] = "write-protect",
};

static const char *const state_names[] = {
	[IOREQ_PENDING] = "PENDING", [IOREQ_COMPLETE] = "COMPLETE",
	[IOREQ_PROCESSING] = "PROCESSING", [IOREQ_FREE] = "FREE",
};

static const char *state_name(uint32_t state)
{
	return state < TERN_ARRAY_SIZE(state_names) ? state_names[state] : "not a state";
}

void ioreq_report_pending(struct vcpu *vcpu, const char *why)
{
	const struct ioreq *r = &vcpu->io.req;
	if (!vcpu->io.active)
		return;
	log_warn("vm%u vcpu%u %s: %s %s at 0x%llx, %u bytes", vcpu->vm->id, vcpu->id, why,
		 r->type < TERN_ARRAY_SIZE(type_names) ? type_names[r->type] : "?",
		 r->dir == IOREQ_READ ? "read" : "write", (unsigned long long)r->addr, r->size);
}

void ioreq_release(struct vm *vm)
{
	struct vm *svm = vm_service(vm->hv);
	/* The hypervisor writes FREE: the device model finds nothing of this VM any more. */
	for (uint16_t i = 0; svm && vm->ioreq_valid && i < IOREQ_SLOTS; i++)
		(void)publish(svm, slot_gpa(vm, i), IOREQ_FREE);
}

/*
 * Completion of (vm, vcpu_id): by HC_NOTIFY_REQUEST_FINISH, or by the
 * scheduler in polling mode (poll: a slot not complete yet is no mistake
 * then, it is asked again).
 */
static int complete(struct vm *vm, uint16_t vcpu_id, bool poll)
{
	struct vm *svm = vm_service(vm->hv);
	uint32_t state;

	if (vcpu_id >= vm->config.vcpu_count || vcpu_id >= IOREQ_SLOTS || !svm || !vm->ioreq_valid) {
		if (may_report(vm))
			log_err("vm%u: IOREQ completion for vcpu %u refused: no such vCPU or no IOREQ page",
				vm->id, vcpu_id);
		return -TERN_EINVAL;
	}
	struct vcpu *vcpu = &vm->vcpus[vcpu_id];
	/* Not waiting, or completed already and its post-work not yet run. */
	if (!vcpu->io.active || atomic_load32(&vcpu->io_completed)) {
		if (!poll && may_report(vm))
			log_err("vm%u vcpu%u: IOREQ completion refused: no request is pending", vm->id,
				vcpu_id);
		return -TERN_EINVAL;
	}
	const struct ioreq *req = &vcpu->io.req;
	uint64_t slot = slot_gpa(vm, vcpu_id);
	if (get32(svm, slot + IOREQ_OFF_STATE, &state))
		goto unmapped;
	/* The state first: what the device model wrote before it is read after (acquire). */
	atomic_acquire_fence();
	if (state != IOREQ_COMPLETE) {
		bool busy = state == IOREQ_PENDING || state == IOREQ_PROCESSING;
		/* PENDING and FREE are the hypervisor's to write; a state past FREE is none. */
		if ((!poll || !busy) && may_report(vm))
			log_err("vm%u vcpu%u: IOREQ completion refused: slot state %s (%u)%s", vm->id,
				vcpu_id, state_name(state), state,
				busy ? ", not complete" : state == IOREQ_FREE ?
				", which only the hypervisor writes" : "");
		return -TERN_EBUSY; /* not complete: the vCPU waits on */
	}
	/*
	 * The size is the request's, which the device model has no business
	 * changing: one that reads differently is a corrupt completion, refused
	 * with the slot left as it is (the vCPU stays parked).
	 */
	/* The size (u64) and the value after it, in one read (one EPT walk). */
	uint8_t b[IOREQ_OFF_VALUE + 8 - IOREQ_OFF_SIZE];
	if (gmem_read(svm, slot + IOREQ_OFF_SIZE, b, sizeof(b)))
		goto unmapped;
	uint64_t size = le64(b);
	if (size != req->size) {
		if (may_report(vm))
			log_err("vm%u vcpu%u: IOREQ completed with size %llu, requested %u", vm->id,
				vcpu_id, (unsigned long long)size, req->size);
		return -TERN_EINVAL;
	}
	/*
	 * Only the value is taken from the page, cut to the size Tern asked
	 * for; port I/O and PCI config values are 32-bit fields (the word
	 * after is padding, or the PCI bus), a write's value is not read back.
	 */
	uint64_t value = 0;
	/* The offset first: b + IOREQ_OFF_VALUE alone points past b (UB). */
	const uint64_t raw = le64(b + (IOREQ_OFF_VALUE - IOREQ_OFF_SIZE));
	if (req->dir == IOREQ_READ) {
		value = raw;
		if (req->type != IOREQ_TYPE_MMIO)
			value = (uint32_t)value;
		value &= tern_size_mask(req->size);
	}
	/* Everything read before the slot is handed back. */
	if (publish(svm, slot, IOREQ_FREE))
		goto unmapped;
	/*
	 * The post-work (RAX, the INS store, RIP) is the requesting vCPU's, in
	 * its own context: this runs in the Service VM's, whose registers are
	 * current here (request.h). Hand the value over and ask it to finish.
	 */
	if (atomic_xchg32(&vcpu->io_completed, 1))
		return -TERN_EINVAL; /* another Service VM vCPU completed it first */
	vcpu->io_value = value; /* published by the request bit (atomic.h) */
	/* No exit read the slot: the trace gets what the poll found, before the request. */
	if (poll)
		plat_trace_polled_complete(vcpu, raw);
	vcpu_make_request(vcpu, VCPU_REQ_IOREQ_DONE);
	return 0;
unmapped:
	/* The page stopped being the Service VM's memory: the request stays pending, the vCPU parked. */
	if (may_report(vm))
		log_err("vm%u vcpu%u: IOREQ page at 0x%llx is not the Service VM's memory any more; "
			"the %s request at 0x%llx stays pending", vm->id, vcpu_id,
			(unsigned long long)vm->ioreq_gpa,
			req->type < TERN_ARRAY_SIZE(type_names) ? type_names[req->type] : "?",
			(unsigned long long)req->addr);
	return -TERN_EFAULT;
}

int ioreq_complete(struct vm *vm, uint16_t vcpu_id)
{
	return complete(vm, vcpu_id, false);
}

bool ioreq_polls(const struct vcpu *vcpu)
{
	return vcpu->vm->config.ioreq_polling && vcpu->state == VCPU_STATE_WAIT_IO &&
	       vcpu->io.active && !atomic_load32(&vcpu->io_completed);
}

void ioreq_poll(struct vcpu *vcpu)
{
	if (ioreq_polls(vcpu))
		(void)complete(vcpu->vm, vcpu->id, true); /* -TERN_EBUSY until COMPLETE */
}
