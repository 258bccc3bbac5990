/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual local APIC (SDM Vol. 3A chapter 10). See vlapic.h for the model:
 * registers here, delivery to other vCPUs by the caller, time passed in.
 */
#include "vlapic.h"
#include "err.h"
#include "atomic.h"

/* Writable bits of each register (SDM Figures 10-8, 10-13, 10-18, 10-23). */
#define LVT_TIMER_BITS 0x000700ffu  /* vector, mask, timer mode */
#define LVT_DM_BITS 0x000107ffu     /* vector, delivery mode, mask (thermal, perf) */
#define LVT_LINT_BITS 0x0001a7ffu   /* + polarity (13), trigger mode (15) */
#define LVT_ERROR_BITS 0x000100ffu  /* vector, mask */
#define LVT_DELIVERY_STATUS (1u << 12)
#define TPR_BITS 0xffu
#define SVR_BITS 0x3ffu             /* vector, APIC enable, focus check (no EOI suppression) */
#define DCR_BITS 0xbu
#define XAPIC_ID_SHIFT 24
#define XAPIC_LDR_BITS 0xff000000u
#define XAPIC_DFR_BITS 0xf0000000u
#define DFR_LOW_ONES 0x0fffffffu
#define DFR_MODEL_FLAT 0xfu
#define DFR_MODEL_CLUSTER 0x0u
#define XAPIC_ICR_LO_BITS 0x000ccfffu  /* vector..dest mode, level, trigger, shorthand */
#define XAPIC_ICR_HI_BITS 0xff000000u
#define LVT_TIMER_MODE_BITS (3u << VLAPIC_TIMER_MODE_SHIFT)
#define TIMER_MODE_RESERVED 3u
#define BASE_FIXED_RESERVED 0x2ffull   /* bits 7:0 and 9 of IA32_APIC_BASE */
#define XAPIC_BROADCAST VLAPIC_XAPIC_BROADCAST
#define X2APIC_BROADCAST VLAPIC_X2APIC_BROADCAST
#define FIRST_LEGAL_VECTOR VLAPIC_FIRST_LEGAL_VECTOR
#define NO_VECTOR (-1)

enum apic_mode { MODE_DISABLED, MODE_INVALID, MODE_XAPIC, MODE_X2APIC };

/* ---- bitmaps of 256 vectors in 8 words of 32 bits (the register layout) ---- */

/*
 * Atomic read-modify-writes: another vCPU may OR a bit into the same IRR /
 * TMR word at any time (vlapic_accept_remote); a plain |= or &= of the
 * owner could write back a word without it.
 */
#define W(v) (((v) >> 5) * VLAPIC_VEC_STRIDE) /* the word of vector v in the page */
static void vec_set(uint32_t *a, unsigned v) { (void)atomic_or32(&a[W(v)], 1u << (v & 31u)); }
static void vec_clear(uint32_t *a, unsigned v) { (void)atomic_clear32(&a[W(v)], 1u << (v & 31u)); }
static bool vec_test(const uint32_t *a, unsigned v) { return (a[W(v)] >> (v & 31u)) & 1u; }

static int vec_highest(const uint32_t *a)
{
	/* Both halves in one test each: an empty array (the usual ISR) costs no loop. */
	uint32_t hi = a[16] | a[20] | a[24] | a[28], lo = a[0] | a[4] | a[8] | a[12];
	if (!(hi | lo))
		return NO_VECTOR;
	int w = hi ? 7 : 3;
	while (!a[w * VLAPIC_VEC_STRIDE])
		w--;
	return w * 32 + 31 - __builtin_clz(a[w * VLAPIC_VEC_STRIDE]); /* BSR, no library call */
}

/* The registers in the page (vlapic.h: struct vlapic). */
#define REG(l, off) ((l)->page[(off) >> 2])
#define ISR(l) (&(l)->page[VLAPIC_ISR0 >> 2])
#define TMR(l) (&(l)->page[VLAPIC_TMR0 >> 2])
#define IRR(l) (&(l)->page[VLAPIC_IRR0 >> 2])

/* Core's copies, stored through to the page (vlapic.h). */
static void lvt_store(struct vlapic *l, unsigned idx, uint32_t v)
{
	l->lvt[idx] = v;
	REG(l, VLAPIC_LVT_TIMER + (idx << 4)) = v;
}
static void icr_store(struct vlapic *l, uint32_t v)
{
	l->timer_icr = v;
	REG(l, VLAPIC_TIMER_ICR) = v;
}
static void dcr_store(struct vlapic *l, uint32_t v)
{
	l->timer_dcr = v;
	REG(l, VLAPIC_TIMER_DCR) = v;
}

static unsigned prio_class(int v) { return v < 0 ? 0u : (unsigned)v >> 4; }

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

/* ---- modes ---- */

static enum apic_mode base_mode(uint64_t base)
{
	bool en = base & VLAPIC_BASE_EN, extd = base & VLAPIC_BASE_EXTD;
	if (!en)
		return extd ? MODE_INVALID : MODE_DISABLED;
	return extd ? MODE_X2APIC : MODE_XAPIC;
}

bool vlapic_x2apic(const struct vlapic *lapic) { return base_mode(lapic->apic_base) == MODE_X2APIC; }

/* x2APIC logical ID: cluster ID[31:4] in bits 31:16, 1 << ID[3:0] (SDM 10.12.10.2). */
static uint32_t x2apic_ldr(uint32_t id) { return ((id >> 4) << 16) | (1u << (id & 0xfu)); }

static void reset_regs(struct vlapic *l)
{
	for (unsigned i = 0; i < VLAPIC_PAGE_SIZE / 4; i++)
		l->page[i] = 0;
	/* What the CPU reads from the page for ID and version (xAPIC format, 10.4.6). */
	REG(l, VLAPIC_ID) = l->apic_id << XAPIC_ID_SHIFT;
	REG(l, VLAPIC_VERSION) = VLAPIC_VERSION_VALUE;
	REG(l, VLAPIC_LDR) = vlapic_x2apic(l) ? x2apic_ldr(l->apic_id) : 0;
	REG(l, VLAPIC_DFR) = 0xffffffffu;
	REG(l, VLAPIC_SVR) = VLAPIC_SVR_RESET;
	l->isr_top = NO_VECTOR;
	l->esr_pending = 0;
	atomic_store32(&l->esr_remote, 0);
	for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++)
		lvt_store(l, i, VLAPIC_LVT_MASKED);
	icr_store(l, 0);
	dcr_store(l, 0);
	l->timer_base_time = 0;
	l->timer_base_count = 0;
	l->timer_next = 0;
	l->tsc_deadline = 0;
}

void vlapic_init(struct vlapic *lapic, unsigned index, uint32_t apic_id, bool bsp,
		 uint32_t tsc_per_tick)
{
	lapic->index = index;
	lapic->apic_id = apic_id;
	lapic->tsc_per_tick = tsc_per_tick ? tsc_per_tick : 1u;
	lapic->apic_base = VLAPIC_BASE_ADDR_DEFAULT | VLAPIC_BASE_EN | (bsp ? VLAPIC_BASE_BSP : 0);
	reset_regs(lapic);
}

void vlapic_init_reset(struct vlapic *lapic)
{
	/* INIT keeps the APIC ID and IA32_APIC_BASE, x2APIC mode included (10.12.5.2). */
	reset_regs(lapic);
}

void vlapic_virtual_wire(struct vlapic *lapic)
{
	REG(lapic, VLAPIC_SVR) = VLAPIC_SVR_ENABLE | VLAPIC_SVR_RESET;
	lvt_store(lapic, VLAPIC_LVT_LINT0_IDX, VLAPIC_DM_EXTINT << VLAPIC_DM_SHIFT);
	lvt_store(lapic, VLAPIC_LVT_LINT1_IDX, VLAPIC_DM_NMI << VLAPIC_DM_SHIFT);
}

/* ---- priorities, SDM 10.8.3.1 ---- */

uint32_t vlapic_ppr(const struct vlapic *lapic)
{
	int isrv = lapic->isr_top;
	if ((REG(lapic, VLAPIC_TPR) >> 4) >= prio_class(isrv))
		return REG(lapic, VLAPIC_TPR);
	return (uint32_t)isrv & 0xf0u;
}

/* Arbitration priority for lowest-priority delivery (SDM 10.6.2.4, Figure 10-15). */
uint32_t vlapic_apr(const struct vlapic *lapic)
{
	unsigned tpr_c = REG(lapic, VLAPIC_TPR) >> 4;
	unsigned isr_c = prio_class(lapic->isr_top);
	unsigned irr_c = prio_class(vec_highest(IRR(lapic)));
	if (tpr_c >= irr_c && tpr_c > isr_c)
		return REG(lapic, VLAPIC_TPR);
	unsigned m = tpr_c > isr_c ? tpr_c : isr_c;
	if (irr_c > m)
		m = irr_c;
	return m << 4;
}

int vlapic_pending_vector(const struct vlapic *lapic)
{
	if (!vlapic_hw_enabled(lapic))
		return NO_VECTOR;
	int v = vec_highest(IRR(lapic));
	if (v < 0 || prio_class(v) <= (vlapic_ppr(lapic) >> 4))
		return NO_VECTOR;
	return v;
}

int vlapic_ack(struct vlapic *lapic, uint8_t vector)
{
	/* The caller takes what vlapic_pending_vector() offered: pending and above PPR. */
	if (!vlapic_hw_enabled(lapic) || !vec_test(IRR(lapic), vector) ||
	    prio_class(vector) <= (vlapic_ppr(lapic) >> 4))
		return -TERN_EINVAL;
	vec_clear(IRR(lapic), vector);
	vec_set(ISR(lapic), vector);
	lapic->isr_top = vector; /* above the PPR, so above everything in service */
	return 0;
}

uint64_t vlapic_cr8_read(const struct vlapic *lapic) { return REG(lapic, VLAPIC_TPR) >> 4; }
void vlapic_cr8_write(struct vlapic *lapic, uint64_t cr8) { REG(lapic, VLAPIC_TPR) = (uint32_t)(cr8 & 0xfu) << 4; }

/* ---- local delivery and errors ---- */

static void set_irr(struct vlapic *l, unsigned vector, bool level)
{
	vec_set(IRR(l), vector);
	if (level) {
		vec_set(TMR(l), vector);
	} else {
		vec_clear(TMR(l), vector);
	}
}

/*
 * Log an error and signal it through the LVT error entry (SDM 10.5.3). An
 * illegal vector in the error LVT itself is logged but not delivered, so an
 * error cannot recurse.
 */
static void raise_error(struct vlapic *l, uint32_t bits)
{
	l->esr_pending |= bits;
	uint32_t lvt = l->lvt[VLAPIC_LVT_ERROR_IDX];
	if (lvt & VLAPIC_LVT_MASKED)
		return;
	unsigned v = lvt & VLAPIC_VECTOR_MASK;
	if (v < FIRST_LEGAL_VECTOR) {
		l->esr_pending |= VLAPIC_ESR_RECV_ILLEGAL;
		return;
	}
	set_irr(l, v, false);
}

void vlapic_take_remote_errors(struct vlapic *lapic)
{
	uint32_t e = atomic_xchg32(&lapic->esr_remote, 0);
	if (e)
		raise_error(lapic, e);
}

/* A fixed interrupt from this APIC's own LVT (timer, error, LINT). */
static enum vlapic_event local_fixed(struct vlapic *l, unsigned vector, bool level)
{
	if (vector < FIRST_LEGAL_VECTOR) {
		raise_error(l, VLAPIC_ESR_RECV_ILLEGAL);
		return VLAPIC_EV_NONE;
	}
	set_irr(l, vector, level);
	return VLAPIC_EV_IRR;
}

/* ---- the timer, SDM 10.5.4 ---- */

static unsigned timer_mode(const struct vlapic *l)
{
	return (l->lvt[VLAPIC_LVT_TIMER_IDX] >> VLAPIC_TIMER_MODE_SHIFT) & 3u;
}

/* TSC ticks per count: divide value 1..128 from DCR bits 3,1:0 (Figure 10-10). */
static uint64_t timer_tpc(const struct vlapic *l)
{
	unsigned code = (l->timer_dcr & 3u) | ((l->timer_dcr >> 1) & 4u);
	return (uint64_t)l->tsc_per_tick << ((code + 1u) & 7u);
}

static uint32_t timer_current(const struct vlapic *l, uint64_t now)
{
	unsigned mode = timer_mode(l);
	if (mode == VLAPIC_TIMER_TSC_DEADLINE || mode == TIMER_MODE_RESERVED || !l->timer_base_count)
		return 0;
	uint64_t ticks = now > l->timer_base_time ? (now - l->timer_base_time) / timer_tpc(l) : 0;
	if (ticks < l->timer_base_count)
		return l->timer_base_count - (uint32_t)ticks;
	if (mode == VLAPIC_TIMER_ONESHOT)
		return 0;
	/* periodic: a running count (timer_base_count > 0) implies timer_icr >= it */
	uint64_t e = ticks - l->timer_base_count;
	return l->timer_icr - (uint32_t)(e % l->timer_icr);
}

/* Start counting down `count` from `now`. */
static void timer_start(struct vlapic *l, uint32_t count, uint64_t now)
{
	l->timer_base_time = now;
	l->timer_base_count = count;
	l->timer_next = count ? sat_add(now, (uint64_t)count * timer_tpc(l)) : 0;
}

static void timer_stop(struct vlapic *l)
{
	l->timer_base_count = 0;
	l->timer_next = 0;
	l->tsc_deadline = 0;
}

static bool timer_fire(struct vlapic *l)
{
	uint32_t lvt = l->lvt[VLAPIC_LVT_TIMER_IDX];
	if (lvt & VLAPIC_LVT_MASKED)
		return false; /* the count runs on; no interrupt (10.5.4) */
	return local_fixed(l, lvt & VLAPIC_VECTOR_MASK, false) == VLAPIC_EV_IRR;
}

bool vlapic_timer_advance(struct vlapic *lapic, uint64_t now)
{
	unsigned mode = timer_mode(lapic);
	if (mode == VLAPIC_TIMER_TSC_DEADLINE) {
		if (!lapic->tsc_deadline || now < lapic->tsc_deadline)
			return false;
		lapic->tsc_deadline = 0; /* one expiry disarms (10.5.4.1) */
		return timer_fire(lapic);
	}
	if (!lapic->timer_next || now < lapic->timer_next)
		return false;
	if (mode == VLAPIC_TIMER_PERIODIC) {
		/* armed implies timer_icr > 0 (timer_start from a count <= timer_icr) */
		uint64_t period = (uint64_t)lapic->timer_icr * timer_tpc(lapic);
		uint64_t missed = (now - lapic->timer_next) / period;
		lapic->timer_next = sat_add(sat_add(lapic->timer_next, missed * period), period);
	} else {
		lapic->timer_next = 0;
	}
	return timer_fire(lapic);
}

uint64_t vlapic_next_deadline(const struct vlapic *lapic)
{
	uint64_t t = timer_mode(lapic) == VLAPIC_TIMER_TSC_DEADLINE ? lapic->tsc_deadline
								   : lapic->timer_next;
	return t ? t : UINT64_MAX;
}

uint64_t vlapic_tsc_deadline_read(const struct vlapic *lapic)
{
	return timer_mode(lapic) == VLAPIC_TIMER_TSC_DEADLINE ? lapic->tsc_deadline : 0;
}

void vlapic_tsc_deadline_write(struct vlapic *lapic, uint64_t value, uint64_t now)
{
	(void)now;
	if (timer_mode(lapic) != VLAPIC_TIMER_TSC_DEADLINE)
		return;
	lapic->tsc_deadline = value; /* 0 disarms; a past value expires at once */
}

static void write_dcr(struct vlapic *l, uint32_t value, uint64_t now)
{
	/* A new divisor applies from the current count on: re-base a running count. */
	(void)vlapic_timer_advance(l, now);
	uint32_t cur = timer_current(l, now);
	dcr_store(l, value);
	if (cur) /* only a running count is non-zero */
		timer_start(l, cur, now);
}

static void write_lvt_timer(struct vlapic *l, uint32_t value)
{
	unsigned old_mode = timer_mode(l);
	unsigned new_mode = (value >> VLAPIC_TIMER_MODE_SHIFT) & 3u;
	if (new_mode == TIMER_MODE_RESERVED) {
		/* xAPIC: the reserved mode is not taken, the old one stays. */
		value = (value & ~LVT_TIMER_MODE_BITS) | (old_mode << VLAPIC_TIMER_MODE_SHIFT);
		new_mode = old_mode;
	}
	lvt_store(l, VLAPIC_LVT_TIMER_IDX, value);
	if (new_mode != old_mode)
		timer_stop(l); /* a mode change disarms the timer (10.5.4.1) */
}

/* ---- EOI ---- */

static int do_eoi(struct vlapic *l)
{
	int v = l->isr_top;
	if (v < 0)
		return NO_VECTOR;
	vec_clear(ISR(l), (unsigned)v);
	l->isr_top = vec_highest(ISR(l));
	for (unsigned i = VLAPIC_LVT_LINT0_IDX; i <= VLAPIC_LVT_LINT1_IDX; i++) {
		if ((l->lvt[i] & VLAPIC_VECTOR_MASK) == (uint32_t)v) {
			lvt_store(l, i, l->lvt[i] & ~VLAPIC_LVT_REMOTE_IRR);
		}
	}
	/* A level-triggered vector's EOI goes to the IOAPICs (SDM 10.8.5). */
	return vec_test(TMR(l), (unsigned)v) ? v : NO_VECTOR;
}

/* ---- IPIs: ICR, SDM 10.6.1 ---- */

#define SH_BIT(dm, sh) (1u << ((dm) * 4u + (sh)))
/* No shorthand or all excluding self: the only shorthands every sending mode may use. */
#define SH_NOT_SELF(dm) (SH_BIT(dm, VLAPIC_SH_NONE) | SH_BIT(dm, VLAPIC_SH_OTHERS))
#define IPI_SENDS                                                                                      \
	(SH_NOT_SELF(VLAPIC_DM_FIXED) | SH_BIT(VLAPIC_DM_FIXED, VLAPIC_SH_SELF) |                       \
	 SH_BIT(VLAPIC_DM_FIXED, VLAPIC_SH_ALL) | SH_NOT_SELF(VLAPIC_DM_LOWEST) |                      \
	 SH_NOT_SELF(VLAPIC_DM_NMI) | SH_NOT_SELF(VLAPIC_DM_INIT) | SH_NOT_SELF(VLAPIC_DM_SIPI))

/*
 * Always inline, like reg_write below: each entry point (xAPIC page, APIC
 * write, x2APIC MSR) gets its own copy specialised for its mode, one
 * source, no call layers on an IPI (make bench, bench_irq_exits).
 */
__attribute__((always_inline)) static inline void send_ipi(struct vlapic *l, uint32_t lo, uint32_t dest, bool x2,
							   struct vlapic_result *res)
{
	unsigned dm = (lo & VLAPIC_DM_MASK) >> VLAPIC_DM_SHIFT;
	unsigned vec = lo & VLAPIC_VECTOR_MASK;
	unsigned sh = (lo >> VLAPIC_ICR_SH_SHIFT) & 3u;

	if ((dm == VLAPIC_DM_FIXED || dm == VLAPIC_DM_LOWEST) && vec < FIRST_LEGAL_VECTOR) {
		raise_error(l, VLAPIC_ESR_SEND_ILLEGAL);
		return;
	}
	/*
	 * What is sent, one bit per (delivery mode, shorthand): SMI is refused
	 * (guests get no SMM from Tern), modes 3 and 7 are reserved, and SDM
	 * Table 10-3's invalid combinations send nothing: self and all
	 * including self take only fixed (lowest priority, NMI, INIT and
	 * SIPI there are invalid, so an INIT to all including self never
	 * resets the sender).
	 */
	if (!((IPI_SENDS >> (dm * 4u + sh)) & 1u))
		return;
	/* INIT level de-assert only synchronises arbitration IDs (10.6.1): nothing to do. */
	if ((lo & (VLAPIC_DM_MASK | VLAPIC_TRIGGER_LEVEL | VLAPIC_ICR_ASSERT)) ==
	    (VLAPIC_DM_INIT << VLAPIC_DM_SHIFT | VLAPIC_TRIGGER_LEVEL))
		return;
	res->send = true;
	/*
	 * The trigger mode selects only INIT level de-assert (SDM Vol. 3A
	 * 10.6.1, handled above): every IPI is edge-triggered at its target,
	 * no TMR bit, no EOI broadcast to the IOAPICs for it. One assignment
	 * of the whole message: no field is left from an earlier one.
	 */
	res->msg = (struct vlapic_msg){
		.vector = (uint8_t)vec,
		.delivery = (uint8_t)dm,
		.shorthand = (uint8_t)sh,
		.logical = lo & VLAPIC_ICR_LOGICAL,
		.level = (lo & (VLAPIC_DM_MASK | VLAPIC_TRIGGER_LEVEL)) ==
			 (VLAPIC_DM_INIT << VLAPIC_DM_SHIFT | VLAPIC_TRIGGER_LEVEL),
		.assert = true,
		.x2apic = x2,
		.dest = dest,
		.src = (uint8_t)l->index,
	};
}

/* ---- delivery: routing and acceptance, SDM 10.6.2 ---- */

/* Broadcasts and logical destinations (a physical unicast is matched by ID in vlapic_route). */
static bool match_dest(const struct vlapic *l, const struct vlapic_msg *m)
{
	if (vlapic_x2apic(l) && m->x2apic) {
		if (m->dest == X2APIC_BROADCAST)
			return true;
		if (!m->logical)
			return m->dest == l->apic_id;
		uint32_t ldr = x2apic_ldr(l->apic_id);
		return (m->dest >> 16) == (ldr >> 16) && (m->dest & ldr & 0xffffu);
	}
	uint32_t d = m->dest;
	if (m->x2apic && d == X2APIC_BROADCAST)
		return true;
	if (d > XAPIC_BROADCAST)
		return false;
	if (d == XAPIC_BROADCAST)
		return true;
	/* A physical destination that is no broadcast was vlapic_route's. */
	if (vlapic_x2apic(l))
		return false; /* an 8-bit logical destination means nothing to an x2APIC */
	uint32_t ldr8 = REG(l, VLAPIC_LDR) >> 24;
	switch (REG(l, VLAPIC_DFR) >> 28) {
	case DFR_MODEL_FLAT:
		return (d & ldr8) != 0;
	case DFR_MODEL_CLUSTER:
		return (d >> 4) == (ldr8 >> 4) && (d & ldr8 & 0xfu);
	default:
		return false; /* reserved model */
	}
}

/* Every APIC in turn (vlapic_route, vlapic.h, took the unicast to the ID that is its index). */
uint64_t vlapic_route_scan(struct vlapic *const *lapics, unsigned n, const struct vlapic_msg *msg)
{
	/*
	 * A physical destination that is no broadcast is the APIC ID in every
	 * mode combination (8-bit destinations fit any ID they can name).
	 */
	bool unicast = msg->shorthand == VLAPIC_SH_NONE && !msg->logical && msg->dest != XAPIC_BROADCAST &&
		       msg->dest != X2APIC_BROADCAST;
	uint64_t set = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct vlapic *l = lapics[i];
		if (unicast) {
			if (l->apic_id == msg->dest && vlapic_hw_enabled(l))
				set |= 1ull << i;
			continue;
		}
		if (!vlapic_hw_enabled(l))
			continue;
		bool hit;
		switch (msg->shorthand) {
		case VLAPIC_SH_SELF:
			hit = i == msg->src;
			break;
		case VLAPIC_SH_ALL:
			hit = true;
			break;
		case VLAPIC_SH_OTHERS:
			hit = i != msg->src;
			break;
		default:
			hit = match_dest(l, msg);
			break;
		}
		if (hit)
			set |= 1ull << i;
	}
	if (msg->delivery != VLAPIC_DM_LOWEST || !set)
		return set;
	/* Lowest priority: the enabled target with the lowest APR; ties to the lowest index. */
	unsigned best = 64;
	uint32_t best_apr = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!((set >> i) & 1u) || !vlapic_sw_enabled(lapics[i]))
			continue;
		uint32_t apr = vlapic_apr(lapics[i]);
		if (best == 64 || apr < best_apr) {
			best = i;
			best_apr = apr;
		}
	}
	return best == 64 ? 0 : 1ull << best;
}

enum vlapic_event vlapic_accept(struct vlapic *lapic, const struct vlapic_msg *msg)
{
	if (!vlapic_hw_enabled(lapic))
		return VLAPIC_EV_NONE;
	switch (msg->delivery) {
	case VLAPIC_DM_FIXED:
	case VLAPIC_DM_LOWEST:
		if (msg->vector < FIRST_LEGAL_VECTOR) {
			raise_error(lapic, VLAPIC_ESR_RECV_ILLEGAL);
			return VLAPIC_EV_NONE;
		}
		/* A software-disabled APIC takes only NMI, INIT, SIPI (10.4.7.2). */
		if (!vlapic_sw_enabled(lapic))
			return VLAPIC_EV_NONE;
		set_irr(lapic, msg->vector, msg->level);
		return VLAPIC_EV_IRR;
	case VLAPIC_DM_NMI:
		return VLAPIC_EV_NMI;
	case VLAPIC_DM_INIT:
		return msg->assert ? VLAPIC_EV_INIT : VLAPIC_EV_NONE;
	case VLAPIC_DM_SIPI:
		return VLAPIC_EV_SIPI;
	case VLAPIC_DM_EXTINT:
		return VLAPIC_EV_EXTINT;
	default:
		return VLAPIC_EV_NONE; /* SMI refused, reserved modes dropped */
	}
}

void vlapic_unack(struct vlapic *lapic, uint8_t vector)
{
	if (!vec_test(ISR(lapic), vector))
		return;
	vec_clear(ISR(lapic), vector);
	vec_set(IRR(lapic), vector);
	lapic->isr_top = vec_highest(ISR(lapic));
}

enum vlapic_event vlapic_lint(struct vlapic *lapic, unsigned pin)
{
	if (pin > 1 || !vlapic_hw_enabled(lapic))
		return VLAPIC_EV_NONE;
	const uint32_t *lvt = &lapic->lvt[VLAPIC_LVT_LINT0_IDX + pin];
	if (*lvt & VLAPIC_LVT_MASKED)
		return VLAPIC_EV_NONE;
	switch ((*lvt & VLAPIC_DM_MASK) >> VLAPIC_DM_SHIFT) {
	case VLAPIC_DM_FIXED: {
		bool level = *lvt & VLAPIC_TRIGGER_LEVEL;
		/* A level interrupt is not taken again until its EOI clears remote IRR. */
		if (level && (*lvt & VLAPIC_LVT_REMOTE_IRR))
			return VLAPIC_EV_NONE;
		enum vlapic_event ev = local_fixed(lapic, *lvt & VLAPIC_VECTOR_MASK, level);
		if (ev == VLAPIC_EV_IRR && level)
			lvt_store(lapic, VLAPIC_LVT_LINT0_IDX + pin, *lvt | VLAPIC_LVT_REMOTE_IRR);
		return ev;
	}
	case VLAPIC_DM_NMI:
		return VLAPIC_EV_NMI;
	case VLAPIC_DM_EXTINT:
		return VLAPIC_EV_EXTINT;
	case VLAPIC_DM_INIT:
		return VLAPIC_EV_INIT;
	default:
		return VLAPIC_EV_NONE; /* SMI refused; reserved */
	}
}

/* ---- register file ---- */

/*
 * Fit a written value to the writable bits: x2APIC refuses reserved bits
 * (#GP, SDM 10.12.1.3), xAPIC ignores them.
 */
static bool fit(bool x2, uint32_t *value, uint32_t bits)
{
	if (x2 && (*value & ~bits))
		return false;
	*value &= bits;
	return true;
}

static uint32_t lvt_bits(unsigned idx)
{
	switch (idx) {
	case VLAPIC_LVT_TIMER_IDX:
		return LVT_TIMER_BITS;
	case VLAPIC_LVT_LINT0_IDX:
	case VLAPIC_LVT_LINT1_IDX:
		return LVT_LINT_BITS;
	case VLAPIC_LVT_ERROR_IDX:
		return LVT_ERROR_BITS;
	default:
		return LVT_DM_BITS;
	}
}

/* Read register `off` (a 16-byte aligned offset < 0x400). False: no such register. */
static bool reg_read(struct vlapic *l, uint32_t off, uint64_t now, bool x2, uint32_t *v)
{
	if (off >= VLAPIC_ISR0 && off < VLAPIC_ESR) {
		unsigned w = ((off - VLAPIC_ISR0) >> 4) & 7u;
		const uint32_t *a = off < VLAPIC_TMR0 ? ISR(l) : off < VLAPIC_IRR0 ? TMR(l) : IRR(l);
		*v = a[w * VLAPIC_VEC_STRIDE];
		return true;
	}
	if (off >= VLAPIC_LVT_TIMER && off <= VLAPIC_LVT_ERROR) {
		*v = l->lvt[(off - VLAPIC_LVT_TIMER) >> 4];
		return true;
	}
	switch (off) {
	case VLAPIC_ID:
		*v = x2 ? l->apic_id : l->apic_id << XAPIC_ID_SHIFT;
		return true;
	case VLAPIC_VERSION:
		*v = VLAPIC_VERSION_VALUE;
		return true;
	case VLAPIC_TPR:
		*v = REG(l, VLAPIC_TPR);
		return true;
	case VLAPIC_APR:
		*v = vlapic_apr(l);
		return !x2; /* no APR in x2APIC mode (Table 10-6) */
	case VLAPIC_PPR:
		*v = vlapic_ppr(l);
		return true;
	case VLAPIC_RRD:
		*v = 0; /* remote read is not supported */
		return !x2;
	case VLAPIC_LDR:
		*v = REG(l, VLAPIC_LDR);
		return true;
	case VLAPIC_DFR:
		*v = REG(l, VLAPIC_DFR);
		return !x2;
	case VLAPIC_SVR:
		*v = REG(l, VLAPIC_SVR);
		return true;
	case VLAPIC_ESR:
		*v = REG(l, VLAPIC_ESR);
		return true;
	case VLAPIC_ICR_LO:
		*v = REG(l, VLAPIC_ICR_LO);
		return true;
	case VLAPIC_ICR_HI:
		*v = REG(l, VLAPIC_ICR_HI);
		return !x2;
	case VLAPIC_TIMER_ICR:
		*v = l->timer_icr;
		return true;
	case VLAPIC_TIMER_CCR:
		(void)vlapic_timer_advance(l, now);
		*v = timer_current(l, now);
		return true;
	case VLAPIC_TIMER_DCR:
		*v = l->timer_dcr;
		return true;
	case VLAPIC_EOI:
		*v = 0;
		return !x2; /* write-only: 0 in xAPIC mode, #GP in x2APIC mode */
	default:
		*v = 0;
		return false;
	}
}

/*
 * Write register `off` but EOI, the ICR and SELF IPI (reg_write). False: no
 * such register, read-only (x2APIC), or a reserved bit set (x2APIC). Out of
 * line, one copy for both modes: these writes are rare, and the always
 * inline reg_write stays small in each of its callers.
 */
__attribute__((noinline)) static bool reg_write_other(struct vlapic *l, uint32_t off, uint32_t v, uint64_t now,
						      bool x2)
{
	if (off >= VLAPIC_LVT_TIMER && off <= VLAPIC_LVT_ERROR) {
		unsigned idx = (off - VLAPIC_LVT_TIMER) >> 4;
		/* Delivery status and remote IRR are read-only, not reserved: a write ignores them. */
		v &= ~(LVT_DELIVERY_STATUS | VLAPIC_LVT_REMOTE_IRR);
		if (!fit(x2, &v, lvt_bits(idx)))
			return false;
		if (x2 && idx == VLAPIC_LVT_TIMER_IDX &&
		    ((v >> VLAPIC_TIMER_MODE_SHIFT) & 3u) == TIMER_MODE_RESERVED)
			return false;
		/* Software-disabled: the mask bits stay set (10.4.7.2). */
		if (!vlapic_sw_enabled(l)) {
			v |= VLAPIC_LVT_MASKED;
		}
		if (idx == VLAPIC_LVT_TIMER_IDX) {
			write_lvt_timer(l, v);
		} else {
			lvt_store(l, idx, v | (l->lvt[idx] & VLAPIC_LVT_REMOTE_IRR));
		}
		return true;
	}
	switch (off) {
	case VLAPIC_TPR:
		if (!fit(x2, &v, TPR_BITS))
			return false;
		REG(l, VLAPIC_TPR) = v;
		return true;
	case VLAPIC_LDR:
		if (x2)
			return false; /* read-only, derived from the x2APIC ID */
		REG(l, VLAPIC_LDR) = v & XAPIC_LDR_BITS;
		return true;
	case VLAPIC_DFR:
		if (x2)
			return false;
		REG(l, VLAPIC_DFR) = (v & XAPIC_DFR_BITS) | DFR_LOW_ONES;
		return true;
	case VLAPIC_SVR:
		if (!fit(x2, &v, SVR_BITS))
			return false;
		REG(l, VLAPIC_SVR) = v;
		if (!(v & VLAPIC_SVR_ENABLE)) {
			for (unsigned i = 0; i < VLAPIC_LVT_COUNT; i++) {
				lvt_store(l, i, l->lvt[i] | VLAPIC_LVT_MASKED);
			}
		}
		return true;
	case VLAPIC_ESR:
		if (x2 && v)
			return false;
		/* A write latches the errors since the last write and clears them (10.5.3). */
		REG(l, VLAPIC_ESR) = l->esr_pending;
		l->esr_pending = 0;
		return true;
	case VLAPIC_ICR_HI:
		if (x2)
			return false;
		REG(l, VLAPIC_ICR_HI) = v & XAPIC_ICR_HI_BITS;
		return true;
	case VLAPIC_TIMER_ICR:
		if (timer_mode(l) != VLAPIC_TIMER_TSC_DEADLINE) {
			icr_store(l, v);
			timer_start(l, v, now); /* 0 stops the timer */
		} else {
			REG(l, VLAPIC_TIMER_ICR) = l->timer_icr; /* an APIC write put v there */
		}
		return true; /* ignored in TSC-deadline mode (10.5.4.1) */
	case VLAPIC_TIMER_DCR:
		if (!fit(x2, &v, DCR_BITS))
			return false;
		write_dcr(l, v, now);
		return true;
	case VLAPIC_ID:
	case VLAPIC_VERSION:
	case VLAPIC_APR:
	case VLAPIC_PPR:
	case VLAPIC_RRD:
	case VLAPIC_TIMER_CCR:
		return !x2; /* read-only: ignored in xAPIC mode, #GP in x2APIC mode */
	default:
		/* ISR/TMR/IRR are read-only too; anything else is no register. */
		if (off >= VLAPIC_ISR0 && off < VLAPIC_ESR)
			return !x2;
		return false;
	}
}


/*
 * Write register `off`. False: no such register, read-only (x2APIC), or a
 * reserved bit set (x2APIC). `hi` is the upper half of an x2APIC ICR write.
 * Always inline into its three callers for the writes that count, EOI and
 * the ICR: `x2` is then a constant in each and they make no call here
 * (about 1 KiB of text for 14-40 instructions per write); every other
 * register is reg_write_other's.
 */
__attribute__((always_inline)) static inline bool reg_write(struct vlapic *l, uint32_t off, uint32_t v,
							    uint32_t hi, uint64_t now, bool x2,
							    struct vlapic_result *res)
{
	uint32_t dest;
	/* EOI first: the most frequent write by far (every interrupt handler ends with one). */
	if (off == VLAPIC_EOI) {
		if (x2 && v)
			return false; /* WRMSR of a non-zero value: #GP (Table 10-6) */
		res->eoi_vector = do_eoi(l);
		REG(l, VLAPIC_EOI) = 0; /* reads 0; an APIC write put v there (SDM 29.4.3.1) */
		return true;
	}
	/* The ICR next: every IPI (x2APIC: hi is the destination, 10.12.9). */
	if (off == VLAPIC_ICR_LO) {
		if (!fit(x2, &v, XAPIC_ICR_LO_BITS))
			return false;
		REG(l, VLAPIC_ICR_LO) = v;
		if (x2)
			REG(l, VLAPIC_ICR_HI) = hi;
		dest = x2 ? hi : REG(l, VLAPIC_ICR_HI) >> XAPIC_ID_SHIFT;
	} else if (x2 && off == VLAPIC_SELF_IPI) {
		/* x2APIC only (10.12.11): a fixed IPI to self, vector in bits 7:0. */
		if (v & ~VLAPIC_VECTOR_MASK)
			return false;
		v |= VLAPIC_SH_SELF << VLAPIC_ICR_SH_SHIFT;
		dest = 0;
	} else {
		return reg_write_other(l, off, v, now, x2);
	}
	send_ipi(l, v, dest, x2, res);
	return true;
}

static void result_clear(struct vlapic_result *res)
{
	res->send = false;
	res->eoi_vector = NO_VECTOR;
}

/* ---- xAPIC MMIO ---- */

int vlapic_mmio_read(struct vlapic *lapic, uint32_t offset, uint64_t now, uint32_t *value)
{
	*value = 0;
	if (base_mode(lapic->apic_base) != MODE_XAPIC)
		return -TERN_ENODEV;
	if (offset >= VLAPIC_PAGE_SIZE || (offset & 0xfu) || !reg_read(lapic, offset, now, false, value))
		raise_error(lapic, VLAPIC_ESR_ILLEGAL_REG);
	return 0;
}

int vlapic_mmio_write(struct vlapic *lapic, uint32_t offset, uint32_t value, uint64_t now,
		      struct vlapic_result *res)
{
	result_clear(res);
	if (base_mode(lapic->apic_base) != MODE_XAPIC)
		return -TERN_ENODEV;
	if (offset >= VLAPIC_PAGE_SIZE || (offset & 0xfu) ||
	    !reg_write(lapic, offset, value, 0, now, false, res))
		raise_error(lapic, VLAPIC_ESR_ILLEGAL_REG);
	return 0;
}

/* ---- APIC virtualization, SDM Vol. 3C 29.4 ---- */

#define APIC_VIRT_REG_BYTES 4u
#define REG_BIT(off) (1ull << ((off) >> 4))
/*
 * The registers of APIC-write exits, one bit per 16-byte register of the
 * first 1 KiB (29.4.3.1 less TPR): ID, EOI, LDR, DFR, SVR, ESR, ICR low and
 * high, the six LVTs, the initial count and the DCR. A mask, not a switch:
 * every APIC-write exit tests it.
 */
#define APIC_WRITE_REGS                                                                       \
	(REG_BIT(VLAPIC_ID) | REG_BIT(VLAPIC_EOI) | REG_BIT(VLAPIC_LDR) | REG_BIT(VLAPIC_DFR) |  \
	 REG_BIT(VLAPIC_SVR) | REG_BIT(VLAPIC_ESR) | REG_BIT(VLAPIC_ICR_LO) |                    \
	 REG_BIT(VLAPIC_ICR_HI) | REG_BIT(VLAPIC_LVT_TIMER) | REG_BIT(VLAPIC_LVT_THERMAL) |      \
	 REG_BIT(VLAPIC_LVT_PERF) | REG_BIT(VLAPIC_LVT_LINT0) | REG_BIT(VLAPIC_LVT_LINT1) |      \
	 REG_BIT(VLAPIC_LVT_ERROR) | REG_BIT(VLAPIC_TIMER_ICR) | REG_BIT(VLAPIC_TIMER_DCR))
#define REG_BITS_SPAN 0x400u /* 64 registers of 16 bytes */

bool vlapic_apic_write_offset(uint32_t offset)
{
	/* Inside the first 1 KiB and the first 4 bytes of a register (bits 3:2 clear): one test. */
	uint32_t outside = ~(REG_BITS_SPAN - 1u) | (0xfu & ~(APIC_VIRT_REG_BYTES - 1u));
	return !(offset & outside) && ((APIC_WRITE_REGS >> (offset >> 4)) & 1u);
}

bool vlapic_virtualized_read(uint32_t offset, unsigned len)
{
	uint32_t reg = offset & ~0xfu;
	if (offset >= VLAPIC_PAGE_SIZE || len == 0 || (offset & 0xfu) + len > APIC_VIRT_REG_BYTES)
		return false;
	if (reg >= VLAPIC_ISR0 && reg < VLAPIC_ESR)
		return true;
	return reg == VLAPIC_VERSION || reg == VLAPIC_TPR || vlapic_apic_write_offset(offset);
}

int vlapic_apic_write(struct vlapic *lapic, uint32_t offset, uint64_t now, struct vlapic_result *res)
{
	result_clear(res);
	if (!vlapic_apic_write_offset(offset))
		return -TERN_EINVAL;
	int rc = base_mode(lapic->apic_base) == MODE_XAPIC ? 0 : -TERN_ENODEV;
	/*
	 * vlapic_mmio_write's register write, its offset checks already made:
	 * every register above is one reg_write knows (it never fails on them
	 * in xAPIC mode, so no ESR "illegal register" either).
	 */
	uint32_t reg = offset & ~0xfu;
	if (rc == 0)
		(void)reg_write(lapic, reg, REG(lapic, reg), 0, now, false, res);
	/* The ID is read-only here (10.4.6): what the guest stored there is not the register. */
	if (reg == VLAPIC_ID)
		REG(lapic, VLAPIC_ID) = lapic->apic_id << XAPIC_ID_SHIFT;
	return rc;
}

uint32_t vlapic_tpr_threshold(const struct vlapic *lapic)
{
	int v = vec_highest(IRR(lapic));
	unsigned c = prio_class(v), tpr_c = REG(lapic, VLAPIC_TPR) >> 4;
	return v >= 0 && c <= tpr_c ? c : 0;
}

/* ---- x2APIC MSRs ---- */

static bool x2_msr_offset(const struct vlapic *l, uint32_t msr, uint32_t *off)
{
	if (!vlapic_x2apic(l) || msr < VLAPIC_MSR_BASE || msr > VLAPIC_MSR_LAST)
		return false;
	*off = (msr - VLAPIC_MSR_BASE) << 4;
	return true;
}

int vlapic_msr_read(struct vlapic *lapic, uint32_t msr, uint64_t now, uint64_t *value)
{
	uint32_t off, v = 0;
	*value = 0;
	if (!x2_msr_offset(lapic, msr, &off) || off == VLAPIC_SELF_IPI ||
	    !reg_read(lapic, off, now, true, &v))
		return -TERN_EFAULT;
	*value = off == VLAPIC_ICR_LO ? (uint64_t)REG(lapic, VLAPIC_ICR_HI) << 32 | v : v;
	return 0;
}

int vlapic_msr_write(struct vlapic *lapic, uint32_t msr, uint64_t value, uint64_t now,
		     struct vlapic_result *res)
{
	uint32_t off;
	result_clear(res);
	/* Bits 63:32 are reserved in every x2APIC MSR but the ICR (10.12.1.2). */
	if (!x2_msr_offset(lapic, msr, &off) || (off != VLAPIC_ICR_LO && (value >> 32)) ||
	    !reg_write(lapic, off, (uint32_t)value, (uint32_t)(value >> 32), now, true, res))
		return -TERN_EFAULT; /* reg_write sends only what it wrote */
	return 0;
}

/* ---- IA32_APIC_BASE, SDM 10.12.5 ---- */

void vlapic_apic_base_write(struct vlapic *lapic, uint64_t value, uint64_t reserved,
			    struct guest_fault *fault)
{
	fault->valid = false;
	enum apic_mode old = base_mode(lapic->apic_base), new = base_mode(value);
	if ((value & (reserved | BASE_FIXED_RESERVED)) || ((value ^ lapic->apic_base) & VLAPIC_BASE_BSP) ||
	    new == MODE_INVALID || (old == MODE_X2APIC && new == MODE_XAPIC) ||
	    (old == MODE_DISABLED && new == MODE_X2APIC)) {
		guest_fault_gp0(fault);
		return;
	}
	lapic->apic_base = value;
	if (new == MODE_DISABLED) {
		reset_regs(lapic); /* a disabled APIC comes back in its reset state (10.4.3) */
	} else if (old == MODE_XAPIC && new == MODE_X2APIC) {
		REG(lapic, VLAPIC_LDR) = x2apic_ldr(lapic->apic_id);
		REG(lapic, VLAPIC_ICR_HI) = 0;
	}
}
