/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The User VM's accesses to the device the Service VM emulates
 * (uvm_abi.h, docs/testguest.md "I/O served by the Service VM"): port I/O
 * to its register block, PCI configuration through 0xCF8/0xCFC (Tern keeps
 * the latch and sends CONFIG_DATA accesses as PCI-config requests), and,
 * behind UVM_IOREQ_MMIO, MMIO to its page. Tern claims none of these, so
 * each access to a port of the block, to 0xCFC-0xCFF and to the page is
 * one IOREQ: counted here in the mailbox, for the Service VM to compare
 * with what it served. Each check has one name per mode (the two runs).
 */
#include "uvm.h"
#include "uvm_abi.h"

#define PCI_CFG_ADDR 0xcf8u
#define PCI_CFG_DATA 0xcfcu
#define PCI_CFG_ENABLE 0x80000000u
#define PCI_REG_ID 0x00u
#define PCI_REG_COMMAND 0x04u
#define PCI_REG_CLASS 0x08u
#define PCI_REG_BAR0 0x10u
#define PCI_REG_BAR1 0x14u
#define PCI_BAR_IO 0x1u               /* BAR bit 0: I/O space (PCI 3.0, 6.2.5.1) */
#define PCI_COMMAND_IO_MEM 0x3u
#define PCI_ABSENT_DEV 4u             /* no function there: reads all ones */
#define SCRATCH_DWORD 0x5eed1234u

extern struct uvm_mailbox uvm_mailbox;
#define mb (&uvm_mailbox)

/* One check, one name per mode: [UVM_MODE_NOTIFY], [UVM_MODE_POLL]. */
struct io_name {
	const char *n[2];
};
static uint32_t cur_mode;

static void check(const struct io_name *name, uint32_t got, uint32_t want)
{
	check_eq(name->n[cur_mode], got, want);
}

/* Which IOREQ an access becomes (0xCF8 is Tern's latch: none). */
static void count(uint16_t port)
{
	if (port >= PCI_CFG_DATA && port < PCI_CFG_DATA + 4)
		mb->pci_requests++;
	else if (port != PCI_CFG_ADDR)
		mb->pio_requests++;
}

static uint32_t io_in(uint16_t port, unsigned size)
{
	count(port);
	return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static void io_out(uint16_t port, unsigned size, uint32_t v)
{
	count(port);
	if (size == 1)
		outb(port, (uint8_t)v);
	else if (size == 2)
		outw(port, (uint16_t)v);
	else
		outl(port, v);
}

static void pci_addr(uint32_t dev, uint32_t reg)
{
	io_out(PCI_CFG_ADDR, 4, PCI_CFG_ENABLE | IODEV_PCI_BUS << 16 | dev << 11 |
				    IODEV_PCI_FUNC << 8 | (reg & 0xfcu));
}

static uint32_t pci_read(uint32_t dev, uint32_t reg, unsigned size)
{
	pci_addr(dev, reg);
	return io_in((uint16_t)(PCI_CFG_DATA + (reg & 3u)), size);
}

static void pci_write(uint32_t dev, uint32_t reg, unsigned size, uint32_t v)
{
	pci_addr(dev, reg);
	io_out((uint16_t)(PCI_CFG_DATA + (reg & 3u)), size, v);
}

static void test_ports(void)
{
	static const struct io_name id = { { "user.ioreq-notify-port-id", "user.ioreq-poll-port-id" } };
	static const struct io_name id_byte = { { "user.ioreq-notify-port-id-byte",
						  "user.ioreq-poll-port-id-byte" } };
	static const struct io_name ro = { { "user.ioreq-notify-port-id-read-only",
					     "user.ioreq-poll-port-id-read-only" } };
	static const struct io_name zero = { { "user.ioreq-notify-port-reserved-zero",
					       "user.ioreq-poll-port-reserved-zero" } };
	static const struct io_name dword = { { "user.ioreq-notify-port-scratch-dword",
						"user.ioreq-poll-port-scratch-dword" } };
	static const struct io_name bytes = { { "user.ioreq-notify-port-scratch-bytes",
						"user.ioreq-poll-port-scratch-bytes" } };
	const uint16_t b = IODEV_PORT_BASE;

	check(&id, io_in(b, 4), IODEV_PORT_ID);
	check(&id_byte, io_in(b + 1, 1), (IODEV_PORT_ID >> 8) & 0xffu);
	io_out(b, 4, 0);
	check(&ro, io_in(b, 4), IODEV_PORT_ID);
	check(&zero, io_in(b + 4, 4), 0);
	io_out(b + IODEV_REG_SCRATCH, 4, SCRATCH_DWORD ^ cur_mode);
	check(&dword, io_in(b + IODEV_REG_SCRATCH, 4), SCRATCH_DWORD ^ cur_mode);
	/* Byte and word stores into the dword, read back as one dword. */
	io_out(b + IODEV_REG_SCRATCH + 1, 1, 0xa5);
	io_out(b + IODEV_REG_SCRATCH + 2, 2, 0x5a3c);
	check(&bytes, io_in(b + IODEV_REG_SCRATCH, 4),
	      0x5a3ca500u | ((SCRATCH_DWORD ^ cur_mode) & 0xffu));
}

/*
 * REP OUTSB / REP INSB: one IOREQ per element (Tern's string I/O goes out
 * one element per round trip), RCX/RSI/RDI advanced across them.
 */
static void test_string_io(void)
{
	static const struct io_name outs = { { "user.ioreq-notify-port-rep-outsb",
					       "user.ioreq-poll-port-rep-outsb" } };
	static const struct io_name ins = { { "user.ioreq-notify-port-rep-insb",
					      "user.ioreq-poll-port-rep-insb" } };
	static const uint8_t text[4] = { 0x11, 0x22, 0x33, 0x44 };
	static uint8_t buf[5];
	const uint16_t scratch_last = IODEV_PORT_BASE + IODEV_PORTS - 1u;
	const void *src = text;
	void *dst = buf;
	uint32_t n = sizeof(text);

	__asm__ volatile("cld; rep outsb" : "+S"(src), "+c"(n) : "d"(scratch_last) : "memory");
	mb->pio_requests += sizeof(text);
	/* Each byte went to the same port: the scratch byte holds the last one. */
	uint32_t last = io_in(scratch_last, 1);
	check(&outs, n == 0 && (const uint8_t *)src == text + sizeof(text) && last == text[3], 1);

	buf[4] = 0xee;
	n = 4;
	__asm__ volatile("cld; rep insb" : "+D"(dst), "+c"(n) : "d"(IODEV_PORT_BASE + 1u) : "memory");
	mb->pio_requests += 4;
	uint8_t id1 = (uint8_t)(IODEV_PORT_ID >> 8);
	check(&ins, n == 0 && (uint8_t *)dst == buf + 4 && buf[0] == id1 && buf[1] == id1 &&
		    buf[2] == id1 && buf[3] == id1 && buf[4] == 0xee, 1);
}

static void test_pci(void)
{
	static const struct io_name ids = { { "user.ioreq-notify-pci-ids", "user.ioreq-poll-pci-ids" } };
	static const struct io_name dev_word = { { "user.ioreq-notify-pci-device-word",
						   "user.ioreq-poll-pci-device-word" } };
	static const struct io_name cls = { { "user.ioreq-notify-pci-class", "user.ioreq-poll-pci-class" } };
	static const struct io_name bar0_size = { { "user.ioreq-notify-pci-bar0-size",
						    "user.ioreq-poll-pci-bar0-size" } };
	static const struct io_name bar0 = { { "user.ioreq-notify-pci-bar0", "user.ioreq-poll-pci-bar0" } };
	static const struct io_name bar1_size = { { "user.ioreq-notify-pci-bar1-size",
						    "user.ioreq-poll-pci-bar1-size" } };
	static const struct io_name bar1 = { { "user.ioreq-notify-pci-bar1", "user.ioreq-poll-pci-bar1" } };
	static const struct io_name cmd = { { "user.ioreq-notify-pci-command-byte",
					      "user.ioreq-poll-pci-command-byte" } };
	static const struct io_name absent = { { "user.ioreq-notify-pci-absent-function",
						 "user.ioreq-poll-pci-absent-function" } };
	const uint32_t d = IODEV_PCI_DEV;

	check(&ids, pci_read(d, PCI_REG_ID, 4), IODEV_PCI_DEVICE << 16 | IODEV_PCI_VENDOR);
	check(&dev_word, pci_read(d, PCI_REG_ID + 2, 2), IODEV_PCI_DEVICE);
	check(&cls, pci_read(d, PCI_REG_CLASS, 4), IODEV_PCI_CLASS_REV);
	/* BAR sizing (PCI 3.0, 6.2.5.1): all ones in, the size mask and type bits out. */
	pci_write(d, PCI_REG_BAR0, 4, 0xffffffffu);
	check(&bar0_size, pci_read(d, PCI_REG_BAR0, 4), ~(IODEV_PORTS - 1u) | PCI_BAR_IO);
	pci_write(d, PCI_REG_BAR0, 4, IODEV_PORT_BASE);
	check(&bar0, pci_read(d, PCI_REG_BAR0, 4), IODEV_PORT_BASE | PCI_BAR_IO);
	pci_write(d, PCI_REG_BAR1, 4, 0xffffffffu);
	check(&bar1_size, pci_read(d, PCI_REG_BAR1, 4), ~(IODEV_MMIO_SIZE - 1u));
	pci_write(d, PCI_REG_BAR1, 4, IODEV_MMIO_GPA);
	check(&bar1, pci_read(d, PCI_REG_BAR1, 4), IODEV_MMIO_GPA);
	pci_write(d, PCI_REG_COMMAND, 1, PCI_COMMAND_IO_MEM);
	check(&cmd, pci_read(d, PCI_REG_COMMAND, 2), PCI_COMMAND_IO_MEM);
	check(&absent, pci_read(PCI_ABSENT_DEV, PCI_REG_ID, 4), 0xffffffffu);
}

#if UVM_IOREQ_MMIO
static uint32_t mmio_read(uint32_t off, unsigned size)
{
	volatile uint8_t *p = (volatile uint8_t *)(IODEV_MMIO_GPA + off);
	mb->mmio_requests++;
	return size == 1 ? *p : size == 2 ? *(volatile uint16_t *)p : *(volatile uint32_t *)p;
}

static void mmio_write(uint32_t off, unsigned size, uint32_t v)
{
	volatile uint8_t *p = (volatile uint8_t *)(IODEV_MMIO_GPA + off);
	mb->mmio_requests++;
	if (size == 1)
		*p = (uint8_t)v;
	else if (size == 2)
		*(volatile uint16_t *)p = (uint16_t)v;
	else
		*(volatile uint32_t *)p = v;
}

static void test_mmio_page(void)
{
	static const struct io_name id = { { "user.ioreq-notify-mmio-id", "user.ioreq-poll-mmio-id" } };
	static const struct io_name zero = { { "user.ioreq-notify-mmio-reserved-zero",
					       "user.ioreq-poll-mmio-reserved-zero" } };
	static const struct io_name dword = { { "user.ioreq-notify-mmio-scratch-dword",
						"user.ioreq-poll-mmio-scratch-dword" } };
	static const struct io_name bytes = { { "user.ioreq-notify-mmio-scratch-bytes",
						"user.ioreq-poll-mmio-scratch-bytes" } };
	const uint32_t s = IODEV_MMIO_SCRATCH_END - 8u;   /* the last scratch dword */

	check(&id, mmio_read(0, 4), IODEV_MMIO_ID);
	check(&zero, mmio_read(4, 4), 0);
	mmio_write(s, 4, SCRATCH_DWORD ^ cur_mode);
	check(&dword, mmio_read(s, 4), SCRATCH_DWORD ^ cur_mode);
	mmio_write(s + 4, 1, 0x96);
	mmio_write(s + 6, 2, 0xc33c);
	check(&bytes, mmio_read(s + 4, 4), 0xc33c0096u);
}
#endif

void uvm_ioreq_doorbell(void)
{
	/* The reserved dword drops writes: the request itself is the message. */
	io_out(IODEV_PORT_BASE + 4u, 4, UVM_MAGIC);
}

void uvm_test_ioreq(uint32_t mode)
{
	cur_mode = mode == UVM_MODE_POLL ? 1u : 0u;
	mb->pio_requests = 0;
	mb->pci_requests = 0;
	mb->mmio_requests = 0;
	test_ports();
	test_string_io();
	test_pci();
#if UVM_IOREQ_MMIO
	test_mmio_page();
#endif
}
