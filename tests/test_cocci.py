"""The semantic patches against the name.c/name.res fixtures, one idiom each."""
import glob
import os
import shutil
import subprocess

import pytest

from gupunify.common import migration, spatch
from gupunify.csource import idioms, sites

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cocci")
# A .res is C: what spatch makes of its NAME.c. advise_*.c list their
# expected findings in NAME.findings (tests/test_advise.py): no rewrite there.
CASES = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(FIXTURES, "*.res")))


GUP_FLAGS = migration.load("gup-flags")


def cocci_for(case):
    if case.startswith("fastonly_"):
        return GUP_FLAGS.rule("__get_user_pages_fast").cocci
    return GUP_FLAGS.rule("get_user_pages_longterm" if case.startswith("longterm_")
                          else "get_user_pages_fast").cocci


def read(path):
    with open(path) as f:
        return f.read()


@pytest.mark.parametrize("case", CASES)
def test_fixture(case, tmp_path, need_spatch):
    """spatch turns name.c into exactly name.res."""
    shutil.copy(os.path.join(FIXTURES, case + ".c"), tmp_path / "t.c")
    results = spatch.apply(cocci_for(case), str(tmp_path), ["t.c"], str(tmp_path))
    assert results["t.c"][0] == 0, results["t.c"][2]
    assert read(tmp_path / "t.c") == read(os.path.join(FIXTURES, case + ".res"))


@pytest.mark.parametrize("case", CASES)
def test_inventory_agrees_with_fixture(case):
    """The driver's own classifier predicts every call of name.res from name.c."""
    names = ("get_user_pages_fast", "get_user_pages_longterm", "get_user_pages", "__get_user_pages_fast", "get_user_pages_fast_only")
    before = [s for s in sites.scan("t.c", read(os.path.join(FIXTURES, case + ".c")), names)
              if s.kind == "call"]
    after = [s for s in sites.scan("t.c", read(os.path.join(FIXTURES, case + ".res")), names)
             if s.kind == "call"]
    assert len(before) == len(after)
    for old, new in zip(before, after):
        if old.name in ("get_user_pages_fast", "get_user_pages_longterm",
                        "__get_user_pages_fast"):
            _, expected = idioms.classify(old.name, old.args[2])
        else:
            expected = None
        assert new.args[2] == (expected or old.args[2]), old.key()
        # A call is renamed exactly when its argument has a conversion.
        renamed = {"get_user_pages_longterm": "get_user_pages",
                   "__get_user_pages_fast": "get_user_pages_fast_only"}.get(old.name) \
            if expected else None
        assert new.name == (renamed or old.name), old.key()


def test_every_design_idiom_has_a_fixture():
    """docs/conversion.md names these idioms; each has its own pair."""
    wanted = ["fast_literal_true", "fast_literal_false", "fast_foll_write", "fast_flag_form",
              "fast_variable", "fast_not", "fast_compare", "fast_logical", "fast_vm_flags",
              "fast_and_one", "fast_integer", "fast_cast", "fast_ternary", "fast_multiline",
              "fast_comment", "fast_ifdef", "fast_macro", "fast_definition", "fast_fname",
              "longterm_zero", "longterm_simple", "longterm_compound", "longterm_definition",
              "fastonly_literal_true", "fastonly_literal_false", "fastonly_variable",
              "fastonly_bool", "fastonly_not", "fastonly_integer", "fastonly_ternary",
              "fastonly_flag_form", "fastonly_foll_write", "fastonly_macro",
              "fastonly_multiline", "fastonly_comment", "fastonly_definition"]
    for case in wanted:
        assert case in CASES
        assert os.path.exists(os.path.join(FIXTURES, case + ".res"))


def test_every_fixture_has_its_rewrite_or_its_findings():
    """NAME.c has NAME.res (what spatch makes of it) or, for the advisor, NAME.findings."""
    names = {os.path.basename(p) for p in glob.glob(os.path.join(FIXTURES, "*"))}
    for name in names:
        stem, ext = os.path.splitext(name)
        if ext == ".c":
            assert (stem + ".res" in names) != (stem + ".findings" in names), name
            assert (stem + ".findings" in names) == stem.startswith("advise_"), name
        else:
            assert ext in (".res", ".findings") and stem + ".c" in names, name


def run_mode(mode, case, tmp_path):
    shutil.copy(os.path.join(FIXTURES, case + ".c"), tmp_path / "t.c")
    out = subprocess.run(["spatch", "--sp-file", cocci_for(case), "-D", mode, "--very-quiet",
                          "--no-includes", "t.c"], cwd=tmp_path, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_report_mode_names_each_site(tmp_path, need_spatch):
    """coccicheck MODE=report: one line per call that needs or deserves a look."""
    lines = run_mode("report", "fast_foll_write", tmp_path).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("t.c:4:") and "is FOLL_WRITE" in lines[0] or \
        lines[1].startswith("t.c:4:")
    assert any(l.startswith("t.c:10:") and "other than FOLL_WRITE" in l for l in lines)
    lines = run_mode("report", "longterm_compound", tmp_path).splitlines()
    assert sorted(l.split(":")[1] for l in lines) == ["4", "5"]


def test_fast_only_report_mode(tmp_path, need_spatch):
    """gup_fast_only.cocci MODE=report: each call with what it becomes; no definition."""
    lines = sorted(run_mode("report", "fastonly_foll_write", tmp_path).splitlines())
    assert len(lines) == 2
    assert lines[0].startswith("t.c:10:") and lines[0].split(": ", 1)[1] == (
        "ERROR: __get_user_pages_fast() write argument is a FOLL_* value other than "
        "FOLL_WRITE: its meaning changes with gup_flags, fix by hand")
    assert lines[1].startswith("t.c:4:") and "is FOLL_WRITE: right value by accident" in lines[1]
    lines = run_mode("report", "fastonly_literal_true", tmp_path).splitlines()
    assert sorted(l.split(":")[1] for l in lines) == ["4", "9"]
    assert all("call get_user_pages_fast_only() with FOLL_WRITE" in l for l in lines)
    assert run_mode("report", "fastonly_definition", tmp_path) == ""
    assert run_mode("report", "fastonly_macro", tmp_path) == ""


def test_report_mode_quiet_on_flag_form(tmp_path, need_spatch):
    assert run_mode("report", "fast_flag_form", tmp_path) == ""


def test_context_and_org_modes(tmp_path, need_spatch):
    context = run_mode("context", "fast_compare", tmp_path)
    assert context.count("\n-") == 3
    org = run_mode("org", "fast_compare", tmp_path)
    assert org.count("* TODO") == 3


MISUSE = """\
static int f(unsigned long a, struct vm_area_struct *vma, unsigned int gup_flags,
	     bool w, int prot, struct page **p)
{
	get_user_pages_fast(a, 1, gup_flags, p);
	get_user_pages_fast(a, 1, w ? FOLL_WRITE : 0, p);
	get_user_pages_fast(a, 1, gup_flags & FOLL_WRITE, p);
	get_user_pages_fast(a, 1, 0, p);
	get_user_pages_fast(a, 1, 1, p);
	get_user_pages_fast(a, 1, vma->vm_flags & VM_WRITE, p);
	get_user_pages_unlocked(a, 1, p, !!(prot & 2));
	get_user_pages(a, 1, w == true, p, NULL);
	return get_user_pages_remote(vma->vm_mm, a, 1, a > 2, p, NULL, NULL);
}
"""


@pytest.mark.parametrize("mode, marker", [("report", "WARNING"), ("org", "* TODO")])
def test_flags_misuse_in_converted_tree(mode, marker, tmp_path, need_spatch):
    """gup_flags_misuse.cocci: only the arguments not built from FOLL_* flags."""
    (tmp_path / "t.c").write_text(MISUSE)
    out = subprocess.run(["spatch", "--sp-file", GUP_FLAGS.file("cocci/gup_flags_misuse.cocci"),
                          "-D", mode, "--very-quiet", "--no-includes", "t.c"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = [l for l in out.stdout.splitlines() if marker in l]
    linenos = sorted(int(l.split(":")[1]) if mode == "report" else
                     int(l.split("linb=")[1].split(":")[0]) for l in lines)
    assert linenos == [8, 9, 10, 11, 12]
