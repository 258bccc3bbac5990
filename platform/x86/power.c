/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ending a run. Under an emulator the test harness waits for the machine to
 * go away, so the image switches it off: Bochs's shutdown port (0x8900,
 * "Shutdown"), then, under QEMU (CPUID hypervisor leaf "TCGTCGTCGTCG" or
 * "KVMKVMKVM"), its isa-debug-exit device at 0xf4 if present and the PIIX4/
 * ICH9 ACPI PM1a control block at 0x604 (SLP_EN with sleep type 0 is S5
 * there). On anything else the CPU halts with interrupts off.
 */
#include "machine.h"
#include "cpu.h"
#include "serial.h"
#include "lib.h"

#define BOCHS_SHUTDOWN_PORT 0x8900
#define QEMU_DEBUG_EXIT_PORT 0xf4
#define QEMU_ACPI_PM1A_CNT 0x604
#define ACPI_PM1_SLP_EN (1u << 13)
#define CPUID_HV_VENDOR_LEAF 0x40000000u

static bool under_qemu(void)
{
	uint32_t r[4];
	cpuid_count(1, 0, r);
	if (!(r[2] & CPUID_1_ECX_HYPERVISOR))
		return false;
	cpuid_count(CPUID_HV_VENDOR_LEAF, 0, r);
	char v[13];
	tern_memcpy(v, &r[1], 4);
	tern_memcpy(v + 4, &r[2], 4);
	tern_memcpy(v + 8, &r[3], 4);
	v[12] = '\0';
	return tern_strncmp(v, "TCGTCGTCGTCG", 12) == 0 || tern_strncmp(v, "KVMKVMKVM", 9) == 0;
}

static bool under_bochs(void)
{
	/* Bochs reports no hypervisor bit; its BIOS sets 0x8900 up. Try it anyway. */
	return true;
}

void x86_power_off(enum x86_exit_code code)
{
	x86_log("power off (code %d)", (int)code);
	if (under_qemu()) {
		outb(QEMU_DEBUG_EXIT_PORT, (uint8_t)code);
		outw(QEMU_ACPI_PM1A_CNT, ACPI_PM1_SLP_EN);
	} else if (under_bochs()) {
		static const char cmd[] = "Shutdown";
		for (unsigned i = 0; i < sizeof(cmd) - 1; i++)
			outb(BOCHS_SHUTDOWN_PORT, (uint8_t)cmd[i]);
	}
	cpu_halt_forever();
	__builtin_unreachable();
}
