/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit recording (the TERN_RECORD=1 build): every exit, the guest memory
 * its handling read and its outcome, streamed out COM2. In the normal build
 * these are empty and the compiler removes the calls.
 */
#ifndef TERN_X86_TRACE_REC_H
#define TERN_X86_TRACE_REC_H

#include <stdint.h>
#include <stddef.h>
#include "vcpu.h"
#include "exit.h"

#ifndef TERN_RECORD
#define TERN_RECORD 0
#endif

struct vm;
#if TERN_RECORD
void trace_rec_init(void);
void trace_rec_vm(const struct vm *vm);
void trace_rec_begin(struct vcpu *vcpu, const struct exit_record *ex);
void trace_rec_gpa_read(uint64_t gpa, const void *data, size_t len);
#else
static inline void trace_rec_init(void) {}
static inline void trace_rec_vm(const struct vm *vm) { (void)vm; }
static inline void trace_rec_begin(struct vcpu *vcpu, const struct exit_record *ex) { (void)vcpu; (void)ex; }
static inline void trace_rec_gpa_read(uint64_t gpa, const void *data, size_t len) { (void)gpa; (void)data; (void)len; }
#endif

#endif
