#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Boot a GRUB ISO on headless Bochs (or an ELF on QEMU) and capture COM1.

Used by `make boot` (streams the console) and by test_boot.py. Bochs exits
with status 1 both on guest shutdown and on errors (PLATFORMS.md), so the
verdict always comes from the serial output, never from the exit status.

    bochs_run.py --iso build/tern.iso --out build/boot [--stream] [--timeout S] [--cpus N]
    bochs_run.py --efi-disk build/efi/esp-bochs.img --efi-rom build/efi/ovmf-2m.rom ...
    bochs_run.py ... --megs 6144    (a machine with RAM above 4 GiB)
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BOCHSRC = os.path.join(HERE, "bochsrc.txt")
BOCHSRC_EFI = os.path.join(HERE, "bochsrc-efi.txt")
CONT = os.path.join(HERE, "bochs.cont")
BXSHARE = "/usr/share/bochs"
# Under Tern the Service VM's lines come prefixed with its name (plat_vm.c).
SUMMARY_RE = re.compile(r"^(?:\[vm0\] )?SUMMARY: (\d+) tests, (\d+) failures, (\d+) skipped", re.M)
# After the guest's SUMMARY, Tern reports the VM's exit (docs/x86.md); give
# it this long before stopping Bochs ourselves.
AFTER_SUMMARY_GRACE = 3.0


class BootResult:
    def __init__(self):
        self.com1 = ""
        self.com2 = b""
        self.stdout = ""             # Bochs's stdout: port 0xE9 output lands here
        self.e9_trace = b""          # the binary trace a trace=e9 recording framed on port 0xE9
        self.first_output_s = None   # power-on to the first COM1 byte
        self.summary_s = None        # power-on to the SUMMARY line
        self.until_s = None          # power-on to the line matching until=
        self.mark_s = None           # power-on to the first line matching mark=
        self.total_s = None
        self.how = ""                # "exited rc=N", "stopped after SUMMARY", "timeout"
        self.log_path = None

    def summary(self):
        m = SUMMARY_RE.search(self.com1)
        return tuple(int(x) for x in m.groups()) if m else None


def missing_tools(qemu=False):
    need = ["qemu-system-x86_64"] if qemu else ["bochs"]
    return [t for t in need if shutil.which(t) is None]


def _read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except FileNotFoundError:
        return "" if mode == "r" else b""


def run_bochs(iso, outdir, timeout=120.0, stream=False, stop_after_summary=True,
              until=None, until_grace=10.0, efi_disk=None, efi_rom=None, mark=None, cpus=1,
              megs=None):
    """Boot iso on Bochs; returns a BootResult.

    The run ends when Bochs exits, at the timeout, AFTER_SUMMARY_GRACE seconds after the guest's
    SUMMARY (if stop_after_summary), or until_grace seconds after the regex until matches COM1.
    The graces let Bochs power off by itself, which flushes its stdout (port 0xE9 output).
    efi_disk/efi_rom: boot UEFI (bochsrc-efi.txt) from this ESP image with this OVMF ROM instead
    of the ISO. mark: a regex; res.mark_s is when COM1 first matched it (the first Tern line).
    cpus: the emulated CPU count (bochsrc.txt's count=$TERN_CPUS).
    megs: the machine's RAM in MiB instead of the bochsrc's 512 (more than 4 GiB works: Bochs 2.7
    puts what is above 3 GiB at 4 GiB, PLATFORMS.md); a copy of the bochsrc in outdir says so.
    """
    os.makedirs(outdir, exist_ok=True)
    com1 = os.path.join(outdir, "com1.txt")
    com2 = os.path.join(outdir, "com2.bin")
    log = os.path.join(outdir, "bochs.log")
    for p in (com1, com2, log):
        if os.path.exists(p):
            os.unlink(p)
    env = dict(os.environ, TERN_ISO=os.path.abspath(iso or os.devnull), TERN_CONSOLE=com1,
               TERN_TRACEPORT=com2, TERN_LOG=log, BXSHARE=os.environ.get("BXSHARE", BXSHARE),
               TERN_CPUS=str(cpus))
    rc = BOCHSRC
    if efi_disk:
        rc = BOCHSRC_EFI
        env.update(TERN_DISK=os.path.abspath(efi_disk), TERN_ROM=os.path.abspath(efi_rom))
    if megs:
        with open(rc) as f:
            text = f.read()
        assert "\nmegs: 512\n" in text, rc
        rc = os.path.join(outdir, "bochsrc.txt")
        with open(rc, "w") as f:
            # host= (what Bochs allocates; the rest goes to a swap file) must be below 4096.
            f.write(text.replace("\nmegs: 512\n", "\nmemory: guest=%d, host=%d\n" % (megs, min(megs, 2048))))
    res = BootResult()
    res.log_path = log
    with open(os.path.join(outdir, "bochs.stdout"), "wb") as out:
        t0 = time.monotonic()
        proc = subprocess.Popen(["bochs", "-f", rc, "-q", "-rc", CONT], env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        shown = 0
        stop_at = None      # (time, reason) once a stop condition has been seen
        try:
            while True:
                text = _read(com1).replace("\r", "")
                now = time.monotonic() - t0
                if text and res.first_output_s is None:
                    res.first_output_s = now
                if stream and len(text) > shown:
                    sys.stdout.write(text[shown:])
                    sys.stdout.flush()
                    shown = len(text)
                if mark is not None and res.mark_s is None and re.search(mark, text, re.M):
                    res.mark_s = now
                if res.summary_s is None and SUMMARY_RE.search(text):
                    res.summary_s = now
                    if stop_after_summary and stop_at is None:
                        stop_at = (now + AFTER_SUMMARY_GRACE, "stopped after SUMMARY")
                if until is not None and re.search(until, text, re.M):
                    res.until_s = now
                    if stop_at is None or stop_at[1] == "stopped after SUMMARY":
                        stop_at = (now + until_grace, "stopped after %r" % until)
                    until = None
                rc = proc.poll()
                if rc is not None:
                    res.how = "exited rc=%d" % rc
                    break
                if stop_at is not None and now > stop_at[0]:
                    res.how = stop_at[1]
                    break
                if now > timeout:
                    res.how = "timeout after %.0f s" % timeout
                    break
                time.sleep(0.05)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        res.total_s = time.monotonic() - t0
    res.com1 = _read(com1).replace("\r", "")
    if stream and len(res.com1) > shown:
        sys.stdout.write(res.com1[shown:])
    res.com2 = _read(com2, "rb")
    raw = _read(os.path.join(outdir, "bochs.stdout"), "rb")
    res.stdout = raw.decode(errors="replace")
    res.e9_trace = extract_e9_trace(raw)
    return res


# A recording image with trace=e9 frames its binary trace on port 0xE9 (platform/x86/trace_rec.c),
# since Bochs's stdout carries Bochs's own lines as well: before and after the run, and, in the
# middle of it, a disassembly line when a CPU executes certain instructions (e.g. the guest's UD2
# before its triple fault). Those lines are taken out again; the end marker's byte count checks it.
E9_BEGIN = b"\nTERN-TRACE-E9-BEGIN\n"
E9_END_RE = re.compile(rb"\nTERN-TRACE-E9-END (\d+)\n")
BOCHS_CPU_LINE_RE = re.compile(
    rb"\(\d+\)\.\[\d+\] \[0x[0-9a-f]+\] [0-9a-f]{4}:[0-9a-f]{16} \(unk\. ctxt\): [^\n]*\n")


def extract_e9_trace(raw):
    """The trace bytes between the markers, Bochs's own lines taken out, exactly as many as the
    end marker counts; whatever there is when that cannot be had (the replay then says where
    it stops)."""
    i = raw.find(E9_BEGIN)
    if i < 0:
        return b""
    start = i + len(E9_BEGIN)
    ends = list(E9_END_RE.finditer(raw, start))
    if not ends:
        return BOCHS_CPU_LINE_RE.sub(b"", raw[start:])
    m = ends[-1]
    body = raw[start:m.start()]
    if len(body) != int(m.group(1)):
        body = BOCHS_CPU_LINE_RE.sub(b"", body)
    return body


TRACE_RE = re.compile(r"^# TRACE-BEGIN.*?\n(.*?)^# TRACE-END (\d+) exits", re.M | re.S)


def extract_trace(text):
    """The text trace a recording image streamed (docs/x86.md), or None."""
    m = TRACE_RE.search(text.replace("\r", ""))
    return m.group(1) if m else None


def run_qemu(args, timeout=60.0):
    """Run qemu-system-x86_64 with args (serial on stdio); returns (rc, output)."""
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-display", "none", "-serial", "stdio", "-no-reboot",
           "-monitor", "none"] + args
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace").replace("\r", "")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace").replace("\r", "")
        return None, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iso")
    ap.add_argument("--efi-disk", help="boot UEFI from this ESP image (with --efi-rom) instead")
    ap.add_argument("--efi-rom", help="the OVMF ROM image for --efi-disk")
    ap.add_argument("--out", default="build/boot")
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("BOOT_TIMEOUT", 300)))
    ap.add_argument("--stream", action="store_true")
    ap.add_argument("--cpus", type=int, default=int(os.environ.get("TERN_CPUS", 1)),
                    help="emulated CPUs (bochsrc.txt's count=$TERN_CPUS; default 1)")
    ap.add_argument("--megs", type=int, help="RAM in MiB instead of 512 (more than 4 GiB works)")
    a = ap.parse_args()
    miss = missing_tools()
    if miss:
        print("bochs_run: missing %s (make deps)" % ", ".join(miss), file=sys.stderr)
        return 2
    boot = a.efi_disk or a.iso
    if not boot or not os.path.exists(boot) or (a.efi_disk and not a.efi_rom):
        print("bochs_run: give --iso ISO or --efi-disk IMG --efi-rom ROM (missing: %s)" % boot,
              file=sys.stderr)
        return 2
    disk = None
    if a.efi_disk:
        # A private copy: Bochs leaves IMG.lock behind when it is stopped, refusing the next run.
        os.makedirs(a.out, exist_ok=True)
        disk = os.path.join(a.out, "esp.img")
        shutil.copyfile(a.efi_disk, disk)
        if os.path.exists(disk + ".lock"):
            os.unlink(disk + ".lock")
    res = run_bochs(a.iso, a.out, timeout=a.timeout, stream=a.stream, efi_disk=disk,
                    efi_rom=a.efi_rom, cpus=a.cpus, megs=a.megs)
    s = res.summary()
    print("\n[bochs_run] %s; first output %s s, SUMMARY %s s, total %.1f s; COM1 in %s/com1.txt"
          % (res.how, "%.2f" % res.first_output_s if res.first_output_s else "-",
             "%.2f" % res.summary_s if res.summary_s else "-", res.total_s, a.out))
    if s is None:
        print("[bochs_run] no SUMMARY line; Bochs log: %s" % res.log_path)
        return 1
    return 0 if s[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
