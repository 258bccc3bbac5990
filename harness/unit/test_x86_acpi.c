/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's ACPI parser (platform/x86/acpi.c), compiled on the host against
 * tables built here in a window of "physical" memory: the RSDP (v1 and v2),
 * the XSDT and RSDT, tables by signature, checksums, the MADT's CPUs and
 * PCAT_COMPAT, and firmware input that lies (lengths past the window, past
 * the table, bad checksums, zero-length entries).
 */
#include <string.h>
#include "unit.h"
#include "../../platform/x86/acpi.c"

#define WBASE 0x100000ull
#define WSIZE 0x10000u
static uint8_t mem[WSIZE];

static uint8_t *at(uint64_t pa) { return mem + (pa - WBASE); }
static void w16(uint64_t pa, uint16_t v) { memcpy(at(pa), &v, 2); }
static void w32(uint64_t pa, uint32_t v) { memcpy(at(pa), &v, 4); }
static void w64(uint64_t pa, uint64_t v) { memcpy(at(pa), &v, 8); }

static void fix_sum(uint64_t pa, uint32_t len, unsigned sum_off)
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
	fix_sum(pa, len, 9);
}

static void rsdp(uint64_t pa, unsigned rev, uint32_t rsdt, uint64_t xsdt)
{
	memcpy(at(pa), "RSD PTR ", 8);
	memcpy(at(pa) + 9, "TERNTS", 6);
	at(pa)[15] = (uint8_t)rev;
	w32(pa + 16, rsdt);
	w32(pa + 20, 36);
	w64(pa + 24, xsdt);
	fix_sum(pa, 20, 8);
	fix_sum(pa, 36, 32);
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

static void setup(void)
{
	memset(mem, 0, sizeof(mem));
	acpi_set_window(WBASE, mem, WSIZE);
	roots();
	madt_begin(true);
	madt_lapic(0, 0, ACPI_MADT_CPU_ENABLED);
	madt_lapic(1, 1, ACPI_MADT_CPU_ENABLED);
	madt_end();
}

START_TEST(rsdp_v2_uses_the_xsdt)
{
	rsdp(RSDP_PA, 2, 0, XSDT_PA);         /* no RSDT at all: only the XSDT can work */
	ck_assert_int_eq(acpi_init(RSDP_PA), 0);
	ck_assert_ptr_eq(acpi_find_table("APIC"), at(MADT_PA));
	ck_assert_ptr_eq(acpi_find_table("FACP"), at(FACP_PA));
	ck_assert_ptr_null(acpi_find_table("SPCR"));
}
END_TEST

START_TEST(rsdp_v1_uses_the_rsdt)
{
	/* Revision 0 (ACPI 1.0): the XSDT field is not there, even if it looks valid. */
	rsdp(RSDP_PA, 0, (uint32_t)RSDT_PA, XSDT_PA);
	hdr(XSDT_PA, "XSDT", 36);             /* an empty XSDT: using it would find nothing */
	seal(XSDT_PA);
	ck_assert_int_eq(acpi_init(RSDP_PA), 0);
	ck_assert_ptr_eq(acpi_find_table("APIC"), at(MADT_PA));
}
END_TEST

START_TEST(bad_xsdt_falls_back_to_rsdt)
{
	rsdp(RSDP_PA, 2, (uint32_t)RSDT_PA, XSDT_PA);
	at(XSDT_PA)[40] ^= 1;                 /* XSDT checksum broken */
	ck_assert_int_eq(acpi_init(RSDP_PA), 0);
	ck_assert_ptr_eq(acpi_find_table("APIC"), at(MADT_PA));
	/* The extended RSDP checksum broken: the XSDT is not believed either. */
	seal(XSDT_PA);
	rsdp(RSDP_PA, 2, 0, XSDT_PA);
	at(RSDP_PA)[33] ^= 0x40;
	ck_assert_int_eq(acpi_init(RSDP_PA), -TERN_ENOENT);
	ck_assert_ptr_null(acpi_find_table("APIC"));
}
END_TEST

START_TEST(bad_rsdp_refused)
{
	ck_assert_int_eq(acpi_init(0), -TERN_ENOENT);
	rsdp(RSDP_PA, 2, (uint32_t)RSDT_PA, XSDT_PA);
	at(RSDP_PA)[0] = 'X';
	ck_assert_int_eq(acpi_init(RSDP_PA), -TERN_EINVAL);
	rsdp(RSDP_PA, 2, (uint32_t)RSDT_PA, XSDT_PA);
	at(RSDP_PA)[12] ^= 1;                 /* v1 checksum */
	ck_assert_int_eq(acpi_init(RSDP_PA), -TERN_EINVAL);
	ck_assert_ptr_null(acpi_find_table("APIC"));
	/* Outside the window, or straddling its end. */
	ck_assert_int_eq(acpi_init(WBASE - 16), -TERN_EINVAL);
	ck_assert_int_eq(acpi_init(WBASE + WSIZE - 10), -TERN_EINVAL);
	ck_assert_int_eq(acpi_init(~0ull - 4), -TERN_EINVAL);
}
END_TEST

START_TEST(tables_bounded_and_checked)
{
	rsdp(RSDP_PA, 2, 0, XSDT_PA);
	/* A MADT whose length runs past the window is never read, let alone summed. */
	w32(MADT_PA + 4, WSIZE);
	ck_assert_int_eq(acpi_init(RSDP_PA), 0);
	ck_assert_ptr_null(acpi_find_table("APIC"));
	ck_assert_ptr_eq(acpi_find_table("FACP"), at(FACP_PA));
	/* Shorter than a header, or longer than any real table. */
	w32(MADT_PA + 4, 20);
	ck_assert_ptr_null(acpi_find_table("APIC"));
	w32(MADT_PA + 4, ACPI_MAX_TABLE + 1);
	ck_assert_ptr_null(acpi_find_table("APIC"));
	/* A corrupt first copy is skipped for a valid second one. */
	madt_begin(false);
	madt_end();
	hdr(SPCR_PA, "APIC", 44);
	w32(SPCR_PA + 40, 1);
	seal(SPCR_PA);
	at(MADT_PA + 20)[0] ^= 1;             /* checksum broken */
	hdr(XSDT_PA, "XSDT", 36 + 24);
	w64(XSDT_PA + 36, MADT_PA);
	w64(XSDT_PA + 44, 0xdead0000000ull);  /* outside the window: skipped */
	w64(XSDT_PA + 52, SPCR_PA);
	seal(XSDT_PA);
	ck_assert_int_eq(acpi_init(RSDP_PA), 0);
	ck_assert_ptr_eq(acpi_find_table("APIC"), at(SPCR_PA));
	struct acpi_madt m;
	ck_assert_int_eq(acpi_madt_parse(&m), 0);
	ck_assert(m.pcat_compat);
}
END_TEST

START_TEST(root_length_odd_and_huge)
{
	/* An XSDT length that is not a whole number of entries: the partial one is not read. */
	hdr(XSDT_PA, "XSDT", 36 + 8 + 4);
	w64(XSDT_PA + 36, MADT_PA);
	seal(XSDT_PA);
	rsdp(RSDP_PA, 2, 0, XSDT_PA);
	ck_assert_int_eq(acpi_init(RSDP_PA), 0);
	ck_assert_ptr_eq(acpi_find_table("APIC"), at(MADT_PA));
	ck_assert_ptr_null(acpi_find_table("FACP"));
	/* The extended RSDP length beyond any table, or below 36: not believed. */
	w32(RSDP_PA + 20, ACPI_MAX_TABLE + 1);
	fix_sum(RSDP_PA, 20, 8);
	ck_assert_int_eq(acpi_init(RSDP_PA), -TERN_ENOENT);
	w32(RSDP_PA + 20, 20);
	fix_sum(RSDP_PA, 20, 8);
	ck_assert_int_eq(acpi_init(RSDP_PA), -TERN_ENOENT);
}
END_TEST

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

START_TEST(bios_scan)
{
	/* The window from physical 0, as on a BIOS machine: EBDA first, then the ROM area. */
	static uint8_t low[0x100000];
	memset(low, 0, sizeof(low));
	acpi_set_window(0, low, sizeof(low));
	ck_assert_uint_eq(acpi_find_rsdp_bios(), 0);
	/* In the ROM area, 16-byte aligned, after a decoy with a bad checksum. */
	memcpy(low + 0xe1230, "RSD PTR ", 8);
	memcpy(low + 0xf0010, "RSD PTR ", 8);
	uint8_t s = 0;
	for (int i = 0; i < 20; i++)
		s = (uint8_t)(s + low[0xf0010 + i]);
	low[0xf0010 + 8] = (uint8_t)-s;
	ck_assert_uint_eq(acpi_find_rsdp_bios(), 0xf0010);
	/* One in the EBDA's first KiB wins (the BDA names the EBDA's segment at 0x40e). */
	low[0x40e] = 0x00;
	low[0x40f] = 0x9f;                    /* segment 0x9f00: 0x9f000 */
	memcpy(low + 0x9f020, low + 0xf0010, 20);
	ck_assert_uint_eq(acpi_find_rsdp_bios(), 0x9f020);
	/* A misaligned copy is not looked at. */
	memset(low + 0x9f020, 0, 20);
	memcpy(low + 0x9f028, low + 0xf0010, 20);
	ck_assert_uint_eq(acpi_find_rsdp_bios(), 0xf0010);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_acpi");
	TCase *tc = tcase_create("acpi");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, rsdp_v2_uses_the_xsdt);
	tcase_add_test(tc, rsdp_v1_uses_the_rsdt);
	tcase_add_test(tc, bad_xsdt_falls_back_to_rsdt);
	tcase_add_test(tc, bad_rsdp_refused);
	tcase_add_test(tc, tables_bounded_and_checked);
	tcase_add_test(tc, root_length_odd_and_huge);
	tcase_add_test(tc, madt_cpus);
	tcase_add_test(tc, madt_hostile_entries);
	tcase_add_test(tc, madt_more_cpus_than_kept);
	tcase_add_test(tc, no_madt);
	tcase_add_test(tc, bios_scan);
	suite_add_tcase(s, tc);
	return s;
}
