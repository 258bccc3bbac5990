/* SPDX-License-Identifier: BSD-3-Clause */
#include "trace_recorder.h"
#include "lib.h"
#include "request.h"
#include "apic_qual.h"
#include "exit.h"
#include "vlapic.h"

/* The largest record: MEM/WRITE/CONSOLE with a full data block. */
#define TREC_BUF (TRACE_BIN_REC_HDR + TRACE_BIN_MEM_HDR + TRACE_BIN_MAX_DATA + 16)

static void emit(struct trec *r, const uint8_t *buf, size_t n)
{
	/* n 0: trace_bin found it did not fit (a length the format cannot hold). */
	if (n == 0 || !r->emit(r->ctx, buf, n))
		r->lost++;
}

static void flush_async(struct trec *r)
{
	if (r->async_len)
		emit(r, r->async, r->async_len);
	r->async_len = 0;
}

void trec_init(struct trec *r, trec_emit_fn *fn, void *ctx)
{
	uint8_t buf[TRACE_BIN_HEADER_LEN];
	tern_memset(r, 0, sizeof(*r));
	r->emit = fn;
	r->ctx = ctx;
	emit(r, buf, trace_bin_header(buf, sizeof(buf)));
}

unsigned trec_finish(struct trec *r)
{
	/* What the last decision raised, if its pre-entry never wrote it out. */
	flush_async(r);
	return r->lost;
}

void trec_vm(struct trec *r, const struct vm *vm)
{
	struct trace_bin_vm v;
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_VM2_LEN];
	tern_memset(&v, 0, sizeof(v));
	v.id = vm->id;
	v.affinity = vm->config.cpu_affinity;
	v.flags = vm->boot_state_valid ? TRACE_BIN_VM_BOOT_STATE : 0;
	v.vcpus = vm->config.vcpu_count;
	v.service = vm->config.service_vm;
	v.reset_on_triple_fault = vm->config.reset_on_triple_fault;
	v.mem = vm->config.mem_size;
	tern_strlcpy(v.name, vm->config.name, sizeof(v.name));
	r->vm_known[vm->id % TERN_MAX_VMS] = true;
	emit(r, buf, trace_bin_vm(buf, sizeof(buf), &v));
	if (r->vm_emitted)
		return; /* a VM core created later: the host CPUID went out with the first */
	r->vm_emitted = true;
	for (unsigned i = 0; i < r->ncpuid; i++) {
		uint8_t cb[TRACE_BIN_REC_HDR + TRACE_BIN_CPUID_LEN];
		emit(r, cb, trace_bin_host_cpuid(cb, sizeof(cb), r->cpuid[i].leaf, r->cpuid[i].subleaf,
						 r->cpuid[i].regs));
	}
}

void trec_host_cpuid(struct trec *r, uint32_t leaf, uint32_t subleaf, const uint32_t regs[4])
{
	/* Only the policy build (before the VM record) reads the host CPUID. */
	if (r->vm_emitted)
		return;
	if (r->ncpuid == TREC_MAX_CPUID) {
		r->lost++;
		return;
	}
	r->cpuid[r->ncpuid].leaf = leaf;
	r->cpuid[r->ncpuid].subleaf = subleaf;
	tern_memcpy(r->cpuid[r->ncpuid].regs, regs, sizeof(r->cpuid[0].regs));
	r->ncpuid++;
}

void trec_host_tsc(struct trec *r, uint64_t tsc)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN];
	if (r->active)
		emit(r, buf, trace_bin_host_tsc(buf, sizeof(buf), tsc));
}

/* An exit's or a pre-entry's records begin: what they read, held writes and console bytes. */
static void begin_handling(struct trec *r)
{
	r->active = true;
	r->nwrites = 0;
	r->console_len = 0;
}

void trec_exit_begin(struct trec *r, const struct vcpu *vcpu, const struct exit_record *ex)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_EXIT_LEN];
	flush_async(r);
	begin_handling(r);
	emit(r, buf, trace_bin_exit(buf, sizeof(buf), vcpu->vm->id, vcpu->id, (uint8_t)vcpu->pcpu, ex));
	/*
	 * What the CPU stored in the virtual-APIC page before an APIC write
	 * (SDM 29.4.3.3): the handler's input, which the replay writes into
	 * the page before it hands over the exit.
	 */
	uint8_t vb[TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN];
	if (exit_basic_reason(ex) == EXIT_REASON_APIC_WRITE) {
		uint32_t off = apic_qual_offset(ex->qualification) & ~0xfu;
		emit(r, vb, trace_bin_apic_value(vb, sizeof(vb), vlapic_reg_get(&vcpu->lapic, off)));
		/* The IPI's destination: stored with no exit of its own (trace_bin.h VICR_HI). */
		if (off == VLAPIC_ICR_LO)
			emit(r, vb, trace_bin_vicr_hi(vb, sizeof(vb), vlapic_reg_get(&vcpu->lapic, VLAPIC_ICR_HI)));
	}
	/*
	 * With a TPR shadow the guest changes VTPR (the vLAPIC's TPR) without
	 * an exit (SDM 29.3): every exit carries it, as it carries the
	 * registers the handler reads, or the replay's PPR, threshold and
	 * injection would follow a TPR the guest no longer has.
	 */
	if (vcpu->intr.tpr_shadow)
		emit(r, vb, trace_bin_vtpr(vb, sizeof(vb), vlapic_reg_get(&vcpu->lapic, VLAPIC_TPR)));
}

/* The rest of a handling's outcome: console bytes, the VM's stop, guest-memory writes. */
static void emit_outcome_rest(struct trec *r, const struct vm *vm)
{
	uint8_t buf[TREC_BUF];
	for (unsigned off = 0; off < r->console_len; off += TRACE_BIN_MAX_DATA) {
		uint32_t n = r->console_len - off;
		if (n > TRACE_BIN_MAX_DATA)
			n = TRACE_BIN_MAX_DATA;
		emit(r, buf, trace_bin_console(buf, sizeof(buf), r->console + off, n));
	}
	if (vm->state == VM_STATE_STOPPED)
		emit(r, buf, trace_bin_stop(buf, sizeof(buf), vm->stop_cause, vm->stop_detail));
	for (unsigned i = 0; i < r->nwrites; i++)
		emit(r, buf, trace_bin_mem(buf, sizeof(buf), TRACE_BIN_WRITE, r->writes[i].gpa,
					   r->writes[i].data, r->writes[i].len, false));
}

static void emit_exp_reg(struct trec *r, enum vcpu_reg reg, uint64_t value)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN];
	emit(r, buf, trace_bin_reg(buf, sizeof(buf), TRACE_BIN_EXP_REG, reg, value));
}

static void emit_event(struct trec *r, const struct vcpu_event *ev)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_EVENT_LEN];
	emit(r, buf, trace_bin_event(buf, sizeof(buf), ev));
}

static struct trec_exit_state *last_of(struct trec *r, const struct vcpu *vcpu)
{
	return &r->last[vcpu->vm->id % TERN_MAX_VMS][vcpu->id % TERN_MAX_VCPUS];
}

void trec_exit_end(struct trec *r, const struct vcpu *vcpu, int action)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN];
	if (!r->active)
		return;
	r->active = false;
	r->exits++;
	emit(r, buf, trace_bin_action(buf, sizeof(buf), action));
	for (unsigned reg = 0; reg < VCPU_REG_COUNT; reg++)
		if (vcpu->reg_dirty & (1u << reg))
			emit_exp_reg(r, (enum vcpu_reg)reg, vcpu->regs[reg]);
	if (vcpu->event.valid)
		emit_event(r, &vcpu->event);
	const struct vm *vm = vcpu->vm;
	emit_outcome_rest(r, vm);
	/* The VMs core created in this exit (HC_CREATE_VM), before the requests made to them. */
	const struct tern *hv = vm->hv;
	for (uint16_t id = 0; id < TERN_MAX_VMS; id++) {
		bool live = hv->vms[id].state != VM_STATE_POWERED_OFF;
		if (live && !r->vm_known[id])
			trec_vm(r, &hv->vms[id]);
		r->vm_known[id] = live;
	}
	flush_async(r);
	struct trec_exit_state *ls = last_of(r, vcpu);
	ls->valid = true;
	ls->dirty = vcpu->reg_dirty;
	tern_memcpy(ls->regs, vcpu->regs, sizeof(ls->regs));
	ls->event = vcpu->event;
}

void trec_sched(struct trec *r, uint16_t cpu, const struct vcpu *vcpu)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_SCHED_LEN];
	if (!r->vm_emitted)
		return;
	/*
	 * A sched entry whose pre-entry never ran (the image could not load
	 * its VMCS): its events, with (no way to tell them apart here) what
	 * this decision raised.
	 */
	if (r->active)
		flush_async(r);
	r->active = false;
	r->scheduled = true;
	bool *idle = cpu < TERN_MAX_PCPUS ? &r->idle_recorded[cpu] : (bool *)0;
	if (idle && !vcpu && !r->async_len && *idle)
		return; /* the same idle decision again: it changed nothing */
	if (idle)
		*idle = !vcpu && !r->async_len;
	emit(r, buf, trace_bin_sched(buf, sizeof(buf), cpu, !vcpu, vcpu ? vcpu->vm->id : 0,
				     vcpu ? vcpu->id : 0));
	/*
	 * What this decision raised (a polled completion's request, a waiter
	 * let go) belongs to this entry: after its pre-entry's outcome, ahead
	 * of the pre-entry's own events (trec_pre_entry writes them all).
	 */
	if (!vcpu) {
		flush_async(r);
		return;
	}
	/* Its pre-entry work reads registers and memory like an exit does. */
	begin_handling(r);
}

static bool same_event(const struct vcpu_event *a, const struct vcpu_event *b)
{
	return a->valid == b->valid && a->vector == b->vector && a->type == b->type &&
	       a->has_error == b->has_error && a->error_code == b->error_code;
}

void trec_pre_entry(struct trec *r, const struct vcpu *vcpu)
{
	if (!r->active)
		return;
	r->active = false;
	struct trec_exit_state *ls = last_of(r, vcpu);
	bool after_exit = ls->valid;
	for (unsigned reg = 0; reg < VCPU_REG_COUNT; reg++) {
		uint32_t bit = 1u << reg;
		if (!(vcpu->reg_dirty & bit) ||
		    (after_exit && (ls->dirty & bit) && ls->regs[reg] == vcpu->regs[reg]))
			continue;
		emit_exp_reg(r, (enum vcpu_reg)reg, vcpu->regs[reg]);
	}
	if (vcpu->event.valid && !(after_exit && same_event(&ls->event, &vcpu->event)))
		emit_event(r, &vcpu->event);
	emit_outcome_rest(r, vcpu->vm);
	flush_async(r);
	ls->valid = false;
}

void trec_stopped(struct trec *r, const struct vm *vm)
{
	uint8_t buf[TREC_BUF];
	if (vm->state == VM_STATE_STOPPED)
		emit(r, buf, trace_bin_stop(buf, sizeof(buf), vm->stop_cause, vm->stop_detail));
	flush_async(r);
}

void trec_reg(struct trec *r, enum vcpu_reg reg, uint64_t value)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN];
	if (r->active)
		emit(r, buf, trace_bin_reg(buf, sizeof(buf), TRACE_BIN_REG, reg, value));
}

void trec_seg(struct trec *r, enum vcpu_seg seg, const struct seg_desc *d)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_SEG_LEN];
	if (r->active)
		emit(r, buf, trace_bin_seg(buf, sizeof(buf), seg, d));
}

void trec_mem_read(struct trec *r, uint64_t gpa, const void *data, size_t len, bool fault)
{
	uint8_t buf[TREC_BUF];
	/* Nothing read: no record (the format has no empty MEM; one would make the trace unloadable). */
	if (!r->active || len == 0)
		return;
	emit(r, buf, len <= TRACE_BIN_MAX_DATA ?
		     trace_bin_mem(buf, sizeof(buf), TRACE_BIN_MEM, gpa, fault ? (const void *)0 : data,
				   (uint32_t)len, fault) : 0);
}

void trec_mem_write(struct trec *r, uint64_t gpa, const void *data, size_t len)
{
	if (!r->active || len == 0)
		return; /* nothing written (no empty WRITE record, as for MEM) */
	if (r->nwrites == TREC_MAX_WRITES || len > TRACE_BIN_MAX_DATA) {
		r->lost++;
		return;
	}
	struct trec_write *w = &r->writes[r->nwrites++];
	w->gpa = gpa;
	w->len = (uint32_t)len;
	tern_memcpy(w->data, data, len);
}

void trec_console(struct trec *r, uint8_t c)
{
	if (!r->active)
		return;
	if (r->console_len == TREC_MAX_CONSOLE)
		r->lost++;
	else
		r->console[r->console_len++] = c;
}

/* An async record: after the handling in flight or the next decision; at once before any. */
static void hold(struct trec *r, const uint8_t *buf, size_t n)
{
	if (n == 0 || r->async_len + n > sizeof(r->async)) {
		r->lost++;
		return;
	}
	if (!r->active && !r->scheduled) {
		emit(r, buf, n);
		return;
	}
	tern_memcpy(r->async + r->async_len, buf, n);
	r->async_len += (unsigned)n;
}

void trec_request(struct trec *r, const struct vcpu *target, uint32_t req, uint16_t from)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_REQUEST_LEN];
	if (r->vm_emitted && !r->timer_request)
		hold(r, buf, trace_bin_request(buf, sizeof(buf), target->vm->id, target->id, req, from));
}

void trec_kick(struct trec *r, uint16_t cpu, uint16_t from)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_KICK_LEN];
	if (r->vm_emitted && !r->timer_request)
		hold(r, buf, trace_bin_kick(buf, sizeof(buf), cpu, from));
}

/*
 * What happened between decisions: before the next SCHED record, not
 * held with its events. A sched entry whose pre-entry never ran (still
 * active) ends here with its events. It changes what the next decision
 * of any pCPU finds: none of them is a repeat.
 */
static void between_decisions(struct trec *r)
{
	if (r->active) {
		flush_async(r);
		r->active = false;
	}
	tern_memset(r->idle_recorded, 0, sizeof(r->idle_recorded));
}

void trec_complete(struct trec *r, uint16_t vm, uint16_t vcpu, uint32_t state, uint64_t value)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_COMPLETE_LEN];
	if (!r->vm_emitted)
		return;
	between_decisions(r);
	emit(r, buf, trace_bin_complete(buf, sizeof(buf), vm, vcpu, state, value));
}

void trec_timer(struct trec *r, struct vcpu *vcpu, uint64_t tsc)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_TIMER_LEN];
	if (r->vm_emitted) {
		between_decisions(r);
		emit(r, buf, trace_bin_timer(buf, sizeof(buf), vcpu->vm->id, vcpu->id, vcpu->pcpu, tsc));
	}
	/* The replay makes the request from the TIMER record: no REQUEST record of its own. */
	r->timer_request = true;
	vcpu_make_request(vcpu, VCPU_REQ_TIMER);
	r->timer_request = false;
}
