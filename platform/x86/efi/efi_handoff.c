/* SPDX-License-Identifier: BSD-3-Clause */
/* Pure parts of the EFI entry (efi_handoff.h): no firmware calls here. */
#include "efi_handoff.h"
#include "lib.h"

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	tern_memcpy(&v, p, 8);
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	tern_memcpy(&v, p, 4);
	return v;
}

static bool efi_type_free(uint32_t type)
{
	return type == EFI_MT_CONVENTIONAL || type == EFI_MT_BOOT_SERVICES_CODE ||
	       type == EFI_MT_BOOT_SERVICES_DATA;
}

unsigned efi_regions_from_map(const uint8_t *map, size_t map_size, size_t desc_size,
			      struct boot_region *out, unsigned max)
{
	unsigned n = 0;
	if (desc_size < EFI_MD_MIN_SIZE || max == 0)
		return 0;
	for (size_t off = 0; off + desc_size <= map_size; off += desc_size) {
		const uint8_t *d = map + off;
		uint64_t base = rd64(d + EFI_MD_PHYS), pages = rd64(d + EFI_MD_PAGES);
		if (!efi_type_free(rd32(d + EFI_MD_TYPE)) || pages == 0 ||
		    pages > (UINT64_MAX - base) / EFI_PAGE_BYTES)
			continue;
		uint64_t len = pages * EFI_PAGE_BYTES;
		if (n && out[n - 1].base + out[n - 1].len == base) {
			out[n - 1].len += len;          /* the map is sorted: merge neighbours */
			continue;
		}
		if (n == max) {
			/* Full: replace the smallest region if this one is larger. */
			unsigned small = 0;
			for (unsigned i = 1; i < n; i++)
				if (out[i].len < out[small].len)
					small = i;
			if (out[small].len >= len)
				continue;
			for (unsigned i = small; i + 1 < n; i++)
				out[i] = out[i + 1];
			n--;
		}
		out[n++] = (struct boot_region){ .base = base, .len = len, .type = BOOT_MEM_AVAILABLE };
	}
	return n;
}

bool efi_cmdline_from_options(const uint16_t *lo, size_t lo_bytes, char *out, size_t out_len)
{
	size_t nchars = lo_bytes / 2, n = 0;
	if (out_len == 0)
		return false;
	out[0] = 0;
	if (!lo)
		return false;
	for (size_t i = 0; i < nchars && lo[i]; i++) {
		if (lo[i] < 0x20 || lo[i] > 0x7e)
			return false;
		if (n + 1 < out_len)
			out[n++] = (char)lo[i];
	}
	out[n] = 0;
	/* The shell's "fs0:\tern.efi kernel=..." starts with the image itself. */
	size_t w = 0;
	while (out[w] && out[w] != ' ')
		w++;
	if (w >= 4 && (out[w - 4] == '.') && (out[w - 3] | 0x20) == 'e' && (out[w - 2] | 0x20) == 'f' &&
	    (out[w - 1] | 0x20) == 'i') {
		while (out[w] == ' ')
			w++;
		size_t len = tern_strlen(out + w);
		for (size_t i = 0; i <= len; i++)
			out[i] = out[w + i];
	}
	return out[0] != 0;
}

bool efi_kernel_args(const char *cmdline, char *path, size_t path_len, char *kcmd, size_t kcmd_len)
{
	const char *k = NULL, *dd = NULL;
	for (const char *p = cmdline; *p; p++) {
		bool word = p == cmdline || p[-1] == ' ';
		if (!word)
			continue;
		if (!dd && tern_strncmp(p, "-- ", 3) == 0) {
			dd = p + 3;
			break;
		}
		if (tern_strncmp(p, "--", 3) == 0)
			break;                          /* a trailing "--": nothing after it */
		if (!k && tern_strncmp(p, "kernel=", 7) == 0)
			k = p + 7;
	}
	if (!k || path_len == 0 || kcmd_len == 0)
		return false;
	size_t n = 0;
	for (; k[n] && k[n] != ' ' && n + 1 < path_len; n++)
		path[n] = k[n] == '/' ? '\\' : k[n];
	path[n] = 0;
	if (n == 0)
		return false;
	tern_strlcpy(kcmd, dd && *dd ? dd : path, kcmd_len);
	return true;
}

static bool acpi_sum_ok(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s == 0;
}

/* ACPI 6.5 5.2.5.3 (RSDP), 5.2.6 (header), 5.2.8 (XSDT), 5.2.7 (RSDT). */
#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36
#define ACPI_HDR_LEN 36
#define ACPI_MAX_TABLE (1u << 20)
#define MADT_FLAGS_OFF 40

static const uint8_t *phys(uint64_t pa)
{
	return (const uint8_t *)(uintptr_t)pa;
}

static const uint8_t *acpi_table(uint64_t pa, const char *sig)
{
	if (!pa)
		return NULL;
	const uint8_t *t = phys(pa);
	uint32_t len = rd32(t + 4);
	if (tern_memcmp(t, sig, 4) != 0 || len < ACPI_HDR_LEN || len > ACPI_MAX_TABLE || !acpi_sum_ok(t, len))
		return NULL;
	return t;
}

/* The first table with signature sig listed by the root table the RSDP names, or NULL. */
static const uint8_t *acpi_find(uint64_t rsdp, const char *sig, uint32_t min_len)
{
	if (!rsdp)
		return NULL;
	const uint8_t *r = phys(rsdp);
	if (tern_memcmp(r, "RSD PTR ", 8) != 0 || !acpi_sum_ok(r, RSDP_V1_LEN))
		return NULL;
	const uint8_t *root;
	unsigned esize;
	if (r[15] >= 2 && rd32(r + 20) >= RSDP_V2_LEN && acpi_sum_ok(r, RSDP_V2_LEN) &&
	    (root = acpi_table(rd64(r + 24), "XSDT")) != NULL) {
		esize = 8;
	} else if ((root = acpi_table(rd32(r + 16), "RSDT")) != NULL) {
		esize = 4;
	} else {
		return NULL;
	}
	uint32_t n = (rd32(root + 4) - ACPI_HDR_LEN) / esize;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = root + ACPI_HDR_LEN + i * esize;
		uint64_t pa = esize == 8 ? rd64(e) : rd32(e);
		const uint8_t *t = acpi_table(pa, sig);
		if (t && rd32(t + 4) >= min_len)
			return t;
	}
	return NULL;
}

int efi_acpi_has_8259(uint64_t rsdp)
{
	const uint8_t *madt = acpi_find(rsdp, "APIC", MADT_FLAGS_OFF + 4);
	if (!madt)
		return -1;
	return (rd32(madt + MADT_FLAGS_OFF) & ACPI_MADT_PCAT_COMPAT) ? 1 : 0;
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

int efi_acpi_spcr_port(uint64_t rsdp, uint64_t *address)
{
	const uint8_t *spcr = acpi_find(rsdp, "SPCR", SPCR_MIN_LEN);
	if (!spcr)
		return 0;
	uint8_t type = spcr[SPCR_TYPE_OFF], space = spcr[SPCR_GAS_OFF];
	uint64_t addr = rd64(spcr + SPCR_GAS_OFF + 4);
	*address = addr;
	if ((type != SPCR_16550 && type != SPCR_16550_SUBSET && type != SPCR_16550_GAS) ||
	    space != ACPI_GAS_SYSTEM_IO || addr == 0 || addr > 0xfff8)
		return -1;
	return (int)addr;
}

uint64_t efi_find_entry(const uint8_t *seg, size_t len)
{
	if (len > TERN_EFI_ENTRY_SCAN)
		len = TERN_EFI_ENTRY_SCAN;
	for (size_t off = 0; off + 16 <= len; off += 8)
		if (tern_memcmp(seg + off, TERN_EFI_ENTRY_MAGIC, 8) == 0)
			return rd64(seg + off + 8);
	return 0;
}
