#!/bin/sh
# Fuzz smoke: every libFuzzer target (harness/fuzz/fuzz_*.c, built by make
# test) runs FUZZ_SMOKE_RUNS inputs from a fixed seed, starting from its
# seed corpus (harness/fuzz/corpus/<target>/, when present) in a fresh work
# directory, so the run is the same every time. A target that does not
# build, crashes, or trips a sanitizer or one of its own invariants fails
# the suite. The long, time-bounded runs are `make fuzz`.
set -u
BUILD=${BUILD:-build}
runs=${FUZZ_SMOKE_RUNS:-1000}
passed=0
failed=0
for src in harness/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	bin="$BUILD/fuzz/bin/$name"
	if [ ! -x "$bin" ]; then
		echo "FAIL: $bin was not built"
		failed=$((failed + 1))
		continue
	fi
	work="$BUILD/fuzz/smoke/$name"
	rm -rf "$work"
	mkdir -p "$work"
	seeds=""
	[ -d "harness/fuzz/corpus/$name" ] && seeds="harness/fuzz/corpus/$name"
	log="$BUILD/fuzz/smoke/$name.log"
	if "$bin" -seed=1 -runs="$runs" -print_final_stats=1 "$work" $seeds >"$log" 2>&1; then
		units=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}')
		echo "$name: ${units:-?} inputs, no finding"
		passed=$((passed + 1))
	else
		echo "FAIL: $name found something (seed 1): $log"
		tail -n 20 "$log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
echo "suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
