/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulator's HSM: ACRN's HSM ioctl requests carried over a Unix stream
 * socket (tern-dm --sim PATH connects; the hypervisor side — tern-sim, or
 * the test's fake in harness/dm — listens). dm/README.md has the whole
 * contract; this header is its byte layout, shared by both ends.
 *
 * Request (tern-dm -> hypervisor):  struct tern_hsm_msg, then len bytes.
 *   nr is the full ioctl request number (HSM_CREATE_VM = 0xc030a210, ...);
 *   len must equal HSM_IOC_SIZE(nr) (SET_IRQLINE: the 8-byte u64 value).
 * Reply (hypervisor -> tern-dm): struct tern_hsm_reply, then len bytes.
 *   status is 0 or a negative errno (what ioctl(2) would return as -errno).
 *   On success, CREATE_VM's reply carries the acrn_vm_creation back (vmid
 *   set, ioreq_buf = byte offset of the IOREQ page inside the RAM memfd) and
 *   two descriptors as SCM_RIGHTS on the reply header: TERN_HSM_FD_RAM, the
 *   memfd of host RAM, and TERN_HSM_FD_REQUEST, an eventfd the hypervisor
 *   writes after it marks a slot PENDING (the hv -> dm notification).
 *   SET_MEMSEG's reply carries the acrn_vm_memmap back with service_vm_pa =
 *   the byte offset in the RAM memfd where the hypervisor placed that guest
 *   RAM (tern-dm sends service_vm_pa 0: "you place it"). Other replies carry
 *   no payload (len 0).
 * The dm -> hv notification is NOTIFY_REQUEST_FINISH on the socket: an
 * ioctl with a status, so that the hypervisor can refuse a completion (a
 * vCPU not waiting, a slot not COMPLETE) and tern-dm hears it. In polling
 * mode nothing is sent: the hypervisor watches the slot's state.
 * ATTACH_IOREQ_CLIENT never travels: its wait is the eventfd.
 * The hypervisor closing the socket means the VM is gone; tern-dm exits.
 */
#ifndef TERN_DM_HSM_SOCK_PROTO_H
#define TERN_DM_HSM_SOCK_PROTO_H

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

struct tern_hsm_msg {
	uint32_t nr;
	uint32_t len;
};

struct tern_hsm_reply {
	int32_t status;
	uint32_t len;
};

/* Largest payload either way (an ioctl's size field allows more; ACRN's are smaller). */
#define TERN_HSM_MAX_PAYLOAD 512u

/* Order of the descriptors on CREATE_VM's reply. */
#define TERN_HSM_FD_RAM 0
#define TERN_HSM_FD_REQUEST 1
#define TERN_HSM_NFDS 2

_Static_assert(sizeof(struct tern_hsm_msg) == 8, "tern_hsm_msg");
_Static_assert(sizeof(struct tern_hsm_reply) == 8, "tern_hsm_reply");

/*
 * The hypervisor side's reply: header, payload and (CREATE_VM) the
 * descriptors as SCM_RIGHTS on the header, in one sendmsg. 0, or -1 when the
 * peer did not take all of it. For tern-sim's live mode and the tests' fake.
 */
static inline int tern_hsm_send_reply(int fd, int32_t status, const void *payload, uint32_t len,
				      const int *fds, int nfds)
{
	struct tern_hsm_reply r = { .status = status, .len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int) * TERN_HSM_NFDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = { { &r, sizeof(r) }, { (void *)(uintptr_t)payload, len } };
	struct msghdr m;
	memset(&m, 0, sizeof(m));
	m.msg_iov = iov;
	m.msg_iovlen = len ? 2 : 1;
	if (nfds > 0 && nfds <= TERN_HSM_NFDS) {
		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
	return n == (ssize_t)(sizeof(r) + len) ? 0 : -1;
}

#endif
