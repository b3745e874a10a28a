"""A base with no core series never yields a branch that cannot build.

The fixture is the sample tree with FOLL_LONGTERM taken out of its mm.h, as
v4.19 has it: its get_user_pages_longterm() callers are left, each with the
reason, while its get_user_pages_fast() callers are converted (FOLL_WRITE is
1 and the parameter int, so the values stay the same). With GUP_KERNEL_TREE
the same holds on a real tree of any version: no converted call names what
the branch's include/linux/mm.h lacks.
"""
import json
import re
import subprocess

import pytest
from conftest import git, gup_unify, make_tree

LONGTERM_LEFT = ("FOLL_LONGTERM is absent from this tree (include/linux/mm.h) and no core "
                 "series for its base adds it")


def without_foll_longterm(path):
    tree = make_tree(path)
    mm_h = tree / "include" / "linux" / "mm.h"
    lines = mm_h.read_text().splitlines(True)
    mm_h.write_text("".join(l for l in lines if "FOLL_LONGTERM" not in l))
    git(tree, "commit", "-qam", "no FOLL_LONGTERM, as v4.19")
    return tree


def added_names(tree, rev="master..gup-unify"):
    """The identifiers on the added lines of rev's diff that no removed line has."""
    plus, minus = set(), set()
    for line in git(tree, "diff", rev.replace("..", "...")).splitlines():
        if line.startswith(("+++", "---")):
            continue
        names = set(re.findall(r"\b[A-Za-z_]\w*\b", line[1:]))
        if line.startswith("+"):
            plus |= names
        elif line.startswith("-"):
            minus |= names
    return plus - minus


def test_longterm_callers_are_left_with_the_reason(tmp_path, need_spatch):
    tree = without_foll_longterm(tmp_path / "linux")
    proc = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                     scratch=tmp_path / "s")
    assert proc.returncode == 0, proc.stderr
    diff = git(tree, "diff", "master", "gup-unify")
    assert "FOLL_LONGTERM" not in diff
    assert added_names(tree) == {"FOLL_WRITE"}
    assert "get_user_pages_longterm  manual     3" in proc.stdout
    assert "get_user_pages_fast      converted  9" in proc.stdout
    run = json.loads((tmp_path / "rep" / "linux" / "conversion.json").read_text())
    left = sorted((s["file"], s["line"]) for s in run["sites"]
                  if s["api"] == "get_user_pages_longterm")
    assert left == [("drivers/infiniband/hw/toy/umem.c", 7),
                    ("drivers/media/toy/dma-sg.c", 19), ("mm/gup_benchmark.c", 10)]
    assert all(s["outcome"] == "manual" and s["reason"].startswith(LONGTERM_LEFT)
               for s in run["sites"] if s["api"] == "get_user_pages_longterm")
    md = (tmp_path / "rep" / "linux" / "conversion.md").read_text()
    assert "- `mm/gup_benchmark.c:10` get_user_pages_longterm: " + LONGTERM_LEFT in md
    assert ("get_user_pages_longterm", "left for a human") in [
        (s["step"], s["result"]) for s in run["steps"]]
    subjects = git(tree, "log", "--format=%s", "master..gup-unify").splitlines()
    assert subjects and not [s for s in subjects if "LONGTERM" in s]


FAST_IRQ_CALLER = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

int toy_atomic(unsigned long addr, struct page **pages)
{
	return __get_user_pages_fast(addr, 1, 1, pages);
}
"""


def test_fast_only_callers_are_left_when_the_tree_has_no_fast_only(tmp_path, need_spatch):
    tree = without_foll_longterm(tmp_path / "linux")
    (tree / "lib" / "toy_atomic.c").write_text(FAST_IRQ_CALLER)
    mm_h = tree / "include" / "linux" / "mm.h"
    mm_h.write_text(mm_h.read_text().replace(
        "\n#define FOLL_WRITE", "int __get_user_pages_fast(unsigned long start, int nr_pages, "
        "int write,\n\t\t\t  struct page **pages);\n\n#define FOLL_WRITE", 1))
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "an atomic caller")
    proc = gup_unify("spatch", str(tree), "--fast-only", "--reports", str(tmp_path / "rep"),
                     scratch=tmp_path / "s")
    assert proc.returncode == 0, proc.stderr
    diff = git(tree, "diff", "master", "gup-unify")
    assert "get_user_pages_fast_only" not in diff and "FOLL_LONGTERM" not in diff
    assert "__get_user_pages_fast    manual     1" in proc.stdout
    run = json.loads((tmp_path / "rep" / "linux" / "conversion.json").read_text())
    [irq] = [s for s in run["sites"] if s["api"] == "__get_user_pages_fast"]
    assert irq["reason"].startswith("get_user_pages_fast_only() is absent from this tree")


@pytest.mark.parametrize("fast_only", [[], ["--fast-only"]])
def test_no_converted_call_names_what_the_branch_lacks(tmp_path, fast_only, need_spatch,
                                                       kernel_tree):
    clone = tmp_path / "linux"
    subprocess.run(["git", "clone", "-q", "--shared", kernel_tree, str(clone)], check=True)
    proc = gup_unify("-q", "spatch", str(clone), "--identity", "T <t@example.org>",
                     "--reports", str(tmp_path / "rep"), *fast_only, scratch=tmp_path / "s")
    assert proc.returncode == 0, proc.stderr
    mm_h = git(clone, "show", "gup-unify:include/linux/mm.h")
    lacking = [n for n in added_names(clone) if n.isupper() and n.startswith("FOLL_")
               and not re.search(r"#define\s+%s\b" % n, mm_h)]
    lacking += [n for n in ("get_user_pages_fast_only",)
                if n in added_names(clone) and not re.search(r"\b%s\s*\(" % n, mm_h)]
    assert lacking == []
