/* SPDX-License-Identifier: BSD-3-Clause */
/* EPT-violation and EPT-misconfiguration exit handlers (ept_exit.c). */
#ifndef TERN_EPT_EXIT_H
#define TERN_EPT_EXIT_H

#include "exit_handlers.h"
#include "ioreq_types.h"

enum exit_action ept_violation_exit(struct vcpu *vcpu, const struct exit_record *ex);
/*
 * A write to a write-protected page, the guest's own (an EPT violation) or
 * one the hypervisor emulates for it (MMIO emulator, string I/O, page-walk
 * A/D bits: guest_mem.c's -TERN_EACCES): an IOREQ of type WP for the page,
 * RIP unchanged, so the instruction runs again once the device model has
 * answered. Without a device model the VM stops (bad memory).
 */
enum exit_action ept_wp_request(struct vcpu *vcpu, uint64_t gpa);
/* The same, with post-work when it completes (an emulation that goes on from there: mmio.c). */
enum exit_action ept_wp_request_then(struct vcpu *vcpu, uint64_t gpa, ioreq_post_fn post);
enum exit_action ept_misconfig_exit(struct vcpu *vcpu, const struct exit_record *ex);

#endif
