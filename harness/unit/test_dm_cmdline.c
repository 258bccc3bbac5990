/* SPDX-License-Identifier: BSD-3-Clause */
/* tern-dm's command line: what is accepted, and the one line for each mistake. */
#include <string.h>
#include "cmdline.h"
#include "devices.h"
#include "unit.h"

static struct dm_opts O;
static char err[320];

static int parse(const char *const *args)
{
	char *argv[32] = { "tern-dm" };
	int argc = 1;
	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	err[0] = '\0';
	return dm_cmdline_parse(argc, argv, &O, err, sizeof(err));
}

START_TEST(accepts_the_acrn_shape)
{
	const char *a[] = { "-m", "2G", "-s", "0:0,hostbridge", "-s", "3:1,pci-testdev,vectors=16", "-s", "0:4:0,pci-testdev",
			    "-l", "com1,stdio", "--sim", "/tmp/s", "--polling", "vm-a", NULL };
	ck_assert_int_eq(parse(a), 0);
	ck_assert_uint_eq(O.mem, 2ull << 30);
	ck_assert_uint_eq(O.nslots, 3);
	ck_assert_str_eq(O.slots[0].type->name, "hostbridge");
	ck_assert_ptr_null(O.slots[0].config);
	ck_assert_uint_eq(O.slots[1].slot, 3);
	ck_assert_uint_eq(O.slots[1].func, 1);
	ck_assert_str_eq(O.slots[1].config, "vectors=16");
	ck_assert_uint_eq(O.slots[2].slot, 4);
	ck_assert(O.com1_stdio && O.polling);
	ck_assert_str_eq(O.sim_path, "/tmp/s");
	ck_assert_ptr_null(O.hsm_path);
	ck_assert_str_eq(O.vm_name, "vm-a");
	ck_assert_uint_eq(O.cpu_affinity, DM_DEFAULT_AFFINITY);
	const char *b[] = { "vm1", NULL };
	ck_assert_int_eq(parse(b), 0);
	ck_assert_uint_eq(O.mem, DM_DEFAULT_MEM);
	const char *aff[] = { "--cpu_affinity", "1,3,63", "vm1", NULL };
	ck_assert_int_eq(parse(aff), 0);
	ck_assert_uint_eq(O.cpu_affinity, 0x800000000000000aull);
	const char *c[] = { "--", "-odd", NULL };
	ck_assert_int_eq(parse(c), 0);
	ck_assert_str_eq(O.vm_name, "-odd");
	const char *h[] = { "-m", "bad", "--help", NULL };
	ck_assert_int_eq(parse(h), -1);   /* the first mistake is told first */
	const char *h2[] = { "--help", "-m", "bad", NULL };
	ck_assert_int_eq(parse(h2), 0);
	ck_assert(O.help);
}
END_TEST

static const struct {
	const char *args[8];
	const char *msg;
} bad[] = {
	{ { "-s", "99,pci-testdev", "vm1" }, "-s 99,pci-testdev: slot 99 out of range (0-31)" },
	{ { "-s", "32,pci-testdev", "vm1" }, "-s 32,pci-testdev: slot 32 out of range (0-31)" },
	{ { "-s", "3:8,pci-testdev", "vm1" }, "-s 3:8,pci-testdev: function 8 out of range (0-7)" },
	{ { "-s", "1:3:0,pci-testdev", "vm1" }, "-s 1:3:0,pci-testdev: bus 1 out of range (only bus 0)" },
	{ { "-s", "0:1:2:3,pci-testdev", "vm1" }, "-s 0:1:2:3,pci-testdev: too many ':' in '0:1:2:3' ([BUS:]SLOT[:FUNC])" },
	{ { "-s", "x,pci-testdev", "vm1" }, "-s x,pci-testdev: slot 'x' is not a number" },
	{ { "-s", "3:y,pci-testdev", "vm1" }, "-s 3:y,pci-testdev: function 'y' is not a number" },
	{ { "-s", "3", "vm1" }, "-s 3: missing device name (SLOT[:FUNC],DEVICE[,CONFIG])" },
	{ { "-s", "3,", "vm1" }, "-s 3,: missing device name (SLOT[:FUNC],DEVICE[,CONFIG])" },
	{ { "-s", "3,virtio-net", "vm1" }, "-s 3,virtio-net: unknown device 'virtio-net' (hostbridge, pci-testdev)" },
	{ { "-s", "3,pci-testdev", "-s", "3:0,hostbridge", "vm1" }, "-s 3:0,hostbridge: slot 3:0 already has pci-testdev" },
	{ { "-s", "3,pci-testdev,vectors=33", "vm1" }, "-s 3,pci-testdev,vectors=33: pci-testdev: vectors '33' out of range (1-32)" },
	{ { "-s", "3,pci-testdev,vectors=", "vm1" }, "-s 3,pci-testdev,vectors=: pci-testdev: vectors '' out of range (1-32)" },
	{ { "-s", "3,pci-testdev,speed=1", "vm1" }, "-s 3,pci-testdev,speed=1: pci-testdev: unknown option 'speed=1' (vectors=N)" },
	{ { "-s", "0,hostbridge,x", "vm1" }, "-s 0,hostbridge,x: hostbridge takes no options ('x')" },
	{ { "-m", "12X", "vm1" }, "-m 12X: not a memory size (a number with an optional K, M or G suffix)" },
	{ { "-m", "-1", "vm1" }, "-m -1: not a memory size (a number with an optional K, M or G suffix)" },
	{ { "-m", "99999999999999999999", "vm1" }, "-m 99999999999999999999: not a memory size (a number with an optional K, M or G suffix)" },
	{ { "-m", "100", "vm1" }, "-m 100: not a non-zero multiple of 4K" },
	{ { "-m", "0", "vm1" }, "-m 0: not a non-zero multiple of 4K" },
	{ { "-m", "65G", "vm1" }, "-m 65G: more than the 64G tern-dm supports" },
	{ { "-m", "1M", "-m", "2M", "vm1" }, "-m given twice" },
	{ { "-m" }, "option -m needs an argument" },
	{ { "-l", "com2,stdio", "vm1" }, "-l com2,stdio: unknown LPC device 'com2' (com1)" },
	{ { "-l", "com1,tcp:1", "vm1" }, "-l com1,tcp:1: com1 needs the backend 'stdio'" },
	{ { "-l", "com1,stdio", "-l", "com1,stdio", "vm1" }, "-l com1,stdio: com1 given twice" },
	{ { "--hsm", "/dev/x", "--sim", "/tmp/y", "vm1" }, "--sim: only one of --hsm and --sim, once" },
	{ { "--sim", "", "vm1" }, "--sim: empty path" },
	{ { "--cpu_affinity", "1,x", "vm1" }, "--cpu_affinity 1,x: 'x' is not a pCPU number" },
	{ { "--cpu_affinity", "64", "vm1" }, "--cpu_affinity 64: pCPU 64 out of range (0-63)" },
	{ { "--cpu_affinity", "2,2", "vm1" }, "--cpu_affinity 2,2: pCPU 2 named twice" },
	{ { "--cpu_affinity", "", "vm1" }, "--cpu_affinity : '' is not a pCPU number" },
	{ { "--cpu_affinity", "1", "--cpu_affinity", "2", "vm1" }, "--cpu_affinity given twice" },
	{ { "-x", "vm1" }, "unknown option '-x' (see --help)" },
	{ { "--poling", "vm1" }, "unknown option '--poling' (see --help)" },
	{ { "vm1", "vm2" }, "unexpected argument 'vm2' after the VM name 'vm1'" },
	{ { "-s", "3,pci-testdev" }, "missing VM name (see --help)" },
	{ { "a-name-of-16-chr" }, "VM name 'a-name-of-16-chr' is longer than 15 characters" },
	{ { "vm\t1" }, "VM name 'vm?1' has a character that is not printable ASCII" },
	{ { "vm1", "x\ny" }, "unexpected argument 'x?y' after the VM name 'vm1'" },
};

START_TEST(each_mistake_one_line)
{
	ck_assert_int_eq(parse(bad[_i].args), -1);
	ck_assert_str_eq(err, bad[_i].msg);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(sizes)
{
	uint64_t v;
	ck_assert_int_eq(dm_parse_size("4096", &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(dm_parse_size("64k", &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(dm_parse_size("3m", &v), 0);
	ck_assert_uint_eq(v, 3u << 20);
	ck_assert_int_eq(dm_parse_size("17179869184G", &v), -1);       /* 2^34 G = 2^64: overflow */
	ck_assert_int_eq(dm_parse_size("17179869183G", &v), 0);
	ck_assert_uint_eq(v, 17179869183ull << 30);
	ck_assert_int_eq(dm_parse_size("1MB", &v), -1);
	ck_assert_int_eq(dm_parse_size("", &v), -1);
	ck_assert_int_eq(dm_parse_size(" 1", &v), -1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("dm_cmdline");
	TCase *tc = tcase_create("cmdline");
	tcase_add_test(tc, accepts_the_acrn_shape);
	tcase_add_loop_test(tc, each_mistake_one_line, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, sizes);
	suite_add_tcase(s, tc);
	return s;
}
