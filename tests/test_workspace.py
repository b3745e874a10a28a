"""The git layer check, boottest and series share: BASE..BRANCH and the build worktree."""
import os
import subprocess

import pytest

from conftest import git
from gupunify import workspace
from gupunify.util import UserError


def commit(repo, message):
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q",
        "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path):
    """master: base; gup-unify: base, one, two; HEAD on master."""
    path = str(tmp_path / "repo")
    git(tmp_path, "init", "-q", "-b", "master", path)
    base = commit(path, "base")
    git(path, "checkout", "-q", "-b", "gup-unify")
    one, two = commit(path, "one"), commit(path, "two")
    git(path, "checkout", "-q", "master")
    return path, base, one, two


def test_series_range_starts_at_the_merge_base_with_head(repo):
    path, base, _, two = repo
    assert workspace.series_range(path, "gup-unify") == (base, two)


def test_series_range_takes_a_given_base(repo):
    path, _, one, two = repo
    assert workspace.series_range(path, "gup-unify", one[:12]) == (one, two)


def test_series_range_refuses_a_missing_branch(repo):
    path = repo[0]
    with pytest.raises(UserError) as e:
        workspace.series_range(path, "typo")
    assert str(e.value) == ("%s has no branch typo: run make spatch KERNEL=%s first, or pass "
                            "--branch" % (path, path))


def test_series_range_refuses_a_branch_head_already_has(repo):
    path, _, _, two = repo
    git(path, "merge", "-q", "--ff-only", "gup-unify")
    with pytest.raises(UserError) as e:
        workspace.series_range(path, "gup-unify")
    assert str(e.value) == ("%s: HEAD already contains gup-unify, so there is no series on it: "
                            "check out the branch it was made from" % path)
    with pytest.raises(UserError) as e:
        workspace.series_range(path, "gup-unify", two)
    assert str(e.value) == "gup-unify has no commits after %s: nothing to check" % two[:12]


def test_series_range_refuses_unrelated_history(repo):
    path = repo[0]
    git(path, "checkout", "-q", "--orphan", "other")
    commit(path, "unrelated")
    with pytest.raises(UserError) as e:
        workspace.series_range(path, "gup-unify")
    assert str(e.value) == ("%s: gup-unify and HEAD have no common ancestor: check out the "
                            "branch it was made from, or give check a --base" % path)


def test_checkout_is_one_worktree_reused_and_cleaned(repo, tmp_path):
    path, base, _, two = repo
    where = str(tmp_path / "work" / "src")
    assert workspace.checkout(path, where, two) == where
    assert git(where, "rev-parse", "HEAD").strip() == two
    (tmp_path / "work" / "src" / "build-leftover.o").write_text("x")
    workspace.checkout(path, where, base)
    assert git(where, "rev-parse", "HEAD").strip() == base
    assert not os.path.exists(os.path.join(where, "build-leftover.o"))
    worktrees = [line for line in git(path, "worktree", "list", "--porcelain").splitlines()
                 if line.startswith("worktree ")]
    assert worktrees == ["worktree " + path, "worktree " + where]
    # The user's checkout is where it was.
    assert git(path, "rev-parse", "HEAD").strip() == base
    assert git(path, "symbolic-ref", "HEAD").strip() == "refs/heads/master"


def test_checkout_replaces_a_folder_that_is_no_worktree(repo, tmp_path):
    path, _, one, _ = repo
    where = tmp_path / "src"
    where.mkdir()
    (where / "stray").write_text("x")
    workspace.checkout(path, str(where), one)
    assert sorted(os.listdir(where)) == [".git"]
    assert subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip() == one
