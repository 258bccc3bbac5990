/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exception entry stubs for vectors 0-31. Each pushes a uniform frame
 * (vector, error code or 0, then the GPRs) and calls x86_exception(frame);
 * the hypervisor treats any exception of its own as fatal (report and stop).
 * Vectors with a CPU-pushed error code: SDM Vol. 3A Table 6-1.
 */
#include "lapic.h"
	.text
.macro ISR_NOERR vec
	.balign 16
isr_\vec:
	pushq $0
	pushq $\vec
	jmp isr_common
.endm
.macro ISR_ERR vec
	.balign 16
isr_\vec:
	pushq $\vec
	jmp isr_common
.endm

ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR 8
ISR_NOERR 9
ISR_ERR 10
ISR_ERR 11
ISR_ERR 12
ISR_ERR 13
ISR_ERR 14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR 17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR 21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_ERR 29
ISR_ERR 30
ISR_NOERR 31

	/* Any other vector (a stray interrupt): vector 255 in the report. */
	.balign 16
	.global isr_spurious
isr_spurious:
	pushq $0
	pushq $255
	jmp isr_common

isr_common:
	push %rax
	push %rcx
	push %rdx
	push %rbx
	push %rbp
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	and $-16, %rsp
	call x86_exception
1:	cli
	hlt
	jmp 1b

	.section .rodata
	.balign 8
	.global isr_table
isr_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad isr_\v
	.endr

	.section .note.GNU-stack, "", @progbits

	/*
	 * Host interrupts Tern takes (only while it waits in HLT with IF=1,
	 * see serial.c): acknowledge at the master 8259 and return. The
	 * waiter re-checks its condition itself.
	 */
	.text
	.balign 16
	.global isr_irq_master
isr_irq_master:
	push %rax
	mov $0x20, %al                  /* non-specific EOI */
	out %al, $0x20
	pop %rax
	iretq

	/* Spurious IRQ7/IRQ15 (8259A data sheet): no EOI, just return. */
	.balign 16
	.global isr_irq_spurious
isr_irq_spurious:
	iretq
	.section .note.GNU-stack, "", @progbits

	/*
	 * The host LAPIC's vectors while a pCPU idles in HLT with IF=1
	 * (run.c): x86_host_irq(vector) completes them (host_irq.c). Nine
	 * caller-saved registers on top of the five-word frame keep the
	 * stack 16-byte aligned at the call (SDM Vol. 3A 6.14.2).
	 */
	.text
.macro HOST_IRQ name, vec
	.balign 16
	.global \name
\name:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	mov $\vec, %edi
	call x86_host_irq
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	iretq
.endm
HOST_IRQ isr_host_kick, X86_VEC_KICK
HOST_IRQ isr_host_timer, X86_VEC_TIMER
HOST_IRQ isr_lapic_spurious, X86_VEC_SPURIOUS
	.section .note.GNU-stack, "", @progbits
