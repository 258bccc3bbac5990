/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "evloop.h"

int dm_evloop_init(struct dm_evloop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void dm_evloop_fini(struct dm_evloop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int dm_evloop_add(struct dm_evloop *l, int fd, uint32_t events, dm_ev_fn fn, void *arg)
{
	if (l->n == DM_EVLOOP_MAX)
		return -ENOSPC;
	struct epoll_event ev = { .events = events, .data.u32 = l->n };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	l->h[l->n].fd = fd;
	l->h[l->n].fn = fn;
	l->h[l->n].arg = arg;
	l->n++;
	return 0;
}

void dm_evloop_stop(struct dm_evloop *l, int status)
{
	if (!l->stop)
		l->status = status;
	l->stop = true;
}

/* Polling mode: look at the page this many times between looks at the descriptors. */
#define DM_POLL_SPINS 256

int dm_evloop_run(struct dm_evloop *l)
{
	while (!l->stop) {
		if (l->idle)
			for (int i = 0; i < DM_POLL_SPINS && !l->stop; i++)
				l->idle(l, l->idle_arg);
		struct epoll_event ev[DM_EVLOOP_MAX];
		int n = epoll_wait(l->epfd, ev, DM_EVLOOP_MAX, l->idle ? 0 : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			unsigned k = ev[i].data.u32;
			l->h[k].fn(l, l->h[k].fd, ev[i].events, l->h[k].arg);
		}
	}
	return l->status;
}
