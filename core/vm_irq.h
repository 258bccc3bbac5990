/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VM's interrupt wiring (docs/interrupts.md): the devices of
 * vlapic/vioapic/vpic/vpit/vrtc put on the VM's buses, one delivery
 * function for every interrupt message (ICR writes, IOAPIC, MSI, the
 * Service VM's upcall), ISA lines, and the timers core advances before
 * every VM entry.
 *
 * Delivery never leaves the VM: messages are routed among its own vCPUs'
 * vLAPICs. The vCPU whose context the caller runs in (`self`, or NULL when
 * it is none of the VM's, e.g. a hypercall of the Service VM) accepts a
 * message itself; any other target gets the atomic IRR OR of
 * vlapic_accept_remote() and a request bit (VCPU_REQ_EVENT, _NMI, _INIT,
 * _SIPI) with a kick of its pCPU (request.h), and carries the rest out in
 * its own context.
 */
#ifndef TERN_VM_IRQ_H
#define TERN_VM_IRQ_H

#include <stdint.h>
#include <stdbool.h>
#include "vlapic.h"

struct vm;
struct vcpu;

/* IOAPIC pin of ISA IRQ 0 (the PIT): the usual MADT interrupt source override. */
#define VM_IRQ_PIT_PIN 2u
#define VM_IRQ_PIT_ISA 0u
#define VM_IRQ_RTC_ISA 8u
/* The timer input clock of the vLAPIC ("bus clock"): TSC / this many ticks. */
#define VM_IRQ_APIC_BUS_HZ 100000000ull
/* MSI address/data (SDM Vol. 3A 10.11.1, 10.11.2). */
#define VM_IRQ_MSI_ADDR_BASE 0xfee00000ull
#define VM_IRQ_MSI_ADDR_MASK 0xfffffffffff00000ull /* no extended (x2APIC) destination */
#define VM_IRQ_MSI_DEST_SHIFT 12
#define VM_IRQ_MSI_DM_LOGICAL (1ull << 2)
#define VM_IRQ_MSI_DATA_LEVEL (1ull << 15)
#define VM_IRQ_MSI_DATA_ASSERT (1ull << 14)
/* ACRN's SET_IRQLINE operations (acrn_irqline_ops.op). */
#define VM_IRQ_LINE_HIGH 0u
#define VM_IRQ_LINE_LOW 1u
#define VM_IRQ_LINE_RAISING_PULSE 2u
#define VM_IRQ_LINE_FALLING_PULSE 3u

/* At VM creation: the devices reset and their ports / IOAPIC page claimed. */
int vm_irq_create(struct vm *vm);
/* Power-on state of the VM's devices (creation and VM reset). */
void vm_irq_reset(struct vm *vm);
/* The guest TSC frequency the VM's timers count against. */
uint64_t vm_irq_tsc_hz(const struct vm *vm);
/* The vCPU's guest TSC: host TSC + its TSC offset (msr.h). */
uint64_t vcpu_guest_tsc(const struct vcpu *vcpu);

/* Route `msg` among the VM's vCPUs and deliver it to each target (see above). */
void vm_irq_deliver(struct vm *vm, struct vcpu *self, const struct vlapic_msg *msg);
/* vm_irq_deliver(vcpu->vm, vcpu, msg): an IPI the vCPU sent. */
void vm_irq_send(struct vcpu *vcpu, const struct vlapic_msg *msg);
/* SDM 10.8.5: the EOI of a level-triggered vector goes to the IOAPIC. */
void vm_irq_eoi_broadcast(struct vcpu *vcpu, int vector);
/*
 * What a vLAPIC register write produced: the IPI sent, the EOI of a level
 * vector (one write is one register: never both, vlapic.h). Inline: most
 * writes (an edge vector's EOI, TPR, LVTs) produce nothing, and an IPI goes
 * straight to the delivery.
 */
static inline void vm_irq_apply(struct vcpu *vcpu, const struct vlapic_result *res)
{
	if (res->send)
		vm_irq_send(vcpu, &res->msg);
	else if (res->eoi_vector >= 0)
		vm_irq_eoi_broadcast(vcpu, res->eoi_vector);
}

/* ISA IRQ `irq` (0-15): vPIC IRQ irq and IOAPIC pin irq (IRQ 0: pin 2). */
int vm_irq_isa(struct vm *vm, struct vcpu *self, unsigned irq, bool high);
/* A GSI as ACRN's SET_IRQLINE names it: IOAPIC pin gsi, and vPIC IRQ gsi below 16. */
int vm_irq_set_gsi(struct vm *vm, struct vcpu *self, uint32_t gsi, uint32_t op);
/* An MSI write (address, data): -TERN_EINVAL for an address outside 0x00000000FEExxxxx. */
int vm_irq_msi(struct vm *vm, struct vcpu *self, uint64_t addr, uint64_t data);

/* The vCPU's xAPIC page: `gpa` lies in it while its vLAPIC is in xAPIC mode. */
bool vm_irq_apic_page(const struct vcpu *vcpu, uint64_t gpa);
/* An access of `len` bytes at `gpa` in that page, in the vCPU's context. */
int vm_irq_apic_access(struct vcpu *vcpu, uint64_t gpa, uint8_t *buf, unsigned len, bool write);

/*
 * Before every VM entry (vcpu_pre_entry): bring the vCPU's timers (its
 * vLAPIC's; on vCPU 0 also the VM's PIT and RTC) up to its guest TSC,
 * raise what expired, and set vcpu->timer_deadline. The clock is read only
 * when a timer is armed.
 */
void vcpu_timers_advance(struct vcpu *vcpu);

#endif
