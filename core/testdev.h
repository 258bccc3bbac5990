/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The MMIO test device (docs/testdev.md): one 4 KiB page at GPA 0xC0000000
 * the boot-test guest drives with many instruction encodings.
 *
 *   0x000  ID       32-bit RO  0x4E524554 ("TERN" in memory)
 *   0x008  VERSION  32-bit RO  1
 *   0x010  COUNT    64-bit RO  accesses served before this one
 *   0x100-0xFFF     scratch: read/write, any size 1/2/4/8, any alignment
 *
 * The register block 0x000-0x0FF reads as a byte image (unused bytes 0);
 * writes to it are ignored.
 */
#ifndef TERN_TESTDEV_H
#define TERN_TESTDEV_H

#include <stdint.h>

struct vm;

#define TESTDEV_GPA        0xC0000000ull
#define TESTDEV_SIZE       0x1000u
#define TESTDEV_REG_ID     0x000u
#define TESTDEV_REG_VERSION 0x008u
#define TESTDEV_REG_COUNT  0x010u
#define TESTDEV_SCRATCH    0x100u
#define TESTDEV_ID_VALUE   0x4E524554u
#define TESTDEV_VERSION_VALUE 1u

struct testdev {
	uint64_t count;                                  /* accesses served */
	uint8_t scratch[TESTDEV_SIZE - TESTDEV_SCRATCH];
};

/* Register the device on the VM's MMIO bus. */
int testdev_init(struct vm *vm);

#endif
