/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hypervisor's own PCI host bridge at 00:00.0, for a VM whose devices
 * the hypervisor owns (no device model attached; with one, 00:00.0 is the
 * device model's like every other function, as ACRN's DM provides its own
 * host bridge to post-launched VMs). A type-0 header (PCI Local Bus 3.0,
 * 6.1): class 06/00/00 (host bridge), no BARs, no capabilities, no
 * interrupt; every register is read-only (writes are dropped), and the
 * rest of the 256-byte space reads 0.
 */
#ifndef TERN_PCI_HOSTBRIDGE_H
#define TERN_PCI_HOSTBRIDGE_H

#include <stdint.h>
#include <stdbool.h>

/* Tern's vendor ID and the host bridge's device ID (tern-dm's hostbridge uses the same). */
#define PCI_HB_VENDOR_ID 0x7e4eu
#define PCI_HB_DEVICE_ID 0x0000u
#define PCI_HB_CLASS_BRIDGE 0x06u
#define PCI_HB_SUBCLASS_HOST 0x00u

/* Whether bus/device/function name the host bridge (00:00.0). */
bool pci_hostbridge_is(uint32_t bus, uint32_t dev, uint32_t func);
/* @size bytes (1, 2, 4) of its configuration space at @reg (0..255), little-endian. */
uint32_t pci_hostbridge_read(uint32_t reg, unsigned size);

#endif
