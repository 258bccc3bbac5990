/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "scenario.h"
#include "sim.h"
#include "exit.h"
#include "exit_dispatch.h"
#include "vm_mgr.h"

#ifndef TERN_DM_BIN
#error "TERN_DM_BIN: the path of build/host/tern-dm (the Makefile defines it)"
#endif

#define USER_PCPU "1"
#define CR0_PE_ET_NE 0x31u
#define PCI_CONFIG_ADDRESS 0xcf8u
#define PCI_CONFIG_DATA 0xcfcu
#define PCI_CONFIG_ENABLE 0x80000000u

/* I/O-instruction exit qualification (SDM Vol. 3C 28.2.1, Table 28-5). */
#define IO_QUAL_IN (1u << 3)
#define IO_QUAL_PORT_SHIFT 16
#define OPSIZE_PREFIX 0x66u

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int scn_spawn(struct scn *s, struct child *d, const char *const args[])
{
	const char *argv[40];
	unsigned n = 0;
	argv[n++] = TERN_DM_BIN;
	argv[n++] = "--sim";
	argv[n++] = s->live.path;
	for (unsigned i = 0; args[i] && n < 39; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return child_spawn(d, argv);
}

static bool dm_exited(struct sim_live *l, void *arg)
{
	(void)l;
	return child_reaped(arg);
}

int scn_wait_dm(struct scn *s, struct child *d, int timeout_ms)
{
	if (sim_live_run(&s->live, dm_exited, d, timeout_ms, false))
		return -1;
	return d->status;
}

/* The VM is running and its vCPU 0 in guest mode (or tern-dm gave up). */
static bool vm_up(struct sim_live *l, void *arg)
{
	struct scn *s = arg;
	s->vm = sim_live_vm(l, s->name);
	if (s->vm && s->vm->state == VM_STATE_RUNNING && s->vm->vcpus[0].in_guest)
		return true;
	return child_reaped(&s->dm);
}

int scn_start(struct scn *s, const char *name, const char *const dm_args[], bool polling)
{
	memset(s, 0, sizeof(*s));
	s->dm.out_fd = -1;
	s->polling = polling;
	snprintf(s->name, sizeof(s->name), "%s", name);
	char path[108];
	snprintf(path, sizeof(path), "/tmp/tern-live.%d.%ld.sock", (int)getpid(), now_ms());
	if (sim_live_init(&s->live, &s->hv, path)) {
		perror("scenario: tern-sim live mode");
		return -1;
	}
	const char *args[40];
	unsigned n = 0;
	args[n++] = "--cpu_affinity";
	args[n++] = USER_PCPU;
	if (polling)
		args[n++] = "--polling";
	for (unsigned i = 0; dm_args && dm_args[i] && n < 37; i++)
		args[n++] = dm_args[i];
	args[n++] = s->name;
	args[n] = NULL;
	if (scn_spawn(s, &s->dm, args))
		return -1;
	if (sim_live_run(&s->live, vm_up, s, SCN_TIMEOUT_MS, false) || !s->vm || s->dm.pid == 0) {
		fprintf(stderr, "scenario: tern-dm did not bring %s up:\n%s\n", name, s->dm.out);
		return -1;
	}
	s->u = &s->vm->vcpus[0];
	/* The guest booted into flat 32-bit protected mode (the CPU's state, not core's). */
	sim_vcpu_flat_state(s->u, false, 0);
	struct sim_vcpu_hw *hw = sim_vcpu_hw(s->u);
	hw->regs[VCPU_CR0] = CR0_PE_ET_NE;
	hw->regs[VCPU_RIP] = SCN_CODE_GPA;
	vcpu_cache_reset(s->u);
	s->rip = SCN_CODE_GPA;
	return 0;
}

void scn_stop(struct scn *s)
{
	if (s->dm.pid > 0) {
		kill(s->dm.pid, SIGTERM);
		(void)scn_wait_dm(s, &s->dm, SCN_TIMEOUT_MS);
	}
	child_end(&s->dm);
	sim_live_fini(&s->live);
}

int64_t scn_hypercall(struct scn *s, uint64_t id, uint64_t p1, uint64_t p2)
{
	return sim_live_hypercall(&s->live, id, p1, p2);
}

/* ---- the guest's instructions ------------------------------------------------------ */

/* Put the instruction at the guest's RIP; its length. */
static unsigned place(struct scn *s, const uint8_t *bytes, unsigned len)
{
	if (s->rip + len > SCN_CODE_GPA + 0x1000)
		s->rip = SCN_CODE_GPA;
	uint8_t *code = sim_live_guest(&s->live, s->vm, s->rip, len);
	if (code)
		memcpy(code, bytes, len);
	sim_vcpu_hw(s->u)->regs[VCPU_RIP] = s->rip;
	return len;
}

int scn_io_begin(struct scn *s, bool in, uint16_t port, unsigned size, uint32_t value)
{
	/* IN AL/AX/EAX,DX: EC / 66 ED / ED; OUT DX,AL/AX/EAX: EE / 66 EF / EF. */
	uint8_t op = (uint8_t)((in ? 0xec : 0xee) | (size > 1 ? 1 : 0));
	uint8_t insn[2] = { OPSIZE_PREFIX, op };
	unsigned len = size == 2 ? place(s, insn, 2) : place(s, insn + 1, 1);
	struct sim_vcpu_hw *hw = sim_vcpu_hw(s->u);
	hw->regs[VCPU_RDX] = port;
	if (!in)
		hw->regs[VCPU_RAX] = value;
	struct exit_record ex;
	memset(&ex, 0, sizeof(ex));
	ex.reason = EXIT_REASON_IO_INSTRUCTION;
	ex.qualification = (uint64_t)port << IO_QUAL_PORT_SHIFT | (size - 1u) | (in ? IO_QUAL_IN : 0);
	ex.instr_len = len;
	if (!s->u->in_guest)
		return -1;
	(void)sim_vcpu_exit(s->u, &ex);
	s->rip += len;
	return 0;
}

static bool back_in_guest(struct sim_live *l, void *arg)
{
	(void)l;
	return ((struct scn *)arg)->u->in_guest != 0;
}

int scn_io_finish(struct scn *s, int timeout_ms)
{
	if (sim_live_run(&s->live, back_in_guest, s, timeout_ms, s->polling))
		return -1;
	return sim_vcpu_hw(s->u)->regs[VCPU_RIP] == s->rip ? 0 : -1;
}

int scn_in(struct scn *s, uint16_t port, unsigned size, uint32_t *eax)
{
	if (scn_io_begin(s, true, port, size, 0) || scn_io_finish(s, SCN_TIMEOUT_MS))
		return -1;
	*eax = (uint32_t)sim_vcpu_hw(s->u)->regs[VCPU_RAX];
	return 0;
}

int scn_out(struct scn *s, uint16_t port, unsigned size, uint32_t value)
{
	if (scn_io_begin(s, false, port, size, value))
		return -1;
	return scn_io_finish(s, SCN_TIMEOUT_MS);
}

static uint32_t cfg_address(unsigned dev, unsigned func, unsigned reg)
{
	return PCI_CONFIG_ENABLE | (dev & 31u) << 11 | (func & 7u) << 8 | (reg & 0xfcu);
}

static uint32_t size_mask(unsigned size)
{
	return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1u;
}

uint32_t scn_cfg_read(struct scn *s, unsigned dev, unsigned func, unsigned reg, unsigned size)
{
	uint32_t v = 0xdeadbeefu;
	if (scn_out(s, PCI_CONFIG_ADDRESS, 4, cfg_address(dev, func, reg)) ||
	    scn_in(s, (uint16_t)(PCI_CONFIG_DATA + (reg & 3u)), size, &v))
		return 0xdeadbeefu;
	return v & size_mask(size);
}

void scn_cfg_write(struct scn *s, unsigned dev, unsigned func, unsigned reg, unsigned size, uint32_t value)
{
	if (scn_out(s, PCI_CONFIG_ADDRESS, 4, cfg_address(dev, func, reg)) == 0)
		(void)scn_out(s, (uint16_t)(PCI_CONFIG_DATA + (reg & 3u)), size, value);
}
