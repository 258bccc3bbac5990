#!/bin/sh
# Coverage of core/ (lcov, line and branch) against coverage/thresholds;
# writes the HTML report to $BUILD/coverage/html.
set -u
BUILD=${1:-build}
out="$BUILD/coverage"
mkdir -p "$out"
# Objects whose source left core/ (a renamed or removed file) must not count.
for g in "$BUILD"/host/core/*.gcno; do
	[ -e "$g" ] || continue
	src="core/$(basename "$g" .gcno).c"
	[ -f "$src" ] || rm -f "$g" "${g%.gcno}.gcda" "${g%.gcno}.o"
done
RC="--rc lcov_branch_coverage=1"
lcov -q $RC --capture --directory "$BUILD/host/core" --base-directory . \
	--output-file "$out/all.info" >"$out/lcov.log" 2>&1 || { cat "$out/lcov.log"; exit 1; }
lcov -q $RC --extract "$out/all.info" "*/core/*" --output-file "$out/core.info" >>"$out/lcov.log" 2>&1 || { cat "$out/lcov.log"; exit 1; }
genhtml -q $RC "$out/core.info" --output-directory "$out/html" >>"$out/lcov.log" 2>&1 || true
summary=$(lcov $RC --summary "$out/core.info" 2>&1)
lines=$(echo "$summary" | sed -nE 's/.*lines\.*: ([0-9.]+)%.*/\1/p')
branches=$(echo "$summary" | sed -nE 's/.*branches\.*: ([0-9.]+)%.*/\1/p')
lines=${lines:-0}; branches=${branches:-0}
min_lines=$(awk '$1=="lines"{print $2}' coverage/thresholds)
min_branches=$(awk '$1=="branches"{print $2}' coverage/thresholds)
echo "core/ lines:    $lines% (threshold $min_lines%)"
echo "core/ branches: $branches% (threshold $min_branches%)"
echo "report: $out/html/index.html"
awk -v l="$lines" -v b="$branches" -v ml="$min_lines" -v mb="$min_branches" \
	'BEGIN { exit !(l + 0 >= ml + 0 && b + 0 >= mb + 0) }'
