/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0,
 * 3.2.2.3.2), the way ACRN's HSM serves it: the hypervisor keeps each VM's
 * CONFIG_ADDRESS latch (0xCF8) and turns accesses to CONFIG_DATA
 * (0xCFC-0xCFF) into IOREQ_TYPE_PCICFG requests naming bus, device,
 * function and register, so the device model never sees 0xCF8 at all.
 *
 *   CONFIG_ADDRESS: enable 31, reserved 30:24 (read 0), bus 23:16,
 *                   device 15:11, function 10:8, register 7:2, 1:0 read 0.
 *
 * Only a dword access to 0xCF8 reaches CONFIG_ADDRESS; byte and word
 * accesses there are ordinary port I/O (3.2.2.3.2: "anything other than a
 * DWORD ... is passed through"). With the enable bit clear, CONFIG_DATA
 * reads all ones and discards writes (no configuration cycle is made).
 */
#ifndef TERN_PCI_CFG_H
#define TERN_PCI_CFG_H

#include <stdint.h>
#include <stdbool.h>
#include "ioreq_types.h"

struct vm;

#define PCI_CFG_ADDR_PORT 0xcf8
#define PCI_CFG_DATA_PORT 0xcfc
#define PCI_CFG_DATA_PORTS 4
#define PCI_CFG_ENABLE 0x80000000u
/* The bits of CONFIG_ADDRESS that hold state: enable, bus, device, function, register. */
#define PCI_CFG_ADDR_MASK 0x80fffffcu

static inline uint32_t pci_cfg_bus(uint32_t a) { return (a >> 16) & 0xffu; }
static inline uint32_t pci_cfg_dev(uint32_t a) { return (a >> 11) & 0x1fu; }
static inline uint32_t pci_cfg_func(uint32_t a) { return (a >> 8) & 0x7u; }
static inline uint32_t pci_cfg_reg(uint32_t a) { return a & 0xfcu; }

enum pci_cfg_op {
	PCI_CFG_NONE,     /* not a configuration access: ordinary port I/O */
	PCI_CFG_DONE,     /* served here; a read's result is in *value */
	PCI_CFG_REQUEST,  /* *req is the PCICFG request to send */
};

/*
 * Classify and serve a port access of `size` bytes at `port` that no
 * in-hypervisor device claimed. A write's data is in *value; a read's
 * result goes there for PCI_CFG_DONE. `ioreq` says whether the VM has an
 * IOREQ page: without one an enabled CONFIG_DATA access is served here: the
 * hypervisor's host bridge at 00:00.0 (pci_hostbridge.h), all ones for
 * every other function (no device model, no devices).
 */
/* Whether pci_cfg_access serves the access (a dword at 0xCF8, or CONFIG_DATA): not PCI_CFG_NONE. */
bool pci_cfg_port(uint16_t port, unsigned size);
/* Whether pci_cfg_access makes it a request: CONFIG_DATA with the latch enabled, and `ioreq`. */
bool pci_cfg_is_request(const struct vm *vm, uint16_t port, unsigned size, bool ioreq);

enum pci_cfg_op pci_cfg_access(struct vm *vm, uint16_t port, unsigned size, bool write,
			       uint32_t *value, bool ioreq, struct ioreq *req);

#endif
