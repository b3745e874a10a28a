"""The core C series of patches/<base>/, and where the caller conversions go in it."""
import os
import re

from .util import progress

PATCHES_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "..", "..", "patches"))
CALLERS = "@callers"
PLACEHOLDER_SIGNOFF = re.compile(r"^Signed-off-by: gup-unify <gup-unify@localhost>\n", re.M)


def supported_bases():
    if not os.path.isdir(PATCHES_DIR):
        return []
    return sorted(d for d in os.listdir(PATCHES_DIR)
                  if os.path.isfile(os.path.join(PATCHES_DIR, d, "series")))


def steps_for(version):
    """(prep, finish, base): the core patches before and after the caller commits.

    A base without a series gets the caller conversions alone (no patches),
    and a message naming the bases that have one.
    """
    base = "v" + version
    series = os.path.join(PATCHES_DIR, base, "series")
    if not os.path.isfile(series):
        progress("no core series for %s (supported: %s): converting the callers only"
                 % (base, ", ".join(supported_bases()) or "none"))
        return [], [], None
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
                current.append(os.path.join(PATCHES_DIR, base, line))
    return prep, finish, base


def patch_text_for(path, author):
    """A core patch as the user will send it: their authorship, no placeholder sign-off."""
    with open(path) as f:
        text = f.read()
    text = PLACEHOLDER_SIGNOFF.sub("", text)
    if author:
        text = re.sub(r"^From: .*$", "From: " + author, text, count=1, flags=re.M)
    return text


def paths_in(text):
    """The files a patch touches."""
    paths = set()
    for m in re.finditer(r"^diff --git a/(\S+) b/(\S+)$", text, re.M):
        paths.update(m.groups())
    return sorted(paths)
