/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Entry from GRUB (multiboot2 or multiboot1): 32-bit protected mode, paging
 * off, EAX = loader magic, EBX = physical address of the boot information.
 * GRUB on UEFI enters here too (multiboot2 has no EFI boot-services tag
 * here, so GRUB calls ExitBootServices and hands over in protected mode as on
 * a BIOS; the EFI system table and memory map come as tags, docs/boot.md).
 * The first page tables (identity map of the low 4 GiB in 2 MiB pages, plus
 * the top 2 GiB aliasing the first GiB for the -mcmodel=kernel image) are
 * built by the assembler (boot_pml4 below), so both entries, this one and
 * tern.efi's, only load CR3; this stub enters long mode (SDM Vol. 3A
 * 10.8.5) and calls x86_main(magic, info) in the higher half. RAM above
 * 4 GiB is mapped later, from the memory map (mem.c mem_map_ram).
 */
#include "boot_defs.h"

	.section .boot.header, "a"
	/* Multiboot2 header (Multiboot2 spec 3.1): 8-byte aligned, first 32 KiB. */
	.balign 8
mb2_header:
	.long MB2_HEADER_MAGIC
	.long 0                         /* architecture: i386 protected mode */
	.long mb2_header_end - mb2_header
	.long -(MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
	/* Module alignment tag: modules page-aligned. */
	.balign 8
	.short 6, 0
	.long 8
	/* End tag. */
	.balign 8
	.short 0, 0
	.long 8
mb2_header_end:

	/* Multiboot1 header (Multiboot spec 3.1.1): 4-byte aligned, first 8 KiB. */
	.balign 4
mb1_header:
	.long MB1_HEADER_MAGIC
	.long MB1_HEADER_FLAGS
	.long -(MB1_HEADER_MAGIC + MB1_HEADER_FLAGS)

	/*
	 * Where tern.efi (platform/x86/efi) enters: a marker it finds in the
	 * first 8 KiB of the image, then the physical address of _start64_efi.
	 */
	.balign 8
	.ascii "TERNEFI1"
	.quad _start64_efi

	.section .boot.text, "ax"
	.code32
	.global _start32
_start32:
	cli
	cld
	mov %eax, boot_magic
	mov %ebx, boot_info
	mov $boot_stack_top, %esp

	/* Long mode present? CPUID 80000001h:EDX[29]. */
	mov $0x80000000, %eax
	cpuid
	cmp $0x80000001, %eax
	jb no_long_mode
	mov $0x80000001, %eax
	cpuid
	bt $29, %edx
	jnc no_long_mode

	/*
	 * The Bochs BIOS leaves CR0.CD/NW set; run cached (PLATFORMS.md,
	 * SDM Vol. 3A 12.5.3).
	 */
	mov %cr0, %eax
	and $~(CR0_CD | CR0_NW), %eax
	mov %eax, %cr0

	/* SDM Vol. 3A 10.8.5: PAE, CR3, EFER.LME, then CR0.PG. */
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PG | CR0_PE), %eax
	mov %eax, %cr0

	lgdt boot_gdtr
	ljmp $BOOT_CS64, $start64

no_long_mode:
	/* Nothing to run on: say so on COM1 (best effort) and stop. */
	mov $no_lm_msg, %esi
3:	lodsb
	test %al, %al
	jz 4f
	mov $0x3f8, %dx
	out %al, %dx
	jmp 3b
4:	cli
	hlt
	jmp 4b

	.code64
start64:
	mov $BOOT_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	movabs $x86_stack_top, %rsp
	xor %ebp, %ebp
	mov boot_magic, %edi
	mov boot_info, %esi
	movabs $x86_main, %rax
	call *%rax
5:	cli
	hlt
	jmp 5b

	/*
	 * Entry from tern.efi after ExitBootServices: 64-bit mode on the
	 * firmware's identity map (UEFI 2.10 2.3.4), interrupts off, RDI = the
	 * physical address of a struct boot_info. Switch to the same page tables
	 * as the multiboot path (built by the assembler: only CR3 changes), take
	 * our GDT and call x86_efi_main(info) in the higher half.
	 */
	.code64
	.global _start64_efi
_start64_efi:
	cli
	cld
	mov %rdi, %r15
	mov %cr0, %rax
	and $~(CR0_CD | CR0_NW), %rax
	mov %rax, %cr0

	/* Global pages of the firmware's map must go too: clear CR4.PGE (SDM Vol. 3A 4.10.4.1). */
	mov %cr4, %rax
	and $~CR4_PGE, %rax
	mov %rax, %cr4
	mov $boot_pml4, %eax
	mov %rax, %cr3

	lgdt boot_gdtr
	pushq $BOOT_CS64
	pushq $start64_efi_cs
	lretq
start64_efi_cs:
	mov $BOOT_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	movabs $x86_stack_top, %rsp
	xor %ebp, %ebp
	mov %r15, %rdi
	movabs $x86_efi_main, %rax
	call *%rax
8:	cli
	hlt
	jmp 8b

	.section .boot.data, "aw"
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff        /* 0x10: data, DPL 0 */
boot_gdt_end:
	.balign 8
boot_gdtr:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt
	.long 0
boot_magic:
	.long 0
boot_info:
	.long 0
no_lm_msg:
	.asciz "tern: this CPU has no long mode; halting\r\n"

	/*
	 * The first page tables, filled in by the assembler (Vol. 3A 4.5):
	 * boot_pd is four page directories back to back, 2048 2 MiB pages
	 * identity-mapping 4 GiB; boot_pdpt_low points at the four, the
	 * high PDPT's entry 510 at the first (the image at -2 GiB).
	 */
	.section .boot.data, "aw"
	.balign 4096
	.global boot_pml4
boot_pml4:
	.quad boot_pdpt_low + (PTE_P | PTE_W)
	.fill 510, 8, 0
	.quad boot_pdpt_high + (PTE_P | PTE_W)
boot_pdpt_low:
	.quad boot_pd + 0 * 4096 + (PTE_P | PTE_W)
	.quad boot_pd + 1 * 4096 + (PTE_P | PTE_W)
	.quad boot_pd + 2 * 4096 + (PTE_P | PTE_W)
	.quad boot_pd + 3 * 4096 + (PTE_P | PTE_W)
	.fill 508, 8, 0
boot_pdpt_high:
	.fill 510, 8, 0
	.quad boot_pd + (PTE_P | PTE_W)
	.quad 0
	.global boot_pd
boot_pd:
	.set boot_pd_i, 0
	.rept 2048
	.quad (boot_pd_i << 21) | (PTE_P | PTE_W | PTE_PS)
	.set boot_pd_i, boot_pd_i + 1
	.endr

	.section .boot.bss, "aw", @nobits
	.balign 4096
	.space 4096
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
