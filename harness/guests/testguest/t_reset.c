/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A triple fault in a VM configured to reset resets it. Tern's
 * `triple_fault=reset` makes a triple fault of the Service VM a warm reset:
 * the VM enters its Multiboot hand-off state again (EAX magic, EBX the
 * information structure) with its memory kept. The guest's command line
 * says the hypervisor was so configured (`triple-fault-resets`). The first
 * boot leaves a count in .data (loaded once, never zeroed by the entry
 * code, unlike .bss), loads an IDT with limit 0 and executes UD2: #UD
 * cannot be delivered, nor can the #GP that follows, nor the #DF, so the
 * CPU shuts down (SDM Vol. 3A 6.15, interrupt 8) and VMX exits with a
 * triple fault. The second boot finds the count and the same hand-off.
 * Natively a triple fault resets the machine and GRUB loads the guest
 * again from scratch, so the check needs Tern.
 */
#include "guest.h"

#define MB_BOOT_MAGIC 0x2BADB002u
#define MBI_CMDLINE (1u << 2)
#define RESET_WORD "triple-fault-resets"

struct mb_info_head {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

/* In .data, not .bss: the entry code zeroes .bss on every boot. */
static volatile uint32_t boots __attribute__((section(".data")));
static volatile uint32_t first_info __attribute__((section(".data")));

static bool cmdline_has(uint32_t info, const char *word)
{
	const struct mb_info_head *mbi = (const struct mb_info_head *)(uintptr_t)info;
	size_t wlen = 0;
	while (word[wlen])
		wlen++;
	if (!info || !(mbi->flags & MBI_CMDLINE) || !mbi->cmdline)
		return false;
	for (const char *p = (const char *)(uintptr_t)mbi->cmdline; *p; p++)
		if ((p == (const char *)(uintptr_t)mbi->cmdline || p[-1] == ' ') &&
		    memcmp(p, word, wlen) == 0 && (p[wlen] == ' ' || p[wlen] == 0))
			return true;
	return false;
}

static void triple_fault(void) __attribute__((noreturn));
static void triple_fault(void)
{
	static const struct { uint16_t limit; uint64_t base; } __attribute__((packed)) no_idt = { 0, 0 };
	__asm__ volatile("lidt %0; ud2" : : "m"(no_idt) : "memory");
	for (;;)
		;
}

void tg_test_reset(uint32_t magic, uint32_t info)
{
	if (!tg_env.tern) {
		tg_skip("reset.triple-fault", "not under Tern");
		return;
	}
	if (boots == 0 && !cmdline_has(info, RESET_WORD)) {
		tg_skip("reset.triple-fault", "Tern not configured to reset on a triple fault");
		return;
	}
	if (boots == 0) {
		boots = 1;
		first_info = info;
		tg_printf("testguest: triple fault, expecting a reset\n");
		triple_fault();
	}
	tg_check("reset.triple-fault", boots == 1 && magic == MB_BOOT_MAGIC && info == first_info,
		 "boot %u, EAX 0x%x, EBX 0x%x (first boot's EBX 0x%x)", boots + 1, magic, info,
		 first_info);
	boots = 2;
}
