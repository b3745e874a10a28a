"""A series run with nothing new says so first and does nothing; anything new is made."""
from conftest import git, gup_unify


def series(tree, tmp_path, *extra):
    return gup_unify("series", str(tree), "--output", str(tmp_path / "out"),
                     "--reports", str(tmp_path / "rep"), *extra, scratch=tmp_path / "s")


def test_a_rerun_with_nothing_new_says_so_first_and_writes_nothing_else_remakes(
        tree, tmp_path, need_spatch):
    first = series(tree, tmp_path)
    assert first.returncode == 0, first.stderr
    tip = git(tree, "rev-parse", "--short=12", "gup-unify").strip()
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*")}
    again = series(tree, tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines() == [
        "gup-unify: %s is up to date: nothing new since the last run on gup-unify (%s)"
        % (tmp_path / "out", tip)]
    # The plan is printed as by the run that wrote it.
    plan = first.stdout[first.stdout.index("series, in the order"):]
    assert again.stdout == plan
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*")} == stamps
    # What went missing is made again.
    cover = tmp_path / "out" / "overview.txt"
    cover.unlink()
    again = series(tree, tmp_path)
    assert again.returncode == 0, again.stderr
    assert "written" in again.stderr and cover.exists()
    # Another shape of the same branch: not the same output.
    other = series(tree, tmp_path, "--shape", "mm")
    assert other.returncode == 0, other.stderr
    assert "up to date: nothing new since" not in other.stderr
    assert not cover.exists()
