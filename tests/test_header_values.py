"""What goes into a mail header, subject or trailer is checked before any work:
--identity, --prefix and --prefix-file."""
import pytest
from conftest import git, gup_unify

from gupunify.common import migration, util
from gupunify.convert import callercommits
from gupunify.groups import prefixes


def refused_before_work(proc, tree, tmp_path, *words):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gup-unify: error: "), proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert git(tree, "branch", "--list") == "* master\n"
    assert not (tmp_path / "s" / "worktrees").exists()
    assert not (tmp_path / "rep").exists()


@pytest.mark.parametrize("job", ["spatch", "series"])
@pytest.mark.parametrize("identity, named", [
    ("Pat <pat@example.org>\nSigned-off-by: Mallory <m@example.org>", "a newline (U+000A)"),
    ("Pat\r <pat@example.org>", "a carriage return (U+000D)"),
    ("Pat\x1b[31m <pat@example.org>", "a control character (U+001B)"),
    ("Pat\u2028Cc: x <pat@example.org>", "a control character (U+2028)"),
])
def test_identity_with_a_control_character_is_refused(tree, tmp_path, job, identity, named):
    proc = gup_unify("-q", job, str(tree), "--identity", identity, "--reports",
                     str(tmp_path / "rep"), scratch=tmp_path / "s")
    refused_before_work(proc, tree, tmp_path, "--identity", named)


def test_configured_identity_with_a_newline_is_refused(tree, tmp_path):
    git(tree, "config", "user.name", "Pat\nSigned-off-by: Mallory <m@example.org>")
    proc = gup_unify("-q", "spatch", str(tree), "--reports", str(tmp_path / "rep"),
                     scratch=tmp_path / "s")
    refused_before_work(proc, tree, tmp_path, "git config user.name and user.email",
                        "a newline")


@pytest.mark.parametrize("prefix, named", [
    ("mm=mm/gup\nSigned-off-by: Mallory <m@example.org>", "a newline"),
    ("mm=mm\tgup", "a tab (U+0009)"),
    ("mm=" + "x" * 47, "has 47 columns"),
])
def test_prefix_unfit_for_a_subject_is_refused(tree, tmp_path, prefix, named):
    proc = gup_unify("-q", "spatch", str(tree), "--prefix", prefix, "--reports",
                     str(tmp_path / "rep"), scratch=tmp_path / "s")
    refused_before_work(proc, tree, tmp_path, "--prefix", named)


def test_the_longest_prefix_keeps_every_subject_within_75_columns():
    longest = callercommits.longest_prefix()
    rules = migration.current().rules
    for rule in rules:
        assert len(callercommits._subject(rule.subjects, "x" * longest)) <= 74
    assert len(callercommits._subject(migration.current().rule("get_user_pages_fast").subjects,
                                      "x" * (longest + 1))) >= 75


def test_prefix_file_in_latin1_names_the_file_and_line(tree, tmp_path):
    bad = tmp_path / "prefixes"
    bad.write_bytes(b"# ours, caf\xe9\nINFINIBAND SUBSYSTEM=IB/core\n"
                    b"MEMORY MANAGEMENT=mm/caf\xe9\n")
    proc = gup_unify("-q", "spatch", str(tree), "--prefix-file", str(bad), "--reports",
                     str(tmp_path / "rep"), scratch=tmp_path / "s")
    refused_before_work(proc, tree, tmp_path, "--prefix-file %s line 3" % bad, "0xe9",
                        "UTF-8")
    assert "Traceback" not in proc.stderr


def test_prefix_file_bom_is_dropped(tmp_path):
    f = tmp_path / "prefixes"
    f.write_bytes(b"\xef\xbb\xbfINFINIBAND SUBSYSTEM=IB/core\r\nmm=mm/gup\r\n")
    assert prefixes.parse_overrides([], [str(f)]) == {"infiniband subsystem": "IB/core",
                                                      "mm": "mm/gup"}


def test_a_group_given_two_prefixes_names_both_lines(tmp_path):
    f = tmp_path / "prefixes"
    f.write_text("mm=mm/gup\n# the same again: no conflict\nMM = mm/gup:\n\nmm=mm/util\n")
    with pytest.raises(util.UserError) as e:
        prefixes.parse_overrides([], [str(f)])
    message = str(e.value)
    assert "line 5" in message and "line 1" in message and "'mm/util'" in message \
        and "'mm/gup'" in message, message
    with pytest.raises(util.UserError, match=r"line 1 gives group 'mm' the prefix 'mm/gup', "
                                              r"--prefix 'mm=b' gave it 'b'"):
        prefixes.parse_overrides(["mm=b"], [str(f)])
