/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual local APIC, one per vCPU (SDM Vol. 3A chapter 10): the xAPIC
 * register page (offset + 32-bit value, as the APIC-access / MMIO path calls
 * it), the x2APIC MSRs 0x800-0x8FF (10.12), IA32_APIC_BASE mode transitions
 * (10.12.5), TPR/PPR/APR (10.8.3), IRR/ISR/TMR and EOI, ESR, the ICR, the
 * LVT and the timer (one-shot, periodic, TSC-deadline; 10.5.4).
 *
 * A vlapic never reaches another vCPU. An ICR write returns the interrupt
 * message (struct vlapic_msg) in its result; the VM-level code picks the
 * targets with vlapic_route() and hands the message to each with
 * vlapic_accept(), which for fixed / lowest-priority only sets IRR (and
 * TMR) bits of 32-bit words: on another pCPU that becomes "atomic OR into
 * the IRR word + request bit + kick" without changing this interface.
 *
 * Time is the guest TSC, always passed in as `now` so that every result is a
 * function of the inputs (deterministic in the simulator and in tests). The
 * timer input clock is the TSC divided by vlapic.tsc_per_tick (the "bus
 * clock"), then by the divide configuration.
 *
 * Where it goes: `struct vlapic lapic` in struct vcpu (docs/interrupts.md
 * describes the wiring into intr.c, msr.c, cr.c and the APIC-access exit).
 * @pre the caller serialises access to one vlapic (the vCPU's own context,
 * or the VM's delivery path holding what the request-bit scheme needs).
 */
#ifndef TERN_VLAPIC_H
#define TERN_VLAPIC_H

#include <stdint.h>
#include <stdbool.h>
#include "guest_fault.h"
#include "atomic.h"

/* xAPIC register offsets in the APIC page, SDM Vol. 3A Table 10-1. */
#define VLAPIC_ID 0x020u
#define VLAPIC_VERSION 0x030u
#define VLAPIC_TPR 0x080u
#define VLAPIC_APR 0x090u
#define VLAPIC_PPR 0x0a0u
#define VLAPIC_EOI 0x0b0u
#define VLAPIC_RRD 0x0c0u
#define VLAPIC_LDR 0x0d0u
#define VLAPIC_DFR 0x0e0u
#define VLAPIC_SVR 0x0f0u
#define VLAPIC_ISR0 0x100u
#define VLAPIC_TMR0 0x180u
#define VLAPIC_IRR0 0x200u
#define VLAPIC_ESR 0x280u
#define VLAPIC_ICR_LO 0x300u
#define VLAPIC_ICR_HI 0x310u
#define VLAPIC_LVT_TIMER 0x320u
#define VLAPIC_LVT_THERMAL 0x330u
#define VLAPIC_LVT_PERF 0x340u
#define VLAPIC_LVT_LINT0 0x350u
#define VLAPIC_LVT_LINT1 0x360u
#define VLAPIC_LVT_ERROR 0x370u
#define VLAPIC_TIMER_ICR 0x380u
#define VLAPIC_TIMER_CCR 0x390u
#define VLAPIC_TIMER_DCR 0x3e0u
#define VLAPIC_SELF_IPI 0x3f0u  /* x2APIC only */
#define VLAPIC_PAGE_SIZE 0x1000u
#define VLAPIC_TPR_CLASS1 0x10u
#define VLAPIC_FIRST_LEGAL_VECTOR 16u /* 0-15 are illegal (SDM 10.5.2) */
#define VLAPIC_XAPIC_BROADCAST 0xffu
#define VLAPIC_X2APIC_BROADCAST 0xffffffffu   /* the lowest TPR that masks a class (SDM 10.8.3.1) */

/* x2APIC MSR for an xAPIC offset: 0x800 + offset / 16 (SDM 10.12.1.2). */
#define VLAPIC_MSR_BASE 0x800u
#define VLAPIC_MSR_LAST 0x8ffu
#define VLAPIC_MSR(off) (VLAPIC_MSR_BASE + ((off) >> 4))
#define VLAPIC_MSR_TSC_DEADLINE 0x6e0u

/* Version register: integrated APIC 0x14, max LVT entry 5 (no CMCI LVT). */
#define VLAPIC_VERSION_VALUE 0x00050014u

/* IA32_APIC_BASE bits (SDM 10.4.4). */
#define VLAPIC_BASE_BSP (1ull << 8)
#define VLAPIC_BASE_EXTD (1ull << 10)
#define VLAPIC_BASE_EN (1ull << 11)
#define VLAPIC_BASE_ADDR_DEFAULT 0xfee00000ull

/* SVR (SDM 10.9). */
#define VLAPIC_SVR_ENABLE (1u << 8)
#define VLAPIC_SVR_RESET 0xffu

/* ESR bits (SDM 10.5.3, Figure 10-9). */
#define VLAPIC_ESR_SEND_ILLEGAL (1u << 5)
#define VLAPIC_ESR_RECV_ILLEGAL (1u << 6)
#define VLAPIC_ESR_ILLEGAL_REG (1u << 7)

/* LVT and ICR fields (SDM Figures 10-8 and 10-12). */
#define VLAPIC_VECTOR_MASK 0xffu
#define VLAPIC_DM_SHIFT 8
#define VLAPIC_DM_MASK (7u << VLAPIC_DM_SHIFT)
#define VLAPIC_DM_FIXED 0u
#define VLAPIC_DM_LOWEST 1u
#define VLAPIC_DM_SMI 2u
#define VLAPIC_DM_NMI 4u
#define VLAPIC_DM_INIT 5u
#define VLAPIC_DM_SIPI 6u
#define VLAPIC_DM_EXTINT 7u
#define VLAPIC_ICR_LOGICAL (1u << 11)
#define VLAPIC_ICR_ASSERT (1u << 14)
#define VLAPIC_LVT_REMOTE_IRR (1u << 14)
#define VLAPIC_TRIGGER_LEVEL (1u << 15)
#define VLAPIC_LVT_MASKED (1u << 16)
#define VLAPIC_TIMER_MODE_SHIFT 17
#define VLAPIC_TIMER_ONESHOT 0u
#define VLAPIC_TIMER_PERIODIC 1u
#define VLAPIC_TIMER_TSC_DEADLINE 2u
#define VLAPIC_ICR_SH_SHIFT 18
#define VLAPIC_SH_NONE 0u
#define VLAPIC_SH_SELF 1u
#define VLAPIC_SH_ALL 2u
#define VLAPIC_SH_OTHERS 3u

/* The LVT entries, in register order from 0x320. */
enum vlapic_lvt {
	VLAPIC_LVT_TIMER_IDX = 0,
	VLAPIC_LVT_THERMAL_IDX,
	VLAPIC_LVT_PERF_IDX,
	VLAPIC_LVT_LINT0_IDX,
	VLAPIC_LVT_LINT1_IDX,
	VLAPIC_LVT_ERROR_IDX,
	VLAPIC_LVT_COUNT,
};

/* An interrupt message on the APIC bus / as the IOAPIC or an MSI sends it. */
struct vlapic_msg {
	uint8_t vector;
	uint8_t delivery;     /* VLAPIC_DM_* */
	uint8_t shorthand;    /* VLAPIC_SH_* (ICR only; 0 for IOAPIC and MSI) */
	bool logical;         /* logical destination mode */
	bool level;           /* level-triggered (sets TMR; EOI is broadcast) */
	bool assert;          /* level: assert (false only for INIT level de-assert) */
	bool x2apic;          /* dest is a 32-bit x2APIC destination, else 8 bits */
	/*
	 * Sender's vCPU index (for self / all-but-self), < TERN_MAX_VCPUS <= 64.
	 * A byte, in the word with the others: a message is 12 bytes the
	 * compiler writes in a few stores (make bench, bench_irq_exits).
	 */
	uint8_t src;
	uint32_t dest;
};

/* What a receiving vCPU must do with an accepted message. */
enum vlapic_event {
	VLAPIC_EV_NONE = 0,   /* dropped (masked, disabled, refused, illegal) */
	VLAPIC_EV_IRR,        /* a vector is now in IRR: wake / kick the vCPU */
	VLAPIC_EV_NMI,        /* vcpu_queue_nmi() */
	VLAPIC_EV_INIT,       /* the INIT signal: vm_mgr_vcpu_init_signal (an AP waits for SIPI) */
	VLAPIC_EV_SIPI,       /* start at msg vector << 12 if waiting for SIPI */
	VLAPIC_EV_EXTINT,     /* take the vector from the PIC (INTA, vpic) */
	VLAPIC_EV_ERROR,      /* vlapic_accept_remote: an illegal vector, in esr_remote for its owner */
};

/*
 * Everything a register write produces besides register state. One write
 * is one register: send (an ICR write) and eoi_vector >= 0 (an EOI) never
 * come together.
 */
struct vlapic_result {
	bool send;                 /* msg holds an IPI to route and accept */
	struct vlapic_msg msg;
	int eoi_vector;            /* >= 0: EOI of a level vector, tell the IOAPICs */
};

/*
 * The register state. `page` is the vCPU's virtual-APIC page (SDM Vol. 3C
 * 29.1, 29.4): the one storage of the registers a guest read returns, at
 * their xAPIC offsets, so that with "APIC-register virtualization" the CPU
 * answers reads from it and no copy has to be kept coherent (a remote IRR
 * bit is ORed into the page itself; a TPR the guest writes through the TPR
 * shadow is read back from it). Registers whose new value depends on the
 * old one, or whose write may be ignored, also have core's copy here
 * (lvt, timer_icr, timer_dcr): on an APIC-write exit the CPU has already
 * put the guest's value in the page (29.4.3.1), so core redoes the write
 * from its copy and stores the result in both. docs/interrupts.md.
 */
struct vlapic {
	_Alignas(VLAPIC_PAGE_SIZE) uint32_t page[VLAPIC_PAGE_SIZE / 4];
	unsigned index;           /* the vCPU's index in its VM */
	uint32_t apic_id;         /* initial APIC ID (CPUID.1:EBX[31:24] / x2APIC ID) */
	uint32_t tsc_per_tick;    /* guest TSC ticks per timer input tick, >= 1 */
	uint64_t apic_base;       /* IA32_APIC_BASE */
	int isr_top;              /* highest vector in ISR, -1 for none (only the owner writes ISR) */
	uint32_t esr_pending;     /* errors since the last ESR write */
	/*
	 * Errors other vCPUs' messages raised here (an illegal vector,
	 * vlapic_accept_remote), OR'd atomically; the owner takes them into
	 * esr_pending and the error LVT (vlapic_take_remote_errors) on the
	 * VCPU_REQ_APIC_ERROR request that follows.
	 */
	uint32_t esr_remote;
	uint32_t lvt[VLAPIC_LVT_COUNT];
	uint32_t timer_icr;       /* initial count */
	uint32_t timer_dcr;       /* divide configuration */
	uint64_t timer_base_time; /* `now` when the count last started */
	uint32_t timer_base_count;/* the count at timer_base_time (0: stopped) */
	uint64_t timer_next;      /* absolute expiry, 0 when not armed */
	uint64_t tsc_deadline;    /* IA32_TSC_DEADLINE, 0 when disarmed */
};

/* The register at xAPIC `off` (16-byte aligned, < 0x400) in the page. */
static inline uint32_t *vlapic_reg(struct vlapic *lapic, uint32_t off) { return &lapic->page[off >> 2]; }
static inline uint32_t vlapic_reg_get(const struct vlapic *lapic, uint32_t off) { return lapic->page[off >> 2]; }
/* Word w (0-7) of ISR, TMR or IRR (base VLAPIC_ISR0/TMR0/IRR0): one register every 16 bytes. */
#define VLAPIC_VEC_STRIDE 4u
static inline uint32_t vlapic_vec_word(const struct vlapic *lapic, uint32_t base, unsigned w)
{
	return lapic->page[(base >> 2) + w * VLAPIC_VEC_STRIDE];
}
static inline bool vlapic_vec_test(const struct vlapic *lapic, uint32_t base, unsigned v)
{
	return (vlapic_vec_word(lapic, base, v >> 5) >> (v & 31u)) & 1u;
}

/* Power-up state (SDM 10.4.7.1): xAPIC mode enabled, all LVTs masked. */
void vlapic_init(struct vlapic *lapic, unsigned index, uint32_t apic_id, bool bsp,
		 uint32_t tsc_per_tick);
/* INIT (SDM 10.4.7.3): like power-up but APIC ID and IA32_APIC_BASE kept. */
void vlapic_init_reset(struct vlapic *lapic);
/* The owner takes the errors other vCPUs raised (esr_remote) into its ESR and error LVT. */
void vlapic_take_remote_errors(struct vlapic *lapic);
/*
 * The state a PC's firmware leaves for the OS it boots (virtual-wire mode,
 * MP spec 3.6.2.2): software-enabled with spurious vector 0xFF, LINT0
 * ExtINT (the 8259's INTR reaches the CPU), LINT1 NMI. For the BSP of a VM
 * whose kernel Tern loaded itself: Tern is its firmware.
 */
void vlapic_virtual_wire(struct vlapic *lapic);

/* IA32_APIC_BASE.EN (SDM 10.4.3) and SVR bit 8 (10.4.7.2); inline: every entry asks. */
static inline bool vlapic_hw_enabled(const struct vlapic *lapic)
{
	return lapic->apic_base & VLAPIC_BASE_EN;
}
static inline bool vlapic_sw_enabled(const struct vlapic *lapic)
{
	return vlapic_reg_get(lapic, VLAPIC_SVR) & VLAPIC_SVR_ENABLE;
}
bool vlapic_x2apic(const struct vlapic *lapic);

/*
 * xAPIC MMIO access at `offset` in the APIC page (32-bit, 16-byte aligned
 * registers). -TERN_ENODEV when the APIC is not in xAPIC mode (the page is
 * not the APIC's then). Reserved offsets read 0, writes are ignored and
 * both log "illegal register address" in the ESR (SDM 10.5.3).
 */
int vlapic_mmio_read(struct vlapic *lapic, uint32_t offset, uint64_t now, uint32_t *value);
int vlapic_mmio_write(struct vlapic *lapic, uint32_t offset, uint32_t value, uint64_t now,
		      struct vlapic_result *res);

/*
 * APIC-write VM exit (SDM Vol. 3C 29.4.3.3): the guest wrote the register
 * at page `offset` (the exit qualification) and the CPU has stored the value
 * in lapic->page already; carry the write out as vlapic_mmio_write would
 * (the page ends up holding what a read returns). -TERN_EINVAL for an
 * offset the CPU never reports as an APIC write (vlapic_apic_write_offset),
 * -TERN_ENODEV when the APIC is not in xAPIC mode.
 */
int vlapic_apic_write(struct vlapic *lapic, uint32_t offset, uint64_t now, struct vlapic_result *res);
/*
 * The offsets of APIC-write exits: a write entirely within the first 4
 * bytes of ID, EOI, LDR, DFR, SVR, ESR, ICR low/high, an LVT, the initial
 * count or the DCR (29.4.3.1 with APIC-register virtualization, less TPR,
 * which is virtualized without an exit, 29.4.3.2).
 */
bool vlapic_apic_write_offset(uint32_t offset);
/*
 * Reads the CPU answers from the page (29.4.2): entirely within the first
 * 4 bytes of ID, version, TPR, EOI, LDR, DFR, SVR, ISR, TMR, IRR, ESR, ICR,
 * an LVT, the initial count or the DCR. Others are APIC-access exits.
 */
bool vlapic_virtualized_read(uint32_t offset, unsigned len);
/*
 * The TPR threshold for the next entry with the TPR shadow (SDM 29.1.2):
 * the priority class of the highest IRR vector when the TPR is what holds
 * it back (class <= TPR[7:4]), so that the guest lowering its TPR below it
 * exits (TPR below threshold); else 0. Never above TPR[7:4] (the VM-entry
 * check of SDM 26.2.1.1).
 */
uint32_t vlapic_tpr_threshold(const struct vlapic *lapic);

/*
 * Whether an access to the register at xAPIC `offset` (x2APIC: (msr -
 * 0x800) << 4) uses `now`; for every other register `now` is ignored, so a
 * caller may skip reading the clock (the timer's CCR, initial count, DCR).
 */
static inline bool vlapic_reads_clock(uint32_t offset)
{
	/* The only registers reg_read / reg_write pass `now` on to (the timer's). */
	return offset == VLAPIC_TIMER_CCR || offset == VLAPIC_TIMER_ICR || offset == VLAPIC_TIMER_DCR;
}

/*
 * x2APIC MSR access (0x800-0x8FF). 0, or -TERN_EFAULT: the access raises
 * #GP(0), the only fault an x2APIC MSR has, for every violation of SDM
 * 10.12.1 (not in x2APIC mode, reserved MSR, read of a write-only or write
 * of a read-only register, a reserved bit set); the register file is then
 * unchanged, *value is 0, res sends nothing. A status rather than a
 * struct guest_fault in the result: the x2APIC EOI and ICR writes are the
 * hot MSR exits, and the caller (msr.c) builds the fault only when there
 * is one.
 */
int vlapic_msr_read(struct vlapic *lapic, uint32_t msr, uint64_t now, uint64_t *value);
int vlapic_msr_write(struct vlapic *lapic, uint32_t msr, uint64_t value, uint64_t now,
		     struct vlapic_result *res);

/*
 * IA32_APIC_BASE write: mode transitions of SDM 10.12.5 (disabled / xAPIC /
 * x2APIC); an invalid state (EXTD without EN), x2APIC -> xAPIC and
 * disabled -> x2APIC are #GP(0), as is any bit in `reserved` or a change of
 * the BSP flag. Disabling resets the APIC (10.4.3).
 */
void vlapic_apic_base_write(struct vlapic *lapic, uint64_t value, uint64_t reserved,
			    struct guest_fault *fault);

/* IA32_TSC_DEADLINE (SDM 10.5.4.1): reads 0 / writes ignored unless in that mode. */
uint64_t vlapic_tsc_deadline_read(const struct vlapic *lapic);
void vlapic_tsc_deadline_write(struct vlapic *lapic, uint64_t value, uint64_t now);

/* CR8 is TPR[7:4] (SDM 10.8.6.1); the caller refuses CR8 bits 63:4 with #GP. */
uint64_t vlapic_cr8_read(const struct vlapic *lapic);
void vlapic_cr8_write(struct vlapic *lapic, uint64_t cr8);

uint32_t vlapic_ppr(const struct vlapic *lapic);
uint32_t vlapic_apr(const struct vlapic *lapic);

/* Highest IRR vector whose class is above the PPR class, or -1 (SDM 10.8.3.1). */
int vlapic_pending_vector(const struct vlapic *lapic);
/*
 * The CPU takes `vector` (INTA): IRR -> ISR. -TERN_EINVAL unless it is in
 * IRR above the PPR class (normally it is what vlapic_pending_vector gave).
 */
int vlapic_ack(struct vlapic *lapic, uint8_t vector);

/*
 * The vCPUs (bit per index, index < n <= 64) a message is delivered to.
 * @pre the APIC IDs of `lapics` are unique (the VM assigns them).
 *
 * Inline, because every IPI, IOAPIC and MSI message takes it: a physical
 * destination that is no broadcast is the APIC ID in every mode combination
 * (an 8-bit destination fits any ID it can name), and IDs are unique in a
 * VM and the vCPU index (vcpu.c, the xAPIC ID is read-only), so the
 * unicast's target is found by one indexed load and compare, no scan.
 * Everything else (shorthands, broadcasts, logical destinations, lowest
 * priority, an ID that is not its index) is vlapic_route_scan.
 */
/* @pre n <= 64 (vlapic_route clamps it). */
uint64_t vlapic_route_scan(struct vlapic *const *lapics, unsigned n, const struct vlapic_msg *msg);
/*
 * vlapic_route's unicast: true when `msg` is a physical unicast to the APIC
 * whose ID is its index (then *target is that index, or n when that APIC
 * is hardware-disabled: no target); false: vlapic_route_scan decides.
 * dest < n <= 64 is no broadcast. An index, not a set: the one target of
 * an IPI is found without a bit scan.
 * @pre n <= 64.
 */
static inline bool vlapic_route_unicast(struct vlapic *const *lapics, unsigned n,
					const struct vlapic_msg *msg, unsigned *target)
{
	if (msg->shorthand != VLAPIC_SH_NONE || msg->logical || msg->dest >= n ||
	    lapics[msg->dest]->apic_id != msg->dest)
		return false;
	*target = vlapic_hw_enabled(lapics[msg->dest]) ? msg->dest : n;
	return true;
}
static inline uint64_t vlapic_route(struct vlapic *const *lapics, unsigned n, const struct vlapic_msg *msg)
{
	unsigned t;
	if (n > 64)
		n = 64;
	if (!vlapic_route_unicast(lapics, n, msg, &t))
		return vlapic_route_scan(lapics, n, msg);
	return t < n ? 1ull << t : 0;
}
/* Deliver a message to this APIC (SDM 10.6, 10.8.4). */
enum vlapic_event vlapic_accept(struct vlapic *lapic, const struct vlapic_msg *msg);
/*
 * vlapic_accept() from another vCPU's context while the owner may run: a
 * fixed / lowest-priority message only ORs its bit into one IRR word (and
 * sets or clears it in TMR) with atomics, and is dropped when the APIC is
 * disabled; an illegal vector (0-15) sets Receive Illegal Vector in
 * esr_remote (the ESR itself is the owner's) and returns VLAPIC_EV_ERROR.
 * Any other delivery mode only returns its event. The caller turns each
 * event into a request bit (vm_irq.c). Nothing else of the vlapic is
 * written.
 * Inline: it is the whole of an IPI's acceptance at its target.
 */
static inline enum vlapic_event vlapic_accept_remote(struct vlapic *lapic, const struct vlapic_msg *msg)
{
	if (msg->delivery != VLAPIC_DM_FIXED && msg->delivery != VLAPIC_DM_LOWEST)
		return vlapic_accept(lapic, msg); /* writes nothing for these modes */
	/* The owner's register reads are single words: a racing change is either before or after. */
	if (!vlapic_hw_enabled(lapic))
		return VLAPIC_EV_NONE;
	/* As vlapic_accept: the illegal vector is an error even while software-disabled (10.5.3). */
	if (msg->vector < VLAPIC_FIRST_LEGAL_VECTOR) {
		(void)atomic_or32(&lapic->esr_remote, VLAPIC_ESR_RECV_ILLEGAL);
		return VLAPIC_EV_ERROR;
	}
	if (!vlapic_sw_enabled(lapic))
		return VLAPIC_EV_NONE;
	unsigned v = msg->vector;
	uint32_t bit = 1u << (v & 31u);
	/* The vector's TMR word, and its IRR word at a constant distance from it. */
	uint32_t *tmr = &lapic->page[VLAPIC_TMR0 >> 2] + (v >> 5) * VLAPIC_VEC_STRIDE;
	/* TMR before IRR: the owner that sees the IRR bit sees its trigger mode. */
	if (msg->level)
		(void)atomic_or32(tmr, bit);
	else
		(void)atomic_clear32(tmr, bit);
	(void)atomic_or32(tmr + ((VLAPIC_IRR0 - VLAPIC_TMR0) >> 2), bit);
	return VLAPIC_EV_IRR;
}
/* LVT LINT0 is an unmasked ExtINT entry: the PIC's INTR reaches the CPU (virtual wire). */
static inline bool vlapic_lint0_extint(const struct vlapic *lapic)
{
	uint32_t lvt = lapic->lvt[VLAPIC_LVT_LINT0_IDX];
	return vlapic_hw_enabled(lapic) && !(lvt & VLAPIC_LVT_MASKED) &&
	       ((lvt & VLAPIC_DM_MASK) >> VLAPIC_DM_SHIFT) == VLAPIC_DM_EXTINT;
}
/*
 * Undo vlapic_ack(vector): an interrupt whose delivery was cancelled and
 * then displaced by an exception is pending again (SDM Vol. 3A 6.15: the
 * exception is handled first, the interrupt after). ISR -> IRR.
 */
void vlapic_unack(struct vlapic *lapic, uint8_t vector);
/*
 * The LINT0/LINT1 pin (`pin` 0 or 1) was asserted: the LVT decides (fixed,
 * NMI, ExtINT for the PIC in virtual-wire mode; masked -> nothing).
 */
enum vlapic_event vlapic_lint(struct vlapic *lapic, unsigned pin);

/*
 * Bring the timer up to `now`: an expiry at or before `now` sets the timer
 * vector in IRR (unless masked) and re-arms a periodic timer (missed periods
 * coalesce into one interrupt). True if an interrupt became pending.
 */
bool vlapic_timer_advance(struct vlapic *lapic, uint64_t now);
/* Absolute time (guest TSC) of the next timer expiry, UINT64_MAX if none. */
uint64_t vlapic_next_deadline(const struct vlapic *lapic);

#endif
