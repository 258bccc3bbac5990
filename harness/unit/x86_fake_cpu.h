/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake x86 CPU for the host tests of platform/x86's pCPU loop (run.c,
 * vcpu_switch.c): one VMCS per vCPU (VMREAD/VMWRITE reach the one the last
 * VMPTRLD made current, as on hardware), VMCLEAR counted with the pCPU it
 * ran on, and the guest state no VMCS holds (CR2, XCR0, the XSAVE-managed
 * registers, the SYSCALL MSRs, KERNEL_GS_BASE, DR0-3/DR6). Two pCPUs (pc,
 * pc1) for smp_pcpu; the test includes it once, after platform/x86's code.
 */
#ifndef TERN_X86_FAKE_CPU_H
#define TERN_X86_FAKE_CPU_H

#include <setjmp.h>
#include <stdio.h>

#define VMCS_FIELDS 0x7000
#define NVMCS 3
#define VMCS_PA(i) (0x10000ull * ((i) + 1))
#define AREA_SIZE 1024u
/* Where the fake XSAVE puts "the FPU registers" (XMM0, SDM Vol. 1 Table 13-1). */
#define XMM0_OFFSET 160u
#define XSTATE_BV_OFFSET 512u

static uint64_t vmcs[NVMCS][VMCS_FIELDS];
static int cur = -1;            /* index of the current VMCS, -1: none */
static unsigned ptrlds;
struct cpu {
	uint64_t cr2, cr4, xcr0, fpu, dr[4], dr6;
	uint64_t star, lstar, cstar, fmask, kgs;
};
static struct cpu cpu;
static struct { int vmcs; int launched; } entries[8];
static unsigned nentries;
static struct x86_vm xvms[2];
static struct tern hv;
static struct x86_pcpu pc;      /* pCPU 0 */
static struct x86_pcpu pc1;     /* pCPU 1 */
static unsigned kicks[2];
struct x86_pcpu *smp_pcpu(uint16_t n) { return n == 1 ? &pc1 : &pc; }
void smp_kick(uint16_t n) { kicks[n % 2]++; }
static uint8_t *areas[4];

/* ---- the fake CPU --------------------------------------------------------- */
bool vmx_write(uint32_t field, uint64_t value)
{
	ck_assert_int_ge(cur, 0);
	ck_assert_uint_lt(field, VMCS_FIELDS);
	vmcs[cur][field] = value;
	return true;
}
uint64_t vmx_read(uint32_t field)
{
	ck_assert_int_ge(cur, 0);
	ck_assert_uint_lt(field, VMCS_FIELDS);
	return vmcs[cur][field];
}
/* VMCLEAR: counted with the pCPU it ran on; the current VMCS is current no more. */
static unsigned clears;
static uint64_t clear_pa;
static uint16_t clear_cpu;
bool vmx_clear(uint64_t pa)
{
	clears++;
	clear_pa = pa;
	clear_cpu = sim.this_cpu;
	if (cur >= 0 && pa == VMCS_PA(cur))
		cur = -1;
	return true;
}
static struct vcpu *vmcs_owner[NVMCS];  /* the vCPU each fake VMCS belongs to */
/* VMPTRLD makes the VMCS current: the simulator's strict fetch follows it. */
bool vmx_ptrld(uint64_t pa)
{
	ptrlds++;
	for (int i = 0; i < NVMCS; i++)
		if (pa == VMCS_PA(i)) {
			cur = i;
			if (vmcs_owner[i])
				sim_vcpu_begin(vmcs_owner[i]);
			return true;
		}
	return false;   /* VMfailValid: not a VMCS region */
}
bool vmx_invept(uint64_t type, uint64_t eptp) { (void)type; (void)eptp; return true; }
/* Each entry exits with exit_reason (CPUID unless a test says), 2 bytes, RAX 0. */
static uint32_t exit_reason;
const char *vmx_instruction_error_name(uint32_t err) { (void)err; return "?"; }
static int enter_rc;     /* nonzero: the entry fails (1 VMfailInvalid, 2 VMfailValid) */
int vmx_enter(uint64_t *gprs, int launched)
{
	if (enter_rc)
		return enter_rc;
	ck_assert_int_ge(cur, 0);
	ck_assert_uint_lt(nentries, 8);
	entries[nentries].vmcs = cur;
	entries[nentries].launched = launched;
	nentries++;
	gprs[VCPU_RAX] = 0;
	vmcs[cur][VMCS_EXIT_REASON] = exit_reason;
	vmcs[cur][VMCS_EXIT_INSTR_LEN] = 2;
	return 0;
}
void outb(uint16_t port, uint8_t v) { (void)port; (void)v; }
void outw(uint16_t port, uint16_t v) { (void)port; (void)v; }
void outl(uint16_t port, uint32_t v) { (void)port; (void)v; }
void x86_host_irq(uint32_t vector) { (void)vector; }
uint8_t inb(uint16_t port) { (void)port; return 0xff; }
void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	(void)sub;
	memset(out, 0, 16);
	if (leaf == 0xd) {
		out[0] = 0x7;             /* x87, SSE, AVX */
		out[2] = 0x340;           /* 832 bytes for all of them */
	}
}
uint64_t rdmsr(uint32_t msr)
{
	switch (msr) {
	case HOST_MSR_STAR: return cpu.star;
	case HOST_MSR_LSTAR: return cpu.lstar;
	case HOST_MSR_CSTAR: return cpu.cstar;
	case HOST_MSR_FMASK: return cpu.fmask;
	case HOST_MSR_KERNEL_GS_BASE: return cpu.kgs;
	default: return 0;
	}
}
void wrmsr(uint32_t msr, uint64_t v)
{
	switch (msr) {
	case HOST_MSR_STAR: cpu.star = v; break;
	case HOST_MSR_LSTAR: cpu.lstar = v; break;
	case HOST_MSR_CSTAR: cpu.cstar = v; break;
	case HOST_MSR_FMASK: cpu.fmask = v; break;
	case HOST_MSR_KERNEL_GS_BASE: cpu.kgs = v; break;
	default: break;
	}
}
uint64_t rdtsc(void) { return 0; }
uint64_t read_cr0(void) { return 0; }
uint64_t read_cr2(void) { return cpu.cr2; }
uint64_t read_cr3(void) { return 0; }
uint64_t read_cr4(void) { return cpu.cr4; }
void write_cr0(uint64_t v) { (void)v; }
void write_cr2(uint64_t v) { cpu.cr2 = v; }
void write_cr3(uint64_t v) { (void)v; }
void write_cr4(uint64_t v) { cpu.cr4 = v; }
/* PAUSE takes time: pause_ns of the simulator's clock (plat_clock_ns); pause_hook, when set, is
 * what the other pCPUs do meanwhile. */
static uint64_t pause_ns;
static void (*pause_hook)(void);
void cpu_pause(void)
{
	sim.clock_ns += pause_ns;
	if (pause_hook)
		pause_hook();
}
void cpu_halt_forever(void) {}
void cpu_sti_hlt(void) {}
void cpu_sti_pause(void) {}
void lapic_timer_arm(uint64_t deadline) { (void)deadline; }
void lapic_timer_stop(void) {}
uint64_t xgetbv(uint32_t index) { ck_assert_uint_eq(index, 0); return cpu.xcr0; }
void xsetbv(uint32_t index, uint64_t v)
{
	ck_assert_uint_eq(index, 0);
	ck_assert(cpu.cr4 & CR4_OSXSAVE);                /* #UD otherwise */
	ck_assert_msg((v & 1) && !(v & ~7ull), "XSETBV 0x%llx would #GP", (unsigned long long)v);
	cpu.xcr0 = v;
}
/* XSAVE: #GP unless 64-byte aligned; records the state and XSTATE_BV = XCR0. */
void xsave(void *area)
{
	ck_assert(cpu.cr4 & CR4_OSXSAVE);
	ck_assert_uint_eq((uintptr_t)area % 64, 0);
	memcpy((uint8_t *)area + XMM0_OFFSET, &cpu.fpu, 8);
	memcpy((uint8_t *)area + XSTATE_BV_OFFSET, &cpu.xcr0, 8);
}
/* XRSTOR: #GP when XSTATE_BV names a component XCR0 does not enable; a
 * component whose XSTATE_BV bit is clear gets its initial state. */
void xrstor(const void *area)
{
	uint64_t bv;
	ck_assert(cpu.cr4 & CR4_OSXSAVE);
	ck_assert_uint_eq((uintptr_t)area % 64, 0);
	memcpy(&bv, (const uint8_t *)area + XSTATE_BV_OFFSET, 8);
	ck_assert_msg(!(bv & ~cpu.xcr0), "XRSTOR: XSTATE_BV 0x%llx beyond XCR0 0x%llx",
		      (unsigned long long)bv, (unsigned long long)cpu.xcr0);
	if (bv & 2)
		memcpy(&cpu.fpu, (const uint8_t *)area + XMM0_OFFSET, 8);
	else
		cpu.fpu = 0;
}
void fxsave(void *area) { memcpy((uint8_t *)area + XMM0_OFFSET, &cpu.fpu, 8); }
void fxrstor(const void *area) { memcpy(&cpu.fpu, (const uint8_t *)area + XMM0_OFFSET, 8); }
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
/* The console: the last line, as x86_log would print it. */
static char last_log[256];
void x86_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
}
/* x86_power_off: back to the test's setjmp (power_off_at) with the code; a test that did not
 * arm it fails. */
static jmp_buf power_off_at;
static bool power_off_armed;
static int power_off_code;
void x86_power_off(enum x86_exit_code code)
{
	ck_assert_msg(power_off_armed, "power off (code %d): %s", (int)code, last_log);
	power_off_code = (int)code;
	longjmp(power_off_at, 1);
}
struct x86_vm *xvm_of(const struct vm *v) { return &xvms[v->id % 2]; }
/*
 * vmcs_setup as run.c's x86_vcpu_ready calls it for a vCPU of a VM created
 * later (not ready): counted, and it makes that vCPU's VMCS current as the
 * real one does (VMCLEAR + VMPTRLD). give_vmcs marks the others ready.
 */
static unsigned setups;
static struct vcpu *setup_of;
static uint64_t setup_eptp;
static int setup_fails;
int vmcs_setup(struct vcpu *v, const struct vmx_caps *caps)
{
	(void)caps;
	setups++;
	setup_of = v;
	setup_eptp = xvm_of(v->vm)->eptp;
	if (setup_fails)
		return setup_fails;
	ck_assert(vmx_ptrld(xvcpu_of(v)->vmcs_hpa));
	vmcs[cur][VMCS_ENTRY_CONTROLS] = VMXC_ENTRY_LOAD_EFER;
	return 0;
}

/* The CPU after reset, each test's: no current VMCS, XSAVE enabled, fresh save areas. */
static void fake_cpu_reset(void)
{
	memset(vmcs, 0, sizeof(vmcs));
	memset(vmcs_owner, 0, sizeof(vmcs_owner));
	memset(&cpu, 0, sizeof(cpu));
	memset(xvms, 0, sizeof(xvms));
	memset(&pc, 0, sizeof(pc));
	memset(&pc1, 0, sizeof(pc1));
	pc1.cpu = 1;
	memset(kicks, 0, sizeof(kicks));
	clears = 0;
	clear_pa = 0;
	clear_cpu = 0xffff;
	memset(entries, 0, sizeof(entries));
	nentries = 0;
	setups = 0;
	setup_of = NULL;
	setup_eptp = 0;
	setup_fails = 0;
	pause_ns = 0;
	pause_hook = NULL;
	last_log[0] = '\0';
	power_off_armed = false;
	power_off_code = -1;
	exit_reason = EXIT_REASON_CPUID;
	cur = -1;
	cpu.cr4 = CR4_OSXSAVE;          /* xstate_host_init's doing */
	cpu.xcr0 = 1;
	for (unsigned i = 0; i < 4; i++) {
		areas[i] = aligned_alloc(64, AREA_SIZE);
		memset(areas[i], 0xcc, AREA_SIZE);
	}
}

static void fake_cpu_free(void)
{
	for (unsigned i = 0; i < 4; i++)
		free(areas[i]);
}

/* A vCPU with fake VMCS i, set up as x86_vcpu_ready would, assigned to pCPU 0. */
static void give_vmcs(struct vcpu *v, unsigned i)
{
	struct x86_vcpu *xv = xvcpu_of(v);
	xv->vmcs_hpa = VMCS_PA(i);
	vmcs_owner[i] = v;
	xv->launched = false;
	xv->ready = true;      /* vmcs_setup's part is done by hand here */
	xv->cr0_force1 = X86_CR0_NE;
	xv->cr4_force1 = X86_CR4_VMXE;
	xv->window_ok = VMXC_PROC_INT_WINDOW_EXITING;
	ck_assert(vmx_ptrld(VMCS_PA(i)));
	vmcs[i][VMCS_ENTRY_CONTROLS] = VMXC_ENTRY_LOAD_EFER;
	x86_guest_extra_init(&xv->extra, areas[i]);
	ck_assert_int_eq(x86_pcpu_assign(&pc, v), 0);
}

#endif
