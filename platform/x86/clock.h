/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TERN_X86_CLOCK_H
#define TERN_X86_CLOCK_H

#include <stdint.h>

/* Measure the TSC rate (about 10 ms); returns it in Hz. */
uint64_t clock_calibrate(void);
uint64_t clock_tsc_hz(void);

#endif
