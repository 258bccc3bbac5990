/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "err.h"
#include "trace_bin.h"
#include "trace_io.h"

static uint8_t buf[4096];

START_TEST(test_roundtrip_every_record)
{
	size_t n = 0, pos;
	struct trace_bin_vm vm = { .vcpus = 3, .service = true, .reset_on_triple_fault = true,
				   .mem = 0x12345678 };
	strcpy(vm.name, "roundtrip");
	struct exit_record ex = { .reason = 0x80000021, .qualification = 0x1122334455667788ull,
				  .instr_len = 3, .instr_info = 0x44, .guest_linear = 0xaaaa,
				  .guest_physical = 0xbbbb, .intr_info = 0x80000b0e, .intr_error = 7,
				  .idt_vectoring_info = 0x80000300, .idt_vectoring_error = 9 };
	struct seg_desc seg = { .selector = 0x10, .base = 0xffff800000000000ull, .limit = 0xfffff,
				.ar = 0xc093 };
	struct vcpu_event ev = { .valid = true, .vector = 14, .type = 3, .has_error = true,
				 .error_code = 0x1b, .instr_len = 0 };
	const uint8_t bytes[3] = { 0x8b, 0x03, 0x90 };

	n += trace_bin_header(buf + n, sizeof(buf) - n);
	n += trace_bin_vm(buf + n, sizeof(buf) - n, &vm);
	n += trace_bin_exit(buf + n, sizeof(buf) - n, 0, 2, 0, &ex);
	n += trace_bin_reg(buf + n, sizeof(buf) - n, TRACE_BIN_REG, VCPU_R12, 0xfeedull);
	n += trace_bin_seg(buf + n, sizeof(buf) - n, VCPU_SS, &seg);
	n += trace_bin_mem(buf + n, sizeof(buf) - n, TRACE_BIN_MEM, 0x1000, bytes, 3, false);
	n += trace_bin_mem(buf + n, sizeof(buf) - n, TRACE_BIN_MEM, 0x2000, NULL, 8, true);
	n += trace_bin_action(buf + n, sizeof(buf) - n, 3);
	n += trace_bin_reg(buf + n, sizeof(buf) - n, TRACE_BIN_EXP_REG, VCPU_RIP, 0x99);
	n += trace_bin_event(buf + n, sizeof(buf) - n, &ev);
	n += trace_bin_console(buf + n, sizeof(buf) - n, (const uint8_t *)"hi", 2);
	n += trace_bin_stop(buf + n, sizeof(buf) - n, 2, 0x80000021);
	n += trace_bin_mem(buf + n, sizeof(buf) - n, TRACE_BIN_WRITE, 0x3000, bytes, 2, false);

	ck_assert_int_eq(trace_bin_check_header(buf, n), 0);
	struct trace_bin_rec *r = malloc(sizeof(*r));
	pos = TRACE_BIN_HEADER_LEN;
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->type, TRACE_BIN_VM);
	ck_assert_str_eq(r->vm.name, "roundtrip");
	ck_assert_uint_eq(r->vm.vcpus, 3);
	ck_assert(r->vm.service && r->vm.reset_on_triple_fault);
	ck_assert_uint_eq(r->vm.mem, 0x12345678);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->vcpu, 2);
	ck_assert_uint_eq(r->ex.reason, ex.reason);
	ck_assert_uint_eq(r->ex.qualification, ex.qualification);
	ck_assert_uint_eq(r->ex.instr_len, ex.instr_len);
	ck_assert_uint_eq(r->ex.instr_info, ex.instr_info);
	ck_assert_uint_eq(r->ex.guest_linear, ex.guest_linear);
	ck_assert_uint_eq(r->ex.guest_physical, ex.guest_physical);
	ck_assert_uint_eq(r->ex.intr_info, ex.intr_info);
	ck_assert_uint_eq(r->ex.intr_error, ex.intr_error);
	ck_assert_uint_eq(r->ex.idt_vectoring_info, ex.idt_vectoring_info);
	ck_assert_uint_eq(r->ex.idt_vectoring_error, ex.idt_vectoring_error);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->index, VCPU_R12);
	ck_assert_uint_eq(r->value, 0xfeed);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->index, VCPU_SS);
	ck_assert_uint_eq(r->seg.selector, seg.selector);
	ck_assert_uint_eq(r->seg.base, seg.base);
	ck_assert_uint_eq(r->seg.limit, seg.limit);
	ck_assert_uint_eq(r->seg.ar, seg.ar);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->len, 3);
	ck_assert_mem_eq(r->data, bytes, 3);
	ck_assert(!r->fault);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert(r->fault);
	ck_assert_uint_eq(r->len, 8);
	ck_assert_uint_eq(r->gpa, 0x2000);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->type, TRACE_BIN_ACTION);
	ck_assert_uint_eq(r->index, 3);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->type, TRACE_BIN_EXP_REG);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert(r->event.valid);
	ck_assert_uint_eq(r->event.vector, ev.vector);
	ck_assert_uint_eq(r->event.type, ev.type);
	ck_assert(r->event.has_error);
	ck_assert_uint_eq(r->event.error_code, ev.error_code);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_mem_eq(r->data, "hi", 2);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->stop_cause, 2);
	ck_assert_uint_eq(r->stop_detail, 0x80000021);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->type, TRACE_BIN_WRITE);
	ck_assert_uint_eq(pos, n);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), -TERN_E2BIG);
	free(r);
}
END_TEST

/*
 * Every 16-bit field with a non-zero high byte: the selector, the vCPU
 * index, the VM's vCPU count, and the record length of a 256-byte MEM and
 * CONSOLE payload. Each comes back whole, and is stored little-endian.
 */
START_TEST(test_roundtrip_16bit_high_bytes)
{
	struct trace_bin_vm vm = { .vcpus = 0x0102, .mem = 0x1000 };
	struct exit_record ex = { .reason = 12 };
	struct seg_desc seg = { .selector = 0xfffb, .base = 0, .limit = 0xffff, .ar = 0x93 };
	uint8_t data[TRACE_BIN_MAX_DATA];
	size_t n = 0, pos, at_seg;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	strcpy(vm.name, "hi16");
	n += trace_bin_header(buf + n, sizeof(buf) - n);
	n += trace_bin_vm(buf + n, sizeof(buf) - n, &vm);
	n += trace_bin_exit(buf + n, sizeof(buf) - n, 0, 0xbeef, 0, &ex);
	at_seg = n;
	n += trace_bin_seg(buf + n, sizeof(buf) - n, VCPU_CS, &seg);
	n += trace_bin_mem(buf + n, sizeof(buf) - n, TRACE_BIN_MEM, 0x5000, data, sizeof(data), false);
	n += trace_bin_console(buf + n, sizeof(buf) - n, data, sizeof(data));

	/* Little-endian on the wire: selector low byte first; the MEM length is 0x010c. */
	ck_assert_uint_eq(buf[at_seg + TRACE_BIN_REC_HDR], 0xfb);
	ck_assert_uint_eq(buf[at_seg + TRACE_BIN_REC_HDR + 1], 0xff);
	ck_assert_uint_eq(buf[at_seg + TRACE_BIN_REC_HDR + TRACE_BIN_SEG_LEN + 2],
			  (TRACE_BIN_MEM_HDR + sizeof(data)) & 0xff);
	ck_assert_uint_eq(buf[at_seg + TRACE_BIN_REC_HDR + TRACE_BIN_SEG_LEN + 3],
			  (TRACE_BIN_MEM_HDR + sizeof(data)) >> 8);

	struct trace_bin_rec *r = malloc(sizeof(*r));
	pos = TRACE_BIN_HEADER_LEN;
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->vm.vcpus, 0x0102);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->vcpu, 0xbeef);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->seg.selector, 0xfffb);
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->type, TRACE_BIN_MEM);
	ck_assert_uint_eq(r->len, sizeof(data));
	ck_assert_mem_eq(r->data, data, sizeof(data));
	ck_assert_int_eq(trace_bin_next(buf, n, &pos, r), 0);
	ck_assert_uint_eq(r->type, TRACE_BIN_CONSOLE);
	ck_assert_uint_eq(r->len, sizeof(data));
	ck_assert_mem_eq(r->data, data, sizeof(data));
	ck_assert_uint_eq(pos, n);
	free(r);
}
END_TEST

START_TEST(test_encoders_refuse_small_buffers)
{
	struct trace_bin_vm vm = { .vcpus = 1 };
	struct exit_record ex = { 0 };
	struct seg_desc s = { 0 };
	struct vcpu_event ev = { 0 };
	uint8_t big[300] = { 0 };
	ck_assert_uint_eq(trace_bin_header(buf, 7), 0);
	ck_assert_uint_eq(trace_bin_vm(buf, 10, &vm), 0);
	ck_assert_uint_eq(trace_bin_exit(buf, 10, 0, 0, 0, &ex), 0);
	ck_assert_uint_eq(trace_bin_reg(buf, 11, TRACE_BIN_REG, VCPU_RAX, 0), 0);
	ck_assert_uint_eq(trace_bin_seg(buf, 4, VCPU_CS, &s), 0);
	ck_assert_uint_eq(trace_bin_mem(buf, 10, TRACE_BIN_MEM, 0, big, 4, false), 0);
	ck_assert_uint_eq(trace_bin_mem(buf, sizeof(buf), TRACE_BIN_MEM, 0, big, 257, false), 0);
	ck_assert_uint_eq(trace_bin_action(buf, 3, 0), 0);
	ck_assert_uint_eq(trace_bin_event(buf, 5, &ev), 0);
	ck_assert_uint_eq(trace_bin_console(buf, sizeof(buf), big, 257), 0);
	ck_assert_uint_eq(trace_bin_console(buf, 5, big, 2), 0);
	ck_assert_uint_eq(trace_bin_stop(buf, 5, 1, 1), 0);
}
END_TEST

static int decode_one(const uint8_t *rec, size_t len)
{
	struct trace_bin_rec *r = malloc(sizeof(*r));
	size_t pos = 0;
	int ret = trace_bin_next(rec, len, &pos, r);
	if (ret)
		ck_assert_uint_eq(pos, 0); /* a bad record does not advance */
	free(r);
	return ret;
}

START_TEST(test_hostile_records)
{
	/* Unknown types, wrong fixed lengths, indexes out of range, truncation. */
	const uint8_t type0[] = { 0, 0, 0, 0 };
	const uint8_t type99[] = { 99, 0, 0, 0 };
	const uint8_t reg_short[] = { TRACE_BIN_REG, 0, 4, 0, 1, 2, 3, 4 };
	const uint8_t reg_index[] = { TRACE_BIN_REG, VCPU_REG_COUNT, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t seg_index[] = { TRACE_BIN_SEG, 8, 18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				      0, 0, 0, 0, 0, 0 };
	const uint8_t action_bad[] = { TRACE_BIN_ACTION, 9, 0, 0 };
	const uint8_t truncated[] = { TRACE_BIN_REG, 0, 8, 0, 1, 2 };
	const uint8_t mem_zero[] = { TRACE_BIN_MEM, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t mem_liar[] = { TRACE_BIN_MEM, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0xaa };
	const uint8_t mem_flag[] = { TRACE_BIN_MEM, 2, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0 };
	const uint8_t write_fault[] = { TRACE_BIN_WRITE, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0 };
	const uint8_t mem_short[] = { TRACE_BIN_MEM, 0, 2, 0, 0, 0 };
	const uint8_t event_type[] = { TRACE_BIN_EVENT, 0, 11, 0, 14, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t event_flag[] = { TRACE_BIN_EVENT, 0, 11, 0, 14, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t vm_flag[4 + TRACE_BIN_VM_LEN] = { TRACE_BIN_VM, 0, TRACE_BIN_VM_LEN, 0, 1, 0, 2 };
	uint8_t vm_name[4 + TRACE_BIN_VM_LEN] = { TRACE_BIN_VM, 0, TRACE_BIN_VM_LEN, 0, 1 };
	memset(vm_name + 4 + 12, 'a', TRACE_BIN_NAME_LEN);
	uint8_t console_big[4 + 300] = { TRACE_BIN_CONSOLE, 0, 0x2c, 0x01 };

	ck_assert_int_eq(decode_one(type0, sizeof(type0)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(type99, sizeof(type99)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(reg_short, sizeof(reg_short)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(reg_index, sizeof(reg_index)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(seg_index, sizeof(seg_index)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(action_bad, sizeof(action_bad)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(truncated, sizeof(truncated)), -TERN_E2BIG);
	ck_assert_int_eq(decode_one(truncated, 3), -TERN_E2BIG);
	ck_assert_int_eq(decode_one(mem_zero, sizeof(mem_zero)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(mem_liar, sizeof(mem_liar)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(mem_flag, sizeof(mem_flag)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(write_fault, sizeof(write_fault)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(mem_short, sizeof(mem_short)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(event_type, sizeof(event_type)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(event_flag, sizeof(event_flag)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(vm_flag, sizeof(vm_flag)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(vm_name, sizeof(vm_name)), -TERN_EINVAL);
	ck_assert_int_eq(decode_one(console_big, sizeof(console_big)), -TERN_EINVAL);
	/* The virtual-APIC page's state: index 0 and a 32-bit value only. */
	const uint8_t types[] = { TRACE_BIN_APIC_VALUE, TRACE_BIN_VTPR, TRACE_BIN_VICR_HI };
	for (unsigned i = 0; i < sizeof(types); i++) {
		uint8_t ok[12] = { types[i], 0, 8, 0, 0x5a, 0, 0, 0xff, 0, 0, 0, 0 };
		uint8_t index1[12] = { types[i], 1, 8, 0, 0x5a };
		uint8_t wide[12] = { types[i], 0, 8, 0, 0, 0, 0, 0, 1 };
		ck_assert_int_eq(decode_one(ok, sizeof(ok)), 0);
		ck_assert_int_eq(decode_one(index1, sizeof(index1)), -TERN_EINVAL);
		ck_assert_int_eq(decode_one(wide, sizeof(wide)), -TERN_EINVAL);
	}
	uint8_t eb[12];
	struct trace_bin_rec *d = malloc(sizeof(*d));
	size_t at = 0;
	ck_assert_uint_eq(trace_bin_vtpr(eb, sizeof(eb), 0x60), sizeof(eb));
	ck_assert_int_eq(trace_bin_next(eb, sizeof(eb), &at, d), 0);
	ck_assert_uint_eq(d->type, TRACE_BIN_VTPR);
	ck_assert_uint_eq(d->value, 0x60);
	at = 0;
	ck_assert_uint_eq(trace_bin_vicr_hi(eb, sizeof(eb), 0x01000000u), sizeof(eb));
	ck_assert_int_eq(trace_bin_next(eb, sizeof(eb), &at, d), 0);
	ck_assert_uint_eq(d->type, TRACE_BIN_VICR_HI);
	ck_assert_uint_eq(d->value, 0x01000000u);
	free(d);
	size_t pos = 100;
	struct trace_bin_rec *r = malloc(sizeof(*r));
	ck_assert_int_eq(trace_bin_next(type0, sizeof(type0), &pos, r), -TERN_E2BIG);
	free(r);
	ck_assert_int_eq(trace_bin_check_header((const uint8_t *)"TRNT\x02\x00\x00\x00", 8), -TERN_EINVAL);
	ck_assert_int_eq(trace_bin_check_header((const uint8_t *)"TRNX\x01\x00\x00\x00", 8), -TERN_EINVAL);
	ck_assert_int_eq(trace_bin_check_header((const uint8_t *)"TRNT", 4), -TERN_EINVAL);
}
END_TEST

/* The sim-side loader: structure errors name the byte offset. */
static const char *load_err(const uint8_t *b, size_t n)
{
	static char err[TRACE_ERR];
	struct trace t;
	err[0] = '\0';
	if (trace_load_binary("b.bin", b, n, &t, err, sizeof(err)) == 0)
		trace_free(&t);
	return err;
}

START_TEST(test_loader_structure)
{
	size_t n = 0;
	struct trace_bin_vm vm = { .vcpus = 1, .mem = 0x1000 };
	strcpy(vm.name, "b");
	struct exit_record ex = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	n += trace_bin_header(buf, sizeof(buf));
	size_t after_hdr = n;
	ck_assert_str_eq(load_err(buf, n), "b.bin: offset 8: no VM record: empty or truncated trace");
	n += trace_bin_exit(buf + n, sizeof(buf) - n, 0, 0, 0, &ex);
	ck_assert_str_eq(load_err(buf, n), "b.bin: offset 8: record before the VM record");
	n = after_hdr;
	n += trace_bin_vm(buf + n, sizeof(buf) - n, &vm);
	size_t after_vm = n;
	n += trace_bin_action(buf + n, sizeof(buf) - n, 0);
	ck_assert_str_eq(load_err(buf, n), "b.bin: offset 56: record outside an exit");
	n = after_vm;
	n += trace_bin_exit(buf + n, sizeof(buf) - n, 0, 0, 0, &ex);
	ck_assert_str_eq(load_err(buf, n), "b.bin: offset 116: the last exit has no ACTION (truncated trace?)");
	size_t exit_end = n;
	n += trace_bin_stop(buf + n, sizeof(buf) - n, 1, 0);
	ck_assert_str_eq(load_err(buf, n), "b.bin: offset 116: outcome record before ACTION");
	n = exit_end;
	n += trace_bin_action(buf + n, sizeof(buf) - n, 2);
	ck_assert_str_eq(load_err(buf, n), "");
	size_t good = n;
	n += trace_bin_reg(buf + n, sizeof(buf) - n, TRACE_BIN_REG, VCPU_RAX, 1);
	ck_assert_str_eq(load_err(buf, n), "b.bin: offset 120: state record after the outcome");
	n = good;
	n += trace_bin_action(buf + n, sizeof(buf) - n, 2);
	ck_assert_str_eq(load_err(buf, n), "b.bin: offset 120: second ACTION in one exit");
	n = good;
	n += trace_bin_stop(buf + n, sizeof(buf) - n, 99, 0);
	ck_assert_str_eq(load_err(buf, n), "b.bin: offset 120: unknown stop cause 99");
	n = good;
	n += trace_bin_vm(buf + n, sizeof(buf) - n, &vm);
	ck_assert_str_eq(load_err(buf, n), "b.bin: offset 120: a second VM record for VM 0");
	n = good;
	buf[n++] = 77;
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = 0;
	ck_assert_str_eq(load_err(buf, n), "b.bin: offset 120: malformed record (type 77)");
	n = good;
	struct exit_record bad = { .reason = 10, .instr_len = 16 };
	n += trace_bin_exit(buf + n, sizeof(buf) - n, 0, 0, 0, &bad);
	ck_assert_str_eq(load_err(buf, n), "b.bin: offset 120: impossible exit (length 16, pcpu 0)");
	n = good;
	n += trace_bin_exit(buf + n, sizeof(buf) - n, 0, 0, 0, &ex);
	n += trace_bin_exit(buf + n, sizeof(buf) - n, 0, 0, 0, &ex);
	ck_assert_str_eq(load_err(buf, n), "b.bin: offset 180: exit without an ACTION record before it");
	vm.vcpus = 0;
	n = after_hdr + trace_bin_vm(buf + after_hdr, sizeof(buf) - after_hdr, &vm);
	ck_assert_str_eq(load_err(buf, n), "b.bin: offset 8: impossible VM configuration");
	ck_assert_str_eq(load_err((const uint8_t *)"junk", 4),
			 "b.bin: offset 0: not a Tern binary trace (bad magic or version)");
}
END_TEST

START_TEST(test_text_binary_text_roundtrip)
{
	const char *text =
		"vm name=rt vcpus=2 service=1 mem=0x10000\n"
		"exit EPT_VIOLATION vcpu=1 qual=0x181 len=3 gpa=0xc0000000 idtv=0x80000b0e idtv_err=4\n"
		"state rax=0x1 cs.sel=0x8 cs.base=0x0 cs.limit=0xffff cs.ar=0xa09b\n"
		"mem gpa=0x1000 data=8b03\n"
		"mem gpa=0x2000 len=8 fault\n"
		"expect action=stop rip=0x5 inject=#PF(0x2) console=\"a\\n\" stop=bad-memory detail=0x9\n"
		"write gpa=0x3000 data=ff\n";
	struct trace a, b;
	char err[TRACE_ERR];
	ck_assert_int_eq(trace_parse_buffer("a", text, strlen(text), &a, err, sizeof(err)), 0);
	char *bin = NULL;
	size_t binlen = 0;
	FILE *f = open_memstream(&bin, &binlen);
	ck_assert_int_eq(trace_write_binary(&a, f), 0);
	fclose(f);
	ck_assert_int_eq(trace_load_binary("b", (uint8_t *)bin, binlen, &b, err, sizeof(err)), 0);
	char *t1 = NULL, *t2 = NULL;
	size_t l1 = 0, l2 = 0;
	f = open_memstream(&t1, &l1);
	trace_write_text(&a, f);
	fclose(f);
	f = open_memstream(&t2, &l2);
	trace_write_text(&b, f);
	fclose(f);
	ck_assert_str_eq(t1, t2);
	ck_assert_ptr_nonnull(strstr(t1, "exit EPT_VIOLATION vcpu=1 qual=0x181 len=3 gpa=0xc0000000"));
	ck_assert_ptr_nonnull(strstr(t1, "mem gpa=0x2000 len=8 fault"));
	ck_assert_ptr_nonnull(strstr(t1, "console=\"a\\n\" stop=bad-memory detail=0x9"));
	free(bin);
	free(t1);
	free(t2);
	trace_free(&a);
	trace_free(&b);
}
END_TEST


/* The records of several VMs: every field survives encoding and decoding. */
START_TEST(test_roundtrip_async_records)
{
	uint8_t b[512];
	size_t n = 0, pos = 0;
	struct trace_bin_rec r;
	struct trace_bin_vm vm = { .id = 3, .affinity = 0x6, .flags = TRACE_BIN_VM_BOOT_STATE,
				   .vcpus = 2, .mem = 0x10000, .name = "uos" };
	struct exit_record ex = { .reason = EXIT_REASON_HLT, .instr_len = 1 };
	n += trace_bin_vm(b + n, sizeof(b) - n, &vm);
	n += trace_bin_exit(b + n, sizeof(b) - n, 3, 1, 2, &ex);
	n += trace_bin_request(b + n, sizeof(b) - n, 3, 1, 0x9, 5);
	n += trace_bin_kick(b + n, sizeof(b) - n, 2, 5);
	n += trace_bin_complete(b + n, sizeof(b) - n, 3, 1, 1, 0x1122334455667788ull);
	n += trace_bin_sched(b + n, sizeof(b) - n, 2, false, 3, 1);
	n += trace_bin_sched(b + n, sizeof(b) - n, 7, true, 3, 1);
	ck_assert_uint_eq(n, 7 * TRACE_BIN_REC_HDR + TRACE_BIN_VM2_LEN + TRACE_BIN_EXIT_LEN +
			     TRACE_BIN_REQUEST_LEN + TRACE_BIN_KICK_LEN + TRACE_BIN_COMPLETE_LEN +
			     2 * TRACE_BIN_SCHED_LEN);
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), 0);
	ck_assert_uint_eq(r.vm.id, 3);
	ck_assert_uint_eq(r.vm.affinity, 0x6);
	ck_assert_uint_eq(r.vm.flags, TRACE_BIN_VM_BOOT_STATE);
	ck_assert_str_eq(r.vm.name, "uos");
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), 0);
	ck_assert_uint_eq(r.vm_id, 3);
	ck_assert_uint_eq(r.vcpu, 1);
	ck_assert_uint_eq(r.pcpu, 2);
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), 0);
	ck_assert_uint_eq(r.type, TRACE_BIN_REQUEST);
	ck_assert_uint_eq(r.vm_id, 3);
	ck_assert_uint_eq(r.vcpu, 1);
	ck_assert_uint_eq(r.bits, 0x9);
	ck_assert_uint_eq(r.pcpu, 5);
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), 0);
	ck_assert_uint_eq(r.type, TRACE_BIN_KICK);
	ck_assert_uint_eq(r.pcpu, 2);
	ck_assert_uint_eq(r.from, 5);
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), 0);
	ck_assert_uint_eq(r.type, TRACE_BIN_COMPLETE);
	ck_assert_uint_eq(r.state, 1);
	ck_assert_uint_eq(r.value, 0x1122334455667788ull);
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), 0);
	ck_assert_uint_eq(r.type, TRACE_BIN_SCHED);
	ck_assert_uint_eq(r.index, 0);
	ck_assert_uint_eq(r.pcpu, 2);
	ck_assert_uint_eq(r.vm_id, 3);
	ck_assert_uint_eq(r.vcpu, 1);
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), 0);
	ck_assert_uint_eq(r.index, TRACE_BIN_SCHED_NONE);
	ck_assert_uint_eq(r.pcpu, 7);
	ck_assert_uint_eq(r.vm_id, 0); /* none names no vCPU */
	ck_assert_uint_eq(pos, n);
	/* A one-VM record without affinity or flags keeps the version-1 layout. */
	struct trace_bin_vm old = { .vcpus = 1, .name = "vm" };
	ck_assert_uint_eq(trace_bin_vm(b, sizeof(b), &old), TRACE_BIN_REC_HDR + TRACE_BIN_VM_LEN);
	ck_assert_uint_eq(trace_bin_vm(b, TRACE_BIN_REC_HDR + TRACE_BIN_VM_LEN, &vm), 0);
}
END_TEST

/* Hostile async records: reserved fields, unknown flags, the reserved TIMER type. */
START_TEST(test_hostile_async_records)
{
	uint8_t b[128];
	size_t pos;
	struct trace_bin_rec r;
	size_t n = trace_bin_request(b, sizeof(b), 0, 0, 1, 0);
	b[TRACE_BIN_REC_HDR + 10] = 1; /* the reserved half */
	pos = 0;
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), -TERN_EINVAL);
	n = trace_bin_sched(b, sizeof(b), 0, true, 0, 0);
	b[TRACE_BIN_REC_HDR + 2] = 1; /* "nothing to run" naming a VM */
	pos = 0;
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), -TERN_EINVAL);
	n = trace_bin_sched(b, sizeof(b), 0, false, 0, 0);
	b[1] = 2; /* unknown index bits */
	pos = 0;
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), -TERN_EINVAL);
	n = trace_bin_kick(b, sizeof(b), 1, 0);
	b[1] = 1;
	pos = 0;
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), -TERN_EINVAL);
	/* A timer expiry: u16 vm, vcpu, pcpu, reserved 0, u64 host TSC. */
	n = trace_bin_timer(b, sizeof(b), 2, 1, 3, 0x123456789ull);
	ck_assert_uint_eq(n, TRACE_BIN_REC_HDR + TRACE_BIN_TIMER_LEN);
	pos = 0;
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), 0);
	ck_assert_uint_eq(r.type, TRACE_BIN_TIMER);
	ck_assert_uint_eq(r.vm_id, 2);
	ck_assert_uint_eq(r.vcpu, 1);
	ck_assert_uint_eq(r.pcpu, 3);
	ck_assert_uint_eq(r.value, 0x123456789ull);
	ck_assert_uint_eq(trace_bin_timer(b, 4, 2, 1, 3, 0), 0); /* no room */
	b[TRACE_BIN_REC_HDR + 6] = 1; /* the reserved u16 */
	pos = 0;
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), -TERN_EINVAL);
	b[TRACE_BIN_REC_HDR + 6] = 0;
	b[1] = 1; /* an index */
	pos = 0;
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), -TERN_EINVAL);
	b[0] = TRACE_BIN_TYPE_MAX; /* past the last type */
	b[1] = 0;
	pos = 0;
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), -TERN_EINVAL);
	struct trace_bin_vm vm = { .flags = TRACE_BIN_VM_CREATED, .vcpus = 1, .name = "v" };
	n = trace_bin_vm(b, sizeof(b), &vm);
	b[TRACE_BIN_REC_HDR + TRACE_BIN_VM2_LEN - 4] = 0x80; /* an unknown flag */
	pos = 0;
	ck_assert_int_eq(trace_bin_next(b, n, &pos, &r), -TERN_EINVAL);
	b[TRACE_BIN_REC_HDR + TRACE_BIN_VM2_LEN - 4] = TRACE_BIN_VM_CREATED;
	b[2] = TRACE_BIN_VM_LEN + 4; /* neither length */
	pos = 0;
	ck_assert_int_eq(trace_bin_next(b, TRACE_BIN_REC_HDR + TRACE_BIN_VM_LEN + 4, &pos, &r),
			 -TERN_EINVAL);
}
END_TEST

/*
 * The async and host records' encoders write nothing into a buffer one
 * byte short of the record (the recorder counts it lost), and a VM id the
 * one-byte index cannot hold is no record at all.
 */
START_TEST(test_async_encoders_refuse_small_buffers)
{
	uint8_t b[128];
	const uint32_t regs[4] = { 1, 2, 3, 4 };
	ck_assert_uint_eq(trace_bin_request(b, TRACE_BIN_REC_HDR + TRACE_BIN_REQUEST_LEN - 1, 0, 0, 1, 0), 0);
	ck_assert_uint_eq(trace_bin_kick(b, TRACE_BIN_REC_HDR + TRACE_BIN_KICK_LEN - 1, 1, 0), 0);
	ck_assert_uint_eq(trace_bin_complete(b, TRACE_BIN_REC_HDR + TRACE_BIN_COMPLETE_LEN - 1, 0, 0, 3, 0), 0);
	ck_assert_uint_eq(trace_bin_sched(b, TRACE_BIN_REC_HDR + TRACE_BIN_SCHED_LEN - 1, 0, true, 0, 0), 0);
	ck_assert_uint_eq(trace_bin_host_cpuid(b, TRACE_BIN_REC_HDR + TRACE_BIN_CPUID_LEN - 1, 1, 0, regs), 0);
	ck_assert_uint_eq(trace_bin_host_tsc(b, TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN - 1, 5), 0);
	ck_assert_uint_eq(trace_bin_apic_value(b, TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN - 1, 5), 0);
	struct trace_bin_vm vm = { .id = 0x100, .vcpus = 1, .name = "v" };
	ck_assert_uint_eq(trace_bin_vm(b, sizeof(b), &vm), 0);
	/* At the exact size each one fits. */
	ck_assert_uint_eq(trace_bin_kick(b, TRACE_BIN_REC_HDR + TRACE_BIN_KICK_LEN, 1, 0),
			  TRACE_BIN_REC_HDR + TRACE_BIN_KICK_LEN);
	ck_assert_uint_eq(trace_bin_apic_value(b, TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN, 5),
			  TRACE_BIN_REC_HDR + TRACE_BIN_REG_LEN);
}
END_TEST

/* Decode b[0..n) as one record; the error (a refused record leaves pos where it was). */
static int decode_at(const uint8_t *b, size_t n)
{
	struct trace_bin_rec r;
	size_t pos = 0;
	int ret = trace_bin_next(b, n, &pos, &r);
	ck_assert_uint_eq(pos, ret ? 0 : n);
	return ret;
}

/* Reserved index bytes and fields of the host and async records: each refused. */
START_TEST(test_hostile_reserved_fields)
{
	uint8_t b[128];
	size_t n = trace_bin_host_tsc(b, sizeof(b), 7);
	ck_assert_int_eq(decode_at(b, n), 0);
	b[1] = 1;                                       /* HOST_TSC with an index */
	ck_assert_int_eq(decode_at(b, n), -TERN_EINVAL);
	n = trace_bin_apic_value(b, sizeof(b), 0xffffffffu);
	ck_assert_int_eq(decode_at(b, n), 0);
	b[1] = 1;                                       /* APIC_VALUE with an index */
	ck_assert_int_eq(decode_at(b, n), -TERN_EINVAL);
	b[1] = 0;
	b[TRACE_BIN_REC_HDR + 4] = 1;                   /* a value past 32 bits: no APIC register */
	ck_assert_int_eq(decode_at(b, n), -TERN_EINVAL);
	n = trace_bin_request(b, sizeof(b), 0, 0, 1, 0);
	b[1] = 1;                                       /* REQUEST with an index */
	ck_assert_int_eq(decode_at(b, n), -TERN_EINVAL);
	n = trace_bin_complete(b, sizeof(b), 0, 0, 3, 9);
	ck_assert_int_eq(decode_at(b, n), 0);
	b[1] = 1;                                       /* COMPLETE with an index */
	ck_assert_int_eq(decode_at(b, n), -TERN_EINVAL);
	n = trace_bin_sched(b, sizeof(b), 0, false, 1, 1);
	ck_assert_int_eq(decode_at(b, n), 0);
	b[TRACE_BIN_REC_HDR + 6] = 1;                   /* the reserved u16 */
	ck_assert_int_eq(decode_at(b, n), -TERN_EINVAL);
	n = trace_bin_sched(b, sizeof(b), 0, true, 0, 0);
	b[TRACE_BIN_REC_HDR + 4] = 1;                   /* "nothing to run" naming a vCPU */
	ck_assert_int_eq(decode_at(b, n), -TERN_EINVAL);
	struct trace_bin_vm vm = { .vcpus = 1, .reset_on_triple_fault = true, .name = "v" };
	n = trace_bin_vm(b, sizeof(b), &vm);
	ck_assert_int_eq(decode_at(b, n), 0);
	b[TRACE_BIN_REC_HDR + 3] = 2;                   /* reset_on_triple_fault is a bool */
	ck_assert_int_eq(decode_at(b, n), -TERN_EINVAL);
}
END_TEST

/* Text -> binary -> text keeps several VMs and every async record. */
START_TEST(test_multi_vm_text_binary_roundtrip)
{
	const char *text =
		"vm id=0 name=sos vcpus=1 service=1 mem=0x10000 boot_state=1\n"
		"vm id=1 name=uos vcpus=2 service=0 mem=0x10000 affinity=0x2 state=created\n"
		"complete vm=1 vcpu=1 state=1 value=0x5\n"
		"\n"
		"sched pcpu=1 vm=1 vcpu=1\n"
		"state rip=0x1000\n"
		"expect rip=0x1001\n"
		"write gpa=0x3000 data=ab\n"
		"request vm=0 vcpu=0 bits=wake pcpu=1\n"
		"\n"
		"sched pcpu=0 none\n"
		"\n"
		"exit HLT vm=1 vcpu=1 pcpu=1 len=1\n"
		"expect action=halt\n"
		"kick pcpu=0 from=1\n"
		"vm id=2 name=new vcpus=1 service=0 mem=0x0\n";
	struct trace a, b;
	char err[TRACE_ERR];
	ck_assert_int_eq(trace_parse_buffer("a", text, strlen(text), &a, err, sizeof(err)), 0);
	ck_assert_uint_eq(a.nvms, 3);
	ck_assert_uint_eq(a.nvms_at_start, 2);
	ck_assert_uint_eq(a.nsched, 2);
	ck_assert_uint_eq(a.nasync, 4);
	ck_assert_uint_eq(a.count[TRACE_ASYNC_VM], 1);
	char *bin = NULL, *t1 = NULL, *t2 = NULL;
	size_t binlen = 0, l1 = 0, l2 = 0;
	FILE *f = open_memstream(&bin, &binlen);
	ck_assert_int_eq(trace_write_binary(&a, f), 0);
	fclose(f);
	ck_assert_int_eq(trace_load_binary("b", (uint8_t *)bin, binlen, &b, err, sizeof(err)), 0);
	f = open_memstream(&t1, &l1);
	trace_write_text(&a, f);
	fclose(f);
	f = open_memstream(&t2, &l2);
	trace_write_text(&b, f);
	fclose(f);
	ck_assert_str_eq(t1, t2);
	ck_assert_str_eq(t1, text);
	free(bin);
	free(t1);
	free(t2);
	trace_free(&a);
	trace_free(&b);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("trace_bin");
	TCase *tc = tcase_create("trace_bin");
	tcase_add_test(tc, test_roundtrip_every_record);
	tcase_add_test(tc, test_roundtrip_16bit_high_bytes);
	tcase_add_test(tc, test_encoders_refuse_small_buffers);
	tcase_add_test(tc, test_hostile_records);
	tcase_add_test(tc, test_loader_structure);
	tcase_add_test(tc, test_text_binary_text_roundtrip);
	tcase_add_test(tc, test_roundtrip_async_records);
	tcase_add_test(tc, test_hostile_async_records);
	tcase_add_test(tc, test_async_encoders_refuse_small_buffers);
	tcase_add_test(tc, test_hostile_reserved_fields);
	tcase_add_test(tc, test_multi_vm_text_binary_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
