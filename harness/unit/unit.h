/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests: one Check suite per test_*.c file. Each file defines
 * unit_suite(); unit_main.c runs it and prints Check's summary line, which
 * harness/run_tests.sh adds up.
 */
#ifndef TERN_UNIT_H
#define TERN_UNIT_H

#include <check.h>

Suite *unit_suite(void);

/*
 * Table pages in the EPT of a new VM on the sim's CPU (which has APIC
 * virtualization) before anything of its own is mapped: the root, and the
 * PDPT, PD and PT that map the APIC-access page at 0xFEE00000 (core/vm.c).
 */
#define UNIT_EPT_NEW_TABLES 4u

#endif
