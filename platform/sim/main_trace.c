/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-trace: convert exit traces between the binary form the real image
 * records and the text form people review, and count exits per reason.
 */
#include <stdio.h>
#include <string.h>
#include "trace.h"
#include "trace_io.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: tern-trace text IN [OUT]   write IN (binary or text) as text\n"
		"       tern-trace bin IN OUT      write IN (binary or text) as binary\n"
		"       tern-trace count IN...     exits per exit reason\n");
}

static int convert(const char *mode, const char *in, const char *outpath)
{
	struct trace t;
	char err[TRACE_ERR];
	if (trace_parse_file(in, &t, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	FILE *out = outpath ? fopen(outpath, strcmp(mode, "bin") ? "w" : "wb") : stdout;
	if (!out) {
		perror(outpath);
		trace_free(&t);
		return 2;
	}
	int ret = strcmp(mode, "bin") ? trace_write_text(&t, out) : trace_write_binary(&t, out);
	if (outpath && fclose(out))
		ret = -1;
	trace_free(&t);
	if (ret) {
		fprintf(stderr, "%s: write failed\n", outpath ? outpath : "stdout");
		return 2;
	}
	return 0;
}

static int count(int n, char **files)
{
	unsigned by_reason[TRACE_REASON_SLOTS] = { 0 }, total = 0, scheds = 0, vms = 0;
	unsigned async[TRACE_ASYNC_KINDS] = { 0 };
	int status = 0;
	for (int i = 0; i < n; i++) {
		struct trace t;
		char err[TRACE_ERR];
		if (trace_parse_file(files[i], &t, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			status = 2;
			continue;
		}
		for (unsigned k = 0; k < TRACE_ASYNC_KINDS; k++)
			async[k] += t.count[k];
		vms += t.nvms;
		for (unsigned e = 0; e < t.nexits; e++) {
			if (t.exits[e].sched) {
				scheds++;
				continue;
			}
			uint16_t r = exit_basic_reason(&t.exits[e].ex);
			by_reason[r < EXIT_REASON_MAX ? r : EXIT_REASON_MAX]++;
			total++;
		}
		trace_free(&t);
	}
	for (unsigned r = 0; r < TRACE_REASON_SLOTS; r++)
		if (by_reason[r])
			printf("%-28s %8u\n", r < EXIT_REASON_MAX ? exit_reason_name(r) : "(unknown reason)",
			       by_reason[r]);
	printf("%-28s %8u\n", "total", total);
	if (scheds)
		printf("%-28s %8u\n", "sched entries", scheds);
	for (unsigned k = 1; k < TRACE_ASYNC_KINDS; k++)
		if (async[k])
			printf("%-28s %8u\n", trace_async_name((uint8_t)k), async[k]);
	if (vms > (unsigned)n)
		printf("%-28s %8u\n", "VMs", vms);
	return status;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "text") && argc <= 4)
		return convert("text", argv[2], argc == 4 ? argv[3] : NULL);
	if (argc == 4 && !strcmp(argv[1], "bin"))
		return convert("bin", argv[2], argv[3]);
	if (argc >= 3 && !strcmp(argv[1], "count"))
		return count(argc - 2, argv + 2);
	usage();
	return 2;
}
