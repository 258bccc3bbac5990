/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The image's VMCS set-up (platform/x86/vmcs.c) against a fake VMCS: core's
 * control set is written verbatim (plus only the reserved bits the CPU fixes
 * to 1), with the VPID and exception bitmap; a CPU that cannot run the set
 * is refused with the line naming the control, before any control is
 * written. The privileged instructions are functions here
 * (TERN_X86_HOST_TEST, platform/x86/cpu.h).
 */
#define TERN_X86_HOST_TEST 1
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "unit.h"
#include "sim.h"
#include "platform.h"
#include "../../platform/x86/vmcs.c"
#include "../../platform/x86/vmx_ctls.c"

#define VMCS_FIELDS 0x7000

static uint64_t vmcs[VMCS_FIELDS];
static bool written[VMCS_FIELDS];
static char logged[1024];
static struct x86_vm fake_xvm;
static uint8_t vmcs_page[4096];
static struct tern hv;
static struct vm *vm;
char vmx_exit_entry[1];

/* ---- fakes ---------------------------------------------------------------- */
bool vmx_write(uint32_t field, uint64_t value)
{
	ck_assert_uint_lt(field, VMCS_FIELDS);
	vmcs[field] = value;
	written[field] = true;
	return true;
}
uint64_t vmx_read(uint32_t field)
{
	ck_assert_uint_lt(field, VMCS_FIELDS);
	return vmcs[field];
}
bool vmx_clear(uint64_t pa) { (void)pa; return true; }
bool vmx_ptrld(uint64_t pa) { (void)pa; return true; }
const char *vmx_instruction_error_name(uint32_t err) { (void)err; return "?"; }
void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	(void)sub;
	memset(out, 0, 16);
	if (leaf == 0x80000001u)
		out[3] = CPUID_80000001_EDX_RDTSCP;
}
uint64_t rdmsr(uint32_t msr) { (void)msr; return 0; }
uint64_t read_cr0(void) { return 0x80050033ull; }
uint64_t read_cr3(void) { return 0x1000; }
uint64_t read_cr4(void) { return 0x2620; }
uint64_t desc_gdt_base(void) { return 0x2000; }
uint64_t desc_idt_base(void) { return 0x3000; }
uint64_t desc_tss_base(void) { return 0x4000; }
void x86_log(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(logged);
	va_start(ap, fmt);
	vsnprintf(logged + n, sizeof(logged) - n, fmt, ap);
	va_end(ap);
	n = strlen(logged);
	if (n + 1 < sizeof(logged))
		logged[n] = '\n', logged[n + 1] = 0;
}
struct x86_vm *xvm_of(const struct vm *v) { (void)v; return &fake_xvm; }

/* TRUE_* capability MSRs of a CPU with every control; reserved default1 bits fixed to 1. */
static const struct vmx_caps haswell = {
	.revision = 0x2b,
	.true_ctls = true,
	.pin = 0xffffffff00000016ull,
	.proc = 0xffffffff04006172ull,
	.proc2 = 0xffffffff00000000ull,
	.exit = 0xffffffff00036dfbull,
	.entry = 0xffffffff000011fbull,
	.ept_vpid = EPT_CAP_WALK_4 | EPT_CAP_WB | EPT_CAP_INVEPT | EPT_CAP_INVEPT_SINGLE |
		    EPT_CAP_INVVPID | EPT_CAP_INVVPID_SINGLE,
	.cr0_fixed0 = 0x80000021ull, .cr0_fixed1 = 0xffffffffull,
	.cr4_fixed0 = 0x2000ull, .cr4_fixed1 = 0x3767ffull,
};

static void use_caps(const struct vmx_caps *caps);

static void setup(void)
{
	memset(vmcs, 0, sizeof(vmcs));
	memset(written, 0, sizeof(written));
	memset(&fake_xvm, 0, sizeof(fake_xvm));
	logged[0] = 0;
	sim_reset();
	use_caps(&haswell);
}

/*
 * Core decides on what platform/x86's plat_vmx_ctl_cap reports for this
 * CPU (vmx_ctl_cap_reported): the image's configuration, not the sim's.
 */
static void use_caps(const struct vmx_caps *caps)
{
	for (unsigned f = 0; f < VMXC_FIELD_COUNT; f++)
		sim.vmx_ctl_cap[f] = vmx_ctl_cap_reported(caps, f);
	tern_init(&hv);
	vm = sim_create_vm(&hv, "t", 1, true, 0x100000);
	ck_assert_ptr_nonnull(vm);
	fake_xvm.vcpus[0].vmcs = vmcs_page;
	fake_xvm.apic_access_hpa = plat_apic_access_page(vm);
}

START_TEST(test_core_set_written_verbatim)
{
	struct vcpu *v = &vm->vcpus[0];
	struct vmx_controls set;
	vmxc_build(v, &set);
	ck_assert_int_eq(vmcs_setup(v, &haswell), 0);
	ck_assert_uint_eq(vmcs[VMCS_PIN_CONTROLS], set.ctl[VMXC_PIN] | 0x16u);
	ck_assert_uint_eq(vmcs[VMCS_PROC_CONTROLS], set.ctl[VMXC_PROC] | 0x04006172u);
	/* The optional control this CPU has: PAUSE-loop exiting, with core's gap and window. */
	ck_assert_uint_eq(vmcs[VMCS_PROC_CONTROLS2], set.ctl[VMXC_PROC2] | VMXC_PROC2_PAUSE_LOOP_EXITING);
	ck_assert_uint_eq(vmcs[VMCS_PLE_GAP], VMXC_PLE_GAP);
	ck_assert_uint_eq(vmcs[VMCS_PLE_WINDOW], VMXC_PLE_WINDOW);
	ck_assert_uint_eq(vmcs[VMCS_EXIT_CONTROLS], set.ctl[VMXC_EXIT] | 0x00036dfbu);
	ck_assert_uint_eq(vmcs[VMCS_ENTRY_CONTROLS], set.ctl[VMXC_ENTRY] | 0x000011fbu);
	/* The controls the issue names are really in the VMCS. */
	ck_assert(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_RDPMC_EXITING);
	ck_assert(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_MONITOR_EXITING);
	ck_assert(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_MWAIT_EXITING);
	/* APIC virtualization (SDM 29): CR8 on the TPR shadow, the two pages, threshold 0. */
	ck_assert(!(vmcs[VMCS_PROC_CONTROLS] & (VMXC_PROC_CR8_LOAD_EXITING | VMXC_PROC_CR8_STORE_EXITING)));
	ck_assert(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_USE_TPR_SHADOW);
	ck_assert(vmcs[VMCS_PROC_CONTROLS2] & VMXC_PROC2_APIC_REG_VIRT);
	ck_assert(!(vmcs[VMCS_PROC_CONTROLS2] & (VMXC_PROC2_VIRT_INTR_DELIVERY | VMXC_PROC2_VIRT_X2APIC)));
	/* "Virtualize APIC accesses" is core's per-entry control: off until run.c's first entry. */
	ck_assert(!(vmcs[VMCS_PROC_CONTROLS2] & VMXC_PROC2_VIRT_APIC_ACCESS));
	ck_assert_uint_eq(fake_xvm.vcpus[0].apic_access_ok, VMXC_PROC2_VIRT_APIC_ACCESS);
	ck_assert_uint_eq(fake_xvm.vcpus[0].proc2_ctls, vmcs[VMCS_PROC_CONTROLS2]);
	ck_assert_uint_eq(vmcs[VMCS_VIRTUAL_APIC_ADDR], virt_to_phys(v->lapic.page));
	ck_assert_uint_eq(vmcs[VMCS_VIRTUAL_APIC_ADDR] & 0xfff, 0);
	ck_assert(written[VMCS_APIC_ACCESS_ADDR]);
	ck_assert_uint_eq(vmcs[VMCS_APIC_ACCESS_ADDR], plat_apic_access_page(vm));
	ck_assert(written[VMCS_TPR_THRESHOLD]);
	ck_assert_uint_eq(vmcs[VMCS_TPR_THRESHOLD], 0);
	ck_assert(vmcs[VMCS_PROC_CONTROLS2] & VMXC_PROC2_WBINVD_EXITING);
	ck_assert(vmcs[VMCS_PROC_CONTROLS2] & VMXC_PROC2_ENABLE_VPID);
	ck_assert(vmcs[VMCS_EXIT_CONTROLS] & VMXC_EXIT_ACK_INT_ON_EXIT);
	ck_assert(!(vmcs[VMCS_PROC_CONTROLS] & (VMXC_PROC_CR3_LOAD_EXITING | VMXC_PROC_RDTSC_EXITING)));
	ck_assert(!(vmcs[VMCS_ENTRY_CONTROLS] & VMXC_ENTRY_IA32E_MODE_GUEST));
	ck_assert(written[VMCS_VPID]);
	ck_assert_uint_eq(vmcs[VMCS_VPID], vmxc_vpid(v));
	ck_assert_uint_ne(vmcs[VMCS_VPID], 0);
	ck_assert_uint_eq(vmcs[VMCS_EXCEPTION_BITMAP], EXIT_EXCEPTION_BITMAP);
	ck_assert_uint_eq(vmcs[VMCS_MSR_BITMAP], virt_to_phys(vm->msr_bitmap.bits));
	/* No I/O bitmaps: the addresses stay unwritten, as "use I/O bitmaps" is clear. */
	ck_assert(!written[VMCS_IO_BITMAP_A] && !written[VMCS_IO_BITMAP_B]);
	ck_assert_uint_eq(fake_xvm.vcpus[0].window_ok,
			  VMXC_PROC_INT_WINDOW_EXITING | VMXC_PROC_NMI_WINDOW_EXITING);
	ck_assert_uint_eq(fake_xvm.vcpus[0].proc_ctls, vmcs[VMCS_PROC_CONTROLS]);
	ck_assert_str_eq(logged, "");
}
END_TEST

static void expect_refusal(const struct vmx_caps *caps, const char *line)
{
	ck_assert_int_eq(vmcs_setup(&vm->vcpus[0], caps), -TERN_ENOTSUP);
	ck_assert_msg(strstr(logged, line) != NULL, "log was: %s", logged);
	/* Refused before any control is written. */
	ck_assert(!written[VMCS_PIN_CONTROLS] && !written[VMCS_PROC_CONTROLS]);
}

/* A CPU without PAUSE-loop exiting (the optional control): it starts, without PLE fields. */
START_TEST(test_without_pause_loop_exiting_starts)
{
	struct vcpu *v = &vm->vcpus[0];
	struct vmx_caps caps = haswell;
	caps.proc2 &= ~((uint64_t)VMXC_PROC2_PAUSE_LOOP_EXITING << 32);
	ck_assert_int_eq(vmcs_setup(v, &caps), 0);
	ck_assert_uint_eq(vmcs[VMCS_PROC_CONTROLS2] & VMXC_PROC2_PAUSE_LOOP_EXITING, 0);
	ck_assert(!written[VMCS_PLE_GAP] && !written[VMCS_PLE_WINDOW]);
	ck_assert(!strstr(logged, "REFUSED"));
}
END_TEST

/*
 * What the image reports (vmx_ctl_cap_reported): every capability as the
 * CPU has it, but virtual-interrupt delivery, which it does not implement.
 */
START_TEST(test_reported_caps)
{
	struct vmx_caps c = haswell;
	c.proc2 = 0x000fffff00000000ull;
	ck_assert_uint_eq(vmx_ctl_cap_reported(&c, VMXC_PIN), c.pin);
	ck_assert_uint_eq(vmx_ctl_cap_reported(&c, VMXC_PROC), c.proc);
	ck_assert_uint_eq(vmx_ctl_cap_reported(&c, VMXC_PROC2), 0x000ffdff00000000ull);
	ck_assert_uint_eq(vmx_ctl_cap_reported(&c, VMXC_EXIT), c.exit);
	ck_assert_uint_eq(vmx_ctl_cap_reported(&c, VMXC_ENTRY), c.entry);
	ck_assert_uint_eq(vmx_ctl_cap_reported(&c, VMXC_FIELD_COUNT), 0);
}
END_TEST

/*
 * A CPU without APIC-register virtualization (a real i7-4770): CR8 exits,
 * no virtual-APIC or APIC-access page, nothing at 0xFEE00000 in the EPT.
 */
START_TEST(test_without_apic_register_virtualization)
{
	struct vmx_caps c = haswell;
	c.proc2 &= ~((uint64_t)VMXC_PROC2_APIC_REG_VIRT << 32);
	sim_reset();
	memset(written, 0, sizeof(written));
	use_caps(&c);
	struct vcpu *v = &vm->vcpus[0];
	ck_assert_int_eq(vmcs_setup(v, &c), 0);
	ck_assert(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_CR8_LOAD_EXITING);
	ck_assert(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_CR8_STORE_EXITING);
	ck_assert(!(vmcs[VMCS_PROC_CONTROLS] & VMXC_PROC_USE_TPR_SHADOW));
	ck_assert(!(vmcs[VMCS_PROC_CONTROLS2] & (VMXC_PROC2_APIC_REG_VIRT | VMXC_PROC2_VIRT_APIC_ACCESS)));
	ck_assert_uint_eq(fake_xvm.vcpus[0].apic_access_ok, 0);
	ck_assert(!written[VMCS_VIRTUAL_APIC_ADDR] && !written[VMCS_APIC_ACCESS_ADDR] &&
		  !written[VMCS_TPR_THRESHOLD]);
	ck_assert(!vm->apic_access_mapped);
	ck_assert_str_eq(logged, "");
}
END_TEST

START_TEST(test_missing_rdpmc_exiting_refused)
{
	struct vmx_caps c = haswell;
	c.proc &= ~((uint64_t)VMXC_PROC_RDPMC_EXITING << 32);
	expect_refusal(&c, "REFUSED: VMX processor-based control \"RDPMC exiting\" not supported by this CPU\n");
}
END_TEST

START_TEST(test_missing_wbinvd_exiting_refused)
{
	struct vmx_caps c = haswell;
	c.proc2 &= ~((uint64_t)VMXC_PROC2_WBINVD_EXITING << 32);
	expect_refusal(&c, "REFUSED: VMX secondary processor-based control \"WBINVD exiting\" not supported by this CPU\n");
}
END_TEST

START_TEST(test_forced_cr3_exiting_refused)
{
	struct vmx_caps c = haswell;
	c.proc |= VMXC_PROC_CR3_LOAD_EXITING;
	expect_refusal(&c, "REFUSED: VMX processor-based control \"CR3-load exiting\" cannot be turned off on this CPU\n");
}
END_TEST

START_TEST(test_vpid_without_invvpid_refused)
{
	struct vmx_caps c = haswell;
	c.ept_vpid &= ~EPT_CAP_INVVPID;
	expect_refusal(&c, "REFUSED: VMX has VPIDs but no INVVPID (IA32_VMX_EPT_VPID_CAP)\n");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_vmcs");
	TCase *tc = tcase_create("x86_vmcs");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_core_set_written_verbatim);
	tcase_add_test(tc, test_without_pause_loop_exiting_starts);
	tcase_add_test(tc, test_reported_caps);
	tcase_add_test(tc, test_without_apic_register_virtualization);
	tcase_add_test(tc, test_missing_rdpmc_exiting_refused);
	tcase_add_test(tc, test_missing_wbinvd_exiting_refused);
	tcase_add_test(tc, test_forced_cr3_exiting_refused);
	tcase_add_test(tc, test_vpid_without_invvpid_refused);
	suite_add_tcase(s, tc);
	return s;
}
