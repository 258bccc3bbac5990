/* SPDX-License-Identifier: BSD-3-Clause */
#include "vm_memory.h"
#include "mmio.h"
#include "err.h"
#include "guest_mem.h"
#include "ioreq.h"
#include "lib.h"
#include "log.h"
#include "platform.h"
#include "trace_bin.h"
#include "request.h"

#define PAGE_MASK 0xfffull
/* ACRN's parameter structures are __aligned(8). */
#define REGIONS_ALIGN 8u
#define DEFAULT_PHYS_BITS 36u  /* SDM Vol. 3A 4.1.4: without CPUID 80000008H */

/* Deferred invalidation: every vCPU invalidates (INVEPT single-context) in
 * its own context before it next enters the guest (request.h); the tables
 * the change took out are freed once all have (pt_pool_retire). */
static void mark_vcpus(void *arg)
{
	struct vm *vm = arg;
	uint32_t gen = vm_sync_request(vm, VCPU_REQ_FLUSH_EPT);
	pt_pool_close(&vm->pt_pool, gen);
	/* Until every vCPU acknowledged gen, a page taken out may still be reachable. */
	vm->unmap_gen = gen;
	vm->unmap_pending = true;
}

/*
 * A VM some of whose vCPUs may still translate memory a change took from it:
 * until they acknowledge, nothing may be lent (lend_check), whichever page it
 * was. Coarse, and safe without knowing which host pages the change removed.
 */
static bool unmap_unacked(const struct vm *vm)
{
	return vm->unmap_pending && !vm_synced(vm, vm->unmap_gen);
}

/* Tables retired by earlier changes that every vCPU has invalidated since. */
static void reclaim(struct vm *vm)
{
	pt_pool_reclaim(&vm->pt_pool, vm_synced_gen(vm));
}

/* MAXPHYADDR from CPUID.80000008H:EAX[7:0] (SDM Vol. 3A 4.1.4). */
static unsigned host_phys_bits(void)
{
	uint32_t r[4];
	plat_host_cpuid(0x80000000u, 0, r);
	if (r[0] < 0x80000008u)
		return DEFAULT_PHYS_BITS;
	plat_host_cpuid(0x80000008u, 0, r);
	unsigned bits = r[0] & 0xffu;
	return bits >= 36 && bits <= 52 ? bits : DEFAULT_PHYS_BITS;
}

int vm_memory_init(struct vm *vm)
{
	void *base;
	uint64_t base_hpa;
	uint32_t npages;
	int rc = plat_pt_region(vm, &base, &base_hpa, &npages);
	if (rc != 0)
		return rc;
	if ((rc = pt_pool_init(&vm->pt_pool, base, base_hpa, npages)) != 0)
		return rc;
	uint32_t flags = ept_flags_from_cap(plat_vmx_ept_vpid_cap());
	if ((rc = ept_init(&vm->ept, &vm->pt_pool, flags, host_phys_bits())) != 0)
		return rc;
	vm->ept.on_reduce = mark_vcpus;
	vm->ept.on_reduce_arg = vm;
	vm->pt_pool.defer = true;
	vm->private_count = 0;
	return 0;
}

void vm_memory_destroy(struct vm *vm)
{
	/* @pre vm_quiescent (vm_mgr_destroy): no vCPU holds a translation. */
	pt_pool_release_retired(&vm->pt_pool);
	ept_destroy(&vm->ept);
}

static bool overlaps(uint64_t a, uint64_t asize, uint64_t b, uint64_t bsize)
{
	/* Sizes are non-zero and neither range wraps (checked by callers). */
	return a < b + bsize && b < a + asize;
}

/* Host memory no VM may ever map: the hypervisor's, and page tables. */
static bool hv_owned(const struct vm *vm, uint64_t hpa, uint64_t size)
{
	const struct tern *hv = vm->hv;
	if (hv->hv_hpa_size != 0 && overlaps(hpa, size, hv->hv_hpa_base, hv->hv_hpa_size))
		return true;
	for (unsigned i = 0; i < TERN_MAX_VMS; i++) {
		const struct vm *o = &hv->vms[i];
		if (o->state == VM_STATE_POWERED_OFF && o != vm)
			continue;
		/* Page tables: a VM that could write them would own every VM. */
		if (o->pt_pool.npages != 0 && overlaps(hpa, size, o->pt_pool.base_hpa, o->pt_pool.span))
			return true;
	}
	return false;
}

/* Whether a VM other than vm owns (part of) the range. */
static bool owned_by_other(const struct vm *vm, uint64_t hpa, uint64_t size)
{
	for (unsigned i = 0; i < TERN_MAX_VMS; i++) {
		const struct vm *o = &vm->hv->vms[i];
		if (o == vm || o->state == VM_STATE_POWERED_OFF)
			continue;
		for (unsigned r = 0; r < o->private_count && r < VM_MAX_PRIVATE_RANGES; r++)
			if (overlaps(hpa, size, o->private_mem[r].hpa, o->private_mem[r].size))
				return true;
	}
	return false;
}

/* Whether a VM other than except maps (part of) the range in its EPT. */
static bool mapped_by_other(const struct vm *except, uint64_t hpa, uint64_t size)
{
	for (unsigned i = 0; i < TERN_MAX_VMS; i++) {
		const struct vm *o = &except->hv->vms[i];
		if (o == except || o->state == VM_STATE_POWERED_OFF || o->ept.root == (void *)0)
			continue;
		if (ept_maps_hpa(&o->ept, hpa, size))
			return true;
	}
	return false;
}

bool vm_memory_hpa_allowed(const struct vm *vm, uint64_t hpa, uint64_t size)
{
	if (size == 0 || hpa + size < hpa)
		return false;
	return !hv_owned(vm, hpa, size) && !owned_by_other(vm, hpa, size);
}

bool vm_memory_gpa_mapped(const struct vm *vm, uint64_t gpa, uint64_t size)
{
	uint64_t end = gpa + size;

	if (!vm->ept.root)
		return false;
	while (gpa < end) {
		struct ept_walk_result r;
		if (ept_walk(&vm->ept, gpa, 0, &r) == EPT_WALK_MAPPED)
			return true;
		/* Nothing mapped under the entry the walk stopped at: skip what it covers. */
		uint64_t next = (gpa | (ept_level_size(r.level) - 1u)) + 1u;
		if (next <= gpa)
			break; /* the top of the address space */
		gpa = next;
	}
	return false;
}

int vm_memory_map(struct vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned prot,
		  enum ept_mtype mtype)
{
	if (size == 0 || hpa + size < hpa || gpa + size < gpa)
		return -TERN_EINVAL;
	if (!vm_memory_hpa_allowed(vm, hpa, size))
		return -TERN_EPERM;
	if (mmio_overlaps(vm, gpa, size))
		return -TERN_EEXIST;
	reclaim(vm);
	return ept_map(&vm->ept, gpa, hpa, size, prot, mtype);
}

static int map_owned(struct vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned prot,
		     enum ept_mtype mtype, bool lendable)
{
	if (vm->private_count >= VM_MAX_PRIVATE_RANGES)
		return -TERN_ENOSPC;
	/* Owned means no other VM maps it now, either. */
	if (mapped_by_other(vm, hpa, size))
		return -TERN_EPERM;
	int rc = vm_memory_map(vm, gpa, hpa, size, prot, mtype);
	if (rc != 0)
		return rc;
	vm->private_mem[vm->private_count].hpa = hpa;
	vm->private_mem[vm->private_count].size = size;
	vm->private_mem[vm->private_count].lendable = lendable;
	vm->private_count++;
	return 0;
}

int vm_memory_map_private(struct vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size,
			  unsigned prot, enum ept_mtype mtype)
{
	return map_owned(vm, gpa, hpa, size, prot, mtype, false);
}

int vm_memory_map_owned(struct vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size, bool lendable)
{
	return map_owned(vm, gpa, hpa, size, EPT_RWX, EPT_MT_WB, lendable);
}

int vm_memory_map_apic_access(struct vm *vm, uint64_t hpa)
{
	if (hpa & PAGE_MASK)
		return -TERN_EINVAL;
	int rc = vm_memory_map_private(vm, VLAPIC_BASE_ADDR_DEFAULT, hpa, EPT_PAGE_4K, EPT_R | EPT_W,
				       EPT_MT_UC);
	if (rc == 0)
		vm->apic_access_mapped = true;
	return rc;
}

/* Whether [hpa, hpa+size) lies inside one range the Service VM may lend. */
static bool lendable_by(const struct vm *svm, uint64_t hpa, uint64_t size)
{
	for (unsigned r = 0; r < svm->private_count && r < VM_MAX_PRIVATE_RANGES; r++) {
		const struct vm_mem_range *m = &svm->private_mem[r];
		if (m->lendable && hpa >= m->hpa && hpa - m->hpa + size <= m->size)
			return true;
	}
	return false;
}

/* ---- HC_VM_SET_MEMORY_REGIONS ------------------------------------------------ */

static int prot_decode(uint32_t prot, unsigned *rwx, enum ept_mtype *mt)
{
	if ((prot & ~(MEM_ACCESS_RWX | MEM_TYPE_MASK)) != 0)
		return -TERN_EINVAL;
	switch (prot & MEM_TYPE_MASK) {
	case MEM_TYPE_WB: *mt = EPT_MT_WB; break;
	case MEM_TYPE_WT: *mt = EPT_MT_WT; break;
	case MEM_TYPE_UC: *mt = EPT_MT_UC; break;
	case MEM_TYPE_WC: *mt = EPT_MT_WC; break;
	case MEM_TYPE_WP: *mt = EPT_MT_WP; break;
	default: return -TERN_EINVAL; /* none, or more than one */
	}
	*rwx = prot & MEM_ACCESS_RWX;
	return 0;
}

/* The region's own fields, before anything is looked up. */
static int region_check(const struct vm_memory_region *mr, unsigned *rwx, enum ept_mtype *mt)
{
	if (mr->size == 0 || ((mr->gpa | mr->size) & PAGE_MASK) != 0 || mr->gpa + mr->size < mr->gpa)
		return -TERN_EINVAL;
	switch (mr->type) {
	case MR_ADD:
		if ((mr->service_vm_gpa & PAGE_MASK) != 0 || mr->service_vm_gpa + mr->size < mr->service_vm_gpa)
			return -TERN_EINVAL;
		/* fall through */
	case MR_MODIFY:
		return prot_decode(mr->prot, rwx, mt);
	case MR_DEL:
		return 0;
	default:
		return -TERN_EINVAL;
	}
}

/*
 * The HPA backing [gpa, gpa+size) of the Service VM: every page must be
 * mapped (for reads at least) and the whole range contiguous in host memory.
 */
static int service_vm_hpa(const struct vm *svm, uint64_t gpa, uint64_t size, uint64_t *hpa)
{
	uint64_t done = 0;
	while (done < size) {
		struct ept_walk_result r;
		if (ept_walk(&svm->ept, gpa + done, EPT_ACCESS_READ, &r) != EPT_WALK_MAPPED)
			return -TERN_EFAULT;
		if (done == 0)
			*hpa = r.hpa;
		else if (r.hpa != *hpa + done)
			return -TERN_EFAULT;
		uint64_t page = ept_walk_page_size(&r);
		done += page - ((gpa + done) & (page - 1u));
	}
	return 0;
}

/* Whether some VM's IOREQ page (in the Service VM's memory) overlaps the range. */
static bool holds_ioreq_page(const struct vm *svm, const struct vm *except, uint64_t hpa,
			     uint64_t size)
{
	for (unsigned i = 0; i < TERN_MAX_VMS; i++) {
		const struct vm *o = &svm->hv->vms[i];
		uint64_t page;
		if (o != except && o->state != VM_STATE_POWERED_OFF && o->ioreq_valid &&
		    service_vm_hpa(svm, o->ioreq_gpa, IOREQ_PAGE_SIZE, &page) == 0 &&
		    overlaps(hpa, size, page, IOREQ_PAGE_SIZE))
			return true;
	}
	return false;
}

/*
 * Lending (ACRN's rules): only the Service VM's own RAM, each page to one
 * User VM at a time, never a page holding an IOREQ page, never the
 * hypervisor's memory or page tables. The Service VM keeps its own mapping
 * (its device model reaches the User VM's memory through it).
 */
static int lend_check(const struct vm *svm, uint64_t hpa, uint64_t size)
{
	int rc = 0;
	if (mapped_by_other(svm, hpa, size))
		rc = -TERN_EBUSY;   /* lent already */
	for (unsigned i = 0; i < TERN_MAX_VMS; i++)
		if (&svm->hv->vms[i] != svm && svm->hv->vms[i].state != VM_STATE_POWERED_OFF &&
		    unmap_unacked(&svm->hv->vms[i]))
			rc = -TERN_EBUSY; /* a vCPU may still reach what was taken back */
	if (hv_owned(svm, hpa, size) || !lendable_by(svm, hpa, size) ||
	    holds_ioreq_page(svm, (const struct vm *)0, hpa, size))
		rc = -TERN_EPERM;   /* not its own to lend */
	return rc;
}

int vm_memory_ioreq_page_check(const struct vm *svm, const struct vm *vm, uint64_t gpa)
{
	uint64_t hpa;
	if ((gpa & PAGE_MASK) != 0 || service_vm_hpa(svm, gpa, IOREQ_PAGE_SIZE, &hpa) != 0)
		return -TERN_EINVAL;
	/* Inside memory lent to a User VM, that VM could forge requests. */
	if (mapped_by_other(svm, hpa, IOREQ_PAGE_SIZE))
		return -TERN_EPERM;
	if (holds_ioreq_page(svm, vm, hpa, IOREQ_PAGE_SIZE))
		return -TERN_EBUSY;
	return 0;
}

int vm_memory_region_op(struct vm *service_vm, struct vm *target, const struct vm_memory_region *mr)
{

	unsigned rwx = 0;
	enum ept_mtype mt = EPT_MT_UC;
	int rc = region_check(mr, &rwx, &mt);
	if (rc != 0)
		return rc;
	/* The APIC-access page stays where the CPU looks for it (vm_memory_map_apic_access). */
	if (target->apic_access_mapped &&
	    overlaps(mr->gpa, mr->size, VLAPIC_BASE_ADDR_DEFAULT, EPT_PAGE_4K))
		return -TERN_EEXIST;
	reclaim(target);
	switch (mr->type) {
	case MR_ADD: {
		uint64_t hpa = 0;
		if ((rc = service_vm_hpa(service_vm, mr->service_vm_gpa, mr->size, &hpa)) != 0)
			return rc;
		if ((rc = lend_check(service_vm, hpa, mr->size)) != 0)
			return rc;
		/* RAM never hides an in-hypervisor device (mmio_register). */
		if (mmio_overlaps(target, mr->gpa, mr->size))
			return -TERN_EEXIST;
		return ept_map(&target->ept, mr->gpa, hpa, mr->size, rwx, mt);
	}
	case MR_MODIFY:
		return ept_modify(&target->ept, mr->gpa, mr->size, rwx, mt);
	default: /* MR_DEL: region_check admits nothing else */
		return ept_unmap(&target->ept, mr->gpa, mr->size);
	}
}

/*
 * The region list, in pieces of at most TRACE_BIN_MAX_DATA bytes, as every
 * hypercall argument is read (one recorded guest-memory read each).
 */
static int read_chunked(struct vm *svm, uint64_t gpa, void *dst, size_t len)
{
	if (gpa + len < gpa)
		return -TERN_EFAULT;
	for (size_t done = 0; done < len; done += TRACE_BIN_MAX_DATA) {
		size_t n = len - done < TRACE_BIN_MAX_DATA ? len - done : TRACE_BIN_MAX_DATA;
		if (gmem_read(svm, gpa + done, (uint8_t *)dst + done, n) != 0)
			return -TERN_EFAULT;
	}
	return 0;
}

int vm_memory_set_regions(struct vm *service_vm, uint64_t param_gpa)
{
	/* One page: the most ACRN's ABI allows in one request. */
	struct vm_memory_region regions[VM_MEMORY_MAX_REGIONS];
	struct set_regions req;
	int rc = -TERN_EPERM;
	if (!service_vm->config.service_vm)
		return rc;
	if ((param_gpa & (REGIONS_ALIGN - 1u)) != 0)
		return -TERN_EINVAL;
	if ((rc = gmem_read(service_vm, param_gpa, &req, sizeof(req))) != 0)
		return -TERN_EFAULT;
	struct vm *target = vm_get(service_vm->hv, req.vmid);
	if (target == (void *)0 || req.reserved0 != 0 || req.reserved1 != 0 || req.reserved2 != 0 ||
	    req.mr_num == 0 || req.mr_num > VM_MEMORY_MAX_REGIONS)
		return -TERN_EINVAL;
	if (target == service_vm)
		return -TERN_EPERM;
	if ((req.regions_gpa & (REGIONS_ALIGN - 1u)) != 0)
		return -TERN_EINVAL;   /* the list is not 8-byte aligned */
	if ((rc = read_chunked(service_vm, req.regions_gpa, regions,
			       (size_t)req.mr_num * sizeof(regions[0]))) != 0)
		return rc;
	/* Check every region before changing anything: a malformed request
	 * changes nothing. */
	for (uint32_t i = 0; i < req.mr_num; i++) {
		unsigned rwx;
		enum ept_mtype mt;
		if ((rc = region_check(&regions[i], &rwx, &mt)) != 0) {
			log_warn("vm%u: memory region %u of %u refused (malformed)", target->id, i,
				 req.mr_num);
			return rc;
		}
	}
	for (uint32_t i = 0; i < req.mr_num; i++) {
		if ((rc = vm_memory_region_op(service_vm, target, &regions[i])) != 0) {
			log_warn("vm%u: memory region %u (type %u gpa 0x%llx size 0x%llx) failed: %d",
				 target->id, i, regions[i].type, (unsigned long long)regions[i].gpa,
				 (unsigned long long)regions[i].size, rc);
			return rc;
		}
	}
	return 0;
}
