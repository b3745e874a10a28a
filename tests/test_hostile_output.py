"""Hostile outputs: what a careless OUT=, REPORTS=, option or Makefile variable must never cost.

Each test works on a fresh copy of the sample tree; the ones that use default
output places or OUT=. work in a copy of gup-unify's own checkout.
"""
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, git, gup_unify, make_tree

MARKER = ".gup-unify"


def snapshot(root):
    """Every file, directory and link under root, with its bytes and mtime.

    Objects under .git/objects go without their mtime: git "freshens" (touches)
    an object it finds in an alternate when a clone sharing it stores the same
    object again, to keep gc off it; the bytes must still be the same.
    """
    seen = {}
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(top, name)
            st = os.lstat(path)
            if os.path.islink(path):
                seen[path] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                seen[path] = ("dir", None)
            else:
                with open(path, "rb") as f:
                    fresh = os.sep + os.path.join(".git", "objects") + os.sep in path
                    seen[path] = ("file", f.read(), None if fresh else st.st_mtime_ns)
    return seen


def repo_facts(repo):
    """What the brief names for a repository: its object count, refs and .git/config."""
    return (git(repo, "count-objects", "-v"), git(repo, "for-each-ref"),
            (repo / ".git" / "config").read_bytes())


def tool_copy(where):
    """A checkout of gup-unify of its own, so default outputs and OUT=. land in a copy."""
    tool = where / "tool"
    for name in ("scripts", "cocci", "migrations"):
        shutil.copytree(os.path.join(ROOT, name), tool / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(ROOT, "Makefile"), tool / "Makefile")
    (tool / "reports").mkdir()
    shutil.copy(os.path.join(ROOT, "reports", "README"), tool / "reports" / "README")
    return tool


def run_tool(tool, *args, scratch):
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(scratch))
    return subprocess.run([sys.executable, str(tool / "scripts" / "gup-unify")] +
                          list(args), capture_output=True, text=True, env=env)


def run_make(tool, *args, scratch):
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(scratch))
    return subprocess.run(["make", "-C", str(tool)] + list(args), capture_output=True,
                          text=True, env=env)


def refused(proc, message):
    """Exit 2 with exactly one line, the error naming the problem, and no traceback."""
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gup-unify: error: ") and message in lines[0], lines[0]


def untouched_before_any_work(tree, before, scratch):
    """No branch, no change in the tree or its .git, and no worktree was ever made."""
    assert snapshot(tree) == before
    assert git(tree, "branch", "--list") == "* master\n"
    assert not (scratch / "worktrees").exists()


# -- 1. output and report folders -----------------------------------------

@pytest.mark.parametrize("case", ["user-dir", "kernel-tree", "inside-tree", "above-tree"])
def test_output_the_tool_did_not_write_is_refused(tmp_path, case, need_spatch):
    tree = make_tree(tmp_path / "src" / "linux")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes\n")
    out, message = {
        "user-dir": (mine, "output directory %s exists and is not gup-unify output "
                           "(no .gup-unify in it)" % mine),
        "kernel-tree": (tree, "output directory %s is the kernel tree %s" % (tree, tree)),
        "inside-tree": (tree / "out", "output directory %s is inside the kernel tree %s"
                                      % (tree / "out", tree)),
        "above-tree": (tmp_path / "src", "output directory %s holds the kernel tree %s"
                                         % (tmp_path / "src", tree)),
    }[case]
    before, mine_before = snapshot(tree), snapshot(mine)
    proc = gup_unify("series", str(tree), "--output", str(out),
                     "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    refused(proc, message)
    untouched_before_any_work(tree, before, tmp_path / "s")
    assert snapshot(mine) == mine_before
    assert not (tmp_path / "rep").exists()
    assert set(os.listdir(tmp_path)) - {"s"} == {"mine", "src"}
    assert os.listdir(tmp_path / "src") == ["linux"]


def test_own_checkout_is_refused(tmp_path, need_spatch):
    tree = make_tree(tmp_path / "src" / "linux")
    tool = tool_copy(tmp_path / "opt")
    before, tool_before = snapshot(tree), snapshot(tool)
    # make series OUT=. from the checkout, as a user did it
    proc = run_make(tool, "series", "KERNEL=%s" % tree, "OUT=.",
                    "REPORTS=%s" % (tmp_path / "rep"), scratch=tmp_path / "s")
    assert proc.returncode == 2
    assert ("gup-unify: error: output directory %s is gup-unify's own checkout %s: "
            "choose another\n" % (tool, tool)) in proc.stderr
    # and a folder above it
    proc = run_tool(tool, "series", str(tree), "--output", str(tmp_path / "opt"),
                    "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    refused(proc, "output directory %s holds gup-unify's own checkout %s: choose another"
                  % (tmp_path / "opt", tool))
    untouched_before_any_work(tree, before, tmp_path / "s")
    assert snapshot(tool) == tool_before
    assert not (tmp_path / "rep").exists()


def test_a_previous_output_is_replaced_whole(tree, tmp_path, need_spatch):
    out, rep = tmp_path / "out", tmp_path / "rep"
    first = gup_unify("series", str(tree), "--output", str(out), "--reports", str(rep),
                      scratch=tmp_path / "s")
    assert first.returncode == 0, first.stderr
    assert (out / MARKER).read_text() == "gup-unify series of the kernel tree %s\n" % tree
    assert (rep / "linux" / MARKER).read_text() == \
        "gup-unify reports of the kernel tree %s\n" % tree
    (out / "stale.patch").write_text("from an older run\n")
    layout = sorted(os.listdir(out))
    again = gup_unify("series", str(tree), "--output", str(out), "--reports", str(rep),
                      scratch=tmp_path / "s")
    assert again.returncode == 0, again.stderr
    assert sorted(os.listdir(out)) == [n for n in layout if n != "stale.patch"]
    assert [p for p in os.listdir(tmp_path) if ".old." in p or ".partial." in p] == []


def test_same_name_trees_do_not_share_outputs(tmp_path, need_spatch):
    first = make_tree(tmp_path / "a" / "linux")
    second = make_tree(tmp_path / "b" / "linux")
    tool = tool_copy(tmp_path)
    made = run_tool(tool, "series", str(first), scratch=tmp_path / "s")
    assert made.returncode == 0, made.stderr
    series_dir, reports_dir = tool / "series" / "linux", tool / "reports" / "linux"
    assert (series_dir / "overview.txt").exists()
    assert (reports_dir / "series.json").exists()
    kept = snapshot(tool)
    before = snapshot(second)
    proc = run_tool(tool, "series", str(second), scratch=tmp_path / "s2")
    refused(proc, "output directory %s holds gup-unify's series of another tree (%s): "
                  "remove it or choose another" % (series_dir, first))
    proc = run_tool(tool, "series", str(second), "--output", str(tmp_path / "out2"),
                    scratch=tmp_path / "s2")
    refused(proc, "reports directory %s holds gup-unify's reports of another tree (%s)"
                  % (reports_dir, first))
    untouched_before_any_work(second, before, tmp_path / "s2")
    assert snapshot(tool) == kept
    assert not (tmp_path / "out2").exists()


@pytest.mark.parametrize("job", ["spatch", "series"])
def test_reports_that_are_not_the_tools_are_refused(tree, tmp_path, job, need_spatch):
    afile = tmp_path / "notes.txt"
    afile.write_text("my notes\n")
    theirs = tmp_path / "rep"
    (theirs / "linux").mkdir(parents=True)
    (theirs / "linux" / "conversion.md").write_text("my own conversion notes\n")
    before, kept = snapshot(tree), snapshot(theirs)
    extra = ["--output", str(tmp_path / "out")] if job == "series" else []
    proc = gup_unify(job, str(tree), "--reports", str(afile), *extra, scratch=tmp_path / "s")
    refused(proc, "reports directory %s is a file, not a directory" % afile)
    proc = gup_unify(job, str(tree), "--reports", str(theirs), *extra, scratch=tmp_path / "s")
    refused(proc, "reports directory %s exists and is not gup-unify output"
                  % (theirs / "linux"))
    untouched_before_any_work(tree, before, tmp_path / "s")
    assert afile.read_text() == "my notes\n"
    assert snapshot(theirs) == kept
    assert not (tmp_path / "out").exists()


def test_output_and_reports_are_kept_apart(tree, tmp_path, need_spatch):
    rep = tmp_path / "rep"
    made = gup_unify("spatch", str(tree), "--reports", str(rep), scratch=tmp_path / "s")
    assert made.returncode == 0, made.stderr
    kept = snapshot(rep)
    # the tree's reports folder is the tool's, but not a series to replace
    proc = gup_unify("series", str(tree), "--output", str(rep / "linux"), "--reports",
                     str(rep), scratch=tmp_path / "s")
    refused(proc, "output directory %s holds gup-unify's reports of %s, not its series: "
                  "choose another" % (rep / "linux", tree))
    # one folder for both: replacing the series would take the reports
    both = tmp_path / "both"
    proc = gup_unify("series", str(tree), "--output", str(both), "--reports", str(both),
                     scratch=tmp_path / "s")
    refused(proc, "output directory %s and reports folder %s overlap"
                  % (both, both / "linux"))
    # a name the file system cannot take is refused before any work as well
    long_name = tmp_path / ("x" * 300)
    proc = gup_unify("series", str(tree), "--output", str(long_name), "--reports",
                     str(rep), scratch=tmp_path / "s")
    refused(proc, "output directory %s: File name too long" % long_name)
    assert snapshot(rep) == kept
    assert not both.exists()
    assert git(tree, "rev-list", "--count", "master..gup-unify") == "10\n"


# -- 2. --dry-run writes nothing -----------------------------------------

@pytest.mark.parametrize("branch", ["absent", "made"])
def test_dry_run_leaves_repository_and_folders_byte_identical(tmp_path, branch, need_spatch):
    tree = make_tree(tmp_path / "linux")
    tool = tool_copy(tmp_path)
    if branch == "made":
        made = run_tool(tool, "spatch", str(tree), "--reports", str(tmp_path / "rep"),
                        scratch=tmp_path / "s")
        assert made.returncode == 0, made.stderr
    (tmp_path / "s").mkdir(exist_ok=True)
    before, facts, tool_before = snapshot(tree), repo_facts(tree), snapshot(tool)
    outside = sorted(os.listdir(tmp_path))
    proc = run_tool(tool, "series", str(tree), "--dry-run", scratch=tmp_path / "s")
    assert proc.returncode == 0, proc.stderr
    assert "07-KVM-x86  [PATCH] KVM: x86: pass gup_flags to get_user_pages_fast()" in proc.stdout
    assert "To: Kay Vee <kay@example.org>, Ex Eightysix <x86@example.org>" in proc.stdout
    # the default output (series/linux) and its parent are not made
    proc = run_tool(tool, "series", str(tree), "--dry-run", "--output",
                    str(tmp_path / "new" / "deep" / "out"), "--reports",
                    str(tmp_path / "rep2"), scratch=tmp_path / "s")
    assert proc.returncode == 0, proc.stderr
    assert repo_facts(tree) == facts
    assert snapshot(tree) == before
    assert snapshot(tool) == tool_before
    assert sorted(os.listdir(tmp_path)) == outside
    scratch = tmp_path / "s"
    assert [p for p in os.listdir(scratch) if p.startswith("gup-unify-dry-run-")] == []


# -- 3. options checked before any work ------------------------------------

@pytest.mark.parametrize("job, args, message", [
    ("spatch", ["--branch", "bad..name"],
     "'bad..name' is not a valid branch name (git check-ref-format --branch)"),
    ("series", ["--branch", "with space"],
     "'with space' is not a valid branch name (git check-ref-format --branch)"),
    ("spatch", ["--branch=-x"], "'-x' is not a valid branch name"),
    ("spatch", ["--min-sites", "0"], "--min-sites must be at least 1 (got 0)"),
    ("series", ["--min-sites", "-3"], "--min-sites must be at least 1 (got -3)"),
    ("spatch", ["--diff", "{tmp}/d"], "--diff {tmp}/d is a directory: name a file"),
    ("spatch", ["--diff", "{tree}/gup.diff"],
     "--diff {tree}/gup.diff is inside the kernel tree {tree}"),
])
def test_bad_options_are_refused_before_any_work(tree, tmp_path, job, args, message,
                                                 need_spatch):
    (tmp_path / "d").mkdir()
    args = [a.format(tmp=tmp_path, tree=tree) for a in args]
    before, listing = snapshot(tree), sorted(os.listdir(tmp_path))
    extra = ["--output", str(tmp_path / "out")] if job == "series" else []
    proc = gup_unify(job, str(tree), *args, "--reports", str(tmp_path / "rep"), *extra,
                     scratch=tmp_path / "s")
    refused(proc, message.format(tmp=tmp_path, tree=tree))
    untouched_before_any_work(tree, before, tmp_path / "s")
    # no stray temp file next to --diff, no output, no report
    assert set(os.listdir(tmp_path)) - {"s"} == set(listing)
    assert os.listdir(tmp_path / "d") == []


@pytest.mark.parametrize("job", ["spatch", "series", "check"])
def test_kernel_path_that_is_a_file_says_so(tmp_path, job):
    afile = tmp_path / "linux.tar"
    afile.write_text("not a tree\n")
    proc = gup_unify(job, str(afile), scratch=tmp_path / "s")
    refused(proc, "%s: is a file, not a kernel tree directory" % afile)


# -- 4. MAINTAINERS missing or empty -------------------------------------

@pytest.mark.parametrize("case, why", [
    ("missing", "the tree has no MAINTAINERS file"),
    ("empty", "its MAINTAINERS has no entries"),
])
def test_patches_without_recipients_are_written_with_a_warning(tree, tmp_path, case, why,
                                                              need_spatch):
    if case == "missing":
        git(tree, "rm", "-q", "MAINTAINERS")
    else:
        (tree / "MAINTAINERS").write_text("")
        git(tree, "add", "MAINTAINERS")
    git(tree, "commit", "-qm", "MAINTAINERS " + case)
    out = tmp_path / "out"
    proc = gup_unify("-q", "series", str(tree), "--output", str(out),
                     "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert proc.returncode == 0, proc.stderr
    patches = sorted(p for p in out.glob("[0-9][0-9]-*/*.patch")
                     if not p.name.startswith("0000-"))
    assert len(patches) == 10
    for patch in list(patches) + list(out.glob("atomic/*.patch")):
        head = patch.read_text().split("\n\n", 1)[0]
        assert "\nTo:" not in head and "\nCc:" not in head, patch
    # (After the warning naming the sample's guessed subject prefixes.)
    assert proc.stderr.endswith("\ngup-unify: warning: 10 of 10 patches have no recipients "
                                "(no To, no Cc): %s; address them by hand before sending\n"
                                % why)


def test_a_file_system_refusal_after_the_checks_is_one_line(tree, tmp_path, need_spatch):
    # 250 characters pass as a name, but not with the scratch folder's
    # ".<name>.partial.XXXXXXXX" made next to it once the series is planned
    out = tmp_path / ("x" * 250)
    proc = gup_unify("-q", "series", str(tree), "--output", str(out),
                     "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert proc.returncode == 2
    # One line of error, after the warning naming the sample's guessed subject prefixes.
    *warned, error = proc.stderr.splitlines()
    assert error.startswith("gup-unify: error: [Errno 36] File name too long: ")
    assert warned[0].startswith("gup-unify: warning: 7 subject prefixes guessed")
    assert all(line.startswith("  ") for line in warned[1:]) and "Traceback" not in proc.stderr
    assert not out.exists()
    assert [p for p in os.listdir(tmp_path) if ".partial." in p] == []


# -- 6. the Makefile -------------------------------------------------------

def test_make_yes_no_options_are_off_unless_1_yes_or_true(tmp_path, need_spatch):
    tree = make_tree(tmp_path / "linux")
    tool = tool_copy(tmp_path)
    out = tmp_path / "out"
    proc = run_make(tool, "series", "KERNEL=%s" % tree, "OUT=%s" % out,
                    "REPORTS=%s" % (tmp_path / "rep"), "DRY_RUN=0", "CHECK=0",
                    scratch=tmp_path / "s")
    assert proc.returncode == 0, proc.stderr
    # make echoes the command (then the plan, which names neither option)
    assert "scripts/gup-unify series" in proc.stdout
    assert "--dry-run" not in proc.stdout and "--check" not in proc.stdout
    assert (out / "overview.txt").exists()
    assert git(tree, "branch", "--list", "gup-unify") == "  gup-unify\n"
    for value in ("1", "yes", "true"):
        shown = run_make(tool, "-n", "series", "DRY_RUN=" + value, "CHECK=" + value,
                         scratch=tmp_path / "s")
        assert shown.returncode == 0, shown.stderr
        assert "--dry-run" in shown.stdout and "--check" in shown.stdout, shown.stdout


def test_make_takes_paths_with_spaces(tmp_path, need_spatch):
    tree = make_tree(tmp_path / "my trees" / "linux")
    tool = tool_copy(tmp_path)
    reports = tmp_path / "my reports"
    proc = run_make(tool, "spatch", "KERNEL=%s" % tree, "REPORTS=%s" % reports,
                    scratch=tmp_path / "s")
    assert proc.returncode == 0, proc.stderr
    assert git(tree, "log", "--format=%s", "-1", "gup-unify") == \
        "KVM: x86: pass gup_flags to get_user_pages_fast()\n"
    assert (reports / "linux" / "conversion.json").exists()


def test_make_cicheck_status_is_what_the_docs_say(tree, tmp_path):
    tool = tool_copy(tmp_path)
    found = run_make(tool, "cicheck", "KERNEL=%s" % tree, scratch=tmp_path / "s")
    direct = run_tool(tool, "cicheck", str(tree), scratch=tmp_path / "s")
    bad = run_make(tool, "cicheck", "KERNEL=%s" % (tmp_path / "missing"),
                   scratch=tmp_path / "s")
    assert direct.returncode == 1
    assert found.returncode == 2 and "] Error 1" in found.stderr
    assert bad.returncode == 2 and "] Error 2" in bad.stderr
    usage = " ".join(open(os.path.join(ROOT, "docs", "usage.md")).read().split())
    assert 'Exit status: 0 clean, 1 found, 2 bad input (make cicheck: 0 clean, and 2 with ' \
           '"Error 1" or "Error 2"' in usage
