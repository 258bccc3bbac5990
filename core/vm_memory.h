/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VM's guest memory: its EPT and page-table pool, the rules on which host
 * memory it may map, and the memory-region hypercall with ACRN's semantics
 * (HC_VM_SET_MEMORY_REGIONS: the Service VM maps, changes and unmaps a User
 * VM's memory; layouts and numbers from ACRN's public acrn_common.h).
 */
#ifndef TERN_VM_MEMORY_H
#define TERN_VM_MEMORY_H

#include <stdint.h>
#include "vm.h"

/* struct vm_memory_region.type */
#define MR_ADD    0u
#define MR_DEL    2u
#define MR_MODIFY 3u

/* struct vm_memory_region.prot: access rights and exactly one memory type. */
#define MEM_ACCESS_READ   0x001u
#define MEM_ACCESS_WRITE  0x002u
#define MEM_ACCESS_EXEC   0x004u
#define MEM_ACCESS_RWX    0x007u
#define MEM_TYPE_WB       0x040u
#define MEM_TYPE_WT       0x080u
#define MEM_TYPE_UC       0x100u
#define MEM_TYPE_WC       0x200u
#define MEM_TYPE_WP       0x400u
#define MEM_TYPE_MASK     0x7c0u

struct vm_memory_region {
	uint32_t type;            /* MR_ADD, MR_DEL, MR_MODIFY */
	uint32_t prot;            /* MEM_ACCESS_* | MEM_TYPE_* */
	uint64_t gpa;             /* in the target (User) VM */
	uint64_t service_vm_gpa;  /* MR_ADD: the Service VM memory that backs it */
	uint64_t size;
};

struct set_regions {
	uint16_t vmid;            /* target VM */
	uint16_t reserved0;
	uint32_t reserved1;
	uint32_t mr_num;          /* regions at regions_gpa, at most one page of them */
	uint32_t reserved2;       /* the alignment padding of ACRN's layout */
	uint64_t regions_gpa;     /* Service VM GPA of struct vm_memory_region[mr_num] */
};

_Static_assert(sizeof(struct vm_memory_region) == 32, "ACRN vm_memory_region layout");
_Static_assert(sizeof(struct set_regions) == 24, "ACRN set_regions layout");

#define VM_MEMORY_MAX_REGIONS (4096u / sizeof(struct vm_memory_region))

/*
 * Called by vm_create(): the VM's page-table pool from plat_pt_region, an
 * empty EPT shaped by the CPU's capabilities, and the invalidation hook that
 * requests VCPU_REQ_FLUSH_EPT on every vCPU (vm_sync_request) when a change
 * removes or reduces a translation; each vCPU invalidates in its own context
 * before its next entry. Table pages the change took out are freed only
 * once every vCPU has acknowledged that invalidation (pt_pool_retire; the
 * reclaim runs at the next change, in the Service VM's context, the pool's
 * only writer).
 */
int vm_memory_init(struct vm *vm);
/* Free the VM's tables. */
void vm_memory_destroy(struct vm *vm);

/*
 * Ownership (ACRN's model): host memory belongs to the hypervisor or to one
 * VM. vm_create() maps every VM's RAM (config.ram_hpa, config.mem_size at
 * GPA 0) with vm_memory_map_owned, the Service VM's as lendable, any other
 * VM's (a pre-launched VM) as its alone. The Service VM may lend pages of
 * its own RAM to User VMs (HC_VM_SET_MEMORY_REGIONS) and keeps its own
 * mapping of them; a page is lent to one VM at a time. The hypervisor's
 * memory, page-table regions, memory another VM owns and pre-launched VMs'
 * memory are never lent or mapped.
 *
 * vm_memory_map maps host memory into a VM, refusing (-TERN_EPERM) any
 * range that overlaps the hypervisor, any VM's page-table region, or memory
 * another VM owns, and (-TERN_EEXIST) any guest-physical range that
 * overlaps an in-hypervisor MMIO range (mmio_register). _private and _owned additionally record the range as
 * this VM's own (refused, -TERN_EPERM, while another VM maps it);
 * -TERN_ENOSPC when the VM has VM_MAX_PRIVATE_RANGES already. Other errors
 * as ept_map. _owned maps RWX, write-back; lendable: the Service VM's RAM.
 */
int vm_memory_map(struct vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned prot,
		  enum ept_mtype mtype);
int vm_memory_map_private(struct vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size,
			  unsigned prot, enum ept_mtype mtype);

int vm_memory_map_owned(struct vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size, bool lendable);

/*
 * The platform's APIC-access page (plat_apic_access_page, SDM Vol. 3C 29.4)
 * at the default xAPIC base 0xFEE00000, read/write, uncached, as the VM's
 * own memory (vm_memory_map_private: never lent, never mapped by another
 * VM). From then on a region operation (HC_VM_SET_MEMORY_REGIONS) whose
 * range covers that page is refused with -TERN_EEXIST, as one over an
 * in-hypervisor MMIO range is: the Service VM can neither hide it behind
 * RAM nor unmap or re-type it. Errors as vm_memory_map_private; -TERN_EINVAL
 * for an HPA that is not 4 KiB aligned.
 */
int vm_memory_map_apic_access(struct vm *vm, uint64_t hpa);

/*
 * Whether any page of guest-physical [gpa, gpa+size) is mapped in the VM's
 * EPT (false before vm_memory_init). @pre no wrap.
 */
bool vm_memory_gpa_mapped(const struct vm *vm, uint64_t gpa, uint64_t size);

/* Whether [hpa, hpa+size) may be mapped into vm (no overlap as above). */
bool vm_memory_hpa_allowed(const struct vm *vm, uint64_t hpa, uint64_t size);

/*
 * One region operation for target, requested by service_vm: MR_ADD
 * translates service_vm_gpa through the Service VM's EPT (the whole range
 * must be mapped there, contiguous in host memory) and lends it: refused
 * with -TERN_EPERM unless it lies inside the Service VM's own RAM and holds
 * no hypervisor memory, page table or VM's IOREQ page, -TERN_EBUSY when a
 * page of it is lent (mapped by another VM) already; MR_MODIFY
 * changes permissions and memory type; MR_DEL unmaps.
 * -TERN_EINVAL for a malformed region (type, prot, alignment, overflow),
 * -TERN_EFAULT when service_vm_gpa is not backed as required, -TERN_EPERM
 * for host memory the target may not map; else as ept_map/modify/unmap.
 * @pre service_vm is the Service VM and target another, existing VM.
 */
int vm_memory_region_op(struct vm *service_vm, struct vm *target, const struct vm_memory_region *mr);

/*
 * HC_VM_SET_MEMORY_REGIONS: read struct set_regions at param_gpa and its
 * region array from the Service VM's memory, check all of it, then apply
 * the regions in order, stopping at the first that fails (whose error is
 * returned; earlier regions stay applied, as in ACRN). -TERN_EPERM when the
 * caller is not the Service VM or targets itself, -TERN_EINVAL for a bad
 * vmid/count/reserved field, a structure or list not 8-byte aligned, more
 * than VM_MEMORY_MAX_REGIONS regions (one page) or any malformed region,
 * -TERN_EFAULT when the request cannot be read. The list is read in pieces
 * of TRACE_BIN_MAX_DATA bytes, as every hypercall argument is.
 */
int vm_memory_set_regions(struct vm *service_vm, uint64_t param_gpa);

/*
 * Whether gpa (Service VM memory) may become vm's IOREQ page: 0, or
 * -TERN_EINVAL (unaligned, not mapped in the Service VM), -TERN_EPERM (the
 * page is lent to a User VM, which could forge requests), -TERN_EBUSY
 * (another VM's IOREQ page).
 */
int vm_memory_ioreq_page_check(const struct vm *svm, const struct vm *vm, uint64_t gpa);

#endif
