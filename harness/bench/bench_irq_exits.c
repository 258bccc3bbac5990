/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions per handled interrupt exit, core's share, as the issue
 * budgets them (250 each) and bench_exits.c counts exits: one
 * vcpu_handle_exit, with the register cache filled outside, as the platform
 * does on exit. The entry decision (vcpu_pre_entry) is counted on its own:
 * with nothing pending (what follows every exit) and for an injected
 * interrupt.
 *   - an xAPIC EOI write with APIC virtualization (the production set,
 *     vmxc_apic_virt): the APIC-write exit at offset 0xB0, the value
 *     already in the virtual-APIC page (SDM 29.4.3.3);
 *   - an xAPIC ICR write of a fixed IPI to vCPU 1, the same way (0x300);
 *   - the same EOI on a CPU without it: EPT violation at 0xFEE000B0, the
 *     store fetched, decoded and emulated through the MMIO path
 *     (mov [rbx], eax); reported, no target (the fallback path);
 *   - an x2APIC EOI: WRMSR 0x80B;
 *   - a fixed IPI: WRMSR 0x830 to another vCPU (route, atomic IRR OR,
 *     request bit and kick check);
 *   - an injected external interrupt: from "pending in the vLAPIC IRR" to
 *     the entry decision that injects it (vcpu_pre_entry alone).
 */
#include <stdint.h>
#include <string.h>
#include "bench.h"
#include "cpuid.h"
#include "exit_dispatch.h"
#include "mmio.h"
#include "msr.h"
#include "sim.h"
#include "bench_vm.h"
#include "vlapic.h"
#include "ept.h"

static struct tern hv;
static struct vcpu *v, *v1;

static const struct exit_record wrmsr_rec = { .reason = EXIT_REASON_WRMSR, .instr_len = 2 };
static const struct exit_record apic_eoi_rec = { .reason = EXIT_REASON_APIC_WRITE, .qualification = VLAPIC_EOI };
static const struct exit_record apic_icr_rec = { .reason = EXIT_REASON_APIC_WRITE, .qualification = VLAPIC_ICR_LO };
static const struct exit_record eoi_rec = {
	.reason = EXIT_REASON_EPT_VIOLATION, .instr_len = 2,
	.qualification = EPT_QUAL_WRITE | EPT_QUAL_LA_VALID | EPT_QUAL_LA_XLATED,
	.guest_physical = 0xfee000b0ull,
};

BENCH_MEASURE static int measure_xapic_eoi_exit(void) { return vcpu_handle_exit(v, &apic_eoi_rec); }
BENCH_MEASURE static int measure_xapic_icr_exit(void) { return vcpu_handle_exit(v, &apic_icr_rec); }
BENCH_MEASURE static int measure_xapic_eoi_ept_exit(void) { return vcpu_handle_exit(v, &eoi_rec); }
BENCH_MEASURE static int measure_x2apic_eoi_exit(void) { return vcpu_handle_exit(v, &wrmsr_rec); }
BENCH_MEASURE static int measure_icr_ipi_exit(void) { return vcpu_handle_exit(v, &wrmsr_rec); }
BENCH_MEASURE static void measure_inject_pending(void) { vcpu_pre_entry(v); }
BENCH_MEASURE static void measure_entry_nothing(void) { vcpu_pre_entry(v); }

/*
 * A 32-bit guest with paging off. The register cache holds exactly what
 * platform/x86/run.c fills on every exit: the GPRs, RIP, RFLAGS and the
 * interruptibility state. The rest is in the fake's hardware state, where
 * a handler that needs it fetches it (a VMREAD on the image, counted in
 * sim.fetches: the cases with a target must make none, so their figure is
 * core's share alone).
 */
static void exit_state(uint64_t rax, uint64_t rcx, uint64_t rdx)
{
	static const struct seg_desc cs = { 0x8, 0, 0xffffffff, 0xc09b };
	static const struct seg_desc ds = { 0x10, 0, 0xffffffff, 0xc093 };
	struct sim_vcpu_hw *hw = sim_vcpu_hw(v);
	hw->regs[VCPU_CR0] = 0x11;
	hw->regs[VCPU_CR3] = 0;
	hw->regs[VCPU_CR4] = 0;
	hw->regs[VCPU_EFER] = 0;
	for (unsigned s = 0; s < VCPU_SEG_COUNT; s++)
		hw->segs[s] = s == VCPU_CS ? cs : ds;
	vcpu_cache_reset(v);
	for (unsigned r = VCPU_RAX; r <= VCPU_R15; r++)
		if (r != VCPU_RSP)
			vcpu_cache_fill(v, (enum vcpu_reg)r, 0);
	vcpu_cache_fill(v, VCPU_RAX, rax);
	vcpu_cache_fill(v, VCPU_RCX, rcx);
	vcpu_cache_fill(v, VCPU_RDX, rdx);
	vcpu_cache_fill(v, VCPU_RBX, 0xfee000b0ull);
	vcpu_cache_fill(v, VCPU_RIP, 0x8000);
	vcpu_cache_fill(v, VCPU_RFLAGS, 0x202);
	vcpu_cache_fill(v, VCPU_INTERRUPTIBILITY, 0);
}

/* Platform register fetches each measured case made, over all its calls. */
enum { F_XAPIC_EOI, F_XAPIC_ICR, F_XAPIC_EOI_EPT, F_X2APIC_EOI, F_X2APIC_ICR, F_INJECT, F_ENTRY_NOTHING, F_COUNT };
static uint64_t fetched[F_COUNT];

static int counted(int (*measure)(void), unsigned which)
{
	uint64_t f0 = sim.fetches;
	int ret = measure();
	fetched[which] += sim.fetches - f0;
	return ret;
}

static void counted_entry(void (*measure)(void), unsigned which)
{
	uint64_t f0 = sim.fetches;
	measure();
	fetched[which] += sim.fetches - f0;
}

static void in_service(struct vcpu *c, uint8_t vector)
{
	vcpu_queue_interrupt(c, vector);
	vlapic_ack(&c->lapic, vector);
}

int main(void)
{
	int bad = 0;
	struct vlapic_result res;
	struct guest_fault f;

	struct vm *vm = bench_vm(&hv, 2, false);
	if (!vm)
		return 1;
	v = &vm->vcpus[0];
	v1 = &vm->vcpus[1];
	v->state = v1->state = VCPU_STATE_RUNNABLE;
	sim_vcpu_begin(v);
	memcpy(sim_vm_ram(vm->id) + 0x8000, "\x89\x03", 2); /* mov [ebx], eax */
	vlapic_mmio_write(&v->lapic, VLAPIC_SVR, 0x1ff, 0, &res);
	vlapic_mmio_write(&v1->lapic, VLAPIC_SVR, 0x1ff, 0, &res);

	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		in_service(v, 0x41);
		exit_state(0, 0, 0);
		*vlapic_reg(&v->lapic, VLAPIC_EOI) = 0; /* what the CPU stored (SDM 29.4.3.1) */
		bad |= counted(measure_xapic_eoi_exit, F_XAPIC_EOI) != EXIT_ACTION_RESUME;
		bad |= vlapic_vec_word(&v->lapic, VLAPIC_ISR0, 2) != 0;
		counted_entry(measure_entry_nothing, F_ENTRY_NOTHING);
	}
	*vlapic_reg(&v->lapic, VLAPIC_ICR_HI) = 1u << 24;
	bad |= vlapic_apic_write(&v->lapic, VLAPIC_ICR_HI, 0, &res) != 0;
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		exit_state(0, 0, 0);
		*vlapic_reg(&v->lapic, VLAPIC_ICR_LO) = 0x51; /* fixed, physical, no shorthand */
		bad |= counted(measure_xapic_icr_exit, F_XAPIC_ICR) != EXIT_ACTION_RESUME;
		bad |= !vlapic_vec_test(&v1->lapic, VLAPIC_IRR0, 0x51);
		*vlapic_reg(&v1->lapic, VLAPIC_IRR0 + 0x20) = 0;
		v1->requests = 0;
	}
	/*
	 * The EPT path, as a CPU without APIC virtualization runs it: nothing
	 * mapped at 0xFEE00000 (with it, core/vm.c maps the APIC-access page
	 * there and the CPU never makes this exit).
	 */
	bad |= ept_unmap(&vm->ept, 0xfee00000ull, 0x1000) != 0;
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		in_service(v, 0x41);
		exit_state(0, 0, 0);
		bad |= counted(measure_xapic_eoi_ept_exit, F_XAPIC_EOI_EPT) != EXIT_ACTION_RESUME;
	}
	bad |= vlapic_vec_word(&v->lapic, VLAPIC_ISR0, 2) != 0;
	/* x2APIC mode (the policy shows it for this run). */
	((struct cpuid_entry *)cpuid_find(&vm->cpuid, 1, 0))->regs[2] |= CPUID_1_ECX_X2APIC;
	msr_write(v, MSR_IA32_APIC_BASE, 0xfee00d00ull, &f);
	msr_write(v1, MSR_IA32_APIC_BASE, 0xfee00c00ull, &f);
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		in_service(v, 0x41);
		exit_state(0, 0x80b, 0);
		bad |= counted(measure_x2apic_eoi_exit, F_X2APIC_EOI) != EXIT_ACTION_RESUME;
		vcpu_pre_entry(v);
	}
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		exit_state(0x51, 0x830, 1); /* fixed vector 0x51 to x2APIC ID 1 */
		bad |= counted(measure_icr_ipi_exit, F_X2APIC_ICR) != EXIT_ACTION_RESUME;
		vcpu_pre_entry(v);
		*vlapic_reg(&v1->lapic, VLAPIC_IRR0 + 0x20) = 0;
		v1->requests = 0;
	}
	for (unsigned i = 0; i < BENCH_ITERS; i++) {
		exit_state(0, 0, 0);
		vcpu_queue_interrupt(v, 0x61);
		memset(&v->event, 0, sizeof(v->event));
		counted_entry(measure_inject_pending, F_INJECT);
		bad |= !v->event.valid || v->event.vector != 0x61;
		vlapic_mmio_write(&v->lapic, VLAPIC_EOI, 0, 0, &res); /* xAPIC offset: ignored in x2APIC */
		vlapic_msr_write(&v->lapic, 0x80b, 0, 0, &res);
	}
	if (bad) {
		printf("bench_irq_exits: an exit did not do what it should\n");
		return 1;
	}
	/* The targets are core's share: a case that needs the platform is reported, not hidden. */
	static const char *const names[F_COUNT] = {
		"xAPIC EOI", "xAPIC ICR", "xAPIC EOI via EPT", "x2APIC EOI", "x2APIC ICR",
		"injected interrupt", "entry with nothing pending",
	};
	for (unsigned i = 0; i < F_COUNT; i++) {
		if (i == F_XAPIC_EOI_EPT)
			continue;
		if (fetched[i]) {
			printf("bench_irq_exits: %s read %llu registers the exit does not bring "
			       "(platform VMREADs, not core's share)\n", names[i], (unsigned long long)fetched[i]);
			return 1;
		}
	}
	bench_figure("xAPIC EOI without APIC virtualization: %.1f platform register fetches per exit "
		     "(VMREADs on the image; the simulator's fetch is inside its figure)",
		     (double)fetched[F_XAPIC_EOI_EPT] / BENCH_ITERS);
	bench_case("measure_xapic_eoi_exit", "exit: xAPIC EOI write (APIC-write exit)", BENCH_ITERS, 250);
	bench_case("measure_xapic_icr_exit", "exit: xAPIC ICR fixed IPI to vCPU 1 (APIC-write exit)", BENCH_ITERS, 250);
	bench_case("measure_xapic_eoi_ept_exit", "exit: xAPIC EOI write without APIC virtualization (EPT + emulation)",
		   BENCH_ITERS, 0);
	bench_case("measure_x2apic_eoi_exit", "exit: x2APIC EOI WRMSR", BENCH_ITERS, 250);
	bench_case("measure_icr_ipi_exit", "exit: x2APIC ICR fixed IPI to vCPU 1", BENCH_ITERS, 250);
	bench_case("measure_inject_pending", "entry: pending interrupt injected", BENCH_ITERS, 250);
	bench_case("measure_entry_nothing", "entry: after an exit, nothing pending", BENCH_ITERS, 0);
	return 0;
}
