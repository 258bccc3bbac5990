/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * String port I/O: INS and OUTS, with and without REP (SDM Vol. 2B INS/OUTS,
 * Vol. 3C 26.1.3 and Table 28-8). Emulated element by element through the
 * guest page walk and the VM's port bus.
 */
#ifndef TERN_STRING_IO_H
#define TERN_STRING_IO_H

#include "exit_dispatch.h"
#include "vcpu.h"

/*
 * Elements moved per exit. A longer REP run leaves RIP on the instruction
 * with RCX/RSI/RDI updated, so the guest re-executes it (and can take an
 * interrupt in between, as REP string instructions allow, SDM Vol. 1 7.3.9.1).
 */
#define STRING_IO_BATCH 1024u

/* @pre the exit is an I/O instruction exit with the string bit set. */
enum exit_action string_io_exit(struct vcpu *vcpu, const struct exit_record *ex);

#endif
