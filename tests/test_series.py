"""make series on the sample tree: the split, the order, the recipients, and what it never does."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import CLI, git, gup_unify

from gupunify.groups import maintainers
from gupunify.series import series, serieswriter, subseries

TARBALL = "/usr/src/linux-source-6.1.tar.xz"
ORDER = ["01-IB-tiny", "02-IB-toy", "03-iov_iter", "04-media-toy",
         "05-mm-gup_benchmark", "06-net-toy", "07-KVM-x86"]


@pytest.fixture
def written(tree, tmp_path, need_spatch):
    out = gup_unify("series", str(tree), "--output", str(tmp_path / "out"),
                    "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    return tree, tmp_path / "out", tmp_path / "rep", out


def patch_files(directory):
    return sorted(p for p in directory.iterdir() if not p.name.startswith("0000-"))


def headers(text):
    head = text.split("\n\n", 1)[0]
    unfolded = re.sub(r"\n[ \t]+", " ", head)
    return dict(line.split(": ", 1) for line in unfolded.splitlines()[1:] if ": " in line)


def addresses(value):
    return [a.strip() for a in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", value or "")
            if a.strip()]


def test_layout_and_order(written):
    _, out, _, proc = written
    assert sorted(p.name for p in out.iterdir()) == [".gup-unify", *ORDER, "atomic",
                                                     "overview.txt"]
    # The printed plan lists the series in the order of the directories.
    printed = [line.split()[0] for line in proc.stdout.splitlines() if re.match(r"\d\d-", line)]
    assert printed == ORDER
    overview = (out / "overview.txt").read_text()
    assert [line.split()[0] for line in overview.splitlines()
            if re.match(r"  \d\d-", line)] == ORDER
    for name in ORDER:
        files = sorted(p.name for p in (out / name).iterdir())
        # A cover letter only where patches follow it: not for one patch.
        assert (files[0] == "0000-cover-letter.patch") == (len(files) > 2), name
        assert "base-commit: " in (out / name / files[0]).read_text()


# Worked out by hand from sample/linux/MAINTAINERS with get_maintainer.pl's
# rules, not by the code under test: a file's entries from the deepest
# matching F: to THE REST; To is their M: and R: in that order (never THE
# REST's maintainer), Cc their L: lists, THE REST's included. Each series:
# the entry its patches name, the files they touch, To, Cc.
RDMA = "linux-rdma@vger.kernel.org"
LKML = "linux-kernel@vger.kernel.org"
EXPECTED = {
    # tiny has one converted call (MIN_SITES is 2) and shares linux-rdma with
    # its parent entry: it joins INFINIBAND SUBSYSTEM.
    "01-IB-tiny": ("INFINIBAND SUBSYSTEM", ["drivers/infiniband/hw/tiny/pin.c"],
                           ["Tina Wee <tina@example.org>", "Jay Gee <jay@example.org>"],
                           [RDMA, LKML]),
    "02-IB-toy": ("INFINIBAND TOY DRIVER", ["drivers/infiniband/hw/toy/umem.c"],
                          ["Ina Band <ina@example.org>", "Rev Yewer <rev@example.org>",
                           "Jay Gee <jay@example.org>"], [RDMA, LKML]),
    "03-iov_iter": ("VFS IOV_ITER", ["lib/iov_iter.c"], ["Io Vec <iov@example.org>"],
                        ["linux-fsdevel@vger.kernel.org", LKML]),
    "04-media-toy": ("MEDIA TOY DRIVER", ["drivers/media/toy/dma-sg.c"],
                     ["Mia Dia <mia@example.org>"], ["linux-media@vger.kernel.org", LKML]),
    "05-mm-gup_benchmark": ("MEMORY MANAGEMENT", ["mm/gup_benchmark.c"],
                            ["Em Em <mm@example.org>"], ["linux-mm@kvack.org", LKML]),
    "06-net-toy": ("NETWORKING TOY RDMA", ["net/toy/rdma.c"], ["Net Work <net@example.org>"],
                   ["netdev@vger.kernel.org", LKML]),
    "07-KVM-x86": ("KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86)", ["arch/x86/kvm/paging_tmpl.h"],
                   ["Kay Vee <kay@example.org>", "Ex Eightysix <x86@example.org>"],
                   ["kvm@vger.kernel.org", "x86-list@example.org", LKML]),
}


def test_each_patch_touches_only_its_maintainers_entry(written):
    _, out, rep, _ = written
    assert sorted(EXPECTED) == ORDER
    keys = {p["directory"]: p["key"] for p in
            json.loads((rep / "linux" / "series.json").read_text())["series"]}
    for name, (entry, files, _, _) in EXPECTED.items():
        assert keys[name] == entry
        for patch in patch_files(out / name):
            text = patch.read_text()
            assert re.findall(r"^diff --git a/(\S+) ", text, re.M) == files, patch.name


def note_of(tree, sha):
    return subprocess.run(["git", "-C", str(tree), "notes", "--ref", "gup-unify", "show", sha],
                          capture_output=True, text=True).stdout


def test_group_travels_as_a_note_that_no_patch_carries(tree, tmp_path, need_spatch):
    # A user who shows every notes ref, in git log and in format-patch.
    git(tree, "config", "notes.displayRef", "refs/notes/*")
    git(tree, "config", "format.notes", "true")
    out = gup_unify("series", str(tree), "--output", str(tmp_path / "out"),
                    "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    sources = {part["directory"]: part["prefix_source"] for part in json.loads(
        (tmp_path / "rep" / "linux" / "series.json").read_text())["series"]}
    for name, (entry, _, _, _) in EXPECTED.items():
        for patch in patch_files(tmp_path / "out" / name):
            text = patch.read_text()
            sha = text.split()[1]
            api = ("get_user_pages_longterm"
                   if re.search(r"^-.*get_user_pages_longterm\(", text, re.M)
                   else "get_user_pages_fast")
            # The prefix the subject was written with, and where it came from.
            prefix = re.search(r"^Subject: \[PATCH[^]]*\] (.*): (pass gup_flags|use FOLL_)",
                               text, re.M).group(1)
            assert sources[name] in ("history", "MAINTAINERS", "kernel style", "override")
            note = note_of(tree, sha)
            assert note.startswith(
                "Gup-unify-group: %s\nGup-unify-api: %s\nGup-unify-prefix: %s\n"
                "Gup-unify-prefix-source: %s\n" % (entry, api, prefix, sources[name])), patch
            assert note.count("\n") == 4 + (sources[name] in ("MAINTAINERS", "kernel style"))
    # The sample (4.20) has no core series: every commit is a caller commit, checked above.
    assert len(git(tree, "rev-list", "master..gup-unify").split()) == \
        sum(len(patch_files(tmp_path / "out" / name)) for name in ORDER)
    sent = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert len(sent) > 10 and not [p for p in sent if "Gup-unify-" in p.read_text()]


def as_previous_release(tree):
    """Give each caller commit the last line the previous release wrote (the group
    and the rule's file), keeping its note."""
    cocci = {"get_user_pages_fast": "gup_fast_flags.cocci",
             "get_user_pages_longterm": "gup_longterm.cocci"}
    head = git(tree, "rev-parse", "master").strip()
    for sha in git(tree, "rev-list", "--reverse", "master..gup-unify").split():
        note = dict(l.split(": ", 1) for l in note_of(tree, sha).splitlines())
        message = git(tree, "log", "-1", "--format=%B", sha).rstrip() + (
            "\n\nThis converts the calls (MAINTAINERS: %s). Generated by gup-unify with "
            "cocci/%s.\n" % (note["Gup-unify-group"], cocci[note["Gup-unify-api"]]))
        head = subprocess.run(["git", "-C", str(tree), "commit-tree", sha + "^{tree}", "-p",
                               head, "-F", "-"], input=message, capture_output=True,
                              text=True, check=True).stdout.strip()
        # Its notes named the group and the API only.
        git(tree, "notes", "--ref", "gup-unify", "add", "-m", "Gup-unify-group: %s\n"
            "Gup-unify-api: %s" % (note["Gup-unify-group"], note["Gup-unify-api"]), head)
    git(tree, "update-ref", "refs/heads/gup-unify", head)
    # The previous release wrote no marker of the branches it made.
    git(tree, "update-ref", "-d", "refs/gup-unify/branches/gup-unify")


def test_a_branch_without_notes_splits_as_before(tree, tmp_path, need_spatch):
    """A branch of the previous release has the group in its messages only."""
    made = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                     scratch=tmp_path / "s")
    assert made.returncode == 0, made.stderr
    as_previous_release(tree)
    with_notes = subseries.split_commits(str(tree), "master", "gup-unify")
    git(tree, "update-ref", "-d", "refs/notes/gup-unify")
    without = subseries.split_commits(str(tree), "master", "gup-unify")
    assert [(p.kind, p.key, p.phase, p.commits) for p in without] == \
        [(p.kind, p.key, p.phase, p.commits) for p in with_notes]
    assert [p.key for p in without if p.kind == "callers"] == [EXPECTED[d][0] for d in ORDER]
    out = gup_unify("series", str(tree), "--output", str(tmp_path / "out"),
                    "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir()) == \
        ORDER + ["atomic"]


def test_the_note_not_the_message_names_the_group(tree, tmp_path, need_spatch):
    made = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                     scratch=tmp_path / "s")
    assert made.returncode == 0, made.stderr
    first = git(tree, "rev-list", "--reverse", "master..gup-unify").split()[0]
    git(tree, "notes", "--ref", "gup-unify", "add", "-f", "-m",
        "Gup-unify-group: ANOTHER ENTRY\nGup-unify-api: get_user_pages_fast", first)
    parts = subseries.split_commits(str(tree), "master", "gup-unify")
    # The first group (INFINIBAND SUBSYSTEM) has one commit: the note renames it.
    assert [p.key for p in parts if p.kind == "callers"] == \
        ["ANOTHER ENTRY"] + [EXPECTED[d][0] for d in ORDER[1:]]


def test_the_note_not_the_history_gives_the_prefix_and_its_source(tree, tmp_path, need_spatch,
                                                                   monkeypatch):
    made = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                     scratch=tmp_path / "s")
    assert made.returncode == 0, made.stderr
    first = git(tree, "rev-list", "--reverse", "master..gup-unify").split()[0]
    note = note_of(tree, first).splitlines()
    git(tree, "notes", "--ref", "gup-unify", "add", "-f", "-m", "\n".join(
        note[:2] + ["Gup-unify-prefix: RDMA/elsewhere", "Gup-unify-prefix-source: override"]),
        first)

    class NoHistory:
        def __init__(self, *args):
            raise AssertionError("series read the history again")

    monkeypatch.setattr(subseries.prefixes, "History", NoHistory)
    parts = subseries.split_commits(str(tree), "master", "gup-unify")
    subseries.annotate(str(tree), "master", "gup-unify", parts, None)
    callers = [p for p in parts if p.kind == "callers"]
    # The first group (INFINIBAND SUBSYSTEM) has one commit, whose note now says this.
    assert (callers[0].prefix, callers[0].prefix_source, callers[0].prefix_why) == \
        ("RDMA/elsewhere", "override", None)
    assert callers[0].directory == "01-RDMA-elsewhere"
    assert [p.prefix for p in callers[1:]] == [
        git(tree, "log", "-1", "--format=%s", p.commits[0][0]).split(": pass")[0].split(
            ": use")[0] for p in callers[1:]]


def test_recipients_are_the_maintainers_of_each_patch(written):
    _, out, _, _ = written
    for name, (_, _, to, cc) in EXPECTED.items():
        for patch in sorted((out / name).iterdir()):
            h = headers(patch.read_text())
            assert (addresses(h.get("To")), addresses(h.get("Cc"))) == (to, cc), patch.name
    everything = "".join(p.read_text() for d in ORDER for p in (out / d).iterdir())
    assert "torvalds@" not in everything


@pytest.fixture(scope="session")
def get_maintainer_pl(tmp_path_factory):
    """scripts/get_maintainer.pl of Debian's linux-source-6.1: the kernel's own answer."""
    if not os.path.exists(TARBALL):
        pytest.skip("%s is absent: make test installs linux-source-6.1 (scripts/deps test)"
                    % TARBALL)
    where = tmp_path_factory.mktemp("get_maintainer")
    subprocess.run(["tar", "-xf", TARBALL, "-C", str(where),
                    "linux-source-6.1/scripts/get_maintainer.pl"], check=True)
    return where / "linux-source-6.1" / "scripts" / "get_maintainer.pl"


def test_the_parsers_recipients_are_get_maintainer_pls(written, get_maintainer_pl, tmp_path):
    """The sample has no get_maintainer.pl, so the parser answered: ask the real one."""
    tree, out, rep, _ = written
    summary = json.loads((rep / "linux" / "series.json").read_text())
    assert summary["recipients_from"].startswith("the MAINTAINERS parser")
    # The sample with the script, and the top-level names it checks for a kernel tree.
    kernel = tmp_path / "with-script"
    shutil.copytree(tree, kernel, ignore=shutil.ignore_patterns(".git"))
    for name in ("COPYING", "CREDITS", "Kbuild", "README"):
        (kernel / name).touch()
    for name in ("Documentation", "fs", "init", "ipc", "kernel", "scripts"):
        (kernel / name).mkdir(exist_ok=True)
    shutil.copy(get_maintainer_pl, kernel / "scripts")
    flags = ["--nogit", "--nogit-fallback", "--nogit-chief-penguins", "--norolestats"]
    bare = tmp_path / "bare.patch"
    for name in ORDER:
        for patch in patch_files(out / name):
            # Our own To/Cc headers out, so the script sees only the change.
            head, _, body = patch.read_text().partition("\n\n")
            bare.write_text(re.sub(r"^(To|Cc): .*(\n[ \t].*)*\n", "", head + "\n", flags=re.M)
                            + "\n" + body)

            def ask(role):
                return [a for a in subprocess.run(
                    ["perl", "scripts/get_maintainer.pl"] + flags + [role, str(bare)],
                    cwd=kernel, capture_output=True, text=True, check=True).stdout.split("\n")
                        if a]
            to = ask("--nol")
            # --nom lists the reviewers as well: b4 leaves out of Cc who is in To.
            cc = [a for a in ask("--nom") if a not in to]
            h = headers(patch.read_text())
            assert (addresses(h.get("To")), addresses(h.get("Cc"))) == (to, cc), patch.name


def test_get_maintainer_pl_sees_the_directories_maintainers_names_and_no_others(
        get_maintainer_pl, tmp_path):
    """A slashless F: pattern that names a directory covers the files under it, as in
    the tree; the thousands of directories no entry names are not made (v5.0: 4211,
    made and removed in seconds of each series run)."""
    repo = tmp_path / "repo"
    files = {"MAINTAINERS": "TOY DRIVER\nM:\tTo Y <toy@example.org>\nS:\tMaintained\n"
                            "F:\tdrivers/toy\n\nBARE DRIVER\nM:\tBa Re <bare@example.org>\n"
                            "S:\tMaintained\nF:drivers/bare\n",
             "scripts/get_maintainer.pl": get_maintainer_pl.read_text(),
             "drivers/toy/a.c": "int a;\n", "drivers/bare/b.c": "int b;\n",
             "drivers/other/deep/c.c": "int c;\n"}
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git(tmp_path, "init", "-q", str(repo))
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=A", "-c", "user.email=a@example.org", "commit", "-qm", "x")
    work = tmp_path / "work"
    work.mkdir()
    recipients = maintainers.Recipients(str(repo), "HEAD", str(work))
    assert recipients.source == "scripts/get_maintainer.pl"
    made = {os.path.relpath(os.path.join(top, d), recipients.root)
            for top, dirs, _ in os.walk(recipients.root) for d in dirs}
    assert {"drivers/toy", "drivers/bare"} <= made
    assert not made & {"drivers/other", "drivers/other/deep"}
    for name, who in (("toy/a.c", "toy@example.org"), ("bare/b.c", "bare@example.org")):
        patch = tmp_path / "p.patch"
        patch.write_text("--- a/drivers/%s\n+++ b/drivers/%s\n@@ -1 +1 @@\n-int a;\n"
                         "+int z;\n" % (name, name))
        to, _ = recipients.for_patch(str(patch), ["drivers/" + name])
        assert any(who in a for a in to), to


def test_series_in_order_give_the_atomic_tree_and_cover_every_site_once(written, tmp_path):
    tree, out, rep, _ = written
    clone = tmp_path / "apply"
    git(tmp_path, "clone", "-q", str(tree), str(clone))
    base = git(tree, "rev-parse", "master").strip()
    git(clone, "checkout", "-q", "--detach", base)
    for name in ORDER:
        subprocess.run(["git", "-C", str(clone), "-c", "user.name=A", "-c",
                        "user.email=a@example.org", "am", "-q"] +
                       [str(p) for p in patch_files(out / name)], check=True)
    by_series = git(clone, "rev-parse", "HEAD^{tree}")
    assert by_series == git(tree, "rev-parse", "gup-unify^{tree}")
    git(clone, "checkout", "-q", "--detach", base)
    atomic = next((out / "atomic").iterdir())
    subprocess.run(["git", "-C", str(clone), "apply", "--index", str(atomic)], check=True)
    assert git(clone, "write-tree") == by_series
    # Every converted call is one added line of exactly one series patch.
    run = json.loads((rep / "linux" / "conversion.json").read_text())
    converted = [r for r in run["sites"] if r["outcome"] == "converted"]
    # (in the diffs: a message quotes the semantic patch, whose + lines are not code)
    added = [line for name in ORDER for p in patch_files(out / name)
             for line in p.read_text().split("\n---\n", 1)[1].splitlines()
             if line.startswith("+") and re.search(r"get_user_pages(_fast)?\(", line)
             and not line[1:].lstrip().startswith(("/*", "*"))]
    # 3 longterm + 9 fast calls in the sample tree
    assert len(added) == len(converted) == 12
    # Signed off by the user of the tree's git config.
    assert all("Signed-off-by: Pat Sender <pat@example.org>" in p.read_text()
               for name in ORDER for p in patch_files(out / name))


def test_report_has_the_series_and_per_subsystem_counts(written):
    _, out, rep, _ = written
    summary = json.loads((rep / "linux" / "series.json").read_text())
    assert [s["directory"] for s in summary["series"]] == ORDER
    assert summary["recipients_from"].startswith("the MAINTAINERS parser")
    counted = json.loads((rep / "linux" / "conversion.json").read_text())["counts_per_group"]
    # umem.c: longterm(gup_flags) is a "simple" operand; writable a variable.
    assert counted["INFINIBAND TOY DRIVER"] == {"simple": {"converted": 1},
                                                "variable": {"converted": 1},
                                                "foll_write_as_write": {"unchanged": 1}}
    md = (rep / "linux" / "conversion.md").read_text()
    table = md.split("## Per subsystem")[1].split("\n## ")[0]
    assert "| INFINIBAND TOY DRIVER | 2 | 1 | 0 | 2 |" in table
    assert "| INFINIBAND SUBSYSTEM | 1 | 0 | 0 | 1 |" in table


def test_second_run_changes_nothing(written, tmp_path):
    tree, out, rep, _ = written
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    report_before = (rep / "linux" / "series.json").stat().st_mtime_ns
    again = gup_unify("series", str(tree), "--output", str(out), "--reports", str(rep),
                      scratch=tmp_path / "s")
    assert again.returncode == 0, again.stderr
    assert "up to date: nothing new" in again.stderr
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    assert (rep / "linux" / "series.json").stat().st_mtime_ns == report_before


def test_dry_run_writes_nothing(tree, tmp_path, need_spatch):
    out = gup_unify("series", str(tree), "--dry-run", "--output", str(tmp_path / "out"),
                    "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    assert [line.split()[0] for line in out.stdout.splitlines()
            if re.match(r"\d\d-", line)] == ORDER
    assert "To: Ina Band <ina@example.org>, Rev Yewer <rev@example.org>" in out.stdout
    assert git(tree, "branch", "--list", "gup-unify") == ""
    assert git(tree, "for-each-ref", "refs/notes") == ""
    assert not (tmp_path / "out").exists() and not (tmp_path / "rep").exists()
    assert not [p for p in tmp_path.iterdir() if ".partial." in p.name]


def test_interrupted_while_writing_leaves_nothing(tree, tmp_path, monkeypatch, need_spatch):
    made = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                     scratch=tmp_path / "s")
    assert made.returncode == 0, made.stderr

    def interrupted(self):
        raise KeyboardInterrupt
    monkeypatch.setattr(serieswriter.Writer, "atomic", interrupted)
    monkeypatch.setenv("GUP_UNIFY_SCRATCH", str(tmp_path / "s"))
    with pytest.raises(KeyboardInterrupt):
        series.make_series(str(tree), "gup-unify", str(tmp_path / "rep2"),
                           options=series.SeriesOptions(out=str(tmp_path / "out")))
    assert not (tmp_path / "out").exists() and not (tmp_path / "rep2").exists()
    assert not [p for p in tmp_path.iterdir() if ".partial." in p.name]


@pytest.mark.parametrize("moment", ["worktree", "spatch"])
def test_ctrl_c_during_conversion_leaves_no_branch_or_output(tree, tmp_path, moment,
                                                             need_spatch):
    """Ctrl-C as the worktree is made, or while spatch runs over checked-out callers."""
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "s"))
    proc = subprocess.Popen([sys.executable, CLI, "series", str(tree), "--output",
                             str(tmp_path / "out"), "--reports", str(tmp_path / "rep")],
                            env=env, stderr=subprocess.PIPE, text=True)
    worktrees = tmp_path / "s" / "worktrees"

    def reached():
        made = list(worktrees.iterdir()) if worktrees.exists() else []
        return made and (moment == "worktree" or (made[0] / "drivers").exists())
    deadline = time.monotonic() + 60
    while not reached():
        assert proc.poll() is None and time.monotonic() < deadline, "%s not reached" % moment
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted; nothing was kept" in err and "Traceback" not in err
    assert git(tree, "branch", "--list", "gup-unify") == ""
    assert git(tree, "for-each-ref", "refs/notes") == ""
    assert not (tmp_path / "out").exists() and not (tmp_path / "rep").exists()
    assert not any(worktrees.iterdir())


def test_bad_input_is_one_line_and_non_zero(tree, tmp_path):
    (tmp_path / "notkernel").mkdir()
    nospatch = tmp_path / "bin"
    nospatch.mkdir()
    for tool in ("git", "perl"):
        os.symlink(shutil.which(tool), nospatch / tool)
    cases = [
        ([str(tmp_path / "missing")], {}, "no such directory"),
        ([str(tmp_path / "notkernel")], {}, "not a Linux kernel tree"),
        ([str(tree)], {"PATH": str(nospatch)}, "spatch not found"),
    ]
    for args, env, message in cases:
        out = gup_unify("series", *args, "--output", str(tmp_path / "o"), scratch=tmp_path / "s",
                        env=env)
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.count("\n") == 1 and message in out.stderr, out.stderr
    (tree / "net/toy/rdma.c").write_text("/* edited */\n")
    out = gup_unify("series", str(tree), scratch=tmp_path / "s")
    assert out.returncode == 2 and "uncommitted changes" in out.stderr
    assert out.stderr.count("\n") == 1
    assert git(tree, "branch", "--list", "gup-unify") == ""


def test_cc_trailers_of_a_commit_are_its_own(tmp_path):
    """A Cc: trailer (stable) reaches the patch's Cc header, as send-email and b4 put it."""
    repo = tmp_path / "r"
    git(tmp_path, "init", "-q", str(repo))
    (repo / "f").write_text("x\n")
    git(repo, "add", "f")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "-m",
        "mm: fix\n\nWhy.\n\nFixes: 0123456789ab (\"mm: x\")\nCc: stable@vger.kernel.org\n"
        "Cc: A Person <a@example.org>\nSigned-off-by: T <t@example.org>")
    assert serieswriter._cc_trailers(str(repo), "HEAD") == ["stable@vger.kernel.org",
                                                      "A Person <a@example.org>"]
