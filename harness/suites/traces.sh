#!/bin/sh
# Trace replays: every trace in traces/ (and traces/recorded/) must reproduce
# with zero mismatches; every trace in traces/mismatch/ (a copy with a
# deliberately wrong expectation) must fail with exit status 1 and print
# exactly its .out file (the mismatch lines naming entry and field); every
# malformed trace in traces/malformed/ must fail
# with exactly the one-line error in its .err file, exit status 2, and no
# sanitizer report.
set -u
BUILD=${BUILD:-build}
sim="$BUILD/host/tern-sim"
passed=0
failed=0
[ -x "$sim" ] || { echo "no $sim: build it with make"; echo "suite: 0 passed, 1 failed"; exit 1; }
sim_abs="$(cd "$(dirname "$sim")" && pwd)/tern-sim"

for t in traces/*.trace traces/recorded/*.trace traces/recorded/*.bin; do
	[ -f "$t" ] || continue
	if out=$("$sim" --quiet "$t" 2>&1); then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: replay $t"
		echo "$out" | head -n 20 | sed 's/^/    /'
	fi
done
echo "replayed: $passed traces reproduced, $failed did not"

# The binary form holds the same content: every hand-written trace,
# converted with tern-trace, replays as well (several VMs and async records too).
conv="$BUILD/host/tern-trace"
bp=0
tmpbin=$(mktemp /tmp/tern-trace-bin.XXXXXX)
for t in traces/*.trace; do
	[ -f "$t" ] || continue
	out="tern-trace could not convert it"
	if "$conv" bin "$t" "$tmpbin" >/dev/null 2>&1 && out=$("$sim" --quiet "$tmpbin" 2>&1); then
		passed=$((passed + 1)); bp=$((bp + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: binary form of $t"
		echo "$out" | head -n 10 | sed 's/^/    /'
	fi
done
rm -f "$tmpbin"
echo "binary: $bp converted traces reproduced"

xp=0
for t in traces/mismatch/*.trace; do
	[ -f "$t" ] || continue
	want=$(cat "${t%.trace}.out")
	got=$(cd traces/mismatch && "$sim_abs" "$(basename "$t")" 2>/dev/null)
	rc=$?
	if [ "$rc" -eq 1 ] && [ "$got" = "$want" ]; then
		passed=$((passed + 1)); xp=$((xp + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: mismatch $t (exit $rc)"
		echo "    expected: $want" | head -n 10
		echo "    actual:   $got" | head -n 10
	fi
done
echo "mismatch: $xp wrong expectations reported as expected"

mp=0
for t in traces/malformed/*.trace; do
	[ -f "$t" ] || continue
	want=$(cat "${t%.trace}.err")
	got=$(cd traces/malformed && "$sim_abs" "$(basename "$t")" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$got" = "$want" ]; then
		passed=$((passed + 1)); mp=$((mp + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: malformed $t (exit $rc)"
		echo "    expected: $want"
		echo "    actual:   $got" | head -n 10
	fi
done
echo "malformed: $mp rejected with the expected error"
echo "suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
