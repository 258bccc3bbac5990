/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulator's recorder (sim_rec.h): core's recorder (trace_recorder.h),
 * which decides what each hook records and in which order, writing to a
 * file. The image's recording build (platform/x86/trace_rec.c) uses the
 * same one, so a simulated run and a recorded boot make the same records.
 */
#include <string.h>
#include "sim_rec.h"
#include "platform.h"
#include "trace_recorder.h"

static struct {
	FILE *out;
	struct trec r;
} rec;

/* Tested by sim.c before it calls a hook (sim_rec.h): the exit path's share of the fake. */
bool sim_rec_on;

static bool to_file(void *ctx, const uint8_t *buf, size_t n)
{
	return fwrite(buf, 1, n, (FILE *)ctx) == n;
}

void sim_rec_start(FILE *out)
{
	rec.out = out;
	sim_rec_on = true;
	trec_init(&rec.r, to_file, out);
}

int sim_rec_stop(void)
{
	if (!sim_rec_on)
		return -1;
	sim_rec_on = false;
	unsigned lost = trec_finish(&rec.r);
	return lost || fflush(rec.out) ? -1 : 0;
}

bool sim_rec_active(void)
{
	return sim_rec_on;
}

void sim_rec_vm(const struct vm *vm)
{
	if (sim_rec_on)
		trec_vm(&rec.r, vm);
}

void sim_rec_host_cpuid(uint32_t leaf, uint32_t subleaf, const uint32_t regs[4])
{
	if (sim_rec_on)
		trec_host_cpuid(&rec.r, leaf, subleaf, regs);
}

void sim_rec_host_tsc(uint64_t tsc)
{
	if (sim_rec_on)
		trec_host_tsc(&rec.r, tsc);
}

void sim_rec_exit_begin(struct vcpu *vcpu, const struct exit_record *ex)
{
	if (sim_rec_on)
		trec_exit_begin(&rec.r, vcpu, ex);
}

void sim_rec_request(const struct vcpu *target, uint32_t req, uint16_t from)
{
	if (sim_rec_on)
		trec_request(&rec.r, target, req, from);
}

void sim_rec_kick(uint16_t cpu, uint16_t from)
{
	if (sim_rec_on)
		trec_kick(&rec.r, cpu, from);
}

void sim_rec_complete(uint16_t vm, uint16_t vcpu, uint32_t state, uint64_t value)
{
	if (sim_rec_on)
		trec_complete(&rec.r, vm, vcpu, state, value);
}

void sim_rec_sched(uint16_t cpu, const struct vcpu *vcpu)
{
	if (sim_rec_on)
		trec_sched(&rec.r, cpu, vcpu);
}

void sim_rec_reg(enum vcpu_reg reg, uint64_t value)
{
	if (sim_rec_on)
		trec_reg(&rec.r, reg, value);
}

void sim_rec_seg(enum vcpu_seg seg, const struct seg_desc *d)
{
	if (sim_rec_on)
		trec_seg(&rec.r, seg, d);
}

void sim_rec_gmem(uint64_t gpa, const void *data, size_t len, int op)
{
	if (!sim_rec_on)
		return;
	if (op == GMEM_TRACE_WRITE)
		trec_mem_write(&rec.r, gpa, data, len);
	else
		trec_mem_read(&rec.r, gpa, data, len, op == GMEM_TRACE_READ_FAULT);
}

void sim_rec_console(uint8_t c)
{
	if (sim_rec_on)
		trec_console(&rec.r, c);
}

void sim_rec_exit_end(struct vcpu *vcpu, int action)
{
	if (sim_rec_on)
		trec_exit_end(&rec.r, vcpu, action);
}

void sim_rec_pre_entry(struct vcpu *vcpu)
{
	if (sim_rec_on)
		trec_pre_entry(&rec.r, vcpu);
}
