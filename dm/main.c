/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-dm: the device model process. Parse, connect, set the VM up, then
 * serve IOREQs until SIGTERM/SIGINT (clean teardown) or until the
 * hypervisor hangs up (the VM is gone). Exit status: 0 clean, 1 a failure
 * at run time, 2 a bad command line.
 */
#include <errno.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include "cmdline.h"
#include "dm.h"
#include "evloop.h"
#include "ioreq_client.h"
#include "vm.h"

#define EXIT_USAGE 2

struct run {
	struct dm *dm;
	bool hangup;
	unsigned idle_passes;
};

static void on_signal(struct dm_evloop *l, int fd, uint32_t events, void *arg)
{
	struct run *r = arg;
	(void)events;
	struct signalfd_siginfo si;
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	dm_log(r->dm, "%s: shutting down", strsignal((int)si.ssi_signo));
	dm_evloop_stop(l, EXIT_SUCCESS);
}

static void on_requests(struct dm_evloop *l, int fd, uint32_t events, void *arg)
{
	struct run *r = arg;
	(void)l;
	(void)events;
	uint64_t n;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	dm_ioreq_handle_all(r->dm);
}

/* The socket speaks only when asked; anything else is a hang-up or a broken peer. */
static void on_socket(struct dm_evloop *l, int fd, uint32_t events, void *arg)
{
	struct run *r = arg;
	(void)events;
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	r->hangup = true;
	if (n <= 0) {
		dm_log(r->dm, "the hypervisor closed the connection: the VM is gone");
		dm_evloop_stop(l, EXIT_SUCCESS);
	} else {
		dm_log(r->dm, "unexpected message from the hypervisor: giving up");
		dm_evloop_stop(l, EXIT_FAILURE);
	}
}

/*
 * Polling mode spins on the page; it yields the CPU only every
 * DM_IDLE_YIELD empty passes, so that a request finds it looking, not in
 * the scheduler (the round trip's floor is a cache line moving).
 */
#define DM_IDLE_YIELD 64u
static void on_idle(struct dm_evloop *l, void *arg)
{
	struct run *r = arg;
	(void)l;
	if (dm_ioreq_handle_all(r->dm) == 0 && ++r->idle_passes % DM_IDLE_YIELD == 0)
		sched_yield();
}

int main(int argc, char **argv)
{
	static struct dm_opts o;
	char err[320];
	if (dm_cmdline_parse(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "tern-dm: %s\n", err);
		return EXIT_USAGE;
	}
	if (o.help) {
		fputs(dm_usage, stdout);
		return EXIT_SUCCESS;
	}
	signal(SIGPIPE, SIG_IGN);
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	struct dm_hsm hsm;
	static struct dm dm;
	const char *what = NULL;
	const char *path = o.sim_path ? o.sim_path : o.hsm_path ? o.hsm_path : DM_DEFAULT_HSM;
	int rc = o.sim_path ? dm_hsm_sock_open(&hsm, path, &what) : dm_hsm_dev_open(&hsm, path, &what);
	dm_init(&dm, &hsm, o.vm_name, stderr);
	if (rc) {
		dm_log(&dm, "cannot reach the hypervisor at %s (%s): %s", path, what, strerror(-rc));
		return EXIT_FAILURE;
	}
	dm.claim_pending = o.sim_path != NULL;
	dm.polling = o.polling;
	if ((rc = dm_vm_setup(&dm, &o, err, sizeof(err)))) {
		dm_log(&dm, "%s", err);
		dm_fini(&dm);
		hsm.ops->close(&hsm);
		return EXIT_FAILURE;
	}

	struct run r = { .dm = &dm };
	struct dm_evloop l;
	int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (dm_evloop_init(&l) || sfd < 0 || dm_evloop_add(&l, sfd, EPOLLIN, on_signal, &r) ||
	    dm_evloop_add(&l, hsm.wait_fd, EPOLLIN, on_requests, &r) ||
	    (o.sim_path && dm_evloop_add(&l, hsm.fd, EPOLLIN | EPOLLRDHUP, on_socket, &r))) {
		dm_log(&dm, "event loop: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	if (o.polling) {
		l.idle = on_idle;
		l.idle_arg = &r;
	}
	/* Requests may have been written before we listened. */
	dm_ioreq_handle_all(&dm);
	int status = dm_evloop_run(&l);
	if (status < 0) {
		dm_log(&dm, "event loop: %s", strerror(-status));
		status = EXIT_FAILURE;
	}
	if (!r.hangup)
		dm_vm_teardown(&dm);
	dm_log(&dm, "served %lu requests, rejected %lu", dm.completed, dm.rejected);
	dm_evloop_fini(&l);
	close(sfd);
	dm_fini(&dm);
	hsm.ops->close(&hsm);
	return status;
}
