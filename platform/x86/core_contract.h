/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TRANSITIONAL. Core's exit-handling contract (cr.h: CR0/CR4 masks and read
 * shadows owned by core; intr.h: pending interrupts and window requests;
 * msr.h: the MSR bitmap, TSC offset and TSC_AUX; plat_host_tsc) is on the
 * exits branch and not yet on every branch this image is built from.
 * X86_CORE_CONTRACT is 1 where it is; the image implements both sides until
 * then. Remove this header and the #else branches once main has exits.
 */
#ifndef TERN_X86_CORE_CONTRACT_H
#define TERN_X86_CORE_CONTRACT_H

#if defined(__has_include)
#if __has_include("intr.h") && __has_include("cr.h") && __has_include("msr.h")
#define X86_CORE_CONTRACT 1
#endif
#endif
#ifndef X86_CORE_CONTRACT
#define X86_CORE_CONTRACT 0
#endif

#endif
