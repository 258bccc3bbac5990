/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOREQ client: serve the slots of the shared page (16 x struct
 * acrn_io_request, one per vCPU id). Each slot is read once into a private
 * copy after an acquire load of its state, and only that copy is checked
 * and used: the page is shared with a hypervisor we trust and can be
 * scribbled on by anyone with the mapping, so every field read — state,
 * type, direction, size, address — is validated. A slot tern-dm cannot
 * serve is reported and completed with all-ones on a read (the floating
 * bus), so that no vCPU waits forever for a device model that saw its
 * request; the hypervisor checks completions against its own copy.
 */
#ifndef TERN_DM_IOREQ_CLIENT_H
#define TERN_DM_IOREQ_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

struct dm;

/* What one slot turned out to be. */
enum dm_slot_result {
	DM_SLOT_IDLE,             /* FREE, COMPLETE, PENDING not ours, or kernel-handled */
	DM_SLOT_COMPLETED,        /* served and marked COMPLETE */
	DM_SLOT_REJECTED,         /* malformed: reported, completed with all-ones */
	DM_SLOT_ILLEGAL_STATE,    /* a state no party may write: reported, left alone */
};

enum dm_slot_result dm_ioreq_handle_slot(struct dm *dm, unsigned vcpu);
/* Every slot once; the number completed (served or rejected). */
unsigned dm_ioreq_handle_all(struct dm *dm);

#endif
