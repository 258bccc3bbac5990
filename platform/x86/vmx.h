/* SPDX-License-Identifier: BSD-3-Clause */
/* VMX instructions and the capability check / VMXON of the boot CPU. */
#ifndef TERN_X86_VMX_H
#define TERN_X86_VMX_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "vmx_controls.h"

/* What the boot CPU offers, read from the VMX MSRs (SDM Appendix A). */
struct vmx_caps {
	uint32_t revision;
	bool true_ctls;
	uint64_t pin, proc, proc2, exit, entry;   /* allowed-0 (low) / allowed-1 (high) */
	uint64_t ept_vpid;
	uint64_t misc;                              /* IA32_VMX_MISC (preemption-timer rate) */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

/*
 * Check everything Tern needs (VMX, VMX enabled by firmware, true controls
 * or not, secondary controls, EPT with a 4-level WB walk, unrestricted
 * guest, INVEPT). Returns NULL when usable, else the reason for the refusal
 * message. Fills caps either way as far as it got.
 */
const char *vmx_check(struct vmx_caps *caps);
/* IA32_VMX_EPT_VPID_CAP of this CPU, once vmx_check has read it. */
extern uint64_t x86_ept_caps;
/* The boot CPU's capabilities once vmx_check passed on it (plat_vmx_ctl_cap); NULL before. */
extern const struct vmx_caps *x86_vmx_caps;
/* CR0/CR4 fixed bits, VMXON region, VMXON. 0 or -TERN_EIO. */
int vmx_on(const struct vmx_caps *caps);
/* Why core's control set cannot run on this CPU: the first control that fails. */
struct vmx_refusal {
	enum vmxc_field field;
	unsigned bit;
	bool forced_on;  /* core needs it clear, the CPU fixes it to 1; else the CPU cannot set it */
};

/*
 * Core's control set (core/vmx_controls.h) against the capability MSRs in
 * caps (allowed-0 settings in bits 31:0 must be 1, allowed-1 settings in
 * bits 63:32 may be 1; the TRUE_* MSRs when IA32_VMX_BASIC[55], SDM Vol. 3D
 * A.3-A.5). Every bit core sets or turns on per entry must be allowed-1;
 * an optional bit is set when allowed-1, else left clear;
 * every defined control core leaves clear, and every per-entry bit, must be
 * allowed-0. Reserved bits the CPU fixes to 1 are set (SDM A.2). Returns 0
 * with the five values to write in out, or -TERN_ENOTSUP with *why naming
 * the first failing control (fields in order, bits from 0). Pure: unit-tested
 * on the host (harness/unit/test_vmx_controls.c).
 */
int vmx_ctls_resolve(const struct vmx_caps *caps, const struct vmx_controls *set,
		     uint32_t out[VMXC_FIELD_COUNT], struct vmx_refusal *why);

/*
 * What plat_vmx_ctl_cap reports to core for control field `field`: the
 * capability MSR in caps, less the controls this platform does not
 * implement (allowed-1 cleared): virtual-interrupt delivery, whose fields
 * (EOI-exit bitmaps, guest interrupt status, posted interrupts) it never
 * writes. TPR shadow, "virtualize APIC accesses" and APIC-register
 * virtualization pass through: vmcs.c writes the virtual-APIC and
 * APIC-access addresses, run.c the per-entry control and TPR threshold.
 * 0 for an unknown field.
 */
uint64_t vmx_ctl_cap_reported(const struct vmx_caps *caps, unsigned field);

/* INVEPT / INVVPID, SDM Vol. 3C 31.3: type 1 single-context, 2 all-context. */
#define INVEPT_SINGLE 1ull
#define INVEPT_ALL 2ull
#define INVVPID_SINGLE 1ull
#define INVVPID_ALL 2ull

#ifndef TERN_X86_HOST_TEST
static inline bool vmx_write(uint32_t field, uint64_t value)
{
	bool fail;
	__asm__ volatile("vmwrite %[v], %[f]; setna %[fail]"
			 : [fail] "=qm"(fail) : [v] "rm"(value), [f] "r"((uint64_t)field) : "cc", "memory");
	return !fail;
}

static inline uint64_t vmx_read(uint32_t field)
{
	uint64_t v;
	__asm__ volatile("vmread %[f], %[v]" : [v] "=rm"(v) : [f] "r"((uint64_t)field) : "cc");
	return v;
}

/* VMCLEAR / VMPTRLD: true on success (CF=ZF=0). */
static inline bool vmx_clear(uint64_t pa)
{
	bool fail;
	__asm__ volatile("vmclear %[pa]; setna %[fail]" : [fail] "=qm"(fail) : [pa] "m"(pa) : "cc", "memory");
	return !fail;
}
static inline bool vmx_ptrld(uint64_t pa)
{
	bool fail;
	__asm__ volatile("vmptrld %[pa]; setna %[fail]" : [fail] "=qm"(fail) : [pa] "m"(pa) : "cc", "memory");
	return !fail;
}

static inline bool vmx_invept(uint64_t type, uint64_t eptp)
{
	struct { uint64_t eptp, reserved; } desc = { eptp, 0 };
	bool fail;
	__asm__ volatile("invept %[d], %[t]; setna %[fail]"
			 : [fail] "=qm"(fail) : [d] "m"(desc), [t] "r"(type) : "cc", "memory");
	return !fail;
}

/* The descriptor holds the VPID in bits 15:0 and a linear address (unused for types 1, 2). */
static inline bool vmx_invvpid(uint64_t type, uint16_t vpid)
{
	struct { uint64_t vpid, linear; } desc = { vpid, 0 };
	bool fail;
	__asm__ volatile("invvpid %[d], %[t]; setna %[fail]"
			 : [fail] "=qm"(fail) : [d] "m"(desc), [t] "r"(type) : "cc", "memory");
	return !fail;
}

#else
/* Host unit tests: a fake VMCS stands behind these (see cpu.h). */
bool vmx_write(uint32_t field, uint64_t value);
uint64_t vmx_read(uint32_t field);
bool vmx_clear(uint64_t pa);
bool vmx_ptrld(uint64_t pa);
bool vmx_invept(uint64_t type, uint64_t eptp);
bool vmx_invvpid(uint64_t type, uint16_t vpid);
#endif

/* The instruction error of the current VMCS, SDM 31.4 (Table 31-1). */
const char *vmx_instruction_error_name(uint32_t err);

#endif
