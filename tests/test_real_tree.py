"""make spatch on a real legacy tree named by GUP_KERNEL_TREE (docs/trees.md)."""
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import GUP_FLAGS, ROOT

TREE = os.environ.get("GUP_KERNEL_TREE")

pytestmark = pytest.mark.skipif(
    not TREE, reason="GUP_KERNEL_TREE is not set: no legacy kernel tree (v5.0 or v5.1.15 "
                     "git checkout, docs/trees.md) to convert")

FAST, LONGTERM, FAST_IRQ = "get_user_pages_fast", "get_user_pages_longterm", \
    "__get_user_pages_fast"
# The forms of a gup_flags value a converted write argument takes
# (docs/conversion.md), white space squeezed.
FLAG_FORM = re.compile(r"0|FOLL_WRITE|.+ \? FOLL_WRITE : 0|.+ & FOLL_WRITE|FOLL_WRITE & .+")
# Comments and strings, where the names are prose.
PROSE = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"', re.S)
# Counted by hand on the trees (docs/trees.md) from git grep -w of each name
# in *.c and *.h outside tools/, prototypes and prose left out:
# (get_user_pages_fast() calls, those whose write argument is not yet a
# gup_flags value, get_user_pages_longterm() calls).
CALLS = {"5.0": (43, 34, 6), "5.1": (41, 32, 9)}


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo)] + list(args), check=True,
                          capture_output=True, text=True, errors="replace").stdout


def calls(repo, rev, name):
    """(path, [argument]) of each call of name at rev.

    The test's own reading, apart from the inventory under test (sites.py):
    comments and strings dropped, each name followed by '(' taken as a call
    unless its first argument starts with a type (a prototype), and the
    arguments split at the commas outside brackets.
    """
    found = []
    for hit in git(repo, "grep", "-l", "-w", name, rev, "--", "*.c", "*.h",
                   ":!tools").split():
        path = hit.split(":", 1)[1]
        text = PROSE.sub(" ", git(repo, "show", "%s:%s" % (rev, path)))
        for m in re.finditer(r"\b%s\s*\(" % name, text):
            depth, args, arg = 1, [], ""
            for ch in text[m.end():]:
                depth += (ch in "([{") - (ch in ")]}")
                if depth == 0:
                    break
                if ch == "," and depth == 1:
                    args.append(arg)
                    arg = ""
                else:
                    arg += ch
            args = [" ".join(a.split()) for a in args + [arg]]
            if not re.match(r"(unsigned|int|long)\b", args[0]):
                found.append((path, args))
    return found


def identify(clone):
    """Who signs the commits off: the clone's own config, as a user's checkout has it."""
    git(clone, "config", "user.name", "Pat Sender")
    git(clone, "config", "user.email", "pat@example.org")


def version(tree):
    """The tree's VERSION.PATCHLEVEL: "5.0" or "5.1"."""
    with open(os.path.join(tree, "Makefile")) as f:
        make = f.read()
    return "%s.%s" % tuple(re.search(r"^%s = (\d+)" % v, make, re.M).group(1)
                           for v in ("VERSION", "PATCHLEVEL"))


def test_converts_every_caller(tmp_path):
    clone = tmp_path / "tree"
    git(tmp_path, "clone", "-q", "--shared", os.path.abspath(TREE), str(clone))
    identify(clone)
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "s"))
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gup-unify"),
                          "spatch", str(clone), "--reports", str(tmp_path / "rep")],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    run = json.loads((tmp_path / "rep" / "tree" / "conversion.json").read_text())
    assert not [r for r in run["sites"] if r.get("disagreement")]
    # Where the last caller commit is (before later core patches may pass
    # flag variables), no longterm call is left and every fast call passes a
    # gup_flags value.
    removal = git(clone, "log", "--format=%H", "-1", "--grep",
                  "^mm/gup: remove get_user_pages_longterm()", "gup-unify").strip()
    assert removal
    callers = git(clone, "rev-parse", removal + "^").strip()
    assert calls(clone, callers, LONGTERM) == []
    fast = calls(clone, callers, FAST)
    assert fast and [(p, a) for p, a in fast if not FLAG_FORM.fullmatch(a[2])] == []
    # Every call at the base that is not yet in gup_flags form was converted,
    # and the CI guard saw exactly those before the conversion.
    fast = calls(clone, "HEAD", FAST)
    to_convert = [a for _, a in fast if not FLAG_FORM.fullmatch(a[2])]
    longterm = calls(clone, "HEAD", LONGTERM)
    assert (len(fast), len(to_convert), len(longterm)) == CALLS[version(clone)]
    converted = sum(1 for r in run["sites"] if r["outcome"] == "converted")
    assert converted == len(to_convert) + len(longterm)
    guard = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gup-unify"),
                            "cicheck", str(clone), "--format", "json"],
                           capture_output=True, text=True)
    found = json.loads(guard.stdout)["findings"]
    assert converted == sum(1 for f in found if f["rule"] in ("old-write-arg", "longterm-call"))
    # Running again on the converted branch finds nothing to do.
    git(clone, "checkout", "-q", "gup-unify")
    guard = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gup-unify"),
                            "cicheck", str(clone)], capture_output=True, text=True)
    assert guard.returncode == 0, guard.stdout
    again = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gup-unify"),
                            "spatch", str(clone), "--branch", "again",
                            "--reports", str(tmp_path / "rep2")],
                           capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stderr


@pytest.fixture(scope="module")
def series_run(tmp_path_factory):
    """make series on a clone of the legacy tree, once for the tests below."""
    tmp = tmp_path_factory.mktemp("series")
    clone = tmp / "tree"
    git(tmp, "clone", "-q", "--shared", os.path.abspath(TREE), str(clone))
    identify(clone)
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp / "s"))
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gup-unify"),
                          "series", str(clone), "--output", str(tmp / "out"),
                          "--reports", str(tmp / "rep")], capture_output=True, text=True,
                         env=env)
    assert out.returncode == 0, out.stderr
    summary = json.loads((tmp / "rep" / "tree" / "series.json").read_text())
    conversion = json.loads((tmp / "rep" / "tree" / "conversion.json").read_text())
    return clone, tmp / "out", summary, conversion


def test_series_second_run_is_a_no_op(series_run):
    clone, out, summary, _ = series_run
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    again = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gup-unify"),
                            "series", str(clone), "--output", str(out),
                            "--reports", str(out.parent / "rep")],
                           capture_output=True, text=True,
                           env=dict(os.environ, GUP_UNIFY_SCRATCH=str(out.parent / "s")))
    assert again.returncode == 0, again.stderr
    assert "up to date: nothing new" in again.stderr
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def _patches(out, part):
    return [out / part["directory"] / p["file"] for p in part["patches"]]


def test_series_cover_every_converted_file_once_and_give_the_atomic_tree(series_run, tmp_path):
    clone, out, summary, conversion = series_run
    callers = [p for p in summary["series"] if p["kind"] == "callers"]
    seen = {}
    for part in callers:
        for patch in part["patches"]:
            for path in patch["paths"]:
                assert seen.setdefault(path, part["directory"]) == part["directory"], path
    assert set(seen) == {r["file"] for r in conversion["sites"] if r["outcome"] == "converted"}
    apply = tmp_path / "apply"
    git(tmp_path, "clone", "-q", "--shared", str(clone), str(apply))
    git(apply, "checkout", "-q", "--detach", summary["base_commit"])
    for part in summary["series"]:
        subprocess.run(["git", "-C", str(apply), "-c", "user.name=A", "-c",
                        "user.email=a@example.org", "am", "-q"] +
                       [str(p) for p in _patches(out, part)], check=True)
    tree = git(apply, "rev-parse", "HEAD^{tree}")
    assert tree == git(clone, "rev-parse", summary["tip"] + "^{tree}")
    git(apply, "checkout", "-q", "--detach", summary["base_commit"])
    subprocess.run(["git", "-C", str(apply), "apply", "--index",
                    str(out / summary["atomic"]["file"])], check=True)
    assert git(apply, "write-tree") == tree


def test_series_apply_on_the_base_and_exactly_their_needs(series_run, tmp_path):
    """As a maintainer receives them: git am on the base and the series each one says
    it needs; the last core part, removing get_user_pages_longterm() and changing
    get_user_pages_fast()'s prototype, needs every series before it."""
    from test_received import receive
    clone, out, summary, _ = series_run
    receive(clone, out, summary, tmp_path)
    last = summary["series"][-1]
    assert last["kind"] == "core"
    assert last["depends"] == [p["directory"] for p in summary["series"][:-1]]
    assert not [p for p in summary["series"] if p["kind"] == "callers" and p["depends"]
                and "FOLL_LONGTERM" not in " ".join(p["why"].values())]


def sections(clone, path):
    """The MAINTAINERS entries the tree's own get_maintainer.pl gives path, THE REST aside."""
    out = subprocess.run(["perl", "scripts/get_maintainer.pl", "--nogit", "--nogit-fallback",
                          "--nokeywords", "--sections", "-f", path], cwd=clone,
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines()
            if line and not re.match(r"[A-Z]:\t", line) and line != "THE REST"]


def test_series_patches_stay_in_their_entry_and_go_to_get_maintainer(series_run):
    from gupunify.groups import maintainers
    clone, out, summary, _ = series_run
    flags = ["--nogit", "--nogit-fallback", "--nogit-chief-penguins", "--norolestats"]
    for part in summary["series"]:
        for patch_file, patch in zip(_patches(out, part), part["patches"]):
            text = patch_file.read_text()
            if part["kind"] == "callers":
                # The entry the series is for.
                entry = part["key"]
                for path in patch["paths"]:
                    found = sections(clone, path)
                    if entry.startswith("no entry for "):
                        assert not found and path.startswith(entry[len("no entry for "):])
                    else:
                        assert entry in found, (patch_file, path)

            # Ask about the patch as format-patch wrote it: get_maintainer.pl
            # matches K: keywords in the headers too, so our own To/Cc would
            # feed back (bpf@vger.kernel.org matches BPF's "K: bpf").
            head, _, body = text.partition("\n\n")
            bare = patch_file.with_suffix(".bare")
            bare.write_text(re.sub(r"^(To|Cc): .*(\n[ \t].*)*\n", "", head + "\n", flags=re.M)
                            + "\n" + body)

            def ask(extra):
                return subprocess.run(["perl", "scripts/get_maintainer.pl"] + flags + extra +
                                      [str(bare)], cwd=clone, capture_output=True,
                                      env=dict(os.environ, **maintainers.STABLE_PERL),
                                      text=True, check=True).stdout.split("\n")
            to = [a for a in ask(["--nol"]) if a]
            cc = [a for a in ask(["--nom"]) if a and a not in to]
            bare.unlink()
            # A patch with no maintainer (v5.0 mm/ has none) goes To its lists;
            # its own Cc: trailers (stable) are copied in, as git send-email does.
            to, cc = (to, cc) if to else (cc, [])
            trailers = re.findall(r"^Cc:\s*(\S.*)$", body.split("\n---\n")[0], re.M)
            cc += [c for c in trailers if c not in to and c not in cc]
            assert (patch["to"], patch["cc"]) == (to, cc), patch_file


def test_series_patches_pass_checkpatch(series_run):
    clone, out, summary, _ = series_run
    files = [str(p) for part in summary["series"] for p in _patches(out, part)]
    files.append(str(out / summary["atomic"]["file"]))
    result = subprocess.run(["perl", "scripts/checkpatch.pl", "--no-tree", "-q"] + files,
                            cwd=clone, capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout[-3000:]


def test_fast_only_leaves_no_old_fast_function(tmp_path):
    """make spatch FAST_ONLY=1: no __get_user_pages_fast() call, definition or
    mention is left on the branch, and a second run has nothing to do."""
    if not os.path.isfile(os.path.join(GUP_FLAGS, "patches", "v%s" % version(TREE), "fast-only",
                                       "series")):
        pytest.skip("no patches/v5.%s/fast-only/series: the core patches adding "
                    "get_user_pages_fast_only() are not in this checkout" % version(TREE))
    clone = tmp_path / "tree"
    git(tmp_path, "clone", "-q", "--shared", os.path.abspath(TREE), str(clone))
    identify(clone)
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "s"))
    cli = [sys.executable, os.path.join(ROOT, "scripts", "gup-unify"), "spatch"]
    out = subprocess.run(cli + [str(clone), "--fast-only", "--reports", str(tmp_path / "rep")],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    grep = subprocess.run(["git", "-C", str(clone), "grep", "-n", FAST_IRQ, "gup-unify"],
                          capture_output=True, text=True)
    assert (grep.returncode, grep.stdout) == (1, "")
    run = json.loads((tmp_path / "rep" / "tree" / "conversion.json").read_text())
    irq = [r for r in run["sites"] if r["api"] == FAST_IRQ]
    assert irq and all(r["outcome"] == "converted" for r in irq)
    git(clone, "checkout", "-q", "gup-unify")
    again = subprocess.run(cli + [str(clone), "--fast-only", "--branch", "again",
                                  "--reports", str(tmp_path / "rep2")],
                           capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stderr
