/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Several vCPUs on one pCPU (platform/x86/vcpu_switch.c, run.c) against a
 * fake CPU that holds one VMCS per vCPU (VMREAD/VMWRITE reach the one the
 * last VMPTRLD made current, as on hardware) and the guest state no VMCS
 * holds: CR2, XCR0, the XSAVE-managed registers, the SYSCALL MSRs,
 * KERNEL_GS_BASE, DR0-3/DR6. Also: a pending load state (vcpu->load) is
 * what the guest is entered with, and the launched state is per VMCS.
 */
#define TERN_X86_HOST_TEST 1
#define plat_vm_retire x86_vm_retire   /* the simulator has its own */
#define plat_vcpu_fetch_reg x86_fetch_reg
#define plat_vcpu_fetch_seg x86_fetch_seg
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "sim.h"
#include "vm_mgr.h"
#include "../../platform/x86/run.c"
#include "../../platform/x86/host_timer.c"
#include "../../platform/x86/load_state.c"
#include "../../platform/x86/vcpu_switch.c"

#include "x86_fake_cpu.h"

#if TERN_RECORD
#error "this test covers the normal build"
#endif

static struct vm *vm_a, *vm_b;
static struct vcpu *a, *b;

static void setup(void)
{
	fake_cpu_reset();
	sim_reset();
	tern_init(&hv);
	vm_a = sim_create_vm(&hv, "a", 1, true, 0x100000);
	vm_b = sim_create_vm(&hv, "b", 1, false, 0x100000);
	ck_assert_ptr_nonnull(vm_a);
	ck_assert_ptr_nonnull(vm_b);
	a = &vm_a->vcpus[0];
	b = &vm_b->vcpus[0];
	give_vmcs(a, 0);
	give_vmcs(b, 1);
	ptrlds = 0;
}

static void teardown(void)
{
	fake_cpu_free();
}

/* What a guest leaves in the CPU while it runs. */
static void guest_runs(uint64_t tag)
{
	cpu.cr2 = tag | 0x2;
	cpu.xcr0 = 7;
	cpu.fpu = tag | 0xf;
	cpu.star = tag | 0x81;
	cpu.lstar = tag | 0x82;
	cpu.cstar = tag | 0x83;
	cpu.fmask = tag | 0x84;
	cpu.kgs = tag | 0x102;
	for (unsigned i = 0; i < 4; i++)
		cpu.dr[i] = tag | (0xd0 + i);
	cpu.dr6 = tag | 0xd6;
}

static void assert_cpu_holds(uint64_t tag)
{
	ck_assert_uint_eq(cpu.cr2, tag | 0x2);
	ck_assert_uint_eq(cpu.xcr0, 7);
	ck_assert_uint_eq(cpu.fpu, tag | 0xf);
	ck_assert_uint_eq(cpu.star, tag | 0x81);
	ck_assert_uint_eq(cpu.lstar, tag | 0x82);
	ck_assert_uint_eq(cpu.cstar, tag | 0x83);
	ck_assert_uint_eq(cpu.fmask, tag | 0x84);
	ck_assert_uint_eq(cpu.kgs, tag | 0x102);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(cpu.dr[i], tag | (0xd0 + i));
	ck_assert_uint_eq(cpu.dr6, tag | 0xd6);
}

/* The power-on values (SDM Vol. 3A Table 9-1) of a vCPU that never ran. */
static void assert_cpu_fresh(void)
{
	ck_assert_uint_eq(cpu.cr2, 0);
	ck_assert_uint_eq(cpu.xcr0, 1);
	ck_assert_uint_eq(cpu.fpu, 0);
	ck_assert_uint_eq(cpu.star | cpu.lstar | cpu.cstar | cpu.fmask | cpu.kgs, 0);
	ck_assert_uint_eq(cpu.dr[0] | cpu.dr[1] | cpu.dr[2] | cpu.dr[3], 0);
	ck_assert_uint_eq(cpu.dr6, 0xffff0ff0);
}

START_TEST(test_switch_keeps_each_vcpus_state)
{
	ck_assert_int_eq(x86_vcpu_switch(&pc, a), 0);
	ck_assert_int_eq(cur, 0);
	assert_cpu_fresh();
	guest_runs(0xa000);

	ck_assert_int_eq(x86_vcpu_switch(&pc, b), 0);
	ck_assert_int_eq(cur, 1);
	ck_assert_ptr_eq(pc.current, b);
	assert_cpu_fresh();               /* nothing of A leaks into B */
	guest_runs(0xb000);

	ck_assert_int_eq(x86_vcpu_switch(&pc, a), 0);
	ck_assert_int_eq(cur, 0);
	assert_cpu_holds(0xa000);
	ck_assert_int_eq(x86_vcpu_switch(&pc, b), 0);
	assert_cpu_holds(0xb000);
	ck_assert_uint_eq(pc.switches, 4);
	ck_assert_uint_eq(ptrlds, 4);

	/* Staying on the current vCPU costs nothing. */
	ck_assert_int_eq(x86_vcpu_switch(&pc, b), 0);
	ck_assert_uint_eq(ptrlds, 4);
	ck_assert_uint_eq(pc.switches, 4);
}
END_TEST

START_TEST(test_switch_forgets_tsc_aux_and_refuses_a_bad_vmcs)
{
	xvcpu_of(a)->tsc_aux_loaded = true;
	ck_assert_int_eq(x86_vcpu_switch(&pc, a), 0);
	ck_assert(!xvcpu_of(a)->tsc_aux_loaded);  /* another vCPU's may be in the MSR */
	xvcpu_of(b)->vmcs_hpa = 0xdead000;
	ck_assert_int_eq(x86_vcpu_switch(&pc, b), -TERN_EIO);
	ck_assert_ptr_null(pc.current);
}
END_TEST

START_TEST(test_launched_state_is_per_vmcs)
{
	a->state = b->state = VCPU_STATE_RUNNABLE;  /* as vm_mgr_start leaves them */
	ck_assert_int_eq(x86_vcpu_switch(&pc, a), 0);
	run_once(a);
	ck_assert_int_eq(x86_vcpu_switch(&pc, b), 0);
	run_once(b);
	ck_assert_int_eq(x86_vcpu_switch(&pc, a), 0);
	run_once(a);
	ck_assert_uint_eq(nentries, 3);
	ck_assert_int_eq(entries[0].vmcs, 0);
	ck_assert_int_eq(entries[0].launched, 0);   /* VMLAUNCH */
	ck_assert_int_eq(entries[1].vmcs, 1);
	ck_assert_int_eq(entries[1].launched, 0);   /* B's VMCS is still clear */
	ck_assert_int_eq(entries[2].vmcs, 0);
	ck_assert_int_eq(entries[2].launched, 1);   /* VMRESUME */
	/*
	 * What core changes goes into the vCPU's own VMCS at its next entry,
	 * whichever VMCS was current when core changed it.
	 */
	vcpu_set_reg(a, VCPU_RIP, 0xaaaa);
	vcpu_set_reg(b, VCPU_RIP, 0xbbbb);
	vcpu_set_reg(b, VCPU_RSP, 0xb5b5);
	ck_assert_int_eq(x86_vcpu_switch(&pc, b), 0);
	prepare_entry(b);
	ck_assert_uint_eq(vmcs[1][VMCS_GUEST_RIP], 0xbbbb);
	ck_assert_uint_eq(vmcs[1][VMCS_GUEST_RSP], 0xb5b5);
	ck_assert_uint_ne(vmcs[0][VMCS_GUEST_RIP], 0xaaaa);
	ck_assert_uint_ne(vmcs[0][VMCS_GUEST_RSP], 0xb5b5);
	ck_assert_int_eq(x86_vcpu_switch(&pc, a), 0);
	prepare_entry(a);
	ck_assert_uint_eq(vmcs[0][VMCS_GUEST_RIP], 0xaaaa);
	ck_assert_uint_eq(vmcs[1][VMCS_GUEST_RIP], 0xbbbb);
}
END_TEST

START_TEST(test_pcpu_assign_is_bounded)
{
	/* Which vCPU runs is core's scheduler's (test_scheduler); a full pCPU refuses more. */
	pc.count = X86_PCPU_MAX_VCPUS;
	ck_assert_int_eq(x86_pcpu_assign(&pc, a), -TERN_ENOSPC);
}
END_TEST

START_TEST(test_pcpu_runs_until_nothing_can_run)
{
	/* Each vCPU runs, halts with IF clear (nothing can wake it): its VM stops. */
	exit_reason = EXIT_REASON_HLT;
	ck_assert_int_eq(vm_mgr_start(vm_a), 0);
	ck_assert_int_eq(vm_mgr_start(vm_b), 0);
	x86_pcpu_run(&pc, &hv);
	ck_assert_uint_eq(nentries, 2);
	ck_assert_int_eq(entries[0].vmcs, 0);
	ck_assert_int_eq(entries[1].vmcs, 1);
	ck_assert_uint_eq(pc.switches, 2);
	ck_assert_uint_eq(vm_a->state, VM_STATE_STOPPED);
	ck_assert_uint_eq(vm_b->state, VM_STATE_STOPPED);
}
END_TEST

/* A VM created after boot (HC_CREATE_VM): its vCPU's VMCS is set up the first time it is picked. */
START_TEST(test_new_vm_set_up_when_first_picked)
{
	exit_reason = EXIT_REASON_HLT;
	xvcpu_of(b)->ready = false;
	ck_assert_int_eq(vm_mgr_start(vm_a), 0);
	ck_assert_int_eq(vm_mgr_start(vm_b), 0);
	x86_pcpu_run(&pc, &hv);
	/* Once, for b only, with its VM's EPT root as the EPT pointer (WB, 4 levels). */
	ck_assert_uint_eq(setups, 1);
	ck_assert_ptr_eq(setup_of, b);
	ck_assert_uint_eq(setup_eptp, vm_b->ept.root_hpa | EPTP_WB | EPTP_WALK_4);
	ck_assert(xvcpu_of(b)->ready);
	ck_assert_uint_eq(nentries, 2);
	ck_assert_int_eq(entries[1].vmcs, 1);
	ck_assert_int_eq(entries[1].launched, 0);
	/* Ready now: no second set-up. */
	ck_assert_int_eq(x86_vcpu_ready(&pc, b), 0);
	ck_assert_uint_eq(setups, 1);
}
END_TEST

/* A set-up the CPU refuses stops that VM (cause internal); it is never entered. */
START_TEST(test_new_vm_set_up_failure_stops_it)
{
	exit_reason = EXIT_REASON_HLT;
	xvcpu_of(b)->ready = false;
	setup_fails = -TERN_EIO;
	ck_assert_int_eq(vm_mgr_start(vm_b), 0);
	x86_pcpu_run(&pc, &hv);
	ck_assert_uint_eq(setups, 1);
	ck_assert_uint_eq(nentries, 0);
	ck_assert_uint_eq(vm_b->state, VM_STATE_STOPPED);
	ck_assert_uint_eq(vm_b->stop_cause, VM_STOP_INTERNAL);
	ck_assert(!xvcpu_of(b)->ready);
}
END_TEST

/* The Multiboot hand-off core set is what the vCPU is entered with. */
START_TEST(test_load_state_applied_before_entry)
{
	struct vcpu_load_state st;
	vm_mgr_multiboot_state(&st, 0x10000c, 0x2badb002, 0x9000);
	st.regs[VCPU_CR2] = 0xc2;
	ck_assert_int_eq(vm_mgr_set_boot_state(vm_a, &st), 0);
	ck_assert(a->load_pending);
	ck_assert_int_eq(x86_vcpu_switch(&pc, a), 0);
	guest_runs(0xa000);                           /* stale values in the CPU */
	vmcs[0][VMCS_GUEST_INTERRUPTIBILITY] = 1;     /* an STI shadow of the old life */
	vmcs[0][VMCS_GUEST_ACTIVITY] = 1;
	vmcs[0][VMCS_ENTRY_CONTROLS] |= VMXC_ENTRY_IA32E_MODE_GUEST;
	struct x86_vcpu *xv = xvcpu_of(a);
	for (unsigned r = 0; r < 16; r++)
		xv->gprs[r] = 0x5555;
	/* Core changes a register after the hand-over: the change wins. */
	vcpu_set_reg(a, VCPU_RSI, 0x51);
	a->state = VCPU_STATE_RUNNABLE;
	prepare_entry(a);
	ck_assert(!a->load_pending);
	ck_assert_uint_eq(vmcs[0][VMCS_GUEST_RIP], 0x10000c);
	ck_assert_uint_eq(vmcs[0][VMCS_GUEST_RFLAGS], 0x2);
	ck_assert_uint_eq(vmcs[0][VMCS_GUEST_CR0], X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
	ck_assert_uint_eq(vmcs[0][VMCS_GUEST_CR4], X86_CR4_VMXE);
	ck_assert_uint_eq(vmcs[0][vmcs_guest_ar(VCPU_CS)], 0xc09b);
	ck_assert_uint_eq(vmcs[0][VMCS_GUEST_INTERRUPTIBILITY], 0);
	ck_assert_uint_eq(vmcs[0][VMCS_GUEST_ACTIVITY], 0);
	ck_assert(!(vmcs[0][VMCS_ENTRY_CONTROLS] & VMXC_ENTRY_IA32E_MODE_GUEST));
	/* The guest reads back the CR0 it was handed: core's shadow and mask. */
	ck_assert_uint_eq(vmcs[0][VMCS_CR0_SHADOW], X86_CR0_PE | X86_CR0_ET);
	ck_assert_uint_eq(vmcs[0][VMCS_CR0_MASK], CR_CR0_MASK);
	ck_assert_uint_eq(xv->gprs[VCPU_RAX], 0x2badb002);
	ck_assert_uint_eq(xv->gprs[VCPU_RBX], 0x9000);
	ck_assert_uint_eq(xv->gprs[VCPU_RCX], 0);
	ck_assert_uint_eq(xv->gprs[VCPU_RSI], 0x51);
	/* The state outside the VMCS: its CR2 and the power-on rest. */
	ck_assert_uint_eq(cpu.cr2, 0xc2);
	ck_assert_uint_eq(cpu.xcr0, 1);
	ck_assert_uint_eq(cpu.fpu, 0);
	ck_assert_uint_eq(cpu.lstar | cpu.kgs | cpu.dr[0], 0);
	ck_assert_uint_eq(cpu.dr6, 0xffff0ff0);
	/* Loaded once: the next entry does not load it again. */
	vmcs[0][VMCS_GUEST_RIP] = 0x100010;
	prepare_entry(a);
	ck_assert_uint_eq(vmcs[0][VMCS_GUEST_RIP], 0x100010);
}
END_TEST

/*
 * An AP started by INIT, then a SIPI 10 ms later (t_smp.c's INIT-SIPI-SIPI):
 * the INIT's reset state is loaded on the pass that parks the vCPU, and the
 * SIPI's start state, handed over by the request on the next pass, is the
 * one entered: CS = vector << 8, base vector << 12, IP = 0 (SDM Vol. 3A
 * 8.4.4.1), not the reset vector at 0xFFFFFFF0.
 */
START_TEST(test_sipi_state_entered_after_an_earlier_init)
{
	struct vcpu_load_state st;
	vm_mgr_multiboot_state(&st, 0x10000c, 0x2badb002, 0x9000);
	ck_assert_int_eq(vm_mgr_set_boot_state(vm_a, &st), 0);
	ck_assert_int_eq(vm_mgr_start(vm_a), 0);
	ck_assert_int_eq(x86_vcpu_switch(&pc, a), 0);
	ck_assert(prepare_entry(a));
	ck_assert_uint_eq(vmcs[0][VMCS_GUEST_RIP], 0x10000c);

	a->lapic.apic_base &= ~VLAPIC_BASE_BSP;       /* as an AP: the BSP's INIT restarts it instead */
	vcpu_make_request(a, VCPU_REQ_INIT);
	ck_assert(!prepare_entry(a));                 /* waits for a SIPI */
	ck_assert_uint_eq(a->state, VCPU_STATE_INIT);
	ck_assert(a->load_pending);                   /* the reset state, for the next pass */

	atomic_store32(&a->sipi_vector, 0x08);
	vcpu_make_request(a, VCPU_REQ_SIPI);
	ck_assert(prepare_entry(a));
	ck_assert_uint_eq(a->state, VCPU_STATE_RUNNABLE);
	ck_assert(!a->load_pending);
	ck_assert_uint_eq(vmcs[0][VMCS_GUEST_RIP], 0);
	ck_assert_uint_eq(vmcs[0][vmcs_guest_sel(VCPU_CS)], 0x800);
	ck_assert_uint_eq(vmcs[0][vmcs_guest_base(VCPU_CS)], 0x8000);
	ck_assert(!(vmcs[0][VMCS_GUEST_CR0] & X86_CR0_PE));
}
END_TEST

/* A load state's XCR0 never holds what this CPU cannot enable (XSETBV would #GP). */
START_TEST(test_load_state_xcr0_limited_to_the_host)
{
	struct vcpu_load_state st;
	vm_mgr_multiboot_state(&st, 0x10000c, 0x2badb002, 0x9000);
	st.regs[VCPU_XCR0] = 0xe7;                    /* AVX-512 on an AVX-only host */
	ck_assert_int_eq(x86_vcpu_switch(&pc, a), 0);
	x86_guest_extra_load(a, &st);
	ck_assert_uint_eq(cpu.xcr0, 7);
	/* A host without XSAVE keeps FXSAVE and never touches XCR0. */
	cpu.cr4 = 0;
	cpu.xcr0 = 1;
	ck_assert_uint_eq(xstate_area_size(), 512);
	x86_guest_extra_load(a, &st);
	ck_assert_uint_eq(cpu.xcr0, 1);
	cpu.cr4 = CR4_OSXSAVE;
	ck_assert_uint_eq(xstate_area_size(), 832);
}
END_TEST

START_TEST(test_host_init_enables_xsave_only_when_present)
{
	cpu.cr4 = 0x20;
	xstate_host_init();
	ck_assert_uint_eq(cpu.cr4, 0x20 | CR4_OSFXSR | CR4_OSXMMEXCPT);   /* CPUID.1:ECX.XSAVE = 0 */
}
END_TEST

/*
 * Finding: a destroyed VM's vCPU stayed current on the pCPU that ran it.
 * VM b ran on pCPU1 and is destroyed from pCPU0 (the Service VM's exit):
 * its VMCS is VMCLEARed on pCPU1, never from pCPU0 (SDM 25.11.1), and the
 * VM re-created in its slot starts from its power-on state there.
 */
START_TEST(test_destroyed_vm_retired_on_its_owner)
{
	sim.this_cpu = 1;
	ck_assert_int_eq(x86_vcpu_switch(&pc1, b), 0);
	guest_runs(0xb000);
	ck_assert_uint_eq(xvcpu_of(b)->active_on, 2);

	sim.this_cpu = 0;
	x86_vm_retire(vm_b);                        /* vm_mgr_destroy's plat_vm_retire */
	ck_assert_uint_eq(clears, 0);               /* not from the wrong pCPU */
	ck_assert_uint_eq(kicks[1], 1);
	ck_assert(pc.retire_wait);
	ck_assert_int_eq(vm_mgr_destroy(vm_b), 0);

	sim.this_cpu = 1;                           /* the owner, at its loop's top */
	x86_pcpu_retire(&pc1, &hv);
	ck_assert_uint_eq(clears, 1);
	ck_assert_uint_eq(clear_pa, VMCS_PA(1));
	ck_assert_uint_eq(clear_cpu, 1);
	ck_assert_ptr_null(pc1.current);
	ck_assert_uint_eq(xvms[1].vcpus[0].active_on, 0);
	ck_assert_uint_eq(xvms[1].vcpus[0].retire, 0);
	ck_assert(!xvms[1].vcpus[0].launched);      /* VMCLEAR: the next entry is a VMLAUNCH */
	/* Asked again (a merged kick): nothing left to do. */
	x86_pcpu_retire(&pc1, &hv);
	ck_assert_uint_eq(clears, 1);

	sim.this_cpu = 0;
	x86_pcpu_retire_wait(&pc, &hv);             /* returns: the owner did it */
	ck_assert(!pc.retire_wait);

	struct vm *vm_c = sim_create_vm(&hv, "c", 1, false, 0x100000);
	ck_assert_ptr_nonnull(vm_c);
	ck_assert_uint_eq(vm_c->id, vm_b->id);      /* b's slot */
	struct vcpu *c = &vm_c->vcpus[0];
	give_vmcs(c, 2);
	sim.this_cpu = 1;
	ck_assert_int_eq(x86_vcpu_switch(&pc1, c), 0);
	ck_assert_int_eq(cur, 2);
	assert_cpu_fresh();                         /* nothing of b */
}
END_TEST

/*
 * Without the retirement (its owner not there yet), the stale current vCPU
 * of a destroyed VM is dropped, not saved: the save would go to the area
 * of the VM now in the slot (the same struct vcpu; its vm pointer survives
 * the wipe for the scheduler's claim, but it is another life of the slot).
 * The new VM's VMCS is made current although the pointer is
 * the same.
 */
START_TEST(test_stale_current_dropped_without_save)
{
	ck_assert_int_eq(x86_vcpu_switch(&pc, b), 0);
	guest_runs(0xb000);
	ck_assert_int_eq(vm_mgr_destroy(vm_b), 0);
	ck_assert_uint_eq(vm_b->state, VM_STATE_POWERED_OFF);
	struct vm *vm_c = sim_create_vm(&hv, "c", 1, false, 0x100000);
	ck_assert_ptr_nonnull(vm_c);
	struct vcpu *c = &vm_c->vcpus[0];
	ck_assert_ptr_eq(c, b);
	give_vmcs(c, 2);
	ptrlds = 0;
	ck_assert_int_eq(x86_vcpu_switch(&pc, c), 0);
	ck_assert_uint_eq(ptrlds, 1);
	ck_assert_int_eq(cur, 2);
	assert_cpu_fresh();
	ck_assert_uint_eq(xvcpu_of(c)->extra.cr2, 0);
}
END_TEST

/*
 * An owner that never answers the kick (a lost IPI, a pCPU stuck in the
 * hypervisor): the waiting pCPU gives up after a second of its clock with
 * one FATAL line and powers off (hypervisor fault) instead of spinning for
 * ever; the VMCS is never VMCLEARed from the wrong pCPU.
 */
START_TEST(test_retire_wait_gives_up_on_a_lost_pcpu)
{
	sim.this_cpu = 1;
	ck_assert_int_eq(x86_vcpu_switch(&pc1, b), 0);
	guest_runs(0xb000);
	sim.this_cpu = 0;
	x86_vm_retire(vm_b);
	ck_assert(pc.retire_wait);
	pause_ns = 100000;                          /* 0.1 ms a PAUSE: 10,000 rounds */
	uint64_t t0 = sim.clock_ns;
	power_off_armed = true;
	if (!setjmp(power_off_at)) {
		x86_pcpu_retire_wait(&pc, &hv);
		ck_abort_msg("the wait returned although pCPU1 never retired the VMCS");
	}
	ck_assert_int_eq(power_off_code, X86_EXIT_HV_FAULT);
	char want[128];
	snprintf(want, sizeof(want), "FATAL: pCPU1 did not retire vm%u vcpu0's VMCS within 1000 ms "
		 "of the kick", vm_b->id);
	ck_assert_str_eq(last_log, want);
	ck_assert_uint_ge(sim.clock_ns - t0, 1000000000ull);
	ck_assert_uint_le(sim.clock_ns - t0, 1000000000ull + pause_ns);
	ck_assert_uint_eq(clears, 0);
	ck_assert_uint_eq(xvcpu_of(b)->active_on, 2);
}
END_TEST

/* pCPU1, the owner, at the top of its loop after 900 ms: within the bound. */
static unsigned late_pauses;
static void owner_answers_late(void)
{
	if (++late_pauses == 9000) {
		uint16_t self = sim.this_cpu;
		sim.this_cpu = 1;
		x86_pcpu_retire(&pc1, &hv);
		sim.this_cpu = self;
	}
}

START_TEST(test_retire_wait_takes_a_late_answer)
{
	sim.this_cpu = 1;
	ck_assert_int_eq(x86_vcpu_switch(&pc1, b), 0);
	sim.this_cpu = 0;
	x86_vm_retire(vm_b);
	pause_ns = 100000;
	late_pauses = 0;
	pause_hook = owner_answers_late;
	x86_pcpu_retire_wait(&pc, &hv);             /* the fake powers off unarmed: the test fails */
	ck_assert_uint_eq(late_pauses, 9000);
	ck_assert(!pc.retire_wait);
	ck_assert_uint_eq(clears, 1);
	ck_assert_uint_eq(clear_cpu, 1);
	ck_assert_str_eq(last_log, "");
}
END_TEST

/* A VMCS active on the destroying pCPU itself is VMCLEARed at once; two waiting pCPUs retire each other's. */
START_TEST(test_retire_here_and_while_waiting)
{
	ck_assert_int_eq(x86_vcpu_switch(&pc, a), 0);
	ck_assert_int_eq(x86_vcpu_switch(&pc, b), 0);
	x86_vm_retire(vm_b);                        /* from pCPU0, b's owner */
	ck_assert_uint_eq(clears, 1);
	ck_assert_uint_eq(clear_pa, VMCS_PA(1));
	ck_assert_ptr_null(pc.current);
	ck_assert_uint_eq(kicks[0] + kicks[1], 0);
	ck_assert(!pc.retire_wait);

	sim.this_cpu = 1;                           /* pCPU1 destroys a, active on pCPU0 */
	x86_vm_retire(vm_a);
	ck_assert_uint_eq(kicks[0], 1);
	ck_assert(pc1.retire_wait);
	sim.this_cpu = 0;
	pc.retire_wait = true;                      /* pCPU0 waits for someone too */
	x86_pcpu_retire_wait(&pc, &hv);             /* and does what pCPU1 asked meanwhile */
	ck_assert_uint_eq(clears, 2);
	ck_assert_uint_eq(clear_pa, VMCS_PA(0));
	ck_assert_uint_eq(clear_cpu, 0);
	sim.this_cpu = 1;
	x86_pcpu_retire_wait(&pc1, &hv);
	ck_assert(!pc1.retire_wait);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_vcpu_switch");
	TCase *tc = tcase_create("vcpu_switch");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_switch_keeps_each_vcpus_state);
	tcase_add_test(tc, test_retire_wait_gives_up_on_a_lost_pcpu);
	tcase_add_test(tc, test_retire_wait_takes_a_late_answer);
	tcase_add_test(tc, test_switch_forgets_tsc_aux_and_refuses_a_bad_vmcs);
	tcase_add_test(tc, test_launched_state_is_per_vmcs);
	tcase_add_test(tc, test_pcpu_assign_is_bounded);
	tcase_add_test(tc, test_pcpu_runs_until_nothing_can_run);
	tcase_add_test(tc, test_new_vm_set_up_when_first_picked);
	tcase_add_test(tc, test_new_vm_set_up_failure_stops_it);
	tcase_add_test(tc, test_load_state_applied_before_entry);
	tcase_add_test(tc, test_sipi_state_entered_after_an_earlier_init);
	tcase_add_test(tc, test_load_state_xcr0_limited_to_the_host);
	tcase_add_test(tc, test_host_init_enables_xsave_only_when_present);
	tcase_add_test(tc, test_destroyed_vm_retired_on_its_owner);
	tcase_add_test(tc, test_stale_current_dropped_without_save);
	tcase_add_test(tc, test_retire_here_and_while_waiting);
	suite_add_tcase(s, tc);
	return s;
}
