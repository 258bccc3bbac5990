/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A child process whose stdout and stderr are collected, for the tests that
 * run tern-dm as a real process (harness/dm's fake hypervisor, the
 * scenarios against tern-sim live mode).
 */
#ifndef TERN_CHILD_H
#define TERN_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CHILD_MAX_OUT 16384

struct child {
	pid_t pid;                /* 0 once reaped */
	int status;               /* its wait status once reaped */
	int out_fd;               /* read end of its stdout+stderr, -1 when closed */
	char out[CHILD_MAX_OUT];
	size_t out_len;
};

/* fork/exec argv[0] with argv; 0 or -1. */
int child_spawn(struct child *c, const char *const argv[]);
/* Read what it wrote so far (never blocks). */
void child_drain(struct child *c);
bool child_out_has(struct child *c, const char *text);
/* Whether it has exited (reaping it: c->status); never blocks. */
bool child_reaped(struct child *c);
/* SIGKILL and reap it if alive, close its output. */
void child_end(struct child *c);

#endif
