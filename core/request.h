/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cross-vCPU requests (docs/concurrency.md).
 *
 * A vCPU is owned by one physical CPU (vcpu->pcpu). Every effect that
 * another vCPU, the Service VM or the VM manager has on it is a request bit
 * set atomically in vcpu->requests plus a kick of its pCPU; the vCPU carries
 * the request out itself, in its own context (its VMCS current, its
 * registers its own), in vcpu_handle_requests(), which vcpu_pre_entry()
 * calls before every VM entry on both platforms. Nothing but the owner ever
 * touches a vCPU's registers, register cache or pending event.
 *
 * The entry protocol closes the race between "the requester sets a bit and
 * reads in_guest" and "the owner sets in_guest and enters": the owner sets
 * in_guest, then looks at the bits once more (vcpu_enter_guest); the
 * requester sets the bit, then reads in_guest and kicks when it is set.
 * Both are sequentially consistent (atomic.h), so at least one of them sees
 * the other: either the owner handles the request before it enters, or the
 * kick makes it exit and handle it. The same holds for a request to a vCPU
 * its pCPU is not running: the requester also sets the pCPU's `posted`
 * and kicks when the pCPU is in guest mode with any vCPU (cpus[].in_guest);
 * the owner entering another vCPU sets cpus[].in_guest, then takes
 * `posted`, and goes back to the scheduler if another, parked, vCPU of
 * its has a request its scan may have passed.
 *
 * Requests every vCPU must acknowledge (EPT invalidation, pause, stop)
 * carry a generation: vm_sync_request() bumps vm->sync_gen to G and
 * requests every vCPU; a vCPU acknowledges G when it has handled its
 * requests (after the invalidation, out of guest mode). vm_synced(vm, G)
 * is true when every vCPU of the VM has acknowledged G or is not current on
 * any pCPU (vcpu->running clear: it holds no translation in use and will
 * handle the pending bits before it next enters).
 */
#ifndef TERN_REQUEST_H
#define TERN_REQUEST_H

#include <stdint.h>
#include <stdbool.h>
#include "vcpu.h"

struct vm;

#define VCPU_REQ_IOREQ_DONE  (1u << 0) /* the device model completed vcpu->io: post-work, wake */
#define VCPU_REQ_FLUSH_EPT   (1u << 1) /* invalidate EPT-derived translations (INVEPT) */
#define VCPU_REQ_SYNC        (1u << 2) /* leave guest mode and acknowledge vm->sync_gen */
#define VCPU_REQ_WAKE        (1u << 3) /* its state changed (resumed, started, a WAIT_SYNC
					    * may be over): its pCPU looks at it again */
#define VCPU_REQ_FLUSH_VPID  (1u << 4) /* invalidate VPID-tagged translations (INVVPID):
					    * a new vCPU, or a state loaded from outside */
#define VCPU_REQ_UPCALL      (1u << 5) /* Service VM vCPU 0: an IOREQ is pending, queue
					    * vm->upcall_vector (HC_SET_CALLBACK_VECTOR) */
#define VCPU_REQ_EVENT       (1u << 6) /* another vCPU set a vector in its vLAPIC IRR
					    * (vm_irq.c) or the PIC's INTR rose: wake if it can take it */
#define VCPU_REQ_NMI         (1u << 7) /* an NMI was delivered to it: vcpu_queue_nmi */
#define VCPU_REQ_INIT        (1u << 8) /* an INIT was delivered to it: vm_mgr_vcpu_init_signal */
#define VCPU_REQ_SIPI        (1u << 9) /* a SIPI (vector in vcpu->sipi_vector): vm_mgr_vcpu_sipi */
#define VCPU_REQ_TIMER       (1u << 10) /* its timer_deadline passed, or the VM's PIT/RTC
					     * deadlines moved: advance its timers before entry */
#define VCPU_REQ_APIC_ERROR  (1u << 11) /* another vCPU's message raised an APIC error here
					     * (lapic.esr_remote): vlapic_take_remote_errors */
#define VCPU_REQ_ALL         ((1u << 12) - 1u)
/*
 * Requests that only have to be carried out before the vCPU's next entry:
 * they do not make a parked vCPU worth scheduling (vcpu_has_requests):
 * a vCPU that never enters again holds no translation to drop.
 */
#define VCPU_REQ_AT_ENTRY    VCPU_REQ_FLUSH_VPID

/* Set req on the vCPU and kick its pCPU when the vCPU is in guest mode or the pCPU idles. */
void vcpu_make_request(struct vcpu *vcpu, uint32_t req);

/* True when requests that need the vCPU to run are pending (any CPU may ask). */
bool vcpu_has_requests(const struct vcpu *vcpu);

/*
 * The owner, in the vCPU's context, before VM entry: carries out every
 * pending request (IOREQ post-work and wake-up, INVEPT through
 * plat_ept_invalidate) and acknowledges the VM's sync generation.
 */
void vcpu_handle_requests(struct vcpu *vcpu);

/*
 * Platform, right before VM entry (after vcpu_pre_entry and the write-back):
 * marks the vCPU in guest mode; false (and not in guest mode) when a
 * request arrived since vcpu_handle_requests: the platform handles the
 * requests again instead of entering.
 */
bool vcpu_enter_guest(struct vcpu *vcpu);
/* Platform, right after a VM exit (or a failed entry). */
void vcpu_leave_guest(struct vcpu *vcpu);

/*
 * Bump the VM's sync generation and request `req | VCPU_REQ_SYNC` on every
 * vCPU of the VM; returns the new generation.
 */
uint32_t vm_sync_request(struct vm *vm, uint32_t req);
/* Every vCPU of the VM has acknowledged generation gen (or cannot hold state of before it). */
bool vm_synced(const struct vm *vm, uint32_t gen);
/* The newest generation vm_synced() holds for. */
uint32_t vm_synced_gen(const struct vm *vm);
/* No vCPU of the VM is current on any pCPU: none is in guest mode or mid-exit. */
bool vm_quiescent(const struct vm *vm);
/* Something the VM's waiters wait for may have happened: request VCPU_REQ_WAKE on each. */
void vm_sync_notify(struct vm *vm);

/*
 * Park a Service VM vCPU (VCPU_STATE_WAIT_SYNC, set by vcpu_handle_exit)
 * until every vCPU of `target` has acknowledged generation gen, or with
 * quiesce until vm_quiescent(target); its own vcpu_handle_requests() makes
 * it runnable again then (or when the target is gone). Acknowledgements and
 * a vCPU ceasing to be current (scheduler.c) wake the waiters (vm_sync_notify).
 */
void vcpu_wait_sync(struct vcpu *vcpu, struct vm *target, uint32_t gen, bool quiesce);

#endif
