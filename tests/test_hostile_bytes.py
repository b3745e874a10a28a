"""Hostile input, the bytes side: odd files, odd names, wrong rewrites, silent misses.

Each test works on a fresh copy of the sample tree. tests/hostile/NAME.c is a
caller file (one idiom each) put in as drivers/media/toy/NAME.c; NAME.res is
what the converted branch must hold, byte for byte.
"""
import json
import os
import subprocess
import sys

import pytest
from conftest import CLI, SAMPLE, gup_unify

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile")
TOY = "drivers/media/toy"

# The sample's drivers/media/toy/dma-sg.c as the conversion must leave it.
with open(os.path.join(SAMPLE, TOY, "dma-sg.c"), "rb") as f:
    DMA_SG = f.read()
DMA_SG_RES = DMA_SG.replace(
    b"return get_user_pages_longterm(data, n, flags, pages, NULL);",
    b"return get_user_pages(data, n, flags | FOLL_LONGTERM, pages, NULL);").replace(
    b"return get_user_pages_fast(a, 1, vma->vm_flags & VM_WRITE, p) +\n",
    b"return get_user_pages_fast(a, 1,\n"
    b"\t\t\t\t   (vma->vm_flags & VM_WRITE) ? FOLL_WRITE : 0,\n"
    b"\t\t\t\t   p) +\n")


def git(repo, *args, **kw):
    """git's stdout as bytes (the files under test are not all UTF-8 text)."""
    return subprocess.run(["git", "-C", str(repo)] + list(args), check=True,
                          capture_output=True, **kw).stdout


def fixture(name, ext):
    with open(os.path.join(FIXTURES, name + ext), "rb") as f:
        return f.read()


def add(tree, files, commit=True):
    """Write {path: bytes} into the tree and commit them."""
    for path, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(tree, path)), exist_ok=True)
        with open(os.path.join(tree, path), "wb") as f:
            f.write(data)
    if commit:
        git(tree, "add", "-A")
        git(tree, "commit", "-qm", "odd files")


def spatch(tree, tmp_path):
    """Run the conversion; (completed process, conversion.json or None)."""
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    path = tmp_path / "rep" / "linux" / "conversion.json"
    return out, json.loads(path.read_text()) if path.exists() else None


def of(report, path):
    return [(r["line"], r["kind"], r["outcome"], r["by"], r["reason"])
            for r in report["sites"] if r["file"] == path]


def changed(tree):
    return sorted(p for p in git(tree, "diff", "-z", "--name-only", "master",
                                 "gup-unify").decode().split("\0") if p)


def converted_fixture(tree, tmp_path, name):
    """Put NAME.c in, convert, check the branch holds NAME.res and the rest converted."""
    path = "%s/%s.c" % (TOY, name)
    add(tree, {path: fixture(name, ".c")})
    out, report = spatch(tree, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    assert git(tree, "show", "gup-unify:" + path) == fixture(name, ".res")
    assert git(tree, "show", "gup-unify:%s/dma-sg.c" % TOY) == DMA_SG_RES
    return path, out, report


# ---- 1. odd bytes: CRLF, Latin-1, mixed line ends -------------------------------

def test_crlf_file_converted_with_crlf_kept(tree, tmp_path, need_spatch):
    """Every line, the two spatch and the tidy-up added included, ends in CRLF."""
    path, _, report = converted_fixture(tree, tmp_path, "crlf")
    data = git(tree, "show", "gup-unify:" + path)
    assert data.count(b"\n") == data.count(b"\r\n") == 22
    assert [r[2:4] for r in of(report, path)] == [("converted", "spatch")] * 3
    assert report["skipped_files"] == []


def test_latin1_file_converted_with_its_bytes(tree, tmp_path, need_spatch):
    path, _, report = converted_fixture(tree, tmp_path, "latin1")
    assert b"J\xfcrgen Gro\xdf" in git(tree, "show", "gup-unify:" + path)
    assert of(report, path) == [(10, "call", "converted", "spatch", None)]
    # The report quotes the argument with the file's own byte (JSON: as surrogateescape).
    [record] = [r for r in report["sites"] if r["file"] == path]
    assert record["before"] == "write && toy_name[2] == '\udcf1'"
    md = (tmp_path / "rep" / "linux" / "conversion.md").read_bytes()
    assert b"| `write && toy_name[2] == '\xf1'` | `write && toy_name[2] == '\xf1' ? " \
           b"FOLL_WRITE : 0` | converted | spatch |" in md


def test_mixed_line_ends_left_alone_and_listed(tree, tmp_path, need_spatch):
    """The one file that cannot be written back is listed; the rest is converted."""
    path, out, report = converted_fixture(tree, tmp_path, "mixed")
    reason = "mixed line ends (1 of 8 lines end in CRLF): file left as it was, convert by hand"
    assert path not in changed(tree)
    assert report["skipped_files"] == [{"file": path, "reason": reason}]
    assert of(report, path) == [(7, "call", "manual", None, reason)]
    assert "not converted: %s: %s\n" % (path, reason) in out.stdout
    md = (tmp_path / "rep" / "linux" / "conversion.md").read_text()
    assert "## Files not converted (1)\n\n- `%s`: %s\n" % (path, reason) in md


def run_on_crlf_and_latin1(tree, tmp_path, command, *args):
    """Commit the CRLF and the Latin-1 fixture into the tree, then run command on it."""
    add(tree, {"%s/%s.c" % (TOY, name): fixture(name, ".c") for name in ("crlf", "latin1")})
    out = gup_unify(command, str(tree), *args, "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr


def test_diff_of_crlf_and_latin1_files_applies_to_the_tree(tree, tmp_path, need_spatch):
    run_on_crlf_and_latin1(tree, tmp_path, "spatch", "--diff", str(tmp_path / "out.diff"))
    git(tree, "apply", str(tmp_path / "out.diff"))
    for name in ("crlf", "latin1"):
        with open(os.path.join(tree, TOY, name + ".c"), "rb") as f:
            assert f.read() == fixture(name, ".res")


# ---- 2. file names: spaces, quotes, non-ASCII ------------------------------------

ODD_NAMES = ["%s/with space.c" % TOY, "%s/quo\"te'd é.c" % TOY]


def test_odd_file_names_convert_and_make_a_series(tree, tmp_path, need_spatch):
    add(tree, {name: DMA_SG for name in ODD_NAMES})
    out, report = spatch(tree, tmp_path)
    assert out.returncode == 0, out.stderr
    for name in ODD_NAMES:
        assert git(tree, "show", "gup-unify:" + name) == DMA_SG_RES
        assert [r[2] for r in of(report, name) if r[1] == "call"] == ["converted"] * 2
    assert changed(tree) == sorted(ODD_NAMES + [
        "%s/dma-sg.c" % TOY, "arch/x86/kvm/paging_tmpl.h", "drivers/infiniband/hw/tiny/pin.c",
        "drivers/infiniband/hw/toy/umem.c", "lib/iov_iter.c", "mm/gup_benchmark.c",
        "net/toy/rdma.c"])

    series = gup_unify("series", str(tree), "--output", str(tmp_path / "series"),
                       "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert series.returncode == 0, series.stderr
    summary = json.loads((tmp_path / "rep" / "linux" / "series.json").read_text())
    media = [p for p in summary["series"] if p["directory"].endswith("media-toy")][0]
    assert [p["paths"] for p in media["patches"]] == [sorted(ODD_NAMES + [TOY + "/dma-sg.c"])] * 2


def test_series_keeps_crlf_and_latin1_bytes(tree, tmp_path, need_spatch):
    """The atomic patch, applied to the base, gives exactly the branch's tree."""
    run_on_crlf_and_latin1(tree, tmp_path, "series", "--output", str(tmp_path / "series"))
    atomic = tmp_path / "series" / "atomic"
    patch = atomic / os.listdir(atomic)[0]
    env = dict(os.environ, GIT_INDEX_FILE=str(tmp_path / "index"))
    git(tree, "read-tree", "master", env=env)
    git(tree, "apply", "--cached", str(patch), env=env)
    assert git(tree, "write-tree", env=env) == git(tree, "rev-parse", "gup-unify^{tree}")
    assert git(tree, "show", "gup-unify:%s/crlf.c" % TOY) == fixture("crlf", ".res")


# ---- 3. the CI guard ---------------------------------------------------------------

def cicheck(tmp_path, *args):
    return gup_unify("cicheck", *args, scratch=tmp_path / "s")


def test_cicheck_scans_odd_names(tree, tmp_path):
    base = git(tree, "rev-parse", "HEAD").decode().strip()
    add(tree, {ODD_NAMES[0]: DMA_SG})
    add(tree, {ODD_NAMES[1]: DMA_SG})
    full = cicheck(tmp_path, str(tree))
    assert full.returncode == 1
    since = cicheck(tmp_path, str(tree), "--since", base)
    assert since.returncode == 1
    for out in (full, since):
        for name in ODD_NAMES:
            assert "%s:19:9: warning: get_user_pages_longterm() is gone" % name in out.stdout
            assert "%s:25:9: warning: get_user_pages_fast() write argument " \
                   "`vma->vm_flags & VM_WRITE`" % name in out.stdout
    assert len(since.stdout.splitlines()) == 6      # a #define, longterm, fast in each
    sarif = json.loads(cicheck(tmp_path, str(tree), "--since", base, "--format", "sarif").stdout)
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"]} == {
        "drivers/media/toy/with%20space.c", "drivers/media/toy/quo%22te%27d%20%C3%A9.c"}


def test_cicheck_quotes_a_latin1_argument_with_its_bytes(tree, tmp_path):
    add(tree, {"%s/latin1.c" % TOY: fixture("latin1", ".c")})
    out = subprocess.run([sys.executable, CLI, "cicheck", str(tree)], capture_output=True,
                         env=dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "s")))
    assert out.returncode == 1, out.stderr
    assert b"%s/latin1.c:10:9: warning: get_user_pages_fast() write argument " \
           b"`write && toy_name[2] == '\xf1'`: the conversion passes " \
           b"`write && toy_name[2] == '\xf1' ? FOLL_WRITE : 0` [gup-unify/old-write-arg]\n" \
           % TOY.encode() in out.stdout


def test_cicheck_since_in_a_subdirectory_of_the_repository(tmp_path):
    repo = tmp_path / "repo"
    os.makedirs(repo)
    git(repo, "init", "-q")
    add(repo, {"linux/Makefile": open(os.path.join(SAMPLE, "Makefile"), "rb").read(),
               "linux/include/linux/mm.h":
                   open(os.path.join(SAMPLE, "include/linux/mm.h"), "rb").read(),
               "linux/mm/gup.c": b"/* the fast walk */\n"}, commit=False)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@x", "commit", "-qm", "base")
    add(repo, {"linux/drivers/new.c": b"int f(unsigned long a, struct page **p)\n"
                                      b"{\n\treturn get_user_pages_fast(a, 1, 1, p);\n}\n"},
        commit=False)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@x", "commit", "-qm", "new caller")
    out = cicheck(tmp_path, str(repo / "linux"), "--since", "HEAD~1")
    assert out.returncode == 1, out.stderr
    assert out.stdout == ("drivers/new.c:3:9: warning: get_user_pages_fast() write argument "
                          "`1`: the conversion passes `FOLL_WRITE` [gup-unify/old-write-arg]\n")


@pytest.mark.parametrize("rev, message", [
    ("", "--since: empty revision: name a commit, tag or branch"),
    (" ", "--since: empty revision: name a commit, tag or branch"),
    ("no-such-rev", "--since no-such-rev: not a revision of %s")])
def test_cicheck_refuses_a_bad_since(tree, tmp_path, rev, message):
    out = cicheck(tmp_path, str(tree), "--since", rev)
    assert out.returncode == 2
    assert out.stderr == "gup-unify: error: %s\n" % (message.replace("%s", str(tree))
                                                     if "%s" in message else message)
    assert out.stdout == ""


# ---- 4. untracked callers --------------------------------------------------------

def test_untracked_caller_is_listed(tree, tmp_path, need_spatch):
    path = "%s/untracked.c" % TOY
    add(tree, {path: DMA_SG}, commit=False)
    out, report = spatch(tree, tmp_path)
    assert out.returncode == 0, out.stderr
    reason = "untracked, commit it first"
    assert "not converted: %s: %s\n" % (path, reason) in out.stdout
    assert report["skipped_files"] == [{"file": path, "reason": reason}]
    assert of(report, path) == [(8, "define", "manual", None, reason),
                                (10, "reference", "manual", None, reason),
                                (19, "call", "manual", None, reason),
                                (25, "call", "manual", None, reason)]
    assert git(tree, "status", "--porcelain", "-z") == b"?? %s\0" % path.encode()


# ---- 5. the driver's own rewrites ------------------------------------------------

def test_member_calls_are_not_the_api(tree, tmp_path, need_spatch):
    path, _, report = converted_fixture(tree, tmp_path, "member_call")
    member = ("a struct member of the same name, not the function: left as it is; if it "
              "points to get_user_pages_fast(), convert its calls by hand")
    assert of(report, path) == [(11, "member", "manual", None, member),
                                (12, "member", "manual", None, member),
                                (13, "call", "converted", "spatch", None)]


def test_comments_in_the_write_argument_survive(tree, tmp_path, need_spatch):
    path, _, report = converted_fixture(tree, tmp_path, "comment_in_arg")
    assert [r[:4] for r in of(report, path)] == [(14, "call", "converted", "fallback"),
                                                 (22, "call", "converted", "fallback")]
    assert of(report, path)[0][4].startswith(
        "spatch dropped a comment inside the call: rewritten by the driver, comments kept")
    res = fixture("comment_in_arg", ".res").decode()
    assert max(len(line.expandtabs()) for line in res.splitlines()) <= 80


def test_call_on_a_very_long_line_is_rewritten_in_place(tree, tmp_path, need_spatch):
    path, _, report = converted_fixture(tree, tmp_path, "long_line")
    [record] = [r for r in report["sites"] if r["file"] == path]
    assert (record["outcome"], record["by"], record["after"]) == \
        ("converted", "fallback", "w ? FOLL_WRITE : 0")
    assert record["note"] == ("its line was already 1145 columns: the argument is rewritten "
                              "in place, the line not re-wrapped (1162 columns now)")
    assert b"\t\t\t\t\t\t\t\t\t\t" not in git(tree, "show", "gup-unify:" + path)
    md = (tmp_path / "rep" / "linux" / "conversion.md").read_text()
    assert "## Converted, with a note (1)\n\n- `%s:7` %s\n" % (path, record["note"]) in md


def test_ifdef_in_the_arguments_is_manual_and_unchanged(tree, tmp_path, need_spatch):
    path, _, report = converted_fixture(tree, tmp_path, "ifdef_args")
    reason = ("a preprocessor directive (#if ...) inside the argument list: left as it was, "
              "convert each branch by hand")
    assert of(report, path) == [(7, "call", "manual", None, reason),
                                (18, "call", "manual", None, reason)]
    assert path not in changed(tree)
