/* SPDX-License-Identifier: BSD-3-Clause */
/* The PCI device types a -s argument can name. */
#ifndef TERN_DM_DEVICES_H
#define TERN_DM_DEVICES_H

#include <stddef.h>

struct dm;

struct dm_devtype {
	const char *name;
	/* Whether config (may be NULL) is acceptable; else a message in err. */
	int (*check)(const char *config, char *err, size_t errlen);
	/* Create it at slot:func (config already checked). 0 or -errno. */
	int (*create)(struct dm *dm, unsigned slot, unsigned func, const char *config);
};

const struct dm_devtype *dm_devtype_find(const char *name);

int dm_testdev_check(const char *config, char *err, size_t errlen);
int dm_testdev_create(struct dm *dm, unsigned slot, unsigned func, const char *config);
int dm_hostbridge_check(const char *config, char *err, size_t errlen);
int dm_hostbridge_create(struct dm *dm, unsigned slot, unsigned func, const char *config);

#endif
