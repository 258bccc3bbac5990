/* SPDX-License-Identifier: BSD-3-Clause */
/* The trace parser and the replay comparison, from the user's side: what is
 * accepted, and what a mismatch report says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "platform.h"
#include "replay.h"
#include "sim.h"
#include "guest_mem.h"

static int parse(const char *text, struct trace *t, char *err)
{
	return trace_parse_buffer("t.trace", text, strlen(text), t, err, TRACE_ERR);
}

/* Replay text; return the report printed. */
static char *replay_text(const char *text, unsigned *bad)
{
	struct trace t;
	char err[TRACE_ERR];
	ck_assert_msg(parse(text, &t, err) == 0, "%s", err);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	*bad = replay_trace(&t, f, NULL);
	fclose(f);
	trace_free(&t);
	return buf;
}

START_TEST(test_parse_fields)
{
	struct trace t;
	char err[TRACE_ERR];
	const char *text =
		"vm name=x vcpus=2 service=1 mem=0x2000 reset_on_triple_fault=1\n"
		"exit EPT_VIOLATION vcpu=1 qual=0x181 len=3 info=5 gla=0x10 gpa=0xc0000000 intr=0x80000b0e "
		"intr_err=4 idtv=0x8000030e idtv_err=2   # trailing comment\n"
		"  state rax=1 cs.sel=8 cs.base=0x10 cs.limit=0xffff cs.ar=0xa09b r15=0xffffffffffffffff\n"
		"  mem gpa=0x1000 data=8b03\n"
		"  mem gpa=0x2000 len=8 fault\n"
		"  expect action=resume rip=0x5 inject=#PF(0x2) console=\"a\\n\\x41\\\"\" stop=bad-memory detail=9\n"
		"  write gpa=0x3000 data=ff\n";
	ck_assert_msg(parse(text, &t, err) == 0, "%s", err);
	ck_assert_uint_eq(t.nexits, 1);
	ck_assert(t.cfg.service_vm);
	ck_assert(t.cfg.reset_on_triple_fault);
	ck_assert_uint_eq(t.cfg.vcpu_count, 2);
	const struct trace_exit *e = &t.exits[0];
	ck_assert_uint_eq(e->vcpu, 1);
	ck_assert_uint_eq(e->ex.reason, EXIT_REASON_EPT_VIOLATION);
	ck_assert_uint_eq(e->ex.guest_physical, 0xc0000000);
	ck_assert_uint_eq(e->ex.idt_vectoring_error, 2);
	ck_assert_uint_eq(e->regs[VCPU_R15], UINT64_MAX);
	ck_assert_uint_eq(e->segs[VCPU_CS].limit, 0xffff);
	ck_assert_uint_eq(e->nreads, 2);
	ck_assert(e->reads[1].fault);
	ck_assert_uint_eq(e->reads[0].data[1], 0x03);
	ck_assert(e->exp_inject);
	ck_assert_uint_eq(e->exp_event.vector, 14);
	ck_assert_uint_eq(e->exp_console_len, 4);
	ck_assert_mem_eq(e->exp_console, "a\nA\"", 4);
	ck_assert_int_eq(e->exp_stop, VM_STOP_BAD_MEMORY);
	ck_assert_uint_eq(e->nwrites, 1);
	trace_free(&t);
}
END_TEST

START_TEST(test_parse_errors_name_line)
{
	struct { const char *text, *err; } cases[] = {
		{ "vm\nvm id=0\n", "t.trace:2: a second VM with id 0" },
		{ "vm\nexit HLT\nexpect action=halt\nvm state=created\n", "t.trace:4: state= belongs to the VMs before the first exit" },
		{ "vm\nexit HLT\nvm\n", "t.trace:2: exit has no 'expect action=' line (truncated trace?)" },
		{ "vm state=off\n", "t.trace:1: unknown VM state 'off' (created, running)" },
		{ "vm affinity=0x100\n", "t.trace:1: value 0x100 for 'affinity' is out of range (max 0xff)" },
		{ "vm\nexit HLT vm=1\n", "t.trace:2: VM 1 does not exist (no 'vm' line with id=1 before it)" },
		{ "vm\nvm vcpus=2\nexit HLT vm=1 vcpu=2\n", "t.trace:3: vcpu 2 does not exist (the VM has 2)" },
		{ "vm\nexit HLT pcpu=8\n", "t.trace:2: value 8 for 'pcpu' is out of range (max 0x7)" },
		{ "request vcpu=0 bits=wake\n", "t.trace:1: 'request' before the 'vm' line" },
		{ "vm\nrequest vcpu=0 bits=0x1000\n", "t.trace:2: request bits 0x1000: not a set of known requests (ioreq_done, flush_ept, sync, wake, flush_vpid, upcall, event, nmi, init, sipi, timer, apic_error)" },
		{ "vm\nrequest vcpu=0 bits=wake|nap\n", "t.trace:2: bad number 'nap' for 'bits'" },
		{ "vm\nrequest vcpu=0\n", "t.trace:2: 'request' needs bits=" },
		{ "vm\nrequest bits=wake\n", "t.trace:2: 'request' needs vcpu=" },
		{ "vm\nrequest vm=2 vcpu=0 bits=wake\n", "t.trace:2: VM 2 does not exist (no 'vm' line with id=2 before it)" },
		{ "vm\nkick from=1\n", "t.trace:2: 'kick' needs pcpu=" },
		{ "vm\nkick pcpu=1 vcpu=0\n", "t.trace:2: unknown key 'vcpu' in 'kick'" },
		{ "vm\ncomplete vcpu=0 value=1\n", "t.trace:2: 'complete' needs state= (the slot's state the device model wrote)" },
		{ "vm\nsched vcpu=0\n", "t.trace:2: 'sched' needs pcpu=" },
		{ "vm\nsched pcpu=0\n", "t.trace:2: 'sched' needs either vcpu= (what the pCPU entered) or none" },
		{ "vm\nsched pcpu=0 vcpu=0 none\n", "t.trace:2: 'sched' needs either vcpu= (what the pCPU entered) or none" },
		{ "vm\nsched pcpu=0 vcpu=1\n", "t.trace:2: vcpu 1 does not exist (the VM has 1)" },
		{ "vm\nsched pcpu=0 vcpu=0\nexpect action=resume\n", "t.trace:3: a 'sched' entry has no action (its vCPU enters or not)" },
		{ "vm\nsched pcpu=0 vcpu=0\nexpect rax=1\nstate rax=2\n", "t.trace:4: 'state' after 'expect' in the same exit" },
		{ "vm\nexit HLT\nexpect action=halt\nkick pcpu=1\nstate rax=1\n", "t.trace:5: 'state' outside an exit (no 'exit' line before it)" },
		{ "vm name=\n", "t.trace:1: VM name must be 1..31 characters" },
		{ "vm vcpus=0\n", "t.trace:1: a VM needs at least one vCPU" },
		{ "vm colour=red\n", "t.trace:1: unknown key 'colour' in 'vm'" },
		{ "vm\nexit\n", "t.trace:2: 'exit' needs an exit reason (a name such as CPUID, or a number)" },
		{ "vm\nexit HLT bogus=1\n", "t.trace:2: unknown key 'bogus' in 'exit'" },
		{ "vm\nexit HLT\nstate foo=1\n", "t.trace:3: unknown register 'foo' in 'state'" },
		{ "vm\nexit HLT\nstate cs.xx=1\n", "t.trace:3: unknown segment field 'cs.xx'" },
		{ "vm\nexit HLT\nexpect action=halt\nstate rax=1\n", "t.trace:4: 'state' after 'expect' in the same exit" },
		{ "vm\nexit HLT\nmem data=00\n", "t.trace:3: 'mem' needs gpa=" },
		{ "vm\nexit HLT\nmem gpa=0\n", "t.trace:3: 'mem' needs data=" },
		{ "vm\nexit HLT\nmem gpa=0 len=2 data=00\n", "t.trace:3: len=2 but data= holds 1 bytes" },
		{ "vm\nexit HLT\nmem gpa=0 fault data=00\n", "t.trace:3: a faulting read takes len= and no data=" },
		{ "vm\nexit HLT\nexpect inject=#GP(x)\n", "t.trace:3: bad error code in '#GP(x)'" },
		{ "vm\nexit HLT\nexpect inject=int300\n", "t.trace:3: bad interrupt 'int300' (int0..int255)" },
		{ "vm\nexit HLT\nexpect inject=GP\n", "t.trace:3: bad event 'GP' (none, #GP(0), #UD, nmi, int32)" },
		{ "vm\nexit HLT\nexpect stop=tired\n", "t.trace:3: unknown stop cause 'tired'" },
		{ "vm\nexit HLT\nexpect rax=-1\n", "t.trace:3: bad number '-1' for 'rax'" },
		{ "vm\nexit HLT\nexpect rax=0x10000000000000000\n", "t.trace:3: bad number '0x10000000000000000' for 'rax'" },
		{ "vm\nexit HLT\nexpect console=\"\\q\"\n", "t.trace:3: bad escape in string for 'console'" },
		{ "vm\nexit HLT\nexpect frob=1\n", "t.trace:3: unknown key 'frob' in 'expect'" },
		{ "vm\nstate rax=1\n", "t.trace:2: 'state' outside an exit (no 'exit' line before it)" },
		{ "vm\nwrite gpa=0 data=00\n", "t.trace:2: 'write' outside an exit (no 'exit' line before it)" },
		{ "vm\nrax=1\n", "t.trace:2: a line starts with a keyword, not 'rax='" },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct trace t;
		char err[TRACE_ERR] = "";
		ck_assert_msg(parse(cases[i].text, &t, err) == -1, "case %u parsed", i);
		ck_assert_str_eq(err, cases[i].err);
		trace_free(&t);
	}
}
END_TEST

START_TEST(test_parse_limits)
{
	/* More reads than an exit may hold. */
	char *text = malloc(128 * 1024);
	strcpy(text, "vm\nexit HLT\n");
	char *end = text + strlen(text);
	for (int i = 0; i <= TRACE_MAX_READS; i++)
		end += sprintf(end, "mem gpa=0 data=00\n");
	struct trace t;
	char err[TRACE_ERR];
	ck_assert_int_eq(parse(text, &t, err), -1);
	ck_assert_str_eq(err, "t.trace:4099: more than 4096 guest reads in one exit");
	/* A line longer than the parser takes. */
	memset(text, 'a', 9000);
	text[9000] = '\0';
	ck_assert_int_eq(parse(text, &t, err), -1);
	ck_assert_str_eq(err, "t.trace:1: line longer than 8191 characters");
	/* An embedded NUL byte. */
	ck_assert_int_eq(trace_parse_buffer("t.trace", "vm\0x\n", 5, &t, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.trace:1: NUL byte in a text trace");
	free(text);
	ck_assert_int_eq(trace_parse_file("/nonexistent/x.trace", &t, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/x.trace: cannot open: No such file or directory");
}
END_TEST

START_TEST(test_replay_reports_each_field)
{
	unsigned bad;
	char *out = replay_text(
		"vm name=r\n"
		"exit CPUID len=2\n"
		"state rax=0x40000000 rcx=0 rip=0x10 efer=0\n"
		"expect action=halt rax=0x40000001 rbx=1 rip=0x12\n", &bad);
	ck_assert_uint_eq(bad, 1);
	ck_assert_ptr_nonnull(strstr(out, "t.trace: exit #0 (line 2, CPUID): action expected halt, actual resume"));
	ck_assert_ptr_nonnull(strstr(out, "rbx expected 0x1, actual 0x6e726554"));
	ck_assert_ptr_nonnull(strstr(out, "rcx expected no write, actual write of 0x6e726554"));
	ck_assert_ptr_null(strstr(out, "rax expected"));
	free(out);
}
END_TEST

START_TEST(test_replay_console_inject_stop)
{
	unsigned bad;
	char *out = replay_text(
		"vm name=r\n"
		"exit IO_INSTRUCTION qual=0x3f80000 len=1\n"
		"state rax=0x42 rip=0 efer=0\n"
		"expect action=resume rip=1 console=\"A\" inject=#UD\n"
		"exit VMXON len=3\n"
		"expect action=resume\n"
		"exit TRIPLE_FAULT\n"
		"expect action=stop\n"
		"exit HLT len=1\n"
		"expect action=halt\n", &bad);
	ck_assert_uint_eq(bad, 4);
	ck_assert_ptr_nonnull(strstr(out, "console expected \"A\", actual \"B\""));
	ck_assert_ptr_nonnull(strstr(out, "exit #0 (line 2, IO_INSTRUCTION): inject expected #UD, actual none"));
	ck_assert_ptr_nonnull(strstr(out, "exit #1 (line 5, VMXON): inject expected none, actual #UD"));
	ck_assert_ptr_nonnull(strstr(out, "exit #2 (line 7, TRIPLE_FAULT): stop expected running, actual stopped (triple-fault)"));
	ck_assert_ptr_nonnull(strstr(out, "exit #3 (line 9, HLT): vm exit after the VM stopped (triple-fault)"));
	free(out);
}
END_TEST

START_TEST(test_replay_state_and_reads_checked)
{
	unsigned bad;
	char *out = replay_text(
		"vm name=r\n"
		"exit CPUID len=2\n"
		"state rax=0 rip=0 efer=0\n"
		"mem gpa=0x10 data=00\n"
		"expect action=resume rax=0xd rbx=0x756e6547 rcx=0x6c65746e rdx=0x49656e69 rip=2\n"
		"exit IO_INSTRUCTION qual=0xf40040 len=2\n"
		"state rax=1\n"
		"expect action=stop stop=guest-exit detail=2\n", &bad);
	ck_assert_uint_eq(bad, 2);
	ck_assert_ptr_nonnull(strstr(out, "platform: handler read rcx, which the trace's state does not give"));
	ck_assert_ptr_nonnull(strstr(out, "reads expected 1 guest reads, actual 0"));
	ck_assert_ptr_nonnull(strstr(out, "detail expected 0x2, actual 0x1"));
	free(out);
}
END_TEST

START_TEST(test_replay_memory_stream)
{
	/* The sim's memory during replay is the trace's read stream. */
	static struct tern hv;
	struct trace t;
	char err[TRACE_ERR];
	const char *text = "vm\nexit HLT\nmem gpa=0x100 data=aabb\nmem gpa=0x2000 len=4 fault\n"
			   "expect action=halt\n";
	ck_assert_int_eq(parse(text, &t, err), 0);
	sim_reset();
	tern_init(&hv);
	struct vm *vm = sim_create_vm(&hv, "m", 1, false, 0x1000);
	uint8_t *ram = sim_vm_ram(vm->id);
	struct sim_replay_exit rx;
	memset(&rx, 0, sizeof(rx));
	rx.te = &t.exits[0];
	sim.replay = &rx;
	uint8_t b[4];
	/* Reads come from the VM's RAM (where a replay puts the trace's data)
	 * and must be the trace's, in order. */
	ram[0x100] = 0xaa;
	ram[0x101] = 0xbb;
	ck_assert_int_eq(gmem_read(vm, 0x100, b, 2), 0);
	ck_assert_uint_eq(b[1], 0xbb);
	ck_assert_int_eq(gmem_read(vm, 0x2000, b, 4), -14);   /* outside its RAM, as traced */
	ck_assert_str_eq(rx.error, "");
	ck_assert_int_eq(gmem_read(vm, 0x300, b, 1), 0);
	ck_assert_str_eq(rx.error, "guest read gpa=0x300 len=1 is not in the trace");
	ck_assert_int_eq(gmem_write(vm, 0x400, "\x01\x02", 2), 0);
	ck_assert_uint_eq(rx.nwrites, 1);
	ck_assert_uint_eq(rx.writes[0].gpa, 0x400);
	/* The VM has 4 KiB of RAM: a write past it fails and is not kept. */
	ck_assert_int_eq(gmem_write(vm, 0x1000, "\x01", 1), -14);
	ck_assert_uint_eq(rx.nwrites, 1);
	free(rx.writes);
	/* Other data than the trace's, or a read that succeeds where the trace's failed. */
	memset(&rx, 0, sizeof(rx));
	rx.te = &t.exits[0];
	ram[0x101] = 0xcc;
	ck_assert_int_eq(gmem_read(vm, 0x100, b, 2), 0);
	ck_assert_str_eq(rx.error, "guest read gpa=0x100 len=2 returned other data than the trace's");
	memset(&rx, 0, sizeof(rx));
	rx.te = &t.exits[0];
	rx.next_read = 1;
	ck_assert_int_eq(ept_map(&vm->ept, 0x2000, sim.vms[vm->id].ram_hpa, 0x1000, EPT_R, EPT_MT_WB), 0);
	ck_assert_int_eq(gmem_read(vm, 0x2000, b, 4), 0);
	ck_assert_str_eq(rx.error, "guest read gpa=0x2000 len=4 succeeded, the trace's failed");
	sim.replay = NULL;
	/* Outside a replay: through the VM's EPT, bounded by its RAM. */
	ck_assert_int_eq(gmem_write(vm, 0xffe, "\x01\x02", 2), 0);
	ck_assert_int_eq(gmem_read(vm, 0xffe, b, 2), 0);
	ck_assert_uint_eq(b[1], 2);
	ck_assert_uint_eq(ram[0xfff], 2);
	ck_assert_int_eq(gmem_read(vm, 0xfff, b, 2), -14);
	ck_assert_int_eq(gmem_write(vm, UINT64_MAX, b, 2), -14);
	trace_free(&t);
}
END_TEST

START_TEST(test_event_format)
{
	char buf[64];
	struct vcpu_event ev = { .valid = true, .type = INTR_TYPE_NMI, .vector = 2 };
	trace_format_event(&ev, buf, sizeof(buf));
	ck_assert_str_eq(buf, "nmi");
	ev.type = INTR_TYPE_SW_INT;
	ev.vector = 0x80;
	trace_format_event(&ev, buf, sizeof(buf));
	ck_assert_str_eq(buf, "event(type=4,vector=128)");
	ev.type = INTR_TYPE_HW_EXCEPTION;
	ev.vector = 13;
	ev.has_error = true;
	ev.error_code = 0x18;
	trace_format_event(&ev, buf, sizeof(buf));
	ck_assert_str_eq(buf, "#GP(0x18)");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("trace");
	tcase_add_test(tc, test_parse_fields);
	tcase_add_test(tc, test_parse_errors_name_line);
	tcase_add_test(tc, test_parse_limits);
	tcase_add_test(tc, test_replay_reports_each_field);
	tcase_add_test(tc, test_replay_console_inject_stop);
	tcase_add_test(tc, test_replay_state_and_reads_checked);
	tcase_add_test(tc, test_replay_memory_stream);
	tcase_add_test(tc, test_event_format);
	suite_add_tcase(s, tc);
	return s;
}
