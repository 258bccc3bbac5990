/* SPDX-License-Identifier: BSD-3-Clause */
/* The MSR bitmap layout, every emulated MSR, reserved bits, unknown MSRs. */
#include <string.h>
#include "unit.h"
#include "vm_irq.h"
#include "err.h"
#include "cr.h"
#include "exit_dispatch.h"
#include "msr.h"
#include "sim.h"
#include "x86.h"

static struct tern hv;
static struct vm *vm;
static struct vcpu *v;

#include "fault_outcome.h"

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	vm = sim_create_vm(&hv, "m", 2, false, 0x10000);
	vm->state = VM_STATE_RUNNING;
	v = &vm->vcpus[0];
	sim_vcpu_flat_state(v, true, 0);
	cr_set_initial(v, X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE, X86_CR4_PAE);
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
	v->reg_dirty = 0;
}

static uint64_t rd(uint32_t msr)
{
	uint64_t val = 0xbad;
	ck_assert_int_eq(outcome(msr_read(v, msr, &val, &gf)), NO_FAULT);
	return val;
}

static void wr_ok(uint32_t msr, uint64_t val)
{
	ck_assert_msg(outcome(msr_write(v, msr, val, &gf)) == NO_FAULT, "wrmsr 0x%x, 0x%llx refused", msr,
		      (unsigned long long)val);
	ck_assert_uint_eq(rd(msr), val);
}

static void wr_gp(uint32_t msr, uint64_t val)
{
	uint64_t before;
	bool readable = outcome(msr_read(v, msr, &before, &gf)) == NO_FAULT;
	ck_assert_msg(outcome(msr_write(v, msr, val, &gf)) == FAULT_GP0, "wrmsr 0x%x, 0x%llx accepted", msr,
		      (unsigned long long)val);
	if (readable)
		ck_assert_uint_eq(rd(msr), before);
}

START_TEST(test_bitmap_layout)
{
	struct msr_bitmap b;
	msr_bitmap_build(&b);
	/* SDM 25.6.9: read-low at 0, read-high at 1024, write-low 2048, write-high 3072. */
	ck_assert(msr_bitmap_traps(&b, MSR_IA32_TSC, false));
	ck_assert(msr_bitmap_traps(&b, MSR_IA32_EFER, true));
	ck_assert(!msr_bitmap_traps(&b, MSR_IA32_FS_BASE, false));
	ck_assert(!msr_bitmap_traps(&b, MSR_IA32_FS_BASE, true));
	ck_assert_uint_eq(b.bits[1024 + 0x100 / 8] & 1u, 0);  /* FS_BASE read bit */
	ck_assert_uint_eq(b.bits[3072 + 0x100 / 8] & 1u, 0);  /* FS_BASE write bit */
	ck_assert_uint_eq(b.bits[1024 + 0x103 / 8] & 8u, 8u); /* TSC_AUX (0xC0000103) traps */
	ck_assert_uint_eq(b.bits[0 + 0x174 / 8] & (1u << (0x174 % 8)), 0); /* SYSENTER_CS read */
	ck_assert_uint_eq(b.bits[2048 + 0x174 / 8] & (1u << (0x174 % 8)), 0);
	/* Outside both ranges everything exits. */
	ck_assert(msr_bitmap_traps(&b, 0x2000, false));
	ck_assert(msr_bitmap_traps(&b, 0x40000000, true));
	ck_assert(msr_bitmap_traps(&b, 0xc0002000, false));
	ck_assert(msr_bitmap_traps(&b, 0xffffffff, true));
	/* Exactly the pass-through list is open, in both directions. */
	unsigned open = 0;
	for (uint32_t m = 0; m <= 0x1fff; m++) {
		for (int w = 0; w < 2; w++) {
			open += !msr_bitmap_traps(&b, m, w);
			open += !msr_bitmap_traps(&b, 0xc0000000u + m, w);
			ck_assert_int_eq(msr_bitmap_traps(&b, m, w), !msr_is_passthrough(m));
			ck_assert_int_eq(msr_bitmap_traps(&b, 0xc0000000u + m, w),
					 !msr_is_passthrough(0xc0000000u + m));
		}
	}
	ck_assert_uint_eq(open, 2 * 10);
	/* The VM's own bitmap is built and page-aligned. */
	ck_assert_mem_eq(vm->msr_bitmap.bits, b.bits, sizeof(b.bits));
	ck_assert_uint_eq((uintptr_t)vm->msr_bitmap.bits % 4096, 0);
}
END_TEST

START_TEST(test_reset_values)
{
	ck_assert_uint_eq(rd(MSR_IA32_APIC_BASE), 0xfee00900ull);
	v = &vm->vcpus[1];
	sim_vcpu_flat_state(v, true, 0);
	ck_assert_uint_eq(rd(MSR_IA32_APIC_BASE), 0xfee00800ull); /* AP: no BSP flag */
	ck_assert_uint_eq(rd(MSR_IA32_MISC_ENABLE), 0x1801);
	ck_assert_uint_eq(rd(MSR_IA32_FEATURE_CONTROL), 1);       /* locked, VMX off */
	ck_assert_uint_eq(rd(MSR_IA32_MTRRCAP), 0x508);
	ck_assert_uint_eq(rd(MSR_IA32_MTRR_DEF_TYPE), 0);
	ck_assert_uint_eq(rd(MSR_IA32_TSC_ADJUST), 0);
	ck_assert_uint_eq(rd(MSR_IA32_BIOS_SIGN_ID), 0);
}
END_TEST

START_TEST(test_tsc)
{
	sim.host_tsc = 1000;
	ck_assert_uint_eq(rd(MSR_IA32_TSC), 1000);
	ck_assert_int_eq(outcome(msr_write(v, MSR_IA32_TSC, 5000, &gf)), NO_FAULT);
	ck_assert_uint_eq(v->msr.tsc_offset, 4000);
	ck_assert(v->msr.tsc_offset_dirty);
	ck_assert_uint_eq(rd(MSR_IA32_TSC_ADJUST), 4000); /* SDM 17.17.3 */
	sim.host_tsc = 1500;
	ck_assert_uint_eq(rd(MSR_IA32_TSC), 5500);
	/* Backwards: offsets wrap modulo 2^64. */
	ck_assert_int_eq(outcome(msr_write(v, MSR_IA32_TSC, 0, &gf)), NO_FAULT);
	ck_assert_uint_eq(rd(MSR_IA32_TSC), 0);
	ck_assert_uint_eq(rd(MSR_IA32_TSC_ADJUST), (uint64_t)-1500);
	/* TSC_ADJUST moves the TSC by the difference. */
	ck_assert_int_eq(outcome(msr_write(v, MSR_IA32_TSC_ADJUST, 0, &gf)), NO_FAULT);
	ck_assert_uint_eq(rd(MSR_IA32_TSC), 1500);
	ck_assert_uint_eq(v->msr.tsc_offset, 0);
	/* RDTSC and RDTSCP exits agree with the MSR. */
	wr_ok(MSR_IA32_TSC_AUX, 0x1234);
	wr_gp(MSR_IA32_TSC_AUX, 1ull << 32);
	sim.host_tsc = 0x100000005ull;
	struct exit_record ex = { .reason = EXIT_REASON_RDTSCP, .instr_len = 3 };
	vcpu_cache_fill(v, VCPU_RAX, ~0ull);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 5);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDX), 1);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RCX), 0x1234);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1003);
	ex.reason = EXIT_REASON_RDTSC;
	ex.instr_len = 2;
	vcpu_handle_exit(v, &ex);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1005);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 5);
	/* IA32_TSC_DEADLINE is the vLAPIC's: ignored, reading 0, unless its
	 * timer is in TSC-deadline mode (SDM 10.5.4.1). */
	ck_assert_int_eq(outcome(msr_write(v, MSR_IA32_TSC_DEADLINE, 0x1234, &gf)), NO_FAULT);
	ck_assert_uint_eq(rd(MSR_IA32_TSC_DEADLINE), 0);
	struct vlapic_result res;
	vlapic_mmio_write(&v->lapic, VLAPIC_LVT_TIMER, (VLAPIC_TIMER_TSC_DEADLINE << VLAPIC_TIMER_MODE_SHIFT) | 0x40,
			  0, &res);
	wr_ok(MSR_IA32_TSC_DEADLINE, 0xffffffffffffffffull);
	ck_assert_uint_eq(vlapic_next_deadline(&v->lapic), 0xffffffffffffffffull);
	uint64_t dl = vcpu_guest_tsc(v) + 0x5000;
	wr_ok(MSR_IA32_TSC_DEADLINE, dl);
	/* The next entry arms it: timer_deadline is the contract with the platform (vcpu.h). */
	vcpu_timers_advance(v);
	ck_assert_uint_eq(v->timer_deadline, dl);
}
END_TEST

START_TEST(test_apic_base)
{
	wr_ok(MSR_IA32_APIC_BASE, 0xfed00900ull);   /* relocated */
	wr_ok(MSR_IA32_APIC_BASE, 0xfee00100ull);   /* globally disabled */
	wr_gp(MSR_IA32_APIC_BASE, 0xfee00d00ull);   /* x2APIC: not offered */
	wr_gp(MSR_IA32_APIC_BASE, 0xfee00800ull);   /* BSP flag is read-only */
	wr_gp(MSR_IA32_APIC_BASE, 0xfee00901ull);   /* reserved bits 7:0 */
	wr_gp(MSR_IA32_APIC_BASE, 0xfee00b00ull);   /* reserved bit 9 */
	wr_gp(MSR_IA32_APIC_BASE, (1ull << 39) | 0xfee00900ull); /* above MAXPHYADDR */
	wr_gp(MSR_IA32_APIC_BASE, ~0ull);
}
END_TEST

START_TEST(test_feature_control_and_mtrrcap_read_only)
{
	wr_gp(MSR_IA32_FEATURE_CONTROL, 1);
	wr_gp(MSR_IA32_FEATURE_CONTROL, 5); /* trying to enable VMX */
	wr_gp(MSR_IA32_MTRRCAP, 0x508);
}
END_TEST

START_TEST(test_pat)
{
	wr_ok(MSR_IA32_PAT, 0x0007040600070406ull);
	wr_ok(MSR_IA32_PAT, 0x0101010101010101ull);
	wr_ok(MSR_IA32_PAT, 0x0706050407060504ull);
	ck_assert(vcpu_reg_dirty(v, VCPU_PAT));
	/* Each byte position with each invalid type. */
	const unsigned bad[] = { 2, 3, 8, 0x10, 0x80, 0xff };
	for (unsigned pos = 0; pos < 8; pos++)
		for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			wr_gp(MSR_IA32_PAT, (uint64_t)bad[i] << (8 * pos));
	for (unsigned t = 0; t < 256; t++)
		ck_assert_int_eq(msr_pat_type_valid(t), t == 0 || t == 1 || (t >= 4 && t <= 7));
}
END_TEST

/* Eight valid MTRR types, different for each i. */
static uint64_t fixed_val(unsigned i)
{
	static const uint8_t types[5] = { 0, 1, 4, 5, 6 };
	uint64_t val = 0;
	for (unsigned k = 0; k < 8; k++)
		val |= (uint64_t)types[(i + k * 3) % 5] << (8 * k);
	return val;
}

START_TEST(test_mtrrs)
{
	for (unsigned t = 0; t < 256; t++)
		ck_assert_int_eq(msr_mtrr_type_valid(t), t == 0 || t == 1 || (t >= 4 && t <= 6));
	wr_ok(MSR_IA32_MTRR_DEF_TYPE, 0xc06);
	wr_gp(MSR_IA32_MTRR_DEF_TYPE, 0xc07);      /* UC- is not an MTRR type */
	wr_gp(MSR_IA32_MTRR_DEF_TYPE, 0x1006);     /* reserved bit 12 */
	wr_gp(MSR_IA32_MTRR_DEF_TYPE, 0x100);      /* reserved bit 8 */
	const uint32_t fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d,
				   0x26e, 0x26f };
	for (unsigned i = 0; i < 11; i++) {
		wr_ok(fixed[i], fixed_val(i));
		wr_gp(fixed[i], 0x0707070707070707ull);
		wr_gp(fixed[i], 0x0200000000000000ull);
	}
	for (unsigned i = 0; i < 11; i++)
		ck_assert_uint_eq(rd(fixed[i]), fixed_val(i));
	/* Not fixed-range MSRs. */
	uint64_t x;
	ck_assert_int_eq(outcome(msr_read(v, 0x251, &x, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(msr_read(v, 0x267, &x, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(msr_read(v, 0x270, &x, &gf)), FAULT_GP0);
	/* Variable ranges: 8 pairs. */
	for (unsigned n = 0; n < 8; n++) {
		wr_ok(0x200 + 2 * n, 0x7fffff000ull | 6);
		wr_ok(0x201 + 2 * n, 0x7ffff0000ull | (1u << 11));
		wr_gp(0x200 + 2 * n, 0x1000 | 2);            /* type 2 reserved */
		wr_gp(0x200 + 2 * n, 0x1000 | 0x100 | 6);    /* bits 11:8 reserved */
		wr_gp(0x200 + 2 * n, (1ull << 39) | 6);      /* above MAXPHYADDR */
		wr_gp(0x201 + 2 * n, 0x7ffff0000ull | 1);    /* bits 10:0 reserved */
		wr_gp(0x201 + 2 * n, 1ull << 45);
	}
	ck_assert_int_eq(outcome(msr_read(v, 0x210, &x, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(msr_write(v, 0x210, 0, &gf)), FAULT_GP0);
}
END_TEST

START_TEST(test_misc_enable)
{
	wr_ok(MSR_IA32_MISC_ENABLE, 0x1800);        /* fast strings off */
	wr_ok(MSR_IA32_MISC_ENABLE, 0x1801);
	wr_gp(MSR_IA32_MISC_ENABLE, 0x1801 | (1ull << 22)); /* limit CPUID maxval */
	wr_gp(MSR_IA32_MISC_ENABLE, 0x1801 | (1ull << 18)); /* MONITOR: hidden */
	wr_gp(MSR_IA32_MISC_ENABLE, 0x0801);                /* PEBS-unavailable is fixed */
	wr_gp(MSR_IA32_MISC_ENABLE, 0x1801 | (1ull << 34)); /* XD disable */
}
END_TEST

START_TEST(test_x2apic_and_unknown)
{
	uint64_t x;
	for (uint32_t m = MSR_X2APIC_FIRST; m <= MSR_X2APIC_LAST; m++) {
		ck_assert_int_eq(outcome(msr_read(v, m, &x, &gf)), FAULT_GP0);
		ck_assert_int_eq(outcome(msr_write(v, m, 0, &gf)), FAULT_GP0);
	}
	const uint32_t unknown[] = { 0x0, 0x1, 0x48 /* SPEC_CTRL */, 0x480 /* VMX_BASIC */,
				     0x1fff, 0x2000, 0x40000000, 0x40000001, 0xc0000000,
				     0xc0001fff, 0xc0010000, 0xffffffff, MSR_IA32_FS_BASE };
	for (unsigned i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		ck_assert_int_eq(outcome(msr_read(v, unknown[i], &x, &gf)), FAULT_GP0);
		ck_assert_int_eq(outcome(msr_write(v, unknown[i], 0, &gf)), FAULT_GP0);
	}
}
END_TEST

START_TEST(test_bios_sign_id)
{
	ck_assert_int_eq(outcome(msr_write(v, MSR_IA32_BIOS_SIGN_ID, 0, &gf)), NO_FAULT);
	ck_assert_uint_eq(rd(MSR_IA32_BIOS_SIGN_ID), 0);
}
END_TEST

START_TEST(test_rdmsr_exit)
{
	/* ECX selects; RCX[63:32] are ignored; RAX/RDX upper halves cleared. */
	vcpu_cache_fill(v, VCPU_RCX, 0xffffffff00000000ull | MSR_IA32_APIC_BASE);
	vcpu_cache_fill(v, VCPU_RAX, ~0ull);
	vcpu_cache_fill(v, VCPU_RDX, ~0ull);
	struct exit_record ex = { .reason = EXIT_REASON_RDMSR, .instr_len = 2 };
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0xfee00900ull);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDX), 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1002);
	/* Unknown MSR: #GP(0), nothing written, RIP kept. */
	setup();
	vcpu_cache_fill(v, VCPU_RCX, 0x800);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.vector, X86_GP);
	ck_assert(v->event.has_error);
	ck_assert_uint_eq(v->event.error_code, 0);
	ck_assert_uint_eq(v->reg_dirty, 0);
}
END_TEST

START_TEST(test_wrmsr_exit)
{
	/* EDX:EAX, upper halves of RAX/RDX ignored. */
	vcpu_cache_fill(v, VCPU_RCX, MSR_IA32_PAT);
	vcpu_cache_fill(v, VCPU_RAX, 0xffffffff00000406ull);
	vcpu_cache_fill(v, VCPU_RDX, 0xffffffff00070106ull);
	struct exit_record ex = { .reason = EXIT_REASON_WRMSR, .instr_len = 2 };
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_PAT), 0x0007010600000406ull);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1002);
	ck_assert(!v->event.valid);
	/* EFER through WRMSR: LME toggle with paging on is #GP. */
	vcpu_cache_fill(v, VCPU_RCX, MSR_IA32_EFER);
	vcpu_cache_fill(v, VCPU_RAX, 0);
	vcpu_cache_fill(v, VCPU_RDX, 0);
	v->reg_dirty = 0;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, X86_GP);
	ck_assert(!vcpu_reg_dirty(v, VCPU_EFER));
	ck_assert_uint_eq(rd(MSR_IA32_EFER), 0x500);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("msr");
	TCase *tc = tcase_create("msr");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_bitmap_layout);
	tcase_add_test(tc, test_reset_values);
	tcase_add_test(tc, test_tsc);
	tcase_add_test(tc, test_apic_base);
	tcase_add_test(tc, test_feature_control_and_mtrrcap_read_only);
	tcase_add_test(tc, test_pat);
	tcase_add_test(tc, test_mtrrs);
	tcase_add_test(tc, test_misc_enable);
	tcase_add_test(tc, test_x2apic_and_unknown);
	tcase_add_test(tc, test_bios_sign_id);
	tcase_add_test(tc, test_rdmsr_exit);
	tcase_add_test(tc, test_wrmsr_exit);
	suite_add_tcase(s, tc);
	return s;
}
