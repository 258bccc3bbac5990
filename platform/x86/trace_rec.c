/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit recording, the TERN_RECORD=1 build. For each exit the recorder keeps
 * what core's handling observed and did, and at plat_trace_exit writes it
 * out as one trace record:
 *   - the exit record;
 *   - the state the handler read: in the recording build no register is
 *     pre-filled, so every register and segment the handler reads arrives
 *     through plat_vcpu_fetch_reg/seg and is recorded with its value, and
 *     the replay needs nothing else;
 *   - every guest-memory read (GPA, bytes, or the fault);
 *   - the outcome: action, registers written (vcpu->reg_dirty), the event
 *     queued, console bytes, guest-memory writes, the VM's stop cause.
 * The record is written in the text trace format (traces/README.md), so
 * tern-sim replays a recording as it is.
 *
 * Sink: COM2 (115200 baud, paced by THRE) or, with "trace=e9" on the
 * hypervisor command line, Bochs's port 0xE9 (no baud pacing: much faster,
 * lands on Bochs's stdout between TRACE-BEGIN/TRACE-END marker lines).
 */
#include "trace_rec.h"
#include "platform.h"
#include "serial.h"
#include "cpu.h"
#include "vm.h"
#include "lib.h"
#include "exit_dispatch.h"
#include "machine.h"

#if TERN_RECORD

#define REC_MAX_MEM 256
#define REC_MAX_READS 32
#define REC_MAX_WRITES 16
#define REC_MAX_CONSOLE 1024
#define E9_PORT 0xe9

struct rec_mem {
	uint64_t gpa;
	uint32_t len;
	bool fault;
	uint8_t data[REC_MAX_MEM];
};

/* One exit in flight: recording is per-CPU hardware-side state. */
static struct {
	bool active;
	bool use_e9;
	uint64_t exits;
	struct exit_record ex;
	uint16_t vcpu;
	uint64_t regs[VCPU_REG_COUNT];
	uint32_t reg_mask;
	struct seg_desc segs[VCPU_SEG_COUNT];
	uint16_t seg_mask;
	struct rec_mem reads[REC_MAX_READS];
	unsigned nreads;
	struct rec_mem writes[REC_MAX_WRITES];
	unsigned nwrites;
	uint8_t console[REC_MAX_CONSOLE];
	unsigned console_len;
	bool overflow;
} rec;

static const char *const reg_names[VCPU_REG_COUNT] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	"rip", "rflags", "cr0", "cr2", "cr3", "cr4", "cr8", "efer", "dr7", "xcr0",
	"intr_state", "pat",
};
static const char *const seg_names[VCPU_SEG_COUNT] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };
static const char *const vector_names[32] = {
	"DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS", "NP",
	"SS", "GP", "PF", "15", "MF", "AC", "MC", "XM", "VE", "CP",
};

static void out_bytes(const char *s, size_t n)
{
	if (rec.use_e9) {
		for (size_t i = 0; i < n; i++)
			outb(E9_PORT, (uint8_t)s[i]);
	} else {
		serial_write(SERIAL_COM2, s, n);
	}
}

static void out_str(const char *s) { out_bytes(s, tern_strlen(s)); }

static void out_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out_fmt(const char *fmt, ...)
{
	char buf[192];
	va_list ap;
	va_start(ap, fmt);
	int n = tern_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out_bytes(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void out_hex(const uint8_t *p, uint32_t n)
{
	static const char digits[] = "0123456789abcdef";
	char buf[64];
	unsigned k = 0;
	for (uint32_t i = 0; i < n; i++) {
		buf[k++] = digits[p[i] >> 4];
		buf[k++] = digits[p[i] & 15];
		if (k == sizeof(buf)) {
			out_bytes(buf, k);
			k = 0;
		}
	}
	out_bytes(buf, k);
}

void trace_rec_init(void)
{
	const char *c = x86_cmdline();
	for (const char *p = c; *p; p++)
		if ((p == c || p[-1] == ' ') && tern_strncmp(p, "trace=e9", 8) == 0)
			rec.use_e9 = true;
	if (!rec.use_e9)
		serial_init(SERIAL_COM2);
	out_str("\n# TRACE-BEGIN recorded by Tern's x86 image\n");
}

void trace_rec_vm(const struct vm *vm)
{
	out_fmt("vm name=%s vcpus=%u service=%u mem=0x%lx\n", vm->config.name, vm->config.vcpu_count,
		vm->config.service_vm ? 1u : 0u, (unsigned long)vm->config.mem_size);
}

void trace_rec_end(void)
{
	out_fmt("# TRACE-END %lu exits\n", (unsigned long)rec.exits);
}

void trace_rec_begin(struct vcpu *vcpu, const struct exit_record *ex)
{
	rec.active = true;
	rec.ex = *ex;
	rec.vcpu = vcpu->id;
	rec.reg_mask = 0;
	rec.seg_mask = 0;
	rec.nreads = rec.nwrites = rec.console_len = 0;
	rec.overflow = false;
}

void trace_rec_reg(enum vcpu_reg reg, uint64_t value)
{
	if (rec.active && (unsigned)reg < VCPU_REG_COUNT) {
		rec.regs[reg] = value;
		rec.reg_mask |= 1u << reg;
	}
}

void trace_rec_seg(enum vcpu_seg seg, const struct seg_desc *d)
{
	if (rec.active && (unsigned)seg < VCPU_SEG_COUNT) {
		rec.segs[seg] = *d;
		rec.seg_mask |= (uint16_t)(1u << seg);
	}
}

static void add_mem(struct rec_mem *arr, unsigned *n, unsigned max, uint64_t gpa, const void *data,
		    size_t len, bool fault)
{
	if (!rec.active)
		return;
	if (*n == max || len > REC_MAX_MEM) {
		rec.overflow = true;
		return;
	}
	struct rec_mem *m = &arr[(*n)++];
	m->gpa = gpa;
	m->len = (uint32_t)len;
	m->fault = fault;
	if (!fault)
		tern_memcpy(m->data, data, len);
}

void trace_rec_gpa_read(uint64_t gpa, const void *data, size_t len)
{
	add_mem(rec.reads, &rec.nreads, REC_MAX_READS, gpa, data, len, false);
}

void trace_rec_gpa_fault(uint64_t gpa, size_t len)
{
	add_mem(rec.reads, &rec.nreads, REC_MAX_READS, gpa, 0, len, true);
}

void trace_rec_gpa_write(uint64_t gpa, const void *data, size_t len)
{
	add_mem(rec.writes, &rec.nwrites, REC_MAX_WRITES, gpa, data, len, false);
}

void trace_rec_console(uint8_t c)
{
	if (!rec.active)
		return;
	if (rec.console_len == REC_MAX_CONSOLE)
		rec.overflow = true;
	else
		rec.console[rec.console_len++] = c;
}

static void out_event(const struct vcpu_event *e)
{
	if (!e->valid)
		out_str("none");
	else if (e->type == INTR_TYPE_NMI)
		out_str("nmi");
	else if (e->type == INTR_TYPE_EXT_INT)
		out_fmt("int%u", e->vector);
	else if (e->vector < 32 && vector_names[e->vector] && e->type == INTR_TYPE_HW_EXCEPTION) {
		out_fmt("#%s", vector_names[e->vector]);
		if (e->has_error)
			out_fmt("(0x%x)", e->error_code);
	} else {
		out_str("none");        /* not expressible in the text form */
	}
}

static void out_console(void)
{
	out_str(" console=\"");
	for (unsigned i = 0; i < rec.console_len; i++) {
		uint8_t c = rec.console[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			char ch = (char)c;
			out_bytes(&ch, 1);
		} else {
			out_fmt("\\x%02x", c);
		}
	}
	out_str("\"");
}

/* Name=value items, a few per line: the parser takes at most 48 fields a line. */
#define ITEMS_PER_LINE 12

void plat_trace_exit(struct vcpu *vcpu, const struct exit_record *ex, int action)
{
	if (!rec.active)
		return;
	rec.active = false;
	rec.exits++;
	uint16_t basic = exit_basic_reason(ex);

	const char *name = exit_reason_name(basic);
	if (tern_strncmp(name, "UNKNOWN", 8) == 0)
		out_fmt("exit %u", basic);
	else
		out_fmt("exit %s", name);
	if (vcpu->id)
		out_fmt(" vcpu=%u", vcpu->id);
	if (ex->qualification) out_fmt(" qual=0x%lx", (unsigned long)ex->qualification);
	if (ex->instr_len) out_fmt(" len=%u", ex->instr_len);
	if (ex->instr_info) out_fmt(" info=0x%x", ex->instr_info);
	if (ex->guest_linear) out_fmt(" gla=0x%lx", (unsigned long)ex->guest_linear);
	if (ex->guest_physical) out_fmt(" gpa=0x%lx", (unsigned long)ex->guest_physical);
	if (ex->intr_info) out_fmt(" intr=0x%x", ex->intr_info);
	if (ex->intr_error) out_fmt(" intr_err=0x%x", ex->intr_error);
	if (ex->idt_vectoring_info) out_fmt(" idtv=0x%x", ex->idt_vectoring_info);
	if (ex->idt_vectoring_error) out_fmt(" idtv_err=0x%x", ex->idt_vectoring_error);
	if (exit_is_entry_failure(ex)) out_str(" failed=1");
	out_str("\n");

	unsigned items = 0;
	for (unsigned r = 0; r < VCPU_REG_COUNT; r++) {
		if (!(rec.reg_mask & (1u << r)))
			continue;
		if (items % ITEMS_PER_LINE == 0)
			out_str(items ? "\nstate" : "state");
		out_fmt(" %s=0x%lx", reg_names[r], (unsigned long)rec.regs[r]);
		items++;
	}
	for (unsigned s = 0; s < VCPU_SEG_COUNT; s++) {
		if (!(rec.seg_mask & (1u << s)))
			continue;
		const struct seg_desc *d = &rec.segs[s];
		out_str(items ? "\nstate" : "state");
		out_fmt(" %s.sel=0x%x %s.base=0x%lx %s.limit=0x%x %s.ar=0x%x", seg_names[s], d->selector,
			seg_names[s], (unsigned long)d->base, seg_names[s], d->limit, seg_names[s], d->ar);
		items = ITEMS_PER_LINE;
	}
	if (items)
		out_str("\n");
	for (unsigned i = 0; i < rec.nreads; i++) {
		const struct rec_mem *m = &rec.reads[i];
		if (m->fault) {
			out_fmt("mem gpa=0x%lx len=%u fault\n", (unsigned long)m->gpa, m->len);
		} else {
			out_fmt("mem gpa=0x%lx data=", (unsigned long)m->gpa);
			out_hex(m->data, m->len);
			out_str("\n");
		}
	}

	out_fmt("expect action=%s", exit_action_name((enum exit_action)action));
	items = 1;
	for (unsigned r = 0; r < VCPU_REG_COUNT; r++) {
		if (!(vcpu->reg_dirty & (1u << r)))
			continue;
		if (items % ITEMS_PER_LINE == 0)
			out_str("\nexpect");
		out_fmt(" %s=0x%lx", reg_names[r], (unsigned long)vcpu->regs[r]);
		items++;
	}
	if (vcpu->event.valid) {
		out_str(" inject=");
		out_event(&vcpu->event);
	}
	if (rec.console_len)
		out_console();
	const struct vm *vm = vcpu->vm;
	if (vm->state == VM_STATE_STOPPED)
		out_fmt(" stop=%s detail=0x%x", vm_stop_cause_name(vm->stop_cause), vm->stop_detail);
	out_str("\n");
	for (unsigned i = 0; i < rec.nwrites; i++) {
		out_fmt("write gpa=0x%lx data=", (unsigned long)rec.writes[i].gpa);
		out_hex(rec.writes[i].data, rec.writes[i].len);
		out_str("\n");
	}
	if (rec.overflow)
		out_str("# recorder overflow in this exit: the record above is incomplete\n");
}

#else

void plat_trace_exit(struct vcpu *vcpu, const struct exit_record *ex, int action)
{
	(void)vcpu;
	(void)ex;
	(void)action;
}

#endif
