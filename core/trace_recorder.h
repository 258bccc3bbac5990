/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The recorder: what goes into the binary trace (trace_bin.h,
 * traces/README.md) for each exit, sched entry and asynchronous event,
 * and in which order. One for both platforms: the image's recording
 * build (platform/x86/trace_rec.c, streamed out COM2 or port 0xE9) and
 * the simulator's (platform/sim/sim_rec.c, to a file); each gives it an
 * emit callback and calls these from its hooks. The platform serialises
 * the calls (the image's recorder lock); this state is the platform's, a
 * struct it owns (no globals in core).
 *
 *   header, VM record (the host CPUID leaves after the first), then per
 *   exit: EXIT, the virtual-APIC page's state the CPU changed with no exit
 *   (APIC_VALUE and, at ICR low, VICR_HI for an APIC write; VTPR under a
 *   TPR shadow), REG/SEG/MEM as the handler reads them (in order), then
 *   ACTION, EXP_REG for every register written (vcpu->reg_dirty), EVENT
 *   (when one is queued), CONSOLE (bytes the VM's UART sent), STOP (when
 *   the VM stopped), WRITE (guest-memory writes, in order), a VM record
 *   for every VM core created in it, then the asynchronous records of the
 *   exit in the order core raised them (REQUEST, KICK).
 *   SCHED records are what sched_next gave a pCPU, followed by its
 *   pre-entry's reads and outcome (only what it added to what the vCPU's
 *   last exit left) and then the events sched_next and the pre-entry
 *   raised. What happened between decisions (a slot sched_next found
 *   COMPLETE in polling mode, a device model's write, a host timer's
 *   expiry) is written at once, ahead of the next SCHED record, where the
 *   replay applies it before it runs sched_next. Before the first SCHED
 *   record an event is the platform's start-up, written at once.
 *   A pCPU's "none" decision right after its own "none" that raised
 *   nothing changed nothing the replay could see (its current vCPU,
 *   cursor and idle flag stay): it is not written, or a pCPU that
 *   PAUSE-polls a slot (sched_poll.h) would write one per round.
 */
#ifndef TERN_TRACE_RECORDER_H
#define TERN_TRACE_RECORDER_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include "trace_bin.h"
#include "vm.h"

#define TREC_MAX_WRITES 256   /* the format has no limit; a REP INS writes one per element */
#define TREC_MAX_CONSOLE 1024
#define TREC_MAX_CPUID 64
#define TREC_MAX_ASYNC 64     /* requests/kicks one exit raises (a pause: one per vCPU) */

/* Write n bytes of records; false: they were lost (counted). */
typedef bool trec_emit_fn(void *ctx, const uint8_t *buf, size_t n);

struct trec_write {
	uint64_t gpa;
	uint32_t len;
	uint8_t data[TRACE_BIN_MAX_DATA];
};

/* What a vCPU's last exit left for its next entry: its pre-entry record lists only what it adds. */
struct trec_exit_state {
	bool valid;
	uint32_t dirty;
	uint64_t regs[VCPU_REG_COUNT];
	struct vcpu_event event;
};

struct trec {
	trec_emit_fn *emit;
	void *ctx;
	bool active;              /* an exit's or a pre-entry's records are being written */
	bool scheduled;           /* a SCHED record is out: events are held for their place */
	bool vm_emitted;          /* the first VM record (and the host CPUID) is out */
	bool timer_request;       /* trec_timer's own request: no record of its own */
	uint64_t exits;
	unsigned lost;            /* records that did not fit or were not written */
	struct trec_write writes[TREC_MAX_WRITES];
	unsigned nwrites;
	uint8_t console[TREC_MAX_CONSOLE];
	unsigned console_len;
	/* Host CPUID leaves read while the first VM's policy was built, before its VM record. */
	struct { uint32_t leaf, subleaf, regs[4]; } cpuid[TREC_MAX_CPUID];
	unsigned ncpuid;
	bool vm_known[TERN_MAX_VMS];  /* which VM ids have a VM record */
	struct trec_exit_state last[TERN_MAX_VMS][TERN_MAX_VCPUS];
	uint8_t async[TREC_MAX_ASYNC * (TRACE_BIN_REC_HDR + TRACE_BIN_REQUEST_LEN)];
	unsigned async_len;
	bool idle_recorded[TERN_MAX_PCPUS]; /* its last SCHED said "none" and raised nothing */
};

/* Start a recording: everything cleared, the header written. */
void trec_init(struct trec *r, trec_emit_fn *emit, void *ctx);
/* The end: the events still held are written; returns how many records were lost. */
unsigned trec_finish(struct trec *r);

void trec_vm(struct trec *r, const struct vm *vm);
void trec_host_cpuid(struct trec *r, uint32_t leaf, uint32_t subleaf, const uint32_t regs[4]);
void trec_host_tsc(struct trec *r, uint64_t tsc);

/* An exit: its EXIT record; its outcome when the handling ends (action: enum exit_action). */
void trec_exit_begin(struct trec *r, const struct vcpu *vcpu, const struct exit_record *ex);
void trec_exit_end(struct trec *r, const struct vcpu *vcpu, int action);
/* What sched_next gave pCPU cpu (NULL: none); then that vCPU's pre-entry outcome. */
void trec_sched(struct trec *r, uint16_t cpu, const struct vcpu *vcpu);
void trec_pre_entry(struct trec *r, const struct vcpu *vcpu);
/*
 * A VM stopped where no exit or pre-entry record closes it (a failed VM
 * entry): its STOP, then the async records its stop raised, before the
 * recorder is let go, so the next pCPU's records are not mixed with them.
 */
void trec_stopped(struct trec *r, const struct vm *vm);

/* What the handling or pre-entry in flight reads and writes (nothing outside one). */
void trec_reg(struct trec *r, enum vcpu_reg reg, uint64_t value);
void trec_seg(struct trec *r, enum vcpu_seg seg, const struct seg_desc *d);
void trec_mem_read(struct trec *r, uint64_t gpa, const void *data, size_t len, bool fault);
void trec_mem_write(struct trec *r, uint64_t gpa, const void *data, size_t len);
void trec_console(struct trec *r, uint8_t c);

/* Asynchronous events: held for their place (above); from: the raising pCPU. */
void trec_request(struct trec *r, const struct vcpu *target, uint32_t req, uint16_t from);
void trec_kick(struct trec *r, uint16_t cpu, uint16_t from);
/* A slot's new state found between decisions (a poll, a device model's write). */
void trec_complete(struct trec *r, uint16_t vm, uint16_t vcpu, uint32_t state, uint64_t value);
/* vcpu's host timer expired at host TSC tsc: its TIMER record, then VCPU_REQ_TIMER on it. */
void trec_timer(struct trec *r, struct vcpu *vcpu, uint64_t tsc);

#endif
