/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-sim: replays exit traces through core/ and compares every expected
 * field. Exit status: 0 all reproduced, 1 a mismatch, 2 a trace could not
 * be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "replay.h"
#include "sim.h"
#include "exit_dispatch.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: tern-sim [--summary] [--quiet] [--log] TRACE...\n"
		"  Replays each text trace through core/ and compares every expected field.\n"
		"  --summary  print a per-exit-reason table at the end\n"
		"  --quiet    print only mismatches and errors\n"
		"  --log      show the hypervisor's log lines on stderr\n");
}

static void print_summary(const struct replay_stats *st, unsigned traces)
{
	printf("\n%-28s %8s %10s\n", "exit reason", "exits", "mismatched");
	printf("%-28s %8s %10s\n", "----------------------------", "--------", "----------");
	for (unsigned r = 0; r < TRACE_REASON_SLOTS; r++) {
		if (!st->by_reason[r])
			continue;
		printf("%-28s %8u %10u\n", r < EXIT_REASON_MAX ? exit_reason_name(r) : "(unknown reason)",
		       st->by_reason[r], st->by_reason_bad[r]);
	}
	printf("%-28s %8u %10u\n", "total", st->exits, st->mismatched_exits);
	if (st->scheds)
		printf("%-28s %8u %10u\n", "sched entries", st->scheds, st->bad_scheds);
	bool any = false;
	for (unsigned k = 1; k < TRACE_ASYNC_KINDS; k++)
		any |= st->async[k] != 0;
	if (any) {
		printf("\nasync records:");
		for (unsigned k = 1; k < TRACE_ASYNC_KINDS; k++)
			printf(" %s=%u", trace_async_name((uint8_t)k), st->async[k]);
		printf(" (mismatched: %u)\n", st->bad_async);
	}
	printf("\nexpected actions:");
	for (unsigned a = 0; a < EXIT_ACTION_COUNT; a++)
		printf(" %s=%u", exit_action_name((enum exit_action)a), st->by_action[a]);
	printf("\n%u traces replayed\n", traces);
}

int main(int argc, char **argv)
{
	bool summary = false, quiet = false;
	int status = 0;
	unsigned traces = 0;
	struct replay_stats st;
	memset(&st, 0, sizeof(st));

	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (!strcmp(argv[i], "--summary"))
			summary = true;
		else if (!strcmp(argv[i], "--quiet"))
			quiet = true;
		else if (!strcmp(argv[i], "--log"))
			sim.log_echo = true;
		else {
			usage();
			return 2;
		}
	}
	if (i == argc) {
		usage();
		return 2;
	}
	bool log_echo = sim.log_echo;
	for (; i < argc; i++) {
		struct trace t;
		char err[TRACE_ERR];
		if (trace_parse_file(argv[i], &t, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			status = 2;
			continue;
		}
		unsigned before = st.exits, sched_before = st.scheds;
		unsigned bad = replay_trace(&t, stdout, &st);
		sim.log_echo = log_echo; /* replay resets the simulator */
		traces++;
		char more[96] = "";
		if (st.scheds != sched_before || t.nasync)
			snprintf(more, sizeof(more), " (and %u sched entries, %u async records)",
				 st.scheds - sched_before, t.nasync);
		if (bad) {
			printf("%s: %u mismatch(es) in %u exit(s)%s\n", t.file, bad, st.exits - before, more);
			if (!status)
				status = 1;
		} else if (!quiet) {
			printf("%s: %u exit(s)%s reproduced\n", t.file, st.exits - before, more);
		}
		trace_free(&t);
	}
	if (summary)
		print_summary(&st, traces);
	sim_reset();
	return status;
}
