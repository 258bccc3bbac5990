# SPDX-License-Identifier: BSD-3-Clause
"""Boot tests of the GRUB EFI way in (docs/boot.md): GRUB's x86_64-efi image loads tern.elf by
multiboot2 with the test guest as its module, from an ESP (`make efi-grub`). GRUB exits boot
services and hands over the EFI system table, the EFI memory map and the RSDP as multiboot2 tags.

  - Bochs (two CPUs) with Debian's 2 MiB OVMF as its ROM, $(BUILD)/efi/esp-grub-bochs.img: OVMF
    has no ACPI tables there (no fw_cfg), so the ESP's GRUB installs the Bochs machine's MADT with
    its acpi command first; to the test guest's SUMMARY on both pCPUs, every check as under the
    GRUB ISO (the same grub-tern.cfg: vcpus=3 smp=1, the second module, the long command line);
  - QEMU + OVMF (no Secure Boot; TCG has no VMX) with 6 GiB and -smp 2, $(BUILD)/efi/esp-grub.img
    (grub-tern.cfg alone; the firmware's own tables): Tern's start, the UEFI line, the memory map
    with what lies above 4 GiB counted as usable, both CPUs of QEMU's MADT, then its clean VMX
    refusal.
Run through harness/suites/boot.sh (it builds `efi-grub` first).
"""
import os
import re
import shutil

from test_boot import (BUILD, TERN_LINES, TERN_SKIPS, assert_guest_results, assert_high_memory,
                       assert_tern_smp, need, need_tools, record_timing, results, split_console,
                       tern_errors, tern_expected)
from test_efi import bochs_efi, in_order, qemu_efi

ESP_GRUB = os.path.join(BUILD, "efi", "esp-grub.img")
ESP_GRUB_BOCHS = os.path.join(BUILD, "efi", "esp-grub-bochs.img")
OVMF_CODE_PLAIN = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS_EMPTY = "/usr/share/OVMF/OVMF_VARS_4M.fd"
# What Tern says right after its first line on this path (main.c x86_main).
UEFI_LINES = [
    r"^tern: Tern x86 image starting$",
    r"^tern: multiboot2 from GRUB [^,]*, cmdline \"trace=e9 triple_fault=reset vcpus=3\", 2 module\(s\), "
    r"[1-9]\d* memory region\(s\)$",
    r"^tern: UEFI firmware: EFI system table 0x[0-9a-f]+, boot services exited by the loader, "
    r"EFI memory map of [1-9]\d* descriptor\(s\), ACPI RSDP 0x[1-9a-f][0-9a-f]*$",
    # GRUB's ACPI tag (multiboot2 tag 15 or 14) gives it on both machines.
    r"^tern: ACPI RSDP at 0x[1-9a-f][0-9a-f]* \(from the loader\)$",
    r"^tern: 8259 PICs present \(MADT PCAT_COMPAT\); console COM1 at I/O port 0x3f8$",
]


# The host's CPUs as the MADT lists them (main.c host_acpi_init): two, on both machines.
MADT_2CPU_LINES = [
    r"^tern: ACPI: RSDP 0x[0-9a-f]+, MADT: 2 CPU\(s\), 0 disabled, local APIC at 0xfee00000, "
    r"PCAT_COMPAT \(8259s present\)$",
    r"^tern:   cpu APIC ID 0 \(ACPI UID 0\)$",
    r"^tern:   cpu APIC ID 1 \(ACPI UID 1\)$",
]


def test_bochs_grub_efi_boots_testguest():
    """Bochs (two CPUs) + OVMF -> GRUB (x86_64-efi, the MADT installed by its acpi command) ->
    tern.elf (multiboot2) -> the test guest's SUMMARY, Tern on both pCPUs."""
    res = bochs_efi(ESP_GRUB_BOCHS, "efi-grub", "grub-efi-bochs", r"^tern: ", cpus=2)
    record_timing("bochs_grub_efi_first_tern_s", res.mark_s)
    record_timing("bochs_grub_efi_summary_s", res.summary_s)
    com1 = split_console(res.com1)[0]
    bad = tern_errors(com1)
    assert not bad, "Tern reported:\n" + "\n".join(bad) + "\n--- COM1 tail:\n" + com1[-3000:]
    # The RSDP from GRUB's tag: the tables its acpi command built around the MADT.
    in_order(com1, UEFI_LINES + MADT_2CPU_LINES)
    # grub-tern.cfg as on the ISO: vcpus=3 smp=1, the AP online, every line of the ISO boot.
    in_order(com1, TERN_LINES)
    assert_guest_results(com1, tern_expected(smp=True), TERN_SKIPS)
    got = results(com1)
    for name in ("multiboot.module", "multiboot.long-cmdline"):
        assert got[name][0] == "PASS", "%s: %s %s" % (name, got[name][0], got[name][1])
    assert_tern_smp(com1)
    where = "\n".join(l for l in com1.splitlines() if "pCPU" in l or "online" in l)
    assert re.search(r"^tern: vm0 vcpu1 runs on pCPU1$", com1, re.M), where
    assert re.search(r"^tern: vm0 vcpu2 runs on pCPU0$", com1, re.M), where


def test_qemu_grub_efi_refuses_vmx():
    """QEMU (-smp 2) + OVMF -> GRUB -> tern.elf: Tern starts on the UEFI tags, finds both CPUs in
    the firmware's MADT (GRUB's ACPI tag), then refuses (no VMX in TCG) and powers off through
    isa-debug-exit (status 2*2+1)."""
    need_tools("qemu-system-x86_64")
    for path in (OVMF_CODE_PLAIN, OVMF_VARS_EMPTY):
        need(path, "make deps (ovmf)")
    need(ESP_GRUB, "make efi-grub")
    d = os.path.join(BUILD, "boot", "grub-efi-qemu")
    os.makedirs(d, exist_ok=True)
    disk = os.path.join(d, "esp.img")
    shutil.copyfile(ESP_GRUB, disk)
    text, how, first, total = qemu_efi(None, OVMF_VARS_EMPTY, "grub-efi", r"^tern: power off",
                                       code=OVMF_CODE_PLAIN, disk=disk, mem="6G",
                                       extra=("-smp", "2"))
    in_order(text, UEFI_LINES + [
        r"^tern:   mem 0000000000100000-[0-9a-f]{16} type 1$",
        r"^tern:   module [0-9a-f]+-[0-9a-f]+ \"testguest triple-fault-resets irq=1 smp=1 pad=",
    ] + MADT_2CPU_LINES + [
        r"^tern: REFUSED: Tern needs VMX with EPT and unrestricted guest: "
        r"this CPU has no VMX \(CPUID\.1:ECX\.VMX\[bit 5\] = 0\)$",
        r"^tern: power off \(code 2\)$",
    ])
    assert_high_memory(text, 2048)
    assert "VMXON" not in text, text[-2000:]
    assert how == "exited rc=5", "QEMU %s, want exit status 5 (debug-exit value 2)" % how
    record_timing("qemu_grub_efi_first_tern_s", first)
