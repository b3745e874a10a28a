"""The lock-context advisor: GUP calls made where their locking goes wrong."""
import concurrent.futures
import os
import re

from .common import leftovers, migration, report, spatch
from .common.repository import scratch_dir
from .common.tree import KernelTree, tree_or_module
from .common.progress import phase, progress
from .common.util import die, run
from .csource import source



def cocci():
    """The migration's lock-context semantic patch ([advise] cocci)."""
    mig = migration.current()
    return mig.file(mig.value("advise", "cocci"))


def classes():
    """{class: what it means}: the migration's [advise:classes]."""
    return dict(migration.current().ini.items("advise:classes"))


# A file can have a finding only if it calls the family and names a lock or
# an atomic context: git grep -F picks the files naming the family in a
# second, these (the ERE git grep took twenty seconds for; \s within a
# line) keep those of them that do both, and spatch reads only those.


def family():
    """What git grep -F looks for first, and the regex of a call ([advise])."""
    mig = migration.current()
    return (mig.value("advise", "family"),
            re.compile(mig.value("advise", "calls").encode() + rb"[ \t\r\f\v]*\("))

CONTEXTS = re.compile(rb"\b(mmap_sem|mmap_lock|mmap_(read|write)_lock\w*|(raw_)?spin_lock\w*|"
                      rb"(read|write)_lock\w*|local_irq_(disable|save)|preempt_disable|"
                      rb"get_cpu|local_bh_disable|rcu_read_lock|irqreturn_t)\b")

# What a module directory's report says in place of a kernel version.
MODULE_VERSION = "out-of-tree module"

TOO_LARGE = ("%d bytes, over the %d-byte budget per file (GUP_UNIFY_MAX_FILE_BYTES): "
             "not read, no advice")

# A file name may hold colons: the shortest name followed by the position.
LINE = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+):(?P<column>\d+)-\d+: "
                  r"(?:WARNING|INFO): \[(?P<cls>[ABC])\] (?P<function>[^(]*)\(\): "
                  r"(?P<reason>.*)$")


def candidates(path, module=False):
    """(files, too_large): the .c and .h files under path that call the family and
    name a lock context, and {file: (bytes, [lines calling the family])} of those
    over the size budget per file, which are not read. A module directory's
    files are all read, tracked by git or not."""
    fixed, calls = family()
    rc, out, _ = run(["git", "-C", path, "rev-parse", "--is-inside-work-tree"], check=False)
    index = [] if rc == 0 and out.strip() == "true" and not module else ["--no-index"]
    rc, out, err = run(["git", "-C", path, "grep"] + index +
                       ["-l", "-z", "-I", "-F", "-e", fixed, "--", "*.c", "*.h"],
                       check=False, binary=True)
    if rc not in (0, 1):
        die("git grep in %s failed: %s" % (path, (err.strip().splitlines() or ["?"])[-1]))
    budget = spatch.max_bytes()
    files, too_large = [], {}
    for relpath in sorted(source.decode(p) for p in out.split(b"\0") if p):
        with open(os.path.join(path, relpath), "rb") as f:
            data = f.read()
        if not calls.search(data):
            continue
        if len(data) > budget:
            lines, line, counted = [], 1, 0
            for m in calls.finditer(data):
                line += data.count(b"\n", counted, m.start())
                counted = m.start()
                if not lines or lines[-1] != line:
                    lines.append(line)
            too_large[relpath] = (len(data), lines)
        elif CONTEXTS.search(data):
            files.append(relpath)
    return files, too_large


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


def advise(tree):
    """Run the advisor over a tree (a KernelTree or a ModuleDir); returns the report as a dict."""
    module = not isinstance(tree, KernelTree)
    spatch.require_spatch()
    with phase("advise: finding the files to read"):
        files, too_large = candidates(tree.path, module)
    progress("advise: %d files call get_user_pages*() and name a lock context" % len(files))
    for relpath, (size, _) in sorted(too_large.items()):
        progress("advise: %s: %s" % (relpath, TOO_LARGE % (size, spatch.max_bytes())))
    findings, failed = [], {}
    with leftovers.temporary_dir(scratch_dir(), "advise-") as work:
        results = spatch.apply(cocci(), tree.path, files, work, mode="report", in_place=False)
        # A function spatch cannot parse is skipped without a word: say where.
        pool = concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1)
        try:
            with phase("advise: lines spatch cannot parse", len(files), "files") as seen:
                def count(path):
                    n = spatch.unparsed_lines(tree.path, path, work)
                    seen.advance()
                    return n
                bad = list(pool.map(count, files))
            unparsed = {f: n for f, n in zip(files, bad) if n}
        finally:
            # On a stop the files not started are dropped (a with block would
            # read them all first).
            pool.shutdown(cancel_futures=True)
        for relpath in files:
            rc, out, err = results[relpath]
            if rc != 0:
                failed[relpath] = (err.strip().splitlines() or ["exit %d" % rc])[-1]
            findings.extend(parse(out))
    findings.sort(key=lambda f: (f["file"], f["line"], f["column"], f["class"]))
    data = {"tree": tree.path, "version": MODULE_VERSION if module else tree.full_version,
            "cocci": os.path.relpath(cocci(), os.path.dirname(spatch.COCCI_DIR)),
            "classes": classes(), "files": files, "findings": findings,
            "counts": {c: sum(1 for f in findings if f["class"] == c) for c in classes()},
            "unparsed": unparsed, "failed": failed}
    if too_large:
        data["too_large"] = {f: {"bytes": size, "lines": lines, "reason": TOO_LARGE % (
            size, spatch.max_bytes())} for f, (size, lines) in too_large.items()}
    return data


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
    for path, big in sorted(data.get("too_large", {}).items()):
        out += ["%s:%d: %s\n" % (path, line, big["reason"]) for line in big["lines"]]
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
    too_large = data.get("too_large", {})
    if data["unparsed"] or data["failed"] or too_large:
        out.append("\n## Not read\n\n")
        out += ["- %s: %d lines spatch could not parse\n" % kv
                for kv in sorted(data["unparsed"].items())]
        out += ["- %s: spatch failed: %s\n" % kv for kv in sorted(data["failed"].items())]
        out += ["- %s (lines %s): %s\n" % (path, ", ".join(map(str, big["lines"])),
                                            big["reason"])
                for path, big in sorted(too_large.items())]
    return "".join(out)


def main(kernel, reports_dir=None):
    """The advise subcommand: writes reports/<tree>/advise.{md,json}, returns the advice."""
    mig = migration.current()
    if not mig.ini.has_section("advise"):
        die("migration %s has no lock-context advisor (no [advise] in its %s): make advise "
            "has nothing to run for it" % (mig.name, migration.INI))
    tree = tree_or_module(kernel)
    where = report.folder(reports_dir, tree)
    data = advise(tree)
    report.write_pair(data, as_markdown(data), where, data["tree"], "advise")
    progress("advise: report in %s" % where)
    return data
