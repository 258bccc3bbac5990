/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-sim: replays exit traces through core/ and compares every expected
 * field. Exit status: 0 all reproduced, 1 a mismatch, 2 a trace could not
 * be read. With --live SOCKET it serves the HSM socket instead (live.h):
 * device models (tern-dm --sim SOCKET) create and run VMs through core until
 * SIGINT/SIGTERM, or until the last one is gone and no User VM is left.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "replay.h"
#include "sim.h"
#include "exit_dispatch.h"
#include "live.h"
#include "sim_rec.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: tern-sim [--summary] [--quiet] [--log] TRACE...\n"
		"       tern-sim --live SOCKET [--record FILE] [--log]\n"
		"  Replays each text trace through core/ and compares every expected field.\n"
		"  --live     serve the HSM socket for tern-dm --sim SOCKET, core behind it\n"
		"  --record   with --live: record the run as a binary trace\n"
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

static volatile sig_atomic_t stop_live;

static void on_stop(int sig)
{
	(void)sig;
	stop_live = 1;
}

struct live_watch {
	bool served;              /* a device model has been here */
};

static bool live_done(struct sim_live *l, void *arg)
{
	struct live_watch *w = arg;
	bool vms = false;
	for (unsigned v = 0; v < TERN_MAX_VMS; v++)
		vms |= &l->hv->vms[v] != l->sos && l->hv->vms[v].state != VM_STATE_POWERED_OFF;
	unsigned conns = sim_live_conns(l);
	w->served |= conns > 0;
	return stop_live || (w->served && conns == 0 && !vms);
}

static int run_live(const char *path, const char *record)
{
	static struct tern hv;
	static struct sim_live l;
	FILE *rec = NULL;
	if (record) {
		rec = fopen(record, "wb");
		if (!rec) {
			perror(record);
			return 2;
		}
		sim_rec_start(rec);
	}
	if (sim_live_init(&l, &hv, path)) {
		perror("tern-sim: live mode");
		return 2;
	}
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "tern-sim: serving the HSM socket at %s\n", path);
	struct live_watch w = { false };
	while (sim_live_run(&l, live_done, &w, 1000, false) != 0)
		;
	fprintf(stderr, "tern-sim: %u hypercalls for device models, %u upcalls, %u hang-ups\n", l.nlog,
		l.upcalls, l.hangups);
	sim_live_fini(&l);
	int status = 0;
	if (rec && (sim_rec_stop() || fclose(rec))) {
		fprintf(stderr, "tern-sim: %s: records lost\n", record);
		status = 1;
	}
	return status;
}

int main(int argc, char **argv)
{
	bool summary = false, quiet = false;
	int status = 0;
	unsigned traces = 0;
	struct replay_stats st;
	memset(&st, 0, sizeof(st));

	int i = 1;
	const char *live = NULL, *record = NULL;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if ((!strcmp(argv[i], "--live") || !strcmp(argv[i], "--record")) && i + 1 < argc) {
			*(argv[i][2] == 'l' ? &live : &record) = argv[i + 1];
			i++;
		} else if (!strcmp(argv[i], "--summary"))
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
	if (live && i == argc)
		return run_live(live, record);
	if (i == argc || live || record) {
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
