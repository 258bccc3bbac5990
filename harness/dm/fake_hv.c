/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "fake_hv.h"
#include "hsm_sock_proto.h"

#ifndef TERN_DM_BIN
#error "TERN_DM_BIN: the path of build/host/tern-dm (the Makefile defines it)"
#endif

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

bool fhv_log_has(struct fhv_dm *d, const char *line)
{
	return child_out_has(&d->proc, line);
}

int fhv_spawn(struct fhv *h, struct fhv_dm *d, const char *const args[])
{
	memset(d, 0, sizeof(*d));
	d->conn = -1;
	const char *argv[32];
	unsigned n = 0;
	argv[n++] = TERN_DM_BIN;
	argv[n++] = "--sim";
	argv[n++] = h->sock_path;
	for (unsigned i = 0; args && args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return child_spawn(&d->proc, argv);
}

int fhv_accept(struct fhv *h, struct fhv_dm *d, int timeout_ms)
{
	struct pollfd pf = { .fd = h->listen_fd, .events = POLLIN };
	if (poll(&pf, 1, timeout_ms) != 1)
		return -1;
	d->conn = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	return d->conn < 0 ? -1 : 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void reply(struct fhv_dm *d, int32_t status, const void *payload, uint32_t len, const int *fds, int nfds)
{
	(void)tern_hsm_send_reply(d->conn, status, payload, len, fds, nfds);
}

static void hang_up(struct fhv_dm *d)
{
	if (d->conn >= 0)
		close(d->conn);
	d->conn = -1;
}

/* One request from d, checked as the hypervisor must. */
static void handle(struct fhv *h, struct fhv_dm *d)
{
	struct tern_hsm_msg m;
	uint8_t payload[TERN_HSM_MAX_PAYLOAD];
	if (read_all(d->conn, &m, sizeof(m)) || m.len > sizeof(payload) || m.len != HSM_IOC_SIZE(m.nr) ||
	    read_all(d->conn, payload, m.len)) {
		hang_up(d);
		return;
	}
	bool primary = d == &h->dm;
	if (h->ncalls < sizeof(h->calls) && primary)
		h->calls[h->ncalls++] = (uint8_t)HSM_IOC_NR(m.nr);
	switch (m.nr) {
	case HSM_CREATE_VM: {
		struct acrn_vm_creation c;
		memcpy(&c, payload, sizeof(c));
		/* One device model per VM: a second one is refused while the first is there. */
		if (!primary) {
			reply(d, -EEXIST, NULL, 0, NULL, 0);
			return;
		}
		memcpy(h->vm_name, c.name, 16);
		h->vm_name[16] = '\0';
		c.vmid = 1;
		c.ioreq_buf = h->evil == FHV_EVIL_PAGE_OUTSIDE ? FHV_RAM_SIZE :
			      h->evil == FHV_EVIL_PAGE_UNALIGNED ? FHV_IOREQ_OFF + 8 : FHV_IOREQ_OFF;
		int fds[TERN_HSM_NFDS];
		fds[TERN_HSM_FD_RAM] = h->ram_fd;
		fds[TERN_HSM_FD_REQUEST] = h->req_efd;
		reply(d, h->evil == FHV_EVIL_STATUS ? 5 : 0, &c,
		      h->evil == FHV_EVIL_SHORT_REPLY ? sizeof(c) - 8 : sizeof(c), fds,
		      h->evil == FHV_EVIL_NO_FDS ? 0 : TERN_HSM_NFDS);
		return;
	}
	case HSM_SET_MEMSEG: {
		struct acrn_vm_memmap mm;
		memcpy(&mm, payload, sizeof(mm));
		if (mm.type != ACRN_MEMMAP_RAM || mm.user_vm_pa != 0 || mm.len > FHV_RAM_SIZE - FHV_GUEST_OFF) {
			reply(d, -ENOMEM, NULL, 0, NULL, 0);
			return;
		}
		h->guest_len = mm.len;
		mm.service_vm_pa = h->evil == FHV_EVIL_RAM_OUTSIDE ? FHV_RAM_SIZE - 4096 : FHV_GUEST_OFF;
		reply(d, 0, &mm, sizeof(mm), NULL, 0);
		return;
	}
	case HSM_CREATE_IOREQ_CLIENT:
		if (h->client) {
			reply(d, -EEXIST, NULL, 0, NULL, 0);
			return;
		}
		h->client = true;
		reply(d, 0, NULL, 0, NULL, 0);
		return;
	case HSM_DESTROY_IOREQ_CLIENT:
		h->client = false;
		reply(d, 0, NULL, 0, NULL, 0);
		return;
	case HSM_INJECT_MSI:
		if (h->nmsi < FHV_MAX_EVENTS)
			memcpy(&h->msi[h->nmsi++], payload, sizeof(struct acrn_msi_entry));
		reply(d, 0, NULL, 0, NULL, 0);
		return;
	case HSM_SET_IRQLINE:
		if (h->nirq < FHV_MAX_EVENTS)
			memcpy(&h->irq[h->nirq++], payload, sizeof(struct acrn_irqline_ops));
		reply(d, 0, NULL, 0, NULL, 0);
		return;
	case HSM_NOTIFY_REQUEST_FINISH: {
		struct acrn_ioreq_notify n;
		memcpy(&n, payload, sizeof(n));
		/* A completion counts only for a slot that says COMPLETE. */
		if (h->refuse_notify || n.vmid != 1 || n.vcpu >= ACRN_IOREQ_SLOTS ||
		    __atomic_load_n(&h->page[n.vcpu].processed, __ATOMIC_ACQUIRE) != ACRN_IOREQ_STATE_COMPLETE) {
			h->notify_refused++;
			reply(d, h->refuse_notify ? -h->refuse_notify : -EINVAL, NULL, 0, NULL, 0);
			return;
		}
		h->nnotify++;
		h->notified |= 1u << n.vcpu;
		reply(d, 0, NULL, 0, NULL, 0);
		return;
	}
	case HSM_START_VM:
	case HSM_PAUSE_VM:
	case HSM_RESET_VM:
	case HSM_DESTROY_VM:
		reply(d, 0, NULL, 0, NULL, 0);
		return;
	default:
		reply(d, -ENOTTY, NULL, 0, NULL, 0);
		return;
	}
}

int fhv_serve(struct fhv *h, struct fhv_dm *d, int timeout_ms)
{
	child_drain(&d->proc);
	if (d->conn < 0)
		return -1;
	struct pollfd pf = { .fd = d->conn, .events = POLLIN };
	int n = poll(&pf, 1, timeout_ms);
	if (n <= 0)
		return 0;
	handle(h, d);
	return d->conn < 0 ? -1 : 1;
}

void fhv_pump(struct fhv *h, int ms)
{
	long end = now_ms() + ms;
	while (now_ms() < end && fhv_serve(h, &h->dm, 10) >= 0)
		;
}

int fhv_start(struct fhv *h, const char *const args[])
{
	int evil = h->evil;
	memset(h, 0, sizeof(*h));
	h->evil = evil;
	h->listen_fd = h->ram_fd = h->req_efd = -1;
	h->dm.conn = h->dm.proc.out_fd = -1;
	snprintf(h->sock_path, sizeof(h->sock_path), "/tmp/tern-fhv.%d.%ld.sock", (int)getpid(), now_ms());
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, h->sock_path);
	h->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->listen_fd < 0 || bind(h->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(h->listen_fd, 4))
		return -1;
	h->ram_fd = memfd_create("tern-host-ram", MFD_CLOEXEC);
	if (h->ram_fd < 0 || ftruncate(h->ram_fd, FHV_RAM_SIZE))
		return -1;
	h->ram = mmap(NULL, FHV_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, h->ram_fd, 0);
	if (h->ram == MAP_FAILED)
		return -1;
	h->page = (volatile struct acrn_io_request *)(h->ram + FHV_IOREQ_OFF);
	for (unsigned i = 0; i < ACRN_IOREQ_SLOTS; i++)
		h->page[i].processed = ACRN_IOREQ_STATE_FREE;
	h->req_efd = eventfd(0, EFD_CLOEXEC);
	if (h->req_efd < 0 || fhv_spawn(h, &h->dm, args))
		return -1;
	if (fhv_accept(h, &h->dm, 20000)) {
		fhv_wait(h, &h->dm, 5000);
		return -1;
	}
	long end = now_ms() + 20000;
	while (now_ms() < end) {
		if (fhv_serve(h, &h->dm, 100) < 0)
			return -1;
		if (h->ncalls && h->calls[h->ncalls - 1] == HSM_IOC_NR(HSM_START_VM))
			return 0;
	}
	return -1;
}

int fhv_request(struct fhv *h, unsigned vcpu, struct acrn_io_request *r, uint32_t state, bool polling)
{
	volatile struct acrn_io_request *s = &h->page[vcpu];
	r->processed = ACRN_IOREQ_STATE_FREE;
	memcpy((void *)s, r, sizeof(*r));
	h->notified &= ~(1u << vcpu);
	__atomic_store_n(&s->processed, state, __ATOMIC_RELEASE);
	uint64_t one = 1;
	if (write(h->req_efd, &one, sizeof(one)) != sizeof(one))
		return -EPIPE;
	long end = now_ms() + 20000;
	int rc = -ETIMEDOUT;
	while (now_ms() < end) {
		if (polling) {
			if (__atomic_load_n(&s->processed, __ATOMIC_ACQUIRE) == ACRN_IOREQ_STATE_COMPLETE) {
				rc = 0;
				break;
			}
			if (fhv_serve(h, &h->dm, 0) < 0)
				return -EPIPE;
			continue;
		}
		if (fhv_serve(h, &h->dm, 50) < 0)
			return -EPIPE;
		if (h->notified & (1u << vcpu)) {
			rc = 0;
			break;
		}
	}
	memcpy(r, (const void *)s, sizeof(*r));
	if (rc == 0)
		__atomic_store_n(&s->processed, ACRN_IOREQ_STATE_FREE, __ATOMIC_RELEASE);
	return rc;
}

static struct acrn_io_request mk(uint32_t type)
{
	struct acrn_io_request r;
	memset(&r, 0, sizeof(r));
	r.type = type;
	return r;
}

uint64_t fhv_pio(struct fhv *h, bool write, uint16_t port, unsigned size, uint32_t value)
{
	struct acrn_io_request r = mk(ACRN_IOREQ_TYPE_PORTIO);
	r.reqs.pio_request.direction = write ? ACRN_IOREQ_DIR_WRITE : ACRN_IOREQ_DIR_READ;
	r.reqs.pio_request.address = port;
	r.reqs.pio_request.size = size;
	r.reqs.pio_request.value = value;
	if (fhv_request(h, 0, &r, ACRN_IOREQ_STATE_PENDING, false))
		return 0xbad0bad0bad0ull;
	return r.reqs.pio_request.value;
}

uint64_t fhv_mmio(struct fhv *h, bool write, uint64_t gpa, unsigned size, uint64_t value)
{
	struct acrn_io_request r = mk(ACRN_IOREQ_TYPE_MMIO);
	r.reqs.mmio_request.direction = write ? ACRN_IOREQ_DIR_WRITE : ACRN_IOREQ_DIR_READ;
	r.reqs.mmio_request.address = gpa;
	r.reqs.mmio_request.size = size;
	r.reqs.mmio_request.value = value;
	if (fhv_request(h, 0, &r, ACRN_IOREQ_STATE_PENDING, false))
		return 0xbad0bad0bad0ull;
	return r.reqs.mmio_request.value;
}

uint32_t fhv_cfg(struct fhv *h, bool write, unsigned dev, unsigned func, unsigned reg, unsigned size,
		 uint32_t value)
{
	struct acrn_io_request r = mk(ACRN_IOREQ_TYPE_PCICFG);
	r.reqs.pci_request.direction = write ? ACRN_IOREQ_DIR_WRITE : ACRN_IOREQ_DIR_READ;
	r.reqs.pci_request.size = size;
	r.reqs.pci_request.value = (int32_t)value;
	r.reqs.pci_request.bus = 0;
	r.reqs.pci_request.dev = (int32_t)dev;
	r.reqs.pci_request.func = (int32_t)func;
	r.reqs.pci_request.reg = (int32_t)reg;
	if (fhv_request(h, 0, &r, ACRN_IOREQ_STATE_PENDING, false))
		return 0xbad0bad0u;
	return (uint32_t)r.reqs.pci_request.value;
}

int fhv_wait(struct fhv *h, struct fhv_dm *d, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	while (now_ms() < end) {
		if (child_reaped(&d->proc))
			return d->proc.status;
		if (d->conn >= 0)
			fhv_serve(h, d, 10);
		else
			usleep(5000);
	}
	return -1;
}

static void dm_end(struct fhv_dm *d)
{
	child_end(&d->proc);
	hang_up(d);
}

void fhv_stop(struct fhv *h)
{
	/* Ask nicely first so that the coverage counters are written. */
	if (h->dm.proc.pid > 0) {
		kill(h->dm.proc.pid, SIGTERM);
		fhv_wait(h, &h->dm, 5000);
	}
	dm_end(&h->dm);
	if (h->ram && h->ram != MAP_FAILED)
		munmap(h->ram, FHV_RAM_SIZE);
	if (h->ram_fd >= 0)
		close(h->ram_fd);
	if (h->req_efd >= 0)
		close(h->req_efd);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	unlink(h->sock_path);
}
