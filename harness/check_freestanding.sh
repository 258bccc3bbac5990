#!/bin/sh
# core/ may include only its own headers ("x.h" naming a file in core/) and
# the freestanding C headers. Anything else fails the build.
set -u
dir=${1:-core}
status=0
for f in "$dir"/*.c "$dir"/*.h; do
	[ -e "$f" ] || continue
	grep -nE '^[[:space:]]*#[[:space:]]*include' "$f" | while IFS= read -r line; do
		inc=$(printf '%s' "$line" | sed -E 's/^[0-9]+:[[:space:]]*#[[:space:]]*include[[:space:]]*//')
		case "$inc" in
		"<stdint.h>"*|"<stddef.h>"*|"<stdbool.h>"*|"<stdarg.h>"*|"<limits.h>"*) ;;
		\"*\"*)
			name=$(printf '%s' "$inc" | sed -E 's/^"([^"]*)".*/\1/')
			case "$name" in */*) echo "$f:${line%%:*}: core/ includes $name (a path outside core/)"; exit 1 ;; esac
			[ -f "$dir/$name" ] || { echo "$f:${line%%:*}: core/ includes \"$name\", which is not a core/ header"; exit 1; } ;;
		*) echo "$f:${line%%:*}: core/ includes $inc: only core headers and stdint/stddef/stdbool/stdarg/limits are allowed"; exit 1 ;;
		esac
	done || status=1
done
exit $status
