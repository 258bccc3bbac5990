/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Service VM's side of the IOREQ page (docs/testguest.md, "I/O served
 * by the Service VM"): what an ACRN-style HSM driver and device model do
 * with a User VM's requests, in a few hundred lines of guest code.
 *
 * Per slot (ACRN's struct acrn_io_request, 16 slots of 256 bytes, one per
 * vCPU id): a PENDING slot is marked PROCESSING, its request is read once
 * into a private copy and validated (completion_polling must say the VM's
 * mode, kernel_handled 0, a known type and direction, a size the type
 * allows, an address / bus:dev.func:reg in range), emulated against the
 * iodev, the value of a read written, and the state set COMPLETE after it
 * (release order); in notification mode HC_NOTIFY_REQUEST_FINISH follows,
 * in polling mode the hypervisor sees COMPLETE by itself (ACRN's HSM makes
 * no hypercall then) unless `finish_hypercall` asks for it anyway. A request that fails validation is completed anyway
 * (reads all ones, writes dropped: the vCPU must not stay parked on it) and
 * counted in `rejected`; a slot in any state but PENDING is left alone.
 */
#ifndef TG_IOREQ_SVC_H
#define TG_IOREQ_SVC_H

#include <stdbool.h>
#include <stdint.h>
#include "iodev.h"

#define IOREQ_SLOTS 16u
#define IOREQ_SLOT_SIZE 256u
#define IOREQ_PAGE_SIZE 4096u
/* Byte offsets in a slot (ACRN's acrn_io_request; docs/hypercalls.md). */
#define IOREQ_TYPE 0u
#define IOREQ_POLLING 4u
#define IOREQ_DIRECTION 64u
#define IOREQ_ADDRESS 72u
#define IOREQ_SIZE 80u
#define IOREQ_VALUE 88u
#define IOREQ_PCI_BUS 92u
#define IOREQ_PCI_DEV 96u
#define IOREQ_PCI_FUNC 100u
#define IOREQ_PCI_REG 104u
#define IOREQ_KERNEL_HANDLED 132u
#define IOREQ_STATE 136u
enum { IOREQ_PENDING = 0, IOREQ_COMPLETE = 1, IOREQ_PROCESSING = 2, IOREQ_FREE = 3 };
enum { IOREQ_PORTIO = 0, IOREQ_MMIO = 1, IOREQ_PCICFG = 2, IOREQ_NTYPES = 3 };
enum { IOREQ_READ = 0, IOREQ_WRITE = 1 };

struct iosvc_stats {
	uint32_t served[IOREQ_NTYPES];   /* completed valid requests, per type */
	uint32_t unclaimed;              /* of those, not the device's (empty bus) */
	uint32_t rejected;               /* failed validation (completed with all ones) */
	uint32_t notify_failed;          /* HC_NOTIFY_REQUEST_FINISH returned non-zero */
	uint32_t upcalls;                /* upcall interrupts taken */
	uint32_t upcall_served;          /* requests served from the upcall handler */
};

/*
 * A Service VM that misbehaves, once (notification mode): on the next
 * request it serves, it calls HC_NOTIFY_REQUEST_FINISH while the slot is
 * still PROCESSING (early_rc: Tern must say -EBUSY), then completes it with
 * a size that is not the request's (bad_size_rc: -EINVAL, the vCPU stays
 * parked), then restores the size and completes it properly, then once more
 * (twice_rc: -EINVAL, or -EBUSY when the vCPU already has its next request
 * pending: the scheduler may have run it in between).
 */
struct iosvc_probe {
	bool armed, done;
	int64_t early_rc, bad_size_rc, twice_rc;
};

struct iosvc {
	volatile uint8_t *page;   /* the IOREQ page (identity-mapped: its address is its GPA) */
	uint16_t vmid;            /* the User VM whose page it is */
	bool polling;             /* the VM was created with the polling flag */
	bool finish_hypercall;    /* HC_NOTIFY_REQUEST_FINISH after COMPLETE (!polling at init) */
	struct iodev dev;
	struct iosvc_stats st;
	struct iosvc_probe probe;
};

void iosvc_init(struct iosvc *s, void *page, uint16_t vmid, bool polling);
/* Serve every PENDING slot once; returns how many were completed. */
unsigned iosvc_serve(struct iosvc *s);
/* Serve `s` from the upcall handler on `vector` (IDT gate installed); NULL: none. */
void iosvc_install_upcall(uint8_t vector);
void iosvc_set_upcall_target(struct iosvc *s);
uint32_t iosvc_served_total(const struct iosvc_stats *st);

#endif
