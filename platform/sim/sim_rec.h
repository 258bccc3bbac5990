/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recording in the simulator: what platform/x86's TERN_RECORD build streams
 * out COM2 (core/trace_bin.h, traces/README.md), written to a file, so that
 * a live-mode scenario run (platform/sim/live.h) replays in tern-sim
 * without tern-dm. The records and their order are the x86 recorder's
 * (platform/x86/trace_rec.c): EXIT, the REG/SEG/MEM the handler read, the
 * outcome, then the exit's REQUEST/KICK records and VM records of VMs core
 * created; SCHED entries with their pre-entry work's outcome; COMPLETE
 * records for what the device model wrote into a slot (sim_rec_complete,
 * called by live mode before the Service VM's hypercall that reads it).
 *
 * sim.c calls the sim_rec_* hooks below; they do nothing while no
 * recording is active. The recorder's state is the simulator platform's
 * (one simulated machine per process), as the x86 recorder's is the image's.
 */
#ifndef TERN_SIM_REC_H
#define TERN_SIM_REC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "exit.h"
#include "vcpu.h"

struct vm;

/* Start recording into out (the header first); before the VMs are made. */
void sim_rec_start(FILE *out);
/* Stop: 0, or -1 when records were lost (a limit hit) or out failed. */
int sim_rec_stop(void);
bool sim_rec_active(void);

/* A VM the platform made (the Service VM): its VM record. */
void sim_rec_vm(const struct vm *vm);
/* The device model wrote vCPU `vcpu`'s slot of VM `vm`. */
void sim_rec_complete(uint16_t vm, uint16_t vcpu, uint32_t state, uint64_t value);

/*
 * Recording is on (sim_rec_start .. sim_rec_stop). sim.c tests it before
 * the hooks of every exit (exit end, request, guest memory), so that a run
 * that does not record pays what the image's recorder pays when idle (one
 * test), not a call per hook: make bench counts these paths.
 */
extern bool sim_rec_on;

/* Hooks of sim.c. */
void sim_rec_exit_begin(struct vcpu *vcpu, const struct exit_record *ex);
void sim_rec_exit_end(struct vcpu *vcpu, int action);
void sim_rec_sched(uint16_t cpu, const struct vcpu *vcpu);
void sim_rec_pre_entry(struct vcpu *vcpu);
void sim_rec_reg(enum vcpu_reg reg, uint64_t value);
void sim_rec_seg(enum vcpu_seg seg, const struct seg_desc *d);
void sim_rec_gmem(uint64_t gpa, const void *data, size_t len, int op);
void sim_rec_console(uint8_t c);
void sim_rec_host_tsc(uint64_t tsc);
void sim_rec_host_cpuid(uint32_t leaf, uint32_t subleaf, const uint32_t regs[4]);
void sim_rec_request(const struct vcpu *target, uint32_t req, uint16_t from);
void sim_rec_kick(uint16_t cpu, uint16_t from);

#endif
