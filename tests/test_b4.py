"""The b4 hand-off on the sample tree: prep branches b4 send -o turns into series/."""
import email
import email.policy
import email.utils
import json
import os
import re
import shutil
import subprocess
import types

import pytest
from conftest import git, gup_unify

from gupunify.series import b4prep

pytestmark = pytest.mark.skipif(not shutil.which("b4"),
                                reason="b4 is not installed (make b4 installs Debian's b4)")
ANN = ("Ann Other", "ann@example.org")


@pytest.fixture
def handed_off(tree, tmp_path, need_spatch):
    out = gup_unify("series", str(tree), "--b4", "--identity", "%s <%s>" % ANN,
                    "--output", str(tmp_path / "out"), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "rep" / "linux" / "series.json").read_text())
    return tree, tmp_path, summary


def send(tree, branch, where):
    """b4 send -o, offline: sendemail.smtpserver set for this command only."""
    wt = where.parent / ("wt-" + where.name)
    git(tree, "worktree", "add", "-q", str(wt), branch)
    env = dict(b4prep._env(ANN, send=True))
    try:
        subprocess.run(["b4", "send", "-o", str(where), "--no-sign"], cwd=wt, check=True,
                       capture_output=True, env=dict(os.environ, **env))
    finally:
        git(tree, "worktree", "remove", "--force", str(wt))
    return {p.name: email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(where.iterdir())}


def addrs(msg, name):
    return sorted(a for _, a in email.utils.getaddresses(msg.get_all(name, [])))


def test_one_prep_branch_per_series_with_cover_and_recipients(handed_off):
    tree, _, summary = handed_off
    branches = sorted(b.strip() for b in git(tree, "branch", "--list", "b4/*").split())
    assert branches == ["b4/gup-unify-" + p["directory"].lower() for p in summary["series"]]
    assert [b["branch"] for b in summary["b4"]] == branches
    toy = next(p for p in summary["series"] if p["directory"].endswith("IB-toy"))
    branch = "b4/gup-unify-" + toy["directory"].lower()
    cover = git(tree, "log", "-1", "--format=%B", branch + "~2")
    assert cover.startswith("IB/toy: move to FOLL_LONGTERM and gup_flags\n\n")
    assert b4prep.MARKER in cover
    trailers = [l for l in cover.split(b4prep.MARKER)[0].splitlines()
                if l.startswith(("To: ", "Cc: "))]
    assert trailers == ["To: " + t for t in toy["to"]] + ["Cc: " + c for c in toy["cc"]]
    # The branch is the public base (the sample's series need none of each
    # other), its cover, then exactly the series' changes.
    assert git(tree, "rev-parse", branch + "~3") == summary["base_commit"] + "\n"
    after = sum(len(p["patches"]) for p in summary["series"][summary["series"].index(toy) + 1:])
    assert git(tree, "diff", branch + "~2", branch) == \
        git(tree, "diff", "gup-unify~%d" % (after + 2), "gup-unify~%d" % after)


def test_b4_send_gives_the_series_recipients(handed_off, tmp_path):
    tree, _, summary = handed_off
    for part in summary["series"]:
        msgs = send(tree, "b4/gup-unify-" + part["directory"].lower(),
                    tmp_path / ("eml-" + part["directory"]))
        patches = part["patches"]
        to = sorted(a for _, a in email.utils.getaddresses(part["to"]))
        cc = sorted(a for _, a in email.utils.getaddresses(part["cc"]))
        if len(patches) == 1:
            # b4 folds the cover letter of a one-patch series into the patch.
            assert len(msgs) == 1
        else:
            assert len(msgs) == len(patches) + 1
            cover = msgs[sorted(msgs)[0]]
            assert str(cover["Subject"]).startswith(
                "[PATCH%s 0/%d]" % (" net-next" if part["key"].startswith("NETWORKING") else "",
                                    len(patches)))
        for msg in msgs.values():
            # The group travels as a git note of the branch, never in a message.
            assert "Gup-unify-" not in msg.as_string(), part["directory"]
            assert addrs(msg, "To") == to, part["directory"]
            # The sender's own sign-off is Cc'd, as git send-email does.
            assert [a for a in addrs(msg, "Cc") if a != ANN[1]] == cc, part["directory"]


def test_net_group_is_net_next_and_second_run_changes_nothing(handed_off, tmp_path):
    tree, _, summary = handed_off
    net = next(p for p in summary["series"] if p["directory"].endswith("net-toy"))
    msgs = send(tree, "b4/gup-unify-" + net["directory"], tmp_path / "eml")
    assert [str(m["Subject"]) for m in msgs.values()] == [
        "[PATCH net-next] net/toy: pass gup_flags to get_user_pages_fast()"]
    before = git(tree, "for-each-ref", "refs/heads/b4/")
    out = gup_unify("series", str(tree), "--b4", "--identity", "%s <%s>" % ANN,
                    "--output", str(tmp_path / "out"), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    # Nothing new: said first, and nothing made again.
    assert out.stderr.splitlines()[0].endswith(
        "is up to date: nothing new since the last run on gup-unify (%s)"
        % git(tree, "rev-parse", "--short=12", "gup-unify").strip())
    assert "written" not in out.stderr
    assert git(tree, "for-each-ref", "refs/heads/b4/") == before
    # Without the record of the last run, each branch is found up to date.
    (tmp_path / "rep" / "linux" / ".series-run.json").unlink()
    out = gup_unify("series", str(tree), "--b4", "--identity", "%s <%s>" % ANN,
                    "--output", str(tmp_path / "out"), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    assert "b4/gup-unify-06-net-toy is up to date" in out.stderr
    assert git(tree, "for-each-ref", "refs/heads/b4/") == before


def test_check_sees_recipients_that_differ(handed_off, tmp_path, monkeypatch):
    tree, base, summary = handed_off
    monkeypatch.setenv("GUP_UNIFY_SCRATCH", str(tmp_path / "s"))
    part = next(p for p in summary["series"] if p["directory"].endswith("media-toy"))
    fake = types.SimpleNamespace(directory=part["directory"], to=part["to"], cc=part["cc"],
                                 patches=part["patches"])
    assert b4prep.check_branch(str(tree), fake, ANN, str(base / "out"),
                               str(tmp_path / "w1")) == []
    fake.to = part["to"] + ["Eve <eve@example.org>"]
    problems = b4prep.check_branch(str(tree), fake, ANN, str(base / "out"), str(tmp_path / "w2"))
    assert problems and all("missing ['eve@example.org']" in p for p in problems)


def refs(tree):
    return git(tree, "for-each-ref", "--format=%(refname)").split()


def series_b4(tree, tmp_path, *extra, env=None):
    return gup_unify("series", str(tree), "--b4", "--identity", "%s <%s>" % ANN,
                     "--output", str(tmp_path / "out"), "--reports", str(tmp_path / "rep"),
                     *extra, scratch=tmp_path / "s", env=env)


def test_user_hooks_and_signing_neither_break_nor_change_the_branches(tree, tmp_path,
                                                                       need_spatch):
    # A Gerrit commit-msg hook (adds Change-Id), a post-checkout hook that
    # fails, and signing with a key that does not exist: the user's own
    # setup, which the tool's own commits must neither run nor be stopped by.
    out = gup_unify("spatch", str(tree), "--identity", "%s <%s>" % ANN,
                    "--reports", str(tmp_path / "rep0"), scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    hooks = tree / ".git" / "hooks"
    (hooks / "commit-msg").write_text(
        "#!/bin/sh\nprintf '\\nChange-Id: I0123456789abcdef0123456789abcdef01234567\\n'"
        " >> \"$1\"\n")
    (hooks / "post-checkout").write_text("#!/bin/sh\necho no >&2\nexit 1\n")
    for hook in hooks.iterdir():
        hook.chmod(0o755)
    git(tree, "config", "commit.gpgsign", "true")
    git(tree, "config", "user.signingkey", "0xDEADBEEFDEADBEEF")
    before = [r for r in refs(tree) if not r.startswith("refs/heads/b4/")]
    done = series_b4(tree, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    made = [r for r in refs(tree) if r.startswith("refs/heads/b4/")]
    assert len(made) == 7
    # Nothing else: no gup-unify-b4-base-<pid>, no worktree left.
    assert [r for r in refs(tree) if not r.startswith("refs/heads/b4/")] == before
    assert len(git(tree, "worktree", "list").splitlines()) == 1
    for ref in made:
        cover = git(tree, "log", "-1", "--format=%B%n%G?", "--grep", b4prep.MARKER, ref)
        assert "Change-Id" not in cover
    tips = git(tree, "for-each-ref", "refs/heads/b4/")
    again = series_b4(tree, tmp_path)
    assert again.returncode == 0, again.stderr
    assert git(tree, "for-each-ref", "refs/heads/b4/") == tips


def test_a_branch_named_b4_is_refused_before_any_work(tree, tmp_path, need_spatch):
    git(tree, "branch", "b4")
    before = refs(tree)
    done = series_b4(tree, tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "branch named b4" in lines[0], done.stderr
    assert "git branch -m b4" in lines[0]
    assert refs(tree) == before
    assert not (tmp_path / "out").exists()


def test_make_b4_dry_run_makes_no_branch_and_says_what_it_would(tree, tmp_path, need_spatch):
    from conftest import ROOT

    def dry_run():
        done = subprocess.run(
            ["make", "-s", "b4", "DRY_RUN=1", "KERNEL=%s" % tree, "OUT=%s" % (tmp_path / "out"),
             "REPORTS=%s" % (tmp_path / "rep"), "IDENTITY=%s <%s>" % ANN],
            cwd=ROOT, capture_output=True, text=True,
            env=dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "s")))
        assert done.returncode == 0, done.stderr
        return [l.split()[0] for l in done.stdout.splitlines() if "would be made" in l]
    # Before the branch exists, and on it (the run reads its group notes).
    assert len(dry_run()) == 7
    assert not [r for r in refs(tree) if "gup-unify" in r or r.startswith("refs/heads/b4")]
    made = gup_unify("spatch", str(tree), "--identity", "%s <%s>" % ANN,
                     "--reports", str(tmp_path / "rep0"), scratch=tmp_path / "s")
    assert made.returncode == 0, made.stderr
    before = refs(tree)
    would = dry_run()
    assert [w[:len("b4/gup-unify-0N-")] for w in would] == \
        ["b4/gup-unify-0%d-" % n for n in range(1, 8)], would
    assert refs(tree) == before
    assert not (tmp_path / "out").exists()


def test_prep_branches_name_the_public_base(handed_off, tmp_path):
    tree, _, summary = handed_off
    base = summary["base_commit"]
    for part in summary["series"]:
        branch = "b4/gup-unify-" + part["directory"].lower()
        wt = tmp_path / ("wt-" + part["directory"])
        git(tree, "worktree", "add", "-q", str(wt), branch)
        try:
            info = subprocess.run(["b4", "prep", "--show-info"], cwd=wt, check=True,
                                  capture_output=True, text=True).stdout
        finally:
            git(tree, "worktree", "remove", "--force", str(wt))
        fields = dict(l.split(": ", 1) for l in info.splitlines() if ": " in l)
        # No base branch that the run made and removed again.
        assert "base-branch" not in fields, info
        assert fields["base-commit"] == base
        for key in ("start-commit", "end-commit"):
            assert git(tree, "cat-file", "-t", fields[key]).strip() == "commit"
        msgs = send(tree, branch, tmp_path / ("eml-" + part["directory"]))
        bases = {m for msg in msgs.values()
                 for m in re.findall(r"^base-commit: (\S+)$", msg.get_body(("plain",))
                                     .get_content(), re.M)}
        assert bases == {base}, part["directory"]


def test_a_series_forks_from_the_base_plus_the_series_it_needs(tmp_path, monkeypatch):
    """core 1, callers A (need core 1), callers B (need nothing), core 2 (needs all)."""
    monkeypatch.setenv("GUP_UNIFY_SCRATCH", str(tmp_path / "s"))
    repo = tmp_path / "r"
    git(tmp_path, "init", "-q", "-b", "master", str(repo))
    git(repo, "config", "user.name", ANN[0])
    git(repo, "config", "user.email", ANN[1])
    for name in ("core.c", "a.c", "b.c"):
        (repo / name).write_text("one\ntwo\nthree\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD").strip()
    shas = []
    for name, subject, text in (("core.c", "core: add FLAG", "one\nFLAG\nthree\n"),
                                ("a.c", "a: use FLAG", "one\ntwo FLAG\nthree\n"),
                                ("b.c", "b: pass flags", "one\ntwo flags\nthree\n"),
                                ("core.c", "core: remove old", "one\nFLAG\n")):
        (repo / name).write_text(text)
        git(repo, "commit", "-q", "-am", subject)
        shas.append((git(repo, "rev-parse", "HEAD").strip(), subject))

    def part(directory, kind, commits, depends=()):
        return types.SimpleNamespace(
            directory=directory, kind=kind, commits=commits, depends=list(depends),
            net=False, subject="[PATCH 0/%d] %s" % (len(commits), commits[0][1]),
            blurb="What it does.", to=["A <a@example.org>"], cc=[], patches=[])
    # depends as series.py's graph (needs.py) gives it: every need, in branch order.
    parts = [part("01-core", "core", shas[:1]), part("02-a", "callers", shas[1:2], ["01-core"]),
             part("03-b", "callers", shas[2:3]),
             part("04-core", "core", shas[3:], ["01-core", "02-a", "03-b"])]
    assert [[p.directory for p in b4prep.needs(q, parts)] for q in parts] == [
        [], ["01-core"], [], ["01-core", "02-a", "03-b"]]
    series_dir = tmp_path / "series"
    for p in parts:
        b4prep.make_branch(str(repo), base, p, parts, ANN)
        sha = p.commits[0][0]
        git(repo, "format-patch", "-q", "--base", base, "-o", str(series_dir / p.directory),
            "%s^..%s" % (sha, sha))
        p.patches = [{"file": f.name} for f in sorted((series_dir / p.directory).iterdir())]
    # b: the public base, its cover, its one commit; its tree lacks a's and core's change.
    b = "b4/gup-unify-03-b"
    assert git(repo, "rev-parse", b + "~2").strip() == base
    assert git(repo, "show", b + ":a.c") == "one\ntwo\nthree\n"
    assert git(repo, "show", b + ":b.c") == "one\ntwo flags\nthree\n"
    # a: the base, core 1, its cover, its commit; b's change is not in it.
    a = "b4/gup-unify-02-a"
    assert git(repo, "log", "--format=%s", "%s..%s~1" % (base, a)).splitlines()[1:] == [
        "core: add FLAG"]
    assert git(repo, "show", a + ":b.c") == "one\ntwo\nthree\n"
    assert git(repo, "show", a + ":a.c") == "one\ntwo FLAG\nthree\n"
    # No branch but the prep branches was made; no worktree is left.
    assert sorted(git(repo, "for-each-ref", "--format=%(refname:short)").split()) == sorted(
        ["master"] + [b4prep.branch_name(p) for p in parts])
    # b4 send -o of a series that needs others names the public base and
    # exactly the patches it needs, as git format-patch --base does: in the
    # tool's check, and when the user runs b4 send on the branch.
    for p in parts:
        workdir = tmp_path / ("w-" + p.directory)
        workdir.mkdir()
        assert b4prep.check_branch(str(repo), p, ANN, str(series_dir), str(workdir)) == []
        (mail,) = send(repo, b4prep.branch_name(p), tmp_path / ("eml-" + p.directory)).values()
        body = mail.get_body(("plain",)).get_content()
        assert re.findall(r"^base-commit: (\S+)$", body, re.M) == [base]
        needed = [sha for q in b4prep.needs(p, parts) for sha, _ in q.commits]
        ids = [subprocess.run(["git", "-C", str(repo), "patch-id", "--stable"],
                              input=git(repo, "show", "--format=", sha), capture_output=True,
                              text=True).stdout.split()[0] for sha in needed]
        assert re.findall(r"^prerequisite-patch-id: (\S+)$", body, re.M) == ids
    assert len(git(repo, "worktree", "list").splitlines()) == 1
