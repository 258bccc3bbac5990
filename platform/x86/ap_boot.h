/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The AP start-up trampoline's layout (ap_boot.S), shared with C (smp.c):
 * the page it is copied to is below 1 MiB (a SIPI vector names page
 * VV000h, SDM Vol. 3A 9.4.4.1), and the BSP fills the parameter block at
 * these offsets before each SIPI.
 */
#ifndef TERN_X86_AP_BOOT_H
#define TERN_X86_AP_BOOT_H

#define AP_TRAMPOLINE_SIZE 4096
#define AP_PARAM_CR3 0xf00              /* 32 bits: the hypervisor's PML4 (below 4 GiB) */
#define AP_PARAM_STACK 0xf08            /* 64 bits: the AP's stack top */
#define AP_PARAM_ENTRY 0xf10            /* 64 bits: void entry(uint32_t cpu) */
#define AP_PARAM_CPU 0xf18              /* 32 bits: the AP's index */
#define AP_PARAM_EFER 0xf1c             /* 32 bits: the BSP's EFER low half (LME, NXE) */

#endif
