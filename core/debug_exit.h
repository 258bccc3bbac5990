/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The debug-exit port (0xF4, as QEMU's isa-debug-exit and kvm-unit-tests
 * use it): a write stops the VM and the value written becomes its exit
 * status, which the platform reports. Reads return all ones.
 */
#ifndef TERN_DEBUG_EXIT_H
#define TERN_DEBUG_EXIT_H

struct vm;

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_NPORTS 4

int debug_exit_init(struct vm *vm);

#endif
