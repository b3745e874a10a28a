"""Options and environment the run cannot use are refused in one line before any work:
make check's -j and --config, --base, and GIT_DIR and its kin; git's pathspec
settings in the environment are left out of the run's own git commands."""
import os
import shutil

import pytest
from conftest import SAMPLE, git, gup_unify

from gupunify.common import kbuild, util


def one_line(proc, *words):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gup-unify: error: "), proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture
def branch(tree):
    """The tree with a gup-unify branch one commit ahead of master."""
    git(tree, "checkout", "-q", "-b", "gup-unify")
    (tree / "mm" / "gup.c").write_text((tree / "mm" / "gup.c").read_text() + "/* x */\n")
    git(tree, "commit", "-qam", "mm: a step")
    git(tree, "checkout", "-q", "master")
    return tree


@pytest.mark.parametrize("args, words", [
    (["-j", "0"], ["-j must be at least 1 (got 0)"]),
    (["-j", "-3"], ["-j must be at least 1 (got -3)"]),
    (["--config", "x86_64=nonsense"], ["--config x86_64=nonsense: not a config target",
                                       "allmodconfig", "arch/x86/configs"]),
    (["--config", "x86_64=../../etc_defconfig"], ["not a config target"]),
    (["--config", "x86=defconfig"], ["--config x86=defconfig: unknown arch x86"]),
    (["--config", "x86_64=defconfig", "--config", "x86_64=allnoconfig"],
     ["--config x86_64=allnoconfig: x86_64 already has --config x86_64=defconfig"]),
    (["--base", "nonexistent"], ["has no commit nonexistent", "--base"]),
])
def test_check_refuses_before_any_work(branch, tmp_path, args, words):
    proc = gup_unify("-q", "check", str(branch), "--reports", str(tmp_path / "rep"),
                     *args, scratch=tmp_path / "s")
    one_line(proc, *words)
    assert "Needed a single revision" not in proc.stderr
    assert not (tmp_path / "s" / "buildcheck").exists()
    assert not (tmp_path / "rep").exists()


def test_a_defconfig_of_the_tree_is_taken(branch, tmp_path):
    configs = branch / "arch" / "arm" / "configs"
    configs.mkdir(parents=True)
    (configs / "toy_defconfig").write_text("CONFIG_MMU=y\n")
    kbuild.check_config_target("arm", "toy_defconfig", str(branch))
    kbuild.check_config_target("x86_64", "defconfig", str(branch))
    with pytest.raises(util.UserError):
        kbuild.check_config_target("arm", "other_defconfig", str(branch))


@pytest.mark.parametrize("name", ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE",
                                  "GIT_OBJECT_DIRECTORY"])
def test_git_variables_naming_another_repository_are_refused(tree, tmp_path, name):
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", str(other))
    value = {"GIT_DIR": other / ".git", "GIT_WORK_TREE": other,
             "GIT_INDEX_FILE": other / ".git" / "index",
             "GIT_OBJECT_DIRECTORY": other / ".git" / "objects"}[name]
    before = sorted(os.listdir(other / ".git"))
    proc = gup_unify("-q", "spatch", str(tree), "--reports", str(tmp_path / "rep"),
                     scratch=tmp_path / "s", env={name: str(value)})
    one_line(proc, "%s=%s is set" % (name, value), "unset %s" % name)
    assert sorted(os.listdir(other / ".git")) == before
    assert git(tree, "branch", "--list") == "* master\n"


def test_git_variables_naming_the_tree_itself_are_what_the_user_meant(tree, tmp_path,
                                                                      need_spatch):
    env = {"GIT_DIR": str(tree / ".git"), "GIT_WORK_TREE": str(tree),
           "GIT_INDEX_FILE": str(tree / ".git" / "index")}
    proc = gup_unify("-q", "spatch", str(tree), "--reports", str(tmp_path / "rep"),
                     scratch=tmp_path / "s", env=env)
    assert proc.returncode == 0, proc.stderr
    assert git(tree, "branch", "--list") == "  gup-unify\n* master\n"
    assert git(tree, "status", "--porcelain") == ""


def test_git_variables_with_a_plain_directory_are_refused(tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(SAMPLE, plain)
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", str(other))
    proc = gup_unify("-q", "spatch", str(plain), "--reports", str(tmp_path / "rep"),
                     scratch=tmp_path / "s", env={"GIT_DIR": str(other / ".git")})
    one_line(proc, "GIT_DIR=", "not a git work tree of its own")


@pytest.mark.parametrize("name", ["GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS",
                                  "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS"])
def test_pathspec_settings_in_the_environment_change_nothing(tree, tmp_path, name,
                                                             need_spatch):
    """The run's pathspecs mean what git's defaults make them: with one of these set, the
    search still finds every caller and history still gives each group its prefix."""
    (tree / "lib" / "iov_iter.c").write_text((tree / "lib" / "iov_iter.c").read_text()
                                             + "/* x */\n")
    git(tree, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qam",
        "iov_iter: a step")
    runs = {}
    for label, env in (("plain", {}), ("set", {name: "1"})):
        proc = gup_unify("-q", "spatch", str(tree), "--branch", label, "--reports",
                         str(tmp_path / label), scratch=tmp_path / "s", env=env)
        assert proc.returncode == 0, proc.stderr
        runs[label] = git(tree, "log", "--format=%s", "master.." + label)
    assert "iov_iter: pass gup_flags to get_user_pages_fast()" in runs["plain"]
    assert runs["set"] == runs["plain"]
