/* SPDX-License-Identifier: BSD-3-Clause */
/* Constants shared by the assembly boot stub and C (no C declarations here). */
#ifndef TERN_X86_BOOT_DEFS_H
#define TERN_X86_BOOT_DEFS_H

#define KERNEL_VMA 0xffffffff80000000

#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_BOOT_MAGIC 0x36d76289
#define MB1_HEADER_MAGIC 0x1badb002
#define MB1_BOOT_MAGIC 0x2badb002
/* Multiboot1 header flags: page-align modules (bit 0), memory info (bit 1). */
#define MB1_HEADER_FLAGS 0x00000003

#define CR0_PE (1 << 0)
#define CR0_NE (1 << 5)
#define CR0_NW (1 << 29)
#define CR0_CD (1 << 30)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_PGE (1 << 7)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)

#define PTE_P (1 << 0)
#define PTE_W (1 << 1)
#define PTE_PS (1 << 7)

#define BOOT_CS64 0x08
#define BOOT_DS 0x10

#define X86_STACK_SIZE 16384

#endif
