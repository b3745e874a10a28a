"""Who the patches are from: the user's identity, never a placeholder."""
import glob
import os
import re
import subprocess

import pytest
from conftest import GUP_FLAGS, ROOT, SAMPLE, git, gup_unify

from gupunify.convert import patches

ANN = "Ann Other <ann@example.org>"
NO_IDENTITY = "no identity to sign the patches off with"


def nobody(tmp_path):
    """An environment with no git identity anywhere (a fresh machine)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "GIT_CONFIG_NOSYSTEM": "1"}


def identities(text):
    """Every From:/Signed-off-by: identity in a patch or commit message."""
    return re.findall(r"^(?:From|Signed-off-by): (.*)$", text, re.M)


def test_stored_core_patches_carry_no_identity():
    files = glob.glob(os.path.join(GUP_FLAGS, "patches", "v5.*", "**", "*.patch"),
                      recursive=True)
    assert len(files) >= 22     # nine per base, and two each in fast-only/
    for path in files:
        with open(path) as f:
            assert identities(f.read()) == [], path


def test_patch_text_for_is_from_the_user_alone():
    for path in glob.glob(os.path.join(GUP_FLAGS, "patches", "v5.*", "**", "*.patch"),
                          recursive=True):
        text = patches.patch_text_for(path, ("Ann Other", "ann@example.org"))
        assert identities(text) == [ANN], path
        # Still a patch git am takes: first line the mbox separator, then From:.
        assert text.split("\n")[1] == "From: " + ANN


def test_patch_text_for_drops_a_folded_from(tmp_path):
    """A From: folded over two lines (RFC 5322) goes whole; a folded Subject: stays."""
    path = tmp_path / "0001-x.patch"
    path.write_text("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
                    "From: A Very Long Name\n"
                    "\t<someone@example.org>\n"
                    "Subject: [PATCH] mm/gup: a subject\n"
                    " folded over two lines\n"
                    "\n"
                    "Body.\n"
                    "\n"
                    "Signed-off-by: Some One <someone@example.org>\n"
                    "---\n")
    text = patches.patch_text_for(str(path), ("Ann Other", "ann@example.org"))
    assert text == ("From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
                    "From: Ann Other <ann@example.org>\n"
                    "Subject: [PATCH] mm/gup: a subject\n"
                    " folded over two lines\n"
                    "\n"
                    "Body.\n"
                    "\n"
                    "---\n")

@pytest.mark.parametrize("job", ["spatch", "series"])
def test_no_identity_stops_before_any_work(job, tree, tmp_path):
    git(tree, "config", "--unset", "user.name")
    git(tree, "config", "--unset", "user.email")
    out = gup_unify(job, str(tree), "--reports", str(tmp_path / "rep"),
                    *(["--output", str(tmp_path / "out")] if job == "series" else []),
                    scratch=tmp_path / "s", env=nobody(tmp_path))
    assert out.returncode == 2
    assert out.stderr == ("gup-unify: error: %s: set user.name and user.email (git config) "
                          "or pass --identity \"Name <mail>\" (make: IDENTITY=)\n" % NO_IDENTITY)
    assert git(tree, "branch", "--list") == "* master\n"
    assert not (tmp_path / "out").exists() and not (tmp_path / "rep").exists()


@pytest.mark.parametrize("bad, message", [
    ("Ann Other", "expected \"Name <user@example.org>\""),
    ("gup-unify <gup-unify@localhost>", "is a placeholder, not a person"),
])
def test_bad_identity_is_refused(bad, message, tree, tmp_path):
    out = gup_unify("spatch", str(tree), "--identity", bad, scratch=tmp_path / "s")
    assert out.returncode == 2 and message in out.stderr
    assert out.stderr.count("\n") == 1


def test_explicit_identity_signs_everything_on_a_fresh_machine(tmp_path, need_spatch):
    # The plain sample tree, as make demo runs it: no git identity at all.
    out = gup_unify("series", SAMPLE, "--identity", ANN, "--output", str(tmp_path / "out"),
                    "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s",
                    env=nobody(tmp_path))
    assert out.returncode == 0, out.stderr
    repo = next((tmp_path / "s" / "repos").iterdir())
    log = git(repo, "log", "--format=%an <%ae>|%cn <%ce>|%B%x00", "gup-unify")
    commits = [c for c in log.split("\x00") if c.strip()]
    # Eight core patches (or however many the base has) and the callers all carry Ann.
    for commit in commits[:-1]:         # the last is the import of the sample
        author, committer, body = commit.strip("\n").split("|", 2)
        assert author == committer == ANN
        assert identities(body) == [ANN], body
    patch_files = glob.glob(str(tmp_path / "out" / "**" / "*.patch"), recursive=True)
    assert len(patch_files) > 10
    for path in patch_files:
        with open(path) as f:
            found = identities(f.read())
        assert found and set(found) == {ANN}, (path, found)


def test_config_identity_signs_the_core_patches(tree, tmp_path, need_spatch):
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    pat = "Pat Sender <pat@example.org>"
    for sha in git(tree, "rev-list", "master..gup-unify").split():
        body = git(tree, "log", "-1", "--format=%an <%ae>%n%B", sha)
        assert identities(body) == [pat] and body.startswith(pat), body


def test_make_demo_passes_an_example_identity_and_says_so():
    out = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert ('series sample/linux --identity "Example Developer <developer@example.org>"'
            in out.stdout)
    assert "signing the sample series off as Example Developer" in out.stdout
