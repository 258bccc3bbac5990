/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Emulated MMIO: the registry of guest-physical ranges served by
 * in-hypervisor devices (a fixed array inside struct vm), and the exit path
 * that emulates the instruction which touched one of them.
 *
 * mmio_exit() runs on an EPT violation: it fetches the instruction at
 * CS.base + RIP through the guest page walk (a fetch may cross a page
 * boundary), decodes it, executes it with every memory access routed by
 * guest-physical address (a registered range -> its device, else guest
 * RAM), and advances RIP, or injects the fault the instruction raised.
 */
#ifndef TERN_MMIO_H
#define TERN_MMIO_H

#include <stdint.h>
#include <stdbool.h>
#include "exit.h"
#include "exit_dispatch.h"
#include "guest_fault.h"
#include "vcpu.h"

struct vm;

#define MMIO_MAX_RANGES 16

/*
 * Device callbacks: an access of @size bytes (1, 2, 4, 8) at @offset from
 * the range's start, entirely inside the range; values are little-endian.
 * Return 0, or a negative TERN_E* error (the VM is then stopped).
 */
struct mmio_dev_ops {
	int (*read)(struct vm *vm, void *opaque, uint64_t offset, unsigned size, uint64_t *value);
	int (*write)(struct vm *vm, void *opaque, uint64_t offset, unsigned size, uint64_t value);
};

struct mmio_range {
	uint64_t gpa;
	uint64_t size;
	const struct mmio_dev_ops *ops;
	void *opaque;
	const char *name;
};

struct mmio_bus {
	struct mmio_range ranges[MMIO_MAX_RANGES];
	unsigned count;
};

/*
 * Register [gpa, gpa+size). -TERN_EINVAL for an empty or wrapping range or
 * missing callbacks, -TERN_EEXIST when it overlaps a registered range or
 * guest-physical memory the VM's EPT maps (its RAM: vm_memory_map refuses
 * RAM over a registered range in turn), -TERN_ENOSPC when the bus is full.
 */
int mmio_register(struct vm *vm, uint64_t gpa, uint64_t size, const struct mmio_dev_ops *ops,
		  void *opaque, const char *name);
/* Whether a registered range overlaps [gpa, gpa+size) (@pre no wrap). */
bool mmio_overlaps(const struct vm *vm, uint64_t gpa, uint64_t size);
/* The range holding @gpa, or NULL. */
const struct mmio_range *mmio_find(struct vm *vm, uint64_t gpa);

/*
 * Emulate the instruction at the vCPU's RIP. Returns 0 (RIP advanced and
 * *@retired true: the instruction completed; or a REP to be continued,
 * *@retired false), -TERN_EFAULT with @f set (a guest fault to inject),
 * -TERN_EACCES with f->wp (a write the emulation makes, or the page walk's
 * A/D update, hit a page the EPT write-protects: a WP IOREQ, RIP unchanged),
 * or another negative error (the hypervisor cannot emulate it). The
 * caller retires a completed instruction (vcpu_retire_emulated).
 */
int mmio_emulate(struct vcpu *vcpu, struct guest_fault *f, bool *retired);

/*
 * EPT-violation exit on an emulated range, or with a device model attached
 * (ioreq_ready) on anything that is not RAM (SDM Vol. 3C 28.2.1, Table
 * 28-7). An access that reaches neither a device nor RAM becomes an
 * IOREQ_TYPE_MMIO request (EXIT_ACTION_WAIT_IO); the instruction is
 * finished by mmio_resume once it completes (docs/mmio.md).
 */
enum exit_action mmio_exit(struct vcpu *vcpu, const struct exit_record *ex);

/*
 * @pre vcpu->mmio.resume, the vCPU runnable, in its own context (vcpu_pre_entry).
 * Re-runs the instruction whose request completed: it retires (or takes
 * its fault) and the result is EXIT_ACTION_RESUME, or it needs the next
 * request (EXIT_ACTION_WAIT_IO), or the VM stops (EXIT_ACTION_STOP).
 */
enum exit_action mmio_resume(struct vcpu *vcpu);

/* EPT-violation exit qualification bits (SDM Vol. 3C Table 28-7). */
#define EPT_QUAL_READ        (1ull << 0)
#define EPT_QUAL_WRITE       (1ull << 1)
#define EPT_QUAL_FETCH       (1ull << 2)
#define EPT_QUAL_LA_VALID    (1ull << 7)
#define EPT_QUAL_LA_XLATED   (1ull << 8)   /* the access was to the translated address */

#endif
