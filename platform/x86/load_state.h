/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading a whole register state the VM manager hands over (vcpu->load,
 * core/vcpu.h: reset, the Service VM's boot state, HC_SET_VCPU_REGS) into
 * the VMCS guest-state area (SDM Vol. 3C 25.4). The translation is pure so
 * that the host tests check it field by field; run.c performs the writes
 * and moves what the VMCS does not hold (the GPRs but RSP, CR2, XCR0).
 */
#ifndef TERN_X86_LOAD_STATE_H
#define TERN_X86_LOAD_STATE_H

#include <stdint.h>
#include "vcpu.h"

struct x86_vcpu;

struct vmcs_field_write {
	uint32_t field;
	uint64_t value;
};

/*
 * RSP, RIP, RFLAGS, CR0, CR3, CR4, EFER, DR7, PAT, the three SYSENTER MSRs,
 * 8 segments x 4 fields, GDTR and IDTR x 2, interruptibility, activity,
 * pending debug exceptions, the VM-entry controls.
 */
#define LOAD_STATE_WRITES 52u

/*
 * The VMCS writes that make `st` the guest's state at the next entry:
 * CR0/CR4 with this CPU's VMX fixed bits applied (xv->cr*_force*; core's
 * masks and read shadows are written from vcpu->cr, cr_adopt_load_state),
 * the "IA-32e mode guest" entry control set to EFER.LMA in `entry_ctls`
 * (SDM 27.3.1.1), and the state of a vCPU that was just reset or given new
 * registers: no interrupt shadow, active, no pending debug exceptions,
 * SYSENTER MSRs 0 (SDM Vol. 3A Table 9-1). Fills out[0..LOAD_STATE_WRITES).
 */
unsigned load_state_vmcs_writes(const struct vcpu_load_state *st, const struct x86_vcpu *xv,
				uint32_t entry_ctls, struct vmcs_field_write *out);

#endif
