/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One device model instance: the door to the hypervisor, the port and MMIO
 * tables, the PCI bus and what the IOREQ client keeps between scans. All of
 * tern-dm's state lives here (no globals), so tests and the fuzzer build as
 * many as they like.
 */
#ifndef TERN_DM_DM_H
#define TERN_DM_DM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "hsm.h"
#include "iorange.h"
#include "pci.h"

struct dm_uart;

struct dm {
	struct dm_hsm *hsm;
	const char *name;         /* the VM's name, for messages */
	FILE *log;                /* one line per event worth telling (stderr) */
	struct dm_iorange_table pio;
	struct dm_iorange_table mmio;
	struct dm_pci_bus pci;
	struct dm_uart *uart;
	/*
	 * The socket back-end has no kernel HSM in front of it: tern-dm itself
	 * takes PENDING slots to PROCESSING (the HSM's step in ACRN). With the
	 * real device the kernel does that and PENDING slots are not ours.
	 */
	bool claim_pending;
	bool polling;             /* --polling: never NOTIFY_REQUEST_FINISH */
	uint32_t reported_state[ACRN_IOREQ_SLOTS]; /* last illegal state told, per slot */
	unsigned long completed;
	unsigned long rejected;
	unsigned long notify_refused;
};

void dm_init(struct dm *dm, struct dm_hsm *hsm, const char *name, FILE *log);
void dm_fini(struct dm *dm);
/* "tern-dm: NAME: message" on the log. */
void dm_log(struct dm *dm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Interrupts to the guest (INJECT_MSI, SET_IRQLINE); 0 or -errno, failures logged. */
int dm_inject_msi(struct dm *dm, uint64_t addr, uint64_t data);
int dm_set_irqline(struct dm *dm, uint32_t gsi, uint32_t op);

#endif
