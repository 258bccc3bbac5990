/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions per handled exit, from the exit record to the resume
 * decision: each measure_* is one vcpu_handle_exit() call. The register
 * cache is filled outside it, as the platform does on exit.
 */
#include <stdint.h>
#include <string.h>
#include "bench.h"
#include "exit_dispatch.h"
#include "msr.h"
#include "sim.h"
#include "bench_vm.h"

static struct tern hv;
static struct vcpu *v;

static const struct exit_record cpuid_rec = { .reason = EXIT_REASON_CPUID, .instr_len = 2 };
/* out dx, al with DX = 0x3f8 (COM1 THR). */
static const struct exit_record out_rec = { .reason = EXIT_REASON_IO_INSTRUCTION,
					    .qualification = 0x3f80000, .instr_len = 1 };
static const struct exit_record rdmsr_rec = { .reason = EXIT_REASON_RDMSR, .instr_len = 2 };
static const struct exit_record wrmsr_rec = { .reason = EXIT_REASON_WRMSR, .instr_len = 2 };

BENCH_MEASURE static int measure_cpuid(void) { return vcpu_handle_exit(v, &cpuid_rec); }
BENCH_MEASURE static int measure_cpuid_kernel(void) { return vcpu_handle_exit(v, &cpuid_rec); }
BENCH_MEASURE static int measure_out_uart(void) { return vcpu_handle_exit(v, &out_rec); }
BENCH_MEASURE static int measure_rdmsr(void) { return vcpu_handle_exit(v, &rdmsr_rec); }
BENCH_MEASURE static int measure_wrmsr_pat(void) { return vcpu_handle_exit(v, &wrmsr_rec); }

/* What the platform reads on every exit: the GPRs, RIP, RFLAGS, CR0/CR4/EFER and CS. */
static void exit_state_at(uint64_t rip, uint64_t rax, uint64_t rcx, uint64_t rdx)
{
	static const struct seg_desc cs = { 0x8, 0, 0xffffffff, 0xa09b };
	vcpu_cache_reset(v);
	for (unsigned r = VCPU_RAX; r <= VCPU_R15; r++)
		vcpu_cache_fill(v, (enum vcpu_reg)r, 0);
	vcpu_cache_fill(v, VCPU_RAX, rax);
	vcpu_cache_fill(v, VCPU_RCX, rcx);
	vcpu_cache_fill(v, VCPU_RDX, rdx);
	vcpu_cache_fill(v, VCPU_RIP, rip);
	vcpu_cache_fill(v, VCPU_RFLAGS, 0x202);
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, 0); /* the exit-state the handler reads, as a trace gives it */
	vcpu_cache_fill(v, VCPU_CR0, 0x80000031);
	vcpu_cache_fill(v, VCPU_CR4, 0x2020);
	vcpu_cache_fill(v, VCPU_EFER, 0x500);
	/* Retirement reads it (interrupt shadow): on x86 one VMREAD, here filled. */
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, 0);
	vcpu_cache_fill_seg(v, VCPU_CS, &cs);
}

static void exit_state(uint64_t rax, uint64_t rcx, uint64_t rdx)
{
	exit_state_at(0x100000, rax, rcx, rdx);
}

int main(void)
{
	int bad = 0;

	struct vm *vm = bench_vm(&hv, 1, true);
	if (!vm)
		return 1;
	v = &vm->vcpus[0];
	/* The exits are this vCPU's, handled on its pCPU (the strict fetch, sim.h). */
	sim_vcpu_begin(v);

	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		exit_state(1, 0, 0); /* leaf 1: the per-vCPU fix-ups run too */
		bad |= measure_cpuid() != EXIT_ACTION_RESUME;
	}
	bad |= vcpu_get_reg(v, VCPU_RIP) != 0x100002;
	/* A 64-bit kernel's RIP is above 4 GiB: the mode check for EIP wrap-around runs. */
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		exit_state_at(0xffffffff81000000ull, 1, 0, 0);
		bad |= measure_cpuid_kernel() != EXIT_ACTION_RESUME;
	}
	bad |= vcpu_get_reg(v, VCPU_RIP) != 0xffffffff81000002ull;
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		exit_state('.', 0, 0x3f8);
		sim_console_clear(vm->id);
		bad |= measure_out_uart() != EXIT_ACTION_RESUME;
	}
	bad |= strcmp(sim_console(vm->id), ".") != 0;
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		exit_state(0, MSR_IA32_APIC_BASE, 0);
		bad |= measure_rdmsr() != EXIT_ACTION_RESUME;
	}
	bad |= vcpu_get_reg(v, VCPU_RAX) != 0xfee00900u;
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		exit_state(0x00070406, MSR_IA32_PAT, 0x00070406);
		bad |= measure_wrmsr_pat() != EXIT_ACTION_RESUME;
	}
	bad |= v->event.valid;
	if (bad) {
		printf("an exit was not handled as expected\n");
		return 1;
	}
	bench_case("measure_cpuid", "exit: CPUID leaf 1", BENCH_ITERS, 150);
	bench_case("measure_cpuid_kernel", "exit: CPUID leaf 1, RIP above 4 GiB", BENCH_ITERS, 0);
	bench_case("measure_out_uart", "exit: OUT dx,al to the UART (COM1 THR)", BENCH_ITERS, 250);
	bench_case("measure_rdmsr", "exit: RDMSR IA32_APIC_BASE", BENCH_ITERS, 150);
	bench_case("measure_wrmsr_pat", "exit: WRMSR IA32_PAT (validated)", BENCH_ITERS, 0);
	return 0;
}
