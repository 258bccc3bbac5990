# SPDX-License-Identifier: BSD-3-Clause
"""Boot tests: the real image on Bochs with the test guest, the guest alone
on Bochs and QEMU, and the image's refusal on QEMU (no VMX under TCG).

Run through harness/suites/boot.sh (make test), or directly:
    BUILD=build python3 -m pytest -v harness/boot/test_boot.py
The ISOs and ELFs must be built first (boot.sh runs `make guests guest-iso iso`).
A missing tool or image is a failure, never a skip: a boot test that cannot
run has not passed. The one exception is a tree without platform/x86 at all,
where the Tern image tests are skipped by name (see docs/boot.md).
"""
import glob
import json
import os
import re
import shutil
import subprocess
import time

import pytest

import bochs_run

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
GUEST_SRC = os.path.join(ROOT, "harness", "guests", "testguest")
UVM_SRC = os.path.join(ROOT, "harness", "guests", "uvm")
TERN_ISO = os.path.join(BUILD, "tern.iso")
GUEST_ISO = os.path.join(BUILD, "testguest.iso")
GUEST_ELF = os.path.join(BUILD, "guests", "testguest.elf")
TIMEOUT = float(os.environ.get("BOOT_TIMEOUT", 90))
HAVE_X86 = os.path.exists(os.path.join(ROOT, "platform", "x86", "x86.mk"))

RESULT_RE = re.compile(r"^(PASS|FAIL|SKIP): (\S+)(?: \((.*)\))?$", re.M)
GROUPS = ("multiboot|cpuid|pio|strio|msr|cr4|cr8|intercept|fault|mmio|hcall|hlt|reset|step|uvm|"
          "lapic|x2apic|timer|pic|pit|rtc|ioapic|smp")
# Groups the guest runs only when its command line asks (docs/testguest.md): irq=1 and smp=1.
# grub-guest.cfg, the QEMU run and grub-tern.cfg (with vcpus=3 for Tern; the GRUB ISO and the GRUB
# EFI ESPs) ask for both; tern.efi's command lines ask for irq=1 only, so there the SMP checks are
# not reported.
IRQ_GROUPS = ("lapic", "x2apic", "timer", "pic", "pit", "rtc", "ioapic")
SMP_GROUPS = ("smp",)
NAME_RE = re.compile(r'"((?:%s)\.[a-z0-9-]+)"' % GROUPS)

# Checks that need Tern: natively they must SKIP with this reason.
NOT_TERN = "not under Tern"
TERN_ONLY = {
    "cpuid.vmx-hidden", "cpuid.hypervisor-bit", "cpuid.hv-max-leaf", "cpuid.hv-signature",
    "msr.feature-control-locked-vmx-off", "msr.feature-control-write-gp",
    "hcall.get-api-version", "hcall.preserves-registers", "hcall.unknown-id",
    "hcall.low-byte-only-0x00000000", "hcall.low-byte-only-0x7f000000",
    "hcall.high-bits-0x180000000", "hcall.bad-gpa", "reset.triple-fault",
    "intercept.rdpmc-gp", "intercept.monitor-ud", "intercept.mwait-ud",
    "multiboot.module", "multiboot.long-cmdline", "lapic.virtual-wire-handoff",
}
NATIVE_ONLY = {"mmio.harness-self-check", "mmio.device"}
# Where an emulator itself is not the architecture (docs/testguest.md).
BOCHS_NATIVE_SKIPS = {"cr4.vmxe-gp": "native CPU has VMX"}
BOCHS_NATIVE_SKIPS.update({
    "timer.tsc-deadline-msr-cleared": "Bochs 2.7 keeps the deadline in the MSR",
    "ioapic.level-remote-irr": "Bochs 2.7's IOAPIC does not model remote IRR",
    "x2apic.ldr-derived": "Bochs 2.7 reads the x2APIC LDR as 0",
})
ONE_CPU = "one CPU in the MADT"
BOCHS_1CPU_SKIPS = dict(BOCHS_NATIVE_SKIPS, **{
    n: ONE_CPU for n in ("smp.ap-startup", "smp.ap-apic-id", "smp.ipi-bsp-to-ap", "smp.ipi-ap-to-bsp",
                         "smp.ipi-all-but-self")})
QEMU_NATIVE_SKIPS = {
    "msr.unknown-rdmsr-gp": "QEMU TCG", "msr.unknown-wrmsr-gp": "QEMU TCG",
    "msr.x2apic-802-gp": "QEMU TCG", "msr.tsc-increases": "QEMU TCG",
    "cr4.vmxe-gp": "QEMU 7.2 TCG",
    "cr8.reserved-gp": "QEMU TCG",
    "lapic.svr-disable-masks-lvt": "QEMU TCG", "lapic.svr-disabled-mask-sticks": "QEMU TCG",
    "lapic.esr-illegal-vector": "QEMU TCG",
    # -cpu max under TCG (QEMU 7.2) shows neither: the platform says so in CPUID.
    "timer.tsc-deadline": "CPUID.1:ECX.TSC-deadline = 0",
    "timer.tsc-deadline-once": "CPUID.1:ECX.TSC-deadline = 0",
    "timer.tsc-deadline-msr-cleared": "CPUID.1:ECX.TSC-deadline = 0",
}
# The QEMU run: -smp 2, and the guest's command line asks for every group.
QEMU_GUEST_ARGS = ["-smp", "2", "-append", "irq=1 smp=1"]
# Under Tern, the only SKIPs allowed: what Tern's platform does not give the Service VM yet.
# None: core builds the Service VM's ACPI tables (core/vm_acpi.c), so the IOAPIC checks that need
# the MADT's IOAPIC entry or its PIT override run and PASS.
TERN_SKIPS = {}
# Only grub-tern.cfg gives a second module and a long command line; other Tern boots (EFI) SKIP
# them, and test_tern_runs_guest_on_bochs requires them to PASS.
GRUB_ONLY = {"multiboot.module", "multiboot.long-cmdline"}
TERN_SKIPS_NOT_GRUB = dict(TERN_SKIPS, **{n: "not the GRUB boot test" for n in GRUB_ONLY})

TIMINGS = os.path.join(BUILD, "boot", "timings.json")


def record_timing(key, value):
    os.makedirs(os.path.dirname(TIMINGS), exist_ok=True)
    data = {}
    if os.path.exists(TIMINGS):
        with open(TIMINGS) as f:
            data = json.load(f)
    data[key] = value
    with open(TIMINGS, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)


def source_checks():
    """Every check name the guest's source can print."""
    names = set()
    for path in glob.glob(os.path.join(GUEST_SRC, "*.c")):
        with open(path) as f:
            names.update(NAME_RE.findall(f.read()))
    return names


def gated_checks(groups):
    """The checks of these groups (the ones a command line word turns on)."""
    return {n for n in source_checks() if n.split(".", 1)[0] in groups}


def tern_expected(smp=False):
    """What a Tern boot reports: irq=1 on the guest's command line, and with smp=True (the GRUB
    boots, grub-tern.cfg's vcpus=3 smp=1) the SMP checks too."""
    return source_checks() - NATIVE_ONLY - (set() if smp else gated_checks(SMP_GROUPS))


# grub-tern.cfg's vcpus=3 on the two Bochs CPUs of the ISO boots: vCPU 1 on pCPU1, vCPUs 0 and 2
# share pCPU0 (sched_vcpu_pcpu: vCPU i on pCPU i mod 2).
TERN_ISO_VCPUS = 3


def assert_tern_smp(com1, cpus=TERN_ISO_VCPUS):
    """The Service VM's smp=1 checks under Tern: the guest found cpus CPUs in the MADT Tern built,
    started each AP with INIT and SIPI and exchanged IPIs with it (BSP to AP, AP to BSP, all but
    self); every smp.* check PASSes."""
    assert re.search(r"^testguest: %d CPUs in the MADT$" % cpus, com1, re.M), com1[-3000:]
    got = results(com1)
    smp = sorted(gated_checks(SMP_GROUPS))
    assert len(smp) >= 5 and all(got.get(n, ("missing",))[0] == "PASS" for n in smp), \
        [(n, got.get(n)) for n in smp]


def mmio_tern_names():
    """The MMIO checks that need the device: the forms table and the register checks."""
    with open(os.path.join(GUEST_SRC, "t_mmio.c")) as f:
        src = f.read()
    table = src.split("static const struct mcase cases[]", 1)[1].split("};", 1)[0]
    regs = src.split("static void device_registers", 1)[1].split("\n}\n", 1)[0]
    return set(NAME_RE.findall(table)) | set(NAME_RE.findall(regs))


def results(com1):
    """{name: (verdict, detail)}; a name printed twice is itself a failure."""
    out = {}
    for verdict, name, detail in RESULT_RE.findall(com1):
        assert name not in out, "check %s reported twice" % name
        out[name] = (verdict, detail)
    return out


def assert_guest_results(com1, expected, allowed_skips):
    """Every expected check PASSed, or SKIPped where allowed with the stated reason."""
    m = bochs_run.SUMMARY_RE.search(com1)
    assert m, "no SUMMARY line from the guest; COM1 was:\n" + com1[-3000:]
    got = results(com1)
    fails = ["%s (%s)" % (n, d) for n, (v, d) in sorted(got.items()) if v == "FAIL"]
    assert not fails, "guest checks failed:\n  " + "\n  ".join(fails)
    missing = sorted(expected - set(got))
    assert not missing, "checks never reported: %s" % ", ".join(missing)
    extra = sorted(set(got) - expected)
    assert not extra, "unexpected checks reported: %s" % ", ".join(extra)
    for name, (verdict, detail) in got.items():
        if verdict == "SKIP":
            assert name in allowed_skips, "%s skipped (%s) but must run here" % (name, detail)
            assert allowed_skips[name] in detail, "%s skipped for %r, expected %r" % (
                name, detail, allowed_skips[name])
    total, failures, skipped = (int(x) for x in m.groups())
    assert (total, failures) == (len(got), 0), "SUMMARY %s disagrees with %d lines" % (
        m.group(0), len(got))
    assert skipped == sum(1 for v, _ in got.values() if v == "SKIP")
    assert re.search(r"^\[outsb-ok\]$", com1, re.M), "REP OUTSB text missing from COM1"


def need(path, how):
    if not os.path.exists(path):
        pytest.fail("%s is missing: %s" % (os.path.relpath(path, ROOT), how))


def need_tools(*tools):
    miss = [t for t in tools if shutil.which(t) is None]
    if miss:
        pytest.fail("missing %s: run make deps" % ", ".join(miss))


def native_expected():
    return source_checks() - mmio_tern_names()


def native_skips(extra):
    skips = {n: NOT_TERN for n in TERN_ONLY}
    # Launching a User VM needs Tern's hypercalls (t_uvm.c).
    skips.update({n: NOT_TERN for n in source_checks() if n.startswith("uvm.")})
    skips["mmio.device"] = NOT_TERN
    skips.update(extra)
    return skips


def x2apic_skips():
    """QEMU 7.2 TCG's -cpu max has no x2APIC: every x2apic check SKIPs, saying so."""
    return {n: "CPUID.1:ECX.x2APIC = 0" for n in gated_checks(("x2apic",))}


# ---- the test guest alone: the harness itself works ---------------------------------

def test_guest_alone_on_bochs():
    """GRUB ISO -> test guest on Bochs (1 CPU), no Tern: non-Tern checks pass, Tern ones SKIP;
    grub-guest.cfg's irq=1 smp=1 run the interrupt checks, the SMP ones SKIP (one CPU)."""
    need_tools("bochs")
    need(GUEST_ISO, "make guest-iso")
    res = bochs_run.run_bochs(GUEST_ISO, os.path.join(BUILD, "boot", "guest-bochs"),
                              timeout=TIMEOUT)
    record_timing("bochs_guest_alone_summary_s", res.summary_s)
    record_timing("bochs_guest_alone_first_output_s", res.first_output_s)
    assert "testguest: start (native)" in res.com1, res.com1[-2000:]
    assert re.search(r'^testguest: cmdline ".*\birq=1 smp=1\b', res.com1, re.M), res.com1[:2000]
    assert_guest_results(res.com1, native_expected(), native_skips(BOCHS_1CPU_SKIPS))


def test_guest_alone_on_bochs_smp():
    """The same ISO on Bochs with two CPUs: the AP is started and IPIs go both ways."""
    need_tools("bochs")
    need(GUEST_ISO, "make guest-iso")
    res = bochs_run.run_bochs(GUEST_ISO, os.path.join(BUILD, "boot", "guest-bochs-smp"),
                              timeout=TIMEOUT, cpus=2)
    record_timing("bochs_guest_smp_summary_s", res.summary_s)
    assert re.search(r"^testguest: 2 CPUs in the MADT$", res.com1, re.M), res.com1[-2000:]
    assert_guest_results(res.com1, native_expected(), native_skips(BOCHS_NATIVE_SKIPS))
    got = results(res.com1)
    smp = sorted(gated_checks(SMP_GROUPS))
    assert len(smp) >= 5 and all(got[n][0] == "PASS" for n in smp), [(n, got[n]) for n in smp]


def test_guest_alone_on_qemu():
    """qemu -kernel test guest (32-bit multiboot ELF): verdict through isa-debug-exit."""
    need_tools("qemu-system-x86_64")
    need(GUEST_ELF, "make guests")
    rc, out = bochs_run.run_qemu(["-M", "pc", "-cpu", "max", "-m", "256",
                                  "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                                  "-kernel", GUEST_ELF] + QEMU_GUEST_ARGS, timeout=60)
    assert "TCGTCGTCGTCG" in out, out[-2000:]
    assert re.search(r"^testguest: 2 CPUs in the MADT$", out, re.M), out[-2000:]
    assert_guest_results(out, native_expected(),
                         native_skips(dict(QEMU_NATIVE_SKIPS, **x2apic_skips())))
    got = results(out)
    assert all(got[n][0] == "PASS" for n in gated_checks(SMP_GROUPS)), out[-2000:]
    assert rc == 1, "QEMU exit status %s, want 1 (debug-exit value 0)" % rc


# ---- the real image ----------------------------------------------------------------------

# Tern's console: its own lines ("tern: ...") and each VM's COM1 lines prefixed "[vmN] ".
VM_LINE_RE = re.compile(r"^\[vm(\d)\] ?(.*)$")


def split_console(com1):
    """{vm id: that VM's COM1 text}; the Service VM's (vm0) keeps Tern's own lines in order."""
    streams = {0: []}
    for line in com1.splitlines():
        m = VM_LINE_RE.match(line)
        if m:
            streams.setdefault(int(m.group(1)), []).append(m.group(2))
        else:
            streams[0].append(line)
    return {vm: "\n".join(lines) + "\n" for vm, lines in streams.items()}


def uvm_ioreq_mmio():
    """UVM_IOREQ_MMIO in uvm_abi.h: whether the User VM makes its MMIO accesses through the
    IOREQ page (off until unclaimed MMIO becomes an IOREQ; docs/testguest.md)."""
    with open(os.path.join(UVM_SRC, "uvm_abi.h")) as f:
        m = re.search(r"^#define UVM_IOREQ_MMIO (\d+)$", f.read(), re.M)
    assert m, "uvm_abi.h defines no UVM_IOREQ_MMIO"
    return m.group(1) != "0"


def user_checks(run=None):
    """Every check name the User VM payload (harness/guests/uvm) can print; with run="notify"
    those of the first User VM (every check but the polling ones), with run="poll" those of the
    polling-mode one. The MMIO-through-IOREQ checks only while UVM_IOREQ_MMIO is on."""
    names = set()
    for path in glob.glob(os.path.join(UVM_SRC, "*.c")):
        with open(path) as f:
            names.update(re.findall(r'"(user\.[a-z0-9-]+)"', f.read()))
    if not uvm_ioreq_mmio():
        names = {n for n in names if not re.match(r"user\.ioreq-[a-z]+-mmio-", n)}
    if run == "poll":
        return {n for n in names if n.startswith("user.ioreq-poll-")}
    if run == "notify":
        return {n for n in names if not n.startswith("user.ioreq-poll-")}
    return names


def assert_user_vm_results(com1, want=None):
    """One User VM's own checks, from its [vmN] lines: every one PASSed, none twice."""
    want = user_checks() if want is None else want
    assert re.search(r"^uvm: start$", com1, re.M), "no output from the User VM:\n" + com1[-2000:]
    got = results(com1)
    fails = ["%s (%s)" % (n, d) for n, (v, d) in sorted(got.items()) if v != "PASS"]
    assert not fails, "User VM checks failed:\n  " + "\n  ".join(fails)
    assert set(got) == want, "User VM checks: got %s, want %s" % (sorted(got), sorted(want))
    m = re.search(r"^SUMMARY: (\d+) tests, (\d+) failures$", com1, re.M)
    assert m and (int(m.group(1)), int(m.group(2))) == (len(got), 0), com1[-2000:]

needs_x86 = pytest.mark.skipif(not HAVE_X86, reason="platform/x86 is not in this tree")

IOREQ_BAD_SIZE_LINE = r"^tern: error: vm1 vcpu0: IOREQ completed with size 5, requested 4$"


# The error lines the Service VM provokes on purpose (t_uvm.c, uvm.ioreq-finish-*): completing
# with nothing pending, for a vCPU that does not exist, while the slot is PROCESSING, with a
# rewritten size, and twice. Each must be refused and said; any other error line is a failure.
IOREQ_MISBEHAVING_LINES = [
    IOREQ_BAD_SIZE_LINE,
    r"^tern: error: vm1 vcpu0: IOREQ completion refused: no request is pending$",
    r"^tern: error: vm1: IOREQ completion for vcpu 1 refused: no such vCPU or no IOREQ page$",
    r"^tern: error: vm1 vcpu0: IOREQ completion refused: slot state PROCESSING \(2\), not complete$",
]


def tern_errors(com1):
    """Tern's FATAL / error / REFUSED lines, less those the Service VM provokes on purpose."""
    return [line for line in re.findall(r"^tern: .*(?:FATAL|error|REFUSED).*$", com1, re.M)
            if not any(re.match(p, line) for p in IOREQ_MISBEHAVING_LINES)]


# The lines of a two-CPU boot (tern_bochs runs Bochs with cpus=2); a one-CPU boot has none.
TERN_SMP_LINES = [
    r"^tern: cpu1 \(APIC ID 1\) online$",
    r"^tern: 2 CPU\(s\) online \(pCPU mask 0x3\)$",
]

TERN_LINES = [
    r"^tern: Tern x86 image starting$",
    r"^tern: VMXON done$",
    # SMP (tern_bochs: two CPUs): the AP starts, core schedules on both.
    *TERN_SMP_LINES,
    r'^tern: loading guest "testguest triple-fault-resets irq=1 smp=1 pad=(?:0123456789){30} end" \(\d+ bytes\)$',
    r'^tern:   guest module 1 "tg-module": 0x1c bytes at gpa 0x[0-9a-f]+000$',
    r"^tern: vm0 vcpu0 runs on pCPU0$",
    r"^tern: Service VM resets on a triple fault$",
    r"^tern: starting Service VM at 0x10000c \(multiboot info at 0x[0-9a-f]+\)$",
    r"^testguest: start \(under Tern, hypervisor signature TernTernTern\)$",
    # reset.triple-fault: the first boot ends in a triple fault, Tern resets the VM, the guest
    # starts again (docs/testguest.md).
    r"^testguest: triple fault, expecting a reset$",
    r"^tern: vm0 \(service\) reset after a triple fault$",
    r"^testguest: start \(under Tern, hypervisor signature TernTernTern\)$",
    # uvm.*: the Service VM launches a User VM (t_uvm.c); Tern names it vm1.
    r"^tern: vm1 \(uvm\) started$",
    # uvm.ioreq-finish-misbehaving: the Service VM completes vm1's first request (IN EAX) with
    # size 5; Tern refuses it and says so.
    IOREQ_BAD_SIZE_LINE,
    r"^tern: vm1 \(uvm\) exited with status 80$",
    # uvm.ioreq-poll-*: a second User VM in IOREQ polling mode while vm1 and vm2 (uvm-b) exist.
    r"^tern: vm3 \(uvm-poll\) started$",
    r"^tern: vm3 \(uvm-poll\) exited with status 80$",
    # uvm.ioreq-stuck-*: a User VM whose one request is never served, paused and destroyed.
    r"^tern: vm4 \(uvm-stuck\) started$",
    r"^tern: vm4 \(uvm-stuck\) destroyed$",
    r"^tern: vm3 \(uvm-poll\) destroyed$",
    r"^tern: vm1 \(uvm\) destroyed$",
    r"^SUMMARY: \d+ tests, 0 failures, \d+ skipped$",
    r"^tern: Service VM stopped: guest-exit, detail 0x0, exit status 0, \d+ exits in \d+ ms$",
    r"^tern: power off \(code 0\)$",
]


@pytest.fixture(scope="module")
def tern_bochs():
    """One Bochs boot of tern.iso, shared by the tests that read its output."""
    need_tools("bochs")
    need(TERN_ISO, "make iso (needs $(BUILD)/tern.elf)")
    res = bochs_run.run_bochs(TERN_ISO, os.path.join(BUILD, "boot", "tern-bochs"),
                              timeout=TIMEOUT, until=r"^tern: power off", cpus=2)
    record_timing("bochs_tern_summary_s", res.summary_s)
    record_timing("bochs_tern_first_output_s", res.first_output_s)
    record_timing("bochs_tern_power_off_s", res.until_s)
    record_timing("bochs_tern_total_s", res.total_s)
    m = re.search(r"exit status \d+, (\d+) exits in (\d+) ms", res.com1)
    if m:
        record_timing("bochs_tern_exits", int(m.group(1)))
        record_timing("bochs_tern_vm_ms", int(m.group(2)))
    return res


@needs_x86
def test_tern_runs_guest_on_bochs(tern_bochs):
    """GRUB -> tern.elf (multiboot2) -> test guest as the Service VM; every check passes."""
    streams = split_console(tern_bochs.com1)
    com1 = streams[0]
    bad = tern_errors(com1)
    assert not bad, "Tern reported:\n" + "\n".join(bad) + "\n--- COM1 tail:\n" + com1[-3000:]
    pos = 0
    for pat in TERN_LINES:
        m = re.compile(pat, re.M).search(com1, pos)
        assert m, "missing (in this order) %r; COM1 tail:\n%s" % (pat, com1[-3000:])
        pos = m.end()
    assert_guest_results(com1, tern_expected(smp=True), TERN_SKIPS)
    got = results(com1)
    for name in sorted(GRUB_ONLY):
        assert got[name][0] == "PASS", "%s: %s %s" % (name, got[name][0], got[name][1])
    # vcpus=3: the Service VM's AP vCPU 1 is on the other pCPU (its VMCS is set up there at its
    # first entry, after the guest's SIPI), so its IPIs cross pCPUs; AP vCPU 2 shares pCPU0 with
    # the BSP, which spins waiting for it: only the time slice and PAUSE-loop exits
    # (core/sched_slice.c) let it run, and assert_tern_smp requires all 2 APs to report in.
    assert_tern_smp(com1)
    where = "\n".join(l for l in com1.splitlines() if "pCPU" in l or "online" in l)
    assert re.search(r"^tern: vm0 vcpu1 runs on pCPU1$", com1, re.M), where
    assert re.search(r"^tern: vm0 vcpu2 runs on pCPU0$", com1, re.M), where


@needs_x86
def test_tern_runs_guest_above_4g_on_bochs():
    """Bochs with 6 GiB (2 GiB of it above 4 GiB): Tern maps and counts that RAM, and the Service
    VM's RAM and page tables, allocated highest first, lie above 4 GiB; the guest runs to its
    SUMMARY there with every check as in the 512 MiB boot. Two CPUs (grub-tern.cfg's vcpus=3 on them)
    halve Bochs's speed: 4 * TIMEOUT (at 2 * TIMEOUT a loaded machine cut it off mid-run)."""
    need_tools("bochs")
    need(TERN_ISO, "make iso (needs $(BUILD)/tern.elf)")
    res = bochs_run.run_bochs(TERN_ISO, os.path.join(BUILD, "boot", "tern-bochs-6g"),
                              timeout=4 * TIMEOUT, until=r"^tern: power off", megs=6144, cpus=2)
    record_timing("bochs_tern_6g_summary_s", res.summary_s)
    com1 = split_console(res.com1)[0]
    assert_high_memory(com1, 2048)
    m = re.search(r"^tern: Service VM: \d+ MiB of RAM at host 0x([0-9a-f]+), \d+ page-table pages "
                  r"at 0x([0-9a-f]+)$", com1, re.M)
    assert m, com1[-3000:]
    assert int(m.group(1), 16) >= GIB4 and int(m.group(2), 16) >= GIB4, m.group(0)
    bad = tern_errors(com1)
    assert not bad, "Tern reported:\n" + "\n".join(bad) + "\n--- COM1 tail:\n" + com1[-3000:]
    assert re.search(r"^tern: power off \(code 0\)$", com1, re.M), com1[-3000:]
    assert_guest_results(com1, tern_expected(smp=True), TERN_SKIPS)
    assert_tern_smp(com1)


@needs_x86
def test_tern_user_vm_on_bochs(tern_bochs):
    """The User VMs the Service VM launched ran their own checks on their own COM1: vm1 in
    IOREQ notification mode ([vm1] lines), vm3 in polling mode ([vm3] lines); vm4 stays parked
    on a request the Service VM never serves."""
    streams = split_console(tern_bochs.com1)
    assert sorted(streams) == [0, 1, 3, 4], "VM streams on the console: %s" % sorted(streams)
    assert re.search(r"^uvm: ioreq notification mode$", streams[1], re.M), streams[1][-2000:]
    assert_user_vm_results(streams[1], user_checks("notify"))
    assert re.search(r"^uvm: ioreq polling mode$", streams[3], re.M), streams[3][-2000:]
    assert_user_vm_results(streams[3], user_checks("poll"))
    # vm4's one request was never served: it printed its banner and nothing after the read.
    assert streams[4] == "uvm: start\nuvm: ioreq left unserved\n", streams[4]
    # On pCPU 1, in parallel with the Service VM on pCPU 0 (t_uvm.c asks for affinity 0x2; the
    # line comes when the AP sets up the vCPU's VMCS at its first entry, platform/x86/run.c).
    assert re.search(r"^tern: vm1 vcpu0 runs on pCPU1$", streams[0], re.M), \
        "the User VM did not run on pCPU 1:\n" + "\n".join(
            l for l in streams[0].splitlines() if "pCPU" in l or "online" in l)


@needs_x86
def test_tern_recorded_trace_replays(tern_bochs):
    """A recording image (TERN_RECORD=1) streams its exits in the binary trace format
    (core/trace_bin.h), framed on port 0xE9 (trace=e9, grub-tern.cfg) or out COM2;
    tern-sim must reproduce every one."""
    trace = tern_bochs.com2 if tern_bochs.com2.startswith(b"TRNT") else tern_bochs.e9_trace
    if not trace.startswith(b"TRNT"):
        if os.environ.get("BOOT_RECORD", "1") == "1":
            pytest.fail("the recording boot wrote no binary trace on port 0xE9 (%d bytes) or COM2 "
                        "(%d bytes)" % (len(tern_bochs.e9_trace), len(tern_bochs.com2)))
        pytest.skip("image not built with TERN_RECORD=1 (BOOT_RECORD=0)")
    path = os.path.join(BUILD, "boot", "recorded.bin")
    with open(path, "wb") as f:
        f.write(trace)
    sim = os.path.join(BUILD, "host", "tern-sim")
    need(sim, "make")
    t0 = time.monotonic()
    p = subprocess.run([sim, "--summary", path], capture_output=True, timeout=600)
    record_timing("replay_s", time.monotonic() - t0)
    out = (p.stdout + p.stderr).decode(errors="replace")
    m = re.search(r"^total\s+(\d+)\s+(\d+)$", out, re.M)
    if m:
        record_timing("recorded_exits", int(m.group(1)))
    assert p.returncode == 0, "replay of %s failed:\n%s" % (path, out[-3000:])
    assert m and int(m.group(1)) > 1000 and int(m.group(2)) == 0, out[-3000:]
    assert_intercepts_exited(path, apic_virt_offered(tern_bochs.com1))


# Exits core's control set asks for (core/vmx_controls.c) that the test guest's t_intercept.c
# causes: on Bochs they must really have exited, not run natively.
INTERCEPTED = ["RDPMC", "MONITOR", "MWAIT", "WBINVD"]
CR8_QUALS = {0x08: "MOV to CR8", 0x18: "MOV from CR8"}  # exit qualification bits 5:0 (SDM Table 28-3)
VMX_CAPS_RE = re.compile(r"^tern: VMX secondary controls allowed-1 (0x[0-9a-f]+), TPR shadow (yes|no)$", re.M)


def apic_virt_offered(com1):
    """What the image logged of the CPU: TPR shadow, "virtualize APIC accesses" (secondary bit 0)
    and APIC-register virtualization (bit 8), with which core uses APIC virtualization
    (core/vmx_controls.c vmxc_apic_virt; platform/x86 reports them as the CPU has them)."""
    m = VMX_CAPS_RE.search(com1)
    assert m, "no VMX capability line in the log:\n" + com1[:3000]
    return m.group(2) == "yes" and (int(m.group(1), 16) & 0x101) == 0x101


def assert_intercepts_exited(path, apic_virt):
    tool = os.path.join(BUILD, "host", "tern-trace")
    need(tool, "make")
    p = subprocess.run([tool, "text", path], capture_output=True, timeout=600)
    assert p.returncode == 0, p.stderr.decode(errors="replace")[-2000:]
    text = p.stdout.decode(errors="replace")
    missing = [r for r in INTERCEPTED if not re.search(r"^exit %s\b" % r, text, re.M)]
    quals = {int(q, 16) & 0x3f for q in re.findall(r"^exit CR_ACCESS qual=(0x[0-9a-f]+)", text, re.M)}
    if apic_virt:
        # CR8 is the TPR shadow (no exit); the xAPIC page's writes are APIC-write exits, never
        # EPT violations, and every exit tells the replay the VTPR the guest left.
        ran = [name for q, name in CR8_QUALS.items() if q in quals]
        assert not ran, "exits recorded for %s under the TPR shadow" % ", ".join(ran)
        missing += [r for r in ["APIC_WRITE"] if not re.search(r"^exit %s\b" % r, text, re.M)]
        assert not re.search(r"^exit EPT_VIOLATION .*gpa=0xfee00", text, re.M), \
            "an EPT violation on the APIC-access page"
        assert re.search(r"^state .*\bvtpr=", text, re.M), "no exit gave the VTPR"
    else:
        missing += [name for q, name in CR8_QUALS.items() if q not in quals]
    assert not missing, "no exit recorded for: %s" % ", ".join(missing)


MEM_LINE = re.compile(r"^tern: hypervisor image at 0x[0-9a-f]+-0x[0-9a-f]+, (\d+) MiB free for VMs, "
                      r"(\d+) MiB of it above 4 GiB$", re.M)
GIB4 = 4 << 30
MIB2 = 2 << 20


def high_ram_mib(com1):
    """MiB of RAM above 4 GiB in the memory map Tern logged (its `mem` lines, type 1), counting
    whole 2 MiB pages inside each range: what Tern says it can map (mem.c)."""
    total = 0
    for a, b in re.findall(r"^tern:   mem ([0-9a-f]{16})-([0-9a-f]{16}) type 1$", com1, re.M):
        lo, hi = max(int(a, 16), GIB4), int(b, 16)
        lo = (lo + MIB2 - 1) & ~(MIB2 - 1)
        hi &= ~(MIB2 - 1)
        total += max(hi - lo, 0)
    return total >> 20


def assert_high_memory(com1, at_least_mib):
    """Tern's memory line counts every RAM range above 4 GiB of its map as usable (and there is
    at least at_least_mib of it), and says nothing is left unusable."""
    m = MEM_LINE.search(com1)
    assert m, "no memory line; console tail:\n" + com1[-3000:]
    high = int(m.group(2))
    assert high == high_ram_mib(com1), "Tern uses %d MiB above 4 GiB, its map has %d:\n%s" % (
        high, high_ram_mib(com1), com1[-3000:])
    assert high >= at_least_mib, m.group(0)
    assert int(m.group(1)) > high, m.group(0)
    assert "above 4 GiB not usable" not in com1, com1[-3000:]


@needs_x86
def test_tern_refuses_on_qemu():
    """QEMU TCG has no VMX: the image must say so and power off with code 2 -- after the memory
    line, which with 6 GiB counts the 3 GiB QEMU's pc machine puts above 4 GiB as usable."""
    need_tools("qemu-system-x86_64")
    need(TERN_ISO, "make iso (needs $(BUILD)/tern.elf)")
    rc, out = bochs_run.run_qemu(["-M", "pc", "-cpu", "max", "-m", "6G",
                                  "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                                  "-cdrom", TERN_ISO], timeout=60)
    assert re.search(r"^tern: Tern x86 image starting$", out, re.M), out[-2000:]
    assert_high_memory(out, 3072)
    assert out.index("MiB of it above 4 GiB") < out.index("REFUSED"), out[-2000:]
    assert re.search(r"^tern: REFUSED: Tern needs VMX with EPT and unrestricted guest: "
                     r"this CPU has no VMX \(CPUID\.1:ECX\.VMX\[bit 5\] = 0\)$", out, re.M), out[-2000:]
    assert "VMXON" not in out and "testguest:" not in out, out[-2000:]
    assert re.search(r"^tern: power off \(code 2\)$", out, re.M), out[-2000:]
    assert rc == 5, "QEMU exit status %s, want 5 (debug-exit value 2: refused)" % rc


def spcr_table(path):
    """Write an ACPI SPCR table (Microsoft's SPCR revision 2) naming a 16550 at I/O port 0x2f8
    (COM2), for QEMU's -acpitable; returns path."""
    t = bytearray(80)
    t[0:4] = b"SPCR"
    t[4:8] = (80).to_bytes(4, "little")
    t[8] = 2
    t[10:16] = b"TERN  "
    t[40:44] = bytes([1, 8, 0, 1])              # system I/O, 8 bits wide, byte access
    t[44:52] = (0x2F8).to_bytes(8, "little")
    t[9] = -sum(t) & 0xFF
    with open(path, "wb") as f:
        f.write(t)
    return path


def qemu_iso_without_com1(name, extra=()):
    """The GRUB ISO on QEMU with no UART at COM1 (`-serial none`) and COM2 a file; returns
    (exit status, COM2 text)."""
    d = os.path.join(BUILD, "boot", name)
    os.makedirs(d, exist_ok=True)
    com2 = os.path.join(d, "com2.txt")
    if os.path.exists(com2):
        os.unlink(com2)
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-M", "pc", "-cpu", "max", "-m", "512",
           "-display", "none", "-monitor", "none", "-no-reboot", "-net", "none",
           "-serial", "none", "-serial", "file:" + com2,
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-cdrom", TERN_ISO] + list(extra)
    try:
        rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=60).returncode
    except subprocess.TimeoutExpired:
        rc = None
    with open(com2, "rb") as f:
        return rc, f.read().decode(errors="replace").replace("\r", "")


@needs_x86
def test_tern_console_follows_acpi_spcr_without_com1_on_qemu():
    """Multiboot on a machine without COM1 whose ACPI SPCR names the 16550 at 0x2f8: Tern's log
    goes there, says where its console is and what the MADT said, and the refusal follows."""
    need_tools("qemu-system-x86_64")
    need(TERN_ISO, "make iso (needs $(BUILD)/tern.elf)")
    spcr = spcr_table(os.path.join(BUILD, "boot", "spcr-com2.bin"))
    rc, com2 = qemu_iso_without_com1("qemu-spcr-no-com1", ("-acpitable", "file=" + spcr))
    pos = 0
    for pat in [r"^tern: Tern x86 image starting$",
                r"^tern: ACPI RSDP at 0x[0-9a-f]+ \(from the loader\)$",
                r"^tern: 8259 PICs present \(MADT PCAT_COMPAT\); console the ACPI SPCR's UART at "
                r"I/O port 0x2f8$",
                r"^tern: REFUSED: Tern needs VMX",
                r"^tern: power off \(code 2\)$"]:
        m = re.compile(pat, re.M).search(com2, pos)
        assert m, "missing (in this order) %r; COM2:\n%s" % (pat, com2[-3000:])
        pos = m.end()
    assert rc == 5, "QEMU exit status %s, want 5" % rc


@needs_x86
def test_tern_runs_without_any_uart_on_qemu():
    """No COM1 and no SPCR: the probe finds no console, Tern writes to no port (COM2 stays
    empty: it is not the console) and still reaches its refusal and power-off (status 5)."""
    need_tools("qemu-system-x86_64")
    need(TERN_ISO, "make iso (needs $(BUILD)/tern.elf)")
    rc, com2 = qemu_iso_without_com1("qemu-no-uart")
    assert rc == 5, "QEMU exit status %s, want 5 (refused, powered off); COM2:\n%s" % (rc, com2[-2000:])
    assert "tern:" not in com2, com2[-2000:]


# ---- the harness's own judgement: each way a boot can go wrong is caught ---------------

GOOD = """testguest: start (native)
PASS: a.one
SKIP: a.two (not under Tern)
[outsb-ok]
SUMMARY: 2 tests, 0 failures, 1 skipped
"""


def judge(com1, expected=frozenset({"a.one", "a.two"}), skips=None):
    assert_guest_results(com1, set(expected), skips if skips is not None else {"a.two": NOT_TERN})


def test_judge_accepts_a_good_run():
    judge(GOOD)


@pytest.mark.parametrize("com1, why", [
    (GOOD.replace("PASS: a.one", "FAIL: a.one (got 1, want 2)").replace("0 failures", "1 failures"),
     "guest checks failed"),
    (GOOD.replace("PASS: a.one\n", "").replace("2 tests", "1 tests"), "never reported: a.one"),
    (GOOD.replace("SKIP: a.two (not under Tern)", "SKIP: a.two (some other reason)"),
     "skipped for"),
    (GOOD.replace("SUMMARY: 2 tests", "SUMMARY: 3 tests"), "disagrees"),
    (GOOD.replace("SUMMARY", "SUMM"), "no SUMMARY"),
    (GOOD.replace("[outsb-ok]\n", ""), "REP OUTSB"),
    (GOOD + "PASS: a.three\n", "unexpected checks"),
    (GOOD.replace("PASS: a.one\n", "PASS: a.one\nPASS: a.one\n"), "reported twice"),
])
def test_judge_rejects(com1, why):
    with pytest.raises(AssertionError, match=re.escape(why)):
        judge(com1)


def test_judge_rejects_a_skip_that_must_run():
    with pytest.raises(AssertionError, match="must run here"):
        judge(GOOD, skips={})


def test_split_console():
    com1 = "tern: x\n[vm0] PASS: a.one\n[vm1] uvm: start\ntern: y\n[vm0] [outsb-ok]\n"
    s = split_console(com1)
    assert s[0] == "tern: x\nPASS: a.one\ntern: y\n[outsb-ok]\n"
    assert s[1] == "uvm: start\n"


def test_user_checks_split_by_run():
    """Both runs make the same I/O checks under their own names; the rest is the first run's."""
    notify, poll = user_checks("notify"), user_checks("poll")
    assert notify | poll == user_checks() and not notify & poll
    assert {n.replace("-poll-", "-notify-") for n in poll} == \
        {n for n in notify if n.startswith("user.ioreq-notify-")}
    assert any("-pci-" in n for n in poll) and any("-port-" in n for n in poll), sorted(poll)
    assert any("-mmio-" in n for n in poll) == uvm_ioreq_mmio(), sorted(poll)


def test_judge_user_vm():
    names = sorted(user_checks())
    assert len(names) >= 6, names
    good = "uvm: start\n" + "".join("PASS: %s\n" % n for n in names) + \
        "SUMMARY: %d tests, 0 failures\n" % len(names)
    assert_user_vm_results(good)
    for bad, why in [(good.replace("PASS: " + names[0], "FAIL: " + names[0] + " (x)"), "failed"),
                     (good.replace("PASS: %s\n" % names[0], ""), "User VM checks"),
                     (good.replace("uvm: start\n", ""), "no output"),
                     (good.replace("0 failures", "1 failures"), "SUMMARY")]:
        with pytest.raises(AssertionError, match=why):
            assert_user_vm_results(bad)


def test_extract_trace():
    text = "noise\n# TRACE-BEGIN recorded by Tern\nvm name=x\nexit CPUID len=2\n# TRACE-END 1 exits\n"
    assert bochs_run.extract_trace(text) == "vm name=x\nexit CPUID len=2\n"
    assert bochs_run.extract_trace("vm name=x\n") is None


def test_every_check_name_is_documented():
    """docs/testguest.md is the contract: each check the guest can print is described there."""
    with open(os.path.join(ROOT, "docs", "testguest.md")) as f:
        doc = f.read()
    forms = mmio_tern_names() - {"mmio.dev-id", "mmio.dev-version", "mmio.dev-id-read-only",
                                 "mmio.dev-access-counter", "mmio.dev-scratch-top"}
    missing = sorted(n for n in source_checks() - forms if "`%s`" % n not in doc)
    assert not missing, "not in docs/testguest.md: %s" % ", ".join(missing)
