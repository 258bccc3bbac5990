/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a vCPU keeps of an instruction whose emulation waits for the device
 * model (mmio.c, docs/mmio.md): the decoded instruction and the log of the
 * memory accesses it has made so far. The emulation is re-run from the
 * decoded instruction each time a request completes; accesses in the log
 * are answered from it (reads get the bytes they got the first time,
 * writes are not made again), so no device sees an access twice, and the
 * run goes one access further each time, whatever pauses come in between.
 */
#ifndef TERN_MMIO_WAIT_H
#define TERN_MMIO_WAIT_H

#include <stdint.h>
#include <stdbool.h>
#include "insn_decode.h"

/*
 * Accesses of one instruction (one iteration of a string instruction:
 * the log is emptied at each iteration boundary, whose predecessors are
 * committed): at most a read and a write (MOVS, CMPS, XCHG, a
 * read-modify-write), and room for one more.
 */
#define MMIO_LOG_MAX 3
#define MMIO_ACCESS_MAX 8   /* bytes of one access (emul_ops) */

struct mmio_log_entry {
	uint64_t la;        /* linear address, as the emulator asked */
	uint8_t len;
	bool write;
	uint8_t data[MMIO_ACCESS_MAX]; /* read: what it read; write: what it wrote */
};

struct mmio_wait {
	bool active;        /* an instruction is between its exit and its end */
	bool resume;        /* a request completed: re-run before the next entry */
	uint8_t count;      /* accesses of log[] complete */
	uint8_t part;       /* bytes of log[count] done (a split access in progress) */
	struct insn in;     /* decoded at the exit */
	struct mmio_log_entry log[MMIO_LOG_MAX];
};

#endif
