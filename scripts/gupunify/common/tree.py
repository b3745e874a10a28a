"""What a kernel tree is: its version, and which side of the API change it is on."""
import os
import re

from . import migration
from .util import die


def is_kernel_tree(path):
    """A kernel source tree has a Makefile, include/linux/mm.h and mm/; a module
    directory (a driver built with make -C KDIR M=...) has not."""
    return (os.path.isfile(os.path.join(path, "Makefile"))
            and os.path.isfile(os.path.join(path, "include/linux/mm.h"))
            and os.path.isdir(os.path.join(path, "mm")))


def _directory(path, what):
    """path made absolute, refused in one line if it is not a directory."""
    if not path:
        die("no %s given (KERNEL=<path>)" % what)
    absolute = os.path.abspath(path)
    if os.path.exists(absolute) and not os.path.isdir(absolute):
        die("%s: is a file, not a %s directory" % (path, what))
    if not os.path.isdir(absolute):
        die("%s: no such directory" % path)
    return absolute


class ModuleDir:
    """A directory of C sources that is not a kernel tree: an out-of-tree module,
    a plain folder or a git checkout (or a subdirectory of one)."""

    def __init__(self, path):
        self.path = _directory(path, "module")
        self.name = os.path.basename(self.path.rstrip("/")) or "module"


def tree_or_module(path):
    """The KernelTree at path, or the ModuleDir when path is not a kernel tree."""
    if is_kernel_tree(_directory(path, "kernel tree")):
        return KernelTree(path)
    return ModuleDir(path)


class KernelTree:
    """A kernel source tree, checked to be one."""

    def __init__(self, path):
        self.path = _directory(path, "kernel tree")
        makefile = os.path.join(self.path, "Makefile")
        if not is_kernel_tree(self.path):
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
