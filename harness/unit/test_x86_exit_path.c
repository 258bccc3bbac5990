/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The image's exit path (platform/x86/run.c) against a fake VMCS: what a VM
 * exit puts into core's exit record, what a register-cache miss reads, how
 * dirty registers and the pending event are written back before entry,
 * the IA-32e entry control following EFER.LMA, and the window controls.
 * The privileged instructions are functions here (TERN_X86_HOST_TEST, see
 * platform/x86/cpu.h); a VMCS is an array indexed by field encoding.
 * Core and the simulator platform are linked as for every unit test, so the
 * platform's own fetch functions are renamed to stay apart from the sim's.
 */
#define TERN_X86_HOST_TEST 1
#define plat_vm_retire x86_vm_retire   /* the simulator has its own */
#define plat_vcpu_fetch_reg x86_fetch_reg
#define plat_vcpu_fetch_seg x86_fetch_seg
#include <stdarg.h>
#include <string.h>
#include "unit.h"
#include "sched_slice.h"
#include "sim.h"
#include "ioreq.h"
#include "../../platform/x86/run.c"
#include "../../platform/x86/host_timer.c"
#include "../../platform/x86/load_state.c"
#include "../../platform/x86/vcpu_switch.c"
#include "../../platform/x86/serial.h"

#define VMCS_FIELDS 0x7000

static uint64_t vmcs[VMCS_FIELDS];
static uint64_t fake_cr2, fake_cr4, fake_xcr0;
static uint64_t last_tsc_aux = ~0ull;
static struct x86_vm fake_xvm;
static struct tern hv;
static struct vm *vm;
static struct vcpu *vcpu;
static struct x86_vcpu *xv;

/* ---- fakes ---------------------------------------------------------------- */
bool vmx_write(uint32_t field, uint64_t value)
{
	ck_assert_uint_lt(field, VMCS_FIELDS);
	vmcs[field] = value;
	return true;
}
uint64_t vmx_read(uint32_t field)
{
	ck_assert_uint_lt(field, VMCS_FIELDS);
	return vmcs[field];
}
bool vmx_clear(uint64_t pa) { (void)pa; return true; }
bool vmx_ptrld(uint64_t pa) { (void)pa; return true; }
bool vmx_invept(uint64_t type, uint64_t eptp) { (void)type; (void)eptp; return true; }
bool vmx_invvpid(uint64_t type, uint16_t vpid) { (void)type; (void)vpid; return true; }
static int completed_vector = -1;
void x86_host_irq(uint32_t vector) { completed_vector = (int)vector; }
static unsigned entries;
const char *vmx_instruction_error_name(uint32_t err) { (void)err; return "fake"; }
/* VMfailInvalid: the loop reports it and stops the VM. */
int vmx_enter(uint64_t *gprs, int launched) { (void)gprs; (void)launched; entries++; return 1; }
void outb(uint16_t port, uint8_t v) { (void)port; (void)v; }
void outw(uint16_t port, uint16_t v) { (void)port; (void)v; }
void outl(uint16_t port, uint32_t v) { (void)port; (void)v; }
uint8_t inb(uint16_t port) { (void)port; return 0xff; }
void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t out[4]) { (void)leaf; (void)sub; memset(out, 0, 16); }
uint64_t rdmsr(uint32_t msr) { (void)msr; return 0; }
void wrmsr(uint32_t msr, uint64_t v) { if (msr == HOST_MSR_TSC_AUX) last_tsc_aux = v; }
static uint64_t fake_tsc;
uint64_t rdtsc(void) { return fake_tsc; }
uint64_t read_cr0(void) { return 0; }
uint64_t read_cr2(void) { return fake_cr2; }
uint64_t read_cr3(void) { return 0; }
uint64_t read_cr4(void) { return fake_cr4; }
void write_cr0(uint64_t v) { (void)v; }
void write_cr2(uint64_t v) { fake_cr2 = v; }
void write_cr3(uint64_t v) { (void)v; }
void write_cr4(uint64_t v) { fake_cr4 = v; }
void cpu_pause(void) {}
void cpu_halt_forever(void) {}
/* The idle wait: the host LAPIC timer as armed, and HLT that wakes at hlt_wake_tsc (0: at once). */
static uint64_t armed_at, hlt_wake_tsc;
static unsigned arms, stops, hlts;
void lapic_timer_arm(uint64_t deadline) { armed_at = deadline; arms++; }
void lapic_timer_stop(void) { stops++; }
static void (*hlt_hook)(void), (*pause_hook)(void);
void cpu_sti_hlt(void)
{
	hlts++;
	if (hlt_wake_tsc)
		fake_tsc = hlt_wake_tsc;
	if (hlt_hook)
		hlt_hook();
}
static unsigned pauses;
void cpu_sti_pause(void)
{
	pauses++;
	if (pause_hook)
		pause_hook();
}
uint64_t xgetbv(uint32_t index) { (void)index; return fake_xcr0; }
void xsetbv(uint32_t index, uint64_t v) { if (index == 0) fake_xcr0 = v; }
void xsave(void *area) { (void)area; }
void xrstor(const void *area) { (void)area; }
void fxsave(void *area) { (void)area; }
void fxrstor(const void *area) { (void)area; }
uint64_t read_dr0(void) { return 0; }
uint64_t read_dr1(void) { return 0; }
uint64_t read_dr2(void) { return 0; }
uint64_t read_dr3(void) { return 0; }
uint64_t read_dr6(void) { return 0; }
void write_dr0(uint64_t v) { (void)v; }
void write_dr1(uint64_t v) { (void)v; }
void write_dr2(uint64_t v) { (void)v; }
void write_dr3(uint64_t v) { (void)v; }
void write_dr6(uint64_t v) { (void)v; }
void x86_log(const char *fmt, ...) { (void)fmt; }
/* Only a lost pCPU (vcpu_switch.c) powers off; no test here reaches it. */
void x86_power_off(enum x86_exit_code code)
{
	ck_abort_msg("power off (code %d)", (int)code);
}
struct x86_vm *xvm_of(const struct vm *v) { (void)v; return &fake_xvm; }
static struct x86_pcpu fake_pcpus[2];
struct x86_pcpu *smp_pcpu(uint16_t cpu) { return &fake_pcpus[cpu % 2]; }
void smp_kick(uint16_t cpu) { (void)cpu; }
/* The exit path only: x86_vcpu_ready (and so vmcs_setup) runs only where a test allows it. */
static bool vmcs_setup_allowed;
int vmcs_setup(struct vcpu *v, const struct vmx_caps *caps)
{
	(void)v;
	(void)caps;
	if (!vmcs_setup_allowed)
		ck_abort_msg("vmcs_setup in the exit-path test");
	return 0;
}
#if TERN_RECORD
#error "this test covers the normal build"
#endif

static void setup(void)
{
	memset(vmcs, 0, sizeof(vmcs));
	memset(&fake_xvm, 0, sizeof(fake_xvm));
	fake_cr2 = fake_cr4 = fake_xcr0 = 0;
	last_tsc_aux = ~0ull;
	sim_reset();
	tern_init(&hv);
	vm = sim_create_vm(&hv, "t", 1, true, 0x100000);
	ck_assert_ptr_nonnull(vm);
	vcpu = &vm->vcpus[0];
	xv = &fake_xvm.vcpus[0];
	xv->ready = true;      /* its VMCS is set up: the fake one below */
	/* A Haswell-like VMX: CR0.NE and CR4.VMXE fixed to 1, nothing fixed to 0. */
	xv->cr0_force1 = X86_CR0_NE;
	xv->cr4_force1 = X86_CR4_VMXE;
	xv->cr0_mask = X86_CR0_NE;
	xv->cr4_mask = X86_CR4_VMXE;
	xv->window_ok = VMXC_PROC_INT_WINDOW_EXITING | VMXC_PROC_NMI_WINDOW_EXITING;
	xv->proc_ctls = VMXC_PROC_HLT_EXITING | VMXC_PROC_ACTIVATE_SECONDARY;
	vmcs[VMCS_PROC_CONTROLS] = xv->proc_ctls;
	vmcs[VMCS_ENTRY_CONTROLS] = VMXC_ENTRY_LOAD_EFER | VMXC_ENTRY_LOAD_PAT;
	vcpu_cache_reset(vcpu);
	vcpu->reg_dirty = 0;
}

START_TEST(test_read_exit_ept_violation)
{
	vmcs[VMCS_EXIT_REASON] = EXIT_REASON_EPT_VIOLATION;
	vmcs[VMCS_EXIT_QUALIFICATION] = 0x181;
	vmcs[VMCS_EXIT_INSTR_LEN] = 3;
	vmcs[VMCS_EXIT_INSTR_INFO] = 0x1234;
	vmcs[VMCS_GUEST_LINEAR_ADDR] = 0xffff800000001000ull;
	vmcs[VMCS_GUEST_PHYSICAL_ADDR] = 0xc0000008ull;
	vmcs[VMCS_EXIT_INTR_INFO] = 0x80000b0e;
	vmcs[VMCS_EXIT_INTR_ERROR] = 2;
	vmcs[VMCS_IDT_VECTORING_INFO] = 0x80000b0e; /* #PF being delivered, with its error code */
	vmcs[VMCS_IDT_VECTORING_ERROR] = 7;
	struct exit_record ex;
	memset(&ex, 0xee, sizeof(ex));
	read_exit(&ex);
	ck_assert_uint_eq(ex.reason, EXIT_REASON_EPT_VIOLATION);
	ck_assert_uint_eq(ex.qualification, 0x181);
	ck_assert_uint_eq(ex.instr_len, 3);
	ck_assert_uint_eq(ex.instr_info, 0);  /* not defined for EPT violations: zero */
	ck_assert_uint_eq(ex.guest_linear, 0xffff800000001000ull);
	ck_assert_uint_eq(ex.guest_physical, 0xc0000008ull);
	ck_assert_uint_eq(ex.intr_info, 0x80000b0e);
	ck_assert_uint_eq(ex.intr_error, 2);
	ck_assert_uint_eq(ex.idt_vectoring_info, 0x80000b0e);
	ck_assert_uint_eq(ex.idt_vectoring_error, 7);
}
END_TEST

/*
 * "Acknowledge interrupt on exit": the exit took the vector from the 8259,
 * which waits for its EOI; the platform completes it before core runs, and
 * only for a real external-interrupt exit.
 */
START_TEST(test_extint_exit_completes_the_host_interrupt)
{
	struct exit_record ex = { .reason = EXIT_REASON_EXTERNAL_INTERRUPT,
				  .intr_info = INTR_INFO_VALID | 0x23 };
	completed_vector = -1;
	complete_host_event(&ex);
	ck_assert_int_eq(completed_vector, 0x23);
	completed_vector = -1;
	ex.intr_info = 0x23; /* not valid: nothing was acknowledged */
	complete_host_event(&ex);
	ck_assert_int_eq(completed_vector, -1);
	ex = (struct exit_record){ .reason = EXIT_REASON_CPUID, .intr_info = INTR_INFO_VALID | 0x24 };
	complete_host_event(&ex);
	ck_assert_int_eq(completed_vector, -1);
	ex = (struct exit_record){ .reason = EXIT_REASON_FAILED_ENTRY | EXIT_REASON_EXTERNAL_INTERRUPT,
				   .intr_info = INTR_INFO_VALID | 0x25 };
	complete_host_event(&ex);
	ck_assert_int_eq(completed_vector, -1);
}
END_TEST

START_TEST(test_read_exit_zeroes_undefined_fields)
{
	/* Stale values from an earlier EPT violation stay in the VMCS (SDM 28.2.1). */
	vmcs[VMCS_GUEST_LINEAR_ADDR] = 0x1234;
	vmcs[VMCS_GUEST_PHYSICAL_ADDR] = 0xc0000000;
	vmcs[VMCS_EXIT_INSTR_INFO] = 0x55;
	vmcs[VMCS_EXIT_INTR_ERROR] = 9;          /* interruption info invalid: ignored */
	vmcs[VMCS_IDT_VECTORING_ERROR] = 9;
	vmcs[VMCS_EXIT_REASON] = EXIT_REASON_CPUID;
	vmcs[VMCS_EXIT_INSTR_LEN] = 2;
	struct exit_record ex;
	memset(&ex, 0xee, sizeof(ex));
	read_exit(&ex);
	ck_assert_uint_eq(ex.reason, EXIT_REASON_CPUID);
	ck_assert_uint_eq(ex.instr_len, 2);
	ck_assert_uint_eq(ex.guest_linear, 0);
	ck_assert_uint_eq(ex.guest_physical, 0);
	ck_assert_uint_eq(ex.instr_info, 0);
	ck_assert_uint_eq(ex.intr_error, 0);
	ck_assert_uint_eq(ex.idt_vectoring_error, 0);

	/* String I/O defines the linear address and the instruction information, not the GPA. */
	vmcs[VMCS_EXIT_REASON] = EXIT_REASON_IO_INSTRUCTION;
	read_exit(&ex);
	ck_assert_uint_eq(ex.guest_linear, 0x1234);
	ck_assert_uint_eq(ex.instr_info, 0x55);
	ck_assert_uint_eq(ex.guest_physical, 0);

	/* A failed entry (bit 31) reports only what the failure defines. */
	vmcs[VMCS_EXIT_REASON] = EXIT_REASON_FAILED_ENTRY | EXIT_REASON_ENTRY_FAIL_GUEST_STATE;
	vmcs[VMCS_EXIT_QUALIFICATION] = 0;
	read_exit(&ex);
	ck_assert(exit_is_entry_failure(&ex));
	ck_assert_uint_eq(ex.guest_linear, 0);
}
END_TEST

START_TEST(test_fetch_reads_vmcs_and_save_area)
{
	xv->gprs[VCPU_RAX] = 0x1111;
	xv->gprs[VCPU_R15] = 0xf15;
	vmcs[VMCS_GUEST_RSP] = 0x7000;
	vmcs[VMCS_GUEST_RIP] = 0x100123;
	vmcs[VMCS_GUEST_RFLAGS] = 0x202;
	vmcs[VMCS_GUEST_EFER] = 0x500;
	vmcs[VMCS_GUEST_INTERRUPTIBILITY] = 1;
	vmcs[VMCS_GUEST_PAT] = 0x0007040600070406ull;
	vmcs[VMCS_GUEST_PENDING_DBG] = 0x4002;
	fake_cr2 = 0xdead000;
	ck_assert_uint_eq(x86_fetch_reg(vcpu, VCPU_RAX), 0x1111);
	ck_assert_uint_eq(x86_fetch_reg(vcpu, VCPU_R15), 0xf15);
	ck_assert_uint_eq(x86_fetch_reg(vcpu, VCPU_RSP), 0x7000);   /* RSP lives in the VMCS */
	ck_assert_uint_eq(x86_fetch_reg(vcpu, VCPU_RIP), 0x100123);
	ck_assert_uint_eq(x86_fetch_reg(vcpu, VCPU_RFLAGS), 0x202);
	ck_assert_uint_eq(x86_fetch_reg(vcpu, VCPU_EFER), 0x500);
	ck_assert_uint_eq(x86_fetch_reg(vcpu, VCPU_INTERRUPTIBILITY), 1);
	ck_assert_uint_eq(x86_fetch_reg(vcpu, VCPU_PAT), 0x0007040600070406ull);
	ck_assert_uint_eq(x86_fetch_reg(vcpu, VCPU_PENDING_DBG), 0x4002);
	ck_assert_uint_eq(x86_fetch_reg(vcpu, VCPU_CR2), 0xdead000);  /* not in the VMCS */
	ck_assert_uint_eq(x86_fetch_reg(vcpu, VCPU_XCR0), 1);          /* host without XSAVE */
	fake_cr4 = CR4_OSXSAVE;
	fake_xcr0 = 7;
	ck_assert_uint_eq(x86_fetch_reg(vcpu, VCPU_XCR0), 7);

	vmcs[vmcs_guest_sel(VCPU_CS)] = 0x08;
	vmcs[vmcs_guest_base(VCPU_CS)] = 0x1000;
	vmcs[vmcs_guest_limit(VCPU_CS)] = 0xffffffff;
	vmcs[vmcs_guest_ar(VCPU_CS)] = 0xa09b;
	struct seg_desc d;
	x86_fetch_seg(vcpu, VCPU_CS, &d);
	ck_assert_uint_eq(d.selector, 0x08);
	ck_assert_uint_eq(d.base, 0x1000);
	ck_assert_uint_eq(d.limit, 0xffffffff);
	ck_assert_uint_eq(d.ar, 0xa09b);
	ck_assert(seg_ar_l(d.ar));
}
END_TEST

START_TEST(test_write_back_only_dirty)
{
	vmcs[VMCS_GUEST_RIP] = 0x1000;
	vmcs[VMCS_GUEST_RSP] = 0x2000;
	vcpu_set_reg(vcpu, VCPU_RIP, 0x1003);
	vcpu_set_reg(vcpu, VCPU_RAX, 0xabc);
	vcpu_set_reg(vcpu, VCPU_RDI, 0xd1);
	vcpu_set_reg(vcpu, VCPU_DR7, 0x401);
	vcpu_set_reg(vcpu, VCPU_CR2, 0xfeed000);
	vcpu_set_reg(vcpu, VCPU_PENDING_DBG, 0x4000); /* a retired instruction's single-step trap */
	xv->gprs[VCPU_RBX] = 0xb0b;
	write_back(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_GUEST_RIP], 0x1003);
	ck_assert_uint_eq(vmcs[VMCS_GUEST_RSP], 0x2000);              /* untouched */
	ck_assert_uint_eq(xv->gprs[VCPU_RAX], 0xabc);
	ck_assert_uint_eq(xv->gprs[VCPU_RDI], 0xd1);
	ck_assert_uint_eq(xv->gprs[VCPU_RBX], 0xb0b);                 /* untouched */
	ck_assert_uint_eq(vmcs[VMCS_GUEST_DR7], 0x401);
	ck_assert_uint_eq(fake_cr2, 0xfeed000);
	ck_assert_uint_eq(vmcs[VMCS_GUEST_PENDING_DBG], 0x4000);
	ck_assert_uint_eq(vcpu->reg_dirty, 0);
	/* RSP goes to the VMCS, never to the save area's slot. */
	vcpu_set_reg(vcpu, VCPU_RSP, 0x3ff0);
	write_back(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_GUEST_RSP], 0x3ff0);
	ck_assert_uint_eq(xv->gprs[VCPU_RSP], 0);
}
END_TEST

START_TEST(test_cr_write_back_keeps_vmx_fixed_bits)
{
	/* The guest turns on paging and protection: CR0.NE must still be 1 in the real CR0. */
	vcpu_set_reg(vcpu, VCPU_CR0, X86_CR0_PE | X86_CR0_ET | X86_CR0_PG);
	vcpu_set_reg(vcpu, VCPU_CR4, X86_CR4_PAE);
	write_back(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_GUEST_CR0], X86_CR0_PE | X86_CR0_ET | X86_CR0_PG | X86_CR0_NE);
	ck_assert_uint_eq(vmcs[VMCS_GUEST_CR4], X86_CR4_PAE | X86_CR4_VMXE);
}
END_TEST

START_TEST(test_entry_control_follows_efer_lma)
{
	vcpu_set_reg(vcpu, VCPU_EFER, X86_EFER_LME | X86_EFER_LMA);
	write_back(vcpu);
	apply_requests(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_GUEST_EFER], X86_EFER_LME | X86_EFER_LMA);
	ck_assert(vmcs[VMCS_ENTRY_CONTROLS] & VMXC_ENTRY_IA32E_MODE_GUEST);
	ck_assert(vmcs[VMCS_ENTRY_CONTROLS] & VMXC_ENTRY_LOAD_EFER);       /* other bits kept */
	/* The guest left long mode by itself (no exit): the saved EFER says so. */
	vmcs[VMCS_GUEST_EFER] = X86_EFER_LME;
	apply_requests(vcpu);
	ck_assert(!(vmcs[VMCS_ENTRY_CONTROLS] & VMXC_ENTRY_IA32E_MODE_GUEST));
	ck_assert(vmcs[VMCS_ENTRY_CONTROLS] & VMXC_ENTRY_LOAD_PAT);
}
END_TEST

START_TEST(test_inject_encodings)
{
	/* #GP(0): hardware exception with an error code, SDM 25.8.3. */
	vcpu->event = (struct vcpu_event){ .valid = true, .vector = 13, .type = INTR_TYPE_HW_EXCEPTION,
					   .has_error = true, .error_code = 0 };
	vmcs[VMCS_ENTRY_EXCEPTION_ERROR] = 0x55;
	inject(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_ENTRY_INTR_INFO], 0x80000b0dull);
	ck_assert_uint_eq(vmcs[VMCS_ENTRY_EXCEPTION_ERROR], 0);
	ck_assert(!vcpu->event.valid);

	/* #UD: no error code. */
	vcpu->event = (struct vcpu_event){ .valid = true, .vector = 6, .type = INTR_TYPE_HW_EXCEPTION };
	inject(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_ENTRY_INTR_INFO], 0x80000306ull);

	/* INT3 re-injected as a software exception carries its instruction length. */
	vcpu->event = (struct vcpu_event){ .valid = true, .vector = 3, .type = INTR_TYPE_SW_EXCEPTION,
					   .instr_len = 1 };
	inject(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_ENTRY_INTR_INFO], 0x80000603ull);
	ck_assert_uint_eq(vmcs[VMCS_ENTRY_INSTR_LEN], 1);

	/* An external interrupt. */
	vcpu->event = (struct vcpu_event){ .valid = true, .vector = 0x30, .type = INTR_TYPE_EXT_INT };
	inject(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_ENTRY_INTR_INFO], 0x80000030ull);

	/* Nothing queued: the field is left as the exit left it (invalid). */
	vmcs[VMCS_ENTRY_INTR_INFO] = 0;
	inject(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_ENTRY_INTR_INFO], 0);
}
END_TEST

START_TEST(test_run_loop_enters_what_core_schedules)
{
	/* Runnable: entered once; the failed entry stops it with cause internal,
	 * and core's scheduler then gives this pCPU nothing to enter. */
	entries = 0;
	vm->state = VM_STATE_RUNNING;
	vcpu->state = VCPU_STATE_RUNNABLE;
	static struct x86_pcpu pc;
	ck_assert_int_eq(x86_pcpu_assign(&pc, vcpu), 0);
	x86_pcpu_run(&pc, &hv);
	ck_assert_uint_eq(entries, 1);
	ck_assert_int_eq(vm->stop_cause, VM_STOP_INTERNAL);
	ck_assert(!vcpu->in_guest);
	/* The loop ran the stop's request on the vCPU and ended: nothing to enter. */
	ck_assert_uint_eq(vcpu->requests, 0);
	ck_assert(!vcpu_can_enter(vcpu));
	ck_assert_ptr_null(sched_next(&hv, 0));
	ck_assert_uint_eq(entries, 1);
}
END_TEST

START_TEST(test_core_requests_applied)
{
	vcpu->cr.cr0_mask = ~0x0eull;
	vcpu->cr.cr0_shadow = 0x11;
	vcpu->cr.cr4_mask = ~0ull;
	vcpu->cr.cr4_shadow = 0x20;
	vcpu->cr.dirty = true;
	vcpu->cr.pdpte[2] = 0x5001;
	vcpu->cr.pdpte_dirty = true;
	vcpu->msr.tsc_offset = (uint64_t)-1000;
	vcpu->msr.tsc_offset_dirty = true;
	vcpu->intr.irq_window = true;
	xv->rdtscp = true;
	vcpu->msr.tsc_aux = 3;
	apply_requests(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_CR0_MASK], ~0x0eull);
	ck_assert_uint_eq(vmcs[VMCS_CR0_SHADOW], 0x11);
	ck_assert_uint_eq(vmcs[VMCS_CR4_SHADOW], 0x20);
	ck_assert_uint_eq(vmcs[VMCS_GUEST_PDPTE0 + 4], 0x5001);
	ck_assert_uint_eq(vmcs[VMCS_TSC_OFFSET], (uint64_t)-1000);
	ck_assert(!vcpu->cr.dirty && !vcpu->cr.pdpte_dirty && !vcpu->msr.tsc_offset_dirty);
	ck_assert(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_INT_WINDOW_EXITING);
	ck_assert(!(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_NMI_WINDOW_EXITING));
	ck_assert(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_HLT_EXITING);
	ck_assert_uint_eq(last_tsc_aux, 3);
	vcpu->intr.irq_window = false;
	vcpu->intr.nmi_window = true;
	apply_requests(vcpu);
	ck_assert(!(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_INT_WINDOW_EXITING));
	ck_assert(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_NMI_WINDOW_EXITING);
	/* A CPU without NMI-window exiting never gets the bit. */
	xv->window_ok = VMXC_PROC_INT_WINDOW_EXITING;
	apply_requests(vcpu);
	ck_assert(!(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_NMI_WINDOW_EXITING));
}
END_TEST

/*
 * APIC virtualization per entry (core/intr.h): "virtualize APIC accesses"
 * follows intr.apic_access where the CPU allows it (apic_access_ok, from
 * core's dynamic set), the other secondary controls untouched; the TPR
 * threshold follows intr.tpr_threshold while the TPR shadow is on. Each
 * VMWRITE only when the value changes.
 */
START_TEST(test_apic_virt_per_entry)
{
	const uint32_t base2 = VMXC_PROC2_ENABLE_EPT | VMXC_PROC2_APIC_REG_VIRT;
	xv->proc2_ctls = base2;
	vmcs[VMCS_PROC_CONTROLS2] = base2;
	xv->apic_access_ok = VMXC_PROC2_VIRT_APIC_ACCESS;
	xv->proc_ctls |= VMXC_PROC_USE_TPR_SHADOW;
	vmcs[VMCS_PROC_CONTROLS] = xv->proc_ctls;
	vcpu->intr.apic_access = true;
	vcpu->intr.tpr_threshold = 3;
	apply_requests(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_PROC_CONTROLS2], base2 | VMXC_PROC2_VIRT_APIC_ACCESS);
	ck_assert_uint_eq(vmcs[VMCS_TPR_THRESHOLD], 3);
	/* Unchanged: not written again (a stale value planted in the fake stays). */
	vmcs[VMCS_PROC_CONTROLS2] = 0xdead;
	vmcs[VMCS_TPR_THRESHOLD] = 0xbeef;
	apply_requests(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_PROC_CONTROLS2], 0xdead);
	ck_assert_uint_eq(vmcs[VMCS_TPR_THRESHOLD], 0xbeef);
	/* x2APIC mode, a disabled or relocated APIC: off, threshold back to 0. */
	vcpu->intr.apic_access = false;
	vcpu->intr.tpr_threshold = 0;
	apply_requests(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_PROC_CONTROLS2], base2);
	ck_assert_uint_eq(vmcs[VMCS_TPR_THRESHOLD], 0);
	ck_assert(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_USE_TPR_SHADOW);
	/* A CPU without APIC virtualization: neither is ever written. */
	xv->apic_access_ok = 0;
	xv->proc_ctls &= ~VMXC_PROC_USE_TPR_SHADOW;
	vmcs[VMCS_PROC_CONTROLS] = xv->proc_ctls;
	vcpu->intr.apic_access = true;
	vcpu->intr.tpr_threshold = 5;
	vmcs[VMCS_TPR_THRESHOLD] = 0xbeef;
	apply_requests(vcpu);
	ck_assert_uint_eq(vmcs[VMCS_PROC_CONTROLS2], base2);
	ck_assert_uint_eq(vmcs[VMCS_TPR_THRESHOLD], 0xbeef);
}
END_TEST

/* The end of core's pre-entry work (the pCPU's deadline, core/sched_slice.h), then the platform's. */
static void timer_entry(void)
{
	sched_entry_deadline(vcpu);
	apply_requests(vcpu);
}

/*
 * The host timer: with the control dynamic in core's set (the CPU allows
 * it both ways), an entry with a deadline turns the VMX-preemption timer on
 * and arms it from the pCPU's deadline core computed from
 * vcpu->timer_deadline (a guest TSC; host = guest - offset) at the rate
 * IA32_VMX_MISC gives; an entry without one turns it off, so that vCPU
 * (alone on its pCPU) takes no timer exits.
 */
START_TEST(test_preemption_timer_armed_from_the_deadline)
{
	const uint32_t base = VMXC_PIN_EXT_INT_EXITING | VMXC_PIN_NMI_EXITING;
	vmcs[VMCS_PIN_CONTROLS] = base;
	xv->pin_ctls = base;
	vmcs[VMCS_PREEMPTION_TIMER_VALUE] = 0x1234;
	vcpu->timer_deadline = 1000000;
	timer_entry();
	/* Not dynamic in core's set (the CPU lacks it): never on, the field not the platform's. */
	ck_assert_uint_eq(vmcs[VMCS_PIN_CONTROLS], base);
	ck_assert_uint_eq(vmcs[VMCS_PREEMPTION_TIMER_VALUE], 0x1234);
	xv->pin_dynamic = VMXC_PIN_PREEMPTION_TIMER;
	xv->preempt_rate = 5;
	vcpu->msr.tsc_offset = (uint64_t)-500000;        /* guest TSC = host TSC - 500000 */
	fake_tsc = 100000;
	timer_entry();
	/* On, the other pin controls kept; host deadline 1500000, 1400000 ticks away: /32 = 43750 + 1. */
	ck_assert_uint_eq(vmcs[VMCS_PIN_CONTROLS], base | VMXC_PIN_PREEMPTION_TIMER);
	ck_assert_uint_eq(xv->pin_ctls, base | VMXC_PIN_PREEMPTION_TIMER);
	ck_assert_uint_eq(vmcs[VMCS_PREEMPTION_TIMER_VALUE], 43751);
	/* Passed: exit before the first guest instruction. */
	fake_tsc = 1500000;
	timer_entry();
	ck_assert_uint_eq(vmcs[VMCS_PREEMPTION_TIMER_VALUE], 0);
	/* None: the control off, the value left alone. */
	vmcs[VMCS_PREEMPTION_TIMER_VALUE] = 0x1234;
	vcpu->timer_deadline = UINT64_MAX;
	timer_entry();
	ck_assert_uint_eq(vmcs[VMCS_PIN_CONTROLS], base);
	ck_assert_uint_eq(xv->pin_ctls, base);
	ck_assert_uint_eq(vmcs[VMCS_PREEMPTION_TIMER_VALUE], 0x1234);
	/* A deadline again: on again. */
	vcpu->timer_deadline = 1000000 + 64;     /* 64 host ticks from now: 2 units + 1 */
	timer_entry();
	ck_assert_uint_eq(vmcs[VMCS_PIN_CONTROLS], base | VMXC_PIN_PREEMPTION_TIMER);
	ck_assert_uint_eq(vmcs[VMCS_PREEMPTION_TIMER_VALUE], 3);
	fake_tsc = 0;
}
END_TEST

/*
 * An idle pCPU (run.c idle_wait): with a vCPU halted on its timer, the host
 * LAPIC timer is armed for its host deadline around the HLT and disarmed
 * after; woken at or after the deadline the vCPU has VCPU_REQ_TIMER, woken
 * before (a kick) it has not. Without one, a plain HLT.
 */
START_TEST(test_idle_wait_arms_the_lapic_timer)
{
	vm->state = VM_STATE_RUNNING;
	vcpu->state = VCPU_STATE_HALTED;
	vcpu->requests = 0;
	arms = stops = hlts = 0;
	fake_tsc = 100;
	hlt_wake_tsc = 0;
	vcpu->timer_deadline = UINT64_MAX;
	idle_wait(&hv, 0);
	ck_assert_uint_eq(hlts, 1);
	ck_assert_uint_eq(arms, 0);
	ck_assert_uint_eq(stops, 0);

	vcpu->timer_deadline = 5000;
	vcpu->msr.tsc_offset = (uint64_t)-1000;        /* host deadline 6000 */
	hlt_wake_tsc = 5999;                           /* a kick just before it */
	idle_wait(&hv, 0);
	ck_assert_uint_eq(arms, 1);
	ck_assert_uint_eq(armed_at, 6000);
	ck_assert_uint_eq(stops, 1);
	ck_assert_uint_eq(hlts, 2);
	ck_assert_uint_eq(vcpu->requests & VCPU_REQ_TIMER, 0);

	hlt_wake_tsc = 6000;                           /* the timer */
	idle_wait(&hv, 0);
	ck_assert_uint_eq(arms, 2);
	ck_assert_uint_eq(stops, 2);
	ck_assert_uint_ne(vcpu->requests & VCPU_REQ_TIMER, 0);
	ck_assert(vcpu_has_requests(vcpu));
	vcpu->requests = 0;
	fake_tsc = hlt_wake_tsc = 0;
}
END_TEST

/*
 * Pure ACRN polling on the image (run.c idle_poll): pCPU 0 owns only a
 * User VM vCPU waiting on a polling-mode request, the Service VM runs on
 * pCPU 1 and will write COMPLETE without any hypercall or kick. The idle
 * pCPU must not HLT (nothing would wake it): it PAUSE-polls until the
 * scheduler's poll finds COMPLETE, then enters the vCPU with the value in
 * RAX. Once nothing polls any more it HLTs as before.
 */
#define POLL_PAGE 0x8000
#define POLL_ROUNDS 3
static struct vm *poll_svm, *poll_uvm;

static void dm_completes_after_rounds(void)
{
	if (pauses != POLL_ROUNDS)
		return;
	uint8_t *slot = sim_vm_ram(poll_svm->id) + POLL_PAGE; /* vCPU 0's slot */
	uint64_t value = 0xbeef;
	uint32_t st = IOREQ_COMPLETE;
	memcpy(slot + IOREQ_OFF_VALUE, &value, 8);
	memcpy(slot + IOREQ_OFF_STATE, &st, 4);
}

static void service_vm_stops(void)
{
	/* The Service VM is done: nothing can wake anything any more, the BSP's loop ends. */
	poll_svm->vcpus[0].running = 0;
	poll_svm->vcpus[0].state = VCPU_STATE_STOPPED;
}

START_TEST(test_idle_pcpu_polls_a_polling_mode_slot)
{
	poll_svm = vm;                                  /* "t", the Service VM, on pCPU 1 */
	poll_svm->state = VM_STATE_RUNNING;
	vcpu_bind_pcpu(&poll_svm->vcpus[0], 1);
	poll_svm->vcpus[0].state = VCPU_STATE_RUNNABLE;
	poll_svm->vcpus[0].running = 1;
	poll_uvm = sim_create_vm(&hv, "u", 1, false, 0x10000);
	ck_assert_ptr_nonnull(poll_uvm);
	poll_uvm->state = VM_STATE_RUNNING;
	poll_uvm->config.ioreq_polling = true;
	ck_assert_int_eq(ioreq_set_buffer(poll_uvm, POLL_PAGE), 0);
	struct vcpu *u = &poll_uvm->vcpus[0];
	ck_assert_uint_eq(u->pcpu, 0);
	sim_vcpu_flat_state(u, true, 0);
	vcpu_cache_fill(u, VCPU_RIP, 0x1000);
	vcpu_cache_fill(u, VCPU_RAX, 0);
	/* IN AX, DX from port 0x1f0: a request to the device model. */
	struct exit_record ex = { .reason = EXIT_REASON_IO_INSTRUCTION, .qualification = 0x1f00009,
				  .instr_len = 1 };
	ck_assert_int_eq(vcpu_handle_exit(u, &ex), EXIT_ACTION_WAIT_IO);
	ck_assert(sched_cpu_polls(&hv, 0));

	entries = pauses = hlts = 0;
	pause_hook = dm_completes_after_rounds;
	hlt_hook = service_vm_stops;
	static struct x86_pcpu pc;
	ck_assert_int_eq(x86_pcpu_assign(&pc, u), 0);
	x86_pcpu_run(&pc, &hv);
	pause_hook = hlt_hook = NULL;
	/* Polled, not halted, until COMPLETE; then entered once with the value. */
	ck_assert_uint_eq(pauses, POLL_ROUNDS);
	ck_assert_uint_eq(entries, 1);
	ck_assert_uint_eq(xv->gprs[VCPU_RAX] & 0xffff, 0xbeef);
	/* The failed entry stopped it; then nothing polled and the pCPU halted (once). */
	ck_assert_int_eq(poll_uvm->stop_cause, VM_STOP_INTERNAL);
	ck_assert_uint_eq(hlts, 1);
	ck_assert(!sched_cpu_polls(&hv, 0));
}
END_TEST

/* x86_vcpu_ready takes the host timer's rate from the caps (IA32_VMX_MISC 4:0). */
START_TEST(test_preemption_timer_rate_from_caps)
{
	static struct vmx_caps caps = { .misc = 0x7u | (1u << 5) };   /* rate 7; bit 5 is not the rate */
	struct x86_pcpu pc = { .caps = &caps };
	vmcs_setup_allowed = true;
	xv->ready = false;
	ck_assert_int_eq(x86_vcpu_ready(&pc, vcpu), 0);
	ck_assert_uint_eq(xv->preempt_rate, 7);
	vmcs_setup_allowed = false;
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_exit_path");
	TCase *tc = tcase_create("exit_path");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_read_exit_ept_violation);
	tcase_add_test(tc, test_read_exit_zeroes_undefined_fields);
	tcase_add_test(tc, test_fetch_reads_vmcs_and_save_area);
	tcase_add_test(tc, test_write_back_only_dirty);
	tcase_add_test(tc, test_cr_write_back_keeps_vmx_fixed_bits);
	tcase_add_test(tc, test_entry_control_follows_efer_lma);
	tcase_add_test(tc, test_inject_encodings);
	tcase_add_test(tc, test_run_loop_enters_what_core_schedules);
	tcase_add_test(tc, test_core_requests_applied);
	tcase_add_test(tc, test_apic_virt_per_entry);
	tcase_add_test(tc, test_extint_exit_completes_the_host_interrupt);
	tcase_add_test(tc, test_preemption_timer_armed_from_the_deadline);
	tcase_add_test(tc, test_preemption_timer_rate_from_caps);
	tcase_add_test(tc, test_idle_wait_arms_the_lapic_timer);
	tcase_add_test(tc, test_idle_pcpu_polls_a_polling_mode_slot);
	suite_add_tcase(s, tc);
	return s;
}
