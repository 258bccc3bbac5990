/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A scenario run recorded (platform/sim/sim_rec.h: the binary format the
 * image records) and replayed by tern-sim's replay without tern-dm: every
 * exit, sched entry and asynchronous record must reproduce, the device
 * model's part coming from the trace's complete records. A trace whose
 * completion is changed must not replay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "scenario.h"
#include "sim.h"
#include "sim_rec.h"
#include "replay.h"
#include "trace.h"
#include "trace_bin.h"

static const char *const devs[] = { "-m", "2M", "-s", "3,pci-testdev", NULL };
static struct scn S;
static char path[64];

/* Port I/O: PCI config reads, the I/O BAR's scratch written and read back. */
static void port_io_run(void)
{
	uint32_t bar = scn_cfg_read(&S, 3, 0, 0x10, 4) & ~3u;
	ck_assert_uint_ne(bar, 0);
	ck_assert_int_eq(scn_out(&S, (uint16_t)bar, 4, 0xfeedf00du), 0);
	uint32_t v = 0;
	ck_assert_int_eq(scn_in(&S, (uint16_t)bar, 2, &v), 0);
	ck_assert_uint_eq(v & 0xffff, 0xf00d);
}

/*
 * MMIO to the memory BAR (BAR1): a store, a load, and rep movsb of 4 bytes
 * device -> RAM (one request per element, restartable emulation).
 */
static void mmio_run(void)
{
	uint32_t bar = scn_cfg_read(&S, 3, 0, 0x14, 4) & ~0xfu;
	ck_assert_uint_ne(bar, 0);
	ck_assert_int_eq(scn_mmio_store(&S, bar, 4, 0x44332211u), 0);
	uint32_t v = 0;
	ck_assert_int_eq(scn_mmio_load(&S, bar + 1, 2, &v), 0);
	ck_assert_uint_eq(v & 0xffff, 0x3322);
	struct sim_vcpu_hw *hw = sim_vcpu_hw(S.u);
	hw->regs[VCPU_RSI] = bar;
	hw->regs[VCPU_RDI] = 0x8000;
	hw->regs[VCPU_RCX] = 4;
	ck_assert_int_eq(scn_insn(&S, (const uint8_t *)"\xf3\xa4", 2, false, bar), 0);
	uint8_t *ram = sim_live_guest(&S.live, S.vm, 0x8000, 4);
	ck_assert_ptr_nonnull(ram);
	ck_assert_uint_eq(ram[0] | ram[1] << 8 | ram[2] << 16 | (uint32_t)ram[3] << 24, 0x44332211u);
}

/* Record a run of what (notification mode: polling runs are not recorded faithfully). */
static void record_run_of(void (*what)(void))
{
	snprintf(path, sizeof(path), "/tmp/tern-scn-rec.%d.bin", (int)getpid());
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	sim_rec_start(f);
	ck_assert_int_eq(scn_start(&S, "uvm", devs, false), 0);
	what();
	scn_stop(&S);
	ck_assert_int_eq(sim_rec_stop(), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static void record_run(void)
{
	record_run_of(port_io_run);
}

/* Flip a bit of the value in the trace's last complete record. */
static void change_last_completion(struct trace *t)
{
	int last = -1;
	for (unsigned i = 0; i < t->nasync; i++)
		if (t->async[i].kind == TRACE_ASYNC_COMPLETE)
			last = (int)i;
	ck_assert_int_ge(last, 0);
	t->async[last].value ^= 0x1;
}

START_TEST(recorded_run_replays_without_tern_dm)
{
	record_run();
	struct trace t;
	char err[TRACE_ERR];
	ck_assert_msg(trace_parse_file(path, &t, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_gt(t.nexits, 10);
	ck_assert_uint_gt(t.nsched, 0);
	/* BAR0 through 0xCFC (0xCF8 stays in the hypervisor), the OUT, the IN. */
	ck_assert_uint_eq(t.count[TRACE_ASYNC_COMPLETE], 3);
	struct replay_stats st;
	memset(&st, 0, sizeof(st));
	unsigned bad = replay_trace(&t, stdout, &st);
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(st.mismatched_exits, 0);
	ck_assert_uint_gt(st.exits, 10);
	trace_free(&t);
	if (!getenv("TERN_KEEP_TRACE"))
		unlink(path);
}
END_TEST

START_TEST(recorded_mmio_run_replays_without_tern_dm)
{
	record_run_of(mmio_run);
	struct trace t;
	char err[TRACE_ERR];
	ck_assert_msg(trace_parse_file(path, &t, err, sizeof(err)) == 0, "%s", err);
	/* BAR1 through 0xCFC, the store, the load, four string elements. */
	ck_assert_uint_eq(t.count[TRACE_ASYNC_COMPLETE], 1 + 1 + 1 + 4);
	struct replay_stats st;
	memset(&st, 0, sizeof(st));
	ck_assert_uint_eq(replay_trace(&t, stdout, &st), 0);
	ck_assert_uint_eq(st.mismatched_exits, 0);
	/* A changed MMIO read's value (the last element) does not replay. */
	change_last_completion(&t);
	memset(&st, 0, sizeof(st));
	ck_assert_uint_gt(replay_trace(&t, stdout, &st), 0);
	trace_free(&t);
	if (!getenv("TERN_KEEP_TRACE"))
		unlink(path);
}
END_TEST

START_TEST(changed_completion_does_not_replay)
{
	record_run();
	struct trace t;
	char err[TRACE_ERR];
	ck_assert_msg(trace_parse_file(path, &t, err, sizeof(err)) == 0, "%s", err);
	/* The last completion (the IN's value) is not what the device model wrote. */
	change_last_completion(&t);
	struct replay_stats st;
	memset(&st, 0, sizeof(st));
	ck_assert_uint_gt(replay_trace(&t, stdout, &st), 0);
	trace_free(&t);
	unlink(path);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("scn_record");
	TCase *tc = tcase_create("record");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, recorded_run_replays_without_tern_dm);
	tcase_add_test(tc, changed_completion_does_not_replay);
	tcase_add_test(tc, recorded_mmio_run_replays_without_tern_dm);
	suite_add_tcase(s, tc);
	return s;
}
