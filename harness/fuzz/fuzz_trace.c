/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the trace readers (text and binary) and, when a trace parses, its
 * replay through core/: hostile trace files must give an error, never a
 * crash or an out-of-bounds access.
 */
#include <stdint.h>
#include <stdio.h>
#include "replay.h"
#include "trace_bin.h"
#include "trace_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	if (t.nexits <= 256)
		replay_trace(&t, devnull, NULL);
	trace_free(&t);
	return 0;
}
