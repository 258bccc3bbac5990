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
};
#define UVM_MAGIC 0x4d565555u        /* "UUVM" */

#endif
