#!/bin/sh
# Coverage of core/ (lcov, line and branch) against coverage/thresholds, and of
# dm/ against coverage/thresholds-dm;
# writes the HTML reports to $BUILD/coverage/html and html-dm.
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
core_ok=0
awk -v l="$lines" -v b="$branches" -v ml="$min_lines" -v mb="$min_branches" \
	'BEGIN { exit !(l + 0 >= ml + 0 && b + 0 >= mb + 0) }' || core_ok=1

# dm/ (tern-dm, its unit and process tests) against coverage/thresholds-dm.
dm_ok=0
if [ -f coverage/thresholds-dm ] && ls "$BUILD"/host/dm/*.gcno >/dev/null 2>&1; then
	for g in "$BUILD"/host/dm/*.gcno; do
		src="dm/$(basename "$g" .gcno).c"
		[ -f "$src" ] || rm -f "$g" "${g%.gcno}.gcda" "${g%.gcno}.o"
	done
	lcov -q $RC --capture --directory "$BUILD/host/dm" --base-directory . \
		--output-file "$out/dm-all.info" >>"$out/lcov.log" 2>&1 || { cat "$out/lcov.log"; exit 1; }
	lcov -q $RC --extract "$out/dm-all.info" "*/dm/*" --output-file "$out/dm.info" >>"$out/lcov.log" 2>&1 || { cat "$out/lcov.log"; exit 1; }
	genhtml -q $RC "$out/dm.info" --output-directory "$out/html-dm" >>"$out/lcov.log" 2>&1 || true
	summary=$(lcov $RC --summary "$out/dm.info" 2>&1)
	dl=$(echo "$summary" | sed -nE 's/.*lines\.*: ([0-9.]+)%.*/\1/p')
	db=$(echo "$summary" | sed -nE 's/.*branches\.*: ([0-9.]+)%.*/\1/p')
	dl=${dl:-0}; db=${db:-0}
	mdl=$(awk '$1=="lines"{print $2}' coverage/thresholds-dm)
	mdb=$(awk '$1=="branches"{print $2}' coverage/thresholds-dm)
	echo "dm/ lines:      $dl% (threshold $mdl%)"
	echo "dm/ branches:   $db% (threshold $mdb%)"
	awk -v l="$dl" -v b="$db" -v ml="$mdl" -v mb="$mdb" \
		'BEGIN { exit !(l + 0 >= ml + 0 && b + 0 >= mb + 0) }' || dm_ok=1
fi
[ "$core_ok" -eq 0 ] && [ "$dm_ok" -eq 0 ]
