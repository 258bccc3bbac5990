/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "Advertise nothing that is not there" (issue 12): the interrupt and timer
 * features of Tern's CPUID / MSR policy against what core emulates. A
 * table names every such feature (bit or leaf) with a probe that exercises
 * its emulation as a guest would; the walk builds a VM's policy, and for
 * every feature the policy shows runs its probe, which must pass. A feature
 * the policy shows without a table row cannot be added silently: on a
 * host with every bit set, every bit of CPUID.1 ECX/EDX and CPUID.(7,0)
 * EBX/ECX/EDX the policy shows is a row or in backed[] with what backs it
 * (test_every_shown_bit_is_backed).
 * The same walk runs with every row forced on (and a host that has the
 * frequency leaves), so that a feature a host lacks is known good where
 * another host shows it.
 *
 * The host is the simulator's fixed Haswell-class CPU (platform/sim/sim.c),
 * whose leaf 1 has x2APIC and TSC-deadline and leaf 6 ARAT, plus, for the
 * frequency leaves, a host that shows 0x15 / 0x16 (Intel only: AMD has
 * neither, and reports ARAT the same way in leaf 6).
 */
#include <string.h>
#include "unit.h"
#include "cpuid.h"
#include "err.h"
#include "exit_dispatch.h"
#include "intr.h"
#include "lapic_util.h"
#include "mmio.h"
#include "msr.h"
#include "request.h"
#include "scheduler.h"
#include "sim.h"
#include "vm.h"
#include "vm_irq.h"
#include "x86.h"
#include "apic_qual.h"
#include "vlapic.h"
#include "vmx_controls.h"

#define EAX 0
#define EBX 1
#define ECX 2
#define EDX 3

static struct tern hv;
static struct vm *vm;

typedef bool (*probe_fn)(struct vm *vm);

struct feature {
	uint32_t leaf, sub;
	int reg;          /* -1: the leaf itself (shown when within max_basic and non-zero) */
	unsigned bit;
	const char *name;
	probe_fn probe;
};

static void guest(struct vcpu *c)
{
	sim_vcpu_flat_state(c, false, 0);
	vcpu_cache_fill(c, VCPU_CR0, X86_CR0_PE);
	vcpu_cache_fill(c, VCPU_RFLAGS, 0x202);
	vcpu_cache_fill(c, VCPU_RIP, 0x8000);
}

/*
 * mov eax, [ebx] at an xAPIC register, as the CPU runs it: with APIC
 * virtualization (the sim's CPU) a virtualized register comes from the
 * virtual-APIC page with no exit and any other is an APIC-access exit
 * (SDM Vol. 3C 29.4.2); without it the page is an EPT violation.
 */
static uint32_t apic_read(struct vcpu *c, uint32_t off)
{
	guest(c);
	memcpy(sim_vm_ram(c->vm->id) + 0x8000, "\x8b\x03", 2);
	vcpu_cache_fill(c, VCPU_RBX, 0xfee00000u + off);
	struct exit_record ex = { .reason = EXIT_REASON_EPT_VIOLATION, .guest_physical = 0xfee00000u + off,
				  .qualification = EPT_QUAL_READ | EPT_QUAL_LA_VALID | EPT_QUAL_LA_XLATED };
	if (vmxc_apic_virt()) {
		if (vlapic_virtualized_read(off, 4))
			return vlapic_reg_get(&c->lapic, off);
		ex = (struct exit_record){ .reason = EXIT_REASON_APIC_ACCESS, .instr_len = 2,
					   .qualification = (uint64_t)APIC_ACCESS_LINEAR_READ << 12 | off };
	}
	if (vcpu_handle_exit(c, &ex) != EXIT_ACTION_RESUME)
		return 0xdeadbeef;
	return (uint32_t)vcpu_get_reg(c, VCPU_RAX);
}

/* CPUID.1:EDX.APIC: an xAPIC at IA32_APIC_BASE answers; the BSP flag on vCPU 0 only. */
static bool probe_xapic(struct vm *m)
{
	struct guest_fault f = { 0 };
	for (unsigned i = 0; i < m->config.vcpu_count; i++) {
		struct vcpu *c = &m->vcpus[i];
		uint64_t base = 0;
		if (msr_read(c, MSR_IA32_APIC_BASE, &base, &f) ||
		    base != (0xfee00800ull | (i == 0 ? APIC_BASE_BSP : 0)))
			return false;
		if (apic_read(c, VLAPIC_VERSION) != VLAPIC_VERSION_VALUE ||
		    apic_read(c, VLAPIC_ID) != i << 24)
			return false;
	}
	return true;
}

/* CPUID.1:ECX.x2APIC: EXTD accepted, the MSR interface answers, the page is gone. */
static bool probe_x2apic(struct vm *m)
{
	struct guest_fault f = { 0 };
	struct vcpu *c = &m->vcpus[1];
	uint64_t v = 0;
	if (msr_write(c, MSR_IA32_APIC_BASE, 0xfee00c00ull, &f))
		return false;
	if (msr_read(c, 0x802, &v, &f) || v != 1 || msr_read(c, 0x803, &v, &f) || v != VLAPIC_VERSION_VALUE)
		return false;
	return !vm_irq_apic_page(c, 0xfee00000u) && msr_write(c, 0x80b, 0, &f) == 0;
}

/* An expiry: the vCPU's entry decision at `when` injects `vector`. */
static bool fires(struct vcpu *c, uint64_t when, uint8_t vector)
{
	sim.host_tsc = when;
	guest(c);
	vcpu_pre_entry(c);
	bool ok = c->event.valid && c->event.type == INTR_TYPE_EXT_INT && c->event.vector == vector;
	memset(&c->event, 0, sizeof(c->event));
	return ok;
}

/* CPUID.1:ECX.TSC-deadline: IA32_TSC_DEADLINE arms the timer in that mode, it fires then. */
static bool probe_tsc_deadline(struct vm *m)
{
	struct vcpu *c = &m->vcpus[0];
	struct vlapic_result res;
	struct guest_fault f = { 0 };
	unit_lapic_enable(c);
	vlapic_mmio_write(&c->lapic, VLAPIC_LVT_TIMER, 0x50 | VLAPIC_TIMER_TSC_DEADLINE << VLAPIC_TIMER_MODE_SHIFT,
			  0, &res);
	sim.host_tsc = 100000;
	uint64_t dl = vcpu_guest_tsc(c) + 5000;
	if (msr_write(c, MSR_IA32_TSC_DEADLINE, dl, &f))
		return false;
	guest(c);
	vcpu_pre_entry(c);
	if (c->timer_deadline != dl || c->event.valid)
		return false;
	return fires(c, sim.host_tsc + 5000, 0x50);
}

/* CPUID.6:EAX.ARAT: the APIC timer runs while the vCPU is halted and wakes it. */
static bool probe_arat(struct vm *m)
{
	struct vcpu *c = &m->vcpus[1];
	struct vlapic_result res;
	unit_lapic_enable(c);
	sim.host_tsc = 200000;
	vlapic_mmio_write(&c->lapic, VLAPIC_TIMER_DCR, 0xb, 0, &res);
	vlapic_mmio_write(&c->lapic, VLAPIC_LVT_TIMER, 0x51, 0, &res);
	vlapic_mmio_write(&c->lapic, VLAPIC_TIMER_ICR, 10, vcpu_guest_tsc(c), &res);
	guest(c);
	struct exit_record hlt = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	if (vcpu_handle_exit(c, &hlt) != EXIT_ACTION_HALT || c->timer_deadline == UINT64_MAX)
		return false;
	for (unsigned i = 0; i < m->config.vcpu_count; i++)
		if (&m->vcpus[i] != c && m->vcpus[i].state == VCPU_STATE_RUNNABLE)
			m->vcpus[i].state = VCPU_STATE_HALTED;
	(void)sched_next(&hv, c->pcpu);
	if (vm_is_stopped(m))
		return false; /* halted with a timer armed is waiting, not stuck */
	sim.host_tsc = c->timer_deadline;
	vcpu_make_request(c, VCPU_REQ_TIMER);
	if (sched_next(&hv, c->pcpu) != c)
		return false;
	return fires(c, sim.host_tsc, 0x51) && c->state == VCPU_STATE_RUNNABLE;
}

/* CPUID.7:EBX.TSC_ADJUST: the MSR moves the guest TSC (SDM 17.17.3). */
static bool probe_tsc_adjust(struct vm *m)
{
	struct vcpu *c = &m->vcpus[0];
	struct guest_fault f = { 0 };
	uint64_t before = vcpu_guest_tsc(c);
	if (msr_write(c, MSR_IA32_TSC_ADJUST, 1000, &f))
		return false;
	return vcpu_guest_tsc(c) == before + 1000;
}

/* Leaf 0xB: each vCPU's x2APIC ID is its vLAPIC's ID, as CPUID.1:EBX[31:24] is. */
static bool probe_topology(struct vm *m)
{
	for (unsigned i = 0; i < m->config.vcpu_count; i++) {
		struct vcpu *c = &m->vcpus[i];
		uint32_t r[4], r1[4];
		guest(c);
		cpuid_lookup(&m->cpuid, c, 0xb, 0, r);
		cpuid_lookup(&m->cpuid, c, 1, 0, r1);
		if (r[EDX] != c->lapic.apic_id || (r1[EBX] >> 24) != c->lapic.apic_id)
			return false;
	}
	return true;
}

/* Leaves 0x15 / 0x16: the TSC rate the guest is told is the one its PIT, RTC and APIC timer use. */
static bool probe_tsc_leaf(struct vm *m)
{
	uint32_t r[4];
	guest(&m->vcpus[0]);
	cpuid_lookup(&m->cpuid, &m->vcpus[0], 0x15, 0, r);
	uint64_t told = r[EAX] && r[EBX] && r[ECX] ? (uint64_t)r[ECX] * r[EBX] / r[EAX] : 0;
	if (!told) {
		cpuid_lookup(&m->cpuid, &m->vcpus[0], 0x16, 0, r);
		told = (uint64_t)(r[EAX] & 0xffffu) * 1000000u;
	}
	return told == vm_irq_tsc_hz(m) && m->pit.tsc_hz == told &&
	       m->vcpus[0].lapic.tsc_per_tick == told / VM_IRQ_APIC_BUS_HZ;
}

static const struct feature features[] = {
	{ 1, 0, EDX, 9, "CPUID.1:EDX.APIC", probe_xapic },
	{ 1, 0, ECX, 21, "CPUID.1:ECX.x2APIC", probe_x2apic },
	{ 1, 0, ECX, 24, "CPUID.1:ECX.TSC-deadline", probe_tsc_deadline },
	{ 6, 0, EAX, 2, "CPUID.6:EAX.ARAT", probe_arat },
	{ 7, 0, EBX, 1, "CPUID.7:EBX.TSC_ADJUST", probe_tsc_adjust },
	{ 0xb, 0, -1, 0, "CPUID leaf 0xB (x2APIC topology)", probe_topology },
	{ 0x15, 0, -1, 0, "CPUID leaf 0x15 (TSC / crystal)", probe_tsc_leaf },
	{ 0x16, 0, -1, 0, "CPUID leaf 0x16 (base frequency)", probe_tsc_leaf },
};

/*
 * The interrupt and timer bits of the audited registers that are neither a
 * row above nor ever shown: each must be clear in every policy.
 *   CPUID.1:ECX  bit 3 MONITOR (no MWAIT wake-up on a store), 5 VMX, 6 SMX
 *   CPUID.6:EAX  bit 0 DTS, 4 PLN, 6 PTM, 7 HWP (thermal interrupts, LVT
 *                thermal is masked and never raised)
 */
static const struct { uint32_t leaf; int reg; uint32_t mask; } never[] = {
	{ 1, ECX, (1u << 3) | (1u << 5) | (1u << 6) },
	{ 6, EAX, (1u << 0) | (1u << 4) | (1u << 6) | (1u << 7) },
};

static bool shown(struct vm *m, const struct feature *f)
{
	const struct cpuid_entry *e = cpuid_find(&m->cpuid, f->leaf, f->sub);
	if (!e || f->leaf > m->cpuid.max_basic)
		return false;
	if (f->reg < 0)
		return e->regs[0] | e->regs[1] | e->regs[2] | e->regs[3];
	return (e->regs[f->reg] >> f->bit) & 1u;
}

static void force_on(struct vm *m, const struct feature *f)
{
	struct cpuid_entry *e = (struct cpuid_entry *)cpuid_find(&m->cpuid, f->leaf, f->sub);
	if (e && f->reg >= 0)
		e->regs[f->reg] |= 1u << f->bit;
}

static struct vm *fresh(bool all_on, unsigned k)
{
	sim_reset();
	tern_init(&hv);
	if (all_on) {
		/* An Intel host that shows the frequency leaves too (crystal 25 MHz x 84 / 1 = 2.1 GHz). */
		const uint32_t l0[4] = { 0x16, 0x756e6547, 0x6c65746e, 0x49656e69 };
		const uint32_t l15[4] = { 1, 84, 25000000, 0 }, l16[4] = { 2100, 2100, 100, 0 };
		sim_set_host_cpuid(0, 0, l0);
		sim_set_host_cpuid(0x15, 0, l15);
		sim_set_host_cpuid(0x16, 0, l16);
	}
	struct vm *m = sim_create_vm(&hv, "feat", 2, false, 1u << 20);
	ck_assert_ptr_nonnull(m);
	m->state = VM_STATE_RUNNING;
	for (unsigned i = 0; i < 2; i++)
		m->vcpus[i].state = VCPU_STATE_RUNNABLE;
	if (all_on)
		force_on(m, &features[k]);
	return m;
}

static void walk(bool all_on)
{
	unsigned probed = 0;
	for (unsigned k = 0; k < sizeof(features) / sizeof(features[0]); k++) {
		vm = fresh(all_on, k);
		if (!shown(vm, &features[k])) {
			ck_assert_msg(!all_on || features[k].reg < 0 || features[k].leaf > vm->cpuid.max_basic,
				      "%s cannot be forced on", features[k].name);
			continue;
		}
		ck_assert_msg(features[k].probe(vm), "%s is shown but its probe fails", features[k].name);
		probed++;
	}
	/* What the policy shows today: APIC, x2APIC, TSC-deadline, ARAT, TSC_ADJUST, leaf 0xB. */
	ck_assert_uint_ge(probed, all_on ? 8 : 6);
	vm = fresh(all_on, 0);
	for (unsigned n = 0; n < sizeof(never) / sizeof(never[0]); n++) {
		const struct cpuid_entry *e = cpuid_find(&vm->cpuid, never[n].leaf, 0);
		ck_assert_msg(!e || !(e->regs[never[n].reg] & never[n].mask),
			      "CPUID.%x shows a feature core does not emulate (0x%x)", never[n].leaf,
			      e->regs[never[n].reg] & never[n].mask);
	}
}

START_TEST(test_policy_shows_only_what_is_emulated)
{
	walk(false);
}
END_TEST

START_TEST(test_every_feature_probe_passes_when_shown)
{
	walk(true);
}
END_TEST

/*
 * Every other bit of CPUID.1 ECX/EDX and CPUID.(7,0) EBX/ECX/EDX that a VM
 * may see, each named with what backs it, written here independently of
 * core/cpuid.h's masks: a host with every bit set must show nothing
 * outside the rows above and this list, so a bit core starts to pass
 * through fails this test until someone names what backs it.
 *   native: the CPU runs it in VMX non-root operation with the guest's
 *           own CR4 / XCR0 (core derives which CR4 bits are valid from
 *           the same leaves);
 *   msr.c:  an MSR core emulates (MTRRs, PAT), probed below.
 */
static const struct { uint32_t leaf, sub; int reg; uint32_t bits; const char *what; } backed[] = {
	{ 1, 0, EDX, 0x0000007fu, "native: FPU VME DE PSE TSC MSR PAE" },
	{ 1, 0, EDX, 1u << 7, "native: MCE (#MC and CR4.MCE; no MCA, so no MCG_* MSRs)" },
	{ 1, 0, EDX, (1u << 8) | (1u << 11) | (1u << 13) | (1u << 15) | (1u << 17) | (1u << 19),
	  "native: CX8 SEP PGE CMOV PSE36 CLFSH" },
	{ 1, 0, EDX, (1u << 12) | (1u << 16), "msr.c: MTRR, PAT" },
	{ 1, 0, EDX, 0x1f800000u, "native: MMX FXSR SSE SSE2 SS HTT (HTT: the topology leaves)" },
	{ 1, 0, ECX, (1u << 0) | (1u << 1) | (1u << 9) | (1u << 12) | (1u << 13) | (1u << 17),
	  "native: SSE3 PCLMULQDQ SSSE3 FMA CX16 PCID" },
	{ 1, 0, ECX, (1u << 19) | (1u << 20) | (1u << 22) | (1u << 23) | (1u << 25),
	  "native: SSE4.1 SSE4.2 MOVBE POPCNT AES" },
	{ 1, 0, ECX, 0x7c000000u, "native: XSAVE OSXSAVE (CR4 mirror) AVX F16C RDRAND" },
	{ 1, 0, ECX, 1u << 31, "Tern: the hypervisor-present bit and leaves 0x4000000x" },
	{ 7, 0, EBX, (1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) | (1u << 9),
	  "native: FSGSBASE BMI1 HLE AVX2 FDP_EXCPTN_ONLY SMEP BMI2 ERMS" },
	{ 7, 0, EBX, 1u << 10, "native with vmx_controls.c's enable-INVPCID" },
	{ 7, 0, EBX, (1u << 11) | (1u << 13) | (1u << 18) | (1u << 19) | (1u << 20) | (1u << 23) | (1u << 24) | (1u << 29),
	  "native: RTM FPU-CS/DS-deprecated RDSEED ADX SMAP CLFLUSHOPT CLWB SHA" },
	{ 7, 0, EBX, (3u << 16) | (1u << 21) | (7u << 26) | (3u << 30), "native, XCR0's AVX-512 states: AVX512F/DQ/IFMA/PF/ER/CD/BW/VL" },
	{ 7, 0, ECX, (1u << 0) | (1u << 2) | (1u << 3) | (1u << 16),
	  "native: PREFETCHWT1 UMIP PKU LA57 (the page walker does 5 levels)" },
	{ 7, 0, ECX, (1u << 1) | (1u << 6) | (1u << 8) | (1u << 9) | (1u << 10) | (1u << 11) | (1u << 12) | (1u << 14),
	  "native: AVX512_VBMI VBMI2 GFNI VAES VPCLMULQDQ AVX512_VNNI BITALG VPOPCNTDQ" },
	{ 7, 0, ECX, 1u << 22, "native with vmx_controls.c's enable-RDTSCP: RDPID (IA32_TSC_AUX, msr.c)" },
	{ 7, 0, ECX, (1u << 25) | (1u << 27) | (1u << 28), "native: CLDEMOTE MOVDIRI MOVDIR64B" },
	{ 7, 0, EDX, (1u << 2) | (1u << 3) | (1u << 4) | (1u << 8) | (1u << 23),
	  "native: AVX512_4VNNIW 4FMAPS FSRM VP2INTERSECT FP16" },
	{ 7, 0, EDX, (1u << 10) | (1u << 14) | (1u << 16), "native: MD_CLEAR (VERW) SERIALIZE TSXLDTRK" },
	{ 7, 0, EAX, 1u, "the last subleaf: 1 (the two below)" },
	{ 7, 1, EAX, (1u << 4) | (1u << 5) | (1u << 7) | (1u << 23),
	  "native, XCR0's AVX / AVX-512 states: AVX-VNNI AVX512_BF16 CMPCCXADD AVX-IFMA" },
	{ 7, 1, EAX, 7u << 10, "native: fast zero-length MOVSB, fast short STOSB and CMPSB/SCASB" },
};

static uint32_t rows_and_backed(uint32_t leaf, uint32_t sub, int reg)
{
	uint32_t m = 0;
	for (unsigned k = 0; k < sizeof(features) / sizeof(features[0]); k++)
		if (features[k].leaf == leaf && features[k].sub == sub && features[k].reg == reg)
			m |= 1u << features[k].bit;
	for (unsigned k = 0; k < sizeof(backed) / sizeof(backed[0]); k++)
		if (backed[k].leaf == leaf && backed[k].sub == sub && backed[k].reg == reg)
			m |= backed[k].bits;
	return m;
}

START_TEST(test_every_shown_bit_is_backed)
{
	sim_reset();
	tern_init(&hv);
	const uint32_t l1[4] = { 0x000306c3, 0x00100800, 0xffffffffu, 0xffffffffu };
	const uint32_t all[4] = { 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu };
	sim_set_host_cpuid(1, 0, l1);
	sim_set_host_cpuid(7, 0, all);
	sim_set_host_cpuid(7, 1, all);
	vm = sim_create_vm(&hv, "all", 1, false, 1u << 20);
	ck_assert_ptr_nonnull(vm);
	/* mirror: a bit set per vCPU at lookup from its CR4, not in the policy. */
	static const struct { uint32_t leaf, sub; int reg; uint32_t mirror; const char *name; } audited[] = {
		{ 1, 0, ECX, CPUID_1_ECX_OSXSAVE, "CPUID.1:ECX" }, { 1, 0, EDX, 0, "CPUID.1:EDX" },
		{ 7, 0, EAX, 0, "CPUID.7:EAX" }, { 7, 0, EBX, 0, "CPUID.7:EBX" },
		{ 7, 0, ECX, CPUID_7_ECX_OSPKE, "CPUID.7:ECX" }, { 7, 0, EDX, 0, "CPUID.7:EDX" },
		{ 7, 1, EAX, 0, "CPUID.(7,1):EAX" }, { 7, 1, EBX, 0, "CPUID.(7,1):EBX" },
		{ 7, 1, ECX, 0, "CPUID.(7,1):ECX" }, { 7, 1, EDX, 0, "CPUID.(7,1):EDX" },
	};
	for (unsigned a = 0; a < sizeof(audited) / sizeof(audited[0]); a++) {
		const struct cpuid_entry *e = cpuid_find(&vm->cpuid, audited[a].leaf, audited[a].sub);
		ck_assert_ptr_nonnull(e);
		uint32_t mirror = audited[a].mirror;
		uint32_t shown = e->regs[audited[a].reg];
		uint32_t ok = rows_and_backed(audited[a].leaf, audited[a].sub, audited[a].reg);
		ck_assert_msg(!(shown & ~ok), "%s shows 0x%08x, which nothing in Tern backs", audited[a].name,
			      shown & ~ok);
		/* Not vacuous: what the host has and Tern backs is shown (the mirrors aside). */
		ck_assert_msg((shown | mirror) == (ok | mirror), "%s hides 0x%08x that Tern backs",
			      audited[a].name, ok & ~shown & ~mirror);
	}
	/* The mirrors follow the vCPU: OSXSAVE its CR4.OSXSAVE, OSPKE its CR4.PKE, APIC its IA32_APIC_BASE.EN. */
	struct vcpu *c = &vm->vcpus[0];
	uint32_t r[4];
	guest(c);
	vcpu_cache_fill(c, VCPU_CR4, 0);
	cpuid_lookup(&vm->cpuid, c, 7, 0, r);
	ck_assert_uint_eq(r[ECX] & CPUID_7_ECX_OSPKE, 0);
	cpuid_lookup(&vm->cpuid, c, 1, 0, r);
	ck_assert_uint_eq(r[ECX] & CPUID_1_ECX_OSXSAVE, 0);
	ck_assert_uint_eq(r[EDX] & CPUID_1_EDX_APIC, CPUID_1_EDX_APIC);
	vcpu_cache_fill(c, VCPU_CR4, X86_CR4_PKE | X86_CR4_OSXSAVE);
	cpuid_lookup(&vm->cpuid, c, 7, 0, r);
	ck_assert_uint_eq(r[ECX] & CPUID_7_ECX_OSPKE, CPUID_7_ECX_OSPKE);
	cpuid_lookup(&vm->cpuid, c, 1, 0, r);
	ck_assert_uint_eq(r[ECX] & CPUID_1_ECX_OSXSAVE, CPUID_1_ECX_OSXSAVE);
	struct guest_fault gf = { 0 };
	ck_assert_int_eq(msr_write(c, MSR_IA32_APIC_BASE, 0xfee00000ull | VLAPIC_BASE_BSP, &gf), 0);
	cpuid_lookup(&vm->cpuid, c, 1, 0, r);
	ck_assert_uint_eq(r[EDX] & CPUID_1_EDX_APIC, 0); /* SDM 10.4.3: no APIC while disabled */
	ck_assert_int_eq(msr_write(c, MSR_IA32_APIC_BASE, 0xfee00000ull | VLAPIC_BASE_BSP | VLAPIC_BASE_EN, &gf), 0);
	cpuid_lookup(&vm->cpuid, c, 1, 0, r);
	ck_assert_uint_eq(r[EDX] & CPUID_1_EDX_APIC, CPUID_1_EDX_APIC);
	/* The MSR-backed bits answer; the hidden ones' MSRs #GP, as the policy says. */
	struct guest_fault f = { 0 };
	uint64_t val;
	guest(&vm->vcpus[0]);
	ck_assert_int_eq(msr_read(&vm->vcpus[0], MSR_IA32_MTRRCAP, &val, &f), 0);
	ck_assert_int_eq(msr_write(&vm->vcpus[0], MSR_IA32_PAT, 0x0007040600070406ull, &f), 0);
	ck_assert_int_eq(msr_read(&vm->vcpus[0], MSR_IA32_PAT, &val, &f), 0);
	ck_assert_uint_eq(val, 0x0007040600070406ull);
	static const uint32_t hidden_msrs[] = {
		0x179, /* IA32_MCG_CAP (MCA) */ 0x48, /* IA32_SPEC_CTRL */
		0x10a, /* IA32_ARCH_CAPABILITIES */ 0x600, /* IA32_DS_AREA */
		0x19a, /* IA32_CLOCK_MODULATION (ACPI/TM) */ 0x199, /* IA32_PERF_CTL (EST) */
	};
	for (unsigned k = 0; k < sizeof(hidden_msrs) / sizeof(hidden_msrs[0]); k++) {
		f = (struct guest_fault){ 0 };
		ck_assert_msg(msr_read(&vm->vcpus[0], hidden_msrs[k], &val, &f) == -TERN_EFAULT,
			      "MSR 0x%x of a hidden feature answers", hidden_msrs[k]);
	}
	/* The write-only command MSRs: IA32_PRED_CMD (IBPB) and IA32_FLUSH_CMD (L1D_FLUSH). */
	static const uint32_t hidden_cmds[] = { 0x49, 0x10b };
	for (unsigned k = 0; k < sizeof(hidden_cmds) / sizeof(hidden_cmds[0]); k++) {
		f = (struct guest_fault){ 0 };
		ck_assert_msg(msr_write(&vm->vcpus[0], hidden_cmds[k], 1, &f) == -TERN_EFAULT,
			      "MSR 0x%x of a hidden feature takes a write", hidden_cmds[k]);
	}
}
END_TEST

/* A policy without x2APIC (a host without it): the MSR side agrees (EXTD reserved, the range #GP). */
/*
 * A host whose leaf 0x15 gives no crystal (AMD, older Intel) but whose leaf
 * 0x16 gives the base frequency: the guest is told 0x16's 2100 MHz and its
 * PIT and APIC timer count at that rate (SDM Vol. 2A CPUID leaf 16H).
 */
START_TEST(test_base_frequency_leaf_alone_sets_the_rate)
{
	sim_reset();
	tern_init(&hv);
	const uint32_t l0[4] = { 0x16, 0x756e6547, 0x6c65746e, 0x49656e69 };
	const uint32_t l15[4] = { 0, 0, 0, 0 }, l16[4] = { 2100, 2100, 100, 0 };
	sim_set_host_cpuid(0, 0, l0);
	sim_set_host_cpuid(0x15, 0, l15);
	sim_set_host_cpuid(0x16, 0, l16);
	vm = sim_create_vm(&hv, "base", 1, false, 1u << 20);
	ck_assert_ptr_nonnull(vm);
	ck_assert_uint_eq(vm_irq_tsc_hz(vm), 2100000000ull);
	ck_assert_uint_eq(vm->pit.tsc_hz, 2100000000ull);
	ck_assert(probe_tsc_leaf(vm));
}
END_TEST

START_TEST(test_hidden_x2apic_is_refused)
{
	vm = fresh(false, 0);
	struct cpuid_entry *l1 = (struct cpuid_entry *)cpuid_find(&vm->cpuid, 1, 0);
	ck_assert(l1->regs[ECX] & CPUID_1_ECX_X2APIC); /* shown as the host has it */
	l1->regs[ECX] &= ~CPUID_1_ECX_X2APIC;
	struct guest_fault f = { 0 };
	uint64_t v;
	ck_assert_int_eq(msr_write(&vm->vcpus[0], MSR_IA32_APIC_BASE, 0xfee00d00ull, &f), -TERN_EFAULT);
	ck_assert_int_eq(msr_read(&vm->vcpus[0], 0x802, &v, &f), -TERN_EFAULT);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("feature_policy");
	TCase *tc = tcase_create("walk");
	tcase_add_test(tc, test_policy_shows_only_what_is_emulated);
	tcase_add_test(tc, test_every_feature_probe_passes_when_shown);
	tcase_add_test(tc, test_hidden_x2apic_is_refused);
	tcase_add_test(tc, test_every_shown_bit_is_backed);
	tcase_add_test(tc, test_base_frequency_leaf_alone_sets_the_rate);
	suite_add_tcase(s, tc);
	return s;
}
