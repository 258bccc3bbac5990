/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOREQ round trip in microseconds (issue 11, "Done when"): a guest's
 * IN from the PCI test device's I/O BAR -> core -> the request in the page
 * -> a live tern-dm (built without sanitizers, -O2) -> the completion ->
 * core's post-work -> the vCPU in guest mode again, in notification mode
 * (upcall -> eventfd; NOTIFY_REQUEST_FINISH on the socket) and in polling
 * mode (both sides watch the slot). This is wall-clock by necessity: the
 * figures are the median of many round trips, printed next to floors
 * measured in the same run between two processes on the same machine —
 * an eventfd ping-pong (two wake-ups, what notification mode needs at
 * least) and a shared-cache-line spin (what polling mode needs at least) —
 * with the ratio and the target (notification <= 1.5x its floor, polling
 * <= 4x its floor). The machine is shared: the median, not the mean.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "scenario.h"
#include "sim.h"

#ifndef FLOOR_ITERS
#define FLOOR_ITERS 20000
#endif
#ifndef RTT_ITERS
#define RTT_ITERS 5000
#endif
#define WARMUP 200
#define NOTIFY_TARGET 1.5
#define POLL_TARGET 4.0
#define SLOT "3"

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[n / 2];
}

static double samples[FLOOR_ITERS];
/* Notification mode's legs, per round trip: exit -> upcall, upcall -> NOTIFY read, NOTIFY -> entry. */
static double legs[3][RTT_ITERS];

/* Two processes, two eventfds: ping, pong; one sample per round trip. */
static double eventfd_floor(void)
{
	int ping = eventfd(0, 0), pong = eventfd(0, 0);
	pid_t pid = fork();
	uint64_t one = 1, v;
	if (pid == 0) {
		for (unsigned i = 0; i < FLOOR_ITERS + WARMUP; i++) {
			if (read(ping, &v, 8) != 8 || write(pong, &one, 8) != 8)
				_exit(1);
		}
		_exit(0);
	}
	for (unsigned i = 0; i < FLOOR_ITERS + WARMUP; i++) {
		double t0 = now_us();
		if (write(ping, &one, 8) != 8 || read(pong, &v, 8) != 8)
			break;
		if (i >= WARMUP)
			samples[i - WARMUP] = now_us() - t0;
	}
	waitpid(pid, NULL, 0);
	close(ping);
	close(pong);
	return median(samples, FLOOR_ITERS);
}

/* Two processes spinning on a shared line: the parent stores i, the child answers i. */
static double spin_floor(void)
{
	volatile uint64_t *line = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	line[0] = line[8] = 0;
	pid_t pid = fork();
	if (pid == 0) {
		for (uint64_t i = 1; i <= FLOOR_ITERS + WARMUP; i++) {
			while (__atomic_load_n(&line[0], __ATOMIC_ACQUIRE) != i)
				;
			__atomic_store_n(&line[8], i, __ATOMIC_RELEASE);
		}
		_exit(0);
	}
	for (uint64_t i = 1; i <= FLOOR_ITERS + WARMUP; i++) {
		double t0 = now_us();
		__atomic_store_n(&line[0], i, __ATOMIC_RELEASE);
		while (__atomic_load_n(&line[8], __ATOMIC_ACQUIRE) != i)
			;
		if (i > WARMUP)
			samples[i - 1 - WARMUP] = now_us() - t0;
	}
	waitpid(pid, NULL, 0);
	munmap((void *)line, 4096);
	return median(samples, FLOOR_ITERS);
}

/* The guest's IN from the test device's I/O BAR, RTT_ITERS times: the median, or -1. */
static double ioreq_rtt(bool polling, unsigned *bad)
{
	static const char *const devs[] = { "-m", "2M", "-s", SLOT ",pci-testdev", NULL };
	static struct scn s;
	if (scn_start(&s, "bench", devs, polling))
		return -1;
	s.live.quiet = true;
	uint32_t bar = scn_cfg_read(&s, 3, 0, 0x10, 4) & ~3u;
	uint16_t port = (uint16_t)bar;
	*bad = 0;
	if (scn_out(&s, port, 4, 0x5a5a1234u))
		(*bad)++;
	for (unsigned i = 0; i < RTT_ITERS + WARMUP; i++) {
		uint32_t v = 0;
		double t0 = now_us();
		if (scn_in(&s, port, 4, &v) || v != 0x5a5a1234u) {
			(*bad)++;
			break;
		}
		/* Up to the vCPU's entry: what follows (the reply to tern-dm's NOTIFY) is not on the path. */
		if (i < WARMUP)
			continue;
		double entry = (double)s.live.entered_ns[s.vm->id] / 1e3;
		samples[i - WARMUP] = entry - t0;
		legs[0][i - WARMUP] = (double)s.live.upcall_ns / 1e3 - t0;
		legs[1][i - WARMUP] = (double)(s.live.request_ns - s.live.upcall_ns) / 1e3;
		legs[2][i - WARMUP] = entry - (double)s.live.request_ns / 1e3;
	}
	scn_stop(&s);
	if (!polling && !*bad)
		printf("notification mode, median legs: exit -> upcall %.2f us, upcall -> tern-dm's NOTIFY "
		       "read %.2f us, NOTIFY -> vCPU entry %.2f us\n", median(legs[0], RTT_ITERS),
		       median(legs[1], RTT_ITERS), median(legs[2], RTT_ITERS));
	return *bad ? -1 : median(samples, RTT_ITERS);
}

static void line(const char *what, double us, double floor, double target)
{
	double ratio = us / floor;
	printf("%-44s %9.2f us  floor %7.2f us  ratio %5.2f  target <= %.1fx  %s\n", what, us, floor, ratio,
	       target, ratio <= target ? "met" : "MISSED");
}

/* argv[1] "notify" or "poll": that round trip alone (for profiling). */
int main(int argc, char **argv)
{
	unsigned bad_n = 0, bad_p = 0;
	if (argc > 1) {
		double us = ioreq_rtt(strcmp(argv[1], "poll") == 0, &bad_n);
		printf("IOREQ round trip, %s mode: %.2f us\n", argv[1], us);
		return us < 0;
	}
	double efd = eventfd_floor();
	double spin = spin_floor();
	double notify = ioreq_rtt(false, &bad_n);
	double poll = ioreq_rtt(true, &bad_p);
	printf("floor: eventfd ping-pong between two processes: %.2f us (median of %u)\n", efd, FLOOR_ITERS);
	printf("floor: shared-cache-line spin between two processes: %.2f us (median of %u)\n", spin, FLOOR_ITERS);
	if (notify < 0 || poll < 0) {
		printf("IOREQ round trip: failed (notification %u, polling %u bad round trips)\n", bad_n, bad_p);
		return 1;
	}
	line("IOREQ round trip, notification mode", notify, efd, NOTIFY_TARGET);
	line("IOREQ round trip, polling mode", poll, spin, POLL_TARGET);
	return 0;
}
