#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Make an EFI System Partition disk image: an MBR with one partition of type
0xEF at 1 MiB, formatted FAT16 by mkfs.vfat, files copied in by mtools.

    make_esp.py OUT.img [--size-mib N] DEST=SRC ...   (DEST like EFI/BOOT/BOOTX64.EFI)
"""
import argparse
import os
import struct
import subprocess
import sys

START_LBA = 2048


def make_esp(out, files, size_mib=32):
    size = size_mib << 20
    sectors = size // 512
    with open(out, "wb") as f:
        f.truncate(size)
        # MBR partition entry 1 (status, CHS first, type, CHS last, LBA start, sectors).
        entry = struct.pack("<B3sB3sII", 0, b"\xfe\xff\xff", 0xEF, b"\xfe\xff\xff",
                            START_LBA, sectors - START_LBA)
        f.seek(446)
        f.write(entry)
        f.seek(510)
        f.write(b"\x55\xaa")
    kib = (sectors - START_LBA) // 2
    subprocess.run(["mkfs.vfat", "-F", "16", "--offset=%d" % START_LBA, "-n", "TERNESP", out, str(kib)],
                   check=True, capture_output=True)
    img = "%s@@%d" % (out, START_LBA * 512)
    made = set()
    for dest, src in files:
        parts = dest.strip("/").split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in made:
                subprocess.run(["mmd", "-i", img, "::/" + d], check=True, capture_output=True)
                made.add(d)
        subprocess.run(["mcopy", "-o", "-i", img, src, "::/" + "/".join(parts)], check=True,
                       capture_output=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--size-mib", type=int, default=32)
    ap.add_argument("files", nargs="+", help="DEST=SRC")
    a = ap.parse_args()
    make_esp(a.out, [tuple(x.split("=", 1)) for x in a.files], a.size_mib)
    return 0


if __name__ == "__main__":
    sys.exit(main())
