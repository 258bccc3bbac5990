/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VM manager: the VM and vCPU lifecycle state machines.
 *
 * VM states (enum vm_state) and the operations that move between them:
 *
 *   POWERED_OFF --create--> CREATED --start--> RUNNING --pause--> PAUSED
 *                             ^                   ^                 |
 *                             |                   +-----resume------+
 *                             +-------------------reset-------------+
 *   CREATED, PAUSED, STOPPED --destroy--> POWERED_OFF
 *   STOPPED (a fatal exit: vm_stop) --reset--> CREATED
 *
 * STOPPED is where the hypervisor puts a VM after a fatal exit (triple
 * fault without reset_on_triple_fault, VM-entry failure, an exit Tern's
 * controls never cause, the guest's debug-exit port). Its vCPUs can never
 * run again, so a stopped VM can only be reset (back to CREATED, as a
 * machine whose reset button was pressed; the cause is cleared) or
 * destroyed. Pause/resume/start from STOPPED are illegal.
 * A RUNNING VM must be paused before it is reset or destroyed (as in ACRN:
 * the Service VM pauses a VM, then resets or destroys it), so that no vCPU
 * is changed under the guest's feet.
 *
 * vCPU states (enum vcpu_state) within a VM:
 * - CREATED: every vCPU is INIT. start makes the BSP (vCPU 0) RUNNABLE; the
 *   APs stay INIT (wait-for-SIPI, SDM Vol. 3A 8.4) until an INIT-SIPI-SIPI
 *   sequence starts them.
 * - RUNNING: vCPUs are INIT, RUNNABLE, WAIT_IO, HALTED or PAUSED (by a
 *   per-vCPU pause, which ACRN lacks).
 * - PAUSED: every vCPU is PAUSED.
 * - STOPPED: every vCPU is STOPPED.
 * A paused vCPU remembers the state it was paused in (vcpu->paused_state)
 * and returns to it on resume: one waiting for I/O waits again, one halted
 * sleeps again. A VM pause and a per-vCPU pause are independent
 * (vcpu->pause_mask): resuming the VM does not resume a vCPU that was paused
 * on its own, and vice versa.
 *
 * Every operation either succeeds or returns an error and changes nothing:
 *   -TERN_ENOENT  the VM does not exist (POWERED_OFF)
 *   -TERN_EBUSY   the operation is not legal in the VM's or vCPU's state
 *   -TERN_EINVAL  a bad argument (vCPU id, register state)
 *   -TERN_EAGAIN  reset, destroy, set-vCPU-state: a vCPU of the VM is still
 *                 current on a pCPU (in guest mode or mid-exit); the caller
 *                 waits for it (hypercall.c parks the Service VM's vCPU)
 *
 * Pause (VM or vCPU) and stop request every vCPU of the VM to leave guest
 * mode and acknowledge (request.h, vm_sync_request); the pause is complete
 * when vm_synced() holds for the generation it made, which the pause
 * hypercalls wait for before they return.
 */
#ifndef TERN_VM_MGR_H
#define TERN_VM_MGR_H

#include <stdint.h>
#include <stdbool.h>
#include "vm.h"

/*
 * Create a VM (vm_create) whose vCPUs all hold their architectural reset
 * state (load_pending), so that it starts at the reset vector unless the
 * Service VM sets other registers first or the platform gives it a boot
 * state (vm_mgr_set_boot_state). How platform/x86 creates the Service VM
 * and HC_CREATE_VM every other VM (the simulator's test fixtures call
 * vm_create directly to get a VM whose state they fill themselves).
 */
int vm_mgr_create(struct tern *hv, const struct vm_config *cfg, struct vm **out);

/* CREATED -> RUNNING: the BSP becomes RUNNABLE. */
int vm_mgr_start(struct vm *vm);
/* RUNNING -> PAUSED: every vCPU pauses, remembering its state. */
int vm_mgr_pause(struct vm *vm);
/* PAUSED -> RUNNING: vCPUs not paused on their own return to their state. */
int vm_mgr_resume(struct vm *vm);
/*
 * PAUSED or STOPPED -> CREATED: every vCPU returns to the architectural
 * reset state (SDM Vol. 3A 9.1.1, Table 9-1) and INIT, the BSP to the VM's
 * boot state instead when it has one (vm_mgr_set_boot_state); pending events,
 * outstanding IOREQs (every slot of the VM's page is FREE again), the stop
 * cause and the UART are cleared. Guest memory (the EPT) is kept, as a
 * machine's RAM is across a reset.
 */
int vm_mgr_reset(struct vm *vm);
/* CREATED, PAUSED or STOPPED -> POWERED_OFF: memory released, slot freed. */
int vm_mgr_destroy(struct vm *vm);

/* Per-vCPU pause/resume, legal while the VM is RUNNING or PAUSED. */
int vm_mgr_pause_vcpu(struct vm *vm, uint16_t vcpu_id);
int vm_mgr_resume_vcpu(struct vm *vm, uint16_t vcpu_id);

/*
 * Set the register state a vCPU will run with (HC_SET_VCPU_REGS). Legal
 * while the VM is CREATED or PAUSED, and not for a vCPU with an IOREQ
 * outstanding (its completion would write into the new state). The state must pass
 * vm_mgr_check_load_state(); with PAE paging its PDPTEs are read from guest
 * memory now, as MOV to CR3 would (cr_load_state_pdptes: -TERN_EINVAL when
 * they cannot be). Clears the vCPU's register cache.
 */
int vm_mgr_set_vcpu_state(struct vm *vm, uint16_t vcpu_id, const struct vcpu_load_state *st);

/*
 * The register state after power-up/reset (SDM Vol. 3A 9.1.1, Table 9-1).
 * signature: the processor signature EDX holds (CPUID.1:EAX).
 */
void vm_mgr_reset_state(struct vcpu_load_state *st, uint32_t signature);

/*
 * The machine state a Multiboot loader hands a kernel (Multiboot 0.6.96,
 * 3.2 "Machine state"): 32-bit protected mode, CS a flat 4 GiB execute/read
 * code segment, DS/ES/FS/GS/SS flat 4 GiB read/write data segments, paging
 * off, RFLAGS.IF and VM clear, EAX = magic, EBX = the information structure,
 * EIP = entry. What the spec leaves undefined (GDTR, IDTR, the other GPRs)
 * is the reset value, and TR a busy TSS as VM entry needs (SDM Vol. 3C
 * 26.3.1.2); LDTR is unusable.
 */
void vm_mgr_multiboot_state(struct vcpu_load_state *st, uint32_t entry, uint32_t magic,
			    uint32_t info);

/*
 * The hypervisor loaded the VM's kernel itself (the Service VM from a boot
 * module): `st` becomes the BSP's state now and after every reset (a warm
 * reset: memory kept, the loader's hand-off state entered again, since no
 * firmware lies at the reset vector of such a VM). Legal while CREATED;
 * `st` must pass vm_mgr_check_load_state(). A VM without one (every VM
 * the Service VM creates, HC_SET_VCPU_REGS or not) resets to the
 * architectural state, as ACRN's device model sets the registers again.
 */
int vm_mgr_set_boot_state(struct vm *vm, const struct vcpu_load_state *st);

/*
 * The checks a register state must pass before it is loaded (a subset of
 * the VM-entry guest-state checks, SDM Vol. 3C 26.3.1, and the reserved-bit
 * rules of MOV to CR0/CR4/EFER and XSETBV): 0 or -TERN_EINVAL.
 */
int vm_mgr_check_load_state(const struct vcpu_load_state *st);

/*
 * The event a parked vCPU waited for has happened (IOREQ completion,
 * interrupt for a halted vCPU): WAIT_IO/HALTED become RUNNABLE; a paused
 * vCPU becomes RUNNABLE when it is resumed. false when the vCPU was not
 * waiting, or waits for an IOREQ still outstanding (vcpu->io.active: the
 * vCPU clears it first when it handles the completion, request.h); nothing
 * changes then.
 */
bool vm_mgr_vcpu_wake(struct vcpu *vcpu);
/*
 * The INIT signal (an INIT IPI or LINT INIT), in the vCPU's own context:
 * its reset registers loaded at the next start (the register cache
 * dropped, an MMIO instruction in progress abandoned), its vLAPIC's INIT
 * state; if it was runnable or halted, an AP waits for a SIPI
 * (VCPU_STATE_INIT) and the BSP (IA32_APIC_BASE.BSP) runs from the reset
 * vector (SDM Vol. 3A 8.4.2). A vCPU waiting for an IOREQ or in WAIT_SYNC finishes that
 * instruction first: the INIT is held (vcpu->init_held), a SIPI meanwhile
 * is ignored.
 */
void vm_mgr_vcpu_init_signal(struct vcpu *vcpu);
/* A held INIT is taken once the vCPU's IOREQ / WAIT_SYNC wait has ended. */
void vm_mgr_vcpu_init_held(struct vcpu *vcpu);
/* A SIPI: a vCPU of a running VM waiting in INIT starts at CS = vector << 8, IP = 0. */
void vm_mgr_vcpu_sipi(struct vcpu *vcpu, uint8_t vector);

/*
 * Triple fault with vm_config.reset_on_triple_fault: reset the VM from any
 * state but POWERED_OFF and start it again (the BSP at the reset vector,
 * or in its boot state when it has one).
 */
void vm_mgr_reboot(struct vm *vm);

/*
 * The invariants above hold for this VM (and a vCPU waits for I/O exactly
 * while it has an IOREQ outstanding): 0, or -TERN_EINVAL.
 */
int vm_mgr_check(const struct vm *vm);

const char *vm_state_name(enum vm_state state);
const char *vcpu_state_name(enum vcpu_state state);

#endif
