/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's ACPI tables, read-only (ACPI 6.5 5.2). Nothing here trusts the
 * firmware: the RSDP, the root table and every table are mapped through
 * acpi_map, which checks the range against the window of physical memory
 * the tables may lie in, before a byte is read; a table's length is
 * bounded (ACPI_MAX_TABLE) and its checksum checked before its contents
 * are; a MADT entry is read only when it lies whole inside the table and
 * is as long as its type needs.
 */
#include "acpi.h"
#include "err.h"
#include "lib.h"
#include "machine.h"
#include "le.h"

/* ACPI 6.5 5.2.5.3 (RSDP), 5.2.6 (header), 5.2.7 (RSDT), 5.2.8 (XSDT), 5.2.12 (MADT). */
#define RSDP_SIG "RSD PTR "
#define RSDP_V1_LEN 20u
#define RSDP_V2_LEN 36u
#define RSDP_REVISION_OFF 15
#define RSDP_RSDT_OFF 16
#define RSDP_LENGTH_OFF 20
#define RSDP_XSDT_OFF 24
#define ACPI_HDR_LEN 36u
#define ACPI_LEN_OFF 4
#define MADT_LAPIC_ADDR_OFF 36
#define MADT_FLAGS_OFF 40
#define MADT_ENTRIES_OFF 44u
#define MADT_LOCAL_APIC 0
#define MADT_LOCAL_APIC_LEN 8u
#define MADT_LAPIC_OVERRIDE 5
#define MADT_LAPIC_OVERRIDE_LEN 12u
#define MADT_LOCAL_X2APIC 9
#define MADT_LOCAL_X2APIC_LEN 16u
/* Where a BIOS machine keeps the RSDP (ACPI 6.5 5.2.5.1). */
#define BDA_EBDA_SEGMENT 0x40e
#define EBDA_SCAN_LEN 1024u
#define BIOS_ROM_BASE 0xe0000u
#define BIOS_ROM_END 0x100000u
#define RSDP_ALIGN 16u
/* boot.S identity-maps the low 4 GiB: the image reads tables there only. */
#define ACPI_IDENTITY_LIMIT (4ull << 30)

static struct {
	uint64_t base, size;
	const uint8_t *va;              /* NULL: the identity map (phys_to_virt) */
} window = { 0, ACPI_IDENTITY_LIMIT, 0 };

/* The validated root table (XSDT or RSDT) and the size of its entries. */
static const uint8_t *root;
static uint32_t root_esize;

void acpi_set_window(uint64_t base, const void *va, uint64_t size)
{
	window.base = base;
	window.size = size;
	window.va = va;
	root = 0;
}

/* [pa, pa + len) inside the window, page 0 excluded: its address, else NULL. */
static const uint8_t *acpi_map(uint64_t pa, uint64_t len)
{
	if (pa == 0 || pa < window.base || len > window.size || pa - window.base > window.size - len)
		return 0;
	if (window.va)
		return window.va + (pa - window.base);
	return phys_to_virt(pa);
}


/* ACPI 6.5 5.2.5.3 / 5.2.6: all bytes, checksum field included, sum to 0. */
static bool sum_ok(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;
	for (uint32_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s == 0;
}

/* The table at pa with signature sig (NULL: any), whole and valid, else NULL. */
static const uint8_t *table_at(uint64_t pa, const char *sig)
{
	const uint8_t *h = acpi_map(pa, ACPI_HDR_LEN);
	if (!h || (sig && tern_memcmp(h, sig, 4) != 0))
		return 0;
	uint32_t len = le_rd32(h + ACPI_LEN_OFF);
	if (len < ACPI_HDR_LEN || len > ACPI_MAX_TABLE)
		return 0;
	const uint8_t *t = acpi_map(pa, len);
	return t && sum_ok(t, len) ? t : 0;
}

static bool rsdp_ok(const uint8_t *r)
{
	return tern_memcmp(r, RSDP_SIG, 8) == 0 && sum_ok(r, RSDP_V1_LEN);
}

int acpi_init(uint64_t rsdp)
{
	root = 0;
	if (!rsdp)
		return -TERN_ENOENT;
	const uint8_t *r = acpi_map(rsdp, RSDP_V1_LEN);
	if (!r || !rsdp_ok(r))
		return -TERN_EINVAL;
	/* Revision 2+: the XSDT, when the extended structure is valid too. */
	if (r[RSDP_REVISION_OFF] >= 2 && (r = acpi_map(rsdp, RSDP_V2_LEN)) != 0) {
		uint32_t len = le_rd32(r + RSDP_LENGTH_OFF);
		const uint8_t *full = len >= RSDP_V2_LEN && len <= ACPI_MAX_TABLE ? acpi_map(rsdp, len) : 0;
		const uint8_t *x = full && sum_ok(full, len) ? table_at(le_rd64(r + RSDP_XSDT_OFF), "XSDT") : 0;
		if (x) {
			root = x;
			root_esize = 8;
			return 0;
		}
	}
	r = acpi_map(rsdp, RSDP_V1_LEN);
	const uint8_t *t = table_at(le_rd32(r + RSDP_RSDT_OFF), "RSDT");
	if (!t)
		return -TERN_ENOENT;
	root = t;
	root_esize = 4;
	return 0;
}

const void *acpi_find_table(const char sig[4])
{
	if (!root)
		return 0;
	uint32_t n = (le_rd32(root + ACPI_LEN_OFF) - ACPI_HDR_LEN) / root_esize;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = root + ACPI_HDR_LEN + (uint64_t)i * root_esize;
		const uint8_t *t = table_at(root_esize == 8 ? le_rd64(e) : le_rd32(e), sig);
		if (t)
			return t;
	}
	return 0;
}

static void madt_cpu(struct acpi_madt *m, uint32_t apic_id, uint32_t uid, uint32_t flags, bool x2)
{
	if (!(flags & (ACPI_MADT_CPU_ENABLED | ACPI_MADT_CPU_ONLINE_CAPABLE))) {
		m->disabled++;
		return;
	}
	/* Firmware lists a CPU in both forms at times: keep it once. */
	for (unsigned i = 0; i < m->ncpus; i++)
		if (m->cpus[i].apic_id == apic_id)
			return;
	if (m->ncpus >= ACPI_MAX_CPUS) {
		m->dropped++;
		return;
	}
	m->cpus[m->ncpus++] = (struct acpi_cpu){ .apic_id = apic_id, .uid = uid, .x2apic = x2 };
}

int acpi_madt_parse(struct acpi_madt *out)
{
	tern_memset(out, 0, sizeof(*out));
	const uint8_t *t = acpi_find_table("APIC");
	if (!t)
		return -TERN_ENOENT;
	uint32_t len = le_rd32(t + ACPI_LEN_OFF);
	if (len < MADT_ENTRIES_OFF)
		return -TERN_ENOENT;
	out->lapic_base = le_rd32(t + MADT_LAPIC_ADDR_OFF);
	out->pcat_compat = (le_rd32(t + MADT_FLAGS_OFF) & ACPI_MADT_PCAT_COMPAT) != 0;
	/* Each entry: type, length (ACPI 6.5 5.2.12, Table 5.20); a length
	 * under 2 would never advance, one past the end is cut off. */
	for (uint32_t off = MADT_ENTRIES_OFF; off + 2 <= len;) {
		const uint8_t *e = t + off;
		uint32_t elen = e[1];
		if (elen < 2 || elen > len - off)
			break;
		switch (e[0]) {
		case MADT_LOCAL_APIC:
			if (elen >= MADT_LOCAL_APIC_LEN)
				madt_cpu(out, e[3], e[2], le_rd32(e + 4), false);
			break;
		case MADT_LOCAL_X2APIC:
			if (elen >= MADT_LOCAL_X2APIC_LEN)
				madt_cpu(out, le_rd32(e + 4), le_rd32(e + 12), le_rd32(e + 8), true);
			break;
		case MADT_LAPIC_OVERRIDE:
			if (elen >= MADT_LAPIC_OVERRIDE_LEN)
				out->lapic_base = le_rd64(e + 4);
			break;
		default:
			break;
		}
		off += elen;
	}
	return 0;
}

static uint64_t scan_rsdp(uint64_t pa, uint64_t len)
{
	for (uint64_t p = pa; p + RSDP_V1_LEN <= pa + len; p += RSDP_ALIGN) {
		const uint8_t *r = acpi_map(p, RSDP_V1_LEN);
		if (r && rsdp_ok(r))
			return p;
	}
	return 0;
}

uint64_t acpi_find_rsdp_bios(void)
{
	const uint8_t *bda = acpi_map(BDA_EBDA_SEGMENT, 2);
	uint64_t ebda = bda ? (uint64_t)(bda[0] | (bda[1] << 8)) << 4 : 0;
	uint64_t r = ebda ? scan_rsdp(ebda, EBDA_SCAN_LEN) : 0;
	return r ? r : scan_rsdp(BIOS_ROM_BASE, BIOS_ROM_END - BIOS_ROM_BASE);
}
