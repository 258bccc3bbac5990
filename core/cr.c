/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MOV CR, CLTS, LMSW, XSETBV and EFER: every guest write is checked as the
 * CPU would check it; a fault comes back as data (struct guest_fault) with
 * -TERN_EFAULT.
 */
#include "request.h"
#include "cr.h"
#include "cr_qual.h"
#include "err.h"
#include "guest_mem.h"
#include "event.h"
#include "exit_handlers.h"
#include "retire.h"
#include "intr.h"
#include "log.h"
#include "platform.h"
#include "vm.h"
#include "x86.h"

/* CR0.NE and CR4.VMXE are fixed to 1 in VMX operation (SDM Vol. 3C 24.8, A.7/A.8). */
#define CR0_FORCED_ON X86_CR0_NE
#define CR4_FORCED_ON X86_CR4_VMXE
/* Changing these flushes the guest's TLB (SDM Vol. 3A 4.10.4.1). */
#define CR0_FLUSH_BITS (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE | X86_CR0_CD | X86_CR0_NW)
#define CR4_FLUSH_BITS (X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PCIDE | \
			X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_LA57 | X86_CR4_PKE)
/* CR0 and CR4 bits whose change reloads the PDPTEs in PAE paging (SDM Vol. 3A 4.4.1). */
#define CR0_PDPTE_BITS (X86_CR0_CD | X86_CR0_NW | X86_CR0_PG)
#define CR4_PDPTE_BITS (X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE | X86_CR4_SMEP)
/* MOV to CR3 in IA-32e mode with CR4.PCIDE: bit 63 = do not flush (SDM 4.10.4.1). */
#define CR3_NOFLUSH (1ull << 63)
#define CR8_VALID 0xfull
/* XCR0 components, SDM Vol. 1 13.1. */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define XCR0_AVX512 (7ull << 5)   /* opmask, ZMM_Hi256, Hi16_ZMM */

static int gp0(struct guest_fault *f)
{
	guest_fault_gp0(f);
	return -TERN_EFAULT;
}

static int ud(struct guest_fault *f)
{
	guest_fault_ud(f);
	return -TERN_EFAULT;
}

void cr_reset(struct vcpu *vcpu)
{
	struct vcpu_cr *c = &vcpu->cr;
	c->cr0_mask = CR_CR0_MASK;
	c->cr4_mask = CR_CR4_MASK;
	c->cr0_shadow = CR_CR0_RESET;
	c->cr4_shadow = 0;
	c->dirty = true;
	for (unsigned i = 0; i < 4; i++)
		c->pdpte[i] = 0;
	c->pdpte_dirty = false;
}

void cr_set_initial(struct vcpu *vcpu, uint64_t cr0, uint64_t cr4)
{
	vcpu->cr.cr0_shadow = cr0;
	vcpu->cr.cr4_shadow = cr4;
	vcpu->cr.dirty = true;
	vcpu_set_reg(vcpu, VCPU_CR0, cr0 | CR0_FORCED_ON);
	vcpu_set_reg(vcpu, VCPU_CR4, cr4 | CR4_FORCED_ON);
}

void cr_adopt_load_state(struct vcpu *vcpu, uint64_t cr0, uint64_t cr4)
{
	vcpu->cr.cr0_shadow = cr0;
	vcpu->cr.cr4_shadow = cr4;
	vcpu->cr.dirty = true;
	/*
	 * New CR0/CR3/CR4 written into the guest-state area are not a MOV to
	 * CR the CPU executes: nothing invalidates the translations the vCPU's
	 * VPID still caches for the old ones, so the VMM must (SDM Vol. 3C
	 * 29.4.3.3, "Guidelines for Use of the INVVPID Instruction"; 28.3.3.3
	 * in editions before 2023).
	 */
	vcpu_make_request(vcpu, VCPU_REQ_FLUSH_VPID);
}

uint64_t cr_guest_cr0(struct vcpu *vcpu)
{
	const struct vcpu_cr *c = &vcpu->cr;
	return (vcpu_get_reg(vcpu, VCPU_CR0) & ~c->cr0_mask) | (c->cr0_shadow & c->cr0_mask);
}

uint64_t cr_guest_cr4(struct vcpu *vcpu)
{
	const struct vcpu_cr *c = &vcpu->cr;
	if (c->cr4_mask == ~0ull)
		return c->cr4_shadow; /* every bit owned: the running CR4 adds nothing */
	return (vcpu_get_reg(vcpu, VCPU_CR4) & ~c->cr4_mask) | (c->cr4_shadow & c->cr4_mask);
}

static const struct cpuid_policy *policy(struct vcpu *vcpu)
{
	return &vcpu->vm->cpuid;
}

static bool pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & X86_EFER_LMA);
}

/*
 * PAE paging loads the four PDPTEs from CR3 when CR3, CR0.CD/NW/PG or some
 * CR4 bits change; with EPT the CPU does not, so the emulation must (SDM Vol. 3A
 * 4.4.1, Vol. 3C 26.3.2.4). A present entry with reserved bits set is #GP.
 */
static int load_pdptes(struct vcpu *vcpu, uint64_t cr3, struct guest_fault *f)
{
	uint64_t e[4];
	uint64_t above = ~0ull << policy(vcpu)->maxphyaddr;
	/* Bits 2:1 and 8:5 are reserved in a PDPTE (SDM Vol. 3A Table 4-8). */
	const uint64_t rsvd = 0x1e6ull | above;

	if (gmem_read(vcpu->vm, cr3 & 0xffffffe0ull, e, sizeof(e)))
		return gp0(f); /* not RAM: reads as all ones, reserved bits set */
	for (unsigned i = 0; i < 4; i++)
		if ((e[i] & 1u) && (e[i] & rsvd))
			return gp0(f);
	for (unsigned i = 0; i < 4; i++)
		vcpu->cr.pdpte[i] = e[i];
	vcpu->cr.pdpte_dirty = true;
	return 0;
}

int cr_load_state_pdptes(struct vcpu *vcpu, uint64_t cr0, uint64_t cr3, uint64_t cr4,
			 uint64_t efer)
{
	struct guest_fault f;
	if (!pae_paging(cr0, cr4, efer))
		return 0;
	return load_pdptes(vcpu, cr3, &f) ? -TERN_EINVAL : 0;
}

static void set_cr0(struct vcpu *vcpu, uint64_t value)
{
	vcpu->cr.cr0_shadow = value;
	vcpu->cr.dirty = true;
	vcpu_set_reg(vcpu, VCPU_CR0, value | CR0_FORCED_ON);
}

int cr_write_cr0(struct vcpu *vcpu, uint64_t value, struct guest_fault *f)
{
	uint64_t old = cr_guest_cr0(vcpu);
	uint64_t cr4 = cr_guest_cr4(vcpu);
	uint64_t efer = vcpu_get_reg(vcpu, VCPU_EFER);

	/* SDM Vol. 2B MOV CR: bits 63:32 are reserved, #GP(0). */
	if (value >> 32)
		return gp0(f);
	/* Reserved bits 31:0 are ignored; ET is hardwired to 1 (SDM Vol. 3A 2.5). */
	value = (value & X86_CR0_DEFINED) | X86_CR0_ET;
	if ((value & X86_CR0_NW) && !(value & X86_CR0_CD))
		return gp0(f); /* NW without CD */
	if ((value & X86_CR0_PG) && !(value & X86_CR0_PE))
		return gp0(f); /* PG without PE */

	uint64_t new_efer = efer;
	if (!(old & X86_CR0_PG) && (value & X86_CR0_PG) && (efer & X86_EFER_LME)) {
		/* Activating IA-32e mode (SDM Vol. 3A 9.8.5): PAE required, CS.L must be 0. */
		if (!(cr4 & X86_CR4_PAE))
			return gp0(f);
		if (seg_ar_l(vcpu_get_seg(vcpu, VCPU_CS)->ar))
			return gp0(f);
		new_efer |= X86_EFER_LMA;
	}
	if ((old & X86_CR0_PG) && !(value & X86_CR0_PG)) {
		/* Paging cannot be turned off in 64-bit mode; compatibility mode leaves IA-32e. */
		if (vcpu_long_mode_64(vcpu))
			return gp0(f);
		if (cr4 & X86_CR4_PCIDE)
			return gp0(f); /* SDM Vol. 2B MOV CR: PG=0 with PCIDE=1 */
		new_efer &= ~X86_EFER_LMA;
	}
	/* SDM Vol. 3A 4.4.1: with PAE paging afterwards, a change of CD, NW or PG loads them. */
	if (pae_paging(value, cr4, new_efer) && ((old ^ value) & CR0_PDPTE_BITS)) {
		int rc = load_pdptes(vcpu, vcpu_get_reg(vcpu, VCPU_CR3), f);
		if (rc)
			return rc;
	}
	if (new_efer != efer)
		vcpu_set_reg(vcpu, VCPU_EFER, new_efer);
	set_cr0(vcpu, value);
	if ((old ^ value) & CR0_FLUSH_BITS)
		vcpu_make_request(vcpu, VCPU_REQ_FLUSH_EPT);
	return 0;
}

int cr_write_cr4(struct vcpu *vcpu, uint64_t value, struct guest_fault *f)
{
	uint64_t old = cr_guest_cr4(vcpu);
	uint64_t efer = vcpu_get_reg(vcpu, VCPU_EFER);
	bool lma = (efer & X86_EFER_LMA) != 0;

	/* Bits the VM's CPUID does not enumerate are reserved; VMXE and SMXE always are. */
	if (value & ~policy(vcpu)->cr4_valid)
		return gp0(f);
	if (lma && !(value & X86_CR4_PAE))
		return gp0(f); /* cannot leave IA-32e mode by clearing PAE */
	if (lma && ((old ^ value) & X86_CR4_LA57))
		return gp0(f); /* LA57 is fixed while in IA-32e mode */
	if ((value & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE)) {
		/* SDM Vol. 3A 4.10.1: PCIDE needs IA-32e mode and CR3[11:0] = 0. */
		if (!lma || (vcpu_get_reg(vcpu, VCPU_CR3) & 0xfffu))
			return gp0(f);
	}
	uint64_t cr0 = cr_guest_cr0(vcpu);
	if (pae_paging(cr0, value, efer) && ((old ^ value) & CR4_PDPTE_BITS)) {
		int rc = load_pdptes(vcpu, vcpu_get_reg(vcpu, VCPU_CR3), f);
		if (rc)
			return rc;
	}
	vcpu->cr.cr4_shadow = value;
	vcpu->cr.dirty = true;
	vcpu_set_reg(vcpu, VCPU_CR4, value | CR4_FORCED_ON);
	if ((old ^ value) & CR4_FLUSH_BITS)
		vcpu_make_request(vcpu, VCPU_REQ_FLUSH_EPT);
	return 0;
}

int cr_write_cr3(struct vcpu *vcpu, uint64_t value, struct guest_fault *f)
{
	uint64_t efer = vcpu_get_reg(vcpu, VCPU_EFER);
	uint64_t cr4 = cr_guest_cr4(vcpu);
	bool flush = true;

	if (efer & X86_EFER_LMA) {
		if ((cr4 & X86_CR4_PCIDE) && (value & CR3_NOFLUSH)) {
			value &= ~CR3_NOFLUSH;
			flush = false;
		}
		/* Bits above MAXPHYADDR are reserved (SDM Vol. 3A 4.5.2). */
		if (value >> policy(vcpu)->maxphyaddr)
			return gp0(f);
	} else {
		value &= 0xffffffffull;
		if (pae_paging(cr_guest_cr0(vcpu), cr4, efer)) {
			int rc = load_pdptes(vcpu, value, f);
			if (rc)
				return rc;
		}
	}
	vcpu_set_reg(vcpu, VCPU_CR3, value);
	if (flush)
		vcpu_make_request(vcpu, VCPU_REQ_FLUSH_EPT);
	return 0;
}

int cr_write_cr8(struct vcpu *vcpu, uint64_t value, struct guest_fault *f)
{
	/* SDM Vol. 3A 10.8.6.1: CR8[63:4] are reserved. */
	if (value & ~CR8_VALID)
		return gp0(f);
	/* CR8 is the vLAPIC's TPR[7:4] (SDM 10.8.6.1). */
	vlapic_cr8_write(&vcpu->lapic, value);
	return 0;
}

int cr_lmsw(struct vcpu *vcpu, uint16_t source, struct guest_fault *f)
{
	/* LMSW loads PE, MP, EM, TS; it can set PE but never clear it. */
	uint64_t cr0 = cr_guest_cr0(vcpu);
	uint64_t value = (cr0 & ~0xeull) | (source & 0xfu) | (cr0 & X86_CR0_PE);
	return cr_write_cr0(vcpu, value, f);
}

int cr_write_efer(struct vcpu *vcpu, uint64_t value, struct guest_fault *f)
{
	uint64_t efer = vcpu_get_reg(vcpu, VCPU_EFER);

	if (value & ~policy(vcpu)->efer_valid)
		return gp0(f);
	/* SDM Vol. 3A 9.8.5: LME cannot change while paging is on. */
	if ((cr_guest_cr0(vcpu) & X86_CR0_PG) && ((value ^ efer) & X86_EFER_LME))
		return gp0(f);
	/* LMA is set by the processor, not by WRMSR: the write keeps the current LMA. */
	value = (value & ~X86_EFER_LMA) | (efer & X86_EFER_LMA);
	if (value != efer)
		vcpu_set_reg(vcpu, VCPU_EFER, value);
	return 0;
}

int cr_xsetbv(struct vcpu *vcpu, uint32_t index, uint64_t value, struct guest_fault *f)
{
	/* SDM Vol. 2C XSETBV: #UD without CR4.OSXSAVE; #GP at CPL > 0, for ECX != 0, ... */
	if (!(cr_guest_cr4(vcpu) & X86_CR4_OSXSAVE))
		return ud(f);
	if (vcpu_cpl(vcpu) != 0 || index != 0)
		return gp0(f);
	/* ... for bits the VM does not support, and for invalid combinations (Vol. 1 13.3). */
	if (value & ~policy(vcpu)->xcr0_supported)
		return gp0(f);
	if (!(value & XCR0_X87))
		return gp0(f);
	if ((value & XCR0_AVX) && !(value & XCR0_SSE))
		return gp0(f);
	/* BNDREGS/BNDCSR (MPX) must be set together; MPX is never offered, so the mask refused them. */
	if ((value & XCR0_AVX512) && ((value & XCR0_AVX512) != XCR0_AVX512 || !(value & XCR0_AVX)))
		return gp0(f);
	vcpu_set_reg(vcpu, VCPU_XCR0, value);
	return 0;
}

/* ---- exit handlers ---- */

static uint64_t gpr_read(struct vcpu *vcpu, unsigned gpr)
{
	uint64_t v = vcpu_get_reg(vcpu, (enum vcpu_reg)gpr);
	/* Outside 64-bit mode MOV CR takes a 32-bit operand. */
	return vcpu_long_mode_64(vcpu) ? v : (v & 0xffffffffull);
}

static void gpr_write(struct vcpu *vcpu, unsigned gpr, uint64_t v)
{
	vcpu_set_reg(vcpu, (enum vcpu_reg)gpr, vcpu_long_mode_64(vcpu) ? v : (v & 0xffffffffull));
}

static enum exit_action corrupt(struct vcpu *vcpu, const struct exit_record *ex)
{
	/* The CPU raises #UD before the exit for CR1, CR5-7, CR9-15 (SDM 26.1.1). */
	log_err("vm%u vcpu%u: CR-access exit with impossible qualification 0x%llx", vcpu->vm->id,
		vcpu->id, (unsigned long long)ex->qualification);
	vm_stop(vcpu->vm, VM_STOP_INTERNAL, (uint32_t)ex->qualification);
	return EXIT_ACTION_STOP;
}

/* Control-register access exit (SDM Vol. 3C 26.1.3, Table 28-3). */
enum exit_action cr_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint64_t q = ex->qualification;
	unsigned cr = cr_qual_cr(q);
	struct guest_fault f = { 0 };
	int rc = 0;

	switch (cr_qual_access(q)) {
	case CR_ACCESS_MOV_TO_CR: {
		uint64_t v = gpr_read(vcpu, cr_qual_gpr(q));
		if (cr == 0)
			rc = cr_write_cr0(vcpu, v, &f);
		else if (cr == 3)
			rc = cr_write_cr3(vcpu, v, &f);
		else if (cr == 4)
			rc = cr_write_cr4(vcpu, v, &f);
		else if (cr == 8)
			rc = cr_write_cr8(vcpu, v, &f);
		else
			return corrupt(vcpu, ex);
		break;
	}
	case CR_ACCESS_MOV_FROM_CR: {
		uint64_t v;
		if (cr == 0)
			v = cr_guest_cr0(vcpu);
		else if (cr == 3)
			v = vcpu_get_reg(vcpu, VCPU_CR3);
		else if (cr == 4)
			v = cr_guest_cr4(vcpu);
		else if (cr == 8)
			v = vlapic_cr8_read(&vcpu->lapic);
		else
			return corrupt(vcpu, ex);
		gpr_write(vcpu, cr_qual_gpr(q), v);
		break;
	}
	case CR_ACCESS_CLTS:
		rc = cr_write_cr0(vcpu, cr_guest_cr0(vcpu) & ~X86_CR0_TS, &f);
		break;
	case CR_ACCESS_LMSW:
	default:
		rc = cr_lmsw(vcpu, cr_qual_lmsw_data(q), &f);
		break;
	}
	if (rc)
		return (enum exit_action)event_reflect(vcpu, &f);
	vcpu_retire_insn(vcpu, ex->instr_len);
	/* A lower TPR may let a pending interrupt through. */
	if (cr == 8)
		intr_inject_pending(vcpu);
	return EXIT_ACTION_RESUME;
}

/* XSETBV exit (SDM Vol. 3C 26.1.2: XSETBV always exits). */
enum exit_action xsetbv_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint32_t index = (uint32_t)vcpu_get_reg(vcpu, VCPU_RCX);
	uint64_t value = (vcpu_get_reg(vcpu, VCPU_RDX) << 32) |
			 (vcpu_get_reg(vcpu, VCPU_RAX) & 0xffffffffull);
	struct guest_fault f = { 0 };
	if (cr_xsetbv(vcpu, index, value, &f))
		return (enum exit_action)event_reflect(vcpu, &f);
	vcpu_retire_insn(vcpu, ex->instr_len);
	return EXIT_ACTION_RESUME;
}
