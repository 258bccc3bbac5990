/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmdline.h"
#include "devices.h"

const char dm_usage[] =
	"usage: tern-dm [-m MEM] [-s [BUS:]SLOT[:FUNC],DEVICE[,CONFIG]]... [-l com1,stdio]\n"
	"               [--hsm PATH | --sim SOCKET] [--polling] [--cpu_affinity LIST] VM_NAME\n"
	"  -m MEM      guest RAM, a size with an optional K, M or G suffix (default 256M)\n"
	"  -s ...      a PCI device on bus 0: SLOT 0-31, FUNC 0-7; DEVICE is one of\n"
	"              hostbridge, pci-testdev (CONFIG: vectors=N, 1-32)\n"
	"  -l com1,stdio  a 16550 at 0x3F8 writing to stdout\n"
	"  --hsm PATH  the HSM device (default /dev/acrn_hsm)\n"
	"  --sim SOCKET  the simulator's HSM socket instead\n"
	"  --polling   poll the IOREQ page; complete without NOTIFY_REQUEST_FINISH\n"
	"              (the VM is created with ACRN's IO_COMPLETION_POLLING flag)\n"
	"  --cpu_affinity LIST  the pCPUs of the VM's vCPUs, e.g. 0 or 1,2 (default 0):\n"
	"              one vCPU per pCPU, as ACRN's cpu_affinity\n"
	"  --help      this text\n";

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int dm_parse_size(const char *s, uint64_t *out)
{
	if (*s < '0' || *s > '9')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end || (shift && v > (~0ull >> shift)))
		return -1;
	*out = v << shift;
	return 0;
}

/* A decimal number in [0, max]; -1 if not one. */
static long number(const char *s, size_t len, unsigned long max)
{
	if (len == 0 || len > 9)
		return -1;
	unsigned long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v <= max ? (long)v : (long)(max + 1);
}

static int parse_slot(const char *arg, struct dm_opts *o, char *err, size_t errlen)
{
	const char *comma = strchr(arg, ',');
	if (!comma || comma[1] == '\0' || comma[1] == ',')
		FAIL("-s %s: missing device name (SLOT[:FUNC],DEVICE[,CONFIG])", arg);
	/* [BUS:]SLOT[:FUNC] */
	const char *part[3];
	size_t plen[3];
	unsigned n = 0;
	const char *p = arg;
	while (p <= comma) {
		const char *q = p;
		while (q < comma && *q != ':')
			q++;
		if (n == 3)
			FAIL("-s %s: too many ':' in '%.*s' ([BUS:]SLOT[:FUNC])", arg, (int)(comma - arg), arg);
		part[n] = p;
		plen[n++] = (size_t)(q - p);
		p = q + 1;
	}
	long bus = 0, slot, func = 0;
	const char *sp = n == 3 ? part[1] : part[0];
	size_t sl = n == 3 ? plen[1] : plen[0];
	if (n == 3) {
		bus = number(part[0], plen[0], 255);
		if (bus < 0)
			FAIL("-s %s: bus '%.*s' is not a number", arg, (int)plen[0], part[0]);
		if (bus != 0)
			FAIL("-s %s: bus %ld out of range (only bus 0)", arg, bus);
	}
	slot = number(sp, sl, DM_PCI_SLOTS - 1);
	if (slot < 0)
		FAIL("-s %s: slot '%.*s' is not a number", arg, (int)sl, sp);
	if (slot >= (long)DM_PCI_SLOTS)
		FAIL("-s %s: slot %.*s out of range (0-%u)", arg, (int)sl, sp, DM_PCI_SLOTS - 1);
	if (n >= 2) {
		const char *fp = part[n - 1];
		size_t fl = plen[n - 1];
		func = number(fp, fl, DM_PCI_FUNCS - 1);
		if (func < 0)
			FAIL("-s %s: function '%.*s' is not a number", arg, (int)fl, fp);
		if (func >= (long)DM_PCI_FUNCS)
			FAIL("-s %s: function %.*s out of range (0-%u)", arg, (int)fl, fp, DM_PCI_FUNCS - 1);
	}
	/* DEVICE[,CONFIG] */
	const char *dev = comma + 1;
	const char *c2 = strchr(dev, ',');
	size_t dl = c2 ? (size_t)(c2 - dev) : strlen(dev);
	char name[32];
	if (dl >= sizeof(name))
		FAIL("-s %s: unknown device '%.*s'", arg, (int)dl, dev);
	memcpy(name, dev, dl);
	name[dl] = '\0';
	const struct dm_devtype *t = dm_devtype_find(name);
	if (!t)
		FAIL("-s %s: unknown device '%s' (hostbridge, pci-testdev)", arg, name);
	for (unsigned i = 0; i < o->nslots; i++)
		if (o->slots[i].slot == (unsigned)slot && o->slots[i].func == (unsigned)func)
			FAIL("-s %s: slot %ld:%ld already has %s", arg, slot, func, o->slots[i].type->name);
	const char *config = c2 ? c2 + 1 : NULL;
	char why[160];
	if (t->check(config, why, sizeof(why)))
		FAIL("-s %s: %s", arg, why);
	struct dm_slot_opt *s = &o->slots[o->nslots];
	s->slot = (unsigned)slot;
	s->func = (unsigned)func;
	s->type = t;
	s->config = NULL;
	if (config) {
		if (strlen(config) >= sizeof(o->config_buf[0]))
			FAIL("-s %s: CONFIG longer than %zu characters", arg, sizeof(o->config_buf[0]) - 1);
		strcpy(o->config_buf[o->nslots], config);
		s->config = o->config_buf[o->nslots];
	}
	o->nslots++;
	return 0;
}

static int parse_lpc(const char *arg, struct dm_opts *o, char *err, size_t errlen)
{
	const char *comma = strchr(arg, ',');
	size_t dl = comma ? (size_t)(comma - arg) : strlen(arg);
	if (dl != 4 || strncmp(arg, "com1", 4) != 0)
		FAIL("-l %s: unknown LPC device '%.*s' (com1)", arg, (int)dl, arg);
	if (!comma || strcmp(comma + 1, "stdio") != 0)
		FAIL("-l %s: com1 needs the backend 'stdio'", arg);
	if (o->com1_stdio)
		FAIL("-l %s: com1 given twice", arg);
	o->com1_stdio = true;
	return 0;
}

/* ACRN's --cpu_affinity: a comma-separated list of pCPU numbers, each once. */
static int parse_affinity(const char *arg, struct dm_opts *o, char *err, size_t errlen)
{
	if (o->cpu_affinity)
		FAIL("--cpu_affinity given twice");
	const char *p = arg;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		long cpu = number(p, len, DM_MAX_PCPUS - 1);
		if (cpu < 0)
			FAIL("--cpu_affinity %s: '%.*s' is not a pCPU number", arg, (int)len, p);
		if (cpu >= DM_MAX_PCPUS)
			FAIL("--cpu_affinity %s: pCPU %.*s out of range (0-%u)", arg, (int)len, p, DM_MAX_PCPUS - 1);
		if (o->cpu_affinity & (1ull << cpu))
			FAIL("--cpu_affinity %s: pCPU %ld named twice", arg, cpu);
		o->cpu_affinity |= 1ull << cpu;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int parse(int argc, char *const argv[], struct dm_opts *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->mem = DM_DEFAULT_MEM;
	bool mem_given = false, options_done = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (options_done || a[0] != '-' || a[1] == '\0') {
			if (o->vm_name)
				FAIL("unexpected argument '%s' after the VM name '%s'", a, o->vm_name);
			o->vm_name = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			options_done = true;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = true;
			return 0;
		}
		if (strcmp(a, "--polling") == 0) {
			o->polling = true;
			continue;
		}
		bool takes = strcmp(a, "-m") == 0 || strcmp(a, "-s") == 0 || strcmp(a, "-l") == 0 ||
			     strcmp(a, "--hsm") == 0 || strcmp(a, "--sim") == 0 ||
			     strcmp(a, "--cpu_affinity") == 0;
		if (!takes)
			FAIL("unknown option '%s' (see --help)", a);
		if (i + 1 >= argc)
			FAIL("option %s needs an argument", a);
		const char *v = argv[++i];
		if (strcmp(a, "-m") == 0) {
			uint64_t m;
			if (mem_given)
				FAIL("-m given twice");
			if (dm_parse_size(v, &m))
				FAIL("-m %s: not a memory size (a number with an optional K, M or G suffix)", v);
			if (m == 0 || m % 4096)
				FAIL("-m %s: not a non-zero multiple of 4K", v);
			if (m > DM_MAX_MEM)
				FAIL("-m %s: more than the 64G tern-dm supports", v);
			o->mem = m;
			mem_given = true;
		} else if (strcmp(a, "-s") == 0) {
			if (parse_slot(v, o, err, errlen))
				return -1;
		} else if (strcmp(a, "-l") == 0) {
			if (parse_lpc(v, o, err, errlen))
				return -1;
		} else if (strcmp(a, "--cpu_affinity") == 0) {
			if (parse_affinity(v, o, err, errlen))
				return -1;
		} else if (strcmp(a, "--hsm") == 0) {
			if (o->hsm_path || o->sim_path)
				FAIL("--hsm: only one of --hsm and --sim, once");
			if (!*v)
				FAIL("--hsm: empty path");
			o->hsm_path = v;
		} else {
			if (o->hsm_path || o->sim_path)
				FAIL("--sim: only one of --hsm and --sim, once");
			if (!*v)
				FAIL("--sim: empty path");
			o->sim_path = v;
		}
	}
	if (!o->vm_name)
		FAIL("missing VM name (see --help)");
	if (!o->cpu_affinity)
		o->cpu_affinity = DM_DEFAULT_AFFINITY;
	size_t nl = strlen(o->vm_name);
	if (nl > DM_VM_NAME_MAX)
		FAIL("VM name '%s' is longer than %u characters", o->vm_name, DM_VM_NAME_MAX);
	for (size_t k = 0; k < nl; k++) {
		char ch = o->vm_name[k];
		if (ch <= ' ' || ch > '~')
			FAIL("VM name '%s' has a character that is not printable ASCII", o->vm_name);
	}
	return 0;
}

int dm_cmdline_parse(int argc, char *const argv[], struct dm_opts *o, char *err, size_t errlen)
{
	int rc = parse(argc, argv, o, err, errlen);
	/* One line: control characters an argument carried are shown as '?'. */
	if (rc)
		for (char *p = err; *p; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				*p = '?';
	return rc;
}
