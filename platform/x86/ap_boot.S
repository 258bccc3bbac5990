/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The AP start-up trampoline (SDM Vol. 3A 9.4.4 "MP Initialization
 * Example", 10.8.5 "Initializing IA-32e Mode"). smp.c copies ap_tramp_start
 * .. ap_tramp_end to a page below 1 MiB and sends a SIPI naming it: the AP
 * starts in real mode at CS = page >> 4, IP = 0. The code is position
 * independent: it takes its base from CS, so the page can be any free one.
 * Real mode -> 32-bit protected mode (its own GDT) -> PAE, the BSP's CR3
 * and EFER.LME -> paging -> 64-bit code -> the AP's stack -> entry(cpu),
 * all from the parameter block (ap_boot.h) the BSP filled.
 */
#include "boot_defs.h"
#include "ap_boot.h"

#define T_CS32 0x08
#define T_DS 0x10
#define T_CS64 0x18
#define OFF(x) ((x) - ap_tramp_start)

	.section .rodata
	.balign 16
	.global ap_tramp_start, ap_tramp_end
	.code16
ap_tramp_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	xor %ebx, %ebx
	mov %ax, %bx
	shl $4, %ebx                    /* ebx = the trampoline's linear base */
	/* The GDT pointer holds a linear address: patch it for this page. */
	lea OFF(tramp_gdt)(%ebx), %eax
	mov %eax, OFF(tramp_gdtr) + 2
	lgdtl OFF(tramp_gdtr)
	mov %cr0, %eax
	and $~(CR0_CD | CR0_NW), %eax
	or $CR0_PE, %eax
	mov %eax, %cr0
	/* Far return into 32-bit code: CS:EIP from the stack-less way, a
	 * far pointer patched into memory. */
	lea OFF(ap32)(%ebx), %eax
	mov %eax, OFF(tramp_far32)
	ljmpl *OFF(tramp_far32)

	.code32
ap32:
	mov $T_DS, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov AP_PARAM_CR3(%ebx), %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or AP_PARAM_EFER(%ebx), %eax
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PG | CR0_PE), %eax
	mov %eax, %cr0
	lea OFF(ap64)(%ebx), %eax
	mov %eax, OFF(tramp_far64)(%ebx)
	ljmp *OFF(tramp_far64)(%ebx)

	.code64
ap64:
	mov $T_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov %ebx, %ebx                  /* zero-extend the base */
	mov AP_PARAM_STACK(%rbx), %rsp
	xor %ebp, %ebp
	mov AP_PARAM_CPU(%rbx), %edi
	mov AP_PARAM_ENTRY(%rbx), %rax
	call *%rax
1:	cli
	hlt
	jmp 1b

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
	.quad 0x00af9a000000ffff        /* 0x18: 64-bit code */
tramp_gdt_end:
	.balign 8
tramp_gdtr:
	.short tramp_gdt_end - tramp_gdt - 1
	.long 0
	.balign 8
tramp_far32:
	.long 0
	.short T_CS32
	.balign 8
tramp_far64:
	.long 0
	.short T_CS64
	.org ap_tramp_start + AP_PARAM_CR3
	.space AP_TRAMPOLINE_SIZE - AP_PARAM_CR3
ap_tramp_end:

	.section .note.GNU-stack, "", @progbits
