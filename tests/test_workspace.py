"""The git layer check, boottest and series share: BASE..BRANCH and the build worktree."""
import hashlib
import os
import subprocess

import pytest

from conftest import git
from gupunify.common import repository, worktree
from gupunify.common.util import UserError


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
    assert repository.series_range(path, "gup-unify") == (base, two)


def test_series_range_takes_a_given_base(repo):
    path, _, one, two = repo
    assert repository.series_range(path, "gup-unify", one[:12]) == (one, two)


def test_series_range_refuses_a_missing_branch(repo):
    path = repo[0]
    with pytest.raises(UserError) as e:
        repository.series_range(path, "typo")
    assert str(e.value) == ("%s has no branch typo: run make spatch KERNEL=%s first, or pass "
                            "--branch" % (path, path))


def test_series_range_refuses_a_branch_head_already_has(repo):
    path, _, _, two = repo
    git(path, "merge", "-q", "--ff-only", "gup-unify")
    with pytest.raises(UserError) as e:
        repository.series_range(path, "gup-unify")
    assert str(e.value) == ("%s: HEAD already contains gup-unify, so there is no series on it: "
                            "check out the branch it was made from" % path)
    with pytest.raises(UserError) as e:
        repository.series_range(path, "gup-unify", two)
    assert str(e.value) == "gup-unify has no commits after %s: nothing to check" % two[:12]


def test_series_range_refuses_unrelated_history(repo):
    path = repo[0]
    git(path, "checkout", "-q", "--orphan", "other")
    commit(path, "unrelated")
    with pytest.raises(UserError) as e:
        repository.series_range(path, "gup-unify")
    assert str(e.value) == ("%s: gup-unify and HEAD have no common ancestor: check out the "
                            "branch it was made from" % path)
    with pytest.raises(UserError) as e:
        repository.series_range(path, "gup-unify", base_option="--base")
    assert str(e.value) == ("%s: gup-unify and HEAD have no common ancestor: check out the "
                            "branch it was made from, or pass --base" % path)


def test_checkout_is_one_worktree_reused_and_cleaned(repo, tmp_path):
    path, base, _, two = repo
    where = str(tmp_path / "work" / "src")
    assert worktree.checkout(path, where, two) == where
    assert git(where, "rev-parse", "HEAD").strip() == two
    (tmp_path / "work" / "src" / "build-leftover.o").write_text("x")
    worktree.checkout(path, where, base)
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
    worktree.checkout(path, str(where), one)
    assert sorted(os.listdir(where)) == [".git"]
    assert subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip() == one


def blob_id(data):
    """A blob's object name as git computes it, without asking git."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@pytest.fixture
def callers(tmp_path):
    """A tree with two caller files (one with a space in its name) and mm.h."""
    path = tmp_path / "callers"
    (path / "include" / "linux").mkdir(parents=True)
    (path / "include" / "linux" / "mm.h").write_text("int get_user_pages_fast(void);\n")
    (path / "a.c").write_text("int a = get_user_pages_fast(0, 1, 1, 0);\n")
    (path / "b c.c").write_text("int b = get_user_pages_fast(0, 1, 0, 0);\n")
    git(tmp_path, "init", "-q", "-b", "master", str(path))
    git(path, "add", "-A")
    commit(str(path), "base")
    return str(path)


AFTER = {"a.c": b"int a = get_user_pages_fast(0, 1, FOLL_WRITE, 0);\n",
         "b c.c": b"int b = get_user_pages_fast(0, 1, 0 /* read */, 0);\n"}


def test_group_commits_are_made_from_the_files_on_disk(callers):
    """The files a rule rewrote are hashed, not added: the commits carry those
    blobs, and afterwards HEAD, the index and the files agree."""
    with worktree.Worktree(callers, "HEAD", "unused", ("Pat Sender", "pat@example.org"),
                            list(AFTER)) as wt:
        modes = wt.entries(list(AFTER))
        assert modes == {p: ("100644", blob_id(open(os.path.join(callers, p), "rb").read()))
                         for p in AFTER}
        for path, data in AFTER.items():
            with open(os.path.join(wt.path, path), "wb") as f:
                f.write(data)
        blobs = wt.hash(list(AFTER))
        assert blobs == [blob_id(data) for data in AFTER.values()]
        wt.commit_files(wt.start, [("one: a", "A.", {"a.c": ("100644", blobs[0])}, None),
                                   ("two: b", "B.", {"b c.c": ("100644", blobs[1])}, None)],
                        list(AFTER))
        log = wt.git("log", "--format=%an <%ae>%n%B%x00", "%s..HEAD" % wt.start)
        assert log.split("\0\n")[:-1] == [
            "Pat Sender <pat@example.org>\ntwo: b\n\nB.\n\nSigned-off-by: Pat Sender "
            "<pat@example.org>\n",
            "Pat Sender <pat@example.org>\none: a\n\nA.\n\nSigned-off-by: Pat Sender "
            "<pat@example.org>\n"]
        for path, data in AFTER.items():
            assert wt.git("show", "HEAD:" + path, binary=True) == data
        assert wt.git("status", "--porcelain") == ""


def test_group_commits_that_miss_a_changed_file_are_refused(callers):
    with worktree.Worktree(callers, "HEAD", "unused", ("Pat Sender", "pat@example.org"),
                            list(AFTER)) as wt:
        for path, data in AFTER.items():
            with open(os.path.join(wt.path, path), "wb") as f:
                f.write(data)
        blobs = wt.hash(list(AFTER))
        with pytest.raises(UserError) as e:
            wt.commit_files(wt.start, [("one: a", "A.", {"a.c": ("100644", blobs[0])}, None)],
                            list(AFTER))
        assert str(e.value) == "internal error: the commits do not add up to the converted tree"
        assert wt.head() == wt.start
