/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit traces, text form (traces/README.md describes it). The parser reads
 * a whole file into a struct trace; every error names file:line and what is
 * wrong. Traces are hostile input: every value is range-checked.
 */
#ifndef TERN_TRACE_H
#define TERN_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "exit.h"
#include "vcpu.h"
#include "vm.h"

#define TRACE_MAX_MEM 256       /* bytes in one mem/write line */
#define TRACE_MAX_READS 32      /* guest-memory reads per exit */
#define TRACE_MAX_WRITES 16     /* expected guest-memory writes per exit */
#define TRACE_MAX_CONSOLE 1024  /* expected console bytes per exit */
#define TRACE_MAX_EXITS 1000000
#define TRACE_REASON_SLOTS (EXIT_REASON_MAX + 1) /* last slot: unknown reasons */
#define TRACE_ERR 512

struct trace_mem {
	uint64_t gpa;
	uint32_t len;
	bool fault;      /* the read failed (outside guest memory) */
	unsigned line;
	uint8_t data[TRACE_MAX_MEM];
};

struct trace_exit {
	unsigned line;
	uint16_t vcpu;
	struct exit_record ex;

	/* State the handler may read. */
	uint64_t regs[VCPU_REG_COUNT];
	uint32_t reg_mask;
	struct seg_desc segs[VCPU_SEG_COUNT];
	uint16_t seg_mask;
	struct trace_mem reads[TRACE_MAX_READS];
	unsigned nreads;

	/* Expected outcome. */
	bool have_expect;
	int action;                       /* enum exit_action */
	uint64_t exp_regs[VCPU_REG_COUNT];
	uint32_t exp_reg_mask;
	bool exp_inject;                  /* an event must be queued ... */
	struct vcpu_event exp_event;      /* ... this one */
	uint8_t exp_console[TRACE_MAX_CONSOLE];
	size_t exp_console_len;
	int exp_stop;                     /* enum vm_stop_cause, or -1: not stopped */
	bool exp_stop_detail_given;
	uint32_t exp_stop_detail;
	struct trace_mem writes[TRACE_MAX_WRITES];
	unsigned nwrites;
};

struct trace {
	char file[256];
	struct vm_config cfg;
	bool have_vm;
	struct trace_exit *exits;
	unsigned nexits;
	unsigned cap;
};

/* 0, or -1 with a one-line "file:line: message" in err. */
int trace_parse_file(const char *path, struct trace *t, char *err, size_t errlen);
int trace_parse_buffer(const char *name, const char *buf, size_t len, struct trace *t, char *err,
		       size_t errlen);
void trace_free(struct trace *t);

const char *trace_reg_name(enum vcpu_reg reg);
const char *trace_seg_name(enum vcpu_seg seg);
/* Format an event as the trace writes it: none, #GP(0x0), #UD, int32, nmi. */
void trace_format_event(const struct vcpu_event *ev, char *buf, size_t len);

#endif
