/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HSM back-end 1: ioctl(2) on /dev/acrn_hsm in a Linux Service VM (the
 * upstream drivers/virt/acrn driver). As with ACRN's device model, tern-dm
 * allocates the IOREQ page and guest RAM itself and hands their addresses to
 * the HSM, which translates them. ATTACH_IOREQ_CLIENT blocks in the kernel,
 * so a helper thread makes that call and signals an eventfd the event loop
 * waits on. Not exercised by the test suite (no HSM on the build host); it
 * shares every request number and struct with the socket back-end, which is.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "hsm.h"

struct dev_state {
	pthread_t attach;
	bool thread_started;
};

static int dev_call(struct dm_hsm *h, uint32_t nr, void *arg)
{
	int rc;
	if (nr == HSM_SET_IRQLINE) {
		uint64_t v;
		memcpy(&v, arg, sizeof(v));
		rc = ioctl(h->fd, nr, (unsigned long)v);   /* by value, as uapi acrn.h says */
	} else if (HSM_IOC_SIZE(nr) == 0) {
		rc = ioctl(h->fd, nr, 0ul);
	} else {
		rc = ioctl(h->fd, nr, arg);
	}
	return rc < 0 ? -errno : 0;
}

static void *attach_loop(void *arg)
{
	struct dm_hsm *h = arg;
	for (;;) {
		/* Returns when requests are PROCESSING for this client, or it is destroyed. */
		if (ioctl(h->fd, HSM_ATTACH_IOREQ_CLIENT, 0ul) < 0 && errno != EINTR)
			return NULL;
		uint64_t one = 1;
		if (write(h->wait_fd, &one, sizeof(one)) != sizeof(one))
			return NULL;
	}
}

static int dev_create_vm(struct dm_hsm *h, struct acrn_vm_creation *vm)
{
	void *page = mmap(NULL, ACRN_IOREQ_PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	if (page == MAP_FAILED)
		return -errno;
	vm->ioreq_buf = (uint64_t)(uintptr_t)page;
	int rc = dev_call(h, HSM_CREATE_VM, vm);
	if (rc) {
		munmap(page, ACRN_IOREQ_PAGE_SIZE);
		return rc;
	}
	h->ioreq_page = page;
	h->vmid = vm->vmid;
	h->wait_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->wait_fd < 0)
		return -errno;
	return 0;
}

static int dev_map_ram(struct dm_hsm *h, uint64_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	struct acrn_vm_memmap m = { .type = ACRN_MEMMAP_RAM, .attr = ACRN_MEM_ACCESS_RWX,
				    .user_vm_pa = 0, .service_vm_pa = (uint64_t)(uintptr_t)p, .len = len };
	int rc = dev_call(h, HSM_SET_MEMSEG, &m);
	if (rc) {
		munmap(p, len);
		return rc;
	}
	h->ram = p;
	h->ram_len = len;
	/* The attach thread starts once the memory is in place (ACRN's order). */
	struct dev_state *st = h->backend;
	if (!st->thread_started && pthread_create(&st->attach, NULL, attach_loop, h) == 0)
		st->thread_started = true;
	return 0;
}

static void dev_close(struct dm_hsm *h)
{
	struct dev_state *st = h->backend;
	if (st && st->thread_started) {
		/* DESTROY_IOREQ_CLIENT (sent by the caller) makes ATTACH return. */
		pthread_cancel(st->attach);
		pthread_join(st->attach, NULL);
	}
	free(st);
	if (h->ram)
		munmap(h->ram, h->ram_len);
	if (h->ioreq_page)
		munmap((void *)h->ioreq_page, ACRN_IOREQ_PAGE_SIZE);
	if (h->wait_fd >= 0)
		close(h->wait_fd);
	if (h->fd >= 0)
		close(h->fd);
	h->backend = NULL;
	h->ram = NULL;
	h->ioreq_page = NULL;
	h->fd = h->wait_fd = -1;
}

static const struct dm_hsm_ops dev_ops = {
	.call = dev_call,
	.create_vm = dev_create_vm,
	.map_ram = dev_map_ram,
	.close = dev_close,
};

int dm_hsm_dev_open(struct dm_hsm *h, const char *path, const char **err)
{
	memset(h, 0, sizeof(*h));
	h->ops = &dev_ops;
	h->fd = h->wait_fd = h->ram_fd = -1;
	h->backend = calloc(1, sizeof(struct dev_state));
	if (!h->backend) {
		*err = "out of memory";
		return -ENOMEM;
	}
	h->fd = open(path, O_RDWR | O_CLOEXEC);
	if (h->fd < 0) {
		int e = errno;
		free(h->backend);
		h->backend = NULL;
		*err = "open";
		return -e;
	}
	return 0;
}
