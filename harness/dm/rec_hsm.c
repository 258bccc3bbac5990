/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include "rec_hsm.h"

static int rec_call(struct dm_hsm *h, uint32_t nr, void *arg)
{
	struct rec_hsm *r = h->backend;
	if (r->fail)
		return -r->fail;
	switch (nr) {
	case HSM_INJECT_MSI:
		if (r->nmsi < REC_MAX)
			memcpy(&r->msi[r->nmsi++], arg, sizeof(r->msi[0]));
		return 0;
	case HSM_SET_IRQLINE:
		if (r->nirq < REC_MAX)
			memcpy(&r->irq[r->nirq++], arg, sizeof(r->irq[0]));
		return 0;
	case HSM_NOTIFY_REQUEST_FINISH:
		if (r->nnotify < REC_MAX)
			memcpy(&r->notify[r->nnotify++], arg, sizeof(r->notify[0]));
		return 0;
	default:
		return -ENOTTY;
	}
}

static const struct dm_hsm_ops rec_ops = { .call = rec_call };

void rec_hsm_init(struct rec_hsm *r, struct dm *dm, FILE *log)
{
	memset(r, 0, sizeof(*r));
	r->hsm.ops = &rec_ops;
	r->hsm.backend = r;
	r->hsm.fd = r->hsm.wait_fd = r->hsm.ram_fd = -1;
	r->hsm.vmid = 7;
	r->hsm.ioreq_page = r->page;
	for (unsigned i = 0; i < ACRN_IOREQ_SLOTS; i++)
		r->page[i].processed = ACRN_IOREQ_STATE_FREE;
	dm_init(dm, &r->hsm, "t", log);
}
