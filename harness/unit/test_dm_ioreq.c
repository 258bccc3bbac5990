/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-dm's IOREQ client on an in-memory page: every slot state as the
 * client sees it, claiming PENDING only when it plays the HSM, the value
 * written back per type and width, kernel-handled slots, notification and
 * polling, and hostile slots.
 */
#include <string.h>
#include "ioreq_client.h"
#include "pci_testdev.h"
#include "pio.h"
#include "rec_hsm.h"
#include "devices.h"
#include "unit.h"

static struct rec_hsm R;
static struct dm D;
static char logbuf[8192];
static FILE *log_fp;

static void setup(void)
{
	memset(logbuf, 0, sizeof(logbuf));
	log_fp = fmemopen(logbuf, sizeof(logbuf), "w");
	rec_hsm_init(&R, &D, log_fp);
	D.claim_pending = true;
	ck_assert_int_eq(dm_testdev_create(&D, 2, 0, NULL), 0);
}

static void teardown(void)
{
	dm_fini(&D);
	fclose(log_fp);
}

static struct acrn_io_request *slot(unsigned v, uint32_t type, uint32_t dir, uint64_t addr, uint64_t size,
				    uint64_t value, uint32_t state)
{
	struct acrn_io_request *s = &R.page[v];
	memset(s, 0, sizeof(*s));
	s->type = type;
	s->reqs.mmio_request.direction = dir;
	s->reqs.mmio_request.address = addr;
	s->reqs.mmio_request.size = size;
	s->reqs.mmio_request.value = value;
	s->processed = state;
	return s;
}

START_TEST(states_as_the_client_sees_them)
{
	slot(0, ACRN_IOREQ_TYPE_PORTIO, ACRN_IOREQ_DIR_READ, 0x80, 1, 0, ACRN_IOREQ_STATE_FREE);
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 0), DM_SLOT_IDLE);
	ck_assert_uint_eq(R.page[0].processed, ACRN_IOREQ_STATE_FREE);
	R.page[0].processed = ACRN_IOREQ_STATE_COMPLETE;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 0), DM_SLOT_IDLE);
	ck_assert_uint_eq(R.nnotify, 0);           /* never completed twice */
	R.page[0].processed = ACRN_IOREQ_STATE_PENDING;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 0), DM_SLOT_COMPLETED);
	ck_assert_uint_eq(R.page[0].processed, ACRN_IOREQ_STATE_COMPLETE);
	ck_assert_uint_eq(R.nnotify, 1);
	ck_assert_uint_eq(R.notify[0].vmid, 7);
	ck_assert_uint_eq(R.notify[0].vcpu, 0);
	/* With a kernel HSM in front, PENDING is the kernel's to dispatch. */
	D.claim_pending = false;
	slot(5, ACRN_IOREQ_TYPE_PORTIO, ACRN_IOREQ_DIR_READ, 0x80, 1, 0, ACRN_IOREQ_STATE_PENDING);
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 5), DM_SLOT_IDLE);
	ck_assert_uint_eq(R.page[5].processed, ACRN_IOREQ_STATE_PENDING);
	R.page[5].processed = ACRN_IOREQ_STATE_PROCESSING;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 5), DM_SLOT_COMPLETED);
	ck_assert_uint_eq(R.notify[1].vcpu, 5);
	R.page[5].processed = ACRN_IOREQ_STATE_PROCESSING;
	R.page[5].kernel_handled = 1;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 5), DM_SLOT_IDLE);
	ck_assert_uint_eq(R.page[5].processed, ACRN_IOREQ_STATE_PROCESSING);
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, ACRN_IOREQ_SLOTS), DM_SLOT_IDLE);
}
END_TEST

START_TEST(illegal_state_told_once)
{
	R.page[3].processed = 0x80000000u;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 3), DM_SLOT_ILLEGAL_STATE);
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 3), DM_SLOT_ILLEGAL_STATE);
	ck_assert_uint_eq(R.page[3].processed, 0x80000000u);
	ck_assert_uint_eq(D.rejected, 1);
	fflush(log_fp);
	ck_assert_str_eq(logbuf, "tern-dm: t: slot 3: illegal state 2147483648: left alone\n");
	R.page[3].processed = ACRN_IOREQ_STATE_FREE;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 3), DM_SLOT_IDLE);
	R.page[3].processed = 4;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 3), DM_SLOT_ILLEGAL_STATE);
	ck_assert_uint_eq(D.rejected, 2);
}
END_TEST

START_TEST(values_by_type_and_width)
{
	uint32_t io = D.pci.dev[2][0]->cfg[PCIR_BAR0] & ~3u;
	io |= (uint32_t)D.pci.dev[2][0]->cfg[PCIR_BAR0 + 1] << 8;
	slot(1, ACRN_IOREQ_TYPE_PORTIO, ACRN_IOREQ_DIR_WRITE, io, 4, 0xa1b2c3d4u, ACRN_IOREQ_STATE_PENDING);
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 1), DM_SLOT_COMPLETED);
	ck_assert_uint_eq(R.page[1].reqs.pio_request.value, 0xa1b2c3d4u);   /* a write's value stays */
	struct acrn_io_request *s = slot(1, ACRN_IOREQ_TYPE_PORTIO, ACRN_IOREQ_DIR_READ, io + 2, 2, 0, ACRN_IOREQ_STATE_PENDING);
	s->reqs.data[3] = 0x1111111111111111ull;                 /* bytes 24..31 around the u32 value */
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 1), DM_SLOT_COMPLETED);
	ck_assert_uint_eq(R.page[1].reqs.pio_request.value, 0xa1b2);
	ck_assert_uint_eq(R.page[1].reqs.data[3] >> 32, 0x11111111u);   /* only the u32 is written */
	uint64_t mem = D.pci.dev[2][0]->bar[TESTDEV_BAR_MEM].mapped;
	slot(2, ACRN_IOREQ_TYPE_MMIO, ACRN_IOREQ_DIR_READ, mem + TESTDEV_REG_ID, 4, ~0ull, ACRN_IOREQ_STATE_PENDING);
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 2), DM_SLOT_COMPLETED);
	ck_assert_uint_eq(R.page[2].reqs.mmio_request.value, TESTDEV_ID);   /* upper bits cleared */
	s = slot(4, ACRN_IOREQ_TYPE_PCICFG, ACRN_IOREQ_DIR_READ, 0, 0, 0, ACRN_IOREQ_STATE_PENDING);
	s->reqs.pci_request.size = 2;
	s->reqs.pci_request.dev = 2;
	s->reqs.pci_request.reg = PCIR_DEVICE;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 4), DM_SLOT_COMPLETED);
	ck_assert_int_eq(R.page[4].reqs.pci_request.value, DM_PCI_DEVICE_TESTDEV);
	s->processed = ACRN_IOREQ_STATE_PENDING;
	s->reqs.pci_request.dev = 9;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 4), DM_SLOT_COMPLETED);
	ck_assert_int_eq(R.page[4].reqs.pci_request.value, 0xffff);
	s->processed = ACRN_IOREQ_STATE_PENDING;
	s->reqs.pci_request.direction = ACRN_IOREQ_DIR_WRITE;
	s->reqs.pci_request.dev = 2;
	s->reqs.pci_request.reg = PCIR_INTLINE;
	s->reqs.pci_request.size = 1;
	s->reqs.pci_request.value = 0x2a;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 4), DM_SLOT_COMPLETED);
	ck_assert_uint_eq(D.pci.dev[2][0]->cfg[PCIR_INTLINE], 0x2a);
	ck_assert_uint_eq(D.rejected, 0);
}
END_TEST

START_TEST(polling_never_notifies)
{
	slot(6, ACRN_IOREQ_TYPE_PORTIO, ACRN_IOREQ_DIR_READ, 0x80, 1, 0, ACRN_IOREQ_STATE_PENDING)->completion_polling = 1;
	ck_assert_uint_eq(dm_ioreq_handle_all(&D), 1);
	ck_assert_uint_eq(R.page[6].processed, ACRN_IOREQ_STATE_COMPLETE);
	ck_assert_uint_eq(R.nnotify, 0);
	D.polling = true;
	slot(6, ACRN_IOREQ_TYPE_PORTIO, ACRN_IOREQ_DIR_READ, 0x80, 1, 0, ACRN_IOREQ_STATE_PENDING);
	slot(7, ACRN_IOREQ_TYPE_WP, ACRN_IOREQ_DIR_READ, 0x80, 1, 0, ACRN_IOREQ_STATE_PENDING);
	ck_assert_uint_eq(dm_ioreq_handle_all(&D), 2);
	ck_assert_uint_eq(R.nnotify, 0);
	ck_assert_uint_eq(R.page[7].processed, ACRN_IOREQ_STATE_COMPLETE);
	ck_assert_uint_eq(D.rejected, 1);
	fflush(log_fp);
	ck_assert_str_eq(logbuf, "tern-dm: t: slot 7: rejected write-protect request (type 3): write-protect requests are not tern-dm's\n");
	/* A refused notification is counted and told. */
	D.polling = false;
	R.fail = 22;
	slot(8, ACRN_IOREQ_TYPE_PORTIO, ACRN_IOREQ_DIR_READ, 0x80, 1, 0, ACRN_IOREQ_STATE_PENDING);
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 8), DM_SLOT_COMPLETED);
	ck_assert_uint_eq(D.notify_refused, 1);
}
END_TEST

START_TEST(hostile_mmio_and_pci)
{
	slot(0, ACRN_IOREQ_TYPE_MMIO, ACRN_IOREQ_DIR_READ, ~0ull - 2, 8, 0, ACRN_IOREQ_STATE_PENDING);
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 0), DM_SLOT_REJECTED);
	ck_assert_uint_eq(R.page[0].reqs.mmio_request.value, ~0ull);
	slot(0, ACRN_IOREQ_TYPE_MMIO, 2, 0x1000, 8, 0, ACRN_IOREQ_STATE_PENDING);
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 0), DM_SLOT_REJECTED);
	slot(0, ACRN_IOREQ_TYPE_MMIO, ACRN_IOREQ_DIR_READ, 0x1000, 0, 0, ACRN_IOREQ_STATE_PENDING);
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 0), DM_SLOT_REJECTED);
	struct acrn_io_request *s = slot(0, ACRN_IOREQ_TYPE_PCICFG, ACRN_IOREQ_DIR_READ, 0, 0, 0, ACRN_IOREQ_STATE_PENDING);
	s->reqs.pci_request.size = -4;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 0), DM_SLOT_REJECTED);
	ck_assert_int_eq(R.page[0].reqs.pci_request.value, -1);
	s->processed = ACRN_IOREQ_STATE_PENDING;
	s->reqs.pci_request.size = 4;
	s->reqs.pci_request.reg = 4096;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 0), DM_SLOT_REJECTED);
	s->processed = ACRN_IOREQ_STATE_PENDING;
	s->reqs.pci_request.reg = 0;
	s->reqs.pci_request.bus = -1;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 0), DM_SLOT_REJECTED);
	s->processed = ACRN_IOREQ_STATE_PENDING;
	s->reqs.pci_request.bus = 0;
	s->reqs.pci_request.direction = 7;
	ck_assert_int_eq(dm_ioreq_handle_slot(&D, 0), DM_SLOT_REJECTED);
	ck_assert_uint_eq(D.rejected, 7);
	ck_assert_uint_eq(R.nnotify, 7);          /* each one completed: no vCPU left waiting */
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("dm_ioreq");
	TCase *tc = tcase_create("ioreq client");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, states_as_the_client_sees_them);
	tcase_add_test(tc, illegal_state_told_once);
	tcase_add_test(tc, values_by_type_and_width);
	tcase_add_test(tc, polling_never_notifies);
	tcase_add_test(tc, hostile_mmio_and_pci);
	suite_add_tcase(s, tc);
	return s;
}
