"""QEMU for the boot test: the accelerator, one boot, QEMU's failures, the timing boots."""
import os
import signal
import statistics
import subprocess
import time

from ..common.progress import progress
from ..common.util import die
from . import guests, pmemimage
from .tap import parse_tap

# A tiny kernel boots and runs gup_test in seconds under TCG; KVM gets less
# time because a KVM that hangs the guest is only noticed by its timeout.
KVM_TIMEOUT = 120
TCG_TIMEOUT = 900


def accelerator(arch="x86_64"):
    """('kvm', why) when arch is the host's and /dev/kvm opens read-write, else ('tcg', why)."""
    if not guests.kvm_possible(arch):
        return "tcg", "no KVM for %s on a %s host: TCG" % (arch, guests.host_arch())
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError as e:
        return "tcg", "/dev/kvm not usable (%s): TCG, slower" % (e.strerror or e)
    os.close(fd)
    return "kvm", "/dev/kvm usable"


def boot(image, initrd, guest_dir, accel, timeout, arch="x86_64"):
    """Boot once; returns the boot record and the TAP and console texts."""
    console_log = os.path.join(guest_dir, "console.log")
    tap_log = os.path.join(guest_dir, "tap.log")
    for path in (console_log, tap_log):
        if os.path.exists(path):
            os.unlink(path)
    pmem = None
    if arch in guests.NVDIMM:
        pmem = pmemimage.write_image(os.path.join(guest_dir, "pmem.img"), *guests.NVDIMM[arch])
    argv = guests.qemu_argv(arch, image, initrd, console_log, tap_log, accel, pmem)
    start = time.monotonic()
    status, messages = run_qemu(argv, timeout, os.path.join(guest_dir, "qemu.log"))
    wall = round(time.monotonic() - start, 1)
    texts = []
    for path in (tap_log, console_log):
        with open(path, errors="replace") if os.path.exists(path) else open(os.devnull) as f:
            texts.append(f.read())
    # The head of QEMU's output names a KVM internal error, its tail an abort.
    if len(messages) > 2000:
        messages = messages[:1000] + "\n...\n" + messages[-1000:]
    record = {"accel": accel, "wall_s": wall, "timeout_s": timeout,
              "timed_out": status == "timeout", "qemu_status": status,
              "qemu_output": messages, "console_log": console_log, "tap_log": tap_log}
    return record, texts[0], texts[1]


def qemu_death(record):
    """Why QEMU itself failed, as one line (None when it exited 0 or timed out)."""
    status = record["qemu_status"]
    if status in (0, "timeout"):
        return None
    if status == "kvm-error":
        how = "KVM internal error"
    elif status < 0:
        how = "killed by signal %d (%s)" % (-status, signal.Signals(-status).name)
    else:
        how = "exit %d" % status
    last = [line.strip() for line in record["qemu_output"].splitlines() if line.strip()]
    return "QEMU failed (%s): %s" % (how, last[-1] if last else "no output")


def check_qemu(record):
    """Die when QEMU failed in a way no other accelerator can help."""
    death = qemu_death(record)
    if death:
        die(death)


def run_qemu(argv, timeout, output):
    """Run QEMU; returns (status, output): its exit status, "timeout" or "kvm-error".

    Not util.run(): after a KVM internal error QEMU pauses the guest and
    would only burn the timeout, so its output is watched while it runs.
    """
    deadline = time.monotonic() + timeout
    with open(output, "w+") as out:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT)
        except FileNotFoundError:
            die("%s: command not found" % argv[0])
        status = None
        try:
            while status is None:
                try:
                    status = proc.wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    out.seek(0)
                    if "KVM internal error" in out.read():
                        status = "kvm-error"
                    elif time.monotonic() > deadline:
                        status = "timeout"
        finally:
            # On Ctrl-C too: QEMU must not outlive the run.
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        out.seek(0)
        return status, out.read().strip()


def kvm_failure(record, tap_text):
    """Why a KVM boot says nothing about the kernel (None when it does).

    Some hosts expose a /dev/kvm that cannot run a guest: QEMU then reports a
    KVM internal error and pauses the guest until the timeout, or dies on an
    assertion of its own (kvm_buf_set_msrs: SIGABRT). Whatever stops QEMU
    under KVM before gup_test's TAP plan is the accelerator's doing.
    """
    if record["accel"] != "kvm" or parse_tap(tap_text).plan is not None:
        return None
    if record["qemu_status"] == "kvm-error":
        return "QEMU: " + next((line.strip() for line in record["qemu_output"].splitlines()
                                if "KVM internal error" in line), "KVM internal error")
    if record["timed_out"]:
        return "no TAP output within %d s" % record["timeout_s"]
    return qemu_death(record)


def boot_with_fallback(image, initrd, guest, qemu, arch="x86_64"):
    """Boot once on qemu's accelerator; after a KVM failure, again under TCG.

    The switch stays in qemu, so that every later kernel boots under TCG too
    and the timings compare.
    """
    record, tap_text, console_text = boot(image, initrd, guest, qemu["accel"],
                                          qemu["timeout"], arch)
    failure = kvm_failure(record, tap_text)
    if failure:
        qemu.update(accel="tcg", timeout=TCG_TIMEOUT,
                    reason="KVM unusable here (%s): TCG, slower" % failure)
        progress(qemu["reason"])
        record, tap_text, console_text = boot(image, initrd, guest, "tcg",
                                              qemu["timeout"], arch)
        record["kvm_failure"] = failure
    check_qemu(record)
    return record, tap_text, console_text


def merge_timings(samples):
    """One timing from several boots: the least minimum, the median of the medians."""
    merged = {"boots": len(samples)}
    for key in samples[0]:
        values = [t[key] for t in samples if key in t]
        if key.endswith("_min_usec"):
            merged[key] = min(values)
        elif key.endswith("_usec"):
            merged[key] = int(statistics.median(values))
        else:
            merged[key] = values[0]
    return merged


def timing_boots(kernels, qemu, boots):
    """Boot every kernel boots - 1 more times, alternating, and merge the timings.

    kernels is {label: KernelBoot}.

    From one TCG boot to the next on a shared host, gup_benchmark's numbers
    move by some 10%: more boots, taken in turn, keep that out of the ratio.
    The first boot counts only if it ran on the accelerator the others use.
    """
    samples = {label: [k.tap.timing] if k.tap.timing
               and k.boot["accel"] == qemu["accel"] else [] for label, k in kernels.items()}
    for n in range(2, boots + 1):
        for label, k in kernels.items():
            guest = os.path.join(os.path.dirname(k.boot["tap_log"]), "boot-%d" % n)
            os.makedirs(guest, exist_ok=True)
            record, tap_text, _ = boot(k.boot["bzimage"], k.boot["initrd"], guest,
                                       qemu["accel"], qemu["timeout"], k.arch)
            check_qemu(record)
            tap = parse_tap(tap_text)
            k.tap.problems += ["boot %d: %s" % (n, p) for p in tap.problems]
            if record["timed_out"]:
                k.tap.problems.append("boot %d: QEMU timed out" % n)
            if tap.timing:
                samples[label].append(tap.timing)
    for label, k in kernels.items():
        if samples[label]:
            k.tap.timing = merge_timings(samples[label])
