/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replaying traces through core/: one exit at a time, the platform's
 * register fetches are served from the trace, the guest memory the trace
 * says the handler read is put in the VM's RAM (which core reaches through
 * the VM's EPT, as on the image), every access is checked against the
 * trace's, and every outcome is compared with what the trace expects.
 */
#ifndef TERN_REPLAY_H
#define TERN_REPLAY_H

#include <stdint.h>
#include <stdio.h>
#include "trace.h"

#define REPLAY_MAX_WRITES TRACE_MAX_WRITES
#define REPLAY_MSG 256

struct sim_mem_access {
	uint64_t gpa;
	uint32_t len;
	uint8_t data[TRACE_MAX_MEM];
};

struct sim_replay_exit {
	const struct trace_exit *te;
	unsigned next_read;
	struct sim_mem_access *writes;   /* grown as the handler writes (free with the exit) */
	unsigned nwrites, cap_writes;
	bool overflow_writes;
	/* The first problem the platform side saw (missing state, stray read). */
	char error[REPLAY_MSG];
};

struct replay_stats {
	unsigned exits;
	unsigned mismatched_exits;
	unsigned by_reason[TRACE_REASON_SLOTS];
	unsigned by_reason_bad[TRACE_REASON_SLOTS];
	unsigned by_action[8];
	unsigned scheds;                       /* sched entries replayed */
	unsigned bad_scheds;
	unsigned async[TRACE_ASYNC_KINDS];     /* async records, by kind */
	unsigned bad_async;                    /* async records (or unlisted events) that differed */
};

/*
 * Replay a parsed trace; every mismatch is printed to `out` as
 * "FILE: exit #N (line L, REASON): field expected E, actual A".
 * "FILE: sched #N (line L, pcpu P): ..." or "FILE: async #N (line L, KIND): ...".
 * Returns the number of mismatched entries and async records (0 = the
 * trace reproduced).
 */
unsigned replay_trace(const struct trace *t, FILE *out, struct replay_stats *stats);

#endif
