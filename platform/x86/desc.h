/* SPDX-License-Identifier: BSD-3-Clause */
/* The hypervisor's own GDT (with a TSS, which VMX host state requires) and IDT. */
#ifndef TERN_X86_DESC_H
#define TERN_X86_DESC_H

#include <stdint.h>
#include <stdbool.h>

#define HOST_CS 0x08
#define HOST_DS 0x10
#define HOST_TR 0x18

/* The frame isr.S builds, lowest address first. */
struct exc_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

#define PIC_VECTOR_BASE 0x20

/* The IDT, and the BSP's GDT/TSS (pCPU 0). */
void desc_init(void);
/* An AP's own GDT/TSS and the shared IDT (smp.c, on that AP). */
void desc_ap_init(unsigned cpu);
/* Remap the 8259s to PIC_VECTOR_BASE and mask every IRQ. */
void pic_init(void);
/*
 * Complete a host interrupt the CPU acknowledged on a VM exit
 * ("acknowledge interrupt on exit"): EOI at the 8259(s) that raised vector,
 * unless it was spurious (IRQ7/IRQ15 with its in-service bit clear). Vectors
 * outside the 8259s' range are not the host's devices: nothing to do.
 */
void pic_complete(uint8_t vector);
/* Whether pic_init has run (the 8259s exist and sit at PIC_VECTOR_BASE, masked). */
bool pic_present(void);
/* For the VMCS host-state area. */
uint64_t desc_gdt_base(void);
uint64_t desc_idt_base(void);
uint64_t desc_tss_base(void);
void x86_exception(struct exc_frame *f);

#endif
