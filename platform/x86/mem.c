/* SPDX-License-Identifier: BSD-3-Clause */
#include "mem.h"
#include "boot_defs.h"
#include "cpu.h"
#include "machine.h"
#include "lib.h"

/*
 * boot.S's page tables identity-map the low 4 GiB; RAM above is mapped here,
 * from the memory map, in 2 MiB pages (SDM Vol. 3A 4.5, Table 4-17) whose
 * page-table pages come from the low RAM. Only whole 2 MiB pages inside a
 * RAM range are mapped, so no page spans MMIO; identity addresses stay in
 * the lower canonical half (PML4 entries 0-255; 511 holds the image).
 */
#define MEM_BOOT_MAPPED (4ull << 30)
#define MEM_MAP_LIMIT (1ull << 47)
#define MEM_LOW_RESERVED 0x100000ull
#define PAGE_2M (2ull << 20)
#define PT_ADDR_MASK 0x000ffffffffff000ull
#define PT_ENTRIES 512

extern char __image_start_phys[], __image_end_phys[];

struct range {
	uint64_t base, end;
};

static struct range free_ranges[MEM_MAX_FREE];
static unsigned nfree;
/* What mem_map_high made usable above 4 GiB, and what it could not. */
static uint64_t high_bytes, high_unmapped;
/* The ranges above 4 GiB it mapped (mem_mapped). */
static struct range high_mapped[BOOT_MAX_REGIONS];
static unsigned nhigh;

static void add_free(uint64_t base, uint64_t end, uint64_t limit)
{
	if (base < MEM_LOW_RESERVED)
		base = MEM_LOW_RESERVED;
	if (end > limit)
		end = limit;
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
			add_free(end, tail, MEM_MAP_LIMIT);
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

static uint64_t alloc_below(uint64_t size, uint64_t align, uint64_t limit);

/* Everything of the map that is not free RAM, the image, the modules, the boot information. */
static void carve_reserved(const struct boot_info *bi)
{
	/* The map may list overlapping available ranges; reserved ones win. */
	for (unsigned i = 0; i < bi->nregions; i++)
		if (bi->regions[i].type != BOOT_MEM_AVAILABLE)
			carve(bi->regions[i].base, bi->regions[i].base + bi->regions[i].len);
	carve(mem_image_base(), mem_image_base() + mem_image_size());
	for (unsigned i = 0; i < bi->nmodules; i++)
		carve(bi->modules[i].start & ~0xfffull, (bi->modules[i].end + 0xfff) & ~0xfffull);
	carve(bi->info_start & ~0xfffull, (bi->info_end + 0xfff) & ~0xfffull);
}

/* The next-level table an entry points to, made (zeroed, from the RAM boot.S maps) when absent; NULL when none is left. */
static uint64_t *pt_next(uint64_t *entry)
{
	if (!(*entry & PTE_P)) {
		uint64_t page = alloc_below(4096, 4096, MEM_BOOT_MAPPED);
		if (!page)
			return NULL;
		*entry = page | PTE_P | PTE_W;
	}
	if (*entry & PTE_PS)
		return NULL;            /* a large page already maps it: not ours to split */
	return phys_to_virt(*entry & PT_ADDR_MASK);
}

/* Identity-map the 2 MiB page at pa (write-back, PAT entry 0); false when out of page-table pages. */
static bool map_2m(uint64_t pa)
{
	uint64_t *pml4 = phys_to_virt(read_cr3() & PT_ADDR_MASK);
	uint64_t *pdpt = pt_next(&pml4[(pa >> 39) % PT_ENTRIES]);
	uint64_t *pd = pdpt ? pt_next(&pdpt[(pa >> 30) % PT_ENTRIES]) : NULL;
	if (!pd)
		return false;
	uint64_t *pde = &pd[(pa >> 21) % PT_ENTRIES];
	if (!(*pde & PTE_P))
		*pde = pa | PTE_P | PTE_W | PTE_PS;
	return true;
}

/* The CPU's physical-address width (CPUID 80000008h:EAX[7:0], SDM Vol. 2A CPUID). */
static unsigned phys_addr_bits(void)
{
	uint32_t r[4];
	cpuid_count(0x80000000u, 0, r);
	if (r[0] < 0x80000008u)
		return 36;
	cpuid_count(0x80000008u, 0, r);
	return r[0] & 0xff;
}

/*
 * Map the available RAM above 4 GiB and add it to the free ranges. The first
 * and last word of each range are written and read back: a mapping that does
 * not reach RAM shows at boot, not when a VM is placed there.
 */
static void mem_map_high(const struct boot_info *bi)
{
	uint64_t limit = 1ull << phys_addr_bits();
	if (limit > MEM_MAP_LIMIT)
		limit = MEM_MAP_LIMIT;
	for (unsigned i = 0; i < bi->nregions; i++) {
		const struct boot_region *r = &bi->regions[i];
		if (r->type != BOOT_MEM_AVAILABLE || r->len > UINT64_MAX - r->base)
			continue;
		uint64_t base = r->base < MEM_BOOT_MAPPED ? MEM_BOOT_MAPPED : r->base;
		uint64_t end = r->base + r->len;
		base = (base + PAGE_2M - 1) & ~(PAGE_2M - 1);
		end &= ~(PAGE_2M - 1);
		if (end > limit) {
			high_unmapped += end - (base > limit ? base : limit);
			end = limit;
		}
		uint64_t pa = base;
		while (pa < end && map_2m(pa))
			pa += PAGE_2M;
		high_unmapped += end > pa ? end - pa : 0;
		if (pa <= base)
			continue;
		write_cr3(read_cr3());  /* SDM Vol. 3A 4.10.4.1: no stale not-present entries */
		volatile uint64_t *first = phys_to_virt(base), *last = phys_to_virt(pa - 8);
		*first = base;
		*last = pa;
		if (*first != base || *last != pa) {
			high_unmapped += pa - base;
			continue;
		}
		add_free(base, pa, MEM_MAP_LIMIT);
		high_bytes += pa - base;
		if (nhigh < BOOT_MAX_REGIONS)   /* one per region: never full */
			high_mapped[nhigh++] = (struct range){ base, pa };
	}
}

void mem_init(const struct boot_info *bi)
{
	nfree = 0;
	high_bytes = high_unmapped = 0;
	nhigh = 0;
	for (unsigned i = 0; i < bi->nregions; i++)
		if (bi->regions[i].type == BOOT_MEM_AVAILABLE)
			add_free(bi->regions[i].base, bi->regions[i].base + bi->regions[i].len,
				 MEM_BOOT_MAPPED);
	carve_reserved(bi);
	mem_map_high(bi);
	/* Again: a module or the boot information may lie above 4 GiB too. */
	carve_reserved(bi);
}

bool mem_mapped(uint64_t pa, uint64_t len)
{
	if (len > UINT64_MAX - pa)
		return false;
	if (pa + len <= MEM_BOOT_MAPPED)
		return true;
	for (unsigned i = 0; i < nhigh; i++)
		if (pa >= high_mapped[i].base && pa + len <= high_mapped[i].end)
			return true;
	return false;
}

uint64_t mem_high_bytes(void) { return high_bytes; }
uint64_t mem_high_unmapped(void) { return high_unmapped; }

/* Highest fit below limit first: keeps low memory for whatever needs it. */
static uint64_t alloc_below(uint64_t size, uint64_t align, uint64_t limit)
{
	for (unsigned i = nfree; i-- > 0;) {
		struct range *r = &free_ranges[i];
		uint64_t end = r->end < limit ? r->end : limit;
		if (end < size || end <= r->base)
			continue;
		uint64_t base = (end - size) & ~(align - 1);
		if (base < r->base)
			continue;
		carve(base, base + size);
		tern_memset(phys_to_virt(base), 0, size);
		return base;
	}
	return 0;
}

uint64_t mem_alloc(uint64_t size, uint64_t align)
{
	return alloc_below(size, align, UINT64_MAX);
}

uint64_t mem_free_bytes(void)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < nfree; i++)
		n += free_ranges[i].end - free_ranges[i].base;
	return n;
}
