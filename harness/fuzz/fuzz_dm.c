/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-dm against hostile input. First byte even: the rest is a sequence of
 * IOREQ pages (4 KiB each, shorter ones zero-padded) that a hostile Service
 * VM or hypervisor wrote, served by a device model with a host bridge and
 * the PCI test device; every slot tern-dm took must end COMPLETE and every
 * other slot keep its state. First byte odd: the rest is a NUL-separated
 * argv for the command-line parser, which must accept or give one line.
 * First byte 2 mod 4: the rest is what a hostile hypervisor sends back on
 * the simulator's socket (hsm_sock.c), with a RAM memfd and an eventfd on
 * it when bit 2 of the first byte is set: CREATE_VM, SET_MEMSEG and further
 * requests must fail cleanly or map only inside the memfd.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include "cmdline.h"
#include "hsm_sock_proto.h"
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

#define FUZZ_RAM_SIZE 0x10000u
#define FUZZ_GUEST_LEN 0x2000u

static void fuzz_replies(uint8_t flags, const uint8_t *data, size_t size)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	int fds[TERN_HSM_NFDS] = { memfd_create("fuzz-ram", MFD_CLOEXEC), eventfd(0, EFD_CLOEXEC) };
	if (fds[0] < 0 || fds[1] < 0 || ftruncate(fds[0], FUZZ_RAM_SIZE))
		abort();
	/* The whole reply stream at once, the descriptors on its first byte; then EOF. */
	size = size < 8192 ? size : 8192;
	struct iovec iov = { (void *)(uintptr_t)data, size };
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} ctl;
	struct msghdr m;
	memset(&m, 0, sizeof(m));
	memset(&ctl, 0, sizeof(ctl));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (flags & 4) {
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
	}
	if (size && sendmsg(sv[1], &m, MSG_NOSIGNAL) < 0)
		abort();
	shutdown(sv[1], SHUT_WR);
	close(fds[0]);
	close(fds[1]);
	struct dm_hsm h;
	dm_hsm_sock_attach(&h, sv[0]);
	struct acrn_vm_creation c;
	memset(&c, 0, sizeof(c));
	memcpy(c.name, "fz", 2);
	c.vcpu_num = 1;
	c.cpu_affinity = 1;
	if (h.ops->create_vm(&h, &c) == 0) {
		/* What tern-dm maps must be the memfd's: touching it must not fault. */
		if (!h.ioreq_page || h.ram_fd < 0 || h.wait_fd < 0)
			abort();
		h.ioreq_page[ACRN_IOREQ_SLOTS - 1].processed = ACRN_IOREQ_STATE_FREE;
		if (h.ops->map_ram(&h, FUZZ_GUEST_LEN) == 0) {
			if (!h.ram || h.ram_len != FUZZ_GUEST_LEN)
				abort();
			h.ram[FUZZ_GUEST_LEN - 1] = 1;
		}
		struct acrn_ioreq_notify n = { .vmid = h.vmid, .vcpu = 0 };
		(void)dm_hsm_call(&h, HSM_NOTIFY_REQUEST_FINISH, &n);
		struct acrn_msi_entry msi = { 0xfee00000u, 0x31 };
		(void)dm_hsm_call(&h, HSM_INJECT_MSI, &msi);
		(void)dm_hsm_call(&h, HSM_START_VM, NULL);
	}
	h.ops->close(&h);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if ((data[0] & 3) == 2)
		fuzz_replies(data[0], data + 1, size - 1);
	else if (data[0] & 1)
		fuzz_cmdline(data + 1, size - 1);
	else
		fuzz_page(data[0], data + 1, size - 1);
	return 0;
}
