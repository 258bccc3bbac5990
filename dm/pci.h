/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-dm's PCI bus 0: a configuration space per function (type-0 header,
 * PCI Local Bus Spec 3.0 ch. 6), BARs sized by the all-ones write and placed
 * in fixed windows, a capability list with MSI and MSI-X (ch. 6.8), INTx on
 * a GSI. Config space is reached through PCICFG IOREQs and through ports
 * 0xCF8/0xCFC (configuration mechanism #1, 3.2.2.3.2) when the hypervisor
 * passes those on raw.
 */
#ifndef TERN_DM_PCI_H
#define TERN_DM_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "iorange.h"

struct dm;

#define DM_PCI_SLOTS 32u
#define DM_PCI_FUNCS 8u
#define DM_PCI_CFG_SIZE 256u      /* conventional; 256..4095 read as zero */
#define DM_PCI_CFG_EXT_SIZE 4096u
#define DM_PCI_BARS 6u

/* Type-0 header offsets and bits. */
#define PCIR_VENDOR 0x00
#define PCIR_DEVICE 0x02
#define PCIR_COMMAND 0x04
#define PCIR_STATUS 0x06
#define PCIR_REVID 0x08
#define PCIR_CLASS 0x09           /* prog-if 0x09, subclass 0x0a, class 0x0b */
#define PCIR_HDRTYPE 0x0e
#define PCIR_BAR0 0x10
#define PCIR_SUBVEND 0x2c
#define PCIR_CAP_PTR 0x34
#define PCIR_INTLINE 0x3c
#define PCIR_INTPIN 0x3d
#define PCIM_CMD_IO 0x0001u
#define PCIM_CMD_MEM 0x0002u
#define PCIM_CMD_BUSMASTER 0x0004u
#define PCIM_CMD_INTX_DISABLE 0x0400u
#define PCIM_STATUS_INTX 0x0008u
#define PCIM_STATUS_CAPLIST 0x0010u
#define PCIM_BAR_IO 0x1u
#define PCI_CAP_FIRST 0x40

#define PCIY_MSI 0x05
#define PCIY_MSIX 0x11
/* MSI capability: message control bits (PCI 3.0 6.8.1.3). */
#define PCIM_MSICTRL_ENABLE 0x0001u
#define PCIM_MSICTRL_MMC_SHIFT 1
#define PCIM_MSICTRL_MME_SHIFT 4
#define PCIM_MSICTRL_MME_MASK 0x0070u
#define PCIM_MSICTRL_64BIT 0x0080u
/* MSI-X capability: message control (6.8.2.3) and table entry layout (6.8.2.6). */
#define PCIM_MSIXCTRL_TABLE_SIZE 0x07ffu
#define PCIM_MSIXCTRL_FUNCTION_MASK 0x4000u
#define PCIM_MSIXCTRL_ENABLE 0x8000u
#define PCI_MSIX_ENTRY_SIZE 16u
#define PCI_MSIX_ENTRY_DATA 8u
#define PCI_MSIX_ENTRY_VECTOR_CTRL 12u
#define PCIM_MSIX_VCTRL_MASK 0x1u
#define DM_PCI_MSIX_MAX 32u

/*
 * Where tern-dm places BARs (the guest may move them). The memory window
 * starts above the in-hypervisor ranges of the PCI hole: core emulates its
 * test device at 0xC0000000-0xC0000FFF in every VM (core/testdev.h,
 * docs/testdev.md) and claims that range before any request is made, so a
 * BAR there would never see an access. [0xD0000000, 0xE0000000) holds no
 * range core registers (the I/O APIC and LAPIC are at 0xFEC00000 and
 * 0xFEE00000); a guest that moves a BAR onto a hypervisor range gets the
 * hypervisor's device there, as on ACRN.
 */
#define DM_PCI_IO_BASE 0xc000u
#define DM_PCI_IO_LIMIT 0x10000u
#define DM_PCI_MEM_BASE 0xd0000000ull
#define DM_PCI_MEM_LIMIT 0xe0000000ull
/* PCI INTx lines on I/O APIC pins 16-23. */
#define DM_PCI_INTX_GSI_BASE 16u

enum dm_pci_bar_type { DM_BAR_NONE, DM_BAR_IO, DM_BAR_MEM32 };

struct dm_pci_dev;

struct dm_pci_bar {
	enum dm_pci_bar_type type;
	uint64_t size;            /* a power of two */
	uint64_t mapped;          /* where it decodes now, if mapped */
	bool is_mapped;
	dm_io_fn fn;              /* offset relative to the BAR */
	void *arg;
};

struct dm_pci_dev {
	struct dm *dm;
	uint8_t slot, func;
	const char *name;
	uint8_t cfg[DM_PCI_CFG_SIZE];
	uint8_t wmask[DM_PCI_CFG_SIZE];   /* bits the guest may write */
	uint8_t cap_next;                 /* next free config offset for a capability */
	uint8_t cap_last;                 /* offset of the last capability, 0 if none */
	struct dm_pci_bar bar[DM_PCI_BARS];
	/* MSI */
	uint8_t msi_cap;
	/* MSI-X */
	uint8_t msix_cap;
	unsigned msix_n;
	uint8_t msix_bar;
	uint8_t msix_table[DM_PCI_MSIX_MAX * PCI_MSIX_ENTRY_SIZE];
	uint32_t msix_pba;
	/* INTx */
	uint32_t intx_gsi;
	bool intx_asserted;
	void *priv;
	void (*destroy)(struct dm_pci_dev *d);
};

struct dm_pci_bus {
	struct dm *dm;
	struct dm_pci_dev *dev[DM_PCI_SLOTS][DM_PCI_FUNCS];
	uint32_t cf8;             /* the configuration-address latch */
	uint64_t io_next, mem_next;
};

void dm_pci_bus_init(struct dm_pci_bus *bus, struct dm *dm);
void dm_pci_bus_fini(struct dm_pci_bus *bus);
/* A new function with an empty type-0 header; NULL if taken or out of range. */
struct dm_pci_dev *dm_pci_dev_add(struct dm_pci_bus *bus, unsigned slot, unsigned func, const char *name,
				  uint16_t vendor, uint16_t device, uint32_t class_code);
/* A BAR of size (a power of two) placed in its window; -ENOSPC when the window is full. */
int dm_pci_bar_add(struct dm_pci_dev *d, unsigned idx, enum dm_pci_bar_type type, uint64_t size,
		   dm_io_fn fn, void *arg);
/* A capability of len bytes linked into the list; its offset, or 0 when it does not fit. */
uint8_t dm_pci_cap_add(struct dm_pci_dev *d, uint8_t id, unsigned len);
int dm_pci_msi_add(struct dm_pci_dev *d, unsigned log2_vectors);
/* MSI-X with n vectors, table at offset 0 of BAR bar_idx and PBA at pba_off. */
int dm_pci_msix_add(struct dm_pci_dev *d, unsigned n, unsigned bar_idx, uint32_t pba_off);
/* The MSI-X table/PBA BAR's handler (arg is the device); for dm_pci_bar_add. */
int dm_pci_msix_bar_io(void *arg, bool write, uint64_t off, unsigned size, uint64_t *value);
/* Decoding on, BARs registered: the state tern-dm hands the guest. */
void dm_pci_dev_enable(struct dm_pci_dev *d);

/*
 * A config access to bus:dev.func, register reg (size 1, 2 or 4). Absent
 * functions read all-ones and drop writes, as on real hardware.
 */
void dm_pci_cfg_access(struct dm_pci_bus *bus, unsigned busno, unsigned dev, unsigned func, unsigned reg,
		       unsigned size, bool write, uint32_t *value);

/* Raise interrupt vector n: MSI-X, else MSI, else INTx. 0 or -errno. */
int dm_pci_raise(struct dm_pci_dev *d, unsigned n);
void dm_pci_lower_intx(struct dm_pci_dev *d);

static inline uint16_t dm_pci_cfg16(const struct dm_pci_dev *d, unsigned off)
{
	return (uint16_t)(d->cfg[off] | d->cfg[off + 1] << 8);
}

static inline uint32_t dm_pci_cfg32(const struct dm_pci_dev *d, unsigned off)
{
	return (uint32_t)dm_pci_cfg16(d, off) | (uint32_t)dm_pci_cfg16(d, off + 2) << 16;
}

#endif
