"""The b4 hand-off on the sample tree: prep branches b4 send -o turns into series/."""
import email
import email.policy
import email.utils
import json
import os
import shutil
import subprocess
import types

import pytest
from conftest import git, gup_unify

from gupunify import b4prep

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
    # The branch holds exactly the series' commits on top of its cover.
    assert git(tree, "rev-parse", branch + "^{tree}") == \
        git(tree, "rev-parse", "gup-unify~%d^{tree}" % sum(
            len(p["patches"]) for p in summary["series"][summary["series"].index(toy) + 1:]))


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
