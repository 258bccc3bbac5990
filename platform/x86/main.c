/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The image's C entry: console, descriptor tables, boot information, then
 * the VMX checks and the Service VM.
 */
#include "x86.h"
#include "boot_defs.h"
#include "bootinfo.h"
#include "cpu.h"
#include "desc.h"
#include "serial.h"
#include "lib.h"
#include "clock.h"
#include "vmx.h"

uint8_t x86_stack[X86_STACK_SIZE] __attribute__((aligned(16)));
/* boot.S loads RSP from this symbol. */
__asm__(".global x86_stack_top\n.set x86_stack_top, x86_stack + " "16384");

static struct boot_info boot_info;

void x86_main(uint32_t magic, uint32_t info_pa)
{
	serial_init(SERIAL_COM1);
	desc_init();
	x86_log("Tern x86 image starting");
	if (bootinfo_parse(magic, info_pa, &boot_info) < 0) {
		x86_log("FATAL: not started by a multiboot loader (magic 0x%x)", magic);
		x86_power_off(X86_EXIT_BOOT);
	}
	x86_log("multiboot%u from %s, cmdline \"%s\", %u module(s), %u memory region(s)",
		boot_info.version, boot_info.loader[0] ? boot_info.loader : "?",
		boot_info.cmdline, boot_info.nmodules, boot_info.nregions);
	for (unsigned i = 0; i < boot_info.nregions; i++)
		x86_log("  mem %016lx-%016lx type %u", (unsigned long)boot_info.regions[i].base,
			(unsigned long)(boot_info.regions[i].base + boot_info.regions[i].len),
			boot_info.regions[i].type);
	for (unsigned i = 0; i < boot_info.nmodules; i++)
		x86_log("  module %lx-%lx \"%s\"", (unsigned long)boot_info.modules[i].start,
			(unsigned long)boot_info.modules[i].end, boot_info.modules[i].cmdline);

	uint64_t hz = clock_calibrate();
	x86_log("TSC %lu MHz", (unsigned long)(hz / 1000000));

	static struct vmx_caps caps;
	const char *why = vmx_check(&caps);
	if (why) {
		x86_log("REFUSED: Tern needs VMX with EPT and unrestricted guest: %s", why);
		x86_power_off(X86_EXIT_NO_VMX);
	}
	x86_log("VMX: revision 0x%x, %s controls, EPT/VPID caps 0x%lx", caps.revision,
		caps.true_ctls ? "true" : "default", (unsigned long)caps.ept_vpid);
	if (vmx_on(&caps) < 0) {
		x86_log("FATAL: VMXON failed");
		x86_power_off(X86_EXIT_NO_VMX);
	}
	x86_log("VMXON done");
	x86_power_off(X86_EXIT_OK);
}
