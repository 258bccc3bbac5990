/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit recording, the TERN_RECORD=1 build: every exit in the binary trace
 * format (core/trace_bin.h, traces/README.md), streamed out COM2.
 *
 *   header, VM record, then per exit:
 *   EXIT (tagged with its VM, vCPU and pCPU), then REG/SEG/MEM as the
 *   handler reads them (in order), then ACTION, EXP_REG for every register
 *   written (vcpu->reg_dirty), EVENT (when one is queued), CONSOLE (bytes
 *   the VM's UART sent), STOP (when the VM stopped), WRITE (guest-memory
 *   writes, in order); then the asynchronous records of the exit in the
 *   order core raised them (REQUEST through plat_trace_request, KICK from
 *   plat_kick_pcpu), and a VM record for every VM core created in it.
 *   SCHED records are what sched_next gave the pCPU (trace_rec_sched),
 *   followed by its pre-entry's records and then the events sched_next
 *   and the pre-entry raised; a slot sched_next found COMPLETE in polling
 *   mode is a COMPLETE record before that SCHED record.
 *
 * In this build the GPRs are not pre-filled into the register cache (see
 * run.c), so every register the handler reads arrives through
 * plat_vcpu_fetch_reg and is recorded: the trace holds exactly the state
 * the replay needs, no more. Console bytes and guest writes happen during
 * handling but belong after ACTION, so they are held until the exit ends.
 */
#include "trace_rec.h"
#include "trace_bin.h"
#include "platform.h"
#include "serial.h"
#include "vm.h"
#include "lib.h"
#include "exit_dispatch.h"
#include "machine.h"
#include "xvm.h"
#include "hypercall.h"
#include "atomic.h"
#include "cpu.h"
#include "ioreq_types.h"

#if TERN_RECORD

/*
 * Where the stream goes: COM2 (paced by its THR-empty interrupt), or, with
 * `trace=e9` on Tern's command line, port 0xE9, which Bochs writes to its
 * stdout unpaced (port_e9_hack) -- COM2 pacing makes a recording under
 * SMP minutes long (PLATFORMS.md). Bochs's stdout carries its own lines
 * too, so on port 0xE9 the stream is framed: E9_BEGIN, the bytes, then
 * E9_END with the byte count (bochs_run.py takes exactly that many).
 */
#define E9_PORT 0xe9
#define E9_BEGIN "\nTERN-TRACE-E9-BEGIN\n"
#define E9_END "\nTERN-TRACE-E9-END "
static bool rec_e9;

/*
 * Several pCPUs record into one stream: the pCPU loop (run.c) holds the
 * recorder (trace_rec_lock) from before sched_next to the vCPU's entry or
 * the idle wait, and from the VM exit to the end of its handling, so that
 * each exit's and sched entry's records stay together, and what other
 * pCPUs can see of them (idle, in_guest, the requests) changes inside
 * them: the stream is one order of what happened, which the replay
 * follows. A request or kick made outside those takes it for its record
 * alone. Taken with no core lock held (core never waits for another CPU
 * while holding one), so it cannot deadlock.
 */
static uint32_t rec_owner;              /* 1 + the pCPU holding the recorder, 0: none */

static bool rec_mine(void)
{
	return atomic_load32(&rec_owner) == (uint32_t)plat_cpu_id() + 1u;
}

/* Take the recorder; true if this call took it (false: this pCPU held it already). */
static bool rec_acquire(void)
{
	uint32_t me = (uint32_t)plat_cpu_id() + 1u;
	if (atomic_load32(&rec_owner) == me)
		return false;
	for (;;) {
		uint32_t expect = 0;
		if (atomic_cmpxchg32(&rec_owner, &expect, me))
			return true;
		cpu_pause();
	}
}

static void rec_release(void)
{
	if (rec_mine())
		atomic_store32(&rec_owner, 0);
}

void trace_rec_lock(void)
{
	(void)rec_acquire();
}

void trace_rec_unlock(void)
{
	rec_release();
}

#define REC_MAX_WRITES 256   /* the format has no limit; a REP INS writes one per element */
#define REC_MAX_CONSOLE 1024
#define REC_MAX_CPUID 64
#define REC_MAX_ASYNC 64     /* requests/kicks one exit raises (a pause: one per vCPU) */
#define REC_BUF (TRACE_BIN_REC_HDR + TRACE_BIN_MEM_HDR + TRACE_BIN_MAX_DATA + 16)

struct rec_write {
	uint64_t gpa;
	uint32_t len;
	uint8_t data[TRACE_BIN_MAX_DATA];
};

/* The exit in flight: recording is per-CPU state of the platform. */
static struct {
	bool active;
	uint64_t exits;
	uint64_t bytes;
	struct rec_write writes[REC_MAX_WRITES];
	unsigned nwrites;
	uint8_t console[REC_MAX_CONSOLE];
	unsigned console_len;
	unsigned lost;          /* records that did not fit (reported at the end) */
	bool vm_emitted;
	/* Host CPUID leaves read while the VM's policy was built, before the
	 * VM record exists: held and emitted right after it. */
	struct { uint32_t leaf, subleaf, regs[4]; } cpuid[REC_MAX_CPUID];
	unsigned ncpuid;
	/* Which VM ids have a VM record; async events of the exit in flight
	 * are held until its outcome is out (they belong after it). */
	bool vm_known[TERN_MAX_VMS];
	/* What the last exit left dirty: a sched entry's outcome is only what
	 * its pre-entry work changed beyond that (the replay counts the same). */
	/*
	 * Per vCPU, what its last exit left for its next entry (dirty
	 * registers, the event): its pre-entry record lists only what the
	 * pre-entry work added, even when other vCPUs ran in between.
	 */
	struct rec_exit_state {
		bool valid;
		uint32_t dirty;
		uint64_t regs[VCPU_REG_COUNT];
		struct vcpu_event event;
	} last[TERN_MAX_VMS][TERN_MAX_VCPUS];
	uint8_t async[REC_MAX_ASYNC * (TRACE_BIN_REC_HDR + TRACE_BIN_REQUEST_LEN)];
	unsigned async_len;
	/*
	 * A SCHED record is out. From then on, what core raises between
	 * handlings it raises inside sched_next (nothing else runs core on a
	 * pCPU between its handlings): held until that decision's SCHED
	 * record and its pre-entry outcome are out, where the replay, which
	 * runs sched_next for that record, counts it. Before the first one
	 * it is the platform's start-up, written at once (not compared).
	 */
	bool scheduled;
	bool timer_request;     /* trace_rec_timer's own request: no records of its own */
} rec;

static void emit(const uint8_t *buf, size_t n)
{
	if (n == 0) {
		rec.lost++;
		return;
	}
	if (rec_e9)
		for (size_t i = 0; i < n; i++)
			outb(E9_PORT, buf[i]);
	else
		serial_write(SERIAL_COM2, buf, n);
	rec.bytes += n;
}

static void e9_puts(const char *s)
{
	for (; *s; s++)
		outb(E9_PORT, (uint8_t)*s);
}

void trace_rec_init(void)
{
	uint8_t buf[TRACE_BIN_HEADER_LEN];
	rec_e9 = x86_cmdline_has("trace=e9");
	if (rec_e9) {
		e9_puts(E9_BEGIN);
	} else {
		serial_init(SERIAL_COM2);
		serial_use_irq(SERIAL_COM2, SERIAL_COM2_IRQ);
	}
	emit(buf, trace_bin_header(buf, sizeof(buf)));
}

void trace_rec_vm(const struct vm *vm)
{
	struct trace_bin_vm v;
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_VM2_LEN];
	tern_memset(&v, 0, sizeof(v));
	v.id = vm->id;
	v.affinity = vm->config.cpu_affinity;
	v.flags = vm->boot_state_valid ? TRACE_BIN_VM_BOOT_STATE : 0;
	if (vm->id < TERN_MAX_VMS)
		rec.vm_known[vm->id] = true;
	v.vcpus = vm->config.vcpu_count;
	v.service = vm->config.service_vm;
	v.reset_on_triple_fault = vm->config.reset_on_triple_fault;
	v.mem = vm->config.mem_size;
	tern_strlcpy(v.name, vm->config.name, sizeof(v.name));
	emit(buf, trace_bin_vm(buf, sizeof(buf), &v));
	if (rec.vm_emitted)
		return; /* a VM core created later: the host CPUID went out with the first */
	rec.vm_emitted = true;
	for (unsigned i = 0; i < rec.ncpuid; i++) {
		uint8_t cb[TRACE_BIN_REC_HDR + TRACE_BIN_CPUID_LEN];
		emit(cb, trace_bin_host_cpuid(cb, sizeof(cb), rec.cpuid[i].leaf, rec.cpuid[i].subleaf,
					      rec.cpuid[i].regs));
	}
}

void trace_rec_host_cpuid(uint32_t leaf, uint32_t subleaf, const uint32_t regs[4])
{
	/* Only the policy build (before the VM record) reads the host CPUID. */
	if (rec.vm_emitted)
		return;
	if (rec.ncpuid == REC_MAX_CPUID) {
		rec.lost++;
		return;
	}
	rec.cpuid[rec.ncpuid].leaf = leaf;
	rec.cpuid[rec.ncpuid].subleaf = subleaf;
	tern_memcpy(rec.cpuid[rec.ncpuid].regs, regs, sizeof(rec.cpuid[0].regs));
	rec.ncpuid++;
}

void trace_rec_host_tsc(uint64_t tsc)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN];
	if (rec.active && rec_mine())
		emit(buf, trace_bin_host_tsc(buf, sizeof(buf), tsc));
}

void trace_rec_end(void)
{
	/* Kept to the end: a pCPU still in an exit finishes its records first, then none follow. */
	(void)rec_acquire();
	/* What the last decision raised, if its pre-entry never wrote it out. */
	if (rec.async_len)
		emit(rec.async, rec.async_len);
	rec.async_len = 0;
	if (rec_e9) {
		char line[48];
		tern_snprintf(line, sizeof(line), "%s%lu\n", E9_END, (unsigned long)rec.bytes);
		e9_puts(line);
	}
	x86_log("trace: %lu exits recorded, %lu bytes on %s%s", (unsigned long)rec.exits,
		(unsigned long)rec.bytes, rec_e9 ? "port 0xE9" : "COM2",
		rec.lost ? ", SOME RECORDS LOST" : "");
}

void trace_rec_begin(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_EXIT_LEN];
	(void)rec_acquire();            /* held already by the loop (trace_rec_lock) */
	if (rec.async_len)
		emit(rec.async, rec.async_len);
	rec.active = true;
	rec.nwrites = 0;
	rec.console_len = 0;
	rec.async_len = 0;
	emit(buf, trace_bin_exit(buf, sizeof(buf), vcpu->vm->id, vcpu->id, (uint8_t)vcpu->pcpu, ex));
}

/* An async record: after the handling in flight or the next scheduling decision; at once before any. */
static void rec_async(const uint8_t *buf, size_t n)
{
	if (n == 0 || rec.async_len + n > sizeof(rec.async)) {
		rec.lost++;
		return;
	}
	if (!rec.active && !rec.scheduled) {
		emit(buf, n);
		return;
	}
	tern_memcpy(rec.async + rec.async_len, buf, n);
	rec.async_len += (unsigned)n;
}

void plat_trace_request(const struct vcpu *target, uint32_t req)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_REQUEST_LEN];
	if (!rec.vm_emitted || (rec.timer_request && rec_mine()))
		return;
	bool took = rec_acquire();
	rec_async(buf, trace_bin_request(buf, sizeof(buf), target->vm->id, target->id, req,
					 plat_cpu_id()));
	if (took)
		rec_release();
}

void plat_trace_polled_complete(const struct vcpu *vcpu, uint64_t value)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_COMPLETE_LEN];
	if (!rec.vm_emitted)
		return;
	bool took = rec_acquire();
	/*
	 * The Service VM's store to its own memory happened before this
	 * decision: its record comes before the decision's SCHED record (the
	 * replay applies it before it runs sched_next). A sched entry whose
	 * pre-entry never ran (still active) ends here with its events.
	 */
	if (rec.active) {
		if (rec.async_len)
			emit(rec.async, rec.async_len);
		rec.async_len = 0;
		rec.active = false;
	}
	emit(buf, trace_bin_complete(buf, sizeof(buf), vcpu->vm->id, vcpu->id, IOREQ_COMPLETE, value));
	if (took)
		rec_release();
}

void trace_rec_kick(uint16_t cpu)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_KICK_LEN];
	if (!rec.vm_emitted || (rec.timer_request && rec_mine()))
		return;
	bool took = rec_acquire();
	rec_async(buf, trace_bin_kick(buf, sizeof(buf), cpu, plat_cpu_id()));
	if (took)
		rec_release();
}

void trace_rec_timer(struct vcpu *vcpu, uint64_t tsc)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_TIMER_LEN];
	/* Held from the record to the request: no other pCPU's records between them. */
	bool took = rec_acquire();
	/*
	 * The expiry happened before the next decision, as a polled
	 * completion does: written at once, ahead of that decision's SCHED
	 * record (the replay applies it before it runs sched_next), not held
	 * with the decision's own events.
	 */
	if (rec.vm_emitted) {
		if (rec.active) {
			if (rec.async_len)
				emit(rec.async, rec.async_len);
			rec.async_len = 0;
			rec.active = false;
		}
		emit(buf, trace_bin_timer(buf, sizeof(buf), vcpu->vm->id, vcpu->id, vcpu->pcpu, tsc));
	}
	rec.timer_request = true;
	vcpu_make_request(vcpu, VCPU_REQ_TIMER);
	rec.timer_request = false;
	if (took)
		rec_release();
}

void trace_rec_sched(uint16_t cpu, const struct vcpu *vcpu)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_SCHED_LEN];
	if (!rec.vm_emitted)
		return;
	(void)rec_acquire();            /* held already by the loop (trace_rec_lock) */
	/*
	 * A sched entry whose pre-entry never ran (its VMCS could not be
	 * loaded): its events, with (no way to tell them apart here) what
	 * this decision raised.
	 */
	if (rec.active && rec.async_len) {
		emit(rec.async, rec.async_len);
		rec.async_len = 0;
	}
	rec.active = false;
	rec.scheduled = true;
	emit(buf, trace_bin_sched(buf, sizeof(buf), cpu, !vcpu, vcpu ? vcpu->vm->id : 0,
				  vcpu ? vcpu->id : 0));
	/*
	 * What this decision raised (a polled completion's request, a waiter
	 * let go) belongs to this entry: after its pre-entry's outcome, ahead
	 * of the pre-entry's own events (trace_rec_pre_entry emits them all).
	 */
	if (!vcpu && rec.async_len)
		emit(rec.async, rec.async_len);
	if (!vcpu)
		rec.async_len = 0;
	/* Its pre-entry work reads registers and memory like an exit does. */
	rec.active = vcpu != 0;
	rec.nwrites = 0;
	rec.console_len = 0;
}

void trace_rec_reg(enum vcpu_reg reg, uint64_t value)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN];
	if (rec.active && rec_mine())
		emit(buf, trace_bin_reg(buf, sizeof(buf), TRACE_BIN_REG, reg, value));
}

void trace_rec_seg(enum vcpu_seg seg, const struct seg_desc *d)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_SEG_LEN];
	if (rec.active && rec_mine())
		emit(buf, trace_bin_seg(buf, sizeof(buf), seg, d));
}

void trace_rec_gpa_read(uint64_t gpa, const void *data, size_t len)
{
	uint8_t buf[REC_BUF];
	if (rec.active && rec_mine())
		emit(buf, len <= TRACE_BIN_MAX_DATA ?
			  trace_bin_mem(buf, sizeof(buf), TRACE_BIN_MEM, gpa, data, (uint32_t)len, false) : 0);
}

void trace_rec_gpa_fault(uint64_t gpa, size_t len)
{
	uint8_t buf[REC_BUF];
	if (rec.active && rec_mine())
		emit(buf, trace_bin_mem(buf, sizeof(buf), TRACE_BIN_MEM, gpa, 0, (uint32_t)len, true));
}

void trace_rec_gpa_write(uint64_t gpa, const void *data, size_t len)
{
	if (!rec.active || !rec_mine())
		return;
	if (rec.nwrites == REC_MAX_WRITES || len > TRACE_BIN_MAX_DATA) {
		rec.lost++;
		return;
	}
	struct rec_write *w = &rec.writes[rec.nwrites++];
	w->gpa = gpa;
	w->len = (uint32_t)len;
	tern_memcpy(w->data, data, len);
}

void trace_rec_console(uint8_t c)
{
	if (!rec.active || !rec_mine())
		return;
	if (rec.console_len == REC_MAX_CONSOLE)
		rec.lost++;
	else
		rec.console[rec.console_len++] = c;
}

/* The rest of a handling's outcome: console bytes, the VM's stop, guest-memory writes. */
static void emit_outcome_rest(const struct vm *vm)
{
	uint8_t buf[REC_BUF];
	for (unsigned off = 0; off < rec.console_len; off += TRACE_BIN_MAX_DATA) {
		uint32_t n = rec.console_len - off;
		if (n > TRACE_BIN_MAX_DATA)
			n = TRACE_BIN_MAX_DATA;
		emit(buf, trace_bin_console(buf, sizeof(buf), rec.console + off, n));
	}
	if (vm->state == VM_STATE_STOPPED)
		emit(buf, trace_bin_stop(buf, sizeof(buf), vm->stop_cause, vm->stop_detail));
	for (unsigned i = 0; i < rec.nwrites; i++)
		emit(buf, trace_bin_mem(buf, sizeof(buf), TRACE_BIN_WRITE, rec.writes[i].gpa,
					rec.writes[i].data, rec.writes[i].len, false));
}

void plat_trace_exit(struct vcpu *vcpu, const struct exit_record *ex, int action)
{
	uint8_t buf[REC_BUF];
	(void)ex;
	if (!rec.active || !rec_mine())
		return;
	rec.active = false;
	rec.exits++;

	emit(buf, trace_bin_action(buf, sizeof(buf), action));
	for (unsigned r = 0; r < VCPU_REG_COUNT; r++)
		if (vcpu->reg_dirty & (1u << r))
			emit(buf, trace_bin_reg(buf, sizeof(buf), TRACE_BIN_EXP_REG, (enum vcpu_reg)r,
						vcpu->regs[r]));
	if (vcpu->event.valid)
		emit(buf, trace_bin_event(buf, sizeof(buf), &vcpu->event));
	const struct vm *vm = vcpu->vm;
	emit_outcome_rest(vm);
	/* The VMs core created in this exit (HC_CREATE_VM), as VM records,
	 * before the requests core made to their vCPUs while creating them. */
	const struct tern *hv = vm->hv;
	for (uint16_t id = 0; id < TERN_MAX_VMS; id++) {
		bool live = hv->vms[id].state != VM_STATE_POWERED_OFF;
		if (live && !rec.vm_known[id])
			trace_rec_vm(&hv->vms[id]);
		rec.vm_known[id] = live;
	}
	if (rec.async_len)
		emit(rec.async, rec.async_len);
	rec.async_len = 0;
	struct rec_exit_state *ls = &rec.last[vm->id % TERN_MAX_VMS][vcpu->id % TERN_MAX_VCPUS];
	ls->valid = true;
	ls->dirty = vcpu->reg_dirty;
	tern_memcpy(ls->regs, vcpu->regs, sizeof(ls->regs));
	ls->event = vcpu->event;
}

static bool same_event(const struct vcpu_event *a, const struct vcpu_event *b)
{
	return a->valid == b->valid && a->vector == b->vector && a->type == b->type &&
	       a->has_error == b->has_error && a->error_code == b->error_code;
}

void trace_rec_pre_entry(struct vcpu *vcpu)
{
	uint8_t buf[REC_BUF];
	if (!rec.active || !rec_mine())
		return;
	rec.active = false;
	struct rec_exit_state *ls = &rec.last[vcpu->vm->id % TERN_MAX_VMS][vcpu->id % TERN_MAX_VCPUS];
	bool after_exit = ls->valid;
	for (unsigned r = 0; r < VCPU_REG_COUNT; r++) {
		uint32_t bit = 1u << r;
		if (!(vcpu->reg_dirty & bit) ||
		    (after_exit && (ls->dirty & bit) && ls->regs[r] == vcpu->regs[r]))
			continue;
		emit(buf, trace_bin_reg(buf, sizeof(buf), TRACE_BIN_EXP_REG, (enum vcpu_reg)r,
					vcpu->regs[r]));
	}
	if (vcpu->event.valid && !(after_exit && same_event(&ls->event, &vcpu->event)))
		emit(buf, trace_bin_event(buf, sizeof(buf), &vcpu->event));
	emit_outcome_rest(vcpu->vm);
	if (rec.async_len)
		emit(rec.async, rec.async_len);
	rec.async_len = 0;
	ls->valid = false;
}

void trace_rec_stopped(const struct vm *vm)
{
	uint8_t buf[REC_BUF];
	if (!rec_mine())
		return;
	if (vm->state == VM_STATE_STOPPED)
		emit(buf, trace_bin_stop(buf, sizeof(buf), vm->stop_cause, vm->stop_detail));
	if (rec.async_len)
		emit(rec.async, rec.async_len);
	rec.async_len = 0;
}

#else

void plat_trace_request(const struct vcpu *target, uint32_t req)
{
	(void)target;
	(void)req;
}

void plat_trace_polled_complete(const struct vcpu *vcpu, uint64_t value)
{
	(void)vcpu;
	(void)value;
}

void plat_trace_exit(struct vcpu *vcpu, const struct exit_record *ex, int action)
{
	(void)vcpu;
	(void)ex;
	(void)action;
}

#endif
