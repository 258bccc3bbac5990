/* SPDX-License-Identifier: BSD-3-Clause */
/* ACPI tables, checked before use (acpi.h). Machine state, not core state. */
#include "acpi.h"
#include "err.h"
#include "lib.h"
#include "unaligned.h"

/* ACPI 6.5 5.2.5.3 (RSDP), 5.2.6 (header), 5.2.8 (XSDT), 5.2.7 (RSDT). */
#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36
#define RSDP_REV 15
#define RSDP_RSDT 16
#define RSDP_LEN 20
#define RSDP_XSDT 24
#define RSDP_MAX_LEN 4096
#define MADT_FLAGS_OFF 40

static struct {
	uint64_t base;          /* physical address of the window's first byte */
	uintptr_t window;       /* where that byte is seen */
	uint64_t size;
	const uint8_t *root;
	unsigned esize;         /* 8: XSDT entries, 4: RSDT entries */
	uint32_t n;
} acpi_st = { .base = 0, .window = 0, .size = ACPI_PHYS_LIMIT };

/* [pa, pa + len) inside the window, or NULL. */
static const uint8_t *phys(uint64_t pa, uint64_t len)
{
	if (pa < acpi_st.base)
		return NULL;
	uint64_t off = pa - acpi_st.base;
	if (off > acpi_st.size || len > acpi_st.size - off)
		return NULL;
	return (const uint8_t *)(acpi_st.window + (uintptr_t)off);
}

static bool sum_ok(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s == 0;
}

/* The table at pa if it is a valid one with this signature (sig NULL: any). */
static const uint8_t *table_at(uint64_t pa, const char *sig)
{
	const uint8_t *h = pa ? phys(pa, ACPI_HDR_LEN) : NULL;
	if (!h || (sig && tern_memcmp(h, sig, 4) != 0))
		return NULL;
	uint32_t len = rd32(h + 4);
	if (len < ACPI_HDR_LEN || len > ACPI_MAX_TABLE || !phys(pa, len) || !sum_ok(h, len))
		return NULL;
	return h;
}

void acpi_set_window(uint64_t base, uintptr_t va, uint64_t size)
{
	acpi_st.base = base;
	acpi_st.window = va;
	acpi_st.size = size;
	acpi_st.root = NULL;
	acpi_st.n = 0;
}

int acpi_init(uint64_t rsdp)
{
	acpi_st.root = NULL;
	acpi_st.n = 0;
	const uint8_t *r = rsdp ? phys(rsdp, RSDP_V1_LEN) : NULL;
	if (!r || tern_memcmp(r, "RSD PTR ", 8) != 0 || !sum_ok(r, RSDP_V1_LEN))
		return -TERN_ENOENT;
	/* ACPI 2.0+: the XSDT when the extended structure checks out, else the RSDT. */
	uint32_t len = 0;
	if (r[RSDP_REV] >= 2 && phys(rsdp, RSDP_V2_LEN))
		len = rd32(r + RSDP_LEN);
	if (len >= RSDP_V2_LEN && len <= RSDP_MAX_LEN && phys(rsdp, len) && sum_ok(r, len) &&
	    (acpi_st.root = table_at(rd64(r + RSDP_XSDT), "XSDT")) != NULL) {
		acpi_st.esize = 8;
	} else if ((acpi_st.root = table_at(rd32(r + RSDP_RSDT), "RSDT")) != NULL) {
		acpi_st.esize = 4;
	} else {
		return -TERN_EINVAL;
	}
	acpi_st.n = (rd32(acpi_st.root + 4) - ACPI_HDR_LEN) / acpi_st.esize;
	return 0;
}

int acpi_init_window(uintptr_t window, uint64_t size, uint64_t rsdp)
{
	acpi_set_window(0, window, size);
	return acpi_init(rsdp);
}

const void *acpi_find_table(const char sig[4])
{
	for (uint32_t i = 0; acpi_st.root && i < acpi_st.n; i++) {
		const uint8_t *e = acpi_st.root + ACPI_HDR_LEN + (size_t)i * acpi_st.esize;
		const uint8_t *t = table_at(acpi_st.esize == 8 ? rd64(e) : rd32(e), sig);
		if (t)
			return t;
	}
	return NULL;
}

uint32_t acpi_table_len(const void *table)
{
	return rd32((const uint8_t *)table + 4);
}

/*
 * Microsoft's Serial Port Console Redirection table, revision 2: interface
 * type at 36 (the DBG2 serial subtypes), the base address as an ACPI Generic
 * Address Structure at 40 (ACPI 6.5 5.2.3.2: space id, width, offset, access
 * size, then the 64-bit address at 44).
 */
#define SPCR_TYPE_OFF 36
#define SPCR_GAS_OFF 40
#define SPCR_MIN_LEN 52
#define SPCR_16550 0x00
#define SPCR_16550_SUBSET 0x01
#define SPCR_16550_GAS 0x12
#define ACPI_GAS_SYSTEM_IO 1
#define IO_PORT_MAX_UART 0xfff8         /* the 16550's eight registers fit below 0x10000 */

void acpi_facts(struct acpi_facts *out)
{
	tern_memset(out, 0, sizeof(*out));
	out->tables = acpi_st.root != NULL;
	const uint8_t *madt = acpi_find_table("APIC");
	out->pcat_compat = -1;
	if (madt && acpi_table_len(madt) >= MADT_FLAGS_OFF + 4)
		out->pcat_compat = (rd32(madt + MADT_FLAGS_OFF) & ACPI_MADT_PCAT_COMPAT) ? 1 : 0;
	/*
	 * The MADT's PCAT_COMPAT flag decides. With no ACPI tables at all (a BIOS
	 * without them, or OVMF on Bochs, which has no fw_cfg to get them from)
	 * the machine is a PC-AT, which has the 8259s by definition; tables
	 * without a usable MADT leave them alone.
	 */
	out->have_8259 = out->pcat_compat == 1 || (out->pcat_compat < 0 && !out->tables);
	const uint8_t *spcr = acpi_find_table("SPCR");
	if (spcr && acpi_table_len(spcr) >= SPCR_MIN_LEN) {
		uint8_t type = spcr[SPCR_TYPE_OFF], space = spcr[SPCR_GAS_OFF];
		uint64_t addr = rd64(spcr + SPCR_GAS_OFF + 4);
		out->spcr_address = addr;
		bool uart = type == SPCR_16550 || type == SPCR_16550_SUBSET || type == SPCR_16550_GAS;
		out->spcr_port = uart && space == ACPI_GAS_SYSTEM_IO && addr && addr <= IO_PORT_MAX_UART ?
				 (int)addr : -1;
	}
}

const char *acpi_8259_why(const struct acpi_facts *f)
{
	if (f->pcat_compat == 1)
		return "present (MADT PCAT_COMPAT)";
	if (f->pcat_compat == 0)
		return "absent (MADT)";
	return f->tables ? "unknown (no MADT): left alone" : "assumed (no ACPI tables: a PC-AT)";
}

/* ACPI 6.5 5.2.5.1: the EBDA segment at 0x40E, its first KiB; then the BIOS ROM area. */
#define BDA_EBDA_SEG 0x40e
#define EBDA_SCAN_LEN 1024
#define BIOS_ROM_START 0xe0000
#define BIOS_ROM_END 0x100000
#define RSDP_ALIGN 16

/* An RSDP at pa: its signature and ACPI 1.0 checksum, inside the window. */
static bool rsdp_at(uint64_t pa)
{
	const uint8_t *r = pa ? phys(pa, RSDP_V1_LEN) : NULL;
	return r && tern_memcmp(r, "RSD PTR ", 8) == 0 && sum_ok(r, RSDP_V1_LEN);
}

/* An RSDP starting in [start, end) on a 16-byte boundary. */
static uint64_t scan(uint64_t start, uint64_t end)
{
	for (uint64_t pa = start; pa < end; pa += RSDP_ALIGN)
		if (rsdp_at(pa))
			return pa;
	return 0;
}

uint64_t acpi_scan_bios(void)
{
	const uint8_t *seg = phys(BDA_EBDA_SEG, 2);
	uint64_t ebda = seg ? (uint64_t)(seg[0] | seg[1] << 8) << 4 : 0;
	uint64_t pa = ebda ? scan(ebda, ebda + EBDA_SCAN_LEN) : 0;
	return pa ? pa : scan(BIOS_ROM_START, BIOS_ROM_END);
}

/*
 * UEFI 2.10 4.2 and 4.3 (x64 layout): EFI_TABLE_HEADER (signature, revision,
 * header size, CRC32, reserved), then the system table's pointers;
 * NumberOfTableEntries (UINTN) at 104, ConfigurationTable at 112, 120 bytes
 * in all. 4.6: each EFI_CONFIGURATION_TABLE is a GUID and a pointer. The
 * CRC32 is not checked: firmware rewrites it on every
 * InstallConfigurationTable and a table that lies costs only a wrong RSDP,
 * which acpi_init checks in turn.
 */
#define EFI_ST_SIGNATURE 0x5453595320494249ull  /* "IBI SYST" */
#define EFI_ST_HDR_SIZE_OFF 12
#define EFI_ST_NENTRIES_OFF 104
#define EFI_ST_CONFIG_OFF 112
#define EFI_ST_MIN_LEN 120u
#define EFI_CONFIG_LEN 24u
#define EFI_GUID_LEN 16

/* 8868E871-E4F1-11D3-BC22-0080C73C8881 and EB9D2D30-2D88-11D3-9A16-0090273FC14D
 * (UEFI 2.10 4.6.1.1) as stored: Data1-3 little-endian, Data4 as written. */
static const uint8_t efi_acpi20_guid[EFI_GUID_LEN] = {
	0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
	0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81,
};
static const uint8_t efi_acpi10_guid[EFI_GUID_LEN] = {
	0x30, 0x2d, 0x9d, 0xeb, 0x88, 0x2d, 0xd3, 0x11,
	0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d,
};

uint64_t acpi_efi_rsdp(uint64_t systab)
{
	const uint8_t *st = systab ? phys(systab, EFI_ST_MIN_LEN) : NULL;
	if (!st || rd64(st) != EFI_ST_SIGNATURE || rd32(st + EFI_ST_HDR_SIZE_OFF) < EFI_ST_MIN_LEN)
		return 0;
	uint64_t n = rd64(st + EFI_ST_NENTRIES_OFF), ct = rd64(st + EFI_ST_CONFIG_OFF);
	const uint8_t *e = n && n <= ACPI_EFI_MAX_CONFIG ? phys(ct, n * EFI_CONFIG_LEN) : NULL;
	uint64_t v1 = 0;
	for (uint64_t i = 0; e && i < n; i++, e += EFI_CONFIG_LEN) {
		uint64_t pa = rd64(e + EFI_GUID_LEN);
		if (tern_memcmp(e, efi_acpi20_guid, EFI_GUID_LEN) == 0 && rsdp_at(pa))
			return pa;
		if (!v1 && tern_memcmp(e, efi_acpi10_guid, EFI_GUID_LEN) == 0 && rsdp_at(pa))
			v1 = pa;
	}
	return v1;
}

/* ACPI 6.5 5.2.12 (MADT): header, local APIC address, flags, then the entries. */
#define MADT_LAPIC_ADDR_OFF 36
#define MADT_ENTRIES_OFF 44u
#define MADT_LOCAL_APIC 0
#define MADT_LOCAL_APIC_LEN 8u
#define MADT_LAPIC_OVERRIDE 5
#define MADT_LAPIC_OVERRIDE_LEN 12u
#define MADT_LOCAL_X2APIC 9
#define MADT_LOCAL_X2APIC_LEN 16u

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
	uint32_t len = rd32(t + 4);
	if (len < MADT_ENTRIES_OFF)
		return -TERN_ENOENT;
	out->lapic_base = rd32(t + MADT_LAPIC_ADDR_OFF);
	out->pcat_compat = (rd32(t + MADT_FLAGS_OFF) & ACPI_MADT_PCAT_COMPAT) != 0;
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
				madt_cpu(out, e[3], e[2], rd32(e + 4), false);
			break;
		case MADT_LOCAL_X2APIC:
			if (elen >= MADT_LOCAL_X2APIC_LEN)
				madt_cpu(out, rd32(e + 4), rd32(e + 12), rd32(e + 8), true);
			break;
		case MADT_LAPIC_OVERRIDE:
			if (elen >= MADT_LAPIC_OVERRIDE_LEN)
				out->lapic_base = rd64(e + 4);
			break;
		default:
			break;
		}
		off += elen;
	}
	return 0;
}
