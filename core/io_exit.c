/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port I/O exits (SDM Vol. 3C 26.1.3, Table 28-5): IN/OUT against the VM's
 * port bus. The hypervisor's own devices are tried first; an unclaimed port
 * goes to the device model as an IOREQ when the VM has one, and otherwise
 * reads as all ones and discards writes (an empty ISA bus). An unclaimed
 * 0xCF8 (dword) or 0xCFC-0xCFF is PCI configuration space: the latch is
 * kept here and the data ports become PCICFG requests (pci_cfg.h).
 */
#include "exit_handlers.h"
#include "retire.h"
#include "io_qual.h"
#include "ioreq.h"
#include "lib.h"
#include "log.h"
#include "pci_cfg.h"
#include "string_io.h"
#include "vm.h"

/*
 * IN AL/AX keep the rest of RAX; IN EAX is a 32-bit register write, which
 * zero-extends into RAX (SDM Vol. 1 3.4.1.1).
 */
static void merge_in(struct vcpu *vcpu, unsigned size, uint64_t value)
{
	uint64_t rax = vcpu_get_reg(vcpu, VCPU_RAX);
	if (size == 4)
		rax = value & tern_size_mask(size);
	else
		rax = (rax & ~tern_size_mask(size)) | (value & tern_size_mask(size));
	vcpu_set_reg(vcpu, VCPU_RAX, rax);
}

/* IOREQ post-work for IN: the device model's value lands in RAX. */
static void pio_post(struct vcpu *vcpu, const struct ioreq *req, uint64_t value)
{
	merge_in(vcpu, req->size, value);
}

enum exit_action io_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	struct vm *vm = vcpu->vm;
	uint64_t q = ex->qualification;
	unsigned size = io_qual_size(q);
	uint16_t port = io_qual_port(q);

	if (!io_qual_size_valid(q)) {
		/* The CPU never reports these; a record that does is corrupt. */
		vm_stop(vm, VM_STOP_INTERNAL, (uint32_t)q);
		return EXIT_ACTION_STOP;
	}
	if (io_qual_is_string(q))
		return string_io_exit(vcpu, ex);

	bool in = io_qual_is_in(q);
	uint32_t value = in ? 0 : (uint32_t)(vcpu_get_reg(vcpu, VCPU_RAX) & tern_size_mask(size));

	/* One lookup: an in-hypervisor device, else PCI config, else the device model. */
	const struct pio_device *d = pio_find(&vm->pio, port, size);
	if (d) {
		d->handler(vm, d->opaque, port, size, !in, &value);
	} else {
		struct ioreq req;
		switch (pci_cfg_access(vm, port, size, !in, &value, ioreq_ready(vm), &req)) {
		case PCI_CFG_REQUEST:
			/* As for port I/O: retire now, RAX merged by the post-work. */
			vcpu_retire_insn(vcpu, ex->instr_len);
			return ioreq_send(vcpu, &req, in ? pio_post : 0);
		case PCI_CFG_DONE:
			if (in)
				merge_in(vcpu, size, value);
			vcpu_retire_insn(vcpu, ex->instr_len);
			return EXIT_ACTION_RESUME;
		case PCI_CFG_NONE:
			break;
		}
		if (ioreq_ready(vm)) {
			req = (struct ioreq){ .type = IOREQ_TYPE_PORTIO,
					      .dir = in ? IOREQ_READ : IOREQ_WRITE,
					      .addr = port, .size = size, .value = value };
			/* The instruction retires now; RAX is merged when the device model completes. */
			vcpu_retire_insn(vcpu, ex->instr_len);
			return ioreq_send(vcpu, &req, in ? pio_post : 0);
		}
		/* Nothing answers: reads float high, writes are dropped (as pio_access). */
		if (in)
			value = (uint32_t)tern_size_mask(size);
	}
	if (in)
		merge_in(vcpu, size, value);
	if (vm_is_stopped(vm))
		return EXIT_ACTION_STOP;
	vcpu_retire_insn(vcpu, ex->instr_len);
	return EXIT_ACTION_RESUME;
}
