/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACRN's hypercall convention, as the Service VM makes the calls: VMCALL
 * with the id in R8, parameters in RDI and RSI, the result in RAX.
 */
#ifndef TG_TG_HCALL_H
#define TG_TG_HCALL_H

#include <stdint.h>

#define HC_SET_CALLBACK_VECTOR   0x80000002ull
#define HC_CREATE_VM             0x80000010ull
#define HC_DESTROY_VM            0x80000011ull
#define HC_START_VM              0x80000012ull
#define HC_PAUSE_VM              0x80000013ull
#define HC_SET_VCPU_REGS         0x80000016ull
#define HC_SET_IOREQ_BUFFER      0x80000030ull
#define HC_NOTIFY_REQUEST_FINISH 0x80000031ull
#define HC_VM_SET_MEMORY_REGIONS 0x80000042ull
#define HC_TERN_RESUME_VM        0x800000f0ull
#define HC_TERN_PAUSE_VCPU       0x800000f1ull
#define HC_TERN_RESUME_VCPU      0x800000f2ull
#define HC_TERN_GET_VM_STATE     0x800000f3ull

static inline int64_t tg_hcall(uint64_t id, uint64_t p1, uint64_t p2)
{
	register uint64_t r8 __asm__("r8") = id;
	uint64_t rax;
	__asm__ volatile("vmcall" : "=a"(rax), "+D"(p1), "+S"(p2), "+r"(r8) : : "memory", "cc");
	return (int64_t)rax;
}

#endif
