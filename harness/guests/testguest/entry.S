/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test guest entry: a multiboot (v1) kernel. The loader (GRUB, QEMU -kernel,
 * or Tern's guest loader) starts us in 32-bit protected mode, paging off,
 * EAX = 0x2BADB002, EBX = multiboot info (Multiboot 0.6.96 section 3.2).
 * We build identity page tables for the low 4 GiB (2 MiB pages, the 3..4 GiB
 * gigabyte uncached for the MMIO test device and the LAPIC), enter long mode
 * (SDM Vol. 3A 10.8.5) and call tg_main(magic, info) in 64-bit code.
 */
#include "layout.h"
#include "long_mode.h"

#define MB_MAGIC	0x1BADB002
#define MB_FLAGS	0x00000003	/* page-align modules, want memory info */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .bss
	.balign 4096
	.globl tg_pml4, tg_pdpt, tg_pd
tg_pml4:	.skip 4096
tg_pdpt:	.skip 4096
tg_pd:		.skip 4 * 4096		/* four page directories: 0..4 GiB */
	.balign 16
boot_stack:	.skip 16384
	.globl tg_boot_stack_top
tg_boot_stack_top:

	.section .data
	.balign 16
	.globl tg_gdt
tg_gdt:
	.quad 0				/* 0x00 null */
	.quad 0x00AF9A000000FFFF	/* 0x08 kernel code, 64-bit */
	.quad 0x00CF92000000FFFF	/* 0x10 kernel data */
	.quad 0x00CFF2000000FFFF	/* 0x18 user data (DPL3) */
	.quad 0x00AFFA000000FFFF	/* 0x20 user code, 64-bit (DPL3) */
	.quad 0, 0			/* 0x28 TSS (16 bytes), filled by C */
	.quad 0x00CF9A000000FFFF	/* 0x38 kernel code, 32-bit (entry only) */
tg_gdt_end:
	.globl tg_gdt_desc
tg_gdt_desc:
	.word tg_gdt_end - tg_gdt - 1
	.quad tg_gdt
	.globl tg_mb_magic, tg_mb_info
tg_mb_magic:	.long 0
tg_mb_info:	.long 0

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl %eax, tg_mb_magic
	movl %ebx, tg_mb_info
	movl $tg_boot_stack_top, %esp

	/* Caches on: the Bochs BIOS leaves CR0.CD/NW set (PLATFORMS.md). */
	movl %cr0, %eax
	andl $~((1 << 30) | (1 << 29)), %eax
	movl %eax, %cr0

	/* Zero .bss ourselves: not every loader promises it. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	/* PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3 (P|RW|US). */
	movl $tg_pdpt + 7, tg_pml4
	movl $tg_pd + 7, tg_pdpt
	movl $tg_pd + 4096 + 7, tg_pdpt + 8
	movl $tg_pd + 8192 + 7, tg_pdpt + 16
	movl $tg_pd + 12288 + 7, tg_pdpt + 24
	/* 2048 PDEs of 2 MiB: P|RW|US|PS, plus PCD|PWT from 3 GiB up. */
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $0x87, %eax
	cmpl $1536, %ecx
	jb 2f
	orl $0x18, %eax
2:	movl %eax, tg_pd(,%ecx,8)
	movl $0, tg_pd + 4(,%ecx,8)
	incl %ecx
	cmpl $2048, %ecx
	jb 1b

	lgdt tg_gdt_desc
	ljmp $0x38, $3f
3:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs

	TG_ENTER_LONG_MODE long_entry

	.code64
long_entry:
	TG_LONG_MODE_SEGMENTS
	movabs $tg_boot_stack_top, %rsp
	xorl %ebp, %ebp
	movl tg_mb_magic(%rip), %edi
	movl tg_mb_info(%rip), %esi
	call tg_main
4:	cli
	hlt
	jmp 4b

	.section .note.GNU-stack, "", @progbits
