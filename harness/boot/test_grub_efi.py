# SPDX-License-Identifier: BSD-3-Clause
"""Boot tests of the GRUB EFI way in (docs/boot.md): GRUB's x86_64-efi image loads tern.elf by
multiboot2 with the test guest as its module, from an ESP (`make efi-grub`,
$(BUILD)/efi/esp-grub.img). GRUB exits boot services and hands over the EFI system table, the
EFI memory map and the RSDP as multiboot2 tags.

  - Bochs with Debian's 2 MiB OVMF as its ROM: to the test guest's SUMMARY, every check as
    under the GRUB ISO (the same grub-tern.cfg, so the second module and the long command line
    arrive too);
  - QEMU + OVMF (no Secure Boot; TCG has no VMX) with 6 GiB: Tern's start, the UEFI line, the
    memory map with what lies above 4 GiB counted as usable, then its clean VMX refusal.
Run through harness/suites/boot.sh (it builds `efi-grub` first).
"""
import os
import re
import shutil

from test_boot import (BUILD, TERN_LINES, TERN_SKIPS, TERN_SMP_LINES, assert_guest_results,
                       assert_high_memory, need, need_tools, record_timing, split_console,
                       tern_errors, tern_expected)
from test_efi import bochs_efi, in_order, qemu_efi

ESP_GRUB = os.path.join(BUILD, "efi", "esp-grub.img")
OVMF_CODE_PLAIN = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS_EMPTY = "/usr/share/OVMF/OVMF_VARS_4M.fd"
# What Tern says right after its first line on this path (main.c x86_main).
UEFI_LINES = [
    r"^tern: Tern x86 image starting$",
    r"^tern: multiboot2 from GRUB [^,]*, cmdline \"trace=e9 triple_fault=reset\", 2 module\(s\), "
    r"[1-9]\d* memory region\(s\)$",
    r"^tern: UEFI firmware: EFI system table 0x[0-9a-f]+, boot services exited by the loader, "
    r"EFI memory map of [1-9]\d* descriptor\(s\), ACPI RSDP 0x[0-9a-f]+$",
]


def test_bochs_grub_efi_boots_testguest():
    """Bochs + OVMF -> GRUB (x86_64-efi) -> tern.elf (multiboot2) -> the test guest's SUMMARY."""
    res = bochs_efi(ESP_GRUB, "efi-grub", "grub-efi-bochs", r"^tern: ")
    record_timing("bochs_grub_efi_first_tern_s", res.mark_s)
    record_timing("bochs_grub_efi_summary_s", res.summary_s)
    com1 = split_console(res.com1)[0]
    bad = tern_errors(com1)
    assert not bad, "Tern reported:\n" + "\n".join(bad) + "\n--- COM1 tail:\n" + com1[-3000:]
    in_order(com1, UEFI_LINES)
    # One CPU, and the ESP's grub.cfg is grub-tern.cfg without vcpus=3 smp=1 (efi.mk): one vCPU.
    in_order(com1, [l.replace(" smp=1", "") for l in TERN_LINES if l not in TERN_SMP_LINES])
    assert_guest_results(com1, tern_expected(), TERN_SKIPS)


def test_qemu_grub_efi_refuses_vmx():
    """QEMU + OVMF -> GRUB -> tern.elf: Tern starts on the UEFI tags, then refuses (no VMX in
    TCG) and powers off through isa-debug-exit (status 2*2+1)."""
    need_tools("qemu-system-x86_64")
    for path in (OVMF_CODE_PLAIN, OVMF_VARS_EMPTY):
        need(path, "make deps (ovmf)")
    need(ESP_GRUB, "make efi-grub")
    d = os.path.join(BUILD, "boot", "grub-efi-qemu")
    os.makedirs(d, exist_ok=True)
    disk = os.path.join(d, "esp.img")
    shutil.copyfile(ESP_GRUB, disk)
    text, how, first, total = qemu_efi(None, OVMF_VARS_EMPTY, "grub-efi", r"^tern: power off",
                                       code=OVMF_CODE_PLAIN, disk=disk, mem="6G")
    in_order(text, UEFI_LINES + [
        r"^tern:   mem 0000000000100000-[0-9a-f]{16} type 1$",
        r"^tern:   module [0-9a-f]+-[0-9a-f]+ \"testguest triple-fault-resets irq=1 pad=",
        r"^tern: REFUSED: Tern needs VMX with EPT and unrestricted guest: "
        r"this CPU has no VMX \(CPUID\.1:ECX\.VMX\[bit 5\] = 0\)$",
        r"^tern: power off \(code 2\)$",
    ])
    assert_high_memory(text, 2048)
    assert "VMXON" not in text, text[-2000:]
    assert how == "exited rc=5", "QEMU %s, want exit status 5 (debug-exit value 2)" % how
    record_timing("qemu_grub_efi_first_tern_s", first)
