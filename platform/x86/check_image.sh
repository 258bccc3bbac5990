#!/bin/sh
# The image must carry a multiboot2 header in its first 32 KiB and a
# multiboot1 header in its first 8 KiB (the loaders search only there),
# and its entry point must be below 4 GiB (GRUB refuses others).
set -u
img=$1
head -c 32768 "$img" | od -An -tx4 -v -w4 | grep -q 'e85250d6' || { echo "$img: no multiboot2 header in the first 32 KiB" >&2; exit 1; }
head -c 8192 "$img" | od -An -tx4 -v -w4 | grep -q '1badb002' || { echo "$img: no multiboot1 header in the first 8 KiB" >&2; exit 1; }
entry=$(readelf -h "$img" | awk '/Entry point/ {print $4}')
[ $((entry)) -lt $((0x100000000)) ] || { echo "$img: entry $entry above 4 GiB" >&2; exit 1; }
