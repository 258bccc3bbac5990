/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * core/vm_memory.c on the simulator: the per-VM EPT set up by vm_create,
 * deferred invalidation as a vCPU sees it (platform/sim's software TLB),
 * host-memory ownership, and HC_VM_SET_MEMORY_REGIONS requests read from
 * the Service VM's memory, hostile ones included.
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "request.h"
#include "sim.h"
#include "sim_tlb.h"
#include "vm_memory.h"
#include "exit_dispatch.h"
#include "err.h"
#include "platform.h"
#include "vmx_controls.h"

#define SVM_HPA   SIM_HOST_RAM_HPA /* the Service VM's RAM: the first carved from host RAM */
#define SVM_SIZE  (64ull << 20)
#define HV_HPA    0x10000000ull
#define HV_SIZE   (16ull << 20)
#define PARAM_GPA 0x1000ull
#define REGS_GPA  0x2000ull

static struct tern *hv;
static struct vm *svm, *uvm;

static void setup(void)
{
	sim_reset();
	/* struct tern holds page-aligned members (the MSR bitmaps). */
	hv = aligned_alloc(_Alignof(struct tern), sizeof(*hv));
	ck_assert_ptr_nonnull(hv);
	tern_init(hv);
	hv->hv_hpa_base = HV_HPA;
	hv->hv_hpa_size = HV_SIZE;
	/* The Service VM's RAM mapped by vm_create as on the image (owned,
	 * lendable); the User VM has none of its own, as one the Service VM
	 * creates. */
	svm = sim_create_vm(hv, "service", 1, true, SVM_SIZE);
	uvm = sim_create_vm(hv, "user", 2, false, 0);
	ck_assert_ptr_nonnull(svm);
	ck_assert_ptr_nonnull(uvm);
	ck_assert_uint_eq(sim.vms[svm->id].ram_hpa, SVM_HPA);
}

static void teardown(void)
{
	free(hv);
	sim_reset();
}

/* ---- set-up by vm_create ----------------------------------------------------- */

START_TEST(vm_create_sets_up_ept)
{
	ck_assert_ptr_nonnull(uvm->ept.root);
	ck_assert_uint_eq(uvm->pt_pool.npages, SIM_DEFAULT_PT_PAGES);
	ck_assert_uint_eq(uvm->pt_pool.in_use, UNIT_EPT_NEW_TABLES);
	ck_assert_uint_eq(uvm->ept.phys_bits, 39); /* the sim host's CPUID 80000008H */
	ck_assert_uint_eq(uvm->ept.flags, EPT_F_1G | EPT_F_XONLY);
	ck_assert_uint_ne(svm->ept.root_hpa, uvm->ept.root_hpa);
	/* The Service VM's 64 MiB are 32 2 MiB pages in one PD (and the APIC-access page's PD, PT). */
	ck_assert_uint_eq(svm->pt_pool.in_use, 5);
}
END_TEST

START_TEST(vm_create_follows_capabilities)
{
	sim.ept_vpid_cap = 0; /* a CPU without 1 GiB pages or execute-only */
	struct vm *vm = sim_create_vm(hv, "old", 1, false, 0);
	ck_assert_ptr_nonnull(vm);
	ck_assert_uint_eq(vm->ept.flags, 0);
	ck_assert_int_eq(vm_memory_map(vm, 0, 0x40000000, 1ull << 30, EPT_RWX, EPT_MT_WB), 0);
	/* A PD of 2 MiB pages, no 1 GiB leaf (besides the APIC-access page's PD and PT). */
	ck_assert_uint_eq(vm->pt_pool.in_use, UNIT_EPT_NEW_TABLES + 1);
	ck_assert_int_eq(ept_map(&vm->ept, 1ull << 32, 0, 4096, EPT_X, EPT_MT_WB), -TERN_EINVAL);
	vm_memory_destroy(vm);
	ck_assert_uint_eq(vm->pt_pool.in_use, 0);
}
END_TEST

START_TEST(vm_create_without_pt_region_fails)
{
	sim.pt_pages_default = 0;
	struct vm_config cfg = { .name = "nopt", .vcpu_count = 1 };
	struct vm *vm = NULL;
	ck_assert_int_eq(vm_create(hv, &cfg, &vm), -TERN_ENOMEM);
	/* A CPU reporting no CPUID 80000008H: MAXPHYADDR 36 (SDM 4.1.4). */
	sim.pt_pages_default = 8;
	uint32_t max_ext[4] = { 0x80000004u, 0, 0, 0 };
	sim_set_host_cpuid(0x80000000u, 0, max_ext);
	ck_assert_int_eq(vm_create(hv, &cfg, &vm), 0);
	ck_assert_uint_eq(vm->ept.phys_bits, 36);
	ck_assert_int_eq(vm_memory_map(vm, 0, 1ull << 36, 0x1000, EPT_R, EPT_MT_WB), -TERN_EINVAL);
	/* An out-of-range width falls back to 36 as well. */
	uint32_t width[4] = { 0x3035, 0, 0, 0 }; /* 53 bits */
	sim_set_host_cpuid(0x80000000u, 0, (uint32_t[4]){ 0x80000008u, 0, 0, 0 });
	sim_set_host_cpuid(0x80000008u, 0, width);
	ck_assert_int_eq(vm_create(hv, &cfg, &vm), 0);
	ck_assert_uint_eq(vm->ept.phys_bits, 36);
	/* A pool too large for any VM. */
	sim.pt_pages_default = PT_POOL_MAX_PAGES + 1;
	ck_assert_int_eq(vm_create(hv, &cfg, &vm), -TERN_E2BIG);
}
END_TEST

/* ---- the APIC-access page ------------------------------------------------------ */

/*
 * Every VM on a CPU with APIC virtualization maps its APIC-access page at
 * 0xFEE00000 (SDM Vol. 3C 29.4: an access is an APIC access only if it
 * translates to it), read/write, never executable, as its own; the Service
 * VM can neither lend over it, nor unmap or re-type it.
 */
START_TEST(apic_access_page_mapped_and_kept)
{
	struct ept_walk_result r;
	ck_assert(uvm->apic_access_mapped && svm->apic_access_mapped);
	ck_assert_int_eq(ept_walk(&uvm->ept, 0xfee00ff0, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, plat_apic_access_page(uvm) + 0xff0);
	ck_assert_uint_eq(ept_walk_mtype(&r), EPT_MT_UC);
	ck_assert_int_eq(ept_walk(&uvm->ept, 0xfee00000, EPT_ACCESS_FETCH, &r), EPT_WALK_VIOLATION);
	/* Only that page: its neighbours stay unbacked. */
	ck_assert(!vm_memory_gpa_mapped(uvm, 0xfed00000, 0x100000));
	ck_assert(!vm_memory_gpa_mapped(uvm, 0xfee01000, 0x1000));
	/* Each VM its own page, which no other VM may map. */
	ck_assert_uint_ne(plat_apic_access_page(svm), plat_apic_access_page(uvm));
	ck_assert_int_eq(vm_memory_map(svm, 0x8000000, plat_apic_access_page(uvm), 0x1000, EPT_R, EPT_MT_UC),
			 -TERN_EPERM);

	/* Region operations touching the page are refused, anything else goes. */
	const struct vm_memory_region bad[] = {
		{ MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0xfee00000, 0x100000, 0x1000 },
		{ MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0xfec00000, 0x100000, 0x400000 },
		{ MR_DEL, MEM_ACCESS_RWX | MEM_TYPE_WB, 0xfee00000, 0, 0x1000 },
		{ MR_MODIFY, MEM_ACCESS_READ | MEM_TYPE_WB, 0xfe000000, 0, 0x1000000 },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(vm_memory_region_op(svm, uvm, &bad[i]), -TERN_EEXIST);
	ck_assert_int_eq(ept_walk(&uvm->ept, 0xfee00000, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, plat_apic_access_page(uvm));
	const struct vm_memory_region below = { MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0xfedff000, 0x100000, 0x1000 };
	const struct vm_memory_region above = { MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0xfee01000, 0x101000, 0x1000 };
	ck_assert_int_eq(vm_memory_region_op(svm, uvm, &below), 0);
	ck_assert_int_eq(vm_memory_region_op(svm, uvm, &above), 0);
	/* Not 4 KiB aligned: refused before anything is mapped. */
	ck_assert_int_eq(vm_memory_map_apic_access(uvm, plat_apic_access_page(uvm) + 8), -TERN_EINVAL);
}
END_TEST

START_TEST(apic_access_page_only_with_apic_virt)
{
	struct vm_config cfg = { .name = "x", .vcpu_count = 1 };
	struct vm *vm = NULL;
	/* A platform without the page cannot run the VM with APIC virtualization. */
	sim.apic_access_fixed = true;
	ck_assert_int_eq(vm_create(hv, &cfg, &vm), -TERN_ENOMEM);
	/* Nor with one it may not map (the hypervisor's memory): refused, the slot stays free. */
	hv->hv_hpa_base = HV_HPA;
	hv->hv_hpa_size = HV_SIZE;
	sim.apic_access_hpa = HV_HPA;
	ck_assert_int_eq(vm_create(hv, &cfg, &vm), -TERN_EPERM);
	ck_assert_int_eq(hv->vms[2].state, VM_STATE_POWERED_OFF);
	/* A CPU without APIC virtualization: nothing there, the xAPIC page stays the EPT path's. */
	sim.vmx_ctl_cap[VMXC_PROC2] &= ~((uint64_t)VMXC_PROC2_APIC_REG_VIRT << 32);
	ck_assert_int_eq(vm_create(hv, &cfg, &vm), 0);
	ck_assert(!vm->apic_access_mapped);
	ck_assert_uint_eq(vm->pt_pool.in_use, 1);
	const struct vm_memory_region lend = { MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_UC, 0xfee00000, 0x100000, 0x1000 };
	ck_assert_int_eq(vm_memory_region_op(svm, vm, &lend), 0);
}
END_TEST

/* ---- deferred invalidation -------------------------------------------------------- */

START_TEST(no_change_visible_before_invalidation)
{
	struct vcpu *a = &uvm->vcpus[0], *b = &uvm->vcpus[1];
	struct ept_walk_result r;
	struct vm_memory_region lend = { MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0x100000, 0x100000, 0x2000 };
	ck_assert_int_eq(vm_memory_region_op(svm, uvm, &lend), 0);
	/* Adding a mapping needs no invalidation. */
	ck_assert(!(a->requests & VCPU_REQ_FLUSH_EPT) && !(b->requests & VCPU_REQ_FLUSH_EPT));
	/* Both vCPUs use the page: their TLBs now hold it. */
	ck_assert_int_eq(sim_vcpu_translate(a, 0x100010, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_int_eq(sim_vcpu_translate(b, 0x100010, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, SVM_HPA + 0x100010);
	ck_assert_uint_eq(sim_tlb_count(b), 1);

	/* The Service VM removes it. */
	ck_assert_int_eq(ept_unmap(&uvm->ept, 0x100000, 0x1000), 0);
	ck_assert((a->requests & VCPU_REQ_FLUSH_EPT) && (b->requests & VCPU_REQ_FLUSH_EPT));
	ck_assert(!(svm->vcpus[0].requests & VCPU_REQ_FLUSH_EPT)); /* only the changed VM's vCPUs */

	/* a goes through pre-entry: invalidated, sees the change. */
	sim_vcpu_begin(a);
	vcpu_pre_entry(a);
	ck_assert(!(a->requests & VCPU_REQ_FLUSH_EPT));
	ck_assert_uint_eq(sim.vms[uvm->id].ept_invalidations[0], 1);
	ck_assert_int_eq(sim_vcpu_translate(a, 0x100010, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	/* b has not entered since: it still translates with the old mapping. */
	ck_assert_int_eq(sim_vcpu_translate(b, 0x100010, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, SVM_HPA + 0x100010);
	ck_assert_uint_eq(sim.vms[uvm->id].ept_invalidations[1], 0);
	sim_vcpu_begin(b);
	vcpu_pre_entry(b);
	ck_assert_int_eq(sim_vcpu_translate(b, 0x100010, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	/* A second pre-entry with nothing pending does not invalidate again. */
	sim_vcpu_begin(b);
	vcpu_pre_entry(b);
	ck_assert_uint_eq(sim.vms[uvm->id].ept_invalidations[1], 1);

	/* Write-protection is a reduction too: stale W until pre-entry. */
	ck_assert_int_eq(sim_vcpu_translate(b, 0x101000, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_int_eq(ept_write_protect(&uvm->ept, 0x101000, 0x1000), 0);
	ck_assert((b->requests & VCPU_REQ_FLUSH_EPT));
	ck_assert_int_eq(sim_vcpu_translate(b, 0x101000, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	sim_vcpu_begin(b);
	vcpu_pre_entry(b);
	ck_assert_int_eq(sim_vcpu_translate(b, 0x101000, EPT_ACCESS_WRITE, &r), EPT_WALK_VIOLATION);
	ck_assert_uint_eq(r.qual, EPT_ACCESS_WRITE | ((EPT_R | EPT_X) << 3)); /* cached R and X, no W */
	/* A read caches the read-only translation (a violation caches nothing);
	 * that stale entry then denies a write the EPT allows again. */
	ck_assert_int_eq(sim_vcpu_translate(b, 0x101000, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
	ck_assert_int_eq(ept_write_unprotect(&uvm->ept, 0x101000, 0x1000), 0);
	ck_assert_int_eq(sim_vcpu_translate(b, 0x101000, EPT_ACCESS_WRITE, &r), EPT_WALK_VIOLATION);
	sim_vcpu_begin(b);
	vcpu_pre_entry(b);
	ck_assert_int_eq(sim_vcpu_translate(b, 0x101000, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
}
END_TEST

/* ---- host-memory ownership ----------------------------------------------------------- */

START_TEST(hpa_ownership)
{
	/* The hypervisor's own memory: no part of it, at any edge. */
	ck_assert_int_eq(vm_memory_map(uvm, 0, HV_HPA, 0x1000, EPT_R, EPT_MT_WB), -TERN_EPERM);
	ck_assert_int_eq(vm_memory_map(uvm, 0, HV_HPA - 0x1000, 0x2000, EPT_R, EPT_MT_WB), -TERN_EPERM);
	ck_assert_int_eq(vm_memory_map(uvm, 0, HV_HPA + HV_SIZE - 0x1000, 0x1000, EPT_R, EPT_MT_WB), -TERN_EPERM);
	ck_assert_int_eq(vm_memory_map(uvm, 0, HV_HPA - 0x1000, 0x1000, EPT_R, EPT_MT_WB), 0);
	ck_assert_int_eq(vm_memory_map(uvm, 0x1000, HV_HPA + HV_SIZE, 0x1000, EPT_R, EPT_MT_WB), 0);
	/* Page tables, its own or another VM's. */
	ck_assert_int_eq(vm_memory_map(uvm, 0x2000, uvm->pt_pool.base_hpa, 0x1000, EPT_R, EPT_MT_WB), -TERN_EPERM);
	ck_assert_int_eq(vm_memory_map(uvm, 0x2000, svm->ept.root_hpa, 0x1000, EPT_R, EPT_MT_WB), -TERN_EPERM);
	ck_assert_int_eq(vm_memory_map(uvm, 0x2000, 0, 0, EPT_R, EPT_MT_WB), -TERN_EINVAL);
	ck_assert_int_eq(vm_memory_map(uvm, 0x2000, ~0xfffull, 0x2000, EPT_R, EPT_MT_WB), -TERN_EINVAL);
	ck_assert(!vm_memory_hpa_allowed(uvm, 0x1000, 0));
	/* Ranges that wrap past the top of the address space, host or guest side. */
	ck_assert(!vm_memory_hpa_allowed(uvm, ~0xfffull, 0x2000));
	ck_assert_int_eq(vm_memory_map(uvm, ~0xfffull, HV_HPA + HV_SIZE, 0x2000, EPT_R, EPT_MT_WB), -TERN_EINVAL);
	struct ept_walk_result w;
	ck_assert_int_eq(ept_walk(&uvm->ept, ~0xfffull, EPT_ACCESS_READ, &w), EPT_WALK_VIOLATION);

	/* Private memory of a pre-launched VM. */
	struct vm *rt = sim_create_vm(hv, "rt", 1, false, 0);
	ck_assert_int_eq(vm_memory_map_private(rt, 0, 0x200000000ull, 16 << 20, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(vm_memory_map(uvm, 0x400000, 0x200800000ull, 0x1000, EPT_R, EPT_MT_WB), -TERN_EPERM);
	/* Its owner may map it again elsewhere (an alias). */
	ck_assert_int_eq(vm_memory_map(rt, 0x2000000, 0x200800000ull, 0x1000, EPT_R, EPT_MT_WB), 0);
	/* Memory another VM maps already cannot become private. */
	ck_assert_int_eq(vm_memory_map_private(rt, 0x4000000, SVM_HPA, 0x1000, EPT_R, EPT_MT_WB), -TERN_EPERM);
	/* At most VM_MAX_PRIVATE_RANGES ranges. */
	for (unsigned i = rt->private_count; i < VM_MAX_PRIVATE_RANGES; i++)
		ck_assert_int_eq(vm_memory_map_private(rt, 0x10000000ull * (i + 1), 0x300000000ull + 0x1000 * i,
						       0x1000, EPT_R, EPT_MT_WB), 0);
	ck_assert_int_eq(vm_memory_map_private(rt, 0x80000000, 0x380000000ull, 0x1000, EPT_R, EPT_MT_WB), -TERN_ENOSPC);
	/* A failed map records nothing. */
	struct vm *rt2 = sim_create_vm(hv, "rt2", 1, false, 0);
	ck_assert_uint_eq(rt2->private_count, 1); /* its APIC-access page */
	ck_assert_int_eq(vm_memory_map_private(rt2, 0, HV_HPA, 0x1000, EPT_R, EPT_MT_WB), -TERN_EPERM);
	ck_assert_uint_eq(rt2->private_count, 1);
}
END_TEST

/* ---- HC_VM_SET_MEMORY_REGIONS ----------------------------------------------------------- */

static void put_request(uint16_t vmid, uint32_t n, const struct vm_memory_region *regs)
{
	struct set_regions req = { .vmid = vmid, .mr_num = n, .regions_gpa = REGS_GPA };
	memcpy(sim_vm_ram(svm->id) + PARAM_GPA, &req, sizeof(req));
	memcpy(sim_vm_ram(svm->id) + REGS_GPA, regs, n * sizeof(*regs));
}

static struct set_regions *request(void)
{
	return (struct set_regions *)(sim_vm_ram(svm->id) + PARAM_GPA);
}

static int one_region(uint32_t type, uint32_t prot, uint64_t gpa, uint64_t sgpa, uint64_t size)
{
	struct vm_memory_region mr = { type, prot, gpa, sgpa, size };
	put_request(uvm->id, 1, &mr);
	return vm_memory_set_regions(svm, PARAM_GPA);
}

START_TEST(set_regions_add_modify_del)
{
	struct vm_memory_region regs[3] = {
		{ MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0x0, 0x400000, 0x200000 },
		{ MR_ADD, MEM_ACCESS_READ | MEM_ACCESS_WRITE | MEM_TYPE_UC, 0xd0000000, 0x600000, 0x1000 },
		{ MR_MODIFY, MEM_ACCESS_READ | MEM_TYPE_WB, 0x100000, 0, 0x1000 },
	};
	put_request(uvm->id, 3, regs);
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), 0);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&uvm->ept, 0x1234, EPT_ACCESS_FETCH, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, SVM_HPA + 0x401234);
	ck_assert_int_eq(ept_walk(&uvm->ept, 0xd0000010, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(r.hpa, SVM_HPA + 0x600010);
	ck_assert_uint_eq(ept_walk_mtype(&r), EPT_MT_UC);
	ck_assert_int_eq(ept_walk(&uvm->ept, 0x100000, EPT_ACCESS_WRITE, &r), EPT_WALK_VIOLATION);
	ck_assert_uint_eq(r.qual, EPT_ACCESS_WRITE | (EPT_R << 3));
	/* RAM over an in-hypervisor device (the test device's page) is refused, nothing mapped. */
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0xbffff000, 0x601000, 0x2000),
			 -TERN_EEXIST);
	ck_assert_int_eq(ept_walk(&uvm->ept, 0xbffff000, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	/* Delete: gone, and every vCPU of the VM is told to invalidate. */
	uvm->vcpus[0].requests = uvm->vcpus[1].requests = 0;
	ck_assert_int_eq(one_region(MR_DEL, 0, 0x0, 0, 0x200000), 0);
	ck_assert_int_eq(ept_walk(&uvm->ept, 0x1234, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	ck_assert((uvm->vcpus[0].requests & VCPU_REQ_FLUSH_EPT) && (uvm->vcpus[1].requests & VCPU_REQ_FLUSH_EPT));
	/* Each memory type encoding. */
	static const struct { uint32_t prot; unsigned mt; } types[] = {
		{ MEM_TYPE_WB, EPT_MT_WB }, { MEM_TYPE_WT, EPT_MT_WT }, { MEM_TYPE_UC, EPT_MT_UC },
		{ MEM_TYPE_WC, EPT_MT_WC }, { MEM_TYPE_WP, EPT_MT_WP },
	};
	for (unsigned i = 0; i < 5; i++) {
		ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_READ | types[i].prot, 0x10000000 + i * 0x1000,
					    0x800000 + i * 0x1000, 0x1000), 0);
		ck_assert_int_eq(ept_walk(&uvm->ept, 0x10000000 + i * 0x1000, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
		ck_assert_uint_eq(ept_walk_mtype(&r), types[i].mt);
	}
	ck_assert_int_eq(one_region(MR_MODIFY, MEM_ACCESS_RWX | MEM_TYPE_WC, 0x10000000, 0, 0x5000), 0);
	ck_assert_int_eq(ept_walk(&uvm->ept, 0x10004000, EPT_ACCESS_WRITE, &r), EPT_WALK_MAPPED);
	ck_assert_uint_eq(ept_walk_mtype(&r), EPT_MT_WC);
}
END_TEST

START_TEST(set_regions_hostile_header)
{
	struct vm_memory_region mr = { MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0, 0x400000, 0x1000 };
	/* The request itself outside the Service VM's RAM. */
	ck_assert_int_eq(vm_memory_set_regions(svm, 1ull << 40), -TERN_EFAULT);
	ck_assert_int_eq(vm_memory_set_regions(svm, SVM_SIZE - 8), -TERN_EFAULT);
	/* Regions array outside it. */
	put_request(uvm->id, 1, &mr);
	request()->regions_gpa = SVM_SIZE - 16;
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), -TERN_EFAULT);
	request()->regions_gpa = ~7ull;   /* aligned, and the list wraps past 2^64 */
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), -TERN_EFAULT);
	/* Counts: none, or more than one page of regions. */
	put_request(uvm->id, 1, &mr);
	request()->mr_num = 0;
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), -TERN_EINVAL);
	request()->mr_num = VM_MEMORY_MAX_REGIONS + 1;
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), -TERN_EINVAL);
	request()->mr_num = 0xffffffffu;
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), -TERN_EINVAL);
	/* Reserved fields. */
	put_request(uvm->id, 1, &mr);
	request()->reserved0 = 1;
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), -TERN_EINVAL);
	put_request(uvm->id, 1, &mr);
	request()->reserved1 = 1;
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), -TERN_EINVAL);
	put_request(uvm->id, 1, &mr);
	request()->reserved2 = 1;
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), -TERN_EINVAL);
	/* Target: nonexistent, out of range, the Service VM itself. */
	put_request(7, 1, &mr);
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), -TERN_EINVAL);
	put_request(0xffff, 1, &mr);
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), -TERN_EINVAL);
	put_request(svm->id, 1, &mr);
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), -TERN_EPERM);
	/* Only the Service VM may ask. */
	put_request(uvm->id, 1, &mr);
	ck_assert_int_eq(vm_memory_set_regions(uvm, PARAM_GPA), -TERN_EPERM);
	ck_assert_uint_eq(uvm->pt_pool.in_use, UNIT_EPT_NEW_TABLES); /* nothing was mapped */
	/* The full page of regions is accepted. */
	static struct vm_memory_region many[VM_MEMORY_MAX_REGIONS];
	for (unsigned i = 0; i < VM_MEMORY_MAX_REGIONS; i++)
		many[i] = (struct vm_memory_region){ MR_ADD, MEM_ACCESS_READ | MEM_TYPE_WB, i * 0x1000ull,
						     0x400000 + i * 0x1000ull, 0x1000 };
	put_request(uvm->id, VM_MEMORY_MAX_REGIONS, many);
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), 0);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&uvm->ept, (VM_MEMORY_MAX_REGIONS - 1) * 0x1000ull, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
}
END_TEST

START_TEST(set_regions_hostile_regions)
{
	/* Malformed regions. */
	ck_assert_int_eq(one_region(1, MEM_ACCESS_RWX | MEM_TYPE_WB, 0, 0x400000, 0x1000), -TERN_EINVAL);
	ck_assert_int_eq(one_region(4, 0, 0, 0, 0x1000), -TERN_EINVAL);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0x800, 0x400000, 0x1000), -TERN_EINVAL);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0, 0x400800, 0x1000), -TERN_EINVAL);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0, 0x400000, 0x800), -TERN_EINVAL);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0, 0x400000, 0), -TERN_EINVAL);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, ~0xfffull, 0x400000, 0x2000), -TERN_EINVAL);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0, ~0xfffull, 0x2000), -TERN_EINVAL);
	ck_assert_int_eq(one_region(MR_DEL, 0, ~0xfffull, 0, 0x2000), -TERN_EINVAL);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX, 0, 0x400000, 0x1000), -TERN_EINVAL);          /* no type */
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB | MEM_TYPE_UC, 0, 0x400000, 0x1000), -TERN_EINVAL);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB | 0x800, 0, 0x400000, 0x1000), -TERN_EINVAL);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_WRITE | MEM_TYPE_WB, 0, 0x400000, 0x1000), -TERN_EINVAL); /* W without R */
	ck_assert_int_eq(one_region(MR_ADD, MEM_TYPE_WB, 0, 0x400000, 0x1000), -TERN_EINVAL);
	ck_assert_int_eq(one_region(MR_MODIFY, MEM_ACCESS_RWX, 0, 0, 0x1000), -TERN_EINVAL);
	/* service_vm_gpa the Service VM does not map, or only partly. */
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0, SVM_SIZE, 0x1000), -TERN_EFAULT);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0, SVM_SIZE - 0x1000, 0x2000), -TERN_EFAULT);
	/* Backed, but not contiguously in host memory. */
	ck_assert_int_eq(ept_map(&svm->ept, 0x8000000, 0x180000000ull, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(ept_map(&svm->ept, 0x8001000, 0x190000000ull, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0, 0x8000000, 0x2000), -TERN_EFAULT);
	/* Backed, but not the Service VM's own RAM: it cannot lend what it does not own. */
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0, 0x8000000, 0x1000), -TERN_EPERM);
	/* A Service VM EPT that (wrongly) reaches the hypervisor, page tables or
	 * a pre-launched VM's memory still cannot hand them on. */
	ck_assert_int_eq(ept_map(&svm->ept, 0x9000000, HV_HPA, 0x200000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0x100000, 0x9000000, 0x1000), -TERN_EPERM);
	ck_assert_int_eq(ept_map(&svm->ept, 0xa000000, uvm->pt_pool.base_hpa, 0x1000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0x100000, 0xa000000, 0x1000), -TERN_EPERM);
	struct vm *rt = sim_create_vm(hv, "rt", 1, false, 0);
	ck_assert_int_eq(vm_memory_map_private(rt, 0, 0x200000000ull, 0x200000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(ept_map(&svm->ept, 0xb000000, 0x200000000ull, 0x200000, EPT_RWX, EPT_MT_WB), 0);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0x100000, 0xb001000, 0x1000), -TERN_EPERM);
	ck_assert_uint_eq(uvm->pt_pool.in_use, UNIT_EPT_NEW_TABLES); /* none of it was mapped */
	/* Overlap with what the User VM maps already. */
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0, 0x400000, 0x1000), 0);
	ck_assert_int_eq(one_region(MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0, 0x401000, 0x1000), -TERN_EEXIST);
	/* A malformed region anywhere in the request changes nothing. */
	struct vm_memory_region regs[2] = {
		{ MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0x200000, 0x500000, 0x1000 },
		{ MR_ADD, MEM_ACCESS_RWX | MEM_TYPE_WB, 0x300000, 0x501000, 0x1001 },
	};
	put_request(uvm->id, 2, regs);
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), -TERN_EINVAL);
	struct ept_walk_result r;
	ck_assert_int_eq(ept_walk(&uvm->ept, 0x200000, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
	/* One that fails when applied stops the request there (ACRN): the first stays. */
	regs[1].size = 0x1000;
	regs[1].service_vm_gpa = SVM_SIZE;
	put_request(uvm->id, 2, regs);
	ck_assert_int_eq(vm_memory_set_regions(svm, PARAM_GPA), -TERN_EFAULT);
	ck_assert_int_eq(ept_walk(&uvm->ept, 0x200000, EPT_ACCESS_READ, &r), EPT_WALK_MAPPED);
	ck_assert_int_eq(ept_walk(&uvm->ept, 0x300000, EPT_ACCESS_READ, &r), EPT_WALK_VIOLATION);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vm_memory");
	TCase *tc = tcase_create("vm_memory");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, vm_create_sets_up_ept);
	tcase_add_test(tc, vm_create_follows_capabilities);
	tcase_add_test(tc, vm_create_without_pt_region_fails);
	tcase_add_test(tc, apic_access_page_mapped_and_kept);
	tcase_add_test(tc, apic_access_page_only_with_apic_virt);
	tcase_add_test(tc, no_change_visible_before_invalidation);
	tcase_add_test(tc, hpa_ownership);
	tcase_add_test(tc, set_regions_add_modify_del);
	tcase_add_test(tc, set_regions_hostile_header);
	tcase_add_test(tc, set_regions_hostile_regions);
	suite_add_tcase(s, tc);
	return s;
}
