#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the ACPI MADT of the Bochs machine the GRUB EFI test boots, for GRUB's `acpi` command.

OVMF on Bochs installs no ACPI tables (OVMF builds them from QEMU's fw_cfg, which Bochs does not
have; on a BIOS boot Bochs's own BIOS writes them), so nothing there tells a kernel how many CPUs
the machine has. The Bochs ESP's grub.cfg loads this table with `acpi --no-ebda`, which builds an
RSDP and an XSDT around it, installs them in the EFI configuration table and so passes them to
tern.elf in the multiboot2 ACPI tag, as firmware tables reach it on a real UEFI machine. The table
describes what bochsrc-efi.txt emulates: N local APICs with IDs 0..N-1 at 0xFEE00000 (Bochs numbers
its CPUs so), the I/O APIC at 0xFEC00000 with ID N and GSI base 0 (Bochs's BIOS gives it the ID after
the CPUs), ISA IRQ 0 on GSI 2 (the PIT's usual override) and the dual 8259s (PCAT_COMPAT).
ACPI 6.5 5.2.6 (header), 5.2.12 (MADT) and its entry types 0, 1 and 2.

    make_madt.py OUT [--cpus N]
"""
import argparse
import struct

LAPIC_BASE = 0xFEE00000
IOAPIC_BASE = 0xFEC00000
PCAT_COMPAT = 1
ENABLED = 1


def madt(cpus):
    body = struct.pack("<II", LAPIC_BASE, PCAT_COMPAT)
    for i in range(cpus):
        # Processor Local APIC: type 0, length 8, ACPI processor UID, APIC ID, flags.
        body += struct.pack("<BBBBI", 0, 8, i, i, ENABLED)
    # I/O APIC: type 1, length 12, ID, reserved, address, GSI base.
    body += struct.pack("<BBBBII", 1, 12, cpus, 0, IOAPIC_BASE, 0)
    # Interrupt Source Override: type 2, length 10, bus 0 (ISA), IRQ 0, GSI 2, flags 0 (bus default).
    body += struct.pack("<BBBBIH", 2, 10, 0, 0, 2, 0)
    length = 36 + len(body)
    # Header: signature, length, revision 5, checksum (filled below), OEM ID, OEM table ID, OEM revision, creator ID, creator revision.
    hdr = struct.pack("<4sIBB6s8sI4sI", b"APIC", length, 5, 0, b"TERN  ", b"BOCHSEFI", 1,
                      b"TERN", 1)
    table = bytearray(hdr + body)
    table[9] = (-sum(table)) & 0xFF
    return bytes(table)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--cpus", type=int, default=2)
    a = ap.parse_args()
    with open(a.out, "wb") as f:
        f.write(madt(a.cpus))


if __name__ == "__main__":
    main()
