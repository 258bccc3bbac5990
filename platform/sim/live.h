/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern-sim live mode: the simulator serves the HSM socket that tern-dm
 * --sim connects to (dm/hsm_sock_proto.h, dm/README.md), with core behind
 * it. The server plays the Service VM's kernel HSM driver: every request is
 * turned into the hypercall ACRN's HSM makes, issued as a VMCALL exit of the
 * Service VM's vCPU 0 (sim_vcpu_exit), so core's hypercall and VM-manager
 * paths run exactly as on the image; parameter structures go through the
 * Service VM's memory.
 *
 *   CREATE_VM              HC_CREATE_VM, then HC_SET_IOREQ_BUFFER with a page
 *                          the server takes from Service VM RAM; the reply names
 *                          it as an offset in the host-RAM memfd (SCM_RIGHTS
 *                          with the VM's request eventfd)
 *   SET_MEMSEG / UNSET     HC_VM_SET_MEMORY_REGIONS: Service VM RAM lent to the VM
 *   START/PAUSE/RESET_VM   HC_START_VM / HC_PAUSE_VM / HC_RESET_VM
 *   DESTROY_VM             HC_PAUSE_VM when running, then HC_DESTROY_VM
 *   NOTIFY_REQUEST_FINISH  HC_NOTIFY_REQUEST_FINISH
 *   INJECT_MSI             HC_INJECT_MSI (0x23) with the acrn_msi_entry
 *   SET_IRQLINE            HC_SET_IRQLINE (0x25) with the u64
 *   CREATE/DESTROY_IOREQ_CLIENT  the HSM's own bookkeeping: one client per VM
 * Every request is bound to the VM its connection created (as an HSM file
 * descriptor is); one connection per VM.
 *
 * Notification: in notification mode core queues the upcall (the callback
 * vector) on the Service VM's vCPU 0; when the server enters that vCPU with
 * the vector injected it runs the HSM's upcall handler: every VM whose page
 * has a PENDING slot gets its request eventfd written. dm -> hv is the
 * NOTIFY request. In polling mode (the VM's IO_COMPLETION_POLLING flag)
 * nothing is signalled; core's scheduler polls the slot.
 *
 * The simulation is single-threaded and scripted: sim_live_run() steps the
 * pCPUs (kicks become external-interrupt exits of the vCPU in guest mode,
 * idle pCPUs ask the scheduler) and serves the sockets until a condition
 * holds. A connection that hangs up (tern-dm exited or was killed) is
 * reported with every request its VM has outstanding; a VM destroyed by
 * anyone closes its connection (tern-dm exits).
 */
#ifndef TERN_SIM_LIVE_H
#define TERN_SIM_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include "vm.h"

#define SIM_LIVE_MAX_CONNS 4
#define SIM_LIVE_MAX_LOG 256
#define SIM_LIVE_SOS_RAM (272ull << 20)  /* 16 MiB of its own + tern-dm's default 256M to lend */
#define SIM_LIVE_PARAM_GPA 0x1000u       /* the HSM's parameter page in the Service VM */
#define SIM_LIVE_PAGES_GPA 0x10000u      /* IOREQ pages are taken from here up */
#define SIM_LIVE_LEND_GPA 0x1000000u     /* lent guest RAM from 16 MiB up */
#define SIM_LIVE_SOS_RIP 0x8000u

/* ACRN's hypercalls core does not implement yet (branch irq); forwarded all the same. */
#define SIM_LIVE_HC_INJECT_MSI 0x80000023ull
#define SIM_LIVE_HC_SET_IRQLINE 0x80000025ull

/* One hypercall the server made for a device model: what core was asked and said. */
struct sim_live_hcall {
	uint64_t id, p1, p2;
	uint8_t param[48];        /* the first bytes of the structure p1/p2 pointed at, if any */
	int64_t result;
};

struct sim_live_conn {
	int fd;                   /* -1: free */
	int vm;                   /* the VM it created, -1 before CREATE_VM */
	bool client;              /* CREATE_IOREQ_CLIENT done */
};

struct sim_live_vm {
	int req_efd;              /* hv -> dm notification, -1 when none */
	uint64_t page_gpa;        /* its IOREQ page in the Service VM, 0 when none */
	uint64_t ram_sos_gpa;     /* Service VM RAM lent as its RAM at GPA ram_gpa */
	uint64_t ram_gpa, ram_len;
	int conn;                 /* index of its connection, -1 when none */
};

struct sim_live {
	struct tern *hv;
	struct vm *sos;
	int listen_fd;
	char path[108];
	struct sim_live_conn conns[SIM_LIVE_MAX_CONNS];
	struct sim_live_vm vms[TERN_MAX_VMS];
	uint64_t next_page_gpa, next_lend_gpa;
	unsigned kicks_seen[TERN_MAX_PCPUS];
	struct sim_live_hcall log[SIM_LIVE_MAX_LOG];
	unsigned nlog;
	unsigned upcalls;         /* upcalls the Service VM took */
	bool eoi_due;             /* the upcall handler's EOI is still to be written */
	unsigned hangups;         /* connections that ended without DESTROY_VM */
	uint64_t entered_ns[TERN_MAX_VMS];  /* CLOCK_MONOTONIC when a vCPU of the VM last entered */
	/* CLOCK_MONOTONIC of the last upcall's eventfd write and the last request read from a
	 * device model: where a notification-mode round trip's time goes (harness/bench/wall_ioreq.c). */
	uint64_t upcall_ns, request_ns;
	bool quiet;               /* no report lines on stderr */
};

/*
 * Reset the simulator, make the Service VM (SIM_LIVE_SOS_RAM, vCPU 0 on pCPU
 * 0, 64-bit, CPL 0, interrupts enabled, running) and listen on path (which
 * is unlinked first; NULL: no socket, connections come by sim_live_adopt).
 * 0 or -1 (errno set).
 */
int sim_live_init(struct sim_live *l, struct tern *hv, const char *path);
/* Serve fd (one end of a connected stream socket) as a device model's connection: 0 or -1. */
int sim_live_adopt(struct sim_live *l, int fd);
void sim_live_fini(struct sim_live *l);

/* A hypercall from the Service VM's vCPU 0, as its HSM driver makes it: RAX. */
int64_t sim_live_hypercall(struct sim_live *l, uint64_t id, uint64_t p1, uint64_t p2);

/* Step the pCPUs until nothing changes (no socket I/O). */
void sim_live_settle(struct sim_live *l);
/*
 * Serve connections and step the pCPUs until done(arg) holds: 0, or -1 after
 * timeout_ms. With spin, sockets are polled without sleeping (polling mode:
 * the scheduler must look at the slot again and again).
 */
int sim_live_run(struct sim_live *l, bool (*done)(struct sim_live *l, void *arg), void *arg,
		 int timeout_ms, bool spin);

/* The User VM a device model created by that name, or NULL. */
struct vm *sim_live_vm(struct sim_live *l, const char *name);
/* Host address of a User VM's guest-physical [gpa, gpa+len) in the RAM it was lent, or NULL. */
uint8_t *sim_live_guest(struct sim_live *l, const struct vm *vm, uint64_t gpa, uint64_t len);
/* The VM's IOREQ page as the Service VM sees it, or NULL. */
uint8_t *sim_live_page(struct sim_live *l, const struct vm *vm);
/* Connections open now. */
unsigned sim_live_conns(const struct sim_live *l);

#endif
