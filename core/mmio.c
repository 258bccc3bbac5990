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
#include "log.h"
#include "page_walk.h"
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
	for (unsigned i = 0; i < bus->count; i++) {
		const struct mmio_range *r = &bus->ranges[i];

		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -TERN_EEXIST;
	}
	if (bus->count == MMIO_MAX_RANGES)
		return -TERN_ENOSPC;
	bus->ranges[bus->count++] = (struct mmio_range){ gpa, size, ops, opaque, name };
	return 0;
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

int mmio_gpa_access(struct vm *vm, uint64_t gpa, void *buf, unsigned len, bool write,
		    uint64_t *wp_gpa)
{
	uint8_t *p = buf;

	while (len > 0) {
		const struct mmio_range *r = mmio_find(vm, gpa);
		unsigned n = len;
		int rc;

		if (r) {
			/* The part inside this range goes to its device in one access. */
			if (gpa + n - r->gpa > r->size)
				n = (unsigned)(r->gpa + r->size - gpa);
			rc = dev_access(vm, r, gpa, p, n, write);
			if (rc != 0)
				return rc;
		} else {
			/* RAM up to the next range (if any starts inside the access). */
			for (unsigned i = 1; i < n; i++) {
				if (mmio_find(vm, gpa + i)) {
					n = i;
					break;
				}
			}
			rc = write ? gmem_write_wp(vm, gpa, p, n, wp_gpa) : gmem_read(vm, gpa, p, n);
			if (rc != 0)
				return rc == -TERN_EACCES ? rc : -TERN_EIO;
		}
		gpa += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* ---- linear accesses for the emulator ---------------------------------------- */

struct mmio_ctx {
	struct vcpu *vcpu;
	struct vm *vm;
	struct pw_regs pw;
	bool wrap32;          /* linear addresses are 32 bits outside IA-32e mode */
};

/*
 * One page's part of an access: the vCPU's own xAPIC page first (it is the
 * APIC's only in xAPIC mode and at the current base, vm_irq.h), else the
 * VM's devices and RAM.
 */
static int gpa_access(struct mmio_ctx *m, uint64_t gpa, void *buf, unsigned len, bool write,
		      uint64_t *wp_gpa)
{
	if (vm_irq_apic_page(m->vcpu, gpa))
		return vm_irq_apic_access(m->vcpu, gpa, buf, len, write);
	return mmio_gpa_access(m->vm, gpa, buf, len, write, wp_gpa);
}

static uint64_t lin_add(const struct mmio_ctx *m, uint64_t la, uint64_t n)
{
	la += n;
	return m->wrap32 ? la & 0xffffffffull : la;
}

/* Translate every page of [la, la+len) first, then move the bytes. */
static int lin_access(struct mmio_ctx *m, uint64_t la, void *buf, unsigned len, unsigned acc,
		      bool write, struct guest_fault *f)
{
	uint64_t gpa[2], la2 = lin_add(m, la, PAGE_SIZE - PAGE_OFF(la));
	unsigned first = len;
	int rc;

	if (PAGE_OFF(la) + len > PAGE_SIZE)
		first = (unsigned)(PAGE_SIZE - PAGE_OFF(la));
	if ((rc = pw_translate(m->vm, &m->pw, la, acc, &gpa[0], f)) != 0)
		return rc;
	if (first < len && (rc = pw_translate(m->vm, &m->pw, la2, acc, &gpa[1], f)) != 0)
		return rc;
	if ((rc = gpa_access(m, gpa[0], buf, first, write, &f->wp_gpa)) == 0 && first < len)
		rc = gpa_access(m, gpa[1], (uint8_t *)buf + first, len - first, write, &f->wp_gpa);
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

int mmio_emulate(struct vcpu *vcpu, struct guest_fault *f, bool *retired)
{
	struct mmio_ctx m = { .vcpu = vcpu, .vm = vcpu->vm };
	struct emul_ctx c;
	struct insn in;
	uint8_t bytes[INSN_MAX_LEN];
	uint64_t la;
	unsigned got;
	int rc;

	f->valid = false;
	*retired = false;
	pw_regs_from_vcpu(vcpu, &m.pw);
	emul_ctx_init(&c, vcpu, &mmio_emul_ops, &m);
	m.wrap32 = c.mode != INSN_MODE_64;
	/* Single-stepped, every REP iteration traps (retire.h): one per exit. */
	if (vcpu_single_stepping(vcpu))
		c.max_rep = 1;

	/* The instruction is at CS.base + RIP (SDM Vol. 3A 3.4.4: base 0 in 64-bit mode). */
	la = vcpu_get_reg(vcpu, VCPU_RIP);
	if (c.mode != INSN_MODE_64)
		la = (vcpu_get_seg(vcpu, VCPU_CS)->base + la) & 0xffffffffull;
	got = (unsigned)(PAGE_SIZE - PAGE_OFF(la));
	if (got > INSN_MAX_LEN)
		got = INSN_MAX_LEN;
	if ((rc = fetch_bytes(&m, la, bytes, got, f)) != 0)
		return rc;
	rc = insn_decode(bytes, got, c.mode, &in);
	if (rc == INSN_ERR_TRUNCATED) {
		/* The instruction continues on the next page: fetch (and fault) there. */
		if ((rc = fetch_bytes(&m, lin_add(&m, la, got), bytes + got, INSN_MAX_LEN - got, f)) != 0)
			return rc;
		rc = insn_decode(bytes, INSN_MAX_LEN, c.mode, &in);
	}
	if (rc != 0)
		return decode_error_fault(rc, f);

	rc = emul_execute(&c, &in);
	if (rc == -TERN_EFAULT || rc == -TERN_EACCES) {
		*f = c.fault;
		return rc;
	}
	*retired = rc == 0 && !c.rep_pending;
	return rc;
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

enum exit_action mmio_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	struct vm *vm = vcpu->vm;
	struct guest_fault f;
	bool retired;
	int rc;

	/*
	 * Only data accesses to a registered range are emulated. A fetch from
	 * MMIO, a guest page walk that reads MMIO (linear address valid but
	 * not the translated access, Table 28-7), or unbacked memory stop the VM.
	 */
	if ((!mmio_find(vm, ex->guest_physical) && !vm_irq_apic_page(vcpu, ex->guest_physical)) ||
	    (ex->qualification & EPT_QUAL_FETCH) ||
	    ((ex->qualification & EPT_QUAL_LA_VALID) && !(ex->qualification & EPT_QUAL_LA_XLATED))) {
		log_err("vm%u: EPT violation at gpa 0x%llx (qualification 0x%llx) is not emulated MMIO",
			vm->id, (unsigned long long)ex->guest_physical,
			(unsigned long long)ex->qualification);
		vm_stop(vm, VM_STOP_BAD_MEMORY, (uint32_t)(ex->guest_physical >> 12));
		return EXIT_ACTION_STOP;
	}

	rc = mmio_emulate(vcpu, &f, &retired);
	if (rc == -TERN_EFAULT && f.valid)
		return inject(vcpu, &f);
	if (rc == -TERN_EACCES && f.wp)
		return ept_wp_request(vcpu, f.wp_gpa);
	if (rc != 0) {
		log_err("vm%u: MMIO emulation at gpa 0x%llx failed (%d)", vm->id,
			(unsigned long long)ex->guest_physical, rc);
		vm_stop(vm, VM_STOP_BAD_MEMORY, (uint32_t)(ex->guest_physical >> 12));
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
