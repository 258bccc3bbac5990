/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The binary exit-trace format: what the real image records (streamed out
 * of a serial port) and tern-trace converts to and from the text form.
 *
 * A stream is a header followed by records. Every record is
 *   u8 type, u8 index, u16 payload length (little-endian), payload.
 * An exit is an EXIT record followed by what the handler read (REG, SEG,
 * MEM, in the order it read them) and then its outcome (ACTION, then
 * EXP_REG for every register written, EVENT, CONSOLE, STOP, WRITE).
 * The layout of each payload is fixed below; see traces/README.md.
 *
 * Encoders write into a caller's buffer and return the bytes written (0 if
 * it does not fit). The decoder treats its input as hostile.
 */
#ifndef TERN_TRACE_BIN_H
#define TERN_TRACE_BIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "exit.h"
#include "vcpu.h"

#define TRACE_BIN_MAGIC "TRNT"
#define TRACE_BIN_VERSION 1
#define TRACE_BIN_HEADER_LEN 8
#define TRACE_BIN_REC_HDR 4
#define TRACE_BIN_MAX_DATA 256   /* bytes of one MEM/WRITE/CONSOLE record */
#define TRACE_BIN_NAME_LEN 32

enum trace_bin_type {
	TRACE_BIN_VM = 1,       /* vm configuration, once, first */
	TRACE_BIN_EXIT = 2,     /* starts an exit */
	TRACE_BIN_REG = 3,      /* index = enum vcpu_reg; u64 value the handler read */
	TRACE_BIN_SEG = 4,      /* index = enum vcpu_seg */
	TRACE_BIN_MEM = 5,      /* index bit 0: the read faulted */
	TRACE_BIN_ACTION = 6,   /* index = enum exit_action; starts the outcome */
	TRACE_BIN_EXP_REG = 7,  /* index = enum vcpu_reg; u64 value written */
	TRACE_BIN_EVENT = 8,    /* the event queued for injection */
	TRACE_BIN_CONSOLE = 9,  /* bytes the VM's UART transmitted */
	TRACE_BIN_STOP = 10,    /* the VM stopped: cause, detail */
	TRACE_BIN_WRITE = 11,   /* a guest-memory write */
	TRACE_BIN_HOST_CPUID = 12, /* a host CPUID leaf the policy was built from; before the exits */
	TRACE_BIN_HOST_TSC = 13,   /* u64: the host TSC the handler read (state) */
	/*
	 * Asynchronous records, between entries in the order they happened
	 * (version 1 readers that predate them reject them as unknown types).
	 */
	TRACE_BIN_REQUEST = 14,    /* a request core made: u16 vm, u16 vcpu, u32 bits, u16 pcpu, u16 0 */
	TRACE_BIN_KICK = 15,       /* a kick core sent: u16 pcpu, u16 from */
	TRACE_BIN_COMPLETE = 16,   /* the device model completed: u16 vm, u16 vcpu, u32 state, u64 value */
	TRACE_BIN_SCHED = 17,      /* index bit 0: nothing to run; u16 pcpu, u16 vm, u16 vcpu, u16 0;
				    * then REG/SEG/MEM and the outcome of the pre-entry (no ACTION) */
	TRACE_BIN_TIMER = 18,      /* the platform's timer for a vCPU expired (it made VCPU_REQ_TIMER):
				    * u16 vm, u16 vcpu, u16 pcpu, u16 0, u64 host TSC at the expiry */
	/*
	 * State of an APIC_WRITE exit: u64, the 32-bit register the guest's
	 * write left in the virtual-APIC page at the qualification's offset
	 * (SDM Vol. 3C 29.4.3.3: the CPU stores it before the exit); the
	 * replay puts it there before core handles the exit. Index 0.
	 */
	TRACE_BIN_APIC_VALUE = 19,
	/*
	 * State of an exit of a vCPU with a TPR shadow: u64, the 32-bit VTPR
	 * (offset 0x80 of the virtual-APIC page) as the guest left it. The
	 * CPU writes it without an exit (MOV to CR8, an xAPIC TPR store: SDM
	 * Vol. 3C 29.3, 29.4.3.1), so only the exit can tell; the replay puts
	 * it in the page before core handles the exit. Index 0.
	 */
	TRACE_BIN_VTPR = 20,
	/*
	 * State of an APIC_WRITE exit at ICR low: u64, the 32-bit ICR high
	 * (offset 0x310) the IPI goes to. A guest's store there is virtualized
	 * with no exit (the CPU keeps bits 31:24, as Bochs's corei7_haswell_4770
	 * does: no APIC-write exit at 0x310), so only the ICR-low exit that
	 * sends can tell; the replay puts it in the page first. Index 0.
	 */
	TRACE_BIN_VICR_HI = 21,
	TRACE_BIN_TYPE_MAX = 22,
};

/* Payload sizes of the fixed-size records. */
#define TRACE_BIN_VM_LEN (2 + 1 + 1 + 8 + TRACE_BIN_NAME_LEN)
/* A VM record with its affinity (u64) and flags (u32) after the name; index = the VM's id. */
#define TRACE_BIN_VM2_LEN (TRACE_BIN_VM_LEN + 8 + 4)
#define TRACE_BIN_VM_BOOT_STATE 1u   /* flag: the platform gave the VM a boot state */
#define TRACE_BIN_VM_CREATED 2u      /* flag: created, not started yet (text: state=created) */
#define TRACE_BIN_REQUEST_LEN (2 + 2 + 4 + 2 + 2)
#define TRACE_BIN_KICK_LEN (2 + 2)
#define TRACE_BIN_COMPLETE_LEN (2 + 2 + 4 + 8)
#define TRACE_BIN_SCHED_LEN (2 + 2 + 2 + 2)
#define TRACE_BIN_TIMER_LEN (2 + 2 + 2 + 2 + 8)
#define TRACE_BIN_SCHED_NONE 1
#define TRACE_BIN_EXIT_LEN (2 + 2 + 4 + 8 + 4 + 4 + 8 + 8 + 4 + 4 + 4 + 4)
#define TRACE_BIN_REG_LEN 8
#define TRACE_BIN_SEG_LEN (2 + 4 + 4 + 8)
#define TRACE_BIN_MEM_HDR (8 + 4)
#define TRACE_BIN_EVENT_LEN (1 + 1 + 1 + 4 + 4)
#define TRACE_BIN_STOP_LEN (4 + 4)
#define TRACE_BIN_CPUID_LEN (4 + 4 + 16)

struct trace_bin_vm {
	uint16_t id;                    /* the record's index */
	uint64_t affinity;              /* 0 (any) in the short record */
	uint32_t flags;                 /* TRACE_BIN_VM_*; 0 in the short record */
	uint16_t vcpus;
	bool service;
	bool reset_on_triple_fault;
	uint64_t mem;
	char name[TRACE_BIN_NAME_LEN];  /* NUL-terminated */
};

/* One decoded record; which members are valid depends on type. */
struct trace_bin_rec {
	uint8_t type;
	uint8_t index;
	struct trace_bin_vm vm;
	uint16_t vcpu;                  /* EXIT, REQUEST, COMPLETE, SCHED */
	uint16_t vm_id;                 /* EXIT (its once reserved u16: 0 = VM 0), REQUEST, COMPLETE, SCHED */
	uint16_t pcpu;                  /* EXIT: the index; REQUEST, KICK, SCHED */
	uint16_t from;                  /* KICK */
	uint32_t bits;                  /* REQUEST */
	uint32_t state;                 /* COMPLETE (value: .value) */
	/* TIMER: vm_id, vcpu, pcpu, and the host TSC in .value */
	struct exit_record ex;
	uint64_t value;                 /* REG, EXP_REG */
	struct seg_desc seg;
	uint64_t gpa;                   /* MEM, WRITE */
	uint32_t len;                   /* MEM, WRITE, CONSOLE */
	bool fault;
	uint8_t data[TRACE_BIN_MAX_DATA];
	struct vcpu_event event;
	uint32_t stop_cause, stop_detail;
	uint32_t cpuid_leaf, cpuid_subleaf;
	uint32_t cpuid_regs[4];
};

size_t trace_bin_header(uint8_t *buf, size_t cap);
size_t trace_bin_vm(uint8_t *buf, size_t cap, const struct trace_bin_vm *vm);
/* EXIT of vCPU `vcpu` of VM `vm`, on pCPU `pcpu` (the record's index). */
size_t trace_bin_exit(uint8_t *buf, size_t cap, uint16_t vm, uint16_t vcpu, uint8_t pcpu,
		      const struct exit_record *ex);
size_t trace_bin_request(uint8_t *buf, size_t cap, uint16_t vm, uint16_t vcpu, uint32_t bits,
			 uint16_t pcpu);
size_t trace_bin_kick(uint8_t *buf, size_t cap, uint16_t pcpu, uint16_t from);
size_t trace_bin_timer(uint8_t *buf, size_t cap, uint16_t vm, uint16_t vcpu, uint16_t pcpu,
		       uint64_t tsc);
size_t trace_bin_complete(uint8_t *buf, size_t cap, uint16_t vm, uint16_t vcpu, uint32_t state,
			  uint64_t value);
/* none: the pCPU found nothing to run (vm, vcpu ignored). */
size_t trace_bin_sched(uint8_t *buf, size_t cap, uint16_t pcpu, bool none, uint16_t vm,
		       uint16_t vcpu);
size_t trace_bin_reg(uint8_t *buf, size_t cap, uint8_t type, enum vcpu_reg reg, uint64_t value);
size_t trace_bin_seg(uint8_t *buf, size_t cap, enum vcpu_seg seg, const struct seg_desc *d);
/* MEM (fault: no data) or WRITE; len <= TRACE_BIN_MAX_DATA. */
size_t trace_bin_mem(uint8_t *buf, size_t cap, uint8_t type, uint64_t gpa, const void *data,
		     uint32_t len, bool fault);
size_t trace_bin_action(uint8_t *buf, size_t cap, int action);
size_t trace_bin_event(uint8_t *buf, size_t cap, const struct vcpu_event *ev);
size_t trace_bin_console(uint8_t *buf, size_t cap, const uint8_t *bytes, uint32_t len);
size_t trace_bin_stop(uint8_t *buf, size_t cap, uint32_t cause, uint32_t detail);
size_t trace_bin_host_cpuid(uint8_t *buf, size_t cap, uint32_t leaf, uint32_t subleaf,
			    const uint32_t regs[4]);
/* HOST_TSC: the same layout as REG, index 0. */
size_t trace_bin_host_tsc(uint8_t *buf, size_t cap, uint64_t tsc);
/* APIC_VALUE: the same layout as REG, index 0. */
size_t trace_bin_apic_value(uint8_t *buf, size_t cap, uint32_t value);
/* VTPR: the same layout as REG, index 0. */
size_t trace_bin_vtpr(uint8_t *buf, size_t cap, uint32_t value);
/* VICR_HI: the same layout as REG, index 0. */
size_t trace_bin_vicr_hi(uint8_t *buf, size_t cap, uint32_t value);

/* 0 when buf starts with a valid header; -TERN_EINVAL otherwise. */
int trace_bin_check_header(const uint8_t *buf, size_t len);
/*
 * Decode the record at *pos and advance *pos past it. Returns 0, or
 * -TERN_EINVAL (malformed: unknown type, bad length, index out of range)
 * or -TERN_E2BIG (truncated); *pos is then left at the bad record.
 */
int trace_bin_next(const uint8_t *buf, size_t len, size_t *pos, struct trace_bin_rec *rec);

#endif
