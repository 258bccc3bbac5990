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
enum exit_action cr_exit(struct vcpu *vcpu, const struct exit_record *ex);      /* cr.c */
enum exit_action xsetbv_exit(struct vcpu *vcpu, const struct exit_record *ex);  /* cr.c */
enum exit_action rdmsr_exit(struct vcpu *vcpu, const struct exit_record *ex);   /* msr.c */
enum exit_action wrmsr_exit(struct vcpu *vcpu, const struct exit_record *ex);   /* msr.c */
enum exit_action intr_window_exit(struct vcpu *vcpu, const struct exit_record *ex); /* intr.c */
enum exit_action nmi_window_exit(struct vcpu *vcpu, const struct exit_record *ex);  /* intr.c */
enum exit_action exception_exit(struct vcpu *vcpu, const struct exit_record *ex);   /* exception.c */
enum exit_action extint_exit(struct vcpu *vcpu, const struct exit_record *ex);      /* exception.c */
enum exit_action pause_exit(struct vcpu *vcpu, const struct exit_record *ex);    /* yield_exit.c */
enum exit_action cache_exit(struct vcpu *vcpu, const struct exit_record *ex);    /* cache_exit.c */
enum exit_action rdtsc_exit(struct vcpu *vcpu, const struct exit_record *ex);    /* tsc_exit.c */
enum exit_action rdtscp_exit(struct vcpu *vcpu, const struct exit_record *ex);   /* tsc_exit.c */
enum exit_action preemption_timer_exit(struct vcpu *vcpu, const struct exit_record *ex); /* yield_exit.c */
enum exit_action task_switch_exit(struct vcpu *vcpu, const struct exit_record *ex); /* report_exit.c */
enum exit_action dr_exit(struct vcpu *vcpu, const struct exit_record *ex);          /* report_exit.c */
enum exit_action apic_access_exit(struct vcpu *vcpu, const struct exit_record *ex); /* apic_exit.c */
enum exit_action apic_write_exit(struct vcpu *vcpu, const struct exit_record *ex);  /* apic_exit.c */
enum exit_action tpr_below_threshold_exit(struct vcpu *vcpu, const struct exit_record *ex); /* apic_exit.c */
enum exit_action invlpg_exit(struct vcpu *vcpu, const struct exit_record *ex);      /* report_exit.c */
enum exit_action invpcid_exit(struct vcpu *vcpu, const struct exit_record *ex);     /* report_exit.c */
enum exit_action mmio_exit(struct vcpu *vcpu, const struct exit_record *ex);     /* mmio.c */
enum exit_action hypercall_exit(struct vcpu *vcpu, const struct exit_record *ex); /* hypercall.c */

#endif
