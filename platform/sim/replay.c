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

struct cmp {
	const struct trace *t;
	const struct trace_exit *e;
	unsigned index;
	FILE *out;
	unsigned mismatches;
};

static void mismatch(struct cmp *c, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void mismatch(struct cmp *c, const char *field, const char *fmt, ...)
{
	va_list ap;
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

static void compare(struct cmp *c, struct vm *vm, struct vcpu *vcpu, int action,
		    const struct sim_replay_exit *rx, size_t console_before)
{
	const struct trace_exit *e = c->e;
	char a[TRACE_MAX_CONSOLE * 4 + 8], b[TRACE_MAX_CONSOLE * 4 + 8];

	if (rx->error[0])
		mismatch(c, "platform:", "%s", rx->error);
	if (action != e->action)
		mismatch(c, "action", "expected %s, actual %s", exit_action_name(e->action),
			 exit_action_name(action));

	for (int r = 0; r < VCPU_REG_COUNT; r++) {
		uint32_t bit = 1u << r;
		bool written = (vcpu->reg_dirty & bit) != 0;
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
	if (!same_event(&want, &vcpu->event)) {
		trace_format_event(&want, a, sizeof(a));
		trace_format_event(&vcpu->event, b, sizeof(b));
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
 * VM's RAM first (the earliest read of a byte wins, so a byte the exit
 * itself writes and reads back again is the exit's). A read outside the
 * VM's RAM stays outside: core finds no translation, as on the recording
 * platform, and the replay reports it unless the trace says it failed.
 */
static void prefill(struct vm *vm, const struct trace_exit *e)
{
	uint8_t *ram = sim_vm_ram(vm->id);
	uint64_t size = sim.vms[vm->id].ram_size;
	for (unsigned i = e->nreads; i-- > 0;) {
		const struct trace_mem *m = &e->reads[i];
		if (m->fault || !ram || m->len > size || m->gpa > size - m->len)
			continue;
		memcpy(ram + m->gpa, m->data, m->len);
	}
}

unsigned replay_trace(const struct trace *t, FILE *out, struct replay_stats *stats)
{
	static struct tern hv;
	unsigned bad_exits = 0;

	sim_reset();
	/* The host CPU the trace was recorded on, when the trace says. */
	if (t->nhost_cpuid) {
		sim.host_cpuid_count = 0;
		for (unsigned i = 0; i < t->nhost_cpuid; i++)
			sim_set_host_cpuid(t->host_cpuid[i].leaf, t->host_cpuid[i].subleaf,
					   t->host_cpuid[i].regs);
	}
	tern_init(&hv);
	struct vm *vm = NULL;
	/* The trace's VM as the image makes it: its RAM carved from host RAM
	 * and mapped through its EPT (the Service VM's as lendable). */
	struct vm_config cfg = t->cfg;
	int ret = sim_vm_create(&hv, &cfg, &vm);
	if (ret) {
		fprintf(out, "%s: the trace's VM could not be created (error %d)\n", t->file, ret);
		return t->nexits ? t->nexits : 1;
	}
	vm->state = VM_STATE_RUNNING;

	for (unsigned i = 0; i < t->nexits; i++) {
		const struct trace_exit *e = &t->exits[i];
		struct vcpu *vcpu = &vm->vcpus[e->vcpu];
		struct cmp c = { t, e, i, out, 0 };
		uint16_t basic = exit_basic_reason(&e->ex);
		unsigned slot = basic < EXIT_REASON_MAX ? basic : EXIT_REASON_MAX;

		if (vm->state == VM_STATE_STOPPED) {
			mismatch(&c, "vm", "exit after the VM stopped (%s)",
				 vm_stop_cause_name(vm->stop_cause));
		} else {
			struct sim_replay_exit *rx = calloc(1, sizeof(*rx));
			if (!rx) {
				fprintf(out, "%s: out of memory\n", t->file);
				return bad_exits + 1;
			}
			rx->te = e;
			prefill(vm, e);
			size_t console_before = sim.vms[vm->id].console_len;
			vcpu->state = VCPU_STATE_RUNNABLE;
			sim_vcpu_begin(vcpu);
			vcpu_cache_reset(vcpu);
			sim.replay = rx;
			int action = vcpu_handle_exit(vcpu, &e->ex);
			sim.replay = NULL;
			compare(&c, vm, vcpu, action, rx, console_before);
			free(rx->writes);
			free(rx);
			/* What the platform does before the next entry. */
			vcpu_pre_entry(vcpu);
			vcpu->reg_dirty = 0;
			memset(&vcpu->event, 0, sizeof(vcpu->event));
		}
		if (stats) {
			stats->exits++;
			stats->by_reason[slot]++;
			if (c.mismatches) {
				stats->mismatched_exits++;
				stats->by_reason_bad[slot]++;
			}
			if (e->action >= 0 && e->action < 8)
				stats->by_action[e->action]++;
		}
		if (c.mismatches)
			bad_exits++;
	}
	return bad_exits;
}
