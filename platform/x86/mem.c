/* SPDX-License-Identifier: BSD-3-Clause */
#include "mem.h"
#include "machine.h"
#include "lib.h"

/* Only RAM the identity map covers (link-time page tables: 4 GiB). */
#define MEM_LIMIT (4ull << 30)
#define MEM_LOW_RESERVED 0x100000ull

extern char __image_start_phys[], __image_end_phys[];

struct range {
	uint64_t base, end;
};

static struct range free_ranges[MEM_MAX_FREE];
static unsigned nfree;

static void add_free(uint64_t base, uint64_t end)
{
	if (base < MEM_LOW_RESERVED)
		base = MEM_LOW_RESERVED;
	if (end > MEM_LIMIT)
		end = MEM_LIMIT;
	if (base < end && nfree < MEM_MAX_FREE)
		free_ranges[nfree++] = (struct range){ base, end };
}

/* Remove [base, end) from every free range, splitting where needed. */
static void carve(uint64_t base, uint64_t end)
{
	for (unsigned i = 0; i < nfree; i++) {
		struct range *r = &free_ranges[i];
		if (end <= r->base || base >= r->end)
			continue;
		if (base > r->base && end < r->end) {
			uint64_t tail = r->end;
			r->end = base;
			add_free(end, tail);
		} else if (base <= r->base && end >= r->end) {
			r->end = r->base;       /* empty */
		} else if (base <= r->base) {
			r->base = end;
		} else {
			r->end = base;
		}
	}
}

uint64_t mem_image_base(void) { return (uint64_t)__image_start_phys; }
uint64_t mem_image_size(void) { return (uint64_t)(__image_end_phys - __image_start_phys); }

void mem_init(const struct boot_info *bi)
{
	nfree = 0;
	for (unsigned i = 0; i < bi->nregions; i++)
		if (bi->regions[i].type == BOOT_MEM_AVAILABLE)
			add_free(bi->regions[i].base, bi->regions[i].base + bi->regions[i].len);
	/* The map may list overlapping available ranges; reserved ones win. */
	for (unsigned i = 0; i < bi->nregions; i++)
		if (bi->regions[i].type != BOOT_MEM_AVAILABLE)
			carve(bi->regions[i].base, bi->regions[i].base + bi->regions[i].len);
	carve(mem_image_base(), mem_image_base() + mem_image_size());
	for (unsigned i = 0; i < bi->nmodules; i++)
		carve(bi->modules[i].start & ~0xfffull, (bi->modules[i].end + 0xfff) & ~0xfffull);
	carve(bi->info_start & ~0xfffull, (bi->info_end + 0xfff) & ~0xfffull);
}

uint64_t mem_alloc(uint64_t size, uint64_t align)
{
	/* Highest fit first: keeps low memory for whatever needs it. */
	for (unsigned i = nfree; i-- > 0;) {
		struct range *r = &free_ranges[i];
		if (r->end < size)
			continue;
		uint64_t base = (r->end - size) & ~(align - 1);
		if (base < r->base)
			continue;
		carve(base, base + size);
		tern_memset(phys_to_virt(base), 0, size);
		return base;
	}
	return 0;
}

uint64_t mem_free_bytes(void)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < nfree; i++)
		n += free_ranges[i].end - free_ranges[i].base;
	return n;
}
