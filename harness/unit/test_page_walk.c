/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest page walk against hand-built page tables in the simulator's guest
 * RAM: every paging mode and page size, every access-rights rule and fault
 * cause of SDM Vol. 3A 4.6/4.7, and the A/D updates of 4.8.
 */
#include <string.h>
#include "unit.h"
#include "err.h"
#include "page_walk.h"
#include "sim.h"
#include "vm.h"

#define RAM_SIZE (16u << 20)

static struct tern hv;
static struct vm *vm;
static uint8_t *ram;

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	vm = sim_create_vm(&hv, "pw", 1, false, RAM_SIZE);
	ck_assert_ptr_nonnull(vm);
	ram = sim_vm_ram(vm->id);
}

static void put64(uint64_t gpa, uint64_t v) { memcpy(ram + gpa, &v, 8); }
static void put32(uint64_t gpa, uint32_t v) { memcpy(ram + gpa, &v, 4); }
static uint64_t get64(uint64_t gpa) { uint64_t v; memcpy(&v, ram + gpa, 8); return v; }
static uint32_t get32(uint64_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }

#define P PTE_P
#define RW PTE_RW
#define US PTE_US
#define PRWU (PTE_P | PTE_RW | PTE_US)

static struct pw_regs regs_4level(void)
{
	struct pw_regs r = {
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
		.cr3 = 0x1000,
		.cr4 = X86_CR4_PAE,
		.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE,
		.rflags = 2,
		.cpl = 0,
		.maxphyaddr = 39,
	};
	return r;
}

/* LA 0x7f80_0040_3123 -> PML4[255] PDPT[1] PD[1] PT[3] -> 0x200123 (4-level). */
#define LA4 0x00007f8040203123ull
static void map_4k_4level(uint64_t leaf_flags, uint64_t upper_flags)
{
	put64(0x1000 + 255 * 8, 0x2000 | upper_flags);
	put64(0x2000 + 1 * 8, 0x3000 | upper_flags);
	put64(0x3000 + 1 * 8, 0x4000 | upper_flags);
	put64(0x4000 + 3 * 8, 0x200000 | leaf_flags);
}

static int walk(const struct pw_regs *r, uint64_t la, unsigned acc, uint64_t *gpa,
		struct guest_fault *f)
{
	memset(f, 0, sizeof(*f));
	*gpa = ~0ull;
	return pw_translate(vm, r, la, acc, gpa, f);
}

static void expect_pf(const struct pw_regs *r, uint64_t la, unsigned acc, uint32_t ec)
{
	struct guest_fault f;
	uint64_t gpa;
	ck_assert_int_eq(walk(r, la, acc, &gpa, &f), -TERN_EFAULT);
	ck_assert(f.valid);
	ck_assert_uint_eq(f.vector, 14);
	ck_assert(f.has_error);
	ck_assert_uint_eq(f.error_code, ec);
	ck_assert_uint_eq(f.cr2, la);
}

static void expect_ok(const struct pw_regs *r, uint64_t la, unsigned acc, uint64_t want)
{
	struct guest_fault f;
	uint64_t gpa;
	ck_assert_int_eq(walk(r, la, acc, &gpa, &f), 0);
	ck_assert(!f.valid);
	ck_assert_uint_eq(gpa, want);
}

START_TEST(four_level_4k_and_ad_bits)
{
	struct pw_regs r = regs_4level();
	map_4k_4level(P | RW, P | RW);
	expect_ok(&r, LA4, PW_ACC_READ, 0x200123);
	/* A set in every level, D not set by a read (SDM 4.8). */
	ck_assert_uint_eq(get64(0x1000 + 255 * 8), 0x2000 | P | RW | PTE_A);
	ck_assert_uint_eq(get64(0x2000 + 8), 0x3000 | P | RW | PTE_A);
	ck_assert_uint_eq(get64(0x3000 + 8), 0x4000 | P | RW | PTE_A);
	ck_assert_uint_eq(get64(0x4000 + 24), 0x200000 | P | RW | PTE_A);
	expect_ok(&r, LA4, PW_ACC_WRITE, 0x200123);
	ck_assert_uint_eq(get64(0x4000 + 24), 0x200000 | P | RW | PTE_A | PTE_D);
	/* D only in the leaf. */
	ck_assert_uint_eq(get64(0x3000 + 8), 0x4000 | P | RW | PTE_A);
}
END_TEST

START_TEST(probe_and_fault_leave_ad_alone)
{
	struct pw_regs r = regs_4level();
	map_4k_4level(P, P | RW);   /* read-only leaf */
	expect_ok(&r, LA4, PW_ACC_READ | PW_ACC_PROBE, 0x200123);
	ck_assert_uint_eq(get64(0x4000 + 24), 0x200000 | P);
	ck_assert_uint_eq(get64(0x1000 + 255 * 8), 0x2000 | P | RW);
	expect_pf(&r, LA4, PW_ACC_WRITE, PF_EC_P | PF_EC_W);
	ck_assert_uint_eq(get64(0x4000 + 24), 0x200000 | P);
	ck_assert_uint_eq(get64(0x1000 + 255 * 8), 0x2000 | P | RW);
}
END_TEST

START_TEST(large_pages_4level)
{
	struct pw_regs r = regs_4level();
	/* 2 MiB: PD entry with PS. */
	put64(0x1000, 0x2000 | P | RW);
	put64(0x2000, 0x3000 | P | RW);
	put64(0x3000 + 8 * 3, 0x600000 | P | RW | PTE_PS);
	expect_ok(&r, 0x612345, PW_ACC_WRITE, 0x612345);
	ck_assert_uint_eq(get64(0x3000 + 24), 0x600000 | P | RW | PTE_PS | PTE_A | PTE_D);
	/* 1 GiB: PDPT entry with PS. */
	put64(0x2000 + 8 * 2, 0x40000000 | P | RW | PTE_PS);
	expect_ok(&r, 0x80000000ull + 0x1234567, PW_ACC_READ, 0x40000000ull + 0x1234567);
	/* Reserved bits 29:13 of a 1 GiB entry, 20:13 of a 2 MiB entry. */
	put64(0x2000 + 8 * 2, 0x40000000 | (1ull << 13) | P | RW | PTE_PS);
	expect_pf(&r, 0x80000000ull, PW_ACC_READ, PF_EC_P | PF_EC_RSVD);
	put64(0x3000 + 8 * 3, 0x600000 | (1ull << 20) | P | RW | PTE_PS);
	expect_pf(&r, 0x600000, PW_ACC_WRITE, PF_EC_P | PF_EC_RSVD | PF_EC_W);
}
END_TEST

START_TEST(five_level)
{
	struct pw_regs r = regs_4level();
	r.cr4 |= X86_CR4_LA57;
	r.cr3 = 0x5000;
	/* LA with PML5 index 3: bits 56:48. 57-bit canonical: bit 56 = 0. */
	uint64_t la = (3ull << 48) | LA4;
	put64(0x5000 + 3 * 8, 0x1000 | P | RW);
	map_4k_4level(P | RW, P | RW);
	expect_ok(&r, la, PW_ACC_READ, 0x200123);
	ck_assert_uint_eq(get64(0x5000 + 24), 0x1000 | P | RW | PTE_A);
	/* PS is reserved in a PML5E and a PML4E. */
	put64(0x5000 + 3 * 8, 0x1000 | P | RW | PTE_PS);
	expect_pf(&r, la, PW_ACC_READ, PF_EC_P | PF_EC_RSVD);
	put64(0x5000 + 3 * 8, 0x1000 | P | RW);
	put64(0x1000 + 255 * 8, 0x2000 | P | RW | PTE_PS);
	expect_pf(&r, la, PW_ACC_READ, PF_EC_P | PF_EC_RSVD);
	/* Not present at the top level. */
	put64(0x5000 + 3 * 8, 0);
	expect_pf(&r, la, PW_ACC_WRITE, PF_EC_W);
}
END_TEST

START_TEST(not_present_each_level)
{
	struct pw_regs r = regs_4level();
	static const uint64_t entries[4] = { 0x1000 + 255 * 8, 0x2000 + 8, 0x3000 + 8, 0x4000 + 24 };
	for (unsigned lvl = 0; lvl < 4; lvl++) {
		map_4k_4level(PRWU, PRWU);
		put64(entries[lvl], get64(entries[lvl]) & ~P);
		expect_pf(&r, LA4, PW_ACC_READ, 0);
		r.cpl = 3;
		expect_pf(&r, LA4, PW_ACC_WRITE, PF_EC_W | PF_EC_U);
		/* I/D with NXE in PAE-format tables (SDM 4.7). */
		expect_pf(&r, LA4, PW_ACC_FETCH, PF_EC_U | PF_EC_ID);
		r.cpl = 0;
	}
}
END_TEST

START_TEST(reserved_bits)
{
	struct pw_regs r = regs_4level();
	/* Address bits above MAXPHYADDR (39) in a non-leaf and in the leaf. */
	map_4k_4level(P | RW, P | RW);
	put64(0x2000 + 8, 0x3000 | (1ull << 40) | P | RW);
	expect_pf(&r, LA4, PW_ACC_READ, PF_EC_P | PF_EC_RSVD);
	map_4k_4level(P | RW | (1ull << 45), P | RW);
	expect_pf(&r, LA4, PW_ACC_READ, PF_EC_P | PF_EC_RSVD);
	/* XD is reserved without EFER.NXE; ignored bits 62:52 are not. */
	map_4k_4level(P | RW | PTE_XD, P | RW);
	r.efer &= ~X86_EFER_NXE;
	expect_pf(&r, LA4, PW_ACC_READ, PF_EC_P | PF_EC_RSVD);
	map_4k_4level(P | RW | (0x7full << 52), P | RW);
	expect_ok(&r, LA4, PW_ACC_READ, 0x200123);
	/* Without NXE a fetch fault has no I/D bit (no SMEP either). */
	map_4k_4level(RW, P | RW);
	expect_pf(&r, LA4, PW_ACC_FETCH, 0);
}
END_TEST

START_TEST(user_supervisor_and_write_rules)
{
	struct pw_regs r = regs_4level();
	/* User access to a supervisor page: U/S clear at one level is enough. */
	map_4k_4level(PRWU, PRWU);
	put64(0x3000 + 8, 0x4000 | P | RW);
	r.cpl = 3;
	expect_pf(&r, LA4, PW_ACC_READ, PF_EC_P | PF_EC_U);
	/* An implicit supervisor access at CPL 3 is supervisor-mode. */
	expect_ok(&r, LA4, PW_ACC_READ | PW_ACC_IMPLICIT, 0x200123);
	/* User write needs R/W at every level, whatever CR0.WP. */
	map_4k_4level(PRWU, PRWU);
	put64(0x2000 + 8, 0x3000 | P | US);
	r.cr0 &= ~X86_CR0_WP;
	expect_pf(&r, LA4, PW_ACC_WRITE, PF_EC_P | PF_EC_W | PF_EC_U);
	expect_ok(&r, LA4, PW_ACC_READ, 0x200123);
	/* Supervisor write to read-only: allowed with WP=0, faults with WP=1. */
	r.cpl = 0;
	expect_ok(&r, LA4, PW_ACC_WRITE, 0x200123);
	r.cr0 |= X86_CR0_WP;
	expect_pf(&r, LA4, PW_ACC_WRITE, PF_EC_P | PF_EC_W);
}
END_TEST

START_TEST(nx_smep_smap)
{
	struct pw_regs r = regs_4level();
	/* NX in any level forbids fetches, not reads. */
	map_4k_4level(PRWU, PRWU);
	put64(0x1000 + 255 * 8, 0x2000 | PRWU | PTE_XD);
	expect_pf(&r, LA4, PW_ACC_FETCH, PF_EC_P | PF_EC_ID);
	expect_ok(&r, LA4, PW_ACC_READ, 0x200123);
	/* SMEP: supervisor fetch from a user page. */
	map_4k_4level(PRWU, PRWU);
	expect_ok(&r, LA4, PW_ACC_FETCH, 0x200123);
	r.cr4 |= X86_CR4_SMEP;
	expect_pf(&r, LA4, PW_ACC_FETCH, PF_EC_P | PF_EC_ID);
	r.cpl = 3;
	expect_ok(&r, LA4, PW_ACC_FETCH, 0x200123);
	/* User fetch from a supervisor page. */
	put64(0x4000 + 24, 0x200000 | P | RW);
	expect_pf(&r, LA4, PW_ACC_FETCH, PF_EC_P | PF_EC_U | PF_EC_ID);
	/* SMAP: supervisor data access to a user page, unless EFLAGS.AC. */
	map_4k_4level(PRWU, PRWU);
	r.cpl = 0;
	r.cr4 = X86_CR4_PAE | X86_CR4_SMAP;
	expect_pf(&r, LA4, PW_ACC_READ, PF_EC_P);
	expect_pf(&r, LA4, PW_ACC_WRITE, PF_EC_P | PF_EC_W);
	r.rflags |= X86_RFLAGS_AC;
	expect_ok(&r, LA4, PW_ACC_WRITE, 0x200123);
	/* Implicit supervisor accesses ignore AC. */
	expect_pf(&r, LA4, PW_ACC_READ | PW_ACC_IMPLICIT, PF_EC_P);
	/* SMAP does not concern user-mode accesses or supervisor pages. */
	r.rflags &= ~X86_RFLAGS_AC;
	r.cpl = 3;
	expect_ok(&r, LA4, PW_ACC_READ, 0x200123);
}
END_TEST

START_TEST(protection_keys)
{
	struct pw_regs r = regs_4level();
	/* User page with key 5. */
	map_4k_4level(PRWU | (5ull << 59), PRWU);
	r.cr4 |= X86_CR4_PKE;
	r.cpl = 3;
	r.pkru = 1u << 10;                 /* AD5 */
	expect_pf(&r, LA4, PW_ACC_READ, PF_EC_P | PF_EC_U | PF_EC_PK);
	/* Keys never apply to instruction fetches. */
	expect_ok(&r, LA4, PW_ACC_FETCH, 0x200123);
	r.pkru = 1u << 11;                 /* WD5 */
	expect_ok(&r, LA4, PW_ACC_READ, 0x200123);
	expect_pf(&r, LA4, PW_ACC_WRITE, PF_EC_P | PF_EC_W | PF_EC_U | PF_EC_PK);
	/* Supervisor write to a user page with WD: faults only with CR0.WP. */
	r.cpl = 0;
	r.cr0 &= ~X86_CR0_WP;
	expect_ok(&r, LA4, PW_ACC_WRITE, 0x200123);
	r.cr0 |= X86_CR0_WP;
	expect_pf(&r, LA4, PW_ACC_WRITE, PF_EC_P | PF_EC_W | PF_EC_PK);
	/* Other keys' rights do not matter. */
	r.pkru = ~(3u << 10);
	expect_ok(&r, LA4, PW_ACC_WRITE, 0x200123);
	/* PKS: supervisor pages use IA32_PKRS. */
	map_4k_4level(P | RW | (2ull << 59), P | RW);
	r.cr4 = X86_CR4_PAE | X86_CR4_PKS;
	r.pkrs = 1u << 4;                  /* AD2 */
	expect_pf(&r, LA4, PW_ACC_READ, PF_EC_P | PF_EC_PK);
	r.pkrs = 0;
	expect_ok(&r, LA4, PW_ACC_READ, 0x200123);
	/* Keys are not used by PAE paging (legacy format has no key field). */
}
END_TEST

START_TEST(pae_paging)
{
	struct pw_regs r = regs_4level();
	r.efer = X86_EFER_NXE;
	r.cr3 = 0x1020;             /* 32-byte aligned PDPT */
	/* LA 0x8060_3456: PDPTE[2] PD[3] PT[3]. */
	put64(0x1020 + 16, 0x2000 | P);
	put64(0x2000 + 3 * 8, 0x3000 | P | RW);
	put64(0x3000 + 3 * 8, 0x500000 | P | RW);
	expect_ok(&r, 0x80603456, PW_ACC_WRITE, 0x500456);
	/* PDPTEs have no accessed flag; PDE/PTE do. */
	ck_assert_uint_eq(get64(0x1020 + 16), 0x2000 | P);
	ck_assert_uint_eq(get64(0x2000 + 24), 0x3000 | P | RW | PTE_A);
	ck_assert_uint_eq(get64(0x3000 + 24), 0x500000 | P | RW | PTE_A | PTE_D);
	/* 2 MiB page. */
	put64(0x2000 + 5 * 8, 0xa00000 | P | RW | PTE_PS);
	expect_ok(&r, 0x80a12345, PW_ACC_READ, 0xa12345);
	/* Reserved bits in a PDPTE (R/W is reserved there) and bits 62:M. */
	put64(0x1020 + 16, 0x2000 | P | RW);
	expect_pf(&r, 0x80603456, PW_ACC_READ, PF_EC_P | PF_EC_RSVD);
	put64(0x1020 + 16, 0x2000 | P);
	put64(0x3000 + 3 * 8, 0x500000 | P | RW | (1ull << 55));
	expect_pf(&r, 0x80603456, PW_ACC_READ, PF_EC_P | PF_EC_RSVD);
	/* Not-present PDPTE. */
	put64(0x1020 + 16, 0);
	expect_pf(&r, 0x80603456, PW_ACC_FETCH, PF_EC_ID);
	/* Keys are ignored in PAE mode even with CR4.PKE. */
	put64(0x1020 + 16, 0x2000 | P);
	put64(0x3000 + 3 * 8, 0x500000 | PRWU);
	put64(0x2000 + 3 * 8, 0x3000 | PRWU);
	r.cr4 |= X86_CR4_PKE;
	r.pkru = ~0u;
	r.cpl = 3;
	expect_ok(&r, 0x80603456, PW_ACC_WRITE, 0x500456);
}
END_TEST

START_TEST(paging_32bit)
{
	struct pw_regs r = regs_4level();
	r.cr4 = 0;
	r.efer = 0;
	r.cr3 = 0x1000;
	/* LA 0x0040_3123: PD[1] PT[3]. */
	put32(0x1000 + 4, 0x2000 | P | RW);
	put32(0x2000 + 12, 0x300000 | P | RW);
	expect_ok(&r, 0x403123, PW_ACC_WRITE, 0x300123);
	ck_assert_uint_eq(get32(0x1000 + 4), 0x2000 | P | RW | PTE_A);
	ck_assert_uint_eq(get32(0x2000 + 12), 0x300000 | P | RW | PTE_A | PTE_D);
	/* PS without CR4.PSE is ignored: the entry still points to a table. */
	put32(0x1000 + 4, 0x2000 | P | RW | PTE_PS);
	expect_ok(&r, 0x403123, PW_ACC_READ, 0x300123);
	/* 4 MiB page with PSE-36 bits (PA 39:32 in bits 20:13). */
	r.cr4 = X86_CR4_PSE;
	put32(0x1000 + 8, 0x00800000u | (0x3u << 13) | P | RW | PTE_PS);
	expect_ok(&r, 0x00912345, PW_ACC_READ, 0x300912345ull);
	/* Bit 21 is reserved; PA bits above MAXPHYADDR (36 here) too. */
	put32(0x1000 + 8, 0x00800000u | (1u << 21) | P | RW | PTE_PS);
	expect_pf(&r, 0x00912345, PW_ACC_READ, PF_EC_P | PF_EC_RSVD);
	r.maxphyaddr = 36;
	put32(0x1000 + 8, 0x00800000u | (0x10u << 13) | P | RW | PTE_PS);
	expect_pf(&r, 0x00912345, PW_ACC_READ, PF_EC_P | PF_EC_RSVD);
	/* MAXPHYADDR 40 or more: all of bits 20:13 are PA 39:32 (at most 40 bits, Table 4-4). */
	r.maxphyaddr = 52;
	put32(0x1000 + 8, 0x00800000u | (0xffu << 13) | P | RW | PTE_PS);
	expect_ok(&r, 0x00912345, PW_ACC_READ, 0xff00912345ull);
	put32(0x1000 + 8, 0x00800000u | (1u << 21) | P | RW | PTE_PS);
	expect_pf(&r, 0x00912345, PW_ACC_READ, PF_EC_P | PF_EC_RSVD);
	r.maxphyaddr = 36;
	/* No I/D bit without SMEP in 32-bit paging; with SMEP there is. */
	put32(0x1000 + 4, 0);
	expect_pf(&r, 0x403123, PW_ACC_FETCH, 0);
	r.cr4 |= X86_CR4_SMEP;
	expect_pf(&r, 0x403123, PW_ACC_FETCH, PF_EC_ID);
}
END_TEST

START_TEST(no_paging_and_bad_tables)
{
	struct pw_regs r = regs_4level();
	struct guest_fault f;
	uint64_t gpa;
	r.cr0 = X86_CR0_PE;
	ck_assert_uint_eq(pw_mode_of(&r), PW_MODE_NONE);
	expect_ok(&r, 0x1234567890ull, PW_ACC_WRITE, 0x34567890);
	/* Page tables outside guest RAM: no guest fault, the walk fails. */
	r = regs_4level();
	r.cr3 = 0x7f000000;
	ck_assert_int_eq(walk(&r, LA4, PW_ACC_READ, &gpa, &f), -TERN_EIO);
	ck_assert(!f.valid);
	map_4k_4level(P | RW, P | RW);
	put64(0x3000 + 8, 0x7f000000 | P | RW);
	r.cr3 = 0x1000;
	ck_assert_int_eq(walk(&r, LA4, PW_ACC_READ, &gpa, &f), -TERN_EIO);
	r.cr4 = 0;
	r.efer = 0;
	r.cr3 = 0x7f000000;
	ck_assert_int_eq(walk(&r, 0x1000, PW_ACC_READ, &gpa, &f), -TERN_EIO);
	r.cr4 = X86_CR4_PAE;
	ck_assert_int_eq(walk(&r, 0x1000, PW_ACC_READ, &gpa, &f), -TERN_EIO);
	ck_assert_uint_eq(pw_mode_of(&r), PW_MODE_PAE);
}
END_TEST

START_TEST(regs_from_vcpu)
{
	struct vcpu *v = &vm->vcpus[0];
	struct pw_regs r;
	struct cpuid_policy *p = &vm->cpuid;
	sim_vcpu_flat_state(v, true, 3);
	vcpu_cache_fill(v, VCPU_CR3, 0x5000);
	pw_regs_from_vcpu(v, &r);
	ck_assert_uint_eq(r.cr3, 0x5000);
	ck_assert_uint_eq(r.cpl, 3);
	ck_assert_uint_eq(r.pkru, 0);
	/* The VM's CPUID policy: the sim's host reports 39 bits (80000008H EAX=0x3027). */
	ck_assert_uint_eq(r.maxphyaddr, 39);
	ck_assert_uint_eq(pw_mode_of(&r), PW_MODE_4LEVEL);
	unsigned i;
	for (i = 0; i < p->count; i++)
		if (p->entries[i].leaf == 0x80000008u)
			break;
	ck_assert_uint_lt(i, p->count);
	p->entries[i].regs[0] = 0x3040;             /* 64: out of range, taken as 52 */
	pw_regs_from_vcpu(v, &r);
	ck_assert_uint_eq(r.maxphyaddr, 52);
	p->entries[i].leaf = 0x80000007u;           /* leaf absent: 36 (SDM 4.1.4) */
	pw_regs_from_vcpu(v, &r);
	ck_assert_uint_eq(r.maxphyaddr, 36);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("page_walk");
	TCase *tc = tcase_create("walk");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, four_level_4k_and_ad_bits);
	tcase_add_test(tc, probe_and_fault_leave_ad_alone);
	tcase_add_test(tc, large_pages_4level);
	tcase_add_test(tc, five_level);
	tcase_add_test(tc, not_present_each_level);
	tcase_add_test(tc, reserved_bits);
	tcase_add_test(tc, user_supervisor_and_write_rules);
	tcase_add_test(tc, nx_smep_smap);
	tcase_add_test(tc, protection_keys);
	tcase_add_test(tc, pae_paging);
	tcase_add_test(tc, paging_32bit);
	tcase_add_test(tc, no_paging_and_bad_tables);
	tcase_add_test(tc, regs_from_vcpu);
	suite_add_tcase(s, tc);
	return s;
}
