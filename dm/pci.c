/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI bus 0. References are to the PCI Local Bus Specification 3.0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dm.h"
#include "mmio.h"
#include "pci.h"
#include "pio.h"

#define PCI_CF8_ENABLE 0x80000000u
#define PCI_CF8_PORT 0xcf8
#define PCI_CFC_PORT 0xcfc
#define PCIM_HDRTYPE_MULTIFUNC 0x80u

static void put8(struct dm_pci_dev *d, unsigned off, uint8_t v, uint8_t wmask)
{
	d->cfg[off] = v;
	d->wmask[off] = wmask;
}

static void put16(struct dm_pci_dev *d, unsigned off, uint16_t v, uint16_t wmask)
{
	put8(d, off, (uint8_t)v, (uint8_t)wmask);
	put8(d, off + 1, (uint8_t)(v >> 8), (uint8_t)(wmask >> 8));
}

static void put32(struct dm_pci_dev *d, unsigned off, uint32_t v, uint32_t wmask)
{
	put16(d, off, (uint16_t)v, (uint16_t)wmask);
	put16(d, off + 2, (uint16_t)(v >> 16), (uint16_t)(wmask >> 16));
}

static void set16(struct dm_pci_dev *d, unsigned off, uint16_t v)
{
	d->cfg[off] = (uint8_t)v;
	d->cfg[off + 1] = (uint8_t)(v >> 8);
}

/* ---- BARs (6.2.5.1) ---- */

static uint64_t bar_addr(const struct dm_pci_dev *d, unsigned i)
{
	uint32_t raw = dm_pci_cfg32(d, PCIR_BAR0 + 4 * i);
	uint32_t flags = d->bar[i].type == DM_BAR_IO ? 0x3u : 0xfu;
	return raw & ~flags & ~(uint32_t)(d->bar[i].size - 1);
}

static struct dm_iorange_table *bar_table(struct dm_pci_dev *d, unsigned i)
{
	return d->bar[i].type == DM_BAR_IO ? &d->dm->pio : &d->dm->mmio;
}

/*
 * Make every BAR decode where its register says, when the command register
 * enables that space (6.2.2); an address of 0 or one that cannot be mapped
 * (outside the port space, overlapping another range) does not decode.
 */
static void bar_sync(struct dm_pci_dev *d)
{
	uint16_t cmd = dm_pci_cfg16(d, PCIR_COMMAND);
	for (unsigned i = 0; i < DM_PCI_BARS; i++) {
		struct dm_pci_bar *b = &d->bar[i];
		if (b->type == DM_BAR_NONE)
			continue;
		bool on = (cmd & (b->type == DM_BAR_IO ? PCIM_CMD_IO : PCIM_CMD_MEM)) != 0;
		uint64_t addr = bar_addr(d, i);
		bool want = on && addr != 0;
		if (b->is_mapped && (!want || b->mapped != addr)) {
			dm_iorange_remove(bar_table(d, i), b->mapped, b->arg);
			b->is_mapped = false;
		}
		if (want && !b->is_mapped &&
		    dm_iorange_add(bar_table(d, i), addr, b->size, b->fn, b->arg, d->name) == 0) {
			b->mapped = addr;
			b->is_mapped = true;
		}
	}
}

int dm_pci_bar_add(struct dm_pci_dev *d, unsigned idx, enum dm_pci_bar_type type, uint64_t size,
		   dm_io_fn fn, void *arg)
{
	struct dm_pci_bus *bus = &d->dm->pci;
	if (idx >= DM_PCI_BARS || d->bar[idx].type != DM_BAR_NONE || size == 0 || (size & (size - 1)) ||
	    (type == DM_BAR_IO && (size < 4 || size > 256)) ||
	    (type == DM_BAR_MEM32 && (size < 16 || size > (1ull << 31))) || type == DM_BAR_NONE)
		return -EINVAL;
	uint64_t *next = type == DM_BAR_IO ? &bus->io_next : &bus->mem_next;
	uint64_t limit = type == DM_BAR_IO ? DM_PCI_IO_LIMIT : DM_PCI_MEM_LIMIT;
	uint64_t addr = (*next + size - 1) & ~(size - 1);
	if (addr + size > limit)
		return -ENOSPC;
	*next = addr + size;
	d->bar[idx] = (struct dm_pci_bar){ .type = type, .size = size, .fn = fn, .arg = arg };
	uint32_t flags = type == DM_BAR_IO ? PCIM_BAR_IO : 0;
	uint32_t ro = type == DM_BAR_IO ? 0x3u : 0xfu;
	/* Bits below the size read as zero: writing all-ones reads back the size (6.2.5.1). */
	put32(d, PCIR_BAR0 + 4 * idx, (uint32_t)addr | flags, ~(uint32_t)(size - 1) & ~ro);
	return 0;
}

/* ---- capabilities (6.7) ---- */

uint8_t dm_pci_cap_add(struct dm_pci_dev *d, uint8_t id, unsigned len)
{
	unsigned off = d->cap_next;
	if (len < 2 || off + len > DM_PCI_CFG_SIZE)
		return 0;
	put8(d, off, id, 0);
	put8(d, off + 1, 0, 0);
	if (d->cap_last == 0) {
		put8(d, PCIR_CAP_PTR, (uint8_t)off, 0);
		set16(d, PCIR_STATUS, dm_pci_cfg16(d, PCIR_STATUS) | PCIM_STATUS_CAPLIST);
	} else {
		d->cfg[d->cap_last + 1] = (uint8_t)off;
	}
	d->cap_last = (uint8_t)off;
	d->cap_next = (uint8_t)((off + len + 3) & ~3u);
	return (uint8_t)off;
}

/* MSI with 64-bit address, no per-vector masking: 16 bytes (6.8.1). */
int dm_pci_msi_add(struct dm_pci_dev *d, unsigned log2_vectors)
{
	if (log2_vectors > 5 || d->msi_cap)
		return -EINVAL;
	uint8_t c = dm_pci_cap_add(d, PCIY_MSI, 16);
	if (!c)
		return -ENOSPC;
	put16(d, c + 2, (uint16_t)(PCIM_MSICTRL_64BIT | log2_vectors << PCIM_MSICTRL_MMC_SHIFT),
	      PCIM_MSICTRL_ENABLE | PCIM_MSICTRL_MME_MASK);
	put32(d, c + 4, 0, 0xfffffffcu);  /* address, DWORD aligned */
	put32(d, c + 8, 0, 0xffffffffu);  /* upper address */
	put16(d, c + 12, 0, 0xffffu);     /* data */
	d->msi_cap = c;
	return 0;
}

int dm_pci_msix_add(struct dm_pci_dev *d, unsigned n, unsigned bar_idx, uint32_t pba_off)
{
	if (n == 0 || n > DM_PCI_MSIX_MAX || bar_idx >= DM_PCI_BARS || d->msix_cap || pba_off % 8 ||
	    pba_off < n * PCI_MSIX_ENTRY_SIZE)
		return -EINVAL;
	uint8_t c = dm_pci_cap_add(d, PCIY_MSIX, 12);
	if (!c)
		return -ENOSPC;
	put16(d, c + 2, (uint16_t)(n - 1), PCIM_MSIXCTRL_ENABLE | PCIM_MSIXCTRL_FUNCTION_MASK);
	put32(d, c + 4, bar_idx, 0);           /* table at offset 0 of the BAR */
	put32(d, c + 8, pba_off | bar_idx, 0);
	d->msix_cap = c;
	d->msix_n = n;
	d->msix_bar = (uint8_t)bar_idx;
	memset(d->msix_table, 0, sizeof(d->msix_table));
	/* Every entry's mask bit is set at reset (6.8.2.9). */
	for (unsigned i = 0; i < n; i++)
		d->msix_table[i * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] = PCIM_MSIX_VCTRL_MASK;
	d->msix_pba = 0;
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool msix_enabled(const struct dm_pci_dev *d)
{
	return d->msix_cap && (dm_pci_cfg16(d, d->msix_cap + 2) & PCIM_MSIXCTRL_ENABLE);
}

static bool msix_masked(const struct dm_pci_dev *d, unsigned n)
{
	return (dm_pci_cfg16(d, d->msix_cap + 2) & PCIM_MSIXCTRL_FUNCTION_MASK) ||
	       (d->msix_table[n * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] & PCIM_MSIX_VCTRL_MASK);
}

static bool bus_master(const struct dm_pci_dev *d)
{
	return (dm_pci_cfg16(d, PCIR_COMMAND) & PCIM_CMD_BUSMASTER) != 0;
}

static int msix_send(struct dm_pci_dev *d, unsigned n)
{
	const uint8_t *e = &d->msix_table[n * PCI_MSIX_ENTRY_SIZE];
	uint64_t addr = (uint64_t)le32(e) | (uint64_t)le32(e + 4) << 32;
	return dm_inject_msi(d->dm, addr, le32(e + PCI_MSIX_ENTRY_DATA));
}

/* A pending vector is sent once it is unmasked (6.8.2.9). */
static void msix_flush_pending(struct dm_pci_dev *d)
{
	if (!msix_enabled(d) || !bus_master(d))
		return;
	for (unsigned n = 0; n < d->msix_n; n++) {
		if ((d->msix_pba & (1u << n)) && !msix_masked(d, n)) {
			d->msix_pba &= ~(1u << n);
			msix_send(d, n);
		}
	}
}

int dm_pci_msix_bar_io(void *arg, bool write, uint64_t off, unsigned size, uint64_t *value)
{
	struct dm_pci_dev *d = arg;
	uint64_t table_len = d->msix_n * PCI_MSIX_ENTRY_SIZE;
	uint32_t pba_off = dm_pci_cfg32(d, d->msix_cap + 8) & ~7u;
	/* Only aligned DWORD and QWORD accesses are defined (6.8.2). */
	if ((size != 4 && size != 8) || off % size) {
		if (!write)
			*value = 0;
		return 0;
	}
	if (off + size <= table_len) {
		if (write) {
			for (unsigned i = 0; i < size; i++)
				d->msix_table[off + i] = (uint8_t)(*value >> (8 * i));
			msix_flush_pending(d);
		} else {
			uint64_t v = 0;
			for (unsigned i = 0; i < size; i++)
				v |= (uint64_t)d->msix_table[off + i] << (8 * i);
			*value = v;
		}
		return 0;
	}
	if (!write) {
		/* The PBA is read-only; writes are dropped. */
		*value = 0;
		if (off == pba_off)
			*value = d->msix_pba;
		else if (off == pba_off + 4 && size == 4)
			*value = 0;
	}
	return 0;
}

/* ---- INTx (6.2.4: interrupt pin, interrupt line; 6.2.2 interrupt disable) ---- */

static bool intx_line_high(const struct dm_pci_dev *d)
{
	return d->intx_asserted && !(dm_pci_cfg16(d, PCIR_COMMAND) & PCIM_CMD_INTX_DISABLE);
}

static void intx_set(struct dm_pci_dev *d, bool was_high)
{
	bool high = intx_line_high(d);
	uint16_t st = dm_pci_cfg16(d, PCIR_STATUS);
	set16(d, PCIR_STATUS, d->intx_asserted ? st | PCIM_STATUS_INTX : st & ~PCIM_STATUS_INTX);
	if (high != was_high)
		dm_set_irqline(d->dm, d->intx_gsi, high ? ACRN_GSI_SET_HIGH : ACRN_GSI_SET_LOW);
}

int dm_pci_raise(struct dm_pci_dev *d, unsigned n)
{
	if (msix_enabled(d)) {
		if (n >= d->msix_n)
			return -EINVAL;
		if (!bus_master(d))
			return -EPERM;
		if (msix_masked(d, n)) {
			d->msix_pba |= 1u << n;
			return 0;
		}
		return msix_send(d, n);
	}
	if (d->msi_cap && (dm_pci_cfg16(d, d->msi_cap + 2) & PCIM_MSICTRL_ENABLE)) {
		uint16_t ctrl = dm_pci_cfg16(d, d->msi_cap + 2);
		unsigned mmc = (ctrl >> PCIM_MSICTRL_MMC_SHIFT) & 7u;
		unsigned mme = (ctrl & PCIM_MSICTRL_MME_MASK) >> PCIM_MSICTRL_MME_SHIFT;
		unsigned vectors = 1u << (mme < mmc ? mme : mmc);
		if (n >= vectors)
			return -EINVAL;
		if (!bus_master(d))
			return -EPERM;
		uint64_t addr = dm_pci_cfg32(d, d->msi_cap + 4) | (uint64_t)dm_pci_cfg32(d, d->msi_cap + 8) << 32;
		/* Multiple messages: the function sets the low bits of the data (6.8.1.6). */
		uint32_t data = (dm_pci_cfg16(d, d->msi_cap + 12) & ~(vectors - 1)) | n;
		return dm_inject_msi(d->dm, addr, data);
	}
	if (d->cfg[PCIR_INTPIN] == 0)
		return -ENODEV;
	bool was = intx_line_high(d);
	d->intx_asserted = true;
	intx_set(d, was);
	return 0;
}

void dm_pci_lower_intx(struct dm_pci_dev *d)
{
	bool was = intx_line_high(d);
	d->intx_asserted = false;
	intx_set(d, was);
}

/* ---- config space ---- */

static void cfg_write(struct dm_pci_dev *d, unsigned reg, unsigned size, uint32_t value)
{
	bool was_high = intx_line_high(d);
	for (unsigned i = 0; i < size; i++) {
		unsigned o = reg + i;
		uint8_t v = (uint8_t)(value >> (8 * i));
		d->cfg[o] = (uint8_t)((d->cfg[o] & ~d->wmask[o]) | (v & d->wmask[o]));
	}
	bool touches_cmd = reg < PCIR_COMMAND + 2 && reg + size > PCIR_COMMAND;
	bool touches_bar = reg < PCIR_BAR0 + 4 * DM_PCI_BARS && reg + size > PCIR_BAR0;
	if (touches_cmd || touches_bar)
		bar_sync(d);
	if (touches_cmd)
		intx_set(d, was_high);
	if (d->msix_cap && reg < d->msix_cap + 4u && reg + size > d->msix_cap + 2u)
		msix_flush_pending(d);
}

static struct dm_pci_dev *lookup(struct dm_pci_bus *bus, unsigned busno, unsigned dev, unsigned func)
{
	if (busno != 0 || dev >= DM_PCI_SLOTS || func >= DM_PCI_FUNCS)
		return NULL;
	return bus->dev[dev][func];
}

void dm_pci_cfg_access(struct dm_pci_bus *bus, unsigned busno, unsigned dev, unsigned func, unsigned reg,
		       unsigned size, bool write, uint32_t *value)
{
	struct dm_pci_dev *d = lookup(bus, busno, dev, func);
	bool ok = d && (size == 1 || size == 2 || size == 4) && reg % size == 0 &&
		  reg + size <= DM_PCI_CFG_EXT_SIZE;
	if (write) {
		if (ok && reg < DM_PCI_CFG_SIZE)
			cfg_write(d, reg, size, *value);
		return;
	}
	if (!ok) {
		*value = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
		return;
	}
	uint32_t v = 0;
	for (unsigned i = 0; i < size && reg < DM_PCI_CFG_SIZE; i++)
		v |= (uint32_t)d->cfg[reg + i] << (8 * i);
	*value = v;
}

/* Configuration mechanism #1 (3.2.2.3.2): 0xCF8 is the latch, 0xCFC-0xCFF the data. */
static int cf8_io(void *arg, bool write, uint64_t off, unsigned size, uint64_t *value)
{
	struct dm_pci_bus *bus = arg;
	if (size != 4 || off != 0) {
		if (!write)
			*value = ~0ull;
		return 0;
	}
	if (write)
		bus->cf8 = (uint32_t)*value & 0x80fffffcu;
	else
		*value = bus->cf8;
	return 0;
}

static int cfc_io(void *arg, bool write, uint64_t off, unsigned size, uint64_t *value)
{
	struct dm_pci_bus *bus = arg;
	uint32_t a = bus->cf8;
	uint32_t v = (uint32_t)*value;
	if (!(a & PCI_CF8_ENABLE)) {
		if (!write)
			*value = ~0ull;
		return 0;
	}
	dm_pci_cfg_access(bus, (a >> 16) & 0xffu, (a >> 11) & 0x1fu, (a >> 8) & 0x7u,
			  (a & 0xfcu) + (unsigned)off, size, write, &v);
	if (!write)
		*value = v;
	return 0;
}

void dm_pci_bus_init(struct dm_pci_bus *bus, struct dm *dm)
{
	memset(bus, 0, sizeof(*bus));
	bus->dm = dm;
	bus->io_next = DM_PCI_IO_BASE;
	bus->mem_next = DM_PCI_MEM_BASE;
	dm_pio_register(&dm->pio, PCI_CF8_PORT, 4, cf8_io, bus, "pci-cf8");
	dm_pio_register(&dm->pio, PCI_CFC_PORT, 4, cfc_io, bus, "pci-cfc");
}

void dm_pci_bus_fini(struct dm_pci_bus *bus)
{
	for (unsigned s = 0; s < DM_PCI_SLOTS; s++) {
		for (unsigned f = 0; f < DM_PCI_FUNCS; f++) {
			struct dm_pci_dev *d = bus->dev[s][f];
			if (!d)
				continue;
			if (d->destroy)
				d->destroy(d);
			free(d);
			bus->dev[s][f] = NULL;
		}
	}
}

struct dm_pci_dev *dm_pci_dev_add(struct dm_pci_bus *bus, unsigned slot, unsigned func, const char *name,
				  uint16_t vendor, uint16_t device, uint32_t class_code)
{
	if (slot >= DM_PCI_SLOTS || func >= DM_PCI_FUNCS || bus->dev[slot][func])
		return NULL;
	struct dm_pci_dev *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->dm = bus->dm;
	d->slot = (uint8_t)slot;
	d->func = (uint8_t)func;
	d->name = name;
	d->cap_next = PCI_CAP_FIRST;
	put16(d, PCIR_VENDOR, vendor, 0);
	put16(d, PCIR_DEVICE, device, 0);
	put16(d, PCIR_COMMAND, 0, PCIM_CMD_IO | PCIM_CMD_MEM | PCIM_CMD_BUSMASTER | PCIM_CMD_INTX_DISABLE);
	put8(d, PCIR_REVID, 1, 0);
	put8(d, PCIR_CLASS, (uint8_t)class_code, 0);
	put8(d, PCIR_CLASS + 1, (uint8_t)(class_code >> 8), 0);
	put8(d, PCIR_CLASS + 2, (uint8_t)(class_code >> 16), 0);
	/* INTA#, routed to one of the PCI GSIs by slot (the line register is the OS's scratch). */
	d->intx_gsi = DM_PCI_INTX_GSI_BASE + slot % 8;
	put8(d, PCIR_INTLINE, (uint8_t)d->intx_gsi, 0xff);
	put8(d, PCIR_INTPIN, 1, 0);
	bus->dev[slot][func] = d;
	/* Function 0 says when the device has more (6.2.1, header type bit 7). */
	struct dm_pci_dev *f0 = bus->dev[slot][0];
	if (f0) {
		bool multi = false;
		for (unsigned f = 1; f < DM_PCI_FUNCS; f++)
			multi |= bus->dev[slot][f] != NULL;
		if (multi)
			f0->cfg[PCIR_HDRTYPE] |= PCIM_HDRTYPE_MULTIFUNC;
	}
	return d;
}

void dm_pci_dev_enable(struct dm_pci_dev *d)
{
	uint16_t cmd = dm_pci_cfg16(d, PCIR_COMMAND);
	for (unsigned i = 0; i < DM_PCI_BARS; i++) {
		if (d->bar[i].type == DM_BAR_IO)
			cmd |= PCIM_CMD_IO;
		else if (d->bar[i].type == DM_BAR_MEM32)
			cmd |= PCIM_CMD_MEM;
	}
	set16(d, PCIR_COMMAND, cmd);
	bar_sync(d);
}
