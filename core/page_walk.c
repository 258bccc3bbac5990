/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest page walk, Intel SDM Vol. 3A chapter 4.
 *
 * One loop serves all four paging modes: a mode is described by its number
 * of levels, its entry size, and which levels may map a page. Rights are
 * accumulated over the levels as 4.6 prescribes (an access is allowed only
 * when every entry allows it), then checked once at the leaf.
 */
#include "page_walk.h"
#include "platform.h"
#include "err.h"
#include "guest_mem.h"
#include "vm.h"

#define PW_MAX_LEVELS 5

/*
 * The guest's physical-address width: CPUID.80000008H:EAX[7:0] as the VM's
 * CPUID policy reports it, 36 when the policy has no such leaf (SDM 4.1.4).
 */
static unsigned guest_maxphyaddr(const struct vm *vm)
{
	/* The policy's indexed lookup: this runs on every emulated MMIO access. */
	const struct cpuid_entry *e = cpuid_find(&vm->cpuid, 0x80000008u, 0);
	unsigned w = e && e->leaf == 0x80000008u ? e->regs[0] & 0xffu : 36;
	return (w < 32 || w > 52) ? 52 : w;
}

void pw_regs_from_vcpu(struct vcpu *vcpu, struct pw_regs *out)
{
	out->cr0 = vcpu_get_reg(vcpu, VCPU_CR0);
	out->cr3 = vcpu_get_reg(vcpu, VCPU_CR3);
	out->cr4 = vcpu_get_reg(vcpu, VCPU_CR4);
	out->efer = vcpu_get_reg(vcpu, VCPU_EFER);
	out->rflags = vcpu_get_reg(vcpu, VCPU_RFLAGS);
	out->cpl = vcpu_cpl(vcpu);
	out->pkru = 0;
	out->pkrs = 0;
	out->maxphyaddr = guest_maxphyaddr(vcpu->vm);
}

enum pw_mode pw_mode_of(const struct pw_regs *r)
{
	/* SDM 4.1.1, Table 4-1. */
	if (!(r->cr0 & X86_CR0_PG))
		return PW_MODE_NONE;
	if (!(r->cr4 & X86_CR4_PAE))
		return PW_MODE_32BIT;
	if (!(r->efer & X86_EFER_LMA))
		return PW_MODE_PAE;
	return (r->cr4 & X86_CR4_LA57) ? PW_MODE_5LEVEL : PW_MODE_4LEVEL;
}

/* Bits M-1:12 of an 8-byte entry: the physical-address field. */
static uint64_t addr_mask(unsigned maxphy)
{
	return ((1ull << maxphy) - 1) & ~0xfffull;
}

/* Bits 51:M (or 62:M, 63:M) reserved in 8-byte entries. */
static uint64_t bits_above(unsigned maxphy, unsigned top)
{
	if (maxphy > top)
		return 0;
	return (((1ull << top) << 1) - 1) & ~((1ull << maxphy) - 1);
}

#define PW_AD_RETRIES 4u

struct pw_level {
	uint64_t entry_gpa;
	uint64_t entry;
	unsigned size;       /* entry size in bytes */
	bool has_a;          /* PAE PDPTEs have no accessed flag (4.4.1) */
};

static int read_entry(struct vm *vm, uint64_t gpa, unsigned size, uint64_t *e)
{
	uint32_t v32;

	if (size == 4) {
		if (gmem_read(vm, gpa, &v32, 4) != 0)
			return -TERN_EIO;
		*e = v32;
		return 0;
	}
	if (gmem_read(vm, gpa, e, 8) != 0)
		return -TERN_EIO;
	return 0;
}

/*
 * Set A/D bits as the processor does: a locked update of the entry it read
 * (SDM Vol. 3A 4.8), so that a change another vCPU made in between is never
 * overwritten. -TERN_EAGAIN when the entry changed (the walk starts again),
 * -TERN_EACCES when the EPT write-protects the paging structure (f says
 * where: the walk's write becomes a WP IOREQ, as the CPU's would).
 */
static int write_entry(struct vm *vm, const struct pw_level *l, uint64_t want, struct guest_fault *f)
{
	uint64_t expected = l->entry;
	int rc = gmem_cmpxchg(vm, l->entry_gpa, l->size, &expected, want, &f->wp_gpa);
	if (rc == -TERN_EACCES)
		f->wp = true;
	return rc == 0 || rc == -TERN_EAGAIN || rc == -TERN_EACCES ? rc : -TERN_EIO;
}

/* The rights that apply to the translation, gathered over the levels. */
struct pw_rights {
	bool user;      /* U/S = 1 in every entry: a user-mode address */
	bool write;     /* R/W = 1 in every entry */
	bool nx;        /* XD = 1 in some entry (with EFER.NXE = 1) */
};

static uint32_t base_error_code(const struct pw_regs *r, unsigned acc, bool user_access)
{
	uint32_t ec = 0;

	if (acc & PW_ACC_WRITE)
		ec |= PF_EC_W;
	if (user_access)
		ec |= PF_EC_U;
	/* I/D: fetch and (SMEP, or PAE-format entries with NXE), SDM 4.7. */
	if ((acc & PW_ACC_FETCH) &&
	    ((r->cr4 & X86_CR4_SMEP) || ((r->cr4 & X86_CR4_PAE) && (r->efer & X86_EFER_NXE))))
		ec |= PF_EC_ID;
	return ec;
}

/*
 * The access-rights rules of SDM 4.6.1 (and 4.6.2 for protection keys).
 * Returns 0 when allowed, else the P-set error code bits to add.
 */
static uint32_t check_rights(const struct pw_regs *r, enum pw_mode mode, unsigned acc,
			     bool user_access, const struct pw_rights *rt, uint64_t leaf)
{
	bool wp = (r->cr0 & X86_CR0_WP) != 0;
	bool is_write = (acc & PW_ACC_WRITE) != 0;
	uint32_t bad = 0;

	if (acc & PW_ACC_FETCH) {
		if (rt->nx)
			bad = PF_EC_P;
		if (user_access && !rt->user)
			bad = PF_EC_P;
		if (!user_access && rt->user && (r->cr4 & X86_CR4_SMEP))
			bad = PF_EC_P;
		return bad;
	}

	if (user_access) {
		if (!rt->user || (is_write && !rt->write))
			bad = PF_EC_P;
	} else {
		/* SMAP: implicit accesses always, explicit ones when EFLAGS.AC = 0. */
		if (rt->user && (r->cr4 & X86_CR4_SMAP) &&
		    ((acc & PW_ACC_IMPLICIT) || !(r->rflags & X86_RFLAGS_AC)))
			bad = PF_EC_P;
		if (is_write && !rt->write && wp)
			bad = PF_EC_P;
	}

	/* Protection keys apply to data accesses with IA-32e paging only. */
	if (mode == PW_MODE_4LEVEL || mode == PW_MODE_5LEVEL) {
		uint32_t rights = 0;
		bool keyed = false;

		if (rt->user && (r->cr4 & X86_CR4_PKE)) {
			rights = r->pkru;
			keyed = true;
		} else if (!rt->user && (r->cr4 & X86_CR4_PKS)) {
			rights = r->pkrs;
			keyed = true;
		}
		if (keyed) {
			unsigned k = pte_pkey(leaf);
			bool ad = (rights >> (2 * k)) & 1u;
			bool wd = (rights >> (2 * k + 1)) & 1u;

			if (ad || (wd && is_write && (user_access || wp)))
				bad |= PF_EC_P | PF_EC_PK;
		}
	}
	return bad;
}

static int walk_once(struct vm *vm, const struct pw_regs *r, uint64_t la, unsigned acc,
		     uint64_t *gpa, struct guest_fault *f)
{
	enum pw_mode mode = pw_mode_of(r);
	bool user_access = r->cpl == 3 && !(acc & PW_ACC_IMPLICIT);
	bool nxe = (r->efer & X86_EFER_NXE) != 0;
	struct pw_level lv[PW_MAX_LEVELS];
	struct pw_rights rt = { .user = true, .write = true, .nx = false };
	unsigned nlv = 0, maxphy = r->maxphyaddr;
	uint64_t amask = addr_mask(maxphy);
	uint64_t table, pa = 0, leaf = 0;
	unsigned levels, shift, idx_bits, esize;
	uint32_t ec = base_error_code(r, acc, user_access);
	int rc;

	switch (mode) {
	case PW_MODE_NONE:
		/* Without paging linear addresses are 32 bits wide (SDM 4.1.1). */
		*gpa = la & 0xffffffffull;
		return 0;
	case PW_MODE_32BIT:
		levels = 2; shift = 22; idx_bits = 10; esize = 4;
		table = r->cr3 & 0xfffff000ull;
		break;
	case PW_MODE_PAE: {
		/*
		 * SDM 4.4.1: the four PDPTEs at CR3[31:5]. The CPU caches them at
		 * MOV to CR3; Tern reads them from memory, which differs only for
		 * a guest that rewrote them without reloading CR3.
		 */
		uint64_t pdpte_gpa = (r->cr3 & 0xffffffe0ull) + 8 * ((la >> 30) & 3);
		uint64_t e;

		la &= 0xffffffffull;
		if ((rc = read_entry(vm, pdpte_gpa, 8, &e)) != 0)
			return rc;
		if (!(e & PTE_P))
			goto not_present;
		/* Bits 2:1, 8:5 and 63:M are reserved in a PDPTE (Table 4-8). */
		if (e & (0x6ull | 0x1e0ull | bits_above(maxphy, 63)))
			goto reserved;
		lv[nlv++] = (struct pw_level){ pdpte_gpa, e, 8, false };
		levels = 2; shift = 21; idx_bits = 9; esize = 8;
		table = e & amask;
		break;
	}
	case PW_MODE_4LEVEL:
		levels = 4; shift = 39; idx_bits = 9; esize = 8;
		table = r->cr3 & amask;
		break;
	case PW_MODE_5LEVEL:
	default:
		levels = 5; shift = 48; idx_bits = 9; esize = 8;
		table = r->cr3 & amask;
		break;
	}

	for (unsigned l = levels; l >= 1; l--, shift -= idx_bits) {
		uint64_t idx = (la >> shift) & ((1ull << idx_bits) - 1);
		uint64_t egpa = table + idx * esize;
		uint64_t e, rsvd = 0;
		bool large = false;

		if ((rc = read_entry(vm, egpa, esize, &e)) != 0)
			return rc;
		if (!(e & PTE_P))
			goto not_present;

		if (mode == PW_MODE_32BIT) {
			/* 4-MByte page when CR4.PSE = 1 (SDM 4.3, Table 4-4). */
			if (l == 2 && (e & PTE_PS) && (r->cr4 & X86_CR4_PSE)) {
				unsigned m = maxphy < 40 ? maxphy : 40;

				large = true;
				/* Bit 21 and PA bits 39:M (entry bits 20:13+M-32). */
				rsvd = 1ull << 21;
				if (m < 40)
					rsvd |= ((1ull << 21) - 1) & ~((1ull << (13 + m - 32)) - 1);
			}
		} else {
			/*
			 * PAE: bits 62:M reserved (Tables 4-9..4-11); IA-32e:
			 * bits 51:M (Tables 4-15..4-20). XD is reserved without
			 * NXE. PS is reserved in PML5Es and PML4Es.
			 */
			rsvd = bits_above(maxphy, mode == PW_MODE_PAE ? 62 : 51);
			if (!nxe)
				rsvd |= PTE_XD;
			if (l >= 4 && (e & PTE_PS))
				goto reserved;
			if ((l == 2 || l == 3) && (e & PTE_PS)) {
				large = true;
				/* Bits 20:13 (2 MB) or 29:13 (1 GB) must be 0. */
				rsvd |= ((1ull << (l == 2 ? 21 : 30)) - 1) & ~0x1fffull;
			}
		}
		if (e & rsvd)
			goto reserved;

		rt.user = rt.user && (e & PTE_US);
		rt.write = rt.write && (e & PTE_RW);
		if (nxe && (e & PTE_XD))
			rt.nx = true;
		lv[nlv++] = (struct pw_level){ egpa, e, esize, true };

		if (large || l == 1) {
			uint64_t off_mask = (1ull << shift) - 1;

			leaf = e;
			if (mode == PW_MODE_32BIT) {
				if (large)   /* PSE-36: bits 20:13 are PA bits 39:32 */
					pa = (e & 0xffc00000ull) | (((e >> 13) & 0xffull) << 32);
				else
					pa = e & 0xfffff000ull;
			} else {
				pa = e & amask & ~off_mask;
			}
			pa |= la & off_mask;
			break;
		}
		table = (mode == PW_MODE_32BIT) ? (e & 0xfffff000ull) : (e & amask);
	}

	{
		uint32_t bad = check_rights(r, mode, acc, user_access, &rt, leaf);

		if (bad) {
			guest_fault_pf(f, ec | bad, la);
			return -TERN_EFAULT;
		}
	}

	/* SDM 4.8: set A in every entry used, D in the leaf on a write. */
	if (!(acc & PW_ACC_PROBE)) {
		for (unsigned i = 0; i < nlv; i++) {
			uint64_t want = lv[i].entry;

			if (lv[i].has_a)
				want |= PTE_A;
			if (i == nlv - 1 && (acc & PW_ACC_WRITE))
				want |= PTE_D;
			if (want != lv[i].entry && (rc = write_entry(vm, &lv[i], want, f)) != 0)
				return rc;
		}
	}
	*gpa = pa;
	return 0;

not_present:
	guest_fault_pf(f, ec, la);
	return -TERN_EFAULT;
reserved:
	guest_fault_pf(f, ec | PF_EC_P | PF_EC_RSVD, la);
	return -TERN_EFAULT;
}

int pw_translate(struct vm *vm, const struct pw_regs *r, uint64_t la, unsigned acc,
		 uint64_t *gpa, struct guest_fault *f)
{
	int rc = -TERN_EAGAIN;
	f->wp = false;
	/* An entry that changed under the A/D update: walk again, as the CPU
	 * does; a guest that keeps rewriting it gets an error, not a hang. */
	for (unsigned i = 0; i < PW_AD_RETRIES && rc == -TERN_EAGAIN; i++)
		rc = walk_once(vm, r, la, acc, gpa, f);
	return rc == -TERN_EAGAIN ? -TERN_EIO : rc;
}
