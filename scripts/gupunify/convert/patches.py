"""The migration's core C series of patches/<base>/, where the caller conversions go in
it, and applying it."""
import os
import re

from ..common import migration
from ..common.repository import identity_args
from ..common.progress import phase, progress
from ..common.util import UserError, die

CALLERS = "@callers"
SIGNOFF = re.compile(r"^Signed-off-by: .*\n", re.M)


def patches_dir():
    """The run's migration's patches/."""
    return migration.current().file("patches")


def base_of(version):
    """The patches/ folder of a kernel version ("5.1" -> "v5.1")."""
    return migration.current().bases.get(version, "v" + version)


def supported_bases():
    folder = patches_dir()
    if not os.path.isdir(folder):
        return []
    return sorted(d for d in os.listdir(folder)
                  if os.path.isfile(os.path.join(folder, d, "series")))


def steps_for(version):
    """(prep, finish, base): the core patches before and after the caller commits.

    A base without a series gets the caller conversions alone (no patches),
    and a message naming the bases that have one.
    """
    base = base_of(version)
    series = os.path.join(patches_dir(), base, "series")
    if not os.path.isfile(series):
        progress("no core series for %s (supported: %s): converting the callers only"
                 % (base, ", ".join(supported_bases()) or "none"))
        return [], [], None
    prep, finish = _read_series(series)
    return prep, finish, base


def phase_folder(phase):
    """The folder of patches/<base>/ that holds a later phase's core series."""
    return migration.current().value("phase:" + phase, "series")


def phase_steps(version, phase):
    """(prep, finish) of a later caller phase (gup-flags: --fast-only): the patches
    that add what its calls become, and those that remove the old function once
    its callers are converted; None when the base has none."""
    series = os.path.join(patches_dir(), base_of(version), phase_folder(phase), "series")
    if not os.path.isfile(series):
        return None
    return _read_series(series)


def _read_series(series):
    """The patches of a series file before and after its @callers marker."""
    prep, finish = [], []
    current = prep
    with open(series) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line == CALLERS:
                current = finish
            else:
                current.append(os.path.join(os.path.dirname(series), line))
    return prep, finish


def patch_text_for(path, identity):
    """A core patch as the user sends it: authored by identity, with no other sign-off.

    The files in patches/ carry neither author nor sign-off (only the person
    applying them can certify the DCO); git am --signoff adds theirs.
    """
    with open(path) as f:
        text = f.read()
    head, sep, body = text.partition("\n\n")
    lines, dropping = [], False
    for line in head.split("\n"):
        # A From: header folded over lines goes with its continuation lines.
        dropping = line.startswith("From: ") or (dropping and line[:1] in (" ", "\t"))
        if not dropping:
            lines.append(line)
    lines.insert(1, "From: %s <%s>" % identity)
    return "\n".join(lines) + sep + SIGNOFF.sub("", body)


def paths_in(text):
    """The files a patch touches."""
    paths = set()
    for m in re.finditer(r"^diff --git a/(\S+) b/(\S+)$", text, re.M):
        paths.update(m.groups())
    return sorted(paths)


def apply(wt, paths, texts, state):
    """Apply the core patches at paths (texts: {path: text}) with one git am.

    git am reads and writes the index of the whole tree for each run: one run
    for all of them, not one a patch. The one that does not apply is named
    by how many did.
    """
    if not paths:
        return
    before = wt.head()
    try:
        with phase("core patches: git am", len(paths), "patch" if len(paths) == 1 else "patches"):
            wt.git(*identity_args(wt.identity), "am", "-q", "--signoff",
                   input="".join(texts[path] for path in paths))
    except UserError as e:
        applied = len(wt.git("rev-list", "%s..HEAD" % before).split())
        wt.git("am", "--abort", check=False)
        die("core patch %s does not apply to this tree: %s"
            % (os.path.basename(paths[min(applied, len(paths) - 1)]), e))
    state.steps.extend({"step": os.path.basename(path), "result": "applied"}
                       for path in paths)
