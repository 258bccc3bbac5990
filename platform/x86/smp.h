/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's CPUs (smp.c): the BSP, the APs started from the ACPI MADT's
 * list (INIT-SIPI-SIPI, SDM Vol. 3A 9.4.4), the online set core schedules
 * on (plat_pcpu_mask), plat_cpu_id (LAPIC ID -> index) and the kick IPI.
 */
#ifndef TERN_X86_SMP_H
#define TERN_X86_SMP_H

#include <stdint.h>
#include "acpi.h"
#include "bootinfo.h"
#include "vm.h"
#include "xvm.h"

/* The BSP's LAPIC and its entry as pCPU 0; madt may list no CPUs (then xAPIC at IA32_APIC_BASE). */
void smp_init_bsp(const struct acpi_madt *madt);
/*
 * Start every usable CPU the MADT lists besides the BSP, up to
 * TERN_MAX_PCPUS: each gets its own trampoline page below 1 MiB (free RAM
 * in the loader's map, nothing of the loader's in it), stack, GDT/TSS and
 * VMXON region, checks VMX itself, and runs x86_pcpu_run(hv) for the vCPUs
 * core gives it. One that does not report within a bounded time, or whose
 * VMX check fails, is logged and left out. Returns the number online
 * (the BSP included). @pre tern_init(hv) done; called once, on the BSP.
 */
unsigned smp_start_aps(const struct acpi_madt *madt, const struct boot_info *bi, struct tern *hv,
		       const struct vmx_caps *bsp_caps);
/*
 * Let the online APs run x86_pcpu_run: after the Service VM exists and a
 * recording has its VM record, so that each AP's first scheduling
 * decision is in the stream like every later one.
 */
void smp_release_aps(void);
/* pCPU `cpu`'s platform state (its current VMCS, the vCPUs it set up). */
struct x86_pcpu *smp_pcpu(uint16_t cpu);
/* The AP's C entry from the trampoline (ap_boot.S). */
void x86_ap_main(uint32_t cpu);
/*
 * The kick IPI alone, unrecorded (plat_kick_pcpu records it): for a VMCS
 * retirement (x86_pcpu_retire), which is the platform's, no core request.
 */
void smp_kick(uint16_t cpu);
/* A kick arrived on the calling pCPU (host_irq.c). */
void smp_count_kick(void);
/* Kicks this pCPU received (the boot log's per-CPU figures). */
uint64_t smp_kicks_received(uint16_t cpu);

#endif
