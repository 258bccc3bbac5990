/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulator's vendor quirks, in one table: every outcome of an emulated
 * instruction that the SDM leaves undefined, or that Intel and AMD CPUs
 * produce differently. Each entry says what the emulator does for a VM of
 * each vendor (the vendor its CPUID leaf 0 names: cpuid_policy.vendor, so
 * a guest sees the behaviour of the CPU its CPUID claims) and whether a
 * host of that vendor is a trustworthy oracle for it, which is what the
 * native differential test (harness/unit/test_emul_native.c) compares.
 *
 * The emulator has no MUL/DIV, shifts, rotates or BSF/BSR, whose undefined
 * flags differ between vendors and between models of one vendor: emulating
 * any of them needs its entries here first.
 */
#ifndef TERN_INSN_VENDOR_H
#define TERN_INSN_VENDOR_H

#include <stdint.h>
#include <stdbool.h>
#include "cpuid.h"

struct vcpu;

/* Each quirk's "on" behaviour, which insn_quirk_info.on says a vendor has. */
enum insn_quirk {
	/*
	 * REP string instruction, 32-bit address size, ECX = 0: no iteration
	 * runs. On: ECX is written anyway, zeroing RCX[63:32] (Intel); off:
	 * RCX keeps its value (AMD).
	 */
	INSN_QUIRK_REP_ZERO_COUNT,
	/* AF after AND, OR, XOR, TEST, undefined in the SDM. On: cleared. */
	INSN_QUIRK_LOGIC_AF,
	/*
	 * ZF after BT/BTS/BTR/BTC: unaffected per the SDM, undefined per the
	 * AMD APM. On: unchanged.
	 */
	INSN_QUIRK_BT_ZF,
	/* OF, SF, AF, PF after BT/BTS/BTR/BTC, undefined for both. On: unchanged. */
	INSN_QUIRK_BT_OSAP,
	/*
	 * F2 (REPNE) on MOVS, STOS, LODS, reserved in the SDM (Vol. 2A
	 * 2.1.1). On: repeats as F3 does.
	 */
	INSN_QUIRK_REPNE_NONCMP,
	INSN_QUIRK_COUNT
};

struct insn_quirk_info {
	const char *name;            /* short name, as the tests print it */
	const char *what;            /* the outcome and what the manuals say of it */
	const char *model;           /* what the emulator does, per vendor */
	uint64_t rflags;             /* the RFLAGS bits concerned; 0: registers or iterations */
	/*
	 * A VM of this vendor gets the "on" behaviour. Quirks whose entries
	 * are the same for every vendor are implemented unconditionally (the
	 * code names the quirk); test_insn_vendor.c checks every entry
	 * against the emulator, for a VM of each vendor.
	 */
	bool on[CPUID_VENDOR_COUNT];
	/*
	 * A host CPU of this vendor behaves as modelled, so the native
	 * differential test may compare the outcome; false where the vendor's
	 * models differ or none was measured (the test then reports, not
	 * compares, the cases).
	 */
	bool host_oracle[CPUID_VENDOR_COUNT];
};

const struct insn_quirk_info *insn_quirk_info(enum insn_quirk q);
/* The quirk's "on" behaviour for this vCPU's VM (a vCPU without a VM: CPUID_VENDOR_OTHER). */
bool insn_quirk_on(const struct vcpu *vcpu, enum insn_quirk q);
/* The vendor whose behaviour the emulator models for this vCPU. */
enum cpuid_vendor insn_vendor(const struct vcpu *vcpu);

#endif
