/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake hypervisor for tern-dm's process tests: it serves the simulator's
 * HSM socket (dm/hsm_sock_proto.h) as strictly as tern-sim must — lengths,
 * states and vCPU ids checked — owns the RAM memfd and the request eventfd,
 * writes requests into the IOREQ page as the hypervisor (PENDING) or as the
 * HSM would (PROCESSING), and checks tern-dm's completions. tern-dm runs as
 * a real process (fork/exec of TERN_DM_BIN); its stderr is collected.
 */
#ifndef TERN_FAKE_HV_H
#define TERN_FAKE_HV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "hsm.h"
#include "child.h"

#define FHV_MAX_EVENTS 64
#define FHV_RAM_SIZE (17u << 20)
#define FHV_IOREQ_OFF 0x1000u
#define FHV_GUEST_OFF 0x100000u

enum {
	FHV_EVIL_NONE,
	FHV_EVIL_PAGE_OUTSIDE,    /* ioreq_buf past the end of the memfd */
	FHV_EVIL_PAGE_UNALIGNED,
	FHV_EVIL_NO_FDS,
	FHV_EVIL_SHORT_REPLY,     /* a payload shorter than acrn_vm_creation */
	FHV_EVIL_STATUS,          /* a positive status */
	FHV_EVIL_RAM_OUTSIDE,     /* SET_MEMSEG placed past the memfd */
};

struct fhv_dm {
	struct child proc;        /* the tern-dm process, its stdout+stderr */
	int conn;                 /* its socket, -1 when hung up */
};

struct fhv {
	char sock_path[108];
	int listen_fd;
	int ram_fd;
	uint8_t *ram;
	volatile struct acrn_io_request *page;
	int req_efd;
	struct fhv_dm dm;         /* the device model of the VM */
	/* What tern-dm asked for, in order (HSM_IOC_NR of each request). */
	uint8_t calls[256];
	unsigned ncalls;
	struct acrn_msi_entry msi[FHV_MAX_EVENTS];
	unsigned nmsi;
	struct acrn_irqline_ops irq[FHV_MAX_EVENTS];
	unsigned nirq;
	uint32_t notified;        /* vCPUs notified since the last request (bits) */
	unsigned nnotify, notify_refused;
	int refuse_notify;        /* an errno to refuse NOTIFY_REQUEST_FINISH with */
	bool client;              /* CREATE_IOREQ_CLIENT done, not destroyed */
	/* A hostile hypervisor: how CREATE_VM's reply is broken (FHV_EVIL_*), 0 for none. */
	int evil;
	uint64_t guest_len;
	char vm_name[17];
};

/* Start tern-dm --sim SOCKET args... and serve it until START_VM. 0 or -1. h->evil is kept. */
int fhv_start(struct fhv *h, const char *const args[]);
/* Spawn another tern-dm against the same socket (not served yet). */
int fhv_spawn(struct fhv *h, struct fhv_dm *d, const char *const args[]);
/* Serve one message of d within timeout_ms: 1 served, 0 timeout, -1 hang-up. */
int fhv_serve(struct fhv *h, struct fhv_dm *d, int timeout_ms);
/* Accept a pending connection into d (after fhv_spawn). 0 or -1. */
int fhv_accept(struct fhv *h, struct fhv_dm *d, int timeout_ms);

/*
 * One request in slot vcpu: the fields of *r are written, then the state
 * (PENDING, or PROCESSING as an HSM would), then the eventfd. Waits for the
 * completion: NOTIFY_REQUEST_FINISH for vcpu, or (polling) the COMPLETE
 * state. *r gets the slot back; the slot goes FREE. 0, -ETIMEDOUT, -EPIPE.
 */
int fhv_request(struct fhv *h, unsigned vcpu, struct acrn_io_request *r, uint32_t state, bool polling);
/* Port I/O, MMIO and PCI config in slot 0, notification mode; the read value. */
uint64_t fhv_pio(struct fhv *h, bool write, uint16_t port, unsigned size, uint32_t value);
uint64_t fhv_mmio(struct fhv *h, bool write, uint64_t gpa, unsigned size, uint64_t value);
uint32_t fhv_cfg(struct fhv *h, bool write, unsigned dev, unsigned func, unsigned reg, unsigned size,
		 uint32_t value);
/* Serve messages for up to ms milliseconds (interrupts arrive this way). */
void fhv_pump(struct fhv *h, int ms);

/* Collect d's stderr; whether it holds line. */
bool fhv_log_has(struct fhv_dm *d, const char *line);
/* Wait for d to exit (serving it meanwhile): its wait status, or -1 on timeout. */
int fhv_wait(struct fhv *h, struct fhv_dm *d, int timeout_ms);
void fhv_stop(struct fhv *h);

#endif
