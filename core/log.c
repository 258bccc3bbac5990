/* SPDX-License-Identifier: BSD-3-Clause */
#include "log.h"
#include "lib.h"

void tern_log(enum log_level level, const char *fmt, ...)
{
	char line[TERN_LOG_LINE];
	va_list ap;
	va_start(ap, fmt);
	tern_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	plat_log(level, line);
}
