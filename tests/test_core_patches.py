"""The core patches go in with one git am per part; the one that does not apply is named."""
import os

import pytest
from conftest import git, make_tree

from gupunify.common import util
from gupunify.convert import patches
from gupunify.convert.conversionstate import ConversionState
from gupunify.csource import mentions
from gupunify.common.worktree import Worktree

IDENTITY = ("Pat Sender", "pat@example.org")


def edit(tree, path, old, new, subject):
    full = tree / path
    text = full.read_text()
    assert old in text
    full.write_text(text.replace(old, new, 1))
    git(tree, "commit", "-qam", subject)


@pytest.fixture
def series(tmp_path, monkeypatch):
    """The sample tree and two patches of ours to it: mm/gup.c, then mm/gup_benchmark.c."""
    monkeypatch.setenv("GUP_UNIFY_SCRATCH", str(tmp_path / "scratch"))
    tree = make_tree(tmp_path / "linux")
    base = git(tree, "rev-parse", "HEAD").strip()
    edit(tree, "mm/gup.c", "int write,", "int write /* 1 */,", "mm/gup: first")
    edit(tree, "mm/gup_benchmark.c", "int longterm)", "int longterm /* 2 */)",
         "mm/gup_benchmark: second")
    out = tmp_path / "patches"
    git(tree, "format-patch", "-q", "-o", str(out), "-2")
    git(tree, "reset", "-q", "--hard", base)
    paths = sorted(str(p) for p in out.iterdir())
    return tree, paths, {p: patches.patch_text_for(p, IDENTITY) for p in paths}


def test_both_patches_applied_signed_off_in_order(series):
    tree, paths, texts = series
    state = ConversionState("t", "r", "5.0", None, "b", False)
    with Worktree(str(tree), "HEAD", "unused", IDENTITY) as wt:
        wt.materialize(["mm/gup.c", "mm/gup_benchmark.c"])
        patches.apply(wt, paths, texts, state)
        log = wt.git("log", "--format=%an <%ae>|%s|%(trailers:key=Signed-off-by,valueonly)",
                     "-3")
    assert state.steps == [
        {"step": "0001-mm-gup-first.patch", "result": "applied"},
        {"step": "0002-mm-gup_benchmark-second.patch", "result": "applied"}]
    assert log == (
        "Pat Sender <pat@example.org>|mm/gup_benchmark: second|Pat Sender <pat@example.org>\n\n"
        "Pat Sender <pat@example.org>|mm/gup: first|Pat Sender <pat@example.org>\n\n"
        "T <t@example.org>|base|\n")


def test_the_patch_that_does_not_apply_is_named_and_nothing_is_kept(series):
    tree, paths, texts = series
    # The tree already changed the line the second patch changes.
    edit(tree, "mm/gup_benchmark.c", "int longterm)", "bool longterm)", "local change")
    state = ConversionState("t", "r", "5.0", None, "b", False)
    with Worktree(str(tree), "HEAD", "unused", IDENTITY) as wt:
        wt.materialize(["mm/gup.c", "mm/gup_benchmark.c"])
        with pytest.raises(util.UserError) as e:
            patches.apply(wt, paths, texts, state)
        assert wt.head() == wt.start
        assert wt.git("status", "--porcelain") == ""
    assert str(e.value).startswith("core patch 0002-mm-gup_benchmark-second.patch does not "
                                   "apply to this tree: git -C ")
    assert state.steps == []


def test_callers_are_found_as_the_core_patches_left_the_tree(series):
    """The git grep runs at the start; what the core patches change is asked again."""
    tree, paths, texts = series
    with Worktree(str(tree), "HEAD", "unused", IDENTITY) as wt:
        wt.search = mentions.start_search(wt.repo, wt.start)
        before = wt.search.result()
        assert before.files["mm/gup_benchmark.c"] == {"get_user_pages_longterm",
                                                      "get_user_pages_fast"}
        # A core patch that drops one file's calls and adds a caller file.
        wt.materialize(["mm/gup_benchmark.c", "mm/new caller.c"])
        bench = os.path.join(wt.path, "mm/gup_benchmark.c")
        with open(bench, "w") as f:
            f.write("/* no callers left */\n")
        with open(os.path.join(wt.path, "mm/new caller.c"), "w") as f:
            f.write("int f(void) { return get_user_pages_fast(0, 1, 1, 0); }\n")
        wt.git("add", "-A")
        wt.git("-c", "user.name=Pat Sender", "-c", "user.email=pat@example.org",
               "commit", "-q", "-m", "core: move a caller")
        found = mentions._mentions(wt)
    assert "mm/gup_benchmark.c" not in found["get_user_pages_fast"]
    assert "mm/gup_benchmark.c" not in found["get_user_pages_longterm"]
    assert "mm/new caller.c" in found["get_user_pages_fast"]
    assert found["get_user_pages_fast"] == sorted(found["get_user_pages_fast"])
