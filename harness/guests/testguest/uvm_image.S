/* SPDX-License-Identifier: BSD-3-Clause */
/* The User VM payload (harness/guests/uvm), a flat image t_uvm.c loads. */
	.section .rodata
	.p2align 4
	.globl tg_uvm_image, tg_uvm_image_end
tg_uvm_image:
	.incbin UVM_BIN
tg_uvm_image_end:

	.section .note.GNU-stack, "", @progbits
