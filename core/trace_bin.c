/* SPDX-License-Identifier: BSD-3-Clause */
#include "trace_bin.h"
#include "err.h"
#include "exit_dispatch.h"
#include "lib.h"

/* ---- little-endian helpers --------------------------------------------- */

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 4;
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 8;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Record header; NULL when the whole record does not fit. */
static uint8_t *rec_start(uint8_t *buf, size_t cap, uint8_t type, uint8_t index, size_t payload)
{
	if (payload > 0xffff || cap < TRACE_BIN_REC_HDR + payload)
		return 0;
	buf[0] = type;
	buf[1] = index;
	put16(buf + 2, (uint16_t)payload);
	return buf + TRACE_BIN_REC_HDR;
}

/* ---- encoders ----------------------------------------------------------- */

size_t trace_bin_header(uint8_t *buf, size_t cap)
{
	if (cap < TRACE_BIN_HEADER_LEN)
		return 0;
	tern_memcpy(buf, TRACE_BIN_MAGIC, 4);
	put16(buf + 4, TRACE_BIN_VERSION);
	put16(buf + 6, 0);
	return TRACE_BIN_HEADER_LEN;
}

size_t trace_bin_vm(uint8_t *buf, size_t cap, const struct trace_bin_vm *vm)
{
	/* The long form only when it says more: older readers keep reading one-VM traces. */
	bool longer = vm->affinity != 0 || vm->flags != 0;
	size_t len = longer ? TRACE_BIN_VM2_LEN : TRACE_BIN_VM_LEN;
	if (vm->id > 0xff)
		return 0;
	uint8_t *p = rec_start(buf, cap, TRACE_BIN_VM, (uint8_t)vm->id, len);
	if (!p)
		return 0;
	p = put16(p, vm->vcpus);
	*p++ = vm->service;
	*p++ = vm->reset_on_triple_fault;
	p = put64(p, vm->mem);
	tern_memset(p, 0, TRACE_BIN_NAME_LEN);
	tern_strlcpy((char *)p, vm->name, TRACE_BIN_NAME_LEN);
	if (longer)
		put32(put64(p + TRACE_BIN_NAME_LEN, vm->affinity), vm->flags);
	return TRACE_BIN_REC_HDR + len;
}

size_t trace_bin_exit(uint8_t *buf, size_t cap, uint16_t vm, uint16_t vcpu, uint8_t pcpu,
		      const struct exit_record *ex)
{
	uint8_t *p = rec_start(buf, cap, TRACE_BIN_EXIT, pcpu, TRACE_BIN_EXIT_LEN);
	if (!p)
		return 0;
	p = put16(p, vcpu);
	p = put16(p, vm);
	p = put32(p, ex->reason);
	p = put64(p, ex->qualification);
	p = put32(p, ex->instr_len);
	p = put32(p, ex->instr_info);
	p = put64(p, ex->guest_linear);
	p = put64(p, ex->guest_physical);
	p = put32(p, ex->intr_info);
	p = put32(p, ex->intr_error);
	p = put32(p, ex->idt_vectoring_info);
	put32(p, ex->idt_vectoring_error);
	return TRACE_BIN_REC_HDR + TRACE_BIN_EXIT_LEN;
}

size_t trace_bin_request(uint8_t *buf, size_t cap, uint16_t vm, uint16_t vcpu, uint32_t bits,
			 uint16_t pcpu)
{
	uint8_t *p = rec_start(buf, cap, TRACE_BIN_REQUEST, 0, TRACE_BIN_REQUEST_LEN);
	if (!p)
		return 0;
	p = put16(p, vm);
	p = put16(p, vcpu);
	p = put32(p, bits);
	p = put16(p, pcpu);
	put16(p, 0);
	return TRACE_BIN_REC_HDR + TRACE_BIN_REQUEST_LEN;
}

size_t trace_bin_kick(uint8_t *buf, size_t cap, uint16_t pcpu, uint16_t from)
{
	uint8_t *p = rec_start(buf, cap, TRACE_BIN_KICK, 0, TRACE_BIN_KICK_LEN);
	if (!p)
		return 0;
	p = put16(p, pcpu);
	put16(p, from);
	return TRACE_BIN_REC_HDR + TRACE_BIN_KICK_LEN;
}

size_t trace_bin_timer(uint8_t *buf, size_t cap, uint16_t vm, uint16_t vcpu, uint16_t pcpu,
		       uint64_t tsc)
{
	uint8_t *p = rec_start(buf, cap, TRACE_BIN_TIMER, 0, TRACE_BIN_TIMER_LEN);
	if (!p)
		return 0;
	p = put16(p, vm);
	p = put16(p, vcpu);
	p = put16(p, pcpu);
	p = put16(p, 0);
	put64(p, tsc);
	return TRACE_BIN_REC_HDR + TRACE_BIN_TIMER_LEN;
}

size_t trace_bin_complete(uint8_t *buf, size_t cap, uint16_t vm, uint16_t vcpu, uint32_t state,
			  uint64_t value)
{
	uint8_t *p = rec_start(buf, cap, TRACE_BIN_COMPLETE, 0, TRACE_BIN_COMPLETE_LEN);
	if (!p)
		return 0;
	p = put16(p, vm);
	p = put16(p, vcpu);
	p = put32(p, state);
	put64(p, value);
	return TRACE_BIN_REC_HDR + TRACE_BIN_COMPLETE_LEN;
}

size_t trace_bin_sched(uint8_t *buf, size_t cap, uint16_t pcpu, bool none, uint16_t vm,
		       uint16_t vcpu)
{
	uint8_t *p = rec_start(buf, cap, TRACE_BIN_SCHED, none ? TRACE_BIN_SCHED_NONE : 0,
			       TRACE_BIN_SCHED_LEN);
	if (!p)
		return 0;
	p = put16(p, pcpu);
	p = put16(p, none ? 0 : vm);
	p = put16(p, none ? 0 : vcpu);
	put16(p, 0);
	return TRACE_BIN_REC_HDR + TRACE_BIN_SCHED_LEN;
}

size_t trace_bin_reg(uint8_t *buf, size_t cap, uint8_t type, enum vcpu_reg reg, uint64_t value)
{
	uint8_t *p = rec_start(buf, cap, type, (uint8_t)reg, TRACE_BIN_REG_LEN);
	if (!p)
		return 0;
	put64(p, value);
	return TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN;
}

size_t trace_bin_seg(uint8_t *buf, size_t cap, enum vcpu_seg seg, const struct seg_desc *d)
{
	uint8_t *p = rec_start(buf, cap, TRACE_BIN_SEG, (uint8_t)seg, TRACE_BIN_SEG_LEN);
	if (!p)
		return 0;
	p = put16(p, d->selector);
	p = put32(p, d->limit);
	p = put32(p, d->ar);
	put64(p, d->base);
	return TRACE_BIN_REC_HDR + TRACE_BIN_SEG_LEN;
}

size_t trace_bin_mem(uint8_t *buf, size_t cap, uint8_t type, uint64_t gpa, const void *data,
		     uint32_t len, bool fault)
{
	if (len > TRACE_BIN_MAX_DATA)
		return 0;
	size_t payload = TRACE_BIN_MEM_HDR + (fault ? 0 : len);
	uint8_t *p = rec_start(buf, cap, type, fault ? 1 : 0, payload);
	if (!p)
		return 0;
	p = put64(p, gpa);
	p = put32(p, len);
	if (!fault)
		tern_memcpy(p, data, len);
	return TRACE_BIN_REC_HDR + payload;
}

size_t trace_bin_action(uint8_t *buf, size_t cap, int action)
{
	return rec_start(buf, cap, TRACE_BIN_ACTION, (uint8_t)action, 0) ? TRACE_BIN_REC_HDR : 0;
}

size_t trace_bin_event(uint8_t *buf, size_t cap, const struct vcpu_event *ev)
{
	uint8_t *p = rec_start(buf, cap, TRACE_BIN_EVENT, 0, TRACE_BIN_EVENT_LEN);
	if (!p)
		return 0;
	*p++ = ev->vector;
	*p++ = ev->type;
	*p++ = ev->has_error;
	p = put32(p, ev->error_code);
	put32(p, ev->instr_len);
	return TRACE_BIN_REC_HDR + TRACE_BIN_EVENT_LEN;
}

size_t trace_bin_console(uint8_t *buf, size_t cap, const uint8_t *bytes, uint32_t len)
{
	if (len > TRACE_BIN_MAX_DATA)
		return 0;
	uint8_t *p = rec_start(buf, cap, TRACE_BIN_CONSOLE, 0, len);
	if (!p)
		return 0;
	tern_memcpy(p, bytes, len);
	return TRACE_BIN_REC_HDR + len;
}

size_t trace_bin_stop(uint8_t *buf, size_t cap, uint32_t cause, uint32_t detail)
{
	uint8_t *p = rec_start(buf, cap, TRACE_BIN_STOP, 0, TRACE_BIN_STOP_LEN);
	if (!p)
		return 0;
	p = put32(p, cause);
	put32(p, detail);
	return TRACE_BIN_REC_HDR + TRACE_BIN_STOP_LEN;
}

size_t trace_bin_host_cpuid(uint8_t *buf, size_t cap, uint32_t leaf, uint32_t subleaf,
			    const uint32_t regs[4])
{
	uint8_t *p = rec_start(buf, cap, TRACE_BIN_HOST_CPUID, 0, TRACE_BIN_CPUID_LEN);
	if (!p)
		return 0;
	p = put32(p, leaf);
	p = put32(p, subleaf);
	for (int i = 0; i < 4; i++)
		p = put32(p, regs[i]);
	return TRACE_BIN_REC_HDR + TRACE_BIN_CPUID_LEN;
}

static size_t u64_record(uint8_t *buf, size_t cap, uint8_t type, uint64_t v)
{
	uint8_t *p = rec_start(buf, cap, type, 0, TRACE_BIN_REG_LEN);
	if (!p)
		return 0;
	put64(p, v);
	return TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN;
}

size_t trace_bin_host_tsc(uint8_t *buf, size_t cap, uint64_t tsc)
{
	return u64_record(buf, cap, TRACE_BIN_HOST_TSC, tsc);
}

size_t trace_bin_apic_value(uint8_t *buf, size_t cap, uint32_t value)
{
	return u64_record(buf, cap, TRACE_BIN_APIC_VALUE, value);
}

size_t trace_bin_vtpr(uint8_t *buf, size_t cap, uint32_t value)
{
	return u64_record(buf, cap, TRACE_BIN_VTPR, value);
}

size_t trace_bin_vicr_hi(uint8_t *buf, size_t cap, uint32_t value)
{
	return u64_record(buf, cap, TRACE_BIN_VICR_HI, value);
}

/* ---- decoder -------------------------------------------------------------- */

int trace_bin_check_header(const uint8_t *buf, size_t len)
{
	if (len < TRACE_BIN_HEADER_LEN || tern_memcmp(buf, TRACE_BIN_MAGIC, 4) != 0 ||
	    get16(buf + 4) != TRACE_BIN_VERSION)
		return -TERN_EINVAL;
	return 0;
}

/* The exact payload length a fixed-size type must have; -1 for variable. */
static long fixed_len(uint8_t type)
{
	switch (type) {
	case TRACE_BIN_REQUEST: return TRACE_BIN_REQUEST_LEN;
	case TRACE_BIN_KICK: return TRACE_BIN_KICK_LEN;
	case TRACE_BIN_COMPLETE: return TRACE_BIN_COMPLETE_LEN;
	case TRACE_BIN_TIMER: return TRACE_BIN_TIMER_LEN;
	case TRACE_BIN_SCHED: return TRACE_BIN_SCHED_LEN;
	case TRACE_BIN_EXIT: return TRACE_BIN_EXIT_LEN;
	case TRACE_BIN_REG:
	case TRACE_BIN_EXP_REG: return TRACE_BIN_REG_LEN;
	case TRACE_BIN_SEG: return TRACE_BIN_SEG_LEN;
	case TRACE_BIN_ACTION: return 0;
	case TRACE_BIN_EVENT: return TRACE_BIN_EVENT_LEN;
	case TRACE_BIN_STOP: return TRACE_BIN_STOP_LEN;
	case TRACE_BIN_HOST_CPUID: return TRACE_BIN_CPUID_LEN;
	case TRACE_BIN_HOST_TSC:
	case TRACE_BIN_APIC_VALUE:
	case TRACE_BIN_VTPR:
	case TRACE_BIN_VICR_HI: return TRACE_BIN_REG_LEN;
	default: return -1;
	}
}

int trace_bin_next(const uint8_t *buf, size_t len, size_t *pos, struct trace_bin_rec *rec)
{
	size_t at = *pos;
	if (at > len || len - at < TRACE_BIN_REC_HDR)
		return -TERN_E2BIG;
	uint8_t type = buf[at], index = buf[at + 1];
	size_t plen = get16(buf + at + 2);
	if (len - at - TRACE_BIN_REC_HDR < plen)
		return -TERN_E2BIG;
	if (type == 0 || type >= TRACE_BIN_TYPE_MAX)
		return -TERN_EINVAL;
	long want = fixed_len(type);
	if (want >= 0 && (size_t)want != plen)
		return -TERN_EINVAL;

	const uint8_t *p = buf + at + TRACE_BIN_REC_HDR;
	tern_memset(rec, 0, sizeof(*rec));
	rec->type = type;
	rec->index = index;
	switch (type) {
	case TRACE_BIN_VM:
		if (plen != TRACE_BIN_VM_LEN && plen != TRACE_BIN_VM2_LEN)
			return -TERN_EINVAL;
		rec->vm.id = index;
		if (plen == TRACE_BIN_VM2_LEN) {
			rec->vm.affinity = get64(p + 12 + TRACE_BIN_NAME_LEN);
			rec->vm.flags = get32(p + 20 + TRACE_BIN_NAME_LEN);
			if (rec->vm.flags & ~(TRACE_BIN_VM_BOOT_STATE | TRACE_BIN_VM_CREATED))
				return -TERN_EINVAL;
		}
		rec->vm.vcpus = get16(p);
		if (p[2] > 1 || p[3] > 1)
			return -TERN_EINVAL;
		rec->vm.service = p[2];
		rec->vm.reset_on_triple_fault = p[3];
		rec->vm.mem = get64(p + 4);
		tern_memcpy(rec->vm.name, p + 12, TRACE_BIN_NAME_LEN);
		if (rec->vm.name[TRACE_BIN_NAME_LEN - 1] != '\0')
			return -TERN_EINVAL; /* the name must be terminated */
		break;
	case TRACE_BIN_EXIT:
		rec->vcpu = get16(p);
		rec->vm_id = get16(p + 2);
		rec->pcpu = index;
		rec->ex.reason = get32(p + 4);
		rec->ex.qualification = get64(p + 8);
		rec->ex.instr_len = get32(p + 16);
		rec->ex.instr_info = get32(p + 20);
		rec->ex.guest_linear = get64(p + 24);
		rec->ex.guest_physical = get64(p + 32);
		rec->ex.intr_info = get32(p + 40);
		rec->ex.intr_error = get32(p + 44);
		rec->ex.idt_vectoring_info = get32(p + 48);
		rec->ex.idt_vectoring_error = get32(p + 52);
		break;
	case TRACE_BIN_REG:
	case TRACE_BIN_EXP_REG:
		if (index >= VCPU_REG_COUNT)
			return -TERN_EINVAL;
		rec->value = get64(p);
		break;
	case TRACE_BIN_SEG:
		if (index >= VCPU_SEG_COUNT)
			return -TERN_EINVAL;
		rec->seg.selector = get16(p);
		rec->seg.limit = get32(p + 2);
		rec->seg.ar = get32(p + 6);
		rec->seg.base = get64(p + 10);
		break;
	case TRACE_BIN_MEM:
	case TRACE_BIN_WRITE:
		if (plen < TRACE_BIN_MEM_HDR || index > 1 || (type == TRACE_BIN_WRITE && index))
			return -TERN_EINVAL;
		rec->gpa = get64(p);
		rec->len = get32(p + 8);
		rec->fault = index & 1;
		if (rec->len == 0 || rec->len > TRACE_BIN_MAX_DATA ||
		    plen != TRACE_BIN_MEM_HDR + (rec->fault ? 0 : rec->len))
			return -TERN_EINVAL;
		if (!rec->fault)
			tern_memcpy(rec->data, p + TRACE_BIN_MEM_HDR, rec->len);
		break;
	case TRACE_BIN_ACTION:
		if (index >= EXIT_ACTION_COUNT)
			return -TERN_EINVAL;
		break;
	case TRACE_BIN_EVENT:
		if (p[1] > 7 || p[2] > 1)
			return -TERN_EINVAL;
		rec->event.valid = true;
		rec->event.vector = p[0];
		rec->event.type = p[1];
		rec->event.has_error = p[2];
		rec->event.error_code = get32(p + 3);
		rec->event.instr_len = get32(p + 7);
		break;
	case TRACE_BIN_CONSOLE:
		if (plen > TRACE_BIN_MAX_DATA)
			return -TERN_EINVAL;
		rec->len = (uint32_t)plen;
		tern_memcpy(rec->data, p, plen);
		break;
	case TRACE_BIN_HOST_CPUID:
		rec->cpuid_leaf = get32(p);
		rec->cpuid_subleaf = get32(p + 4);
		for (int i = 0; i < 4; i++)
			rec->cpuid_regs[i] = get32(p + 8 + 4 * i);
		break;
	case TRACE_BIN_HOST_TSC:
		if (index)
			return -TERN_EINVAL;
		rec->value = get64(p);
		break;
	case TRACE_BIN_APIC_VALUE:
	case TRACE_BIN_VTPR:
	case TRACE_BIN_VICR_HI:
		if (index || get64(p) > UINT32_MAX)
			return -TERN_EINVAL;
		rec->value = get64(p);
		break;
	case TRACE_BIN_REQUEST:
		if (index || get16(p + 10))
			return -TERN_EINVAL;
		rec->vm_id = get16(p);
		rec->vcpu = get16(p + 2);
		rec->bits = get32(p + 4);
		rec->pcpu = get16(p + 8);
		break;
	case TRACE_BIN_KICK:
		if (index)
			return -TERN_EINVAL;
		rec->pcpu = get16(p);
		rec->from = get16(p + 2);
		break;
	case TRACE_BIN_COMPLETE:
		if (index)
			return -TERN_EINVAL;
		rec->vm_id = get16(p);
		rec->vcpu = get16(p + 2);
		rec->state = get32(p + 4);
		rec->value = get64(p + 8);
		break;
	case TRACE_BIN_TIMER:
		if (index || get16(p + 6))
			return -TERN_EINVAL;
		rec->vm_id = get16(p);
		rec->vcpu = get16(p + 2);
		rec->pcpu = get16(p + 4);
		rec->value = get64(p + 8);
		break;
	case TRACE_BIN_SCHED:
		if (index > TRACE_BIN_SCHED_NONE || get16(p + 6) ||
		    ((index & TRACE_BIN_SCHED_NONE) && (get16(p + 2) || get16(p + 4))))
			return -TERN_EINVAL;
		rec->pcpu = get16(p);
		rec->vm_id = get16(p + 2);
		rec->vcpu = get16(p + 4);
		break;
	default: /* TRACE_BIN_STOP: fixed_len covers every other type */
		rec->stop_cause = get32(p);
		rec->stop_detail = get32(p + 4);
		break;
	}
	*pos = at + TRACE_BIN_REC_HDR + plen;
	return 0;
}
