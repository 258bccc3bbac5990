/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replay: each exit of a trace goes through core/ exactly as on the real
 * platform (cache reset, vcpu_handle_exit, vcpu_pre_entry), with the
 * register fetches and guest-memory reads served from the trace. Then every
 * expected field is compared with what core did.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "replay.h"
#include "sim.h"
#include "exit_dispatch.h"
#include "atomic.h"
#include "ioreq.h"
#include "scheduler.h"
#include "sched_slice.h"
#include "vm_mgr.h"
#include "ept.h"
#include "platform.h"
#include "apic_qual.h"
#include "vlapic.h"
#include "vmx_controls.h"

#define REPLAY_BOOT_ENTRY 0x100000   /* a placeholder boot state: Multiboot at 1 MiB */
#define MULTIBOOT_MAGIC 0x2badb002   /* Multiboot 0.6.96, 3.2: EAX at hand-off */

/*
 * Who a mismatch is about: an exit (exit #N counts exits), a sched entry
 * (sched #N counts those) or an async record (async #N counts those).
 */
struct cmp {
	const struct trace *t;
	const struct trace_exit *e;     /* NULL for an async record */
	const struct trace_async *a;
	unsigned index;
	FILE *out;
	unsigned mismatches;
};

static void mismatch(struct cmp *c, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void mismatch(struct cmp *c, const char *field, const char *fmt, ...)
{
	va_list ap;
	if (c->a)
		fprintf(c->out, "%s: async #%u (line %u, %s): %s ", c->t->file, c->index, c->a->line,
			trace_async_name(c->a->kind), field);
	else if (c->e->sched)
		fprintf(c->out, "%s: sched #%u (line %u, pcpu %u): %s ", c->t->file, c->index,
			c->e->line, c->e->pcpu, field);
	else
		fprintf(c->out, "%s: exit #%u (line %u, %s): %s ", c->t->file, c->index, c->e->line,
			exit_reason_name(exit_basic_reason(&c->e->ex)), field);
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
	fputc('\n', c->out);
	c->mismatches++;
}

static void quote(const uint8_t *s, size_t n, char *buf, size_t len)
{
	size_t o = 0;
	buf[o++] = '"';
	for (size_t i = 0; i < n && o + 6 < len; i++) {
		if (s[i] == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (s[i] == '"' || s[i] == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)s[i];
		} else if (s[i] < 0x20 || s[i] >= 0x7f) {
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", s[i]);
		} else {
			buf[o++] = (char)s[i];
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

static bool same_event(const struct vcpu_event *a, const struct vcpu_event *b)
{
	if (a->valid != b->valid)
		return false;
	if (!a->valid)
		return true;
	return a->vector == b->vector && a->type == b->type && a->has_error == b->has_error &&
	       (!a->has_error || a->error_code == b->error_code);
}

/*
 * What one handling produced: the registers it wrote and the event it
 * queued (a sched entry's pre-entry work counts only what it changed
 * beyond what the vCPU's exit had left dirty, as the recorder does).
 */
struct outcome {
	uint32_t written;
	struct vcpu_event event;
};

static void compare(struct cmp *c, struct vm *vm, struct vcpu *vcpu, int action,
		    const struct sim_replay_exit *rx, size_t console_before,
		    const struct outcome *o)
{
	const struct trace_exit *e = c->e;
	char a[TRACE_MAX_CONSOLE * 4 + 8], b[TRACE_MAX_CONSOLE * 4 + 8];

	if (rx->error[0])
		mismatch(c, "platform:", "%s", rx->error);
	if (!e->sched && action != e->action)
		mismatch(c, "action", "expected %s, actual %s", exit_action_name(e->action),
			 exit_action_name(action));

	for (int r = 0; r < VCPU_REG_COUNT; r++) {
		uint32_t bit = 1u << r;
		bool written = (o->written & bit) != 0;
		if (e->exp_reg_mask & bit) {
			uint64_t actual;
			if (vcpu->reg_valid & bit)
				actual = vcpu->regs[r];
			else if (e->reg_mask & bit)
				actual = e->regs[r];
			else {
				mismatch(c, trace_reg_name(r), "expected 0x%llx, actual unknown (neither "
					 "written nor in the state)", (unsigned long long)e->exp_regs[r]);
				continue;
			}
			if (actual != e->exp_regs[r])
				mismatch(c, trace_reg_name(r), "expected 0x%llx, actual 0x%llx",
					 (unsigned long long)e->exp_regs[r], (unsigned long long)actual);
		} else if (written) {
			mismatch(c, trace_reg_name(r), "expected no write, actual write of 0x%llx",
				 (unsigned long long)vcpu->regs[r]);
		}
	}

	struct vcpu_event want = e->exp_event;
	if (!e->exp_inject)
		memset(&want, 0, sizeof(want));
	if (!same_event(&want, &o->event)) {
		trace_format_event(&want, a, sizeof(a));
		trace_format_event(&o->event, b, sizeof(b));
		mismatch(c, "inject", "expected %s, actual %s", a, b);
	}

	const struct sim_vm *s = &sim.vms[vm->id];
	size_t got = s->console_len - console_before;
	const uint8_t *bytes = (const uint8_t *)s->console + console_before;
	if (got != e->exp_console_len || memcmp(bytes, e->exp_console, got)) {
		quote(e->exp_console, e->exp_console_len, a, sizeof(a));
		quote(bytes, got, b, sizeof(b));
		mismatch(c, "console", "expected %s, actual %s", a, b);
	}

	bool stopped = vm->state == VM_STATE_STOPPED;
	if (e->exp_stop > 0) {
		if (!stopped)
			mismatch(c, "stop", "expected %s, actual running",
				 vm_stop_cause_name((enum vm_stop_cause)e->exp_stop));
		else if ((int)vm->stop_cause != e->exp_stop)
			mismatch(c, "stop", "expected %s, actual %s",
				 vm_stop_cause_name((enum vm_stop_cause)e->exp_stop),
				 vm_stop_cause_name(vm->stop_cause));
		else if (e->exp_stop_detail_given && vm->stop_detail != e->exp_stop_detail)
			mismatch(c, "detail", "expected 0x%x, actual 0x%x", e->exp_stop_detail,
				 vm->stop_detail);
	} else if (stopped) {
		mismatch(c, "stop", "expected running, actual stopped (%s)",
			 vm_stop_cause_name(vm->stop_cause));
	}

	if (rx->next_read < e->nreads)
		mismatch(c, "reads", "expected %u guest reads, actual %u", e->nreads, rx->next_read);
	if (rx->overflow_writes)
		mismatch(c, "writes", "more guest writes than a replay can hold");
	unsigned nw = rx->nwrites;
	for (unsigned i = 0; i < e->nwrites || i < nw; i++) {
		if (i >= nw) {
			mismatch(c, "write", "#%u expected gpa=0x%llx len=%u, actual none", i,
				 (unsigned long long)e->writes[i].gpa, e->writes[i].len);
		} else if (i >= e->nwrites) {
			mismatch(c, "write", "#%u expected none, actual gpa=0x%llx len=%u", i,
				 (unsigned long long)rx->writes[i].gpa, rx->writes[i].len);
		} else if (rx->writes[i].gpa != e->writes[i].gpa || rx->writes[i].len != e->writes[i].len ||
			   memcmp(rx->writes[i].data, e->writes[i].data, e->writes[i].len)) {
			mismatch(c, "write", "#%u differs: expected gpa=0x%llx len=%u, actual gpa=0x%llx "
				 "len=%u", i, (unsigned long long)e->writes[i].gpa, e->writes[i].len,
				 (unsigned long long)rx->writes[i].gpa, rx->writes[i].len);
		}
	}
}

/*
 * What the handler will read is what the trace says it read: put it in the
 * host page the VM's EPT maps at that GPA first (the earliest read of a byte
 * wins, so a byte the exit itself writes and reads back again is the
 * exit's). Through the EPT, not the VM's own RAM: a User VM runs in memory
 * the Service VM lent it. A read of an unmapped GPA stays unmapped: core
 * finds no translation, as on the recording platform, and the replay
 * reports it unless the trace says it failed.
 */
static void prefill_page(struct vm *vm, uint64_t gpa, const uint8_t *data, size_t len)
{
	struct ept_walk_result r;
	/* Any permission: an instruction fetch may be from execute-only memory. */
	if (ept_walk(&vm->ept, gpa, 0, &r) != EPT_WALK_MAPPED)
		return;
	uint8_t *hva = plat_hpa_map(r.hpa, len);
	if (hva)
		memcpy(hva, data, len);
}

static void prefill(struct vm *vm, const struct trace_exit *e)
{
	for (unsigned i = e->nreads; i-- > 0;) {
		const struct trace_mem *m = &e->reads[i];
		if (m->fault)
			continue;
		for (uint32_t off = 0; off < m->len;) {
			uint64_t gpa = m->gpa + off;
			uint32_t n = 4096u - (uint32_t)(gpa & 4095u);
			if (n > m->len - off)
				n = m->len - off;
			prefill_page(vm, gpa, m->data + off, n);
			off += n;
		}
	}
}

/* ---- asynchronous events: what core did between and during entries ---- */

struct async_ev {
	uint8_t kind;
	uint16_t vm, vcpu, pcpu, from;
	uint32_t bits;
};

static struct {
	struct async_ev *v;
	unsigned n, cap;
	bool overflow;
} evlog;

static void log_ev(const struct async_ev *ev)
{
	if (evlog.n == evlog.cap) {
		unsigned cap = evlog.cap ? evlog.cap * 2 : 64;
		struct async_ev *nv = realloc(evlog.v, cap * sizeof(*nv));
		if (!nv) {
			evlog.overflow = true;
			return;
		}
		evlog.v = nv;
		evlog.cap = cap;
	}
	evlog.v[evlog.n++] = *ev;
}

static void on_request(const struct vcpu *target, uint32_t bits)
{
	struct async_ev ev = { .kind = TRACE_ASYNC_REQUEST, .vm = target->vm->id,
			       .vcpu = target->id, .pcpu = sim.this_cpu, .bits = bits };
	log_ev(&ev);
}

static void on_kick(uint16_t cpu)
{
	struct async_ev ev = { .kind = TRACE_ASYNC_KICK, .pcpu = cpu, .from = sim.this_cpu };
	log_ev(&ev);
}

static void format_ev(const struct async_ev *ev, char *buf, size_t len)
{
	char bits[96];
	if (ev->kind == TRACE_ASYNC_REQUEST) {
		trace_format_req(ev->bits, bits, sizeof(bits));
		snprintf(buf, len, "vm=%u vcpu=%u bits=%s pcpu=%u", ev->vm, ev->vcpu, bits, ev->pcpu);
	} else {
		snprintf(buf, len, "pcpu=%u from=%u", ev->pcpu, ev->from);
	}
}

static void ev_of_record(const struct trace_async *a, struct async_ev *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = a->kind;
	ev->pcpu = a->pcpu;
	if (a->kind == TRACE_ASYNC_REQUEST) {
		ev->vm = a->vm;
		ev->vcpu = a->vcpu;
		ev->bits = a->bits;
	} else {
		ev->from = a->from;
	}
}

#define REPLAY_MAX_PENDING 16   /* completions one Service VM exit may take (IOREQ_SLOTS) */

struct replay {
	const struct trace *t;
	struct tern *hv;
	FILE *out;
	bool scheduled;           /* the trace has sched entries: pCPUs' current vCPUs are tracked */
	bool check[TRACE_ASYNC_KINDS];
	unsigned next_async;      /* index of the next async record */
	bool known[TERN_MAX_VMS]; /* VMs that existed after the entry before */
	unsigned bad_async;
	/*
	 * Slots the device model wrote (complete records) that no Service VM
	 * exit has read yet: the next one's reads of them must find them.
	 */
	struct {
		uint64_t gpa[2];          /* the state, the value */
		unsigned len[2];
		unsigned index, line;
	} pend[REPLAY_MAX_PENDING];
	unsigned npend;
};

static struct vm *live_vm(struct tern *hv, uint16_t id)
{
	if (id >= TERN_MAX_VMS || hv->vms[id].state == VM_STATE_POWERED_OFF)
		return NULL;
	return &hv->vms[id];
}

/* A VM core created must be the one the trace's vm record says. */
static void check_vm_record(struct replay *r, struct cmp *c, const struct trace_async *a)
{
	const struct trace_vm *tv = &r->t->vms[a->vm_index];
	struct vm *vm = live_vm(r->hv, tv->id);
	if (!vm || r->known[tv->id]) {
		mismatch(c, "vm", "expected VM %u (%s) created, actual %s", tv->id, tv->cfg.name,
			 vm ? "it existed before" : "no such VM");
		return;
	}
	r->known[tv->id] = true;
	if (strcmp(vm->config.name, tv->cfg.name))
		mismatch(c, "name", "expected %s, actual %s", tv->cfg.name, vm->config.name);
	if (vm->config.vcpu_count != tv->cfg.vcpu_count)
		mismatch(c, "vcpus", "expected %u, actual %u", tv->cfg.vcpu_count, vm->config.vcpu_count);
	if (vm->config.service_vm != tv->cfg.service_vm)
		mismatch(c, "service", "expected %d, actual %d", tv->cfg.service_vm, vm->config.service_vm);
	if (vm->config.cpu_affinity != tv->cfg.cpu_affinity)
		mismatch(c, "affinity", "expected 0x%llx, actual 0x%llx",
			 (unsigned long long)tv->cfg.cpu_affinity,
			 (unsigned long long)vm->config.cpu_affinity);
}

/* What the device model did: the slot's value and state, in the Service VM's RAM. */
static void apply_complete(struct replay *r, struct cmp *c, const struct trace_async *a)
{
	struct vm *vm = live_vm(r->hv, a->vm);
	struct vm *svm = vm ? vm_service(r->hv) : NULL;
	if (!vm || !svm || !vm->ioreq_valid) {
		mismatch(c, "vm", "VM %u has no IOREQ page (not created, destroyed, or no "
			 "HC_SET_IOREQ_BUFFER)", a->vm);
		return;
	}
	uint8_t *ram = sim_vm_ram(svm->id);
	uint64_t size = sim.vms[svm->id].ram_size;
	uint64_t slot = vm->ioreq_gpa + (uint64_t)a->vcpu * IOREQ_SLOT_SIZE;
	if (!ram || a->vcpu >= IOREQ_SLOTS || slot + IOREQ_SLOT_SIZE > size) {
		mismatch(c, "vcpu", "slot %u of VM %u is outside the Service VM's RAM", a->vcpu, a->vm);
		return;
	}
	memcpy(ram + slot + IOREQ_OFF_VALUE, &a->value, 8);
	memcpy(ram + slot + IOREQ_OFF_STATE, &a->state, 4);
	/*
	 * In polling mode the scheduler's poll (in the next sched entry's
	 * sched_next) takes the slot, and no exit's reads hold it: nothing to
	 * compare them with. A notifying exit's reads still reach RAM (prefill).
	 */
	if (!vm->config.ioreq_polling && r->npend < REPLAY_MAX_PENDING) {
		r->pend[r->npend].gpa[0] = slot + IOREQ_OFF_STATE;
		r->pend[r->npend].len[0] = 4;
		r->pend[r->npend].gpa[1] = slot + IOREQ_OFF_VALUE;
		r->pend[r->npend].len[1] = 8;
		r->pend[r->npend].index = r->next_async;
		r->pend[r->npend].line = a->line;
		r->npend++;
	}
}

/*
 * The platform's timer for a vCPU expired (asynchronous record `timer`):
 * the simulator's clock is the expiry's host TSC from now on, and the
 * replay does what the platform does then, from the vCPU's own pCPU:
 * VCPU_REQ_TIMER on it (core/vcpu.h: timer_deadline). That request is the
 * record itself: it is not logged as one of core's.
 */
static void apply_timer(struct replay *r, struct cmp *c, const struct trace_async *a)
{
	struct vm *vm = live_vm(r->hv, a->vm);
	if (!vm || a->vcpu >= vm->config.vcpu_count) {
		mismatch(c, "vcpu", "VM %u has no vCPU %u", a->vm, a->vcpu);
		return;
	}
	struct vcpu *v = &vm->vcpus[a->vcpu];
	if (v->pcpu != a->pcpu) {
		mismatch(c, "pcpu", "expected %u, actual %u (the timer is its owner's)", a->pcpu, v->pcpu);
		return;
	}
	sim.host_tsc = a->value;
	void (*req)(const struct vcpu *, uint32_t) = sim.request_hook;
	void (*kick)(uint16_t) = sim.kick_hook;
	uint16_t cpu = sim.this_cpu;
	sim.request_hook = NULL;
	sim.kick_hook = NULL;
	sim.this_cpu = v->pcpu;
	vcpu_make_request(v, VCPU_REQ_TIMER);
	sim.this_cpu = cpu;
	sim.request_hook = req;
	sim.kick_hook = kick;
}

/*
 * The Service VM exit after completions (HC_NOTIFY_REQUEST_FINISH) reads
 * the slots: what it read on the recording platform must be what the
 * device model wrote, byte for byte (before the exit's reads are put in RAM).
 */
static void check_completes(struct replay *r, struct cmp *c, struct vm *svm,
			    const struct trace_exit *e)
{
	const uint8_t *ram = sim_vm_ram(svm->id);
	for (unsigned p = 0; p < r->npend && ram; p++)
		for (unsigned k = 0; k < 2; k++)
			for (unsigned i = 0; i < e->nreads; i++) {
				const struct trace_mem *m = &e->reads[i];
				for (uint32_t b = 0; !m->fault && b < m->len; b++) {
					uint64_t gpa = m->gpa + b;
					if (gpa < r->pend[p].gpa[k] || gpa >= r->pend[p].gpa[k] + r->pend[p].len[k])
						continue;
					if (ram[gpa] != m->data[b]) {
						mismatch(c, "complete", "the exit read 0x%02x at gpa 0x%llx, the "
							 "device model wrote 0x%02x (async #%u, line %u)", m->data[b],
							 (unsigned long long)gpa, ram[gpa], r->pend[p].index,
							 r->pend[p].line);
						r->npend = 0;
						return;
					}
				}
			}
	r->npend = 0;
}

/*
 * After entry `done` (1-based count of entries handled): compare what core
 * did with the async records that follow it, apply the device model's.
 */
static void async_after(struct replay *r, unsigned done, struct cmp *last)
{
	const struct trace *t = r->t;
	unsigned k = 0; /* the next logged event to match */
	char a[160], b[160];
	for (; r->next_async < t->nasync && t->async[r->next_async].after <= done; r->next_async++) {
		const struct trace_async *ar = &t->async[r->next_async];
		struct cmp c = { t, NULL, ar, r->next_async, r->out, 0 };
		if (ar->after == 0 && ar->kind != TRACE_ASYNC_COMPLETE)
			continue; /* the platform's start-up is not replayed */
		if (ar->kind == TRACE_ASYNC_COMPLETE) {
			apply_complete(r, &c, ar);
		} else if (ar->kind == TRACE_ASYNC_TIMER) {
			apply_timer(r, &c, ar);
		} else if (ar->kind == TRACE_ASYNC_VM) {
			check_vm_record(r, &c, ar);
		} else if (r->check[ar->kind]) {
			struct async_ev want;
			ev_of_record(ar, &want);
			/* Skip the events of kinds this trace does not record. */
			while (k < evlog.n && !r->check[evlog.v[k].kind])
				k++;
			format_ev(&want, a, sizeof(a));
			if (k == evlog.n) {
				mismatch(&c, "event", "expected %s, actual none", a);
			} else {
				format_ev(&evlog.v[k], b, sizeof(b));
				if (memcmp(&want, &evlog.v[k], sizeof(want)) != 0)
					mismatch(&c, "event", "expected %s, actual %s %s", a,
						 trace_async_name(evlog.v[k].kind), b);
				k++;
			}
		}
		if (c.mismatches)
			r->bad_async++;
	}
	/* What core did that the trace does not say: the entry's mismatch. */
	for (; k < evlog.n; k++) {
		if (!r->check[evlog.v[k].kind] || !last)
			continue;
		format_ev(&evlog.v[k], b, sizeof(b));
		mismatch(last, trace_async_name(evlog.v[k].kind), "expected none, actual %s", b);
	}
	if (evlog.overflow && last)
		mismatch(last, "async", "out of memory for asynchronous events");
	if (r->check[TRACE_ASYNC_VM])
		for (uint16_t id = 0; id < TERN_MAX_VMS; id++) {
			bool live = live_vm(r->hv, id) != NULL;
			if (live && !r->known[id] && last)
				mismatch(last, "vm", "expected no VM created, actual VM %u (%s)", id,
					 r->hv->vms[id].config.name);
			r->known[id] = live;
		}
	evlog.n = 0;
	evlog.overflow = false;
}

static void vcpu_name(const struct vcpu *v, char *buf, size_t len)
{
	if (v)
		snprintf(buf, len, "vm=%u vcpu=%u", v->vm->id, v->id);
	else
		snprintf(buf, len, "none");
}

/*
 * The platform's write-back before the entry (dirty registers to the VMCS,
 * the event injected), then the entry itself, as platform/x86 does it.
 */
static void enter(struct replay *r, struct vcpu *vcpu)
{
	vcpu->reg_dirty = 0;
	memset(&vcpu->event, 0, sizeof(vcpu->event));
	if (r->scheduled && vcpu_can_enter(vcpu))
		(void)vcpu_enter_guest(vcpu);
}

/*
 * What the CPU left in the virtual-APIC page before the exit: VTPR, which
 * the guest changes without an exit under a TPR shadow (SDM Vol. 3C 29.3),
 * given by every exit of such a vCPU in a recording; and before an
 * APIC-write exit (SDM Vol. 3C 29.4.3) it stored
 * the guest's value in the virtual-APIC page, which is the vLAPIC's register
 * storage (core/vlapic.h). As strict as hardware: an APIC write comes only
 * with APIC-register virtualization on, the xAPIC page virtualized, and at
 * an offset the CPU reports (vlapic_apic_write_offset); anything else fails
 * the replay (and core, handed it anyway, stops the VM).
 */
static void apic_write_store(struct cmp *c, struct vcpu *vcpu, const struct trace_exit *e)
{
	bool apic_write = exit_basic_reason(&e->ex) == EXIT_REASON_APIC_WRITE;
	uint32_t off = apic_qual_offset(e->ex.qualification);
	const struct vlapic *l = &vcpu->lapic;
	/* VTPR as the guest left it: the CPU changes it without an exit (TPR shadow, SDM 29.3). */
	if (e->have_vtpr) {
		if (!vcpu->intr.tpr_shadow)
			mismatch(c, "vtpr", "given, but the CPU runs this vCPU without a TPR shadow");
		else
			*vlapic_reg(&vcpu->lapic, VLAPIC_TPR) = e->vtpr;
	}
	if (e->have_vicr_hi) {
		if (!apic_write || apic_qual_offset(e->ex.qualification) != VLAPIC_ICR_LO)
			mismatch(c, "vicr_hi", "given for an exit that sends no IPI (an APIC write at ICR low)");
		else
			*vlapic_reg(&vcpu->lapic, VLAPIC_ICR_HI) = e->vicr_hi;
	}
	if (!apic_write) {
		if (e->have_apic_value)
			mismatch(c, "apic_value", "given for a %s exit, not an APIC write",
				 exit_reason_name(exit_basic_reason(&e->ex)));
		return;
	}
	if (!vmxc_apic_virt() || !vlapic_hw_enabled(l) || vlapic_x2apic(l))
		mismatch(c, "reason", "APIC write, but the CPU does not virtualize this vCPU's xAPIC page");
	else if (!vlapic_apic_write_offset(off))
		mismatch(c, "qual", "APIC write at offset 0x%x, which the CPU never reports", off);
	else if (!e->have_apic_value)
		mismatch(c, "apic_value", "APIC write without the value the CPU stored");
	else
		*vlapic_reg(&vcpu->lapic, off & ~0xfu) = e->apic_value;
}

/* One handling (an exit's, or a sched entry's pre-entry work) under the trace's state. */
static int handle(struct replay *r, struct cmp *c, struct vcpu *vcpu, const struct trace_exit *e,
		  bool is_exit)
{
	struct vm *vm = vcpu->vm;
	if (is_exit && vm->config.service_vm && r->npend)
		check_completes(r, c, vm, e);
	struct sim_replay_exit *rx = calloc(1, sizeof(*rx));
	if (!rx) {
		fprintf(c->out, "%s: out of memory\n", c->t->file);
		return -1;
	}
	rx->te = e;
	prefill(vm, e);
	size_t console_before = sim.vms[vm->id].console_len;
	sim_vcpu_begin(vcpu);
	int action = -1;
	struct outcome o;
	if (is_exit) {
		vcpu_cache_reset(vcpu);
		apic_write_store(c, vcpu, e);
		sim.replay = rx;
		action = vcpu_handle_exit(vcpu, &e->ex);
		o.written = vcpu->reg_dirty;
		o.event = vcpu->event;
	} else {
		/*
		 * The register cache holds what the vCPU's last exit read and
		 * left dirty, as on x86 (written back only now, at the entry).
		 */
		uint32_t before = vcpu->reg_dirty;
		uint64_t vals[VCPU_REG_COUNT];
		struct vcpu_event ev = vcpu->event;
		memcpy(vals, vcpu->regs, sizeof(vals));
		sim.replay = rx;
		vcpu_pre_entry(vcpu);
		o.written = vcpu->reg_dirty;
		for (int reg = 0; reg < VCPU_REG_COUNT; reg++)
			if ((before & (1u << reg)) && vcpu->regs[reg] == vals[reg])
				o.written &= ~(1u << reg);
		o.event = vcpu->event;
		if (ev.valid && same_event(&ev, &vcpu->event))
			memset(&o.event, 0, sizeof(o.event));
	}
	sim.replay = NULL;
	compare(c, vm, vcpu, action, rx, console_before, &o);
	free(rx->writes);
	free(rx);
	return 0;
}

unsigned replay_trace(const struct trace *t, FILE *out, struct replay_stats *stats)
{
	static struct tern hv;
	unsigned bad_exits = 0;
	struct replay r = { .t = t, .hv = &hv, .out = out, .scheduled = t->nsched > 0 };
	for (unsigned k = 0; k < TRACE_ASYNC_KINDS; k++)
		r.check[k] = t->count[k] > 0;
	/* VM records after the first entry say which VMs core created. */
	r.check[TRACE_ASYNC_VM] = t->count[TRACE_ASYNC_VM] > 0;

	sim_reset();
	/* The host CPU the trace was recorded on, when the trace says. */
	if (t->nhost_cpuid) {
		sim.host_cpuid_count = 0;
		for (unsigned i = 0; i < t->nhost_cpuid; i++)
			sim_set_host_cpuid(t->host_cpuid[i].leaf, t->host_cpuid[i].subleaf,
					   t->host_cpuid[i].regs);
	}
	tern_init(&hv);
	/* The trace's VMs as the image makes them: their RAM carved from host RAM
	 * and mapped through their EPT (the Service VM's as lendable). */
	unsigned nstart = t->nvms_at_start ? t->nvms_at_start : 1;
	for (unsigned i = 0; i < nstart && i < t->nvms; i++) {
		struct vm_config cfg = t->vms[i].cfg;
		struct vm *vm = NULL;
		int ret = sim_vm_create(&hv, &cfg, &vm);
		if (ret || vm->id != t->vms[i].id) {
			fprintf(out, "%s: the trace's VM %u (line %u) could not be created (%s %d)\n",
				t->file, t->vms[i].id, t->vms[i].line, ret ? "error" : "core gave it id",
				ret ? ret : vm->id);
			return t->nexits ? t->nexits : 1;
		}
		if (t->vms[i].boot_state) {
			/*
			 * Its content is not in the trace (the exits' state is);
			 * what it does is: a reset loads it (vm_mgr.h).
			 */
			struct vcpu_load_state st;
			vm_mgr_multiboot_state(&st, REPLAY_BOOT_ENTRY, MULTIBOOT_MAGIC, 0);
			if ((ret = vm_mgr_set_boot_state(vm, &st)) != 0) {
				fprintf(out, "%s: the boot state of VM %u was refused (%d)\n", t->file,
					vm->id, ret);
				return 1;
			}
		}
		if (!t->vms[i].created_only) {
			/*
			 * Started as vm_mgr_start does: the BSP runs, the APs
			 * wait for a SIPI (VCPU_STATE_INIT, SDM Vol. 3A 8.4).
			 * Each vCPU holds what vm_mgr_create's reset asked of it
			 * (vcpu_reset: VCPU_REQ_FLUSH_EPT) before the recording
			 * began: an AP's pCPU takes it once to carry that out.
			 */
			vm->state = VM_STATE_RUNNING;
			if (r.scheduled) {
				vm->vcpus[0].state = VCPU_STATE_RUNNABLE;
				/* Bits set outside vcpu_make_request: the pCPUs' entry decisions are told. */
				for (uint16_t v = 0; v < vm->config.vcpu_count; v++) {
					atomic_or32(&vm->vcpus[v].requests, VCPU_REQ_FLUSH_EPT);
					sched_cpu_stale(&hv.cpus[vm->vcpus[v].pcpu]);
				}
			}
		}
	}
	/* In a scheduled trace each pCPU runs nothing until its first sched entry. */
	for (uint16_t id = 0; id < TERN_MAX_VMS; id++)
		r.known[id] = live_vm(&hv, id) != NULL;
	evlog.n = 0;
	evlog.overflow = false;
	sim.request_hook = on_request;
	sim.kick_hook = on_kick;
	async_after(&r, 0, NULL);

	unsigned nexit = 0, nsched = 0;
	for (unsigned i = 0; i < t->nexits; i++) {
		const struct trace_exit *e = &t->exits[i];
		struct cmp c = { t, e, NULL, e->sched ? nsched++ : nexit++, out, 0 };
		uint16_t basic = exit_basic_reason(&e->ex);
		unsigned slot = basic < EXIT_REASON_MAX ? basic : EXIT_REASON_MAX;
		struct vm *vm = live_vm(&hv, e->vm);
		struct vcpu *vcpu = NULL;
		char a[64], b[64];

		if (e->sched) {
			struct vcpu *want = NULL;
			if (!e->sched_none && vm && e->vcpu < vm->config.vcpu_count)
				want = &vm->vcpus[e->vcpu];
			sim.this_cpu = e->pcpu;
			vcpu = sched_next(&hv, e->pcpu);
			sim.current[e->pcpu] = vcpu;
			/*
			 * The real image's AP (platform/x86/run.c x86_pcpu_run)
			 * outlives its vCPUs: with nothing that may wake them it
			 * waits for work (sched_cpu_wait) under the same record.
			 */
			if (!vcpu && e->pcpu != 0 && !hv.cpus[e->pcpu].idle)
				(void)sched_cpu_wait(&hv, e->pcpu);
			if (vcpu != want) {
				if (want || e->sched_none)
					vcpu_name(want, a, sizeof(a));
				else
					snprintf(a, sizeof(a), "vm=%u vcpu=%u (which does not exist)",
						 e->vm, e->vcpu);
				vcpu_name(vcpu, b, sizeof(b));
				mismatch(&c, "vcpu", "expected %s, actual %s", a, b);
			}
			if (vcpu) {
				if (handle(&r, &c, vcpu, e, false))
					break;
				enter(&r, vcpu);
			}
		} else if (!vm) {
			mismatch(&c, "vm", "exit of VM %u, which does not exist", e->vm);
		} else if (e->vcpu >= vm->config.vcpu_count) {
			mismatch(&c, "vcpu", "exit of vCPU %u, which VM %u does not have (it has %u)",
				 e->vcpu, e->vm, vm->config.vcpu_count);
		} else if (vm->state == VM_STATE_STOPPED) {
			mismatch(&c, "vm", "exit after the VM stopped (%s)",
				 vm_stop_cause_name(vm->stop_cause));
		} else {
			vcpu = &vm->vcpus[e->vcpu];
			if (e->pcpu_given && vcpu->pcpu != e->pcpu)
				mismatch(&c, "pcpu", "expected %u, actual %u (the vCPU's owner)", e->pcpu,
					 vcpu->pcpu);
			if (r.scheduled && hv.cpus[vcpu->pcpu].current != vcpu) {
				vcpu_name(hv.cpus[vcpu->pcpu].current, b, sizeof(b));
				mismatch(&c, "vcpu", "exit of a vCPU its pCPU %u is not running (it runs %s)",
					 vcpu->pcpu, b);
			}
			if (r.scheduled)
				vcpu_leave_guest(vcpu);
			else
				vcpu->state = VCPU_STATE_RUNNABLE;
			if (handle(&r, &c, vcpu, e, true))
				break;
			/*
			 * What the platform does before the next entry. In a
			 * scheduled trace that is the pCPU's next sched entry (the
			 * vCPU may not be the one it runs next); otherwise now.
			 */
			if (!r.scheduled) {
				sim_vcpu_begin(vcpu);
				vcpu_pre_entry(vcpu);
				enter(&r, vcpu);
			}
		}
		async_after(&r, i + 1, &c);
		if (stats) {
			if (e->sched) {
				stats->scheds++;
				stats->bad_scheds += c.mismatches != 0;
			} else {
				stats->exits++;
				stats->by_reason[slot]++;
				if (c.mismatches) {
					stats->mismatched_exits++;
					stats->by_reason_bad[slot]++;
				}
				if (e->action >= 0 && e->action < 8)
					stats->by_action[e->action]++;
			}
		}
		if (c.mismatches)
			bad_exits++;
	}
	sim.request_hook = NULL;
	sim.kick_hook = NULL;
	if (stats) {
		for (unsigned k = 0; k < TRACE_ASYNC_KINDS; k++)
			stats->async[k] += t->count[k];
		stats->bad_async += r.bad_async;
	}
	return bad_exits + r.bad_async;
}
