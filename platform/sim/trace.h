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
#include "request.h"

#define TRACE_MAX_MEM 256       /* bytes in one mem/write line */
#define TRACE_MAX_READS 4096    /* guest-memory reads per exit (a REP string exit makes many) */
#define TRACE_MAX_WRITES 4096   /* expected guest-memory writes per exit */
#define TRACE_MAX_HOST_CPUID 64 /* host CPUID leaves a trace may give */
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

/*
 * An entry of the trace: an exit, or a scheduling decision (`sched`: pCPU
 * `pcpu` asked sched_next and entered vm/vcpu, or nothing when none), whose
 * state/mem/expect/write lines are those of the chosen vCPU's pre-entry
 * work (its requests, IOREQ post-work) in its own context.
 */
struct trace_exit {
	unsigned line;
	uint16_t vm;                      /* the VM's id (default: the first VM's) */
	uint16_t vcpu;
	uint16_t pcpu;
	bool pcpu_given;                  /* the pCPU is checked only when the trace gives it */
	bool sched;                       /* a `sched` entry, not an exit */
	bool sched_none;                  /* sched: the pCPU found nothing to run */
	struct exit_record ex;

	/* State the handler may read. */
	uint64_t regs[VCPU_REG_COUNT];
	uint32_t reg_mask;
	struct seg_desc segs[VCPU_SEG_COUNT];
	uint16_t seg_mask;
	struct trace_mem *reads;          /* grown as needed (trace_exit_add_mem) */
	unsigned nreads, cap_reads;
	bool have_tsc;
	uint64_t host_tsc;                /* what plat_host_tsc() returned during the exit */
	bool have_apic_value;             /* APIC_WRITE: the register the CPU stored in the */
	uint32_t apic_value;              /* virtual-APIC page at the offset (SDM 29.4.3.3) */
	bool have_vtpr;                   /* a TPR shadow: VTPR as the guest left it (SDM 29.3) */
	uint32_t vtpr;
	bool have_vicr_hi;                /* APIC_WRITE at ICR low: ICR high, stored with no exit */
	uint32_t vicr_hi;

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
	struct trace_mem *writes;
	unsigned nwrites, cap_writes;
};

/*
 * Asynchronous records between entries, in the order they happened
 * (traces/README.md). REQUEST, KICK and VM (a VM core created during the
 * entry before) are what core did and are compared; COMPLETE is what the
 * device model did (it writes the IOREQ slot) and is applied.
 */
enum trace_async_kind {
	TRACE_ASYNC_REQUEST = 1,
	TRACE_ASYNC_KICK,
	TRACE_ASYNC_COMPLETE,
	TRACE_ASYNC_VM,
	/* The platform's timer for a vCPU expired at host TSC `value`: applied (like COMPLETE). */
	TRACE_ASYNC_TIMER,
	TRACE_ASYNC_KINDS,
};

struct trace_async {
	unsigned line;
	unsigned after;                   /* entries before it (it follows entry after-1) */
	uint8_t kind;
	uint16_t vm, vcpu;                /* REQUEST, COMPLETE: the target; VM: its id */
	uint16_t pcpu;                    /* REQUEST: the requester's pCPU; KICK: the kicked one;
					   * TIMER: the vCPU's (its owner's) */
	uint16_t from;                    /* KICK: the kicking pCPU */
	uint32_t bits;                    /* REQUEST: VCPU_REQ_* */
	uint32_t state;                   /* COMPLETE: the slot's state the device model wrote */
	uint64_t value;                   /* COMPLETE: the slot's value; TIMER: the host TSC */
	unsigned vm_index;                /* VM: index in trace.vms */
};

/* A VM of the trace: those before the first entry the platform created. */
struct trace_vm {
	uint16_t id;
	bool created_only;                /* state=created: not started yet */
	bool boot_state;                  /* the platform gave it a boot state (a reset loads it) */
	unsigned line;
	struct vm_config cfg;
};

#define TRACE_MAX_ASYNC 1000000
#define TRACE_REQ_KNOWN VCPU_REQ_ALL

/* The host CPU the trace was recorded on (policy building reads it). */
struct trace_cpuid {
	uint32_t leaf, subleaf;
	uint32_t regs[4];
};

struct trace {
	char file[256];
	struct vm_config cfg;             /* the first VM's (vms[0].cfg) */
	bool have_vm;
	struct trace_vm vms[TERN_MAX_VMS];
	unsigned nvms;
	unsigned nvms_at_start;           /* VMs before the first entry: the platform's */
	struct trace_async *async;
	unsigned nasync, cap_async;
	unsigned nsched;                  /* sched entries among exits[] */
	unsigned count[TRACE_ASYNC_KINDS]; /* async records by kind */
	struct trace_cpuid host_cpuid[TRACE_MAX_HOST_CPUID];
	unsigned nhost_cpuid;
	struct trace_exit *exits;         /* exits and sched entries, in order */
	unsigned nexits;
	unsigned cap;
};

/* 0, or -1 with a one-line "file:line: message" in err. */
int trace_parse_file(const char *path, struct trace *t, char *err, size_t errlen);
int trace_parse_buffer(const char *name, const char *buf, size_t len, struct trace *t, char *err,
		       size_t errlen);
void trace_free(struct trace *t);
/* A new zeroed read (or expected write) slot of an exit; NULL when the
 * per-exit limit is reached or memory ran out. */
struct trace_mem *trace_exit_add_mem(struct trace_exit *e, bool write);
/* A new exit at the end of the trace, with its defaults; NULL when full. */
struct trace_exit *trace_add_exit(struct trace *t);
/* A new async record after the current last entry; NULL when full. */
struct trace_async *trace_add_async(struct trace *t, uint8_t kind);
/* The trace's VM with this id, or NULL. */
const struct trace_vm *trace_find_vm(const struct trace *t, uint16_t id);
/* "ioreq_done|wake" for request bits (hex for unknown ones). */
void trace_format_req(uint32_t bits, char *buf, size_t len);
const char *trace_async_name(uint8_t kind);

const char *trace_reg_name(enum vcpu_reg reg);
const char *trace_seg_name(enum vcpu_seg seg);
/* Format an event as the trace writes it: none, #GP(0x0), #UD, int32, nmi. */
void trace_format_event(const struct vcpu_event *ev, char *buf, size_t len);

#endif
