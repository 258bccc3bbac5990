#!/bin/sh
# Short libFuzzer runs: each target for FUZZ_SECONDS, seeded from
# harness/fuzz/corpus/<target>/ when present.
set -u
BUILD=${BUILD:-build}
secs=${FUZZ_SECONDS:-20}
status=0
for bin in "$@"; do
	name=$(basename "$bin")
	work="$BUILD/fuzz/corpus/$name"
	mkdir -p "$work"
	seeds=""
	[ -d "harness/fuzz/corpus/$name" ] && seeds="harness/fuzz/corpus/$name"
	echo "== $name ($secs s) =="
	if "$bin" -max_total_time="$secs" -print_final_stats=1 "$work" $seeds >"$BUILD/fuzz/$name.log" 2>&1; then
		grep -E 'stat::number_of_executed_units|stat::new_units_added' "$BUILD/fuzz/$name.log" | sed 's/^/  /'
	else
		echo "  FINDING: see $BUILD/fuzz/$name.log"; tail -n 30 "$BUILD/fuzz/$name.log"; status=1
	fi
done
exit $status
