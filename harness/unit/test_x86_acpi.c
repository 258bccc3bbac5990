/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ACPI reader (platform/x86/acpi.c) on tables built here: the RSDP's
 * two roots, every table's signature, length, checksum and place inside the
 * readable window, the MADT's PCAT_COMPAT answer and the 8259 decision, the
 * SPCR's console, and the BIOS-area RSDP scan. Both ways in and tern.efi
 * use this code.
 */
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "unit.h"
#include "../../platform/x86/acpi.c"

/* The answers the tables give through the identity window (acpi_init). */
static int pcat(uint64_t rsdp)
{
	struct acpi_facts f;
	(void)acpi_init(rsdp);
	acpi_facts(&f);
	return f.pcat_compat;
}

static int spcr(uint64_t rsdp, uint64_t *addr)
{
	struct acpi_facts f;
	(void)acpi_init(rsdp);
	acpi_facts(&f);
	*addr = f.spcr_address;
	return f.spcr_port;
}

/* ACPI 1.0 tables hold 32-bit addresses: build them below 4 GiB, as firmware does. */
#define ACPI_BASE 0x31000000ul
static uint8_t *acpi;

static void acpi_setup(void)
{
	void *p = mmap((void *)ACPI_BASE, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ck_assert_ptr_eq(p, (void *)ACPI_BASE);
	acpi = p;
}

static void acpi_teardown(void)
{
	munmap(acpi, 4096);
}

static void fix_sum(uint8_t *t, size_t len, size_t at)
{
	uint8_t s = 0;
	t[at] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + t[i]);
	t[at] = (uint8_t)-s;
}

static void put_hdr(uint8_t *t, const char *sig, uint32_t len)
{
	memset(t, 0, len);
	memcpy(t, sig, 4);
	memcpy(t + 4, &len, 4);
}

/*
 * RSDP (v2) at +0, XSDT at +64 listing a FACP at +256, the MADT at +512 and
 * an SPCR at +768 (an I/O-port 16550 at spcr_port); RSDT at +128 likewise.
 */
static uint16_t spcr_port = 0x2f8;

static uint64_t build_acpi(uint32_t madt_flags)
{
	memset(acpi, 0, 1024);
	uint64_t base = (uint64_t)(uintptr_t)acpi;
	uint8_t *r = acpi, *x = acpi + 64, *rs = acpi + 128, *facp = acpi + 256, *madt = acpi + 512;
	uint8_t *spcr = acpi + 768;
	put_hdr(facp, "FACP", 40);
	fix_sum(facp, 40, 9);
	put_hdr(madt, "APIC", 44);
	memcpy(madt + 40, &madt_flags, 4);
	fix_sum(madt, 44, 9);
	put_hdr(spcr, "SPCR", 80);
	spcr[36] = 0;                   /* full 16550 */
	spcr[40] = 1;                   /* system I/O */
	spcr[41] = 8;
	uint64_t sp = spcr_port;
	memcpy(spcr + 44, &sp, 8);
	fix_sum(spcr, 80, 9);
	put_hdr(x, "XSDT", 36 + 24);
	uint64_t e0 = base + 256, e1 = base + 512, e2 = base + 768;
	memcpy(x + 36, &e0, 8);
	memcpy(x + 44, &e1, 8);
	memcpy(x + 52, &e2, 8);
	fix_sum(x, 60, 9);
	put_hdr(rs, "RSDT", 36 + 12);
	uint32_t r0 = (uint32_t)e0, r1 = (uint32_t)e1, r2 = (uint32_t)e2;
	memcpy(rs + 36, &r0, 4);
	memcpy(rs + 40, &r1, 4);
	memcpy(rs + 44, &r2, 4);
	fix_sum(rs, 48, 9);
	memcpy(r, "RSD PTR ", 8);
	r[15] = 2;
	uint32_t rsdt = (uint32_t)(base + 128), len = 36;
	uint64_t xsdt = base + 64;
	memcpy(r + 16, &rsdt, 4);
	memcpy(r + 20, &len, 4);
	memcpy(r + 24, &xsdt, 8);
	fix_sum(r, 20, 8);
	fix_sum(r, 36, 32);
	return base;
}

START_TEST(acpi_spcr)
{
	uint64_t addr = 0;
	uint64_t rsdp = build_acpi(1);
	ck_assert_int_eq(spcr(rsdp, &addr), 0x2f8);
	ck_assert_uint_eq(addr, 0x2f8);
	/* Through the RSDT too. */
	acpi[15] = 0;
	fix_sum(acpi, 20, 8);
	ck_assert_int_eq(spcr(rsdp, &addr), 0x2f8);
	/* A memory-mapped UART, another interface type, address 0 or beyond the I/O space: -1. */
	rsdp = build_acpi(1);
	acpi[768 + 40] = 0;
	fix_sum(acpi + 768, 80, 9);
	ck_assert_int_eq(spcr(rsdp, &addr), -1);
	rsdp = build_acpi(1);
	acpi[768 + 36] = 3;
	fix_sum(acpi + 768, 80, 9);
	ck_assert_int_eq(spcr(rsdp, &addr), -1);
	rsdp = build_acpi(1);
	acpi[768 + 36] = 0x12;          /* 16550 with a GAS: fine */
	fix_sum(acpi + 768, 80, 9);
	ck_assert_int_eq(spcr(rsdp, &addr), 0x2f8);
	acpi[768 + 36] = 1;             /* the DBGP subset: fine */
	fix_sum(acpi + 768, 80, 9);
	ck_assert_int_eq(spcr(rsdp, &addr), 0x2f8);
	spcr_port = 0;
	rsdp = build_acpi(1);
	ck_assert_int_eq(spcr(rsdp, &addr), -1);
	spcr_port = 0xfff9;
	rsdp = build_acpi(1);
	ck_assert_int_eq(spcr(rsdp, &addr), -1);
	ck_assert_uint_eq(addr, 0xfff9);
	spcr_port = 0xfff8;
	rsdp = build_acpi(1);
	ck_assert_int_eq(spcr(rsdp, &addr), 0xfff8);
	spcr_port = 0x2f8;
	/* Too short to hold the address, or missing: no SPCR. */
	rsdp = build_acpi(1);
	uint32_t len = 51;
	memcpy(acpi + 768 + 4, &len, 4);
	fix_sum(acpi + 768, 51, 9);
	ck_assert_int_eq(spcr(rsdp, &addr), 0);
	rsdp = build_acpi(1);
	acpi[768] = 'X';
	ck_assert_int_eq(spcr(rsdp, &addr), 0);
	ck_assert_int_eq(spcr(0, &addr), 0);
}
END_TEST

START_TEST(acpi_pcat_compat)
{
	uint64_t rsdp = build_acpi(ACPI_MADT_PCAT_COMPAT);
	ck_assert_int_eq(pcat(rsdp), 1);
	rsdp = build_acpi(0);
	ck_assert_int_eq(pcat(rsdp), 0);
	ck_assert_int_eq(pcat(0), -1);
	/* A bad RSDP signature or checksum: the tables cannot tell. */
	rsdp = build_acpi(1);
	acpi[0] = 'X';
	ck_assert_int_eq(pcat(rsdp), -1);
	rsdp = build_acpi(1);
	acpi[1] ^= 1;
	acpi[8] ^= 2;   /* v1 checksum now off by one bit pattern */
	ck_assert_int_eq(pcat(rsdp), -1);
}
END_TEST

START_TEST(acpi_rsdt_fallback_and_bad_tables)
{
	/* A revision-0 RSDP (ACPI 1.0) uses the RSDT's 32-bit entries. */
	uint64_t rsdp = build_acpi(1);
	acpi[15] = 0;
	fix_sum(acpi, 20, 8);
	const int want = 1;
	ck_assert_int_eq(pcat(rsdp), want);
	/* An XSDT with a bad checksum: the RSDT is used instead. */
	rsdp = build_acpi(1);
	acpi[64 + 20] ^= 1;
	ck_assert_int_eq(pcat(rsdp), want);
	/* v2 RSDP whose extended checksum is wrong: same. */
	rsdp = build_acpi(1);
	acpi[32] ^= 1;
	ck_assert_int_eq(pcat(rsdp), want);
	/* v2 length shorter than a v2 RSDP: same. */
	rsdp = build_acpi(1);
	acpi[20] = 20;
	fix_sum(acpi, 20, 8);
	fix_sum(acpi, 36, 32);
	ck_assert_int_eq(pcat(rsdp), want);
	/* Both roots bad. */
	rsdp = build_acpi(1);
	acpi[64 + 20] ^= 1;
	acpi[128 + 20] ^= 1;
	ck_assert_int_eq(pcat(rsdp), -1);
	/* A MADT with a bad checksum, or too short to hold its flags, is no answer. */
	rsdp = build_acpi(1);
	acpi[512 + 20] ^= 1;
	ck_assert_int_eq(pcat(rsdp), -1);
	rsdp = build_acpi(1);
	uint32_t len = 36;
	memcpy(acpi + 512 + 4, &len, 4);
	fix_sum(acpi + 512, 36, 9);
	ck_assert_int_eq(pcat(rsdp), -1);
	/* A table length beyond the sanity bound, or below a header. */
	rsdp = build_acpi(1);
	len = (1u << 20) + 1;
	memcpy(acpi + 64 + 4, &len, 4);
	ck_assert_int_eq(pcat(rsdp), want);
	rsdp = build_acpi(1);
	len = 35;
	memcpy(acpi + 64 + 4, &len, 4);
	ck_assert_int_eq(pcat(rsdp), want);
	/* A null entry is skipped. */
	rsdp = build_acpi(1);
	memset(acpi + 64 + 36, 0, 8);
	fix_sum(acpi + 64, 60, 9);
	ck_assert_int_eq(pcat(rsdp), 1);
}
END_TEST

/* ---- the entry marker ---- */


START_TEST(acpi_init_results_and_find_table)
{
	uint64_t rsdp = build_acpi(1);
	ck_assert_int_eq(acpi_init(rsdp), 0);
	const uint8_t *madt = acpi_find_table("APIC");
	ck_assert_ptr_eq(madt, acpi + 512);
	ck_assert_uint_eq(acpi_table_len(madt), 44);
	ck_assert_ptr_eq(acpi_find_table("FACP"), acpi + 256);
	ck_assert_ptr_null(acpi_find_table("HPET"));
	/* The first valid one wins: a bad FACP listed first is skipped for a good second one. */
	rsdp = build_acpi(1);
	put_hdr(acpi + 896, "APIC", 44);
	fix_sum(acpi + 896, 44, 9);
	uint64_t e = (uint64_t)(uintptr_t)(acpi + 896);
	memcpy(acpi + 64 + 36, &e, 8);          /* XSDT entry 0: this MADT instead of the FACP */
	fix_sum(acpi + 64, 60, 9);
	ck_assert_int_eq(acpi_init(rsdp), 0);
	ck_assert_ptr_eq(acpi_find_table("APIC"), acpi + 896);
	acpi[896 + 20] ^= 1;                    /* now its checksum is off */
	ck_assert_ptr_eq(acpi_find_table("APIC"), acpi + 512);
	/* No RSDP, a bad one, no root: the errors, and nothing found afterwards. */
	ck_assert_int_eq(acpi_init(0), -TERN_ENOENT);
	ck_assert_ptr_null(acpi_find_table("APIC"));
	rsdp = build_acpi(1);
	acpi[64 + 20] ^= 1;
	acpi[128 + 20] ^= 1;
	ck_assert_int_eq(acpi_init(rsdp), -TERN_EINVAL);
	ck_assert_ptr_null(acpi_find_table("APIC"));
}
END_TEST

START_TEST(acpi_window_bounds)
{
	/*
	 * The same tables seen through a window at the buffer: physical address =
	 * offset in it. Physical 0 means "no RSDP", so everything moves 16 bytes up:
	 * RSDP at 16, XSDT 80, RSDT 144, FACP 272, MADT 528, SPCR 784.
	 */
	(void)build_acpi(1);
	uintptr_t w = (uintptr_t)acpi;
	memmove(acpi + 16, acpi, 1008);
	memset(acpi, 0, 16);
	uint64_t x16 = 64 + 16;
	uint32_t t16 = 128 + 16;
	memcpy(acpi + 16 + 16, &t16, 4);
	memcpy(acpi + 16 + 24, &x16, 8);
	fix_sum(acpi + 16, 20, 8);
	fix_sum(acpi + 16, 36, 32);
	for (int i = 0; i < 3; i++) {
		uint64_t x = 256 + 256 * (uint64_t)i + 16;
		uint32_t r = (uint32_t)x;
		memcpy(acpi + 16 + 64 + 36 + 8 * i, &x, 8);
		memcpy(acpi + 16 + 128 + 36 + 4 * i, &r, 4);
	}
	fix_sum(acpi + 16 + 64, 60, 9);
	fix_sum(acpi + 16 + 128, 48, 9);
	ck_assert_int_eq(acpi_init_window(w, 4096, 16), 0);
	ck_assert_ptr_eq(acpi_find_table("APIC"), acpi + 16 + 512);
	/* A window that ends inside the MADT (ends at 16 + 512 + 43): not found; the FACP still is. */
	ck_assert_int_eq(acpi_init_window(w, 16 + 512 + 43, 16), 0);
	ck_assert_ptr_null(acpi_find_table("APIC"));
	ck_assert_ptr_eq(acpi_find_table("FACP"), acpi + 16 + 256);
	/* Ending inside the XSDT, so before the RSDT after it: no root. */
	ck_assert_int_eq(acpi_init_window(w, 16 + 64 + 59, 16), -TERN_EINVAL);
	/* Ending inside the RSDP's v2 part, or its v1 part. */
	ck_assert_int_eq(acpi_init_window(w, 16 + 30, 16), -TERN_EINVAL);
	ck_assert_int_eq(acpi_init_window(w, 16 + 19, 16), -TERN_ENOENT);
	/* An entry pointing past the window, or wrapping around: skipped. */
	uint64_t far = 1ull << 40, wrap = UINT64_MAX - 8;
	memcpy(acpi + 16 + 64 + 36, &far, 8);
	memcpy(acpi + 16 + 64 + 44, &wrap, 8);
	fix_sum(acpi + 16 + 64, 60, 9);
	ck_assert_int_eq(acpi_init_window(w, 4096, 16), 0);
	ck_assert_ptr_null(acpi_find_table("APIC"));
	ck_assert_ptr_null(acpi_find_table("FACP"));
	ck_assert_ptr_eq(acpi_find_table("SPCR"), acpi + 16 + 768);
	/* An RSDP naming a huge v2 length: the RSDT. */
	uint32_t huge = 0xfffffff0u;
	memcpy(acpi + 16 + 20, &huge, 4);
	fix_sum(acpi + 16, 20, 8);
	ck_assert_int_eq(acpi_init_window(w, 4096, 16), 0);
	ck_assert_uint_eq(acpi_st.esize, 4);
}
END_TEST

START_TEST(acpi_8259_decision)
{
	struct acpi_facts f;
	(void)acpi_init(build_acpi(1));
	acpi_facts(&f);
	ck_assert(f.tables && f.have_8259);
	ck_assert_str_eq(acpi_8259_why(&f), "present (MADT PCAT_COMPAT)");
	(void)acpi_init(build_acpi(0));
	acpi_facts(&f);
	ck_assert(f.tables && !f.have_8259);
	ck_assert_str_eq(acpi_8259_why(&f), "absent (MADT)");
	/* Tables without a MADT: left alone. */
	uint64_t rsdp = build_acpi(1);
	acpi[512] = 'X';
	(void)acpi_init(rsdp);
	acpi_facts(&f);
	ck_assert(f.tables && !f.have_8259);
	ck_assert_int_eq(f.pcat_compat, -1);
	ck_assert_str_eq(acpi_8259_why(&f), "unknown (no MADT): left alone");
	/* No tables at all: a PC-AT. */
	(void)acpi_init(0);
	acpi_facts(&f);
	ck_assert(!f.tables && f.have_8259);
	ck_assert_int_eq(f.spcr_port, 0);
	ck_assert_str_eq(acpi_8259_why(&f), "assumed (no ACPI tables: a PC-AT)");
}
END_TEST

START_TEST(acpi_bios_scan)
{
	/* A 1 MiB window as low memory: the RSDP in the EBDA's first KiB wins over the ROM area's. */
	size_t sz = 1u << 20;
	uint8_t *low = calloc(1, sz);
	ck_assert_ptr_nonnull(low);
	ck_assert_int_eq(acpi_init_window((uintptr_t)low, sz, 0), -TERN_ENOENT);
	ck_assert_uint_eq(acpi_scan_bios(), 0);
	uint8_t *rom = low + 0xf5a30;
	memcpy(rom, "RSD PTR ", 8);
	fix_sum(rom, 20, 8);
	ck_assert_uint_eq(acpi_scan_bios(), 0xf5a30);
	low[0x40e] = 0x00;
	low[0x40f] = 0x9f;                      /* EBDA at 0x9f000 */
	uint8_t *e = low + 0x9f000 + 0x3f0;     /* the last 16-byte slot of its first KiB */
	memcpy(e, "RSD PTR ", 8);
	fix_sum(e, 20, 8);
	ck_assert_uint_eq(acpi_scan_bios(), 0x9f3f0);
	e[9] ^= 1;                              /* a bad checksum: not an RSDP */
	ck_assert_uint_eq(acpi_scan_bios(), 0xf5a30);
	memcpy(e + 16, "RSD PTR ", 8);          /* beyond the first KiB: not looked at */
	fix_sum(e + 16, 20, 8);
	rom[0] = 'X';
	ck_assert_uint_eq(acpi_scan_bios(), 0);
	/* On a 16-byte boundary only. */
	memcpy(low + 0xe0008, "RSD PTR ", 8);
	fix_sum(low + 0xe0008, 20, 8);
	ck_assert_uint_eq(acpi_scan_bios(), 0);
	/* A window too small for the BDA: nothing. */
	ck_assert_int_eq(acpi_init_window((uintptr_t)low, 0x400, 0), -TERN_ENOENT);
	ck_assert_uint_eq(acpi_scan_bios(), 0);
	free(low);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_acpi");
	TCase *ta = tcase_create("acpi");
	tcase_add_checked_fixture(ta, acpi_setup, acpi_teardown);
	tcase_add_test(ta, acpi_pcat_compat);
	tcase_add_test(ta, acpi_rsdt_fallback_and_bad_tables);
	tcase_add_test(ta, acpi_spcr);
	tcase_add_test(ta, acpi_init_results_and_find_table);
	tcase_add_test(ta, acpi_window_bounds);
	tcase_add_test(ta, acpi_8259_decision);
	tcase_add_test(ta, acpi_bios_scan);
	suite_add_tcase(s, ta);
	return s;
}
