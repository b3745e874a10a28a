"""Where a run may write, checked before any work: nothing the tool did not write is lost.

Every folder the tool writes (a series directory, a tree's reports folder)
holds a MARKER file saying which it is and naming the kernel tree it was
written for. A run writes into, or replaces, a folder only when it is
absent, empty, or marked as the same kind for the same tree; and never one
inside the kernel tree or its git directory, the tree itself or a folder
above it, nor gup-unify's own checkout or a folder above that.
"""
import os
import re

from .. import ROOT
from .util import die, run, write_atomic

MARKER = ".gup-unify"
STDOUT = "-"        # a file name that means standard output, as for most Unix tools
CHECKOUT = os.path.realpath(ROOT)


def _within(path, root):
    """path is root or below it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def overlap(a, b):
    """Folders a and b are one, or one holds the other."""
    a, b = os.path.realpath(a), os.path.realpath(b)
    return _within(a, b) or _within(b, a)


def _marker_text(kind, tree_path):
    return "gup-unify %s of the kernel tree %s\n" % (kind, os.path.realpath(tree_path))


def mark(folder, kind, tree_path):
    """Mark folder as the tool's kind ("series" or "reports") for the tree at tree_path."""
    write_atomic(os.path.join(folder, MARKER), _marker_text(kind, tree_path))


def _git_dir(tree_path):
    rc, out, _ = run(["git", "-C", tree_path, "rev-parse", "--path-format=absolute",
                      "--git-common-dir"], check=False)
    return os.path.realpath(out.strip()) if rc == 0 and out.strip() else None


def _check_place(path, what, tree_path):
    real = os.path.realpath(path)
    kernel = os.path.realpath(tree_path)
    if _within(real, kernel):
        die("%s %s %s the kernel tree %s: choose one outside it"
            % (what, path, "is inside" if real != kernel else "is", tree_path))
    if _within(kernel, real):
        die("%s %s holds the kernel tree %s: choose one outside it" % (what, path, tree_path))
    git_dir = _git_dir(tree_path)
    if git_dir and (_within(real, git_dir) or _within(git_dir, real)):
        die("%s %s overlaps the git directory %s of the kernel tree: choose another"
            % (what, path, git_dir))
    if _within(CHECKOUT, real):
        die("%s %s %s gup-unify's own checkout %s: choose another"
            % (what, path, "is" if real == CHECKOUT else "holds", CHECKOUT))
    parent = os.path.dirname(real)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        die("%s %s cannot be made: %s is not a directory" % (what, path, parent))
    _check_writable(path, what, real if os.path.exists(real) else parent)


def _check_writable(path, what, existing):
    """The run can write at existing (path, or the nearest folder above it that exists).

    Asked before any work: a read-only place found only when the branch is
    made would cost the whole run.
    """
    wanted = os.W_OK | (os.X_OK if os.path.isdir(existing) else 0)
    if os.access(existing, wanted):
        return
    if os.statvfs(existing).f_flag & os.ST_RDONLY:
        die("%s %s cannot be written: %s is on a read-only file system" % (what, path, existing))
    die("%s %s cannot be written: no write permission on %s" % (what, path, existing))


def _exists(path, what):
    """Whether path exists; a name the file system cannot take is refused here."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as e:
        die("%s %s: %s" % (what, path, e.strerror))
    return True


def check_file(path, what, tree_path):
    """A file the run will write (--diff): not a directory, and outside the kernel tree.

    "-" is standard output. A FIFO, a device or a symbolic link there is
    written through, never replaced (util.write_atomic).
    """
    if path == STDOUT:
        return
    if _exists(path, what) and os.path.isdir(path):
        die("%s %s is a directory: name a file" % (what, path))
    _check_place(path, what, tree_path)


def check_folder(path, what, kind, tree_path):
    """A folder the run will write or replace: absent, empty, or its own kind for this tree."""
    _check_place(path, what, tree_path)
    if not _exists(path, what):
        return
    if not os.path.isdir(path):
        die("%s %s is not a directory" % (what, path))
    marker = os.path.join(path, MARKER)
    if os.path.isfile(marker):
        with open(marker, errors="replace") as f:
            text = f.read()
        if text == _marker_text(kind, tree_path):
            return
        m = re.match(r"gup-unify (\w+) of the kernel tree (.*)\n\Z", text)
        if m and m.group(1) != kind:
            die("%s %s holds gup-unify's %s of %s, not its %s: choose another"
                % (what, path, m.group(1), m.group(2), kind))
        if m:
            die("%s %s holds gup-unify's %s of another tree (%s): remove it or choose "
                "another" % (what, path, kind, m.group(2)))
    if os.listdir(path):
        die("%s %s exists and is not gup-unify output (no %s in it): nothing in it is "
            "replaced; remove it or choose another" % (what, path, MARKER))


def check_branch(name):
    """The branch a run will create: a name git accepts for a branch, which it keeps as is.

    git check-ref-format --branch expands @{-1} to another branch's name,
    and takes refs/heads/x as the name of a branch refs/heads/refs/heads/x.
    """
    rc, out, _ = run(["git", "check-ref-format", "--branch", name], check=False) \
        if name and not name.startswith("-") else (1, "", "")
    if rc != 0 or out.strip() != name:
        die("%r is not a valid branch name (git check-ref-format --branch)" % name)
    if name == "@":
        die("--branch @: @ is git's name for HEAD; choose another name")
    if name.startswith("refs/"):
        die("--branch %s: give the branch's name (%s), not its ref"
            % (name, name.split("/", 2)[2] if name.startswith("refs/heads/") else name[5:]))
