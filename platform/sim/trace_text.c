/* SPDX-License-Identifier: BSD-3-Clause */
/* The text trace parser. Format: traces/README.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
#include "trace_bin.h"
#include "trace_io.h"
#include "exit_dispatch.h"
#include "x86.h"

#define MAX_TOKENS 48
#define MAX_LINE 8192
#define MAX_INSTR_LEN 15   /* SDM Vol. 2A 2.3.11: an instruction is at most 15 bytes */

static const char *const reg_names[VCPU_REG_COUNT] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	"rip", "rflags", "cr0", "cr2", "cr3", "cr4", "cr8", "efer", "dr7", "xcr0",
	"intr_state", "pat", "pending_dbg",
};
static const char *const seg_names[VCPU_SEG_COUNT] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };
static const char *const stop_names[] = {
	"none", "unexpected-exit", "entry-failure", "triple-fault", "guest-exit", "bad-memory",
	"internal",
};
static const char *const vector_names[32] = {
	[X86_DE] = "DE", [X86_DB] = "DB", [X86_NMI] = "NMI", [X86_BP] = "BP", [X86_OF] = "OF",
	[X86_BR] = "BR", [X86_UD] = "UD", [X86_NM] = "NM", [X86_DF] = "DF", [X86_TS] = "TS",
	[X86_NP] = "NP", [X86_SS] = "SS", [X86_GP] = "GP", [X86_PF] = "PF", [X86_MF] = "MF",
	[X86_AC] = "AC", [X86_MC] = "MC", [X86_XM] = "XM", [X86_VE] = "VE", [X86_CP] = "CP",
};

const char *trace_reg_name(enum vcpu_reg reg)
{
	return (unsigned)reg < VCPU_REG_COUNT ? reg_names[reg] : "?";
}

const char *trace_seg_name(enum vcpu_seg seg)
{
	return (unsigned)seg < VCPU_SEG_COUNT ? seg_names[seg] : "?";
}

void trace_format_event(const struct vcpu_event *ev, char *buf, size_t len)
{
	if (!ev->valid) {
		snprintf(buf, len, "none");
	} else if (ev->type == INTR_TYPE_HW_EXCEPTION && ev->vector < 32 && vector_names[ev->vector]) {
		if (ev->has_error)
			snprintf(buf, len, "#%s(0x%x)", vector_names[ev->vector], ev->error_code);
		else
			snprintf(buf, len, "#%s", vector_names[ev->vector]);
	} else if (ev->type == INTR_TYPE_NMI) {
		snprintf(buf, len, "nmi");
	} else if (ev->type == INTR_TYPE_EXT_INT) {
		snprintf(buf, len, "int%u", ev->vector);
	} else {
		snprintf(buf, len, "event(type=%u,vector=%u)", ev->type, ev->vector);
	}
}

struct parser {
	const char *file;
	unsigned line;
	char *err;
	size_t errlen;
	struct trace *t;
	struct trace_exit *cur;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *p, const char *fmt, ...)
{
	char msg[TRACE_ERR];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->file, p->line, msg);
	return -1;
}

struct token {
	char *key;
	char *val;     /* NULL for a bare word */
};

/* Split a line into key=value tokens; "..." values may hold spaces and escapes. */
static int tokenize(struct parser *p, char *s, struct token *tok, unsigned *ntok)
{
	unsigned n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s || *s == '#')
			break;
		if (n == MAX_TOKENS)
			return fail(p, "too many fields on one line (at most %u)", MAX_TOKENS);
		tok[n].key = s;
		tok[n].val = NULL;
		while (*s && *s != '=' && *s != ' ' && *s != '\t' && *s != '\r')
			s++;
		if (*s == '=') {
			*s++ = '\0';
			if (*s == '"') {
				char *out = ++s;
				tok[n].val = out;
				for (;;) {
					if (!*s)
						return fail(p, "unterminated string for '%s'", tok[n].key);
					if (*s == '"')
						break;
					if (*s == '\\') {
						s++;
						if (*s == 'n') { *out++ = '\n'; s++; }
						else if (*s == 'r') { *out++ = '\r'; s++; }
						else if (*s == 't') { *out++ = '\t'; s++; }
						else if (*s == '\\' || *s == '"') { *out++ = *s++; }
						else if (*s == 'x' && s[1] && s[2]) {
							char hex[3] = { s[1], s[2], 0 };
							char *end;
							unsigned long v = strtoul(hex, &end, 16);
							if (*end)
								return fail(p, "bad escape '\\x%s' in string", hex);
							*out++ = (char)v;
							s += 3;
						} else {
							return fail(p, "bad escape in string for '%s'", tok[n].key);
						}
						continue;
					}
					*out++ = *s++;
				}
				/* Console strings cannot hold NUL bytes; \x00 ends them. */
				*out = '\0';
				s++;
			} else {
				tok[n].val = s;
				while (*s && *s != ' ' && *s != '\t' && *s != '\r')
					s++;
			}
		}
		if (*s)
			*s++ = '\0';
		n++;
	}
	*ntok = n;
	return 0;
}

static int parse_u64(struct parser *p, const struct token *t, uint64_t max, uint64_t *out)
{
	if (!t->val || !*t->val)
		return fail(p, "'%s' needs a value", t->key);
	if (t->val[0] == '-')
		return fail(p, "bad number '%s' for '%s'", t->val, t->key);
	errno = 0;
	char *end;
	unsigned long long v = strtoull(t->val, &end, 0);
	if (*end || errno)
		return fail(p, "bad number '%s' for '%s'", t->val, t->key);
	if (v > max)
		return fail(p, "value %s for '%s' is out of range (max 0x%llx)", t->val, t->key,
			    (unsigned long long)max);
	*out = v;
	return 0;
}

static int parse_hex_bytes(struct parser *p, const struct token *t, uint8_t *out, uint32_t *len)
{
	if (!t->val)
		return fail(p, "'%s' needs hex bytes", t->key);
	size_t n = strlen(t->val);
	if (n == 0 || n % 2)
		return fail(p, "'%s' needs an even, non-zero number of hex digits", t->key);
	if (n / 2 > TRACE_MAX_MEM)
		return fail(p, "'%s' holds %zu bytes, more than %u", t->key, n / 2, TRACE_MAX_MEM);
	for (size_t i = 0; i < n / 2; i++) {
		char hex[3] = { t->val[2 * i], t->val[2 * i + 1], 0 };
		char *end;
		unsigned long v = strtoul(hex, &end, 16);
		if (*end)
			return fail(p, "bad hex byte '%s' in '%s'", hex, t->key);
		out[i] = (uint8_t)v;
	}
	*len = (uint32_t)(n / 2);
	return 0;
}

static int find_name(const char *const *names, unsigned n, const char *s)
{
	for (unsigned i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* "cs.ar" -> segment CS, field "ar". */
static int seg_field(const char *key, int *seg, const char **field)
{
	const char *dot = strchr(key, '.');
	if (!dot)
		return -1;
	char name[8];
	size_t l = (size_t)(dot - key);
	if (l >= sizeof(name))
		return -1;
	memcpy(name, key, l);
	name[l] = '\0';
	*seg = find_name(seg_names, VCPU_SEG_COUNT, name);
	*field = dot + 1;
	return *seg < 0 ? -1 : 0;
}

static const char *const req_names[] = { "ioreq_done", "flush_ept", "sync", "wake", "flush_vpid",
					  "upcall", "event", "nmi", "init", "sipi", "timer",
					  "apic_error" };
#define REQ_NAMES (sizeof(req_names) / sizeof(req_names[0]))
/* A request bit core adds needs its name here (and in the parser's message below). */
_Static_assert((1u << REQ_NAMES) - 1u == VCPU_REQ_ALL, "a request bit has no name");

void trace_format_req(uint32_t bits, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned b = 0; b < REQ_NAMES && o < len; b++)
		if (bits & (1u << b)) {
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "|" : "", req_names[b]);
			bits &= ~(1u << b);
		}
	if (o < len && (bits || o == 0))
		snprintf(buf + o, len - o, "%s0x%x", o ? "|" : "", bits);
}

const char *trace_async_name(uint8_t kind)
{
	static const char *const names[TRACE_ASYNC_KINDS] = {
		[TRACE_ASYNC_REQUEST] = "request", [TRACE_ASYNC_KICK] = "kick",
		[TRACE_ASYNC_COMPLETE] = "complete", [TRACE_ASYNC_VM] = "vm", [TRACE_ASYNC_TIMER] = "timer",
	};
	return kind < TRACE_ASYNC_KINDS && names[kind] ? names[kind] : "?";
}

const struct trace_vm *trace_find_vm(const struct trace *t, uint16_t id)
{
	for (unsigned i = 0; i < t->nvms; i++)
		if (t->vms[i].id == id)
			return &t->vms[i];
	return NULL;
}

static int finish_exit(struct parser *p);

/*
 * vm id= name= vcpus= service= mem= reset_on_triple_fault= affinity= state=:
 * before the first entry, a VM the platform creates; after it, a VM core
 * created during the entry before (checked by the replay).
 */
static int parse_vm(struct parser *p, struct token *tok, unsigned n)
{
	struct trace *t = p->t;
	if (t->nvms == TERN_MAX_VMS)
		return fail(p, "more than %u 'vm' lines", TERN_MAX_VMS);
	if (finish_exit(p))
		return -1;
	p->cur = NULL;
	struct trace_vm *tv = &t->vms[t->nvms];
	memset(tv, 0, sizeof(*tv));
	tv->line = p->line;
	/* Without id=: the next id core would give (0 for the first VM). */
	tv->id = t->nvms ? (uint16_t)(t->vms[t->nvms - 1].id + 1) : 0;
	struct vm_config *cfg = &tv->cfg;
	snprintf(cfg->name, sizeof(cfg->name), "vm");
	cfg->vcpu_count = 1;
	cfg->mem_size = 0x100000;
	for (unsigned i = 1; i < n; i++) {
		uint64_t v;
		if (!strcmp(tok[i].key, "name")) {
			if (!tok[i].val || !*tok[i].val || strlen(tok[i].val) >= TERN_VM_NAME_LEN)
				return fail(p, "VM name must be 1..%u characters", TERN_VM_NAME_LEN - 1);
			snprintf(cfg->name, sizeof(cfg->name), "%s", tok[i].val);
		} else if (!strcmp(tok[i].key, "id")) {
			if (parse_u64(p, &tok[i], TERN_MAX_VMS - 1, &v))
				return -1;
			tv->id = (uint16_t)v;
		} else if (!strcmp(tok[i].key, "vcpus")) {
			if (parse_u64(p, &tok[i], TERN_MAX_VCPUS, &v))
				return -1;
			if (v == 0)
				return fail(p, "a VM needs at least one vCPU");
			cfg->vcpu_count = (uint16_t)v;
		} else if (!strcmp(tok[i].key, "service")) {
			if (parse_u64(p, &tok[i], 1, &v))
				return -1;
			cfg->service_vm = v;
		} else if (!strcmp(tok[i].key, "mem")) {
			if (parse_u64(p, &tok[i], 1ull << 32, &v))
				return -1;
			cfg->mem_size = v;
		} else if (!strcmp(tok[i].key, "reset_on_triple_fault")) {
			if (parse_u64(p, &tok[i], 1, &v))
				return -1;
			cfg->reset_on_triple_fault = v;
		} else if (!strcmp(tok[i].key, "boot_state")) {
			if (parse_u64(p, &tok[i], 1, &v))
				return -1;
			tv->boot_state = v;
		} else if (!strcmp(tok[i].key, "affinity")) {
			if (parse_u64(p, &tok[i], (1ull << TERN_MAX_PCPUS) - 1, &v))
				return -1;
			cfg->cpu_affinity = v;
		} else if (!strcmp(tok[i].key, "state")) {
			if (!tok[i].val || (strcmp(tok[i].val, "created") && strcmp(tok[i].val, "running")))
				return fail(p, "unknown VM state '%s' (created, running)",
					    tok[i].val ? tok[i].val : "");
			tv->created_only = !strcmp(tok[i].val, "created");
		} else {
			return fail(p, "unknown key '%s' in 'vm'", tok[i].key);
		}
	}
	if (trace_find_vm(t, tv->id))
		return fail(p, "a second VM with id %u", tv->id);
	if (t->nexits) {
		if (tv->created_only)
			return fail(p, "state= belongs to the VMs before the first exit");
		struct trace_async *a = trace_add_async(t, TRACE_ASYNC_VM);
		if (!a)
			return fail(p, "more than %u asynchronous records", TRACE_MAX_ASYNC);
		a->line = p->line;
		a->vm = tv->id;
		a->vm_index = t->nvms;
	} else {
		t->nvms_at_start = t->nvms + 1;
	}
	if (t->nvms == 0)
		t->cfg = *cfg;
	t->nvms++;
	t->have_vm = true;
	return 0;
}

/* vm=N vcpu=N: a vCPU of a VM of the trace (the default VM: the first). */
static int check_vcpu(struct parser *p, uint16_t vm, uint64_t vcpu, bool vcpu_given)
{
	const struct trace_vm *tv = trace_find_vm(p->t, vm);
	if (!tv)
		return fail(p, "VM %u does not exist (no 'vm' line with id=%u before it)", vm, vm);
	if (vcpu_given && vcpu >= tv->cfg.vcpu_count)
		return fail(p, "vcpu %llu does not exist (the VM has %u)", (unsigned long long)vcpu,
			    tv->cfg.vcpu_count);
	return 0;
}

/* Common to the records that sit between entries. */
static int begin_async(struct parser *p, const char *what)
{
	if (!p->t->have_vm)
		return fail(p, "'%s' before the 'vm' line", what);
	if (finish_exit(p))
		return -1;
	p->cur = NULL;
	return 0;
}

static int parse_async(struct parser *p, struct token *tok, unsigned n, uint8_t kind)
{
	const char *what = trace_async_name(kind);
	if (begin_async(p, what))
		return -1;
	struct trace *t = p->t;
	struct trace_async *a = trace_add_async(t, kind);
	if (!a)
		return fail(p, "more than %u asynchronous records", TRACE_MAX_ASYNC);
	a->line = p->line;
	a->vm = t->vms[0].id;
	bool have_vcpu = false, have_bits = false, have_pcpu = false, have_state = false;
	for (unsigned i = 1; i < n; i++) {
		const char *k = tok[i].key;
		uint64_t v;
		if (!strcmp(k, "vm") && kind != TRACE_ASYNC_KICK) {
			if (parse_u64(p, &tok[i], TERN_MAX_VMS - 1, &v))
				return -1;
			a->vm = (uint16_t)v;
		} else if (!strcmp(k, "vcpu") && kind != TRACE_ASYNC_KICK) {
			if (parse_u64(p, &tok[i], 0xffff, &v))
				return -1;
			a->vcpu = (uint16_t)v;
			have_vcpu = true;
		} else if (!strcmp(k, "pcpu")) {
			if (parse_u64(p, &tok[i], TERN_MAX_PCPUS - 1, &v))
				return -1;
			a->pcpu = (uint16_t)v;
			have_pcpu = true;
		} else if (!strcmp(k, "from") && kind == TRACE_ASYNC_KICK) {
			if (parse_u64(p, &tok[i], TERN_MAX_PCPUS - 1, &v))
				return -1;
			a->from = (uint16_t)v;
		} else if (!strcmp(k, "bits") && kind == TRACE_ASYNC_REQUEST) {
			if (!tok[i].val || !*tok[i].val)
				return fail(p, "'bits' needs a value");
			/* Names joined by '|' or a number; every bit must be a known request. */
			char buf[128];
			snprintf(buf, sizeof(buf), "%s", tok[i].val);
			for (char *save = NULL, *w = strtok_r(buf, "|", &save); w;
			     w = strtok_r(NULL, "|", &save)) {
				int b = find_name(req_names, REQ_NAMES, w);
				if (b >= 0) {
					a->bits |= 1u << b;
					continue;
				}
				struct token num = { "bits", w };
				if (parse_u64(p, &num, UINT32_MAX, &v))
					return -1;
				a->bits |= (uint32_t)v;
			}
			if (a->bits == 0 || (a->bits & ~(uint32_t)TRACE_REQ_KNOWN))
				return fail(p, "request bits 0x%x: not a set of known requests (ioreq_done, "
					    "flush_ept, sync, wake, flush_vpid, upcall, event, nmi, init, sipi, timer, "
					    "apic_error)", a->bits);
			have_bits = true;
		} else if (!strcmp(k, "tsc") && kind == TRACE_ASYNC_TIMER) {
			if (parse_u64(p, &tok[i], UINT64_MAX, &a->value))
				return -1;
			have_state = true; /* the expiry's time: required like complete's state */
		} else if (!strcmp(k, "value") && kind == TRACE_ASYNC_COMPLETE) {
			if (parse_u64(p, &tok[i], UINT64_MAX, &a->value))
				return -1;
		} else if (!strcmp(k, "state") && kind == TRACE_ASYNC_COMPLETE) {
			if (parse_u64(p, &tok[i], UINT32_MAX, &v))
				return -1;
			a->state = (uint32_t)v;
			have_state = true;
		} else {
			return fail(p, "unknown key '%s' in '%s'", k, what);
		}
	}
	if (kind == TRACE_ASYNC_KICK) {
		if (!have_pcpu)
			return fail(p, "'kick' needs pcpu=");
		return 0;
	}
	if (!have_vcpu)
		return fail(p, "'%s' needs vcpu=", what);
	if (kind == TRACE_ASYNC_REQUEST && !have_bits)
		return fail(p, "'request' needs bits=");
	if (kind == TRACE_ASYNC_COMPLETE && !have_state)
		return fail(p, "'complete' needs state= (the slot's state the device model wrote)");
	if (kind == TRACE_ASYNC_TIMER && (!have_state || !have_pcpu))
		return fail(p, "'timer' needs pcpu= and tsc= (the host TSC at the expiry)");
	return check_vcpu(p, a->vm, a->vcpu, true);
}

struct trace_async *trace_add_async(struct trace *t, uint8_t kind)
{
	if (t->nasync == TRACE_MAX_ASYNC)
		return NULL;
	if (t->nasync == t->cap_async) {
		unsigned cap = t->cap_async ? t->cap_async * 2 : 16;
		struct trace_async *na = realloc(t->async, cap * sizeof(*na));
		if (!na)
			return NULL;
		t->async = na;
		t->cap_async = cap;
	}
	struct trace_async *a = &t->async[t->nasync++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->after = t->nexits;
	if (kind < TRACE_ASYNC_KINDS)
		t->count[kind]++;
	return a;
}

/* host_cpuid leaf= sub= eax= ebx= ecx= edx=: the host CPU the trace ran on. */
static int parse_host_cpuid(struct parser *p, struct token *tok, unsigned n)
{
	struct trace *t = p->t;
	if (!t->have_vm || t->nexits)
		return fail(p, "'host_cpuid' belongs after 'vm' and before the first exit");
	if (t->nhost_cpuid == TRACE_MAX_HOST_CPUID)
		return fail(p, "more than %u host_cpuid lines", TRACE_MAX_HOST_CPUID);
	struct trace_cpuid *c = &t->host_cpuid[t->nhost_cpuid];
	memset(c, 0, sizeof(*c));
	static const char *const keys[] = { "leaf", "sub", "eax", "ebx", "ecx", "edx" };
	for (unsigned i = 1; i < n; i++) {
		int k = find_name(keys, 6, tok[i].key);
		uint64_t v;
		if (k < 0)
			return fail(p, "unknown key '%s' in 'host_cpuid'", tok[i].key);
		if (parse_u64(p, &tok[i], UINT32_MAX, &v))
			return -1;
		if (k == 0)
			c->leaf = (uint32_t)v;
		else if (k == 1)
			c->subleaf = (uint32_t)v;
		else
			c->regs[k - 2] = (uint32_t)v;
	}
	t->nhost_cpuid++;
	return 0;
}

static int finish_exit(struct parser *p)
{
	struct trace_exit *e = p->cur;
	if (e && !e->sched && !e->have_expect) {
		unsigned saved = p->line;
		p->line = e->line;
		fail(p, "exit has no 'expect action=' line (truncated trace?)");
		p->line = saved;
		return -1;
	}
	return 0;
}

static int parse_exit(struct parser *p, struct token *tok, unsigned n)
{
	struct trace *t = p->t;
	if (!t->have_vm)
		return fail(p, "'exit' before the 'vm' line");
	if (finish_exit(p))
		return -1;
	if (n < 2 || tok[1].val)
		return fail(p, "'exit' needs an exit reason (a name such as CPUID, or a number)");
	struct trace_exit *e = trace_add_exit(t);
	if (!e)
		return fail(p, "more than %u exits (or out of memory)", TRACE_MAX_EXITS);
	e->line = p->line;
	p->cur = e;

	int r = exit_reason_from_name(tok[1].key, (unsigned)strlen(tok[1].key));
	if (r < 0) {
		struct token num = { "exit reason", tok[1].key };
		uint64_t v;
		if (!strchr("0123456789", tok[1].key[0]))
			return fail(p, "unknown exit reason '%s'", tok[1].key);
		if (parse_u64(p, &num, EXIT_REASON_BASIC_MASK, &v))
			return -1;
		r = (int)v;
	}
	e->ex.reason = (uint32_t)r;

	e->vm = t->vms[0].id;
	uint64_t vcpu = 0;
	for (unsigned i = 2; i < n; i++) {
		const char *k = tok[i].key;
		uint64_t v;
		if (!strcmp(k, "vcpu")) {
			if (parse_u64(p, &tok[i], 0xffff, &vcpu))
				return -1;
			e->vcpu = (uint16_t)vcpu;
		} else if (!strcmp(k, "vm")) {
			if (parse_u64(p, &tok[i], TERN_MAX_VMS - 1, &v))
				return -1;
			e->vm = (uint16_t)v;
		} else if (!strcmp(k, "pcpu")) {
			if (parse_u64(p, &tok[i], TERN_MAX_PCPUS - 1, &v))
				return -1;
			e->pcpu = (uint16_t)v;
			e->pcpu_given = true;
		} else if (!strcmp(k, "qual")) {
			if (parse_u64(p, &tok[i], UINT64_MAX, &e->ex.qualification))
				return -1;
		} else if (!strcmp(k, "len")) {
			if (parse_u64(p, &tok[i], MAX_INSTR_LEN, &v))
				return -1;
			e->ex.instr_len = (uint32_t)v;
		} else if (!strcmp(k, "info")) {
			if (parse_u64(p, &tok[i], UINT32_MAX, &v))
				return -1;
			e->ex.instr_info = (uint32_t)v;
		} else if (!strcmp(k, "gla")) {
			if (parse_u64(p, &tok[i], UINT64_MAX, &e->ex.guest_linear))
				return -1;
		} else if (!strcmp(k, "gpa")) {
			if (parse_u64(p, &tok[i], UINT64_MAX, &e->ex.guest_physical))
				return -1;
		} else if (!strcmp(k, "intr")) {
			if (parse_u64(p, &tok[i], UINT32_MAX, &v))
				return -1;
			e->ex.intr_info = (uint32_t)v;
		} else if (!strcmp(k, "intr_err")) {
			if (parse_u64(p, &tok[i], UINT32_MAX, &v))
				return -1;
			e->ex.intr_error = (uint32_t)v;
		} else if (!strcmp(k, "idtv")) {
			if (parse_u64(p, &tok[i], UINT32_MAX, &v))
				return -1;
			e->ex.idt_vectoring_info = (uint32_t)v;
		} else if (!strcmp(k, "idtv_err")) {
			if (parse_u64(p, &tok[i], UINT32_MAX, &v))
				return -1;
			e->ex.idt_vectoring_error = (uint32_t)v;
		} else if (!strcmp(k, "failed")) {
			if (parse_u64(p, &tok[i], 1, &v))
				return -1;
			if (v)
				e->ex.reason |= EXIT_REASON_FAILED_ENTRY;
		} else {
			return fail(p, "unknown key '%s' in 'exit'", k);
		}
	}
	return check_vcpu(p, e->vm, vcpu, true);
}

/* sched pcpu= vm= vcpu= | sched pcpu= none: what sched_next gave the pCPU. */
static int parse_sched(struct parser *p, struct token *tok, unsigned n)
{
	struct trace *t = p->t;
	if (begin_async(p, "sched"))
		return -1;
	struct trace_exit *e = trace_add_exit(t);
	if (!e)
		return fail(p, "more than %u exits (or out of memory)", TRACE_MAX_EXITS);
	e->line = p->line;
	e->sched = true;
	e->action = -1; /* its expect line is optional: the pre-entry has no action */
	e->vm = t->vms[0].id;
	p->cur = e;
	t->nsched++;
	bool have_pcpu = false, have_vcpu = false;
	for (unsigned i = 1; i < n; i++) {
		const char *k = tok[i].key;
		uint64_t v;
		if (!strcmp(k, "pcpu")) {
			if (parse_u64(p, &tok[i], TERN_MAX_PCPUS - 1, &v))
				return -1;
			e->pcpu = (uint16_t)v;
			have_pcpu = e->pcpu_given = true;
		} else if (!strcmp(k, "vm")) {
			if (parse_u64(p, &tok[i], TERN_MAX_VMS - 1, &v))
				return -1;
			e->vm = (uint16_t)v;
		} else if (!strcmp(k, "vcpu")) {
			if (parse_u64(p, &tok[i], 0xffff, &v))
				return -1;
			e->vcpu = (uint16_t)v;
			have_vcpu = true;
		} else if (!strcmp(k, "none") && !tok[i].val) {
			e->sched_none = true;
		} else {
			return fail(p, "unknown key '%s' in 'sched'", k);
		}
	}
	if (!have_pcpu)
		return fail(p, "'sched' needs pcpu=");
	if (e->sched_none == have_vcpu)
		return fail(p, "'sched' needs either vcpu= (what the pCPU entered) or none");
	return e->sched_none ? 0 : check_vcpu(p, e->vm, e->vcpu, true);
}

static int need_exit(struct parser *p, const char *what)
{
	if (!p->cur)
		return fail(p, "'%s' outside an exit (no 'exit' line before it)", what);
	return 0;
}

/*
 * The virtual-APIC page's state a `state` line may give (trace.h): the
 * 32-bit field named `key` and its have-flag, or NULL.
 */
static uint32_t *apic_page_field(struct trace_exit *e, const char *key, bool **have)
{
	if (!strcmp(key, "apic_value"))
		return *have = &e->have_apic_value, &e->apic_value;
	if (!strcmp(key, "vtpr"))
		return *have = &e->have_vtpr, &e->vtpr;
	if (!strcmp(key, "vicr_hi"))
		return *have = &e->have_vicr_hi, &e->vicr_hi;
	return NULL;
}

static int parse_state(struct parser *p, struct token *tok, unsigned n)
{
	if (need_exit(p, "state"))
		return -1;
	struct trace_exit *e = p->cur;
	if (e->have_expect)
		return fail(p, "'state' after 'expect' in the same exit");
	for (unsigned i = 1; i < n; i++) {
		int r = find_name(reg_names, VCPU_REG_COUNT, tok[i].key);
		uint64_t v;
		if (r >= 0) {
			if (parse_u64(p, &tok[i], UINT64_MAX, &v))
				return -1;
			e->regs[r] = v;
			e->reg_mask |= 1u << r;
			continue;
		}
		if (!strcmp(tok[i].key, "host_tsc")) {
			if (parse_u64(p, &tok[i], UINT64_MAX, &e->host_tsc))
				return -1;
			e->have_tsc = true;
			continue;
		}
		bool *have;
		uint32_t *field32 = apic_page_field(e, tok[i].key, &have);
		if (field32) {
			if (parse_u64(p, &tok[i], UINT32_MAX, &v))
				return -1;
			*field32 = (uint32_t)v;
			*have = true;
			continue;
		}
		int seg;
		const char *field;
		if (seg_field(tok[i].key, &seg, &field))
			return fail(p, "unknown register '%s' in 'state'", tok[i].key);
		struct seg_desc *d = &e->segs[seg];
		if (!strcmp(field, "sel")) {
			if (parse_u64(p, &tok[i], 0xffff, &v))
				return -1;
			d->selector = (uint16_t)v;
		} else if (!strcmp(field, "base")) {
			if (parse_u64(p, &tok[i], UINT64_MAX, &v))
				return -1;
			d->base = v;
		} else if (!strcmp(field, "limit")) {
			if (parse_u64(p, &tok[i], UINT32_MAX, &v))
				return -1;
			d->limit = (uint32_t)v;
		} else if (!strcmp(field, "ar")) {
			/* VMCS access rights: bits 31:17 and 11:8 are reserved (SDM Table 24-2). */
			if (parse_u64(p, &tok[i], 0x1ffff, &v))
				return -1;
			if (v & 0xf00)
				return fail(p, "access rights 0x%llx set reserved bits 11:8",
					    (unsigned long long)v);
			d->ar = (uint32_t)v;
		} else {
			return fail(p, "unknown segment field '%s'", tok[i].key);
		}
		e->seg_mask |= (uint16_t)(1u << seg);
	}
	return 0;
}

static int parse_mem(struct parser *p, struct token *tok, unsigned n, bool expected_write)
{
	const char *what = expected_write ? "write" : "mem";
	if (need_exit(p, what))
		return -1;
	struct trace_exit *e = p->cur;
	struct trace_mem *m;
	if (expected_write) {
		if (!(m = trace_exit_add_mem(e, true)))
			return fail(p, "more than %u expected writes in one exit", TRACE_MAX_WRITES);
	} else {
		if (e->have_expect)
			return fail(p, "'mem' after 'expect' in the same exit");
		if (!(m = trace_exit_add_mem(e, false)))
			return fail(p, "more than %u guest reads in one exit", TRACE_MAX_READS);
	}
	memset(m, 0, sizeof(*m));
	m->line = p->line;
	bool have_gpa = false, have_data = false;
	uint64_t len = 0;
	for (unsigned i = 1; i < n; i++) {
		if (!strcmp(tok[i].key, "gpa")) {
			if (parse_u64(p, &tok[i], UINT64_MAX, &m->gpa))
				return -1;
			have_gpa = true;
		} else if (!strcmp(tok[i].key, "data")) {
			if (parse_hex_bytes(p, &tok[i], m->data, &m->len))
				return -1;
			have_data = true;
		} else if (!strcmp(tok[i].key, "len") && !expected_write) {
			if (parse_u64(p, &tok[i], TRACE_MAX_MEM, &len))
				return -1;
		} else if (!strcmp(tok[i].key, "fault") && !tok[i].val && !expected_write) {
			m->fault = true;
		} else {
			return fail(p, "unknown key '%s' in '%s'", tok[i].key, what);
		}
	}
	if (!have_gpa)
		return fail(p, "'%s' needs gpa=", what);
	if (m->fault) {
		if (have_data || !len)
			return fail(p, "a faulting read takes len= and no data=");
		m->len = (uint32_t)len;
	} else if (!have_data) {
		return fail(p, "'%s' needs data=", what);
	} else if (len && len != m->len) {
		return fail(p, "len=%llu but data= holds %u bytes", (unsigned long long)len, m->len);
	}
	if (m->gpa + m->len < m->gpa)
		return fail(p, "gpa 0x%llx + %u bytes wraps around", (unsigned long long)m->gpa, m->len);
	return 0;
}

/* none | #NAME | #NAME(err) | nmi | intN */
static int parse_event(struct parser *p, const struct token *t, struct vcpu_event *ev)
{
	const char *s = t->val;
	memset(ev, 0, sizeof(*ev));
	if (!s)
		return fail(p, "'inject' needs a value");
	if (!strcmp(s, "none"))
		return 0;
	ev->valid = true;
	if (!strcmp(s, "nmi")) {
		ev->type = INTR_TYPE_NMI;
		ev->vector = X86_NMI;
		return 0;
	}
	if (!strncmp(s, "int", 3)) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(s + 3, &end, 0);
		if (*end || errno || v > 255 || s[3] == '\0')
			return fail(p, "bad interrupt '%s' (int0..int255)", s);
		ev->type = INTR_TYPE_EXT_INT;
		ev->vector = (uint8_t)v;
		return 0;
	}
	if (s[0] != '#')
		return fail(p, "bad event '%s' (none, #GP(0), #UD, nmi, int32)", s);
	char name[8];
	size_t l = strcspn(s + 1, "(");
	if (l == 0 || l >= sizeof(name))
		return fail(p, "bad exception '%s'", s);
	memcpy(name, s + 1, l);
	name[l] = '\0';
	int vec = find_name(vector_names, 32, name);
	if (vec < 0)
		return fail(p, "unknown exception '#%s'", name);
	ev->type = INTR_TYPE_HW_EXCEPTION;
	ev->vector = (uint8_t)vec;
	const char *rest = s + 1 + l;
	if (*rest == '(') {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(rest + 1, &end, 0);
		if (end == rest + 1 || *end != ')' || end[1] || errno || v > UINT32_MAX)
			return fail(p, "bad error code in '%s'", s);
		ev->has_error = true;
		ev->error_code = (uint32_t)v;
	} else if (*rest) {
		return fail(p, "bad exception '%s'", s);
	}
	return 0;
}

static int parse_expect(struct parser *p, struct token *tok, unsigned n)
{
	if (need_exit(p, "expect"))
		return -1;
	struct trace_exit *e = p->cur;
	if (e->sched)
		e->have_expect = true;
	for (unsigned i = 1; i < n; i++) {
		const char *k = tok[i].key;
		uint64_t v;
		int r = find_name(reg_names, VCPU_REG_COUNT, k);
		if (r >= 0) {
			if (parse_u64(p, &tok[i], UINT64_MAX, &v))
				return -1;
			e->exp_regs[r] = v;
			e->exp_reg_mask |= 1u << r;
		} else if (!strcmp(k, "action")) {
			if (e->sched)
				return fail(p, "a 'sched' entry has no action (its vCPU enters or not)");
			if (!tok[i].val)
				return fail(p, "'action' needs a value");
			int a = exit_action_from_name(tok[i].val, (unsigned)strlen(tok[i].val));
			if (a < 0)
				return fail(p, "unknown action '%s' (resume, wait-io, halt, stop, yield)",
					    tok[i].val);
			e->action = a;
			e->have_expect = true;
		} else if (!strcmp(k, "inject")) {
			if (parse_event(p, &tok[i], &e->exp_event))
				return -1;
			e->exp_inject = e->exp_event.valid;
		} else if (!strcmp(k, "console")) {
			if (!tok[i].val)
				return fail(p, "'console' needs a quoted string");
			size_t l = strlen(tok[i].val);
			if (l > TRACE_MAX_CONSOLE)
				return fail(p, "console text longer than %u bytes", TRACE_MAX_CONSOLE);
			memcpy(e->exp_console, tok[i].val, l);
			e->exp_console_len = l;
		} else if (!strcmp(k, "stop")) {
			if (!tok[i].val)
				return fail(p, "'stop' needs a cause");
			int c = find_name(stop_names, sizeof(stop_names) / sizeof(stop_names[0]),
					  tok[i].val);
			if (c <= 0)
				return fail(p, "unknown stop cause '%s'", tok[i].val);
			e->exp_stop = c;
		} else if (!strcmp(k, "detail")) {
			if (parse_u64(p, &tok[i], UINT32_MAX, &v))
				return -1;
			e->exp_stop_detail = (uint32_t)v;
			e->exp_stop_detail_given = true;
		} else {
			return fail(p, "unknown key '%s' in 'expect'", k);
		}
	}
	return 0;
}

static int parse_line(struct parser *p, char *line)
{
	struct token tok[MAX_TOKENS];
	unsigned n = 0;
	if (tokenize(p, line, tok, &n))
		return -1;
	if (n == 0)
		return 0;
	const char *kw = tok[0].key;
	if (tok[0].val)
		return fail(p, "a line starts with a keyword, not '%s='", kw);
	if (!strcmp(kw, "vm"))
		return parse_vm(p, tok, n);
	if (!strcmp(kw, "exit"))
		return parse_exit(p, tok, n);
	if (!strcmp(kw, "host_cpuid"))
		return parse_host_cpuid(p, tok, n);
	if (!strcmp(kw, "state"))
		return parse_state(p, tok, n);
	if (!strcmp(kw, "mem"))
		return parse_mem(p, tok, n, false);
	if (!strcmp(kw, "write"))
		return parse_mem(p, tok, n, true);
	if (!strcmp(kw, "expect"))
		return parse_expect(p, tok, n);
	if (!strcmp(kw, "sched"))
		return parse_sched(p, tok, n);
	if (!strcmp(kw, "request"))
		return parse_async(p, tok, n, TRACE_ASYNC_REQUEST);
	if (!strcmp(kw, "kick"))
		return parse_async(p, tok, n, TRACE_ASYNC_KICK);
	if (!strcmp(kw, "complete"))
		return parse_async(p, tok, n, TRACE_ASYNC_COMPLETE);
	if (!strcmp(kw, "timer"))
		return parse_async(p, tok, n, TRACE_ASYNC_TIMER);
	return fail(p, "unknown keyword '%s'", kw);
}

static int parse_buffer(const char *name, const char *buf, size_t len, struct trace *t, char *err,
			size_t errlen)
{
	struct parser p = { .file = name, .line = 0, .err = err, .errlen = errlen, .t = t };
	memset(t, 0, sizeof(*t));
	snprintf(t->file, sizeof(t->file), "%s", name);
	char line[MAX_LINE];
	size_t pos = 0;
	while (pos < len) {
		p.line++;
		size_t end = pos;
		while (end < len && buf[end] != '\n')
			end++;
		size_t l = end - pos;
		if (l >= MAX_LINE)
			return fail(&p, "line longer than %u characters", MAX_LINE - 1);
		memcpy(line, buf + pos, l);
		line[l] = '\0';
		if (memchr(line, '\0', l))
			return fail(&p, "NUL byte in a text trace");
		if (parse_line(&p, line))
			return -1;
		pos = end + 1;
	}
	if (finish_exit(&p))
		return -1;
	if (!t->have_vm) {
		p.line = p.line ? p.line : 1;
		return fail(&p, "no 'vm' line: empty or truncated trace");
	}
	return 0;
}

int trace_parse_buffer(const char *name, const char *buf, size_t len, struct trace *t, char *err,
		       size_t errlen)
{
	int ret = parse_buffer(name, buf, len, t, err, errlen);
	if (ret)
		trace_free(t); /* nothing of a rejected trace is kept */
	return ret;
}

int trace_parse_file(const char *path, struct trace *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	/* Binary traces (as the real image records them) are read as well. */
	int ret = trace_bin_check_header((const uint8_t *)buf, len) == 0
			  ? trace_load_binary(path, (const uint8_t *)buf, len, t, err, errlen)
			  : trace_parse_buffer(path, buf, len, t, err, errlen);
	free(buf);
	return ret;
}

struct trace_exit *trace_add_exit(struct trace *t)
{
	if (t->nexits == TRACE_MAX_EXITS)
		return NULL;
	if (t->nexits == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 64;
		struct trace_exit *ne = realloc(t->exits, cap * sizeof(*ne));
		if (!ne)
			return NULL;
		t->exits = ne;
		t->cap = cap;
	}
	struct trace_exit *e = &t->exits[t->nexits++];
	memset(e, 0, sizeof(*e));
	e->exp_stop = -1;
	return e;
}

struct trace_mem *trace_exit_add_mem(struct trace_exit *e, bool write)
{
	struct trace_mem **arr = write ? &e->writes : &e->reads;
	unsigned *n = write ? &e->nwrites : &e->nreads;
	unsigned *cap = write ? &e->cap_writes : &e->cap_reads;
	if (*n == (write ? TRACE_MAX_WRITES : TRACE_MAX_READS))
		return NULL;
	if (*n == *cap) {
		unsigned ncap = *cap ? *cap * 2 : 4;
		struct trace_mem *na = realloc(*arr, ncap * sizeof(*na));
		if (!na)
			return NULL;
		*arr = na;
		*cap = ncap;
	}
	struct trace_mem *m = &(*arr)[(*n)++];
	memset(m, 0, sizeof(*m));
	return m;
}

void trace_free(struct trace *t)
{
	for (unsigned i = 0; i < t->nexits; i++) {
		free(t->exits[i].reads);
		free(t->exits[i].writes);
	}
	free(t->exits);
	t->exits = NULL;
	t->nexits = t->cap = 0;
	free(t->async);
	t->async = NULL;
	t->nasync = t->cap_async = 0;
}
