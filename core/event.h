/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Event injection: queue an exception for the next VM entry, combining it
 * with an event already queued as the CPU would (SDM Vol. 3A 6.15, Table 6-5:
 * contributory + contributory or #PF after #PF -> #DF; any of those during
 * #DF -> triple fault).
 */
#ifndef TERN_EVENT_H
#define TERN_EVENT_H

#include <stdint.h>
#include <stdbool.h>
#include "guest_fault.h"
#include "vcpu.h"

/* Whether the exception pushes an error code (SDM Vol. 3A Table 6-1). */
bool event_vector_has_error(uint8_t vector);

/*
 * Queue a hardware exception. Returns true when the combination with the
 * event already queued is a triple fault; the caller then shuts the VM down
 * (vm_triple_fault) and nothing is queued.
 */
bool vcpu_inject_fault(struct vcpu *vcpu, uint8_t vector, bool has_error, uint32_t error_code);
/* The two faults handlers reflect most often. */
bool vcpu_inject_ud(struct vcpu *vcpu);
bool vcpu_inject_gp0(struct vcpu *vcpu);
/* #PF: also sets CR2 to the faulting linear address. */
bool vcpu_inject_pf(struct vcpu *vcpu, uint64_t cr2, uint32_t error_code);

/*
 * Re-queue the event whose delivery the exit interrupted (IDT-vectoring
 * information, SDM Vol. 3C 27.2.4 and 28.2.4) so that it is delivered again
 * at the next entry.
 */
void vcpu_requeue_vectoring(struct vcpu *vcpu, uint32_t idt_vectoring_info, uint32_t error_code,
			    uint32_t instr_len);

/*
 * Inject `fault` (if valid; #PF also sets CR2) and return the exit action as an int
 * (enum exit_action): EXIT_ACTION_RESUME, or EXIT_ACTION_STOP when the
 * combination with the queued event is a triple fault (the VM shut down or
 * was reset as configured).
 */
int event_reflect(struct vcpu *vcpu, const struct guest_fault *fault);

#endif
