/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * core/trace_recorder.c, the one recorder both platforms call: the
 * records it writes for each hook and their order (traces/README.md), read
 * back with the format's own decoder. An exit's reads in order, then its
 * outcome with the held console bytes and writes, then its events; a
 * sched entry's pre-entry outcome only what it added; what happened
 * between decisions at once; a repeated idle decision not at all; and
 * every record that does not fit counted as lost.
 */
#include <string.h>
#include "unit.h"
#include "trace_recorder.h"
#include "request.h"
#include "sim.h"
#include "vlapic.h"

static struct tern hv;
static struct vm *vm;
static struct vcpu *v;
static struct trec r;
static uint8_t out[1 << 20];
static size_t out_len;
static bool refuse;            /* the stream refuses what is emitted */

static bool to_buf(void *ctx, const uint8_t *buf, size_t n)
{
	ck_assert_ptr_eq(ctx, out);
	if (refuse || out_len + n > sizeof(out))
		return false;
	memcpy(out + out_len, buf, n);
	out_len += n;
	return true;
}

static struct trace_bin_rec recs[512];
static unsigned nrecs;

/* Decode everything written so far (after the header), which must be well-formed. */
static void decode(void)
{
	ck_assert_int_eq(trace_bin_check_header(out, out_len), 0);
	size_t pos = TRACE_BIN_HEADER_LEN;
	nrecs = 0;
	while (pos < out_len) {
		ck_assert_uint_lt(nrecs, 512);
		ck_assert_int_eq(trace_bin_next(out, out_len, &pos, &recs[nrecs]), 0);
		nrecs++;
	}
}

/* The record types from index `from` on, as a string of letters (type + 'A' - 1). */
static const char *types_from(unsigned from)
{
	static char s[513];
	unsigned n = 0;
	decode();
	for (unsigned i = from; i < nrecs; i++)
		s[n++] = (char)('A' - 1 + recs[i].type);
	s[n] = 0;
	return s;
}

#define VM_ 'A'        /* TRACE_BIN_VM */
static unsigned mark;  /* records before the part a test looks at */

static void setup(void)
{
	sim_reset();
	tern_init(&hv);
	vm = sim_create_vm(&hv, "rec", 2, true, 0x10000);
	ck_assert_ptr_nonnull(vm);
	vm->state = VM_STATE_RUNNING;
	v = &vm->vcpus[0];
	out_len = 0;
	refuse = false;
	trec_init(&r, to_buf, out);
	uint32_t regs[4] = { 1, 2, 3, 4 };
	trec_host_cpuid(&r, 0, 0, regs);
	trec_host_cpuid(&r, 1, 0, regs);
	trec_vm(&r, vm);
	decode();
	mark = nrecs;
}

START_TEST(test_header_vm_and_host_cpuid)
{
	/* VM, then the CPUID leaves read before it; a later VM repeats none, later leaves are ignored. */
	ck_assert_str_eq(types_from(0), "ALL");
	ck_assert_uint_eq(recs[0].vm.id, vm->id);
	ck_assert_str_eq(recs[0].vm.name, "rec");
	ck_assert_uint_eq(recs[2].cpuid_leaf, 1);
	uint32_t regs[4] = { 0 };
	trec_host_cpuid(&r, 7, 0, regs);
	struct vm *b = sim_create_vm(&hv, "b", 1, false, 0x1000);
	trec_vm(&r, b);
	ck_assert_str_eq(types_from(0), "ALLA");
	ck_assert_uint_eq(trec_finish(&r), 0);
}
END_TEST

START_TEST(test_exit_reads_then_outcome_then_events)
{
	struct exit_record ex = { .reason = 30, .qualification = 0x1f0 };
	trec_reg(&r, VCPU_RAX, 1);                    /* outside a handling: not recorded */
	trec_exit_begin(&r, v, &ex);
	trec_reg(&r, VCPU_RDX, 0x1f0);
	struct seg_desc cs = { .selector = 8 };
	trec_seg(&r, VCPU_CS, &cs);
	uint8_t b4[4] = { 1, 2, 3, 4 };
	trec_mem_read(&r, 0x1000, b4, 4, false);
	trec_mem_read(&r, 0x2000, NULL, 4, true);
	trec_mem_read(&r, 0x2000, b4, 0, false);        /* nothing read, nothing written: no record */
	trec_mem_write(&r, 0x2000, b4, 0);
	trec_host_tsc(&r, 99);
	trec_console(&r, 'h');
	trec_mem_write(&r, 0x3000, b4, 4);
	trec_request(&r, &vm->vcpus[1], VCPU_REQ_WAKE, 0);
	trec_kick(&r, 1, 0);
	v->reg_dirty = 1u << VCPU_RAX;
	v->regs[VCPU_RAX] = 0x55;
	v->event = (struct vcpu_event){ .valid = true, .vector = 13, .type = 3 };
	vm_stop(vm, VM_STOP_INTERNAL, 7);
	trec_exit_end(&r, v, 2);
	trec_exit_end(&r, v, 2);                      /* no handling in flight: nothing */
	/* EXIT VTPR REG SEG MEM MEM HOST_TSC | ACTION EXP_REG EVENT CONSOLE STOP WRITE | REQUEST KICK */
	ck_assert_str_eq(types_from(mark), "BTCDEEMFGHIJKNO");
	ck_assert_uint_eq(recs[mark].ex.qualification, 0x1f0);
	ck_assert_uint_eq(recs[mark + 4].gpa, 0x1000);
	ck_assert(recs[mark + 5].fault);
	ck_assert_uint_eq(recs[mark + 8].value, 0x55);
	ck_assert_uint_eq(recs[mark + 9].event.vector, 13);
	ck_assert_uint_eq(recs[mark + 10].data[0], 'h');
	ck_assert_uint_eq(recs[mark + 11].stop_detail, 7);
	ck_assert_uint_eq(recs[mark + 12].gpa, 0x3000);
	ck_assert_uint_eq(recs[mark + 13].bits, VCPU_REQ_WAKE);
	ck_assert_uint_eq(recs[mark + 14].pcpu, 1);
	ck_assert_uint_eq(r.exits, 1);
	ck_assert_uint_eq(trec_finish(&r), 0);
}
END_TEST

START_TEST(test_exit_records_the_vms_it_created)
{
	struct exit_record ex = { .reason = 18 };
	trec_exit_begin(&r, v, &ex);
	struct vm *b = sim_create_vm(&hv, "made", 1, false, 0x1000);
	ck_assert_ptr_nonnull(b);
	b->state = VM_STATE_RUNNING;
	trec_request(&r, &b->vcpus[0], VCPU_REQ_WAKE, 0);
	trec_exit_end(&r, v, 0);
	/* EXIT VTPR ACTION, then the new VM's record ahead of the request made to it. */
	ck_assert_str_eq(types_from(mark), "BTFAN");
	ck_assert_uint_eq(recs[mark + 3].vm.id, b->id);
}
END_TEST

START_TEST(test_pre_entry_lists_what_it_added)
{
	struct exit_record ex = { .reason = 30 };
	trec_sched(&r, 0, NULL);                      /* past the start-up: events are held */
	trec_exit_begin(&r, v, &ex);
	v->reg_dirty = (1u << VCPU_RAX) | (1u << VCPU_RIP);
	v->regs[VCPU_RAX] = 1;
	v->regs[VCPU_RIP] = 0x100;
	v->event = (struct vcpu_event){ .valid = true, .vector = 32 };
	trec_exit_end(&r, v, 0);
	unsigned m = nrecs = (decode(), nrecs);
	/* sched_next raised a request (held), then picked v; its pre-entry changed RAX only. */
	trec_request(&r, v, VCPU_REQ_IOREQ_DONE, 1);
	trec_sched(&r, 1, v);
	trec_reg(&r, VCPU_RBX, 5);                    /* the pre-entry's reads are recorded */
	v->regs[VCPU_RAX] = 2;
	trec_request(&r, &vm->vcpus[1], VCPU_REQ_WAKE, 1);
	trec_pre_entry(&r, v);
	trec_pre_entry(&r, v);                        /* not in flight: nothing */
	/* SCHED REG EXP_REG(RAX) (the same RIP and event are not repeated) REQUEST REQUEST */
	ck_assert_str_eq(types_from(m), "QCGNN");
	ck_assert_uint_eq(recs[m].vcpu, v->id);
	ck_assert_uint_eq(recs[m + 2].index, VCPU_RAX);
	ck_assert_uint_eq(recs[m + 3].bits, VCPU_REQ_IOREQ_DONE);
	ck_assert_uint_eq(recs[m + 4].bits, VCPU_REQ_WAKE);
	/* A second entry with no exit between: everything dirty and the event count. */
	trec_sched(&r, 1, v);
	trec_pre_entry(&r, v);
	ck_assert_str_eq(types_from(m + 5), "QGGH");
}
END_TEST

START_TEST(test_repeated_idle_decision_not_recorded)
{
	trec_sched(&r, 1, NULL);
	trec_sched(&r, 1, NULL);                      /* the same: dropped */
	trec_sched(&r, 0, NULL);                      /* another pCPU's first: kept */
	trec_sched(&r, 1, NULL);
	ck_assert_str_eq(types_from(mark), "QQ");
	ck_assert_uint_eq(recs[mark].pcpu, 1);
	ck_assert_uint_eq(recs[mark].index & TRACE_BIN_SCHED_NONE, TRACE_BIN_SCHED_NONE);
	ck_assert_uint_eq(recs[mark + 1].pcpu, 0);
	/* One that raised something is kept, with its events after it; so is the next one. */
	trec_request(&r, v, VCPU_REQ_WAKE, 1);
	trec_sched(&r, 1, NULL);
	trec_sched(&r, 1, NULL);
	trec_sched(&r, 1, NULL);
	ck_assert_str_eq(types_from(mark), "QQQNQ");
	/* A polled completion and a timer expiry change what the next decision finds. */
	trec_complete(&r, vm->id, 1, 3, 0xab);
	trec_sched(&r, 1, NULL);
	trec_sched(&r, 1, NULL);
	ck_assert_str_eq(types_from(mark + 5), "PQ");
	ck_assert_uint_eq(recs[mark + 5].value, 0xab);
	v->state = VCPU_STATE_HALTED;
	trec_timer(&r, v, 1234);
	ck_assert(vcpu_has_requests(v));
	trec_sched(&r, 0, NULL);
	ck_assert_str_eq(types_from(mark + 7), "RQ");
	ck_assert_uint_eq(recs[mark + 7].value, 1234);
	/* A vCPU in between: the next idle decision is new. */
	trec_sched(&r, 1, v);
	trec_pre_entry(&r, v);
	trec_sched(&r, 1, NULL);
	ck_assert_str_eq(types_from(mark + 9), "QQ");
	/* A pCPU past the table is never taken for a repeat. */
	trec_sched(&r, TERN_MAX_PCPUS, NULL);
	trec_sched(&r, TERN_MAX_PCPUS, NULL);
	ck_assert_str_eq(types_from(mark + 11), "QQ");
	ck_assert_uint_eq(trec_finish(&r), 0);
}
END_TEST

START_TEST(test_between_decisions_written_at_once)
{
	/* A sched entry whose pre-entry never ran: a completion ends it, with its events first. */
	trec_sched(&r, 1, v);
	trec_request(&r, v, VCPU_REQ_WAKE, 1);
	trec_complete(&r, vm->id, 0, 3, 1);
	trec_reg(&r, VCPU_RAX, 1);                    /* not in flight any more */
	ck_assert_str_eq(types_from(mark), "QNP");
	/* The same for the next decision, and for a timer. */
	trec_sched(&r, 1, v);
	trec_request(&r, v, VCPU_REQ_WAKE, 1);
	trec_sched(&r, 1, NULL);
	ck_assert_str_eq(types_from(mark + 3), "QNQ");
	trec_sched(&r, 1, v);
	trec_kick(&r, 0, 1);
	trec_timer(&r, v, 5);
	ck_assert_str_eq(types_from(mark + 6), "QOR");
	/* Held events the last decision raised come out at the end. */
	trec_sched(&r, 1, v);
	trec_request(&r, v, VCPU_REQ_WAKE, 1);
	ck_assert_uint_eq(trec_finish(&r), 0);
	ck_assert_str_eq(types_from(mark + 9), "QN");
}
END_TEST

START_TEST(test_before_the_first_decision)
{
	/* Start-up events (after the VM record, before any SCHED) are written at once. */
	trec_request(&r, v, VCPU_REQ_WAKE, 0);
	trec_kick(&r, 1, 0);
	ck_assert_str_eq(types_from(mark), "NO");
	/* Before the first VM record: nothing of the sort, but a timer still requests. */
	trec_init(&r, to_buf, out);
	out_len = 0;
	trec_init(&r, to_buf, out);
	trec_sched(&r, 0, NULL);
	trec_request(&r, v, VCPU_REQ_WAKE, 0);
	trec_kick(&r, 1, 0);
	trec_complete(&r, vm->id, 0, 3, 0);
	v->requests = 0;
	v->state = VCPU_STATE_HALTED;
	trec_timer(&r, v, 5);
	ck_assert(vcpu_has_requests(v));
	ck_assert_str_eq(types_from(0), "");
}
END_TEST

START_TEST(test_what_does_not_fit_is_lost)
{
	struct exit_record ex = { .reason = 30 };
	uint8_t big[TRACE_BIN_MAX_DATA + 1];
	memset(big, 0, sizeof(big));
	trec_exit_begin(&r, v, &ex);
	trec_mem_read(&r, 0, big, sizeof(big), false);        /* 1 */
	trec_mem_write(&r, 0, big, sizeof(big));              /* 2 */
	for (unsigned i = 0; i <= TREC_MAX_WRITES; i++)       /* 3 */
		trec_mem_write(&r, i, big, 1);
	for (unsigned i = 0; i <= TREC_MAX_CONSOLE; i++)      /* 4 */
		trec_console(&r, 'x');
	for (unsigned i = 0; i <= TREC_MAX_ASYNC; i++)        /* 5 */
		trec_request(&r, v, VCPU_REQ_WAKE, 0);
	trec_exit_end(&r, v, 0);
	ck_assert_uint_eq(r.lost, 5);
	/* The console went out in blocks of the format's size. */
	decode();
	unsigned console = 0;
	for (unsigned i = mark; i < nrecs; i++)
		if (recs[i].type == TRACE_BIN_CONSOLE)
			console += recs[i].len;
	ck_assert_uint_eq(console, TREC_MAX_CONSOLE);
	/* A stream that refuses: every record counted. */
	refuse = true;
	trec_sched(&r, 0, NULL);
	ck_assert_uint_eq(trec_finish(&r), 6);
	/* Too many host CPUID leaves before the VM record. */
	refuse = false;
	out_len = 0;
	trec_init(&r, to_buf, out);
	uint32_t regs[4] = { 0 };
	for (unsigned i = 0; i <= TREC_MAX_CPUID; i++)
		trec_host_cpuid(&r, i, 0, regs);
	ck_assert_uint_eq(trec_finish(&r), 1);
}
END_TEST

/*
 * An APIC-write exit (SDM 29.4.3.3) carries the value the CPU stored in the
 * virtual-APIC page right after its EXIT record: the replay's input. Other
 * exits carry none, but every exit under a TPR shadow carries VTPR; facts offered outside a handling are not recorded.
 */
START_TEST(test_apic_write_exit_carries_the_page_value)
{
	*vlapic_reg(&v->lapic, VLAPIC_ICR_LO) = 0x000040f3u;
	*vlapic_reg(&v->lapic, VLAPIC_ICR_HI) = 0x03000000u;
	struct exit_record ex = { .reason = EXIT_REASON_APIC_WRITE, .qualification = VLAPIC_ICR_LO };
	trec_sched(&r, 0, v);
	trec_pre_entry(&r, v);
	unsigned at = (decode(), nrecs);
	trec_exit_begin(&r, v, &ex);
	trec_exit_end(&r, v, 0);
	decode();
	ck_assert_uint_eq(recs[at].type, TRACE_BIN_EXIT);
	ck_assert_uint_eq(recs[at + 1].type, TRACE_BIN_APIC_VALUE);
	ck_assert_uint_eq(recs[at + 1].value, 0x000040f3u);
	/* ICR low sends: ICR high, stored with no exit of its own, is the IPI's destination. */
	ck_assert_uint_eq(recs[at + 2].type, TRACE_BIN_VICR_HI);
	ck_assert_uint_eq(recs[at + 2].value, 0x03000000u);
	ck_assert_uint_eq(recs[at + 3].type, TRACE_BIN_VTPR);
	/* Any other APIC write carries no ICR high. */
	struct exit_record eoi = { .reason = EXIT_REASON_APIC_WRITE, .qualification = VLAPIC_EOI };
	at = nrecs;
	trec_exit_begin(&r, v, &eoi);
	trec_exit_end(&r, v, 0);
	decode();
	ck_assert_uint_eq(recs[at + 1].type, TRACE_BIN_APIC_VALUE);
	ck_assert_uint_eq(recs[at + 2].type, TRACE_BIN_VTPR);
	/* VTPR as the guest left it (TPR shadow: changed with no exit), on every exit. */
	*vlapic_reg(&v->lapic, VLAPIC_TPR) = 0x5a;
	struct exit_record hlt = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	at = nrecs;
	trec_exit_begin(&r, v, &hlt);
	trec_exit_end(&r, v, 0);
	decode();
	ck_assert_uint_eq(recs[at + 1].type, TRACE_BIN_VTPR);
	ck_assert_uint_eq(recs[at + 1].value, 0x5a);
	for (unsigned i = at; i < nrecs; i++)
		ck_assert_uint_ne(recs[i].type, TRACE_BIN_APIC_VALUE);
	/* A CPU without a TPR shadow: CR8 exits, so an exit has no VTPR to tell. */
	v->intr.tpr_shadow = false;
	at = nrecs;
	trec_exit_begin(&r, v, &hlt);
	trec_exit_end(&r, v, 0);
	decode();
	for (unsigned i = at; i < nrecs; i++)
		ck_assert_uint_ne(recs[i].type, TRACE_BIN_VTPR);
	v->intr.tpr_shadow = true;
	/* Outside a handling: a host TSC, a console byte and a host CPUID leaf are dropped. */
	at = nrecs;
	uint32_t regs[4] = { 0 };
	trec_host_tsc(&r, 42);
	trec_console(&r, 'x');
	trec_host_cpuid(&r, 0xd, 0, regs);
	decode();
	ck_assert_uint_eq(nrecs, at);
	ck_assert_uint_eq(trec_finish(&r), 0);
}
END_TEST

/*
 * A pre-entry whose event differs from the one its exit left only in the
 * error code queued a new event: it is written. A segment offered outside
 * a handling is dropped, like a register.
 */
START_TEST(test_pre_entry_event_error_code_counts)
{
	struct exit_record ex = { .reason = 30 };
	trec_sched(&r, 0, NULL);
	trec_exit_begin(&r, v, &ex);
	v->reg_dirty = 0;
	v->event = (struct vcpu_event){ .valid = true, .vector = 13, .type = 3, .has_error = true,
					.error_code = 0x10 };
	trec_exit_end(&r, v, 0);
	unsigned at = (decode(), nrecs);
	trec_sched(&r, 0, v);
	v->event.error_code = 0x18;
	trec_pre_entry(&r, v);
	ck_assert_str_eq(types_from(at), "QH");
	ck_assert_uint_eq(recs[at + 1].event.vector, 13);
	ck_assert_uint_eq(recs[at + 1].event.error_code, 0x18);
	struct seg_desc ds = { .selector = 0x10 };
	trec_seg(&r, VCPU_DS, &ds);
	ck_assert_str_eq(types_from(at), "QH");
	ck_assert_uint_eq(trec_finish(&r), 0);
}
END_TEST

/*
 * trec_stopped for a VM that did not stop (its entry failed and it was
 * left running): no STOP record, only the events held for the entry.
 */
START_TEST(test_stopped_writes_stop_only_for_a_stopped_vm)
{
	trec_sched(&r, 0, v);
	trec_request(&r, &vm->vcpus[1], VCPU_REQ_WAKE, 0);
	trec_stopped(&r, vm);
	ck_assert_str_eq(types_from(mark), "QN");
	trec_sched(&r, 0, v);
	trec_kick(&r, 1, 0);
	vm_stop(vm, VM_STOP_INTERNAL, 9);
	trec_stopped(&r, vm);
	ck_assert_str_eq(types_from(mark + 2), "QJO");
	ck_assert_uint_eq(recs[mark + 3].stop_detail, 9);
	ck_assert_uint_eq(trec_finish(&r), 0);
}
END_TEST

/* The VM record carries the configuration the replay rebuilds the VM from. */
START_TEST(test_vm_record_carries_the_config)
{
	struct vm *b = sim_create_vm(&hv, "cfg", 1, false, 0x2000);
	ck_assert_ptr_nonnull(b);
	b->config.reset_on_triple_fault = true;
	b->boot_state_valid = true;
	b->config.cpu_affinity = 0x2;
	unsigned at = (decode(), nrecs);
	trec_vm(&r, b);
	decode();
	ck_assert_uint_eq(nrecs, at + 1);
	ck_assert_uint_eq(recs[at].type, TRACE_BIN_VM);
	ck_assert_str_eq(recs[at].vm.name, "cfg");
	ck_assert_uint_eq(recs[at].vm.affinity, 0x2);
	ck_assert(recs[at].vm.reset_on_triple_fault);
	ck_assert(!recs[at].vm.service);
	ck_assert_uint_eq(recs[at].vm.flags & TRACE_BIN_VM_BOOT_STATE, TRACE_BIN_VM_BOOT_STATE);
	ck_assert_uint_eq(recs[at].vm.mem, b->config.mem_size);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("trace_recorder");
	TCase *tc = tcase_create("trace_recorder");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_header_vm_and_host_cpuid);
	tcase_add_test(tc, test_exit_reads_then_outcome_then_events);
	tcase_add_test(tc, test_exit_records_the_vms_it_created);
	tcase_add_test(tc, test_pre_entry_lists_what_it_added);
	tcase_add_test(tc, test_repeated_idle_decision_not_recorded);
	tcase_add_test(tc, test_between_decisions_written_at_once);
	tcase_add_test(tc, test_before_the_first_decision);
	tcase_add_test(tc, test_what_does_not_fit_is_lost);
	tcase_add_test(tc, test_apic_write_exit_carries_the_page_value);
	tcase_add_test(tc, test_vm_record_carries_the_config);
	tcase_add_test(tc, test_pre_entry_event_error_code_counts);
	tcase_add_test(tc, test_stopped_writes_stop_only_for_a_stopped_vm);
	suite_add_tcase(s, tc);
	return s;
}
