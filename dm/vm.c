/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmdline.h"
#include "devices.h"
#include "dm.h"
#include "uart.h"
#include "vm.h"

#define FAIL(rc, ...) do { snprintf(err, errlen, __VA_ARGS__); return (rc); } while (0)

static const char *refusal(int rc)
{
	return rc == -EEXIST ? "the VM already has a device model" : strerror(-rc);
}

int dm_vm_setup(struct dm *dm, const struct dm_opts *o, char *err, size_t errlen)
{
	struct acrn_vm_creation c;
	memset(&c, 0, sizeof(c));
	/* One vCPU per pCPU of the affinity (ACRN); polling mode is the VM's flag,
	 * so that the hypervisor marks the slots completion_polling and watches them. */
	c.vcpu_num = (uint16_t)__builtin_popcountll(o->cpu_affinity);
	c.cpu_affinity = o->cpu_affinity;
	if (o->polling)
		c.vm_flag |= ACRN_VM_FLAG_IO_COMPLETION_POLLING;
	memcpy(c.name, o->vm_name, strlen(o->vm_name));   /* <= 15 bytes: the parser checked */
	int rc = dm->hsm->ops->create_vm(dm->hsm, &c);
	if (rc)
		FAIL(rc, "CREATE_VM refused: %s", refusal(rc));
	/* From here a failure destroys the VM it created (ACRN's device model does the same). */
	bool client = false;
	rc = dm->hsm->ops->map_ram(dm->hsm, o->mem);
	if (rc) {
		snprintf(err, errlen, "SET_MEMSEG of %llu bytes refused: %s", (unsigned long long)o->mem,
			 strerror(-rc));
		goto undo;
	}
	for (unsigned i = 0; i < o->nslots; i++) {
		const struct dm_slot_opt *s = &o->slots[i];
		rc = s->type->create(dm, s->slot, s->func, s->config);
		if (rc) {
			snprintf(err, errlen, "%s at %u:%u: %s", s->type->name, s->slot, s->func, strerror(-rc));
			goto undo;
		}
	}
	if (o->com1_stdio && (rc = dm_uart_create(dm, STDOUT_FILENO))) {
		snprintf(err, errlen, "com1: %s", strerror(-rc));
		goto undo;
	}
	rc = dm_hsm_call(dm->hsm, HSM_CREATE_IOREQ_CLIENT, NULL);
	if (rc) {
		snprintf(err, errlen, "CREATE_IOREQ_CLIENT refused: %s", refusal(rc));
		goto undo;
	}
	client = true;
	rc = dm_hsm_call(dm->hsm, HSM_START_VM, NULL);
	if (rc) {
		snprintf(err, errlen, "START_VM refused: %s", strerror(-rc));
		goto undo;
	}
	return 0;
undo:
	if (client)
		dm_hsm_call(dm->hsm, HSM_DESTROY_IOREQ_CLIENT, NULL);
	dm_hsm_call(dm->hsm, HSM_DESTROY_VM, NULL);
	return rc;
}

void dm_vm_teardown(struct dm *dm)
{
	int rc = dm_hsm_call(dm->hsm, HSM_DESTROY_IOREQ_CLIENT, NULL);
	if (rc)
		dm_log(dm, "DESTROY_IOREQ_CLIENT: %s", strerror(-rc));
	rc = dm_hsm_call(dm->hsm, HSM_DESTROY_VM, NULL);
	if (rc)
		dm_log(dm, "DESTROY_VM: %s", strerror(-rc));
}
