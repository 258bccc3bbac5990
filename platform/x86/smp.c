/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's CPUs. The BSP is pCPU 0; the APs the ACPI MADT lists are
 * started one at a time with INIT-SIPI-SIPI (SDM Vol. 3A 9.4.4.1, the
 * universal start-up algorithm: INIT, 10 ms, SIPI, 200 us, a second SIPI
 * if the AP has not answered), each from a trampoline page of its own
 * (ap_boot.S), so that one which answers late cannot take another's
 * stack. Each AP sets up its own descriptor tables, LAPIC, VMX (its
 * IA32_FEATURE_CONTROL, its VMXON region) and reports ONLINE or FAILED;
 * the BSP waits a bounded time and leaves out one that does not report.
 * An online AP runs x86_pcpu_run for the vCPUs core gives it.
 */
#include "smp.h"
#include "ap_boot.h"
#include "atomic.h"
#include "boot_defs.h"
#include "clock.h"
#include "cpu.h"
#include "desc.h"
#include "lapic.h"
#include "lib.h"
#include "machine.h"
#include "platform.h"
#include "serial.h"
#include "trace_rec.h"

enum cpu_state { CPU_ABSENT, CPU_STARTING, CPU_ONLINE, CPU_FAILED, CPU_ABANDONED };

struct x86_cpu {
	uint32_t apic_id;
	uint32_t state;                 /* enum cpu_state, atomic: the AP and the BSP both write it */
	const char *why;                /* CPU_FAILED: the reason, for the BSP's log line */
	uint64_t kicks;                 /* kick IPIs taken (host_irq.c) */
	struct vmx_caps caps;
	struct x86_pcpu pcpu;
};

static struct x86_cpu cpus[TERN_MAX_PCPUS];
/* CPUs with an APIC ID assigned (0 .. known-1): plat_cpu_id looks them up. */
static uint32_t known = 1;
static uint64_t online_mask = 1;
static struct tern *smp_hv;
static uint32_t aps_go;                 /* smp_release_aps: the APs may schedule */
static uint8_t ap_stacks[TERN_MAX_PCPUS][X86_STACK_SIZE] __attribute__((aligned(16)));

extern const uint8_t ap_tramp_start[], ap_tramp_end[];

/* SDM 9.4.4.1 timings; the answer timeout is ours (an AP reports in microseconds). */
#define INIT_DELAY_US 10000u
#define SIPI_DELAY_US 200u
#define AP_ANSWER_US 200000u
/* Trampoline pages: below 1 MiB and above the real-mode IVT and BIOS data area. */
#define TRAMP_LOW 0x1000ull
#define TRAMP_HIGH 0x100000ull
#define PAGE 0x1000ull
#define EFER_KEEP_MASK ((1ull << 0) | (1ull << 11))   /* SCE, NXE: what the BSP runs with */

static void udelay(uint64_t us)
{
	uint64_t end = rdtsc() + clock_tsc_hz() / 1000000u * us;
	while (rdtsc() < end)
		cpu_pause();
}

void smp_init_bsp(const struct acpi_madt *madt)
{
	lapic_init(madt->lapic_base);
	lapic_timer_init();
	cpus[0].apic_id = lapic_id();
	cpus[0].state = CPU_ONLINE;
	cpus[0].pcpu.cpu = 0;
}

struct x86_pcpu *smp_pcpu(uint16_t cpu)
{
	return &cpus[cpu < TERN_MAX_PCPUS ? cpu : 0].pcpu;
}

uint64_t smp_kicks_received(uint16_t cpu)
{
	return cpu < TERN_MAX_PCPUS ? cpus[cpu].kicks : 0;
}

void smp_count_kick(void)
{
	cpus[plat_cpu_id()].kicks++;
}

uint16_t plat_cpu_id(void)
{
	uint32_t n = atomic_load32(&known);
	if (n <= 1)
		return 0;
	uint32_t id = lapic_id();
	for (uint32_t i = 0; i < n; i++)
		if (cpus[i].apic_id == id)
			return (uint16_t)i;
	return 0;
}

uint64_t plat_pcpu_mask(void)
{
	return __atomic_load_n(&online_mask, __ATOMIC_SEQ_CST);
}

/*
 * A fixed IPI with the kick vector: a target in guest mode exits (external
 * interrupt, acknowledged on exit: run.c completes it), one idling in HLT
 * wakes (isr.S); either way it runs sched_next / its pre-entry work again
 * and finds the request bits core set before it asked for the kick
 * (request.c: set the bits, then read in_guest / idle, then kick).
 */
void plat_kick_pcpu(uint16_t cpu)
{
	trace_rec_kick(cpu);
	smp_kick(cpu);
}

void smp_kick(uint16_t cpu)
{
	if (cpu >= TERN_MAX_PCPUS || cpu == plat_cpu_id() || !((plat_pcpu_mask() >> cpu) & 1))
		return;
	lapic_send_ipi(cpus[cpu].apic_id, ICR_DELIVERY_FIXED | ICR_LEVEL_ASSERT | X86_VEC_KICK);
}

/* The region [base, end) holds nothing the loader left that Tern still reads. */
static bool page_free(const struct boot_info *bi, uint64_t pa)
{
	bool ram = false;
	for (unsigned i = 0; i < bi->nregions; i++) {
		const struct boot_region *r = &bi->regions[i];
		bool in = pa >= r->base && pa + PAGE <= r->base + r->len;
		bool touches = pa < r->base + r->len && pa + PAGE > r->base;
		if (r->type == BOOT_MEM_AVAILABLE && in)
			ram = true;
		else if (r->type != BOOT_MEM_AVAILABLE && touches)
			return false;
	}
	if (!ram || (pa < bi->info_end && pa + PAGE > bi->info_start))
		return false;
	if (bi->acpi_rsdp && bi->acpi_rsdp < pa + PAGE && bi->acpi_rsdp + 36 > pa)
		return false;
	for (unsigned i = 0; i < bi->nmodules; i++)
		if (pa < bi->modules[i].end && pa + PAGE > bi->modules[i].start)
			return false;
	return true;
}

static uint64_t next_tramp_page(const struct boot_info *bi, uint64_t from)
{
	for (uint64_t pa = from; pa < TRAMP_HIGH; pa += PAGE)
		if (page_free(bi, pa))
			return pa;
	return 0;
}

static void wr32(uint8_t *p, uint32_t v) { tern_memcpy(p, &v, sizeof(v)); }
static void wr64(uint8_t *p, uint64_t v) { tern_memcpy(p, &v, sizeof(v)); }

/* Start pCPU idx (APIC ID already in cpus[idx]) from trampoline page pa; true once online. */
static bool start_ap(uint16_t idx, uint64_t pa)
{
	struct x86_cpu *c = &cpus[idx];
	uint8_t *t = phys_to_virt(pa);
	tern_memcpy(t, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
	wr32(t + AP_PARAM_CR3, (uint32_t)read_cr3());
	wr64(t + AP_PARAM_STACK, (uint64_t)(uintptr_t)&ap_stacks[idx][X86_STACK_SIZE]);
	wr64(t + AP_PARAM_ENTRY, (uint64_t)(uintptr_t)x86_ap_main);
	wr32(t + AP_PARAM_CPU, idx);
	wr32(t + AP_PARAM_EFER, (uint32_t)(rdmsr(HOST_MSR_EFER) & EFER_KEEP_MASK));
	c->pcpu.cpu = idx;
	c->pcpu.caps = &c->caps;
	atomic_store32(&c->state, CPU_STARTING);
	atomic_store32(&known, (uint32_t)idx + 1u);

	uint32_t vec = (uint32_t)(pa >> 12);
	lapic_send_ipi(c->apic_id, ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT);
	udelay(INIT_DELAY_US);
	for (int sipi = 0; sipi < 2 && atomic_load32(&c->state) == CPU_STARTING; sipi++) {
		lapic_send_ipi(c->apic_id, ICR_DELIVERY_STARTUP | vec);
		udelay(SIPI_DELAY_US);
	}
	uint64_t end = rdtsc() + clock_tsc_hz() / 1000000u * AP_ANSWER_US;
	while (atomic_load32(&c->state) == CPU_STARTING && rdtsc() < end)
		cpu_pause();
	uint32_t st = CPU_STARTING;
	if (atomic_cmpxchg32(&c->state, &st, CPU_ABANDONED)) {
		x86_log("cpu%u (APIC ID %u) did not answer its start-up IPIs: left out", idx, c->apic_id);
		return false;
	}
	if (st == CPU_FAILED) {
		x86_log("cpu%u (APIC ID %u) left out: %s", idx, c->apic_id, c->why);
		return false;
	}
	return true;
}

unsigned smp_start_aps(const struct acpi_madt *madt, const struct boot_info *bi, struct tern *hv,
		       const struct vmx_caps *bsp_caps)
{
	smp_hv = hv;
	cpus[0].caps = *bsp_caps;
	unsigned online = 1;
	uint64_t page = TRAMP_LOW;
	uint16_t idx = 1;
	for (unsigned i = 0; i < madt->ncpus; i++) {
		if (madt->cpus[i].apic_id == cpus[0].apic_id)
			continue;
		if (idx >= TERN_MAX_PCPUS) {
			x86_log("cpu APIC ID %u left out: Tern schedules on %u CPUs", madt->cpus[i].apic_id,
				TERN_MAX_PCPUS);
			continue;
		}
		if (!lapic_x2apic() && madt->cpus[i].apic_id > 0xfe) {
			x86_log("cpu APIC ID %u left out: beyond xAPIC addressing", madt->cpus[i].apic_id);
			continue;
		}
		if (!(page = next_tramp_page(bi, page))) {
			x86_log("no free page below 1 MiB for the AP start-up code: the boot CPU runs alone");
			break;
		}
		cpus[idx].apic_id = madt->cpus[i].apic_id;
		if (start_ap(idx, page)) {
			__atomic_or_fetch(&online_mask, 1ull << idx, __ATOMIC_SEQ_CST);
			x86_log("cpu%u (APIC ID %u) online", idx, cpus[idx].apic_id);
			online++;
		}
		/* A CPU left out keeps its index, APIC ID and page: a late answer changes nothing. */
		idx++;
		page += PAGE;
	}
	return online;
}

void smp_release_aps(void)
{
	atomic_store32(&aps_go, 1);
}

void x86_ap_main(uint32_t idx)
{
	struct x86_cpu *c = &cpus[idx];
	desc_ap_init(idx);
	lapic_cpu_init();
	const char *why = (char *)0;
	if (lapic_id() != c->apic_id)
		why = "its APIC ID is not the MADT's";
	else if ((why = vmx_check(&c->caps)) != (char *)0)
		;
	else if (tern_memcmp(&c->caps, &cpus[0].caps, sizeof(c->caps)) != 0)
		why = "its VMX capabilities differ from the boot CPU's";
	if (!why) {
		xstate_host_init();
		if (vmx_on(&c->caps) < 0)
			why = "VMXON failed";
	}
	c->why = why;
	uint32_t st = CPU_STARTING;
	/* The BSP may have given up on it already: then it stays out. */
	if (!atomic_cmpxchg32(&c->state, &st, why ? CPU_FAILED : CPU_ONLINE) || why)
		cpu_halt_forever();
	/* Wait until the BSP has counted it in and lets the APs schedule (smp_release_aps). */
	while (!((plat_pcpu_mask() >> idx) & 1) || !atomic_load32(&aps_go))
		cpu_pause();
	x86_pcpu_run(&c->pcpu, smp_hv);
	cpu_halt_forever();
}
