/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit recording (the TERN_RECORD=1 build): every exit, the state and guest
 * memory its handling read and its outcome, streamed out COM2 (or Bochs's
 * port 0xE9). In the normal build these are empty inlines the compiler
 * removes.
 */
#ifndef TERN_X86_TRACE_REC_H
#define TERN_X86_TRACE_REC_H

#include <stdint.h>
#include <stddef.h>
#include "vcpu.h"
#include "exit.h"
#include "request.h"

#ifndef TERN_RECORD
#define TERN_RECORD 0
#endif

struct vm;
#if TERN_RECORD
void trace_rec_init(void);
void trace_rec_vm(const struct vm *vm);
void trace_rec_end(void);
void trace_rec_begin(struct vcpu *vcpu, const struct exit_record *ex);
void trace_rec_reg(enum vcpu_reg reg, uint64_t value);
void trace_rec_seg(enum vcpu_seg seg, const struct seg_desc *d);
void trace_rec_gpa_read(uint64_t gpa, const void *data, size_t len);
void trace_rec_gpa_fault(uint64_t gpa, size_t len);
void trace_rec_gpa_write(uint64_t gpa, const void *data, size_t len);
void trace_rec_console(uint8_t c);
void trace_rec_host_cpuid(uint32_t leaf, uint32_t subleaf, const uint32_t regs[4]);
void trace_rec_host_tsc(uint64_t tsc);
/* A kick core sent (plat_kick_pcpu); what sched_next gave pCPU cpu (NULL: nothing). */
void trace_rec_kick(uint16_t cpu);
/*
 * The idle pCPU's timer for vcpu expired at host TSC tsc: its async `timer`
 * record (traces/README.md), then VCPU_REQ_TIMER on it. The replay makes
 * that request itself from the record, so the request (and any kick) it
 * raises get no records of their own.
 */
void trace_rec_timer(struct vcpu *vcpu, uint64_t tsc);
void trace_rec_sched(uint16_t cpu, const struct vcpu *vcpu);
/* After vcpu_pre_entry, before the write-back: the sched entry's outcome. */
void trace_rec_pre_entry(struct vcpu *vcpu);
/*
 * The VM stopped outside a handling (a failed VM entry, after the
 * pre-entry's outcome): its STOP record and the async records the stop
 * raised, before the recorder is let go, so that they stay with this
 * pCPU's entry rather than lead the next holder's records.
 */
void trace_rec_stopped(const struct vm *vm);
/*
 * Several pCPUs, one stream (trace_rec.c): the pCPU loop holds the recorder
 * from before sched_next to its vCPU's entry (vcpu_enter_guest: in_guest set)
 * or its idle wait decided, and from the VM exit (before vcpu_leave_guest)
 * to the end of the exit's handling, so that what other pCPUs see of it
 * (idle, in_guest, requests) changes only inside its records.
 */
void trace_rec_lock(void);
void trace_rec_unlock(void);
#else
static inline void trace_rec_init(void) {}
static inline void trace_rec_vm(const struct vm *vm) { (void)vm; }
static inline void trace_rec_end(void) {}
static inline void trace_rec_begin(struct vcpu *vcpu, const struct exit_record *ex) { (void)vcpu; (void)ex; }
static inline void trace_rec_reg(enum vcpu_reg reg, uint64_t value) { (void)reg; (void)value; }
static inline void trace_rec_seg(enum vcpu_seg seg, const struct seg_desc *d) { (void)seg; (void)d; }
static inline void trace_rec_gpa_read(uint64_t gpa, const void *data, size_t len) { (void)gpa; (void)data; (void)len; }
static inline void trace_rec_gpa_fault(uint64_t gpa, size_t len) { (void)gpa; (void)len; }
static inline void trace_rec_gpa_write(uint64_t gpa, const void *data, size_t len) { (void)gpa; (void)data; (void)len; }
static inline void trace_rec_console(uint8_t c) { (void)c; }
static inline void trace_rec_host_cpuid(uint32_t leaf, uint32_t subleaf, const uint32_t regs[4]) { (void)leaf; (void)subleaf; (void)regs; }
static inline void trace_rec_host_tsc(uint64_t tsc) { (void)tsc; }
static inline void trace_rec_kick(uint16_t cpu) { (void)cpu; }
static inline void trace_rec_timer(struct vcpu *vcpu, uint64_t tsc) { (void)tsc; vcpu_make_request(vcpu, VCPU_REQ_TIMER); }
static inline void trace_rec_sched(uint16_t cpu, const struct vcpu *vcpu) { (void)cpu; (void)vcpu; }
static inline void trace_rec_pre_entry(struct vcpu *vcpu) { (void)vcpu; }
static inline void trace_rec_stopped(const struct vm *vm) { (void)vm; }
static inline void trace_rec_lock(void) {}
static inline void trace_rec_unlock(void) {}
#endif

#endif
