/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <string.h>
#include "dm.h"
#include "mmio.h"
#include "pio.h"
#include "uart.h"

void dm_init(struct dm *dm, struct dm_hsm *hsm, const char *name, FILE *log)
{
	memset(dm, 0, sizeof(*dm));
	dm->hsm = hsm;
	dm->name = name;
	dm->log = log;
	dm_pio_init(&dm->pio);
	dm_mmio_init(&dm->mmio);
	dm_pci_bus_init(&dm->pci, dm);
	for (unsigned i = 0; i < ACRN_IOREQ_SLOTS; i++)
		dm->reported_state[i] = ACRN_IOREQ_STATE_FREE;
}

void dm_fini(struct dm *dm)
{
	dm_pci_bus_fini(&dm->pci);
	dm_uart_destroy(dm);
}

void dm_log(struct dm *dm, const char *fmt, ...)
{
	if (!dm->log)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(dm->log, "tern-dm: %s: ", dm->name);
	vfprintf(dm->log, fmt, ap);
	fputc('\n', dm->log);
	fflush(dm->log);
	va_end(ap);
}

int dm_inject_msi(struct dm *dm, uint64_t addr, uint64_t data)
{
	struct acrn_msi_entry e = { .msi_addr = addr, .msi_data = data };
	int rc = dm_hsm_call(dm->hsm, HSM_INJECT_MSI, &e);
	if (rc)
		dm_log(dm, "INJECT_MSI addr %#llx data %#llx refused: %s", (unsigned long long)addr,
		       (unsigned long long)data, strerror(-rc));
	return rc;
}

int dm_set_irqline(struct dm *dm, uint32_t gsi, uint32_t op)
{
	struct acrn_irqline_ops ops = { .gsi = gsi, .op = op };
	uint64_t v;
	memcpy(&v, &ops, sizeof(v));
	int rc = dm_hsm_call(dm->hsm, HSM_SET_IRQLINE, &v);
	if (rc)
		dm_log(dm, "SET_IRQLINE gsi %u op %u refused: %s", gsi, op, strerror(-rc));
	return rc;
}
