/* SPDX-License-Identifier: BSD-3-Clause */
/* The trace sink. Recording (TERN_RECORD=1) is added with the binary format. */
#include "platform.h"
#include "trace_rec.h"

void plat_trace_exit(struct vcpu *vcpu, const struct exit_record *ex, int action)
{
	(void)vcpu;
	(void)ex;
	(void)action;
}
