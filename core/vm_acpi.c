/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building a VM's ACPI tables (vm_acpi.h). Every multi-byte field is little
 * endian (ACPI 6.5 5.2: "all numeric values ... little-endian"), written a
 * byte at a time so the code is the same on any host.
 */
#include "vm_acpi.h"
#include "vm.h"
#include "vioapic.h"
#include "vlapic.h"
#include "lib.h"
#include "err.h"

#define ACPI_RSDP_REVISION 2u      /* ACPI 2.0+ RSDP, with the XSDT address */
#define ACPI_RSDT_REVISION 1u
#define ACPI_XSDT_REVISION 1u
#define ACPI_MADT_REVISION 6u      /* ACPI 6.5 table 5.19 */
#define ACPI_OEM_ID "TERN  "       /* 6 bytes */
#define ACPI_OEM_TABLE_ID "TERNVM  " /* 8 bytes */
#define ACPI_OEM_REVISION 1u
#define ACPI_CREATOR_ID "TERN"
#define ACPI_CREATOR_REVISION 1u
#define ACPI_ALIGN 16u
#define ACPI_GPA_LIMIT (1ull << 32)
#define ACPI_MADT_MAX (VM_ACPI_MADT_FIXED + TERN_MAX_VCPUS * VM_ACPI_MADT_LAPIC_LEN + \
		       VM_ACPI_MADT_IOAPIC_LEN + VM_ACPI_MADT_ISO_LEN + VM_ACPI_MADT_LAPIC_NMI_LEN)
_Static_assert(VM_ACPI_OFF_MADT + ACPI_MADT_MAX <= VM_ACPI_SIZE, "the MADT fits the area");
_Static_assert(VM_ACPI_OFF_RSDT >= VM_ACPI_RSDP_LEN && VM_ACPI_OFF_XSDT >= VM_ACPI_OFF_RSDT + VM_ACPI_HDR_LEN + 4 &&
	       VM_ACPI_OFF_MADT >= VM_ACPI_OFF_XSDT + VM_ACPI_HDR_LEN + 8, "the tables do not overlap");

/* SDT header field offsets (ACPI 6.5 table 5.4). */
#define HDR_LENGTH 4u
#define HDR_REVISION 8u
#define HDR_CHECKSUM 9u
#define HDR_OEM_ID 10u
#define HDR_OEM_TABLE_ID 16u
#define HDR_OEM_REVISION 24u
#define HDR_CREATOR_ID 28u
#define HDR_CREATOR_REVISION 32u
/* RSDP field offsets (ACPI 6.5 table 5.3). */
#define RSDP_CHECKSUM 8u
#define RSDP_OEM_ID 9u
#define RSDP_REVISION 15u
#define RSDP_RSDT 16u
#define RSDP_LENGTH 20u
#define RSDP_XSDT 24u
#define RSDP_EXT_CHECKSUM 32u

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* The byte that makes p[0, len) sum to zero (ACPI 6.5 5.2.5.3, 5.2.6). */
static uint8_t checksum(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0u - sum);
}

static void header(uint8_t *t, const char sig[4], uint32_t len, uint8_t revision)
{
	tern_memcpy(t, sig, 4);
	put32(t + HDR_LENGTH, len);
	t[HDR_REVISION] = revision;
	tern_memcpy(t + HDR_OEM_ID, ACPI_OEM_ID, 6);
	tern_memcpy(t + HDR_OEM_TABLE_ID, ACPI_OEM_TABLE_ID, 8);
	put32(t + HDR_OEM_REVISION, ACPI_OEM_REVISION);
	tern_memcpy(t + HDR_CREATOR_ID, ACPI_CREATOR_ID, 4);
	put32(t + HDR_CREATOR_REVISION, ACPI_CREATOR_REVISION);
	t[HDR_CHECKSUM] = checksum(t, len);
}

/* The MADT body after its fixed part; returns the table's length. */
static uint32_t madt(const struct vm *vm, uint8_t *t)
{
	uint8_t *e = t + VM_ACPI_MADT_FIXED;
	put32(t + VM_ACPI_HDR_LEN, (uint32_t)VLAPIC_BASE_ADDR_DEFAULT);
	put32(t + VM_ACPI_HDR_LEN + 4, VM_ACPI_MADT_PCAT_COMPAT);
	/* ACPI 6.5 5.2.12.2: the boot processor first; the UID is the vCPU
	 * index, the ID what its vLAPIC's ID register reports. */
	for (uint16_t i = 0; i < vm->config.vcpu_count; i++, e += VM_ACPI_MADT_LAPIC_LEN) {
		e[0] = VM_ACPI_MADT_LAPIC;
		e[1] = VM_ACPI_MADT_LAPIC_LEN;
		e[2] = (uint8_t)i;
		e[3] = (uint8_t)vm->vcpus[i].lapic.apic_id;
		put32(e + 4, VM_ACPI_LAPIC_ENABLED);
	}
	/* 5.2.12.3 */
	e[0] = VM_ACPI_MADT_IOAPIC;
	e[1] = VM_ACPI_MADT_IOAPIC_LEN;
	e[2] = vioapic_id(&vm->ioapic);
	put32(e + 4, (uint32_t)VIOAPIC_BASE_DEFAULT);
	put32(e + 8, 0); /* Global System Interrupt Base */
	e += VM_ACPI_MADT_IOAPIC_LEN;
	/* 5.2.12.5: the PIT's IRQ0 is wired to IOAPIC pin 2, as on a PC. */
	e[0] = VM_ACPI_MADT_ISO;
	e[1] = VM_ACPI_MADT_ISO_LEN;
	e[2] = 0; /* Bus: ISA */
	e[3] = VM_ACPI_PIT_IRQ;
	put32(e + 4, VM_ACPI_PIT_GSI);
	put16(e + 8, VM_ACPI_INTI_CONFORMS);
	e += VM_ACPI_MADT_ISO_LEN;
	/* 5.2.12.7: LINT1 is wired to NMI on every processor (the boot hand-off programs the BSP's so, vlapic_virtual_wire). */
	e[0] = VM_ACPI_MADT_LAPIC_NMI;
	e[1] = VM_ACPI_MADT_LAPIC_NMI_LEN;
	e[2] = VM_ACPI_ALL_PROCESSORS;
	put16(e + 3, VM_ACPI_INTI_HIGH_EDGE);
	e[5] = VM_ACPI_NMI_LINT;
	e += VM_ACPI_MADT_LAPIC_NMI_LEN;
	return (uint32_t)(e - t);
}

int vm_acpi_build(const struct vm *vm, uint8_t *buf, size_t len, uint64_t gpa)
{
	int ret = -TERN_EINVAL;
	if (len < VM_ACPI_SIZE || (gpa & (ACPI_ALIGN - 1)) || gpa > ACPI_GPA_LIMIT - VM_ACPI_SIZE ||
	    vm->config.vcpu_count == 0 || vm->config.vcpu_count > TERN_MAX_VCPUS)
		return ret;
	tern_memset(buf, 0, VM_ACPI_SIZE);
	uint8_t *madt_t = buf + VM_ACPI_OFF_MADT;
	header(madt_t, "APIC", madt(vm, madt_t), ACPI_MADT_REVISION);

	uint64_t madt_gpa = gpa + VM_ACPI_OFF_MADT;
	uint8_t *rsdt = buf + VM_ACPI_OFF_RSDT;
	put32(rsdt + VM_ACPI_HDR_LEN, (uint32_t)madt_gpa);
	header(rsdt, "RSDT", VM_ACPI_HDR_LEN + 4, ACPI_RSDT_REVISION);
	uint8_t *xsdt = buf + VM_ACPI_OFF_XSDT;
	put64(xsdt + VM_ACPI_HDR_LEN, madt_gpa);
	header(xsdt, "XSDT", VM_ACPI_HDR_LEN + 8, ACPI_XSDT_REVISION);

	uint8_t *rsdp = buf + VM_ACPI_OFF_RSDP;
	tern_memcpy(rsdp, "RSD PTR ", 8);
	tern_memcpy(rsdp + RSDP_OEM_ID, ACPI_OEM_ID, 6);
	rsdp[RSDP_REVISION] = ACPI_RSDP_REVISION;
	put32(rsdp + RSDP_RSDT, (uint32_t)(gpa + VM_ACPI_OFF_RSDT));
	put32(rsdp + RSDP_LENGTH, VM_ACPI_RSDP_LEN);
	put64(rsdp + RSDP_XSDT, gpa + VM_ACPI_OFF_XSDT);
	/* The first checksum covers the ACPI 1.0 part, the extended one all. */
	rsdp[RSDP_CHECKSUM] = checksum(rsdp, VM_ACPI_RSDP_V1_LEN);
	rsdp[RSDP_EXT_CHECKSUM] = checksum(rsdp, VM_ACPI_RSDP_LEN);
	ret = 0;
	return ret;
}
