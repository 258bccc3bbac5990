/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A virtual CPU: its register cache (with valid/dirty tracking), its pending
 * event, and its scheduling state.
 *
 * The register cache is what makes core platform-neutral: core never reads
 * the VMCS. The platform marks what it filled on exit as valid; a read of
 * anything else calls plat_vcpu_fetch_reg() once (lazy VMREAD on x86, the
 * trace's state line in the simulator). Writes mark the register dirty; the
 * platform writes dirty registers back before the next VM entry.
 */
#ifndef TERN_VCPU_H
#define TERN_VCPU_H

#include <stdint.h>
#include <stdbool.h>
#include "ioreq_types.h"
#include "cr.h"
#include "intr.h"
#include "msr.h"
#include "string_io_wait.h"
#include "mmio_wait.h"
#include "atomic.h"
#include "vlapic.h"
#include "x86.h"

struct vm;
struct sched_cpu;

/* GPR numbering is the instruction-encoding order (SDM Vol. 2, 2.1.5). */
enum vcpu_reg {
	VCPU_RAX = 0, VCPU_RCX, VCPU_RDX, VCPU_RBX,
	VCPU_RSP, VCPU_RBP, VCPU_RSI, VCPU_RDI,
	VCPU_R8, VCPU_R9, VCPU_R10, VCPU_R11,
	VCPU_R12, VCPU_R13, VCPU_R14, VCPU_R15,
	VCPU_RIP,
	VCPU_RFLAGS,
	VCPU_CR0,
	VCPU_CR2,
	VCPU_CR3,
	VCPU_CR4,
	VCPU_CR8,
	VCPU_EFER,
	VCPU_DR7,
	VCPU_XCR0,
	VCPU_INTERRUPTIBILITY, /* guest interruptibility state, SDM 24.4.2 */
	VCPU_PAT,
	/*
	 * Guest pending debug exceptions (SDM Vol. 3C 24.4.2, Table 24-4).
	 * Appended, as every new register must be: the binary trace format
	 * indexes registers by this enum (trace_bin.h).
	 */
	VCPU_PENDING_DBG,
	VCPU_REG_COUNT,
};

/* Segment numbering is the instruction-encoding order (SDM Vol. 2, 3.4.2). */
enum vcpu_seg {
	VCPU_ES = 0, VCPU_CS, VCPU_SS, VCPU_DS, VCPU_FS, VCPU_GS,
	VCPU_LDTR, VCPU_TR,
	VCPU_SEG_COUNT,
};

/* A segment register as the VMCS holds it (SDM 24.4.1). */
struct seg_desc {
	uint16_t selector;
	uint64_t base;
	uint32_t limit;
	uint32_t ar;     /* access rights in VMCS format */
};

/* Access-rights accessors, SDM Table 24-2. */
static inline unsigned seg_ar_type(uint32_t ar) { return ar & 0xfu; }
static inline unsigned seg_ar_dpl(uint32_t ar) { return (ar >> 5) & 3u; }
static inline bool seg_ar_present(uint32_t ar) { return (ar >> 7) & 1u; }
static inline bool seg_ar_l(uint32_t ar) { return (ar >> 13) & 1u; }
static inline bool seg_ar_db(uint32_t ar) { return (ar >> 14) & 1u; }
static inline bool seg_ar_unusable(uint32_t ar) { return (ar >> 16) & 1u; }

/* An event to inject at the next VM entry (SDM 24.8.3, 26.6). */
struct vcpu_event {
	bool valid;
	uint8_t vector;
	uint8_t type;          /* enum intr_type */
	bool has_error;
	uint32_t error_code;
	uint32_t instr_len;    /* for software interrupts/exceptions */
};

enum vcpu_state {
	VCPU_STATE_INIT = 0,     /* created, never run; or after INIT: waits for a SIPI */
	VCPU_STATE_RUNNABLE,
	VCPU_STATE_WAIT_IO,      /* parked on an IOREQ */
	VCPU_STATE_HALTED,       /* HLT: parked until an interrupt is pending */
	VCPU_STATE_PAUSED,       /* paused by the VM manager */
	VCPU_STATE_STOPPED,      /* the VM was stopped; never resumes */
	VCPU_STATE_WAIT_SYNC,    /* a Service VM vCPU in a synchronous hypercall (hypercall.c) */
};

/*
 * A whole register state the platform loads into the guest before the
 * vCPU's next VM entry (VMCS guest-state area, SDM Vol. 3C 24.4), written by
 * the VM manager: the architectural reset state (SDM Vol. 3A 9.1.1,
 * Table 9-1 "IA-32 and Intel 64 Processor States Following Power-up,
 * Reset, or INIT") or the state the Service VM set (HC_SET_VCPU_REGS).
 */
struct vcpu_load_state {
	uint64_t regs[VCPU_REG_COUNT];  /* indexed by enum vcpu_reg */
	struct seg_desc segs[VCPU_SEG_COUNT];
	uint64_t gdtr_base;
	uint64_t idtr_base;
	uint32_t gdtr_limit;
	uint32_t idtr_limit;
};

/* Why a vCPU is paused (vcpu->pause_mask); both may hold at once. */
#define VCPU_PAUSED_BY_VM    0x1u  /* its VM is paused */
#define VCPU_PAUSED_BY_VCPU  0x2u  /* paused on its own (Tern's per-vCPU pause) */

struct vcpu {
	struct vm *vm;
	uint16_t id;
	enum vcpu_state state;

	uint64_t regs[VCPU_REG_COUNT];
	uint32_t reg_valid;     /* bit per enum vcpu_reg */
	uint32_t reg_dirty;     /* bit per enum vcpu_reg */
	struct seg_desc segs[VCPU_SEG_COUNT];
	uint16_t seg_valid;     /* bit per enum vcpu_seg */

	struct vcpu_event event;        /* injection at next entry */
	struct ioreq_wait io;           /* the IOREQ this vCPU is parked on */
	uint64_t exits;                 /* exits handled, for statistics */

	struct vcpu_cr cr;              /* CR0/CR4 masks and shadows (cr.h) */
	struct vcpu_intr intr;          /* pending NMI/ExtINT, window requests (intr.h) */
	/*
	 * The vCPU's local APIC (vlapic.h, docs/interrupts.md). Only its owner
	 * touches it, except that another vCPU's delivery ORs a fixed
	 * interrupt into irr[]/tmr[] with atomics and then requests
	 * VCPU_REQ_EVENT (vm_irq.c).
	 */
	struct vlapic lapic;
	/*
	 * Absolute guest TSC (host TSC + msr.tsc_offset) of the earliest
	 * deadline of this vCPU's timers (its vLAPIC timer; on vCPU 0 also
	 * the VM's PIT and RTC), UINT64_MAX for none. Set by core before
	 * every VM entry (vcpu_pre_entry). It goes into its pCPU's host
	 * timer: while the pCPU runs a vCPU, through the pCPU's deadline core
	 * computes (sched_slice.h; core makes VCPU_REQ_TIMER on it when that
	 * timer's exit finds it passed); an idle pCPU arms its own timer from
	 * it and makes VCPU_REQ_TIMER on it when that time has passed.
	 */
	uint64_t timer_deadline;
	/* VCPU_REQ_SIPI: the start-up vector of the last SIPI sent to it. */
	uint32_t sipi_vector;
	struct vcpu_msr msr;            /* emulated MSRs (msr.h) */
	struct string_io_wait sio;      /* string I/O parked on an IOREQ (string_io.c) */
	struct mmio_wait mmio;          /* an MMIO instruction waiting for the device model (mmio.c) */
	/*
	 * VM manager (vm_mgr.c). While pause_mask is non-zero the state is
	 * VCPU_STATE_PAUSED and paused_state is the state it returns to (a
	 * vCPU paused while waiting for I/O waits again when resumed).
	 */
	uint8_t pause_mask;
	enum vcpu_state paused_state;
	/*
	 * Set by the VM manager: before the next entry the platform loads
	 * `load` as the guest's whole register state (then clears this flag),
	 * before it writes back registers marked dirty.
	 */
	bool load_pending;
	bool init_held;         /* an INIT waits for the instruction in flight (vm_mgr_vcpu_init_signal) */
	struct vcpu_load_state load;

	/*
	 * Cross-CPU state (request.h, docs/concurrency.md). pcpu is the
	 * physical CPU that owns this vCPU: only it enters the vCPU, handles
	 * its exits and its requests; set by vcpu_init for the vCPU's life (a
	 * vCPU does not migrate: the pCPU's entry decisions keep what they
	 * know of it, sched_slice.c). `cpu` is &hv->cpus[pcpu], kept with it
	 * (vcpu_bind_pcpu): a request to the vCPU reaches its pCPU's state
	 * without two pointer loads and an index. The rest is written with
	 * core/atomic.h by any CPU.
	 */
	uint16_t pcpu;
	struct sched_cpu *cpu;
	uint32_t requests;      /* VCPU_REQ_* bits not yet handled */
	uint32_t in_guest;      /* 1 between vcpu_enter_guest() and vcpu_leave_guest() */
	uint32_t running;       /* 1 while the scheduler has it current on its pCPU */
	uint32_t ack_gen;       /* the VM's sync_gen this vCPU last acknowledged */
	uint32_t io_completed;  /* 1: the device model completed io (VCPU_REQ_IOREQ_DONE) */
	uint64_t io_value;      /* the completed IOREQ's value, cut to its size */
	/*
	 * Taken by whoever changes state, pause_mask or paused_state: the
	 * owner at the end of an exit, the VM manager on pause/resume/stop.
	 */
	struct tern_lock sched_lock;
	/* VCPU_STATE_WAIT_SYNC: until VM hc_wait_vm has acknowledged hc_wait_gen
	 * (or, hc_wait_quiesce, until none of its vCPUs is current anywhere). */
	uint16_t hc_wait_vm;
	uint32_t hc_wait_gen;
	bool hc_wait_quiesce;
	uint32_t hc_wait_life;  /* the target's vm->life: a VM re-created in its slot is another */
	bool hc_wait;           /* this exit parks the vCPU in WAIT_SYNC (vcpu_wait_sync) */
};

_Static_assert(VCPU_REG_COUNT <= 32, "reg_valid/reg_dirty are 32-bit masks");

void vcpu_init(struct vcpu *vcpu, struct vm *vm, uint16_t id);
/*
 * The pCPU that owns the vCPU (vcpu_init: sched_vcpu_pcpu). Tests that
 * change a VM's affinity after creation bind again; core never does.
 * @pre vcpu->vm and its hv are set, pcpu < TERN_MAX_PCPUS.
 */
void vcpu_bind_pcpu(struct vcpu *vcpu, uint16_t pcpu);
/* Forget every cached value (called by the platform at each exit). */
void vcpu_cache_reset(struct vcpu *vcpu);
/* Platform side: store a value read on exit without marking it dirty. */
void vcpu_cache_fill(struct vcpu *vcpu, enum vcpu_reg reg, uint64_t value);
void vcpu_cache_fill_seg(struct vcpu *vcpu, enum vcpu_seg seg, const struct seg_desc *desc);

/*
 * The accessors every exit handler calls several times: the cache hit and
 * the write are inline (a call per register was most of a hypercall's
 * instruction count); a miss fetches from the platform once, out of line.
 */
uint64_t vcpu_fetch_reg(struct vcpu *vcpu, enum vcpu_reg reg);
const struct seg_desc *vcpu_fetch_seg(struct vcpu *vcpu, enum vcpu_seg seg);

#define VCPU_RFLAGS_FIXED 0x2u  /* RFLAGS bit 1 always reads 1 (SDM Vol. 1, 3.4.3) */

static inline uint64_t vcpu_get_reg(struct vcpu *vcpu, enum vcpu_reg reg)
{
	if (vcpu->reg_valid & (1u << reg))
		return vcpu->regs[reg];
	return vcpu_fetch_reg(vcpu, reg);
}

/*
 * Every register of `mask` (bits 1u << VCPU_*) in the cache, fetching those
 * that are not: a handler that reads several (a hypercall's id and
 * parameters) tests once, then reads vcpu->regs[] directly.
 */
void vcpu_fetch_regs(struct vcpu *vcpu, uint32_t mask);
static inline void vcpu_cache_regs(struct vcpu *vcpu, uint32_t mask)
{
	if ((vcpu->reg_valid & mask) != mask)
		vcpu_fetch_regs(vcpu, mask);
}

static inline void vcpu_set_reg(struct vcpu *vcpu, enum vcpu_reg reg, uint64_t value)
{
	if (reg == VCPU_RFLAGS)
		value |= VCPU_RFLAGS_FIXED;
	vcpu->regs[reg] = value;
	vcpu->reg_valid |= 1u << reg;
	vcpu->reg_dirty |= 1u << reg;
}

static inline const struct seg_desc *vcpu_get_seg(struct vcpu *vcpu, enum vcpu_seg seg)
{
	if (vcpu->seg_valid & (1u << seg))
		return &vcpu->segs[seg];
	return vcpu_fetch_seg(vcpu, seg);
}
static inline bool vcpu_reg_dirty(const struct vcpu *vcpu, enum vcpu_reg reg)
{
	return (vcpu->reg_dirty >> reg) & 1u;
}

/*
 * Inline like the accessors they use: every hypercall exit asks both, and
 * a call each was a tenth of its instruction count.
 */
/* True when the guest runs in 64-bit mode (EFER.LMA and CS.L). */
static inline bool vcpu_long_mode_64(struct vcpu *vcpu)
{
	if (!(vcpu_get_reg(vcpu, VCPU_EFER) & X86_EFER_LMA))
		return false;
	return seg_ar_l(vcpu_get_seg(vcpu, VCPU_CS)->ar);
}

/* Current privilege level: SS.DPL (SDM Vol. 3C 24.4.1: SS.DPL is always the CPL on VM exit). */
static inline unsigned vcpu_cpl(struct vcpu *vcpu)
{
	return seg_ar_dpl(vcpu_get_seg(vcpu, VCPU_SS)->ar);
}

#endif
