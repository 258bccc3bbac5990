/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VM's life as tern-dm sees it, in ACRN's order: CREATE_VM (with the IOREQ
 * page) -> SET_MEMSEG (guest RAM) -> devices -> CREATE_IOREQ_CLIENT ->
 * START_VM; at the end DESTROY_IOREQ_CLIENT -> DESTROY_VM.
 */
#ifndef TERN_DM_VM_H
#define TERN_DM_VM_H

#include <stddef.h>

struct dm;
struct dm_opts;

/* 0, or -errno with a one-line message in err; a VM it created is destroyed again. */
int dm_vm_setup(struct dm *dm, const struct dm_opts *o, char *err, size_t errlen);
/* The end: the client and the VM go (errors only logged; the peer may be gone). */
void dm_vm_teardown(struct dm *dm);

#endif
