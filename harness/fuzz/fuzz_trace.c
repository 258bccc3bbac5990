/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the trace readers (text and binary) and, when a trace parses, its
 * replay through core/: hostile trace files must give an error, never a
 * crash or an out-of-bounds access. A trace that parses must also convert:
 * its binary form loads again, and binary -> text -> binary gives the same
 * bytes (several VMs, sched entries and async records included).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "replay.h"
#include "trace_bin.h"
#include "trace_io.h"
#include "exit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The binary form of t (malloc'd), or NULL. */
static char *to_binary(const struct trace *t, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	int ret = trace_write_binary(t, f);
	fclose(f);
	if (ret) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void check_conversions(const struct trace *t)
{
	char err[TRACE_ERR];
	size_t l1 = 0, l2 = 0, l3 = 0, lt = 0;
	char *b1 = to_binary(t, &l1);
	if (!b1)
		return; /* out of memory, or an exit the binary form cannot hold (checked below) */
	struct trace b, c;
	if (trace_load_binary("fuzz.bin", (const uint8_t *)b1, l1, &b, err, sizeof(err))) {
		fprintf(stderr, "the binary form of a parsed trace does not load: %s\n", err);
		abort();
	}
	char *b2 = to_binary(&b, &l2), *text = NULL;
	FILE *f = open_memstream(&text, &lt);
	if (!b2 || !f || trace_write_text(&b, f))
		abort();
	fclose(f);
	if (l1 != l2 || memcmp(b1, b2, l1)) {
		fprintf(stderr, "binary -> load -> binary changed the trace\n");
		abort();
	}
	/*
	 * The text form cannot say everything a binary record can (events
	 * other than exceptions, NMIs and external interrupts; exit-reason
	 * bits beyond the basic reason and entry failure): a text that does
	 * not parse again is not a finding, one that parses must be the same.
	 */
	bool expressible = true;
	for (unsigned i = 0; i < b.nexits; i++)
		if (b.exits[i].ex.reason & ~(uint32_t)(EXIT_REASON_BASIC_MASK | EXIT_REASON_FAILED_ENTRY))
			expressible = false;
	char *b3 = NULL;
	if (expressible && trace_parse_buffer("fuzz.txt", text, lt, &c, err, sizeof(err)) == 0) {
		b3 = to_binary(&c, &l3);
		if (!b3 || l2 != l3 || memcmp(b2, b3, l2)) {
			fprintf(stderr, "binary -> text -> binary changed the trace\n");
			abort();
		}
		trace_free(&c);
	}
	free(b1);
	free(b2);
	free(b3);
	free(text);
	trace_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct trace t;
	char err[TRACE_ERR];
	int ret;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (trace_bin_check_header(data, size) == 0)
		ret = trace_load_binary("fuzz", data, size, &t, err, sizeof(err));
	else
		ret = trace_parse_buffer("fuzz", (const char *)data, size, &t, err, sizeof(err));
	if (ret)
		return 0;
	if (t.nexits <= 256) {
		check_conversions(&t);
		replay_trace(&t, devnull, NULL);
	}
	trace_free(&t);
	return 0;
}
