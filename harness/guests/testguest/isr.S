/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupt and exception stubs (SDM Vol. 3A 6.14: 64-bit IDT, the CPU
 * pushes SS, RSP, RFLAGS, CS, RIP and, for some vectors, an error code).
 * Each stub makes the frame uniform (error code 0 where the CPU pushes none),
 * saves the GPRs and calls tg_isr(struct tg_frame *).
 */
	.text
.macro STUB vec, has_err
	.globl tg_isr_\vec
tg_isr_\vec:
	.if \has_err == 0
	pushq $0
	.endif
	pushq $\vec
	jmp isr_common
.endm

STUB 0, 0
STUB 1, 0
STUB 2, 0
STUB 3, 0
STUB 4, 0
STUB 5, 0
STUB 6, 0
STUB 7, 0
STUB 8, 1
STUB 9, 0
STUB 10, 1
STUB 11, 1
STUB 12, 1
STUB 13, 1
STUB 14, 1
STUB 15, 0
STUB 16, 0
STUB 17, 1
STUB 18, 0
STUB 19, 0
STUB 20, 0
STUB 21, 1
STUB 22, 0
STUB 23, 0
STUB 24, 0
STUB 25, 0
STUB 26, 0
STUB 27, 0
STUB 28, 0
STUB 29, 1
STUB 30, 1
STUB 31, 0

/* Vectors 32..255 (external interrupts, IPIs, the spurious vector): one
 * 16-byte stub each at tg_isr_irq_stubs + 16 * (vector - 32), so idt.c
 * computes the gate without a table. */
	.balign 16
	.globl tg_isr_irq_stubs
tg_isr_irq_stubs:
	.set vec, 32
	.rept 224
	.balign 16
	pushq $0
	pushq $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	movq %rsp, %rbx
	andq $-16, %rsp
	cld
	call tg_isr
	movq %rbx, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

	.section .rodata
	.balign 8
	.globl tg_isr_table
tg_isr_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad tg_isr_\v
	.endr
	.globl tg_isr_irq_stubs_ptr
tg_isr_irq_stubs_ptr:	.quad tg_isr_irq_stubs

	.section .note.GNU-stack, "", @progbits
