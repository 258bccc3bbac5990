# SPDX-License-Identifier: BSD-3-Clause
"""Boot tests of the EFI way in (tern.efi, docs/boot.md) and of the verified boot chain.

QEMU (q35, SMM, OVMF_CODE_4M.secboot.fd) with the project's own test keys
enrolled into a copy of the empty VARS store by harness/secboot/enroll.efi:
  - the signed image boots, verifies the Service VM kernel and then refuses
    cleanly for lack of VMX (QEMU's TCG has none), after the verification lines;
  - unsigned, wrongly signed and tampered images are refused by the firmware;
  - kernels that fail verification (digest, signature, headers, size, missing)
    get Tern's one-line refusal and nothing boots.
Bochs with Debian's 2 MiB OVMF as its ROM: tern.efi boots to the test guest's SUMMARY.

Keys and signed images are made here, under $(BUILD)/secboot, never committed.
Every emulator run has a timeout; the QEMU runs go in parallel.
Run through harness/suites/boot.sh (it builds `efi efi-tools efi-esp` first).
"""
import concurrent.futures
import os
import re
import shutil
import subprocess
import time

import pytest

import bochs_run
from make_esp import make_esp
from test_boot import (BUILD, ROOT, TERN_SKIPS_NOT_GRUB, assert_guest_results,
                       assert_high_memory, need, spcr_table, need_tools, record_timing,
                       split_console, tern_expected)

TERN_EFI = os.path.join(BUILD, "tern.efi")
ENROLL_EFI = os.path.join(BUILD, "efi", "enroll.efi")
GUEST_ELF = os.path.join(BUILD, "guests", "testguest.elf")
# The test guest wrapped as a PE32+ (its ELF verbatim in a .mbkern section; make guest-pe).
GUEST_PE = os.path.join(BUILD, "guests", "testguest.efi")
ESP_BOCHS = os.path.join(BUILD, "efi", "esp-bochs.img")
OVMF_2M = os.path.join(BUILD, "efi", "ovmf-2m.rom")
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
SB = os.path.join(BUILD, "secboot")
QEMU_TIMEOUT = float(os.environ.get("EFI_QEMU_TIMEOUT", 90))
BOCHS_TIMEOUT = float(os.environ.get("EFI_BOCHS_TIMEOUT", 150))
# The QEMU boots at once: each is one TCG thread.
PARALLEL = int(os.environ.get("EFI_QEMU_PARALLEL", 3))

KERNEL = r"\EFI\tern\kernel"
FW_REFUSED = r"Access Denied|Security Violation"
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b[=>][0-9]*[a-zA-Z]?")


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, timeout=60, **kw)
    assert p.returncode == 0, "%s failed:\n%s" % (" ".join(cmd), (p.stdout + p.stderr).decode()[-2000:])
    return p


def qemu_efi(esp_dir, vars_template, name, until, timeout=QEMU_TIMEOUT, grace=0.5, extra=(),
             code=OVMF_CODE, disk=None, mem="256"):
    """Boot OVMF (code: the Secure Boot build unless told) from esp_dir (a directory) or disk (an
    image); stop grace seconds after until matches the console, when QEMU exits, or at the
    timeout. Returns (console text, how, seconds to the first 'tern' line or None, total seconds)."""
    out_dir = os.path.join(SB, "runs", name)
    os.makedirs(out_dir, exist_ok=True)
    vars_copy = os.path.join(out_dir, "vars.fd")
    shutil.copyfile(vars_template, vars_copy)
    log = os.path.join(out_dir, "console.txt")
    cmd = ["qemu-system-x86_64", "-machine", "q35,smm=on,accel=tcg", "-cpu", "max", "-m", mem,
           "-global", "driver=cfi.pflash01,property=secure,value=on",
           "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
           "-drive", "if=pflash,format=raw,unit=1,file=" + vars_copy,
           "-drive", ("file=%s,format=raw" % disk) if disk else "file=fat:rw:%s,format=raw" % esp_dir,
           # COM1 straight to a file (QEMU writes a file chardev unbuffered: the timings hold).
           "-display", "none", "-serial", "file:" + log, "-net", "none", "-no-reboot",
           "-monitor", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] + list(extra)
    t0 = time.monotonic()
    first = None
    stop_at = None
    how = None
    with open(log, "wb"):
        pass
    with open(os.path.join(out_dir, "qemu.out"), "wb") as f:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            while True:
                now = time.monotonic() - t0
                with open(log, "rb") as r:
                    text = ANSI.sub("", r.read().decode(errors="replace").replace("\r", ""))
                if first is None and re.search(r"^tern(\.efi)?: ", text, re.M):
                    first = now
                if stop_at is None and re.search(until, text, re.M):
                    stop_at = now + grace
                if p.poll() is not None:
                    how = "exited rc=%d" % p.returncode
                    break
                if stop_at is not None and now > stop_at:
                    how = "stopped after %r" % until
                    break
                if now > timeout:
                    how = "timeout after %.0f s" % timeout
                    break
                time.sleep(0.1)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    with open(log, "rb") as r:
        text = ANSI.sub("", r.read().decode(errors="replace").replace("\r", ""))
    return text, how, first, time.monotonic() - t0


def esp(name, tern, kernel=None, cmdline=None, kernel_path=KERNEL):
    """A directory QEMU serves as the ESP: tern as the removable-media boot file."""
    d = os.path.join(SB, "esp", name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "EFI", "BOOT"))
    os.makedirs(os.path.join(d, "EFI", "tern"))
    shutil.copyfile(tern, os.path.join(d, "EFI", "BOOT", "BOOTX64.EFI"))
    if kernel:
        shutil.copyfile(kernel, os.path.join(d, "EFI", "tern", "kernel"))
    with open(os.path.join(d, "EFI", "tern", "cmdline.txt"), "w") as f:
        f.write(cmdline or "kernel=%s -- testguest\n" % kernel_path)
    return d


@pytest.fixture(scope="module")
def secboot():
    """Keys, an enrolled VARS template and the image variants; returns their paths."""
    need_tools("qemu-system-x86_64", "openssl", "sbsign", "sbverify", "cert-to-efi-sig-list",
               "sign-efi-sig-list")
    for path, how in ((TERN_EFI, "make efi"), (ENROLL_EFI, "make efi-tools"), (GUEST_ELF, "make guests"),
                      (GUEST_PE, "make guest-pe"),
                      (OVMF_CODE, "make deps (ovmf)"), (OVMF_VARS, "make deps (ovmf)")):
        need(path, how)
    shutil.rmtree(SB, ignore_errors=True)
    keys = os.path.join(SB, "keys")
    run(["sh", os.path.join(ROOT, "harness", "secboot", "keys.sh"), keys])
    k = {n: (os.path.join(keys, n + ".key"), os.path.join(keys, n + ".crt")) for n in ("db", "other")}

    def sign(src, dst, key="db"):
        run(["sbsign", "--key", k[key][0], "--cert", k[key][1], "--output", dst, src])
        return dst

    v = {}
    v["signed"] = sign(TERN_EFI, os.path.join(SB, "tern-signed.efi"))
    run(["sbverify", "--cert", k["db"][1], v["signed"]])
    v["other"] = sign(TERN_EFI, os.path.join(SB, "tern-other.efi"), "other")
    v["unsigned"] = TERN_EFI
    # One byte of the signed image changed after signing (inside the embedded tern.elf).
    data = bytearray(open(v["signed"], "rb").read())
    data[len(data) // 2] ^= 0x01
    v["tampered"] = os.path.join(SB, "tern-tampered.efi")
    open(v["tampered"], "wb").write(data)
    # Kernels: the test guest with one byte changed past its headers (digest no longer listed),
    # cut short, too large for its guest memory, and a PE32+ image signed / not signed with db.
    g = bytearray(open(GUEST_ELF, "rb").read())
    g[-1] ^= 0xff
    v["guest-tampered"] = os.path.join(SB, "guest-tampered.elf")
    open(v["guest-tampered"], "wb").write(g)
    v["guest-truncated"] = os.path.join(SB, "guest-truncated.elf")
    open(v["guest-truncated"], "wb").write(bytes(g[:8192]))   # inside the first segment
    v["guest-huge"] = os.path.join(SB, "guest-huge.elf")
    open(v["guest-huge"], "wb").write(bytes(g) + bytes(3 << 20))
    v["pe-signed"] = sign(GUEST_PE, os.path.join(SB, "pe-signed.efi"))
    v["pe-unsigned"] = GUEST_PE
    # A signed PE32+ without a .mbkern section (any EFI application: enroll.efi), and the
    # wrapped guest whose ELF lies (its program headers beyond the file), signed after the change.
    v["pe-no-payload"] = sign(ENROLL_EFI, os.path.join(SB, "pe-no-payload.efi"))
    p = bytearray(open(GUEST_PE, "rb").read())
    e = bytes(open(GUEST_ELF, "rb").read())
    at = p.find(e[:64])
    assert at > 0, "no ELF inside " + GUEST_PE
    p[at + 28:at + 32] = (0x7ffffff0).to_bytes(4, "little")       # ELF32 e_phoff
    open(os.path.join(SB, "pe-bad-payload-unsigned.efi"), "wb").write(p)
    v["pe-bad-payload"] = sign(os.path.join(SB, "pe-bad-payload-unsigned.efi"),
                               os.path.join(SB, "pe-bad-payload.efi"))

    v["spcr"] = spcr_table(os.path.join(SB, "spcr-com2.bin"))

    # Enrol db, KEK, PK into a copy of the empty store, once; the copy is the template.
    d = os.path.join(SB, "esp", "enroll")
    os.makedirs(os.path.join(d, "EFI", "BOOT"))
    os.makedirs(os.path.join(d, "keys"))
    shutil.copyfile(ENROLL_EFI, os.path.join(d, "EFI", "BOOT", "BOOTX64.EFI"))
    for n in ("PK", "KEK", "db"):
        shutil.copyfile(os.path.join(keys, n + ".auth"), os.path.join(d, "keys", n + ".auth"))
    text, how, _, _ = qemu_efi(d, OVMF_VARS, "enroll", r"^enroll: SecureBoot=")
    for n in ("db", "KEK", "PK"):
        assert re.search(r"^enroll: %s from .*: Success$" % n, text, re.M), text[-2000:]
    assert re.search(r"^enroll: SecureBoot=1 SetupMode=0$", text, re.M), text[-2000:]
    v["vars"] = os.path.join(SB, "runs", "enroll", "vars.fd")
    return v


VERIFY_LINES = [
    r"^tern\.efi: Tern's EFI entry \(UEFI \d+\.\d+, 2-entry digest list\)$",
    r"^tern\.efi: command line \(\\EFI\\tern\\cmdline\.txt\): \"kernel=\\EFI\\tern\\kernel( guest_mem=2)? -- testguest\"$",
    r"^tern\.efi: Secure Boot on; Service VM kernel \\EFI\\tern\\kernel \((32|2) MiB of guest memory\)$",
]
TERN_START_LINES = [
    r"^tern\.efi: ACPI RSDP at 0x[0-9a-f]+, 8259 PICs present \(MADT PCAT_COMPAT\)$",
    r"^tern\.efi: console: COM1 \(no ACPI SPCR table\)$",
    r"^tern\.efi: exiting boot services, entering Tern at 0x[0-9a-f]+$",
    r"^tern: Tern x86 image starting$",
    r"^tern: UEFI entry from tern\.efi \(UEFI\), cmdline \"kernel=\\EFI\\tern\\kernel -- testguest\", "
    r"1 module\(s\), [1-9]\d* memory region\(s\), ACPI RSDP 0x[0-9a-f]+, 8259 masked$",
    r"^tern:   module [0-9a-f]+-[0-9a-f]+ \"testguest\"$",
    r"^tern: REFUSED: Tern needs VMX with EPT and unrestricted guest: "
    r"this CPU has no VMX \(CPUID\.1:ECX\.VMX\[bit 5\] = 0\)$",
    r"^tern: power off \(code 2\)$",
]


def first_attempt(text):
    """The console up to the firmware's second start of tern.efi: after a refusal tern.efi returns
    to the firmware, which goes on to its other boot options and may come round to it again."""
    starts = [m.start() for m in re.finditer(r"^tern\.efi: Tern's EFI entry", text, re.M)]
    return text[:starts[1]] if len(starts) > 1 else text


def in_order(text, pats):
    pos = 0
    for pat in pats:
        m = re.compile(pat, re.M).search(text, pos)
        assert m, "missing (in this order) %r; console tail:\n%s" % (pat, text[-3000:])
        pos = m.end()


# name: (image variant, kernel variant or None, cmdline or None, what ends the run)
CASES = {
    "signed": ("signed", "guest", None, r"^tern: power off"),
    "unsigned": ("unsigned", "guest", None, FW_REFUSED),
    "other-key": ("other", "guest", None, FW_REFUSED),
    "tampered": ("tampered", "guest", None, FW_REFUSED),
    "kernel-digest": ("signed", "guest-tampered", None, r"REFUSED"),
    "kernel-truncated": ("signed", "guest-truncated", None, r"REFUSED"),
    "kernel-huge": ("signed", "guest-huge", "kernel=%s guest_mem=2 -- testguest\n" % KERNEL, r"REFUSED"),
    "kernel-missing": ("signed", None, None, r"REFUSED"),
    "kernel-pe-signed": ("signed", "pe-signed", None, r"^tern: power off"),
    "kernel-pe-unsigned": ("signed", "pe-unsigned", None, r"REFUSED"),
    "kernel-pe-no-payload": ("signed", "pe-no-payload", None, r"REFUSED"),
    "kernel-pe-bad-payload": ("signed", "pe-bad-payload", None, r"REFUSED"),
    # An SPCR naming COM2: Tern's own lines go there (QEMU's second serial port, a file).
    "spcr-com2": ("signed", "guest", None, r"(?!)"),
}


@pytest.fixture(scope="module")
def qemu_runs(secboot):
    """Every case booted once, PARALLEL at a time; {name: (console, how, first_tern_s, total_s)}."""
    def one(name):
        img, kern, cmdline, until = CASES[name]
        kernel = GUEST_ELF if kern == "guest" else secboot.get(kern) if kern else None
        d = esp(name, secboot[img], kernel, cmdline)
        extra = ()
        if name == "spcr-com2":
            extra = ("-acpitable", "file=" + secboot["spcr"],
                     "-serial", "file:" + os.path.join(SB, "runs", name, "com2.txt"))
        # The signed run gets 6 GiB: the memory line must count what q35 puts above 4 GiB.
        mem = "6G" if name == "signed" else "256"
        return name, qemu_efi(d, secboot["vars"], name, until, extra=extra, mem=mem)
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as ex:
        return dict(ex.map(one, CASES))


def test_qemu_secure_boot_signed_image_verifies_then_refuses_vmx(qemu_runs):
    """Signed with the enrolled db key: boots, verifies the kernel's digest, enters Tern, which
    refuses for lack of VMX after the verification lines and powers off."""
    text, how, first, total = qemu_runs["signed"]
    digest = run(["sha256sum", GUEST_ELF]).stdout.decode().split()[0]
    in_order(text, VERIFY_LINES + [
        r"^tern\.efi: \\EFI\\tern\\kernel: ELF32, %d bytes, 2 segment\(s\)/section\(s\)$"
        % os.path.getsize(GUEST_ELF),
        r"^tern\.efi: \\EFI\\tern\\kernel: sha256 %s is in the built-in list$" % digest,
    ] + TERN_START_LINES)
    assert_high_memory(text, 2048)
    assert "VMXON" not in text and "REFUSED \\" not in text, text[-2000:]
    assert how == "exited rc=5", "QEMU %s, want exit status 5 (debug-exit value 2)" % how
    record_timing("qemu_efi_first_tern_s", first)
    record_timing("qemu_efi_total_s", total)


@pytest.mark.parametrize("case", ["unsigned", "other-key", "tampered"])
def test_qemu_secure_boot_refuses_image(qemu_runs, case):
    """Not signed by db, or changed after signing: the firmware refuses it; nothing of Tern runs."""
    text, how, first, total = qemu_runs[case]
    assert re.search(r"BdsDxe: failed to load Boot\d+ .*: (Access Denied|Security Violation)", text), \
        "firmware did not refuse the %s image (%s); console tail:\n%s" % (case, how, text[-2000:])
    assert "tern.efi:" not in text and "tern:" not in text, text[-2000:]
    assert how.startswith("stopped"), how


KERNEL_REFUSALS = {
    "kernel-digest": r"digest mismatch: sha256 [0-9a-f]{64} is not in the built-in list \(2 entries\)",
    "kernel-truncated": r"truncated: segment \d+ \(0x[0-9a-f]+ bytes at 0x[0-9a-f]+\) beyond the file",
    "kernel-huge": r"too large: larger than the memory the Service VM may use",
    "kernel-missing": r"missing: no such file on the ESP",
    "kernel-pe-unsigned": r"signature: the firmware's db refuses it \(LoadImage status 0x[0-9a-f]+\)",
    "kernel-pe-no-payload": r"PE: no \.mbkern section: Tern runs multiboot kernels and this PE carries none",
    "kernel-pe-bad-payload": r"PE: its \.mbkern kernel: truncated: .*beyond the file",
}


@pytest.mark.parametrize("case", sorted(KERNEL_REFUSALS))
def test_qemu_tern_refuses_kernel(qemu_runs, case):
    """A Service VM kernel failing verification: one line naming the file and the problem; the
    hypervisor never starts."""
    text, how, first, total = qemu_runs[case]
    text = first_attempt(text)
    in_order(text, VERIFY_LINES)
    lines = re.findall(r"^tern\.efi: REFUSED .*$", text, re.M)
    assert len(lines) == 1, "want one refusal line, got %r; console:\n%s" % (lines, text[-2000:])
    assert re.match(r"^tern\.efi: REFUSED \\EFI\\tern\\kernel: %s$" % KERNEL_REFUSALS[case], lines[0]), lines[0]
    assert "exiting boot services" not in text and "tern: " not in text, text[-2000:]


def test_qemu_console_follows_acpi_spcr(qemu_runs):
    """An ACPI SPCR table naming the 16550 at 0x2f8: tern.efi says so and Tern's own log goes to
    that port (QEMU's second serial port) instead of COM1."""
    text, how, first, total = qemu_runs["spcr-com2"]
    assert re.search(r"^tern\.efi: console: the ACPI SPCR's UART at I/O port 0x2f8$", text, re.M), \
        text[-2000:]
    assert not re.search(r"^tern: ", text, re.M), "Tern wrote to COM1:\n" + text[-2000:]
    with open(os.path.join(SB, "runs", "spcr-com2", "com2.txt"), "rb") as f:
        com2 = ANSI.sub("", f.read().decode(errors="replace").replace("\r", ""))
    in_order(com2, [r"^tern: Tern x86 image starting$", r"^tern: REFUSED: Tern needs VMX",
                    r"^tern: power off \(code 2\)$"])
    assert how == "exited rc=5", how


def test_qemu_tern_accepts_pe_kernel_through_db(qemu_runs, secboot):
    """The test guest wrapped as a PE32+ and signed with db passes LoadImage; tern.efi takes the
    ELF in its .mbkern section from the same bytes as the Service VM kernel, and Tern starts with
    it as its module (then refuses VMX)."""
    text, how, first, total = qemu_runs["kernel-pe-signed"]
    in_order(text, VERIFY_LINES + [
        r"^tern\.efi: \\EFI\\tern\\kernel: PE32\+, %d bytes, \d+ segment\(s\)/section\(s\)$"
        % os.path.getsize(secboot["pe-signed"]),
        r"^tern\.efi: \\EFI\\tern\\kernel: PE32\+ signature accepted by the firmware's db$",
        r"^tern\.efi: \\EFI\\tern\\kernel: runs the ELF32 multiboot kernel in its \.mbkern section "
        r"\(%d bytes at file offset 0x[0-9a-f]+\)$" % os.path.getsize(GUEST_ELF),
        r"^tern: Tern x86 image starting$",
        # The module is the ELF alone: exactly its size.
        r"^tern:   module ([0-9a-f]+)-([0-9a-f]+) \"testguest\"$",
        r"^tern: REFUSED: Tern needs VMX",
    ])
    m = re.search(r"^tern:   module ([0-9a-f]+)-([0-9a-f]+) ", text, re.M)
    assert int(m.group(2), 16) - int(m.group(1), 16) == os.path.getsize(GUEST_ELF), m.group(0)
    assert how == "exited rc=5", how


def bochs_efi(image, target, name, mark, cpus=1):
    """Boot a private copy of the ESP image (made by make target) on Bochs (cpus CPUs) + the 2 MiB
    OVMF until Tern powers off; mark: the regex of the first Tern line timed (res.mark_s)."""
    need_tools("bochs")
    need(image, "make " + target)
    need(OVMF_2M, "make " + target)
    out = os.path.join(BUILD, "boot", name)
    os.makedirs(out, exist_ok=True)
    disk = os.path.join(out, "esp.img")
    shutil.copyfile(image, disk)             # Bochs leaves IMG.lock behind when stopped
    if os.path.exists(disk + ".lock"):
        os.unlink(disk + ".lock")
    return bochs_run.run_bochs(None, out, timeout=BOCHS_TIMEOUT, efi_disk=disk, efi_rom=OVMF_2M,
                               until=r"^tern: power off", mark=mark, cpus=cpus)


def test_bochs_efi_boots_testguest():
    """Bochs + Debian's 2 MiB OVMF as ROM -> tern.efi -> Tern -> the test guest's SUMMARY."""
    res = bochs_efi(ESP_BOCHS, "efi-esp", "efi-bochs", r"^tern(\.efi)?: ")
    record_timing("bochs_efi_first_tern_s", res.mark_s)
    record_timing("bochs_efi_summary_s", res.summary_s)
    # The Service VM's own lines and Tern's, without the "[vm0] " prefix of VM output.
    com1 = split_console(res.com1)[0]
    in_order(com1, [
        r"^tern\.efi: Secure Boot off; Service VM kernel \\EFI\\tern\\testguest\.elf",
        r"^tern\.efi: \\EFI\\tern\\testguest\.elf: sha256 [0-9a-f]{64} is in the built-in list$",
        r"^tern: Tern x86 image starting$",
        r"^tern: UEFI entry from tern\.efi \(UEFI\)",
        r"^tern: VMXON done$",
        r'^tern: loading guest "testguest triple-fault-resets irq=1" \(\d+ bytes\)$',
        r"^testguest: start \(under Tern, hypervisor signature TernTernTern\)$",
        r"^SUMMARY: \d+ tests, 0 failures, \d+ skipped$",
        r"^tern: Service VM stopped: guest-exit, detail 0x0, exit status 0, \d+ exits in \d+ ms$",
        r"^tern: power off \(code 0\)$",
    ])
    assert_guest_results(com1, tern_expected(), TERN_SKIPS_NOT_GRUB)


def test_bochs_efi_boots_pe_testguest():
    """Bochs + OVMF without Secure Boot: the wrapped test guest (PE32+) as the Service VM kernel
    is verified by its digest (the PE file's, in the built-in list), and the ELF in its .mbkern
    section runs to the SUMMARY with every check as from the ELF file."""
    need(GUEST_PE, "make guest-pe")
    need(TERN_EFI, "make efi")
    out = os.path.join(BUILD, "boot", "efi-bochs-pe")
    os.makedirs(out, exist_ok=True)
    cmdline = os.path.join(out, "cmdline.txt")
    with open(cmdline, "w") as f:
        f.write("kernel=\\EFI\\tern\\testguest.efi triple_fault=reset trace=e9 -- testguest triple-fault-resets irq=1\n")
    image = os.path.join(out, "esp-pe.img")
    make_esp(image, [("EFI/BOOT/BOOTX64.EFI", TERN_EFI), ("EFI/tern/testguest.efi", GUEST_PE),
                     ("EFI/tern/cmdline.txt", cmdline)])
    res = bochs_efi(image, "efi guest-pe", "efi-bochs-pe-run", r"^tern(\.efi)?: ")
    record_timing("bochs_efi_pe_summary_s", res.summary_s)
    com1 = split_console(res.com1)[0]
    digest = run(["sha256sum", GUEST_PE]).stdout.decode().split()[0]
    in_order(com1, [
        r"^tern\.efi: Secure Boot off; Service VM kernel \\EFI\\tern\\testguest\.efi",
        r"^tern\.efi: \\EFI\\tern\\testguest\.efi: PE32\+, %d bytes" % os.path.getsize(GUEST_PE),
        r"^tern\.efi: \\EFI\\tern\\testguest\.efi: sha256 %s is in the built-in list$" % digest,
        r"^tern\.efi: \\EFI\\tern\\testguest\.efi: runs the ELF32 multiboot kernel in its \.mbkern section",
        r"^tern: Tern x86 image starting$",
        r'^tern: loading guest "testguest triple-fault-resets irq=1" \(%d bytes\)$' % os.path.getsize(GUEST_ELF),
        r"^testguest: start \(under Tern, hypervisor signature TernTernTern\)$",
        r"^SUMMARY: \d+ tests, 0 failures, \d+ skipped$",
        r"^tern: power off \(code 0\)$",
    ])
    assert_guest_results(com1, tern_expected(), TERN_SKIPS_NOT_GRUB)
