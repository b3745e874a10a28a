"""The tool's own branch: it knows which it made, and never takes the user's refs for its own."""
import os
import stat
import subprocess
import sys

import pytest
from conftest import CLI, git, gup_unify, make_tree

from gupunify import patches, workspace
from gupunify.util import UserError

ORDER = ["01-infiniband-tiny", "02-infiniband-toy", "03-lib-iov_iter", "04-media-toy",
         "05-mm-gup_benchmark", "06-net-toy", "07-KVM-x86"]


def user_commit(tree, subject, path="mywork.txt"):
    (tree / path).write_text(subject + "\n")
    git(tree, "add", path)
    git(tree, "commit", "-qm", subject)
    return git(tree, "rev-parse", "HEAD").strip()


def spatch(tree, tmp_path, *args):
    made = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"), *args,
                     scratch=tmp_path / "s")
    assert made.returncode == 0, made.stderr
    return made


def series(tree, tmp_path, *args):
    return gup_unify("series", str(tree), "--output", str(tmp_path / "out"),
                     "--reports", str(tmp_path / "rep"), *args, scratch=tmp_path / "s")


def refused(proc, *words):
    """One line on stderr, exit 2, holding every one of words."""
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    for word in words:
        assert word in proc.stderr, (word, proc.stderr)


def tip(tree, ref="refs/heads/gup-unify"):
    return git(tree, "rev-parse", ref).strip()


def failing_hooks(where, log):
    """A hooks folder whose every hook notes that it ran, then fails."""
    where.mkdir()
    for hook in ("pre-commit", "commit-msg", "post-checkout", "applypatch-msg",
                 "pre-applypatch", "post-applypatch", "post-commit", "pre-auto-gc"):
        path = where / hook
        path.write_text("#!/bin/sh\necho %s >>%s\nexit 1\n" % (hook, log))
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return where


def test_the_users_hooks_and_signing_stay_out_of_the_tools_commits(tmp_path, monkeypatch):
    """git am of a core patch and the build checkout, with hooks that fail and
    commit.gpgSign with no key: the tool's scratch commits run neither."""
    monkeypatch.setenv("GUP_UNIFY_SCRATCH", str(tmp_path / "scratch"))
    tree = make_tree(tmp_path / "linux")
    log = tmp_path / "hooks.log"
    git(tree, "config", "core.hooksPath", str(failing_hooks(tmp_path / "hooks", log)))
    git(tree, "config", "commit.gpgSign", "true")
    git(tree, "config", "user.signingKey", "0xDEADBEEF")
    base = tip(tree, "HEAD")
    edit = tree / "mm" / "gup.c"
    edit.write_text(edit.read_text() + "/* one */\n")
    git(tree, "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgSign=false", "commit",
        "-qam", "mm/gup: one")
    patch = tmp_path / "one.patch"
    patch.write_text(git(tree, "format-patch", "--stdout", "-1"))
    git(tree, "reset", "-q", "--hard", base)
    identity = ("Pat Sender", "pat@example.org")
    run = {"steps": []}
    with workspace.Worktree(str(tree), "HEAD", "unused", identity) as wt:
        wt.materialize(["mm/gup.c"])
        patches.apply(wt, [str(patch)], {str(patch): patches.patch_text_for(str(patch),
                                                                             identity)}, run)
        made = wt.head()
    assert run["steps"] == [{"step": "one.patch", "result": "applied"}]
    where = str(tmp_path / "build")
    workspace.checkout(str(tree), where, made)
    workspace.checkout(str(tree), where, base)
    assert not log.exists()
