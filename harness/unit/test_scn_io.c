/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenarios, port I/O and PCI configuration: a guest of a User VM (played by
 * harness/scenario) against core and a live tern-dm process through tern-sim
 * live mode. Every value asserted is what the guest sees: EAX after IN, RIP
 * after the instruction, in both notification and polling mode.
 */
#include <string.h>
#include "unit.h"
#include "scenario.h"
#include "sim.h"
#include "hypercall.h"
#include "ioreq.h"
#include "vm_mgr.h"
#include <sys/wait.h>

/* tern-dm's devices (dm/pci_testdev.h, whose names core/testdev.h shares for its own device). */
#define DM_PCI_VENDOR_TERN 0x7e4eu
#define DM_PCI_DEVICE_HOSTBRIDGE 0x0000u
#define DM_PCI_DEVICE_TESTDEV 0x0001u
#define TESTDEV_CLASS 0xff0000u
#define TESTDEV_IO_SIZE 256u
/* core/testdev.h's (not included: its names are tern-dm's too). */
#define CORE_TESTDEV_GPA 0xC0000000ull
#define CORE_TESTDEV_ID 0x4E524554u
#define CORE_TESTDEV_SCRATCH 0x100u

/* PCI Local Bus 3.0, 6.1 (Table 6-1) and 6.2.5. */
#define CFG_VENDOR 0x00u
#define CFG_DEVICE 0x02u
#define CFG_COMMAND 0x04u
#define CFG_CLASS_REV 0x08u
#define CFG_BAR0 0x10u
#define CMD_IO 0x1u
#define BAR_IO_FLAG 0x1u
#define SLOT 3u
#define NEW_IO_BASE 0xd100u

static const char *const devs[] = { "-m", "2M", "-s", "0:0,hostbridge", "-s", "3,pci-testdev", NULL };
static struct scn S;

static void start(bool polling)
{
	ck_assert_int_eq(scn_start(&S, "uvm", devs, polling), 0);
}

static uint32_t in(uint16_t port, unsigned size)
{
	uint32_t v = 0;
	ck_assert_int_eq(scn_in(&S, port, size, &v), 0);
	return v;
}

static uint16_t io_bar(void)
{
	uint32_t bar = scn_cfg_read(&S, SLOT, 0, CFG_BAR0, 4);
	ck_assert_uint_eq(bar & BAR_IO_FLAG, 1);
	return (uint16_t)(bar & ~3u);
}

/* Scratch registers in the test device's I/O BAR: what the guest wrote it reads back, each width. */
static void scratch_roundtrip(void)
{
	uint16_t base = io_bar();
	ck_assert_uint_ne(base, 0);
	ck_assert_int_eq(scn_out(&S, base, 4, 0x11223344u), 0);
	ck_assert_uint_eq(in(base, 4), 0x11223344u);
	ck_assert_uint_eq(in(base, 1) & 0xff, 0x44);
	ck_assert_int_eq(scn_out(&S, base + 2, 2, 0xbeefu), 0);
	ck_assert_uint_eq(in(base, 4), 0xbeef3344u);
	/* IN AL keeps the rest of EAX (SDM Vol. 2A, IN): the post-work merges. */
	ck_assert_int_eq(scn_out(&S, base + 8, 4, 0xa5a5a5a5u), 0);
	ck_assert_uint_eq(in(base + 8, 4), 0xa5a5a5a5u);
	ck_assert_int_eq(scn_out(&S, base + 9, 1, 0x5au), 0);
	ck_assert_uint_eq(in(base + 8, 4), 0xa5a55aa5u);
	sim_vcpu_hw(S.u)->regs[VCPU_RAX] = 0x12345678u;
	ck_assert_uint_eq(in(base + 9, 1), 0x1234565au);
	sim_vcpu_hw(S.u)->regs[VCPU_RAX] = 0xffffffff12345678ull;
	ck_assert_uint_eq(in(base + 8, 2), 0x12345aa5u);
	ck_assert_uint_eq(sim_vcpu_hw(S.u)->regs[VCPU_RAX], 0xffffffff12345aa5ull);
}

START_TEST(port_io_to_the_io_bar)
{
	start(false);
	uint64_t exits = S.u->exits;
	scratch_roundtrip();
	ck_assert_uint_gt(S.u->exits, exits);
	/* Every round trip went through the upcall, and the page is FREE again. */
	ck_assert_uint_gt(S.live.upcalls, 0);
	uint32_t state;
	memcpy(&state, sim_live_page(&S.live, S.vm) + IOREQ_OFF_STATE, 4);
	ck_assert_uint_eq(state, IOREQ_FREE);
	ck_assert_int_eq(vm_mgr_check(S.vm), 0);
	scn_stop(&S);
	ck_assert(WIFEXITED(S.dm.status) && WEXITSTATUS(S.dm.status) == 0);
	ck_assert(child_out_has(&S.dm, "shutting down"));
}
END_TEST

START_TEST(port_io_polling_mode)
{
	start(true);
	unsigned upcalls = S.live.upcalls;
	scratch_roundtrip();
	/* Polling: no upcall, no NOTIFY: core's scheduler saw COMPLETE in the slot. */
	ck_assert_uint_eq(S.live.upcalls, upcalls);
	for (unsigned i = 0; i < S.live.nlog && i < SIM_LIVE_MAX_LOG; i++)
		ck_assert_uint_ne(S.live.log[i].id, HC_NOTIFY_REQUEST_FINISH);
	ck_assert_uint_eq(S.vm->config.ioreq_polling, 1);
	scn_stop(&S);
}
END_TEST

START_TEST(pci_config_ids_and_class)
{
	start(false);
	ck_assert_uint_eq(scn_cfg_read(&S, SLOT, 0, CFG_VENDOR, 2), DM_PCI_VENDOR_TERN);
	ck_assert_uint_eq(scn_cfg_read(&S, SLOT, 0, CFG_DEVICE, 2), DM_PCI_DEVICE_TESTDEV);
	ck_assert_uint_eq(scn_cfg_read(&S, SLOT, 0, CFG_VENDOR, 4),
			  (uint32_t)DM_PCI_DEVICE_TESTDEV << 16 | DM_PCI_VENDOR_TERN);
	ck_assert_uint_eq(scn_cfg_read(&S, SLOT, 0, CFG_CLASS_REV, 4) >> 8, TESTDEV_CLASS);
	/* A byte in the middle: CONFIG_DATA + 1 (reg 0x01). */
	ck_assert_uint_eq(scn_cfg_read(&S, SLOT, 0, 1, 1), DM_PCI_VENDOR_TERN >> 8);
	ck_assert_uint_eq(scn_cfg_read(&S, 0, 0, CFG_VENDOR, 2), DM_PCI_VENDOR_TERN);
	ck_assert_uint_eq(scn_cfg_read(&S, 0, 0, CFG_DEVICE, 2), DM_PCI_DEVICE_HOSTBRIDGE);
	/* An empty slot reads all ones (no device answers). */
	ck_assert_uint_eq(scn_cfg_read(&S, 9, 0, CFG_VENDOR, 4), 0xffffffffu);
	/* The latch never left the hypervisor: every request tern-dm saw was PCICFG or port I/O. */
	ck_assert_uint_eq(S.vm->pci_cf8 >> 31, 1);
	scn_stop(&S);
}
END_TEST

START_TEST(bar_sizing_and_moving)
{
	start(false);
	uint16_t old = io_bar();
	/* Sizing (PCI 3.0 6.2.5.1): all ones in, the size mask out: 256 bytes of I/O. */
	scn_cfg_write(&S, SLOT, 0, CFG_BAR0, 4, 0xffffffffu);
	uint32_t mask = scn_cfg_read(&S, SLOT, 0, CFG_BAR0, 4);
	ck_assert_uint_eq(mask & 0xffffu, (uint16_t)~(TESTDEV_IO_SIZE - 1u) | BAR_IO_FLAG);
	/* Move it: the old place answers no more, the new one does. */
	scn_cfg_write(&S, SLOT, 0, CFG_BAR0, 4, NEW_IO_BASE);
	ck_assert_uint_eq(io_bar(), NEW_IO_BASE);
	ck_assert_uint_eq(scn_cfg_read(&S, SLOT, 0, CFG_COMMAND, 2) & CMD_IO, CMD_IO);
	ck_assert_int_eq(scn_out(&S, NEW_IO_BASE + 4, 4, 0xcafe0001u), 0);
	ck_assert_uint_eq(in(NEW_IO_BASE + 4, 4), 0xcafe0001u);
	ck_assert_uint_eq(in(old + 4, 4), 0xffffffffu);
	scn_stop(&S);
}
END_TEST

/*
 * The library's MMIO path (the instruction in guest RAM, the EPT violation)
 * against core's own test device, which every VM has at 0xC0000000 (core/
 * testdev.h): emulated in the hypervisor, no request leaves it. tern-dm's
 * memory BARs start at 0xD0000000, clear of it (dm/pci.h); MMIO to them is
 * test_scn_mmio's.
 */
START_TEST(mmio_to_the_in_hypervisor_testdev)
{
	start(false);
	uint32_t v = 0;
	ck_assert_int_eq(scn_mmio_load(&S, CORE_TESTDEV_GPA, 4, &v), 0);
	ck_assert_uint_eq(v, CORE_TESTDEV_ID);
	ck_assert_int_eq(scn_mmio_store(&S, CORE_TESTDEV_GPA + CORE_TESTDEV_SCRATCH, 4, 0x01020304u), 0);
	sim_vcpu_hw(S.u)->regs[VCPU_RAX] = 0xaabbccddu;
	ck_assert_int_eq(scn_mmio_load(&S, CORE_TESTDEV_GPA + CORE_TESTDEV_SCRATCH + 1, 1, &v), 0);
	ck_assert_uint_eq(v, 0xaabbcc03u);
	ck_assert_int_eq(scn_mmio_load(&S, CORE_TESTDEV_GPA + CORE_TESTDEV_SCRATCH, 2, &v), 0);
	ck_assert_uint_eq(v, 0xaabb0304u);
	/* Nothing went to the device model. */
	ck_assert_int_eq(S.vm->state, VM_STATE_RUNNING);
	scn_stop(&S);
	ck_assert(child_out_has(&S.dm, "served 0 requests, rejected 0"));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("scn_io");
	TCase *tc = tcase_create("scenarios");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, port_io_to_the_io_bar);
	tcase_add_test(tc, port_io_polling_mode);
	tcase_add_test(tc, pci_config_ids_and_class);
	tcase_add_test(tc, bar_sizing_and_moving);
	tcase_add_test(tc, mmio_to_the_in_hypervisor_testdev);
	suite_add_tcase(s, tc);
	return s;
}
