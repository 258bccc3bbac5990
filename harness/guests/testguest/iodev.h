/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device the Service VM emulates for its User VM (uvm_abi.h has the
 * addresses and IDs both sides use; docs/testguest.md describes it): a
 * port block, a PCI function on bus 0 whose BAR0 names that block and
 * whose BAR1 the MMIO page, and the MMIO page. The User VM reaches it only
 * through IOREQs (ioreq_svc.c decodes them and calls these).
 */
#ifndef TG_IODEV_H
#define TG_IODEV_H

#include <stdbool.h>
#include <stdint.h>
#include "uvm_abi.h"

struct iodev {
	uint8_t ports[IODEV_PORTS];            /* the port block's scratch bytes */
	uint8_t mmio[IODEV_MMIO_SCRATCH_END];  /* the MMIO page's scratch bytes */
	uint16_t command;                      /* PCI command register */
	uint32_t bar0, bar1;                   /* as written, before the BAR's mask */
	uint8_t int_line;
};

void iodev_reset(struct iodev *d);
/*
 * One access of `size` bytes (1, 2, 4; 8 for MMIO) at a port / a
 * guest-physical address: a write takes *v, a read leaves its value there.
 * False when the range is not (entirely) the device's: then nothing is
 * changed and the caller answers as an empty bus does.
 * The port block and the MMIO page decode at their fixed addresses whatever
 * the BARs say (the User VM never moves them; moving is not modelled).
 */
bool iodev_port(struct iodev *d, uint64_t port, uint32_t size, bool write, uint64_t *v);
bool iodev_mmio(struct iodev *d, uint64_t gpa, uint32_t size, bool write, uint64_t *v);
/*
 * A configuration access to bus/dev/func at register byte `reg` (its size
 * bytes stay inside one dword): false for a function that does not exist
 * (reads all ones, as with no device to answer the cycle).
 */
bool iodev_pci(struct iodev *d, uint32_t bus, uint32_t dev, uint32_t func, uint32_t reg,
	       uint32_t size, bool write, uint64_t *v);

#endif
