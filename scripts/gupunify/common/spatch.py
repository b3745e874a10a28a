"""Running a migration's semantic patches over files of a tree."""
import os
import re
import shutil
import tempfile

from .. import ROOT
from .progress import phase, progress
from .util import UserError, die, run, write_atomic

# What every migration's semantic patches share: the macro hints of kernel trees.
COCCI_DIR = os.path.join(ROOT, "cocci")
HINTS = os.path.join(COCCI_DIR, "macro_hints.h")
STANDARD_H = "/usr/lib/coccinelle/standard.h"

# Per file, as the kernel's .cocciconfig has it: one hang must not stop the run.
TIMEOUT = 200
# GUP_UNIFY_SPATCH_TIMEOUT=<s> changes it (the tests make a file time out).
TIMEOUT_ENV = "GUP_UNIFY_SPATCH_TIMEOUT"

# Per file, for spatch and the lexical inventory alike: a caller file larger
# than this (the kernel's largest callers are under 300 KB) is listed, not
# read, so that one generated 50 MB file cannot hold up a tree-wide run.
MAX_BYTES = 4 << 20
# GUP_UNIFY_MAX_FILE_BYTES=<n> changes it.
MAX_BYTES_ENV = "GUP_UNIFY_MAX_FILE_BYTES"


def require_spatch():
    path = shutil.which("spatch")
    if not path:
        die("spatch not found: install Debian's coccinelle package (make deps)")
    return path


def builtins_file(workdir):
    """Coccinelle's standard macro hints with ours applied, written into workdir.

    Debian's standard.h defines FNAME(name) as 'name,', which hides every
    function of arch/x86/kvm/paging_tmpl.h; our hints replace it.
    """
    ours = {}
    with open(HINTS) as f:
        for line in f:
            m = re.match(r"#define\s+(\w+)", line)
            if m:
                ours[m.group(1)] = line
    out = []
    if os.path.exists(STANDARD_H):
        with open(STANDARD_H) as f:
            for line in f:
                m = re.match(r"#define\s+(\w+)", line)
                if not (m and m.group(1) in ours):
                    out.append(line)
    out.extend(ours.values())
    path = os.path.join(workdir, "gup-unify-macros.h")
    # Written aside and renamed: advise's spatch runs read it while the next
    # call writes it, and a half-written hints file changes what they parse.
    write_atomic(path, "".join(out))
    return path


def timeout():
    value = os.environ.get(TIMEOUT_ENV, "")
    if not value:
        return TIMEOUT
    if not value.isdigit() or int(value) == 0:
        die("%s=%s: want a number of seconds" % (TIMEOUT_ENV, value))
    return int(value)


def max_bytes():
    value = os.environ.get(MAX_BYTES_ENV, "")
    if not value:
        return MAX_BYTES
    if not value.isdigit() or int(value) == 0:
        die("%s=%s: want a number of bytes" % (MAX_BYTES_ENV, value))
    return int(value)


def _argv(cocci, builtins, limit, mode, in_place):
    return ["spatch", "--sp-file", cocci, "-D", mode, "--very-quiet",
            "--include-headers", "--no-includes", "--macro-file-builtins", builtins,
            "--timeout", str(limit)] + (
                # The diff spatch prints of what it rewrites takes 40% of its
                # time (v5.0's fast rule: 4.2 CPU s instead of 7.5); the
                # rewrite reads the files it wrote.
                ["--in-place", "--no-show-diff"] if in_place else [])


def _spatch(argv, root, workdir, limit, files):
    """One spatch run in its own process group, its temporary files in workdir."""
    return run(argv, cwd=root, check=False, own_group=True, env={"TMPDIR": workdir},
               timeout=limit * files + 60)


def apply(cocci, root, files, workdir, mode="patch", in_place=True, jobs=None):
    """Run cocci over files (relative to root), rewriting them with in_place.

    One spatch run takes them all (--file-groups, a group per file, -j the
    cores): starting spatch costs more than most files do. spatch goes on
    past a file that fails or times out, naming it in an "EXN: ... in FILE"
    line; each such file is put back as it was and, unless it ran out of
    time (it would again: one file must not hold up the run twice), run
    again alone. Returns {relpath: (returncode, stdout, stderr)}, each file
    with the lines of output that name it; a non-zero status means the file
    failed alone as well (for a rewrite, its sites need the fallback).
    """
    require_spatch()
    results = {}
    if not files:
        return results
    builtins = builtins_file(workdir)
    # Runs of two steps go on side by side: each has a folder of its own.
    rundir = tempfile.mkdtemp(prefix="spatch-", dir=workdir)
    jobs = jobs or os.cpu_count() or 1
    limit = timeout()
    originals = {}
    for relpath in files:
        with open(os.path.join(root, relpath), "rb") as f:
            originals[relpath] = f.read()
    names = _names(files, originals, rundir)
    by_name = {names[f]: f for f in files}
    groups = os.path.join(rundir, "file-groups")
    with open(groups, "w") as f:
        f.write("\n\n".join(names[f] for f in files) + "\n")
    name = os.path.basename(cocci)
    progress("%s: %d files, -j %d" % (name, len(files), jobs))
    argv = _argv(cocci, builtins, limit, mode, in_place)
    try:
        with phase("%s: spatch" % name, len(files), "file" if len(files) == 1 else "files"):
            rc, out, err = _spatch(argv + ["-j", str(jobs), "--file-groups", groups],
                                   root, rundir, limit, len(files))
    except UserError as e:
        rc, out, err = None, "", str(e)
    failed = {}
    for m in re.finditer(r"^EXN: (.*) in (.*)$", err, re.M):
        relpath = by_name.get(m.group(2), m.group(2))
        if os.path.isabs(relpath):
            relpath = os.path.relpath(relpath, root)
        failed[relpath] = m.group(1)
    if rc != 0 or not set(failed) <= set(originals):
        # spatch itself went wrong: no file's rewrite can be trusted.
        progress("%s: spatch failed (%s): running each file alone"
                 % (name, _last_line(err) if rc is not None else err))
        failed = dict.fromkeys(files, "the run over all files failed")
    output = _by_file(out, [names[f] for f in files])
    for relpath in files:
        if relpath not in failed:
            results[relpath] = (0, _named(output[names[relpath]], names[relpath], relpath), "")
            continue
        for path in {os.path.join(root, relpath), os.path.join(root, names[relpath])}:
            with open(path, "wb") as f:
                f.write(originals[relpath])
        if failed[relpath].endswith(TIMED_OUT):
            progress("%s: %s: %s after %d s: not run again" % (name, relpath, failed[relpath],
                                                             limit))
            results[relpath] = (1, "", "EXN: %s after %d s (the budget per file, %s)"
                                % (failed[relpath], limit, TIMEOUT_ENV))
            continue
        progress("%s: %s: %s; running it alone" % (name, relpath, failed[relpath]))
        try:
            rc, out, err = _spatch(argv + [names[relpath]], root, rundir, limit, 1)
            results[relpath] = (rc, _named(out, names[relpath], relpath),
                                _named(err, names[relpath], relpath))
        except UserError as e:
            results[relpath] = (1, "", str(e))
    if in_place:
        for relpath in files:
            if names[relpath] != relpath:
                with open(names[relpath], "rb") as f, \
                        open(os.path.join(root, relpath), "wb") as to:
                    to.write(f.read())
    return results


# How spatch names a file it ran out of time on.
TIMED_OUT = ".Timeout"
# A name spatch can be given as it is: it hands file names to sh unquoted and
# reads --file-groups a line each, and a leading '-' is an option to it.
SAFE_NAME = re.compile(r"[A-Za-z0-9_.+/=@%,][A-Za-z0-9_.+/=@%,-]*\Z")


def _names(files, originals, workdir):
    """{relpath: the name spatch is given}: a name it cannot take (a space, quote,
    parenthesis, colon, newline, non-ASCII, a leading '-') is run as a copy in
    workdir whose name it can, and the result copied back."""
    names = {}
    for n, relpath in enumerate(files):
        if SAFE_NAME.match(relpath):
            names[relpath] = relpath
            continue
        alias = os.path.join(workdir, "names", "%d%s" % (n, os.path.splitext(relpath)[1]))
        os.makedirs(os.path.dirname(alias), exist_ok=True)
        with open(alias, "wb") as f:
            f.write(originals[relpath])
        names[relpath] = alias
    return names


def _named(text, name, relpath):
    """spatch's output for the copy called name, naming the file relpath instead."""
    return text.replace(name, relpath) if name != relpath else text


def _by_file(out, files):
    """{file: the lines of out naming it}; a line naming none goes with the one before."""
    output = {f: [] for f in files}
    current = files[0]
    for line in out.splitlines(keepends=True):
        path = line.split(":", 1)[0]
        if path in output:
            current = path
        output[current].append(line)
    return {f: "".join(lines) for f, lines in output.items()}


def _last_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def unparsed_lines(root, relpath, workdir):
    """How many lines of relpath spatch could not parse (its --parse-c 'bad' lines)."""
    builtins = builtins_file(workdir)
    name = relpath
    if not SAFE_NAME.match(relpath):
        with open(os.path.join(root, relpath), "rb") as f:
            name = _names([relpath], {relpath: f.read()},
                          tempfile.mkdtemp(prefix="parse-", dir=workdir))[relpath]
    _, out, err = _spatch(["spatch", "--parse-c", "--include-headers", "--no-includes",
                           "--macro-file-builtins", builtins, name],
                          root, workdir, timeout(), 1)
    return sum(1 for line in (out + err).splitlines()
               if line.startswith(("bad:", "BAD:")))
