/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCI test device (-s N,pci-testdev[,vectors=V]): proves the IOREQ and
 * interrupt paths before virtio.
 *   BAR0  I/O, 256 bytes: scratch (any 1/2/4-byte access reads back what was written)
 *   BAR1  memory, 4 KiB: 0x000-0x0ff scratch (1/2/4/8 bytes); DOORBELL (write V:
 *         raise vector V by MSI-X, else MSI, else INTx); INTX_ACK (write: deassert
 *         INTx); ID (reads TESTDEV_ID); VECTORS (reads V)
 *   BAR2  memory, 4 KiB: the MSI-X table (offset 0) and PBA (TESTDEV_PBA_OFF)
 * Capabilities: MSI (one vector) and MSI-X (V vectors).
 */
#ifndef TERN_DM_PCI_TESTDEV_H
#define TERN_DM_PCI_TESTDEV_H

/* Not a PCI-SIG-assigned vendor ID: for Tern's emulated test devices only. */
#define DM_PCI_VENDOR_TERN 0x7e4eu
#define DM_PCI_DEVICE_HOSTBRIDGE 0x0000u
#define DM_PCI_DEVICE_TESTDEV 0x0001u
#define TESTDEV_CLASS 0xff0000u  /* class FFh: fits no defined class */

#define TESTDEV_IO_SIZE 256u
#define TESTDEV_MEM_SIZE 4096u
#define TESTDEV_SCRATCH_SIZE 256u
#define TESTDEV_REG_DOORBELL 0x100u
#define TESTDEV_REG_INTX_ACK 0x104u
#define TESTDEV_REG_ID 0x108u
#define TESTDEV_REG_VECTORS 0x10cu
#define TESTDEV_ID 0x4e524554u   /* "TERN" */
#define TESTDEV_PBA_OFF 0x800u
#define TESTDEV_DEFAULT_VECTORS 4u
#define TESTDEV_BAR_IO 0
#define TESTDEV_BAR_MEM 1
#define TESTDEV_BAR_MSIX 2

#endif
