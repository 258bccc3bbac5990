/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-dm's PCI bus, test device and I/O tables in process: config space
 * rules, BAR sizing and moves, the capability list, MSI (multiple message),
 * MSI-X masking and the PBA, INTx and the interrupt-disable bit, overlaps.
 */
#include <errno.h>
#include <string.h>
#include "devices.h"
#include "mmio.h"
#include "pci_testdev.h"
#include "pio.h"
#include "rec_hsm.h"
#include "unit.h"

static struct rec_hsm R;
static struct dm D;

static void setup(void)
{
	rec_hsm_init(&R, &D, NULL);
}

static void teardown(void)
{
	dm_fini(&D);
}

static uint32_t cfg(unsigned dev, unsigned reg, unsigned size)
{
	uint32_t v = 0x5a5a5a5a;
	dm_pci_cfg_access(&D.pci, 0, dev, 0, reg, size, false, &v);
	return v;
}

static void cfgw(unsigned dev, unsigned reg, unsigned size, uint32_t v)
{
	dm_pci_cfg_access(&D.pci, 0, dev, 0, reg, size, true, &v);
}

static uint64_t mmio(uint64_t gpa, unsigned size)
{
	uint64_t v = 0;
	dm_mmio_access(&D.mmio, gpa, size, false, &v);
	return v;
}

static void mmiow(uint64_t gpa, unsigned size, uint64_t v)
{
	dm_mmio_access(&D.mmio, gpa, size, true, &v);
}

static unsigned cap(unsigned dev, unsigned id)
{
	for (unsigned off = cfg(dev, PCIR_CAP_PTR, 1), n = 0; off && n < 48; off = cfg(dev, off + 1, 1), n++)
		if (cfg(dev, off, 1) == id)
			return off;
	return 0;
}

START_TEST(header_and_absent_functions)
{
	ck_assert_int_eq(dm_testdev_create(&D, 4, 0, NULL), 0);
	ck_assert_uint_eq(cfg(4, PCIR_VENDOR, 2), DM_PCI_VENDOR_TERN);
	ck_assert_uint_eq(cfg(4, PCIR_CLASS + 2, 1), 0xff);
	ck_assert_uint_eq(cfg(4, PCIR_HDRTYPE, 1), 0);
	ck_assert_uint_eq(cfg(4, PCIR_STATUS, 2) & PCIM_STATUS_CAPLIST, PCIM_STATUS_CAPLIST);
	ck_assert_uint_eq(cfg(4, PCIR_INTPIN, 1), 1);
	ck_assert_uint_eq(cfg(5, PCIR_VENDOR, 4), 0xffffffffu);
	uint32_t v = 0;
	dm_pci_cfg_access(&D.pci, 1, 4, 0, 0, 4, false, &v);   /* bus 1 does not exist */
	ck_assert_uint_eq(v, 0xffffffffu);
	/* Misaligned or past 4K: all-ones; 256..4095 of a conventional function: zero. */
	ck_assert_uint_eq(cfg(4, 1, 2), 0xffff);
	ck_assert_uint_eq(cfg(4, 4094, 4), 0xffffffffu);
	ck_assert_uint_eq(cfg(4, 0x100, 4), 0);
	cfgw(4, 0x100, 4, 0x12345678);
	ck_assert_uint_eq(cfg(4, 0x100, 4), 0);
	/* Read-only fields stay. */
	cfgw(4, PCIR_VENDOR, 4, 0);
	cfgw(4, PCIR_CLASS, 4, 0);
	ck_assert_uint_eq(cfg(4, PCIR_VENDOR, 2), DM_PCI_VENDOR_TERN);
	ck_assert_uint_eq(cfg(4, PCIR_CLASS + 2, 1), 0xff);
	/* A second function makes function 0 multi-function. */
	ck_assert_int_eq(dm_testdev_create(&D, 4, 2, NULL), 0);
	ck_assert_uint_eq(cfg(4, PCIR_HDRTYPE, 1), 0x80);
	ck_assert_int_eq(dm_testdev_create(&D, 4, 2, NULL), -EEXIST);
}
END_TEST

START_TEST(bars_placed_sized_and_moved)
{
	ck_assert_int_eq(dm_testdev_create(&D, 1, 0, NULL), 0);
	ck_assert_int_eq(dm_testdev_create(&D, 2, 0, "vectors=8"), 0);
	uint32_t io1 = cfg(1, PCIR_BAR0, 4), io2 = cfg(2, PCIR_BAR0, 4);
	uint32_t m1 = cfg(1, PCIR_BAR0 + 4, 4), t1 = cfg(1, PCIR_BAR0 + 8, 4), m2 = cfg(2, PCIR_BAR0 + 4, 4);
	ck_assert_uint_eq(io1, DM_PCI_IO_BASE | PCIM_BAR_IO);
	ck_assert_uint_eq(io2, (DM_PCI_IO_BASE + TESTDEV_IO_SIZE) | PCIM_BAR_IO);
	ck_assert_uint_eq(m1, DM_PCI_MEM_BASE);
	ck_assert_uint_eq(t1, DM_PCI_MEM_BASE + TESTDEV_MEM_SIZE);
	ck_assert_uint_eq(m2, DM_PCI_MEM_BASE + 2 * TESTDEV_MEM_SIZE);
	ck_assert_uint_eq(cfg(1, PCIR_COMMAND, 2), PCIM_CMD_IO | PCIM_CMD_MEM);
	ck_assert_uint_eq(mmio(m1 + TESTDEV_REG_ID, 4), TESTDEV_ID);
	ck_assert_uint_eq(mmio(m2 + TESTDEV_REG_VECTORS, 4), 8);
	/* Sizing with decoding on: the all-ones probe moves the BAR away to 0xfffff000. */
	cfgw(1, PCIR_BAR0 + 4, 4, 0xffffffffu);
	ck_assert_uint_eq(cfg(1, PCIR_BAR0 + 4, 4), 0xfffff000u);
	ck_assert_uint_eq(mmio(m1 + TESTDEV_REG_ID, 4), 0xffffffffu);
	/* Onto device 2's BAR: refused by the table, device 2 keeps answering. */
	cfgw(1, PCIR_BAR0 + 4, 4, m2);
	ck_assert_uint_eq(mmio(m2 + TESTDEV_REG_VECTORS, 4), 8);
	cfgw(1, PCIR_BAR0 + 4, 4, 0xd8001000u);
	ck_assert_uint_eq(mmio(0xd8001000u + TESTDEV_REG_VECTORS, 4), TESTDEV_DEFAULT_VECTORS);
	/* Low bits of the address are the size's: dropped. */
	cfgw(1, PCIR_BAR0 + 4, 4, 0xd8002abcu);
	ck_assert_uint_eq(cfg(1, PCIR_BAR0 + 4, 4), 0xd8002000u);
	ck_assert_uint_eq(mmio(0xd8002000u + TESTDEV_REG_ID, 4), TESTDEV_ID);
	ck_assert_uint_eq(mmio(0xd8001000u + TESTDEV_REG_ID, 4), 0xffffffffu);
	/* Memory decoding off: gone; I/O still on. */
	cfgw(1, PCIR_COMMAND, 2, PCIM_CMD_IO);
	ck_assert_uint_eq(mmio(0xd8002000u + TESTDEV_REG_ID, 4), 0xffffffffu);
	uint32_t v = 0x77;
	ck_assert_int_eq(dm_pio_access(&D.pio, DM_PCI_IO_BASE + 3, 1, true, &v), 0);
	v = 0;
	ck_assert_int_eq(dm_pio_access(&D.pio, DM_PCI_IO_BASE + 3, 1, false, &v), 0);
	ck_assert_uint_eq(v, 0x77);
	/* An I/O BAR beyond 0xFFFF does not decode. */
	cfgw(1, PCIR_BAR0, 4, 0x10000);
	ck_assert_int_eq(dm_pio_access(&D.pio, DM_PCI_IO_BASE + 3, 1, false, &v), -ENOENT);
	ck_assert_uint_eq(v, 0xff);
	/* Unused BARs read zero and stay zero. */
	cfgw(1, PCIR_BAR0 + 16, 4, 0xffffffffu);
	ck_assert_uint_eq(cfg(1, PCIR_BAR0 + 16, 4), 0);
}
END_TEST

START_TEST(capability_list)
{
	ck_assert_int_eq(dm_testdev_create(&D, 1, 0, NULL), 0);
	unsigned msi = cap(1, PCIY_MSI), msix = cap(1, PCIY_MSIX);
	ck_assert_uint_eq(msi, PCI_CAP_FIRST);
	ck_assert_uint_eq(msix, PCI_CAP_FIRST + 16);
	ck_assert_uint_eq(cfg(1, msix + 1, 1), 0);      /* end of the list */
	ck_assert_uint_eq(cfg(1, msi + 2, 2), PCIM_MSICTRL_64BIT);
	/* Next pointers and IDs are read-only. */
	cfgw(1, msi, 2, 0xffff);
	ck_assert_uint_eq(cfg(1, msi, 2), (msix << 8) | PCIY_MSI);
	/* The MSI address is DWORD aligned: bits 1:0 read zero. */
	cfgw(1, msi + 4, 4, 0xfee00003u);
	ck_assert_uint_eq(cfg(1, msi + 4, 4), 0xfee00000u);
	/* MMC is read-only; a 17th capability of 16 bytes cannot fit 256 bytes. */
	struct dm_pci_dev *d = D.pci.dev[1][0];
	unsigned added = 0;
	while (dm_pci_cap_add(d, 0x09, 16))
		added++;
	ck_assert_uint_eq(added, (DM_PCI_CFG_SIZE - (PCI_CAP_FIRST + 16 + 12)) / 16);
	ck_assert_int_eq(dm_pci_msi_add(d, 0), -EINVAL);
}
END_TEST

START_TEST(msi_multiple_message)
{
	struct dm_pci_dev *d = dm_pci_dev_add(&D.pci, 6, 0, "x", 1, 2, 0);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(dm_pci_msi_add(d, 2), 0);   /* 4 vectors capable */
	unsigned c = d->msi_cap;
	cfgw(6, c + 4, 4, 0xfee00000u);
	cfgw(6, c + 8, 4, 0x1);
	cfgw(6, c + 12, 2, 0x4033);
	cfgw(6, c + 2, 2, PCIM_MSICTRL_ENABLE | 1u << PCIM_MSICTRL_MME_SHIFT);  /* 2 enabled */
	ck_assert_int_eq(dm_pci_raise(d, 1), -EPERM);  /* no bus mastering, no message */
	cfgw(6, PCIR_COMMAND, 2, PCIM_CMD_BUSMASTER);
	ck_assert_int_eq(dm_pci_raise(d, 1), 0);
	ck_assert_uint_eq(R.nmsi, 1);
	ck_assert_uint_eq(R.msi[0].msi_addr, 0x1fee00000ull);
	ck_assert_uint_eq(R.msi[0].msi_data, 0x4033);  /* low bit set by the function */
	ck_assert_int_eq(dm_pci_raise(d, 0), 0);
	ck_assert_uint_eq(R.msi[1].msi_data, 0x4032);
	ck_assert_int_eq(dm_pci_raise(d, 2), -EINVAL);
	/* MME beyond MMC is clamped to what the function has. */
	cfgw(6, c + 2, 2, PCIM_MSICTRL_ENABLE | 5u << PCIM_MSICTRL_MME_SHIFT);
	ck_assert_int_eq(dm_pci_raise(d, 3), 0);
	ck_assert_int_eq(dm_pci_raise(d, 4), -EINVAL);
	ck_assert_uint_eq(R.nirq, 0);
}
END_TEST

START_TEST(msix_masks_and_pba)
{
	ck_assert_int_eq(dm_testdev_create(&D, 1, 0, "vectors=3"), 0);
	struct dm_pci_dev *d = D.pci.dev[1][0];
	uint64_t tab = cfg(1, PCIR_BAR0 + 8, 4);
	unsigned c = d->msix_cap;
	cfgw(1, PCIR_COMMAND, 2, PCIM_CMD_MEM | PCIM_CMD_BUSMASTER);
	cfgw(1, c + 2, 2, PCIM_MSIXCTRL_ENABLE | PCIM_MSIXCTRL_FUNCTION_MASK);
	ck_assert_uint_eq(mmio(tab + PCI_MSIX_ENTRY_VECTOR_CTRL, 4), PCIM_MSIX_VCTRL_MASK);
	mmiow(tab + 16, 4, 0xfee02000u);
	mmiow(tab + 16 + 4, 4, 0);
	mmiow(tab + 16 + 8, 4, 0x51);
	mmiow(tab + 16 + 12, 4, 0);                  /* entry 1 unmasked, function still masked */
	ck_assert_int_eq(dm_pci_raise(d, 1), 0);
	ck_assert_uint_eq(R.nmsi, 0);
	ck_assert_uint_eq(mmio(tab + TESTDEV_PBA_OFF, 8), 2);
	mmiow(tab + TESTDEV_PBA_OFF, 8, 0);          /* the PBA is read-only */
	ck_assert_uint_eq(mmio(tab + TESTDEV_PBA_OFF, 8), 2);
	cfgw(1, c + 2, 2, PCIM_MSIXCTRL_ENABLE);     /* function unmasked: the pending one goes */
	ck_assert_uint_eq(R.nmsi, 1);
	ck_assert_uint_eq(R.msi[0].msi_addr, 0xfee02000u);
	ck_assert_uint_eq(R.msi[0].msi_data, 0x51);
	ck_assert_uint_eq(mmio(tab + TESTDEV_PBA_OFF, 8), 0);
	ck_assert_int_eq(dm_pci_raise(d, 3), -EINVAL);
	/* Byte accesses to the table are not defined: dropped, read as zero. */
	mmiow(tab + 16 + 8, 1, 0x99);
	ck_assert_uint_eq(mmio(tab + 16 + 8, 4), 0x51);
	ck_assert_uint_eq(mmio(tab + 16 + 8, 1), 0);
	/* MSI-X wins over MSI; with both off, INTx. */
	cfgw(1, c + 2, 2, 0);
	ck_assert_int_eq(dm_pci_raise(d, 0), 0);
	ck_assert_uint_eq(R.nmsi, 1);
	ck_assert_uint_eq(R.nirq, 1);
	/* The table size field is read-only. */
	cfgw(1, c + 2, 2, 0x7ff);
	ck_assert_uint_eq(cfg(1, c + 2, 2), 2);
}
END_TEST

START_TEST(intx_and_interrupt_disable)
{
	ck_assert_int_eq(dm_testdev_create(&D, 9, 0, NULL), 0);
	struct dm_pci_dev *d = D.pci.dev[9][0];
	ck_assert_int_eq(dm_pci_raise(d, 0), 0);
	ck_assert_uint_eq(R.nirq, 1);
	ck_assert_uint_eq(R.irq[0].gsi, DM_PCI_INTX_GSI_BASE + 1);
	ck_assert_uint_eq(R.irq[0].op, ACRN_GSI_SET_HIGH);
	ck_assert_int_eq(dm_pci_raise(d, 0), 0);       /* already high: no second call */
	ck_assert_uint_eq(R.nirq, 1);
	/* Interrupt disable drops the line; status still says pending (6.2.3). */
	cfgw(9, PCIR_COMMAND, 2, PCIM_CMD_IO | PCIM_CMD_MEM | PCIM_CMD_INTX_DISABLE);
	ck_assert_uint_eq(R.nirq, 2);
	ck_assert_uint_eq(R.irq[1].op, ACRN_GSI_SET_LOW);
	ck_assert_uint_eq(cfg(9, PCIR_STATUS, 2) & PCIM_STATUS_INTX, PCIM_STATUS_INTX);
	cfgw(9, PCIR_COMMAND, 2, PCIM_CMD_IO | PCIM_CMD_MEM);
	ck_assert_uint_eq(R.nirq, 3);
	ck_assert_uint_eq(R.irq[2].op, ACRN_GSI_SET_HIGH);
	dm_pci_lower_intx(d);
	ck_assert_uint_eq(R.nirq, 4);
	ck_assert_uint_eq(R.irq[3].op, ACRN_GSI_SET_LOW);
	ck_assert_uint_eq(cfg(9, PCIR_STATUS, 2) & PCIM_STATUS_INTX, 0);
	/* The status bit is read-only to the guest. */
	cfgw(9, PCIR_STATUS, 2, 0xffff);
	ck_assert_uint_eq(cfg(9, PCIR_STATUS, 2), PCIM_STATUS_CAPLIST);
	/* A host bridge has no pin. */
	ck_assert_int_eq(dm_hostbridge_create(&D, 0, 0, NULL), 0);
	ck_assert_int_eq(dm_pci_raise(D.pci.dev[0][0], 0), -ENODEV);
	/* A refused INJECT_MSI is an error to the caller. */
	R.fail = EIO;
	ck_assert_int_eq(dm_inject_msi(&D, 0xfee00000u, 0x30), -EIO);
}
END_TEST

static int nop_io(void *arg, bool write, uint64_t off, unsigned size, uint64_t *value)
{
	(void)arg;
	(void)size;
	if (!write)
		*value = off;
	return 0;
}

START_TEST(io_tables_refuse_overlaps)
{
	struct dm_iorange_table t;
	dm_pio_init(&t);
	ck_assert_int_eq(dm_pio_register(&t, 0x100, 0x10, nop_io, NULL, "a"), 0);
	ck_assert_int_eq(dm_pio_register(&t, 0x10f, 1, nop_io, NULL, "b"), -EEXIST);
	ck_assert_int_eq(dm_pio_register(&t, 0xf8, 9, nop_io, NULL, "b"), -EEXIST);
	ck_assert_int_eq(dm_pio_register(&t, 0xf8, 8, nop_io, NULL, "b"), 0);
	ck_assert_int_eq(dm_pio_register(&t, 0xffff, 2, nop_io, NULL, "c"), -EINVAL);
	ck_assert_int_eq(dm_pio_register(&t, 0x200, 0, nop_io, NULL, "c"), -EINVAL);
	uint32_t v = 0;
	ck_assert_int_eq(dm_pio_access(&t, 0x104, 2, false, &v), 0);
	ck_assert_uint_eq(v, 4);
	/* Straddling two ranges is nobody's. */
	ck_assert_int_eq(dm_pio_access(&t, 0xfe, 4, false, &v), -ENOENT);
	ck_assert_uint_eq(v, 0xffffffffu);
	ck_assert_int_eq(dm_pio_access(&t, 0x104, 3, false, &v), -EINVAL);
	ck_assert_int_eq(dm_pio_unregister(&t, 0x100, NULL), 0);
	ck_assert_int_eq(dm_pio_unregister(&t, 0x100, NULL), -ENOENT);
	ck_assert_int_eq(dm_pio_access(&t, 0x104, 2, false, &v), -ENOENT);
	struct dm_iorange_table m;
	dm_mmio_init(&m);
	ck_assert_int_eq(dm_mmio_register(&m, ~0ull - 10, 0x20, nop_io, NULL, "wrap"), -EINVAL);
	ck_assert_int_eq(dm_mmio_register(&m, 0xfee00000u, 0x1000, nop_io, NULL, "x"), 0);
	uint64_t w = 0;
	ck_assert_int_eq(dm_mmio_access(&m, 0xfee00ff8u, 8, false, &w), 0);
	ck_assert_uint_eq(w, 0xff8);
	ck_assert_int_eq(dm_mmio_access(&m, 0xfee00ffcu, 8, false, &w), -ENOENT);
	ck_assert_uint_eq(w, ~0ull);
	for (unsigned i = 0; i < DM_IORANGE_MAX - 1; i++)
		ck_assert_int_eq(dm_mmio_register(&m, 0x1000 * (i + 1), 0x1000, nop_io, NULL, "f"), 0);
	ck_assert_int_eq(dm_mmio_register(&m, 0x100000000ull, 0x1000, nop_io, NULL, "full"), -ENOSPC);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("dm_pci");
	TCase *tc = tcase_create("pci");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, header_and_absent_functions);
	tcase_add_test(tc, bars_placed_sized_and_moved);
	tcase_add_test(tc, capability_list);
	tcase_add_test(tc, msi_multiple_message);
	tcase_add_test(tc, msix_masks_and_pba);
	tcase_add_test(tc, intx_and_interrupt_disable);
	tcase_add_test(tc, io_tables_refuse_overlaps);
	suite_add_tcase(s, tc);
	return s;
}
