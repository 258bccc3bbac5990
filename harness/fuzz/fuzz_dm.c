/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-dm against hostile input. First byte even: the rest is a sequence of
 * IOREQ pages (4 KiB each, shorter ones zero-padded) that a hostile Service
 * VM or hypervisor wrote, served by a device model with a host bridge and
 * the PCI test device; every slot tern-dm took must end COMPLETE and every
 * other slot keep its state. First byte odd: the rest is a NUL-separated
 * argv for the command-line parser, which must accept or give one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cmdline.h"
#include "devices.h"
#include "ioreq_client.h"
#include "rec_hsm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_cmdline(const uint8_t *data, size_t size)
{
	static char buf[4096];
	static struct dm_opts o;
	char *argv[32] = { "tern-dm" };
	int argc = 1;
	size = size < sizeof(buf) - 1 ? size : sizeof(buf) - 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i <= size && argc < 31; ) {
		argv[argc++] = &buf[i];
		i += strlen(&buf[i]) + 1;
	}
	char err[320];
	err[0] = '\0';
	if (dm_cmdline_parse(argc, argv, &o, err, sizeof(err)) == 0) {
		if (!o.help && (!o.vm_name || strlen(o.vm_name) > DM_VM_NAME_MAX || o.mem == 0 || o.mem % 4096))
			abort();
		for (unsigned i = 0; i < o.nslots; i++)
			if (o.slots[i].slot >= DM_PCI_SLOTS || o.slots[i].func >= DM_PCI_FUNCS || !o.slots[i].type)
				abort();
	} else if (!err[0] || strchr(err, '\n')) {
		abort();
	}
}

static void fuzz_page(uint8_t flags, const uint8_t *data, size_t size)
{
	static struct rec_hsm r;
	static struct dm dm;
	rec_hsm_init(&r, &dm, NULL);
	dm.claim_pending = (flags & 2) != 0;
	dm.polling = (flags & 4) != 0;
	if (dm_hostbridge_create(&dm, 0, 0, NULL) || dm_testdev_create(&dm, 3, 0, "vectors=4"))
		abort();
	for (size_t off = 0; off < size && off < 16 * ACRN_IOREQ_PAGE_SIZE; off += ACRN_IOREQ_PAGE_SIZE) {
		size_t n = size - off < ACRN_IOREQ_PAGE_SIZE ? size - off : ACRN_IOREQ_PAGE_SIZE;
		memset(r.page, 0, sizeof(r.page));
		memcpy(r.page, data + off, n);
		uint32_t before[ACRN_IOREQ_SLOTS];
		for (unsigned v = 0; v < ACRN_IOREQ_SLOTS; v++)
			before[v] = r.page[v].processed;
		dm_ioreq_handle_all(&dm);
		for (unsigned v = 0; v < ACRN_IOREQ_SLOTS; v++) {
			bool ours = !r.page[v].kernel_handled &&
				    (before[v] == ACRN_IOREQ_STATE_PROCESSING ||
				     (before[v] == ACRN_IOREQ_STATE_PENDING && dm.claim_pending));
			uint32_t want = ours ? ACRN_IOREQ_STATE_COMPLETE : before[v];
			if (r.page[v].processed != want)
				abort();
		}
	}
	dm_fini(&dm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fuzz_cmdline(data + 1, size - 1);
	else
		fuzz_page(data[0], data + 1, size - 1);
	return 0;
}
