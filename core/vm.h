/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A virtual machine and the hypervisor instance that holds all of them.
 * All mutable hypervisor state lives here (no hidden globals in core/).
 */
#ifndef TERN_VM_H
#define TERN_VM_H

#include <stdint.h>
#include <stdbool.h>
#include "vcpu.h"
#include "uart.h"
#include "cpuid.h"
#include "mmio.h"
#include "testdev.h"
#include "pio.h"
#include "pt_pool.h"
#include "ept.h"
#include "guest_mem.h"
#include "atomic.h"
#include "msr.h"
#include "vioapic.h"
#include "vpic.h"
#include "vpit.h"
#include "vrtc.h"

#define TERN_MAX_VMS 8
#define TERN_MAX_VCPUS 8
#define TERN_MAX_PCPUS 8   /* physical CPUs core schedules on (scheduler.h) */
#define TERN_VM_NAME_LEN 32
/* The guest TSC frequency when the platform names none (struct tern.tsc_hz). */
#define TERN_DEFAULT_TSC_HZ 2000000000ull

enum vm_state {
	VM_STATE_POWERED_OFF = 0,
	VM_STATE_CREATED,
	VM_STATE_RUNNING,
	VM_STATE_PAUSED,
	VM_STATE_STOPPED,   /* stopped by the hypervisor after a fatal exit */
};

/* Why the hypervisor stopped a VM; reported to the user and in traces. */
enum vm_stop_cause {
	VM_STOP_NONE = 0,
	VM_STOP_UNEXPECTED_EXIT,   /* exit that Tern's controls never cause */
	VM_STOP_ENTRY_FAILURE,     /* VM-entry failure (SDM 26.8) */
	VM_STOP_TRIPLE_FAULT,
	VM_STOP_GUEST_EXIT,        /* the guest wrote the debug-exit port */
	VM_STOP_BAD_MEMORY,        /* access to unmapped guest memory */
	VM_STOP_INTERNAL,
};

struct vm_config {
	char name[TERN_VM_NAME_LEN];
	uint16_t vcpu_count;
	bool service_vm;          /* the privileged Service VM */
	uint64_t mem_size;        /* bytes of guest RAM starting at GPA 0 (page multiple) */
	uint64_t ram_hpa;         /* the host RAM that backs it (the platform carves it) */
	bool reset_on_triple_fault; /* else shut down (stop) the VM */
	uint64_t cpu_affinity;    /* physical CPUs the vCPUs may run on (bit per pCPU); 0: any */
	/* IOREQ completion by polling (ACRN's GUEST_FLAG_IO_COMPLETION_POLLING):
	 * the slots say completion_polling, no upcall is sent, and the
	 * scheduler watches a waiting vCPU's slot for COMPLETE. */
	bool ioreq_polling;
};

/*
 * A host-physical range owned by one VM (vm_memory.c): its RAM, mapped at
 * creation, or a range mapped with vm_memory_map_private. No other VM maps
 * it, except that the Service VM may lend pages of a lendable range (its
 * own RAM) to User VMs.
 */
struct vm_mem_range {
	uint64_t hpa;
	uint64_t size;
	bool lendable;
};
#define VM_MAX_PRIVATE_RANGES 4
#define SCHED_BLOCK_SET 1u
#define SCHED_BLOCK_SKIPPED 2u

struct vm {
	struct tern *hv;
	uint16_t id;
	/*
	 * Written by vm_stop (an exit of any of its vCPUs, on any pCPU) and by
	 * the VM manager (start, pause, resume, reset, destroy: the Service
	 * VM): each check-and-write of it under state_lock, taken after
	 * hv->mgmt_lock and before any vCPU's sched_lock.
	 */
	enum vm_state state;
	struct tern_lock state_lock;
	/*
	 * Which life of the slot this is (hv->vm_lives[id] at creation): a
	 * Service VM vCPU waiting for VM id (hc_wait_vm) waits for this one,
	 * not for a VM created later in the same slot.
	 */
	uint32_t life;
	/*
	 * Set while the VM manager checks that no vCPU of the VM is current
	 * and then acts on them (destroy, reset, set-vCPU-regs): the scheduler
	 * of every pCPU leaves its vCPUs alone meanwhile (scheduler.c claim).
	 */
	uint32_t sched_block;   /* SCHED_BLOCK_SET, | SCHED_BLOCK_SKIPPED once a pCPU left one out */
	struct vm_config config;
	struct vcpu vcpus[TERN_MAX_VCPUS];

	struct cpuid_policy cpuid;
	struct msr_bitmap msr_bitmap;   /* built from the MSR policy (msr.h) */
	struct pio_bus pio;
	struct uart16550 com1;

	/* IOREQ page in the Service VM's memory (ioreq.c). */
	uint64_t ioreq_gpa;
	bool ioreq_valid;
	uint32_t ioreq_reports;  /* the Service VM's IOREQ mistakes reported so far (ioreq.c) */
	/* PCI CONFIG_ADDRESS latch (pci_cfg.c); 0 after creation and reset. */
	uint32_t pci_cf8;
	/* The Service VM's: the vector its vCPU 0 gets when a request is
	 * pending (HC_SET_CALLBACK_VECTOR; IOREQ_UPCALL_VECTOR at creation). */
	uint8_t upcall_vector;
	/* An upcall was dropped by vCPU 0's software-disabled vLAPIC and said so (once per VM life). */
	bool upcall_drop_logged;

	/*
	 * The VM's interrupt controllers and timers (docs/interrupts.md,
	 * vm_irq.h): any vCPU of the VM reaches them, under irq_lock.
	 */
	struct tern_lock irq_lock;
	struct vlapic *lapics[TERN_MAX_VCPUS];  /* &vcpus[i].lapic, for vlapic_route */
	struct vioapic ioapic;
	struct vpic pic;
	struct vpit pit;
	struct vrtc rtc;
	/* min(vpit_next_deadline, vrtc_next_deadline), kept up to date under irq_lock. */
	uint64_t dev_deadline;

	enum vm_stop_cause stop_cause;
	uint32_t stop_detail;     /* e.g. the exit reason that stopped it */
	uint32_t exit_status;     /* value written to the debug-exit port */

	/* The BSP's state at creation and after every reset, when the
	 * hypervisor loaded the VM's kernel itself (vm_mgr_set_boot_state);
	 * otherwise the architectural reset state. */
	struct vcpu_load_state boot_state;
	bool boot_state_valid;

	/* Guest memory (core/vm_memory.c): the EPT, the pool its tables come
	 * from, and the host memory this VM owns. */
	struct pt_pool pt_pool;
	struct ept ept;
	/* Translations gmem_* cached from the EPT, one cache per pCPU (guest_mem.h). */
	struct gmem_tlb gmem_tlb[TERN_MAX_PCPUS];
	struct vm_mem_range private_mem[VM_MAX_PRIVATE_RANGES];
	unsigned private_count;
	bool apic_access_mapped;  /* the APIC-access page is at 0xFEE00000 (vm_memory_map_apic_access) */

	/* Emulated MMIO ranges (mmio.c) and the MMIO test device (testdev.c). */
	struct mmio_bus mmio;
	struct testdev testdev;

	/*
	 * Synchronisation with the VM's vCPUs (request.h): bumped (atomically)
	 * by each request every vCPU must acknowledge (EPT invalidation, pause,
	 * stop); a vCPU acknowledges generation G by storing it in its
	 * ack_gen after handling its requests in its own context.
	 */
	uint32_t sync_gen;
	/* Service VM vCPUs (bit per id) in WAIT_SYNC for this VM's acknowledgements. */
	uint32_t sync_waiters;
	/* The generation of the last change that took translations out of the
	 * VM's EPT (vm_memory.c): nothing is lent while it is not acknowledged. */
	uint32_t unmap_gen;
	bool unmap_pending;
};

/* Per physical CPU scheduling state (scheduler.c). */
struct sched_cpu {
	struct vcpu *current;     /* the vCPU this pCPU handles or runs, or NULL */
	uint32_t cursor;          /* round-robin: the slot (vm * TERN_MAX_VCPUS + vcpu) to look at first */
	uint32_t idle;            /* sched_next found nothing to run, something may wake it */
	/*
	 * The pCPU's host timer for the entry core prepared last
	 * (sched_slice.h, set by sched_entry_deadline): `deadline` the host
	 * TSC of the earliest timer of the entered vCPU and of this pCPU's
	 * vCPUs halted on a timer (UINT64_MAX none); `slice` the TSC ticks
	 * the entered vCPU may run before the pCPU goes to another eligible
	 * one (0: none is eligible, no slice); `slice_end` the host TSC the
	 * platform armed that end at (sched_cpu_arm, UINT64_MAX none).
	 */
	uint64_t deadline;
	uint64_t slice;
	uint64_t slice_end;
	/*
	 * What the entry decision knows of this pCPU's vCPUs but `others_of`
	 * (sched_slice.c), kept from one entry to the next: the earliest
	 * host-TSC deadline of those halted on a timer (UINT64_MAX none) and
	 * the slice, when one of them would run. Walked again when another vCPU is
	 * entered or `others_stale` is set: sched_cpu_stale, by whatever may
	 * change one of them while it is not the one running (a request, its
	 * VM created or destroyed, the scheduler waking it).
	 */
	const struct vcpu *others_of;
	uint64_t others_deadline;
	uint64_t others_slice;    /* the slice when one would run, else 0 */
	uint32_t others_stale;
	/* request.c's entry protocol for the pCPU's other vCPUs (request.h): */
	uint32_t in_guest;        /* 1 while a vCPU of this pCPU is in guest mode */
	uint32_t posted;          /* 1: a request was made to one of its vCPUs since the last entry */
};

/* The hypervisor instance: every VM, owned by the platform, passed to core. */
struct tern {
	struct vm vms[TERN_MAX_VMS];
	/*
	 * The guest TSC frequency (Hz) the VMs' PIT, RTC and APIC timer count
	 * against; the platform may set it (the host's measured TSC rate)
	 * before it creates VMs. 0 after tern_init: what each VM's CPUID leaf
	 * 0x15 / 0x16 tells its guest, else TERN_DEFAULT_TSC_HZ (vm_irq.c).
	 */
	uint64_t tsc_hz;
	/* Host-physical memory the hypervisor itself occupies; no VM may map it. */
	uint64_t hv_hpa_base;
	uint64_t hv_hpa_size;
	struct sched_cpu cpus[TERN_MAX_PCPUS];
	/*
	 * Scheduler slots (vm * TERN_MAX_VCPUS + vcpu) that have held a vCPU:
	 * set by vcpu_init before the vCPU can be asked for anything, never
	 * cleared (a slot of a destroyed VM is skipped as before), so that
	 * sched_next looks at those only, not at every slot.
	 */
	uint64_t live_slots;
	/*
	 * VM slots (a bit per id) vm_sync_request asked to acknowledge since
	 * the hypercall holding mgmt_lock cleared it: the VMs that hypercall
	 * waits for (hypercall.c), not a scan of every slot. Any pCPU sets
	 * bits (atomic OR); only the hypercall holding mgmt_lock clears it.
	 */
	uint32_t sync_vms;
	/*
	 * Held while a hypercall is dispatched: the VM manager and the memory
	 * hypercalls (VM slots, EPT trees, page-table pools, lending) have one
	 * writer at a time however many vCPUs the Service VM has. Hypercalls
	 * never block (a synchronous one parks its vCPU after the lock is
	 * dropped); the lock is taken before any vCPU's sched_lock, never after.
	 */
	struct tern_lock mgmt_lock;
	/* Per VM slot, how many VMs it has held (vm_create): struct vm's life. */
	uint32_t vm_lives[TERN_MAX_VMS];
};

_Static_assert(TERN_MAX_VMS <= 32, "tern.sync_vms has a bit per VM slot");

void tern_init(struct tern *hv);
/* Find a free slot and set up a VM in CREATED state; -errno on bad config. */
int vm_create(struct tern *hv, const struct vm_config *cfg, struct vm **out);
/* The VM in slot id, or NULL (none, or powered off). Inline: every VM hypercall asks. */
static inline struct vm *vm_get(struct tern *hv, uint16_t id)
{
	if (id >= TERN_MAX_VMS || hv->vms[id].state == VM_STATE_POWERED_OFF)
		return (struct vm *)0;
	return &hv->vms[id];
}
/* The Service VM, or NULL when none exists. */
struct vm *vm_service(struct tern *hv);
/* Stop the VM after a fatal event: every vCPU stops, the cause is logged. */
void vm_stop(struct vm *vm, enum vm_stop_cause cause, uint32_t detail);
/*
 * Triple fault (SDM Vol. 3A 6.15, interrupt 8): the VM shuts down (stopped,
 * EXIT_ACTION_STOP), or with config.reset_on_triple_fault it is reset and
 * started again as a machine whose chipset resets on shutdown: every vCPU
 * gets its reset state, the BSP runs from the reset vector and the APs wait
 * for a SIPI. Returns EXIT_ACTION_RESUME then; vcpu_handle_exit() keeps an
 * AP that is back in INIT from being entered.
 */
int vm_triple_fault(struct vm *vm);
/* True when no vCPU of the VM can run again. */
bool vm_is_stopped(const struct vm *vm);
const char *vm_stop_cause_name(enum vm_stop_cause cause);

#endif
