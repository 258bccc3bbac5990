/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Converting traces: binary (core/trace_bin.h) to struct trace, and struct
 * trace back out as text or binary. The binary loader applies the same
 * checks the text parser does; its errors name the file and byte offset.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "trace_io.h"
#include "trace_bin.h"
#include "exit_dispatch.h"

static int bin_fail(char *err, size_t errlen, const char *name, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int bin_fail(char *err, size_t errlen, const char *name, size_t off, const char *fmt, ...)
{
	char msg[TRACE_ERR];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: offset %zu: %s", name, off, msg);
	return -1;
}

static int load(const char *name, const uint8_t *buf, size_t len, struct trace *t, char *err,
		size_t errlen)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->file, sizeof(t->file), "%s", name);
	if (trace_bin_check_header(buf, len))
		return bin_fail(err, errlen, name, 0, "not a Tern binary trace (bad magic or version)");
	size_t pos = TRACE_BIN_HEADER_LEN;
	struct trace_exit *e = NULL;
	struct trace_bin_rec *r = malloc(sizeof(*r));
	if (!r)
		return bin_fail(err, errlen, name, pos, "out of memory");
	int ret = 0;
	while (pos < len) {
		size_t at = pos;
		int rc = trace_bin_next(buf, len, &pos, r);
		if (rc) {
			ret = bin_fail(err, errlen, name, at, rc == -22 ? "malformed record (type %u)"
					: "truncated record (type %u)", buf[at]);
			break;
		}
		if (r->type == TRACE_BIN_VM) {
			if (trace_find_vm(t, r->vm.id)) {
				ret = bin_fail(err, errlen, name, at, "a second VM record for VM %u",
					       r->vm.id);
				break;
			}
			if (t->nvms == TERN_MAX_VMS || r->vm.id >= TERN_MAX_VMS) {
				ret = bin_fail(err, errlen, name, at, "VM id %u: at most %u VMs", r->vm.id,
					       TERN_MAX_VMS);
				break;
			}
			if (r->vm.vcpus == 0 || r->vm.vcpus > TERN_MAX_VCPUS || !r->vm.name[0] ||
			    r->vm.affinity >> TERN_MAX_PCPUS) {
				ret = bin_fail(err, errlen, name, at, "impossible VM configuration");
				break;
			}
			if (e && !e->sched && !e->have_expect) {
				ret = bin_fail(err, errlen, name, at, "VM record inside an exit");
				break;
			}
			struct trace_vm *tv = &t->vms[t->nvms];
			memset(tv, 0, sizeof(*tv));
			tv->id = r->vm.id;
			tv->line = t->nexits;
			snprintf(tv->cfg.name, sizeof(tv->cfg.name), "%s", r->vm.name);
			tv->cfg.vcpu_count = r->vm.vcpus;
			tv->cfg.service_vm = r->vm.service;
			tv->cfg.reset_on_triple_fault = r->vm.reset_on_triple_fault;
			tv->cfg.mem_size = r->vm.mem;
			tv->cfg.cpu_affinity = r->vm.affinity;
			tv->boot_state = r->vm.flags & TRACE_BIN_VM_BOOT_STATE;
			tv->created_only = r->vm.flags & TRACE_BIN_VM_CREATED;
			if (tv->created_only && t->nexits) {
				ret = bin_fail(err, errlen, name, at, "a VM created during the run that is "
					       "marked not started");
				break;
			}
			if (t->nexits) {
				struct trace_async *a = trace_add_async(t, TRACE_ASYNC_VM);
				if (!a) {
					ret = bin_fail(err, errlen, name, at, "too many records");
					break;
				}
				a->line = t->nexits;
				a->vm = tv->id;
				a->vm_index = t->nvms;
				e = NULL;
			} else {
				t->nvms_at_start = t->nvms + 1;
			}
			if (t->nvms == 0)
				t->cfg = tv->cfg;
			t->nvms++;
			t->have_vm = true;
			continue;
		}
		if (!t->have_vm) {
			ret = bin_fail(err, errlen, name, at, "record before the VM record");
			break;
		}
		if (r->type == TRACE_BIN_HOST_CPUID) {
			if (t->nexits || t->nhost_cpuid == TRACE_MAX_HOST_CPUID) {
				ret = bin_fail(err, errlen, name, at, "host CPUID record after the exits or "
					       "beyond %u", TRACE_MAX_HOST_CPUID);
				break;
			}
			struct trace_cpuid *c = &t->host_cpuid[t->nhost_cpuid++];
			c->leaf = r->cpuid_leaf;
			c->subleaf = r->cpuid_subleaf;
			memcpy(c->regs, r->cpuid_regs, sizeof(c->regs));
			continue;
		}
		if (r->type == TRACE_BIN_EXIT || r->type == TRACE_BIN_SCHED) {
			if (e && !e->sched && !e->have_expect) {
				ret = bin_fail(err, errlen, name, at, "exit without an ACTION record before it");
				break;
			}
			const struct trace_vm *tv = trace_find_vm(t, r->vm_id);
			bool none = r->type == TRACE_BIN_SCHED && (r->index & TRACE_BIN_SCHED_NONE);
			if (!none && (!tv || r->vcpu >= tv->cfg.vcpu_count)) {
				ret = bin_fail(err, errlen, name, at, "%s of vCPU %u of VM %u, which does not "
					       "exist", r->type == TRACE_BIN_EXIT ? "exit" : "sched",
					       r->vcpu, r->vm_id);
				break;
			}
			if (r->ex.instr_len > 15 || r->pcpu >= TERN_MAX_PCPUS) {
				ret = bin_fail(err, errlen, name, at, "impossible exit (length %u, pcpu %u)",
					       r->ex.instr_len, r->pcpu);
				break;
			}
			if (!(e = trace_add_exit(t))) {
				ret = bin_fail(err, errlen, name, at, "too many exits");
				break;
			}
			e->line = t->nexits; /* binary traces number entries, not lines */
			e->vm = r->vm_id;
			e->vcpu = r->vcpu;
			e->pcpu = r->pcpu;
			if (r->type == TRACE_BIN_SCHED) {
				e->sched = true;
				e->sched_none = none;
				e->pcpu_given = true;
				e->action = -1;
				t->nsched++;
			} else {
				e->ex = r->ex;
				/* Old recordings have index 0: their one pCPU. */
				e->pcpu_given = true;
			}
			continue;
		}
		if (r->type == TRACE_BIN_REQUEST || r->type == TRACE_BIN_KICK ||
		    r->type == TRACE_BIN_COMPLETE || r->type == TRACE_BIN_TIMER) {
			if (e && !e->sched && !e->have_expect) {
				ret = bin_fail(err, errlen, name, at, "asynchronous record inside an exit");
				break;
			}
			uint8_t kind = r->type == TRACE_BIN_REQUEST ? TRACE_ASYNC_REQUEST :
				       r->type == TRACE_BIN_KICK ? TRACE_ASYNC_KICK :
				       r->type == TRACE_BIN_TIMER ? TRACE_ASYNC_TIMER : TRACE_ASYNC_COMPLETE;
			const struct trace_vm *tv = trace_find_vm(t, r->vm_id);
			if (kind != TRACE_ASYNC_KICK && (!tv || r->vcpu >= tv->cfg.vcpu_count)) {
				ret = bin_fail(err, errlen, name, at, "%s for vCPU %u of VM %u, which does "
					       "not exist", trace_async_name(kind), r->vcpu, r->vm_id);
				break;
			}
			if (r->pcpu >= TERN_MAX_PCPUS || r->from >= TERN_MAX_PCPUS ||
			    (kind == TRACE_ASYNC_REQUEST &&
			     (r->bits == 0 || (r->bits & ~(uint32_t)TRACE_REQ_KNOWN)))) {
				ret = bin_fail(err, errlen, name, at, "impossible %s record",
					       trace_async_name(kind));
				break;
			}
			struct trace_async *a = trace_add_async(t, kind);
			if (!a) {
				ret = bin_fail(err, errlen, name, at, "too many records");
				break;
			}
			a->line = t->nexits;
			a->vm = r->vm_id;
			a->vcpu = r->vcpu;
			a->pcpu = r->pcpu;
			a->from = r->from;
			a->bits = r->bits;
			a->state = r->state;
			a->value = r->value;
			e = NULL;
			continue;
		}
		if (!e) {
			ret = bin_fail(err, errlen, name, at, "record outside an exit");
			break;
		}
		bool outcome = r->type >= TRACE_BIN_ACTION && r->type <= TRACE_BIN_WRITE;
		if (!outcome && e->have_expect) {
			ret = bin_fail(err, errlen, name, at, "state record after the outcome");
			break;
		}
		if (e->sched && r->type == TRACE_BIN_ACTION) {
			ret = bin_fail(err, errlen, name, at, "ACTION in a sched entry");
			break;
		}
		if (e->sched && outcome)
			e->have_expect = true; /* a sched entry's outcome has no ACTION */
		if (outcome && r->type != TRACE_BIN_ACTION && !e->have_expect) {
			ret = bin_fail(err, errlen, name, at, "outcome record before ACTION");
			break;
		}
		switch (r->type) {
		case TRACE_BIN_REG:
			e->regs[r->index] = r->value;
			e->reg_mask |= 1u << r->index;
			break;
		case TRACE_BIN_SEG:
			/* VMCS access rights: bits 31:17 and 11:8 are reserved (SDM Table 24-2), as in text. */
			if (r->seg.ar & ~(uint32_t)0x1f0ff) {
				ret = bin_fail(err, errlen, name, at, "access rights 0x%x set reserved bits",
					       r->seg.ar);
				break;
			}
			e->segs[r->index] = r->seg;
			e->seg_mask |= (uint16_t)(1u << r->index);
			break;
		case TRACE_BIN_MEM: {
			struct trace_mem *m = trace_exit_add_mem(e, false);
			if (!m) {
				ret = bin_fail(err, errlen, name, at, "more than %u reads in one exit",
					       TRACE_MAX_READS);
				break;
			}
			m->gpa = r->gpa;
			m->len = r->len;
			m->fault = r->fault;
			memcpy(m->data, r->data, r->fault ? 0 : r->len);
			break;
		}
		case TRACE_BIN_HOST_TSC:
			e->have_tsc = true;
			e->host_tsc = r->value;
			break;
		case TRACE_BIN_APIC_VALUE:
			e->have_apic_value = true;
			e->apic_value = (uint32_t)r->value;
			break;
		case TRACE_BIN_VTPR:
			e->have_vtpr = true;
			e->vtpr = (uint32_t)r->value;
			break;
		case TRACE_BIN_VICR_HI:
			e->have_vicr_hi = true;
			e->vicr_hi = (uint32_t)r->value;
			break;
		case TRACE_BIN_ACTION:
			if (e->have_expect) {
				ret = bin_fail(err, errlen, name, at, "second ACTION in one exit");
				break;
			}
			e->have_expect = true;
			e->action = r->index;
			break;
		case TRACE_BIN_EXP_REG:
			e->exp_regs[r->index] = r->value;
			e->exp_reg_mask |= 1u << r->index;
			break;
		case TRACE_BIN_EVENT:
			e->exp_inject = true;
			e->exp_event = r->event;
			break;
		case TRACE_BIN_CONSOLE:
			if (e->exp_console_len + r->len > TRACE_MAX_CONSOLE) {
				ret = bin_fail(err, errlen, name, at, "console output over %u bytes",
					       TRACE_MAX_CONSOLE);
				break;
			}
			memcpy(e->exp_console + e->exp_console_len, r->data, r->len);
			e->exp_console_len += r->len;
			break;
		case TRACE_BIN_STOP:
			if (r->stop_cause == 0 || r->stop_cause > VM_STOP_INTERNAL) {
				ret = bin_fail(err, errlen, name, at, "unknown stop cause %u",
					       r->stop_cause);
				break;
			}
			e->exp_stop = (int)r->stop_cause;
			e->exp_stop_detail = r->stop_detail;
			e->exp_stop_detail_given = true;
			break;
		default: { /* TRACE_BIN_WRITE */
			struct trace_mem *w = trace_exit_add_mem(e, true);
			if (!w) {
				ret = bin_fail(err, errlen, name, at, "more than %u writes in one exit",
					       TRACE_MAX_WRITES);
				break;
			}
			w->gpa = r->gpa;
			w->len = r->len;
			memcpy(w->data, r->data, r->len);
			break;
		}
		}
		if (ret)
			break;
	}
	free(r);
	if (!ret && e && !e->sched && !e->have_expect)
		ret = bin_fail(err, errlen, name, len, "the last exit has no ACTION (truncated trace?)");
	if (!ret && !t->have_vm)
		ret = bin_fail(err, errlen, name, len, "no VM record: empty or truncated trace");
	if (ret)
		trace_free(t);
	return ret;
}

int trace_load_binary(const char *name, const uint8_t *buf, size_t len, struct trace *t, char *err,
		      size_t errlen)
{
	return load(name, buf, len, t, err, errlen);
}

/* ---- writers ------------------------------------------------------------------ */

static void put_event(FILE *f, const struct vcpu_event *ev)
{
	char buf[64];
	trace_format_event(ev, buf, sizeof(buf));
	fprintf(f, " inject=%s", buf);
}

static void put_string(FILE *f, const uint8_t *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			fputs("\\n", f);
		else if (s[i] == '\r')
			fputs("\\r", f);
		else if (s[i] == '\t')
			fputs("\\t", f);
		else if (s[i] == '"' || s[i] == '\\')
			fprintf(f, "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] >= 0x7f)
			fprintf(f, "\\x%02x", s[i]);
		else
			fputc(s[i], f);
	}
	fputc('"', f);
}

static void put_hex(FILE *f, const uint8_t *d, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		fprintf(f, "%02x", d[i]);
}

static const char *const stop_names[] = {
	"none", "unexpected-exit", "entry-failure", "triple-fault", "guest-exit", "bad-memory",
	"internal",
};

static void text_vm(FILE *f, const struct trace_vm *tv, bool with_id)
{
	const struct vm_config *c = &tv->cfg;
	fprintf(f, "vm");
	if (with_id)
		fprintf(f, " id=%u", tv->id);
	/* A name from a binary trace may hold any byte: quoted when it is not a plain word. */
	bool plain = c->name[0] != '\0';
	for (const char *n = c->name; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
		      *n == '_' || *n == '-' || *n == '.'))
			plain = false;
	fprintf(f, " name=");
	if (plain)
		fputs(c->name, f);
	else
		put_string(f, (const uint8_t *)c->name, strlen(c->name));
	fprintf(f, " vcpus=%u service=%d mem=0x%llx", c->vcpu_count, c->service_vm,
		(unsigned long long)c->mem_size);
	if (c->reset_on_triple_fault)
		fprintf(f, " reset_on_triple_fault=1");
	if (c->cpu_affinity)
		fprintf(f, " affinity=0x%llx", (unsigned long long)c->cpu_affinity);
	if (tv->boot_state)
		fprintf(f, " boot_state=1");
	if (tv->created_only)
		fprintf(f, " state=created");
	fputc('\n', f);
}

static void text_async(FILE *f, const struct trace *t, const struct trace_async *a)
{
	char bits[96];
	switch (a->kind) {
	case TRACE_ASYNC_REQUEST:
		trace_format_req(a->bits, bits, sizeof(bits));
		fprintf(f, "request vm=%u vcpu=%u bits=%s pcpu=%u\n", a->vm, a->vcpu, bits, a->pcpu);
		break;
	case TRACE_ASYNC_KICK:
		fprintf(f, "kick pcpu=%u from=%u\n", a->pcpu, a->from);
		break;
	case TRACE_ASYNC_COMPLETE:
		fprintf(f, "complete vm=%u vcpu=%u state=%u value=0x%llx\n", a->vm, a->vcpu, a->state,
			(unsigned long long)a->value);
		break;
	case TRACE_ASYNC_TIMER:
		fprintf(f, "timer vm=%u vcpu=%u pcpu=%u tsc=0x%llx\n", a->vm, a->vcpu, a->pcpu,
			(unsigned long long)a->value);
		break;
	default:
		text_vm(f, &t->vms[a->vm_index], true);
		break;
	}
}

int trace_write_text(const struct trace *t, FILE *f)
{
	/* One VM with id 0 is written as before, without id= (older readers). */
	bool ids = t->nvms > 1 || (t->nvms && t->vms[0].id != 0);
	unsigned nstart = t->nvms_at_start ? t->nvms_at_start : t->nvms;
	for (unsigned v = 0; v < nstart; v++)
		text_vm(f, &t->vms[v], ids);
	for (unsigned i = 0; i < t->nhost_cpuid; i++) {
		const struct trace_cpuid *c = &t->host_cpuid[i];
		fprintf(f, "host_cpuid leaf=0x%x sub=0x%x eax=0x%x ebx=0x%x ecx=0x%x edx=0x%x\n", c->leaf,
			c->subleaf, c->regs[0], c->regs[1], c->regs[2], c->regs[3]);
	}
	unsigned ai = 0;
	for (; ai < t->nasync && t->async[ai].after == 0; ai++)
		text_async(f, t, &t->async[ai]);
	for (unsigned i = 0; i < t->nexits; i++) {
		const struct trace_exit *e = &t->exits[i];
		uint16_t basic = exit_basic_reason(&e->ex);
		const char *rname = exit_reason_name(basic);
		fputc('\n', f);
		if (e->sched) {
			fprintf(f, "sched pcpu=%u", e->pcpu);
			if (e->sched_none)
				fprintf(f, " none");
			else
				fprintf(f, " vm=%u vcpu=%u", e->vm, e->vcpu);
		} else {
			if (strcmp(rname, "UNKNOWN"))
				fprintf(f, "exit %s", rname);
			else
				fprintf(f, "exit %u", basic);
			if (e->vm != t->vms[0].id)
				fprintf(f, " vm=%u", e->vm);
			if (e->vcpu)
				fprintf(f, " vcpu=%u", e->vcpu);
			if (e->pcpu_given && e->pcpu)
				fprintf(f, " pcpu=%u", e->pcpu); /* 0: the binary form's default */
		}
		if (exit_is_entry_failure(&e->ex))
			fprintf(f, " failed=1");
		const struct exit_record *x = &e->ex;
		if (x->qualification) fprintf(f, " qual=0x%llx", (unsigned long long)x->qualification);
		if (x->instr_len) fprintf(f, " len=%u", x->instr_len);
		if (x->instr_info) fprintf(f, " info=0x%x", x->instr_info);
		if (x->guest_linear) fprintf(f, " gla=0x%llx", (unsigned long long)x->guest_linear);
		if (x->guest_physical) fprintf(f, " gpa=0x%llx", (unsigned long long)x->guest_physical);
		if (x->intr_info) fprintf(f, " intr=0x%x", x->intr_info);
		if (x->intr_error) fprintf(f, " intr_err=0x%x", x->intr_error);
		if (x->idt_vectoring_info) fprintf(f, " idtv=0x%x", x->idt_vectoring_info);
		if (x->idt_vectoring_error) fprintf(f, " idtv_err=0x%x", x->idt_vectoring_error);
		fputc('\n', f);
		if (e->reg_mask || e->seg_mask || e->have_tsc || e->have_apic_value || e->have_vtpr ||
		    e->have_vicr_hi) {
			fprintf(f, "state");
			if (e->have_tsc)
				fprintf(f, " host_tsc=0x%llx", (unsigned long long)e->host_tsc);
			if (e->have_apic_value)
				fprintf(f, " apic_value=0x%x", e->apic_value);
			if (e->have_vtpr)
				fprintf(f, " vtpr=0x%x", e->vtpr);
			if (e->have_vicr_hi)
				fprintf(f, " vicr_hi=0x%x", e->vicr_hi);
			for (int r = 0; r < VCPU_REG_COUNT; r++)
				if (e->reg_mask & (1u << r))
					fprintf(f, " %s=0x%llx", trace_reg_name(r),
						(unsigned long long)e->regs[r]);
			for (int s = 0; s < VCPU_SEG_COUNT; s++) {
				if (!(e->seg_mask & (1u << s)))
					continue;
				const struct seg_desc *d = &e->segs[s];
				const char *sn = trace_seg_name(s);
				fprintf(f, " %s.sel=0x%x %s.base=0x%llx %s.limit=0x%x %s.ar=0x%x", sn,
					d->selector, sn, (unsigned long long)d->base, sn, d->limit, sn, d->ar);
			}
			fputc('\n', f);
		}
		for (unsigned m = 0; m < e->nreads; m++) {
			const struct trace_mem *r = &e->reads[m];
			if (r->fault) {
				fprintf(f, "mem gpa=0x%llx len=%u fault\n", (unsigned long long)r->gpa, r->len);
			} else {
				fprintf(f, "mem gpa=0x%llx data=", (unsigned long long)r->gpa);
				put_hex(f, r->data, r->len);
				fputc('\n', f);
			}
		}
		if (e->sched) {
			if (e->have_expect)
				fprintf(f, "expect");
		} else {
			fprintf(f, "expect action=%s", exit_action_name(e->action));
		}
		for (int r = 0; r < VCPU_REG_COUNT; r++)
			if (e->exp_reg_mask & (1u << r))
				fprintf(f, " %s=0x%llx", trace_reg_name(r), (unsigned long long)e->exp_regs[r]);
		if (e->exp_inject)
			put_event(f, &e->exp_event);
		if (e->exp_console_len) {
			fprintf(f, " console=");
			put_string(f, e->exp_console, e->exp_console_len);
		}
		if (e->exp_stop > 0 && (size_t)e->exp_stop < sizeof(stop_names) / sizeof(stop_names[0])) {
			fprintf(f, " stop=%s", stop_names[e->exp_stop]);
			if (e->exp_stop_detail_given)
				fprintf(f, " detail=0x%x", e->exp_stop_detail);
		}
		if (!e->sched || e->have_expect)
			fputc('\n', f);
		for (unsigned w = 0; w < e->nwrites; w++) {
			fprintf(f, "write gpa=0x%llx data=", (unsigned long long)e->writes[w].gpa);
			put_hex(f, e->writes[w].data, e->writes[w].len);
			fputc('\n', f);
		}
		for (; ai < t->nasync && t->async[ai].after <= i + 1; ai++)
			text_async(f, t, &t->async[ai]);
	}
	return ferror(f) ? -1 : 0;
}

static int emit(FILE *f, uint8_t *buf, size_t n)
{
	return n && fwrite(buf, 1, n, f) == n ? 0 : -1;
}



static int bin_vm(FILE *f, uint8_t *buf, size_t cap, const struct trace_vm *tv)
{
	struct trace_bin_vm vm = { .id = tv->id, .affinity = tv->cfg.cpu_affinity,
				   .flags = (tv->boot_state ? TRACE_BIN_VM_BOOT_STATE : 0u) |
					    (tv->created_only ? TRACE_BIN_VM_CREATED : 0u),
				   .vcpus = tv->cfg.vcpu_count, .service = tv->cfg.service_vm,
				   .reset_on_triple_fault = tv->cfg.reset_on_triple_fault,
				   .mem = tv->cfg.mem_size };
	snprintf(vm.name, sizeof(vm.name), "%s", tv->cfg.name);
	return emit(f, buf, trace_bin_vm(buf, cap, &vm));
}

static int bin_async(FILE *f, uint8_t *buf, size_t cap, const struct trace *t,
		     const struct trace_async *a)
{
	switch (a->kind) {
	case TRACE_ASYNC_REQUEST:
		return emit(f, buf, trace_bin_request(buf, cap, a->vm, a->vcpu, a->bits, a->pcpu));
	case TRACE_ASYNC_KICK:
		return emit(f, buf, trace_bin_kick(buf, cap, a->pcpu, a->from));
	case TRACE_ASYNC_COMPLETE:
		return emit(f, buf, trace_bin_complete(buf, cap, a->vm, a->vcpu, a->state, a->value));
	case TRACE_ASYNC_TIMER:
		return emit(f, buf, trace_bin_timer(buf, cap, a->vm, a->vcpu, a->pcpu, a->value));
	default:
		return bin_vm(f, buf, cap, &t->vms[a->vm_index]);
	}
}

int trace_write_binary(const struct trace *t, FILE *f)
{
	uint8_t buf[TRACE_BIN_REC_HDR + TRACE_BIN_MEM_HDR + TRACE_BIN_MAX_DATA];
	unsigned nstart = t->nvms_at_start ? t->nvms_at_start : t->nvms;
	if (emit(f, buf, trace_bin_header(buf, sizeof(buf))))
		return -1;
	for (unsigned v = 0; v < nstart; v++)
		if (bin_vm(f, buf, sizeof(buf), &t->vms[v]))
			return -1;
	for (unsigned i = 0; i < t->nhost_cpuid; i++)
		if (emit(f, buf, trace_bin_host_cpuid(buf, sizeof(buf), t->host_cpuid[i].leaf,
						      t->host_cpuid[i].subleaf, t->host_cpuid[i].regs)))
			return -1;
	unsigned ai = 0;
	for (; ai < t->nasync && t->async[ai].after == 0; ai++)
		if (bin_async(f, buf, sizeof(buf), t, &t->async[ai]))
			return -1;
	for (unsigned i = 0; i < t->nexits; i++) {
		const struct trace_exit *e = &t->exits[i];
		if (e->sched) {
			if (emit(f, buf, trace_bin_sched(buf, sizeof(buf), e->pcpu, e->sched_none, e->vm,
							 e->vcpu)))
				return -1;
		} else if (emit(f, buf, trace_bin_exit(buf, sizeof(buf), e->vm, e->vcpu,
						       e->pcpu_given ? (uint8_t)e->pcpu : 0, &e->ex))) {
			return -1;
		}
		for (int r = 0; r < VCPU_REG_COUNT; r++)
			if ((e->reg_mask & (1u << r)) &&
			    emit(f, buf, trace_bin_reg(buf, sizeof(buf), TRACE_BIN_REG, r, e->regs[r])))
				return -1;
		for (int s = 0; s < VCPU_SEG_COUNT; s++)
			if ((e->seg_mask & (1u << s)) &&
			    emit(f, buf, trace_bin_seg(buf, sizeof(buf), s, &e->segs[s])))
				return -1;
		if (e->have_tsc && emit(f, buf, trace_bin_host_tsc(buf, sizeof(buf), e->host_tsc)))
			return -1;
		if (e->have_vtpr && emit(f, buf, trace_bin_vtpr(buf, sizeof(buf), e->vtpr)))
			return -1;
		if (e->have_vicr_hi && emit(f, buf, trace_bin_vicr_hi(buf, sizeof(buf), e->vicr_hi)))
			return -1;
		if (e->have_apic_value && emit(f, buf, trace_bin_apic_value(buf, sizeof(buf), e->apic_value)))
			return -1;
		for (unsigned m = 0; m < e->nreads; m++)
			if (emit(f, buf, trace_bin_mem(buf, sizeof(buf), TRACE_BIN_MEM, e->reads[m].gpa,
						       e->reads[m].data, e->reads[m].len,
						       e->reads[m].fault)))
				return -1;
		if (!e->sched && emit(f, buf, trace_bin_action(buf, sizeof(buf), e->action)))
			return -1;
		for (int r = 0; r < VCPU_REG_COUNT; r++)
			if ((e->exp_reg_mask & (1u << r)) &&
			    emit(f, buf, trace_bin_reg(buf, sizeof(buf), TRACE_BIN_EXP_REG, r,
						       e->exp_regs[r])))
				return -1;
		if (e->exp_inject && emit(f, buf, trace_bin_event(buf, sizeof(buf), &e->exp_event)))
			return -1;
		for (size_t c = 0; c < e->exp_console_len; c += TRACE_BIN_MAX_DATA) {
			size_t n = e->exp_console_len - c;
			if (n > TRACE_BIN_MAX_DATA)
				n = TRACE_BIN_MAX_DATA;
			if (emit(f, buf, trace_bin_console(buf, sizeof(buf), e->exp_console + c, (uint32_t)n)))
				return -1;
		}
		if (e->exp_stop > 0 &&
		    emit(f, buf, trace_bin_stop(buf, sizeof(buf), (uint32_t)e->exp_stop,
						e->exp_stop_detail)))
			return -1;
		for (unsigned w = 0; w < e->nwrites; w++)
			if (emit(f, buf, trace_bin_mem(buf, sizeof(buf), TRACE_BIN_WRITE, e->writes[w].gpa,
						       e->writes[w].data, e->writes[w].len, false)))
				return -1;
		for (; ai < t->nasync && t->async[ai].after <= i + 1; ai++)
			if (bin_async(f, buf, sizeof(buf), t, &t->async[ai]))
				return -1;
	}
	return 0;
}
