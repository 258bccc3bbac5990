/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-dm's ACRN-style command line:
 *   tern-dm [-m MEM] [-s [BUS:]SLOT[:FUNC],DEVICE[,CONFIG]]... [-l com1,stdio]
 *           [--hsm PATH | --sim SOCKET] [--polling] VM_NAME
 * Parsing never prints or exits: a bad argument gives one message naming
 * what is wrong, which main prints as "tern-dm: MESSAGE" with status 2.
 */
#ifndef TERN_DM_CMDLINE_H
#define TERN_DM_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pci.h"

struct dm_devtype;

#define DM_DEFAULT_MEM (256ull << 20)
#define DM_MAX_MEM (64ull << 30)
#define DM_VM_NAME_MAX 15u        /* acrn_vm_creation.name is 16 bytes with its NUL */
#define DM_DEFAULT_HSM "/dev/acrn_hsm"
#define DM_MAX_PCPUS 64u          /* acrn_vm_creation.cpu_affinity is a u64 bitmap */
#define DM_DEFAULT_AFFINITY 0x1ull /* pCPU 0: one vCPU where every platform runs vCPUs */

struct dm_slot_opt {
	unsigned slot, func;
	const struct dm_devtype *type;
	const char *config;       /* points into argv; NULL if none */
};

struct dm_opts {
	uint64_t mem;
	struct dm_slot_opt slots[DM_PCI_SLOTS * DM_PCI_FUNCS];
	unsigned nslots;
	bool com1_stdio;
	const char *hsm_path;     /* NULL unless --hsm */
	const char *sim_path;     /* NULL unless --sim */
	bool polling;
	uint64_t cpu_affinity;    /* bit per pCPU; DM_DEFAULT_AFFINITY unless --cpu_affinity */
	bool help;
	const char *vm_name;
	char config_buf[DM_PCI_SLOTS * DM_PCI_FUNCS][128]; /* copies of -s CONFIG parts */
};

extern const char dm_usage[];

/* 0, or -1 with a one-line message in err. */
int dm_cmdline_parse(int argc, char *const argv[], struct dm_opts *o, char *err, size_t errlen);
/* A size with an optional K/M/G suffix: 0, or -1 when it is not one. */
int dm_parse_size(const char *s, uint64_t *out);

#endif
