/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ACPI tables a VM sees (ACPI 6.5 chapter 5): an RSDP (revision 2)
 * where a BIOS-era guest scans for it, an RSDT and an XSDT naming one
 * table, and the MADT that describes the VM's interrupt hardware exactly as
 * core emulates it: one enabled Processor Local APIC per vCPU (APIC ID as
 * its vLAPIC answers), the vIOAPIC at VIOAPIC_BASE_DEFAULT with GSI base 0,
 * the ISA override IRQ0 -> GSI 2 (the vPIT's pin on the vIOAPIC), LINT1 as
 * NMI on every processor, and PCAT_COMPAT because the VM has the vPIC.
 * No FADT: the VM has no ACPI hardware (PM timer, SCI, PM1 blocks), and a
 * table that advertised some would lie (docs/acpi.md).
 *
 * vm_acpi_build only writes bytes into a buffer the caller places at
 * `gpa` in guest RAM; it reads nothing a guest controls.
 */
#ifndef TERN_VM_ACPI_H
#define TERN_VM_ACPI_H

#include <stdint.h>
#include <stddef.h>

struct vm;

/* ACPI 6.5 5.2.5.1: the RSDP is on a 16-byte boundary in the BIOS
 * read-only area 0xE0000-0xFFFFF (or the EBDA's first KiB). Tern puts the
 * tables at the start of that area, in one page. */
#define VM_ACPI_GPA 0xe0000ull
#define VM_ACPI_SIZE 0x1000u
/* Offsets of the tables inside the area. */
#define VM_ACPI_OFF_RSDP 0x000u
#define VM_ACPI_OFF_RSDT 0x040u
#define VM_ACPI_OFF_XSDT 0x080u
#define VM_ACPI_OFF_MADT 0x100u

#define VM_ACPI_RSDP_LEN 36u       /* ACPI 6.5 table 5.3, revision 2 */
#define VM_ACPI_RSDP_V1_LEN 20u    /* the part the first checksum covers */
#define VM_ACPI_HDR_LEN 36u        /* ACPI 6.5 table 5.4, the SDT header */
#define VM_ACPI_MADT_FIXED 44u     /* header, Local Interrupt Controller Address, Flags */
/* MADT Interrupt Controller Structure types and lengths (ACPI 6.5 table 5.21 ff.). */
#define VM_ACPI_MADT_LAPIC 0u
#define VM_ACPI_MADT_LAPIC_LEN 8u
#define VM_ACPI_MADT_IOAPIC 1u
#define VM_ACPI_MADT_IOAPIC_LEN 12u
#define VM_ACPI_MADT_ISO 2u
#define VM_ACPI_MADT_ISO_LEN 10u
#define VM_ACPI_MADT_LAPIC_NMI 4u
#define VM_ACPI_MADT_LAPIC_NMI_LEN 6u
#define VM_ACPI_MADT_PCAT_COMPAT 1u       /* MADT Flags bit 0: dual 8259s present */
#define VM_ACPI_LAPIC_ENABLED 1u          /* Local APIC Flags bit 0 */
#define VM_ACPI_ALL_PROCESSORS 0xffu      /* Local APIC NMI: ACPI Processor UID "all" */
/* MPS INTI flags (ACPI 6.5 table 5.26): polarity bits 1:0, trigger 3:2. */
#define VM_ACPI_INTI_CONFORMS 0x0u
#define VM_ACPI_INTI_HIGH_EDGE 0x5u       /* active high (01), edge (01 << 2) */
#define VM_ACPI_PIT_IRQ 0u
#define VM_ACPI_PIT_GSI 2u
#define VM_ACPI_NMI_LINT 1u

/*
 * Write the RSDP, RSDT, XSDT and MADT of `vm` into buf[0, len), whose first
 * byte will be at guest-physical `gpa` (the tables point at each other by
 * GPA). The area must be VM_ACPI_SIZE bytes, `gpa` 16-byte aligned and below
 * 4 GiB (the RSDT's entries are 32 bits). Every unused byte is zeroed.
 * @pre vm's vCPUs and vIOAPIC are initialised (vm_mgr_create).
 * Returns 0, or -TERN_EINVAL for a misplaced or short area.
 */
int vm_acpi_build(const struct vm *vm, uint8_t *buf, size_t len, uint64_t gpa);

#endif
