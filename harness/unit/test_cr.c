/* SPDX-License-Identifier: BSD-3-Clause */
/* CR0/CR3/CR4/CR8, LMSW, CLTS, EFER and XSETBV: every rule and hostile value. */
#include <string.h>
#include "unit.h"
#include "lapic_util.h"
#include "request.h"
#include "err.h"
#include "cr.h"
#include "cr_qual.h"
#include "exit_dispatch.h"
#include "msr.h"
#include "vm_mgr.h"
#include "sim.h"
#include "x86.h"

static struct tern hv;
static struct vm *vm;
static struct vcpu *v;

#include "fault_outcome.h"

#define CR0_PM (X86_CR0_PE | X86_CR0_ET | X86_CR0_NE)             /* protected mode, no paging */
#define CR0_LM (CR0_PM | X86_CR0_PG | X86_CR0_WP)                 /* paging on */

static void make_vm(void)
{
	vm = sim_create_vm(&hv, "c", 2, false, 0x100000);
	ck_assert_ptr_nonnull(vm);
	vm->state = VM_STATE_RUNNING;
	v = &vm->vcpus[0];
}

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	make_vm();
}

/* A 64-bit guest at CPL0 with consistent shadows. */
static void long_mode(void)
{
	sim_vcpu_flat_state(v, true, 0);
	cr_set_initial(v, CR0_LM, X86_CR4_PAE);
	vcpu_cache_fill(v, VCPU_EFER, X86_EFER_LME | X86_EFER_LMA);
	vcpu_cache_fill(v, VCPU_CR3, 0x1000);
	v->reg_dirty = 0;
	v->requests &= ~VCPU_REQ_FLUSH_EPT;
}

/* A 32-bit protected-mode guest without paging. */
static void prot_mode(void)
{
	sim_vcpu_flat_state(v, false, 0);
	cr_set_initial(v, CR0_PM, 0);
	vcpu_cache_fill(v, VCPU_CR3, 0x2000);
	v->reg_dirty = 0;
	v->requests &= ~VCPU_REQ_FLUSH_EPT;
}

START_TEST(test_reset_state)
{
	sim_vcpu_flat_state(v, false, 0);
	vcpu_cache_fill(v, VCPU_CR0, 0);
	vcpu_cache_fill(v, VCPU_CR4, 0);
	ck_assert_uint_eq(cr_guest_cr0(v), CR_CR0_RESET);
	ck_assert_uint_eq(cr_guest_cr4(v), 0);
	ck_assert_uint_eq(v->cr.cr0_mask, ~(uint64_t)(X86_CR0_TS | X86_CR0_MP | X86_CR0_EM));
	ck_assert_uint_eq(v->cr.cr4_mask, ~0ull);
	ck_assert(v->cr.dirty);
	/* Guest-owned bits come from the running CR0. */
	vcpu_cache_fill(v, VCPU_CR0, X86_CR0_TS | X86_CR0_PG);
	ck_assert_uint_eq(cr_guest_cr0(v), CR_CR0_RESET | X86_CR0_TS);
}
END_TEST

START_TEST(test_initial_state_forces_vmx_bits)
{
	sim_vcpu_flat_state(v, false, 0);
	cr_set_initial(v, X86_CR0_PE | X86_CR0_ET, X86_CR4_PSE);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR0), X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR4), X86_CR4_PSE | X86_CR4_VMXE);
	ck_assert_uint_eq(cr_guest_cr0(v), X86_CR0_PE | X86_CR0_ET);
	ck_assert_uint_eq(cr_guest_cr4(v), X86_CR4_PSE); /* VMXE hidden */
}
END_TEST

START_TEST(test_adopt_load_state)
{
	v->cr.dirty = false;
	cr_adopt_load_state(v, X86_CR0_PE | X86_CR0_ET, X86_CR4_PSE);
	ck_assert_uint_eq(v->cr.cr0_shadow, X86_CR0_PE | X86_CR0_ET);
	ck_assert_uint_eq(v->cr.cr4_shadow, X86_CR4_PSE);
	ck_assert(v->cr.dirty);
	/* Through the VM manager: the state the Service VM sets is what the guest reads. */
	struct vcpu_load_state st;
	vm_mgr_reset_state(&st, 0);
	st.regs[VCPU_CR0] = X86_CR0_PE | X86_CR0_ET | X86_CR0_AM;
	st.regs[VCPU_CR4] = X86_CR4_PSE | X86_CR4_OSFXSR;
	st.regs[VCPU_EFER] = 0;
	st.regs[VCPU_RFLAGS] = 2;
	vm->state = VM_STATE_CREATED;
	ck_assert_int_eq(vm_mgr_set_vcpu_state(vm, 0, &st), 0);
	ck_assert_uint_eq(v->cr.cr0_shadow, X86_CR0_PE | X86_CR0_ET | X86_CR0_AM);
	ck_assert_uint_eq(v->cr.cr4_shadow, X86_CR4_PSE | X86_CR4_OSFXSR);
}
END_TEST

START_TEST(test_cr0_reserved_and_combinations)
{
	prot_mode();
	ck_assert_int_eq(outcome(cr_write_cr0(v, 1ull << 32 | CR0_PM, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_cr0(v, 1ull << 63 | CR0_PM, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_cr0(v, CR0_PM | X86_CR0_NW, &gf)), FAULT_GP0); /* NW without CD */
	ck_assert_int_eq(outcome(cr_write_cr0(v, X86_CR0_PG | X86_CR0_ET, &gf)), FAULT_GP0); /* PG without PE */
	ck_assert_uint_eq(cr_guest_cr0(v), CR0_PM);
	ck_assert_uint_eq(v->reg_dirty, 0);
	/* NW with CD is legal; reserved low bits are dropped, ET forced. */
	ck_assert_int_eq(outcome(cr_write_cr0(v, X86_CR0_PE | X86_CR0_CD | X86_CR0_NW | 0x1ffaffc0u, &gf)),
			 NO_FAULT);
	ck_assert_uint_eq(cr_guest_cr0(v), X86_CR0_PE | X86_CR0_CD | X86_CR0_NW | X86_CR0_ET);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR0),
			  X86_CR0_PE | X86_CR0_CD | X86_CR0_NW | X86_CR0_ET | X86_CR0_NE);
	ck_assert(v->cr.dirty);
	ck_assert((v->requests & VCPU_REQ_FLUSH_EPT)); /* CD/NW changed */
}
END_TEST

START_TEST(test_cr0_clear_pe_real_mode)
{
	prot_mode();
	ck_assert_int_eq(outcome(cr_write_cr0(v, X86_CR0_ET, &gf)), NO_FAULT);
	ck_assert_uint_eq(cr_guest_cr0(v), X86_CR0_ET);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR0), X86_CR0_ET | X86_CR0_NE);
}
END_TEST

START_TEST(test_long_mode_activation)
{
	prot_mode();
	/* LME set but PAE clear: enabling paging is #GP. */
	vcpu_cache_fill(v, VCPU_EFER, X86_EFER_LME);
	ck_assert_int_eq(outcome(cr_write_cr0(v, CR0_PM | X86_CR0_PG, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE, &gf)), NO_FAULT);
	/* CS.L = 1 while activating: #GP. */
	struct seg_desc cs = *vcpu_get_seg(v, VCPU_CS);
	cs.ar |= 1u << 13;
	vcpu_cache_fill_seg(v, VCPU_CS, &cs);
	ck_assert_int_eq(outcome(cr_write_cr0(v, CR0_PM | X86_CR0_PG, &gf)), FAULT_GP0);
	cs.ar &= ~(1u << 13);
	vcpu_cache_fill_seg(v, VCPU_CS, &cs);
	v->reg_dirty = 0;
	ck_assert_int_eq(outcome(cr_write_cr0(v, CR0_PM | X86_CR0_PG, &gf)), NO_FAULT);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_EFER), X86_EFER_LME | X86_EFER_LMA);
	ck_assert(vcpu_reg_dirty(v, VCPU_EFER));
	ck_assert((v->requests & VCPU_REQ_FLUSH_EPT));
	ck_assert(!v->cr.pdpte_dirty); /* IA-32e paging has no PDPTE registers */
}
END_TEST

START_TEST(test_leave_paging)
{
	long_mode();
	/* In 64-bit mode: #GP. */
	ck_assert_int_eq(outcome(cr_write_cr0(v, CR0_PM, &gf)), FAULT_GP0);
	/* In compatibility mode: IA-32e mode ends, LMA clears. */
	struct seg_desc cs = *vcpu_get_seg(v, VCPU_CS);
	cs.ar &= ~(1u << 13);
	vcpu_cache_fill_seg(v, VCPU_CS, &cs);
	ck_assert_int_eq(outcome(cr_write_cr0(v, CR0_PM, &gf)), NO_FAULT);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_EFER), X86_EFER_LME);
	/* With CR4.PCIDE set, clearing PG is #GP. */
	long_mode();
	vcpu_cache_fill_seg(v, VCPU_CS, &cs);
	cr_set_initial(v, CR0_LM, X86_CR4_PAE | X86_CR4_PCIDE);
	ck_assert_int_eq(outcome(cr_write_cr0(v, CR0_PM, &gf)), FAULT_GP0);
}
END_TEST

static void put_pdptes(uint64_t gpa, const uint64_t e[4])
{
	memcpy(sim_vm_ram(vm->id) + gpa, e, 32);
}

START_TEST(test_pae_pdptes)
{
	prot_mode();
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE, &gf)), NO_FAULT);
	const uint64_t good[4] = { 0x3001, 0x4001, 0, 0x5001 };
	uint64_t bad[4] = { 0x3001, 0x4001 | (1u << 1) /* RW: reserved in a PDPTE */, 0, 0 };
	put_pdptes(0x2000, bad);
	ck_assert_int_eq(outcome(cr_write_cr0(v, CR0_PM | X86_CR0_PG, &gf)), FAULT_GP0);
	ck_assert_uint_eq(cr_guest_cr0(v) & X86_CR0_PG, 0);
	/* A reserved bit in a not-present entry does not matter. */
	bad[1] = 0x4000 | (1u << 1);
	put_pdptes(0x2000, bad);
	ck_assert_int_eq(outcome(cr_write_cr0(v, CR0_PM | X86_CR0_PG, &gf)), NO_FAULT);
	ck_assert(v->cr.pdpte_dirty);
	/* Address bits above MAXPHYADDR (39 on the simulated host) are reserved. */
	uint64_t high[4] = { 0x3001 | (1ull << 40), 0, 0, 0 };
	put_pdptes(0x8000, high);
	ck_assert_int_eq(outcome(cr_write_cr3(v, 0x8000, &gf)), FAULT_GP0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR3), 0x2000);
	/* A PDPTE has no XD bit: bit 63 is reserved too (SDM Vol. 3A Table 4-8). */
	high[0] = 0x3001 | (1ull << 63);
	put_pdptes(0x8000, high);
	ck_assert_int_eq(outcome(cr_write_cr3(v, 0x8000, &gf)), FAULT_GP0);
	put_pdptes(0x8020, good);
	v->cr.pdpte_dirty = false;
	ck_assert_int_eq(outcome(cr_write_cr3(v, 0xffffffff00008020ull, &gf)), NO_FAULT);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR3), 0x8020); /* 32-bit operand */
	ck_assert(v->cr.pdpte_dirty);
	ck_assert_mem_eq(v->cr.pdpte, good, sizeof(good));
	/* PDPTEs outside guest RAM: #GP. */
	ck_assert_int_eq(outcome(cr_write_cr3(v, 0xfffff000u, &gf)), FAULT_GP0);
	/* Changing CR4.PGE in PAE paging reloads them. */
	put_pdptes(0x8020, bad);
	bad[1] |= 1; /* now present with a reserved bit */
	put_pdptes(0x8020, bad);
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_PGE, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_OSFXSR, &gf)), NO_FAULT);
	/*
	 * A MOV to CR0 that changes CD or NW with PAE paging on reloads them too
	 * (SDM Vol. 3A 4.4.1): the present entry with a reserved bit is #GP, CR0
	 * unchanged. One that changes only WP does not load them.
	 */
	ck_assert_int_eq(outcome(cr_write_cr0(v, CR0_PM | X86_CR0_PG | X86_CR0_CD, &gf)), FAULT_GP0);
	ck_assert_uint_eq(cr_guest_cr0(v) & X86_CR0_CD, 0);
	ck_assert_int_eq(outcome(cr_write_cr0(v, CR0_PM | X86_CR0_PG | X86_CR0_WP, &gf)), NO_FAULT);
	put_pdptes(0x8020, good);
	v->cr.pdpte_dirty = false;
	ck_assert_int_eq(outcome(cr_write_cr0(v, CR0_PM | X86_CR0_PG | X86_CR0_WP | X86_CR0_CD | X86_CR0_NW,
					      &gf)), NO_FAULT);
	ck_assert(v->cr.pdpte_dirty);
	ck_assert_mem_eq(v->cr.pdpte, good, sizeof(good));
}
END_TEST

START_TEST(test_cr4_reserved_and_hidden)
{
	long_mode();
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_VMXE, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_SMXE, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | (1ull << 15), &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | (1ull << 32), &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_CET, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_PKS, &gf)), FAULT_GP0);
	/* The simulated host has neither LA57 nor PKU nor UMIP. */
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_LA57, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_PKE, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_UMIP, &gf)), FAULT_GP0);
	ck_assert_uint_eq(v->reg_dirty, 0);
	/* Everything the CPUID shows is accepted; VMXE stays on underneath. */
	uint64_t ok = X86_CR4_PAE | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |
		      X86_CR4_OSXSAVE | X86_CR4_FSGSBASE | X86_CR4_SMEP | X86_CR4_DE | X86_CR4_TSD |
		      X86_CR4_MCE | X86_CR4_PCE | X86_CR4_VME | X86_CR4_PVI | X86_CR4_PSE;
	ck_assert_int_eq(outcome(cr_write_cr4(v, ok, &gf)), NO_FAULT);
	ck_assert_uint_eq(cr_guest_cr4(v), ok);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR4), ok | X86_CR4_VMXE);
	ck_assert((v->requests & VCPU_REQ_FLUSH_EPT));
	/* Leaving IA-32e mode by clearing PAE: #GP. */
	ck_assert_int_eq(outcome(cr_write_cr4(v, ok & ~X86_CR4_PAE, &gf)), FAULT_GP0);
}
END_TEST

START_TEST(test_cr4_la57_fixed_in_long_mode)
{
	const uint32_t l7[4] = { 0, 0x000027ab, CPUID_7_ECX_LA57, 0x9c000000 };
	sim_set_host_cpuid(7, 0, l7);
	tern_init(&hv);
	make_vm();
	long_mode();
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_LA57, &gf)), FAULT_GP0);
	prot_mode();
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_LA57, &gf)), NO_FAULT);
}
END_TEST

START_TEST(test_cr4_pcide_rules)
{
	prot_mode();
	/* Outside IA-32e mode: #GP. */
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PCIDE, &gf)), FAULT_GP0);
	long_mode();
	vcpu_cache_fill(v, VCPU_CR3, 0x1005);
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_PCIDE, &gf)), FAULT_GP0);
	vcpu_cache_fill(v, VCPU_CR3, 0x1000);
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_PCIDE, &gf)), NO_FAULT);
	/* Already set: CR3's PCID bits no longer matter for other CR4 writes. */
	vcpu_cache_fill(v, VCPU_CR3, 0x1005);
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE | X86_CR4_PCIDE | X86_CR4_PGE, &gf)), NO_FAULT);
	/* Clearing PCIDE is allowed. */
	ck_assert_int_eq(outcome(cr_write_cr4(v, X86_CR4_PAE, &gf)), NO_FAULT);
}
END_TEST

START_TEST(test_cr3_long_mode)
{
	long_mode();
	ck_assert_int_eq(outcome(cr_write_cr3(v, 1ull << 39, &gf)), FAULT_GP0);   /* above MAXPHYADDR */
	ck_assert_int_eq(outcome(cr_write_cr3(v, 1ull << 63, &gf)), FAULT_GP0);   /* no PCIDE: reserved */
	ck_assert_int_eq(outcome(cr_write_cr3(v, 0x7ffffff000ull, &gf)), NO_FAULT);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR3), 0x7ffffff000ull);
	ck_assert((v->requests & VCPU_REQ_FLUSH_EPT));
	/* PCIDE: bit 63 asks not to flush and is not stored. */
	cr_set_initial(v, CR0_LM, X86_CR4_PAE | X86_CR4_PCIDE);
	v->requests &= ~VCPU_REQ_FLUSH_EPT;
	ck_assert_int_eq(outcome(cr_write_cr3(v, (1ull << 63) | 0x5000 | 7, &gf)), NO_FAULT);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR3), 0x5007);
	ck_assert(!(v->requests & VCPU_REQ_FLUSH_EPT));
}
END_TEST

START_TEST(test_cr8_and_lmsw)
{
	long_mode();
	ck_assert_int_eq(outcome(cr_write_cr8(v, 0x10, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_cr8(v, 1ull << 63, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_cr8(v, 0xf, &gf)), NO_FAULT);
	ck_assert_uint_eq(vlapic_reg_get(&v->lapic, VLAPIC_TPR), 0xf0); /* CR8 is TPR[7:4] */
	ck_assert_uint_eq(vlapic_cr8_read(&v->lapic), 0xf);
	/* LMSW sets MP/EM/TS and cannot clear PE. */
	ck_assert_int_eq(outcome(cr_lmsw(v, 0xfff0 | X86_CR0_TS | X86_CR0_MP, &gf)), NO_FAULT);
	ck_assert_uint_eq(cr_guest_cr0(v), CR0_LM | X86_CR0_TS | X86_CR0_MP);
	ck_assert_int_eq(outcome(cr_lmsw(v, 0, &gf)), NO_FAULT);
	ck_assert_uint_eq(cr_guest_cr0(v), CR0_LM);
	/* From real mode LMSW can set PE. */
	sim_vcpu_flat_state(v, false, 0);
	cr_set_initial(v, X86_CR0_ET, 0);
	ck_assert_int_eq(outcome(cr_lmsw(v, 1, &gf)), NO_FAULT);
	ck_assert_uint_eq(cr_guest_cr0(v), X86_CR0_ET | X86_CR0_PE);
}
END_TEST

static struct exit_record cr_rec(unsigned cr, unsigned type, unsigned gpr, uint16_t lmsw)
{
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_CR_ACCESS;
	ex.qualification = cr | (type << 4) | (gpr << 8) | ((uint64_t)lmsw << 16);
	ex.instr_len = 3;
	return ex;
}

START_TEST(test_cr_exit_mov_to_and_from)
{
	long_mode();
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
	vcpu_cache_fill(v, VCPU_R12, CR0_LM | X86_CR0_AM);
	struct exit_record ex = cr_rec(0, CR_ACCESS_MOV_TO_CR, VCPU_R12, 0);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(cr_guest_cr0(v), CR0_LM | X86_CR0_AM);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1003);
	/* MOV RSP, CR3 (GPR 4 is RSP). */
	ex = cr_rec(3, CR_ACCESS_MOV_FROM_CR, VCPU_RSP, 0);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RSP), 0x1000);
	ex = cr_rec(8, CR_ACCESS_MOV_FROM_CR, VCPU_RAX, 0);
	unit_set_cr8(v, 9);
	vcpu_handle_exit(v, &ex);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 9);
	ex = cr_rec(4, CR_ACCESS_MOV_FROM_CR, VCPU_RBX, 0);
	vcpu_handle_exit(v, &ex);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RBX), X86_CR4_PAE);
	ex = cr_rec(0, CR_ACCESS_MOV_FROM_CR, VCPU_RBX, 0);
	vcpu_handle_exit(v, &ex);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RBX), CR0_LM | X86_CR0_AM);
	/* CLTS clears TS. */
	vcpu_cache_fill(v, VCPU_CR0, vcpu_get_reg(v, VCPU_CR0) | X86_CR0_TS);
	ex = cr_rec(0, CR_ACCESS_CLTS, 0, 0);
	vcpu_handle_exit(v, &ex);
	ck_assert_uint_eq(cr_guest_cr0(v) & X86_CR0_TS, 0);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR0) & X86_CR0_TS, 0);
	/* LMSW through the exit: source data in bits 31:16. */
	ex = cr_rec(0, CR_ACCESS_LMSW, 0, X86_CR0_EM | X86_CR0_PE);
	vcpu_handle_exit(v, &ex);
	ck_assert_uint_eq(cr_guest_cr0(v) & X86_CR0_EM, X86_CR0_EM);
}
END_TEST

START_TEST(test_cr3_exit_and_pcid_flush)
{
	long_mode();
	cr_set_initial(v, CR0_LM, X86_CR4_PAE | X86_CR4_PCIDE);
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
	vcpu_cache_fill(v, VCPU_RDI, 0x9003);
	v->requests &= ~VCPU_REQ_FLUSH_EPT;
	struct exit_record ex = cr_rec(3, CR_ACCESS_MOV_TO_CR, VCPU_RDI, 0);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR3), 0x9003);
	ck_assert((v->requests & VCPU_REQ_FLUSH_EPT)); /* no bit 63: flush */
	/* 32-bit mode without paging: no PDPTEs, just the value. */
	prot_mode();
	ck_assert_int_eq(outcome(cr_write_cr3(v, 0x123456789ull, &gf)), NO_FAULT);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_CR3), 0x23456789ull);
	ck_assert(!v->cr.pdpte_dirty);
}
END_TEST

START_TEST(test_cr_exit_32bit_operand)
{
	prot_mode();
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
	/* In 32-bit mode bits 63:32 of the GPR are not part of the operand. */
	vcpu_cache_fill(v, VCPU_RDX, 0xdead000000000000ull | X86_CR4_PSE);
	struct exit_record ex = cr_rec(4, CR_ACCESS_MOV_TO_CR, VCPU_RDX, 0);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(cr_guest_cr4(v), X86_CR4_PSE);
	ex = cr_rec(3, CR_ACCESS_MOV_FROM_CR, VCPU_RDX, 0);
	vcpu_cache_fill(v, VCPU_CR3, 0x2000);
	vcpu_handle_exit(v, &ex);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RDX), 0x2000);
}
END_TEST

START_TEST(test_cr_exit_fault_keeps_rip)
{
	long_mode();
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
	vcpu_cache_fill(v, VCPU_RAX, X86_CR4_PAE | X86_CR4_VMXE);
	struct exit_record ex = cr_rec(4, CR_ACCESS_MOV_TO_CR, VCPU_RAX, 0);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.vector, X86_GP);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	ck_assert(!vcpu_reg_dirty(v, VCPU_CR4));
}
END_TEST

START_TEST(test_cr_exit_impossible_register)
{
	const unsigned bad[] = { 1, 2, 5, 6, 7, 9, 15 };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (unsigned dir = 0; dir < 2; dir++) {
			setup();
			long_mode();
			struct exit_record ex = cr_rec(bad[i], dir, VCPU_RAX, 0);
			ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
			ck_assert_uint_eq(vm->stop_cause, VM_STOP_INTERNAL);
			ck_assert(sim_log_contains("impossible qualification"));
		}
	}
}
END_TEST

START_TEST(test_cr8_lowering_delivers)
{
	long_mode();
	vcpu_cache_fill(v, VCPU_RFLAGS, 0x202);
	unit_lapic_enable(v);
	unit_set_cr8(v, 0xf);
	ck_assert_int_eq(vcpu_queue_interrupt(v, 0x41), 0);
	vcpu_cache_fill(v, VCPU_RAX, 3);
	struct exit_record ex = cr_rec(8, CR_ACCESS_MOV_TO_CR, VCPU_RAX, 0);
	vcpu_handle_exit(v, &ex);
	ck_assert_uint_eq(vlapic_reg_get(&v->lapic, VLAPIC_TPR), 0x30);
	ck_assert(v->event.valid);
	ck_assert_uint_eq(v->event.type, INTR_TYPE_EXT_INT);
	ck_assert_uint_eq(v->event.vector, 0x41);
}
END_TEST

START_TEST(test_efer_rules)
{
	prot_mode();
	ck_assert_int_eq(outcome(cr_write_efer(v, 1ull << 1, &gf)), FAULT_GP0);   /* reserved */
	ck_assert_int_eq(outcome(cr_write_efer(v, 1ull << 12, &gf)), FAULT_GP0);  /* SVME: not Intel */
	ck_assert_int_eq(outcome(cr_write_efer(v, X86_EFER_LME | X86_EFER_NXE | X86_EFER_SCE, &gf)), NO_FAULT);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_EFER), X86_EFER_LME | X86_EFER_NXE | X86_EFER_SCE);
	/* LMA cannot be written. */
	ck_assert_int_eq(outcome(cr_write_efer(v, X86_EFER_LME | X86_EFER_LMA, &gf)), NO_FAULT);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_EFER), X86_EFER_LME);
	/* LME cannot change while paging is on. */
	long_mode();
	ck_assert_int_eq(outcome(cr_write_efer(v, X86_EFER_LMA, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_efer(v, X86_EFER_LME | X86_EFER_NXE, &gf)), NO_FAULT);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_EFER), X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE);
	/* Same value: nothing written. */
	v->reg_dirty = 0;
	ck_assert_int_eq(outcome(cr_write_efer(v, X86_EFER_LME | X86_EFER_NXE, &gf)), NO_FAULT);
	ck_assert(!vcpu_reg_dirty(v, VCPU_EFER));
}
END_TEST

START_TEST(test_efer_without_long_mode_cpu)
{
	const uint32_t e1[4] = { 0, 0, 0x21, 0x00000800 }; /* SYSCALL only */
	sim_set_host_cpuid(0x80000001, 0, e1);
	tern_init(&hv);
	make_vm();
	prot_mode();
	ck_assert_int_eq(outcome(cr_write_efer(v, X86_EFER_LME, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_efer(v, X86_EFER_NXE, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_write_efer(v, X86_EFER_SCE, &gf)), NO_FAULT);
}
END_TEST

/* ---- XSETBV ---- */

static void xsave_guest(unsigned cpl)
{
	sim_vcpu_flat_state(v, true, cpl);
	cr_set_initial(v, CR0_LM, X86_CR4_PAE | X86_CR4_OSXSAVE);
	vcpu_cache_fill(v, VCPU_EFER, X86_EFER_LME | X86_EFER_LMA);
	vcpu_cache_fill(v, VCPU_XCR0, 1);
	v->reg_dirty = 0;
}

START_TEST(test_xsetbv_rules)
{
	xsave_guest(0);
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 7, &gf)), NO_FAULT);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_XCR0), 7);
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 3, &gf)), NO_FAULT);
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 1, &gf)), NO_FAULT);
	/* Hostile values. */
	ck_assert_int_eq(outcome(cr_xsetbv(v, 1, 7, &gf)), FAULT_GP0);           /* XCR1 via XSETBV */
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0xffffffffu, 7, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 0, &gf)), FAULT_GP0);           /* x87 must stay */
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 6, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 5, &gf)), FAULT_GP0);           /* AVX without SSE */
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 0x1f, &gf)), FAULT_GP0);        /* MPX: not offered */
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 0xe7, &gf)), FAULT_GP0);        /* AVX-512: host lacks it */
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 1ull << 63 | 7, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 0x60007, &gf)), FAULT_GP0);     /* AMX tiles */
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_XCR0), 1);
	/* CPL 3: #GP; CR4.OSXSAVE clear: #UD (checked first). */
	xsave_guest(3);
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 7, &gf)), FAULT_GP0);
	cr_set_initial(v, CR0_LM, X86_CR4_PAE);
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 7, &gf)), FAULT_UD);
}
END_TEST

START_TEST(test_xsetbv_avx512_all_or_nothing)
{
	const uint32_t d0[4] = { 0x2ff, 0xa88, 0xa88, 0 }; /* x87..Hi16_ZMM, PKRU, MPX */
	sim_set_host_cpuid(0xd, 0, d0);
	tern_init(&hv);
	make_vm();
	ck_assert_uint_eq(vm->cpuid.xcr0_supported, 0x2e7); /* MPX taken out */
	xsave_guest(0);
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 0x27, &gf)), FAULT_GP0);  /* opmask only */
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 0x63, &gf)), FAULT_GP0);  /* without AVX */
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 0xe3, &gf)), FAULT_GP0);
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 0xe7, &gf)), NO_FAULT);
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 0x2e7, &gf)), NO_FAULT);
	ck_assert_int_eq(outcome(cr_xsetbv(v, 0, 0x18 | 7, &gf)), FAULT_GP0);
}
END_TEST

START_TEST(test_xsetbv_exit)
{
	xsave_guest(0);
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
	vcpu_cache_fill(v, VCPU_RCX, 0xffffffff00000000ull); /* ECX = 0 */
	vcpu_cache_fill(v, VCPU_RAX, 0xabcdef0000000007ull); /* EAX = 7 */
	vcpu_cache_fill(v, VCPU_RDX, 0x1234567800000000ull); /* EDX = 0 */
	struct exit_record ex = { .reason = EXIT_REASON_XSETBV, .instr_len = 3 };
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_XCR0), 7);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), 0x1003);
	/* EDX = 1: bit 32 unsupported -> #GP, RIP kept. */
	xsave_guest(0);
	vcpu_cache_fill(v, VCPU_RIP, 0x1000);
	vcpu_cache_fill(v, VCPU_RCX, 0);
	vcpu_cache_fill(v, VCPU_RAX, 7);
	vcpu_cache_fill(v, VCPU_RDX, 1);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert_uint_eq(v->event.vector, X86_GP);
	ck_assert(!vcpu_reg_dirty(v, VCPU_RIP));
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_XCR0), 1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("cr");
	TCase *tc = tcase_create("cr");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_reset_state);
	tcase_add_test(tc, test_initial_state_forces_vmx_bits);
	tcase_add_test(tc, test_adopt_load_state);
	tcase_add_test(tc, test_cr0_reserved_and_combinations);
	tcase_add_test(tc, test_cr0_clear_pe_real_mode);
	tcase_add_test(tc, test_long_mode_activation);
	tcase_add_test(tc, test_leave_paging);
	tcase_add_test(tc, test_pae_pdptes);
	tcase_add_test(tc, test_cr4_reserved_and_hidden);
	tcase_add_test(tc, test_cr4_la57_fixed_in_long_mode);
	tcase_add_test(tc, test_cr4_pcide_rules);
	tcase_add_test(tc, test_cr3_long_mode);
	tcase_add_test(tc, test_cr8_and_lmsw);
	tcase_add_test(tc, test_cr_exit_mov_to_and_from);
	tcase_add_test(tc, test_cr_exit_32bit_operand);
	tcase_add_test(tc, test_cr3_exit_and_pcid_flush);
	tcase_add_test(tc, test_cr_exit_fault_keeps_rip);
	tcase_add_test(tc, test_cr_exit_impossible_register);
	tcase_add_test(tc, test_cr8_lowering_delivers);
	tcase_add_test(tc, test_efer_rules);
	tcase_add_test(tc, test_efer_without_long_mode_cpu);
	tcase_add_test(tc, test_xsetbv_rules);
	tcase_add_test(tc, test_xsetbv_avx512_all_or_nothing);
	tcase_add_test(tc, test_xsetbv_exit);
	suite_add_tcase(s, tc);
	return s;
}
