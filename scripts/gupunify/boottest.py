"""make boottest: build, boot and test a kernel before and after the gup-unify series."""
import hashlib
import os
import shutil

from . import bootbuild, guests, initramfs, kbuild, report, tree as kernel_tree
from .qemuboot import KVM_TIMEOUT, TCG_TIMEOUT, accelerator, boot_with_fallback, timing_boots
from .tap import KERNELS, compare, judge, parse_tap, scan_console
from .util import die, progress
from .workspace import checkout, scratch_dir, series_range, toplevel

# gup_test's case for get_user_pages_fast_only(), which only a kernel made
# with --fast-only has.
FAST_ONLY_CASE = "fast_only_atomic_short"


def _cell(result):
    if result["status"] == "pass":
        text = "ok"
    elif result["status"] == "fail":
        text = "**not ok**"
    elif result["status"] == "skip":
        text = "SKIP"
    else:
        text = result["status"]
    detail = "; ".join(result["notes"] + ([result["reason"]] if result["reason"] else []))
    return (text + ": " + detail if detail else text).replace("|", "\\|")


def markdown(res):
    """One arch's section: base and patched side by side, timings, builds and boots."""
    kernels = res["kernels"]
    labels = [k for k in KERNELS if k in kernels]
    out = ["## %s: %s" % (res["arch"], res["family"]), "",
           "Result: **%s**. Accelerator: %s (%s). Branch `%s`." % (
               res["result"], res["accel"], res["accel_reason"], res["branch"])]
    for label in labels:
        k = kernels[label]
        out.append("%s: %s (%s)" % (label, k["commit"][:12], k["tap"].get("kernel") or "?"))
    if res["problems"]:
        out += ["", "Problems:", ""] + ["- " + p for p in res["problems"]]
    out += ["", "### Cases", "", "| test | " + " | ".join(labels) + " |",
            "|---|" + "---|" * len(labels)]
    for row in res["cases"]:
        out.append("| %s | %s |" % (row["name"], " | ".join(_cell(row[k]) for k in labels)))
    boots = max([t.get("boots", 1) for t in res["timings"].values()] or [1])
    out += ["", "### gup_benchmark timings (usec, %d boot(s) each: least minimum, median "
            "of medians; reported, not asserted)" % boots, "",
            "| kernel | fast get min | fast get median | slow get min | slow get median "
            "| fast put median | fast/slow (min) |", "|---|---|---|---|---|---|---|"]
    for label, t in res["timings"].items():
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            label, t.get("fast_get_min_usec"), t.get("fast_get_usec"),
            t.get("slow_get_min_usec"), t.get("slow_get_usec"), t.get("fast_put_usec"),
            t.get("fast_over_slow")))
    if res["ratios"]:
        out += ["", "patched/base (above 1: patched slower): " + ", ".join(
            "%s %.3f" % (key, ratio) for key, ratio in res["ratios"].items())]
    out += ["", "### Builds and boots", "",
            "| kernel | config s | image s | module s | ccache hits/misses | boot s | "
            "guest uptime at test | clocksource | kernel warnings |",
            "|---|---|---|---|---|---|---|---|---|"]
    for label in labels:
        k = kernels[label]
        b, boot = k["build"], k["boot"]
        out.append("| %s | %s | %s | %s | %s/%s | %s | %s | %s | %d |" % (
            label, b.get("config_s"), b.get("kernel_s"), b.get("module_s"),
            b.get("ccache_hits"), b.get("ccache_misses"), boot.get("wall_s"),
            k["tap"].get("uptime"), k["console"]["clocksource"],
            len(k["console"]["warnings"])))
    out += ["", "gup_unify_test.ko with -Wall -Wextra: " + ", ".join(
        "%s %d warnings in its own files (%d in the tree's headers)" % (
            label, len(kernels[label]["build"].get("module_warnings", [])),
            kernels[label]["build"].get("module_header_warnings", 0)) for label in labels)]
    out += ["", "Knobs applied: " + "; ".join(
        "%(knob)s (%(reason)s)" % k for k in res["knobs"])]
    for label in labels:
        for w in kernels[label]["console"]["warnings"]:
            out.append("- %s kernel log: %s" % (label, w))
        for w in kernels[label]["build"].get("module_warnings", []):
            out.append("- %s module build: %s" % (label, w))
    return "\n".join(out) + "\n"


def summarize(res):
    """Set the overall result and problems from each kernel's judgement."""
    res["cases"], res["timings"], res["ratios"] = compare(res["kernels"])
    res["problems"] = []
    for label in KERNELS:
        if label in res["kernels"]:
            res["problems"] += ["%s: %s" % (label, p) for p in judge(res["kernels"][label])]
    # Where the arch has no DAX, its cases SKIP on both kernels by design;
    # so does the fast-only case on a kernel without get_user_pages_fast_only()
    # (a branch made without --fast-only).
    arch = res.get("arch", "x86_64")
    expected = (() if guests.GUESTS[arch].dax else guests.DAX_CASES) + (
        () if arch in guests.HUGETLB else guests.HUGETLB_CASES)
    if "patched" in res["kernels"]:
        if not res["kernels"]["patched"].get("api", {}).get("has_fast_only"):
            expected += (FAST_ONLY_CASE,)
        skipped = [t["name"] for t in res["kernels"]["patched"]["tap"]["tests"]
                   if t["status"] == "skip" and t["name"] not in expected]
        if skipped:
            res["problems"].append("patched: skipped " + ", ".join(skipped))
    res["result"] = "fail" if res["problems"] else "pass"
    return res


def summarize_all(res):
    """The arch x case matrix, and the overall result and problems of every arch."""
    res["problems"] = []
    names = []
    for arch, one in res["arches"].items():
        res["problems"] += ["%s %s" % (arch, p) for p in one["problems"]]
        names += [row["name"] for row in one["cases"] if row["name"] not in names]
    res["problems"] += ["%s: not booted: %s" % kv for kv in res["not_booted"].items()]
    res["matrix"] = []
    for name in names:
        row = {"name": name}
        for arch, one in res["arches"].items():
            case = next((c for c in one["cases"] if c["name"] == name), None)
            row[arch] = {k: case[k]["status"] if case and k in case else "missing"
                         for k in res["kernels"]}
        res["matrix"].append(row)
    if any(one["result"] != "pass" for one in res["arches"].values()):
        res["result"] = "fail"
    elif res["not_booted"] or not res["arches"]:
        res["result"] = "incomplete"
    else:
        res["result"] = "pass"
    return res


STATUS = {"pass": "ok", "fail": "FAIL", "skip": "SKIP", "missing": "-"}


def matrix_rows(res):
    """The matrix as rows of cells: a header, the cases, then per-arch facts."""
    arches = list(res["arches"])
    labels = res["kernels"]
    rows = [["case (%s)" % " / ".join(labels)] + arches,
            ["family"] + [res["arches"][a]["family"] for a in arches]]
    for row in res["matrix"]:
        rows.append([row["name"]] + [" / ".join(STATUS[row[a][k]] for k in labels)
                                     for a in arches])

    def per_kernel(fn):
        return [" / ".join(str(fn(res["arches"][a]["kernels"][k])) for k in labels)
                for a in arches]
    rows.append(["kernel warnings"] + per_kernel(lambda k: len(k["console"]["warnings"])))
    rows.append(["build s (image)"] + per_kernel(lambda k: k["build"].get("kernel_s")))
    rows.append(["ccache hits/misses"] + per_kernel(
        lambda k: "%s:%s" % (k["build"].get("ccache_hits"), k["build"].get("ccache_misses"))))
    rows.append(["boot s"] + per_kernel(lambda k: k["boot"].get("wall_s")))
    rows.append(["fast/slow (min)"] + per_kernel(
        lambda k: k["tap"]["timing"].get("fast_over_slow")))
    rows.append(["accelerator"] + [res["arches"][a]["accel"] for a in arches])
    return rows


def matrix_text(res):
    """The matrix for a terminal."""
    rows = matrix_rows(res)
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines + ["not booted: %s: %s" % kv for kv in res["not_booted"].items()])


def report_markdown(res):
    """boottest.md: the arch x case matrix, what was not booted, then each arch."""
    out = ["# gup-unify boottest: %s" % res["tree"], "",
           "Result: **%s** (%s). Branch `%s`." % (
               res["result"], ", ".join(res["arches"]) or "no arch booted", res["branch"])]
    if res.get("distcc_hosts"):
        out += ["", "Compiles sent to the distcc hosts %s through ccache, -j%d."
                % (res["distcc_hosts"], res["jobs"])]
    if res["problems"]:
        out += ["", "Problems:", ""] + ["- " + p for p in res["problems"]]
    rows = matrix_rows(res)
    out += ["", "## Arch x case (%s)" % " / ".join(res["kernels"]), "",
            "| " + " | ".join(rows[0]) + " |", "|---" * len(rows[0]) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows[1:]]
    if res["not_booted"]:
        out += ["", "Not booted:", ""] + ["- %s: %s" % kv for kv in res["not_booted"].items()]
    for one in res["arches"].values():
        out += ["", markdown(one).rstrip("\n")]
    return "\n".join(out) + "\n"


def write_reports(res, where):
    """boottest.md and boottest.json in the reports folder where; returns where."""
    return report.write_pair(res, report_markdown(res), where, res["repository"], "boottest")


# ----------------------------------------------------------------------- main

def kernel_revs(repo, branch):
    """{label: commit}: base is the merge-base of HEAD and branch, patched is branch."""
    base, patched = series_range(repo, branch)
    return {"base": base, "patched": patched}


def run_kernel(label, arch, repo, rev, top, exe, qemu, clean, version,
               make_jobs=(bootbuild.JOBS, None)):
    """Check out, build, pack and boot one kernel; returns its record.

    top is the kernel's folder: its worktree (top/src) serves every arch,
    as a kernel tree is some 1 GB, and each arch builds in top/<arch>/.
    qemu is {"accel", "reason", "timeout"}; a KVM that fails switches it to
    TCG for this and every later kernel, so that their timings compare.
    make_jobs is (-j, distcc environment or None) for the builds.
    """
    g = guests.GUESTS[arch]
    src = checkout(repo, os.path.join(top, "src"), rev)
    work = os.path.join(top, arch)
    os.makedirs(work, exist_ok=True)
    build = os.path.join(work, "build")
    guest = os.path.join(work, "guest")
    os.makedirs(guest, exist_ok=True)
    with open(os.path.join(work, "build.log"), "w") as log:
        progress("%s %s: building %s (log: %s)" % (arch, label, rev[:12], log.name))
        knobs = kbuild.knobs(arch, src, version)
        timings, module = bootbuild.build_kernel(src, build, log, clean, arch, knobs,
                                                 *make_jobs)
    progress("%s %s: %s in %.0f s, module in %.0f s" % (
        arch, label, g.target, timings["kernel_s"], timings["module_s"]))
    initrd = initramfs.guest_initramfs(arch, guest, exe, module)
    image = os.path.join(build, g.image)
    progress("%s %s: booting under QEMU (%s)" % (arch, label, qemu["accel"]))
    record, tap_text, console_text = boot_with_fallback(image, initrd, guest, qemu, arch)
    record["bzimage"], record["initrd"] = image, initrd
    tap = parse_tap(tap_text)
    progress("%s %s: %d results in %.0f s" % (arch, label, len(tap["tests"]),
                                              record["wall_s"]))
    return {"commit": rev, "arch": arch, "api": kernel_tree.api_state(src),
            "family": guests.family(arch, kbuild.read_config(build), src),
            "knobs": [k.as_dict() for k in knobs], "build": timings, "boot": record, "tap": tap,
            "console": scan_console(console_text)}


def parse_arches(text):
    """The arches of --arch (a,b,... or all), in the table's order."""
    names = guests.ALL if text == "all" else [a for a in text.split(",") if a]
    unknown = [a for a in names if a not in guests.ALL]
    if unknown or not names:
        die("unknown arch %s: choose from %s or all" % (
            ",".join(unknown) or repr(text), ",".join(guests.ALL)))
    return [a for a in guests.ALL if a in names]


def check_tools(arches):
    """Die naming the first tool an arch needs that is not installed."""
    for arch in arches:
        g = guests.GUESTS[arch]
        missing = kbuild.missing_toolchain(arch)
        if missing:
            die("%s: %s: run make deps-boottest" % (arch, missing))
        for tool in (g.qemu, "make"):
            if not shutil.which(tool):
                die("%s not found (for %s): run make deps-boottest" % (tool, arch))


def run_arch(arch, repo, revs, wanted, root, args, version,
             make_jobs=(bootbuild.JOBS, None)):
    """Build and boot base and patched for one arch; returns its summarized result."""
    accel, why = (("tcg", "--tcg given") if args.tcg else accelerator(arch))
    qemu = {"accel": accel, "reason": why,
            "timeout": args.timeout or (KVM_TIMEOUT if accel == "kvm" else TCG_TIMEOUT)}
    progress("%s: accelerator %s (%s)" % (arch, accel, why))
    work = os.path.join(root, arch)
    os.makedirs(work, exist_ok=True)
    exe = initramfs.build_test_program(work, arch)
    res = {"arch": arch, "family": guests.GUESTS[arch].family, "branch": args.branch,
           "kernels": {}}
    for label in wanted:
        res["kernels"][label] = run_kernel(label, arch, repo, revs[label],
                                           os.path.join(root, label), exe, qemu, args.clean,
                                           version, make_jobs)
    # The knobs come from the tree and the compiler, the GUP code from the
    # tree's config: the same for both kernels.
    res["knobs"] = next(iter(res["kernels"].values()))["knobs"]
    res["family"] = next(iter(res["kernels"].values()))["family"]
    res["accel"], res["accel_reason"] = qemu["accel"], qemu["reason"]
    if args.boots > 1:
        progress("%s timings: %d more boots of each kernel, in turn" % (arch, args.boots - 1))
        timing_boots(res["kernels"], qemu, args.boots)
    return summarize(res)


def main(args):
    """The boottest subcommand: build and boot base and patched; writes the report, returns it."""
    tree = kernel_tree.KernelTree(args.kernel)
    where = report.folder(args.reports, tree)
    repo = tree.path
    if toplevel(repo) != repo:
        die("%s: not the top of a git checkout" % repo)
    arches = parse_arches(args.arch)
    # Compiles go to the distcc hosts through ccache, -j their slots.
    make_jobs = (kbuild.distcc(args.distcc_hosts) if args.distcc_hosts
                 else (bootbuild.JOBS, None))
    check_tools([a for a in arches if a in guests.GUESTS])
    revs = kernel_revs(repo, args.branch)
    wanted = [args.only] if args.only else list(KERNELS)
    # Keyed by the repository too: two trees may share a name.
    digest = hashlib.sha1(repo.encode()).hexdigest()[:10]
    root = os.path.join(scratch_dir(), "boottest", "%s-%s" % (tree.name, digest))
    os.makedirs(root, exist_ok=True)
    runs, not_booted = {}, {}
    for arch in arches:
        if arch in guests.NOT_BOOTED:
            not_booted[arch] = guests.NOT_BOOTED[arch]
            progress("%s: not booted: %s" % (arch, not_booted[arch]))
            continue
        runs[arch] = run_arch(arch, repo, revs, wanted, root, args, tree.full_version,
                              make_jobs)
    res = summarize_all({"tree": tree.name, "repository": repo, "branch": args.branch,
                         "kernels": wanted, "arches": runs, "not_booted": not_booted,
                         "distcc_hosts": args.distcc_hosts, "jobs": make_jobs[0]})
    write_reports(res, where)
    progress("report: %s" % os.path.join(where, "boottest.md"))
    return res


def summary(res):
    """The text the boot test prints: the arch x case matrix, the result, the problems."""
    return "%s\nresult: %s\n%s" % (matrix_text(res), res["result"],
                                    "".join("problem: %s\n" % p for p in res["problems"]))


def status(res):
    """The boot test's exit status: 0 when it passed, else 1."""
    return 0 if res["result"] == "pass" else 1
