/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Core's VMX control set against this CPU's capability MSRs (vmx.h,
 * vmx_ctls_resolve). Nothing here decides a control: core does
 * (core/vmx_controls.c). This file only finds out whether the CPU can run
 * the set exactly as given, and fills in the reserved bits the CPU fixes
 * to 1 (SDM Vol. 3D A.2: "default1" bits must be 1 in a VM entry's controls).
 */
#include "vmx.h"
#include "err.h"

static uint64_t cap_of(const struct vmx_caps *caps, enum vmxc_field f)
{
	switch (f) {
	case VMXC_PIN: return caps->pin;
	case VMXC_PROC: return caps->proc;
	case VMXC_PROC2: return caps->proc2;
	case VMXC_EXIT: return caps->exit;
	case VMXC_ENTRY:
	default: return caps->entry;
	}
}

static int refuse(struct vmx_refusal *why, enum vmxc_field f, unsigned bit, bool forced_on)
{
	why->field = f;
	why->bit = bit;
	why->forced_on = forced_on;
	return -TERN_ENOTSUP;
}

int vmx_ctls_resolve(const struct vmx_caps *caps, const struct vmx_controls *set,
		     uint32_t out[VMXC_FIELD_COUNT], struct vmx_refusal *why)
{
	for (unsigned f = 0; f < VMXC_FIELD_COUNT; f++) {
		uint64_t cap = cap_of(caps, (enum vmxc_field)f);
		uint32_t must1 = (uint32_t)cap;
		uint32_t may1 = (uint32_t)(cap >> 32);
		uint32_t want = set->ctl[f];
		uint32_t dyn = set->dynamic[f];
		uint32_t opt = set->optional[f];
		uint32_t value = want;

		for (unsigned bit = 0; bit < 32; bit++) {
			uint32_t m = 1u << bit;
			if ((want | dyn) & m) {
				if (!(may1 & m))
					return refuse(why, (enum vmxc_field)f, bit, false);
				if ((dyn & m) && (must1 & m))
					return refuse(why, (enum vmxc_field)f, bit, true);
			} else if (opt & m) {
				/* Wanted where the CPU has it; never a reason to refuse. */
				if ((may1 | must1) & m)
					value |= m;
			} else if (must1 & m) {
				/* A defined control core leaves clear is one it relies on being off. */
				if (vmxc_control_name((enum vmxc_field)f, bit))
					return refuse(why, (enum vmxc_field)f, bit, true);
				value |= m;
			}
		}
		out[f] = value;
	}
	return 0;
}

uint64_t vmx_ctl_cap_reported(const struct vmx_caps *caps, unsigned field)
{
	if (field >= VMXC_FIELD_COUNT)
		return 0;
	uint64_t cap = cap_of(caps, (enum vmxc_field)field);
	if (field == VMXC_PROC2)
		cap &= ~((uint64_t)VMXC_PROC2_VIRT_INTR_DELIVERY << 32);
	return cap;
}
