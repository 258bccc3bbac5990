/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulator's vendor quirks (core/insn_vendor.h), pinned for a VM of each
 * vendor: the VM's CPUID policy is built from a simulated host whose leaf 0
 * names Intel, AMD or another vendor, and the same instruction is emulated
 * on a vCPU of that VM. Expected values are the vendors' documented or
 * measured behaviour, written out here per vendor, and the quirk table must
 * say the same (it is what the native differential test trusts).
 */
#include <string.h>
#include "unit.h"
#include "err.h"
#include "cpuid.h"
#include "insn_decode.h"
#include "insn_emulate.h"
#include "insn_flags.h"
#include "insn_vendor.h"
#include "sim.h"
#include "vm.h"

/* Leaf 0: max leaf, then the vendor string in EBX, EDX, ECX. */
static const uint32_t leaf0_intel[4] = { 0xd, 0x756e6547, 0x6c65746e, 0x49656e69 };
static const uint32_t leaf0_amd[4] = { 0xd, 0x68747541, 0x444d4163, 0x69746e65 };
static const uint32_t leaf0_hygon[4] = { 0xd, 0x6f677948, 0x656e6975, 0x6e65476e };
static const uint32_t leaf0_centaur[4] = { 0xd, 0x746e6543, 0x736c7561, 0x48727561 };

static const uint32_t *const leaf0_of[CPUID_VENDOR_COUNT] = {
	[CPUID_VENDOR_INTEL] = leaf0_intel,
	[CPUID_VENDOR_AMD] = leaf0_amd,
	[CPUID_VENDOR_OTHER] = leaf0_centaur,
};
static const char *const vendor_name[CPUID_VENDOR_COUNT] = {
	[CPUID_VENDOR_INTEL] = "Intel", [CPUID_VENDOR_AMD] = "AMD", [CPUID_VENDOR_OTHER] = "other",
};

#define MEM_BASE 0x10000ull
#define MEM_SIZE 0x1000u
static uint8_t mem[MEM_SIZE];
static unsigned accesses;
static struct vm vm;
static struct vcpu v;

static int m_read(void *opaque, uint64_t la, void *buf, unsigned len, unsigned acc,
		  struct guest_fault *f)
{
	(void)opaque;
	(void)acc;
	if (la < MEM_BASE || la - MEM_BASE + len > MEM_SIZE) {
		guest_fault_pf(f, 0, la);
		return -TERN_EFAULT;
	}
	memcpy(buf, mem + (la - MEM_BASE), len);
	accesses++;
	return 0;
}

static int m_write(void *opaque, uint64_t la, const void *buf, unsigned len, struct guest_fault *f)
{
	(void)opaque;
	if (la < MEM_BASE || la - MEM_BASE + len > MEM_SIZE) {
		guest_fault_pf(f, 2, la);
		return -TERN_EFAULT;
	}
	memcpy(mem + (la - MEM_BASE), buf, len);
	accesses++;
	return 0;
}

static const struct emul_ops m_ops = { m_read, m_write };

/* A VM whose CPUID names @vendor; its vCPU 0 in 64-bit mode with flat segments. */
static void vm_of_vendor(enum cpuid_vendor vendor)
{
	struct vm_config cfg = { .vcpu_count = 1 };
	struct seg_desc cs = { 0x8, 0, 0xffffffff, 0xa09b };
	struct seg_desc ds = { 0x10, 0, 0xffffffff, 0xc093 };

	sim_reset();
	sim_set_host_cpuid(0, 0, leaf0_of[vendor]);
	memset(&vm, 0, sizeof(vm));
	ck_assert_int_eq(cpuid_policy_build(&vm.cpuid, &cfg), 0);
	ck_assert_int_eq(vm.cpuid.vendor, vendor);
	vcpu_init(&v, &vm, 0);
	for (unsigned r = 0; r < 16; r++)
		vcpu_cache_fill(&v, (enum vcpu_reg)r, 0);
	vcpu_cache_fill(&v, VCPU_RIP, 0x1000);
	vcpu_cache_fill(&v, VCPU_RFLAGS, 0x2);
	vcpu_cache_fill(&v, VCPU_CR0, 0x80000011ull);
	vcpu_cache_fill(&v, VCPU_CR4, 0x20);
	vcpu_cache_fill(&v, VCPU_EFER, 0x500);
	for (unsigned s = 0; s < VCPU_SEG_COUNT; s++)
		vcpu_cache_fill_seg(&v, (enum vcpu_seg)s, s == VCPU_CS ? &cs : &ds);
	memset(mem, 0, sizeof(mem));
	accesses = 0;
}

static void emulate(const uint8_t *b, unsigned n)
{
	struct emul_ctx c;
	struct insn in;
	uint64_t rip = vcpu_get_reg(&v, VCPU_RIP);

	emul_ctx_init(&c, &v, &m_ops, NULL);
	ck_assert_int_eq(insn_decode(b, n, c.mode, &in), 0);
	ck_assert_uint_eq(in.len, n);
	ck_assert_int_eq(emul_execute(&c, &in), 0);
	ck_assert(!c.rep_pending);
	ck_assert_uint_eq(vcpu_get_reg(&v, VCPU_RIP), rip + n);
}

static uint64_t reg(enum vcpu_reg r) { return vcpu_get_reg(&v, r); }
static void set(enum vcpu_reg r, uint64_t x) { vcpu_cache_fill(&v, r, x); }

START_TEST(vendor_from_leaf0)
{
	ck_assert_int_eq(cpuid_vendor_of(leaf0_intel), CPUID_VENDOR_INTEL);
	ck_assert_int_eq(cpuid_vendor_of(leaf0_amd), CPUID_VENDOR_AMD);
	ck_assert_int_eq(cpuid_vendor_of(leaf0_hygon), CPUID_VENDOR_AMD);
	ck_assert_int_eq(cpuid_vendor_of(leaf0_centaur), CPUID_VENDOR_OTHER);
	/* The registers are EBX, EDX, ECX in that order: swapping two is another vendor. */
	const uint32_t swapped[4] = { 0xd, 0x756e6547, 0x49656e69, 0x6c65746e };
	ck_assert_int_eq(cpuid_vendor_of(swapped), CPUID_VENDOR_OTHER);
	/* The simulator's default host is an Intel CPU; a vCPU without a VM is "other". */
	struct vm_config cfg = { .vcpu_count = 1 };
	sim_reset();
	memset(&vm, 0, sizeof(vm));
	ck_assert_int_eq(cpuid_policy_build(&vm.cpuid, &cfg), 0);
	ck_assert_int_eq(vm.cpuid.vendor, CPUID_VENDOR_INTEL);
	vcpu_init(&v, NULL, 0);
	ck_assert_int_eq(insn_vendor(&v), CPUID_VENDOR_OTHER);
}
END_TEST

/*
 * REP MOVSB / STOSB with a 32-bit address size (67) and ECX = 0 in 64-bit
 * mode: nothing is copied, but an Intel CPU zeroes RCX[63:32] and, for
 * MOVS/STOS, RSI/RDI[63:32] (measured on family 6 model 0xA7); an AMD CPU
 * leaves all three (the case test_emul_native meets on each host). A VM of another vendor gets Intel's behaviour.
 */
START_TEST(rep_zero_count_ecx)
{
	enum cpuid_vendor vd = (enum cpuid_vendor)_i;
	static const uint8_t rep_movsb_a32[] = { 0x67, 0xf3, 0xa4 };
	static const uint8_t rep_stosd_a32[] = { 0x67, 0xf3, 0xab };
	static const uint8_t repne_stosb_a32[] = { 0x67, 0xf2, 0xaa };
	static const uint8_t rep_movsb_a64[] = { 0xf3, 0xa4 };
	const uint64_t rcx = 0xdeadbeef00000000ull;
	static const uint8_t rep_lodsb_a32[] = { 0x67, 0xf3, 0xac };
	static const uint8_t repe_cmpsb_a32[] = { 0x67, 0xf3, 0xa6 };
	const bool amd = vd == CPUID_VENDOR_AMD;
	const uint64_t want = amd ? rcx : 0;

	vm_of_vendor(vd);
	set(VCPU_RSI, 0x1234567800010000ull);
	set(VCPU_RDI, 0x8765432100010100ull);
	set(VCPU_RCX, rcx);
	emulate(rep_movsb_a32, sizeof(rep_movsb_a32));
	ck_assert_msg(reg(VCPU_RCX) == want, "%s VM: RCX %llx, expected %llx", vendor_name[vd],
		      (unsigned long long)reg(VCPU_RCX), (unsigned long long)want);
	/* No iteration, but Intel writes the index registers back as 32-bit ones. */
	ck_assert_uint_eq(reg(VCPU_RSI), amd ? 0x1234567800010000ull : 0x10000);
	ck_assert_uint_eq(reg(VCPU_RDI), amd ? 0x8765432100010100ull : 0x10100);
	ck_assert_uint_eq(accesses, 0);

	set(VCPU_RSI, 0x1234567800010000ull);
	set(VCPU_RDI, 0x8765432100010100ull);
	set(VCPU_RCX, rcx);
	emulate(rep_stosd_a32, sizeof(rep_stosd_a32));
	ck_assert_uint_eq(reg(VCPU_RCX), want);
	ck_assert_uint_eq(reg(VCPU_RSI), 0x1234567800010000ull);   /* STOS does not use RSI */
	ck_assert_uint_eq(reg(VCPU_RDI), amd ? 0x8765432100010100ull : 0x10100);
	set(VCPU_RDI, 0x8765432100010100ull);
	set(VCPU_RCX, rcx);
	emulate(repne_stosb_a32, sizeof(repne_stosb_a32));
	ck_assert_uint_eq(reg(VCPU_RCX), want);
	ck_assert_uint_eq(reg(VCPU_RDI), amd ? 0x8765432100010100ull : 0x10100);
	/* LODS, CMPS, SCAS leave RSI and RDI whole on every vendor; only RCX. */
	set(VCPU_RSI, 0x1234567800010000ull);
	set(VCPU_RDI, 0x8765432100010100ull);
	set(VCPU_RCX, rcx);
	emulate(rep_lodsb_a32, sizeof(rep_lodsb_a32));
	ck_assert_uint_eq(reg(VCPU_RCX), want);
	ck_assert_uint_eq(reg(VCPU_RSI), 0x1234567800010000ull);
	set(VCPU_RCX, rcx);
	emulate(repe_cmpsb_a32, sizeof(repe_cmpsb_a32));
	ck_assert_uint_eq(reg(VCPU_RCX), want);
	ck_assert_uint_eq(reg(VCPU_RSI), 0x1234567800010000ull);
	ck_assert_uint_eq(reg(VCPU_RDI), 0x8765432100010100ull);
	ck_assert_uint_eq(accesses, 0);

	/* The table the native test trusts says the same. */
	ck_assert_int_eq(insn_quirk_info(INSN_QUIRK_REP_ZERO_COUNT)->on[vd], want == 0);
	ck_assert_int_eq(insn_quirk_on(&v, INSN_QUIRK_REP_ZERO_COUNT), want == 0);

	/* 64-bit address size, RCX = 0: nothing to zero-extend, for every vendor. */
	set(VCPU_RCX, 0);
	emulate(rep_movsb_a64, sizeof(rep_movsb_a64));
	ck_assert_uint_eq(reg(VCPU_RCX), 0);
	/* A non-zero ECX with a 32-bit address size: ECX is written, every vendor zero-extends. */
	set(VCPU_RCX, 0xffffffff00000002ull);
	mem[0] = 0x11;
	mem[1] = 0x22;
	emulate(rep_movsb_a32, sizeof(rep_movsb_a32));
	ck_assert_uint_eq(reg(VCPU_RCX), 0);
	ck_assert_uint_eq(reg(VCPU_RSI), 0x10002);
	ck_assert_uint_eq(reg(VCPU_RDI), 0x10102);
	ck_assert_uint_eq(mem[0x100], 0x11);
	ck_assert_uint_eq(mem[0x101], 0x22);
}
END_TEST

/* AND, OR, XOR, TEST clear AF on Intel and AMD CPUs alike, whatever it was. */
START_TEST(logic_af_cleared)
{
	enum cpuid_vendor vd = (enum cpuid_vendor)_i;
	static const uint8_t ops[4][2] = {
		{ 0x21, 0xd8 },   /* and eax, ebx */
		{ 0x09, 0xd8 },   /* or eax, ebx */
		{ 0x31, 0xd8 },   /* xor eax, ebx */
		{ 0x85, 0xd8 },   /* test eax, ebx */
	};

	vm_of_vendor(vd);
	for (unsigned i = 0; i < 4; i++) {
		set(VCPU_RAX, 0x0f);
		set(VCPU_RBX, 0x18);
		set(VCPU_RFLAGS, 0x2 | RFL_AF | RFL_CF | RFL_OF);
		emulate(ops[i], 2);
		ck_assert_msg((reg(VCPU_RFLAGS) & RFL_AF) == 0, "%s VM, op %u: AF kept",
			      vendor_name[vd], i);
		ck_assert_uint_eq(reg(VCPU_RFLAGS) & (RFL_CF | RFL_OF), 0);
	}
	ck_assert(insn_quirk_info(INSN_QUIRK_LOGIC_AF)->on[vd]);
	ck_assert_uint_eq(insn_quirk_info(INSN_QUIRK_LOGIC_AF)->rflags, RFL_AF);
}
END_TEST

/*
 * BT/BTS/BTR/BTC set CF to the bit and leave ZF (defined as unaffected by
 * the SDM, undefined in the APM) and OF/SF/AF/PF (undefined in both) as
 * they were, for every vendor: the AMD CPUs measured do so.
 */
START_TEST(bt_flags_kept)
{
	enum cpuid_vendor vd = (enum cpuid_vendor)_i;
	static const uint8_t bt[] = { 0x0f, 0xa3, 0xd8 };          /* bt eax, ebx */
	static const uint8_t btc_mem[] = { 0x0f, 0xba, 0x3e, 0x03 }; /* btc dword [rsi], 3 */
	const uint64_t others = RFL_ZF | RFL_OF | RFL_SF | RFL_AF | RFL_PF;

	vm_of_vendor(vd);
	for (unsigned k = 0; k < 2; k++) {
		uint64_t in = k ? others : 0;
		set(VCPU_RAX, 0x10);
		set(VCPU_RBX, 4);
		set(VCPU_RFLAGS, 0x2 | in);
		emulate(bt, sizeof(bt));
		ck_assert_msg(reg(VCPU_RFLAGS) == (0x2 | in | RFL_CF), "%s VM: rflags %llx",
			      vendor_name[vd], (unsigned long long)reg(VCPU_RFLAGS));
		set(VCPU_RSI, MEM_BASE);
		mem[0] = 0x08;
		set(VCPU_RFLAGS, 0x2 | in);
		emulate(btc_mem, sizeof(btc_mem));
		ck_assert_uint_eq(reg(VCPU_RFLAGS), 0x2 | in | RFL_CF);
		ck_assert_uint_eq(mem[0], 0x00);
	}
	ck_assert(insn_quirk_info(INSN_QUIRK_BT_ZF)->on[vd]);
	ck_assert(insn_quirk_info(INSN_QUIRK_BT_OSAP)->on[vd]);
	ck_assert_uint_eq(insn_quirk_info(INSN_QUIRK_BT_ZF)->rflags, RFL_ZF);
	ck_assert_uint_eq(insn_quirk_info(INSN_QUIRK_BT_OSAP)->rflags,
			  RFL_OF | RFL_SF | RFL_AF | RFL_PF);
}
END_TEST

/* F2 on MOVS repeats as F3 does; on CMPS it is REPNE (stops on equal). */
START_TEST(repne_noncmp_repeats)
{
	enum cpuid_vendor vd = (enum cpuid_vendor)_i;
	static const uint8_t repne_movsb[] = { 0xf2, 0xa4 };
	static const uint8_t repne_cmpsb[] = { 0xf2, 0xa6 };

	vm_of_vendor(vd);
	memcpy(mem, "abcd", 4);
	set(VCPU_RSI, MEM_BASE);
	set(VCPU_RDI, MEM_BASE + 0x100);
	set(VCPU_RCX, 3);
	set(VCPU_RFLAGS, 0x2 | RFL_ZF);   /* ZF set: REPNE would stop a CMPS, not a MOVS */
	emulate(repne_movsb, sizeof(repne_movsb));
	ck_assert_uint_eq(reg(VCPU_RCX), 0);
	ck_assert_mem_eq(mem + 0x100, "abc", 3);
	ck_assert_uint_eq(mem[0x103], 0);
	ck_assert(insn_quirk_info(INSN_QUIRK_REPNE_NONCMP)->on[vd]);

	memcpy(mem + 0x200, "xbz", 3);
	set(VCPU_RSI, MEM_BASE);
	set(VCPU_RDI, MEM_BASE + 0x200);
	set(VCPU_RCX, 3);
	emulate(repne_cmpsb, sizeof(repne_cmpsb));
	ck_assert_uint_eq(reg(VCPU_RCX), 1);   /* stopped after the equal 'b' */
	ck_assert(reg(VCPU_RFLAGS) & RFL_ZF);
}
END_TEST

/* Every quirk is named and described, and names are unique (the tests print them). */
START_TEST(quirk_table_complete)
{
	for (unsigned q = 0; q < INSN_QUIRK_COUNT; q++) {
		const struct insn_quirk_info *e = insn_quirk_info((enum insn_quirk)q);
		ck_assert_ptr_nonnull(e);
		ck_assert_ptr_nonnull(e->name);
		ck_assert_ptr_nonnull(e->what);
		ck_assert_ptr_nonnull(e->model);
		for (unsigned r = 0; r < q; r++)
			ck_assert_str_ne(e->name, insn_quirk_info((enum insn_quirk)r)->name);
		/* No oracle is claimed for a vendor Tern does not know. */
		ck_assert(!e->host_oracle[CPUID_VENDOR_OTHER]);
	}
	ck_assert_ptr_null(insn_quirk_info(INSN_QUIRK_COUNT));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("insn_vendor");
	TCase *tc = tcase_create("quirks");
	tcase_add_test(tc, vendor_from_leaf0);
	tcase_add_loop_test(tc, rep_zero_count_ecx, 0, CPUID_VENDOR_COUNT);
	tcase_add_loop_test(tc, logic_af_cleared, 0, CPUID_VENDOR_COUNT);
	tcase_add_loop_test(tc, bt_flags_kept, 0, CPUID_VENDOR_COUNT);
	tcase_add_loop_test(tc, repne_noncmp_repeats, 0, CPUID_VENDOR_COUNT);
	tcase_add_test(tc, quirk_table_complete);
	suite_add_tcase(s, tc);
	return s;
}
