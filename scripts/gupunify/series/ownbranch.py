"""Whose branch it is: series writes out only a branch the tool made, as it made it.

A branch of the user's that has the tool's name, commits added on top of
the tool's, or an identity other than the one the branch was made with
would go out as patches under the user's name: each is refused in one
line saying what to do. The tool's marker (repository.marker) says which
tip and base it made; a branch made before the markers is recognised by
its commits, every one of them a caller commit (its note, or the
message) or a core patch of patches/.
"""
import glob
import os

from ..common import notes
from ..common.repository import branch_ref, marker, series_range
from ..common.progress import progress
from ..common.util import die, git, run
from ..convert.patches import patches_dir
from ..groups import commitformat


def made_range(repo, branch, kernel, author, explicit):
    """(base, tip) of branch, which the tool made, signed by author ((name, email)).

    explicit says author was given with --identity rather than taken from
    git config: the line that refuses a different identity says which.
    """
    tip = git(repo, "rev-parse", "--verify", "-q", branch_ref(branch) + "^{commit}",
              check=False).strip()
    mark = marker(repo, branch) if tip else None
    if mark is None and git(repo, "symbolic-ref", "-q", "HEAD",
                            check=False).strip() == branch_ref(branch):
        die("branch %s is the one checked out in %s, not one gup-unify made: pass the "
            "branch it made with --branch (default gup-unify)" % (branch, kernel))
    if mark is None:
        base, tip = series_range(repo, branch, kernel=kernel)
        who = _recognise(repo, branch, base, tip)
    elif mark.tip == tip:
        base, who = mark.base, mark.who
    elif _is_ancestor(repo, mark.tip, tip):
        _on_top(repo, branch, mark.tip, tip)
    else:
        die("branch %s is not the one gup-unify made (at %s): it was reset or rewritten "
            "since; rename it (git branch -m %s NAME) to have gup-unify make it again, or "
            "pass another --branch" % (branch, mark.tip[:12], branch))
    _same_identity(branch, who, "%s <%s>" % author, explicit)
    return base, tip


def _is_ancestor(repo, a, b):
    return run(["git", "-C", repo, "merge-base", "--is-ancestor", a, b], check=False)[0] == 0


def _on_top(repo, branch, made, tip):
    added = git(repo, "rev-list", "--topo-order", "--reverse", "%s..%s" % (made, tip)).split()
    subject = git(repo, "log", "-1", "--format=%s", added[0]).strip()
    die("branch %s has %d commit%s on top of what gup-unify made (the first: %s \"%s\"): "
        "keep them on a branch of your own and reset %s to %s (git branch -f), or pass "
        "another --branch" % (branch, len(added), "" if len(added) == 1 else "s",
                              added[0][:12], subject, branch, made[:12]))


def _recognise(repo, branch, base, tip):
    """The identity of a branch made before the markers; a branch with a commit the
    tool does not write is refused, naming the first such commit."""
    out = git(repo, "log", "--reverse", "--topo-order", *notes.log_args(),
              "--format=%H%x00%s%x00%an <%ae>%x00%N%x00%B%x01", "%s..%s" % (base, tip))
    commits = [e.strip("\n").split("\x00", 4) for e in out.split("\x01") if e.strip("\n")]
    plain = [sha for sha, _, _, note, body in commits
             if not commitformat.parse(note) and commitformat.GENERATED not in " ".join(body.split())]
    core = _core_patch_ids()
    foreign = set(plain) - {sha for sha, pid in _patch_ids(repo, plain).items() if pid in core}
    if not foreign:
        progress("branch %s carries no marker (made by an earlier gup-unify): all its "
                 "commits are gup-unify's" % branch)
        return commits[0][2]
    first = next(n for n, c in enumerate(commits) if c[0] in foreign)
    if first and all(c[0] in foreign for c in commits[first:]):
        _on_top(repo, branch, commits[first - 1][0], tip)
    die("branch %s was not made by gup-unify: its commit %s \"%s\" is not one gup-unify "
        "writes; rename the branch (git branch -m %s NAME) or pass another --branch"
        % (branch, commits[first][0][:12], commits[first][1], branch))


def _patch_ids(repo, commits):
    """{commit: its stable patch-id}."""
    if not commits:
        return {}
    # The diff as the core patches were written, whatever the user's diff config.
    shown = git(repo, "-c", "diff.noprefix=false", "-c", "diff.mnemonicPrefix=false", "show",
                "--no-color", "--no-ext-diff", "--no-textconv", "--diff-algorithm=myers", "-U3",
                "--format=commit %H", *commits)
    out = git(repo, "patch-id", "--stable", input=shown)
    return {c: p for p, c in (line.split() for line in out.splitlines())}


def _core_patch_ids():
    """The stable patch-ids of every core patch in the migration's patches/."""
    files = sorted(glob.glob(os.path.join(patches_dir(), "**", "*.patch"), recursive=True))
    text = "".join(open(f, encoding="utf-8", errors="surrogateescape").read() for f in files)
    out = run(["git", "patch-id", "--stable"], input=text)[1]
    return {line.split()[0] for line in out.splitlines()}


def _same_identity(branch, made_by, author, explicit):
    if made_by == author:
        return
    if explicit:
        die("--identity %s is not who made branch %s (%s), whose name its patches carry: to "
            "send them as %s, rename the branch (git branch -m %s NAME) and run again to "
            "have it made anew; or leave out --identity" % (author, branch, made_by, author,
                                                            branch))
    die("branch %s was made by %s, and git config names %s: pass --identity \"%s\" to send "
        "it as made, or rename the branch (git branch -m %s NAME) to have it made anew"
        % (branch, made_by, author, made_by, branch))
