"""The suite's own rules: make test-real runs every test of a real tree or fails,
and the sources cite no tracker the repository does not hold."""
import os
import re
import subprocess
import sys

from conftest import ROOT

# A test of the real tree that skips, and one that passes, as a conftest sees them.
REAL_TREE_TESTS = '''
import pytest


def test_skips_on_the_tree(kernel_tree):
    pytest.skip("bison/flex missing")


def test_reads_the_tree(kernel_tree):
    assert kernel_tree
'''


def run_real_tree_tests(tmp_path, env):
    (tmp_path / "conftest.py").write_text(open(os.path.join(ROOT, "tests", "conftest.py")).read())
    (tmp_path / "test_tree.py").write_text(REAL_TREE_TESTS)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           str(tmp_path)], capture_output=True, text=True, cwd=str(tmp_path),
                          env=dict(os.environ, GUP_KERNEL_TREE=str(tmp_path), **env))


def test_make_test_real_fails_where_a_test_of_the_tree_skips(tmp_path):
    out = run_real_tree_tests(tmp_path, {"GUP_TEST_REAL": "1"})
    assert out.returncode == 1, out.stdout
    assert "make test-real: a test of the real tree skipped: Skipped: bison/flex missing" \
        in out.stdout
    assert "1 failed, 1 passed" in out.stdout


def test_make_test_skips_that_test_as_before(tmp_path):
    out = run_real_tree_tests(tmp_path, {"GUP_TEST_REAL": ""})
    assert out.returncode == 0, out.stdout
    assert "1 passed, 1 skipped" in out.stdout


def test_make_test_real_without_a_tree_is_one_line_and_runs_nothing():
    # Under make test-real GUP_KERNEL_TREE=..., make hands the variable down in
    # MAKEFLAGS: left there, this make would run the whole suite again, itself
    # included, without end.
    env = {k: v for k, v in os.environ.items()
           if k not in ("GUP_KERNEL_TREE", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    out = subprocess.run(["make", "-s", "-C", ROOT, "test-real"], capture_output=True,
                         text=True, env=env)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.splitlines()[0] == ("make test-real: GUP_KERNEL_TREE=<a v5.0 or v5.1.15 "
                                          "git checkout> is required (docs/trees.md)")


def is_source(path):
    return path.endswith((".py", ".cocci", ".sh")) or os.path.basename(path) == "Makefile" \
        or path.startswith("scripts/")


def test_no_source_cites_an_issue_number():
    """The tracker is not in the repository: a reason is written out where it is used."""
    cited = re.compile(r"\bissues? ?#?\d+|issue-\d+|\bthe issue\b", re.I)
    found = []
    for top in ("scripts", "tests", "cocci", "ci", "Makefile"):
        for path in subprocess.run(["git", "-C", ROOT, "ls-files", "--", top],
                                   capture_output=True, text=True, check=True).stdout.split():
            if path == "tests/test_suite.py" or not is_source(path):
                continue
            try:
                text = open(os.path.join(ROOT, path), encoding="utf-8").read()
            except (UnicodeDecodeError, IsADirectoryError):
                continue
            found += ["%s:%d" % (path, n) for n, line in enumerate(text.splitlines(), 1)
                      if cited.search(line)]
    assert found == []


def test_architecture_lists_every_module_and_no_other():
    """docs/architecture.md's package tree is the one on disk: a module added, moved or
    removed shows there too."""
    text = open(os.path.join(ROOT, "docs", "architecture.md")).read()
    block = text.split("<!-- modules: scripts/gupunify -->\n", 1)[1].split("<!-- /modules -->")[0]
    listed, package = set(), ""
    for line in block.splitlines()[1:]:
        name = line.split()[0]
        if name.endswith("/"):
            package = name
        elif line.startswith("      ") and not line.startswith("        "):
            listed.add(name)
        else:
            listed.add(package + name)
    top = os.path.join(ROOT, "scripts", "gupunify")
    on_disk = {os.path.relpath(os.path.join(d, f), top) for d, _, files in os.walk(top)
               for f in files if f.endswith(".py") and f != "__init__.py"}
    assert listed == on_disk


CLONING_TESTS = '''
def test_passes(kernel_tree, tmp_path):
    (tmp_path / "clone").write_text("a checkout")


def test_fails(kernel_tree, tmp_path):
    (tmp_path / "clone").write_text("a checkout")
    assert False


def test_of_the_sample(tmp_path):
    (tmp_path / "clone").write_text("a checkout")
'''


def test_a_passed_test_of_the_real_tree_leaves_no_clone_behind(tmp_path):
    """A failed one keeps its folder for a look; the other tests' folders stay as pytest
    keeps them."""
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "conftest.py").write_text(
        open(os.path.join(ROOT, "tests", "conftest.py")).read())
    (tmp_path / "suite" / "test_clones.py").write_text(CLONING_TESTS)
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--basetemp", str(tmp_path / "base"), str(tmp_path / "suite")],
                         capture_output=True, text=True, cwd=str(tmp_path),
                         env=dict(os.environ, GUP_KERNEL_TREE=str(tmp_path)))
    assert "1 failed, 2 passed" in out.stdout, out.stdout
    assert sorted(p.parent.name for p in (tmp_path / "base").glob("*0/clone")) == [
        "test_fails0", "test_of_the_sample0"]
