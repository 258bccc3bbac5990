/* SPDX-License-Identifier: BSD-3-Clause */
#include "msr.h"
#include "cr.h"
#include "err.h"
#include "event.h"
#include "exit_handlers.h"
#include "retire.h"
#include "lib.h"
#include "log.h"
#include "platform.h"
#include "vm.h"
#include "vm_irq.h"

/*
 * MSRs the guest owns on the CPU: segment bases and SYSCALL/SYSENTER
 * state, which the VMCS holds or the platform switches (see msr.h).
 */
static const uint32_t passthrough[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_IA32_STAR, MSR_IA32_LSTAR, MSR_IA32_CSTAR, MSR_IA32_FMASK,
	MSR_IA32_FS_BASE, MSR_IA32_GS_BASE, MSR_IA32_KERNEL_GS_BASE,
};

bool msr_is_passthrough(uint32_t msr)
{
	for (unsigned i = 0; i < TERN_ARRAY_SIZE(passthrough); i++)
		if (passthrough[i] == msr)
			return true;
	return false;
}

/* Byte offset of the bitmap half for `msr`, or -1 when it is outside both ranges. */
static int bitmap_base(uint32_t msr, bool write)
{
	if (msr <= 0x1fffu)
		return write ? MSR_BITMAP_WRITE_LOW : MSR_BITMAP_READ_LOW;
	if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
		return write ? MSR_BITMAP_WRITE_HIGH : MSR_BITMAP_READ_HIGH;
	return -1;
}

static void bitmap_clear(struct msr_bitmap *b, uint32_t msr, bool write)
{
	int base = bitmap_base(msr, write);
	uint32_t n = msr & 0x1fffu;
	if (base >= 0)
		b->bits[(unsigned)base + n / 8] &= (uint8_t)~(1u << (n % 8));
}

void msr_bitmap_build(struct msr_bitmap *b)
{
	tern_memset(b->bits, 0xff, sizeof(b->bits));
	for (unsigned i = 0; i < TERN_ARRAY_SIZE(passthrough); i++) {
		bitmap_clear(b, passthrough[i], false);
		bitmap_clear(b, passthrough[i], true);
	}
}

bool msr_bitmap_traps(const struct msr_bitmap *b, uint32_t msr, bool write)
{
	int base = bitmap_base(msr, write);
	uint32_t n = msr & 0x1fffu;
	if (base < 0)
		return true; /* SDM 25.6.9: outside the ranges, RDMSR/WRMSR always exit */
	return (b->bits[(unsigned)base + n / 8] >> (n % 8)) & 1u;
}

static int gp0(struct guest_fault *f)
{
	guest_fault_gp0(f);
	return -TERN_EFAULT;
}

void msr_reset(struct vcpu *vcpu)
{
	struct vcpu_msr *m = &vcpu->msr;
	tern_memset(m, 0, sizeof(*m));
	m->misc_enable = MISC_ENABLE_RESET;
}

bool msr_pat_type_valid(unsigned type)
{
	/* SDM Vol. 3A Table 11-10: 2 and 3 are reserved; UC- (7) exists only in PAT. */
	return type <= 7 && type != 2 && type != 3;
}

bool msr_mtrr_type_valid(unsigned type)
{
	return msr_pat_type_valid(type) && type != 7;
}

static bool all_types_valid(uint64_t v, bool pat)
{
	for (unsigned i = 0; i < 8; i++) {
		unsigned t = (unsigned)(v >> (8 * i)) & 0xffu;
		if (pat ? !msr_pat_type_valid(t) : !msr_mtrr_type_valid(t))
			return false;
	}
	return true;
}

/* Index into mtrr_fixed[] (0x250, 0x258, 0x259, 0x268-0x26F), or -1. */
static int fixed_index(uint32_t msr)
{
	if (msr == MSR_IA32_MTRR_FIX64K_00000)
		return 0;
	if (msr == MSR_IA32_MTRR_FIX16K_80000 || msr == MSR_IA32_MTRR_FIX16K_A0000)
		return (int)(msr - MSR_IA32_MTRR_FIX16K_80000) + 1;
	if (msr >= MSR_IA32_MTRR_FIX4K_C0000 && msr <= MSR_IA32_MTRR_FIX4K_F8000)
		return (int)(msr - MSR_IA32_MTRR_FIX4K_C0000) + 3;
	return -1;
}

static uint64_t phys_mask(struct vcpu *vcpu)
{
	/* Bits MAXPHYADDR-1:12 of a physical address. */
	return (~0ull >> (64 - vcpu->vm->cpuid.maxphyaddr)) & ~0xfffull;
}

static uint64_t guest_tsc(struct vcpu *vcpu)
{
	return plat_host_tsc() + vcpu->msr.tsc_offset;
}

static void set_tsc_offset(struct vcpu *vcpu, uint64_t offset)
{
	vcpu->msr.tsc_offset = offset;
	vcpu->msr.tsc_offset_dirty = true;
}

/* The x2APIC range, tested first: its EOI and ICR writes are the hot MSR exits. */
static bool is_x2apic(uint32_t msr)
{
	return msr - MSR_X2APIC_FIRST <= MSR_X2APIC_LAST - MSR_X2APIC_FIRST;
}

/* #GP outside x2APIC mode, for reserved and write-only registers (SDM 10.12.1.2). */
static int x2apic_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value, struct guest_fault *f)
{
	uint32_t off = (msr - MSR_X2APIC_FIRST) << 4;
	uint64_t now = vlapic_reads_clock(off) ? guest_tsc(vcpu) : 0;
	if (vlapic_msr_read(&vcpu->lapic, msr, now, value))
		return gp0(f);
	return 0;
}

/*
 * Always inline: the x2APIC EOI and ICR writes go from wrmsr_exit straight
 * to the vLAPIC. Its one fault is #GP(0) (-TERN_EFAULT), which the caller
 * raises: the hot exits have no guest_fault to clear.
 */
__attribute__((always_inline)) static inline int x2apic_write(struct vcpu *vcpu, uint32_t msr, uint64_t value)
{
	struct vlapic_result res;
	uint32_t off = (msr - MSR_X2APIC_FIRST) << 4;
	uint64_t now = vlapic_reads_clock(off) ? guest_tsc(vcpu) : 0;
	int rc = vlapic_msr_write(&vcpu->lapic, msr, value, now, &res);
	if (rc)
		return rc;
	vm_irq_apply(vcpu, &res);
	return 0;
}

int msr_read(struct vcpu *vcpu, uint32_t msr, uint64_t *value, struct guest_fault *f)
{
	struct vcpu_msr *m = &vcpu->msr;
	int fix;

	if (is_x2apic(msr))
		return x2apic_read(vcpu, msr, value, f);

	switch (msr) {
	case MSR_IA32_TSC:
		*value = guest_tsc(vcpu);
		return 0;
	case MSR_IA32_APIC_BASE:
		*value = vcpu->lapic.apic_base;
		return 0;
	case MSR_IA32_FEATURE_CONTROL:
		*value = FEATURE_CONTROL_LOCKED;
		return 0;
	case MSR_IA32_TSC_ADJUST:
		*value = m->tsc_adjust;
		return 0;
	case MSR_IA32_BIOS_SIGN_ID:
		*value = 0; /* no microcode revision to report */
		return 0;
	case MSR_IA32_MTRRCAP:
		*value = MTRRCAP_VALUE;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*value = m->misc_enable;
		return 0;
	case MSR_IA32_PAT:
		*value = vcpu_get_reg(vcpu, VCPU_PAT);
		return 0;
	case MSR_IA32_MTRR_DEF_TYPE:
		*value = m->mtrr_def_type;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		*value = vlapic_tsc_deadline_read(&vcpu->lapic);
		return 0;
	case MSR_IA32_TSC_AUX:
		*value = m->tsc_aux;
		return 0;
	case MSR_IA32_EFER:
		*value = vcpu_get_reg(vcpu, VCPU_EFER);
		return 0;
	default:
		break;
	}
	if (msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 2 * MTRR_VCNT) {
		*value = m->mtrr_var[msr - MSR_IA32_MTRR_PHYSBASE0];
		return 0;
	}
	if ((fix = fixed_index(msr)) >= 0) {
		*value = m->mtrr_fixed[fix];
		return 0;
	}
	/* Pass-through MSRs that should not have exited, everything else. */
	return gp0(f);
}

static int write_apic_base(struct vcpu *vcpu, uint64_t value, struct guest_fault *f)
{
	/*
	 * Bits above MAXPHYADDR are reserved; so is EXTD while CPUID.1:ECX
	 * does not show x2APIC (SDM 10.12.1: the mode exists only then). The
	 * vLAPIC owns the rest of SDM 10.12.5.
	 */
	uint64_t reserved = ~(phys_mask(vcpu) | 0xfffull);
	const struct cpuid_entry *l1 = cpuid_find(&vcpu->vm->cpuid, 1, 0);
	if (!l1 || !(l1->regs[2] & CPUID_1_ECX_X2APIC))
		reserved |= APIC_BASE_EXTD;
	vlapic_apic_base_write(&vcpu->lapic, value, reserved, f);
	return f->valid ? -TERN_EFAULT : 0;
}

static int write_mtrr_var(struct vcpu *vcpu, unsigned idx, uint64_t value, struct guest_fault *f)
{
	uint64_t valid;
	if (idx % 2 == 0) {
		/* PHYSBASE: type in 7:0, base in MAXPHYADDR-1:12 (SDM 11.11.2.3). */
		if (!msr_mtrr_type_valid((unsigned)(value & 0xffu)))
			return gp0(f);
		valid = phys_mask(vcpu) | 0xffu;
	} else {
		/* PHYSMASK: valid flag in bit 11, mask in MAXPHYADDR-1:12. */
		valid = phys_mask(vcpu) | (1ull << 11);
	}
	if (value & ~valid)
		return gp0(f);
	vcpu->msr.mtrr_var[idx] = value;
	return 0;
}

/*
 * Every MSR but the x2APIC range, out of line: its switch needs a frame of
 * saved registers the EOI and ICR writes (msr_write's hot case) do without.
 */
__attribute__((noinline)) static int other_write(struct vcpu *vcpu, uint32_t msr, uint64_t value,
						 struct guest_fault *f)
{
	struct vcpu_msr *m = &vcpu->msr;
	int fix;

	switch (msr) {
	case MSR_IA32_TSC: {
		/* SDM Vol. 3A 17.17.3: the TSC's change is added to IA32_TSC_ADJUST too. */
		uint64_t delta = value - guest_tsc(vcpu);
		set_tsc_offset(vcpu, m->tsc_offset + delta);
		m->tsc_adjust += delta;
		return 0;
	}
	case MSR_IA32_TSC_ADJUST:
		set_tsc_offset(vcpu, m->tsc_offset + (value - m->tsc_adjust));
		m->tsc_adjust = value;
		return 0;
	case MSR_IA32_APIC_BASE:
		return write_apic_base(vcpu, value, f);
	case MSR_IA32_BIOS_SIGN_ID:
		/* Writing 0 before CPUID is how software asks for the revision: accepted. */
		return 0;
	case MSR_IA32_MISC_ENABLE:
		/* Only fast strings may change; every other bit is fixed for the guest. */
		if ((value ^ m->misc_enable) & ~MISC_ENABLE_FAST_STRING)
			return gp0(f);
		m->misc_enable = value;
		return 0;
	case MSR_IA32_PAT:
		if (!all_types_valid(value, true))
			return gp0(f);
		vcpu_set_reg(vcpu, VCPU_PAT, value);
		return 0;
	case MSR_IA32_MTRR_DEF_TYPE:
		/* Type in 7:0, FE bit 10, E bit 11; the rest is reserved (SDM 11.11.2.1). */
		if ((value & ~0xcffull) || !msr_mtrr_type_valid((unsigned)(value & 0xffu)))
			return gp0(f);
		m->mtrr_def_type = value;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		/* Armed only in TSC-deadline mode (SDM 10.5.4.1); the next entry sees the deadline. */
		vlapic_tsc_deadline_write(&vcpu->lapic, value, guest_tsc(vcpu));
		return 0;
	case MSR_IA32_TSC_AUX:
		/* Bits 63:32 are reserved (SDM Vol. 4 Table 2-2). */
		if (value >> 32)
			return gp0(f);
		m->tsc_aux = value;
		return 0;
	case MSR_IA32_EFER:
		return cr_write_efer(vcpu, value, f);
	default:
		/* FEATURE_CONTROL is locked, MTRRCAP read-only: #GP like everything unknown. */
		break;
	}
	if (msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 2 * MTRR_VCNT)
		return write_mtrr_var(vcpu, msr - MSR_IA32_MTRR_PHYSBASE0, value, f);
	if ((fix = fixed_index(msr)) >= 0) {
		if (!all_types_valid(value, false))
			return gp0(f);
		m->mtrr_fixed[fix] = value;
		return 0;
	}
	return gp0(f);
}

int msr_write(struct vcpu *vcpu, uint32_t msr, uint64_t value, struct guest_fault *f)
{
	if (is_x2apic(msr))
		return x2apic_write(vcpu, msr, value) ? gp0(f) : 0;
	return other_write(vcpu, msr, value, f);
}

static uint32_t msr_index(struct vcpu *vcpu)
{
	/* RDMSR/WRMSR use ECX; RCX[63:32] are ignored (SDM Vol. 2B RDMSR). */
	return (uint32_t)vcpu_get_reg(vcpu, VCPU_RCX);
}

/* RDMSR exit (SDM Vol. 3C 26.1.3): EDX:EAX = the MSR, upper halves cleared. */
enum exit_action rdmsr_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint64_t value = 0;
	struct guest_fault f = { 0 };
	if (msr_read(vcpu, msr_index(vcpu), &value, &f))
		return (enum exit_action)event_reflect(vcpu, &f);
	vcpu_set_reg(vcpu, VCPU_RAX, value & 0xffffffffull);
	vcpu_set_reg(vcpu, VCPU_RDX, value >> 32);
	vcpu_retire_insn(vcpu, ex->instr_len);
	return EXIT_ACTION_RESUME;
}

/* Out of line: its fault on the stack would give every x2APIC write a frame. */
__attribute__((noinline)) static enum exit_action reflect_gp0(struct vcpu *vcpu)
{
	struct guest_fault f;
	guest_fault_gp0(&f); /* every field but cr2, which only #PF reads */
	return (enum exit_action)event_reflect(vcpu, &f);
}

/*
 * Every other MSR: -1 when written (the caller retires the WRMSR), else
 * the action of the fault it reflected. Out of line for the same reason.
 */
__attribute__((noinline)) static int other_write_exit(struct vcpu *vcpu, uint32_t msr, uint64_t value)
{
	struct guest_fault f = { 0 };
	if (!other_write(vcpu, msr, value, &f))
		return -1;
	return event_reflect(vcpu, &f);
}

/*
 * WRMSR exit: the value is EDX:EAX, the index ECX (RCX[63:32] and the upper
 * halves of RAX/RDX are ignored, SDM Vol. 2B WRMSR). The three registers
 * are brought into the cache by one test (vcpu_cache_regs) rather than one
 * each: the x2APIC EOI and ICR writes are the hot MSR exits.
 */
enum exit_action wrmsr_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	vcpu_cache_regs(vcpu, (1u << VCPU_RCX) | (1u << VCPU_RAX) | (1u << VCPU_RDX));
	uint32_t msr = (uint32_t)vcpu->regs[VCPU_RCX];
	uint64_t value = (vcpu->regs[VCPU_RDX] << 32) | (vcpu->regs[VCPU_RAX] & 0xffffffffull);
	if (is_x2apic(msr)) {
		if (x2apic_write(vcpu, msr, value))
			return reflect_gp0(vcpu);
	} else {
		int action = other_write_exit(vcpu, msr, value);
		if (action >= 0)
			return (enum exit_action)action;
	}
	vcpu_retire_insn(vcpu, ex->instr_len);
	return EXIT_ACTION_RESUME;
}
