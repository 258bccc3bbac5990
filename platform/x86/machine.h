/* SPDX-License-Identifier: BSD-3-Clause */
/* platform/x86 internals shared between its files. */
#ifndef TERN_X86_MACHINE_H
#define TERN_X86_MACHINE_H

#include <stdint.h>
#include <stdbool.h>

/* Why the image powers off; shown in the last log line. */
enum x86_exit_code {
	X86_EXIT_OK = 0,          /* the Service VM stopped normally */
	X86_EXIT_VM_FAILED = 1,   /* the Service VM stopped with a failure */
	X86_EXIT_NO_VMX = 2,      /* refused: no usable VMX/EPT */
	X86_EXIT_BOOT = 3,        /* no guest, bad boot information, out of memory */
	X86_EXIT_HV_FAULT = 4,    /* an exception inside the hypervisor */
};

/* Report, then switch the machine off (Bochs, QEMU) or halt (elsewhere). */
__attribute__((noreturn)) void x86_power_off(enum x86_exit_code code);

void x86_main(uint32_t magic, uint32_t info_pa);
struct boot_info;
void x86_efi_main(const struct boot_info *bi);
/* The hypervisor's own command line (from the loader). */
const char *x86_cmdline(void);
/* Whether the hypervisor's command line holds `word` as a whole word. */
bool x86_cmdline_has(const char *word);

/* Physical <-> hypervisor-virtual: the low 4 GiB are identity mapped. */
static inline void *phys_to_virt(uint64_t pa) { return (void *)(uintptr_t)pa; }
static inline uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)(uintptr_t)va;
	/* Image addresses live in the top 2 GiB (link.ld); others are identity. */
	return v >= 0xffffffff80000000ull ? v - 0xffffffff80000000ull : v;
}

#endif
