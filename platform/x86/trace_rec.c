/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit recording, the TERN_RECORD=1 build: every exit in the binary trace
 * format (core/trace_bin.h, traces/README.md), streamed out COM2 or port
 * 0xE9. What each hook records and in which order is core's recorder's
 * (core/trace_recorder.h), shared with the simulator's; this file is the
 * stream, the lock that keeps several pCPUs' records whole, and the hooks.
 *
 * In this build the GPRs are not pre-filled into the register cache (see
 * run.c), so every register the handler reads arrives through
 * plat_vcpu_fetch_reg and is recorded: the trace holds exactly the state
 * the replay needs, no more.
 */
#include "trace_rec.h"
#include "trace_recorder.h"
#include "platform.h"
#include "serial.h"
#include "vm.h"
#include "lib.h"
#include "exit_dispatch.h"
#include "machine.h"
#include "xvm.h"
#include "hypercall.h"
#include "atomic.h"
#include "cpu.h"
#include "ioreq_types.h"

#if TERN_RECORD

/*
 * Where the stream goes: COM2 (paced by its THR-empty interrupt), or, with
 * `trace=e9` on Tern's command line, port 0xE9, which Bochs writes to its
 * stdout unpaced (port_e9_hack) -- COM2 pacing makes a recording under
 * SMP minutes long (PLATFORMS.md). Bochs's stdout carries its own lines
 * too, so on port 0xE9 the stream is framed: E9_BEGIN, the bytes, then
 * E9_END with the byte count (bochs_run.py takes exactly that many).
 */
#define E9_PORT 0xe9
#define E9_BEGIN "\nTERN-TRACE-E9-BEGIN\n"
#define E9_END "\nTERN-TRACE-E9-END "
static bool rec_e9;
static uint64_t rec_bytes;
static struct trec rec;

/*
 * Several pCPUs record into one stream: the pCPU loop (run.c) holds the
 * recorder (trace_rec_lock) from before sched_next to the vCPU's entry or
 * the idle wait, and from the VM exit to the end of its handling, so that
 * each exit's and sched entry's records stay together, and what other
 * pCPUs can see of them (idle, in_guest, the requests) changes inside
 * them: the stream is one order of what happened, which the replay
 * follows. A request or kick made outside those takes it for its record
 * alone. Taken with no core lock held (core never waits for another CPU
 * while holding one), so it cannot deadlock.
 */
static uint32_t rec_owner;              /* 1 + the pCPU holding the recorder, 0: none */

static bool rec_mine(void)
{
	return atomic_load32(&rec_owner) == (uint32_t)plat_cpu_id() + 1u;
}

/* Take the recorder; true if this call took it (false: this pCPU held it already). */
static bool rec_acquire(void)
{
	uint32_t me = (uint32_t)plat_cpu_id() + 1u;
	if (atomic_load32(&rec_owner) == me)
		return false;
	for (;;) {
		uint32_t expect = 0;
		if (atomic_cmpxchg32(&rec_owner, &expect, me))
			return true;
		cpu_pause();
	}
}

static void rec_release(void)
{
	if (rec_mine())
		atomic_store32(&rec_owner, 0);
}

void trace_rec_lock(void)
{
	(void)rec_acquire();
}

void trace_rec_unlock(void)
{
	rec_release();
}

static bool to_stream(void *ctx, const uint8_t *buf, size_t n)
{
	(void)ctx;
	if (rec_e9)
		for (size_t i = 0; i < n; i++)
			outb(E9_PORT, buf[i]);
	else
		serial_write(SERIAL_COM2, buf, n);
	rec_bytes += n;
	return true;
}

static void e9_puts(const char *s)
{
	for (; *s; s++)
		outb(E9_PORT, (uint8_t)*s);
}

void trace_rec_init(void)
{
	rec_e9 = x86_cmdline_has("trace=e9");
	if (rec_e9) {
		e9_puts(E9_BEGIN);
	} else {
		serial_init(SERIAL_COM2);
		serial_use_irq(SERIAL_COM2, SERIAL_COM2_IRQ);
	}
	trec_init(&rec, to_stream, 0);
}

void trace_rec_vm(const struct vm *vm)
{
	trec_vm(&rec, vm);
}

void trace_rec_host_cpuid(uint32_t leaf, uint32_t subleaf, const uint32_t regs[4])
{
	trec_host_cpuid(&rec, leaf, subleaf, regs);
}

void trace_rec_host_tsc(uint64_t tsc)
{
	if (rec_mine())
		trec_host_tsc(&rec, tsc);
}

void trace_rec_end(void)
{
	/* Kept to the end: a pCPU still in an exit finishes its records first, then none follow. */
	(void)rec_acquire();
	unsigned lost = trec_finish(&rec);
	if (rec_e9) {
		char line[48];
		tern_snprintf(line, sizeof(line), "%s%lu\n", E9_END, (unsigned long)rec_bytes);
		e9_puts(line);
	}
	x86_log("trace: %lu exits recorded, %lu bytes on %s%s", (unsigned long)rec.exits,
		(unsigned long)rec_bytes, rec_e9 ? "port 0xE9" : "COM2",
		lost ? ", SOME RECORDS LOST" : "");
}

void trace_rec_begin(struct vcpu *vcpu, const struct exit_record *ex)
{
	(void)rec_acquire();            /* held already by the loop (trace_rec_lock) */
	trec_exit_begin(&rec, vcpu, ex);
}

void plat_trace_request(const struct vcpu *target, uint32_t req)
{
	if (!rec.vm_emitted)
		return;
	bool took = rec_acquire();
	trec_request(&rec, target, req, plat_cpu_id());
	if (took)
		rec_release();
}

void plat_trace_polled_complete(const struct vcpu *vcpu, uint64_t value)
{
	if (!rec.vm_emitted)
		return;
	bool took = rec_acquire();
	trec_complete(&rec, vcpu->vm->id, vcpu->id, IOREQ_COMPLETE, value);
	if (took)
		rec_release();
}

void trace_rec_kick(uint16_t cpu)
{
	if (!rec.vm_emitted)
		return;
	bool took = rec_acquire();
	trec_kick(&rec, cpu, plat_cpu_id());
	if (took)
		rec_release();
}

void trace_rec_timer(struct vcpu *vcpu, uint64_t tsc)
{
	/* Held from the record to the request: no other pCPU's records between them. */
	bool took = rec_acquire();
	trec_timer(&rec, vcpu, tsc);
	if (took)
		rec_release();
}

void trace_rec_sched(uint16_t cpu, const struct vcpu *vcpu)
{
	(void)rec_acquire();            /* held already by the loop (trace_rec_lock) */
	trec_sched(&rec, cpu, vcpu);
}

void trace_rec_reg(enum vcpu_reg reg, uint64_t value)
{
	if (rec_mine())
		trec_reg(&rec, reg, value);
}

void trace_rec_seg(enum vcpu_seg seg, const struct seg_desc *d)
{
	if (rec_mine())
		trec_seg(&rec, seg, d);
}

void trace_rec_gpa_read(uint64_t gpa, const void *data, size_t len)
{
	if (rec_mine())
		trec_mem_read(&rec, gpa, data, len, false);
}

void trace_rec_gpa_fault(uint64_t gpa, size_t len)
{
	if (rec_mine())
		trec_mem_read(&rec, gpa, 0, len, true);
}

void trace_rec_gpa_write(uint64_t gpa, const void *data, size_t len)
{
	if (rec_mine())
		trec_mem_write(&rec, gpa, data, len);
}

void trace_rec_console(uint8_t c)
{
	if (rec_mine())
		trec_console(&rec, c);
}

void plat_trace_exit(struct vcpu *vcpu, const struct exit_record *ex, int action)
{
	(void)ex;
	if (rec_mine())
		trec_exit_end(&rec, vcpu, action);
}

void trace_rec_pre_entry(struct vcpu *vcpu)
{
	if (rec_mine())
		trec_pre_entry(&rec, vcpu);
}

void trace_rec_stopped(const struct vm *vm)
{
	if (rec_mine())
		trec_stopped(&rec, vm);
}

#else

void plat_trace_request(const struct vcpu *target, uint32_t req)
{
	(void)target;
	(void)req;
}

void plat_trace_polled_complete(const struct vcpu *vcpu, uint64_t value)
{
	(void)vcpu;
	(void)value;
}

void plat_trace_exit(struct vcpu *vcpu, const struct exit_record *ex, int action)
{
	(void)vcpu;
	(void)ex;
	(void)action;
}

#endif
