/* SPDX-License-Identifier: BSD-3-Clause */
#include "debug_exit.h"
#include "vm.h"

static void debug_exit_io(struct vm *vm, void *opaque, uint16_t port, unsigned size, bool write,
			  uint32_t *value)
{
	(void)opaque;
	(void)port;
	if (!write) {
		*value = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
		return;
	}
	uint32_t status = size == 4 ? *value : *value & ((1u << (size * 8)) - 1);
	vm->exit_status = status;
	vm_stop(vm, VM_STOP_GUEST_EXIT, status);
}

int debug_exit_init(struct vm *vm)
{
	return pio_register(&vm->pio, DEBUG_EXIT_PORT, DEBUG_EXIT_NPORTS, debug_exit_io, 0,
			    "debug-exit");
}
