"""What a run makes aside while it works, named by its pid, and what a killed run left.

A stopped run (Ctrl-C, SIGTERM) removes its aside files and folders itself;
a SIGKILL leaves them. Their names carry the pid of the run that made them,
so the next run that looks in the same place removes those whose run is
gone, and never a live run's.
"""
import contextlib
import os
import re
import shutil
import tempfile

from .progress import progress


def alive(pid):
    """Whether a process pid exists (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(parent, prefix, what="run", keep_own=False):
    """Remove the entries of parent named prefix<pid>[.<anything>] whose pid is gone.

    Also those named prefix<8 letters or digits>, with no pid: tempfile's
    names, as earlier versions made them. An entry of this process's own pid
    goes too (a killed run of the same pid, as in a container, made it),
    unless keep_own: then another thread of this run may be writing it.
    """
    try:
        names = os.listdir(parent)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return
    for name in sorted(names):
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix):]
        m = re.fullmatch(r"(\d+)(?:\..*)?", rest, re.S)
        if m and alive(int(m.group(1))) and (keep_own or int(m.group(1)) != os.getpid()):
            continue
        if not m and not re.fullmatch(r"[a-z0-9_]{8}", rest):
            continue
        path = os.path.join(parent, name)
        progress("removing %s, left by a %s that was killed" % (path, what))
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def aside_dir(parent, prefix):
    """A new folder prefix<pid>.<random> in parent, after sweeping the killed runs' ones."""
    sweep(parent, prefix)
    return tempfile.mkdtemp(prefix="%s%d." % (prefix, os.getpid()), dir=parent)


@contextlib.contextmanager
def temporary_dir(parent, prefix):
    """aside_dir(), removed when the block ends however it ends (but a SIGKILL)."""
    path = aside_dir(parent, prefix)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep_replaced(final):
    """final.old.<pid>, which a killed run moved aside to put a new final in place.

    Put back when final is missing (the run was killed between the two
    renames: it is the user's last output), else removed.
    """
    parent, name = os.path.split(final)
    try:
        names = os.listdir(parent)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return
    for aside in sorted(n for n in names if re.fullmatch(re.escape(name) + r"\.old\.\d+", n)):
        if alive(int(aside.rsplit(".", 1)[1])):
            continue
        path = os.path.join(parent, aside)
        if not os.path.lexists(final):
            progress("putting back %s as %s: a run that was killed moved it aside"
                     % (path, final))
            os.replace(path, final)
        else:
            progress("removing %s, left by a run that was killed" % path)
            shutil.rmtree(path, ignore_errors=True)
