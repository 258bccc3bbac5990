/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instructions of the interrupt-controller part of the exits the issue
 * budgets (250 instructions each for the whole handled exit): an xAPIC EOI
 * write, an x2APIC EOI WRMSR, a fixed IPI through the x2APIC ICR with its
 * delivery (route + accept over a VM of 8 vLAPICs), and taking the pending
 * vector for injection (vlapic_pending_vector + vlapic_ack). The exit
 * decoding, the emulator and the VM entry are not in these figures.
 */
#include <stdint.h>
#include <stdlib.h>
#include "bench.h"
#include "vlapic.h"

#define NCPU 8u
#define VEC 0x41u

static struct vlapic cpu[NCPU];
static struct vlapic *cpus[NCPU];
static volatile int sink;

static void in_service(struct vlapic *l, uint8_t vector)
{
	struct vlapic_msg m = { .vector = vector, .delivery = VLAPIC_DM_FIXED, .assert = true };
	if (vlapic_accept(l, &m) != VLAPIC_EV_IRR || vlapic_ack(l, vector))
		abort();
}

BENCH_MEASURE static void measure_xapic_eoi(void)
{
	struct vlapic_result res;
	sink = vlapic_mmio_write(&cpu[0], VLAPIC_EOI, 0, 0, &res);
}

BENCH_MEASURE static void measure_x2apic_eoi(void)
{
	struct vlapic_result res;
	sink = vlapic_msr_write(&cpu[1], VLAPIC_MSR(VLAPIC_EOI), 0, 0, &res);
}

BENCH_MEASURE static void measure_icr_fixed_ipi(void)
{
	struct vlapic_result res;
	vlapic_msr_write(&cpu[1], VLAPIC_MSR(VLAPIC_ICR_LO), (uint64_t)5 << 32 | VEC, 0, &res);
	/* the VM-level delivery: each target in the routed set */
	for (uint64_t set = vlapic_route(cpus, NCPU, &res.msg); set; set &= set - 1)
		sink = vlapic_accept(cpus[__builtin_ctzll(set)], &res.msg);
}

BENCH_MEASURE static void measure_pending_ack(void)
{
	int v = vlapic_pending_vector(&cpu[2]);
	sink = vlapic_ack(&cpu[2], (uint8_t)v);
}

int main(void)
{
	struct vlapic_result res;
	struct guest_fault f;
	for (unsigned i = 0; i < NCPU; i++) {
		vlapic_init(&cpu[i], i, i, i == 0, 1);
		cpus[i] = &cpu[i];
		vlapic_mmio_write(&cpu[i], VLAPIC_SVR, 0x1ff, 0, &res);
	}
	vlapic_apic_base_write(&cpu[1], cpu[1].apic_base | VLAPIC_BASE_EXTD, 0, &f);
	if (f.valid)
		abort();
	for (unsigned n = 0; n < BENCH_ITERS; n++) {
		in_service(&cpu[0], VEC);
		measure_xapic_eoi();
		in_service(&cpu[1], VEC);
		measure_x2apic_eoi();
		measure_icr_fixed_ipi();
		/* the receiver takes and retires it, outside the measure */
		if (vlapic_ack(&cpu[5], VEC))
			abort();
		vlapic_mmio_write(&cpu[5], VLAPIC_EOI, 0, 0, &res);
		struct vlapic_msg m = { .vector = VEC, .delivery = VLAPIC_DM_FIXED, .assert = true };
		vlapic_accept(&cpu[2], &m);
		measure_pending_ack();
		vlapic_mmio_write(&cpu[2], VLAPIC_EOI, 0, 0, &res);
	}
	bench_case("measure_xapic_eoi", "vlapic: xAPIC EOI write", BENCH_ITERS, 250);
	bench_case("measure_x2apic_eoi", "vlapic: x2APIC EOI WRMSR", BENCH_ITERS, 250);
	bench_case("measure_icr_fixed_ipi", "vlapic: ICR fixed IPI + delivery (8 vCPUs)", BENCH_ITERS, 250);
	bench_case("measure_pending_ack", "vlapic: pending vector + ack", BENCH_ITERS, 250);
	return 0;
}
