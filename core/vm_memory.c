/* SPDX-License-Identifier: BSD-3-Clause */
#include "vm_memory.h"
#include "err.h"
#include "lib.h"
#include "log.h"
#include "platform.h"
#include "request.h"

#define PAGE_MASK 0xfffull
#define DEFAULT_PHYS_BITS 36u  /* SDM Vol. 3A 4.1.4: without CPUID 80000008H */

/* Deferred invalidation: every vCPU invalidates (INVEPT single-context) in
 * its own context before it next enters the guest (request.h); the tables
 * the change took out are freed once all have (pt_pool_retire). */
static void mark_vcpus(void *arg)
{
	struct vm *vm = arg;
	pt_pool_close(&vm->pt_pool, vm_sync_request(vm, VCPU_REQ_FLUSH_EPT));
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

bool vm_memory_hpa_allowed(const struct vm *vm, uint64_t hpa, uint64_t size)
{
	const struct tern *hv = vm->hv;
	if (size == 0 || hpa + size < hpa)
		return false;
	if (hv->hv_hpa_size != 0 && overlaps(hpa, size, hv->hv_hpa_base, hv->hv_hpa_size))
		return false;
	for (unsigned i = 0; i < TERN_MAX_VMS; i++) {
		const struct vm *o = &hv->vms[i];
		if (o->state == VM_STATE_POWERED_OFF && o != vm)
			continue;
		/* Page tables: a VM that could write them would own every VM. */
		if (o->pt_pool.npages != 0 && overlaps(hpa, size, o->pt_pool.base_hpa, o->pt_pool.span))
			return false;
		if (o == vm)
			continue;
		for (unsigned r = 0; r < o->private_count && r < VM_MAX_PRIVATE_RANGES; r++)
			if (overlaps(hpa, size, o->private_mem[r].hpa, o->private_mem[r].size))
				return false;
	}
	return true;
}

int vm_memory_map(struct vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned prot,
		  enum ept_mtype mtype)
{
	if (size == 0 || hpa + size < hpa)
		return -TERN_EINVAL;
	if (!vm_memory_hpa_allowed(vm, hpa, size))
		return -TERN_EPERM;
	reclaim(vm);
	return ept_map(&vm->ept, gpa, hpa, size, prot, mtype);
}

int vm_memory_map_private(struct vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size,
			  unsigned prot, enum ept_mtype mtype)
{
	if (vm->private_count >= VM_MAX_PRIVATE_RANGES)
		return -TERN_ENOSPC;
	/* Private means no other VM maps it now, either. */
	for (unsigned i = 0; i < TERN_MAX_VMS; i++) {
		struct vm *o = &vm->hv->vms[i];
		if (o == vm || o->state == VM_STATE_POWERED_OFF || o->ept.root == (void *)0)
			continue;
		if (ept_maps_hpa(&o->ept, hpa, size))
			return -TERN_EPERM;
	}
	int rc = vm_memory_map(vm, gpa, hpa, size, prot, mtype);
	if (rc != 0)
		return rc;
	vm->private_mem[vm->private_count].hpa = hpa;
	vm->private_mem[vm->private_count].size = size;
	vm->private_count++;
	return 0;
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

int vm_memory_region_op(struct vm *service_vm, struct vm *target, const struct vm_memory_region *mr)
{
	unsigned rwx = 0;
	enum ept_mtype mt = EPT_MT_UC;
	int rc = region_check(mr, &rwx, &mt);
	if (rc != 0)
		return rc;
	reclaim(target);
	switch (mr->type) {
	case MR_ADD: {
		uint64_t hpa = 0;
		if ((rc = service_vm_hpa(service_vm, mr->service_vm_gpa, mr->size, &hpa)) != 0)
			return rc;
		return vm_memory_map(target, mr->gpa, hpa, mr->size, rwx, mt);
	}
	case MR_MODIFY:
		return ept_modify(&target->ept, mr->gpa, mr->size, rwx, mt);
	default: /* MR_DEL: region_check admits nothing else */
		return ept_unmap(&target->ept, mr->gpa, mr->size);
	}
}

int vm_memory_set_regions(struct vm *service_vm, uint64_t param_gpa)
{
	/* One page: the most ACRN's ABI allows in one request. */
	struct vm_memory_region regions[VM_MEMORY_MAX_REGIONS];
	struct set_regions req;
	int rc = -TERN_EPERM;
	if (!service_vm->config.service_vm)
		return rc;
	if ((rc = plat_gpa_read(service_vm, param_gpa, &req, sizeof(req))) != 0)
		return -TERN_EFAULT;
	struct vm *target = vm_get(service_vm->hv, req.vmid);
	if (target == (void *)0 || req.reserved0 != 0 || req.reserved1 != 0 || req.reserved2 != 0 ||
	    req.mr_num == 0 || req.mr_num > VM_MEMORY_MAX_REGIONS)
		return -TERN_EINVAL;
	if (target == service_vm)
		return -TERN_EPERM;
	size_t len = (size_t)req.mr_num * sizeof(regions[0]);
	if (plat_gpa_read(service_vm, req.regions_gpa, regions, len) != 0)
		return -TERN_EFAULT;
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
