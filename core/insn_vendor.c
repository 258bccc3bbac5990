/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vendor quirk table (insn_vendor.h). A VM whose CPUID names neither
 * Intel nor AMD gets Intel's behaviour: the SDM is Intel's manual, and the
 * other VMX implementations Tern can run on follow it.
 */
#include "insn_vendor.h"
#include "insn_flags.h"
#include "vm.h"

#define I CPUID_VENDOR_INTEL
#define A CPUID_VENDOR_AMD
#define O CPUID_VENDOR_OTHER

static const struct insn_quirk_info quirks[INSN_QUIRK_COUNT] = {
	[INSN_QUIRK_REP_ZERO_COUNT] = {
		.name = "rep-zero-count",
		.what = "REP string op, 32-bit address size, ECX = 0: Intel zeroes RCX[63:32] "
			"and, for MOVS/STOS, RSI/RDI[63:32] (measured on family 6 model 0xA7); "
			"AMD leaves them",
		.model = "Intel and other: RCX[63:32] zeroed, RSI/RDI[63:32] too for MOVS/STOS; "
			 "AMD: unchanged",
		.on = { [I] = true, [O] = true, [A] = false },
		.host_oracle = { [I] = true, [A] = true },
	},
	[INSN_QUIRK_LOGIC_AF] = {
		.name = "logic-af",
		.what = "AF after AND/OR/XOR/TEST: undefined in the SDM and the APM; "
			"Intel and AMD CPUs clear it",
		.model = "cleared for every vendor",
		.rflags = RFL_AF,
		.on = { [I] = true, [O] = true, [A] = true },
		.host_oracle = { [I] = true, [A] = true },
	},
	[INSN_QUIRK_BT_ZF] = {
		.name = "bt-zf",
		.what = "ZF after BT/BTS/BTR/BTC: unaffected (SDM); undefined (APM), "
			"unchanged on the AMD CPUs measured",
		.model = "unchanged for every vendor",
		.rflags = RFL_ZF,
		.on = { [I] = true, [O] = true, [A] = true },
		.host_oracle = { [I] = true, [A] = true },
	},
	[INSN_QUIRK_BT_OSAP] = {
		.name = "bt-osap",
		.what = "OF/SF/AF/PF after BT/BTS/BTR/BTC: undefined (SDM and APM); unchanged "
			"on the AMD CPUs measured, not measured on Intel",
		.model = "unchanged for every vendor",
		.rflags = RFL_OF | RFL_SF | RFL_AF | RFL_PF,
		.on = { [I] = true, [O] = true, [A] = true },
		.host_oracle = { [I] = false, [A] = true },
	},
	[INSN_QUIRK_REPNE_NONCMP] = {
		.name = "repne-noncmp",
		.what = "F2 on MOVS/STOS/LODS: reserved (SDM Vol. 2A 2.1.1); Intel and AMD "
			"repeat as with F3",
		.model = "repeats as F3 for every vendor",
		.on = { [I] = true, [O] = true, [A] = true },
		.host_oracle = { [I] = true, [A] = true },
	},
};

#undef I
#undef A
#undef O

const struct insn_quirk_info *insn_quirk_info(enum insn_quirk q)
{
	return q < INSN_QUIRK_COUNT ? &quirks[q] : 0;
}

enum cpuid_vendor insn_vendor(const struct vcpu *vcpu)
{
	return vcpu->vm ? vcpu->vm->cpuid.vendor : CPUID_VENDOR_OTHER;
}

bool insn_quirk_on(const struct vcpu *vcpu, enum insn_quirk q)
{
	return q < INSN_QUIRK_COUNT && quirks[q].on[insn_vendor(vcpu)];
}
