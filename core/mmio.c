/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Emulated MMIO: range registry and the EPT-violation exit path.
 *
 * The emulator sees linear addresses; this file turns each access into
 * guest-physical ones with the guest page walk (every page of an access is
 * translated before any byte moves, so a fault on the second page leaves
 * the device untouched), then routes each byte range to a device or to
 * guest RAM through the bounds-checked platform interface.
 */
#include "mmio.h"
#include "vm.h"
#include "err.h"
#include "guest_mem.h"
#include "ept_exit.h"
#include "event.h"
#include "insn_decode.h"
#include "insn_emulate.h"
#include "ioreq.h"
#include "lib.h"
#include "log.h"
#include "page_walk.h"
#include "range.h"
#include "vm_memory.h"
#include "retire.h"
#include "platform.h"
#include "vm_irq.h"

#define PAGE_SIZE 4096ull
#define PAGE_OFF(a) ((a) & (PAGE_SIZE - 1))

int mmio_register(struct vm *vm, uint64_t gpa, uint64_t size, const struct mmio_dev_ops *ops,
		  void *opaque, const char *name)
{
	struct mmio_bus *bus = &vm->mmio;

	if (size == 0 || gpa + size < gpa || !ops || !ops->read || !ops->write)
		return -TERN_EINVAL;
	/* One device per byte, and never over the VM's RAM (vm_memory_map refuses the converse). */
	if (mmio_overlaps(vm, gpa, size) || vm_memory_gpa_mapped(vm, gpa, size))
		return -TERN_EEXIST;
	if (bus->count == MMIO_MAX_RANGES)
		return -TERN_ENOSPC;
	bus->ranges[bus->count++] = (struct mmio_range){ gpa, size, ops, opaque, name };
	return 0;
}

bool mmio_overlaps(const struct vm *vm, uint64_t gpa, uint64_t size)
{
	const struct mmio_bus *bus = &vm->mmio;

	for (unsigned i = 0; i < bus->count; i++)
		if (range_overlaps(gpa, size, bus->ranges[i].gpa, bus->ranges[i].size))
			return true;
	return false;
}

const struct mmio_range *mmio_find(struct vm *vm, uint64_t gpa)
{
	struct mmio_bus *bus = &vm->mmio;

	for (unsigned i = 0; i < bus->count; i++) {
		const struct mmio_range *r = &bus->ranges[i];

		if (gpa - r->gpa < r->size)
			return r;
	}
	return 0;
}

static int dev_access(struct vm *vm, const struct mmio_range *r, uint64_t gpa, uint8_t *buf,
		      unsigned len, bool write)
{
	uint64_t v = 0;
	int rc;

	if (write) {
		for (unsigned i = len; i > 0; i--)
			v = (v << 8) | buf[i - 1];
		return r->ops->write(vm, r->opaque, gpa - r->gpa, len, v);
	}
	if ((rc = r->ops->read(vm, r->opaque, gpa - r->gpa, len, &v)) != 0)
		return rc;
	for (unsigned i = 0; i < len; i++, v >>= 8)
		buf[i] = (uint8_t)v;
	return 0;
}

/*
 * Move the bytes of [gpa, gpa+len) to or from the devices and the RAM
 * holding them, from the start; with a vCPU, its own xAPIC page first (it
 * is the APIC's only in xAPIC mode and at the current base, vm_irq.h). 0 when every byte moved; otherwise *done
 * bytes moved and: -TERN_EIO with *gap bytes at gpa + *done that are
 * neither a device's nor RAM (up to the next range), -TERN_EACCES
 * (write-protected RAM, not written), or a device's error.
 */
static int route(struct vcpu *vcpu, struct vm *vm, uint64_t gpa, uint8_t *p, unsigned len,
		 bool write, uint64_t *wp_gpa, unsigned *done, unsigned *gap)
{
	*done = 0;
	while (*done < len) {
		uint64_t g = gpa + *done;
		const struct mmio_range *r = mmio_find(vm, g);
		unsigned n = len - *done;
		int rc;

		if (vcpu && vm_irq_apic_page(vcpu, g)) {
			/* The part inside the APIC page goes to the vLAPIC. */
			if (PAGE_OFF(g) + n > PAGE_SIZE)
				n = (unsigned)(PAGE_SIZE - PAGE_OFF(g));
			rc = vm_irq_apic_access(vcpu, g, p + *done, n, write);
			if (rc != 0)
				return rc;
		} else if (r) {
			/* The part inside this range goes to its device in one access. */
			if (g + n - r->gpa > r->size)
				n = (unsigned)(r->gpa + r->size - g);
			rc = dev_access(vm, r, g, p + *done, n, write);
			if (rc != 0)
				return rc;
		} else {
			/* RAM up to the next range (if any starts inside the access). */
			for (unsigned i = 1; i < n; i++) {
				if (mmio_find(vm, g + i) ||
				    (vcpu && PAGE_OFF(g + i) == 0 && vm_irq_apic_page(vcpu, g + i))) {
					n = i;
					break;
				}
			}
			rc = write ? gmem_write_wp(vm, g, p + *done, n, wp_gpa)
				   : gmem_read(vm, g, p + *done, n);
			if (rc != 0) {
				*gap = n;
				return rc == -TERN_EACCES ? rc : -TERN_EIO;
			}
		}
		*done += n;
	}
	return 0;
}

/* ---- linear accesses for the emulator ---------------------------------------- */

struct mmio_ctx {
	struct vcpu *vcpu;
	struct vm *vm;
	struct pw_regs pw;
	bool wrap32;          /* linear addresses are 32 bits outside IA-32e mode */
	/*
	 * With a device model: the vCPU's log of this instruction's accesses
	 * (mmio_wait.h), and the request an access needs (-TERN_EAGAIN).
	 * Without one nothing can wait, and nothing is logged.
	 */
	struct mmio_wait *w;
	unsigned idx;         /* accesses this run has made */
	struct ioreq req;
};

static uint64_t lin_add(const struct mmio_ctx *m, uint64_t la, uint64_t n)
{
	la += n;
	return m->wrap32 ? la & 0xffffffffull : la;
}

/* Largest request the device model takes for `gap` bytes: 8, 4, 2 or 1 (ACRN's sizes). */
static unsigned dm_size(unsigned gap)
{
	return gap >= 8 ? 8 : gap >= 4 ? 4 : gap >= 2 ? 2 : 1;
}

/*
 * An access not in the log, with a device model: its bytes from w->part
 * on (the ones before are done), page by page and range by range. Bytes
 * that are neither a device's nor RAM are the device model's: their first
 * piece becomes m->req and the run stops (-TERN_EAGAIN) with what is done
 * recorded, so that the run after the completion goes on from there. A
 * complete access joins the log.
 */
static int dm_access(struct mmio_ctx *m, uint64_t la, const uint64_t gpa[2], unsigned first,
		     uint8_t *buf, unsigned len, bool write, struct guest_fault *f)
{
	struct mmio_wait *w = m->w;

	if (w->count >= MMIO_LOG_MAX)
		return -TERN_ENOSPC;
	struct mmio_log_entry *e = &w->log[w->count];
	unsigned pos = w->part;
	if (!write)
		tern_memcpy(buf, e->data, pos);
	while (pos < len) {
		unsigned pg = pos >= first;
		uint64_t g = gpa[pg] + (pg ? pos - first : pos);
		unsigned done = 0, gap = 0;
		int rc = route(m->vcpu, m->vm, g, buf + pos, (pg ? len : first) - pos, write, &f->wp_gpa, &done,
			       &gap);

		pos += done;
		if (rc == 0)
			continue;
		e->la = la;
		e->len = (uint8_t)len;
		e->write = write;
		tern_memcpy(e->data, buf, write ? len : pos);
		w->part = (uint8_t)pos;
		if (rc != -TERN_EIO) {
			f->wp = rc == -TERN_EACCES;
			return rc;
		}
		unsigned size = dm_size(gap);
		uint64_t v = 0;
		for (unsigned i = size; write && i > 0; i--)
			v = v << 8 | buf[pos + i - 1];
		m->req = (struct ioreq){ .type = IOREQ_TYPE_MMIO, .dir = write ? IOREQ_WRITE : IOREQ_READ,
					 .addr = g + done, .size = size, .value = v };
		return -TERN_EAGAIN;
	}
	e->la = la;
	e->len = (uint8_t)len;
	e->write = write;
	tern_memcpy(e->data, buf, len);
	w->count++;
	w->part = 0;
	m->idx++;
	return 0;
}

/* Translate every page of [la, la+len) first, then move the bytes. */
static int lin_access(struct mmio_ctx *m, uint64_t la, void *buf, unsigned len, unsigned acc,
		      bool write, struct guest_fault *f)
{
	uint64_t gpa[2], la2 = lin_add(m, la, PAGE_SIZE - PAGE_OFF(la));
	unsigned first = len;
	int rc;

	/* Made in an earlier run of this instruction: not again (mmio_wait.h). */
	if (m->w && m->idx < m->w->count) {
		const struct mmio_log_entry *e = &m->w->log[m->idx++];
		if (!write)
			tern_memcpy(buf, e->data, len);
		return 0;
	}
	if (PAGE_OFF(la) + len > PAGE_SIZE)
		first = (unsigned)(PAGE_SIZE - PAGE_OFF(la));
	if ((rc = pw_translate(m->vm, &m->pw, la, acc, &gpa[0], f)) != 0)
		return rc;
	if (first < len && (rc = pw_translate(m->vm, &m->pw, la2, acc, &gpa[1], f)) != 0)
		return rc;
	if (m->w)
		return dm_access(m, la, gpa, first, buf, len, write, f);
	unsigned done, gap;
	if ((rc = route(m->vcpu, m->vm, gpa[0], buf, first, write, &f->wp_gpa, &done, &gap)) == 0 &&
	    first < len)
		rc = route(m->vcpu, m->vm, gpa[1], (uint8_t *)buf + first, len - first, write,
			   &f->wp_gpa, &done, &gap);
	/* A store to a write-protected page: a WP IOREQ (mmio_exit), as the
	 * guest's own store would be. */
	f->wp = rc == -TERN_EACCES;
	return rc;
}

static int lin_read(void *opaque, uint64_t la, void *buf, unsigned len, unsigned acc,
		    struct guest_fault *f)
{
	/* A read-modify-write faults as the write would, before the read. */
	return lin_access(opaque, la, buf, len, (acc & EMUL_ACC_RMW) ? PW_ACC_WRITE : PW_ACC_READ,
			  false, f);
}

static int lin_write(void *opaque, uint64_t la, const void *buf, unsigned len,
		     struct guest_fault *f)
{
	return lin_access(opaque, la, (void *)(uintptr_t)buf, len, PW_ACC_WRITE, true, f);
}

static const struct emul_ops mmio_emul_ops = { lin_read, lin_write };

/* A string instruction's next iteration: the ones before are committed, their accesses done. */
static void next_iteration(void *opaque)
{
	struct mmio_ctx *m = opaque;

	m->w->count = 0;
	m->w->part = 0;
	m->idx = 0;
}

/* Fetch from guest RAM only: Tern does not execute out of MMIO. */
static int fetch_bytes(struct mmio_ctx *m, uint64_t la, uint8_t *buf, unsigned len,
		       struct guest_fault *f)
{
	uint64_t gpa;
	int rc;

	if ((rc = pw_translate(m->vm, &m->pw, la, PW_ACC_FETCH, &gpa, f)) != 0)
		return rc;
	return gmem_fetch(m->vm, gpa, buf, len) ? -TERN_EIO : 0;
}

static int decode_error_fault(int rc, struct guest_fault *f)
{
	if (rc == INSN_ERR_TOO_LONG)
		guest_fault_gp0(f);      /* SDM Vol. 2A 2.3.11 */
	else
		guest_fault_ud(f);
	return -TERN_EFAULT;
}

/* Fetch and decode the instruction at CS.base + RIP (SDM Vol. 3A 3.4.4: base 0 in 64-bit mode). */
static int fetch_decode(struct mmio_ctx *m, enum insn_mode mode, struct insn *in,
			struct guest_fault *f)
{
	struct vcpu *vcpu = m->vcpu;
	uint8_t bytes[INSN_MAX_LEN];
	uint64_t la = vcpu_get_reg(vcpu, VCPU_RIP);
	unsigned got;
	int rc;

	if (mode != INSN_MODE_64)
		la = (vcpu_get_seg(vcpu, VCPU_CS)->base + la) & 0xffffffffull;
	got = (unsigned)(PAGE_SIZE - PAGE_OFF(la));
	if (got > INSN_MAX_LEN)
		got = INSN_MAX_LEN;
	if ((rc = fetch_bytes(m, la, bytes, got, f)) != 0)
		return rc;
	rc = insn_decode(bytes, got, mode, in);
	if (rc == INSN_ERR_TRUNCATED) {
		/* The instruction continues on the next page: fetch (and fault) there. */
		if ((rc = fetch_bytes(m, lin_add(m, la, got), bytes + got, INSN_MAX_LEN - got, f)) != 0)
			return rc;
		rc = insn_decode(bytes, INSN_MAX_LEN, mode, in);
	}
	return rc != 0 ? decode_error_fault(rc, f) : 0;
}

/*
 * Run the instruction: decoded here, or (resume) the one decoded at the
 * exit, against the log. -TERN_EAGAIN: an access needs m->req.
 */
static int emulate(struct mmio_ctx *m, bool resume, struct guest_fault *f, bool *retired)
{
	struct vcpu *vcpu = m->vcpu;
	struct emul_ctx c;
	struct insn local, *in = m->w ? &m->w->in : &local;
	int rc;

	f->valid = false;
	*retired = false;
	pw_regs_from_vcpu(vcpu, &m->pw);
	emul_ctx_init(&c, vcpu, &mmio_emul_ops, m);
	if (m->w)
		c.iter = next_iteration;
	m->wrap32 = c.mode != INSN_MODE_64;
	/* Single-stepped, every REP iteration traps (retire.h): one per exit. */
	if (vcpu_single_stepping(vcpu))
		c.max_rep = 1;
	if (!resume && (rc = fetch_decode(m, c.mode, in, f)) != 0)
		return rc;

	rc = emul_execute(&c, in);
	if (rc == -TERN_EFAULT || rc == -TERN_EACCES) {
		*f = c.fault;
		return rc;
	}
	*retired = rc == 0 && !c.rep_pending;
	return rc;
}

int mmio_emulate(struct vcpu *vcpu, struct guest_fault *f, bool *retired)
{
	struct mmio_ctx m = { .vcpu = vcpu, .vm = vcpu->vm };

	return emulate(&m, false, f, retired);
}

static enum exit_action inject(struct vcpu *vcpu, const struct guest_fault *f)
{
	bool triple;

	/* The one place the emulator's faults reach the guest. */
	if (f->vector == X86_PF)
		triple = vcpu_inject_pf(vcpu, f->cr2, f->error_code);
	else
		triple = vcpu_inject_fault(vcpu, f->vector, f->has_error, f->error_code);
	if (triple)
		return (enum exit_action)vm_triple_fault(vcpu->vm);
	return EXIT_ACTION_RESUME;
}

/*
 * IOREQ post-work, on the vCPU before its next entry (request.c): the
 * device model's piece of the access is done (a read's bytes into the
 * log); the instruction goes on in vcpu_pre_entry (mmio_resume), once the
 * vCPU is runnable, so a paused VM makes no further access.
 */
static void mmio_post(struct vcpu *vcpu, const struct ioreq *req, uint64_t value)
{
	struct mmio_wait *w = &vcpu->mmio;

	if (req->type == IOREQ_TYPE_MMIO) {
		struct mmio_log_entry *e = &w->log[w->count];
		for (unsigned i = 0; !e->write && i < req->size; i++, value >>= 8)
			e->data[w->part + i] = (uint8_t)value;
		w->part = (uint8_t)(w->part + req->size);
		if (w->part >= e->len) {
			w->count++;
			w->part = 0;
		}
	}
	w->resume = true;
}

/* What a run of the instruction comes to. */
static enum exit_action finish(struct mmio_ctx *m, int rc, const struct guest_fault *f,
			       bool retired, uint64_t gpa)
{
	struct vcpu *vcpu = m->vcpu;
	struct mmio_wait *w = m->w;
	/* A WP request in the middle keeps what was done (the log) for the run after it. */
	bool keep = rc == -TERN_EAGAIN ||
		    (rc == -TERN_EACCES && f->wp && w && (w->count || w->part));

	if (w)
		w->active = keep;
	if (rc == -TERN_EAGAIN)
		return ioreq_send(vcpu, &m->req, mmio_post);
	if (rc == -TERN_EFAULT && f->valid)
		return inject(vcpu, f);
	if (rc == -TERN_EACCES && f->wp)
		return ept_wp_request_then(vcpu, f->wp_gpa, keep ? mmio_post : 0);
	if (rc != 0) {
		log_err("vm%u: MMIO emulation at gpa 0x%llx failed (%d)", vcpu->vm->id,
			(unsigned long long)gpa, rc);
		vm_stop(vcpu->vm, VM_STOP_BAD_MEMORY, (uint32_t)(gpa >> 12));
		return EXIT_ACTION_STOP;
	}
	/*
	 * The emulator moved RIP (at the code-segment size); a REP it stopped
	 * early has not completed and re-executes: an iteration, not retired.
	 */
	if (!retired) {
		vcpu_retire_iteration(vcpu);
		return EXIT_ACTION_RESUME;
	}
	vcpu_retire_emulated(vcpu);
	return EXIT_ACTION_RESUME;
}

enum exit_action mmio_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	struct vm *vm = vcpu->vm;
	bool dm = ioreq_ready(vm);
	struct mmio_ctx m = { .vcpu = vcpu, .vm = vm, .w = dm ? &vcpu->mmio : 0 };
	struct guest_fault f;
	bool retired;

	/*
	 * Only data accesses are emulated: to a registered range or the vCPU's
	 * xAPIC page, or with a device model to anything that is not RAM. A fetch from MMIO, a guest
	 * page walk that reads MMIO (linear address valid but not the
	 * translated access, Table 28-7), or unbacked memory without a device
	 * model stop the VM.
	 */
	if ((!dm && !mmio_find(vm, ex->guest_physical) && !vm_irq_apic_page(vcpu, ex->guest_physical)) ||
	    (ex->qualification & EPT_QUAL_FETCH) ||
	    ((ex->qualification & EPT_QUAL_LA_VALID) && !(ex->qualification & EPT_QUAL_LA_XLATED))) {
		log_err("vm%u: EPT violation at gpa 0x%llx (qualification 0x%llx) is not emulated MMIO",
			vm->id, (unsigned long long)ex->guest_physical,
			(unsigned long long)ex->qualification);
		vm_stop(vm, VM_STOP_BAD_MEMORY, (uint32_t)(ex->guest_physical >> 12));
		return EXIT_ACTION_STOP;
	}
	if (m.w) {
		m.w->count = 0;
		m.w->part = 0;
		m.w->resume = false;
	}
	int rc = emulate(&m, false, &f, &retired);
	return finish(&m, rc, &f, retired, ex->guest_physical);
}

enum exit_action mmio_resume(struct vcpu *vcpu)
{
	struct mmio_ctx m = { .vcpu = vcpu, .vm = vcpu->vm, .w = &vcpu->mmio };
	struct guest_fault f;
	bool retired;

	m.w->resume = false;
	int rc = emulate(&m, true, &f, &retired);
	return finish(&m, rc, &f, retired, vcpu->io.req.addr);
}
