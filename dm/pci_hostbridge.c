/* SPDX-License-Identifier: BSD-3-Clause */
/* A host bridge at 0:0.0 (class 06/00): a header and nothing behind it. */
#include <errno.h>
#include <stdio.h>
#include "devices.h"
#include "dm.h"
#include "pci_testdev.h"

#define PCI_CLASS_HOST_BRIDGE 0x060000u

int dm_hostbridge_check(const char *config, char *err, size_t errlen)
{
	if (config && *config) {
		snprintf(err, errlen, "hostbridge takes no options ('%s')", config);
		return -EINVAL;
	}
	return 0;
}

int dm_hostbridge_create(struct dm *dm, unsigned slot, unsigned func, const char *config)
{
	(void)config;
	struct dm_pci_dev *d = dm_pci_dev_add(&dm->pci, slot, func, "hostbridge", DM_PCI_VENDOR_TERN,
					      DM_PCI_DEVICE_HOSTBRIDGE, PCI_CLASS_HOST_BRIDGE);
	if (!d)
		return -EEXIST;
	d->cfg[PCIR_INTPIN] = 0;  /* no interrupt */
	return 0;
}
