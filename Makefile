# SPDX-License-Identifier: BSD-3-Clause
# Tern's one build. GNU make; every source is discovered by wildcard so that a
# new file per concept needs no edit here.
#
#   make            build everything buildable
#   make run        the main job (see README)
#   make test       the whole suite, coverage gate included
#   make coverage   HTML report (build/coverage/html) and the gate
#   make bench      instruction counts (callgrind)
#   make fuzz       short libFuzzer runs
#   make deps       install the Debian packages the project needs

BUILD     ?= build
CC        ?= gcc
CLANG     ?= clang
FUZZ_SECONDS ?= 20

CORE_SRCS := $(sort $(wildcard core/*.c))
CORE_HDRS := $(wildcard core/*.h)
SIM_SRCS  := $(sort $(filter-out platform/sim/main_%.c,$(wildcard platform/sim/*.c)))
SIM_MAINS := $(wildcard platform/sim/main_*.c)
TEST_SRCS := $(sort $(wildcard harness/unit/test_*.c))
FUZZ_SRCS := $(sort $(wildcard harness/fuzz/fuzz_*.c))
BENCH_SRCS := $(sort $(wildcard harness/bench/bench_*.c))
# tern-dm, the device model: its own program (dm/main.c), no core/ inside.
DM_SRCS   := $(sort $(filter-out dm/main.c,$(wildcard dm/*.c)))
DM_HDRS   := $(wildcard dm/*.h)
DM_TEST_SRCS := $(sort $(wildcard harness/dm/*.c))
# Scenarios: the harness plays the guest against core and a live tern-dm (tern-sim live mode).
SCN_SRCS  := $(sort $(wildcard harness/scenario/*.c))
# A child process with its output collected (both kinds of process tests).
PROC_SRCS := harness/proc/child.c harness/proc/child.h

WARN      := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# core/ as the image needs it: no libc, no red zone, no SSE (guest FPU state
# is not ours to clobber), no stack protector runtime.
FREE_CFLAGS := $(WARN) -O2 -g -ffreestanding -nostdlib -fno-builtin -mno-red-zone \
               -mgeneral-regs-only -fno-stack-protector -fno-pic -mcmodel=kernel \
               -fno-asynchronous-unwind-tables -Icore
# core/ hosted, for tern-sim and the tests: sanitizers and coverage on.
SAN       := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_CFLAGS := $(WARN) -O1 -g $(SAN) -D_GNU_SOURCE -Icore -Iplatform/sim -Iharness/unit
COV_FLAGS := --coverage
# dm/ hosted: the same warnings and sanitizers, its own include path only.
DM_CFLAGS := $(WARN) -O1 -g $(SAN) -D_GNU_SOURCE -Idm
BENCH_CFLAGS := $(WARN) -O2 -g -D_GNU_SOURCE -Icore -Iplatform/sim -Iharness/bench
FUZZ_CFLAGS := -std=c11 -Wall -Wextra -Werror -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
               -D_GNU_SOURCE -DTERN_FUZZ -Icore -Iplatform/sim
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

FREE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/free/%.o)
HOST_CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/host/%.o)
HOST_SIM_OBJS := $(SIM_SRCS:%.c=$(BUILD)/host/%.o)
BENCH_OBJS := $(CORE_SRCS:%.c=$(BUILD)/bench/%.o) $(SIM_SRCS:%.c=$(BUILD)/bench/%.o)
FUZZ_OBJS := $(CORE_SRCS:%.c=$(BUILD)/fuzz/%.o) $(SIM_SRCS:%.c=$(BUILD)/fuzz/%.o)
TEST_BINS := $(TEST_SRCS:harness/unit/%.c=$(BUILD)/host/tests/%)
FUZZ_BINS := $(FUZZ_SRCS:harness/fuzz/%.c=$(BUILD)/fuzz/bin/%)
BENCH_BINS := $(BENCH_SRCS:harness/bench/%.c=$(BUILD)/bench/bin/%)
SIM_TOOLS := $(SIM_MAINS:platform/sim/main_%.c=$(BUILD)/host/tern-%)
HOST_DM_OBJS := $(DM_SRCS:%.c=$(BUILD)/host/%.o)
FUZZ_DM_OBJS := $(DM_SRCS:%.c=$(BUILD)/fuzz/%.o)
DM_TOOL := $(BUILD)/host/tern-dm

.PHONY: all run sim-run test coverage bench fuzz deps clean check-freestanding unit traces x86 x86-run
.DELETE_ON_ERROR:
# Objects are built by pattern rules only; keep them (they are not intermediates to delete).
.SECONDARY:

# V=1 shows full command lines.
V ?= 0
ifeq ($(V),0)
Q := @
endif

all: $(BUILD)/core-free.o $(SIM_TOOLS) $(DM_TOOL) $(TEST_BINS) x86

# The real image (platform/x86) adds its targets here; x86 stays a no-op
# until then.
x86:
-include platform/x86/x86.mk
-include harness/guests/guests.mk

# The main job: the real image boots on Bochs (VMX + EPT emulated), runs the
# test guest as the Service VM and the console streams here; `make sim-run`
# is the simulator's replay of the trace corpus.
run: deps
	@$(MAKE) --no-print-directory BUILD=$(BUILD) boot

# ---- core, freestanding ----------------------------------------------------
$(BUILD)/free/%.o: %.c $(CORE_HDRS) | check-freestanding
	@mkdir -p $(dir $@)
	@echo '  CC [free] $<'
	$(Q)$(CC) $(FREE_CFLAGS) -c $< -o $@

# One relocatable object; its only undefined symbols may be the platform
# interface (plat_*) and the four routines GCC may emit calls to.
$(BUILD)/core-free.o: $(FREE_OBJS) harness/check_core_symbols.sh
	@echo '  LD $@'
	$(Q)ld -r -o $@ $(FREE_OBJS)
	sh harness/check_core_symbols.sh $@

check-freestanding:
	@sh harness/check_freestanding.sh core

# ---- hosted: core + sim with sanitizers and coverage -------------------------
$(BUILD)/host/core/%.o: core/%.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	@echo '  CC [host] $<'
	$(Q)$(CC) $(HOST_CFLAGS) $(COV_FLAGS) -c $< -o $@

$(BUILD)/host/platform/sim/%.o: platform/sim/%.c $(CORE_HDRS) $(wildcard platform/sim/*.h)
	@mkdir -p $(dir $@)
	@echo '  CC [host] $<'
	$(Q)$(CC) $(HOST_CFLAGS) -c $< -o $@

$(BUILD)/host/tern-%: platform/sim/main_%.c $(HOST_CORE_OBJS) $(HOST_SIM_OBJS)
	@mkdir -p $(dir $@)
	@echo '  LD $@'
	$(Q)$(CC) $(HOST_CFLAGS) $(COV_FLAGS) $^ -o $@

$(BUILD)/host/tests/%: harness/unit/%.c $(wildcard harness/unit/*.h) harness/unit/unit_main.c $(HOST_CORE_OBJS) $(HOST_SIM_OBJS)
	@mkdir -p $(dir $@)
	@echo '  LD $@'
	$(Q)$(CC) $(HOST_CFLAGS) $(COV_FLAGS) $< harness/unit/unit_main.c $(HOST_CORE_OBJS) $(HOST_SIM_OBJS) $(CHECK_LIBS) -o $@

# ---- tern-dm (dm/) ---------------------------------------------------------------
$(BUILD)/host/dm/%.o: dm/%.c $(DM_HDRS)
	@mkdir -p $(dir $@)
	@echo '  CC [dm]   $<'
	$(Q)$(CC) $(DM_CFLAGS) $(COV_FLAGS) -c $< -o $@

$(DM_TOOL): $(BUILD)/host/dm/main.o $(HOST_DM_OBJS)
	@mkdir -p $(dir $@)
	@echo '  LD $@'
	$(Q)$(CC) $(DM_CFLAGS) $(COV_FLAGS) $^ -o $@

# dm unit and process tests: dm/ objects, the fake hypervisor (harness/dm) and
# the tern-dm binary they fork/exec; no core/ (the shorter stem wins over the
# rule above).
$(BUILD)/host/tests/test_dm_%: harness/unit/test_dm_%.c $(wildcard harness/unit/*.h) harness/unit/unit_main.c $(DM_TEST_SRCS) $(PROC_SRCS) $(wildcard harness/dm/*.h) $(HOST_DM_OBJS) $(DM_TOOL)
	@mkdir -p $(dir $@)
	@echo '  LD $@'
	$(Q)$(CC) $(DM_CFLAGS) $(COV_FLAGS) -Iharness/unit -Iharness/dm -Iharness/proc -DTERN_DM_BIN='"$(abspath $(DM_TOOL))"' \
		$< harness/unit/unit_main.c $(DM_TEST_SRCS) harness/proc/child.c $(HOST_DM_OBJS) $(CHECK_LIBS) -o $@

# Scenario tests: core + sim (live mode) + the scenario library, and the tern-dm
# binary they spawn (the shorter stem wins over test_%).
$(BUILD)/host/tests/test_scn_%: harness/unit/test_scn_%.c $(wildcard harness/unit/*.h) harness/unit/unit_main.c $(SCN_SRCS) $(PROC_SRCS) $(wildcard harness/scenario/*.h) $(HOST_CORE_OBJS) $(HOST_SIM_OBJS) $(DM_TOOL)
	@mkdir -p $(dir $@)
	@echo '  LD $@'
	$(Q)$(CC) $(HOST_CFLAGS) $(COV_FLAGS) -Iharness/scenario -Iharness/proc -DTERN_DM_BIN='"$(abspath $(DM_TOOL))"' \
		$< harness/unit/unit_main.c $(SCN_SRCS) harness/proc/child.c $(HOST_CORE_OBJS) $(HOST_SIM_OBJS) $(CHECK_LIBS) -o $@

# ---- the suite ----------------------------------------------------------------
unit: $(TEST_BINS)

# The bench binaries are built (not run) so that a change that breaks their
# build fails make test, not a later make bench.
test: deps all $(BENCH_BINS) $(FUZZ_BINS)
	@BUILD=$(BUILD) sh harness/run_tests.sh

coverage: deps all
	@BUILD=$(BUILD) sh harness/run_tests.sh --coverage-only

sim-run: $(BUILD)/host/tern-sim
	$(BUILD)/host/tern-sim --summary traces/*.trace $(wildcard traces/recorded/*.trace traces/recorded/*.bin)

# ---- benchmarks (no sanitizers, -O2, counted by callgrind) --------------------
$(BUILD)/bench/%.o: %.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BENCH_CFLAGS) -c $< -o $@

$(BUILD)/bench/bin/%: harness/bench/%.c harness/bench/bench.h $(BENCH_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BENCH_CFLAGS) $< $(BENCH_OBJS) -o $@

# Wall-clock figures (the IOREQ round trip in us against same-run floors):
# harness/bench/wall_*.c, with the scenario library and a tern-dm built like
# the bench objects (-O2, no sanitizers, no coverage).
WALL_SRCS := $(sort $(wildcard harness/bench/wall_*.c))
WALL_BINS := $(WALL_SRCS:harness/bench/%.c=$(BUILD)/bench/bin/%)
BENCH_DM_OBJS := $(DM_SRCS:%.c=$(BUILD)/bench/%.o) $(BUILD)/bench/dm/main.o
BENCH_DM := $(BUILD)/bench/tern-dm

$(BUILD)/bench/dm/%.o: dm/%.c $(DM_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(WARN) -O2 -g -D_GNU_SOURCE -Idm -c $< -o $@

$(BENCH_DM): $(BENCH_DM_OBJS)
	$(Q)$(CC) $^ -o $@

$(BUILD)/bench/bin/wall_%: harness/bench/wall_%.c $(SCN_SRCS) $(PROC_SRCS) $(wildcard harness/scenario/*.h) $(BENCH_OBJS) $(BENCH_DM)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(BENCH_CFLAGS) -Iharness/scenario -Iharness/proc -DTERN_DM_BIN='"$(abspath $(BENCH_DM))"' \
		$< $(SCN_SRCS) harness/proc/child.c $(BENCH_OBJS) -o $@

bench: deps $(BENCH_BINS) $(WALL_BINS)
	@BUILD=$(BUILD) sh harness/run_bench.sh $(BENCH_BINS)
	@for w in $(WALL_BINS); do nice -n 0 $$w || exit 1; done

# ---- fuzzing (clang + libFuzzer) ----------------------------------------------
$(BUILD)/fuzz/%.o: %.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(BUILD)/fuzz/dm/%.o: dm/%.c $(DM_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Idm -c $< -o $@

# tern-dm's decoding and command line: dm/ objects only.
$(BUILD)/fuzz/bin/fuzz_dm: harness/fuzz/fuzz_dm.c harness/dm/rec_hsm.c harness/dm/rec_hsm.h $(FUZZ_DM_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Idm -Iharness/dm -fsanitize=fuzzer $< harness/dm/rec_hsm.c $(FUZZ_DM_OBJS) -o $@

$(BUILD)/fuzz/bin/%: harness/fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) -o $@

fuzz: deps $(FUZZ_BINS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) BUILD=$(BUILD) sh harness/run_fuzz.sh $(FUZZ_BINS)

# ---- packages -------------------------------------------------------------------
deps:
	@sh harness/deps.sh

clean:
	rm -rf $(BUILD)
