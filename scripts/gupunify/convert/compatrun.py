"""A module directory converted in place for make check MODULE=: the same conversion
`spatch DIR --diff` writes (moddir.py), then the compat header (compat.py).

The module directory is a copy in the scratch; the user's is never written.
"""
import dataclasses
import os

from ..common.progress import progress
from . import compat, moddir


def _sources(root):
    for top, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(top, name), root)


def _read(root, files):
    out = {}
    for rel in files:
        with open(os.path.join(root, rel), "rb") as f:
            out[rel] = f.read()
    return out


def convert(root, workdir):
    """Rewrite root's callers and add the compat header: what changed (a dict).

    "failed" lists the calls left for a human, as the diff leaves them.
    """
    files = list(_sources(root))
    before = _read(root, files)
    run = moddir.rewrite(root, with_compat=True)
    added = compat.apply(root)
    after = _read(root, files)
    changed = [rel for rel in files if before[rel] != after[rel]]
    left = ["%s:%d: %s(): %s" % (r.file, r.line, r.api, r.reason)
            for r in run["sites"] if r.outcome == "manual"]
    progress("%s: %d of %d files converted%s" % (
        os.path.basename(root), len(changed), len(files),
        ", compat header %s" % added.header if added.header else ""))
    return {"files": changed, "failed": left, "compat": dataclasses.asdict(added)}
