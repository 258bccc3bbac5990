/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ACPI reader (platform/x86/acpi.c) on tables built here: the RSDP's
 * two roots, every table's signature, length, checksum and place inside the
 * readable window, the MADT's PCAT_COMPAT answer and the 8259 decision, the
 * SPCR's console, the BIOS-area RSDP scan and the RSDP from an EFI system
 * table's configuration table. Both ways in and tern.efi
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
	acpi_set_window(0, 0, ACPI_PHYS_LIMIT);   /* the image's identity window */
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

/*
 * An EFI system table (UEFI 2.10 4.3, x64) at st listing n configuration-table
 * entries at ct (UEFI 4.6: GUID, then the pointer); the caller fills them.
 */
static const uint8_t guid_acpi20[16] = { 0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
					 0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 };
static const uint8_t guid_acpi10[16] = { 0x30, 0x2d, 0x9d, 0xeb, 0x88, 0x2d, 0xd3, 0x11,
					 0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d };
/* The SMBIOS 3 GUID (UEFI 4.6.1.1): an entry that is not ACPI's. */
static const uint8_t guid_smbios3[16] = { 0x44, 0x15, 0xfd, 0xf2, 0x94, 0x97, 0x2c, 0x4a,
					  0x99, 0x2e, 0xe5, 0xbb, 0xcf, 0x20, 0xe3, 0x94 };

static void put_systab(uint8_t *st, uint64_t n, uint64_t ct)
{
	memset(st, 0, 120);
	memcpy(st, "IBI SYST", 8);
	uint32_t rev = (2u << 16) | 70, hsize = 120;
	memcpy(st + 8, &rev, 4);
	memcpy(st + 12, &hsize, 4);
	memcpy(st + 104, &n, 8);
	memcpy(st + 112, &ct, 8);
}

static void put_config(uint8_t *ct, unsigned i, const uint8_t guid[16], uint64_t table)
{
	memcpy(ct + 24 * i, guid, 16);
	memcpy(ct + 24 * i + 16, &table, 8);
}

START_TEST(acpi_efi_config_table)
{
	/* Tables at +0 (build_acpi), a second, ACPI 1.0 RSDP at +2048, the system table at
	 * +1024 and its configuration table at +1152. */
	uint64_t rsdp = build_acpi(1), base = (uint64_t)(uintptr_t)acpi;
	uint8_t *st = acpi + 1024, *ct = acpi + 1152, *r1 = acpi + 2048;
	memcpy(r1, acpi, 20);
	r1[15] = 0;
	fix_sum(r1, 20, 8);
	uint64_t stpa = base + 1024, ctpa = base + 1152, r1pa = base + 2048;
	put_systab(st, 3, ctpa);
	put_config(ct, 0, guid_smbios3, base + 3000);
	put_config(ct, 1, guid_acpi10, r1pa);
	put_config(ct, 2, guid_acpi20, rsdp);
	/* The ACPI 2.0 entry wins wherever it is listed; its tables then answer as the tag's do. */
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), rsdp);
	ck_assert_int_eq(acpi_init(acpi_efi_rsdp(stpa)), 0);
	ck_assert_ptr_eq(acpi_find_table("APIC"), acpi + 512);
	ck_assert_int_eq(pcat(acpi_efi_rsdp(stpa)), 1);
	/* Only the ACPI 1.0 entry: that one. */
	put_config(ct, 2, guid_smbios3, rsdp);
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), r1pa);
	/* An ACPI 2.0 entry pointing at no RSDP (signature, checksum, 0): the 1.0 one. */
	put_config(ct, 2, guid_acpi20, base + 1024);
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), r1pa);
	put_config(ct, 2, guid_acpi20, 0);
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), r1pa);
	put_config(ct, 2, guid_acpi20, rsdp);
	acpi[8] ^= 1;
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), r1pa);
	acpi[8] ^= 1;
	/* Neither entry valid, or none listed: 0. */
	r1[0] = 'X';
	put_config(ct, 2, guid_smbios3, rsdp);
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), 0);
	put_config(ct, 2, guid_acpi20, rsdp);
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), rsdp);
	/* Only the first n entries count: with n = 2 the ACPI 2.0 entry at index 2 is not read. */
	put_systab(st, 2, ctpa);
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), 0);
	/* A system table that is not one: signature, header size, no entries, too many, no array. */
	put_systab(st, 3, ctpa);
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), rsdp);
	st[0] = 'X';
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), 0);
	put_systab(st, 3, ctpa);
	uint32_t hsize = 119;
	memcpy(st + 12, &hsize, 4);
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), 0);
	put_systab(st, 0, ctpa);
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), 0);
	put_systab(st, ACPI_EFI_MAX_CONFIG + 1, ctpa);
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), 0);
	put_systab(st, 3, 0);
	ck_assert_uint_eq(acpi_efi_rsdp(stpa), 0);
	ck_assert_uint_eq(acpi_efi_rsdp(0), 0);
}
END_TEST

START_TEST(acpi_efi_config_table_window)
{
	/*
	 * A window at an exact-size buffer (ASan sees any read past it): physical address
	 * = offset. RSDP at 16 (v1, no root needed for the lookup), system table at 64,
	 * the configuration table at 192 with two entries (ACPI 1.0, then 2.0).
	 */
	size_t sz = 192 + 48;
	uint8_t *w = calloc(1, sz);
	ck_assert_ptr_nonnull(w);
	memcpy(w + 16, "RSD PTR ", 8);
	fix_sum(w + 16, 20, 8);
	put_systab(w + 64, 2, 192);
	put_config(w + 192, 0, guid_acpi10, 16);
	put_config(w + 192, 1, guid_acpi20, 16);
	acpi_set_window(0, (uintptr_t)w, sz);
	ck_assert_uint_eq(acpi_efi_rsdp(64), 16);
	/* The array running past the window by one byte: not read at all. */
	acpi_set_window(0, (uintptr_t)w, sz - 1);
	ck_assert_uint_eq(acpi_efi_rsdp(64), 0);
	/* A system table that ends past the window, or lies beyond it; a count whose
	 * array size wraps (n * 24 past 2^64): nothing read. */
	acpi_set_window(0, (uintptr_t)w, 64 + 119);
	ck_assert_uint_eq(acpi_efi_rsdp(64), 0);
	acpi_set_window(0, (uintptr_t)w, sz);
	ck_assert_uint_eq(acpi_efi_rsdp(sz), 0);
	ck_assert_uint_eq(acpi_efi_rsdp(UINT64_MAX - 8), 0);
	uint64_t n = 0x0aaaaaaaaaaaaaabull;             /* * 24 wraps to 8 */
	memcpy(w + 64 + 104, &n, 8);
	ck_assert_uint_eq(acpi_efi_rsdp(64), 0);
	/* Entries pointing at an RSDP cut by the window's end, or beyond it: 0. */
	put_systab(w + 64, 2, 192);
	uint64_t cut = sz - 19, far = 1ull << 40;
	put_config(w + 192, 0, guid_acpi10, cut);
	put_config(w + 192, 1, guid_acpi20, far);
	ck_assert_uint_eq(acpi_efi_rsdp(64), 0);
	/* A window starting above 0: addresses below its base are outside it. */
	put_config(w + 192, 0, guid_acpi10, 16);
	acpi_set_window(0x1000, (uintptr_t)w, sz);
	ck_assert_uint_eq(acpi_efi_rsdp(64), 0);
	put_systab(w + 64, 2, 0x1000 + 192);
	put_config(w + 192, 0, guid_acpi10, 0x1000 + 16);
	ck_assert_uint_eq(acpi_efi_rsdp(0x1000 + 64), 0x1000 + 16);
	free(w);
	acpi_set_window(0, 0, ACPI_PHYS_LIMIT);
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

/* The MADT walk, against tables in a window whose physical base is not 0. */
#define WBASE 0x100000ull
#define WSIZE 0x10000u
static uint8_t mem[WSIZE];

static uint8_t *at(uint64_t pa) { return mem + (pa - WBASE); }
static void w16(uint64_t pa, uint16_t v) { memcpy(at(pa), &v, 2); }
static void w32(uint64_t pa, uint32_t v) { memcpy(at(pa), &v, 4); }
static void w64(uint64_t pa, uint64_t v) { memcpy(at(pa), &v, 8); }

static void m_fix_sum(uint64_t pa, uint32_t len, unsigned sum_off)
{
	uint8_t *p = at(pa);
	p[sum_off] = 0;
	uint8_t s = 0;
	for (uint32_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	p[sum_off] = (uint8_t)-s;
}

/* A table header (ACPI 6.5 5.2.6) of len bytes; the checksum is fixed by seal(). */
static void hdr(uint64_t pa, const char *sig, uint32_t len)
{
	memcpy(at(pa), sig, 4);
	w32(pa + 4, len);
	at(pa)[8] = 1;
	memcpy(at(pa) + 10, "TERNTS", 6);
}

static void seal(uint64_t pa)
{
	uint32_t len;
	memcpy(&len, at(pa + 4), 4);
	m_fix_sum(pa, len, 9);
}

static void rsdp(uint64_t pa, unsigned rev, uint32_t rsdt, uint64_t xsdt)
{
	memcpy(at(pa), "RSD PTR ", 8);
	memcpy(at(pa) + 9, "TERNTS", 6);
	at(pa)[15] = (uint8_t)rev;
	w32(pa + 16, rsdt);
	w32(pa + 20, 36);
	w64(pa + 24, xsdt);
	m_fix_sum(pa, 20, 8);
	m_fix_sum(pa, 36, 32);
}

#define RSDP_PA (WBASE + 0x100)
#define XSDT_PA (WBASE + 0x200)
#define RSDT_PA (WBASE + 0x300)
#define MADT_PA (WBASE + 0x1000)
#define FACP_PA (WBASE + 0x2000)
#define SPCR_PA (WBASE + 0x3000)

/* Root tables listing FACP, then MADT (and optionally more). */
static void roots(void)
{
	hdr(XSDT_PA, "XSDT", 36 + 16);
	w64(XSDT_PA + 36, FACP_PA);
	w64(XSDT_PA + 44, MADT_PA);
	seal(XSDT_PA);
	hdr(RSDT_PA, "RSDT", 36 + 8);
	w32(RSDT_PA + 36, (uint32_t)FACP_PA);
	w32(RSDT_PA + 40, (uint32_t)MADT_PA);
	seal(RSDT_PA);
	hdr(FACP_PA, "FACP", 116);
	seal(FACP_PA);
}

/* A MADT: 0xFEE00000, PCAT_COMPAT as asked, then the entries given. */
static uint32_t madt_len;
static void madt_begin(bool pcat)
{
	hdr(MADT_PA, "APIC", 44);
	w32(MADT_PA + 36, 0xfee00000u);
	w32(MADT_PA + 40, pcat ? 1 : 0);
	madt_len = 44;
}

static void madt_lapic(uint8_t uid, uint8_t id, uint32_t flags)
{
	uint64_t e = MADT_PA + madt_len;
	at(e)[0] = 0;
	at(e)[1] = 8;
	at(e)[2] = uid;
	at(e)[3] = id;
	w32(e + 4, flags);
	madt_len += 8;
}

static void madt_x2apic(uint32_t id, uint32_t uid, uint32_t flags)
{
	uint64_t e = MADT_PA + madt_len;
	at(e)[0] = 9;
	at(e)[1] = 16;
	w16(e + 2, 0);
	w32(e + 4, id);
	w32(e + 8, flags);
	w32(e + 12, uid);
	madt_len += 16;
}

static void madt_raw(const uint8_t *bytes, uint32_t n)
{
	memcpy(at(MADT_PA + madt_len), bytes, n);
	madt_len += n;
}

static void madt_end(void)
{
	w32(MADT_PA + 4, madt_len);
	seal(MADT_PA);
}

static void madt_setup(void)
{
	memset(mem, 0, sizeof(mem));
	acpi_set_window(WBASE, (uintptr_t)mem, WSIZE);
	roots();
	madt_begin(true);
	madt_lapic(0, 0, ACPI_MADT_CPU_ENABLED);
	madt_lapic(1, 1, ACPI_MADT_CPU_ENABLED);
	madt_end();
}

START_TEST(madt_cpus)
{
	rsdp(RSDP_PA, 2, 0, XSDT_PA);
	madt_begin(true);
	madt_lapic(0, 0, ACPI_MADT_CPU_ENABLED);
	madt_lapic(1, 2, 0);                              /* disabled, not online-capable */
	madt_lapic(2, 4, ACPI_MADT_CPU_ONLINE_CAPABLE);   /* may be started */
	madt_x2apic(0x100, 7, ACPI_MADT_CPU_ENABLED);
	madt_x2apic(4, 2, ACPI_MADT_CPU_ENABLED);         /* the same CPU in both forms: once */
	static const uint8_t override[12] = { 5, 12, 0, 0, 0x00, 0x00, 0xd0, 0xfe, 0, 0, 0, 0 };
	madt_raw(override, sizeof(override));
	static const uint8_t ioapic[12] = { 1, 12, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0 };
	madt_raw(ioapic, sizeof(ioapic));
	madt_end();
	ck_assert_int_eq(acpi_init(RSDP_PA), 0);
	struct acpi_madt m;
	ck_assert_int_eq(acpi_madt_parse(&m), 0);
	ck_assert(m.pcat_compat);
	ck_assert_uint_eq(m.lapic_base, 0xfed00000u);
	ck_assert_uint_eq(m.ncpus, 3);
	ck_assert_uint_eq(m.disabled, 1);
	ck_assert_uint_eq(m.cpus[0].apic_id, 0);
	ck_assert_uint_eq(m.cpus[1].apic_id, 4);
	ck_assert_uint_eq(m.cpus[1].uid, 2);
	ck_assert_uint_eq(m.cpus[2].apic_id, 0x100);
	ck_assert_uint_eq(m.cpus[2].uid, 7);
	ck_assert(m.cpus[2].x2apic);
	ck_assert(!m.cpus[0].x2apic);
}
END_TEST

START_TEST(madt_hostile_entries)
{
	rsdp(RSDP_PA, 2, 0, XSDT_PA);
	/* Too short for its type: skipped; then a zero length ends the walk. */
	madt_begin(false);
	madt_lapic(0, 0, ACPI_MADT_CPU_ENABLED);
	static const uint8_t short_lapic[4] = { 0, 4, 1, 1 };
	madt_raw(short_lapic, sizeof(short_lapic));
	static const uint8_t short_x2[8] = { 9, 8, 0, 0, 5, 0, 0, 0 };
	madt_raw(short_x2, sizeof(short_x2));
	static const uint8_t short_ovr[6] = { 5, 6, 0, 0, 0, 0 };
	madt_raw(short_ovr, sizeof(short_ovr));
	static const uint8_t zero[2] = { 0, 0 };
	madt_raw(zero, sizeof(zero));
	madt_lapic(3, 3, ACPI_MADT_CPU_ENABLED);          /* after the zero length: not reached */
	madt_end();
	ck_assert_int_eq(acpi_init(RSDP_PA), 0);
	struct acpi_madt m;
	ck_assert_int_eq(acpi_madt_parse(&m), 0);
	ck_assert(!m.pcat_compat);
	ck_assert_uint_eq(m.lapic_base, 0xfee00000u);
	ck_assert_uint_eq(m.ncpus, 1);
	/* An entry running past the table's end is not read. */
	madt_begin(false);
	madt_lapic(0, 0, ACPI_MADT_CPU_ENABLED);
	madt_lapic(1, 1, ACPI_MADT_CPU_ENABLED);
	madt_end();
	w32(MADT_PA + 4, madt_len - 1);
	seal(MADT_PA);
	ck_assert_int_eq(acpi_madt_parse(&m), 0);
	ck_assert_uint_eq(m.ncpus, 1);
	/* A MADT too short for its fixed fields. */
	hdr(MADT_PA, "APIC", 40);
	seal(MADT_PA);
	ck_assert_int_eq(acpi_madt_parse(&m), -TERN_ENOENT);
}
END_TEST

START_TEST(madt_more_cpus_than_kept)
{
	rsdp(RSDP_PA, 2, 0, XSDT_PA);
	madt_begin(true);
	for (unsigned i = 0; i < ACPI_MAX_CPUS + 3; i++)
		madt_x2apic(i, i, ACPI_MADT_CPU_ENABLED);
	madt_end();
	ck_assert_int_eq(acpi_init(RSDP_PA), 0);
	struct acpi_madt m;
	ck_assert_int_eq(acpi_madt_parse(&m), 0);
	ck_assert_uint_eq(m.ncpus, ACPI_MAX_CPUS);
	ck_assert_uint_eq(m.dropped, 3);
	ck_assert_uint_eq(m.cpus[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
}
END_TEST

START_TEST(no_madt)
{
	hdr(XSDT_PA, "XSDT", 36 + 8);
	w64(XSDT_PA + 36, FACP_PA);
	seal(XSDT_PA);
	rsdp(RSDP_PA, 2, 0, XSDT_PA);
	ck_assert_int_eq(acpi_init(RSDP_PA), 0);
	struct acpi_madt m;
	ck_assert_int_eq(acpi_madt_parse(&m), -TERN_ENOENT);
	ck_assert_uint_eq(m.ncpus, 0);
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
	tcase_add_test(ta, acpi_efi_config_table);
	tcase_add_test(ta, acpi_efi_config_table_window);
	suite_add_tcase(s, ta);
	TCase *tm = tcase_create("madt");
	tcase_add_checked_fixture(tm, madt_setup, NULL);
	tcase_add_test(tm, madt_cpus);
	tcase_add_test(tm, madt_hostile_entries);
	tcase_add_test(tm, madt_more_cpus_than_kept);
	tcase_add_test(tm, no_madt);
	suite_add_tcase(s, tm);
	return s;
}
