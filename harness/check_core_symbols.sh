#!/bin/sh
# The freestanding core object may depend on nothing but the platform
# interface (plat_*) and the memory routines GCC emits calls to.
set -u
obj=$1
bad=$(nm -u "$obj" | awk '{print $2}' | grep -vE '^(plat_[a-z0-9_]+|memcpy|memset|memmove|memcmp)$')
if [ -n "$bad" ]; then
	echo "core/ (freestanding) uses symbols outside the platform interface:" >&2
	echo "$bad" | sed 's/^/  /' >&2
	exit 1
fi
