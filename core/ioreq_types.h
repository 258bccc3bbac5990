/* SPDX-License-Identifier: BSD-3-Clause */
/* IOREQ request types, shared by struct vcpu (what it waits for) and ioreq.c. */
#ifndef TERN_IOREQ_TYPES_H
#define TERN_IOREQ_TYPES_H

#include <stdint.h>
#include <stdbool.h>

struct vcpu;

/* ACRN_IOREQ_STATE_* */
enum ioreq_state { IOREQ_PENDING = 0, IOREQ_COMPLETE = 1, IOREQ_PROCESSING = 2, IOREQ_FREE = 3 };
/* ACRN_IOREQ_TYPE_* */
enum ioreq_type { IOREQ_TYPE_PORTIO = 0, IOREQ_TYPE_MMIO = 1, IOREQ_TYPE_PCICFG = 2, IOREQ_TYPE_WP = 3 };
enum ioreq_dir { IOREQ_READ = 0, IOREQ_WRITE = 1 };

struct ioreq {
	uint32_t type;     /* enum ioreq_type */
	uint32_t dir;      /* enum ioreq_dir */
	uint64_t addr;     /* port, or guest-physical address */
	uint32_t size;     /* 1, 2, 4 or 8 bytes */
	uint64_t value;    /* data of a write; result of a read */
	/* IOREQ_TYPE_PCICFG (pci_cfg.c): addr keeps the port for reports. */
	uint32_t pci_bus, pci_dev, pci_func;
	uint32_t pci_reg;  /* CONFIG_ADDRESS register + byte offset in CONFIG_DATA */
};

/*
 * Run when the request completes, on the vCPU before its next entry
 * (reads and writes alike): merge a read's value into the guest, or hand
 * an MMIO access's completion to the emulation (mmio.c).
 */
typedef void (*ioreq_post_fn)(struct vcpu *vcpu, const struct ioreq *req, uint64_t value);

/* What a vCPU waits for; lives in struct vcpu. */
struct ioreq_wait {
	bool active;
	struct ioreq req;
	ioreq_post_fn post;
};

#endif
