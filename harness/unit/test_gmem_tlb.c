/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * guest_mem.c's translation cache (guest_mem.h): a page once reached is
 * reached again without an EPT walk, and never after the VM lost it. Each
 * test first makes the access that caches the page, checks the cache holds
 * it (so the next access would be a hit), then changes the map the way a
 * user does (Service VM removes lent memory, remaps, write-protects,
 * destroys the VM) and asserts what the next access sees: a fault, or the
 * bytes of the page the EPT maps now.
 */
#include <string.h>
#include "unit.h"
#include "sim.h"
#include "guest_mem.h"
#include "platform.h"
#include "vm_memory.h"
#include "vm_mgr.h"
#include "err.h"

#define SVM_RAM   (4ull << 20)
#define LEND_A    0x100000ull        /* Service VM GPAs of the pages the tests lend */
#define LEND_B    0x200000ull
#define UGPA      0x5000ull          /* where the User VM sees them */

static struct tern hv;
static struct vm *svm, *uvm;
static uint8_t *sram;

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	svm = sim_create_vm(&hv, "service", 1, true, SVM_RAM);
	uvm = sim_create_vm(&hv, "user", 1, false, 0);
	ck_assert_ptr_nonnull(svm);
	ck_assert_ptr_nonnull(uvm);
	sram = sim_vm_ram(svm->id);
	memset(sram + LEND_A, 0xaa, 0x2000);
	memset(sram + LEND_B, 0xbb, 0x2000);
}

static int region(uint32_t type, uint64_t gpa, uint64_t svm_gpa, uint64_t size, uint32_t prot)
{
	struct vm_memory_region mr = { type, prot | MEM_TYPE_WB, gpa, svm_gpa, size };
	return vm_memory_region_op(svm, uvm, &mr);
}

/* Whether this pCPU's cache holds gpa's page for the VM as of now. */
static bool cached(const struct vm *vm, uint64_t gpa)
{
	const struct gmem_tlb_entry *e =
		&vm->gmem_tlb[plat_cpu_id()].e[(gpa >> 12) % GMEM_TLB_ENTRIES];
	return e->perms != 0 && e->gfn == gpa >> 12 && e->gen == vm->ept.reductions;
}

static uint32_t read32(struct vm *vm, uint64_t gpa, int expect)
{
	uint32_t x = 0x5a5a5a5a;
	ck_assert_int_eq(gmem_read(vm, gpa, &x, sizeof(x)), expect);
	return x;
}

START_TEST(removed_lent_page_faults_on_the_next_access)
{
	ck_assert_int_eq(region(MR_ADD, UGPA, LEND_A, 0x1000, MEM_ACCESS_RWX), 0);
	ck_assert_uint_eq(read32(uvm, UGPA + 0x10, 0), 0xaaaaaaaau);
	ck_assert(cached(uvm, UGPA));
	ck_assert_uint_eq(read32(uvm, UGPA + 0x20, 0), 0xaaaaaaaau);   /* a hit */
	ck_assert_int_eq(region(MR_DEL, UGPA, 0, 0x1000, 0), 0);
	ck_assert(!cached(uvm, UGPA));
	/* Neither read, fetch, write nor a check reaches the page any more,
	 * and a failed read copies nothing. */
	ck_assert_uint_eq(read32(uvm, UGPA + 0x10, -TERN_EFAULT), 0x5a5a5a5au);
	uint8_t b = 1;
	ck_assert_int_eq(gmem_fetch(uvm, UGPA, &b, 1), -TERN_EFAULT);
	ck_assert_int_eq(gmem_write(uvm, UGPA, &b, 1), -TERN_EFAULT);
	ck_assert_int_eq(gmem_check(uvm, UGPA, 1, false, NULL), -TERN_EFAULT);
	ck_assert_uint_eq(sram[LEND_A], 0xaa);
}
END_TEST

START_TEST(remapped_page_reaches_the_new_page)
{
	ck_assert_int_eq(region(MR_ADD, UGPA, LEND_A, 0x1000, MEM_ACCESS_RWX), 0);
	uint32_t w = 0x11223344;
	ck_assert_int_eq(gmem_write(uvm, UGPA + 4, &w, 4), 0);
	ck_assert(cached(uvm, UGPA));
	ck_assert_int_eq(region(MR_DEL, UGPA, 0, 0x1000, 0), 0);
	ck_assert_int_eq(region(MR_ADD, UGPA, LEND_B, 0x1000, MEM_ACCESS_RWX), 0);
	/* The same GPA now is the other page, for reads and writes. */
	ck_assert_uint_eq(read32(uvm, UGPA + 4, 0), 0xbbbbbbbbu);
	ck_assert_int_eq(gmem_write(uvm, UGPA + 8, &w, 4), 0);
	ck_assert_int_eq(memcmp(sram + LEND_B + 8, &w, 4), 0);
	uint32_t old;
	memcpy(&old, sram + LEND_A + 8, 4);
	ck_assert_uint_eq(old, 0xaaaaaaaau);
	memcpy(&old, sram + LEND_A + 4, 4);
	ck_assert_uint_eq(old, 0x11223344u);
}
END_TEST

START_TEST(reduced_permissions_apply_to_cached_pages)
{
	ck_assert_int_eq(region(MR_ADD, UGPA, LEND_A, 0x1000, MEM_ACCESS_RWX), 0);
	uint8_t b = 0x42;
	ck_assert_int_eq(gmem_write(uvm, UGPA, &b, 1), 0);
	ck_assert(cached(uvm, UGPA));
	/* Write protection: a write of the hypervisor becomes a WP IOREQ. */
	ck_assert_int_eq(ept_write_protect(&uvm->ept, UGPA, 0x1000), 0);
	uint64_t wp = 0;
	ck_assert_int_eq(gmem_write_wp(uvm, UGPA + 1, &b, 1, &wp), -TERN_EACCES);
	ck_assert_uint_eq(wp, UGPA);
	ck_assert_uint_eq(sram[LEND_A + 1], 0xaa);
	uint64_t exp = 0xaaaaaaaaaaaaaa42ull;
	ck_assert_int_eq(gmem_cmpxchg(uvm, UGPA, 8, &exp, 0, &wp), -TERN_EACCES);
	ck_assert_uint_eq(read32(uvm, UGPA, 0), 0xaaaaaa42u);   /* still readable */
	/* Permissions given back are used at once (no reduction, a walk). */
	ck_assert_int_eq(ept_write_unprotect(&uvm->ept, UGPA, 0x1000), 0);
	ck_assert_int_eq(gmem_write_wp(uvm, UGPA + 1, &b, 1, &wp), 0);
	ck_assert_uint_eq(sram[LEND_A + 1], 0x42);
	/* Read-only, then execute-only... : a cached read grant gives no fetch. */
	ck_assert_int_eq(region(MR_MODIFY, UGPA, LEND_A, 0x1000, MEM_ACCESS_READ), 0);
	ck_assert_int_eq(gmem_fetch(uvm, UGPA, &b, 1), -TERN_EFAULT);
	ck_assert_int_eq(gmem_write(uvm, UGPA, &b, 1), -TERN_EACCES);
	ck_assert_uint_eq(read32(uvm, UGPA, 0), 0xaaaa4242u);
	ck_assert(cached(uvm, UGPA));
	ck_assert_int_eq(gmem_fetch(uvm, UGPA, &b, 1), -TERN_EFAULT);
}
END_TEST

START_TEST(page_crossing_checks_both_pages)
{
	ck_assert_int_eq(region(MR_ADD, UGPA, LEND_A, 0x1000, MEM_ACCESS_RWX), 0);
	ck_assert_int_eq(region(MR_ADD, UGPA + 0x1000, LEND_B, 0x1000, MEM_ACCESS_RWX), 0);
	uint8_t buf[8];
	ck_assert_int_eq(gmem_read(uvm, UGPA + 0xffc, buf, 8), 0);
	ck_assert(cached(uvm, UGPA) && cached(uvm, UGPA + 0x1000));
	const uint8_t want[8] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb, 0xbb };
	ck_assert_int_eq(memcmp(buf, want, 8), 0);
	ck_assert_int_eq(gmem_read(uvm, UGPA + 0xffc, buf, 8), 0);   /* both hits */
	ck_assert_int_eq(memcmp(buf, want, 8), 0);
	/* The second page goes: the access faults whole, nothing moves. */
	ck_assert_int_eq(region(MR_DEL, UGPA + 0x1000, 0, 0x1000, 0), 0);
	memset(buf, 0x11, sizeof(buf));
	ck_assert_int_eq(gmem_write(uvm, UGPA + 0xffc, buf, 8), -TERN_EFAULT);
	ck_assert_uint_eq(sram[LEND_A + 0xffc], 0xaa);
	ck_assert_int_eq(gmem_read(uvm, UGPA + 0xffc, buf, 8), -TERN_EFAULT);
	/* The first one still reads, within its page. */
	ck_assert_uint_eq(read32(uvm, UGPA + 0xffc, 0), 0xaaaaaaaau);
	/* Write-protected second page: the WP GPA is that page. */
	ck_assert_int_eq(region(MR_ADD, UGPA + 0x1000, LEND_B, 0x1000, MEM_ACCESS_READ), 0);
	uint64_t wp = 0;
	ck_assert_int_eq(gmem_write_wp(uvm, UGPA + 0xffc, buf, 8, &wp), -TERN_EACCES);
	ck_assert_uint_eq(wp, UGPA + 0x1000);
	ck_assert_uint_eq(sram[LEND_B], 0xbb);
}
END_TEST

START_TEST(write_protected_pieces_report_the_first)
{
	/* Every combination of a page-crossing write's two pages: the first
	 * write-protected page is reported, a missing page wins, nothing moves. */
	ck_assert_int_eq(region(MR_ADD, UGPA, LEND_A, 0x1000, MEM_ACCESS_READ), 0);
	ck_assert_int_eq(region(MR_ADD, UGPA + 0x1000, LEND_B, 0x1000, MEM_ACCESS_RWX), 0);
	const uint8_t w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint64_t wp = 0;
	ck_assert_int_eq(gmem_write_wp(uvm, UGPA + 0xffc, w, 8, &wp), -TERN_EACCES);
	ck_assert_uint_eq(wp, UGPA);
	ck_assert_int_eq(gmem_write(uvm, UGPA + 0xffc, w, 8), -TERN_EACCES);
	/* Both write-protected. */
	ck_assert_int_eq(ept_write_protect(&uvm->ept, UGPA + 0x1000, 0x1000), 0);
	wp = 0;
	ck_assert_int_eq(gmem_write_wp(uvm, UGPA + 0xffc, w, 8, &wp), -TERN_EACCES);
	ck_assert_uint_eq(wp, UGPA);
	ck_assert_int_eq(gmem_check(uvm, UGPA + 0xffc, 8, true, NULL), -TERN_EACCES);
	/* The first write-protected, the second gone. */
	ck_assert_int_eq(region(MR_DEL, UGPA + 0x1000, 0, 0x1000, 0), 0);
	ck_assert_int_eq(gmem_write_wp(uvm, UGPA + 0xffc, w, 8, &wp), -TERN_EFAULT);
	ck_assert_uint_eq(sram[LEND_A + 0xffc], 0xaa);
	ck_assert_uint_eq(sram[LEND_B], 0xbb);
	/* A write-protected page that is not host RAM: no WP IOREQ for it. */
	ck_assert_int_eq(vm_memory_map(uvm, 0x9000, 0x300000000ull, 0x1000, EPT_R, EPT_MT_WB), 0);
	ck_assert_int_eq(gmem_write_wp(uvm, 0x9000, w, 1, &wp), -TERN_EFAULT);
}
END_TEST

START_TEST(hostile_addresses_never_hit)
{
	ck_assert_int_eq(region(MR_ADD, UGPA, LEND_A, 0x1000, MEM_ACCESS_RWX), 0);
	ck_assert_uint_eq(read32(uvm, UGPA, 0), 0xaaaaaaaau);
	uint8_t b;
	/* The same cache slot and page offset, beyond what the EPT translates,
	 * and a range wrapping the address space. */
	ck_assert_int_eq(gmem_read(uvm, UGPA | (1ull << 48), &b, 1), -TERN_EFAULT);
	ck_assert_int_eq(gmem_read(uvm, UGPA | (1ull << 63), &b, 1), -TERN_EFAULT);
	ck_assert_int_eq(gmem_read(uvm, ~0ull - 1, &b, 4), -TERN_EFAULT);
	ck_assert_int_eq(gmem_read(uvm, ~0ull - 0xfff, &b, 1), -TERN_EFAULT);
	/* Too long, and empty. */
	static uint8_t big[GMEM_MAX_LEN + 1];
	ck_assert_int_eq(gmem_read(uvm, UGPA, big, sizeof(big)), -TERN_EFAULT);
	ck_assert_int_eq(gmem_read(uvm, UGPA, &b, 0), 0);
	ck_assert_int_eq(gmem_check(uvm, UGPA, 0, true, NULL), 0);
	/* A page of the same cache slot (gfn + GMEM_TLB_ENTRIES) evicts it. */
	uint64_t other = UGPA + GMEM_TLB_ENTRIES * 0x1000ull;
	ck_assert_int_eq(region(MR_ADD, other, LEND_B, 0x1000, MEM_ACCESS_RWX), 0);
	ck_assert_uint_eq(read32(uvm, other, 0), 0xbbbbbbbbu);
	ck_assert(!cached(uvm, UGPA));
	ck_assert_uint_eq(read32(uvm, UGPA, 0), 0xaaaaaaaau);
	ck_assert_uint_eq(read32(uvm, other, 0), 0xbbbbbbbbu);
}
END_TEST

START_TEST(each_pcpu_has_its_own_cache)
{
	ck_assert_int_eq(region(MR_ADD, UGPA, LEND_A, 0x1000, MEM_ACCESS_RWX), 0);
	ck_assert_uint_eq(read32(uvm, UGPA, 0), 0xaaaaaaaau);
	sim.this_cpu = 1;
	ck_assert(!cached(uvm, UGPA));
	ck_assert_uint_eq(read32(uvm, UGPA, 0), 0xaaaaaaaau);
	ck_assert(cached(uvm, UGPA));
	/* A removal on one pCPU makes every pCPU's copy stale. */
	sim.this_cpu = 0;
	ck_assert_int_eq(region(MR_DEL, UGPA, 0, 0x1000, 0), 0);
	ck_assert_uint_eq(read32(uvm, UGPA, -TERN_EFAULT), 0x5a5a5a5au);
	sim.this_cpu = 1;
	ck_assert_uint_eq(read32(uvm, UGPA, -TERN_EFAULT), 0x5a5a5a5au);
	sim.this_cpu = 0;
}
END_TEST

START_TEST(recreated_vm_starts_empty)
{
	/* A VM destroyed and another created in its slot: its EPT counts
	 * reductions from 0 again, and must not find the old VM's pages. */
	ck_assert_int_eq(region(MR_ADD, UGPA, LEND_A, 0x1000, MEM_ACCESS_RWX), 0);
	ck_assert_uint_eq(read32(uvm, UGPA, 0), 0xaaaaaaaau);
	uint16_t slot = uvm->id;
	uvm->state = VM_STATE_PAUSED;
	ck_assert_int_eq(vm_mgr_destroy(uvm), 0);
	struct vm *again = sim_create_vm(&hv, "again", 1, false, 0);
	ck_assert_ptr_nonnull(again);
	ck_assert_uint_eq(again->id, slot);
	ck_assert_uint_eq(again->ept.reductions, 0);
	ck_assert(!cached(again, UGPA));
	ck_assert_uint_eq(read32(again, UGPA, -TERN_EFAULT), 0x5a5a5a5au);
	uvm = again;
	ck_assert_int_eq(region(MR_ADD, UGPA, LEND_B, 0x1000, MEM_ACCESS_RWX), 0);
	ck_assert_uint_eq(read32(again, UGPA, 0), 0xbbbbbbbbu);
}
END_TEST

START_TEST(page_partly_host_ram_is_not_cached)
{
	/* Host RAM ending inside a page: the bytes before its end are reached,
	 * the page is never cached whole, and the bytes after fault. */
	uint64_t hpa = sim_host_ram_alloc(0x1000);
	ck_assert_uint_ne(hpa, 0);
	sim.host_ram_used -= 0x800;
	ck_assert_int_eq(ept_map(&uvm->ept, UGPA, hpa, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	uint8_t *h = plat_hpa_map(hpa, 0x800);
	ck_assert_ptr_nonnull(h);
	h[0x10] = 0x77;
	uint8_t b = 0;
	ck_assert_int_eq(gmem_read(uvm, UGPA + 0x10, &b, 1), 0);
	ck_assert_uint_eq(b, 0x77);
	ck_assert(!cached(uvm, UGPA));
	ck_assert_int_eq(gmem_read(uvm, UGPA + 0x800, &b, 1), -TERN_EFAULT);
}
END_TEST

/*
 * A cached page serves, without a walk, every access that ends in it (up
 * to the whole page); one byte more is a page crossing, which needs the
 * next page as well and moves nothing without it.
 */
START_TEST(hits_end_at_the_page_end)
{
	ck_assert_int_eq(region(MR_ADD, UGPA, LEND_A, 0x1000, MEM_ACCESS_RWX), 0);
	ck_assert_uint_eq(read32(uvm, UGPA, 0), 0xaaaaaaaau);
	ck_assert(cached(uvm, UGPA));
	static uint8_t page[0x1000];
	memset(page, 0x5c, sizeof(page));
	ck_assert_int_eq(gmem_write(uvm, UGPA, page, sizeof(page)), 0);
	ck_assert_uint_eq(sram[LEND_A], 0x5c);
	ck_assert_uint_eq(sram[LEND_A + 0xfff], 0x5c);
	ck_assert_uint_eq(sram[LEND_A + 0x1000], 0xaa);   /* the lent page ends there */
	uint8_t two[2] = { 0x11, 0x22 };
	ck_assert_int_eq(gmem_write(uvm, UGPA + 0xfff, two, 1), 0);
	ck_assert_uint_eq(sram[LEND_A + 0xfff], 0x11);
	/* Across the page end: nothing maps UGPA + 0x1000. */
	ck_assert_int_eq(gmem_write(uvm, UGPA + 0xfff, two + 1, 2), -TERN_EFAULT);
	ck_assert_int_eq(gmem_read(uvm, UGPA + 0xfff, two, 2), -TERN_EFAULT);
	ck_assert_uint_eq(two[0], 0x11);
	ck_assert_uint_eq(sram[LEND_A + 0xfff], 0x11);
	ck_assert_int_eq(gmem_check(uvm, UGPA + 0x1, 0x1000, false, NULL), -TERN_EFAULT);
	ck_assert_int_eq(gmem_check(uvm, UGPA, 0x1000, true, NULL), 0);
	/* Mapped from the Service VM's next page, the crossing reaches both. */
	ck_assert_int_eq(region(MR_ADD, UGPA + 0x1000, LEND_A + 0x1000, 0x1000, MEM_ACCESS_RWX), 0);
	ck_assert_int_eq(gmem_write(uvm, UGPA + 0xfff, two, 2), 0);
	ck_assert_uint_eq(sram[LEND_A + 0xfff], 0x11);
	ck_assert_uint_eq(sram[LEND_A + 0x1000], 0x22);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("gmem_tlb");
	TCase *tc = tcase_create("tlb");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, removed_lent_page_faults_on_the_next_access);
	tcase_add_test(tc, remapped_page_reaches_the_new_page);
	tcase_add_test(tc, reduced_permissions_apply_to_cached_pages);
	tcase_add_test(tc, page_crossing_checks_both_pages);
	tcase_add_test(tc, write_protected_pieces_report_the_first);
	tcase_add_test(tc, hostile_addresses_never_hit);
	tcase_add_test(tc, each_pcpu_has_its_own_cache);
	tcase_add_test(tc, recreated_vm_starts_empty);
	tcase_add_test(tc, page_partly_host_ram_is_not_cached);
	tcase_add_test(tc, hits_end_at_the_page_end);
	suite_add_tcase(s, tc);
	return s;
}
