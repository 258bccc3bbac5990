/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A software TLB per simulated vCPU: it caches EPT translations the way a
 * CPU may (SDM Vol. 3C 29.4) until the vCPU's single-context invalidation
 * (plat_ept_invalidate, done by vcpu_pre_entry when core asked for it). A
 * test that goes through sim_vcpu_translate() therefore sees exactly what a
 * vCPU that skipped its invalidation would: the old mapping.
 */
#ifndef TERN_SIM_TLB_H
#define TERN_SIM_TLB_H

#include <stdint.h>
#include "ept.h"
#include "vcpu.h"

#define SIM_TLB_ENTRIES 64

/*
 * Translate gpa for an access by this vCPU: from its TLB when cached
 * (permissions as cached), else by walking the VM's EPT and caching a
 * present translation.
 */
enum ept_walk_status sim_vcpu_translate(struct vcpu *vcpu, uint64_t gpa, unsigned access,
					struct ept_walk_result *r);
/* Drop the vCPU's cached translations (INVEPT single-context). */
void sim_tlb_flush(struct vcpu *vcpu);
/* Drop every vCPU's (sim_reset). */
void sim_tlb_reset(void);
/* How many translations the vCPU holds (tests). */
unsigned sim_tlb_count(const struct vcpu *vcpu);

#endif
