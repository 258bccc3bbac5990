/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TEMPORARY: a flat EPT mapping guest RAM [0, ram_size) onto its host range
 * with 4 KiB pages, until core/ept.c (branch ept) lands and this becomes a
 * call into it. Nothing outside guest RAM is mapped, so the MMIO test page
 * at 0xC0000000 exits as an EPT violation. SDM Vol. 3C 29.3.2.
 */
#include "xvm.h"
#include "vmcs.h"
#include "machine.h"
#include "err.h"

struct pt_alloc {
	struct x86_vm *x;
	uint32_t used;
};

static uint64_t *pt_page(struct pt_alloc *a, uint64_t *hpa)
{
	if (a->used >= a->x->pt_pages)
		return 0;
	uint64_t *p = (uint64_t *)(a->x->pt + (uint64_t)a->used * 4096);
	*hpa = a->x->pt_hpa + (uint64_t)a->used * 4096;
	a->used++;
	return p;
}

static uint64_t *next_level(struct pt_alloc *a, uint64_t *entry)
{
	if (!(*entry & (EPT_READ | EPT_WRITE | EPT_EXEC))) {
		uint64_t hpa;
		uint64_t *p = pt_page(a, &hpa);
		if (!p)
			return 0;
		*entry = hpa | EPT_READ | EPT_WRITE | EPT_EXEC;
	}
	return phys_to_virt(*entry & 0x000ffffffffff000ull);
}

uint64_t x86_ept_build(struct vm *vm, const struct vmx_caps *caps)
{
	struct x86_vm *x = xvm_of(vm);
	struct pt_alloc a = { x, 0 };
	uint64_t pml4_hpa;
	uint64_t *pml4 = pt_page(&a, &pml4_hpa);
	(void)caps;
	if (!pml4)
		return 0;
	for (uint64_t gpa = 0; gpa < x->ram_size; gpa += 4096) {
		uint64_t *pdpt = next_level(&a, &pml4[(gpa >> 39) & 511]);
		uint64_t *pd = pdpt ? next_level(&a, &pdpt[(gpa >> 30) & 511]) : 0;
		uint64_t *pt = pd ? next_level(&a, &pd[(gpa >> 21) & 511]) : 0;
		if (!pt)
			return 0;
		pt[(gpa >> 12) & 511] = (x->ram_hpa + gpa) | EPT_READ | EPT_WRITE | EPT_EXEC | EPT_MT_WB;
	}
	return pml4_hpa | EPTP_WB | EPTP_WALK_4;
}
