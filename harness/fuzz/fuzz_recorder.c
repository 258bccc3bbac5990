/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz core's recorder (core/trace_recorder.c) with any sequence of hook
 * calls and guest-controlled values (lengths, console bytes, addresses,
 * registers, requests, pCPU numbers): it must never write out of its
 * buffers, and everything it writes must be well-formed records of the
 * binary format (trace_bin_next decodes the whole stream), whatever the
 * order of the calls.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_input.h"
#include "sim.h"
#include "trace_recorder.h"
#include "exit_dispatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[1 << 22];
static size_t out_len;

static bool to_buf(void *ctx, const uint8_t *buf, size_t n)
{
	(void)ctx;
	if (out_len + n > sizeof(out))
		return false;
	memcpy(out + out_len, buf, n);
	out_len += n;
	return true;
}

static struct tern hv;
static struct trec r;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	static uint8_t blob[TRACE_BIN_MAX_DATA * 2];
	sim_reset();
	tern_init(&hv);
	struct vm *vm = sim_create_vm(&hv, "fz", 2, true, 0x10000);
	if (!vm)
		abort();
	vm->state = VM_STATE_RUNNING;
	out_len = 0;
	trec_init(&r, to_buf, NULL);
	for (unsigned steps = 0; in.left && steps < 4096; steps++) {
		struct vcpu *v = &vm->vcpus[byte(&in) & 1];
		uint8_t op = byte(&in);
		size_t len = (size_t)(u32(&in) % sizeof(blob));
		uint64_t x = u64(&in);
		memset(blob, (int)(x & 0xff), sizeof(blob));
		switch (op % 18) {
		case 0: { uint32_t regs[4] = { (uint32_t)x }; trec_host_cpuid(&r, (uint32_t)x, 0, regs); break; }
		case 1: trec_vm(&r, vm); break;
		case 2: trec_host_tsc(&r, x); break;
		case 3: {
			struct exit_record ex = { .reason = (uint32_t)x, .qualification = x };
			trec_exit_begin(&r, v, &ex);
			break;
		}
		case 4:
			v->reg_dirty = (uint32_t)x & ((1u << VCPU_REG_COUNT) - 1);
			v->regs[x % VCPU_REG_COUNT] = x;
			v->event.valid = x & 1;
			v->event.vector = (uint8_t)(x >> 8);
			/* What core itself decides is valid: the action, the event's type. */
			v->event.type = (uint8_t)((x >> 16) & 7);
			v->event.has_error = (x >> 19) & 1;
			trec_exit_end(&r, v, (int)(x % EXIT_ACTION_COUNT));
			break;
		case 5: trec_sched(&r, (uint16_t)(x % (TERN_MAX_PCPUS + 2)), (x >> 8) & 1 ? v : NULL); break;
		case 6: trec_pre_entry(&r, v); break;
		case 7: trec_reg(&r, (enum vcpu_reg)(x % VCPU_REG_COUNT), x); break;
		case 8: { struct seg_desc d = { .base = x }; trec_seg(&r, (enum vcpu_seg)(x % VCPU_SEG_COUNT), &d); break; }
		case 9: trec_mem_read(&r, x, blob, len, (x >> 63) != 0); break;
		case 10: trec_mem_write(&r, x, blob, len); break;
		case 11: trec_console(&r, (uint8_t)x); break;
		case 12: trec_request(&r, v, (uint32_t)x, (uint16_t)(x >> 32)); break;
		case 13: trec_kick(&r, (uint16_t)x, (uint16_t)(x >> 16)); break;
		case 14: trec_complete(&r, (uint16_t)x, (uint16_t)(x >> 16), (uint32_t)(x >> 32), x); break;
		case 15: v->state = VCPU_STATE_HALTED; trec_timer(&r, v, x); v->requests = 0; break;
		case 16: vm_stop(vm, VM_STOP_INTERNAL, (uint32_t)x); break;
		default:
			for (size_t i = 0; i < len; i++)
				trec_console(&r, (uint8_t)i);
			break;
		}
	}
	(void)trec_finish(&r);
	if (trace_bin_check_header(out, out_len))
		abort();
	size_t pos = TRACE_BIN_HEADER_LEN;
	static struct trace_bin_rec rec;
	while (pos < out_len)
		if (trace_bin_next(out, out_len, &pos, &rec)) {
			fprintf(stderr, "the recorder wrote a malformed record at %zu\n", pos);
			abort();
		}
	return 0;
}
