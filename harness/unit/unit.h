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

#endif
