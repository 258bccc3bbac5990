/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * int vmx_enter(uint64_t *gprs, int launched)
 *
 * Loads the guest's GPRs (gprs[] in enum vcpu_reg order; RSP is in the VMCS
 * and its slot is ignored), then VMLAUNCH (launched == 0) or VMRESUME.
 * Returns 0 after a VM exit with the guest's GPRs saved back into gprs[],
 * 1 on VMfailInvalid (CF), 2 on VMfailValid (ZF: the VMCS's VM-instruction
 * error says why), SDM Vol. 3C 31.2 and 31.3.
 *
 * The host stack pointer at exit is the one saved here (VMCS HOST_RSP is
 * written on every entry), with the gprs pointer on top of it.
 */
#define VMCS_HOST_RSP 0x6c14
#define G(n) (8 * (n))
#define RAX 0
#define RCX 1
#define RDX 2
#define RBX 3
#define RBP 5
#define RSI 6
#define RDI 7

	.text
	.global vmx_enter
	.global vmx_exit_entry
vmx_enter:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi                       /* gprs pointer, found again at exit */
	mov $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	jbe 9f

	mov %esi, %eax                  /* launched? test after the loads */
	mov G(RCX)(%rdi), %rcx
	mov G(RDX)(%rdi), %rdx
	mov G(RBX)(%rdi), %rbx
	mov G(RBP)(%rdi), %rbp
	mov G(RSI)(%rdi), %rsi
	mov G(8)(%rdi), %r8
	mov G(9)(%rdi), %r9
	mov G(10)(%rdi), %r10
	mov G(11)(%rdi), %r11
	mov G(12)(%rdi), %r12
	mov G(13)(%rdi), %r13
	mov G(14)(%rdi), %r14
	mov G(15)(%rdi), %r15
	test %eax, %eax
	mov G(RAX)(%rdi), %rax          /* mov leaves the flags alone */
	mov G(RDI)(%rdi), %rdi
	jnz 1f
	vmlaunch
	jmp 2f
1:	vmresume
2:	/* Only on failure: CF or ZF says which. Host GPRs are clobbered. */
	mov $1, %eax
	jc 3f
	mov $2, %eax
3:	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
9:	mov $2, %eax
	jmp 3b

	.balign 16
vmx_exit_entry:
	/* RSP = HOST_RSP: the gprs pointer is on top. */
	push %rdi
	mov 8(%rsp), %rdi
	mov %rax, G(RAX)(%rdi)
	mov %rcx, G(RCX)(%rdi)
	mov %rdx, G(RDX)(%rdi)
	mov %rbx, G(RBX)(%rdi)
	mov %rbp, G(RBP)(%rdi)
	mov %rsi, G(RSI)(%rdi)
	mov %r8, G(8)(%rdi)
	mov %r9, G(9)(%rdi)
	mov %r10, G(10)(%rdi)
	mov %r11, G(11)(%rdi)
	mov %r12, G(12)(%rdi)
	mov %r13, G(13)(%rdi)
	mov %r14, G(14)(%rdi)
	mov %r15, G(15)(%rdi)
	pop %rax
	mov %rax, G(RDI)(%rdi)
	xor %eax, %eax
	jmp 3b

	.section .note.GNU-stack, "", @progbits
