/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * INS/OUTS emulation. Each element: linear address from the segment and
 * RSI/RDI (masked to the address size), segment checks as the CPU makes them
 * (segment.c), translation through the guest's paging (page_walk.c),
 * then the port access and the memory access. After each element RSI/RDI
 * move by the element size (down when RFLAGS.DF is set) and, with REP, RCX
 * counts down. A fault mid-way is delivered with the registers describing
 * the elements already done and RIP still on the instruction, which is
 * what the CPU does (SDM Vol. 2B, REP: "interrupted ... the registers
 * indicate the point where execution stopped").
 */
#include "string_io.h"
#include "err.h"
#include "guest_mem.h"
#include "ept_exit.h"
#include "event.h"
#include "insn_info.h"
#include "ioreq.h"
#include "io_qual.h"
#include "lib.h"
#include "log.h"
#include "page_walk.h"
#include "pci_cfg.h"
#include "retire.h"
#include "segment.h"
#include "vm.h"
#include "x86.h"

#define PAGE_SIZE 4096u

struct sio {
	struct vcpu *vcpu;
	bool in;             /* INS: port -> memory */
	unsigned size;       /* element size: 1, 2, 4 */
	uint16_t port;
	uint64_t amask;      /* address-size mask */
	bool long64;
	unsigned seg;        /* ES for INS, from the instruction info for OUTS */
	bool pci;            /* no device claims the port: 0xCF8 (dword) or CONFIG_DATA (pci_cfg.h) */
	struct pw_regs pw;
	struct guest_fault fault;
};

static int linear(struct sio *s, uint64_t off, uint64_t *la)
{
	enum seg_mode mode = s->long64 ? SEG_MODE_64 :
			     (!(s->pw.cr0 & X86_CR0_PE) || (s->pw.rflags & X86_RFLAGS_VM)) ?
			     SEG_MODE_REAL : SEG_MODE_PROT;

	/* INS writes memory, OUTS reads it. */
	return seg_linearize(vcpu_get_seg(s->vcpu, (enum vcpu_seg)s->seg), (enum vcpu_seg)s->seg,
			     mode, (s->pw.cr4 & X86_CR4_LA57) != 0, off, s->size, s->in, &s->fault,
			     la);
}

/*
 * Guest-physical addresses of the element at `la`: one, or two when it
 * straddles a page. Returns 0, -TERN_EFAULT (#PF in s->fault), -TERN_EACCES
 * (the A/D update hit a write-protected page: s->fault.wp) or -TERN_EIO.
 */
static int translate(struct sio *s, uint64_t la, uint64_t gpa[2], unsigned *first)
{
	unsigned acc = s->in ? PW_ACC_WRITE : PW_ACC_READ;
	int rc;

	*first = s->size;
	if ((la & (PAGE_SIZE - 1)) + s->size > PAGE_SIZE)
		*first = PAGE_SIZE - (unsigned)(la & (PAGE_SIZE - 1));
	if ((rc = pw_translate(s->vcpu->vm, &s->pw, la, acc, &gpa[0], &s->fault)))
		return rc;
	if (*first < s->size)
		rc = pw_translate(s->vcpu->vm, &s->pw, la + *first, acc, &gpa[1], &s->fault);
	return rc;
}

static int probe_or_read(struct sio *s, const uint64_t gpa[2], unsigned first, uint8_t *buf)
{
	struct vm *vm = s->vcpu->vm;
	if (gmem_read(vm, gpa[0], buf, first))
		return -TERN_EIO;
	if (first < s->size && gmem_read(vm, gpa[1], buf + first, s->size - first))
		return -TERN_EIO;
	return 0;
}

/*
 * INS: whether the element's destination takes a write, before the port is
 * read, so that no device gives up data the guest cannot receive. A
 * write-protected page is -TERN_EACCES with s->fault.wp (a WP IOREQ).
 */
static int dest_check(struct sio *s, const uint64_t gpa[2], unsigned first)
{
	struct vm *vm = s->vcpu->vm;
	int rc = gmem_check(vm, gpa[0], first, true, &s->fault.wp_gpa);
	if (rc == 0 && first < s->size)
		rc = gmem_check(vm, gpa[1], s->size - first, true, &s->fault.wp_gpa);
	s->fault.wp = rc == -TERN_EACCES;
	return rc == 0 || rc == -TERN_EACCES ? rc : -TERN_EIO;
}

static int mem_access(struct sio *s, const uint64_t gpa[2], unsigned first, uint8_t *buf)
{
	struct vm *vm = s->vcpu->vm;
	if (!s->in)
		return probe_or_read(s, gpa, first, buf);
	if (gmem_write(vm, gpa[0], buf, first))
		return -TERN_EIO;
	if (first < s->size && gmem_write(vm, gpa[1], buf + first, s->size - first))
		return -TERN_EIO;
	return 0;
}

/* Write back an index register: only the address-size part changes. */
static void set_masked(struct vcpu *vcpu, enum vcpu_reg r, uint64_t val, uint64_t amask)
{
	uint64_t old = vcpu_get_reg(vcpu, r);
	/* A 32-bit address size writes E*X, which clears bits 63:32 (SDM Vol. 1 3.4.1.1). */
	uint64_t keep = amask == 0xffffull ? (old & ~0xffffull) : 0;
	vcpu_set_reg(vcpu, r, keep | (val & amask));
}

static void set_index(struct sio *s, enum vcpu_reg r, uint64_t val)
{
	set_masked(s->vcpu, r, val, s->amask);
}

/*
 * IOREQ post-work: the device model answered one element (for OUTS this
 * runs when the request is sent). INS stores the value; the index and
 * count move; the instruction retires when the count ran out (retire.h),
 * otherwise the guest re-executes it for the next element.
 */
static void dm_post(struct vcpu *vcpu, const struct ioreq *req, uint64_t value)
{
	const struct string_io_wait *w = &vcpu->sio;
	uint8_t buf[4];
	(void)req;

	if (w->in) {
		for (unsigned i = 0; i < w->size; i++)
			buf[i] = (uint8_t)(value >> (8 * i));
		if (gmem_write(vcpu->vm, w->gpa[0], buf, w->first) ||
		    (w->first < w->size &&
		     gmem_write(vcpu->vm, w->gpa[1], buf + w->first, w->size - w->first))) {
			vm_stop(vcpu->vm, VM_STOP_BAD_MEMORY, (uint32_t)req->addr);
			return;
		}
	}
	set_masked(vcpu, (enum vcpu_reg)w->index_reg, w->next_index, w->amask);
	if (w->rep)
		set_masked(vcpu, VCPU_RCX, w->next_count, w->amask);
	if (!w->rep || !w->next_count)
		vcpu_retire_insn(vcpu, w->instr_len);
	else
		vcpu_retire_iteration(vcpu);
}

/*
 * A port no in-hypervisor device claims, with a device model attached: one
 * element per IOREQ round trip (ACRN's request carries one value).
 */
static enum exit_action element_to_dm(struct sio *s, const struct exit_record *ex, uint64_t off,
				      uint64_t step, uint64_t count, bool rep)
{
	struct vcpu *vcpu = s->vcpu;
	struct string_io_wait *w = &vcpu->sio;
	uint64_t la;
	uint8_t buf[4] = { 0, 0, 0, 0 };
	unsigned first;
	int rc;

	/*
	 * OUTS reads its element now; INS probes that its destination is RAM,
	 * so that a device never gives up data the guest cannot receive.
	 */
	if ((rc = linear(s, off, &la)) || (rc = translate(s, la, w->gpa, &first)) ||
	    (rc = s->in ? dest_check(s, w->gpa, first) : probe_or_read(s, w->gpa, first, buf))) {
		if (rc == -TERN_EFAULT)
			return (enum exit_action)event_reflect(vcpu, &s->fault);
		if (rc == -TERN_EACCES)
			return ept_wp_request(vcpu, s->fault.wp_gpa);
		vm_stop(vcpu->vm, VM_STOP_BAD_MEMORY, s->port);
		return EXIT_ACTION_STOP;
	}
	w->first = (uint8_t)first;
	w->size = (uint8_t)s->size;
	w->in = s->in;
	w->rep = rep;
	w->index_reg = (uint8_t)(s->in ? VCPU_RDI : VCPU_RSI);
	w->instr_len = (uint8_t)ex->instr_len;
	w->amask = s->amask;
	w->next_index = (off + step) & s->amask;
	w->next_count = count - 1;

	uint32_t value = 0;
	for (unsigned i = 0; !s->in && i < s->size; i++)
		value |= (uint32_t)buf[i] << (8 * i);
	struct ioreq req = { .type = IOREQ_TYPE_PORTIO, .dir = s->in ? IOREQ_READ : IOREQ_WRITE,
			     .addr = s->port, .size = s->size, .value = value };
	/* CONFIG_DATA: a PCICFG request naming bus/device/function/register, as for IN/OUT. */
	if (s->pci)
		(void)pci_cfg_access(vcpu->vm, s->port, s->size, !s->in, &value, true, &req);
	if (s->in)
		return ioreq_send(vcpu, &req, dm_post);
	/* OUTS: the value is known and completion has no post-work: the registers move now. */
	dm_post(vcpu, &req, 0);
	return ioreq_send(vcpu, &req, 0);
}

/*
 * An element's port access served here: the claiming device, the
 * CONFIG_ADDRESS latch or a CONFIG_DATA access that makes no request
 * (latch disabled, or no device model: all ones), or nobody (pio.h).
 */
static void port_access(struct sio *s, bool write, uint32_t *value)
{
	struct vm *vm = s->vcpu->vm;
	struct ioreq none;

	if (s->pci)
		(void)pci_cfg_access(vm, s->port, s->size, write, value, false, &none);
	else
		pio_access(&vm->pio, vm, s->port, s->size, write, value);
}

/* One element. 0, -TERN_EFAULT (guest fault), -TERN_EACCES (write-protected page:
 * s->fault.wp), -TERN_EIO (outside guest memory). */
static int element(struct sio *s, uint64_t off)
{
	uint64_t la, gpa[2] = { 0, 0 };
	unsigned first;
	uint8_t buf[4] = { 0, 0, 0, 0 };
	uint32_t value = 0;
	int rc;

	if ((rc = linear(s, off, &la)) || (rc = translate(s, la, gpa, &first)))
		return rc;
	if (s->in) {
		if ((rc = dest_check(s, gpa, first)))
			return rc;
		port_access(s, false, &value);
		for (unsigned i = 0; i < s->size; i++)
			buf[i] = (uint8_t)(value >> (8 * i));
		return mem_access(s, gpa, first, buf);
	}
	if ((rc = mem_access(s, gpa, first, buf)))
		return rc;
	for (unsigned i = 0; i < s->size; i++)
		value |= (uint32_t)buf[i] << (8 * i);
	port_access(s, true, &value);
	return 0;
}

static enum exit_action corrupt(struct vcpu *vcpu, const struct exit_record *ex)
{
	log_err("vm%u vcpu%u: string I/O exit with impossible instruction info 0x%x", vcpu->vm->id,
		vcpu->id, ex->instr_info);
	vm_stop(vcpu->vm, VM_STOP_INTERNAL, ex->instr_info);
	return EXIT_ACTION_STOP;
}

enum exit_action string_io_exit(struct vcpu *vcpu, const struct exit_record *ex)
{
	uint64_t q = ex->qualification;
	struct sio s = { .vcpu = vcpu, .in = io_qual_is_in(q), .size = io_qual_size(q),
			 .port = io_qual_port(q) };
	unsigned asz = ins_outs_info_addr_size(ex->instr_info);
	unsigned abytes = insn_info_addr_bytes(asz);

	s.long64 = vcpu_long_mode_64(vcpu);
	/* 64-bit mode has 32- and 64-bit addresses only; other modes 16 and 32. */
	if (!abytes || (s.long64 && abytes == 2) || (!s.long64 && abytes == 8))
		return corrupt(vcpu, ex);
	s.amask = tern_size_mask(abytes);
	/* INS always stores through ES; OUTS takes DS or the override (SDM Vol. 2B). */
	s.seg = s.in ? VCPU_ES : ins_outs_info_seg(ex->instr_info);
	if (s.seg > VCPU_GS)
		return corrupt(vcpu, ex);
	pw_regs_from_vcpu(vcpu, &s.pw);

	enum vcpu_reg idx = s.in ? VCPU_RDI : VCPU_RSI;
	bool rep = io_qual_is_rep(q);
	uint64_t count = rep ? (vcpu_get_reg(vcpu, VCPU_RCX) & s.amask) : 1;
	uint64_t off = vcpu_get_reg(vcpu, idx) & s.amask;
	uint64_t step = (vcpu_get_reg(vcpu, VCPU_RFLAGS) & X86_RFLAGS_DF) ? -(uint64_t)s.size : s.size;
	/* Single-stepped, every iteration traps (retire.h): one per exit. */
	unsigned batch = vcpu_single_stepping(vcpu) ? 1 : STRING_IO_BATCH;
	unsigned done = 0;
	int rc = 0;

	bool dev = pio_find(&vcpu->vm->pio, s.port, s.size) != 0;
	s.pci = !dev && pci_cfg_port(s.port, s.size);
	/* To the device model: a port nobody here serves, or an enabled CONFIG_DATA. */
	if (!dev && ioreq_ready(vcpu->vm) &&
	    (!s.pci || pci_cfg_is_request(vcpu->vm, s.port, s.size, true))) {
		if (!count) {
			vcpu_retire_insn(vcpu, ex->instr_len);
			return EXIT_ACTION_RESUME;
		}
		return element_to_dm(&s, ex, off, step, count, rep);
	}

	while (count && done < batch) {
		if ((rc = element(&s, off)))
			break;
		off = (off + step) & s.amask; /* the index wraps at the address size */
		count--;
		done++;
		if (vm_is_stopped(vcpu->vm))
			break; /* e.g. the debug-exit port */
	}
	if (done) {
		set_index(&s, idx, off);
		if (rep)
			set_index(&s, VCPU_RCX, count);
	}
	if (vm_is_stopped(vcpu->vm))
		return EXIT_ACTION_STOP;
	if (rc == -TERN_EFAULT)
		return (enum exit_action)event_reflect(vcpu, &s.fault);
	if (rc == -TERN_EACCES) /* the elements before it are done; this one runs again */
		return ept_wp_request(vcpu, s.fault.wp_gpa);
	if (rc) {
		log_err("vm%u vcpu%u: string I/O on port 0x%x touches memory outside the guest",
			vcpu->vm->id, vcpu->id, s.port);
		vm_stop(vcpu->vm, VM_STOP_BAD_MEMORY, s.port);
		return EXIT_ACTION_STOP;
	}
	/* Done when the count ran out; otherwise the guest re-executes the rest. */
	if (!count)
		vcpu_retire_insn(vcpu, ex->instr_len);
	else
		vcpu_retire_iteration(vcpu);
	return EXIT_ACTION_RESUME;
}
