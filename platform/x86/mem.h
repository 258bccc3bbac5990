/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-physical memory pools: the loader's memory map minus the first MiB,
 * the image, the modules and the boot information. Guest RAM and page-table
 * regions are carved from it once at boot and never freed.
 */
#ifndef TERN_X86_MEM_H
#define TERN_X86_MEM_H

#include <stdint.h>
#include "bootinfo.h"

#define MEM_MAX_FREE 32

void mem_init(const struct boot_info *bi);
/* HPA of size bytes aligned to align (a power of two), zeroed; 0 when none. */
uint64_t mem_alloc(uint64_t size, uint64_t align);
/* Bytes still free (for the boot log). */
uint64_t mem_free_bytes(void);
/* The hypervisor image's own host-physical range. */
uint64_t mem_image_base(void);
uint64_t mem_image_size(void);

#endif
