/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The User VM payload's entry: the Service VM's HC_SET_VCPU_REGS starts it
 * here in 32-bit protected mode, paging off, flat segments (CS 0x08, data
 * 0x10), ESP = UVM_STACK_TOP. It loads a GDT of its own with those
 * selectors (exception delivery reads CS's descriptor from it, SDM Vol. 3A
 * 6.12.1) and an IDT, and calls uvm_main.
 */
	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	lgdt uvm_gdtr
	ljmp $0x08, $1f
1:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	call uvm_main
2:	hlt
	jmp 2b

/* One stub for the vectors the payload provokes: #UD (6), #GP (13). */
	.globl uvm_isr_ud, uvm_isr_gp
uvm_isr_ud:
	pushl $0            /* no error code: keep the frame the same shape */
	pushl $6
	jmp uvm_isr_common
uvm_isr_gp:
	pushl $13
uvm_isr_common:
	pushal
	pushl %esp          /* struct uvm_frame * */
	call uvm_trap
	addl $4, %esp
	popal
	addl $8, %esp       /* vector, error code */
	iretl

	.section .rodata
	.p2align 3
uvm_gdt:
	.quad 0
	.quad 0x00cf9b000000ffff    /* 0x08: flat 32-bit code, accessed */
	.quad 0x00cf93000000ffff    /* 0x10: flat data, accessed */
uvm_gdt_end:
uvm_gdtr:
	.word uvm_gdt_end - uvm_gdt - 1
	.long uvm_gdt

	.section .note.GNU-stack, "", @progbits
