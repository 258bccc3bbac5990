/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port I/O exits (SDM Vol. 3C 26.1.3, Table 28-5): IN/OUT against the VM's
 * port bus. The hypervisor's own devices are tried first; an unclaimed port
 * reads as all ones and discards writes (an empty ISA bus).
 */
#include "exit_handlers.h"
#include "io_qual.h"
#include "log.h"
#include "vm.h"

static uint64_t size_mask(unsigned size)
{
	return size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;
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
	if (io_qual_is_string(q)) {
		/* INS/OUTS need the guest page walk; until then a defined stop. */
		log_err("vm%u vcpu%u: string port I/O at port 0x%x not supported", vm->id, vcpu->id,
			port);
		vm_stop(vm, VM_STOP_UNEXPECTED_EXIT, EXIT_REASON_IO_INSTRUCTION);
		return EXIT_ACTION_STOP;
	}

	uint64_t rax = vcpu_get_reg(vcpu, VCPU_RAX);
	uint32_t value = (uint32_t)(rax & size_mask(size));
	pio_access(&vm->pio, vm, port, size, !io_qual_is_in(q), &value);

	if (io_qual_is_in(q)) {
		/*
		 * IN AL/AX keep the rest of RAX; IN EAX is a 32-bit register
		 * write, which zero-extends into RAX (SDM Vol. 1 3.4.1.1).
		 */
		if (size == 4)
			rax = value;
		else
			rax = (rax & ~size_mask(size)) | (value & size_mask(size));
		vcpu_set_reg(vcpu, VCPU_RAX, rax);
	}
	if (vm_is_stopped(vm))
		return EXIT_ACTION_STOP;
	vcpu_advance_rip(vcpu, ex->instr_len);
	return EXIT_ACTION_RESUME;
}
