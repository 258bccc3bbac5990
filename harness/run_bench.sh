#!/bin/sh
# Run each bench binary under callgrind; for every announced case print the
# instructions per operation against its target.
set -u
BUILD=${BUILD:-build}
out="$BUILD/bench/callgrind"
mkdir -p "$out"
printf '%-44s %12s %8s  %s\n' "case" "instr/op" "target" "verdict"
for bin in "$@"; do
	name=$(basename "$bin")
	cg="$out/$name.out"
	log=$(valgrind --tool=callgrind --callgrind-out-file="$cg" "$bin" 2>"$out/$name.log") || {
		echo "$name: failed"; cat "$out/$name.log"; exit 1; }
	ann=$(callgrind_annotate --inclusive=yes --threshold=100 "$cg" 2>/dev/null)
	echo "$log" | grep -a '^figure: ' | sed "s/^figure: /$name: /"
	echo "$log" | grep -a '^bench-case ' | while read -r _ fn iters target what; do
		ir=$(echo "$ann" | grep -aE "[:( ]$fn( |\$|\[)" | head -n 1 | awk '{gsub(",","",$1); print $1}')
		[ -n "$ir" ] || { printf '%-44s %12s\n' "$what" "not found"; continue; }
		per=$(awk -v a="$ir" -v n="$iters" 'BEGIN { printf "%.0f", a / n }')
		if [ "$target" -gt 0 ]; then
			verdict=$(awk -v p="$per" -v t="$target" 'BEGIN { print (p <= t) ? "met" : "MISSED" }')
		else
			target="-"; verdict=""
		fi
		printf '%-44s %12s %8s  %s\n' "$what" "$per" "$target" "$verdict"
	done
done
