"""The tool's own branch and git runs: it knows which branch it made, takes none of the
user's refs, hooks or diff config for its own."""
import os
import stat
import subprocess
import sys

import pytest
from conftest import CLI, git, gup_unify, make_tree

from gupunify.common import repository, worktree
from gupunify.convert import patches
from gupunify.convert.conversionstate import ConversionState
from gupunify.common.util import UserError

ORDER = ["01-IB-tiny", "02-IB-toy", "03-iov_iter", "04-media-toy",
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
    state = ConversionState("t", "r", "5.0", None, "b", False)
    with worktree.Worktree(str(tree), "HEAD", "unused", identity) as wt:
        wt.materialize(["mm/gup.c"])
        patches.apply(wt, [str(patch)], {str(patch): patches.patch_text_for(str(patch),
                                                                             identity)}, state)
        made = wt.head()
    assert state.steps == [{"step": "one.patch", "result": "applied"}]
    where = str(tmp_path / "build")
    worktree.checkout(str(tree), where, made)
    worktree.checkout(str(tree), where, base)
    assert not log.exists()


def test_a_tag_of_the_same_name_is_not_taken_for_the_branch(tree, tmp_path, need_spatch):
    spatch(tree, tmp_path)
    git(tree, "tag", "gup-unify", "master")
    out = series(tree, tmp_path)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir()) == \
        ORDER + ["atomic"]
    assert repository.series_range(str(tree), "gup-unify")[1] == tip(tree)


def test_an_ambiguous_base_is_refused_naming_both_refs(tree, tmp_path, need_spatch):
    spatch(tree, tmp_path)
    git(tree, "tag", "v1", "gup-unify~2")
    git(tree, "branch", "v1", "master")
    with pytest.raises(UserError) as e:
        repository.series_range(str(tree), "gup-unify", "v1")
    assert str(e.value) == ("--base v1 is ambiguous: refs/tags/v1 and refs/heads/v1 name it; "
                            "give the full name")
    assert repository.series_range(str(tree), "gup-unify", "refs/tags/v1")[0] == \
        tip(tree, "gup-unify~2")


def test_a_stale_lock_is_named_with_its_path_before_any_work(tree, tmp_path):
    lock = tree / ".git" / "refs" / "heads" / "gup-unify.lock"
    lock.write_text("")
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    refused(out, "%s exists, left by an interrupted git: remove it if no git command is "
            "running" % lock)
    assert not (tmp_path / "rep").exists()
    packed = tree / ".git" / "packed-refs.lock"
    lock.unlink()
    packed.write_text("")
    refused(series(tree, tmp_path), str(packed))


def test_a_branch_git_keeps_as_a_folder_is_refused_before_any_work(tree, tmp_path):
    git(tree, "branch", "gup-unify/x")
    git(tree, "branch", "gup-unify-old")
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    refused(out, "branch gup-unify cannot be made", "refs/heads/gup-unify/x exists",
            "--branch")
    out = gup_unify("spatch", str(tree), "--branch", "gup-unify-old/y",
                    "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    refused(out, "branch gup-unify-old/y cannot be made", "branch gup-unify-old exists")
    assert not (tmp_path / "rep").exists()


def test_a_notes_ref_that_is_not_notes_is_refused(tree, tmp_path):
    blob = git(tree, "rev-parse", "HEAD:Makefile").strip()
    git(tree, "update-ref", "refs/notes/gup-unify", blob)
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    refused(out, "refs/notes/gup-unify is a blob, not notes")
    assert git(tree, "branch", "--list", "gup-unify") == ""


@pytest.mark.parametrize("name, message", [
    ("refs/heads/x", "--branch refs/heads/x: give the branch's name (x), not its ref"),
    ("@{-1}", "'@{-1}' is not a valid branch name"),
    ("@", "--branch @: @ is git's name for HEAD"),
])
def test_a_branch_name_git_would_change_is_refused(name, message, tree, tmp_path):
    git(tree, "checkout", "-qb", "previous")
    git(tree, "checkout", "-q", "master")
    # Run from the tree, as a user does: there @{-1} is the branch "previous".
    out = subprocess.run([sys.executable, CLI, "spatch", ".", "--branch", name, "--reports",
                          str(tmp_path / "rep")], cwd=tree, capture_output=True, text=True,
                         env=dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "s")))
    refused(out, message)
    assert git(tree, "for-each-ref", "--format=%(refname)", "refs/heads/").split() == \
        ["refs/heads/master", "refs/heads/previous"]


def test_a_users_own_branch_of_that_name_is_refused(tree, tmp_path, need_spatch):
    git(tree, "checkout", "-qb", "gup-unify")
    mine = user_commit(tree, "my work")
    git(tree, "checkout", "-q", "master")
    for args in ([], ["--dry-run"]):
        out = series(tree, tmp_path, *args)
        refused(out, "branch gup-unify was not made by gup-unify", mine[:12], '"my work"',
                "git branch -m gup-unify NAME", "--branch")
    assert not (tmp_path / "out").exists()
    assert tip(tree) == mine
    # Renamed, the name is free: the tool makes and writes out its own branch.
    git(tree, "branch", "-m", "gup-unify", "mine")
    out = series(tree, tmp_path)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir()) == \
        ORDER + ["atomic"]
    assert "mywork" not in "".join(p.read_text() for p in (tmp_path / "out").rglob("*.patch"))


def test_commits_on_top_of_the_tools_branch_are_refused_naming_the_first(tree, tmp_path,
                                                                         need_spatch):
    spatch(tree, tmp_path)
    made = tip(tree)
    git(tree, "checkout", "-q", "gup-unify")
    first = user_commit(tree, "fix typo")
    user_commit(tree, "another", "other.txt")
    git(tree, "checkout", "-q", "master")
    refused(series(tree, tmp_path), "branch gup-unify has 2 commits on top of what gup-unify "
            "made", first[:12], '"fix typo"', made[:12], "--branch")
    refused(series(tree, tmp_path, "--dry-run"), first[:12])
    assert not (tmp_path / "out").exists()
    git(tree, "branch", "-f", "gup-unify", made)
    assert series(tree, tmp_path).returncode == 0


def test_a_branch_reset_or_rewritten_since_is_refused(tree, tmp_path, need_spatch):
    spatch(tree, tmp_path)
    made = tip(tree)
    git(tree, "branch", "-f", "gup-unify", "gup-unify~1")
    refused(series(tree, tmp_path), "branch gup-unify is not the one gup-unify made (at %s)"
            % made[:12], "git branch -m gup-unify NAME")


def test_the_marker_names_tip_base_and_identity_and_survives_gc(tree, tmp_path, need_spatch):
    base = tip(tree, "HEAD")
    spatch(tree, tmp_path)
    git(tree, "gc", "-q", "--prune=now")
    git(tree, "pack-refs", "--all")
    mark = repository.marker(str(tree), "gup-unify")
    assert (mark.tip, mark.base, mark.who) == (tip(tree), base, "Pat Sender <pat@example.org>")
    # Not a tag: git tag, and a clone, do not see it.
    assert git(tree, "tag", "-l") == ""
    assert repository.marker(str(tree), "master") is None
    # Renamed by the user, it is still the branch the tool made.
    git(tree, "branch", "-m", "gup-unify", "renamed")
    assert repository.marker(str(tree), "renamed").tip == tip(tree, "refs/heads/renamed")


def test_a_series_runs_with_the_tools_branch_checked_out(tree, tmp_path, need_spatch):
    """The marker knows the base: HEAD need not be the branch the tool started from."""
    spatch(tree, tmp_path)
    git(tree, "checkout", "-q", "gup-unify")
    out = series(tree, tmp_path)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir()) == \
        ORDER + ["atomic"]


def test_a_branch_made_before_the_markers_is_recognised_by_its_commits(tree, tmp_path,
                                                                       need_spatch):
    spatch(tree, tmp_path)
    git(tree, "update-ref", "-d", "refs/gup-unify/branches/gup-unify")
    out = series(tree, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "carries no marker (made by an earlier gup-unify)" in out.stderr
    made = tip(tree)
    git(tree, "checkout", "-q", "gup-unify")
    first = user_commit(tree, "fix typo")
    git(tree, "checkout", "-q", "master")
    refused(series(tree, tmp_path), "branch gup-unify has 1 commit on top of what gup-unify "
            "made", first[:12], made[:12])
    # A commit of the user's in the middle: not the tool's branch at all.
    git(tree, "checkout", "-q", "-B", "gup-unify", "master")
    mine = user_commit(tree, "my work")
    git(tree, "cherry-pick", "master..%s" % made)
    git(tree, "checkout", "-q", "master")
    refused(series(tree, tmp_path), "branch gup-unify was not made by gup-unify", mine[:12])


def test_a_core_patch_commit_is_recognised_by_its_patch_id(tree, tmp_path, monkeypatch,
                                                           need_spatch):
    """A branch of the previous release on a base with a core series: git am made its
    core commits, which carry no note and no word of gup-unify; their patch-id tells."""
    from gupunify.series import ownbranch
    identity = ("Pat Sender", "pat@example.org")
    base = tip(tree, "HEAD")
    gup = tree / "mm" / "gup.c"
    gup.write_text(gup.read_text() + "/* core */\n")
    git(tree, "commit", "-qam", "mm/gup: a core patch")
    core = tmp_path / "patches" / "v4.20"
    core.mkdir(parents=True)
    (core / "0001-core.patch").write_text(git(tree, "format-patch", "--stdout", "-1"))
    git(tree, "reset", "-q", "--hard", base)
    monkeypatch.setattr(ownbranch, "patches_dir", lambda: str(tmp_path / "patches"))
    spatch(tree, tmp_path)
    callers = git(tree, "rev-list", "--reverse", "master..gup-unify").split()
    git(tree, "update-ref", "-d", "refs/gup-unify/branches/gup-unify")
    text = patches.patch_text_for(str(core / "0001-core.patch"), identity)
    git(tree, "checkout", "-q", "-B", "gup-unify", "master")
    subprocess.run(["git", "-C", str(tree), "am", "-q", "--signoff"], input=text, text=True,
                   check=True)
    git(tree, "cherry-pick", *callers)
    # The previous release's caller commits carried their group note too.
    picked = git(tree, "rev-list", "--reverse", "-n", str(len(callers)), "HEAD").split()
    for old, new in zip(callers, picked):
        git(tree, "notes", "--ref", "gup-unify", "copy", old, new)
    git(tree, "checkout", "-q", "master")
    assert ownbranch.made_range(str(tree), "gup-unify", str(tree), identity, False) == \
        (base, tip(tree))
    # The same subject with other content is not the core patch.
    git(tree, "checkout", "-q", "-B", "gup-unify", "master")
    gup.write_text(gup.read_text() + "/* mine */\n")
    git(tree, "commit", "-qam", "mm/gup: a core patch")
    mine = tip(tree, "HEAD")
    git(tree, "cherry-pick", *callers)
    git(tree, "checkout", "-q", "master")
    with pytest.raises(UserError) as e:
        ownbranch.made_range(str(tree), "gup-unify", str(tree), identity, False)
    assert str(e.value).startswith("branch gup-unify was not made by gup-unify: its commit "
                                   "%s \"mm/gup: a core patch\"" % mine[:12])


def test_the_marker_of_a_deleted_branch_is_not_in_the_way(tree, tmp_path, need_spatch):
    spatch(tree, tmp_path)
    git(tree, "branch", "-D", "gup-unify")
    spatch(tree, tmp_path, "--branch", "gup-unify/x")
    assert git(tree, "for-each-ref", "--format=%(refname)", "refs/gup-unify/").split() == \
        ["refs/gup-unify/branches/gup-unify/x"]
    assert repository.marker(str(tree), "gup-unify/x").tip == tip(tree, "refs/heads/gup-unify/x")


@pytest.mark.parametrize("explicit", [True, False])
def test_an_identity_other_than_the_branchs_is_refused(explicit, tree, tmp_path, need_spatch):
    spatch(tree, tmp_path)
    if explicit:
        out = series(tree, tmp_path, "--identity", "Other Person <other@example.org>")
        refused(out, "--identity Other Person <other@example.org> is not who made branch "
                "gup-unify (Pat Sender <pat@example.org>)", "git branch -m gup-unify NAME")
    else:
        git(tree, "config", "user.email", "pat@elsewhere.example.org")
        out = series(tree, tmp_path)
        refused(out, "branch gup-unify was made by Pat Sender <pat@example.org>, and git "
                "config names Pat Sender <pat@elsewhere.example.org>",
                "--identity \"Pat Sender <pat@example.org>\"")
    assert not (tmp_path / "out").exists()
    out = series(tree, tmp_path, "--identity", "Pat Sender <pat@example.org>")
    assert out.returncode == 0, out.stderr


def test_the_checked_out_branch_is_not_taken_for_the_tools(tree, tmp_path):
    refused(series(tree, tmp_path, "--branch", "master"),
            "branch master is the one checked out in %s, not one gup-unify made" % tree)
    assert not (tmp_path / "out").exists()


def test_the_users_diff_and_colour_config_change_no_diff_the_tool_writes(tree, tmp_path,
                                                                         need_spatch):
    """color.ui=always made the tool's git grep find nothing ("nothing to do", exit 0);
    diff.noprefix made --diff and the series lose their a/ b/."""
    for key, value in (("color.ui", "always"), ("color.diff", "always"),
                       ("diff.noprefix", "true"), ("diff.mnemonicPrefix", "true")):
        git(tree, "config", key, value)
    diff = tmp_path / "out.diff"
    made = spatch(tree, tmp_path, "--diff", str(diff))
    assert "result: converted" in made.stdout
    text = diff.read_text()
    assert "\x1b" not in text and text.startswith("diff --git a/")
    git(tree, "apply", "--check", "-p1", str(diff))
    out = series(tree, tmp_path)
    assert out.returncode == 0, out.stderr
    atomic = next((tmp_path / "out" / "atomic").iterdir()).read_text()
    assert "\x1b" not in atomic and "\ndiff --git a/arch/x86/kvm/paging_tmpl.h b/" in atomic
