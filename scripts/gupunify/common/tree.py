"""What a kernel tree is: its version, and which side of the API change it is on."""
import os
import re

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
    """How include/linux/mm.h under path declares the API.

    Returns a dict: fast_takes ("write" or "gup_flags"), has_longterm,
    foll_write (its value as written), foll_longterm (bool), has_fast_only
    (get_user_pages_fast_only() is declared), has_fast_irq (so is
    __get_user_pages_fast()).
    """
    with open(os.path.join(path, "include/linux/mm.h"), errors="replace") as f:
        mm_h = f.read()
    proto = re.search(r"\bint\s+get_user_pages_fast\s*\(([^)]*)\)", mm_h)
    third = ""
    if proto:
        params = [p.strip() for p in proto.group(1).split(",")]
        third = params[2] if len(params) > 2 else ""
    foll_write = re.search(r"#define\s+FOLL_WRITE\s+(\S+)", mm_h)
    return {
        "fast_takes": "gup_flags" if "gup_flags" in third or "unsigned" in third
                      else "write",
        "has_longterm": bool(re.search(r"\bget_user_pages_longterm\s*\(", mm_h)),
        "foll_write": foll_write.group(1) if foll_write else None,
        "foll_longterm": bool(re.search(r"#define\s+FOLL_LONGTERM\b", mm_h)),
        "has_fast_only": bool(re.search(r"\bget_user_pages_fast_only\s*\(", mm_h)),
        "has_fast_irq": bool(re.search(r"\b__get_user_pages_fast\s*\(", mm_h)),
    }


def check_foll_write(state):
    """The write-to-flags rewrite relies on FOLL_WRITE == 1 (docs/series.md)."""
    value = state["foll_write"]
    if value is None:
        die("include/linux/mm.h defines no FOLL_WRITE: cannot convert")
    try:
        number = int(value, 0)
    except ValueError:
        die("FOLL_WRITE is %s, not a number: cannot check it is 1" % value)
    if number != 1:
        die("FOLL_WRITE is %s, not 1: the caller conversion is not value-preserving here" % value)
