/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An application processor's way from the start-up IPI to C (t_smp.c).
 * The SIPI starts the AP in real mode at CS:IP = (vector << 8):0 (SDM Vol. 3A
 * 8.4.4.1 [9.4.4.1]); t_smp.c copies tg_tramp_start..tg_tramp_end to
 * TG_TRAMP_ADDR (page-aligned, below 1 MiB) and fills in its GDTR. From
 * there the AP enters 32-bit protected mode on the BSP's GDT, then, in the
 * main image, long mode on the BSP's page tables as entry.S does (SDM Vol.
 * 3A 10.8.5 [11.8.5]), loads the stack t_smp.c gave it and calls tg_ap_main.
 */
#include "layout.h"
#include "long_mode.h"

#define KCODE32 0x38		/* entry.S's 32-bit code segment */
#define CR0_PE_ET 0x11		/* also clears CD and NW, set after INIT */

	.section .rodata
	.code16
	.balign 16
	.globl tg_tramp_start, tg_tramp_end, tg_tramp_gdtr
tg_tramp_start:
	cli
	movw %cs, %ax
	movw %ax, %ds
	lgdtl tg_tramp_gdtr - tg_tramp_start
	movl $CR0_PE_ET, %eax
	movl %eax, %cr0
	ljmpl *(tramp_far - tg_tramp_start)
	.balign 8
tg_tramp_gdtr:
	.word 0
	.long 0
	.balign 4
tramp_far:
	.long ap_entry32
	.word KCODE32
tg_tramp_end:

	.text
	.code32
ap_entry32:
	movw $TG_KDATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	TG_ENTER_LONG_MODE ap_entry64

	.code64
ap_entry64:
	TG_LONG_MODE_SEGMENTS
	movq tg_ap_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	call tg_ap_main
1:	cli
	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits
