"""A migration's boot cases (migrations/<name>/boot/): read, packed for the guest, judged.

    read_cases(mig)          [BootCase] of boot/cases, or None when the
                             migration has no boot/ folder (gup-flags: boottest/'s
                             own gup_test and module run instead)
    kernel_fragment(mig)     boot/config: the fragment merged over tinyconfig in
                             place of boottest/kernel.config
    build_programs(out_dir, arch, repo, rev)
                             boot_cases (our /init) and the tree's gup_test at
                             rev, both static: {"init": path, "gup_test": path}
    guest_initramfs(guest_dir, programs, cases)
                             /init, /gup_test and /cases in a newc archive
    case_logs(console_text)  {case: kernel log lines from its start to the next}
    judge_log(tap, console_text)
                             the TapRun with each case that passed but left a
                             WARNING, BUG or Oops in the kernel log made a failure

docs/migrations.md ("Boot cases") describes the folder's format.
"""
import collections
import dataclasses
import os
import re

from ..common import kbuild
from ..common.util import die, run, write_atomic
from . import guests, initramfs
from .bootresult import TapTest

# How a case runs, and the arguments it takes (boottest/boot_cases.c runs them).
HOWS = {
    "gup_test": "the tree's gup_test with the options given",
    "proc_mem": "one argument, the pages read and written through /proc/self/mem",
    "vm_readv": "one argument, the pages a child reads of its parent by process_vm_readv()",
}
# boot_cases.c's MAX_ARGS
MAX_ARGS = 16
RUNNER = os.path.join(guests.BOOTTEST_DIR, "boot_cases.c")
# Where the tree keeps gup_test, newest first (the folder was renamed vm/ -> mm/ in v6.3).
GUP_TEST_SOURCES = ("tools/testing/selftests/mm/gup_test.c",
                    "tools/testing/selftests/vm/gup_test.c")

BootCase = collections.namedtuple("BootCase", "name entry how args")

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_START = re.compile(r"boottest: case (\S+) start$")
_PROBLEM = re.compile(r"(WARNING:|BUG:|Oops|Kernel panic|general protection fault)")


def parse_cases(text, where):
    """[BootCase] of a boot/cases text; where names the file in the errors (exit 2)."""
    cases = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue

        def bad(why):
            die("%s:%d: %s" % (where, number, why))
        if len(words) < 3:
            bad("a case is <name> <entry point> <how> <arguments...>")
        name, entry, how, args = words[0], words[1], words[2], words[3:]
        if not _NAME.match(name):
            bad("case name %r: letters, digits, _ . - only" % name)
        if any(c.name == name for c in cases):
            bad("case %s given twice" % name)
        if how not in HOWS:
            bad("case %s: unknown how %r (%s)" % (name, how, ", ".join(HOWS)))
        if how == "gup_test" and len(args) > MAX_ARGS - 1:
            bad("case %s: at most %d arguments" % (name, MAX_ARGS - 1))
        if how != "gup_test" and (len(args) != 1 or not args[0].isdigit()
                                  or int(args[0]) < 1):
            bad("case %s: %s takes %s" % (name, how, HOWS[how]))
        cases.append(BootCase(name, entry, how, tuple(args)))
    if not cases:
        die("%s: no case" % where)
    return cases


def read_cases(mig):
    """The migration's boot cases, or None when it has no boot/ folder.

    boot/cases and boot/config go together: one without the other is the
    migration's error.
    """
    cases, config = mig.file("boot/cases"), mig.file("boot/config")
    if not os.path.exists(cases) and not os.path.exists(config):
        return None
    for path in (cases, config):
        if not os.path.isfile(path):
            die("migration %s: %s is missing (boot/cases and boot/config go together)"
                % (mig.name, os.path.relpath(path, mig.path)))
    return parse_cases(mig.text("boot/cases"), "migration %s: boot/cases" % mig.name)


def kernel_fragment(mig):
    return mig.file("boot/config")


def cases_text(cases):
    """/cases of the guest: <name> <how> <arguments...> a line."""
    return "".join(" ".join((c.name, c.how) + c.args) + "\n" for c in cases)


def build_programs(out_dir, arch, repo, rev):
    """boot_cases and the tree's gup_test (at rev of repo) for arch, static.

    gup_test is the tree's own: built from its source at rev with Debian's
    compiler, warnings not made errors (the code is not ours).
    """
    gcc = kbuild.ARCHES[arch].gcc
    os.makedirs(out_dir, exist_ok=True)
    runner = os.path.join(out_dir, "boot_cases")
    run([gcc, "-O2", "-Wall", "-Wextra", "-Werror", "-static", "-o", runner, RUNNER])
    source = next((path for path in GUP_TEST_SOURCES
                   if run(["git", "-C", repo, "cat-file", "-e", "%s:%s" % (rev, path)],
                          check=False)[0] == 0), None)
    if source is None:
        die("%s: %s has none of %s: the boot cases need the tree's gup_test"
            % (repo, rev[:12], ", ".join(GUP_TEST_SOURCES)))
    tree = os.path.join(out_dir, "gup_test-src")
    archive = tree + ".tar"
    run(["git", "-C", repo, "archive", "-o", archive, rev, os.path.dirname(source),
         "tools/testing/selftests/kselftest.h", "mm/gup_test.h"])
    os.makedirs(tree, exist_ok=True)
    run(["tar", "-xf", archive, "-C", tree])
    os.unlink(archive)
    exe = os.path.join(out_dir, "gup_test")
    # <mm/gup_test.h> from the top of the tree, as the selftests' Makefile includes it
    run([gcc, "-O2", "-static", "-I", tree, "-o", exe, os.path.join(tree, source),
         "-lpthread"])
    for path in (runner, exe):
        if not initramfs.is_static_elf(path):
            die("%s: not a static executable" % path)
    return {"init": runner, "gup_test": exe}


def guest_initramfs(guest_dir, programs, cases):
    """The guest's initramfs: boot_cases as /init, gup_test, /cases; returns its path."""
    listing = os.path.join(guest_dir, "cases")
    write_atomic(listing, cases_text(cases))
    initrd = os.path.join(guest_dir, "initramfs.cpio")
    initramfs.pack_initramfs(initrd, {"init": (programs["init"], 0o755),
                                      "gup_test": (programs["gup_test"], 0o755),
                                      "cases": (listing, 0o644)})
    return initrd


def case_logs(console_text):
    """{case: [lines]}: the kernel log from a case's start line to the next case's."""
    logs, current = {}, None
    for line in console_text.splitlines():
        body = re.sub(r"^\[\s*\d+\.\d+\]\s*", "", line.rstrip("\r"))
        m = _START.match(body)
        if m:
            current = m.group(1)
            logs[current] = []
        elif current is not None:
            logs[current].append(body)
    return logs


def judge_log(tap, console_text):
    """tap (a TapRun) with every passing case whose log holds a WARNING, BUG or Oops,
    or that the log never saw start, turned into a failure."""
    logs = case_logs(console_text)
    tests, problems = [], list(tap.problems)
    for t in tap.tests:
        if t.status == "pass":
            if t.name not in logs:
                why = "kernel log: no 'boottest: case %s start' line" % t.name
            else:
                why = next(("kernel log: " + line for line in logs[t.name]
                            if _PROBLEM.match(line)), None)
            if why:
                t = TapTest(t.number, t.name, "fail", why, t.notes)
                problems.append("not ok %d %s (%s)" % (t.number, t.name, why))
        tests.append(t)
    return dataclasses.replace(tap, tests=tests, problems=problems)
