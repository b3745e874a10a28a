"""What a kernel tree is: its version, and which side of the API change it is on."""
import os
import re

from . import migration
from .util import die


class KernelTree:
    """A kernel source tree, checked to be one."""

    def __init__(self, path):
        if not path:
            die("no kernel tree given (KERNEL=<path>)")
        self.path = os.path.abspath(path)
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            die("%s: is a file, not a kernel tree directory" % path)
        if not os.path.isdir(self.path):
            die("%s: no such directory" % path)
        makefile = os.path.join(self.path, "Makefile")
        if not (os.path.isfile(makefile)
                and os.path.isfile(os.path.join(self.path, "include/linux/mm.h"))
                and os.path.isdir(os.path.join(self.path, "mm"))):
            die("%s: not a Linux kernel tree (no Makefile, include/linux/mm.h and mm/)" % path)
        with open(makefile, errors="replace") as f:
            head = f.read(4096)
        numbers = {}
        for key in ("VERSION", "PATCHLEVEL", "SUBLEVEL"):
            m = re.search(r"^%s\s*=\s*(\d*)" % key, head, re.M)
            numbers[key] = m.group(1) if m else ""
        if not numbers["VERSION"]:
            die("%s: Makefile has no VERSION: not a Linux kernel tree" % path)
        self.version = "%s.%s" % (numbers["VERSION"], numbers["PATCHLEVEL"] or "0")
        if numbers["SUBLEVEL"] not in ("", "0"):
            self.full_version = "%s.%s" % (self.version, numbers["SUBLEVEL"])
        else:
            self.full_version = self.version
        self.name = os.path.basename(self.path.rstrip("/"))

    def read(self, relpath):
        with open(os.path.join(self.path, relpath), errors="replace") as f:
            return f.read()


def api_state(path):
    """How the migration's header under path declares the API: {key: value} of its
    [state] (a regex matched or not, or the text of its group) and [state:KEY]
    (the first form whose regex matches)."""
    mig = migration.current()
    with open(os.path.join(path, mig.header), errors="replace") as f:
        header = f.read()
    state = {}
    for section in mig.ini.sections():
        if section == "state":
            for key, pattern in mig.ini.items(section):
                m = re.search(pattern, header)
                state[key] = (m.group(1) if m else None) if re.compile(pattern).groups \
                    else bool(m)
        elif section.startswith("state:"):
            forms = dict(mig.ini.items(section))
            default = forms.pop("default")
            state[section.split(":", 1)[1]] = next(
                (form for form, pattern in forms.items() if re.search(pattern, header)), default)
    return state
