/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-dm as a separate process against the fake hypervisor (harness/dm):
 * the ACRN setup order, port I/O, MMIO and PCI config to the test device
 * through the shared IOREQ page, BAR moving, MSI-X and INTx delivery,
 * malformed slots, polling mode, SIGTERM, SIGKILL, hang-up and a second
 * device model for the same VM.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "fake_hv.h"
#include "pci.h"
#include "pci_testdev.h"
#include "unit.h"

#define SLOT 3
static const char *const std_args[] = { "-m", "1M", "-s", "0:0,hostbridge", "-s", "3,pci-testdev", "vm1", NULL };

static struct fhv H;

static void start(const char *const args[])
{
	ck_assert_int_eq(fhv_start(&H, args), 0);
}

static uint32_t bar(unsigned i)
{
	uint32_t raw = fhv_cfg(&H, false, SLOT, 0, PCIR_BAR0 + 4 * i, 4, 0);
	return raw & ((raw & 1) ? ~3u : ~0xfu);
}

/* The offset of capability id in slot's list, 0 if absent. */
static unsigned find_cap(unsigned id)
{
	unsigned off = fhv_cfg(&H, false, SLOT, 0, PCIR_CAP_PTR, 1, 0);
	for (int n = 0; off && n < 48; n++) {
		if (fhv_cfg(&H, false, SLOT, 0, off, 1, 0) == id)
			return off;
		off = fhv_cfg(&H, false, SLOT, 0, off + 1, 1, 0);
	}
	return 0;
}

START_TEST(setup_follows_acrn_order)
{
	start(std_args);
	static const uint8_t want[] = { 0x10, 0x41, 0x32, 0x12 };
	ck_assert_uint_eq(H.ncalls, sizeof(want));
	ck_assert_mem_eq(H.calls, want, sizeof(want));
	ck_assert_str_eq(H.vm_name, "vm1");
	ck_assert_uint_eq(H.guest_len, 1u << 20);
	fhv_stop(&H);
}
END_TEST

START_TEST(pci_config_through_the_page)
{
	start(std_args);
	ck_assert_uint_eq(fhv_cfg(&H, false, SLOT, 0, PCIR_VENDOR, 4, 0),
			  DM_PCI_DEVICE_TESTDEV << 16 | DM_PCI_VENDOR_TERN);
	ck_assert_uint_eq(fhv_cfg(&H, false, 0, 0, PCIR_CLASS + 2, 1, 0), 0x06);   /* host bridge */
	ck_assert_uint_eq(fhv_cfg(&H, false, 5, 0, PCIR_VENDOR, 4, 0), 0xffffffffu);  /* nobody there */
	ck_assert_uint_eq(fhv_cfg(&H, false, SLOT, 1, PCIR_VENDOR, 2, 0), 0xffffu);
	/* The vendor ID is read-only; the interrupt line is the OS's to write. */
	fhv_cfg(&H, true, SLOT, 0, PCIR_VENDOR, 2, 0x1234);
	ck_assert_uint_eq(fhv_cfg(&H, false, SLOT, 0, PCIR_VENDOR, 2, 0), DM_PCI_VENDOR_TERN);
	fhv_cfg(&H, true, SLOT, 0, PCIR_INTLINE, 1, 0x0b);
	ck_assert_uint_eq(fhv_cfg(&H, false, SLOT, 0, PCIR_INTLINE, 1, 0), 0x0b);
	/* Mechanism #1 through ports 0xCF8/0xCFC gives the same answers. */
	fhv_pio(&H, true, 0xcf8, 4, 0x80000000u | SLOT << 11 | PCIR_DEVICE);
	ck_assert_uint_eq(fhv_pio(&H, false, 0xcf8, 4, 0), 0x80000000u | SLOT << 11);
	ck_assert_uint_eq(fhv_pio(&H, false, 0xcfc, 4, 0), DM_PCI_DEVICE_TESTDEV << 16 | DM_PCI_VENDOR_TERN);
	ck_assert_uint_eq(fhv_pio(&H, false, 0xcfe, 2, 0), DM_PCI_DEVICE_TESTDEV);
	fhv_pio(&H, true, 0xcf8, 4, SLOT << 11);   /* enable bit clear: no config cycle */
	ck_assert_uint_eq(fhv_pio(&H, false, 0xcfc, 4, 0), 0xffffffffu);
	fhv_stop(&H);
}
END_TEST

START_TEST(port_and_mmio_scratch)
{
	start(std_args);
	uint32_t io = bar(TESTDEV_BAR_IO), mem = bar(TESTDEV_BAR_MEM);
	ck_assert_uint_ge(io, DM_PCI_IO_BASE);
	ck_assert_uint_ge(mem, DM_PCI_MEM_BASE);
	fhv_pio(&H, true, (uint16_t)(io + 4), 4, 0xdeadbeefu);
	ck_assert_uint_eq(fhv_pio(&H, false, (uint16_t)(io + 4), 4, 0), 0xdeadbeefu);
	ck_assert_uint_eq(fhv_pio(&H, false, (uint16_t)(io + 5), 1, 0), 0xbe);
	ck_assert_uint_eq(fhv_pio(&H, false, (uint16_t)(io + 6), 2, 0), 0xdead);
	fhv_mmio(&H, true, mem + 8, 8, 0x0123456789abcdefull);
	ck_assert_uint_eq(fhv_mmio(&H, false, mem + 8, 8, 0), 0x0123456789abcdefull);
	ck_assert_uint_eq(fhv_mmio(&H, false, mem + 12, 4, 0), 0x01234567u);
	ck_assert_uint_eq(fhv_mmio(&H, false, mem + TESTDEV_REG_ID, 4, 0), TESTDEV_ID);
	ck_assert_uint_eq(fhv_mmio(&H, false, mem + TESTDEV_REG_VECTORS, 4, 0), TESTDEV_DEFAULT_VECTORS);
	/* Nothing decodes next to the BARs: the floating bus. */
	ck_assert_uint_eq(fhv_mmio(&H, false, 0xfed00000u, 4, 0), 0xffffffffu);
	ck_assert_uint_eq(fhv_pio(&H, false, 0x80, 1, 0), 0xff);
	/* One NOTIFY_REQUEST_FINISH per request: 2 BAR reads and 11 accesses. */
	ck_assert_uint_eq(H.nnotify, 13);
	fhv_stop(&H);
}
END_TEST

START_TEST(bar_sizing_and_moving)
{
	start(std_args);
	uint32_t mem = bar(TESTDEV_BAR_MEM), io = bar(TESTDEV_BAR_IO);
	unsigned r = PCIR_BAR0 + 4 * TESTDEV_BAR_MEM;
	fhv_cfg(&H, true, SLOT, 0, PCIR_COMMAND, 2, 0);   /* decoding off while sizing, as an OS does */
	ck_assert_uint_eq(fhv_mmio(&H, false, mem + TESTDEV_REG_ID, 4, 0), 0xffffffffu);
	fhv_cfg(&H, true, SLOT, 0, r, 4, 0xffffffffu);
	ck_assert_uint_eq(fhv_cfg(&H, false, SLOT, 0, r, 4, 0), ~(TESTDEV_MEM_SIZE - 1));
	fhv_cfg(&H, true, SLOT, 0, PCIR_BAR0, 4, 0xffffffffu);
	ck_assert_uint_eq(fhv_cfg(&H, false, SLOT, 0, PCIR_BAR0, 4, 0), ~(TESTDEV_IO_SIZE - 1) | PCIM_BAR_IO);
	fhv_cfg(&H, true, SLOT, 0, r, 4, 0xd8000000u);
	fhv_cfg(&H, true, SLOT, 0, PCIR_BAR0, 4, 0x6000);
	fhv_cfg(&H, true, SLOT, 0, PCIR_COMMAND, 2, PCIM_CMD_IO | PCIM_CMD_MEM);
	ck_assert_uint_eq(fhv_mmio(&H, false, 0xd8000000u + TESTDEV_REG_ID, 4, 0), TESTDEV_ID);
	ck_assert_uint_eq(fhv_mmio(&H, false, mem + TESTDEV_REG_ID, 4, 0), 0xffffffffu);
	fhv_pio(&H, true, 0x6010, 2, 0x5aa5);
	ck_assert_uint_eq(fhv_pio(&H, false, 0x6010, 2, 0), 0x5aa5);
	ck_assert_uint_eq(fhv_pio(&H, false, (uint16_t)(io + 0x10), 2, 0), 0xffff);
	fhv_stop(&H);
}
END_TEST

START_TEST(msix_doorbell_injects_msi)
{
	start(std_args);
	uint32_t mem = bar(TESTDEV_BAR_MEM), tab = bar(TESTDEV_BAR_MSIX);
	unsigned cap = find_cap(PCIY_MSIX);
	ck_assert_uint_ne(cap, 0);
	ck_assert_uint_eq(fhv_cfg(&H, false, SLOT, 0, cap + 2, 2, 0) & PCIM_MSIXCTRL_TABLE_SIZE,
			  TESTDEV_DEFAULT_VECTORS - 1);
	ck_assert_uint_eq(fhv_cfg(&H, false, SLOT, 0, cap + 8, 4, 0), TESTDEV_PBA_OFF | TESTDEV_BAR_MSIX);
	fhv_cfg(&H, true, SLOT, 0, PCIR_COMMAND, 2, PCIM_CMD_IO | PCIM_CMD_MEM | PCIM_CMD_BUSMASTER);
	fhv_cfg(&H, true, SLOT, 0, cap + 2, 2, PCIM_MSIXCTRL_ENABLE);
	uint32_t e2 = tab + 2 * PCI_MSIX_ENTRY_SIZE;
	fhv_mmio(&H, true, e2, 8, 0xfee01000ull);
	fhv_mmio(&H, true, e2 + PCI_MSIX_ENTRY_DATA, 4, 0x4041);
	/* Masked (the reset state): the vector is pending, nothing is sent. */
	fhv_mmio(&H, true, mem + TESTDEV_REG_DOORBELL, 4, 2);
	fhv_pump(&H, 50);
	ck_assert_uint_eq(H.nmsi, 0);
	ck_assert_uint_eq(fhv_mmio(&H, false, tab + TESTDEV_PBA_OFF, 8, 0), 1u << 2);
	/* Unmasking sends the pending message. */
	fhv_mmio(&H, true, e2 + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
	fhv_pump(&H, 50);
	ck_assert_uint_eq(H.nmsi, 1);
	ck_assert_uint_eq(H.msi[0].msi_addr, 0xfee01000ull);
	ck_assert_uint_eq(H.msi[0].msi_data, 0x4041);
	ck_assert_uint_eq(fhv_mmio(&H, false, tab + TESTDEV_PBA_OFF, 8, 0), 0);
	fhv_mmio(&H, true, mem + TESTDEV_REG_DOORBELL, 4, 2);
	fhv_pump(&H, 50);
	ck_assert_uint_eq(H.nmsi, 2);
	ck_assert_uint_eq(H.msi[1].msi_data, 0x4041);
	/* A vector the device does not have: reported, nothing sent. */
	fhv_mmio(&H, true, mem + TESTDEV_REG_DOORBELL, 4, 9);
	fhv_pump(&H, 50);
	ck_assert_uint_eq(H.nmsi, 2);
	ck_assert(fhv_log_has(&H.dm, "doorbell 9 not delivered: Invalid argument"));
	ck_assert_uint_eq(H.nirq, 0);
	fhv_stop(&H);
}
END_TEST

START_TEST(intx_without_msi)
{
	start(std_args);
	uint32_t mem = bar(TESTDEV_BAR_MEM);
	fhv_mmio(&H, true, mem + TESTDEV_REG_DOORBELL, 4, 0);
	fhv_pump(&H, 50);
	ck_assert_uint_eq(H.nirq, 1);
	ck_assert_uint_eq(H.irq[0].gsi, DM_PCI_INTX_GSI_BASE + SLOT);
	ck_assert_uint_eq(H.irq[0].op, ACRN_GSI_SET_HIGH);
	ck_assert_uint_eq(fhv_cfg(&H, false, SLOT, 0, PCIR_STATUS, 2, 0) & PCIM_STATUS_INTX, PCIM_STATUS_INTX);
	fhv_mmio(&H, true, mem + TESTDEV_REG_INTX_ACK, 4, 1);
	fhv_pump(&H, 50);
	ck_assert_uint_eq(H.nirq, 2);
	ck_assert_uint_eq(H.irq[1].op, ACRN_GSI_SET_LOW);
	ck_assert_uint_eq(H.nmsi, 0);
	fhv_stop(&H);
}
END_TEST

static struct acrn_io_request pio_req(uint32_t dir, uint64_t port, uint64_t size)
{
	struct acrn_io_request r;
	memset(&r, 0, sizeof(r));
	r.type = ACRN_IOREQ_TYPE_PORTIO;
	r.reqs.pio_request.direction = dir;
	r.reqs.pio_request.address = port;
	r.reqs.pio_request.size = size;
	return r;
}

START_TEST(malformed_slots_rejected)
{
	start(std_args);
	uint32_t io = bar(TESTDEV_BAR_IO);
	fhv_pio(&H, true, (uint16_t)io, 4, 0x11223344u);
	struct acrn_io_request r = pio_req(ACRN_IOREQ_DIR_READ, io, 3);
	ck_assert_int_eq(fhv_request(&H, 2, &r, ACRN_IOREQ_STATE_PENDING, false), 0);
	ck_assert_uint_eq(r.processed, ACRN_IOREQ_STATE_COMPLETE);
	ck_assert_uint_eq(r.reqs.pio_request.value, 0xffffffffu);
	ck_assert(fhv_log_has(&H.dm, "tern-dm: vm1: slot 2: rejected port I/O request (type 0): size is not 1, 2 or 4 for port I/O"));
	r = pio_req(5, io, 4);
	ck_assert_int_eq(fhv_request(&H, 3, &r, ACRN_IOREQ_STATE_PROCESSING, false), 0);
	ck_assert(fhv_log_has(&H.dm, "slot 3: rejected port I/O request (type 0): direction is neither read nor write"));
	r = pio_req(ACRN_IOREQ_DIR_READ, 0xfffe, 4);
	ck_assert_int_eq(fhv_request(&H, 3, &r, ACRN_IOREQ_STATE_PENDING, false), 0);
	ck_assert(fhv_log_has(&H.dm, "slot 3: rejected port I/O request (type 0): port beyond 0xFFFF"));
	r = pio_req(ACRN_IOREQ_DIR_READ, io, 4);
	r.type = 9;
	ck_assert_int_eq(fhv_request(&H, 4, &r, ACRN_IOREQ_STATE_PENDING, false), 0);
	ck_assert(fhv_log_has(&H.dm, "slot 4: rejected type request (type 9): unknown request type"));
	r = pio_req(ACRN_IOREQ_DIR_READ, io, 4);
	r.type = ACRN_IOREQ_TYPE_MMIO;
	r.reqs.mmio_request.size = 16;
	ck_assert_int_eq(fhv_request(&H, 4, &r, ACRN_IOREQ_STATE_PENDING, false), 0);
	ck_assert(fhv_log_has(&H.dm, "slot 4: rejected MMIO request (type 1): size is not 1, 2, 4 or 8 for MMIO"));
	memset(&r, 0, sizeof(r));
	r.type = ACRN_IOREQ_TYPE_PCICFG;
	r.reqs.pci_request.size = 4;
	r.reqs.pci_request.dev = 40;
	ck_assert_int_eq(fhv_request(&H, 5, &r, ACRN_IOREQ_STATE_PENDING, false), 0);
	ck_assert(fhv_log_has(&H.dm, "slot 5: rejected PCI config request (type 2): bus/device/function out of range"));
	/* A state nobody may write is reported and left for the hypervisor. */
	H.page[6].processed = 7;
	uint64_t one = 1;
	ck_assert_int_eq(write(H.req_efd, &one, sizeof(one)), sizeof(one));
	/* A slot the HSM handled in the kernel is not ours. */
	r = pio_req(ACRN_IOREQ_DIR_READ, io, 4);
	r.kernel_handled = 1;
	r.processed = ACRN_IOREQ_STATE_PROCESSING;
	memcpy((void *)&H.page[7], &r, sizeof(r));
	/* tern-dm keeps serving: the scratch register is intact. */
	ck_assert_uint_eq(fhv_pio(&H, false, (uint16_t)io, 4, 0), 0x11223344u);
	ck_assert(fhv_log_has(&H.dm, "tern-dm: vm1: slot 6: illegal state 7: left alone"));
	ck_assert_uint_eq(H.page[6].processed, 7);
	ck_assert_uint_eq(H.page[7].processed, ACRN_IOREQ_STATE_PROCESSING);
	ck_assert_uint_eq(H.page[7].reqs.pio_request.value, 0);
	H.page[6].processed = ACRN_IOREQ_STATE_FREE;
	fhv_stop(&H);
}
END_TEST

START_TEST(refused_notify_is_reported)
{
	start(std_args);
	H.refuse_notify = 22;
	struct acrn_io_request r = pio_req(ACRN_IOREQ_DIR_READ, 0x80, 1);
	/* Completed in the page; the hypervisor refuses the notification and tern-dm hears it. */
	ck_assert_int_eq(fhv_request(&H, 1, &r, ACRN_IOREQ_STATE_PENDING, true), 0);
	ck_assert_uint_eq(r.reqs.pio_request.value, 0xff);
	fhv_pump(&H, 100);
	ck_assert_uint_eq(H.notify_refused, 1);
	ck_assert(fhv_log_has(&H.dm, "tern-dm: vm1: slot 1: NOTIFY_REQUEST_FINISH refused: Invalid argument"));
	H.refuse_notify = 0;
	ck_assert_uint_eq(fhv_pio(&H, false, 0x80, 1, 0), 0xff);
	ck_assert_uint_eq(H.nnotify, 1);
	fhv_stop(&H);
}
END_TEST

START_TEST(polling_mode_completes_without_notify)
{
	static const char *const args[] = { "--polling", "-m", "1M", "-s", "3,pci-testdev", "vm1", NULL };
	start(args);
	uint32_t io;
	struct acrn_io_request r;
	memset(&r, 0, sizeof(r));
	r.type = ACRN_IOREQ_TYPE_PCICFG;
	r.reqs.pci_request.size = 4;
	r.reqs.pci_request.dev = SLOT;
	r.reqs.pci_request.reg = PCIR_BAR0;
	ck_assert_int_eq(fhv_request(&H, 9, &r, ACRN_IOREQ_STATE_PENDING, true), 0);
	io = (uint32_t)r.reqs.pci_request.value & ~3u;
	r = pio_req(ACRN_IOREQ_DIR_WRITE, io, 2);
	r.reqs.pio_request.value = 0xbeef;
	ck_assert_int_eq(fhv_request(&H, 9, &r, ACRN_IOREQ_STATE_PENDING, true), 0);
	r = pio_req(ACRN_IOREQ_DIR_READ, io, 2);
	ck_assert_int_eq(fhv_request(&H, 9, &r, ACRN_IOREQ_STATE_PENDING, true), 0);
	ck_assert_uint_eq(r.reqs.pio_request.value, 0xbeef);
	fhv_pump(&H, 50);
	ck_assert_uint_eq(H.nnotify, 0);
	ck_assert_uint_eq(H.notify_refused, 0);
	fhv_stop(&H);
}
END_TEST

START_TEST(slot_polling_flag_skips_notify)
{
	start(std_args);
	struct acrn_io_request r = pio_req(ACRN_IOREQ_DIR_READ, 0x80, 1);
	r.completion_polling = 1;
	ck_assert_int_eq(fhv_request(&H, 1, &r, ACRN_IOREQ_STATE_PENDING, true), 0);
	ck_assert_uint_eq(r.reqs.pio_request.value, 0xff);
	fhv_pump(&H, 50);
	ck_assert_uint_eq(H.nnotify, 0);
	fhv_stop(&H);
}
END_TEST

/* A refusal after CREATE_VM: tern-dm says which, destroys the VM it made, exits 1. */
START_TEST(setup_failure_destroys_the_vm)
{
	static const char *const args[] = { "-m", "64M", "-s", "3,pci-testdev", "vm1", NULL };
	ck_assert_int_eq(fhv_start(&H, args), -1);
	int st = fhv_wait(&H, &H.dm, 10000);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	ck_assert(fhv_log_has(&H.dm, "tern-dm: vm1: SET_MEMSEG of 67108864 bytes refused: Cannot allocate memory\n"));
	static const uint8_t want[] = { 0x10, 0x41, 0x11 };
	ck_assert_uint_eq(H.ncalls, sizeof(want));
	ck_assert_mem_eq(H.calls, want, sizeof(want));
	fhv_stop(&H);
}
END_TEST

/* A hypervisor whose replies cannot be right: refused, nothing mapped out of bounds. */
static const struct { int evil; const char *line; } evil_cases[] = {
	{ FHV_EVIL_PAGE_OUTSIDE, "tern-dm: vm1: CREATE_VM refused: Protocol error\n" },
	{ FHV_EVIL_PAGE_UNALIGNED, "tern-dm: vm1: CREATE_VM refused: Protocol error\n" },
	{ FHV_EVIL_NO_FDS, "tern-dm: vm1: CREATE_VM refused: Protocol error\n" },
	{ FHV_EVIL_SHORT_REPLY, "tern-dm: vm1: CREATE_VM refused: Protocol error\n" },
	{ FHV_EVIL_STATUS, "tern-dm: vm1: CREATE_VM refused: Protocol error\n" },
	{ FHV_EVIL_RAM_OUTSIDE, "tern-dm: vm1: SET_MEMSEG of 1048576 bytes refused: Protocol error\n" },
};

START_TEST(hostile_replies_refused)
{
	memset(&H, 0, sizeof(H));
	H.evil = evil_cases[_i].evil;
	ck_assert_int_eq(fhv_start(&H, std_args), -1);
	int st = fhv_wait(&H, &H.dm, 10000);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	ck_assert(fhv_log_has(&H.dm, evil_cases[_i].line));
	fhv_stop(&H);
}
END_TEST

START_TEST(unsolicited_bytes_end_it)
{
	start(std_args);
	ck_assert_int_eq(write(H.dm.conn, "junk", 4), 4);
	int st = fhv_wait(&H, &H.dm, 10000);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	ck_assert(fhv_log_has(&H.dm, "tern-dm: vm1: unexpected message from the hypervisor: giving up\n"));
	fhv_stop(&H);
}
END_TEST

START_TEST(sigterm_is_a_clean_exit)
{
	start(std_args);
	ck_assert_int_eq(kill(H.dm.proc.pid, SIGTERM), 0);
	int st = fhv_wait(&H, &H.dm, 10000);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_uint_eq(H.calls[H.ncalls - 2], HSM_IOC_NR(HSM_DESTROY_IOREQ_CLIENT));
	ck_assert_uint_eq(H.calls[H.ncalls - 1], HSM_IOC_NR(HSM_DESTROY_VM));
	ck_assert(!H.client);
	ck_assert(fhv_log_has(&H.dm, "tern-dm: vm1: Terminated: shutting down"));
	fhv_stop(&H);
}
END_TEST

START_TEST(hangup_means_vm_gone)
{
	start(std_args);
	close(H.dm.conn);
	H.dm.conn = -1;
	int st = fhv_wait(&H, &H.dm, 10000);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert(fhv_log_has(&H.dm, "tern-dm: vm1: the hypervisor closed the connection: the VM is gone"));
	fhv_stop(&H);
}
END_TEST

START_TEST(sigkill_mid_request_is_a_hangup)
{
	start(std_args);
	struct acrn_io_request r = pio_req(ACRN_IOREQ_DIR_READ, 0x80, 1);
	r.processed = ACRN_IOREQ_STATE_FREE;
	memcpy((void *)&H.page[0], &r, sizeof(r));
	kill(H.dm.proc.pid, SIGKILL);
	__atomic_store_n(&H.page[0].processed, ACRN_IOREQ_STATE_PENDING, __ATOMIC_RELEASE);
	uint64_t one = 1;
	ck_assert_int_eq(write(H.req_efd, &one, sizeof(one)), sizeof(one));
	int rc = 0;
	for (int i = 0; i < 200 && rc >= 0; i++)
		rc = fhv_serve(&H, &H.dm, 50);
	ck_assert_int_eq(rc, -1);              /* the hypervisor side sees the hang-up */
	int st = fhv_wait(&H, &H.dm, 10000);
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGKILL);
	/* The slot was never completed: the request stays the hypervisor's to report. */
	ck_assert_uint_ne(H.page[0].processed, ACRN_IOREQ_STATE_COMPLETE);
	fhv_stop(&H);
}
END_TEST

START_TEST(second_device_model_refused)
{
	start(std_args);
	uint32_t io = bar(TESTDEV_BAR_IO);
	fhv_pio(&H, true, (uint16_t)io, 4, 0xcafef00du);
	struct fhv_dm second;
	ck_assert_int_eq(fhv_spawn(&H, &second, std_args), 0);
	ck_assert_int_eq(fhv_accept(&H, &second, 20000), 0);
	int st = fhv_wait(&H, &second, 20000);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	ck_assert(fhv_log_has(&second, "tern-dm: vm1: CREATE_VM refused: the VM already has a device model"));
	close(second.conn);
	child_end(&second.proc);
	/* The first one is untouched and still serving. */
	ck_assert_uint_eq(fhv_pio(&H, false, (uint16_t)io, 4, 0), 0xcafef00du);
	fhv_stop(&H);
}
END_TEST

START_TEST(com1_writes_stdout)
{
	static const char *const args[] = { "-m", "64K", "-l", "com1,stdio", "vm1", NULL };
	start(args);
	const char *msg = "hi\n";
	for (const char *p = msg; *p; p++)
		fhv_pio(&H, true, 0x3f8, 1, (uint8_t)*p);
	ck_assert_uint_eq(fhv_pio(&H, false, 0x3fd, 1, 0), 0x60);
	ck_assert(fhv_log_has(&H.dm, "hi\n"));
	fhv_stop(&H);
}
END_TEST

static void run_bad(const char *const args[], const char *want)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		dup2(p[1], STDOUT_FILENO);
		const char *argv[16] = { TERN_DM_BIN };
		for (unsigned i = 0; args[i]; i++)
			argv[i + 1] = args[i];
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	char buf[1024] = { 0 };
	size_t len = 0;
	ssize_t n;
	while ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 2);
	ck_assert_str_eq(buf, want);
}

START_TEST(bad_arguments_exit_2)
{
	static const char *const a1[] = { "-s", "99,pci-testdev", "vm1", NULL };
	run_bad(a1, "tern-dm: -s 99,pci-testdev: slot 99 out of range (0-31)\n");
	static const char *const a2[] = { "-s", "3,nic", "vm1", NULL };
	run_bad(a2, "tern-dm: -s 3,nic: unknown device 'nic' (hostbridge, pci-testdev)\n");
	static const char *const a3[] = { "-m", "12X", "vm1", NULL };
	run_bad(a3, "tern-dm: -m 12X: not a memory size (a number with an optional K, M or G suffix)\n");
	static const char *const a4[] = { "-s", "3,pci-testdev", NULL };
	run_bad(a4, "tern-dm: missing VM name (see --help)\n");
}
END_TEST

/* The ioctl back-end on something that is not an HSM: refused cleanly at CREATE_VM. */
START_TEST(hsm_device_that_is_not_one)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		execl(TERN_DM_BIN, TERN_DM_BIN, "--hsm", "/dev/null", "vm1", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[1024] = { 0 };
	size_t len = 0;
	ssize_t n;
	while ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	ck_assert_str_eq(buf, "tern-dm: vm1: CREATE_VM refused: Inappropriate ioctl for device\n");
}
END_TEST

START_TEST(help_prints_usage)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execl(TERN_DM_BIN, TERN_DM_BIN, "--help", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[4096] = { 0 };
	size_t len = 0;
	ssize_t n;
	while ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	const char *first = "usage: tern-dm [-m MEM] [-s [BUS:]SLOT[:FUNC],DEVICE[,CONFIG]]... [-l com1,stdio]\n";
	ck_assert(strncmp(buf, first, strlen(first)) == 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("dm_proc");
	TCase *tc = tcase_create("tern-dm process");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, setup_follows_acrn_order);
	tcase_add_test(tc, pci_config_through_the_page);
	tcase_add_test(tc, port_and_mmio_scratch);
	tcase_add_test(tc, bar_sizing_and_moving);
	tcase_add_test(tc, msix_doorbell_injects_msi);
	tcase_add_test(tc, intx_without_msi);
	tcase_add_test(tc, malformed_slots_rejected);
	tcase_add_test(tc, refused_notify_is_reported);
	tcase_add_test(tc, polling_mode_completes_without_notify);
	tcase_add_test(tc, slot_polling_flag_skips_notify);
	tcase_add_test(tc, setup_failure_destroys_the_vm);
	tcase_add_loop_test(tc, hostile_replies_refused, 0, (int)(sizeof(evil_cases) / sizeof(evil_cases[0])));
	tcase_add_test(tc, unsolicited_bytes_end_it);
	tcase_add_test(tc, sigterm_is_a_clean_exit);
	tcase_add_test(tc, hangup_means_vm_gone);
	tcase_add_test(tc, sigkill_mid_request_is_a_hangup);
	tcase_add_test(tc, second_device_model_refused);
	tcase_add_test(tc, com1_writes_stdout);
	tcase_add_test(tc, bad_arguments_exit_2);
	tcase_add_test(tc, help_prints_usage);
	tcase_add_test(tc, hsm_device_that_is_not_one);
	suite_add_tcase(s, tc);
	return s;
}
