/* SPDX-License-Identifier: BSD-3-Clause */
/* The qualification and instruction-information decoders, field by field. */
#include "unit.h"
#include "apic_qual.h"
#include "cr_qual.h"
#include "dr_qual.h"
#include "insn_info.h"
#include "io_qual.h"
#include "task_switch_qual.h"

START_TEST(test_cr_qual)
{
	/* mov cr4, r13: CR 4, type 0, GPR 13. */
	uint64_t q = 4 | (0u << 4) | (13u << 8);
	ck_assert_uint_eq(cr_qual_cr(q), 4);
	ck_assert_int_eq(cr_qual_access(q), CR_ACCESS_MOV_TO_CR);
	ck_assert_uint_eq(cr_qual_gpr(q), 13);
	/* mov rsp, cr3. */
	q = 3 | (1u << 4) | (4u << 8);
	ck_assert_int_eq(cr_qual_access(q), CR_ACCESS_MOV_FROM_CR);
	ck_assert_uint_eq(cr_qual_gpr(q), 4);
	/* lmsw [mem] with source 0xbeef. */
	q = (3u << 4) | (1u << 6) | (0xbeefull << 16);
	ck_assert_int_eq(cr_qual_access(q), CR_ACCESS_LMSW);
	ck_assert(cr_qual_lmsw_mem(q));
	ck_assert_uint_eq(cr_qual_lmsw_data(q), 0xbeef);
	ck_assert_int_eq(cr_qual_access(2u << 4), CR_ACCESS_CLTS);
	ck_assert(!cr_qual_lmsw_mem(3u << 4));
	/* Reserved high bits do not leak into any field. */
	q = 0xffffffff00000000ull | 8;
	ck_assert_uint_eq(cr_qual_cr(q), 8);
	ck_assert_uint_eq(cr_qual_gpr(q), 0);
	ck_assert_uint_eq(cr_qual_lmsw_data(q), 0);
	ck_assert_uint_eq(cr_qual_cr(~0ull), 15);
	ck_assert_uint_eq(cr_qual_gpr(~0ull), 15);
}
END_TEST

START_TEST(test_dr_qual)
{
	uint64_t q = 7 | (1u << 4) | (9u << 8); /* mov r9, dr7 */
	ck_assert_uint_eq(dr_qual_dr(q), 7);
	ck_assert(dr_qual_is_read(q));
	ck_assert_uint_eq(dr_qual_gpr(q), 9);
	q = 2 | (0u << 4) | (0u << 8); /* mov dr2, rax */
	ck_assert_uint_eq(dr_qual_dr(q), 2);
	ck_assert(!dr_qual_is_read(q));
	ck_assert_uint_eq(dr_qual_dr(~0ull), 7);
	ck_assert_uint_eq(dr_qual_gpr(~0ull), 15);
}
END_TEST

START_TEST(test_task_switch_qual)
{
	uint64_t q = 0x28 | (3ull << 30);
	ck_assert_uint_eq(ts_qual_selector(q), 0x28);
	ck_assert_int_eq(ts_qual_source(q), TASK_SWITCH_IDT_GATE);
	ck_assert_int_eq(ts_qual_source(1ull << 30), TASK_SWITCH_IRET);
	ck_assert_int_eq(ts_qual_source(2ull << 30), TASK_SWITCH_JMP);
	ck_assert_int_eq(ts_qual_source(0x30), TASK_SWITCH_CALL);
	ck_assert_uint_eq(ts_qual_selector(0xffffffffffffffffull), 0xffff);
	ck_assert_int_eq(ts_qual_source(0xffffffff3fffffffull), TASK_SWITCH_CALL);
}
END_TEST

START_TEST(test_apic_qual)
{
	uint64_t q = 0x300 | (1u << 12); /* linear write to ICR low */
	ck_assert_uint_eq(apic_qual_offset(q), 0x300);
	ck_assert_uint_eq(apic_qual_type(q), APIC_ACCESS_LINEAR_WRITE);
	ck_assert(apic_qual_offset_valid(q));
	ck_assert(!apic_qual_async(q));
	q = (15u << 12) | (1u << 16);
	ck_assert_uint_eq(apic_qual_type(q), APIC_ACCESS_GPA_INSTR);
	ck_assert(!apic_qual_offset_valid(q));
	ck_assert(apic_qual_async(q));
	ck_assert(!apic_qual_offset_valid(10u << 12));
	ck_assert(apic_qual_offset_valid(3u << 12));
}
END_TEST

START_TEST(test_ins_outs_info)
{
	/* rep outsb with a 32-bit address size and an FS override. */
	uint32_t info = (1u << 7) | (4u << 15);
	ck_assert_uint_eq(ins_outs_info_addr_size(info), ADDR_SIZE_32);
	ck_assert_uint_eq(ins_outs_info_seg(info), 4);
	ck_assert_uint_eq(insn_info_addr_bytes(ADDR_SIZE_16), 2);
	ck_assert_uint_eq(insn_info_addr_bytes(ADDR_SIZE_32), 4);
	ck_assert_uint_eq(insn_info_addr_bytes(ADDR_SIZE_64), 8);
	for (unsigned a = 3; a < 8; a++)
		ck_assert_uint_eq(insn_info_addr_bytes(a), 0); /* undefined encodings */
	ck_assert_uint_eq(ins_outs_info_addr_size(0xffffffffu), 7);
	ck_assert_uint_eq(ins_outs_info_seg(0xffffffffu), 7);
}
END_TEST

START_TEST(test_inv_info)
{
	/* invpcid rcx, [rax + rbx*8]: scale 3, 64-bit, DS, index RBX, base RAX, reg2 RCX. */
	uint32_t info = 3u | (2u << 7) | (3u << 15) | (3u << 18) | (0u << 23) | (1u << 28);
	ck_assert_uint_eq(inv_info_scale(info), 3);
	ck_assert_uint_eq(inv_info_addr_size(info), ADDR_SIZE_64);
	ck_assert_uint_eq(inv_info_seg(info), 3);
	ck_assert_uint_eq(inv_info_index(info), 3);
	ck_assert(!inv_info_index_invalid(info));
	ck_assert_uint_eq(inv_info_base(info), 0);
	ck_assert(!inv_info_base_invalid(info));
	ck_assert_uint_eq(inv_info_type_reg(info), 1);
	info = (1u << 22) | (1u << 27) | (15u << 28);
	ck_assert(inv_info_index_invalid(info));
	ck_assert(inv_info_base_invalid(info));
	ck_assert_uint_eq(inv_info_type_reg(info), 15);
	ck_assert_uint_eq(invlpg_qual_linear(0xffff800000001000ull), 0xffff800000001000ull);
	ck_assert_uint_eq(invpcid_qual_displacement(0x10), 0x10);
}
END_TEST

START_TEST(test_io_qual)
{
	/* rep insw with DX: size 2, IN, string, REP, DX operand, port 0x1f0. */
	uint64_t q = 1 | (1u << 3) | (1u << 4) | (1u << 5) | (0x1f0ull << 16);
	ck_assert_uint_eq(io_qual_size(q), 2);
	ck_assert(io_qual_is_in(q));
	ck_assert(io_qual_is_string(q));
	ck_assert(io_qual_is_rep(q));
	ck_assert(!io_qual_port_is_imm(q));
	ck_assert_uint_eq(io_qual_port(q), 0x1f0);
	ck_assert(io_qual_size_valid(q));
	ck_assert(!io_qual_size_valid(2));
	ck_assert(io_qual_port_is_imm(1u << 6));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("qual");
	TCase *tc = tcase_create("qual");
	tcase_add_test(tc, test_cr_qual);
	tcase_add_test(tc, test_dr_qual);
	tcase_add_test(tc, test_task_switch_qual);
	tcase_add_test(tc, test_apic_qual);
	tcase_add_test(tc, test_ins_outs_info);
	tcase_add_test(tc, test_inv_info);
	tcase_add_test(tc, test_io_qual);
	suite_add_tcase(s, tc);
	return s;
}
