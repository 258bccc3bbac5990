/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * From 32-bit protected mode (flat segments, paging off) into 64-bit mode on
 * the guest's identity page tables (SDM Vol. 3A 10.8.5 [11.8.5]): CR4.PAE,
 * CR3, IA32_EFER.LME, CR0.PG, then a far jump to the 64-bit code segment.
 * The BSP (entry.S) and each AP (ap.S) take the same way. Assembly only.
 */
#ifndef TG_LONG_MODE_H
#define TG_LONG_MODE_H
#include "layout.h"

.macro TG_ENTER_LONG_MODE target
	movl %cr4, %eax
	orl $(1 << 5), %eax		/* CR4.PAE */
	movl %eax, %cr4
	movl $tg_pml4, %eax
	movl %eax, %cr3
	movl $0xC0000080, %ecx		/* IA32_EFER.LME */
	rdmsr
	orl $(1 << 8), %eax
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | 1), %eax	/* CR0.PG | PE */
	movl %eax, %cr0
	ljmp $TG_KCODE, $\target
.endm

/* First thing in 64-bit mode: flat data segments, FS and GS null. */
.macro TG_LONG_MODE_SEGMENTS
	movw $TG_KDATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorl %eax, %eax
	movw %ax, %fs
	movw %ax, %gs
.endm

#endif
