/* SPDX-License-Identifier: BSD-3-Clause */
/* The platform functions that touch only the host: logging and CPUID. */
#include "platform.h"
#include "cpu.h"
#include "serial.h"
#include "trace_rec.h"

static const char *const level_tag[] = {
	[LOG_ERROR] = "error: ",
	[LOG_WARN] = "warning: ",
	[LOG_INFO] = "",
	[LOG_DEBUG] = "debug: ",
};

void plat_log(enum log_level level, const char *line)
{
	console_lock();
	console_puts("tern: ");
	if ((unsigned)level < sizeof(level_tag) / sizeof(level_tag[0]))
		console_puts(level_tag[level]);
	console_puts(line);
	console_puts("\n");
	console_unlock();
}

void plat_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	cpuid_count(leaf, subleaf, out);
	trace_rec_host_cpuid(leaf, subleaf, out);
}

uint64_t plat_host_tsc(void)
{
	uint64_t tsc = rdtsc();
	trace_rec_host_tsc(tsc);
	return tsc;
}
