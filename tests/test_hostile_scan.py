"""Hostile input, the scanning side: every file that mentions the old API is converted
or listed with its reason, no file name is taken for another, no one file holds up a scan.

Big files are made here at test time, never committed.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import CLI, gup_unify
from test_hostile_bytes import DMA_SG_RES, TOY, add, changed, git, of, spatch
from gupunify.buildcheck import affected
from gupunify.csource import mentions

CALLER = b"int f(unsigned long a, struct page **p)\n{\n\treturn get_user_pages_fast(a, 1, 1, p);\n}\n"
CALLER_RES = CALLER.replace(b"(a, 1, 1, p)", b"(a, 1, FOLL_WRITE, p)")
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cocci")

BINARY = ("marked binary in .gitattributes (-diff): a patch would not show it, "
          "convert it by hand")
NUL = "holds NUL bytes: git takes it as binary, a patch would not show it; convert it by hand"
TOO_LARGE = ("%d bytes, over the %d-byte budget per file (GUP_UNIFY_MAX_FILE_BYTES): "
             "not read by spatch or the inventory, convert it by hand")
IN_SUBMODULE = "inside submodule %s: convert it in that repository"
NOT_READ = "submodule not checked out: not searched for callers"


def skipped(report):
    return {f["file"]: f["reason"] for f in report["skipped_files"]}


def conversion_md(tmp_path):
    return (tmp_path / "rep" / "linux" / "conversion.md").read_text()


def assert_rest_converted(tree):
    assert git(tree, "show", "gup-unify:%s/dma-sg.c" % TOY) == DMA_SG_RES


def big_source(size):
    """A caller file of at least size bytes: one call at the top, filler after it."""
    body = b"".join(b"static int filler%d(int a)\n{\n\treturn a + %d;\n}\n\n" % (i, i)
                    for i in range(size // 40 + 1))
    return CALLER + body


# ---- binary files: .gitattributes and NUL bytes ------------------------------------

@pytest.mark.parametrize("attribute", ["binary", "-diff"])
def test_caller_marked_binary_is_listed_not_converted(tree, tmp_path, need_spatch, attribute):
    path = "%s/bin.c" % TOY
    add(tree, {path: CALLER, ".gitattributes": b"%s %s\n" % (path.encode(), attribute.encode())})
    out, report = spatch(tree, tmp_path)
    assert out.returncode == 0, out.stderr
    assert skipped(report) == {path: BINARY}
    assert path not in changed(tree)
    assert_rest_converted(tree)
    assert "## Files not converted (1)\n\n- `%s`: %s\n" % (path, BINARY) \
        in conversion_md(tmp_path)
    assert "not converted: %s: %s\n" % (path, BINARY) in out.stdout


@pytest.mark.parametrize("where", ["first line", "past 8000 bytes"])
def test_caller_with_nul_bytes_is_listed_and_the_run_goes_on(tree, tmp_path, need_spatch,
                                                             where):
    """git takes a NUL in the first 8000 bytes as binary ("Binary file ... matches"
    in its grep output, once a raw "No such file" error); a later one would go into a
    patch no mail can carry."""
    path = "%s/nul.c" % TOY
    data = b"/* \0 */\n" + CALLER if where == "first line" else \
        CALLER + b"/* %s */\n" % (b"x" * 9000) + b"/* \0 */\n"
    add(tree, {path: data})
    out, report = spatch(tree, tmp_path)
    assert out.returncode == 0, out.stderr
    assert skipped(report) == {path: NUL}
    assert path not in changed(tree)
    assert_rest_converted(tree)


# ---- submodules ------------------------------------------------------------------

def with_submodule(tree, tmp_path):
    """Commit a submodule holding a caller at drivers/sub of tree; return its path."""
    sub = tmp_path / "subrepo"
    sub.mkdir()
    git(sub, "init", "-q", "-b", "main")
    (sub / "x.c").write_bytes(CALLER)
    git(sub, "add", "-A")
    git(sub, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm", "sub")
    git(tree, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub),
        "drivers/sub")
    git(tree, "commit", "-qm", "a submodule")
    return "drivers/sub"


def unpopulated_clone(tree, tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tree), str(clone))
    git(clone, "config", "user.name", "Pat Sender")
    git(clone, "config", "user.email", "pat@example.org")
    return clone


def test_callers_in_a_submodule_are_listed(tree, tmp_path, need_spatch):
    sub = with_submodule(tree, tmp_path)
    out, report = spatch(tree, tmp_path)
    assert out.returncode == 0, out.stderr
    assert skipped(report) == {sub + "/x.c": IN_SUBMODULE % sub}
    assert_rest_converted(tree)
    # Not checked out: nothing could be read there, and it says so.
    clone = unpopulated_clone(tree, tmp_path)
    out = gup_unify("spatch", str(clone), "--reports", str(tmp_path / "rep2"),
                    scratch=tmp_path / "s2")
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "rep2" / "clone" / "conversion.json").read_text())
    assert skipped(report) == {sub: NOT_READ}


def test_cicheck_reads_a_submodule_or_says_it_did_not(tree, tmp_path):
    sub = with_submodule(tree, tmp_path)
    out = gup_unify("cicheck", str(tree), scratch=tmp_path / "s")
    assert out.returncode == 1, out.stderr
    assert "%s/x.c:3:9: warning: get_user_pages_fast() write argument `1`" % sub in out.stdout
    clone = unpopulated_clone(tree, tmp_path)
    out = gup_unify("cicheck", str(clone), scratch=tmp_path / "s")
    assert out.returncode == 1, out.stderr
    assert "gup-unify: warning: %s: submodule not checked out: its files were not " \
        "checked\n" % sub in out.stderr


# ---- one file must not hold up the run -------------------------------------------

def test_caller_over_the_size_budget_is_listed(tree, tmp_path, need_spatch):
    path = "%s/big.c" % TOY
    data = big_source(20000)
    add(tree, {path: data})
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s", env={"GUP_UNIFY_MAX_FILE_BYTES": "10000"})
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "rep" / "linux" / "conversion.json").read_text())
    assert skipped(report) == {path: TOO_LARGE % (len(data), 10000)}
    assert path not in changed(tree)
    assert_rest_converted(tree)


def test_a_generated_caller_of_megabytes_is_listed_at_the_default_budget(tree, tmp_path,
                                                                          need_spatch):
    """Over the default budget (4 MiB) the file is neither given to spatch nor
    tokenized; the timeout keeps today's code from taking minutes to fail here."""
    path = "%s/generated.c" % TOY
    data = big_source((4 << 20) + 1000)
    add(tree, {path: data})
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s", env={"GUP_UNIFY_SPATCH_TIMEOUT": "5"})
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "rep" / "linux" / "conversion.json").read_text())
    assert skipped(report) == {path: TOO_LARGE % (len(data), 4 << 20)}
    assert of(report, path) == []
    assert_rest_converted(tree)


def test_cicheck_lists_the_lines_of_a_file_over_the_budget(tree, tmp_path):
    path = "%s/big.c" % TOY
    data = big_source(3000) + b"/* get_user_pages_longterm() */\n"
    add(tree, {path: data})
    out = gup_unify("cicheck", str(tree), scratch=tmp_path / "s",
                    env={"GUP_UNIFY_MAX_FILE_BYTES": "2000"})
    assert out.returncode == 1, out.stderr
    why = "not checked: the file is %d bytes, over the 2000-byte budget per file " \
          "(GUP_UNIFY_MAX_FILE_BYTES) [gup-unify/not-checked]" % len(data)
    last = data.count(b"\n")
    assert [l for l in out.stdout.splitlines() if l.startswith(path)] == [
        "%s:3:9: warning: %s" % (path, why), "%s:%d:4: warning: %s" % (path, last, why)]
    # The rest of the tree is checked as ever.
    assert "%s/dma-sg.c:19:9: warning: get_user_pages_longterm() is gone" % TOY in out.stdout


# ---- file names spatch, cicheck and advise must take as they are ------------------

ODD = ["%s/with space.c" % TOY, "%s/paren(1).c" % TOY, "%s/a:b/x.c" % TOY,
       "%s/x:12:3.c" % TOY, "%s/new\nline.c" % TOY, "-lead.c", "%s/quo\"te'$d.c" % TOY]


def test_spatch_converts_files_whatever_their_names(tree, tmp_path, need_spatch):
    """spatch hands names to sh unquoted and takes a leading '-' as an option: each of
    these was converted by the driver's fallback, saying spatch could not match."""
    add(tree, {name: CALLER for name in ODD})
    out, report = spatch(tree, tmp_path)
    assert out.returncode == 0, out.stderr
    for name in ODD:
        assert git(tree, "show", "gup-unify:" + name) == CALLER_RES, name
        assert of(report, name) == [(3, "call", "converted", "spatch", None)], name
    assert_rest_converted(tree)
    assert "running it alone" not in out.stderr


def test_cicheck_checks_a_file_whose_name_is_not_utf8(tree, tmp_path):
    name = os.fsencode(os.path.join(str(tree), TOY)) + b"/lat\xe9.c"
    with open(name, "wb") as f:
        f.write(CALLER)
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "a Latin-1 name")
    out = subprocess.run([sys.executable, CLI, "cicheck", str(tree)], capture_output=True,
                         env=dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "s")))
    assert out.returncode == 1, out.stderr
    assert b"%s/lat\xe9.c:3:9: warning: get_user_pages_fast() write argument `1`" \
        % TOY.encode() in out.stdout


def advise_tree(root):
    """A kernel tree with one [A] finding in a directory whose name holds a colon."""
    (root / "include/linux").mkdir(parents=True)
    (root / "mm").mkdir()
    (root / "Makefile").write_text("VERSION = 5\nPATCHLEVEL = 0\nSUBLEVEL = 0\n")
    (root / "include/linux/mm.h").write_text("/* the API */\n")
    (root / "drivers/a:b").mkdir(parents=True)
    shutil.copy(os.path.join(FIXTURES, "advise_a_fast_read.c"),
                root / "drivers/a:b/fast read.c")
    return root


def test_advise_keeps_findings_in_odd_names_and_lists_a_huge_file(tmp_path, need_spatch):
    tree = advise_tree(tmp_path / "linux")
    with open(os.path.join(FIXTURES, "advise_a_fast_read.c"), "rb") as f:
        huge = f.read() + big_source(3000)
    (tree / "drivers/huge.c").write_bytes(huge)
    out = gup_unify("advise", str(tree), "--format", "json", "--reports",
                    str(tmp_path / "rep"), scratch=tmp_path / "s",
                    env={"GUP_UNIFY_MAX_FILE_BYTES": "2000"})
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [(f["file"], f["line"], f["class"]) for f in data["findings"]] == [
        ("drivers/a:b/fast read.c", 8, "A")]
    assert data["files"] == ["drivers/a:b/fast read.c"]
    assert data["too_large"] == {"drivers/huge.c": {
        "bytes": len(huge), "lines": [8, 14],
        "reason": "%d bytes, over the 2000-byte budget per file (GUP_UNIFY_MAX_FILE_BYTES): "
                  "not read, no advice" % len(huge)}}
    md = (tmp_path / "rep" / "linux" / "advise.md").read_text()
    assert "- drivers/huge.c (lines 8, 14): %d bytes" % len(huge) in md


# ---- searches at grep speed --------------------------------------------------------

def test_whole_tree_searches_use_fixed_strings(tree, tmp_path, need_spatch):
    """No git grep -E over the whole tree (twenty times slower than -F on v5.0)."""
    trace = tmp_path / "trace"
    for job in (["cicheck", str(tree)],
                ["advise", str(tree), "--reports", str(tmp_path / "rep")],
                ["spatch", str(tree), "--reports", str(tmp_path / "rep")]):
        out = gup_unify(*job, scratch=tmp_path / "s", env={"GUP_UNIFY_TRACE": str(trace)})
        assert out.returncode in (0, 1), out.stderr
    greps = [l for l in trace.read_text().splitlines() if " grep " in l]
    assert len(greps) >= 3
    assert all(" -F " in l for l in greps), greps


def whole_tree_greps(trace, tree):
    """The trace's git grep runs of the whole tree: [(where, what it searches)]."""
    greps = []
    for line in trace.read_text().splitlines():
        if " grep -l -z -F " in line and " -C " in line:
            where = line.split(" -C ", 1)[1].split()[0]
            searched = line.split(" -e ")[-1].split(" -- ")[0].split()[1:]
            greps.append((where, searched))
    return greps


@pytest.mark.parametrize("dirty", [False, True])
def test_a_clean_checkout_is_searched_on_disk(tree, tmp_path, need_spatch, dirty):
    """git grep of a clean checkout's files takes a third of the CPU of inflating every
    blob of its commit (v5.0), and starts beside git status; a checkout with changes
    (--allow-dirty) is then searched in the commit, which the conversion starts from."""
    path = "%s/late.c" % TOY
    add(tree, {path: CALLER})
    if dirty:
        # On disk the call is gone: the commit's file is converted all the same.
        (tree / path).write_bytes(b"int f(void);\n")
    trace = tmp_path / "trace"
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    *(["--allow-dirty"] if dirty else []), scratch=tmp_path / "s",
                    env={"GUP_UNIFY_TRACE": str(trace)})
    assert out.returncode == 0, out.stderr
    head = git(tree, "rev-parse", "master").decode().strip()
    searched = [what for where, what in whole_tree_greps(trace, tree) if where == str(tree)]
    assert searched == ([[], [head]] if dirty else [[]])
    assert git(tree, "show", "gup-unify:" + path) == CALLER_RES
    assert_rest_converted(tree)


@pytest.mark.parametrize("change, same", [
    (None, True),
    ("filter", False),
    ("encoding", False),
    ("sparse", False),
    ("moved", False),
])
def test_a_checkout_is_searched_only_when_its_bytes_are_the_commits(tree, change, same):
    """A clean/smudge filter, a file kept in another encoding or a sparse checkout
    can hide a name on disk that the commit's blob has."""
    head = git(tree, "rev-parse", "HEAD").decode().strip()
    if change == "filter":
        git(tree, "config", "filter.hide.smudge", "cat")
    elif change == "encoding":
        add(tree, {"drivers/.gitattributes": b"*.c working-tree-encoding=UTF-16LE\n"})
        head = git(tree, "rev-parse", "HEAD").decode().strip()
    elif change == "sparse":
        git(tree, "config", "core.sparseCheckout", "true")
    elif change == "moved":
        add(tree, {"%s/new.c" % TOY: b"int n;\n"})
    assert mentions.same_as_commit(str(tree), head) is same


def test_affected_takes_names_with_a_newline(tmp_path):
    """make check's search for the users of a changed declaration (git grep) and of
    its changed files (git diff) read names as they are."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    odd = "drivers/a\nb c.c"
    add(repo, {"include/linux/foo.h": b"int foo(int a);\n",
               odd: b"#include <linux/other.h>\nint g(void)\n{\n\treturn foo(1);\n}\n"},
        commit=False)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@x", "commit", "-qm", "one")
    add(repo, {"include/linux/foo.h": b"int foo(long a);\n",
               "drivers/new\nfile.c": b"int h;\n"}, commit=False)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@x", "commit", "-qm", "two")
    sources, notes = affected.step_sources(str(repo), "HEAD~1", "HEAD")
    assert sources == {odd: "uses a changed declaration", "drivers/new\nfile.c": "changed"}


def test_untracked_caller_over_the_budget_is_listed_untokenized(tree, tmp_path, need_spatch):
    """The untracked files are read too: one huge file there must not hold up the run."""
    path = "%s/untracked_big.c" % TOY
    add(tree, {path: big_source(20000)}, commit=False)
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s", env={"GUP_UNIFY_MAX_FILE_BYTES": "10000"})
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "rep" / "linux" / "conversion.json").read_text())
    assert skipped(report) == {path: "untracked, commit it first"}
    assert of(report, path) == []
    assert_rest_converted(tree)
