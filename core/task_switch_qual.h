/* SPDX-License-Identifier: BSD-3-Clause */
/* Exit qualification for task switches, SDM Vol. 3C Table 28-2. */
#ifndef TERN_TASK_SWITCH_QUAL_H
#define TERN_TASK_SWITCH_QUAL_H

#include <stdint.h>

/* Bits 31:30: what started the task switch. */
enum task_switch_source {
	TASK_SWITCH_CALL = 0,
	TASK_SWITCH_IRET = 1,
	TASK_SWITCH_JMP = 2,
	TASK_SWITCH_IDT_GATE = 3, /* task gate in the IDT */
};

/* Bits 15:0: selector of the new task's TSS. */
static inline uint16_t ts_qual_selector(uint64_t q) { return (uint16_t)q; }
static inline enum task_switch_source ts_qual_source(uint64_t q)
{
	return (enum task_switch_source)((q >> 30) & 3u);
}

#endif
