/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SMP (smp=1): the processors the ACPI MADT lists, each AP started with
 * INIT-SIPI-SIPI (SDM Vol. 3A 8.4.4.1 [9.4.4.1]: INIT, 10 ms, SIPI, 200 us,
 * a second SIPI if it has not started) into ap.S's trampoline, reporting in
 * from 64-bit C with its own APIC ID; then a fixed IPI from the BSP to each
 * AP and one from each AP back to the BSP (physical destination mode). One
 * AP at a time, so each report is unambiguous. With one CPU in the MADT the
 * AP checks SKIP, saying so.
 */
#include "guest.h"

#define TG_TRAMP_ADDR 0x8000u
#define SIPI_VECTOR (TG_TRAMP_ADDR >> 12)
#define AP_STACK 4096
#define V_BSP_TO_AP 0x51
#define V_AP_TO_BSP 0x52
#define V_WAKE 0x50		/* wakes an AP's HLT to look at its request */
#define V_BROADCAST 0x53
#define START_WAIT_MS 1000
#define IPI_WAIT_MS 500
#define INIT_DELAY_MS 10
#define SIPI_DELAY_MS 1
#define ONE_CPU "one CPU in the MADT"

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

struct ap_report {
	uint32_t alive;
	uint32_t apic_id;	/* LAPIC ID register */
	uint32_t cpuid_id;	/* CPUID.1:EBX[31:24] */
	uint32_t send_to_bsp;	/* request from the BSP */
	uint64_t bsp_to_ap;	/* V_BSP_TO_AP deliveries seen by this AP */
};

extern const uint8_t tg_tramp_start[], tg_tramp_end[], tg_tramp_gdtr[];
volatile uint64_t tg_ap_stack_top;
static uint8_t ap_stacks[TG_MAX_CPUS][AP_STACK] __attribute__((aligned(16)));
static volatile struct ap_report reports[TG_MAX_CPUS];
static volatile uint32_t ap_slot;
static volatile uint32_t bsp_id;

void tg_ap_main(void);
void tg_ap_main(void)
{
	volatile struct ap_report *me = &reports[ap_slot];
	uint32_t r[4];

	tg_idt_load();
	tg_lapic_write(LAPIC_SVR, SVR_ENABLE | 0xFF);
	tg_lapic_write(LAPIC_TPR, 0);
	cpuid(1, 0, r);
	me->apic_id = tg_lapic_read(LAPIC_ID) >> 24;
	me->cpuid_id = r[1] >> 24;
	__atomic_store_n(&me->alive, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		irq_off();
		me->bsp_to_ap = tg_irq.hits[V_BSP_TO_AP];
		if (__atomic_exchange_n(&me->send_to_bsp, 0, __ATOMIC_SEQ_CST))
			tg_lapic_icr(bsp_id, V_AP_TO_BSP);
		/* STI's shadow: an IPI that came after the check still wakes the HLT. */
		__asm__ volatile("sti; hlt" ::: "memory");
	}
}

static bool wait_flag(volatile uint32_t *flag, uint32_t ms)
{
	uint64_t t0 = rdtsc(), budget = (uint64_t)ms * tg_tsc_per_ms;

	while (!__atomic_load_n(flag, __ATOMIC_SEQ_CST) && rdtsc() - t0 < budget)
		cpu_pause();
	return *flag;
}

static void wait_count(volatile uint64_t *count, uint64_t want, uint32_t ms)
{
	uint64_t t0 = rdtsc(), budget = (uint64_t)ms * tg_tsc_per_ms;

	while (*count < want && rdtsc() - t0 < budget)
		cpu_pause();
}

static bool start_ap(unsigned slot, uint32_t id)
{
	ap_slot = slot;
	tg_ap_stack_top = (uint64_t)(uintptr_t)(ap_stacks[slot] + AP_STACK);
	tg_lapic_icr(id, ICR_DM_INIT | ICR_LEVEL_ASSERT);
	tg_delay_ms(INIT_DELAY_MS);
	tg_lapic_icr(id, ICR_DM_SIPI | SIPI_VECTOR);
	tg_delay_ms(SIPI_DELAY_MS);
	if (!reports[slot].alive)
		tg_lapic_icr(id, ICR_DM_SIPI | SIPI_VECTOR);
	return wait_flag(&reports[slot].alive, START_WAIT_MS);
}

static void copy_trampoline(void)
{
	struct desc_ptr g;
	uint8_t *dst = (uint8_t *)(uintptr_t)TG_TRAMP_ADDR;
	uint8_t *gdtr = dst + (tg_tramp_gdtr - tg_tramp_start);

	memcpy(dst, tg_tramp_start, (size_t)(tg_tramp_end - tg_tramp_start));
	__asm__ volatile("sgdt %0" : "=m"(g));
	memcpy(gdtr, &g.limit, 2);
	memcpy(gdtr + 2, &g.base, 4);	/* below 4 GiB: the image is at 1 MiB */
}

void tg_test_smp(void)
{
	unsigned started = 0, aps = 0, id_ok = 0, to_ap = 0, to_bsp = 0;
	bool bsp_listed = false;

	if (!tg_tsc_per_ms)
		tg_tsc_calibrate();
	bsp_id = tg_lapic_read(LAPIC_ID) >> 24;
	for (unsigned i = 0; i < tg_madt.ncpus; i++)
		bsp_listed |= tg_madt.apic_id[i] == bsp_id;
	tg_check("smp.madt-cpus", tg_madt.found && tg_madt.ncpus >= 1 && bsp_listed &&
		 tg_madt.listed <= TG_MAX_CPUS,
		 "MADT %s, %u enabled local APICs (at most %u supported), BSP APIC ID %u %s",
		 tg_madt.found ? "found" : "not found", tg_madt.listed, TG_MAX_CPUS, bsp_id,
		 bsp_listed ? "listed" : "not listed");
	tg_printf("testguest: %u CPUs in the MADT\n", tg_madt.ncpus);
	if (tg_madt.ncpus <= 1) {
		tg_skip("smp.ap-startup", ONE_CPU);
		tg_skip("smp.ap-apic-id", ONE_CPU);
		tg_skip("smp.ipi-bsp-to-ap", ONE_CPU);
		tg_skip("smp.ipi-ap-to-bsp", ONE_CPU);
		tg_skip("smp.ipi-all-but-self", ONE_CPU);
		return;
	}
	copy_trampoline();
	for (unsigned i = 0; i < tg_madt.ncpus; i++) {
		uint32_t id = tg_madt.apic_id[i];
		volatile struct ap_report *r = &reports[i];
		uint64_t before;

		if (id == bsp_id)
			continue;
		aps++;
		if (!start_ap(i, id))
			continue;
		started++;
		id_ok += r->apic_id == id && r->cpuid_id == id;
		before = r->bsp_to_ap;
		tg_lapic_icr(id, V_BSP_TO_AP);	/* also wakes it: it reports the count */
		wait_count(&r->bsp_to_ap, before + 1, IPI_WAIT_MS);
		to_ap += r->bsp_to_ap == before + 1;
		before = tg_irq.hits[V_AP_TO_BSP];
		r->send_to_bsp = 1;
		tg_lapic_icr(id, V_WAKE);
		to_bsp += tg_wait_irq(V_AP_TO_BSP, before + 1, IPI_WAIT_MS) &&
			  tg_irq.hits[V_AP_TO_BSP] == before + 1;
	}
	/* Shorthand 11: every AP once, the BSP (IF = 1 while it waits) never. */
	tg_irq.hits[V_BROADCAST] = 0;
	tg_lapic_icr(0, ICR_ALL_BUT_SELF | V_BROADCAST);
	tg_wait_irq(V_BROADCAST, started, IPI_WAIT_MS);
	tg_irqs_during(V_BROADCAST, 5);
	tg_check("smp.ipi-all-but-self", started == aps && tg_irq.hits[V_BROADCAST] == aps,
		 "%lu deliveries of an all-but-self IPI with %u APs running", tg_irq.hits[V_BROADCAST], started);
	tg_check("smp.ap-startup", started == aps, "%u of %u APs reported in after INIT-SIPI-SIPI",
		 started, aps);
	tg_check("smp.ap-apic-id", id_ok == aps, "%u of %u APs saw their MADT APIC ID in the ID register "
		 "and CPUID.1:EBX", id_ok, aps);
	tg_check("smp.ipi-bsp-to-ap", to_ap == aps, "%u of %u APs took exactly one fixed IPI 0x51", to_ap,
		 aps);
	tg_check("smp.ipi-ap-to-bsp", to_bsp == aps, "the BSP took one fixed IPI 0x52 from %u of %u APs",
		 to_bsp, aps);
}
