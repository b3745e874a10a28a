"""One run context per job: the tree is read once and the same one reaches every layer."""
import os

from conftest import git

from gupunify.common.tree import KernelTree
from gupunify.series import series


def test_series_check_reads_the_tree_once_and_hands_it_to_the_check(tree, tmp_path,
                                                                    need_spatch, monkeypatch):
    read = []
    plain_init = KernelTree.__init__

    def counted(self, path):
        read.append(path)
        plain_init(self, path)

    monkeypatch.setattr(KernelTree, "__init__", counted)
    monkeypatch.setenv("GUP_UNIFY_SCRATCH", str(tmp_path / "s"))
    given = []

    def check(kernel, branch, base, reports_dir):
        given.append((kernel, branch, base, reports_dir))
        return 1, "the check's table\n"

    done = series.make_series(str(tree), reports_dir=str(tmp_path / "rep"),
                              options=series.SeriesOptions(out=str(tmp_path / "out"),
                                                           check=check))
    # The conversion that made the branch, the series and the check share one tree.
    assert read == [str(tree)]
    ((kernel, branch, base, reports_dir),) = given
    assert isinstance(kernel, KernelTree) and kernel.path == os.path.abspath(str(tree))
    assert (branch, base, reports_dir) == (
        "gup-unify", git(tree, "rev-parse", "master").strip(), str(tmp_path / "rep"))
    assert (done.status, done.check) == (1, "the check's table\n")
