"""The series as a maintainer receives them: each one applies with git am on the base and
exactly the series it says it needs, its prerequisite-patch-id lines are those needs, no
cover letter stands alone, stable@ only where Fixes: is, on a sample with a core series."""
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import types

import pytest
from conftest import git, make_tree

from gupunify.series import seriesreport
from gupunify.convert import patches
from gupunify.groups import routing
from gupunify.series import series, serieswriter

FIX = "mm/gup: put only the pages that were pinned"
LONGTERM = "mm/gup: honour FOLL_LONGTERM in get_user_pages()"
REMOVE = "mm/gup: remove get_user_pages_longterm()"
PROTOTYPE = "mm/gup: make get_user_pages_fast() take gup_flags"
OLD_LONGTERM = """\
long get_user_pages_longterm(unsigned long start, unsigned long nr_pages,
			     unsigned int gup_flags, struct page **pages,
			     struct vm_area_struct **vmas);
"""
OLD_FAST = "int get_user_pages_fast(unsigned long start, int nr_pages, int write,\n"
NEW_FAST = "int get_user_pages_fast(unsigned long start, int nr_pages,\n" \
           "\t\t\tunsigned int gup_flags,\n"


def core_patches(tree, root):
    """A core series for the sample's base (v4.20), made with git from the tree: a fix
    (Fixes:, Cc: stable), FOLL_LONGTERM, @callers, then the removal of
    get_user_pages_longterm() and get_user_pages_fast()'s new prototype."""
    work = root / "core-work"
    git(root, "clone", "-q", str(tree), str(work))
    git(work, "config", "user.name", "Core")
    git(work, "config", "user.email", "core@example.org")
    mm_h, gup_c = work / "include/linux/mm.h", work / "mm/gup.c"

    def change(path, old, new, message):
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
        git(work, "commit", "-qam", message)

    change(gup_c, "#include <linux/mm.h>\n", "#include <linux/mm.h>\n\n/* Pinned pages. */\n",
           FIX + "\n\nFixes: 0123456789ab (\"mm/gup: add pins\")\n"
           "Cc: stable@vger.kernel.org\n")
    change(mm_h, "#define FOLL_FORCE", "#define FOLL_LONGTERM\t0x10000\n#define FOLL_FORCE",
           LONGTERM)
    text = gup_c.read_text()
    gup_c.write_text(text[:text.index("long get_user_pages_longterm(")] +
                     text[text.index("int get_user_pages_fast("):])
    change(mm_h, OLD_LONGTERM, "", REMOVE)
    gup_c.write_text(gup_c.read_text().replace(OLD_FAST, NEW_FAST))
    change(mm_h, OLD_FAST, NEW_FAST, PROTOTYPE)
    where = root / "patches" / "v4.20"
    git(work, "format-patch", "-q", "--no-signature", "-o", str(where), "HEAD~4")
    names = sorted(os.listdir(where))
    (where / "series").write_text("# test series\n%s\n%s\n@callers\n%s\n%s\n" % tuple(names))
    return root / "patches"


@pytest.fixture
def with_core(tmp_path, monkeypatch):
    """The sample tree, whose base (v4.20) has the core series above."""
    tree = make_tree(tmp_path / "linux")
    monkeypatch.setattr(patches, "patches_dir", lambda p=str(core_patches(tree, tmp_path)): p)
    monkeypatch.setenv("GUP_UNIFY_SCRATCH", str(tmp_path / "s"))
    return tree


def written(tree, tmp_path, shape="maintainers"):
    # The default shape is asked for as a user would: by not naming it.
    shaped = {} if shape == "maintainers" else {"shape": shape}
    done = series.make_series(str(tree), reports_dir=str(tmp_path / ("rep-" + shape)),
                              options=series.SeriesOptions(out=str(tmp_path / shape),
                                                           **shaped))
    assert done.status == 0
    doc = json.loads((tmp_path / ("rep-" + shape) / "linux" / "series.json").read_text())
    return tmp_path / shape, doc


# Worked out by hand from the sample's callers (which call passes FOLL_LONGTERM,
# which only gup_flags values) and the core above, not by the code under test:
# FOLL_LONGTERM users need part 1, gup_flags-only callers nothing, and part 2,
# removing get_user_pages_longterm() and changing get_user_pages_fast()'s
# prototype, needs part 1 and every caller series.
CORE1 = "01-core-1-of-2"
CALLERS = ["02-IB-tiny", "03-IB-toy", "04-iov_iter", "05-media-toy",
           "06-mm-gup_benchmark", "07-net-toy", "08-KVM-x86"]
NEEDS = {CORE1: [], "02-IB-tiny": [], "03-IB-toy": [CORE1],
         "04-iov_iter": [], "05-media-toy": [CORE1], "06-mm-gup_benchmark": [CORE1],
         "07-net-toy": [], "08-KVM-x86": [], "09-core-2-of-2": [CORE1] + CALLERS}


def mails(folder):
    """Each mail of a series folder, in order: (file name, message)."""
    return [(p.name, email.message_from_bytes(p.read_bytes(), policy=email.policy.default))
            for p in sorted(folder.iterdir())]


def subject(msg):
    return " ".join(str(msg["Subject"]).split())


def patch_ids(paths):
    """git patch-id --stable of patch files: what a receiver's tools compute."""
    out = subprocess.run(["git", "patch-id", "--stable"], input=b"".join(
        p.read_bytes() for p in paths), capture_output=True, check=True).stdout.decode()
    return [line.split()[0] for line in out.splitlines()]


def patch_files(folder):
    return [folder / name for name, msg in mails(folder)
            if not re.search(r"\b0+/\d+\]", subject(msg))]


def am(clone, files):
    return subprocess.run(["git", "-C", str(clone), "-c", "user.name=A", "-c",
                           "user.email=a@example.org", "am", "-q", "--"] + [str(f) for f in files],
                          capture_output=True, text=True)


def receive(tree, out, doc, where):
    """Each series of out as a maintainer receives it, in a clone of tree in where:
    git am on the base and exactly its needs works, and every mail names the public
    base and exactly the needs' patches; all of them in order give the branch."""
    base = doc["base_commit"]
    clone = where / "receiver"
    git(where, "clone", "-q", "--shared", str(tree), str(clone))
    for part in doc["series"]:
        folder = out / part["directory"]
        git(clone, "checkout", "-q", "--detach", base)
        for need in part["depends"]:
            assert am(clone, patch_files(out / need)).returncode == 0, need
        done = am(clone, patch_files(folder))
        assert done.returncode == 0, (part["directory"], done.stderr)
        want = patch_ids([f for need in part["depends"] for f in patch_files(out / need)])
        for name, msg in mails(folder):
            text = msg.get_content()
            if "base-commit:" not in text:
                continue
            assert re.findall(r"^base-commit: (\S+)$", text, re.M) == [base], name
            assert re.findall(r"^prerequisite-patch-id: (\S+)$", text, re.M) == want, name
            # stable@ only on a patch with Fixes:.
            people = " ".join(str(msg.get(h, "")) for h in ("To", "Cc"))
            assert "stable@vger.kernel.org" not in people or \
                re.search(r"^Fixes: ", text, re.M), (part["directory"], name)
        covers = [n for n, m in mails(folder) if re.search(r"\b0+/\d+\]", subject(m))]
        assert len(covers) == (len(part["patches"]) > 1), part["directory"]
    git(clone, "checkout", "-q", "--detach", base)
    for part in doc["series"]:
        assert am(clone, patch_files(out / part["directory"])).returncode == 0
    assert git(clone, "rev-parse", "HEAD^{tree}") == \
        git(tree, "rev-parse", doc["tip"] + "^{tree}")


def test_each_series_applies_on_the_base_and_exactly_what_it_needs(with_core, tmp_path,
                                                                 need_spatch):
    tree = with_core
    out, doc = written(tree, tmp_path)
    assert {p["directory"]: p["depends"] for p in doc["series"]} == NEEDS
    assert doc["base_commit"] == git(tree, "rev-parse", "master").strip()
    receive(tree, out, doc, tmp_path)


def test_threads_have_a_cover_only_with_patches_after_it(with_core, tmp_path, need_spatch):
    out, doc = written(with_core, tmp_path)
    # The overview is a plain file: no mail with nothing after it.
    assert sorted(p.name for p in out.iterdir() if p.is_file()
                  and not p.name.startswith(".")) == ["overview.txt"]
    assert not (out / "overview.txt").read_text().startswith("From ")
    for part in doc["series"]:
        got = mails(out / part["directory"])
        covers = [(n, m) for n, m in got if re.search(r"\b0+/\d+\]", subject(m))]
        if len(part["patches"]) == 1:
            assert covers == [] and len(got) == 1, part["directory"]
            assert re.match(r"\[PATCH( net-next)?\] ", subject(got[0][1]))
        else:
            total = len(part["patches"])
            assert [subject(m)[:subject(m).index("]") + 1] for _, m in got] == [
                "[PATCH%s %d/%d]" % (" net-next" if part["directory"].endswith("net-toy")
                                     else "", n, total) for n in range(total + 1)]


def test_stable_only_on_the_patch_with_fixes(with_core, tmp_path, need_spatch):
    out, doc = written(with_core, tmp_path)
    seen = []
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        for name, msg in mails(folder):
            people = " ".join(str(msg.get(h, "")) for h in ("To", "Cc"))
            if "stable@vger.kernel.org" in people:
                seen.append(subject(msg))
                assert re.search(r"^Fixes: ", msg.get_content(), re.M), (folder.name, name)
    assert seen == ["[PATCH 1/2] " + FIX]


def test_covers_say_what_each_series_does_and_name_no_local_file(with_core, tmp_path,
                                                                 need_spatch):
    out, doc = written(with_core, tmp_path)
    titles = {p["directory"]: p["title"] for p in doc["series"]}
    assert titles == {
        CORE1: "mm/gup: get_user_pages() honours FOLL_LONGTERM",
        "02-IB-tiny": "IB/tiny: pass gup_flags to get_user_pages_fast()",
        "03-IB-toy": "IB/toy: move to FOLL_LONGTERM and gup_flags",
        "04-iov_iter": "iov_iter: pass gup_flags to get_user_pages_fast()",
        "05-media-toy": "media: toy: move to FOLL_LONGTERM and gup_flags",
        "06-mm-gup_benchmark": "mm/gup_benchmark: move to FOLL_LONGTERM and gup_flags",
        "07-net-toy": "net/toy: pass gup_flags to get_user_pages_fast()",
        "08-KVM-x86": "KVM: x86: pass gup_flags to get_user_pages_fast()",
        "09-core-2-of-2": "mm/gup: get_user_pages_fast() takes gup_flags"}
    # Core folders say core; no caller folder does.
    assert [d for d in titles if "core" in d] == [CORE1, "09-core-2-of-2"]
    for folder in sorted(p for p in out.iterdir() if p.is_dir() and p.name != "atomic"):
        for name, msg in mails(folder):
            # (A caller patch's own subject is its commit's, callercommits.py's.)
            assert "0/" not in subject(msg) or len(subject(msg)) <= 75, subject(msg)
            # Our words: a cover letter, or a one-patch series' notes below ---.
            text = msg.get_content()
            ours = text if "0/" in subject(msg) else \
                text.split("\n---\n", 1)[1].split("\ndiff --git")[0]
            for local in ("0000-cover-letter.patch", "cocci/", "overview.txt", "series/",
                          CORE1, "Generated by gup-unify", "git://"):
                assert local not in ours, (folder.name, name, local)
    toy = (out / "03-IB-toy" / "0000-cover-letter.patch").read_text()
    flat = " ".join(toy.split())
    assert ('It needs this series first: - "mm/gup: get_user_pages() honours FOLL_LONGTERM" '
            '(mm): it adds FOLL_LONGTERM, which this series uses') in flat
    assert "It can go through the rdma tree once the series it needs are in" in flat
    tiny = patch_files(out / "02-IB-tiny")[0].read_text()
    notes = tiny.split("\n---\n", 1)[1].split("\ndiff --git")[0]
    assert "It needs nothing beyond the base" in " ".join(notes.split())
    assert "It can go through the rdma tree at any time" in " ".join(notes.split())
    last = " ".join((out / "09-core-2-of-2" / "0000-cover-letter.patch").read_text().split())
    assert "It needs these 8 series first:" in last
    assert ('"IB/tiny: pass gup_flags to get_user_pages_fast()" (rdma tree): it '
            'converts the calls of get_user_pages_fast(), which this series gives a new '
            'prototype') in last
    assert ('"IB/toy: move to FOLL_LONGTERM and gup_flags" (rdma tree): it converts '
            'the calls of get_user_pages_fast() and get_user_pages_longterm(), which this '
            'series gives a new prototype and removes') in last


def test_series_md_draws_the_graph_and_its_tables_render(with_core, tmp_path, need_spatch):
    out, doc = written(with_core, tmp_path)
    md = (tmp_path / "rep-maintainers" / "linux" / "series.md").read_text()
    graph = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    ids = {d: "s%d" % n for n, d in enumerate(NEEDS, 1)}
    # Arrows from each need to what needs it, less those another path implies:
    # part 2 needs part 1 through the longterm callers already.
    want = {(ids[CORE1], ids[d]) for d in ("03-IB-toy", "05-media-toy",
                                            "06-mm-gup_benchmark")}
    want |= {(ids[d], ids["09-core-2-of-2"]) for d in CALLERS}
    assert set(re.findall(r"^  (s\d+) --> (s\d+)$", graph, re.M)) == want
    # Every row of a table has its header's cells: a | in a cell is escaped
    # (a group, a prefix or a recipient may hold one).
    doc["series"][1]["key"] = "TOY | ENTRY"
    doc["series"][1]["to"] = ["A|B <ab@example.org>"]
    doc["series"][1]["route"] = "toy|tree"
    for text in (md, seriesreport.markdown(doc)):
        tables = re.findall(r"(?:^\|.*\n)+", text, re.M)
        assert len(tables) == 2
        for table in tables:
            rows = [re.split(r"(?<!\\)\|", row)[1:-1] for row in table.splitlines()]
            assert {len(row) for row in rows} == {len(rows[0])}, table


def test_shape_mm_is_one_series_through_mm(with_core, tmp_path, need_spatch):
    tree = with_core
    out, doc = written(tree, tmp_path, shape="mm")
    assert [(p["directory"], p["kind"], p["depends"], p["route"]) for p in doc["series"]] == [
        ("01-mm-gup-tree-wide", "mm", [], "mm")]
    folder = out / "01-mm-gup-tree-wide"
    got = mails(folder)
    commits = git(tree, "log", "--reverse", "--format=%s", "master..gup-unify").splitlines()
    assert len(commits) == 14
    assert [subject(m) for _, m in got] == [
        "[PATCH 00/14] mm/gup: FOLL_LONGTERM and gup_flags for get_user_pages_fast()"] + [
        "[PATCH %02d/14] %s" % (n, s) for n, s in enumerate(commits, 1)]
    assert sorted(p.name for p in out.iterdir()) == [".gup-unify", "01-mm-gup-tree-wide",
                                                     "atomic"]
    # The plan and series.json give the subject the cover letter has.
    assert doc["series"][0]["subject"] == subject(got[0][1])
    cover = got[0][1]
    assert "stable@vger.kernel.org" not in str(cover["Cc"]) + str(cover["To"])
    clone = tmp_path / "receiver"
    git(tmp_path, "clone", "-q", "--shared", str(tree), str(clone))
    git(clone, "checkout", "-q", "--detach", "master")
    assert am(clone, patch_files(folder)).returncode == 0
    assert git(clone, "rev-parse", "HEAD^{tree}") == git(tree, "rev-parse", "gup-unify^{tree}")


def test_routing_names_trees_as_maintainers_do():
    assert [routing.tree_name(t) for t in (
        "git git://git.kernel.org/pub/scm/linux/kernel/git/rdma/rdma.git",
        "git://git.kernel.org/pub/scm/linux/kernel/git/davem/net-next.git",
        "git git://linuxtv.org/media_tree.git",
        "git git://git.kernel.org/pub/scm/linux/kernel/git/tip/tip.git locking/core",
        "git git://git.kernel.org/pub/scm/linux/kernel/git/xen/tip.git",
        "git git://git.kernel.org/pub/scm/linux/kernel/git/powerpc/linux.git",
        "git git://github.com/awilliam/linux-vfio.git",
        "git git://github.com/agraf/linux-2.6.git")] == [
        "rdma", "net-next", "media", "tip locking/core", "xen/tip", "powerpc/linux", "vfio",
        "agraf/linux-2.6"]


@pytest.mark.skipif(not shutil.which("b4"), reason="b4 is not installed (make b4 installs it)")
def test_b4_hand_off_takes_a_series_with_a_stable_patch(with_core, tmp_path, need_spatch):
    """b4 sends a cover letter to the patches' Cc: trailers too (stable@): its own
    choice, which the hand-off's check of b4 send -o allows, and only on the cover."""
    done = series.make_series(str(with_core), reports_dir=str(tmp_path / "rep"),
                              options=series.SeriesOptions(out=str(tmp_path / "out"),
                                                           b4=True))
    assert done.status == 0
    doc = json.loads((tmp_path / "rep" / "linux" / "series.json").read_text())
    assert [b["problems"] for b in doc["b4"]] == [[]] * len(doc["series"])
    # In a cover letter: a tree, a tree's branch, and the mm the core goes through.
    said = [serieswriter._through(types.SimpleNamespace(route=r))
            for r in ("rdma", "tip locking/core", None, "mm")]
    assert said == ["rdma tree", "tip tree's locking/core branch", "its maintainers' tree",
                    "mm"]
