"""migrations/gup-vmas as data: its ini names files that exist, its core series is in
order, its hooks classify the vmas argument and guard the new API, its boot cases
name each changed entry point."""
import configparser
import importlib.util
import os
import re

from conftest import git, gup_unify, make_tree
from gupunify.csource import sites

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDER = os.path.join(ROOT, "migrations", "gup-vmas")
FOUR = ("get_user_pages", "pin_user_pages", "get_user_pages_remote", "pin_user_pages_remote")

# <linux/mm.h> of linux-source-6.1 before the core series, and after its removal patch.
HEADER_BEFORE = """\
long get_user_pages_remote(struct mm_struct *mm,
			    unsigned long start, unsigned long nr_pages,
			    unsigned int gup_flags, struct page **pages,
			    struct vm_area_struct **vmas, int *locked);
long get_user_pages(unsigned long start, unsigned long nr_pages,
			    unsigned int gup_flags, struct page **pages,
			    struct vm_area_struct **vmas);
"""
HEADER_AFTER = """\
long get_user_pages_remote(struct mm_struct *mm,
			    unsigned long start, unsigned long nr_pages,
			    unsigned int gup_flags, struct page **pages,
			    int *locked);
long get_user_pages(unsigned long start, unsigned long nr_pages,
		    unsigned int gup_flags, struct page **pages);
"""


def ini():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    with open(os.path.join(FOLDER, "migration.ini")) as f:
        parser.read_file(f)
    return parser


def hooks():
    spec = importlib.util.spec_from_file_location("gup_vmas_hooks",
                                                  os.path.join(FOLDER, "hooks.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_file_the_ini_names_exists():
    parser = ini()
    named = [parser.get("series", "overview")] + \
        [parser.get("boot", key) for key in ("cases", "config")] + \
        [parser.get("guard", "cocci")]
    for section in parser.sections():
        if section.startswith("rule:"):
            named += [parser.get(section, k) for k in ("cocci", "subjects", "message",
                                                      "smpl", "caveat")]
    for relpath in named:
        assert os.path.isfile(os.path.join(FOLDER, relpath)), relpath


def test_one_rule_per_function_with_its_arity():
    parser = ini()
    rules = {parser.get(s, "old"): parser for s in parser.sections() if s.startswith("rule:")}
    assert sorted(rules) == sorted(FOUR)
    for section in (s for s in parser.sections() if s.startswith("rule:")):
        arity, new_arity = parser.getint(section, "arity"), parser.getint(section, "new_arity")
        assert new_arity == arity - 1
        # vmas is the argument before locked (remote) or the last one.
        assert parser.getint(section, "argument") == (5 if arity == 7 else 4)
        assert parser.get(section, "new") == parser.get(section, "old")


def test_state_regexes_tell_the_header_before_from_after():
    parser = ini()
    has_vmas = re.compile(parser.get("state", "has_vmas"))
    without = re.compile(parser.get("state:vmas_form", "without"))
    assert has_vmas.search(HEADER_BEFORE) and not has_vmas.search(HEADER_AFTER)
    assert without.search(HEADER_AFTER) and not without.search(HEADER_BEFORE)


def test_core_series_order():
    """The helper and the wrappers before the callers; the removals after them."""
    with open(os.path.join(FOLDER, "patches", "v6.1", "series")) as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    assert lines.count("@callers") == 1
    before, after = lines[:lines.index("@callers")], lines[lines.index("@callers") + 1:]
    assert [re.sub(r"^\d{4}-", "", p) for p in before] == [
        "mm-gup-add-get_user_page_vma_remote.patch",
        "mm-gup-let-callers-leave-out-the-vmas-argument-while.patch"]
    assert len(after) == 3 and "io_uring" in after[0] and "internal-walk" in after[-1]
    for name in before + after:
        path = os.path.join(FOLDER, "patches", "v6.1", name)
        with open(path) as f:
            text = f.read()
        # Only the person who applies and sends them can certify the DCO.
        assert not re.search(r"^(From: |Signed-off-by:)", text, re.M), name
        assert text.startswith("From ") and "\nSubject: [PATCH " in text


def test_classify_vmas():
    classify = hooks().CLASSIFY["vmas"]
    for text in ("NULL", " NULL", "(NULL)", "0", "(struct vm_area_struct **)NULL",
                 "(struct vm_area_struct **) 0", "NULL /* none */"):
        assert classify(text) == ("null", ""), text
    assert classify("&vma") == ("one_vma", None)
    for text in ("vmas", "vmas + i", "(NULL", "NO_VMAS", "&vmas[1]"):
        assert classify(text) == ("vmas_array", None), text
    reasons = dict(ini().items("reasons"))
    assert set(reasons) == {"one_vma", "vmas_array"}


GUARDED = """\
static int f(struct mm_struct *mm, unsigned long a, struct page **p,
	     struct vm_area_struct **v, int *l)
{
	get_user_pages(a, 1, 0, p, NULL);
	pin_user_pages(a, 1, 0, p, v);
	get_user_pages_remote(mm, a, 1, 0, p, NULL, l);
	pin_user_pages_remote(mm, a, 1, 0, p, (struct vm_area_struct **)NULL, l);
	get_user_pages(a, 1, 0, p);
	return pin_user_pages_remote(mm, a, 1, 0, p, l);
}
"""


def test_guard_finds_each_call_with_vmas():
    guard = hooks().GUARD
    found = []
    for site in sites.scan("t.c", GUARDED, FOUR):
        for finding in guard(site, {"vmas_form": "without"}, {}):
            found.append((site.line, finding.rule, finding.level, finding.argument))
    assert found == [(4, "null-vmas", "error", "NULL"), (5, "vmas-argument", "error", "v"),
                     (6, "null-vmas", "error", "NULL"),
                     (7, "null-vmas", "error", "(struct vm_area_struct **)NULL")]
    before = [f.level for s in sites.scan("t.c", GUARDED, FOUR)
              for f in guard(s, {"vmas_form": "with"}, {})]
    assert before == ["warning"] * 4


def test_boot_cases_pin_through_each_entry_point():
    with open(os.path.join(FOLDER, "boot", "cases")) as f:
        cases = [l.split() for l in f if l.strip() and not l.startswith("#")]
    assert len({c[0] for c in cases}) == len(cases)
    assert {c[1] for c in cases} == set(FOUR)
    assert {c[2] for c in cases} <= {"gup_test", "proc_mem", "vm_readv"}
    with open(os.path.join(FOLDER, "boot", "config")) as f:
        assert "CONFIG_GUP_TEST=y" in f.read().split()


def test_an_error_finding_fails_the_guard_as_a_warning_does(tmp_path):
    """On a tree whose header has the four without vmas, a call still passing one is an
    error: the guard exits 1 for it, and its total line counts it."""
    tree = make_tree(tmp_path / "linux")
    with open(tree / "include" / "linux" / "mm.h", "a") as f:
        f.write("long get_user_pages(unsigned long start, unsigned long nr_pages,\n"
                "\t\t    unsigned int gup_flags, struct page **pages);\n")
    (tree / "drivers" / "newcaller.c").write_text(
        "static void f(void)\n{\n\tget_user_pages(a, 1, 0, pages, NULL);\n}\n")
    git(tree, "add", "-A")
    done = gup_unify("cicheck", str(tree), "--migration", "gup-vmas", scratch=tmp_path / "s")
    assert "drivers/newcaller.c:3:2: error: a NULL vmas argument" in done.stdout
    assert done.returncode == 1, (done.stdout, done.stderr)
    errors = done.stdout.count(": error: ")
    assert errors == len(done.stdout.splitlines())
    assert "%d findings (%d errors, 0 warnings)" % (errors, errors) in done.stderr
