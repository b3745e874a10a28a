"""The lock-context advisor: cocci/gup_lock_context.cocci and gup-unify advise.

Each tests/cocci/advise_*.c holds one idiom; advise_*.findings beside it lists
the findings expected there, one "line class function" a line (empty: none).
"""
import glob
import json
import os
import shutil
import subprocess

import pytest

from conftest import git, gup_unify
from gupunify import advise

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cocci")
CASES = sorted(os.path.basename(p)[:-2]
               for p in glob.glob(os.path.join(FIXTURES, "advise_*.c")))


def expected(case):
    with open(os.path.join(FIXTURES, case + ".findings")) as f:
        return sorted(tuple(line.split()) for line in f if line.strip())


def found(findings):
    return sorted((str(f["line"]), f["class"], f["function"]) for f in findings)


def spatch_mode(mode, case, cwd):
    """spatch with the options coccicheck takes from the .cocci's Options line."""
    shutil.copy(os.path.join(FIXTURES, case + ".c"), cwd / (case + ".c"))
    out = subprocess.run(["spatch", "-D", mode, "--very-quiet", "--no-includes",
                          "--include-headers", "--sp-file", advise.cocci(), case + ".c"],
                         cwd=cwd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("case", CASES)
def test_cocci_report(case, tmp_path, need_spatch):
    """MODE=report names exactly the findings of name.findings, each once, with a reason."""
    out = spatch_mode("report", case, tmp_path)
    findings = advise.parse(out)
    assert len(findings) == len(out.splitlines())
    assert found(findings) == expected(case)
    assert all(f["file"] == case + ".c" and f["reason"] for f in findings)


def test_b_advice_follows_the_flags(tmp_path, need_spatch):
    """[B] with FOLL_LONGTERM points at _fast() only: _unlocked() refuses it."""
    (b,) = advise.parse(spatch_mode("report", "advise_b_mmap_lock", tmp_path))
    assert b["reason"].endswith(": pin_user_pages_fast() does the locking itself "
                                "(pin_user_pages_unlocked() refuses FOLL_LONGTERM)")
    (b,) = advise.parse(spatch_mode("report", "advise_b_around", tmp_path))
    assert b["reason"].endswith(": get_user_pages_unlocked() or get_user_pages_fast() "
                                "does the locking itself")


def test_a_conditional_lock_is_named(tmp_path, need_spatch):
    """[A] under "if (cond && lock)" says the lock is held only if cond."""
    (a,) = advise.parse(spatch_mode("report", "advise_a_conditional", tmp_path))
    assert "(down_read_killable() at line 10, only if slow: check that this path " \
        "can have both)" in a["reason"]
    (a,) = advise.parse(spatch_mode("report", "advise_a_fast_read", tmp_path))
    assert "(down_read() at line 7):" in a["reason"]


def test_every_class_has_a_true_positive_and_near_misses():
    for cls in "ABC":
        hits = [c for c in CASES if c.startswith("advise_%s_" % cls.lower()) and expected(c)]
        misses = [c for c in CASES if c.startswith("advise_%s_" % cls.lower())
                  and not expected(c)]
        assert hits and len(misses) >= 3, cls
        assert all(cls == e[1] for c in hits for e in expected(c))


def test_cocci_context_and_org(tmp_path, need_spatch):
    """MODE=context stars the call; MODE=org gives one TODO per finding."""
    context = spatch_mode("context", "advise_c_preempt", tmp_path)
    assert [l for l in context.splitlines() if l.startswith("-\t")] == \
        ["-\tret = get_user_pages_fast(addr, 1, 0, pages);"] * 2
    org = spatch_mode("org", "advise_c_preempt", tmp_path)
    assert org.count("* TODO") == 2 and "[C] per_cpu_pin(): " in org
    assert spatch_mode("context", "advise_a_released", tmp_path) == ""


UNPARSABLE = """\
static int broken(struct dev *d)
{
	int x = FOO BAR BAZ ( ;
	spin_lock(&d->lock);
	get_user_pages_fast(d->addr, 1, 0, d->pages);
	spin_unlock(&d->lock);
	return x;
}
"""


def mini_tree(root):
    """A kernel tree of our fixtures, as files under drivers/advise/."""
    (root / "include/linux").mkdir(parents=True)
    (root / "mm").mkdir()
    (root / "Makefile").write_text("VERSION = 5\nPATCHLEVEL = 0\nSUBLEVEL = 0\n")
    (root / "include/linux/mm.h").write_text("/* the API */\n")
    (root / "mm/gup.c").write_text("int get_user_pages_fast(unsigned long s, int n, int w, "
                                   "struct page **p)\n{\n\treturn 0;\n}\n")
    drivers = root / "drivers/advise"
    drivers.mkdir(parents=True)
    for case in CASES:
        shutil.copy(os.path.join(FIXTURES, case + ".c"), drivers / (case + ".c"))
    (drivers / "unparsable.c").write_text(UNPARSABLE)
    return root


def test_cli_json_matches_every_fixture(tmp_path, need_spatch):
    """advise --format json: per fixture file exactly its .findings, and the report on disk."""
    tree = mini_tree(tmp_path / "linux")
    reports = tmp_path / "reports"
    out = gup_unify("advise", str(tree), "--format", "json", "--reports", str(reports),
                    scratch=tmp_path / "scratch")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for case in CASES:
        path = "drivers/advise/%s.c" % case
        assert found(f for f in data["findings"] if f["file"] == path) == expected(case), case
    assert data["counts"] == {c: sum(1 for case in CASES for e in expected(case) if e[1] == c)
                              for c in "ABC"}
    # git grep leaves out of spatch's way what cannot have a finding: mm/gup.c
    # names no lock context, advise_b_other_mm.c calls only get_user_pages_remote().
    assert data["files"] == sorted(["drivers/advise/%s.c" % c for c in CASES
                                    if c != "advise_b_other_mm"] +
                                   ["drivers/advise/unparsable.c"])
    assert data["unparsed"]["drivers/advise/unparsable.c"] >= 6
    assert not any(f["file"] == "drivers/advise/unparsable.c" for f in data["findings"])
    assert data["failed"] == {}
    with open(reports / "linux" / "advise.json") as f:
        assert json.load(f) == data
    md = (reports / "linux" / "advise.md").read_text()
    assert "| A | %d |" % data["counts"]["A"] in md
    assert "drivers/advise/unparsable.c: %d lines spatch could not parse" % \
        data["unparsed"]["drivers/advise/unparsable.c"] in md


def test_cli_text_in_a_git_checkout(tmp_path, need_spatch):
    """advise (text) on a git checkout: one line per finding, the counts, the unread lines."""
    tree = mini_tree(tmp_path / "linux")
    git(tree, "init", "-q")
    git(tree, "add", "-A")
    git(tree, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm", "base")
    # An untracked file is not part of the checkout: git grep leaves it alone.
    shutil.copy(os.path.join(FIXTURES, "advise_a_fast_read.c"), tree / "untracked.c")
    out = gup_unify("advise", str(tree), "--reports", str(tmp_path / "reports"),
                    scratch=tmp_path / "scratch")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "drivers/advise/advise_a_fast_read.c:8: [A] pin_buffer(): get_user_pages_fast() " \
        "with current->mm's mmap lock held (down_read() at line 7): its slow path takes " \
        "that lock again, a deadlock behind a waiting writer" in lines
    assert not any(l.startswith("untracked.c") for l in lines)
    total = {c: sum(1 for case in CASES for e in expected(case) if e[1] == c) for c in "ABC"}
    assert "%s: A %d, B %d, C %d in %d files read" % (
        tree, total["A"], total["B"], total["C"], len(CASES)) in lines
    assert any(l.startswith("drivers/advise/unparsable.c: ") and
               l.endswith(" lines spatch could not parse (no advice there)") for l in lines)
    assert git(tree, "status", "--porcelain") == "?? untracked.c\n"


@pytest.mark.parametrize("inside_a_repository", [False, True])
def test_a_module_directory_is_advised_headers_included(tmp_path, inside_a_repository,
                                                        need_spatch):
    """A driver's folder (plain, or untracked inside someone's checkout): its .c and
    .h files are read, the report is named after the folder."""
    if inside_a_repository:
        git(tmp_path, "init", "-q")
    module = tmp_path / "my drv"
    module.mkdir()
    shutil.copy(os.path.join(FIXTURES, "advise_c_spinlock.c"), module / "queue.h")
    shutil.copy(os.path.join(FIXTURES, "advise_b_around.c"), module / "pin.c")
    out = gup_unify("advise", str(module), "--format", "json", "--reports",
                    str(tmp_path / "reports"), scratch=tmp_path / "scratch")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["version"] == "out-of-tree module"
    assert sorted((f["file"], f["class"]) for f in data["findings"]) == [
        ("pin.c", "B"), ("queue.h", "C")]
    assert (tmp_path / "reports" / "my drv" / "advise.md").exists()
    assert sorted(os.listdir(module)) == ["pin.c", "queue.h"]


def test_cli_refuses_a_missing_directory(tmp_path):
    out = gup_unify("advise", str(tmp_path / "missing"), scratch=tmp_path / "scratch")
    assert out.returncode == 2
    assert out.stderr == "gup-unify: error: %s: no such directory\n" % (tmp_path / "missing")
    assert out.stdout == ""


def test_real_tree_mips_sigtramp(kernel_tree, tmp_path, need_spatch):
    """v5.0's r4k_flush_cache_sigtramp() calls fast GUP under mmap_sem (read by hand).

    v5.1 removed the function: there the tree has no finding in that file.
    """
    with open(os.path.join(kernel_tree, "arch/mips/mm/c-r4k.c")) as f:
        has_it = "get_user_pages_fast(" in f.read()
    out = gup_unify("advise", kernel_tree, "--format", "json", "--reports",
                    str(tmp_path / "reports"), scratch=tmp_path / "scratch")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    mips = [f for f in data["findings"] if f["file"] == "arch/mips/mm/c-r4k.c"]
    assert [(f["class"], f["function"]) for f in mips] == \
        ([("A", "r4k_flush_cache_sigtramp")] if has_it else [])
    assert data["failed"] == {}


def test_a_migration_without_an_advisor_says_so_in_one_line(tree, tmp_path):
    done = gup_unify("advise", str(tree), "--migration", "gup-vmas",
                     "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert done.returncode == 2
    assert done.stderr == ("gup-unify: error: migration gup-vmas has no lock-context advisor "
                           "(no [advise] in its migration.ini): make advise has nothing to run "
                           "for it\n")
    assert not (tmp_path / "rep").exists()
