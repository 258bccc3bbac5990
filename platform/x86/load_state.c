/* SPDX-License-Identifier: BSD-3-Clause */
#include "load_state.h"
#include "xvm.h"
#include "vmcs.h"
#include "x86.h"

/* Guest activity state "active" (SDM Vol. 3C 25.4.2, Table 25-3). */
#define ACTIVITY_ACTIVE 0u

static void put(struct vmcs_field_write *out, unsigned *n, uint32_t field, uint64_t value)
{
	out[*n].field = field;
	out[*n].value = value;
	(*n)++;
}

unsigned load_state_vmcs_writes(const struct vcpu_load_state *st, const struct x86_vcpu *xv,
				uint32_t entry_ctls, struct vmcs_field_write *out)
{
	unsigned n = 0;
	const uint64_t *r = st->regs;
	bool lma = (r[VCPU_EFER] & X86_EFER_LMA) != 0;

	put(out, &n, VMCS_GUEST_RSP, r[VCPU_RSP]);
	put(out, &n, VMCS_GUEST_RIP, r[VCPU_RIP]);
	put(out, &n, VMCS_GUEST_RFLAGS, r[VCPU_RFLAGS]);
	/* SDM 24.8 / A.7-A.8: the bits VMX pins in CR0/CR4, unrestricted
	 * guest freeing PE and PG (xv->cr0_force1 leaves them out). */
	put(out, &n, VMCS_GUEST_CR0, (r[VCPU_CR0] | xv->cr0_force1) & ~xv->cr0_force0);
	put(out, &n, VMCS_GUEST_CR3, r[VCPU_CR3]);
	put(out, &n, VMCS_GUEST_CR4, (r[VCPU_CR4] | xv->cr4_force1) & ~xv->cr4_force0);
	put(out, &n, VMCS_GUEST_EFER, r[VCPU_EFER]);
	put(out, &n, VMCS_GUEST_DR7, r[VCPU_DR7]);
	put(out, &n, VMCS_GUEST_PAT, r[VCPU_PAT]);
	put(out, &n, VMCS_GUEST_SYSENTER_CS, 0);
	put(out, &n, VMCS_GUEST_SYSENTER_ESP, 0);
	put(out, &n, VMCS_GUEST_SYSENTER_EIP, 0);
	for (unsigned s = 0; s < VCPU_SEG_COUNT; s++) {
		put(out, &n, vmcs_guest_sel(s), st->segs[s].selector);
		put(out, &n, vmcs_guest_base(s), st->segs[s].base);
		put(out, &n, vmcs_guest_limit(s), st->segs[s].limit);
		put(out, &n, vmcs_guest_ar(s), st->segs[s].ar);
	}
	put(out, &n, VMCS_GUEST_GDTR_BASE, st->gdtr_base);
	put(out, &n, VMCS_GUEST_GDTR_LIMIT, st->gdtr_limit);
	put(out, &n, VMCS_GUEST_IDTR_BASE, st->idtr_base);
	put(out, &n, VMCS_GUEST_IDTR_LIMIT, st->idtr_limit);
	/* A state loaded whole starts outside any STI/MOV-SS shadow, not halted,
	 * with no #DB pending (SDM 25.4.2). */
	put(out, &n, VMCS_GUEST_INTERRUPTIBILITY, 0);
	put(out, &n, VMCS_GUEST_ACTIVITY, ACTIVITY_ACTIVE);
	put(out, &n, VMCS_GUEST_PENDING_DBG, 0);
	put(out, &n, VMCS_ENTRY_CONTROLS, lma ? entry_ctls | VMXC_ENTRY_IA32E_MODE_GUEST
					      : entry_ctls & ~(uint32_t)VMXC_ENTRY_IA32E_MODE_GUEST);
	return n;
}
