/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devices.h"
#include "dm.h"
#include "pci_testdev.h"

struct testdev {
	struct dm_pci_dev *pci;
	uint8_t io_scratch[TESTDEV_IO_SIZE];
	uint8_t mem_scratch[TESTDEV_SCRATCH_SIZE];
	unsigned vectors;
};

/* "vectors=N", N in 1..DM_PCI_MSIX_MAX; NULL or "" is the default. */
static int parse_config(const char *config, unsigned *vectors, char *err, size_t errlen)
{
	*vectors = TESTDEV_DEFAULT_VECTORS;
	if (!config || !*config)
		return 0;
	if (strncmp(config, "vectors=", 8) != 0) {
		snprintf(err, errlen, "pci-testdev: unknown option '%s' (vectors=N)", config);
		return -EINVAL;
	}
	char *end;
	const char *num = config + 8;
	unsigned long v = strtoul(num, &end, 10);
	if (*num < '0' || *num > '9' || *end || v < 1 || v > DM_PCI_MSIX_MAX) {
		snprintf(err, errlen, "pci-testdev: vectors '%s' out of range (1-%u)", num, DM_PCI_MSIX_MAX);
		return -EINVAL;
	}
	*vectors = (unsigned)v;
	return 0;
}

int dm_testdev_check(const char *config, char *err, size_t errlen)
{
	unsigned v;
	return parse_config(config, &v, err, errlen);
}

static void bytes_io(uint8_t *mem, uint64_t off, unsigned size, bool write, uint64_t *value)
{
	if (write) {
		for (unsigned i = 0; i < size; i++)
			mem[off + i] = (uint8_t)(*value >> (8 * i));
	} else {
		uint64_t v = 0;
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)mem[off + i] << (8 * i);
		*value = v;
	}
}

static int io_bar(void *arg, bool write, uint64_t off, unsigned size, uint64_t *value)
{
	struct testdev *t = arg;
	bytes_io(t->io_scratch, off, size, write, value);
	return 0;
}

static int mem_bar(void *arg, bool write, uint64_t off, unsigned size, uint64_t *value)
{
	struct testdev *t = arg;
	if (off + size <= TESTDEV_SCRATCH_SIZE) {
		bytes_io(t->mem_scratch, off, size, write, value);
		return 0;
	}
	if (!write) {
		switch (off) {
		case TESTDEV_REG_ID: *value = TESTDEV_ID; break;
		case TESTDEV_REG_VECTORS: *value = t->vectors; break;
		default: *value = 0; break;
		}
		return 0;
	}
	if (off == TESTDEV_REG_DOORBELL && size == 4) {
		int rc = dm_pci_raise(t->pci, (unsigned)*value);
		if (rc)
			dm_log(t->pci->dm, "pci-testdev %u:%u: doorbell %llu not delivered: %s", t->pci->slot,
			       t->pci->func, (unsigned long long)*value, strerror(-rc));
	} else if (off == TESTDEV_REG_INTX_ACK && size == 4) {
		dm_pci_lower_intx(t->pci);
	}
	return 0;
}

static void testdev_destroy(struct dm_pci_dev *d)
{
	free(d->priv);
	d->priv = NULL;
}

int dm_testdev_create(struct dm *dm, unsigned slot, unsigned func, const char *config)
{
	char err[128];
	struct testdev *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	int rc = parse_config(config, &t->vectors, err, sizeof(err));
	struct dm_pci_dev *d = rc ? NULL : dm_pci_dev_add(&dm->pci, slot, func, "pci-testdev",
							  DM_PCI_VENDOR_TERN, DM_PCI_DEVICE_TESTDEV, TESTDEV_CLASS);
	if (!d) {
		free(t);
		return rc ? rc : -EEXIST;
	}
	t->pci = d;
	d->priv = t;
	d->destroy = testdev_destroy;
	if ((rc = dm_pci_bar_add(d, TESTDEV_BAR_IO, DM_BAR_IO, TESTDEV_IO_SIZE, io_bar, t)) ||
	    (rc = dm_pci_bar_add(d, TESTDEV_BAR_MEM, DM_BAR_MEM32, TESTDEV_MEM_SIZE, mem_bar, t)) ||
	    (rc = dm_pci_bar_add(d, TESTDEV_BAR_MSIX, DM_BAR_MEM32, TESTDEV_MEM_SIZE, dm_pci_msix_bar_io, d)) ||
	    (rc = dm_pci_msi_add(d, 0)) ||
	    (rc = dm_pci_msix_add(d, t->vectors, TESTDEV_BAR_MSIX, TESTDEV_PBA_OFF)))
		return rc;        /* the bus frees d and t */
	dm_pci_dev_enable(d);
	return 0;
}
