"""GIT_DIR and its kin in the user's environment, checked before any work.

gup-unify runs git in the kernel tree's own repository (util.run leaves these
variables out). One that names that same repository, work tree or index is
what the user meant anyway; one that names another is refused in one line,
since the user may have meant that other repository.
"""
import os

from .util import GIT_LOCATION, die, run


def _own(kernel):
    """{variable: path} that would name the kernel tree's own repository."""
    rc, out, _ = run(["git", "-C", kernel, "rev-parse", "--path-format=absolute",
                      "--absolute-git-dir", "--show-toplevel", "--git-common-dir"],
                     check=False)
    lines = out.splitlines()
    if rc != 0 or len(lines) != 3:
        return {}
    git_dir, toplevel, common = lines
    return {"GIT_DIR": git_dir, "GIT_WORK_TREE": toplevel,
            "GIT_INDEX_FILE": os.path.join(git_dir, "index"), "GIT_COMMON_DIR": common,
            "GIT_OBJECT_DIRECTORY": os.path.join(common, "objects")}


def check(kernel):
    """Refuse a GIT_DIR (GIT_WORK_TREE, ...) that names another repository than kernel's."""
    given = {k: os.environ[k] for k in GIT_LOCATION if os.environ.get(k)}
    if not given:
        return
    own = _own(kernel) if os.path.isdir(kernel) else {}
    for name, value in sorted(given.items()):
        if name in own and os.path.realpath(value) == os.path.realpath(own[name]):
            continue
        die("%s=%s is set in the environment and is not %s: gup-unify runs git in the "
            "kernel tree's own repository; unset %s" % (
                name, value, "that of the kernel tree %s" % kernel if own
                else "used: the kernel tree %s is not a git work tree of its own" % kernel,
                name))
