/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>
#include "unit.h"
#include "err.h"
#include "sim.h"
#include "vm.h"

static struct tern hv;

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
}

static struct vm_config cfg_of(const char *name, uint16_t vcpus, bool service)
{
	struct vm_config c;
	memset(&c, 0, sizeof(c));
	strcpy(c.name, name);
	c.vcpu_count = vcpus;
	c.service_vm = service;
	return c;
}

START_TEST(test_create_sets_up_devices)
{
	struct vm_config c = cfg_of("sos", 2, true);
	struct vm *vm;
	ck_assert_int_eq(vm_create(&hv, &c, &vm), 0);
	ck_assert_uint_eq(vm->state, VM_STATE_CREATED);
	ck_assert_uint_eq(vm->id, 0);
	ck_assert_ptr_eq(vm->hv, &hv);
	ck_assert_ptr_eq(vm_get(&hv, 0), vm);
	ck_assert_ptr_null(vm_get(&hv, 1));
	ck_assert_ptr_null(vm_get(&hv, TERN_MAX_VMS));
	ck_assert_ptr_nonnull(pio_find(&vm->pio, 0x3f8, 1));
	ck_assert_ptr_nonnull(pio_find(&vm->pio, 0xf4, 4));
	ck_assert_uint_eq(vm->vcpus[1].id, 1);
	ck_assert_ptr_eq(vm->vcpus[1].vm, vm);
}
END_TEST

START_TEST(test_bad_configs)
{
	struct vm *vm;
	struct vm_config c = cfg_of("x", 0, false);
	ck_assert_int_eq(vm_create(&hv, &c, &vm), -TERN_EINVAL);
	c = cfg_of("x", TERN_MAX_VCPUS + 1, false);
	ck_assert_int_eq(vm_create(&hv, &c, &vm), -TERN_EINVAL);
	c = cfg_of("x", 1, false);
	memset(c.name, 'a', sizeof(c.name)); /* unterminated name */
	ck_assert_int_eq(vm_create(&hv, &c, &vm), -TERN_EINVAL);
	c = cfg_of("sos", 1, true);
	ck_assert_int_eq(vm_create(&hv, &c, &vm), 0);
	c = cfg_of("sos2", 1, true);
	ck_assert_int_eq(vm_create(&hv, &c, &vm), -TERN_EEXIST); /* one Service VM */
}
END_TEST

START_TEST(test_pool_exhaustion)
{
	struct vm *vm;
	struct vm_config c = cfg_of("u", 1, false);
	for (unsigned i = 0; i < TERN_MAX_VMS; i++)
		ck_assert_int_eq(vm_create(&hv, &c, &vm), 0);
	ck_assert_int_eq(vm_create(&hv, &c, &vm), -TERN_ENOSPC);
}
END_TEST

START_TEST(test_stop_reports_first_cause)
{
	struct vm *vm = sim_create_vm(&hv, "guest", 2, false, 0x1000);
	vm_stop(vm, VM_STOP_UNEXPECTED_EXIT, 15);
	ck_assert(vm_is_stopped(vm));
	ck_assert_uint_eq(vm->vcpus[0].state, VCPU_STATE_STOPPED);
	ck_assert_uint_eq(vm->vcpus[1].state, VCPU_STATE_STOPPED);
	ck_assert(sim_log_contains("vm0 (guest) stopped: unexpected-exit, exit reason 15 (RDPMC)"));
	vm_stop(vm, VM_STOP_TRIPLE_FAULT, 0);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_UNEXPECTED_EXIT);
	ck_assert_uint_eq(vm->stop_detail, 15);
}
END_TEST

START_TEST(test_stop_messages)
{
	struct vm *vm = sim_create_vm(&hv, "g", 1, false, 0x1000);
	vm_stop(vm, VM_STOP_GUEST_EXIT, 7);
	ck_assert(sim_log_contains("vm0 (g) exited with status 7"));
	vm = sim_create_vm(&hv, "h", 1, false, 0x1000);
	vm_stop(vm, VM_STOP_BAD_MEMORY, 0x1000);
	ck_assert(sim_log_contains("vm1 (h) stopped: bad-memory (detail 0x1000)"));
	vm = sim_create_vm(&hv, "k", 1, false, 0x1000);
	ck_assert_int_eq(vm_triple_fault(vm), 3 /* EXIT_ACTION_STOP */);
	ck_assert_uint_eq(vm->stop_cause, VM_STOP_TRIPLE_FAULT);
	ck_assert_str_eq(vm_stop_cause_name(VM_STOP_ENTRY_FAILURE), "entry-failure");
	ck_assert_str_eq(vm_stop_cause_name((enum vm_stop_cause)99), "unknown");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vm");
	TCase *tc = tcase_create("vm");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_create_sets_up_devices);
	tcase_add_test(tc, test_bad_configs);
	tcase_add_test(tc, test_pool_exhaustion);
	tcase_add_test(tc, test_stop_reports_first_cause);
	tcase_add_test(tc, test_stop_messages);
	suite_add_tcase(s, tc);
	return s;
}
