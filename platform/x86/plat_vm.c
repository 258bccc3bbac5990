/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-VM platform functions: host RAM for core (the identity map; core
 * reaches guest memory through each VM's EPT), the guest-memory trace sink,
 * page-table regions, EPT invalidation, the VM's console, and the trace
 * sink.
 */
#include "xvm.h"
#include "platform.h"
#include "serial.h"
#include "machine.h"
#include "mem.h"
#include "err.h"
#include "lib.h"
#include "vmcs.h"
#include "trace_rec.h"
#include "atomic.h"
#include "log.h"

static struct x86_vm x86_vms[TERN_MAX_VMS];
/*
 * VMCS regions live inside the image, so they fall in the hypervisor's own
 * host range (tern.hv_hpa_base/size) that no VM may ever map.
 */
static uint8_t vmcs_pages[TERN_MAX_VMS][TERN_MAX_VCPUS][4096] __attribute__((aligned(4096)));

struct x86_vm *xvm_of(const struct vm *vm)
{
	return &x86_vms[vm->id % TERN_MAX_VMS];
}

/*
 * Host memory for a VM slot, carved the first time core asks for its
 * page-table region (vm_create -> vm_memory_init): the page-table pages.
 * A later VM in the same slot (HC_CREATE_VM after HC_DESTROY_VM) gets the
 * same pages back: they are the slot's, and core's pt_pool hands them out
 * afresh for each VM. Its RAM was carved before (x86_vm_ram, the Service
 * VM) or is lent memory core maps (every other VM).
 */
static int xvm_alloc(struct x86_vm *x)
{
	x->pt_hpa = mem_alloc((uint64_t)X86_VM_PT_PAGES * 4096, 4096);
	if (!x->pt_hpa)
		return -TERN_ENOMEM;
	x->pt = phys_to_virt(x->pt_hpa);
	x->pt_pages = X86_VM_PT_PAGES;
	x->used = true;
	return 0;
}

/*
 * A new VM in this slot: each of its vCPUs gets the slot's VMCS page and
 * FPU/SIMD save area (carved once per vCPU slot, XSAVE-aligned) in its
 * power-on state, and needs vmcs_setup before it first runs (x86_vcpu_ready).
 * Nothing of the slot's previous VM survives.
 */
static int xvm_new_vm(struct vm *vm)
{
	struct x86_vm *x = xvm_of(vm);
	x->ram_hpa = vm->config.ram_hpa;
	x->ram = vm->config.mem_size ? phys_to_virt(x->ram_hpa) : (uint8_t *)0;
	x->ram_size = vm->config.mem_size;
	x->eptp = 0;
	/*
	 * The previous VM's VMCSs were retired on the pCPUs they were active
	 * on (plat_vm_retire at its destroy, SDM Vol. 3C 25.11.1): one still
	 * active on another pCPU (its owner not there yet: the destroying
	 * pCPU waits for it only after its exit) must not be reused here.
	 */
	uint32_t self = (uint32_t)plat_cpu_id() + 1u;
	for (unsigned i = 0; i < TERN_MAX_VCPUS; i++) {
		uint32_t on = atomic_load32(&x->vcpus[i].active_on);
		if (on && on != self) {
			log_err("vm%u: vCPU%u's VMCS still active on pCPU%u", vm->id, i, on - 1u);
			return -TERN_EBUSY;
		}
	}
	for (unsigned i = 0; i < TERN_MAX_VCPUS; i++) {
		struct x86_vcpu *xv = &x->vcpus[i];
		uint8_t *xsave = xv->extra.xsave;
		if (i < vm->config.vcpu_count && !xsave) {
			uint64_t xsave_hpa = mem_alloc(xstate_area_size(), 64);
			if (!xsave_hpa)
				return -TERN_ENOMEM;
			xsave = phys_to_virt(xsave_hpa);
		}
		uint8_t *page = vmcs_pages[vm->id % TERN_MAX_VMS][i];
		/*
		 * Active on this pCPU only (checked above): VMCLEAR writes it
		 * back and deactivates it before the page is reused. It is not
		 * the current VMCS: vm_create runs in the Service VM's exit.
		 */
		if (xv->active_on)
			(void)vmx_clear(xv->vmcs_hpa);
		tern_memset(xv, 0, sizeof(*xv));
		tern_memset(page, 0, 4096);
		xv->vmcs = page;
		xv->vmcs_hpa = virt_to_phys(page);
		x86_guest_extra_init(&xv->extra, xsave);
	}
	return 0;
}

uint64_t x86_vm_ram(uint64_t size)
{
	/* 2 MiB aligned, so that core's EPT can use large pages. */
	return mem_alloc((size + 0x1fffffull) & ~0x1fffffull, 0x200000);
}

void *plat_hpa_map(uint64_t hpa, size_t len)
{
	/* The identity map: the first 4 GiB and the RAM above that mem_init mapped. */
	if (!mem_mapped(hpa, len))
		return (void *)0;
	return phys_to_virt(hpa);
}

void plat_trace_gmem(struct vm *vm, uint64_t gpa, const void *data, size_t len,
		     enum gmem_trace_op op)
{
	(void)vm;
	if (op == GMEM_TRACE_READ)
		trace_rec_gpa_read(gpa, data, len);
	else if (op == GMEM_TRACE_READ_FAULT)
		trace_rec_gpa_fault(gpa, len);
	else
		trace_rec_gpa_write(gpa, data, len);
}

/* Called once per VM, at its creation (vm_memory_init): the slot's state is reset. */
int plat_pt_region(struct vm *vm, void **base, uint64_t *base_hpa, uint32_t *npages)
{
	struct x86_vm *x = xvm_of(vm);
	int ret = x->used ? 0 : xvm_alloc(x);
	if (ret == 0)
		ret = xvm_new_vm(vm);
	if (ret)
		return ret;
	*base = x->pt;
	*base_hpa = x->pt_hpa;
	*npages = x->pt_pages;
	return 0;
}

/*
 * One page per VM slot, carved the first time (outside the image and every
 * page-table region, so core's ownership checks let it be this VM's own)
 * and zeroed for each new VM: the guest reaches it as memory only while a
 * vCPU runs with "virtualize APIC accesses" off (vm.c map_apic_access), and
 * nothing of an earlier VM of the slot may show there.
 */
uint64_t plat_apic_access_page(struct vm *vm)
{
	struct x86_vm *x = xvm_of(vm);
	if (!x->apic_access_hpa)
		x->apic_access_hpa = mem_alloc(4096, 4096);
	if (x->apic_access_hpa)
		tern_memset(phys_to_virt(x->apic_access_hpa), 0, 4096);
	return x->apic_access_hpa;
}

uint64_t plat_vmx_ept_vpid_cap(void)
{
	return x86_ept_caps;
}

/* The boot CPU's control capabilities (vmx_check), as vmx_ctl_cap_reported says. */
uint64_t plat_vmx_ctl_cap(unsigned field)
{
	const struct vmx_caps *c = x86_vmx_caps;
	return c ? vmx_ctl_cap_reported(c, field) : 0;
}

void plat_ept_invalidate(struct vcpu *vcpu)
{
	struct x86_vm *x = xvm_of(vcpu->vm);
	if (x86_ept_caps & EPT_CAP_INVEPT_SINGLE)
		vmx_invept(INVEPT_SINGLE, x->eptp);
	else
		vmx_invept(INVEPT_ALL, 0);
}

void plat_vpid_invalidate(struct vcpu *vcpu)
{
	if (x86_ept_caps & EPT_CAP_INVVPID_SINGLE)
		vmx_invvpid(INVVPID_SINGLE, vmxc_vpid(vcpu));
	else
		vmx_invvpid(INVVPID_ALL, 0);
}

/*
 * Each VM's COM1 reaches the console a line at a time, prefixed with the
 * VM's name as Tern's own log lines give it ("[vm1] PASS: ..."), so that
 * the lines of several VMs and of Tern never mix within a line. A line
 * longer than the buffer is cut into several.
 */
#define CONSOLE_LINE_MAX 200u
static struct console_line {
	char buf[CONSOLE_LINE_MAX];
	unsigned len;
} console_lines[TERN_MAX_VMS];

static void console_flush(uint16_t vm_id)
{
	struct console_line *l = &console_lines[vm_id % TERN_MAX_VMS];
	char prefix[] = "[vm0] ";
	prefix[3] = (char)('0' + vm_id % TERN_MAX_VMS);
	console_lock();
	serial_write(serial_console_port(), (const uint8_t *)prefix, sizeof(prefix) - 1);
	serial_write(serial_console_port(), (const uint8_t *)l->buf, l->len);
	serial_putc(serial_console_port(), '\n');
	console_unlock();
	l->len = 0;
}

void plat_console_putc(struct vm *vm, uint8_t c)
{
	struct console_line *l = &console_lines[vm->id % TERN_MAX_VMS];
	trace_rec_console(c);
	if (c != '\n')
		l->buf[l->len++] = (char)c;
	if (c == '\n' || l->len == CONSOLE_LINE_MAX)
		console_flush(vm->id);
}

void x86_console_flush_all(void)
{
	for (uint16_t i = 0; i < TERN_MAX_VMS; i++)
		if (console_lines[i].len)
			console_flush(i);
}
