/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenarios: the harness plays a User VM's guest against core and a live
 * tern-dm process (tern-sim live mode, platform/sim/live.h).
 *
 * scn_start() makes the Service VM and the socket, spawns TERN_DM_BIN --sim
 * with the scenario's arguments, serves its set-up (CREATE_VM ... START_VM,
 * all through core's hypercalls) and waits until the VM's vCPU 0 runs; then
 * it gives that vCPU the state of a guest that booted into flat 32-bit
 * protected mode (CS/DS base 0, limit 4 GiB, no paging) with its code at
 * SCN_CODE_GPA. Each access below places the instruction's bytes at the
 * guest's RIP in its RAM, raises the exit the CPU would (IN/OUT: an I/O
 * instruction exit with the SDM Vol. 3C Table 28-5 qualification), lets
 * core handle it (requests to tern-dm and back) and returns once the vCPU
 * is in guest mode again, with what the guest then sees (EAX, RIP).
 */
#ifndef TERN_SCENARIO_H
#define TERN_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "live.h"
#include "child.h"

#define SCN_CODE_GPA 0x1000u
#define SCN_PML4_GPA 0x10000u     /* scn_long_mode's page tables: two pages */
#define SCN_PAGE 0x1000u
#define SCN_TIMEOUT_MS 20000

struct scn {
	struct tern hv;
	struct sim_live live;
	struct child dm;             /* tern-dm */
	char name[16];
	struct vm *vm;            /* the VM tern-dm created */
	struct vcpu *u;           /* its vCPU 0 */
	bool polling;
	uint64_t rip;             /* where the guest's next instruction goes */
};

/*
 * Start a scenario: dm_args are tern-dm's device arguments (e.g. "-s",
 * "3,pci-testdev"), without --sim, --polling, the affinity and the name.
 * The User VM's vCPU runs on pCPU 1. 0, or -1 with a reason on stderr.
 */
int scn_start(struct scn *s, const char *name, const char *const dm_args[], bool polling);
/*
 * Switch the guest to 64-bit mode (CPL 0, flat segments, CR4.PAE, EFER.LME/
 * LMA, paging on with the low 4 GiB identity-mapped by 1 GiB pages whose
 * tables are at SCN_PML4_GPA): for REX.W accesses. 0, or -1.
 */
int scn_long_mode(struct scn *s);
/* SIGTERM to tern-dm (if alive), serve it until it exits, close everything. */
void scn_stop(struct scn *s);

/* Spawn another tern-dm --sim against the same socket with args (name included). */
int scn_spawn(struct scn *s, struct child *d, const char *const args[]);
/* Serve the sockets until d exits: its wait status, or -1 after timeout_ms. */
int scn_wait_dm(struct scn *s, struct child *d, int timeout_ms);

/*
 * IN/OUT from the guest (DX = port, size 1, 2 or 4): 0 once the vCPU runs
 * again, with *eax the guest's EAX after an IN; -1 when it did not come
 * back within SCN_TIMEOUT_MS (it stays parked: *eax untouched).
 */
int scn_in(struct scn *s, uint16_t port, unsigned size, uint32_t *eax);
int scn_out(struct scn *s, uint16_t port, unsigned size, uint32_t value);
/* Raise the exit of IN/OUT without waiting for the completion (the vCPU parks). */
int scn_io_begin(struct scn *s, bool in, uint16_t port, unsigned size, uint32_t value);
/* Wait until the vCPU is in guest mode again: 0, or -1 after timeout_ms. */
int scn_io_finish(struct scn *s, int timeout_ms);

/*
 * A MOV between EAX/AX/AL and [EBX] (8B/89 03, with 66 for a word, 8A/88
 * for a byte) at gpa in memory the guest has no RAM at: the EPT violation
 * the CPU raises (SDM Vol. 3C 28.2.1, Table 28-7: read or write, GLA valid,
 * nothing mapped), without waiting. Core decodes the instruction from the
 * guest's RAM at RIP.
 */
int scn_mmio_begin(struct scn *s, bool write, uint64_t gpa, unsigned size, uint32_t value);
/*
 * Any instruction (len bytes, at most SCN_INSN_MAX) whose first access to
 * memory without RAM is a read or write at gpa: placed at RIP, the EPT
 * violation raised with the registers the test put in sim_vcpu_hw(s->u)
 * (GLA = gpa: flat segments, no paging). Core decodes and emulates it,
 * making as many requests as it needs; scn_insn waits (scn_io_finish)
 * until the vCPU runs again after it: 0, or -1 on timeout.
 */
#define SCN_INSN_MAX 15u
int scn_insn_begin(struct scn *s, const uint8_t *insn, unsigned len, bool write, uint64_t gpa);
int scn_insn(struct scn *s, const uint8_t *insn, unsigned len, bool write, uint64_t gpa);
/* Load/store and wait (scn_io_finish): 0, with *eax after a load. */
int scn_mmio_load(struct scn *s, uint64_t gpa, unsigned size, uint32_t *eax);
int scn_mmio_store(struct scn *s, uint64_t gpa, unsigned size, uint32_t value);

/* PCI configuration mechanism #1 from the guest: OUT 0xCF8, then IN/OUT 0xCFC + (reg & 3). */
uint32_t scn_cfg_read(struct scn *s, unsigned dev, unsigned func, unsigned reg, unsigned size);
void scn_cfg_write(struct scn *s, unsigned dev, unsigned func, unsigned reg, unsigned size, uint32_t value);

/* A hypercall of the Service VM (management: pause, destroy, ...): RAX. */
int64_t scn_hypercall(struct scn *s, uint64_t id, uint64_t p1, uint64_t p2);
/*
 * The VM, its vCPU parked on a request, paused (the vCPU stays waiting for
 * it, vm_mgr_check holds) and destroyed by the Service VM: 0, or -1 with
 * the step that failed on stderr.
 */
int scn_pause_destroy_parked(struct scn *s);
/* The hypercall the live mode's server made last with this id (its log), or NULL. */
const struct sim_live_hcall *scn_last_hcall(const struct scn *s, uint64_t id);
/* How many of the hypercalls still in the log have this id. */
unsigned scn_count_hcalls(const struct scn *s, uint64_t id);


/*
 * A device model written by the test itself, speaking the socket protocol
 * raw (dm/hsm_sock_proto.h): for hostile completions and requests tern-dm
 * never sends. Set-up as tern-dm's (CREATE_VM with the User VM on pCPU 1,
 * SET_MEMSEG, CREATE_IOREQ_CLIENT, START_VM), served by the live mode.
 */
struct scn_raw {
	int fd;
	int ram_fd, req_fd;       /* the descriptors CREATE_VM's reply carried, -1 if none */
	uint16_t vmid;
	uint8_t *page;            /* the IOREQ page as this process maps it */
};
int scn_raw_start(struct scn *s, struct scn_raw *r, const char *name, uint64_t mem);
/* One request (nr, len bytes of payload; the header's len is len_field): the reply's status. */
int32_t scn_raw_call(struct scn *s, struct scn_raw *r, uint32_t nr, uint32_t len_field, const void *payload,
		     uint32_t len);
void scn_raw_close(struct scn_raw *r);
/*
 * A scenario whose device model is the test's: the live mode without
 * tern-dm, then scn_raw_start; the guest as scn_start leaves it. 0 or -1.
 */
int scn_start_raw(struct scn *s, struct scn_raw *r, const char *name);

#endif
