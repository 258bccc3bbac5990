/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>
#include "devices.h"

static const struct dm_devtype devtypes[] = {
	{ "hostbridge", dm_hostbridge_check, dm_hostbridge_create },
	{ "pci-testdev", dm_testdev_check, dm_testdev_create },
};

const struct dm_devtype *dm_devtype_find(const char *name)
{
	for (size_t i = 0; i < sizeof(devtypes) / sizeof(devtypes[0]); i++)
		if (strcmp(devtypes[i].name, name) == 0)
			return &devtypes[i];
	return NULL;
}
