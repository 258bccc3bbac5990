/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenarios, interrupts a live tern-dm raises: the guest of a User VM
 * programs the PCI test device (dm/pci_testdev.h) the way a driver does -
 * MSI-X table entries through the MSI-X BAR (MMIO requests), the
 * capabilities through 0xCF8/0xCFC - and rings the doorbell in the memory
 * BAR. Asserted at the hypercall level: the INJECT_MSI hypercall core gets
 * carries the address and data the guest programmed (MSI-X: the entry
 * rung; masked: nothing until unmasked, the PBA bit meanwhile; MSI: the
 * capability's), and INTx reaches core as SET_IRQLINE high and low on the
 * device's GSI. Core's answer to INJECT_MSI is not asserted: the virtual
 * LAPIC that delivers it is branch irq's.
 */
#include <string.h>
#include <sys/wait.h>
#include "unit.h"
#include "scenario.h"
#include "sim.h"
#include "hypercall.h"
#include "vm_mgr.h"
#include "../../dm/pci.h"

/* tern-dm's test device (dm/pci_testdev.h; its TESTDEV_ names are core/testdev.h's too). */
#define DM_TD_BAR_MEM 1u
#define DM_TD_BAR_MSIX 2u
#define DM_TD_REG_DOORBELL 0x100u
#define DM_TD_REG_INTX_ACK 0x104u
#define DM_TD_PBA_OFF 0x800u
#define DM_TD_VECTORS 4u

/* ACRN's irqline ops, as dm/hsm.h: the GSI in the low half, the op in the high. */
#define IRQLINE_SET_HIGH 0u
#define IRQLINE_SET_LOW 1u
#define MSIX_TABLE_BIR_MASK 0x7u
#define SLOT 3u
#define BAR_MEM_FLAGS 0xfu
#define MSI_ADDR_BASE 0xfee00000u
#define MSI_ADDR_DEST_SHIFT 12

static const char *const devs[] = { "-m", "2M", "-s", "3,pci-testdev", NULL };
static struct scn S;

struct msi_param {
	uint64_t addr, data;
};

static uint32_t cfg(unsigned reg, unsigned size)
{
	return scn_cfg_read(&S, SLOT, 0, reg, size);
}

static void cfgw(unsigned reg, unsigned size, uint32_t v)
{
	scn_cfg_write(&S, SLOT, 0, reg, size, v);
}

/* The capability with this ID, walking the list from 0x34 as an OS does (PCI 3.0, 6.7). */
static unsigned find_cap(unsigned id)
{
	unsigned p = cfg(PCIR_CAP_PTR, 1) & 0xfcu;
	for (unsigned n = 0; p && n < 48; n++) {
		if (cfg(p, 1) == id)
			return p;
		p = cfg(p + 1, 1) & 0xfcu;
	}
	ck_abort_msg("capability %#x not found", id);
	return 0;
}

static uint32_t mem_bar(unsigned idx)
{
	uint32_t b = cfg(PCIR_BAR0 + 4 * idx, 4);
	ck_assert_uint_eq(b & PCIM_BAR_IO, 0);
	return b & ~BAR_MEM_FLAGS;
}

static void store(uint64_t gpa, uint32_t v)
{
	ck_assert_int_eq(scn_mmio_store(&S, gpa, 4, v), 0);
}

static uint32_t load(uint64_t gpa)
{
	uint32_t v = 0;
	ck_assert_int_eq(scn_mmio_load(&S, gpa, 4, &v), 0);
	return v;
}

/* The last INJECT_MSI must be new (count went up by one) and carry addr/data. */
static void expect_msi(unsigned before, uint64_t addr, uint64_t data)
{
	ck_assert_uint_eq(scn_count_hcalls(&S, SIM_LIVE_HC_INJECT_MSI), before + 1);
	const struct sim_live_hcall *h = scn_last_hcall(&S, SIM_LIVE_HC_INJECT_MSI);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->p1, S.vm->id);
	struct msi_param m;
	memcpy(&m, h->param, sizeof(m));
	ck_assert_uint_eq(m.addr, addr);
	ck_assert_uint_eq(m.data, data);
}

/* Program MSI-X entry n (PCI 3.0, 6.8.2.6) through the table BAR, dword by dword. */
static void msix_entry(uint32_t table, unsigned n, uint32_t addr, uint32_t data, bool masked)
{
	uint32_t e = table + n * PCI_MSIX_ENTRY_SIZE;
	store(e, addr);
	store(e + 4, 0);
	store(e + PCI_MSIX_ENTRY_DATA, data);
	store(e + PCI_MSIX_ENTRY_VECTOR_CTRL, masked ? PCIM_MSIX_VCTRL_MASK : 0);
}

START_TEST(msix_doorbell_reaches_core)
{
	ck_assert_int_eq(scn_start(&S, "uvm", devs, _i), 0);
	uint32_t bar = mem_bar(DM_TD_BAR_MEM);
	unsigned cap = find_cap(PCIY_MSIX);
	ck_assert_uint_eq((cfg(cap + 2, 2) & PCIM_MSIXCTRL_TABLE_SIZE) + 1, DM_TD_VECTORS);
	uint32_t tbl = cfg(cap + 4, 4);
	ck_assert_uint_eq(tbl & MSIX_TABLE_BIR_MASK, DM_TD_BAR_MSIX);
	uint32_t table = mem_bar(DM_TD_BAR_MSIX) + (tbl & ~MSIX_TABLE_BIR_MASK);
	cfgw(PCIR_COMMAND, 2, PCIM_CMD_MEM | PCIM_CMD_BUSMASTER);
	/* Entry 1 to APIC ID 1, vector 0x41; entry 2 masked, vector 0x42 to APIC ID 2. */
	uint32_t a1 = MSI_ADDR_BASE | 1u << MSI_ADDR_DEST_SHIFT, a2 = MSI_ADDR_BASE | 2u << MSI_ADDR_DEST_SHIFT;
	msix_entry(table, 1, a1, 0x41, false);
	msix_entry(table, 2, a2, 0x42, true);
	/* What the guest wrote reads back through the BAR. */
	ck_assert_uint_eq(load(table + PCI_MSIX_ENTRY_SIZE), a1);
	ck_assert_uint_eq(load(table + PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_DATA), 0x41);
	cfgw(cap + 2, 2, PCIM_MSIXCTRL_ENABLE);
	unsigned n = scn_count_hcalls(&S, SIM_LIVE_HC_INJECT_MSI);
	ck_assert_uint_eq(n, 0);
	store(bar + DM_TD_REG_DOORBELL, 1);
	expect_msi(n, a1, 0x41);
	/* Masked: no message, the PBA bit (6.8.2.9); unmasked: the message, the bit clear. */
	store(bar + DM_TD_REG_DOORBELL, 2);
	ck_assert_uint_eq(scn_count_hcalls(&S, SIM_LIVE_HC_INJECT_MSI), n + 1);
	uint32_t pba = mem_bar(DM_TD_BAR_MSIX) + DM_TD_PBA_OFF;
	ck_assert_uint_eq(load(pba), 1u << 2);
	store(table + 2 * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
	expect_msi(n + 1, a2, 0x42);
	ck_assert_uint_eq(load(pba), 0);
	/* The function mask holds every vector back too. */
	cfgw(cap + 2, 2, PCIM_MSIXCTRL_ENABLE | PCIM_MSIXCTRL_FUNCTION_MASK);
	store(bar + DM_TD_REG_DOORBELL, 1);
	ck_assert_uint_eq(scn_count_hcalls(&S, SIM_LIVE_HC_INJECT_MSI), n + 2);
	cfgw(cap + 2, 2, PCIM_MSIXCTRL_ENABLE);
	expect_msi(n + 2, a1, 0x41);
	/* Without bus mastering a function sends no message. */
	cfgw(PCIR_COMMAND, 2, PCIM_CMD_MEM);
	store(bar + DM_TD_REG_DOORBELL, 1);
	ck_assert_uint_eq(scn_count_hcalls(&S, SIM_LIVE_HC_INJECT_MSI), n + 3);
	ck_assert_int_eq(S.vm->state, VM_STATE_RUNNING);
	scn_stop(&S);
	ck_assert(WIFEXITED(S.dm.status) && WEXITSTATUS(S.dm.status) == 0);
}
END_TEST

START_TEST(msi_and_intx_reach_core)
{
	ck_assert_int_eq(scn_start(&S, "uvm", devs, _i), 0);
	uint32_t bar = mem_bar(DM_TD_BAR_MEM);
	unsigned cap = find_cap(PCIY_MSI);
	ck_assert_uint_ne(cfg(cap + 2, 2) & PCIM_MSICTRL_64BIT, 0);
	cfgw(PCIR_COMMAND, 2, PCIM_CMD_MEM | PCIM_CMD_BUSMASTER);
	/* MSI (6.8.1): address, upper address, data, then enable. */
	cfgw(cap + 4, 4, MSI_ADDR_BASE | 3u << MSI_ADDR_DEST_SHIFT);
	cfgw(cap + 8, 4, 0);
	cfgw(cap + 12, 2, 0x51);
	cfgw(cap + 2, 2, PCIM_MSICTRL_ENABLE);
	store(bar + DM_TD_REG_DOORBELL, 0);
	expect_msi(0, MSI_ADDR_BASE | 3u << MSI_ADDR_DEST_SHIFT, 0x51);
	/* INTx: MSI off, INTx enabled; the doorbell raises the line, INTX_ACK lowers it. */
	cfgw(cap + 2, 2, 0);
	unsigned gsi = cfg(PCIR_INTLINE, 1);
	ck_assert_uint_eq(cfg(PCIR_INTPIN, 1), 1);   /* INTA# */
	ck_assert_uint_eq(gsi, DM_PCI_INTX_GSI_BASE + SLOT % 8);
	cfgw(PCIR_COMMAND, 2, PCIM_CMD_MEM);
	unsigned lines = scn_count_hcalls(&S, SIM_LIVE_HC_SET_IRQLINE);
	store(bar + DM_TD_REG_DOORBELL, 0);
	ck_assert_uint_eq(scn_count_hcalls(&S, SIM_LIVE_HC_SET_IRQLINE), lines + 1);
	ck_assert_uint_eq(scn_last_hcall(&S, SIM_LIVE_HC_SET_IRQLINE)->p2, (uint64_t)IRQLINE_SET_HIGH << 32 | gsi);
	ck_assert_uint_ne(cfg(PCIR_STATUS, 2) & PCIM_STATUS_INTX, 0);
	store(bar + DM_TD_REG_INTX_ACK, 1);
	ck_assert_uint_eq(scn_count_hcalls(&S, SIM_LIVE_HC_SET_IRQLINE), lines + 2);
	ck_assert_uint_eq(scn_last_hcall(&S, SIM_LIVE_HC_SET_IRQLINE)->p2, (uint64_t)IRQLINE_SET_LOW << 32 | gsi);
	ck_assert_uint_eq(cfg(PCIR_STATUS, 2) & PCIM_STATUS_INTX, 0);
	/* No MSI went out for INTx. */
	ck_assert_uint_eq(scn_count_hcalls(&S, SIM_LIVE_HC_INJECT_MSI), 1);
	scn_stop(&S);
	ck_assert(WIFEXITED(S.dm.status) && WEXITSTATUS(S.dm.status) == 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("scn_msi");
	TCase *tc = tcase_create("scenarios");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, msix_doorbell_reaches_core, 0, 2);
	tcase_add_loop_test(tc, msi_and_intx_reach_core, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
