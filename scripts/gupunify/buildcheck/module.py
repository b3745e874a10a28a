"""make check MODULE=: an out-of-tree module built before and after its conversion,
against each kernel given (--kdir), with the new warnings and the probe's choice.

The module directory is never written: both sides are copies in the
scratch, one per kernel (a module builds in its own directory), the after
side converted there. A kernel is a prepared build directory (Debian's
headers) or a source tree the tool prepares once (modprep.py).
"""
import dataclasses
import glob
import hashlib
import os
import re
import shutil

from ..common import report
from ..common.progress import phase, progress
from ..common.util import die, run
from ..common.worklock import Lock
from ..common.repository import scratch_dir
from ..convert import compat, compattext, compatrun
from .archbuild import compare, parse_build_output
from .modprep import ARCH, kernel_dir
from .modulereport import markdown


@dataclasses.dataclass
class Side:
    """One build of the module: its status and diagnostics per object."""
    status: str                 # "built" or "failed"
    objects: dict               # {object: {"warnings": [...], "errors": [...]}}
    stray: list                 # errors no object's block holds (modpost, make)
    probe: dict                 # {macro: value} the probe passed to the compiles
    dir: str                    # where it was built


@dataclasses.dataclass
class ModuleTree:
    """What report.folder reads of a tree: its path and its name."""
    path: str
    name: str


OBJ_M = re.compile(r"^\s*obj-(?:m|\$\(CONFIG_\w+\))\s*[:+]?=", re.M)


def is_module_dir(path):
    """Does path hold a kbuild module (a Kbuild or Makefile with an obj-m line)?"""
    name = compat.kbuild_file(path) if os.path.isdir(path) else None
    if name is None:
        return False
    with open(os.path.join(path, name), errors="replace") as f:
        return bool(OBJ_M.search(f.read()))


def check_module_dir(path):
    """The module directory, refused with one line when it is none."""
    if not path:
        die("no module directory given (MODULE=<path>)")
    if not os.path.isdir(path):
        die("%s: no such directory" % path)
    name = compat.kbuild_file(path)
    if name is None:
        die("%s: not a module directory (no Kbuild or Makefile)" % path)
    with open(os.path.join(path, name), errors="replace") as f:
        if not OBJ_M.search(f.read()):
            die("%s: %s has no obj-m line: not a kbuild module directory" % (path, name))
    return os.path.abspath(path)


NOT_COPIED = shutil.ignore_patterns(".git", "*.o", "*.ko", "*.mod", "*.mod.c", ".*.cmd",
                                    "modules.order", "Module.symvers", ".tmp_versions")
# The module's parent folder is copied with it up to this size: a module's
# Makefile may read ../include (a vendor tree's shared headers).
SIBLINGS_BUDGET = 64 << 20


def _copy(moddir, dest):
    """A fresh copy of the module's sources (no .git, no build products)."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(moddir, dest, symlinks=True, ignore=NOT_COPIED)


def _size(path):
    total = 0
    for top, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d != ".git"]
        total += sum(os.lstat(os.path.join(top, f)).st_size for f in files)
        if total > SIBLINGS_BUDGET:
            break
    return total


def _siblings(moddir):
    """What beside the module a build copy carries: the parent folder's other entries, or
    none when they are over SIBLINGS_BUDGET (said once on screen)."""
    up = os.path.dirname(moddir)
    entries = [e for e in sorted(os.listdir(up)) if e not in (os.path.basename(moddir), ".git")]
    if _size(up) > SIBLINGS_BUDGET:
        progress("%s: its parent folder is over %d MiB: the module is built without the "
                 "folders beside it" % (moddir, SIBLINGS_BUDGET >> 20))
        return []
    return entries


def _build_copy(origin, parent, moddir, siblings):
    """origin copied to parent/<the module's folder name>, beside copies of its siblings:
    the build finds ../include as it would in place, and writes only in the scratch."""
    shutil.rmtree(parent, ignore_errors=True)
    os.makedirs(parent)
    up = os.path.dirname(moddir)
    for entry in siblings:
        where, to = os.path.join(up, entry), os.path.join(parent, entry)
        if os.path.isdir(where) and not os.path.islink(where):
            shutil.copytree(where, to, symlinks=True, ignore=NOT_COPIED)
        else:
            shutil.copy2(where, to, follow_symlinks=False)
    dest = os.path.join(parent, os.path.basename(moddir))
    _copy(origin, dest)
    return dest


def _probe_choice(copy):
    """{macro: value} of the -D flags of the probe, as kbuild's .cmd files recorded them."""
    found = {}
    for cmd in glob.glob(os.path.join(copy, "**", ".*.o.cmd"), recursive=True):
        with open(cmd, errors="replace") as f:
            first = f.readline()
        for m in re.finditer(r"-D(\w+_GUP_(?:%s))=(\d+)" % "|".join(
                p.upper() for p in compattext.PARTS), first):
            found[m.group(1)] = int(m.group(2))
    return found


def build(kdir, copy, jobs):
    """make -C kdir M=copy modules, in the C locale: a Side."""
    argv = ["make", "-C", kdir.path, "M=" + copy, "-O", "-j%d" % jobs]
    if kdir.prepared_here:
        # Built as it was configured: a tree's Makefile may default to another arch
        # (a v5.1.15 snapshot has ARCH ?= arm64 and an aarch64 CROSS_COMPILE).
        argv += ["ARCH=" + ARCH, "CROSS_COMPILE="]
    for knob in kdir.knobs:
        argv += ["%s=%s" % kv for kv in sorted(knob.make_vars.items())]
    # One stream, so that each -O block keeps its kbuild line and its diagnostics.
    rc, out, _ = run(["sh", "-c", 'exec "$@" 2>&1', "make"] + argv + ["modules"],
                     check=False, env={"LC_ALL": "C"})
    objects, stray = parse_build_output(out, copy, copy)
    objects = {obj: {"warnings": sorted(d["warnings"]), "errors": d["errors"]}
               for obj, d in sorted(objects.items())}
    if rc != 0 and not stray and not any(d["errors"] for d in objects.values()):
        # Failed with no diagnostic of a compile (modpost, a Makefile): make's last line.
        stray = (out.strip().splitlines() or ["make exited %d" % rc])[-1:]
    return Side("built" if rc == 0 else "failed", objects, stray, _probe_choice(copy), copy)


def _new(before, after):
    """The after side's warnings and errors that its object did not have before."""
    new = {}
    for obj, diag in after.objects.items():
        old = before.objects.get(obj)
        warnings, errors = compare({"warnings": set(old["warnings"]), "errors": old["errors"]}
                                   if old else None,
                                   {"warnings": set(diag["warnings"]),
                                    "errors": diag["errors"]})
        if warnings or errors:
            new[obj] = {"warnings": warnings, "errors": errors}
    return new


def check(module_path, kdir_paths, reports_dir=None, jobs=None):
    """Convert a copy of the module, build both sides on every kernel; the result (a dict)."""
    moddir = check_module_dir(module_path)
    if not kdir_paths:
        die("no kernel to build against: give --kdir DIR (make: KDIR=)")
    kernels = [kernel_dir(path) for path in kdir_paths]
    jobs = jobs or os.cpu_count() or 1
    name = compat.module_name(moddir)
    where = report.folder(reports_dir, ModuleTree(moddir, os.path.basename(moddir)))
    digest = hashlib.sha1(moddir.encode()).hexdigest()[:10]
    workdir = os.path.join(scratch_dir(), "modules", "check", "%s-%s" % (name, digest))
    os.makedirs(workdir, exist_ok=True)
    with Lock(os.path.join(workdir, "lock"), "module check"):
        converted = os.path.join(workdir, "converted")
        _copy(moddir, converted)
        with phase("convert %s" % name):
            conversion = compatrun.convert(converted, workdir)
        diff = run(["git", "diff", "--no-index", "--no-color", "--no-prefix", "--", "a", "b"],
                   cwd=_pair(moddir, converted, workdir), check=False)[1]
        results = []
        siblings = _siblings(moddir)
        for number, kdir in enumerate(kernels):
            sides = {}
            for side, origin in (("before", moddir), ("after", converted)):
                copy = _build_copy(origin, os.path.join(workdir, "%s-%d" % (side, number)),
                                   moddir, siblings)
                with phase("%s: %s, %s" % (name, kdir.version, side)):
                    sides[side] = build(kdir, copy, jobs)
            new = _new(sides["before"], sides["after"])
            results.append({
                "kdir": kdir.label, "version": kdir.version,
                "knobs": [k.as_dict() for k in kdir.knobs],
                "before": dataclasses.asdict(sides["before"]),
                "after": dataclasses.asdict(sides["after"]),
                "probe": sides["after"].probe,
                "new": new,
                "result": "passed" if sides["after"].status == "built" and not new
                          else "failed"})
            progress("%s on %s: before %s, after %s%s" % (
                name, kdir.version, sides["before"].status, sides["after"].status,
                ", %d new" % sum(len(d["warnings"]) + len(d["errors"]) for d in new.values())
                if new else ""))
    result = {"module": moddir, "name": name, "conversion": conversion, "diff": diff,
              "kernels": results,
              "result": "passed" if all(r["result"] == "passed" for r in results)
                        else "failed"}
    report.write_pair(result, markdown(result), where, moddir, "modulecheck", sort_keys=False)
    progress("report: %s" % where)
    return result


def _pair(moddir, converted, workdir):
    """A folder with a/ (the module) and b/ (its conversion) for one git diff."""
    pair = os.path.join(workdir, "diff")
    shutil.rmtree(pair, ignore_errors=True)
    os.makedirs(pair)
    _copy(moddir, os.path.join(pair, "a"))
    _copy(converted, os.path.join(pair, "b"))
    return pair


def status(result):
    return 0 if result["result"] == "passed" else 1
