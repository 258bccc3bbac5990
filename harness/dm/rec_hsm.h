/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An in-process HSM for dm/ unit tests and the fuzzer: an IOREQ page in
 * memory and a record of every call (INJECT_MSI, SET_IRQLINE, notifies).
 */
#ifndef TERN_REC_HSM_H
#define TERN_REC_HSM_H

#include "dm.h"

#define REC_MAX 64

struct rec_hsm {
	struct dm_hsm hsm;
	struct acrn_io_request page[ACRN_IOREQ_SLOTS] __attribute__((aligned(4096)));
	struct acrn_msi_entry msi[REC_MAX];
	unsigned nmsi;
	struct acrn_irqline_ops irq[REC_MAX];
	unsigned nirq;
	struct acrn_ioreq_notify notify[REC_MAX];
	unsigned nnotify;
	int fail;                 /* an errno every call returns, 0 for success */
};

/* A dm over r with the page FREE; log may be NULL. */
void rec_hsm_init(struct rec_hsm *r, struct dm *dm, FILE *log);

#endif
