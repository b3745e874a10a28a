"""make test meets a real kernel: the gup-vmas migration's conversion, series and guard on
Debian's linux-source-6.1 (the builds of every step stay in make check).

The expectations come from the migration's own data, read here as the
pipeline reads it: a call its hook would still convert is one the run
missed, a call left for a human must say why.
"""
import json
import os
import subprocess

import pytest

from conftest import ROOT, git, gup_unify
from gupunify.common import migration
from gupunify.csource import sites

VMAS = os.path.join(ROOT, "migrations", "gup-vmas")

pytestmark = pytest.mark.skipif(
    not os.path.isfile(os.path.join(VMAS, "migration.ini")),
    reason="migrations/gup-vmas/migration.ini is not in this checkout: the vmas "
           "branch brings it")


@pytest.fixture(scope="module")
def vmas():
    return migration.load("gup-vmas")


@pytest.fixture(scope="module")
def run(linux_source_61, tmp_path_factory):
    """One `series --migration gup-vmas` on a clone of 6.1: (tree, out, reports, done)."""
    work = tmp_path_factory.mktemp("gup-vmas")
    tree = work / "linux-6.1"
    subprocess.run(["git", "clone", "-q", "--shared", str(linux_source_61), str(tree)],
                   check=True)
    done = gup_unify("series", str(tree), "--migration", "gup-vmas",
                     "--output", str(work / "series"), "--reports", str(work / "reports"),
                     "--identity", "CI Runner <ci@example.org>", scratch=work / "s")
    return tree, work / "series", work / "reports" / tree.name, done


def test_the_series_job_converts_and_writes_series(run):
    tree, out, reports, done = run
    assert done.returncode == 0, done.stderr[-3000:]
    commits = git(tree, "rev-list", "master..gup-unify").split()
    assert commits
    parts = [d for d in os.listdir(out) if os.path.isdir(out / d) and d != "atomic"]
    assert parts
    for part in parts:
        assert any(f.endswith(".patch") for f in os.listdir(out / part)), part


def test_no_call_the_migration_converts_is_left(run, vmas):
    tree = run[0]
    for rule in vmas.rules:
        files = git(tree, "grep", "-l", "-w", "-e", rule.old, "gup-unify", "--", "*.c",
                    "*.h").split()
        for entry in files:
            path = entry.split(":", 1)[1]
            text = git(tree, "show", "gup-unify:" + path)
            for site in sites.scan(path, text, rule.names):
                if site.kind != "call" or site.name != rule.old or \
                        len(site.args) != rule.arity:
                    continue
                idiom, replacement = vmas.hooks.CLASSIFY[rule.classifier](
                    site.args[rule.argument])
                assert replacement is None or idiom in vmas.value(
                    "idioms", "spatch", "").split(), (site.key(), idiom)


def test_every_site_left_says_why(run):
    reports = run[2]
    data = json.loads((reports / "conversion.json").read_text())
    left = [s for s in data["sites"] if s["outcome"] == "manual"]
    assert all(s["reason"] for s in left), [s for s in left if not s["reason"]]
    converted = [s for s in data["sites"] if s["outcome"] == "converted"]
    assert converted


def test_a_second_run_on_the_branch_changes_nothing(run, tmp_path):
    tree = run[0]
    git(tree, "checkout", "-q", "gup-unify")
    try:
        again = gup_unify("spatch", str(tree), "--migration", "gup-vmas", "--branch", "again",
                          "--reports", str(tmp_path / "rep"),
                          "--identity", "CI Runner <ci@example.org>", scratch=tmp_path / "s")
    finally:
        git(tree, "checkout", "-q", "master")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "nothing to do" in again.stderr
    # The calls the first run converted are not listed as left for a human.
    assert "manual" not in again.stdout, again.stdout
    assert git(tree, "branch", "--list", "again") == ""


def test_the_guard_finds_the_old_calls_on_the_base_and_only_what_was_left_after(run):
    tree, _, reports, _ = run
    data = json.loads((reports / "conversion.json").read_text())
    left_files = {s["file"] for s in data["sites"] if s["outcome"] == "manual"}
    base = gup_unify("cicheck", str(tree), "--migration", "gup-vmas", scratch=tree.parent / "c")
    assert base.returncode == 1, base.stderr
    git(tree, "checkout", "-q", "gup-unify")
    try:
        after = gup_unify("cicheck", str(tree), "--migration", "gup-vmas",
                          scratch=tree.parent / "c")
    finally:
        git(tree, "checkout", "-q", "master")
    assert after.returncode in (0, 1), after.stderr
    found = {line.split(":", 1)[0] for line in after.stdout.splitlines()}
    assert found <= left_files, found - left_files


def test_each_call_at_the_base_is_recorded_as_what_the_run_did_to_it(run, vmas):
    """The four rules are one semantic patch: a file's calls of all four change in one
    spatch run, and each is recorded by its own rule as converted or left, never as
    "already in the new form" (every one had its vmas argument at the base)."""
    tree, _, reports, _ = run
    at_base = set()
    for rule in vmas.rules:
        for path in git(tree, "grep", "-l", "-w", "-e", rule.old, "master", "--", "*.c",
                        "*.h").split():
            path = path.split(":", 1)[1]
            if path in vmas.core_files:
                continue
            text = git(tree, "show", "master:" + path)
            at_base |= {(s.path, s.line) for s in sites.scan(path, text, (rule.old,))
                        if s.kind == "call" and len(s.args) == rule.arity}
    data = json.loads((reports / "conversion.json").read_text())
    recorded = {(s["file"], s["line"]): s["outcome"] for s in data["sites"]}
    assert at_base
    outcomes = {site: recorded.get(site, "not recorded") for site in at_base}
    assert set(outcomes.values()) <= {"converted", "manual"}, \
        {site: outcome for site, outcome in outcomes.items()
         if outcome not in ("converted", "manual")}


def test_a_group_gets_one_commit(run):
    """One step, one commit per MAINTAINERS group: two commits of one group would reach
    its maintainer with the same subject."""
    tree = run[0]
    subjects = git(tree, "log", "--format=%s", "master..gup-unify").splitlines()
    callers = [s for s in subjects if "drop the vmas argument" in s]
    assert callers
    assert len(callers) == len(set(callers)), sorted(callers)
