#!/bin/sh
# Boot tests (harness/boot/test_boot.py): the test guest alone on Bochs and
# QEMU, and, where platform/x86 is in the tree, the real image running the
# guest on Bochs and refusing on QEMU. Builds what it boots. A missing tool
# or image is a failure. Ends with "suite: N passed, N failed".
# The Tern boot records its exits (a TERN_RECORD=1 image) and the suite
# replays them; BOOT_RECORD=0 boots the plain image instead.
set -u
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
fail() {
	echo "FAIL: boot suite: $*"
	echo "suite: 0 passed, 1 failed"
	exit 1
}

for t in bochs qemu-system-x86_64 grub-mkrescue xorriso mkfs.vfat mcopy sbsign; do
	command -v "$t" >/dev/null 2>&1 || fail "$t is not installed (make deps)"
done
PY=""
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import pytest' >/dev/null 2>&1; then PY=$p; break; fi
done
[ -n "$PY" ] || fail "no python3 with pytest (make deps installs python3-pytest)"

# By default boot a recording image (TERN_RECORD=1) and replay its trace.
targets="guests guest-iso"
[ -f platform/x86/x86.mk ] && targets="$targets iso efi efi-tools efi-esp efi-grub guest-pe"
record=""
[ "${BOOT_RECORD:-1}" = 1 ] && record="TERN_RECORD=1"
if ! out=$($MAKE --no-print-directory BUILD="$BUILD" $record $targets 2>&1); then
	echo "$out" | tail -n 30
	fail "could not build $targets"
fi

mkdir -p "$BUILD/boot"
rm -f "$BUILD/boot/timings.json"
junit="$BUILD/boot/junit.xml"
BUILD="$BUILD" nice "$PY" -m pytest -q -rfs -p no:cacheprovider --junitxml="$junit" \
	harness/boot/test_boot.py harness/boot/test_efi.py harness/boot/test_grub_efi.py 2>&1 | grep -v '^$'
[ -f "$junit" ] || fail "pytest wrote no results"
"$PY" - "$junit" "$BUILD/boot/timings.json" <<'PYEOF'
import json, os, sys
import xml.etree.ElementTree as ET
passed = failed = 0
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    name = case.get("name")
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
    elif case.find("skipped") is not None:
        print("SKIP: %s (%s)" % (name, case.find("skipped").get("message", "")))
    else:
        passed += 1
if os.path.exists(sys.argv[2]):
    t = json.load(open(sys.argv[2]))
    print("timings: " + ", ".join("%s=%s" % (k, round(v, 2) if isinstance(v, float) else v)
                                  for k, v in sorted(t.items())))
print("suite: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PYEOF
