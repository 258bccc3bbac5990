/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HSM back-end 2: the simulator's socket (protocol in hsm_sock_proto.h).
 * Everything the hypervisor side sends is checked before use: reply
 * lengths, descriptor counts, the IOREQ page and RAM placement against the
 * memfd's size.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "hsm.h"
#include "hsm_sock_proto.h"

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * A reply must start arriving within this long: a hypervisor that never
 * answers must not hold tern-dm (and its SIGTERM, which waits for the loop)
 * forever.
 */
#define SOCK_REPLY_TIMEOUT_MS 10000

static int wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;
	do
		n = poll(&p, 1, SOCK_REPLY_TIMEOUT_MS);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		int w = wait_readable(fd);
		if (w)
			return w;
		ssize_t n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The reply header, with up to TERN_HSM_NFDS descriptors; *nfds gets their count. */
static int read_reply_hdr(int fd, struct tern_hsm_reply *rep, int *fds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * TERN_HSM_NFDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = rep, .iov_len = sizeof(*rep) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	*nfds = 0;
	int w = wait_readable(fd);
	if (w)
		return w;
	ssize_t n;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -EPIPE;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(f));
			if (*nfds < TERN_HSM_NFDS)
				fds[(*nfds)++] = f;
			else
				close(f);
		}
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		for (int i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		return -EPROTO;
	}
	if ((size_t)n < sizeof(*rep))
		return read_all(fd, (uint8_t *)rep + n, sizeof(*rep) - (size_t)n);
	return 0;
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * One request and its reply. out/out_len: where the reply payload goes;
 * a reply carrying a different length than expected is a protocol error.
 */
static int transact(struct dm_hsm *h, uint32_t nr, const void *arg, void *out, size_t out_len, int *fds,
		    int *nfds)
{
	struct tern_hsm_msg m = { .nr = nr, .len = HSM_IOC_SIZE(nr) };
	if (m.len > TERN_HSM_MAX_PAYLOAD)
		return -EINVAL;
	/* Header and payload in one write: the hypervisor side wakes once, with all of it. */
	uint8_t req[sizeof(m) + TERN_HSM_MAX_PAYLOAD];
	memcpy(req, &m, sizeof(m));
	if (m.len)
		memcpy(req + sizeof(m), arg, m.len);
	if (write_all(h->fd, req, sizeof(m) + m.len))
		return -EPIPE;
	struct tern_hsm_reply rep;
	int rc = read_reply_hdr(h->fd, &rep, fds, nfds);
	if (rc)
		return rc;
	if (rep.len > TERN_HSM_MAX_PAYLOAD)
		return -EPROTO;
	uint8_t buf[TERN_HSM_MAX_PAYLOAD];
	if (rep.len && (rc = read_all(h->fd, buf, rep.len)))
		return rc;
	if (rep.status > 0 || rep.status < -4095)
		return -EPROTO;
	if (rep.status < 0)
		return rep.status;
	if (out) {
		if (rep.len != out_len)
			return -EPROTO;
		memcpy(out, buf, out_len);
	} else if (rep.len != 0) {
		return -EPROTO;
	}
	return 0;
}


/*
 * transact(); fds NULL: the reply may carry no descriptors — any a hostile
 * hypervisor attached are closed and the reply is a protocol error.
 */
static int sock_transact(struct dm_hsm *h, uint32_t nr, const void *arg, void *out, size_t out_len, int *fds,
			 int *nfds)
{
	if (fds)
		return transact(h, nr, arg, out, out_len, fds, nfds);
	int stray[TERN_HSM_NFDS], n = 0;
	int rc = transact(h, nr, arg, out, out_len, stray, &n);
	close_fds(stray, n);
	return rc == 0 && n ? -EPROTO : rc;
}

static int sock_call(struct dm_hsm *h, uint32_t nr, void *arg)
{
	if (nr == HSM_ATTACH_IOREQ_CLIENT)
		return 0;         /* the wait is h->wait_fd */
	bool reads = (HSM_IOC_DIR(nr) & HSM_IOC_READ) != 0;
	int fds[TERN_HSM_NFDS], n = 0;
	int rc = sock_transact(h, nr, arg, reads ? arg : NULL, HSM_IOC_SIZE(nr), fds, &n);
	close_fds(fds, n);        /* only CREATE_VM may carry descriptors */
	return rc;
}

static int sock_create_vm(struct dm_hsm *h, struct acrn_vm_creation *vm)
{
	int fds[TERN_HSM_NFDS], n = 0;
	struct acrn_vm_creation back;
	vm->ioreq_buf = 0;        /* the hypervisor places the page */
	int rc = sock_transact(h, HSM_CREATE_VM, vm, &back, sizeof(back), fds, &n);
	if (rc) {
		close_fds(fds, n);
		return rc;
	}
	if (n != TERN_HSM_NFDS) {
		close_fds(fds, n);
		return -EPROTO;
	}
	struct stat st;
	if (fstat(fds[TERN_HSM_FD_RAM], &st) || back.ioreq_buf % ACRN_IOREQ_PAGE_SIZE ||
	    back.ioreq_buf > (uint64_t)st.st_size ||
	    (uint64_t)st.st_size - back.ioreq_buf < ACRN_IOREQ_PAGE_SIZE) {
		close_fds(fds, n);
		return -EPROTO;
	}
	void *page = mmap(NULL, ACRN_IOREQ_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			  fds[TERN_HSM_FD_RAM], (off_t)back.ioreq_buf);
	if (page == MAP_FAILED) {
		close_fds(fds, n);
		return -errno;
	}
	h->ram_fd = fds[TERN_HSM_FD_RAM];
	h->wait_fd = fds[TERN_HSM_FD_REQUEST];
	h->ioreq_page = page;
	h->vmid = back.vmid;
	*vm = back;
	return 0;
}

static int sock_map_ram(struct dm_hsm *h, uint64_t len)
{
	struct acrn_vm_memmap m = { .type = ACRN_MEMMAP_RAM, .attr = ACRN_MEM_ACCESS_RWX,
				    .user_vm_pa = 0, .service_vm_pa = 0, .len = len };
	struct acrn_vm_memmap back;
	int rc = sock_transact(h, HSM_SET_MEMSEG, &m, &back, sizeof(back), NULL, NULL);
	if (rc)
		return rc;
	struct stat st;
	if (back.len != len || back.type != ACRN_MEMMAP_RAM || back.user_vm_pa != 0 ||
	    fstat(h->ram_fd, &st) || back.service_vm_pa % ACRN_IOREQ_PAGE_SIZE ||
	    back.service_vm_pa > (uint64_t)st.st_size || (uint64_t)st.st_size - back.service_vm_pa < len)
		return -EPROTO;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, h->ram_fd,
		       (off_t)back.service_vm_pa);
	if (p == MAP_FAILED)
		return -errno;
	h->ram = p;
	h->ram_len = len;
	return 0;
}

static void sock_close(struct dm_hsm *h)
{
	if (h->ram)
		munmap(h->ram, h->ram_len);
	if (h->ioreq_page)
		munmap((void *)h->ioreq_page, ACRN_IOREQ_PAGE_SIZE);
	if (h->ram_fd >= 0)
		close(h->ram_fd);
	if (h->wait_fd >= 0)
		close(h->wait_fd);
	if (h->fd >= 0)
		close(h->fd);
	h->ram = NULL;
	h->ioreq_page = NULL;
	h->fd = h->wait_fd = h->ram_fd = -1;
}

static const struct dm_hsm_ops sock_ops = {
	.call = sock_call,
	.create_vm = sock_create_vm,
	.map_ram = sock_map_ram,
	.close = sock_close,
};

void dm_hsm_sock_attach(struct dm_hsm *h, int fd)
{
	memset(h, 0, sizeof(*h));
	h->ops = &sock_ops;
	h->wait_fd = h->ram_fd = -1;
	h->fd = fd;
}

int dm_hsm_sock_open(struct dm_hsm *h, const char *path, const char **err)
{
	dm_hsm_sock_attach(h, -1);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		*err = "socket path too long";
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = "socket";
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;
		close(fd);
		*err = "connect";
		return -e;
	}
	h->fd = fd;
	return 0;
}
