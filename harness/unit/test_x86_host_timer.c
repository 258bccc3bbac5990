/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VMX-preemption timer value (platform/x86/host_timer.c): from a guest
 * TSC deadline and the vCPU's TSC offset, rounded so that it never fires
 * before the deadline, saturated, and safe for hostile deadlines.
 */
#include <string.h>
#include "unit.h"
#include "../../platform/x86/host_timer.c"

START_TEST(rate_and_rounding)
{
	/* 1000 TSC ticks at rate 0: 1000 units, plus the short first one. */
	ck_assert_uint_eq(host_timer_value(2000, 0, 1000, 0), 1001);
	/* rate 3: 1000/8 = 125 exactly, + 1; 1001/8 rounds up to 126, + 1. */
	ck_assert_uint_eq(host_timer_value(2000, 0, 1000, 3), 126);
	ck_assert_uint_eq(host_timer_value(2001, 0, 1000, 3), 127);
	/* The rate is IA32_VMX_MISC bits 4:0 only. */
	ck_assert_uint_eq(host_timer_value(2000, 0, 1000, 3 | 0x20), 126);
	/* Never early: value - 1 whole units cover the distance. */
	for (unsigned rate = 0; rate < 32; rate++) {
		uint64_t delta = 123456789ull;
		uint64_t v = host_timer_value(1000 + delta, 0, 1000, rate);
		ck_assert_uint_ge((v - 1) << rate, delta);
		ck_assert_uint_lt((v - 2) << rate, delta);
	}
}
END_TEST

START_TEST(offset_maps_guest_to_host)
{
	/* guest TSC = host TSC + offset: a guest 1e9 behind the host (offset -1e9). */
	uint64_t off = (uint64_t)-1000000000ll;
	ck_assert_uint_eq(host_timer_value(5000, off, 1000000000ull, 0), 5001);
	/* A guest ahead of the host. */
	ck_assert_uint_eq(host_timer_value(1000000500ull, 1000000000ull, 400, 0), 101);
}
END_TEST

START_TEST(passed_none_and_saturated)
{
	ck_assert_uint_eq(host_timer_value(999, 0, 1000, 5), 0);
	ck_assert_uint_eq(host_timer_value(1000, 0, 1000, 5), 0);
	ck_assert_uint_eq(host_timer_value(UINT64_MAX, 0, 1000, 5), HOST_TIMER_MAX);
	ck_assert_uint_eq(host_timer_value(UINT64_MAX, 12345, 1000, 0), HOST_TIMER_MAX);
	/* Further than 32 bits of units reach. */
	ck_assert_uint_eq(host_timer_value(1ull << 40, 0, 0, 5), HOST_TIMER_MAX);
	ck_assert_uint_eq(host_timer_value(UINT64_MAX - 1, 0, 0, 31), HOST_TIMER_MAX);
	/* A guest deadline below its offset wraps to far ahead: saturated, not an exit storm. */
	ck_assert_uint_eq(host_timer_value(10, 1000, 5000, 0), HOST_TIMER_MAX);
}
END_TEST

/* The pin control: on with a deadline where core lists it dynamic, off otherwise; nothing else moves. */
START_TEST(pin_control_follows_the_deadline)
{
	const uint32_t base = VMXC_PIN_EXT_INT_EXITING | VMXC_PIN_NMI_EXITING | VMXC_PIN_VIRTUAL_NMIS;
	const uint32_t t = VMXC_PIN_PREEMPTION_TIMER;
	ck_assert_uint_eq(host_timer_pin_ctls(base, t, 12345), base | t);
	ck_assert_uint_eq(host_timer_pin_ctls(base | t, t, 0), base | t);
	ck_assert_uint_eq(host_timer_pin_ctls(base | t, t, UINT64_MAX), base);
	ck_assert_uint_eq(host_timer_pin_ctls(base, t, UINT64_MAX), base);
	/* Not dynamic (the CPU lacks the timer): never turned on. */
	ck_assert_uint_eq(host_timer_pin_ctls(base, 0, 12345), base);
	/* Only the timer's bit of `dynamic` is this function's. */
	ck_assert_uint_eq(host_timer_pin_ctls(base, ~0u, 1), base | t);
	ck_assert_uint_eq(host_timer_pin_ctls(0, ~0u, UINT64_MAX), 0);
}
END_TEST

/* A tern whose VM 1 has three vCPUs: the fields the idle decisions read, nothing else. */
static struct tern hv;
static struct vcpu *three_vcpus(void)
{
	memset(&hv, 0, sizeof(hv));
	struct vm *vm = &hv.vms[1];
	vm->state = VM_STATE_RUNNING;
	vm->config.vcpu_count = 3;
	vm->hv = &hv;
	for (unsigned i = 0; i < 3; i++) {
		vm->vcpus[i].vm = vm;
		vcpu_bind_pcpu(&vm->vcpus[i], 0);
		vm->vcpus[i].state = VCPU_STATE_RUNNABLE;
		vm->vcpus[i].timer_deadline = UINT64_MAX;
	}
	return vm->vcpus;
}

static struct vcpu *expired_v[8];
static uint64_t expired_now[8];
static unsigned nexpired;
static void record_expired(struct vcpu *v, uint64_t now)
{
	ck_assert_uint_lt(nexpired, 8);
	expired_v[nexpired] = v;
	expired_now[nexpired++] = now;
}

/*
 * The earliest host deadline among the pCPU's halted vCPUs with a timer;
 * runnable ones, other pCPUs' and powered-off VMs' do not count.
 */
START_TEST(idle_deadline_is_the_earliest_waiting)
{
	struct vcpu *v = three_vcpus();
	ck_assert_uint_eq(host_timer_idle_deadline(&hv, 0), UINT64_MAX);
	/* Runnable with a deadline: its own preemption timer's, not the idle wait's. */
	v[0].timer_deadline = 100;
	ck_assert_uint_eq(host_timer_idle_deadline(&hv, 0), UINT64_MAX);
	v[0].state = VCPU_STATE_HALTED;
	v[0].timer_deadline = 9000;
	v[0].msr.tsc_offset = 1000;                    /* host = guest - offset */
	ck_assert_uint_eq(host_timer_idle_deadline(&hv, 0), 8000);
	v[1].state = VCPU_STATE_HALTED;
	v[1].timer_deadline = 7000;
	v[1].msr.tsc_offset = (uint64_t)-500;          /* a guest behind the host: host 7500 */
	ck_assert_uint_eq(host_timer_idle_deadline(&hv, 0), 7500);
	/* Halted without a timer: a kick's business only. */
	v[2].state = VCPU_STATE_HALTED;
	ck_assert_uint_eq(host_timer_idle_deadline(&hv, 0), 7500);
	/* Another pCPU's vCPU is that pCPU's to wake. */
	vcpu_bind_pcpu(&v[1], 1);
	ck_assert_uint_eq(host_timer_idle_deadline(&hv, 0), 8000);
	ck_assert_uint_eq(host_timer_idle_deadline(&hv, 1), 7500);
	/* A vCPU beyond the VM's count, a VM powered off: nobody's. */
	hv.vms[1].config.vcpu_count = 1;
	ck_assert_uint_eq(host_timer_idle_deadline(&hv, 1), UINT64_MAX);
	hv.vms[1].state = VM_STATE_POWERED_OFF;
	ck_assert_uint_eq(host_timer_idle_deadline(&hv, 0), UINT64_MAX);
}
END_TEST

/* Exactly the waiting vCPUs whose host deadline is at or before now expire. */
START_TEST(expire_only_what_passed)
{
	struct vcpu *v = three_vcpus();
	nexpired = 0;
	v[0].state = v[1].state = v[2].state = VCPU_STATE_HALTED;
	v[0].timer_deadline = 8000;
	v[1].timer_deadline = 8001;
	v[2].timer_deadline = 100;
	vcpu_bind_pcpu(&v[2], 1);
	ck_assert_uint_eq(host_timer_expire(&hv, 0, 7999, record_expired), 0);
	ck_assert_uint_eq(nexpired, 0);
	ck_assert_uint_eq(host_timer_expire(&hv, 0, 8000, record_expired), 1);
	ck_assert_uint_eq(nexpired, 1);
	ck_assert_ptr_eq(expired_v[0], &v[0]);
	ck_assert_uint_eq(expired_now[0], 8000);
	nexpired = 0;
	ck_assert_uint_eq(host_timer_expire(&hv, 0, 9000, record_expired), 2);
	ck_assert_ptr_eq(expired_v[0], &v[0]);
	ck_assert_ptr_eq(expired_v[1], &v[1]);
	/* The offset maps the guest's deadline to the host's. */
	nexpired = 0;
	v[1].msr.tsc_offset = (uint64_t)-1000;         /* host deadline 9001 */
	ck_assert_uint_eq(host_timer_expire(&hv, 0, 9000, record_expired), 1);
	ck_assert_ptr_eq(expired_v[0], &v[0]);
}
END_TEST

/* One-shot counts: rounded up and one more, never 0, saturated. */
START_TEST(oneshot_count_from_the_rate)
{
	const uint64_t one = 1ull << 32;               /* one LAPIC tick per TSC tick */
	ck_assert_uint_eq(host_timer_oneshot_count(1000, one), 1001);
	ck_assert_uint_eq(host_timer_oneshot_count(1000, one / 4), 251);
	ck_assert_uint_eq(host_timer_oneshot_count(1001, one / 4), 252);  /* 250.25 -> 251, + 1 */
	ck_assert_uint_eq(host_timer_oneshot_count(0, one), 1);           /* passed: at once, not stopped */
	ck_assert_uint_eq(host_timer_oneshot_count(0, 0), 1);
	ck_assert_uint_eq(host_timer_oneshot_count(1ull << 40, one), HOST_TIMER_MAX);
	/* A LAPIC faster than the TSC and a huge wait: no overflow, saturated. */
	ck_assert_uint_eq(host_timer_oneshot_count(UINT64_MAX, 3 * one), HOST_TIMER_MAX);
	/* Never early: (count - 1) ticks cover the wait at the rate. */
	for (uint64_t d = 1; d < 100000; d = d * 3 + 1) {
		uint64_t rate = one / 3;
		uint64_t c = host_timer_oneshot_count(d, rate);
		ck_assert_uint_ge((unsigned __int128)(c - 1) << 32, (unsigned __int128)d * rate);
	}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("x86_host_timer");
	TCase *tc = tcase_create("host_timer");
	tcase_add_test(tc, rate_and_rounding);
	tcase_add_test(tc, offset_maps_guest_to_host);
	tcase_add_test(tc, passed_none_and_saturated);
	tcase_add_test(tc, pin_control_follows_the_deadline);
	tcase_add_test(tc, idle_deadline_is_the_earliest_waiting);
	tcase_add_test(tc, expire_only_what_passed);
	tcase_add_test(tc, oneshot_count_from_the_rate);
	suite_add_tcase(s, tc);
	return s;
}
