/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The User VM payload's contract with the test guest that launches it
 * (harness/guests/testguest/t_uvm.c, docs/testguest.md): where it is
 * loaded and entered, and the mailbox both share in the lent memory.
 */
#ifndef UVM_ABI_H
#define UVM_ABI_H

#include <stdint.h>

#define UVM_LOAD_GPA    0x1000u      /* the flat image is loaded and entered here */
#define UVM_STACK_TOP   0x80000u     /* initial ESP */
#define UVM_MAILBOX_GPA 0x800u       /* struct uvm_mailbox */
#define UVM_MEM_SIZE    0x100000u    /* 1 MiB of RAM at GPA 0, lent by the Service VM */
#define UVM_CODE_SEL    0x08u
#define UVM_DATA_SEL    0x10u
/* The debug-exit value of a run whose checks all passed; OR the failures (<= 15). */
#define UVM_EXIT_OK     0x50u
/* How many CPUID exits the User VM spins for at most, waiting for `go`. */
#define UVM_SPIN_MAX    200000u

struct uvm_mailbox {
	volatile uint32_t magic;     /* UVM_MAGIC once the User VM's checks ran */
	volatile uint32_t counter;   /* +1 per spin iteration (one CPUID exit each) */
	volatile uint32_t go;        /* set by the Service VM: stop spinning, exit */
	volatile uint32_t failures;
	/* Set by the Service VM before the start: how its requests are served. */
	volatile uint32_t mode;      /* UVM_MODE_* */
	/* Counted by the User VM: the accesses that must have become IOREQs. */
	volatile uint32_t pio_requests, pci_requests, mmio_requests;
};
#define UVM_MAGIC 0x4d565555u        /* "UUVM" */

/*
 * UVM_MODE_NOTIFY: the first run, every check, its I/O served through the
 * upcall; UVM_MODE_POLL: a second VM created with the polling flag that
 * runs only the I/O checks and exits (go is set before it starts).
 */
#define UVM_MODE_NOTIFY 0u
#define UVM_MODE_POLL   1u
/* UVM_MODE_STUCK: one port read the Service VM never serves; the VM is paused and destroyed. */
#define UVM_MODE_STUCK  2u

/*
 * The device the Service VM emulates for the User VM through the IOREQ
 * page (harness/guests/testguest/iodev.c, docs/testguest.md):
 * a port block, a PCI function whose BAR0 decodes that port block and whose
 * BAR1 the MMIO page, and the MMIO page. Register blocks (ports and MMIO):
 * +0 a 32-bit read-only ID, +4 reads 0, +8.. scratch bytes that read back
 * what was last written at any access size; anything else reads 0.
 */
#define IODEV_PORT_BASE   0x500u
#define IODEV_PORTS       0x10u
#define IODEV_PORT_ID     0x44505653u  /* "SVPD" */
#define IODEV_MMIO_GPA    0xd0000000u  /* outside the lent RAM and the test device */
#define IODEV_MMIO_SIZE   0x1000u
#define IODEV_MMIO_ID     0x4d4d5653u  /* "SVMM" */
#define IODEV_MMIO_SCRATCH_END 0x48u   /* scratch +0x8..+0x47 */
#define IODEV_REG_SCRATCH 0x8u
#define IODEV_PCI_BUS     0u
#define IODEV_PCI_DEV     3u
#define IODEV_PCI_FUNC    0u
#define IODEV_PCI_VENDOR  0x7e57u      /* not an assigned vendor: a test device */
#define IODEV_PCI_DEVICE  0x10ccu
#define IODEV_PCI_CLASS_REV 0xff000001u /* class 0xff (unassigned), revision 1 */

/*
 * The User VM's MMIO accesses to the device page: OFF until unclaimed MMIO
 * becomes an IOREQ (branch mmioreq); today such an access stops the User
 * VM. Turning it on is this one line (test_boot.py reads it to expect the
 * user.ioreq-*-mmio-* checks); the Service VM serves MMIO either way.
 */
#define UVM_IOREQ_MMIO 1

#endif
