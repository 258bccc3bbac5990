/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * platform/x86/load_state.c: a load state core hands over (the Multiboot
 * hand-off, the architectural reset state, a 64-bit state as
 * HC_SET_VCPU_REGS gives one) becomes exactly these VMCS guest-state writes.
 */
#define TERN_X86_HOST_TEST 1
#include <string.h>
#include "unit.h"
#include "vm_mgr.h"
#include "x86.h"
#include "../../platform/x86/load_state.c"

static struct vmcs_field_write w[LOAD_STATE_WRITES + 8];
static unsigned nw;
static struct x86_vcpu xv;

/* The value written to `field`; every field is written exactly once. */
static uint64_t written(uint32_t field)
{
	unsigned hits = 0;
	uint64_t v = 0;
	for (unsigned i = 0; i < nw; i++)
		if (w[i].field == field) {
			hits++;
			v = w[i].value;
		}
	ck_assert_msg(hits == 1, "field 0x%x written %u times", field, hits);
	return v;
}

static void load(const struct vcpu_load_state *st, uint32_t entry_ctls)
{
	memset(w, 0xee, sizeof(w));
	nw = load_state_vmcs_writes(st, &xv, entry_ctls, w);
	ck_assert_uint_eq(nw, LOAD_STATE_WRITES);
}

static void setup(void)
{
	memset(&xv, 0, sizeof(xv));
	/* A Haswell-like VMX: CR0.NE and CR4.VMXE fixed to 1, nothing else pinned. */
	xv.cr0_force1 = X86_CR0_NE;
	xv.cr4_force1 = X86_CR4_VMXE;
	xv.cr0_force0 = ~0xffffffffull;
	xv.cr4_force0 = ~0xffffffffull;
}

START_TEST(test_multiboot_handoff)
{
	struct vcpu_load_state st;
	vm_mgr_multiboot_state(&st, 0x10000c, 0x2badb002, 0x9000);
	load(&st, VMXC_ENTRY_LOAD_EFER | VMXC_ENTRY_LOAD_PAT | VMXC_ENTRY_IA32E_MODE_GUEST);
	ck_assert_uint_eq(written(VMCS_GUEST_RIP), 0x10000c);
	ck_assert_uint_eq(written(VMCS_GUEST_RSP), 0);
	ck_assert_uint_eq(written(VMCS_GUEST_RFLAGS), 0x2);
	/* PE|ET as core gave it, NE because VMX pins it. */
	ck_assert_uint_eq(written(VMCS_GUEST_CR0), X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
	ck_assert_uint_eq(written(VMCS_GUEST_CR3), 0);
	ck_assert_uint_eq(written(VMCS_GUEST_CR4), X86_CR4_VMXE);
	ck_assert_uint_eq(written(VMCS_GUEST_EFER), 0);
	ck_assert_uint_eq(written(VMCS_GUEST_DR7), 0x400);
	ck_assert_uint_eq(written(VMCS_GUEST_PAT), 0x0007040600070406ull);
	ck_assert_uint_eq(written(vmcs_guest_sel(VCPU_CS)), 0x08);
	ck_assert_uint_eq(written(vmcs_guest_ar(VCPU_CS)), 0xc09b);
	ck_assert_uint_eq(written(vmcs_guest_limit(VCPU_CS)), 0xffffffff);
	ck_assert_uint_eq(written(vmcs_guest_base(VCPU_CS)), 0);
	for (unsigned s = VCPU_ES; s <= VCPU_GS; s++)
		if (s != VCPU_CS) {
			ck_assert_uint_eq(written(vmcs_guest_sel(s)), 0x10);
			ck_assert_uint_eq(written(vmcs_guest_ar(s)), 0xc093);
			ck_assert_uint_eq(written(vmcs_guest_limit(s)), 0xffffffff);
		}
	ck_assert_uint_eq(written(vmcs_guest_ar(VCPU_LDTR)), 1u << 16);  /* unusable */
	ck_assert_uint_eq(written(vmcs_guest_ar(VCPU_TR)), 0x8b);        /* busy TSS */
	ck_assert_uint_eq(written(VMCS_GUEST_GDTR_LIMIT), 0xffff);
	ck_assert_uint_eq(written(VMCS_GUEST_IDTR_LIMIT), 0x3ff);
	ck_assert_uint_eq(written(VMCS_GUEST_IDTR_BASE), 0);
	ck_assert_uint_eq(written(VMCS_GUEST_INTERRUPTIBILITY), 0);
	ck_assert_uint_eq(written(VMCS_GUEST_ACTIVITY), 0);
	ck_assert_uint_eq(written(VMCS_GUEST_PENDING_DBG), 0);
	ck_assert_uint_eq(written(VMCS_GUEST_SYSENTER_CS), 0);
	ck_assert_uint_eq(written(VMCS_GUEST_SYSENTER_ESP), 0);
	ck_assert_uint_eq(written(VMCS_GUEST_SYSENTER_EIP), 0);
	/* Not IA-32e: the entry control goes, the others stay. */
	ck_assert_uint_eq(written(VMCS_ENTRY_CONTROLS), VMXC_ENTRY_LOAD_EFER | VMXC_ENTRY_LOAD_PAT);
	/* The GPRs are not VMCS fields (run.c puts them in the save area). */
	for (unsigned i = 0; i < nw; i++)
		ck_assert_uint_lt(w[i].field, 0x7000);
}
END_TEST

START_TEST(test_reset_state)
{
	struct vcpu_load_state st;
	vm_mgr_reset_state(&st, 0x306c3);
	load(&st, VMXC_ENTRY_LOAD_EFER);
	ck_assert_uint_eq(written(VMCS_GUEST_RIP), 0xfff0);
	ck_assert_uint_eq(written(vmcs_guest_sel(VCPU_CS)), 0xf000);
	ck_assert_uint_eq(written(vmcs_guest_base(VCPU_CS)), 0xffff0000);
	ck_assert_uint_eq(written(vmcs_guest_limit(VCPU_CS)), 0xffff);
	ck_assert_uint_eq(written(vmcs_guest_ar(VCPU_CS)), 0x9b);
	ck_assert_uint_eq(written(vmcs_guest_ar(VCPU_LDTR)), 0x82);
	/* CD|NW|ET with NE forced; PE and PG stay clear (unrestricted guest). */
	ck_assert_uint_eq(written(VMCS_GUEST_CR0), 0x60000030);
	ck_assert_uint_eq(written(VMCS_ENTRY_CONTROLS), VMXC_ENTRY_LOAD_EFER);
}
END_TEST

START_TEST(test_long_mode_state_and_fixed_bits)
{
	struct vcpu_load_state st;
	vm_mgr_reset_state(&st, 0);
	st.regs[VCPU_RIP] = 0xffffffff81000000ull;
	st.regs[VCPU_RSP] = 0x8000;
	st.regs[VCPU_RFLAGS] = 0x202;
	st.regs[VCPU_CR0] = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET;
	st.regs[VCPU_CR3] = 0x1000;
	st.regs[VCPU_CR4] = X86_CR4_PAE;
	st.regs[VCPU_EFER] = X86_EFER_LME | X86_EFER_LMA;
	st.segs[VCPU_CS] = (struct seg_desc){ .selector = 0x10, .base = 0, .limit = 0xffffffff, .ar = 0xa09b };
	st.segs[VCPU_FS].base = 0x7fff0000;
	st.gdtr_base = 0x5000;
	st.gdtr_limit = 0x37;
	st.idtr_base = 0x6000;
	st.idtr_limit = 0xfff;
	/* A CPU that also pins CR4 bit 12 off and CR0.CD on. */
	xv.cr4_force0 |= X86_CR4_LA57;
	xv.cr0_force1 |= X86_CR0_CD;
	st.regs[VCPU_CR4] |= X86_CR4_LA57;
	load(&st, VMXC_ENTRY_LOAD_PAT);
	ck_assert_uint_eq(written(VMCS_GUEST_RIP), 0xffffffff81000000ull);
	ck_assert_uint_eq(written(VMCS_GUEST_RSP), 0x8000);
	ck_assert_uint_eq(written(VMCS_GUEST_RFLAGS), 0x202);
	ck_assert_uint_eq(written(VMCS_GUEST_CR0),
			  X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE | X86_CR0_CD);
	ck_assert_uint_eq(written(VMCS_GUEST_CR3), 0x1000);
	ck_assert_uint_eq(written(VMCS_GUEST_CR4), X86_CR4_PAE | X86_CR4_VMXE);
	ck_assert_uint_eq(written(VMCS_GUEST_EFER), X86_EFER_LME | X86_EFER_LMA);
	ck_assert_uint_eq(written(vmcs_guest_ar(VCPU_CS)), 0xa09b);
	ck_assert_uint_eq(written(vmcs_guest_sel(VCPU_CS)), 0x10);
	ck_assert_uint_eq(written(vmcs_guest_base(VCPU_FS)), 0x7fff0000);
	ck_assert_uint_eq(written(VMCS_GUEST_GDTR_BASE), 0x5000);
	ck_assert_uint_eq(written(VMCS_GUEST_GDTR_LIMIT), 0x37);
	ck_assert_uint_eq(written(VMCS_GUEST_IDTR_BASE), 0x6000);
	ck_assert_uint_eq(written(VMCS_GUEST_IDTR_LIMIT), 0xfff);
	/* EFER.LMA: the IA-32e mode guest entry control (SDM 27.3.1.1). */
	ck_assert_uint_eq(written(VMCS_ENTRY_CONTROLS), VMXC_ENTRY_LOAD_PAT | VMXC_ENTRY_IA32E_MODE_GUEST);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_load_state");
	TCase *tc = tcase_create("load_state");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_multiboot_handoff);
	tcase_add_test(tc, test_reset_state);
	tcase_add_test(tc, test_long_mode_state_and_fixed_bits);
	suite_add_tcase(s, tc);
	return s;
}
