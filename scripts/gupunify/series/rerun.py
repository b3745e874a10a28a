"""Is a series run's output already what this run would write? Told before any work.

A run that writes series records a fingerprint next to its report: the
branch tip and base, the options that shape the output, and a digest of
gup-unify's own code and data (a new version may write other text). It
also records every file of the output (size, mtime) and, with --b4, the
prep branches' tips. A later run with the same fingerprint, the same files
and the same branches has nothing to do, and says so in well under a
second instead of making every series again to compare.
"""
import hashlib
import json
import os

from .. import ROOT
from ..common import migration
from ..common.util import git, write_atomic

RECORD = ".series-run.json"
# What the output depends on in gup-unify's own checkout.
OWN = ("scripts/gupunify", "cocci", "migrations")


def _tool_digest():
    digest = hashlib.sha1()
    for top in OWN:
        for folder, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, ROOT).encode() + b"\0")
                with open(path, "rb") as f:
                    digest.update(f.read())
    return digest.hexdigest()


def fingerprint(repo, base, tip, out, options):
    """What the output of a series run is made from; options is a JSON-able dict."""
    text = json.dumps({"repository": os.path.realpath(repo), "base": base, "tip": tip,
                       "output": out, "options": options, "tool": _tool_digest(),
                       "migration": migration.current().name},
                      sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()


def _files(out):
    """{relative path: [size, mtime_ns]} of every file under out."""
    found = {}
    for folder, _, files in os.walk(out):
        for name in files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            found[os.path.relpath(path, out)] = [st.st_size, st.st_mtime_ns]
    return found


def _b4_tips(repo):
    out = git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/b4/")
    return dict(line.split(" ", 1) for line in out.splitlines() if line)


def unchanged(repo, where, out, print_, b4):
    """The recorded plan when where's record says out (and, with b4, the prep branches)
    is what a run with fingerprint print_ would write; else None."""
    try:
        with open(os.path.join(where, RECORD)) as f:
            record = json.load(f)
    except (OSError, ValueError):
        return None
    if record.get("fingerprint") != print_ or not os.path.isdir(out) \
            or record.get("files") != _files(out):
        return None
    if b4:
        tips = _b4_tips(repo)
        if not record.get("b4") or any(tips.get(r) != s for r, s in record["b4"].items()):
            return None
    return record.get("plan", "")


def record(repo, where, out, print_, plan, b4_branches):
    """Remember what this run wrote (b4_branches: the prep branches it made or checked)."""
    tips = _b4_tips(repo)
    write_atomic(os.path.join(where, RECORD), json.dumps({
        "fingerprint": print_, "plan": plan, "files": _files(out),
        "b4": {"refs/heads/" + b: tips.get("refs/heads/" + b) for b in b4_branches}},
        indent=1) + "\n")


def forget(where):
    """Drop the record before the output changes: an interrupted run leaves none."""
    try:
        os.unlink(os.path.join(where, RECORD))
    except FileNotFoundError:
        pass
