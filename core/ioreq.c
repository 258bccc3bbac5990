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

static int get32(struct vm *svm, uint64_t gpa, uint32_t *v)
{
	uint8_t b[4];
	int ret = gmem_read(svm, gpa, b, 4);
	if (!ret)
		*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return ret;
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
	    put32(svm, slot + IOREQ_OFF_STATE, IOREQ_PENDING)) {
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

void ioreq_poll(struct vcpu *vcpu)
{
	if (vcpu->vm->config.ioreq_polling && vcpu->state == VCPU_STATE_WAIT_IO &&
	    vcpu->io.active && !atomic_load32(&vcpu->io_completed))
		(void)ioreq_complete(vcpu->vm, vcpu->id); /* -TERN_EBUSY until COMPLETE */
}

int ioreq_complete(struct vm *vm, uint16_t vcpu_id)
{
	struct vm *svm = vm_service(vm->hv);
	uint32_t state, lo = 0, hi = 0;

	if (vcpu_id >= vm->config.vcpu_count || vcpu_id >= IOREQ_SLOTS || !svm || !vm->ioreq_valid)
		return -TERN_EINVAL;
	struct vcpu *vcpu = &vm->vcpus[vcpu_id];
	/* Not waiting, or completed already and its post-work not yet run. */
	if (!vcpu->io.active || atomic_load32(&vcpu->io_completed))
		return -TERN_EINVAL;
	uint64_t slot = slot_gpa(vm, vcpu_id);
	if (get32(svm, slot + IOREQ_OFF_STATE, &state))
		return -TERN_EFAULT;
	if (state != IOREQ_COMPLETE)
		return -TERN_EBUSY;

	const struct ioreq *req = &vcpu->io.req;
	/*
	 * The size is the request's, which the device model has no business
	 * changing: one that reads differently is a corrupt completion, refused
	 * with the slot left as it is (the vCPU stays parked).
	 */
	uint32_t size_lo, size_hi;
	if (get32(svm, slot + IOREQ_OFF_SIZE, &size_lo) || get32(svm, slot + IOREQ_OFF_SIZE + 4, &size_hi))
		return -TERN_EFAULT;
	if (size_hi || size_lo != req->size) {
		log_err("vm%u vcpu%u: IOREQ completed with size %u, requested %u", vm->id, vcpu_id,
			size_lo, req->size);
		return -TERN_EINVAL;
	}
	if (req->dir == IOREQ_READ) {
		/* Only the value is taken from the page, cut to the size Tern asked for;
		 * port I/O and PCI config values are 32-bit fields. */
		if (get32(svm, slot + IOREQ_OFF_VALUE, &lo) ||
		    (req->type == IOREQ_TYPE_MMIO && get32(svm, slot + IOREQ_OFF_VALUE + 4, &hi)))
			return -TERN_EFAULT;
	}
	uint64_t value = ((uint64_t)hi << 32 | lo) & tern_size_mask(req->size);
	if (put32(svm, slot + IOREQ_OFF_STATE, IOREQ_FREE))
		return -TERN_EFAULT;
	/*
	 * The post-work (RAX, the INS store, RIP) is the requesting vCPU's, in
	 * its own context: this runs in the Service VM's, whose registers are
	 * current here (request.h). Hand the value over and ask it to finish.
	 */
	if (atomic_xchg32(&vcpu->io_completed, 1))
		return -TERN_EINVAL; /* another Service VM vCPU completed it first */
	vcpu->io_value = value; /* published by the request bit (atomic.h) */
	vcpu_make_request(vcpu, VCPU_REQ_IOREQ_DONE);
	return 0;
}
