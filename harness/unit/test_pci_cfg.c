/* SPDX-License-Identifier: BSD-3-Clause */
/* PCI configuration mechanism #1 through the hypervisor's CONFIG_ADDRESS
 * latch: what a guest's IN/OUT on 0xCF8/0xCFC-0xCFF produce, in its
 * registers and in the Service VM's IOREQ page (acrn_pci_request). */
#include <string.h>
#include "unit.h"
#include "err.h"
#include "exit_dispatch.h"
#include "ioreq.h"
#include "lib.h"
#include "pci_cfg.h"
#include "pci_hostbridge.h"
#include "sim.h"
#include "upcall.h"
#include "vm_mgr.h"
#include "two_vm.h"

#define PAGE 0x8000
#define RIP0 0x1000

static struct tern hv;
static struct vm *sos, *uos;
static struct vcpu *v;

static void setup(void)
{
	two_vm_create(&hv, &sos, &uos);
	v = two_vm_flat_vcpu(uos, 1, RIP0);
}

/* vCPU 1's slot. */
static uint32_t slot32(unsigned off) { return two_vm_slot32(sos, PAGE, 1, off); }
static uint64_t slot64(unsigned off) { return two_vm_slot64(sos, PAGE, 1, off); }
static void put_slot32(unsigned off, uint32_t x) { two_vm_put_slot32(sos, PAGE, 1, off, x); }

/* The device model's answer: value, then COMPLETE (the state last). */
static void dm_complete(uint64_t value)
{
	two_vm_dm_answer(sos, PAGE, 1, IOREQ_COMPLETE, value);
}

/* IN/OUT with the port in DX: exit qualification per SDM Vol. 3C Table 28-5. */
static enum exit_action io(uint16_t port, unsigned size, bool in)
{
	uint64_t q = (uint64_t)port << 16 | (size - 1) | (in ? 8u : 0u); /* bit 6 clear: port in DX */
	struct exit_record ex = { .reason = EXIT_REASON_IO_INSTRUCTION, .qualification = q,
				  .instr_len = 1 };
	return vcpu_handle_exit(v, &ex);
}

static void out(uint16_t port, unsigned size, uint64_t rax)
{
	vcpu_set_reg(v, VCPU_RAX, rax);
	ck_assert_int_eq(io(port, size, false), EXIT_ACTION_RESUME);
}

static uint64_t in(uint16_t port, unsigned size, uint64_t rax)
{
	vcpu_set_reg(v, VCPU_RAX, rax);
	ck_assert_int_eq(io(port, size, true), EXIT_ACTION_RESUME);
	return vcpu_get_reg(v, VCPU_RAX);
}

START_TEST(test_latch_dword_only)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	/* Reserved bits 30:24 and 1:0 are not kept. */
	out(PCI_CFG_ADDR_PORT, 4, 0xfff8a9ffu);
	ck_assert_uint_eq(uos->pci_cf8, 0x80f8a9fcu);
	ck_assert_uint_eq(in(PCI_CFG_ADDR_PORT, 4, 0xffffffff00000000ull), 0x80f8a9fcu);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), RIP0 + 2);
	ck_assert_uint_eq(slot32(IOREQ_OFF_STATE), IOREQ_FREE); /* nothing left the hypervisor */
	ck_assert_int_eq(unit_take_upcall(sos), -1);
	/* A byte or word at 0xCF8 is not CONFIG_ADDRESS: ordinary port I/O. */
	vcpu_set_reg(v, VCPU_RAX, 0x12);
	ck_assert_int_eq(io(PCI_CFG_ADDR_PORT, 1, false), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(slot32(IOREQ_OFF_TYPE), IOREQ_TYPE_PORTIO);
	ck_assert_uint_eq(slot64(IOREQ_OFF_ADDRESS), PCI_CFG_ADDR_PORT);
	ck_assert_uint_eq(slot64(IOREQ_OFF_SIZE), 1);
	ck_assert_uint_eq(uos->pci_cf8, 0x80f8a9fcu);
	dm_complete(0);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	vcpu_pre_entry(v);
	ck_assert_int_eq(io(PCI_CFG_ADDR_PORT + 2, 2, true), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(slot32(IOREQ_OFF_TYPE), IOREQ_TYPE_PORTIO);
	ck_assert_uint_eq(slot64(IOREQ_OFF_ADDRESS), PCI_CFG_ADDR_PORT + 2);
}
END_TEST

START_TEST(test_enable_clear_reads_ones)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	out(PCI_CFG_ADDR_PORT, 4, 0x00000810u); /* dev 1, reg 0x10, enable clear */
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT, 4, 0x1234567800000000ull), 0xffffffffu);
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT + 2, 2, 0x1234567800000000ull), 0x123456780000ffffull);
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT + 3, 1, 0x1234567800000000ull), 0x12345678000000ffull);
	out(PCI_CFG_DATA_PORT, 4, 0xdeadbeef);
	ck_assert_uint_eq(slot32(IOREQ_OFF_STATE), IOREQ_FREE);
	ck_assert_int_eq(unit_take_upcall(sos), -1);
	/* Enabled but no device model: nothing but the hypervisor's host bridge (below). */
	struct tern hv2;
	tern_init(&hv2);
	struct vm *lone = sim_create_vm(&hv2, "lone", 1, false, 0x1000);
	v = &lone->vcpus[0];
	sim_vcpu_flat_state(v, true, 0);
	vcpu_cache_fill(v, VCPU_RIP, RIP0);
	out(PCI_CFG_ADDR_PORT, 4, 0x80000800u);   /* 00:01.0 */
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT, 4, 0), 0xffffffffu);
}
END_TEST

/*
 * A VM without a device model finds the hypervisor's host bridge at
 * 00:00.0 (read-only type-0 header, class 06/00); with a device model
 * 00:00.0 is the device model's (a PCICFG request).
 */
START_TEST(test_hostbridge)
{
	out(PCI_CFG_ADDR_PORT, 4, PCI_CFG_ENABLE);                 /* 00:00.0 register 0 */
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT, 4, 0), PCI_HB_DEVICE_ID << 16 | PCI_HB_VENDOR_ID);
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT + 1, 1, 0), PCI_HB_VENDOR_ID >> 8);
	out(PCI_CFG_ADDR_PORT, 4, PCI_CFG_ENABLE | 0x08u);         /* revision, class code */
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT, 4, 0), 0x06000000u);
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT + 3, 1, 0), PCI_HB_CLASS_BRIDGE);
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT + 2, 2, 0), PCI_HB_CLASS_BRIDGE << 8);
	out(PCI_CFG_ADDR_PORT, 4, PCI_CFG_ENABLE | 0x0cu);         /* header type 0 */
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT + 2, 1, 0), 0);
	/* BAR0: a sizing write is dropped, it reads 0 (no BAR). */
	out(PCI_CFG_ADDR_PORT, 4, PCI_CFG_ENABLE | 0x10u);
	out(PCI_CFG_DATA_PORT, 4, 0xffffffffu);
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT, 4, 0xaaaa), 0);
	/* The command register is read-only; past the header everything reads 0. */
	out(PCI_CFG_ADDR_PORT, 4, PCI_CFG_ENABLE | 0x04u);
	out(PCI_CFG_DATA_PORT, 2, 0x7);
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT, 4, 0), 0);
	out(PCI_CFG_ADDR_PORT, 4, PCI_CFG_ENABLE | 0xfcu);
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT, 4, 0x5555), 0);
	ck_assert_uint_eq(slot32(IOREQ_OFF_STATE), 0);   /* the page was never named: untouched */
	/* Another function of device 0 is nobody's. */
	out(PCI_CFG_ADDR_PORT, 4, PCI_CFG_ENABLE | 1u << 8);
	ck_assert_uint_eq(in(PCI_CFG_DATA_PORT, 4, 0), 0xffffffffu);

	/* With a device model, 00:00.0 is a request like any other function. */
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	out(PCI_CFG_ADDR_PORT, 4, PCI_CFG_ENABLE);
	ck_assert_int_eq(io(PCI_CFG_DATA_PORT, 4, true), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(slot32(IOREQ_OFF_TYPE), IOREQ_TYPE_PCICFG);
	ck_assert_uint_eq(slot32(IOREQ_OFF_PCI_BUS), 0);
	ck_assert_uint_eq(slot32(IOREQ_OFF_PCI_DEV), 0);
	ck_assert_uint_eq(slot32(IOREQ_OFF_PCI_FUNC), 0);
	ck_assert_uint_eq(slot32(IOREQ_OFF_PCI_REG), 0);
}
END_TEST

/* Every size at every offset it fits: bus/dev/func from the latch, reg = register + offset. */
START_TEST(test_config_read_sizes_offsets)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	/* bus 0x5a, device 0x13, function 5, register 0x44 */
	uint32_t cf8 = PCI_CFG_ENABLE | 0x5au << 16 | 0x13u << 11 | 5u << 8 | 0x44u;
	out(PCI_CFG_ADDR_PORT, 4, cf8);
	static const unsigned sizes[] = { 1, 2, 4 };
	unsigned sent = 0;
	for (unsigned si = 0; si < 3; si++) {
		for (unsigned off = 0; off < 4; off++) {
			unsigned size = sizes[si];
			uint64_t rip = vcpu_get_reg(v, VCPU_RIP);
			vcpu_set_reg(v, VCPU_RAX, 0xaaaaaaaaaaaaaaaaull);
			enum exit_action a = io((uint16_t)(PCI_CFG_DATA_PORT + off), size, true);
			if (off + size > 4) {
				/* Past 0xCFF: not CONFIG_DATA, ordinary port I/O. */
				ck_assert_int_eq(a, EXIT_ACTION_WAIT_IO);
				ck_assert_uint_eq(slot32(IOREQ_OFF_TYPE), IOREQ_TYPE_PORTIO);
				ck_assert_uint_eq(slot64(IOREQ_OFF_ADDRESS), PCI_CFG_DATA_PORT + off);
				ck_assert_int_eq(unit_take_upcall(sos), IOREQ_UPCALL_VECTOR);
				dm_complete(0);
				ck_assert_int_eq(ioreq_complete(uos, 1), 0);
				vcpu_pre_entry(v);
				continue;
			}
			sent++;
			ck_assert_int_eq(a, EXIT_ACTION_WAIT_IO);
			ck_assert_uint_eq(v->state, VCPU_STATE_WAIT_IO);
			ck_assert_uint_eq(slot32(IOREQ_OFF_STATE), IOREQ_PENDING);
			ck_assert_uint_eq(slot32(IOREQ_OFF_TYPE), IOREQ_TYPE_PCICFG);
			ck_assert_uint_eq(slot32(IOREQ_OFF_DIRECTION), IOREQ_READ);
			ck_assert_uint_eq(slot64(IOREQ_OFF_SIZE), size);
			ck_assert_uint_eq(slot64(IOREQ_OFF_ADDRESS), 0); /* reserved in acrn_pci_request */
			ck_assert_uint_eq(slot32(IOREQ_OFF_PCI_BUS), 0x5a);
			ck_assert_uint_eq(slot32(IOREQ_OFF_PCI_DEV), 0x13);
			ck_assert_uint_eq(slot32(IOREQ_OFF_PCI_FUNC), 5);
			ck_assert_uint_eq(slot32(IOREQ_OFF_PCI_REG), 0x44 + off);
			ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RIP), rip + 1); /* retired at the exit */
			ck_assert_int_eq(unit_take_upcall(sos), IOREQ_UPCALL_VECTOR);
			/* Garbage above the 32-bit value field and above the size is ignored. */
			dm_complete(0x9999999987654321ull);
			ck_assert_int_eq(ioreq_complete(uos, 1), 0);
			ck_assert(!vcpu_reg_dirty(v, VCPU_RAX) ||
				  vcpu_get_reg(v, VCPU_RAX) == 0xaaaaaaaaaaaaaaaaull);
			vcpu_pre_entry(v); /* the post-work, on the requesting vCPU */
			uint64_t want = size == 4 ? 0x87654321ull
					: (0xaaaaaaaaaaaaaaaaull & ~tern_size_mask(size)) |
					  (0x87654321ull & tern_size_mask(size));
			ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), want);
			ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
			ck_assert_uint_eq(slot32(IOREQ_OFF_STATE), IOREQ_FREE);
		}
	}
	ck_assert_uint_eq(sent, 4 + 3 + 1);
}
END_TEST

START_TEST(test_config_write)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	out(PCI_CFG_ADDR_PORT, 4, PCI_CFG_ENABLE | 3u << 11 | 0x10u); /* 00:03.0 BAR0 */
	vcpu_set_reg(v, VCPU_RAX, 0xffffffffffffc001ull);
	ck_assert_int_eq(io(PCI_CFG_DATA_PORT + 2, 2, false), EXIT_ACTION_WAIT_IO);
	ck_assert_uint_eq(slot32(IOREQ_OFF_TYPE), IOREQ_TYPE_PCICFG);
	ck_assert_uint_eq(slot32(IOREQ_OFF_DIRECTION), IOREQ_WRITE);
	ck_assert_uint_eq(slot32(IOREQ_OFF_VALUE), 0xc001);   /* cut to the access */
	ck_assert_uint_eq(slot32(IOREQ_OFF_PCI_DEV), 3);
	ck_assert_uint_eq(slot32(IOREQ_OFF_PCI_REG), 0x12);
	dm_complete(0x5555);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	vcpu_pre_entry(v);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0xffffffffffffc001ull); /* a write leaves RAX */
	ck_assert_uint_eq(v->state, VCPU_STATE_RUNNABLE);
}
END_TEST

/* Slot transitions a hostile Service VM can try on a PCICFG request. */
START_TEST(test_hostile_pci_completion)
{
	ck_assert_int_eq(ioreq_set_buffer(uos, PAGE), 0);
	out(PCI_CFG_ADDR_PORT, 4, PCI_CFG_ENABLE);
	vcpu_set_reg(v, VCPU_RAX, 0);
	ck_assert_int_eq(io(PCI_CFG_DATA_PORT, 2, true), EXIT_ACTION_WAIT_IO);
	/* Still PENDING, then PROCESSING, then an illegal state: not complete. */
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EBUSY);
	put_slot32(IOREQ_OFF_STATE, IOREQ_PROCESSING);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EBUSY);
	put_slot32(IOREQ_OFF_STATE, 7);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EBUSY);
	put_slot32(IOREQ_OFF_STATE, IOREQ_FREE); /* the hypervisor's state, written by the SOS */
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EBUSY);
	/* COMPLETE with a size the request did not have: refused, slot untouched. */
	put_slot32(IOREQ_OFF_SIZE, 4);
	dm_complete(0x1234);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EINVAL);
	ck_assert(sim_log_contains("IOREQ completed with size 4, requested 2"));
	ck_assert_uint_eq(slot32(IOREQ_OFF_STATE), IOREQ_COMPLETE);
	put_slot32(IOREQ_OFF_SIZE + 4, 1); /* bits 63:32 of the size */
	put_slot32(IOREQ_OFF_SIZE, 2);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EINVAL);
	ck_assert_uint_eq(v->state, VCPU_STATE_WAIT_IO);
	vcpu_pre_entry(v);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0);
	/* Put right, it completes once; a second completion is refused. */
	put_slot32(IOREQ_OFF_SIZE + 4, 0);
	ck_assert_int_eq(ioreq_complete(uos, 1), 0);
	put_slot32(IOREQ_OFF_STATE, IOREQ_COMPLETE);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EINVAL);
	vcpu_pre_entry(v);
	ck_assert_uint_eq(vcpu_get_reg(v, VCPU_RAX), 0x1234);
	ck_assert_int_eq(ioreq_complete(uos, 1), -TERN_EINVAL); /* nothing outstanding */
}
END_TEST

START_TEST(test_reset_clears_latch)
{
	out(PCI_CFG_ADDR_PORT, 4, PCI_CFG_ENABLE | 0x10u);
	ck_assert_int_eq(vm_mgr_start(uos), 0);
	ck_assert_int_eq(vm_mgr_pause(uos), 0);
	ck_assert_int_eq(vm_mgr_reset(uos), 0);
	ck_assert_uint_eq(uos->pci_cf8, 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("pci_cfg");
	TCase *tc = tcase_create("pci_cfg");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_latch_dword_only);
	tcase_add_test(tc, test_enable_clear_reads_ones);
	tcase_add_test(tc, test_hostbridge);
	tcase_add_test(tc, test_config_read_sizes_offsets);
	tcase_add_test(tc, test_config_write);
	tcase_add_test(tc, test_hostile_pci_completion);
	tcase_add_test(tc, test_reset_clears_latch);
	suite_add_tcase(s, tc);
	return s;
}
