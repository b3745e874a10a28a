"""The lock-context advisor: GUP calls made where their locking goes wrong."""
import concurrent.futures
import os
import re
import tempfile

from . import report, spatch
from .tree import KernelTree
from .util import die, phase, progress, run
from .workspace import scratch_dir

COCCI = os.path.join(spatch.COCCI_DIR, "gup_lock_context.cocci")

CLASSES = {
    "A": "get_user_pages_fast() or _unlocked() with current->mm's mmap_sem held: "
         "the slow path takes it again (deadlock risk)",
    "B": "mmap_sem taken only around one get_user_pages() on current->mm: "
         "a candidate for get_user_pages_unlocked() or get_user_pages_fast()",
    "C": "get_user_pages_fast() where it must not sleep (spinlock, interrupts or "
         "preemption off, IRQ handler): only __get_user_pages_fast() (after the fast-only "
         "phase, get_user_pages_fast_only()) never sleeps",
}

# A file can have a finding only if it calls the family and names a lock or
# an atomic context; git grep picks those in a second, spatch reads only them.
CALLS = r"\b(get|pin)_user_pages(_fast|_unlocked)?\s*\("
CONTEXTS = (r"\b(mmap_sem|mmap_lock|mmap_(read|write)_lock\w*|(raw_)?spin_lock\w*|"
            r"(read|write)_lock\w*|local_irq_(disable|save)|preempt_disable|get_cpu|"
            r"local_bh_disable|rcu_read_lock|irqreturn_t)\b")

LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<column>\d+)-\d+: "
                  r"(?:WARNING|INFO): \[(?P<cls>[ABC])\] (?P<function>[^(]*)\(\): "
                  r"(?P<reason>.*)$")


def candidates(path):
    """The .c and .h files under path that call the family and name a lock context."""
    rc, out, _ = run(["git", "-C", path, "rev-parse", "--is-inside-work-tree"], check=False)
    index = [] if rc == 0 and out.strip() == "true" else ["--no-index"]
    rc, out, err = run(["git", "-C", path, "grep"] + index +
                       ["-l", "-I", "--all-match", "-E", "-e", CALLS, "-e", CONTEXTS,
                        "--", "*.c", "*.h"], check=False)
    if rc not in (0, 1):
        die("git grep in %s failed: %s" % (path, (err.strip().splitlines() or ["?"])[-1]))
    return sorted(out.split())


def parse(stdout):
    """The findings in spatch's report-mode output."""
    findings = []
    for line in stdout.splitlines():
        m = LINE.match(line)
        if m:
            findings.append({"file": m.group("file"), "line": int(m.group("line")),
                             "column": int(m.group("column")) + 1,
                             "function": m.group("function"), "class": m.group("cls"),
                             "reason": m.group("reason")})
    return findings


def advise(kernel):
    """Run the advisor over a tree; returns the report as a dict."""
    tree = KernelTree(kernel)
    spatch.require_spatch()
    with phase("advise: finding the files to read"):
        files = candidates(tree.path)
    progress("advise: %d files call get_user_pages*() and name a lock context" % len(files))
    findings, failed = [], {}
    with tempfile.TemporaryDirectory(prefix="advise-", dir=scratch_dir()) as work:
        results = spatch.apply(COCCI, tree.path, files, work, mode="report", in_place=False)
        # A function spatch cannot parse is skipped without a word: say where.
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool, \
                phase("advise: lines spatch cannot parse", len(files), "files") as seen:
            def count(path):
                n = spatch.unparsed_lines(tree.path, path, work)
                seen.advance()
                return n
            bad = pool.map(count, files)
            unparsed = {f: n for f, n in zip(files, bad) if n}
        for relpath in files:
            rc, out, err = results[relpath]
            if rc != 0:
                failed[relpath] = (err.strip().splitlines() or ["exit %d" % rc])[-1]
            findings.extend(parse(out))
    findings.sort(key=lambda f: (f["file"], f["line"], f["column"], f["class"]))
    return {"tree": tree.path, "version": tree.full_version,
            "cocci": os.path.relpath(COCCI, os.path.dirname(spatch.COCCI_DIR)),
            "classes": CLASSES, "files": files, "findings": findings,
            "counts": {c: sum(1 for f in findings if f["class"] == c) for c in CLASSES},
            "unparsed": unparsed, "failed": failed}


def as_text(data):
    out = ["%s:%d: [%s] %s(): %s\n" % (f["file"], f["line"], f["class"], f["function"],
                                      f["reason"]) for f in data["findings"]]
    out.append("%s: %s in %d files read\n" % (
        data["tree"], ", ".join("%s %d" % kv for kv in sorted(data["counts"].items())),
        len(data["files"])))
    for path, n in sorted(data["unparsed"].items()):
        out.append("%s: %d lines spatch could not parse (no advice there)\n" % (path, n))
    for path, why in sorted(data["failed"].items()):
        out.append("%s: spatch failed, no advice: %s\n" % (path, why))
    return "".join(out)


def as_markdown(data):
    out = ["# Lock-context advice: %s (%s)\n\n" % (os.path.basename(data["tree"]),
                                                  data["version"]),
           "%s on the %d files that call get_user_pages*() and name a lock context.\n\n"
           % (data["cocci"], len(data["files"])),
           "| class | findings | what |\n|---|---|---|\n"]
    out += ["| %s | %d | %s |\n" % (c, data["counts"][c], text)
            for c, text in sorted(data["classes"].items())]
    for c in sorted(data["classes"]):
        rows = [f for f in data["findings"] if f["class"] == c]
        if rows:
            out.append("\n## %s\n\n" % c)
            out += ["- %s:%d %s(): %s\n" % (f["file"], f["line"], f["function"], f["reason"])
                    for f in rows]
    if data["unparsed"] or data["failed"]:
        out.append("\n## Not read\n\n")
        out += ["- %s: %d lines spatch could not parse\n" % kv
                for kv in sorted(data["unparsed"].items())]
        out += ["- %s: spatch failed: %s\n" % kv for kv in sorted(data["failed"].items())]
    return "".join(out)


def main(args):
    """The advise subcommand: writes reports/<tree>/advise.{md,json}, returns the advice."""
    where = report.folder(args.reports, KernelTree(args.kernel))
    data = advise(args.kernel)
    report.write_pair(data, as_markdown(data), where, data["tree"], "advise")
    progress("advise: report in %s" % where)
    return data
