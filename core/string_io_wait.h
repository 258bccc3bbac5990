/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a vCPU parked on a string-I/O IOREQ needs when the device model
 * completes it (string_io.c): where the element goes and how the index
 * and count registers move.
 */
#ifndef TERN_STRING_IO_WAIT_H
#define TERN_STRING_IO_WAIT_H

#include <stdint.h>
#include <stdbool.h>

struct string_io_wait {
	uint64_t gpa[2];     /* the element's guest-physical bytes (two when it straddles) */
	uint8_t first;       /* bytes at gpa[0] */
	uint8_t size;
	bool in;             /* INS: the value goes to memory */
	bool rep;
	uint8_t index_reg;   /* enum vcpu_reg: RSI or RDI */
	uint8_t instr_len;
	uint64_t amask;      /* address-size mask */
	uint64_t next_index; /* RSI/RDI after this element */
	uint64_t next_count; /* RCX after this element (REP) */
};

#endif
