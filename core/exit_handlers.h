/* SPDX-License-Identifier: BSD-3-Clause */
/* The exit handlers the dispatch table names; one per concept file. */
#ifndef TERN_EXIT_HANDLERS_H
#define TERN_EXIT_HANDLERS_H

#include "exit.h"
#include "exit_dispatch.h"
#include "vcpu.h"

typedef enum exit_action (*exit_handler)(struct vcpu *vcpu, const struct exit_record *ex);

enum exit_action cpuid_exit(struct vcpu *vcpu, const struct exit_record *ex);   /* cpuid.c */
enum exit_action io_exit(struct vcpu *vcpu, const struct exit_record *ex);      /* io_exit.c */
enum exit_action hlt_exit(struct vcpu *vcpu, const struct exit_record *ex);     /* hlt.c */

#endif
