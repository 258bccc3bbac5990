#!/bin/sh
# Mutation check: change one line of logic at a time in a scratch worktree
# and run the suite; every mutant must make `make test` fail. Prints one
# verdict per mutant. harness/mutants.txt has a mutant a line:
#   file|exact line                      the line is deleted
#   file|exact line|->|replacement       the line is replaced (an operator
#                                        changed, a condition made false)
set -u
top=$(git rev-parse --show-toplevel)
scratch=$(mktemp -d /tmp/tern-mutants.XXXXXX)
git -C "$top" worktree add -q --detach "$scratch" HEAD || exit 1
trap 'git -C "$top" worktree remove --force "$scratch"' EXIT
survived=0
while IFS='|' read -r file line; do
	[ -n "$file" ] || continue
	cp "$scratch/$file" "$scratch/$file.orig"
	python3 - "$scratch/$file" "$line" <<'PY' || { echo "mutant not found: $file: $line"; survived=$((survived + 1)); continue; }
import sys
path, line = sys.argv[1], sys.argv[2]
repl = None
if "|->|" in line:
    line, repl = line.split("|->|", 1)
s = open(path).read()
if line + "\n" not in s:
    sys.exit(1)
i = s.index(line + "\n")
end = i + len(line) + 1
if repl is not None:
    open(path, "w").write(s[:i] + repl + "\n" + s[end:])
    sys.exit(0)
if line.rstrip().endswith(","):          # a call continued on the next line
    end = s.index("\n", end) + 1
open(path, "w").write(s[:i] + s[end:])
PY
	# The boot suite takes minutes and judges the image, not these lines: skipped here.
	if (cd "$scratch" && TERN_SKIP_SUITES=boot make test BUILD="$scratch/build" >/dev/null 2>&1); then
		echo "SURVIVED: $file: $line"
		survived=$((survived + 1))
	else
		echo "killed:   $file: $(echo "$line" | sed 's/^[[:space:]]*//')"
	fi
	mv "$scratch/$file.orig" "$scratch/$file"
done < "$top/harness/mutants.txt"
echo "$survived mutant(s) survived"
[ "$survived" -eq 0 ]
