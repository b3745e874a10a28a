"""A module directory converted in place for make check MODULE=: the semantic
patches of cocci/ over its .c and .h files, then the compat header (compat.py).

The module directory is a copy in the scratch; the user's is never written.
"""
import dataclasses
import os

from ..common import spatch
from ..common.progress import progress
from . import compat

# In this order: the write argument first, so that the fast-only rename reads
# the calls as they were written.
COCCIS = (spatch.FAST_COCCI, spatch.LONGTERM_COCCI, spatch.FAST_ONLY_COCCI)


def _sources(moddir):
    for root, dirs, files in os.walk(moddir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(root, name), moddir)


def _read(moddir, files):
    out = {}
    for rel in files:
        with open(os.path.join(moddir, rel), "rb") as f:
            out[rel] = f.read()
    return out


def convert(moddir, workdir):
    """Rewrite moddir's callers and add the compat header: what changed (a dict)."""
    files = list(_sources(moddir))
    before = _read(moddir, files)
    failed = []
    scratch = os.path.join(workdir, "spatch")
    os.makedirs(scratch, exist_ok=True)
    for cocci in COCCIS:
        results = spatch.apply(cocci, moddir, files, scratch)
        failed += ["%s: %s: %s" % (os.path.basename(cocci), rel, (err or out).strip())
                   for rel, (rc, out, err) in sorted(results.items()) if rc != 0]
    after = _read(moddir, files)
    added = compat.apply(moddir)
    changed = [rel for rel in files if before[rel] != after[rel]]
    progress("%s: %d of %d files converted%s" % (
        os.path.basename(moddir), len(changed), len(files),
        ", compat header %s" % added.header if added.header else ""))
    return {"files": changed, "failed": failed, "compat": dataclasses.asdict(added)}
