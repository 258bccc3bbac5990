/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOREQ: an access the hypervisor does not emulate itself goes to the
 * device model in the Service VM through a page shared with it — 16 slots
 * of 256 bytes, one per vCPU id, laid out as ACRN's struct acrn_io_request
 * so that an ACRN-style HSM driver and device model can serve Tern.
 *
 *   FREE(3) --hv--> PENDING(0) --service vm--> PROCESSING(2) --service vm--> COMPLETE(1)
 *   --hv post-work--> FREE
 *
 * Only the hypervisor writes PENDING and FREE. It keeps its own copy of
 * each request and trusts nothing it reads back but the completion state
 * and the value, which it masks to the request's size (a 32-bit field for
 * port I/O and PCI config, 64-bit for MMIO; bits beyond the size are
 * ignored, as ACRN does, not an error); the size must read back as the
 * request's. The state is written last after a release fence and read
 * first with an acquire fence (atomic.h).
 *
 * A Service VM that misbehaves is refused and reported (one log line
 * each, IOREQ_REPORTS_MAX per VM), and changes nothing: completing twice
 * or a slot with nothing pending, a slot whose state is not COMPLETE
 * (PENDING and FREE are the hypervisor's, a value past FREE is no state),
 * a size that is not the request's, a page that stopped being its memory.
 * The vCPU stays parked meanwhile; its VM can be paused, reset and
 * destroyed, and the request still outstanding is reported then.
 */
#ifndef TERN_IOREQ_H
#define TERN_IOREQ_H

#include <stdint.h>
#include <stdbool.h>
#include "exit_dispatch.h"
#include "ioreq_types.h"

struct vm;
struct vcpu;

#define IOREQ_SLOTS 16
#define IOREQ_SLOT_SIZE 256
#define IOREQ_PAGE_SIZE 4096

/* Byte offsets inside one slot (struct acrn_io_request). */
#define IOREQ_OFF_TYPE 0
#define IOREQ_OFF_POLLING 4
#define IOREQ_OFF_DIRECTION 64
#define IOREQ_OFF_ADDRESS 72
#define IOREQ_OFF_SIZE 80
#define IOREQ_OFF_VALUE 88
/* struct acrn_pci_request, in the same union as the port/MMIO request:
 * direction 64, size 80 and a 32-bit value 88 as for port I/O, then these. */
#define IOREQ_OFF_PCI_BUS 92
#define IOREQ_OFF_PCI_DEV 96
#define IOREQ_OFF_PCI_FUNC 100
#define IOREQ_OFF_PCI_REG 104
#define IOREQ_OFF_KERNEL_HANDLED 132
#define IOREQ_OFF_STATE 136     /* "processed" in ACRN's layout */

/* The upcall vector the Service VM's HSM driver listens on (ACRN's default). */
#define IOREQ_UPCALL_VECTOR 0xf3
#define IOREQ_UPCALL_VECTOR_MIN 0x20
#define IOREQ_UPCALL_VECTOR_MAX 0xff

#define IOREQ_REPORTS_MAX 16

/*
 * The Service VM names the page (a guest-physical address in its own
 * memory) for a User VM's requests. Every slot is set FREE.
 * -TERN_EINVAL: not page aligned, or not the Service VM's memory;
 * -TERN_EPERM: the page is lent to a User VM; -TERN_EBUSY: it is another
 * VM's IOREQ page (vm_memory_ioreq_page_check). Nothing changes then.
 */
int ioreq_set_buffer(struct vm *vm, uint64_t service_gpa);
/* Whether requests from this VM have somewhere to go. */
bool ioreq_ready(const struct vm *vm);

/*
 * Send a request for this vCPU and park it: returns EXIT_ACTION_WAIT_IO,
 * or EXIT_ACTION_STOP when the page cannot be written (the VM is stopped
 * and the cause reported).
 */
enum exit_action ioreq_send(struct vcpu *vcpu, const struct ioreq *req, ioreq_post_fn post);

/*
 * The Service VM says the request of (vm, vcpu_id) is done. The slot must
 * read COMPLETE for a vCPU that is waiting; then the slot goes FREE, the
 * value is handed to the vCPU and VCPU_REQ_IOREQ_DONE is requested on it:
 * the post-work runs on that vCPU, in its own context, before its next VM
 * entry (vcpu_handle_requests), which also makes it runnable again (or it
 * stays paused).
 * -TERN_EINVAL: no such vCPU, nothing outstanding, completed already
 * (its post-work not yet run), or the slot's size is not the request's
 * (the slot and the vCPU stay as they are); -TERN_EBUSY: the slot is not
 * COMPLETE (PENDING, PROCESSING, or FREE or no state at all, which the
 * Service VM may not write); -TERN_EFAULT: the page cannot be read. Each
 * is reported (above), but a slot still PENDING or PROCESSING in polling
 * mode.
 */
int ioreq_complete(struct vm *vm, uint16_t vcpu_id);

/*
 * Log the vCPU's outstanding request, if any: "vm1 vcpu0 <why>: MMIO read
 * at 0xd0000010, 4 bytes" (for PCI config the address is the port).
 */
void ioreq_report_pending(struct vcpu *vcpu, const char *why);

/* The VM goes away: every one of its slots is set FREE (nothing of it left for the device model). */
void ioreq_release(struct vm *vm);

/*
 * HC_SET_CALLBACK_VECTOR: the vector the Service VM's vCPU 0 gets as an
 * external interrupt when a request becomes PENDING in notification mode.
 * -TERN_EINVAL outside 0x20..0xFF (nothing changes).
 */
int ioreq_set_callback_vector(struct vm *svm, uint64_t vector);

/*
 * Polling mode (vm_config.ioreq_polling): the device model sets COMPLETE
 * and makes no hypercall; the scheduler calls this for a waiting vCPU of
 * such a VM, which completes it as HC_NOTIFY_REQUEST_FINISH would once the
 * slot reads COMPLETE (and does nothing before).
 */
void ioreq_poll(struct vcpu *vcpu);

/*
 * What ioreq_poll looks at: the vCPU waits in polling mode on a request
 * not completed yet, so only a poll can let it go (nothing kicks its pCPU
 * when the device model writes COMPLETE).
 */
bool ioreq_polls(const struct vcpu *vcpu);

#endif
