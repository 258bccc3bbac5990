/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Retiring an instruction Tern emulated: what the CPU does at the end of
 * every instruction it completes, done by the one function every handler
 * that completes an instruction calls (a handler that injects a fault
 * instead does not retire: RIP stays, no trap).
 *
 *  - RIP moves past the instruction, wrapping at 32 bits outside 64-bit
 *    mode (SDM Vol. 3C 26.3.1.4: bits 63:32 are 0 there);
 *  - an STI or MOV-SS interrupt shadow covering it ends: the blocking
 *    lasts "for one instruction after" STI / MOV SS (SDM Vol. 3A 6.8.3,
 *    Vol. 3C 24.4.2 Table 24-3, interruptibility bits 0 and 1);
 *  - RFLAGS.RF clears: the processor clears RF after every instruction
 *    that completes, other than IRET and task switches (SDM Vol. 3A
 *    17.3.1.1), none of which Tern emulates;
 *  - when RFLAGS.TF was set, the single-step trap becomes pending: BS
 *    (bit 14) in the guest's pending debug exceptions (SDM Vol. 3C 24.4.2
 *    Table 24-4; Vol. 3A 17.3.1.4). VM entry then delivers #DB, with
 *    DR6.BS set, before the guest's next instruction and before any NMI
 *    or external interrupt (SDM Vol. 3C 27.7.3 "Delivery of Pending Debug
 *    Exceptions after VM Entry": priority of "traps on the previous
 *    instruction"). The VM-entry check that BS match TF while STI/MOV-SS
 *    blocking is set (SDM Vol. 3C 26.3.1.5) holds trivially: retirement
 *    has just ended that blocking.
 *
 * A handler that injects a fault instead leaves the interruptibility state
 * and pending debug exceptions as the CPU saved them on the exit, which
 * meet those checks already.
 *
 * Tern gives guests no IA32_DEBUGCTL (RDMSR/WRMSR of it #GP), so BTF
 * (single-step on branches only) is always 0 and every emulated
 * instruction traps.
 */
#ifndef TERN_RETIRE_H
#define TERN_RETIRE_H

#include <stdint.h>
#include <stdbool.h>
#include "vcpu.h"

/* Pending debug exceptions, SDM Vol. 3C Table 24-4. */
#define PENDING_DBG_BS (1ull << 14)   /* single-step trap (DR6.BS on delivery) */

/* Retire the instruction at RIP, instr_len bytes long (the exit record's length). */
void vcpu_retire_insn(struct vcpu *vcpu, uint32_t instr_len);

/*
 * Retire an instruction whose RIP the instruction emulator already moved
 * (insn_emulate.c wraps it at the code-segment size): the shadow, RF and
 * single-step effects only.
 */
void vcpu_retire_emulated(struct vcpu *vcpu);

/*
 * True while a trap this exit's retirement queued waits for the next VM
 * entry (the cache is reset at every exit, so this is "since the last
 * exit"). An entry that injects an external interrupt, NMI or exception
 * discards the pending debug exceptions (SDM Vol. 3C 27.7.3), so intr.c
 * holds such events back (window exits) until the #DB has been
 * delivered. Debug exceptions the CPU itself left pending come with
 * MOV-SS blocking, which holds those events back anyway.
 */
bool vcpu_step_trap_pending(const struct vcpu *vcpu);

#endif
