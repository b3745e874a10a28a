"""The two CI guards agree: cicheck and cocci/gup_flags_misuse.cocci, on tests/guard/.

Each tests/guard/NAME.c or NAME.h is a source file of a tree already on
gup_flags, or of an out-of-tree module built on both sides of the change; a
line ending in "/* flagged */" is one a guard must report, and every other
call must pass. The guards run on the same files: cicheck as a CI system
runs it, on a kernel tree and on a module directory (a plain folder), the
semantic patch as make coccicheck MODE=report would.
"""
import glob
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import CLI, GUP_FLAGS, ROOT

GUARD = os.path.join(ROOT, "tests", "guard")
MISUSE = os.path.join(GUP_FLAGS, "cocci", "gup_flags_misuse.cocci")
FIXTURES = sorted(glob.glob(os.path.join(GUARD, "*.[ch]")))

# mm.h of a tree on gup_flags, get_user_pages_remote() in its v5.9+ form
# (no task argument), which is the form the semantic patch matches.
MM_H = """\
#define FOLL_WRITE	0x01
#define FOLL_LONGTERM	0x10000
int get_user_pages_fast(unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages);
int get_user_pages_fast_only(unsigned long start, int nr_pages,
			     unsigned int gup_flags, struct page **pages);
long get_user_pages(unsigned long start, unsigned long nr_pages,
		    unsigned int gup_flags, struct page **pages,
		    struct vm_area_struct **vmas);
long get_user_pages_locked(unsigned long start, unsigned long nr_pages,
		    unsigned int gup_flags, struct page **pages, int *locked);
long get_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
		    struct page **pages, unsigned int gup_flags);
long get_user_pages_remote(struct mm_struct *mm,
			    unsigned long start, unsigned long nr_pages,
			    unsigned int gup_flags, struct page **pages,
			    struct vm_area_struct **vmas, int *locked);
"""


def marked(path):
    with open(path) as f:
        # A macro's first line ends in its continuation.
        return [n for n, line in enumerate(f, 1)
                if line.rstrip().rstrip("\\").rstrip().endswith("/* flagged */")]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("guard") / "linux"
    (root / "include/linux").mkdir(parents=True)
    (root / "mm").mkdir()
    (root / "drivers/guard").mkdir(parents=True)
    (root / "Makefile").write_text("VERSION = 5\nPATCHLEVEL = 10\n")
    (root / "include/linux/mm.h").write_text(MM_H)
    for path in FIXTURES:
        with open(path) as f:
            (root / "drivers/guard" / os.path.basename(path)).write_text(f.read())
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "-c", "user.name=T", "-c", "user.email=t@x",
                    "commit", "-qm", "guard fixtures"], check=True)
    return root


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory):
    """The fixtures as a module's folder: no kernel tree, no git."""
    root = tmp_path_factory.mktemp("guard") / "drv"
    root.mkdir()
    for path in FIXTURES:
        with open(path) as f:
            (root / os.path.basename(path)).write_text(f.read())
    return root


def cicheck_findings(where):
    out = subprocess.run([sys.executable, CLI, "cicheck", str(where), "--format", "json"],
                         capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    found = {}
    doc = json.loads(out.stdout)
    for f in doc["findings"]:
        found.setdefault(os.path.basename(f["file"]), []).append(f["line"])
    return doc["api"], found


@pytest.fixture(scope="module")
def cicheck_lines(tree):
    return cicheck_findings(tree)[1]


@pytest.fixture(scope="module")
def module_lines(module_dir):
    api, found = cicheck_findings(module_dir)
    assert api == "module"
    return found


def cocci_lines(tree, name):
    out = subprocess.run(["spatch", "--sp-file", MISUSE, "-D", "report", "--very-quiet",
                          "--no-includes", "--include-headers", "drivers/guard/" + name],
                         cwd=tree, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return sorted({int(m.group(1)) for m in re.finditer(r"^\S+?:(\d+):\S+ WARNING", out.stdout,
                                                        re.M)})


def test_every_fixture_marks_something():
    assert FIXTURES
    for path in FIXTURES:
        assert marked(path), "%s marks no line as flagged" % path


@pytest.mark.parametrize("path", FIXTURES, ids=os.path.basename)
def test_cicheck_flags_exactly_the_marked_lines(path, cicheck_lines):
    assert sorted(set(cicheck_lines.get(os.path.basename(path), []))) == marked(path)


@pytest.mark.parametrize("path", FIXTURES, ids=os.path.basename)
def test_cicheck_on_a_module_directory_flags_exactly_the_marked_lines(path, module_lines):
    assert sorted(set(module_lines.get(os.path.basename(path), []))) == marked(path)


@pytest.mark.parametrize("path", FIXTURES, ids=os.path.basename)
def test_semantic_patch_flags_exactly_the_marked_lines(path, tree, need_spatch):
    assert cocci_lines(tree, os.path.basename(path)) == marked(path)
