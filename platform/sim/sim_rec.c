/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulator's recorder (sim_rec.h). Console bytes and guest writes
 * happen during handling but belong after ACTION; requests and kicks of an
 * exit belong after its outcome: they are held until the handling ends.
 */
#include <string.h>
#include "sim_rec.h"
#include "platform.h"
#include "trace_bin.h"
#include "vm.h"

#define REC_MAX_WRITES 256
#define REC_MAX_CONSOLE 1024
#define REC_MAX_CPUID 64
#define REC_MAX_ASYNC 64
#define REC_BUF (TRACE_BIN_REC_HDR + TRACE_BIN_MEM_HDR + TRACE_BIN_MAX_DATA + 16)

struct rec_write {
	uint64_t gpa;
	uint32_t len;
	uint8_t data[TRACE_BIN_MAX_DATA];
};

/* What a vCPU's last exit left for its next entry: its pre-entry record lists only what it adds. */
struct rec_exit_state {
	bool valid;
	uint32_t dirty;
	uint64_t regs[VCPU_REG_COUNT];
	struct vcpu_event event;
};

static struct {
	FILE *out;
	bool active;              /* a handling is in flight */
	unsigned lost;
	struct rec_write writes[REC_MAX_WRITES];
	unsigned nwrites;
	uint8_t console[REC_MAX_CONSOLE];
	unsigned console_len;
	bool vm_emitted;
	struct { uint32_t leaf, subleaf, regs[4]; } cpuid[REC_MAX_CPUID];
	unsigned ncpuid;
	bool vm_known[TERN_MAX_VMS];
	struct rec_exit_state last[TERN_MAX_VMS][TERN_MAX_VCPUS];
	uint8_t async[REC_MAX_ASYNC * (TRACE_BIN_REC_HDR + TRACE_BIN_REQUEST_LEN)];
	unsigned async_len;
} rec;

/* Tested by sim.c before it calls a hook (sim_rec.h): the exit path's share of the fake. */
bool sim_rec_on;

static void emit(const uint8_t *buf, size_t n)
{
	if (n == 0 || fwrite(buf, 1, n, rec.out) != n)
		rec.lost++;
}

static void flush_async(void)
{
	if (rec.async_len)
		emit(rec.async, rec.async_len);
	rec.async_len = 0;
}

void sim_rec_start(FILE *out)
{
	uint8_t buf[TRACE_BIN_HEADER_LEN];
	memset(&rec, 0, sizeof(rec));
	rec.out = out;
	sim_rec_on = true;
	emit(buf, trace_bin_header(buf, sizeof(buf)));
}

int sim_rec_stop(void)
{
	if (!sim_rec_on)
		return -1;
	flush_async();
	sim_rec_on = false;
	return rec.lost || fflush(rec.out) ? -1 : 0;
}

bool sim_rec_active(void)
{
	return sim_rec_on;
}

void sim_rec_vm(const struct vm *vm)
{
	if (!sim_rec_on)
		return;
	struct trace_bin_vm v;
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_VM2_LEN];
	memset(&v, 0, sizeof(v));
	v.id = vm->id;
	v.affinity = vm->config.cpu_affinity;
	v.flags = vm->boot_state_valid ? TRACE_BIN_VM_BOOT_STATE : 0;
	v.vcpus = vm->config.vcpu_count;
	v.service = vm->config.service_vm;
	v.reset_on_triple_fault = vm->config.reset_on_triple_fault;
	v.mem = vm->config.mem_size;
	snprintf(v.name, sizeof(v.name), "%s", vm->config.name);
	rec.vm_known[vm->id % TERN_MAX_VMS] = true;
	emit(buf, trace_bin_vm(buf, sizeof(buf), &v));
	if (rec.vm_emitted)
		return;
	rec.vm_emitted = true;
	for (unsigned i = 0; i < rec.ncpuid; i++) {
		uint8_t cb[TRACE_BIN_REC_HDR + TRACE_BIN_CPUID_LEN];
		emit(cb, trace_bin_host_cpuid(cb, sizeof(cb), rec.cpuid[i].leaf, rec.cpuid[i].subleaf,
					      rec.cpuid[i].regs));
	}
}

void sim_rec_host_cpuid(uint32_t leaf, uint32_t subleaf, const uint32_t regs[4])
{
	if (!sim_rec_on || rec.vm_emitted)
		return;
	if (rec.ncpuid == REC_MAX_CPUID) {
		rec.lost++;
		return;
	}
	rec.cpuid[rec.ncpuid].leaf = leaf;
	rec.cpuid[rec.ncpuid].subleaf = subleaf;
	memcpy(rec.cpuid[rec.ncpuid].regs, regs, sizeof(rec.cpuid[0].regs));
	rec.ncpuid++;
}

void sim_rec_host_tsc(uint64_t tsc)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN];
	if (sim_rec_on && rec.active)
		emit(buf, trace_bin_host_tsc(buf, sizeof(buf), tsc));
}

static void begin_handling(void)
{
	rec.active = true;
	rec.nwrites = 0;
	rec.console_len = 0;
	rec.async_len = 0;
}

void sim_rec_exit_begin(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_EXIT_LEN];
	if (!sim_rec_on)
		return;
	flush_async();
	begin_handling();
	emit(buf, trace_bin_exit(buf, sizeof(buf), vcpu->vm->id, vcpu->id, (uint8_t)vcpu->pcpu, ex));
}

/*
 * A request or kick: held until the handling in flight has its outcome out.
 * Between handlings core raises them only inside sched_next (a vCPU it no
 * longer runs lets a waiter go), which the replay counts as the next sched
 * entry's: held until that entry's SCHED record is out.
 */
static void rec_async(const uint8_t *buf, size_t n)
{
	if (n == 0 || rec.async_len + n > sizeof(rec.async)) {
		rec.lost++;
		return;
	}
	memcpy(rec.async + rec.async_len, buf, n);
	rec.async_len += (unsigned)n;
}

void sim_rec_request(const struct vcpu *target, uint32_t req, uint16_t from)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_REQUEST_LEN];
	if (sim_rec_on && rec.vm_emitted)
		rec_async(buf, trace_bin_request(buf, sizeof(buf), target->vm->id, target->id, req, from));
}

void sim_rec_kick(uint16_t cpu, uint16_t from)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_KICK_LEN];
	if (sim_rec_on && rec.vm_emitted)
		rec_async(buf, trace_bin_kick(buf, sizeof(buf), cpu, from));
}

void sim_rec_complete(uint16_t vm, uint16_t vcpu, uint32_t state, uint64_t value)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_COMPLETE_LEN];
	/* What the other side did, between handlings: where it happened. */
	if (sim_rec_on && !rec.active)
		emit(buf, trace_bin_complete(buf, sizeof(buf), vm, vcpu, state, value));
	else if (sim_rec_on)
		rec.lost++;
}

void sim_rec_sched(uint16_t cpu, const struct vcpu *vcpu)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_SCHED_LEN];
	if (!sim_rec_on || !rec.vm_emitted)
		return;
	rec.active = false;
	emit(buf, trace_bin_sched(buf, sizeof(buf), cpu, !vcpu, vcpu ? vcpu->vm->id : 0, vcpu ? vcpu->id : 0));
	/*
	 * What sched_next itself raised (a polled completion's request, a
	 * waiter let go) belongs to this entry: after its pre-entry's
	 * outcome, ahead of the pre-entry's own events (the order core raised
	 * them), as the replay counts them.
	 */
	if (!vcpu) {
		flush_async();
		return;
	}
	unsigned held = rec.async_len;
	begin_handling();
	rec.async_len = held;
}

void sim_rec_reg(enum vcpu_reg reg, uint64_t value)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN];
	if (sim_rec_on && rec.active)
		emit(buf, trace_bin_reg(buf, sizeof(buf), TRACE_BIN_REG, reg, value));
}

void sim_rec_seg(enum vcpu_seg seg, const struct seg_desc *d)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_SEG_LEN];
	if (sim_rec_on && rec.active)
		emit(buf, trace_bin_seg(buf, sizeof(buf), seg, d));
}

void sim_rec_gmem(uint64_t gpa, const void *data, size_t len, int op)
{
	uint8_t buf[REC_BUF];
	if (!sim_rec_on || !rec.active)
		return;
	if (op == GMEM_TRACE_WRITE) {
		if (rec.nwrites == REC_MAX_WRITES || len > TRACE_BIN_MAX_DATA) {
			rec.lost++;
			return;
		}
		struct rec_write *w = &rec.writes[rec.nwrites++];
		w->gpa = gpa;
		w->len = (uint32_t)len;
		memcpy(w->data, data, len);
		return;
	}
	bool fault = op == GMEM_TRACE_READ_FAULT;
	emit(buf, len <= TRACE_BIN_MAX_DATA ?
		  trace_bin_mem(buf, sizeof(buf), TRACE_BIN_MEM, gpa, fault ? NULL : data, (uint32_t)len, fault) : 0);
}

void sim_rec_console(uint8_t c)
{
	if (!sim_rec_on || !rec.active)
		return;
	if (rec.console_len == REC_MAX_CONSOLE)
		rec.lost++;
	else
		rec.console[rec.console_len++] = c;
}

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
		emit(buf, trace_bin_mem(buf, sizeof(buf), TRACE_BIN_WRITE, rec.writes[i].gpa, rec.writes[i].data,
					rec.writes[i].len, false));
}

void sim_rec_exit_end(struct vcpu *vcpu, int action)
{
	uint8_t buf[REC_BUF];
	if (!sim_rec_on || !rec.active)
		return;
	rec.active = false;
	emit(buf, trace_bin_action(buf, sizeof(buf), action));
	for (unsigned r = 0; r < VCPU_REG_COUNT; r++)
		if (vcpu->reg_dirty & (1u << r))
			emit(buf, trace_bin_reg(buf, sizeof(buf), TRACE_BIN_EXP_REG, (enum vcpu_reg)r, vcpu->regs[r]));
	if (vcpu->event.valid)
		emit(buf, trace_bin_event(buf, sizeof(buf), &vcpu->event));
	const struct vm *vm = vcpu->vm;
	emit_outcome_rest(vm);
	/* VMs core created in this exit (HC_CREATE_VM), before the requests made to them. */
	for (uint16_t id = 0; id < TERN_MAX_VMS; id++) {
		bool live = vm->hv->vms[id].state != VM_STATE_POWERED_OFF;
		if (live && !rec.vm_known[id])
			sim_rec_vm(&vm->hv->vms[id]);
		rec.vm_known[id] = live;
	}
	flush_async();
	struct rec_exit_state *ls = &rec.last[vm->id % TERN_MAX_VMS][vcpu->id % TERN_MAX_VCPUS];
	ls->valid = true;
	ls->dirty = vcpu->reg_dirty;
	memcpy(ls->regs, vcpu->regs, sizeof(ls->regs));
	ls->event = vcpu->event;
}

static bool same_event(const struct vcpu_event *a, const struct vcpu_event *b)
{
	return a->valid == b->valid && a->vector == b->vector && a->type == b->type &&
	       a->has_error == b->has_error && a->error_code == b->error_code;
}

void sim_rec_pre_entry(struct vcpu *vcpu)
{
	uint8_t buf[REC_BUF];
	if (!sim_rec_on || !rec.active)
		return;
	rec.active = false;
	struct rec_exit_state *ls = &rec.last[vcpu->vm->id % TERN_MAX_VMS][vcpu->id % TERN_MAX_VCPUS];
	bool after_exit = ls->valid;
	for (unsigned r = 0; r < VCPU_REG_COUNT; r++) {
		uint32_t bit = 1u << r;
		if (!(vcpu->reg_dirty & bit) || (after_exit && (ls->dirty & bit) && ls->regs[r] == vcpu->regs[r]))
			continue;
		emit(buf, trace_bin_reg(buf, sizeof(buf), TRACE_BIN_EXP_REG, (enum vcpu_reg)r, vcpu->regs[r]));
	}
	if (vcpu->event.valid && !(after_exit && same_event(&ls->event, &vcpu->event)))
		emit(buf, trace_bin_event(buf, sizeof(buf), &vcpu->event));
	emit_outcome_rest(vcpu->vm);
	flush_async();
	ls->valid = false;
}
