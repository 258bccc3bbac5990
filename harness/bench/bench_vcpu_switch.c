/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions for a VMCS switch between two vCPUs on one pCPU, in two
 * rows:
 * - core's share: sched_next() choosing the other runnable vCPU (round-
 *   robin over the pCPU's vCPUs, making it current), vcpu_pre_entry() (its
 *   requests and pending events) and vcpu_can_enter(), as platform/x86's
 *   loop runs them between two entries of different vCPUs (run.c);
 * - the platform's switch code, platform/x86/vcpu_switch.c's
 *   x86_vcpu_switch(), compiled for the host against a fake CPU whose
 *   privileged instructions (VMPTRLD, XSAVE/XRSTOR, XSETBV, RDMSR/WRMSR,
 *   MOV CR2/DRn) are one-line functions: the count is the code around
 *   them, not what the instructions cost on hardware (XSAVE/XRSTOR and
 *   VMPTRLD dominate there, hundreds of cycles each).
 */
#define TERN_X86_HOST_TEST 1
#define plat_vm_retire x86_vm_retire   /* the simulator has its own */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "exit_dispatch.h"
#include "scheduler.h"
#include "sim.h"
#include "vm.h"
#include "../../platform/x86/vcpu_switch.c"

/* ---- the fake CPU (cpu.h, vmx.h under TERN_X86_HOST_TEST) ---------------- */
static struct {
	uint64_t cr2, cr4, xcr0, dr[4], dr6, msr[8];
	uint64_t vmcs;
} cpu = { .cr4 = CR4_OSXSAVE, .xcr0 = 1 };

static unsigned msr_slot(uint32_t msr) { return msr & 7u; }
uint64_t rdmsr(uint32_t msr) { return cpu.msr[msr_slot(msr)]; }
void wrmsr(uint32_t msr, uint64_t v) { cpu.msr[msr_slot(msr)] = v; }
uint64_t read_cr2(void) { return cpu.cr2; }
void write_cr2(uint64_t v) { cpu.cr2 = v; }
uint64_t read_cr4(void) { return cpu.cr4; }
void write_cr4(uint64_t v) { cpu.cr4 = v; }
uint64_t xgetbv(uint32_t index) { (void)index; return cpu.xcr0; }
void xsetbv(uint32_t index, uint64_t v) { (void)index; cpu.xcr0 = v; }
void xsave(void *area) { memcpy(area, &cpu.xcr0, 8); }
void xrstor(const void *area) { (void)area; }
void fxsave(void *area) { memcpy(area, &cpu.xcr0, 8); }
void fxrstor(const void *area) { (void)area; }
void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	(void)sub;
	memset(out, 0, 16);
	if (leaf == 0xd)
		out[2] = 0x340;
}
uint64_t read_dr0(void) { return cpu.dr[0]; }
uint64_t read_dr1(void) { return cpu.dr[1]; }
uint64_t read_dr2(void) { return cpu.dr[2]; }
uint64_t read_dr3(void) { return cpu.dr[3]; }
uint64_t read_dr6(void) { return cpu.dr6; }
void write_dr0(uint64_t v) { cpu.dr[0] = v; }
void write_dr1(uint64_t v) { cpu.dr[1] = v; }
void write_dr2(uint64_t v) { cpu.dr[2] = v; }
void write_dr3(uint64_t v) { cpu.dr[3] = v; }
void write_dr6(uint64_t v) { cpu.dr6 = v; }
bool vmx_ptrld(uint64_t pa) { cpu.vmcs = pa; return true; }
bool vmx_clear(uint64_t pa) { (void)pa; return true; }
void cpu_pause(void) {}
/* x86_pcpu_retire_wait's bounded-wait failure path (never reached here: one pCPU). */
void x86_log(const char *fmt, ...) { (void)fmt; abort(); }
void x86_power_off(enum x86_exit_code code) { (void)code; abort(); }

static struct x86_vm xvms[2];
struct x86_vm *xvm_of(const struct vm *vm) { return &xvms[vm->id % 2]; }

static struct tern hv;
static struct x86_pcpu pc;
/* plat_vm_retire's (never called here): the one pCPU, no IPI. */
struct x86_pcpu *smp_pcpu(uint16_t n) { (void)n; return &pc; }
void smp_kick(uint16_t n) { (void)n; }

BENCH_MEASURE static struct vcpu *measure_core_switch(void)
{
	struct vcpu *v = sched_next(&hv, 0);
	if (v) {
		vcpu_pre_entry(v);
		if (!vcpu_can_enter(v))
			return (struct vcpu *)0;
	}
	return v;
}

BENCH_MEASURE static int measure_x86_switch(struct vcpu *next)
{
	return x86_vcpu_switch(&pc, next);
}

int main(void)
{
	sim_reset();
	tern_init(&hv);
	struct vm *sos = sim_create_vm(&hv, "sos", 1, true, 0x10000);
	struct vm *uos = sim_create_vm(&hv, "uos", 1, false, 0x10000);
	if (!sos || !uos)
		return 1;
	sos->state = uos->state = VM_STATE_RUNNING;
	sos->vcpus[0].state = uos->vcpus[0].state = VCPU_STATE_RUNNABLE;

	/* Core: the two runnable vCPUs alternate, one per call. */
	struct vcpu *prev = (struct vcpu *)0;
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		struct vcpu *v = measure_core_switch();
		if (!v || v == prev)
			return 1;
		prev = v;
	}
	bench_case("measure_core_switch", "vCPU switch, core (sched+requests+pre-entry)",
		   BENCH_ITERS, 0);

	/* The platform: VMPTRLD and the state no VMCS holds, each direction. */
	for (unsigned i = 0; i < 2; i++) {
		struct vm *vm = i ? uos : sos;
		struct x86_vcpu *xv = xvcpu_of(&vm->vcpus[0]);
		xv->vmcs_hpa = 0x10000ull * (i + 1);
		x86_guest_extra_init(&xv->extra, aligned_alloc(64, 1024));
	}
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		struct vcpu *next = i & 1 ? &sos->vcpus[0] : &uos->vcpus[0];
		if (measure_x86_switch(next) != 0 || pc.current != next)
			return 1;
	}
	if (pc.switches != BENCH_ITERS)
		return 1;
	bench_case("measure_x86_switch", "vCPU switch, platform/x86 code (fake CPU)", BENCH_ITERS, 0);
	return 0;
}
