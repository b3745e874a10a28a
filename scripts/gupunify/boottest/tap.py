"""gup_test's TAP and the kernel log: what a boot says, and whether it passed."""
import re

from .bootresult import CaseCell, CaseRow, ConsoleScan, TapRun, TapTest

KERNELS = ("base", "patched")


def parse_tap(text):
    """Parse gup_test's TAP into a TapRun: results (TapTest), the '# <test>:' notes,
    timings, completeness."""
    tap = TapRun(version=None, plan=None, tests=[], kernel=None, uptime=None, timing={},
                 totals=None, problems=[])
    notes = {}
    for line in text.splitlines():
        line = line.rstrip("\r")
        m = re.match(r"TAP version (\d+)$", line)
        if m:
            tap.version = int(m.group(1))
            continue
        m = re.match(r"1\.\.(\d+)$", line)
        if m:
            tap.plan = int(m.group(1))
            continue
        m = re.match(r"(not )?ok (\d+) (\S+)(?: # (SKIP|TODO)\b ?(.*))?$", line)
        if m:
            status = "fail" if m.group(1) else "skip" if m.group(4) == "SKIP" else "pass"
            tap.tests.append(TapTest(int(m.group(2)), m.group(3), status,
                                        m.group(5) or "", notes.get(m.group(3), [])))
            continue
        m = re.match(r"# (kernel|uptime): (.*)$", line)
        if m:
            setattr(tap, m.group(1), m.group(2))
            continue
        m = re.match(r"# timing: (.*)$", line)
        if m:
            tap.timing = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))}
            continue
        m = re.match(r"# Totals: (.*)$", line)
        if m:
            tap.totals = {k: int(v) for k, v in re.findall(r"(\w+):(\d+)", m.group(1))}
            continue
        m = re.match(r"# (\w+): (.*)$", line)
        if m:
            notes.setdefault(m.group(1), []).append(m.group(2))
    if tap.plan is None:
        tap.problems.append("no TAP plan: gup_test did not start")
    elif len(tap.tests) != tap.plan:
        tap.problems.append("%d of %d results: the guest stopped early"
                               % (len(tap.tests), tap.plan))
    elif tap.totals is None:
        tap.problems.append("no '# Totals' line: gup_test did not finish")
    for t in tap.tests:
        if t.status == "fail":
            tap.problems.append("not ok %d %s" % (t.number, t.name))
    tap.complete = (tap.plan is not None and len(tap.tests) == tap.plan
                       and tap.totals is not None)
    return tap


def scan_console(text):
    """What the kernel log says (a ConsoleScan): warnings (first line each), oopses,
    init's exit status."""
    lines = [line.rstrip("\r") for line in text.splitlines()]
    found = ConsoleScan(warnings=[], oops=[], exit_status=None, dax=None, clocksource=None)
    for line in lines:
        body = re.sub(r"^\[\s*\d+\.\d+\]\s*", "", line)
        if body.startswith("WARNING:"):
            found.warnings.append(body)
        elif re.match(r"(BUG:|Oops|Kernel panic|general protection fault)", body):
            found.oops.append(body)
        m = re.match(r"boottest: gup_test exit status (\d+)", body)
        if m:
            found.exit_status = int(m.group(1))
        if "DAX enabled" in body:
            found.dax = body
        m = re.match(r"boottest: clocksource (\S+)", body)
        if m:
            found.clocksource = m.group(1)
    return found


def judge(kernel):
    """The problems that make one kernel's run (a KernelBoot) a failure (empty when it passed)."""
    problems = list(kernel.tap.problems)
    boot = kernel.boot
    if boot.get("timed_out"):
        problems.append("QEMU timed out after %d s" % boot["timeout_s"])
    problems += ["kernel: " + line for line in kernel.console.oops]
    return problems


def compare(kernels):
    """Side-by-side rows per test, and the timings of both kernels with ratios.

    kernels is {label: KernelBoot}.
    """
    tests = {label: kernels[label].tap.tests for label in KERNELS if label in kernels}
    names = []
    for label in tests:
        for t in tests[label]:
            if t.name not in names:
                names.append(t.name)
    cases = []
    for name in names:
        row = CaseRow(name, {})
        for label in KERNELS:
            t = next((t for t in tests.get(label, []) if t.name == name), None)
            row.kernels[label] = (CaseCell(t.status, t.reason, t.notes) if t
                                  else CaseCell("missing", "", []))
        cases.append(row)
    timings = {label: kernels[label].tap.timing for label in KERNELS
               if label in kernels and kernels[label].tap.timing}
    for label, t in timings.items():
        if t.get("slow_get_min_usec"):
            t["fast_over_slow"] = round(t["fast_get_min_usec"] / t["slow_get_min_usec"], 3)
    ratios = {}
    if len(timings) == 2:
        for key in ("fast_get_min_usec", "fast_get_usec", "slow_get_min_usec",
                    "slow_get_usec"):
            if timings["base"].get(key) and key in timings["patched"]:
                ratios[key] = round(timings["patched"][key] / timings["base"][key], 3)
    return cases, timings, ratios
