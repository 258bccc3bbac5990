/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>
#include "sim_tlb.h"
#include "vm.h"

struct tlb_entry {
	bool valid;
	uint64_t gpa_page;              /* 4 KiB page of the GPA */
	struct ept_walk_result walk;    /* as walked; hpa of the page's first byte */
};

/* Host-side simulator state (platform/sim may keep globals; core may not). */
static struct tlb_entry tlb[TERN_MAX_VMS][TERN_MAX_VCPUS][SIM_TLB_ENTRIES];

static struct tlb_entry *slot(const struct vcpu *vcpu, uint64_t gpa_page)
{
	return &tlb[vcpu->vm->id % TERN_MAX_VMS][vcpu->id % TERN_MAX_VCPUS]
		   [(gpa_page >> 12) % SIM_TLB_ENTRIES];
}

enum ept_walk_status sim_vcpu_translate(struct vcpu *vcpu, uint64_t gpa, unsigned access,
					struct ept_walk_result *r)
{
	uint64_t page = gpa & ~0xfffull;
	struct tlb_entry *t = slot(vcpu, page);
	if (t->valid && t->gpa_page == page) {
		*r = t->walk;
		r->hpa += gpa & 0xfffull;
		if ((access & ~ept_walk_perms(r)) != 0) {
			/* A stale entry can deny an access the EPT now allows: the
			 * CPU reports the violation with the cached permissions. */
			r->qual = access | ((uint64_t)ept_walk_perms(r) << 3);
			return EPT_WALK_VIOLATION;
		}
		r->qual = 0;
		return EPT_WALK_MAPPED;
	}
	enum ept_walk_status st = ept_walk(&vcpu->vm->ept, gpa, access, r);
	if (st == EPT_WALK_MAPPED) {
		t->valid = true;
		t->gpa_page = page;
		t->walk = *r;
		t->walk.hpa -= gpa & 0xfffull;
	}
	return st;
}

void sim_tlb_flush(struct vcpu *vcpu)
{
	memset(tlb[vcpu->vm->id % TERN_MAX_VMS][vcpu->id % TERN_MAX_VCPUS], 0,
	       sizeof(tlb[0][0]));
}

void sim_tlb_reset(void)
{
	memset(tlb, 0, sizeof(tlb));
}

unsigned sim_tlb_count(const struct vcpu *vcpu)
{
	unsigned n = 0;
	for (unsigned i = 0; i < SIM_TLB_ENTRIES; i++)
		n += tlb[vcpu->vm->id % TERN_MAX_VMS][vcpu->id % TERN_MAX_VCPUS][i].valid;
	return n;
}
