/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IOREQ upcall's interrupt entry (ioreq_svc.c installs it on the
 * vector the Service VM gave Tern with HC_SET_CALLBACK_VECTOR). An external
 * interrupt pushes no error code (SDM Vol. 3A 6.14.2); the handler saves
 * the caller-saved registers, aligns the stack for the C call and IRETs.
 */
	.text
	.globl tg_upcall_entry
tg_upcall_entry:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	movq %rsp, %rbx
	andq $-16, %rsp
	cld
	call tg_upcall_isr
	movq %rbx, %rsp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	iretq

	.section .note.GNU-stack, "", @progbits
