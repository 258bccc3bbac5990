/* SPDX-License-Identifier: BSD-3-Clause */
/* Pure parts of the EFI entry (efi_handoff.h): no firmware calls here. */
#include "efi_handoff.h"
#include "lib.h"
#include "../unaligned.h"

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

uint64_t efi_find_entry(const uint8_t *seg, size_t len)
{
	if (len > TERN_EFI_ENTRY_SCAN)
		len = TERN_EFI_ENTRY_SCAN;
	for (size_t off = 0; off + 16 <= len; off += 8)
		if (tern_memcmp(seg + off, TERN_EFI_ENTRY_MAGIC, 8) == 0)
			return rd64(seg + off + 8);
	return 0;
}
