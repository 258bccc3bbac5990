/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ACPI MADT (ACPI 6.x 5.2.12): the processors' local APIC IDs, the
 * IOAPIC and the ISA interrupt source overrides. Found through the RSDP in
 * the EBDA's first KiB or in 0xE0000-0xFFFFF (ACPI 5.2.5.1), then the RSDT.
 * Every length comes from firmware tables, so each is bounded before use.
 */
#include "guest.h"

#define EBDA_SEG_PTR 0x40E
#define BIOS_LO 0xE0000u
#define BIOS_HI 0x100000u
#define RSDP_LEN 20
#define SDT_HDR_LEN 36
#define SDT_MAX_LEN 0x10000u
#define MADT_ENTRIES 44
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_ISO 2
#define MADT_LAPIC_ENABLED 1u
#define ISA_IRQS 16

struct tg_madt tg_madt;

/* Physical addresses from firmware: hidden from the compiler's bounds analysis. */
static uintptr_t phys(uintptr_t a)
{
	__asm__("" : "+r"(a));
	return a;
}
static uint32_t rd32(uintptr_t a) { return *(const volatile uint32_t *)phys(a); }
static uint16_t rd16(uintptr_t a) { return *(const volatile uint16_t *)phys(a); }
static uint8_t rd8(uintptr_t a) { return *(const volatile uint8_t *)phys(a); }

static bool checksum_ok(uintptr_t p, uint32_t len)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + rd8(p + i));
	return sum == 0;
}

static uintptr_t scan_rsdp(uintptr_t lo, uintptr_t hi)
{
	for (uintptr_t p = lo; p + RSDP_LEN <= hi; p += 16)
		if (memcmp((const void *)phys(p), "RSD PTR ", 8) == 0 && checksum_ok(p, RSDP_LEN))
			return p;
	return 0;
}

static uintptr_t find_sdt(const char sig[4])
{
	uintptr_t ebda = (uintptr_t)rd16(EBDA_SEG_PTR) << 4, rsdp = 0, rsdt;
	uint32_t len;

	if (ebda >= 0x80000 && ebda < 0xA0000)
		rsdp = scan_rsdp(ebda, ebda + 1024);
	if (!rsdp)
		rsdp = scan_rsdp(BIOS_LO, BIOS_HI);
	if (!rsdp)
		return 0;
	rsdt = rd32(rsdp + 16);
	len = rd32(rsdt + 4);
	if (memcmp((const void *)phys(rsdt), "RSDT", 4) != 0 || len < SDT_HDR_LEN || len > SDT_MAX_LEN)
		return 0;
	for (uint32_t off = SDT_HDR_LEN; off + 4 <= len; off += 4) {
		uintptr_t t = rd32(rsdt + off);
		if (t && memcmp((const void *)phys(t), sig, 4) == 0 && rd32(t + 4) <= SDT_MAX_LEN &&
		    checksum_ok(t, rd32(t + 4)))
			return t;
	}
	return 0;
}

static void entry(uintptr_t e, uint8_t type)
{
	switch (type) {
	case MADT_LAPIC:
		if (!(rd32(e + 4) & MADT_LAPIC_ENABLED))
			break;
		if (tg_madt.ncpus < TG_MAX_CPUS)
			tg_madt.apic_id[tg_madt.ncpus++] = rd8(e + 3);
		tg_madt.listed++;
		break;
	case MADT_IOAPIC:
		if (rd32(e + 8) == 0)
			tg_madt.ioapic_addr = rd32(e + 4);
		break;
	case MADT_ISO:
		if (rd8(e + 2) == 0 && rd8(e + 3) < ISA_IRQS) {
			tg_madt.isa_gsi[rd8(e + 3)] = rd32(e + 4);
			tg_madt.isa_flags[rd8(e + 3)] = rd16(e + 8);
		}
		break;
	default:
		break;
	}
}

void tg_acpi_madt(void)
{
	uintptr_t m;
	uint32_t len;

	memset(&tg_madt, 0, sizeof(tg_madt));
	for (unsigned i = 0; i < ISA_IRQS; i++)
		tg_madt.isa_gsi[i] = i;		/* identity unless overridden */
	m = find_sdt("APIC");
	/* Bochs's BIOS and QEMU's SeaBIOS both say "BOCHS "; QEMU TCG has its own CPUID signature. */
	tg_env.bochs = m && memcmp((const void *)phys(m + 10), "BOCHS ", 6) == 0 && !tg_env.qemu_tcg &&
		       !tg_env.hv_sig[0];
	if (!m)
		return;
	tg_madt.found = true;
	tg_madt.lapic_addr = rd32(m + SDT_HDR_LEN);
	len = rd32(m + 4);
	for (uint32_t off = MADT_ENTRIES; off + 2 <= len;) {
		uint8_t type = rd8(m + off), elen = rd8(m + off + 1);
		if (elen < 2 || off + elen > len)
			break;
		entry(m + off, type);
		off += elen;
	}
}
