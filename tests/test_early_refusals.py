"""Options the run cannot use are refused in one line before any work: make check's
-j and --config, and --base."""
import pytest
from conftest import git, gup_unify

from gupunify import kbuild, util


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
