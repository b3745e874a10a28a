"""A kernel to build external modules against: a prepared build directory as it is,
or a source tree the tool prepares once (modules_prepare) and keeps in the scratch.

    kernel_dir(path)   a Kdir: .path (what make -C takes), .label, .version,
                       .knobs (kbuild.Knob list; [] for a directory not ours),
                       .prepared_here (the tool prepared it)
    is_prepared(path)  the directory has what an M= build reads: .config,
                       include/generated/autoconf.h, scripts/mod/modpost
"""
import dataclasses
import hashlib
import os
import re
import shutil

from ..common import kbuild
from ..common.progress import phase, progress
from ..common.util import die, git, run
from ..common.worklock import Lock
from ..common.repository import scratch_dir, toplevel

# The arch a prepared tree is configured for: the host's, so that the module
# builds with the host compiler as Debian's headers do.
ARCH = "x86_64"
CONFIG = "defconfig"
# The file a finished preparation leaves last: without it the directory is redone.
DONE = ".gup-unify-prepared"


@dataclasses.dataclass
class Kdir:
    """A kernel build directory an external module is built against."""
    path: str
    label: str
    version: str
    knobs: list
    prepared_here: bool


def is_prepared(path):
    return all(os.path.exists(os.path.join(path, rel)) for rel in
               (".config", "include/generated/autoconf.h", "scripts/mod/modpost"))


def _version(path):
    """VERSION.PATCHLEVEL.SUBLEVEL of the Makefile at path (a headers package's
    Makefile includes the common one: its version is in include/config/kernel.release)."""
    release = os.path.join(path, "include", "config", "kernel.release")
    if os.path.isfile(release):
        with open(release) as f:
            return f.read().strip()
    with open(os.path.join(path, "Makefile"), errors="replace") as f:
        head = f.read(4096)
    numbers = [re.search(r"^%s\s*=\s*(\d*)" % key, head, re.M)
               for key in ("VERSION", "PATCHLEVEL", "SUBLEVEL")]
    return ".".join(m.group(1) for m in numbers if m and m.group(1))


def kernel_dir(path):
    """The Kdir for --kdir path: itself when prepared, else its prepared copy."""
    if not os.path.isdir(path):
        die("--kdir %s: no such directory" % path)
    path = os.path.abspath(path)
    if is_prepared(path):
        return Kdir(path, path, _version(path), [], False)
    if not (os.path.isfile(os.path.join(path, "Makefile"))
            and os.path.isfile(os.path.join(path, "Kconfig"))
            and os.path.isdir(os.path.join(path, "arch"))):
        die("--kdir %s: neither a prepared kernel build directory (.config, "
            "include/generated/autoconf.h, scripts/mod/modpost) nor a kernel source tree"
            % path)
    return _prepare(path)


def _prepare(src):
    """A --shared clone of src's commit (src itself when not in git), configured
    with the knobs of docs/builds.md and modules_prepare'd, cached in the scratch."""
    version = _version(src)
    top = toplevel(src)
    if top and os.path.realpath(top) == os.path.realpath(src):
        commit = git(src, "rev-parse", "HEAD").strip()
        if git(src, "--no-optional-locks", "status", "--porcelain",
               "--untracked-files=no").strip():
            die("--kdir %s has uncommitted changes: commit them (the tool prepares a "
                "clone of HEAD)" % src)
        key = commit[:12]
    else:
        commit, key = None, hashlib.sha1(os.path.realpath(src).encode()).hexdigest()[:12]
    home = os.path.join(scratch_dir(), "modules", "kernels",
                        "%s-%s" % (os.path.basename(src.rstrip("/")), key))
    objdir = os.path.join(home, "build")
    os.makedirs(home, exist_ok=True)
    with Lock(os.path.join(home, "lock"), "module kernel preparation"):
        tree = os.path.join(home, "src") if commit else src
        knobs = kbuild.knobs(ARCH, src, version)
        if os.path.exists(os.path.join(objdir, DONE)):
            return Kdir(objdir, "%s (prepared from %s)" % (objdir, src), version, knobs, True)
        progress("preparing %s for external modules in %s (once)" % (src, objdir))
        if commit:
            # Cloned afresh: an interrupted clone or checkout leaves no trace.
            shutil.rmtree(tree, ignore_errors=True)
            run(["git", "clone", "-q", "--shared", "--no-checkout", src, tree])
            git(tree, "-c", "advice.detachedHead=false", "checkout", "-q", commit)
        shutil.rmtree(objdir, ignore_errors=True)
        jobs = os.cpu_count() or 1
        with phase("%s: configure" % os.path.basename(src)):
            kbuild.configure(ARCH, tree, objdir, jobs, knobs, CONFIG,
                             label="--kdir %s" % src)
        with phase("%s: modules_prepare" % os.path.basename(src)):
            kbuild.checked_make(ARCH, tree, objdir, jobs, knobs, "--kdir %s" % src,
                                "modules_prepare")
        with open(os.path.join(objdir, DONE), "w") as f:
            f.write("%s %s %s\n" % (src, commit or "-", CONFIG))
    return Kdir(objdir, "%s (prepared from %s)" % (objdir, src), version, knobs, True)
