/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WBINVD and INVD. CPL checks happen before these exits (SDM Vol. 3C
 * 26.1.1), so only CPL 0 reaches them. Tern gives guests no device DMA that
 * bypasses the caches, so there is nothing to write back; INVD must never
 * discard the host's dirty lines. Both complete as no-ops.
 */
#include "exit_handlers.h"
#include "retire.h"

enum exit_action cache_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	vcpu_retire_insn(vcpu, ex->instr_len);
	return EXIT_ACTION_RESUME;
}
