/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exits of APIC virtualization (SDM Vol. 3C chapter 29; vmx_controls.h:
 * vmxc_apic_virt). The guest's xAPIC page is the APIC-access page; the
 * vCPU's virtual-APIC page is its vLAPIC's register storage (vlapic.h), so
 * reads of the virtualized registers never exit and these three are all
 * that does:
 *   - APIC write (reason 56, trap-like, 29.4.3.3): the value is in the page
 *     at the qualification's offset, the instruction has retired; the
 *     vLAPIC carries out the write from there: no fetch, no decode.
 *   - APIC access (reason 44, fault-like, 28.2.1 / Table 28-6): a read of a
 *     register the CPU does not virtualize (PPR, APR, current count, ...)
 *     or a write it does not (read-only and reserved offsets): the
 *     instruction has not run, it is decoded and emulated at the register's
 *     guest-physical address as the EPT path does (mmio.c).
 *   - TPR below threshold (reason 43, trap-like, 29.1.2): the guest lowered
 *     its TPR shadow under the class of an interrupt it held back; the
 *     entry decision (intr.c) injects it.
 */
#include "exit_handlers.h"
#include "apic_qual.h"
#include "mmio.h"
#include "intr.h"
#include "log.h"
#include "vm.h"
#include "vm_irq.h"

#define APIC_PAGE_MASK 0xfffull

static enum exit_action refuse(struct vcpu *vcpu, const char *what, uint64_t q)
{
	log_err("vm%u vcpu%u: %s (qualification 0x%llx) is not a virtualized xAPIC access", vcpu->vm->id,
		vcpu->id, what, (unsigned long long)q);
	vm_stop(vcpu->vm, VM_STOP_BAD_MEMORY, (uint32_t)(vcpu->lapic.apic_base >> 12));
	return EXIT_ACTION_STOP;
}

enum exit_action apic_write_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint32_t off = apic_qual_offset(ex->qualification);
	struct vlapic_result res;
	uint64_t now = vlapic_reads_clock(off & ~0xfu) ? vcpu_guest_tsc(vcpu) : 0;
	/* An offset the CPU never reports, or an APIC not in xAPIC mode (the platform had to drop the control). */
	if (vlapic_apic_write(&vcpu->lapic, off, now, &res) != 0)
		return refuse(vcpu, "APIC write", ex->qualification);
	vm_irq_apply(vcpu, &res);
	return EXIT_ACTION_RESUME;
}

enum exit_action apic_access_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint64_t q = ex->qualification;
	unsigned type = apic_qual_type(q);
	/*
	 * Data accesses of an instruction only: a fetch from the APIC page, an
	 * access during event delivery (an IDT or stack in it) or a
	 * guest-physical one (a page walk through it) is not an APIC register
	 * access Tern emulates; the EPT path stops the VM for those too.
	 */
	if (type != APIC_ACCESS_LINEAR_READ && type != APIC_ACCESS_LINEAR_WRITE)
		return refuse(vcpu, "APIC access", q);
	struct exit_record mmio = *ex;
	mmio.guest_physical = (vcpu->lapic.apic_base & ~APIC_PAGE_MASK) | apic_qual_offset(q);
	mmio.qualification = (type == APIC_ACCESS_LINEAR_WRITE ? EPT_QUAL_WRITE : EPT_QUAL_READ) |
			     EPT_QUAL_LA_VALID | EPT_QUAL_LA_XLATED;
	return mmio_exit(vcpu, &mmio);
}

enum exit_action tpr_below_threshold_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	(void)vcpu;
	(void)ex;
	return EXIT_ACTION_RESUME; /* vcpu_pre_entry's injection finds the unmasked vector */
}
