"""The CI guard on small trees of both API states, in its three formats."""
import json
import subprocess
import sys

import pytest

from conftest import CLI, SAMPLE
from gupunify.csource import idioms


NEW_MM_H = """\
#define FOLL_WRITE	0x01
#define FOLL_LONGTERM	0x10000
int get_user_pages_fast(unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages);
"""

CONVERTED_CALLER = """\
static int ok(unsigned long a, unsigned int gup_flags, bool w, struct page **p)
{
	get_user_pages_fast(a, 1, gup_flags, p);
	get_user_pages_fast(a, 1, w ? FOLL_WRITE : 0, p);
	get_user_pages_fast(a, 1, FOLL_WRITE | FOLL_LONGTERM, p);
	return get_user_pages(a, 1, 0, p, NULL);
}

static int bad(unsigned long a, struct vm_area_struct *vma, int prot, struct page **p)
{
	get_user_pages_fast(a, 1, 1, p);
	get_user_pages_fast(a, 1, vma->vm_flags & VM_WRITE, p);
	get_user_pages_unlocked(a, 1, p, !!(prot & 2));
	__get_user_pages_fast(a, 1, 1, p);
	return get_user_pages_longterm(a, 1, 0, p, NULL);
}
"""


def cli(*args):
    return subprocess.run([sys.executable, CLI, "cicheck"] + list(args),
                          capture_output=True, text=True)


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@x"]
                   + list(args), check=True, capture_output=True)


@pytest.fixture
def converted(tmp_path):
    """A tree already on gup_flags, as a git repository."""
    tree = tmp_path / "new"
    (tree / "include/linux").mkdir(parents=True)
    (tree / "mm").mkdir()
    (tree / "drivers").mkdir()
    (tree / "Makefile").write_text("VERSION = 5\nPATCHLEVEL = 2\n")
    (tree / "include/linux/mm.h").write_text(NEW_MM_H)
    (tree / "drivers/caller.c").write_text(CONVERTED_CALLER)
    git(tree, "init", "-q")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "base")
    return tree


@pytest.mark.parametrize("arg, ok", [
    ("0", True), ("FOLL_WRITE", True), ("gup_flags", True), ("w ? FOLL_WRITE : 0", True),
    ("FOLL_WRITE | FOLL_LONGTERM", True), ("flags & ~FOLL_WRITE", True), ("m->flags", True),
    ("1", False), ("true", False), ("!!(prot & 2)", False), ("a == b", False),
    ("vma->vm_flags & VM_WRITE", False), ("gup->flags & 1", False), ("w ? 1 : 0", False),
])
def test_flags_ok(arg, ok):
    assert idioms.flags_ok(arg) is ok


def test_converted_tree_findings(converted):
    out = cli(str(converted))
    assert out.returncode == 1
    rules = [(l.split(":")[1], l.rsplit("[gup-unify/", 1)[1].rstrip("]"))
             for l in out.stdout.splitlines()]
    # __get_user_pages_fast() (line 14) is the only never-sleeping variant
    # this tree has: not reported.
    assert rules == [("11", "write-not-flags"), ("12", "write-not-flags"),
                     ("13", "bool-as-flags"), ("15", "longterm-call")]


def test_old_tree_counts_what_the_conversion_changes():
    """On the sample (int write) tree: every call the conversion rewrites, no more."""
    out = cli(SAMPLE, "--format", "json")
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["api"] == "write"
    by_rule = {}
    for f in doc["findings"]:
        by_rule.setdefault(f["rule"], []).append(f)
    # The conversion rewrites 9 fast calls and 3 longterm calls (tests/test_driver.py)
    # and leaves the TOY_PIN #define body to a human: the guard names all of them.
    assert len(by_rule["old-write-arg"]) == 10
    assert [(f["file"], f["line"]) for f in by_rule["old-write-arg"]
            if f["argument"] is None] == [("drivers/media/toy/dma-sg.c", 8)]
    assert sorted(f["file"] for f in by_rule["longterm-call"]) == [
        "drivers/infiniband/hw/toy/umem.c", "drivers/media/toy/dma-sg.c", "mm/gup_benchmark.c"]
    assert set(by_rule) == {"old-write-arg", "longterm-call"}
    assert set(doc) == {"tree", "api", "since", "findings"}
    assert set(doc["findings"][0]) == {"file", "line", "column", "function", "rule", "level",
                                       "argument", "message"}


def test_since_reports_only_added_lines(converted):
    clean = cli(str(converted), "--since", "HEAD")
    assert clean.returncode == 0 and clean.stdout == ""
    base = subprocess.run(["git", "-C", str(converted), "rev-parse", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    caller = converted / "drivers/caller.c"
    caller.write_text(caller.read_text() + "\nstatic int added(unsigned long a, struct page **p)"
                      "\n{\n\treturn get_user_pages_fast(a, 1, true, p);\n}\n")
    git(converted, "commit", "-qam", "add a bad call")
    out = cli(str(converted), "--since", base)
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        "drivers/caller.c:20:9: warning: get_user_pages_fast() takes gup_flags: this "
        "argument is not built from FOLL_* flags: `true` [gup-unify/write-not-flags]"]


def test_sarif_structure(converted):
    out = cli(str(converted), "--format", "sarif")
    doc = json.loads(out.stdout)
    assert doc["version"] == "2.1.0" and "sarif-2.1.0" in doc["$schema"]
    run = doc["runs"][0]
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert run["tool"]["driver"]["name"] == "gup-unify"
    assert len(run["results"]) == 4
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert result["level"] in ("warning", "note")
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "drivers/caller.c"
        assert location["region"]["startLine"] >= 11 and location["region"]["startColumn"] >= 1


@pytest.mark.parametrize("args", [["/nonexistent"], [SAMPLE, "--since", "no-such-rev"]])
def test_bad_input(args):
    out = cli(*args)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


FAST_ONLY_PROTO = """\
int get_user_pages_fast_only(unsigned long start, int nr_pages,
			     unsigned int gup_flags, struct page **pages);
"""

IRQ_CALLER = """\
static int irq(unsigned long a, bool w, struct page **p)
{
	__get_user_pages_fast(a, 1, 1, p);
	__get_user_pages_fast(a, 1, w, p);
	__get_user_pages_fast(a, 1, FOLL_WRITE | FOLL_FORCE, p);
	get_user_pages_fast_only(a, 1, w ? FOLL_WRITE : 0, p);
	return get_user_pages_fast_only(a, 1, true, p);
}
"""


@pytest.mark.parametrize("has_fast_only", [True, False])
def test_fast_irq_is_old_api_once_fast_only_exists(converted, has_fast_only):
    """__get_user_pages_fast() is reported exactly when the tree has its successor."""
    if has_fast_only:
        mm_h = converted / "include/linux/mm.h"
        mm_h.write_text(mm_h.read_text() + FAST_ONLY_PROTO)
    (converted / "drivers/caller.c").write_text(IRQ_CALLER)
    out = cli(str(converted))
    assert out.returncode == 1, out.stderr
    old = ("warning: __get_user_pages_fast() is old API where get_user_pages_fast_only() "
           "exists: call that, with gup_flags: ")
    fast_only = [
        "drivers/caller.c:3:2: " + old + "the conversion passes `FOLL_WRITE` "
        "[gup-unify/fast-irq-call]",
        "drivers/caller.c:4:2: " + old + "the conversion passes `w ? FOLL_WRITE : 0` "
        "[gup-unify/fast-irq-call]",
        "drivers/caller.c:5:2: " + old + "its write argument `FOLL_WRITE | FOLL_FORCE` is "
        "a FOLL_* value other than FOLL_WRITE, fix by hand [gup-unify/fast-irq-call]"]
    # Its flags argument is checked like any other of the family, on both trees.
    flags = ["drivers/caller.c:7:9: warning: get_user_pages_fast_only(): passed where "
             "gup_flags are expected, but not built from FOLL_* flags (a bool, literal or "
             "other integer): `true` [gup-unify/bool-as-flags]"]
    assert out.stdout.splitlines() == (fast_only if has_fast_only else []) + flags


MODULE_CALLER = """\
static int drv_pin(unsigned long a, enum dma_data_direction dir, struct page **p)
{
	get_user_pages_fast(a, 1, dir != DMA_TO_DEVICE ? FOLL_WRITE : 0, p);
	get_user_pages_fast(a, 1, dir != DMA_TO_DEVICE, p);
	return get_user_pages_remote(current, current->mm, a, 1, 1, p, NULL, NULL);
}
"""

MODULE_HEADER = """\
static inline int drv_pin_chunk(unsigned long start, int chunk, int write,
				struct page **pages)
{
	return get_user_pages_fast(start, chunk, write == 1, pages);
}
"""


def test_a_plain_module_folder_is_checked_headers_included(tmp_path):
    """No kernel tree, no git: the module's .c and .h files, held to both sides."""
    (tmp_path / "drv.c").write_text(MODULE_CALLER)
    (tmp_path / "drv.h").write_text(MODULE_HEADER)
    out = cli(str(tmp_path), "--format", "json")
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    assert doc["api"] == "module"
    assert [(f["file"], f["line"], f["rule"], f["argument"]) for f in doc["findings"]] == [
        ("drv.c", 4, "write-not-flags", "dir != DMA_TO_DEVICE"),
        # get_user_pages_remote() with its task argument (before v5.9).
        ("drv.c", 5, "bool-as-flags", "1"),
        ("drv.h", 4, "write-not-flags", "write == 1")]
    assert "the conversion passes `dir != DMA_TO_DEVICE ? FOLL_WRITE : 0`" \
        in doc["findings"][0]["message"]


def test_a_module_in_a_subdirectory_of_a_repository(tmp_path):
    """A driver inside someone's repository: its own files, paths from its folder."""
    repo = tmp_path / "vendor"
    (repo / "driver/linux").mkdir(parents=True)
    (repo / "driver/linux/drv.c").write_text(MODULE_CALLER)
    (repo / "userspace.c").write_text("int f(void) { return get_user_pages_fast(0, 1, 1, 0); }\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    out = cli(str(repo / "driver/linux"))
    assert out.returncode == 1, out.stderr
    assert [l.split(":")[:2] for l in out.stdout.splitlines()] == [["drv.c", "4"], ["drv.c", "5"]]
    assert cli(str(repo / "driver/linux"), "--since", "HEAD").stdout == ""


def test_since_in_a_plain_folder_is_refused_in_one_line(tmp_path):
    (tmp_path / "drv.c").write_text(MODULE_CALLER)
    out = cli(str(tmp_path), "--since", "HEAD")
    assert out.returncode == 2
    assert out.stderr == "gup-unify: error: --since HEAD: %s is not in a git checkout: lines " \
        "added since a revision need one\n" % tmp_path


def test_a_converted_module_passes(tmp_path):
    (tmp_path / "drv.c").write_text(
        MODULE_CALLER.replace("dir != DMA_TO_DEVICE, p", "dir != DMA_TO_DEVICE ? FOLL_WRITE : 0, p")
        .replace("a, 1, 1, p", "a, 1, FOLL_WRITE, p"))
    out = cli(str(tmp_path))
    assert (out.returncode, out.stdout) == (0, ""), out.stderr
