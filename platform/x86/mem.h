/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-physical memory pools: the loader's memory map (every available range,
 * above 4 GiB too: mem_init maps it) minus the first MiB, the image, the
 * modules and the boot information. Guest RAM and page-table
 * regions are carved from it once at boot and never freed.
 */
#ifndef TERN_X86_MEM_H
#define TERN_X86_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include "bootinfo.h"

#define MEM_MAX_FREE 32

void mem_init(const struct boot_info *bi);
/* HPA of size bytes aligned to align (a power of two), zeroed; 0 when none. */
uint64_t mem_alloc(uint64_t size, uint64_t align);
/* Bytes still free (for the boot log). */
uint64_t mem_free_bytes(void);
/* RAM above 4 GiB that mem_init mapped and made usable, and what it could not
 * (beyond the CPU's physical-address width or 128 TiB, or no page-table page left). */
uint64_t mem_high_bytes(void);
/* Whether [pa, pa + len) is identity-mapped: the low 4 GiB (boot.S), or within one RAM range mem_init mapped above. */
bool mem_mapped(uint64_t pa, uint64_t len);
uint64_t mem_high_unmapped(void);
/* The hypervisor image's own host-physical range. */
uint64_t mem_image_base(void);
uint64_t mem_image_size(void);

#endif
