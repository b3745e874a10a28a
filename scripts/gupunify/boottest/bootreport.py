"""make boottest's report: each arch's section, the arch x case matrix, boottest.md/.json."""
from ..common import report
from . import guests
from .tap import KERNELS, compare, judge

# gup_test's case for get_user_pages_fast_only(), which only a kernel made
# with --fast-only has.
FAST_ONLY_CASE = "fast_only_atomic_short"


def _cell(cell):
    """A CaseCell in the arch's table."""
    if cell.status == "pass":
        text = "ok"
    elif cell.status == "fail":
        text = "**not ok**"
    elif cell.status == "skip":
        text = "SKIP"
    else:
        text = cell.status
    detail = "; ".join(cell.notes + ([cell.reason] if cell.reason else []))
    return (text + ": " + detail if detail else text).replace("|", "\\|")


def _timings(res):
    """The gup_benchmark timings of an arch's section."""
    boots = max([t.get("boots", 1) for t in res.timings.values()] or [1])
    out = ["", "### gup_benchmark timings (usec, %d boot(s) each: least minimum, median "
           "of medians; reported, not asserted)" % boots, "",
           "| kernel | fast get min | fast get median | slow get min | slow get median "
           "| fast put median | fast/slow (min) |", "|---|---|---|---|---|---|---|"]
    for label, t in res.timings.items():
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            label, t.get("fast_get_min_usec"), t.get("fast_get_usec"),
            t.get("slow_get_min_usec"), t.get("slow_get_usec"), t.get("fast_put_usec"),
            t.get("fast_over_slow")))
    if res.ratios:
        out += ["", "patched/base (above 1: patched slower): " + ", ".join(
            "%s %.3f" % (key, ratio) for key, ratio in res.ratios.items())]
    return out


def markdown(res):
    """One arch's section: base and patched side by side, timings, builds and boots."""
    kernels = res.kernels
    labels = [k for k in KERNELS if k in kernels]
    out = ["## %s: %s" % (res.arch, res.family), "",
           "Result: **%s**. Accelerator: %s (%s). Branch `%s`." % (
               res.result, res.accel, res.accel_reason, res.branch)]
    for label in labels:
        k = kernels[label]
        out.append("%s: %s (%s)" % (label, k.commit[:12], k.tap.kernel or "?"))
    if res.problems:
        out += ["", "Problems:", ""] + ["- " + p for p in res.problems]
    out += ["", "### Cases", "", "| test | " + " | ".join(labels) + " |",
            "|---|" + "---|" * len(labels)]
    for row in res.cases:
        out.append("| %s | %s |" % (row.name, " | ".join(_cell(row.kernels[k]) for k in labels)))
    # boottest/'s own guest (gup_test and its module) times gup_benchmark;
    # a migration's boot cases build no module and time nothing.
    own_guest = any("module_s" in kernels[label].build for label in labels)
    if own_guest:
        out += _timings(res)
    out += ["", "### Builds and boots", "",
            "| kernel | config s | image s | module s | ccache hits/misses | boot s | "
            "guest uptime at test | clocksource | kernel warnings |",
            "|---|---|---|---|---|---|---|---|---|"]
    for label in labels:
        k = kernels[label]
        b, boot = k.build, k.boot
        out.append("| %s | %s | %s | %s | %s/%s | %s | %s | %s | %d |" % (
            label, b.get("config_s"), b.get("kernel_s"), b.get("module_s", "-"),
            b.get("ccache_hits"), b.get("ccache_misses"), boot.get("wall_s"),
            k.tap.uptime, k.console.clocksource,
            len(k.console.warnings)))
    if own_guest:
        out += ["", "gup_unify_test.ko with -Wall -Wextra: " + ", ".join(
            "%s %d warnings in its own files (%d in the tree's headers)" % (
                label, len(kernels[label].build.get("module_warnings", [])),
                kernels[label].build.get("module_header_warnings", 0)) for label in labels)]
    out += ["", "Knobs applied: " + "; ".join(
        "%(knob)s (%(reason)s)" % k for k in res.knobs)]
    for label in labels:
        for w in kernels[label].console.warnings:
            out.append("- %s kernel log: %s" % (label, w))
        for w in kernels[label].build.get("module_warnings", []):
            out.append("- %s module build: %s" % (label, w))
    return "\n".join(out) + "\n"


def summarize(res):
    """Set the arch's cases, timings, overall result and problems from each kernel's judgement."""
    res.cases, res.timings, res.ratios = compare(res.kernels)
    res.problems = []
    for label in KERNELS:
        if label in res.kernels:
            res.problems += ["%s: %s" % (label, p) for p in judge(res.kernels[label])]
    # Where the arch has no DAX, its cases SKIP on both kernels by design;
    # so does the fast-only case on a kernel without get_user_pages_fast_only()
    # (a branch made without --fast-only).
    arch = res.arch
    expected = (() if guests.GUESTS[arch].dax else guests.DAX_CASES) + (
        () if arch in guests.HUGETLB else guests.HUGETLB_CASES)
    if "patched" in res.kernels:
        if not (res.kernels["patched"].api or {}).get("has_fast_only"):
            expected += (FAST_ONLY_CASE,)
        skipped = [t.name for t in res.kernels["patched"].tap.tests
                   if t.status == "skip" and t.name not in expected]
        if skipped:
            res.problems.append("patched: skipped " + ", ".join(skipped))
    res.result = "fail" if res.problems else "pass"
    return res


def summarize_all(res):
    """Set the arch x case matrix, and the overall result and problems of every arch."""
    res.problems = []
    names = []
    for arch, one in res.arches.items():
        res.problems += ["%s %s" % (arch, p) for p in one.problems]
        names += [row.name for row in one.cases if row.name not in names]
    res.problems += ["%s: not booted: %s" % kv for kv in res.not_booted.items()]
    res.matrix = []
    for name in names:
        row = {"name": name}
        for arch, one in res.arches.items():
            case = next((c for c in one.cases if c.name == name), None)
            row[arch] = {k: case.kernels[k].status if case and k in case.kernels else "missing"
                         for k in res.kernels}
        res.matrix.append(row)
    if any(one.result != "pass" for one in res.arches.values()):
        res.result = "fail"
    elif res.not_booted or not res.arches:
        res.result = "incomplete"
    else:
        res.result = "pass"
    return res


STATUS = {"pass": "ok", "fail": "FAIL", "skip": "SKIP", "missing": "-"}


def _figure(value):
    """A figure of a kernel in the matrix; "-" where it has none."""
    return "-" if value is None else str(value)


def matrix_rows(res):
    """The matrix as rows of cells: a header, the cases, then per-arch facts."""
    arches = list(res.arches)
    labels = res.kernels
    rows = [["case (%s)" % " / ".join(labels)] + arches,
            ["family"] + [res.arches[a].family for a in arches]]
    for row in res.matrix:
        rows.append([row["name"]] + [" / ".join(STATUS[row[a][k]] for k in labels)
                                     for a in arches])

    def per_kernel(fn):
        return [" / ".join(_figure(fn(res.arches[a].kernels[k])) for k in labels)
                for a in arches]
    rows.append(["kernel warnings"] + per_kernel(lambda k: len(k.console.warnings)))
    rows.append(["build s (image)"] + per_kernel(lambda k: k.build.get("kernel_s")))
    rows.append(["ccache hits/misses"] + per_kernel(
        lambda k: "%s:%s" % (_figure(k.build.get("ccache_hits")),
                             _figure(k.build.get("ccache_misses")))))
    rows.append(["boot s"] + per_kernel(lambda k: k.boot.get("wall_s")))
    # Only the gup_test timing case measures it (gup-vmas' boot cases do not).
    if any(k.tap.timing.get("fast_over_slow") is not None
           for one in res.arches.values() for k in one.kernels.values()):
        rows.append(["fast/slow (min)"] + per_kernel(
            lambda k: k.tap.timing.get("fast_over_slow")))
    rows.append(["accelerator"] + [res.arches[a].accel for a in arches])
    return rows


def matrix_text(res):
    """The matrix for a terminal."""
    rows = matrix_rows(res)
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines + ["not booted: %s: %s" % kv for kv in res.not_booted.items()])


def report_markdown(res):
    """boottest.md: the arch x case matrix, what was not booted, then each arch."""
    out = ["# gup-unify boottest: %s" % res.tree_name, "",
           "Result: **%s** (%s). Branch `%s`." % (
               res.result, ", ".join(res.arches) or "no arch booted", res.branch)]
    if res.distcc_hosts:
        out += ["", "Compiles sent to the distcc hosts %s through ccache, -j%d."
                % (res.distcc_hosts, res.jobs)]
    if res.problems:
        out += ["", "Problems:", ""] + ["- " + p for p in res.problems]
    rows = matrix_rows(res)
    out += ["", "## Arch x case (%s)" % " / ".join(res.kernels), "",
            "| " + " | ".join(rows[0]) + " |", "|---" * len(rows[0]) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows[1:]]
    if res.not_booted:
        out += ["", "Not booted:", ""] + ["- %s: %s" % kv for kv in res.not_booted.items()]
    for one in res.arches.values():
        out += ["", markdown(one).rstrip("\n")]
    return "\n".join(out) + "\n"


def write_reports(res, where):
    """boottest.md and boottest.json in where, the reports folder of the tree; returns where."""
    return report.write_pair(res.to_json(), report_markdown(res), where, res.tree, "boottest")


def summary(res):
    """The text the boot test prints: the arch x case matrix, the result, the problems."""
    return "%s\nresult: %s\n%s" % (matrix_text(res), res.result,
                                    "".join("problem: %s\n" % p for p in res.problems))


# kselftest's KSFT_SKIP: every arch booted passed, but some arch was not
# booted, so a CI can tell "could not run here" from "failed"
INCOMPLETE = 4


def status(res):
    """The boot test's exit status: 0 passed, 1 failed, INCOMPLETE."""
    return {"pass": 0, "incomplete": INCOMPLETE}.get(res.result, 1)
