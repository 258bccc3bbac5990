/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conformance of core's VMX control set (core/vmx_controls.c) with core's
 * exit table (core/exit_dispatch.c), through the platform's own check
 * (platform/x86/vmx_ctls.c, compiled here): the set is resolved against a
 * fake CPU's capability MSRs into a fake VMCS, and every row of the exit
 * table is held against what that VMCS would run with. A row that exits
 * because of a control needs it set; a row the guest runs natively needs
 * its control clear. Then each control core sets is dropped in turn (and
 * each native control set in turn): the check must notice every one.
 */
#define TERN_X86_HOST_TEST 1
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "sim.h"
#include "../../platform/x86/vmx_ctls.c"
#include "exit_dispatch.h"
#include "request.h"
#include "cpuid.h"
#include "cr.h"
#include "err.h"
#include "vm.h"

/*
 * A CPU offering every control, with the reserved "default1" bits fixed to
 * 1 as the TRUE_* capability MSRs of a Haswell (and Bochs's model of it)
 * report them (SDM Vol. 3D A.3-A.5): allowed-0 in bits 31:0.
 */
#define CAP_ALL_ALLOWED 0xffffffff00000000ull
static const struct vmx_caps haswell = {
	.revision = 0x2b,
	.true_ctls = true,
	.pin = CAP_ALL_ALLOWED | 0x00000016u,
	.proc = CAP_ALL_ALLOWED | 0x04006172u,
	.proc2 = CAP_ALL_ALLOWED,
	.exit = CAP_ALL_ALLOWED | 0x00036dfbu,
	.entry = CAP_ALL_ALLOWED | 0x000011fbu,
};

/* The VMCS fields vmcs.c writes from a resolved set. */
struct fake_vmcs {
	uint32_t ctl[VMXC_FIELD_COUNT];
	uint32_t exception_bitmap;
	uint16_t vpid;
};

static struct tern hv;
static struct vm *vm;
static char why[256];

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	vm = sim_create_vm(&hv, "t", 2, true, 0x100000);
	ck_assert_ptr_nonnull(vm);
	why[0] = 0;
}

/* What vmcs.c does with a set: resolve, then write it as given. */
static int apply(const struct vmx_caps *caps, const struct vmx_controls *set, struct fake_vmcs *v)
{
	struct vmx_refusal r;
	memset(v, 0, sizeof(*v));
	int rc = vmx_ctls_resolve(caps, set, v->ctl, &r);
	if (rc)
		return rc;
	v->exception_bitmap = set->exception_bitmap;
	v->vpid = set->vpid;
	return 0;
}

/* SDM Vol. 3C 25.6.2: with "activate secondary controls" clear, all secondary controls act as 0. */
static uint32_t effective(const struct fake_vmcs *v, unsigned field)
{
	if (field == VMXC_PROC2 && !(v->ctl[VMXC_PROC] & VMXC_PROC_ACTIVATE_SECONDARY))
		return 0;
	return v->ctl[field];
}

static bool is_set(const struct fake_vmcs *v, const struct vmx_controls *set, struct exit_ctl c)
{
	if (c.field < VMXC_FIELD_COUNT)
		return (effective(v, c.field) & c.mask) == c.mask;
	if (c.field == EXIT_CTL_EXCEPTION_BITMAP)
		return (v->exception_bitmap & c.mask) == c.mask;
	if (c.field == EXIT_CTL_CR_MASKS)
		return vm->vcpus[0].cr.cr0_mask && vm->vcpus[0].cr.cr4_mask;
	unsigned f = c.field - EXIT_CTL_DYNAMIC(0);
	ck_assert_uint_lt(f, VMXC_FIELD_COUNT);
	/* Core may turn it on at an entry: in its dynamic set, and the field itself active. */
	if (f == VMXC_PROC2 && !(v->ctl[VMXC_PROC] & VMXC_PROC_ACTIVATE_SECONDARY))
		return false;
	return (set->dynamic[f] & c.mask) == c.mask;
}

static bool is_clear(const struct fake_vmcs *v, const struct vmx_controls *set, struct exit_ctl c)
{
	ck_assert_uint_lt(c.field, VMXC_FIELD_COUNT);
	return !(effective(v, c.field) & c.mask) && !(set->dynamic[c.field] & c.mask);
}

static unsigned violated(unsigned n, const char *fmt, unsigned a, unsigned b)
{
	if (n == 0)
		snprintf(why, sizeof(why), fmt, a, b);
	return n + 1;
}

/* How many promises of the exit table and core's state model the VMCS breaks; why: the first. */
static unsigned violations(const struct fake_vmcs *v, const struct vmx_controls *set)
{
	unsigned n = 0;

	for (uint16_t r = 0; r < EXIT_REASON_MAX; r++) {
		const struct exit_reach *e = exit_reach_of(r);
		bool defined = strcmp(exit_reason_name(r), "UNKNOWN") != 0;
		ck_assert_msg((e->kind != EXIT_REACH_UNDEFINED) == defined,
			      "reason %u: reachability %s", r, defined ? "missing" : "for an unused number");
		/* A "control" row names its control, a "native" row the one that must stay off. */
		ck_assert_msg(e->kind != EXIT_REACH_CONTROL || e->need.mask, "reason %u: no control", r);
		ck_assert_msg(e->kind != EXIT_REACH_NATIVE || e->clear.mask, "reason %u: no control", r);
		/* An optional row's control is core's to set when the CPU offers it (vmxc_apic_virt). */
		bool need = e->kind != EXIT_REACH_OPTIONAL || vmxc_apic_virt();
		if (e->need.mask && need && !is_set(v, set, e->need))
			n = violated(n, "reason %u needs field %u set", r, e->need.field);
		if (e->need2.mask && !is_set(v, set, e->need2))
			n = violated(n, "reason %u needs field %u set (2nd)", r, e->need2.field);
		if (e->clear.mask && !is_clear(v, set, e->clear))
			n = violated(n, "reason %u needs field %u clear", r, e->clear.field);
		if (e->clear2.mask && !is_clear(v, set, e->clear2))
			n = violated(n, "reason %u needs field %u clear (2nd)", r, e->clear2.field);
	}
	const struct exit_state_need *s;
	unsigned count = exit_state_needs(&s);
	for (unsigned i = 0; i < count; i++)
		if (!is_set(v, set, s[i].ctl))
			n = violated(n, "state need %u (field %u) missing", i, s[i].ctl.field);
	/* A feature the VM's CPUID shows must not #UD: its enable control follows CPUID. */
	const struct cpuid_entry *e1 = cpuid_find(&vm->cpuid, 0x80000001u, 0);
	bool rdtscp = e1 && (e1->regs[3] & CPUID_80000001_EDX_RDTSCP);
	if (rdtscp != ((effective(v, VMXC_PROC2) & VMXC_PROC2_ENABLE_RDTSCP) != 0))
		n = violated(n, "enable RDTSCP %u, CPUID.80000001:EDX.RDTSCP %u",
			 !!(effective(v, VMXC_PROC2) & VMXC_PROC2_ENABLE_RDTSCP), rdtscp);
	const struct cpuid_entry *l7 = cpuid_find(&vm->cpuid, 7, 0);
	bool invpcid = l7 && (l7->regs[1] & CPUID_7_EBX_INVPCID);
	if (invpcid != ((effective(v, VMXC_PROC2) & VMXC_PROC2_ENABLE_INVPCID) != 0))
		n = violated(n, "enable INVPCID %u, CPUID.7:EBX.INVPCID %u",
			 !!(effective(v, VMXC_PROC2) & VMXC_PROC2_ENABLE_INVPCID), invpcid);
	/* VPID 0 is the host's: a guest with it would share the host's TLB entries (SDM 29.1). */
	if (v->vpid == 0)
		n = violated(n, "VPID %u", 0, 0);
	return n;
}

static struct vmx_controls build(unsigned vcpu)
{
	struct vmx_controls set;
	memset(&set, 0xa5, sizeof(set));
	vmxc_build(&vm->vcpus[vcpu], &set);
	return set;
}

START_TEST(test_core_set_conforms)
{
	for (unsigned i = 0; i < 2; i++) {
		struct vmx_controls set = build(i);
		struct fake_vmcs v;
		ck_assert_int_eq(apply(&haswell, &set, &v), 0);
		ck_assert_msg(violations(&v, &set) == 0, "vcpu %u: %s", i, why);
		/* The reserved bits the CPU fixes to 1 are set; nothing else is added. */
		ck_assert_uint_eq(v.ctl[VMXC_PROC], set.ctl[VMXC_PROC] | 0x04006172u);
		/* Optional: PAUSE-loop exiting, which this CPU has. */
		ck_assert_uint_eq(v.ctl[VMXC_PROC2], set.ctl[VMXC_PROC2] | VMXC_PROC2_PAUSE_LOOP_EXITING);
		ck_assert_uint_eq(v.ctl[VMXC_EXIT], set.ctl[VMXC_EXIT] | 0x00036dfbu);
	}
	/* The CR_ACCESS row's CR0/CR4 exits come from core's masks (cr.h), set at vCPU creation. */
	ck_assert_uint_eq(vm->vcpus[0].cr.cr0_mask, CR_CR0_MASK);
	ck_assert_uint_eq(vm->vcpus[0].cr.cr4_mask, CR_CR4_MASK);
	ck_assert(vm->vcpus[0].cr.dirty);
}
END_TEST

/* Each control core sets or turns on per entry, dropped alone: the check must fail. */
START_TEST(test_dropping_any_control_is_caught)
{
	struct vmx_controls set = build(0);
	unsigned tried = 0;
	for (unsigned f = 0; f < VMXC_FIELD_COUNT; f++) {
		for (unsigned bit = 0; bit < 32; bit++) {
			uint32_t m = 1u << bit;
			if (!((set.ctl[f] | set.dynamic[f]) & m))
				continue;
			struct vmx_controls d = set;
			d.ctl[f] &= ~m;
			d.dynamic[f] &= ~m;
			struct fake_vmcs v;
			ck_assert_int_eq(apply(&haswell, &d, &v), 0);
			ck_assert_msg(violations(&v, &d) > 0, "%s control \"%s\" dropped unnoticed",
				      vmxc_field_name(f), vmxc_control_name(f, bit));
			tried++;
		}
	}
	for (unsigned vec = 0; vec < 32; vec++) {
		if (!(set.exception_bitmap & (1u << vec)))
			continue;
		struct vmx_controls d = set;
		d.exception_bitmap &= ~(1u << vec);
		struct fake_vmcs v;
		ck_assert_int_eq(apply(&haswell, &d, &v), 0);
		ck_assert_msg(violations(&v, &d) > 0, "exception bitmap bit %u dropped unnoticed", vec);
		tried++;
	}
	/* 3 pin + 1 dynamic pin (preemption timer) + 9 primary (TPR shadow, no CR8 exiting)
	 * + 2 dynamic primary + 7 secondary + 1 dynamic secondary (virtualize APIC accesses)
	 * + 6 exit + 2 entry + 1 dynamic entry + #AC, #MC */
	ck_assert_uint_eq(tried, 34);
	struct vmx_controls d = set;
	d.vpid = 0;
	struct fake_vmcs v;
	ck_assert_int_eq(apply(&haswell, &d, &v), 0);
	ck_assert_uint_gt(violations(&v, &d), 0);
}
END_TEST

/* Each control a row needs clear (the guest runs it natively), turned on: the check must fail. */
START_TEST(test_turning_on_a_native_control_is_caught)
{
	struct vmx_controls set = build(0);
	unsigned tried = 0;
	for (uint16_t r = 0; r < EXIT_REASON_MAX; r++) {
		const struct exit_reach *e = exit_reach_of(r);
		const struct exit_ctl *cs[2] = { &e->clear, &e->clear2 };
		for (unsigned k = 0; k < 2; k++) {
			if (!cs[k]->mask)
				continue;
			struct vmx_controls d = set;
			d.ctl[cs[k]->field] |= cs[k]->mask;
			struct fake_vmcs v;
			ck_assert_int_eq(apply(&haswell, &d, &v), 0);
			ck_assert_msg(violations(&v, &d) > 0, "reason %u (%s): native control set unnoticed",
				      r, exit_reason_name(r));
			tried++;
		}
	}
	/* 28 rows' clear / clear2 controls in exit_dispatch.c's table (10 NATIVE, 16 OFF, one
	 * ALSO_OFF, CR_ACCESS's CR3 exiting); TPR-below-threshold, APIC-access and APIC-write are
	 * optional rows (APIC virtualization), not off ones. */
	ck_assert_uint_ge(tried, 28);
	/* RDTSC exiting, for one: RDTSC and RDTSCP are native with the offset. */
	struct vmx_controls d = set;
	d.ctl[VMXC_PROC] |= VMXC_PROC_RDTSC_EXITING;
	struct fake_vmcs v;
	ck_assert_int_eq(apply(&haswell, &d, &v), 0);
	ck_assert_uint_eq(violations(&v, &d), 2);
}
END_TEST

/*
 * An optional control (PAUSE-loop exiting) on a CPU without it: not a
 * refusal, the control stays clear and every promise of the table holds
 * (the time slice alone hands the pCPU on, core/sched_slice.h).
 */
START_TEST(test_optional_control_where_the_cpu_lacks_it)
{
	struct vmx_controls set = build(0);
	ck_assert_uint_eq(set.optional[VMXC_PROC2], VMXC_PROC2_PAUSE_LOOP_EXITING);
	ck_assert_uint_eq(set.ctl[VMXC_PROC2] & VMXC_PROC2_PAUSE_LOOP_EXITING, 0);
	struct vmx_caps no_ple = haswell;
	no_ple.proc2 &= ~((uint64_t)VMXC_PROC2_PAUSE_LOOP_EXITING << 32);
	struct fake_vmcs v;
	ck_assert_int_eq(apply(&no_ple, &set, &v), 0);
	ck_assert_uint_eq(v.ctl[VMXC_PROC2], set.ctl[VMXC_PROC2]);
	ck_assert_msg(violations(&v, &set) == 0, "%s", why);
	ck_assert_int_eq(apply(&haswell, &set, &v), 0);
	ck_assert_uint_ne(v.ctl[VMXC_PROC2] & VMXC_PROC2_PAUSE_LOOP_EXITING, 0);
	ck_assert_msg(violations(&v, &set) == 0, "%s", why);
	/* "PAUSE exiting" (every PAUSE) is never what the optional one means: still caught. */
	set.ctl[VMXC_PROC] |= VMXC_PROC_PAUSE_EXITING;
	ck_assert_int_eq(apply(&haswell, &set, &v), 0);
	ck_assert_uint_gt(violations(&v, &set), 0);
}
END_TEST

/* The enable controls follow the VM's CPUID: hidden features stay #UD, shown ones work. */
START_TEST(test_cpuid_dependent_controls)
{
	struct vmx_controls set = build(0);
	ck_assert(set.ctl[VMXC_PROC2] & VMXC_PROC2_ENABLE_RDTSCP);
	ck_assert(set.ctl[VMXC_PROC2] & VMXC_PROC2_ENABLE_INVPCID);
	const uint32_t e1[4] = { 0, 0, 0x21, 0x2c100800u & ~CPUID_80000001_EDX_RDTSCP };
	const uint32_t l7[4] = { 0, 0x27abu & ~CPUID_7_EBX_INVPCID, 0, 0x9c000000u };
	sim_set_host_cpuid(0x80000001u, 0, e1);
	sim_set_host_cpuid(7, 0, l7);
	struct vm *other = sim_create_vm(&hv, "no-rdtscp", 1, false, 0x100000);
	ck_assert_ptr_nonnull(other);
	vmxc_build(&other->vcpus[0], &set);
	ck_assert(!(set.ctl[VMXC_PROC2] & VMXC_PROC2_ENABLE_RDTSCP));
	ck_assert(!(set.ctl[VMXC_PROC2] & VMXC_PROC2_ENABLE_INVPCID));
	vm = other;
	struct fake_vmcs v;
	ck_assert_int_eq(apply(&haswell, &set, &v), 0);
	ck_assert_msg(violations(&v, &set) == 0, "%s", why);
}
END_TEST

/* One VPID per vCPU of every VM slot, never 0 (SDM Vol. 3C 29.1). */
START_TEST(test_vpids_distinct_and_nonzero)
{
	uint8_t seen[TERN_MAX_VMS * TERN_MAX_VCPUS + 1] = { 0 };
	static struct vm vms[TERN_MAX_VMS];
	for (unsigned i = 0; i < TERN_MAX_VMS; i++) {
		vms[i].id = (uint16_t)i;
		for (unsigned c = 0; c < TERN_MAX_VCPUS; c++) {
			vms[i].vcpus[c].vm = &vms[i];
			vms[i].vcpus[c].id = (uint16_t)c;
			uint16_t vpid = vmxc_vpid(&vms[i].vcpus[c]);
			ck_assert_uint_ne(vpid, 0);
			ck_assert_uint_le(vpid, TERN_MAX_VMS * TERN_MAX_VCPUS);
			ck_assert_uint_eq(seen[vpid], 0);
			seen[vpid] = 1;
		}
	}
	struct vmx_controls set = build(1);
	ck_assert_uint_eq(set.vpid, vmxc_vpid(&vm->vcpus[1]));
	ck_assert_uint_ne(set.vpid, build(0).vpid);
}
END_TEST

static struct vmx_refusal refusal(const struct vmx_caps *caps, int *rc)
{
	struct vmx_controls set = build(0);
	struct vmx_refusal r = { VMXC_FIELD_COUNT, 99, false };
	uint32_t out[VMXC_FIELD_COUNT];
	*rc = vmx_ctls_resolve(caps, &set, out, &r);
	return r;
}

static uint64_t *cap_field(struct vmx_caps *c, unsigned f)
{
	uint64_t *p[VMXC_FIELD_COUNT] = { &c->pin, &c->proc, &c->proc2, &c->exit, &c->entry };
	return p[f];
}

/* A CPU without any one control core needs: refused, naming exactly that control. */
START_TEST(test_missing_control_is_named)
{
	struct vmx_controls set = build(0);
	unsigned tried = 0;
	for (unsigned f = 0; f < VMXC_FIELD_COUNT; f++) {
		for (unsigned bit = 0; bit < 32; bit++) {
			if (!((set.ctl[f] | set.dynamic[f]) & (1u << bit)))
				continue;
			struct vmx_caps c = haswell;
			*cap_field(&c, f) &= ~((uint64_t)1 << (32 + bit));
			int rc;
			struct vmx_refusal r = refusal(&c, &rc);
			ck_assert_int_eq(rc, -TERN_ENOTSUP);
			ck_assert_uint_eq(r.field, f);
			ck_assert_uint_eq(r.bit, bit);
			ck_assert(!r.forced_on);
			ck_assert_ptr_nonnull(vmxc_control_name(f, bit));
			tried++;
		}
	}
	ck_assert_uint_eq(tried, 32);
	/* The one the issue names. */
	struct vmx_caps c = haswell;
	c.proc &= ~((uint64_t)VMXC_PROC_RDPMC_EXITING << 32);
	int rc;
	struct vmx_refusal r = refusal(&c, &rc);
	ck_assert_int_eq(rc, -TERN_ENOTSUP);
	ck_assert_str_eq(vmxc_field_name(r.field), "processor-based");
	ck_assert_str_eq(vmxc_control_name(r.field, r.bit), "RDPMC exiting");
}
END_TEST

/*
 * A CPU that fixes to 1 a control core needs clear (CR3-load exiting on a
 * CPU without true controls; a window-exiting control core must be able to
 * turn off) is refused too; reserved fixed-1 bits are simply set.
 */
START_TEST(test_forced_control_is_named)
{
	struct vmx_caps c = haswell;
	c.proc |= VMXC_PROC_CR3_LOAD_EXITING | VMXC_PROC_CR3_STORE_EXITING;
	int rc;
	struct vmx_refusal r = refusal(&c, &rc);
	ck_assert_int_eq(rc, -TERN_ENOTSUP);
	ck_assert_uint_eq(r.field, VMXC_PROC);
	ck_assert_str_eq(vmxc_control_name(r.field, r.bit), "CR3-load exiting");
	ck_assert(r.forced_on);

	c = haswell;
	c.proc |= VMXC_PROC_INT_WINDOW_EXITING;
	r = refusal(&c, &rc);
	ck_assert_int_eq(rc, -TERN_ENOTSUP);
	ck_assert_str_eq(vmxc_control_name(r.field, r.bit), "interrupt-window exiting");
	ck_assert(r.forced_on);

	c = haswell;
	c.exit |= VMXC_EXIT_SAVE_DEBUG; /* IA32_VMX_EXIT_CTLS without the TRUE_ variant */
	r = refusal(&c, &rc);
	ck_assert_int_eq(rc, -TERN_ENOTSUP);
	ck_assert_str_eq(vmxc_field_name(r.field), "VM-exit");
	ck_assert_str_eq(vmxc_control_name(r.field, r.bit), "save debug controls");

	/* Reserved bit 1 of the pin-based controls fixed to 1: set, no refusal. */
	c = haswell;
	struct vmx_controls set = build(0);
	uint32_t out[VMXC_FIELD_COUNT];
	ck_assert_int_eq(vmx_ctls_resolve(&c, &set, out, &r), 0);
	ck_assert_uint_eq(out[VMXC_PIN], set.ctl[VMXC_PIN] | 0x16u);
	ck_assert_uint_eq(out[VMXC_ENTRY], set.ctl[VMXC_ENTRY] | 0x11fbu);
	ck_assert(!(out[VMXC_ENTRY] & VMXC_ENTRY_IA32E_MODE_GUEST)); /* dynamic: off at setup */
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(vmxc_field_name(VMXC_PIN), "pin-based");
	ck_assert_str_eq(vmxc_field_name(VMXC_PROC2), "secondary processor-based");
	ck_assert_str_eq(vmxc_field_name(VMXC_ENTRY), "VM-entry");
	ck_assert_str_eq(vmxc_field_name(VMXC_FIELD_COUNT), "unknown");
	ck_assert_str_eq(vmxc_control_name(VMXC_PROC, 10), "MWAIT exiting");
	ck_assert_str_eq(vmxc_control_name(VMXC_PROC, 29), "MONITOR exiting");
	ck_assert_str_eq(vmxc_control_name(VMXC_PROC2, 6), "WBINVD exiting");
	ck_assert_str_eq(vmxc_control_name(VMXC_EXIT, 15), "acknowledge interrupt on exit");
	ck_assert_ptr_null(vmxc_control_name(VMXC_PIN, 1));   /* reserved */
	ck_assert_ptr_null(vmxc_control_name(VMXC_PROC, 32));
	ck_assert_ptr_null(vmxc_control_name(VMXC_FIELD_COUNT, 0));
	ck_assert_ptr_null(exit_reach_of(EXIT_REASON_MAX));
}
END_TEST

/*
 * INVVPID where the VMM owes it (SDM Vol. 3C 29.4.3.3): before a new
 * vCPU's first entry (its VPID may have served the slot's previous VM) and
 * after a whole state was loaded from outside the guest. Once each.
 */
START_TEST(test_vpid_invalidation_requests)
{
	struct vcpu *v = &vm->vcpus[1];
	ck_assert((v->requests & VCPU_REQ_FLUSH_VPID));
	vcpu_pre_entry(v);
	ck_assert_uint_eq(sim.vms[vm->id].vpid_invalidations[1], 1);
	ck_assert_uint_eq(sim.vms[vm->id].vpid_invalidations[0], 0);
	ck_assert(!(v->requests & VCPU_REQ_FLUSH_VPID));
	vcpu_pre_entry(v);
	ck_assert_uint_eq(sim.vms[vm->id].vpid_invalidations[1], 1);
	cr_adopt_load_state(v, X86_CR0_PE, 0);
	ck_assert((v->requests & VCPU_REQ_FLUSH_VPID));
	vcpu_pre_entry(v);
	ck_assert_uint_eq(sim.vms[vm->id].vpid_invalidations[1], 2);
}
END_TEST

/* With ack-on-exit the record holds the vector; one without it is a broken contract. */
START_TEST(test_extint_needs_acknowledged_vector)
{
	struct vcpu *v = &vm->vcpus[0];
	struct exit_record ex = { .reason = EXIT_REASON_EXTERNAL_INTERRUPT,
				  .intr_info = INTR_INFO_VALID | 0x30 };
	vcpu_cache_reset(v);
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_RESUME);
	ck_assert(!v->event.valid);
	ck_assert_uint_eq(v->reg_dirty, 0);
	ex.intr_info = INTR_INFO_VALID | (INTR_TYPE_NMI << INTR_INFO_TYPE_SHIFT) | 2;
	ck_assert_int_eq(vcpu_handle_exit(v, &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_INTERNAL);
	ck_assert_uint_eq(vm->stop_detail, EXIT_REASON_EXTERNAL_INTERRUPT);
	ck_assert(sim_log_contains("without an acknowledged vector"));
}
END_TEST

START_TEST(test_extint_without_info_stops)
{
	struct exit_record ex = { .reason = EXIT_REASON_EXTERNAL_INTERRUPT };
	vcpu_cache_reset(&vm->vcpus[0]);
	ck_assert_int_eq(vcpu_handle_exit(&vm->vcpus[0], &ex), EXIT_ACTION_STOP);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_INTERNAL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vmx_controls");
	TCase *tc = tcase_create("vmx_controls");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_core_set_conforms);
	tcase_add_test(tc, test_dropping_any_control_is_caught);
	tcase_add_test(tc, test_turning_on_a_native_control_is_caught);
	tcase_add_test(tc, test_cpuid_dependent_controls);
	tcase_add_test(tc, test_vpids_distinct_and_nonzero);
	tcase_add_test(tc, test_missing_control_is_named);
	tcase_add_test(tc, test_forced_control_is_named);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_vpid_invalidation_requests);
	tcase_add_test(tc, test_extint_needs_acknowledged_vector);
	tcase_add_test(tc, test_optional_control_where_the_cpu_lacks_it);
	tcase_add_test(tc, test_extint_without_info_stops);
	suite_add_tcase(s, tc);
	return s;
}
