/* SPDX-License-Identifier: BSD-3-Clause */
#include "pci_cfg.h"
#include "lib.h"
#include "pci_hostbridge.h"
#include "vm.h"

static bool is_data(uint16_t port, unsigned size)
{
	/* An access that runs past 0xCFF is not a CONFIG_DATA access. */
	return port >= PCI_CFG_DATA_PORT && (uint32_t)port + size <= PCI_CFG_DATA_PORT + PCI_CFG_DATA_PORTS;
}

static bool is_addr(uint16_t port, unsigned size)
{
	return port == PCI_CFG_ADDR_PORT && size == 4;
}

bool pci_cfg_port(uint16_t port, unsigned size)
{
	return is_addr(port, size) || is_data(port, size);
}

bool pci_cfg_is_request(const struct vm *vm, uint16_t port, unsigned size, bool ioreq)
{
	return is_data(port, size) && (vm->pci_cf8 & PCI_CFG_ENABLE) && ioreq;
}

enum pci_cfg_op pci_cfg_access(struct vm *vm, uint16_t port, unsigned size, bool write,
			       uint32_t *value, bool ioreq, struct ioreq *req)
{
	if (is_addr(port, size)) {
		if (write)
			vm->pci_cf8 = *value & PCI_CFG_ADDR_MASK;
		else
			*value = vm->pci_cf8;
		return PCI_CFG_DONE;
	}
	if (!is_data(port, size))
		return PCI_CFG_NONE;
	uint32_t a = vm->pci_cf8;
	unsigned off = port - PCI_CFG_DATA_PORT;
	if (!pci_cfg_is_request(vm, port, size, ioreq)) {
		/* No configuration cycle, or no device model: the hypervisor's own
		 * host bridge at 00:00.0, nothing (all ones) anywhere else. */
		if (write)
			return PCI_CFG_DONE;
		if ((a & PCI_CFG_ENABLE) &&
		    pci_hostbridge_is(pci_cfg_bus(a), pci_cfg_dev(a), pci_cfg_func(a)))
			*value = pci_hostbridge_read(pci_cfg_reg(a) + off, size);
		else
			*value = (uint32_t)tern_size_mask(size);
		return PCI_CFG_DONE;
	}
	*req = (struct ioreq){ .type = IOREQ_TYPE_PCICFG, .dir = write ? IOREQ_WRITE : IOREQ_READ,
			       .addr = port, .size = size,
			       .value = write ? (*value & tern_size_mask(size)) : 0,
			       .pci_bus = pci_cfg_bus(a), .pci_dev = pci_cfg_dev(a),
			       .pci_func = pci_cfg_func(a), .pci_reg = pci_cfg_reg(a) + off };
	return PCI_CFG_REQUEST;
}
