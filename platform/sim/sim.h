/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * platform/sim: core/platform.h implemented as a stateful fake over host
 * memory. The unit tests, tern-sim and the scenario tests link it.
 *
 * Host-physical memory: one shared-memory region of "host RAM" (a memfd,
 * so that a separate device-model process can map it later) at
 * SIM_HOST_RAM_HPA, from which every VM's RAM is carved; plat_hpa_map
 * returns pointers into it and refuses anything else. Core reaches guest
 * memory only through the VM's EPT to this region, as on the image.
 *
 * Each VM id has its RAM (a pointer into host RAM), a page-table page
 * region, a console capture and invalidation counters. A replay (trace) can
 * take over the register fetches of one exit and checks its guest-memory
 * accesses.
 */
#ifndef TERN_SIM_H
#define TERN_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "exit.h"
#include "vm.h"

#define SIM_CONSOLE_MAX 65536
#define SIM_LOG_MAX 65536
#define SIM_DEFAULT_PT_PAGES 4096  /* 16 MiB: enough for a 64 GiB guest in 4 KiB pages */
#define SIM_MAX_HOST_CPUID 64
/* IA32_VMX_EPT_VPID_CAP of a Haswell: execute-only, 4-level walk, UC/WB,
 * 2 MiB and 1 GiB pages, INVEPT (single-context, all-context), A/D, INVVPID. */
#define SIM_DEFAULT_EPT_VPID_CAP 0x00000f0106734141ull
/*
 * The TRUE_* VMX control capability MSRs (allowed-0 low, allowed-1 high,
 * SDM Vol. 3D A.3-A.5) of the production simulator: a server part with
 * APIC virtualization (a Xeon Scalable, Skylake-SP: TPR shadow, "virtualize
 * APIC accesses", APIC-register virtualization, virtual-interrupt delivery
 * and posted interrupts among its secondary controls), the default1 bits
 * of every Intel CPU since Nehalem. Tests clear allowed-1 bits in
 * sim.vmx_ctl_cap to be a CPU without a feature (the EPT path for the xAPIC).
 */
#define SIM_CAP_PIN   0x000000ff00000016ull
#define SIM_CAP_PROC  0xfff9fffe04006172ull
#define SIM_CAP_PROC2 0x021f7fff00000000ull
#define SIM_CAP_EXIT  0x01ffffff00036dfbull
#define SIM_CAP_ENTRY 0x0003ffff000011fbull

/* Fake host-physical addresses of host RAM: 4 GiB up, 1 GiB of it (sparse). */
#define SIM_HOST_RAM_HPA  0x100000000ull
#define SIM_HOST_RAM_SIZE (1ull << 30)
#define SIM_RAM_ALIGN     0x200000ull   /* VM RAM 2 MiB aligned, as on x86 */

/*
 * A vCPU's guest state as the hardware holds it (the VMCS of the fake):
 * what plat_vcpu_fetch_* return for it, and where sim_vcpu_enter() writes
 * back the registers core changed.
 */
struct sim_vcpu_hw {
	uint64_t regs[VCPU_REG_COUNT];
	struct seg_desc segs[VCPU_SEG_COUNT];
	struct vcpu_event injected;   /* the event of the last entry */
	unsigned entries;
};

struct sim_vm {
	struct sim_vcpu_hw hw[TERN_MAX_VCPUS];
	uint8_t *ram;                 /* inside host RAM; NULL when the VM has none */
	uint64_t ram_size;
	uint64_t ram_hpa;
	uint8_t *pt_region;           /* page-aligned */
	uint32_t pt_pages;
	uint64_t pt_hpa;              /* fake HPA of the region's first page */
	char console[SIM_CONSOLE_MAX];
	size_t console_len;
	unsigned ept_invalidations[TERN_MAX_VCPUS];
	unsigned vpid_invalidations[TERN_MAX_VCPUS];  /* plat_vpid_invalidate calls */
};

struct sim_cpuid_leaf {
	uint32_t leaf, subleaf;
	uint32_t regs[4];
};

/* What one exit of a replay supplies and collects (see replay.c). */
struct sim_replay_exit;

struct sim {
	struct sim_vm vms[TERN_MAX_VMS];
	struct sim_cpuid_leaf host_cpuid[SIM_MAX_HOST_CPUID];
	unsigned host_cpuid_count;
	uint64_t clock_ns;
	uint64_t host_tsc;            /* what plat_host_tsc() returns */
	char log[SIM_LOG_MAX];
	size_t log_len;
	bool log_echo;                /* also print log lines on stderr */
	bool console_echo;            /* also print console bytes on stdout */
	uint8_t *host_ram;            /* the memfd, mapped shared */
	int host_ram_fd;
	uint64_t host_ram_used;       /* bytes carved from the start */
	struct sim_replay_exit *replay;  /* non-NULL while replaying an exit */
	void (*trace_hook)(struct vcpu *vcpu, const struct exit_record *ex, int action);
	/* Every request core makes (plat_trace_request) and kick it sends (plat_kick_pcpu). */
	void (*request_hook)(const struct vcpu *target, uint32_t req);
	void (*kick_hook)(uint16_t cpu);
	/* Called after every guest-memory read core makes: a test's "other
	 * vCPU" acts between a read and what core does next (e.g. rewrites a
	 * paging-structure entry before the walk's A/D update). */
	void (*gmem_read_hook)(struct vm *vm, uint64_t gpa, size_t len);
	unsigned pt_pages_default;
	uint64_t ept_vpid_cap;        /* what plat_vmx_ept_vpid_cap() returns */
	uint64_t vmx_ctl_cap[5];      /* what plat_vmx_ctl_cap() returns (SIM_CAP_*) */
	/*
	 * pCPUs: the one the simulated code runs on (plat_cpu_id), the vCPU
	 * each handles (its "current VMCS": the only one plat_vcpu_fetch_* may
	 * read), the kicks each received from another pCPU.
	 */
	uint16_t this_cpu;
	uint64_t pcpu_mask;           /* what plat_pcpu_mask() returns: every pCPU by default */
	/* Tests: plat_apic_access_page returns apic_access_hpa (0: none) while set. */
	bool apic_access_fixed;
	uint64_t apic_access_hpa;
	struct vcpu *current[TERN_MAX_PCPUS];
	unsigned kicks[TERN_MAX_PCPUS];
	/*
	 * Every plat_vcpu_fetch_reg / _seg call: a register core read that
	 * the exit did not bring (a VMREAD on the image). The benches count
	 * them so a figure is known to be core's share alone.
	 */
	uint64_t fetches;
};

extern struct sim sim;

/* Forget every VM's memory, console and log; restore the default host CPU. */
void sim_reset(void);
/* Carve size bytes (zeroed) of host RAM: its HPA, or 0 when it is full. */
uint64_t sim_host_ram_alloc(uint64_t size);
/* The host RAM file descriptor (a device model would map it), -1 before sim_reset. */
int sim_host_ram_fd(void);
/*
 * Create a VM as the image does: cfg->mem_size bytes of RAM carved from
 * host RAM (cfg->ram_hpa set) and mapped by vm_create (vm_memory).
 */
int sim_vm_create(struct tern *hv, struct vm_config *cfg, struct vm **out);
/* The VM's RAM (GPA 0 up) in host RAM, for tests to look at. */
uint8_t *sim_vm_ram(uint16_t vm_id);
/* Page-table page region for a VM; by default SIM_DEFAULT_PT_PAGES on first use. */
int sim_vm_set_pt_pages(uint16_t vm_id, uint32_t npages);
const char *sim_console(uint16_t vm_id);
void sim_console_clear(uint16_t vm_id);
bool sim_log_contains(const char *needle);
void sim_log_clear(void);
/* Replace one host CPUID leaf (tests of the policy builder). */
void sim_set_host_cpuid(uint32_t leaf, uint32_t subleaf, const uint32_t regs[4]);

/* Convenience for tests: create a VM with RAM (sim_vm_create). */
struct vm *sim_create_vm(struct tern *hv, const char *name, uint16_t vcpus, bool service,
			 uint64_t ram_size);
/*
 * Set a vCPU's state as if the platform had read it on exit (flat 64-bit or
 * 32-bit mode), in the register cache and in the fake's hardware state;
 * makes the vCPU current on its pCPU (sim_vcpu_begin).
 */
void sim_vcpu_flat_state(struct vcpu *vcpu, bool long_mode, unsigned cpl);
/* The fake's hardware state of a vCPU. */
struct sim_vcpu_hw *sim_vcpu_hw(const struct vcpu *vcpu);

/*
 * The platform's steps, for tests that interleave vCPUs of several VMs on
 * several pCPUs in a scripted order (each runs to completion: the order is
 * the script's, so every run is the same):
 * - sim_vcpu_begin: the simulated code now runs on the vCPU's pCPU, which
 *   handles this vCPU (its VMCS is current there);
 * - sim_vcpu_exit: a VM exit of a vCPU in guest mode: leave guest mode,
 *   reset the cache, vcpu_handle_exit (registers fetched lazily from the
 *   fake's hardware state);
 * - sim_vcpu_enter: the pre-entry path: vcpu_pre_entry (its requests),
 *   then, when vcpu_can_enter, write back what core changed, take the
 *   event, vcpu_enter_guest. true when the vCPU is in guest mode after;
 * - sim_schedule: pCPU `cpu` asks core's scheduler (sched_next) and enters
 *   what it gets, as platform/x86 does; returns the vCPU in guest mode now,
 *   or NULL when the pCPU has nothing to run.
 */
void sim_vcpu_begin(struct vcpu *vcpu);
enum exit_action sim_vcpu_exit(struct vcpu *vcpu, const struct exit_record *ex);
bool sim_vcpu_enter(struct vcpu *vcpu);
struct vcpu *sim_schedule(struct tern *hv, uint16_t cpu);

#endif
