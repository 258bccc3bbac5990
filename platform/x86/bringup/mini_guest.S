/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bring-up guest for the image (not part of the boot test): a multiboot
 * (v1) ELF32 that checks the multiboot state, runs CPUID, prints through
 * COM1 and writes its verdict to the debug-exit port 0xf4.
 */
	.section .multiboot, "a"
	.balign 4
	.long 0x1badb002, 0, -0x1badb002

	.text
	.code32
	.global _start
_start:
	mov $stack_top, %esp
	cmp $0x2badb002, %eax
	jne fail
	mov (%ebx), %ecx           /* multiboot flags: memory map present */
	test $0x40, %ecx
	jz fail
	xor %eax, %eax
	cpuid
	cmp $0x756e6547, %ebx      /* "Genu" */
	jne fail
	mov $msg, %esi
	call puts
	mov $0, %al
	out %al, $0xf4
fail:
	mov $failmsg, %esi
	call puts
	mov $1, %al
	out %al, $0xf4
	hlt

puts:
1:	lodsb
	test %al, %al
	jz 3f
	mov %al, %ah
	mov $0x3fd, %dx
2:	in %dx, %al
	test $0x20, %al
	jz 2b
	mov $0x3f8, %dx
	mov %ah, %al
	out %al, %dx
	jmp 1b
3:	ret

	.data
msg:	.asciz "mini guest: hello from VMX non-root\r\n"
failmsg: .asciz "mini guest: FAIL\r\n"
	.bss
	.space 4096
stack_top:
	.section .note.GNU-stack, "", @progbits
