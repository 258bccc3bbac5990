/* SPDX-License-Identifier: BSD-3-Clause */
/* Binary traces in, text and binary traces out (see core/trace_bin.h). */
#ifndef TERN_TRACE_IO_H
#define TERN_TRACE_IO_H

#include <stdio.h>
#include "trace.h"

/* 0, or -1 with "name: offset N: message" in err (nothing kept). */
int trace_load_binary(const char *name, const uint8_t *buf, size_t len, struct trace *t, char *err,
		      size_t errlen);
int trace_write_text(const struct trace *t, FILE *f);
int trace_write_binary(const struct trace *t, FILE *f);

#endif
