/* SPDX-License-Identifier: BSD-3-Clause */
/* tern-dm's event loop: epoll over a few descriptors, each with a callback. */
#ifndef TERN_DM_EVLOOP_H
#define TERN_DM_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

#define DM_EVLOOP_MAX 16

struct dm_evloop;
typedef void (*dm_ev_fn)(struct dm_evloop *l, int fd, uint32_t events, void *arg);

struct dm_evloop {
	int epfd;
	bool stop;
	int status;               /* what run() returns once stopped */
	struct { int fd; dm_ev_fn fn; void *arg; } h[DM_EVLOOP_MAX];
	unsigned n;
	/* Called between waits when set (polling mode); the wait does not block then. */
	void (*idle)(struct dm_evloop *l, void *arg);
	void *idle_arg;
};

int dm_evloop_init(struct dm_evloop *l);
void dm_evloop_fini(struct dm_evloop *l);
int dm_evloop_add(struct dm_evloop *l, int fd, uint32_t events, dm_ev_fn fn, void *arg);
void dm_evloop_stop(struct dm_evloop *l, int status);
/* Until stopped; the status given to stop, or -errno if epoll fails. */
int dm_evloop_run(struct dm_evloop *l);

#endif
