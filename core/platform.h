/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The platform interface: everything core/ may call outside itself.
 *
 * platform/x86 (the real image) and platform/sim (tern-sim, the unit tests)
 * each implement every function here; binding is at link time. Nothing in
 * core/ reaches the hardware, libc or the host any other way.
 */
#ifndef TERN_PLATFORM_H
#define TERN_PLATFORM_H

#include <stdint.h>
#include <stddef.h>
#include "vcpu.h"

struct vm;
struct exit_record;

/*
 * Host RAM, as core reaches it after translating a guest-physical address
 * through the VM's EPT (core/guest_mem.c, the only caller): a pointer to
 * [hpa, hpa+len), or NULL when any byte of it is not host RAM the platform
 * maps (absent memory, MMIO, a wrapping range). Which host memory a VM may
 * map at all is core's decision (vm_memory.c); this only turns an HPA into
 * an address. The mapping stays valid while the hypervisor runs.
 * @pre len <= 4096 and [hpa, hpa+len) does not cross a 4 KiB page.
 */
void *plat_hpa_map(uint64_t hpa, size_t len);

/*
 * Trace sink for guest memory: called by guest_mem.c after every access
 * with the guest-physical address and the bytes read (READ) or written
 * (WRITE), or for a read that failed (READ_FAULT, data NULL). The recording
 * platform records them; a replay checks them against the trace.
 */
enum gmem_trace_op { GMEM_TRACE_READ, GMEM_TRACE_READ_FAULT, GMEM_TRACE_WRITE };
void plat_trace_gmem(struct vm *vm, uint64_t gpa, const void *data, size_t len,
		     enum gmem_trace_op op);

/*
 * Register-cache miss: the platform returns the guest's current value
 * (a VMREAD on x86; the trace's state in replay). Called at most once per
 * register per exit; core caches the result.
 * @pre vcpu is the vCPU this pCPU is handling: the platform makes a vCPU
 * current when it starts handling its exit or its pre-entry work (on x86 its
 * VMCS is the current VMCS, and VMREAD reads only that one). Core never
 * reads another vCPU's registers: what it needs done to another vCPU is a
 * request (request.h). platform/sim aborts on a fetch for any other vCPU.
 */
uint64_t plat_vcpu_fetch_reg(struct vcpu *vcpu, enum vcpu_reg reg);
void plat_vcpu_fetch_seg(struct vcpu *vcpu, enum vcpu_seg seg, struct seg_desc *out);

/*
 * Page-table pages for EPT (and later VT-d): the platform gives each VM a
 * region of 4 KiB pages at creation; core's pt_pool allocates from it.
 * Returns 0 and fills base/hpa/count, or -errno when the VM has none.
 * Called exactly once per VM, by vm_create, before any other call for it:
 * the platform treats it as the VM's creation and sets up its own per-VM
 * state then (platform/x86: the slot's VMCS pages, XSAVE areas, EPT
 * pointer, reset from any earlier VM of the slot). A destroyed VM's slot is
 * reused only by the next vm_create, so no destruction hook is needed: the
 * region and that state stay the slot's, unused, until then.
 */
int plat_pt_region(struct vm *vm, void **base, uint64_t *base_hpa, uint32_t *npages);

/*
 * The CPU's IA32_VMX_EPT_VPID_CAP MSR (SDM Vol. 3D A.10): which EPT page
 * sizes, memory types and permission encodings it supports.
 */
uint64_t plat_vmx_ept_vpid_cap(void);

/*
 * The capability MSR of VMX control field `field` (enum vmxc_field: pin,
 * primary, secondary processor-based, exit, entry; SDM Vol. 3D A.3-A.5,
 * the TRUE_* MSR where the CPU has them): allowed-0 settings in bits 31:0,
 * allowed-1 settings in bits 63:32. Core's feature policy (vmx_controls.c,
 * vmxc_apic_virt) turns optional controls on only when they are allowed-1
 * here; a platform reports as absent what it does not implement itself.
 */
uint64_t plat_vmx_ctl_cap(unsigned field);

/*
 * The VM's APIC-access page (SDM Vol. 3C 29.4): the host-physical address
 * of one 4 KiB page of the VM's slot that nothing else uses, or 0 when the
 * platform has none. Called once per VM, at its creation, when core uses
 * APIC virtualization (vmxc_apic_virt); core maps it at the default xAPIC
 * base 0xFEE00000 as the VM's own memory (vm.c). The CPU never lets the
 * guest read or write it while "virtualize APIC accesses" is on; no one
 * else ever reads it, so its contents are irrelevant to Tern.
 */
uint64_t plat_apic_access_page(struct vm *vm);

/*
 * Carry out a single-context EPT invalidation for this vCPU (INVEPT type 1).
 * @pre called on the vCPU's own pCPU, in its context (vcpu_handle_requests).
 */
void plat_ept_invalidate(struct vcpu *vcpu);

/*
 * Invalidate every linear and combined mapping tagged with the vCPU's VPID
 * (vmxc_vpid): INVVPID single-context (type 1), or all-context (type 2) on
 * a CPU without the single-context type (SDM Vol. 3C 29.4.3.1).
 */
void plat_vpid_invalidate(struct vcpu *vcpu);

/*
 * The physical CPU the caller runs on: 0 .. TERN_MAX_PCPUS-1, the index of
 * hv->cpus[] and of vcpu->pcpu. Constant for the caller's lifetime (core's
 * code never migrates between pCPUs).
 */
uint16_t plat_cpu_id(void);

/*
 * The physical CPUs this platform runs vCPUs on (bit per pCPU, a subset of
 * the TERN_MAX_PCPUS low bits). A VM whose affinity names any other pCPU
 * is refused at creation: its vCPUs there would never run.
 */
uint64_t plat_pcpu_mask(void);

/*
 * Make pCPU `cpu` notice new vCPU requests (request.h): if it is in guest
 * mode it leaves it soon (an IPI that exits as an external interrupt or NMI)
 * and handles the requests of its vCPU before it enters again. Never blocks,
 * never waits for the target; callable from any pCPU, in any context. A kick
 * of the caller's own pCPU does nothing (it is in root mode and handles the
 * requests before its next entry anyway). A kick may be spurious or merged
 * with another: core keeps its state in the request bits, never in the kick.
 */
void plat_kick_pcpu(uint16_t cpu);

/*
 * VM `vm` is being destroyed (vm_mgr_destroy, quiescent: none of its vCPUs
 * is current on a pCPU in core's sense): the platform lets go of what it
 * holds for its vCPUs on the pCPUs that ran them (x86: each VMCS is
 * VMCLEARed on the pCPU it is active on, SDM Vol. 3C 25.11.1). Called
 * before the VM is wiped; never blocks (the platform waits, if it must,
 * outside core's locks).
 */
void plat_vm_retire(struct vm *vm);


/* The host's time-stamp counter (RDTSC); guest TSCs are offsets from it. */
uint64_t plat_host_tsc(void);

/* Monotonic clock in nanoseconds. */
uint64_t plat_clock_ns(void);

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };
/* One complete log line (no trailing newline), already formatted by core. */
void plat_log(enum log_level level, const char *line);

/* A byte transmitted by the VM's virtual COM1 (the platform shows it). */
void plat_console_putc(struct vm *vm, uint8_t c);

/* The host's CPUID, from which per-VM policies are built. */
void plat_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/*
 * Trace sink: called once at the end of each handled exit with the action
 * taken. The platform may record the exit (x86 recording build, tern-sim
 * --record) or do nothing.
 */
void plat_trace_exit(struct vcpu *vcpu, const struct exit_record *ex, int action);

/*
 * Trace sink for the asynchronous events (traces/README.md): called by
 * vcpu_make_request() right after it set `req` on `target`, on the
 * requester's pCPU (plat_cpu_id()). The recording platform records it (with
 * the kicks it sends in plat_kick_pcpu and the scheduling decisions it asks
 * sched_next for); a replay checks it against the trace. Never blocks.
 */
void plat_trace_request(const struct vcpu *target, uint32_t req);

/*
 * Trace sink for a polled completion (polling mode, ioreq_poll inside
 * sched_next): the scheduler found `vcpu`'s IOREQ slot COMPLETE, with
 * `value` (the slot's 8 value bytes as the device model left them) and
 * accepted it; called before the VCPU_REQ_IOREQ_DONE request it raises.
 * No exit reads that slot, so the recording platform writes it as a
 * `complete` record ahead of the SCHED record of that decision, which the
 * replay applies before it runs sched_next (traces/README.md). Never blocks.
 */
void plat_trace_polled_complete(const struct vcpu *vcpu, uint64_t value);

#endif
