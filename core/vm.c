/* SPDX-License-Identifier: BSD-3-Clause */
#include "vm.h"
#include "request.h"
#include "sched_slice.h"
#include "debug_exit.h"
#include "testdev.h"
#include "err.h"
#include "exit_dispatch.h"
#include "ioreq.h"
#include "lib.h"
#include "log.h"
#include "vm_memory.h"
#include "vm_mgr.h"
#include "vm_irq.h"
#include "vmx_controls.h"
#include "platform.h"

void tern_init(struct tern *hv)
{
	tern_memset(hv, 0, sizeof(*hv));
	for (uint16_t i = 0; i < TERN_MAX_VMS; i++) {
		hv->vms[i].hv = hv;
		hv->vms[i].id = i;
	}
	/* No entry prepared yet: no host timer. */
	for (uint16_t c = 0; c < TERN_MAX_PCPUS; c++) {
		hv->cpus[c].deadline = UINT64_MAX;
		hv->cpus[c].slice_end = UINT64_MAX;
	}
}

static void uart_port(struct vm *vm, void *opaque, uint16_t port, unsigned size, bool write,
		      uint32_t *value)
{
	(void)size;
	struct uart16550 *u = opaque;
	uart_access(u, vm, (unsigned)(port - UART_COM1_BASE), write, value);
}

static int validate_config(const struct vm_config *cfg)
{
	if (cfg->vcpu_count == 0 || cfg->vcpu_count > TERN_MAX_VCPUS)
		return -TERN_EINVAL;
	/* The name must be terminated inside its buffer. */
	for (unsigned i = 0; i < TERN_VM_NAME_LEN; i++)
		if (!cfg->name[i])
			return 0;
	return -TERN_EINVAL;
}

/*
 * With APIC virtualization (vmxc_apic_virt) a guest access is an APIC access
 * only if its guest-physical address translates, through the EPT, to the
 * APIC-access address (SDM Vol. 3C 29.4; with no translation it is an EPT
 * violation first). So every VM maps the platform's APIC-access page at the
 * default xAPIC base, recorded as its own (vm_memory_map_apic_access). This is the one host page in a VM that is not its RAM: while
 * "virtualize APIC accesses" is on (intr.h apic_access) the CPU virtualizes
 * or exits on every access to it; a vCPU entered with it off (x2APIC mode,
 * APIC disabled or relocated) reaches the page as plain memory, which holds
 * only what that VM itself wrote there (the platform zeroes it for each VM,
 * nothing else reads or writes it). Without APIC virtualization nothing is
 * mapped there and the xAPIC page stays an EPT violation (mmio.c).
 */
static int map_apic_access(struct vm *vm)
{
	if (!vmxc_apic_virt())
		return 0;
	uint64_t hpa = plat_apic_access_page(vm);
	if (hpa == 0)
		return -TERN_ENOMEM;
	return vm_memory_map_apic_access(vm, hpa);
}

int vm_create(struct tern *hv, const struct vm_config *cfg, struct vm **out)
{
	int ret = validate_config(cfg);
	if (ret)
		return ret;
	if (cfg->service_vm)
		for (unsigned i = 0; i < TERN_MAX_VMS; i++)
			if (hv->vms[i].state != VM_STATE_POWERED_OFF && hv->vms[i].config.service_vm)
				return -TERN_EEXIST; /* there is one Service VM */

	struct vm *vm = 0;
	for (unsigned i = 0; i < TERN_MAX_VMS && !vm; i++)
		if (hv->vms[i].state == VM_STATE_POWERED_OFF)
			vm = &hv->vms[i];
	if (!vm)
		return -TERN_ENOSPC;

	uint16_t id = vm->id;
	tern_memset(vm, 0, sizeof(*vm));
	vm->hv = hv;
	vm->id = id;
	vm->life = ++hv->vm_lives[id];
	vm->config = *cfg;
	vm->upcall_vector = IOREQ_UPCALL_VECTOR; /* until HC_SET_CALLBACK_VECTOR */
	if ((ret = cpuid_policy_build(&vm->cpuid, cfg)))
		return ret;
	msr_bitmap_build(&vm->msr_bitmap);
	uart_init(&vm->com1);
	if ((ret = pio_register(&vm->pio, UART_COM1_BASE, UART_NPORTS, uart_port, &vm->com1, "com1")))
		return ret;
	if ((ret = debug_exit_init(vm)))
		return ret;
	if ((ret = testdev_init(vm)))
		return ret;
	if ((ret = vm_irq_create(vm)))
		return ret;
	for (uint16_t i = 0; i < cfg->vcpu_count; i++)
		vcpu_init(&vm->vcpus[i], vm, i);
	if ((ret = vm_memory_init(vm)))
		return ret;
	/*
	 * Its RAM, owned by it from now on: the Service VM may lend it to User
	 * VMs; any other VM's is its alone (a pre-launched VM). The slot stays
	 * POWERED_OFF (free) when the host range is refused.
	 */
	if (cfg->mem_size != 0 &&
	    (ret = vm_memory_map_owned(vm, 0, cfg->ram_hpa, cfg->mem_size, cfg->service_vm)) != 0) {
		vm_memory_destroy(vm);
		return ret;
	}
	if ((ret = map_apic_access(vm)) != 0) {
		vm_memory_destroy(vm);
		return ret;
	}
	vm->state = VM_STATE_CREATED;
	/* Its vCPUs count for their pCPUs' entry decisions from now on (sched_slot). */
	for (uint16_t i = 0; i < cfg->vcpu_count; i++)
		sched_cpu_stale(&hv->cpus[vm->vcpus[i].pcpu]);
	*out = vm;
	return 0;
}

struct vm *vm_service(struct tern *hv)
{
	for (unsigned i = 0; i < TERN_MAX_VMS; i++)
		if (hv->vms[i].state != VM_STATE_POWERED_OFF && hv->vms[i].config.service_vm)
			return &hv->vms[i];
	return 0;
}

static const char *const stop_names[] = {
	[VM_STOP_NONE] = "none",
	[VM_STOP_UNEXPECTED_EXIT] = "unexpected-exit",
	[VM_STOP_ENTRY_FAILURE] = "entry-failure",
	[VM_STOP_TRIPLE_FAULT] = "triple-fault",
	[VM_STOP_GUEST_EXIT] = "guest-exit",
	[VM_STOP_BAD_MEMORY] = "bad-memory",
	[VM_STOP_INTERNAL] = "internal",
};

const char *vm_stop_cause_name(enum vm_stop_cause cause)
{
	if ((unsigned)cause >= TERN_ARRAY_SIZE(stop_names))
		return "unknown";
	return stop_names[cause];
}

void vm_stop(struct vm *vm, enum vm_stop_cause cause, uint32_t detail)
{
	/* Against a pause or resume from the Service VM on another pCPU (vm.h). */
	tern_lock(&vm->state_lock);
	if (vm->state == VM_STATE_STOPPED) {
		tern_unlock(&vm->state_lock);
		return; /* the first cause is the one reported */
	}
	vm->state = VM_STATE_STOPPED;
	vm->stop_cause = cause;
	vm->stop_detail = detail;
	for (unsigned i = 0; i < vm->config.vcpu_count; i++) {
		tern_lock(&vm->vcpus[i].sched_lock);
		vm->vcpus[i].state = VCPU_STATE_STOPPED;
		tern_unlock(&vm->vcpus[i].sched_lock);
	}
	tern_unlock(&vm->state_lock);
	/* vCPUs in guest mode on other pCPUs leave it (request.h). */
	(void)vm_sync_request(vm, 0);
	if (cause == VM_STOP_GUEST_EXIT)
		log_info("vm%u (%s) exited with status %u", vm->id, vm->config.name, detail);
	else if (cause == VM_STOP_UNEXPECTED_EXIT || cause == VM_STOP_ENTRY_FAILURE)
		log_err("vm%u (%s) stopped: %s, exit reason %u (%s)", vm->id, vm->config.name,
			vm_stop_cause_name(cause), detail & EXIT_REASON_BASIC_MASK,
			exit_reason_name(detail & EXIT_REASON_BASIC_MASK));
	else
		log_err("vm%u (%s) stopped: %s (detail 0x%x)", vm->id, vm->config.name,
			vm_stop_cause_name(cause), detail);
}

int vm_triple_fault(struct vm *vm)
{
	if (vm->config.reset_on_triple_fault) {
		vm_mgr_reboot(vm);
		return EXIT_ACTION_RESUME;
	}
	vm_stop(vm, VM_STOP_TRIPLE_FAULT, 0);
	return EXIT_ACTION_STOP;
}

bool vm_is_stopped(const struct vm *vm)
{
	return vm->state == VM_STATE_STOPPED;
}
