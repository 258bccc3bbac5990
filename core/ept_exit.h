/* SPDX-License-Identifier: BSD-3-Clause */
/* EPT-violation and EPT-misconfiguration exit handlers (ept_exit.c). */
#ifndef TERN_EPT_EXIT_H
#define TERN_EPT_EXIT_H

#include "exit_handlers.h"

enum exit_action ept_violation_exit(struct vcpu *vcpu, const struct exit_record *ex);
enum exit_action ept_misconfig_exit(struct vcpu *vcpu, const struct exit_record *ex);

#endif
