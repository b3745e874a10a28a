"""A migration is a folder of data: the pipeline runs whichever one --migration names.

tests/migration/toy/ is a migration of a function no kernel has (frob()
loses its NULL third argument): run through a copy of the tool, it proves
that the conversion, the commits and the guard come from the folder.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import types

import pytest

from conftest import ROOT, git, gup_unify, make_tree
from gupunify.common import migration, util
from gupunify.convert import callercommits
from gupunify.series import rerun, serieswriter

TOY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migration", "toy")
PACKAGE = os.path.join(ROOT, "scripts", "gupunify")

# What may still name an API in the pipeline's code, and why. The list only
# shrinks: a module leaves it when its texts move into the migration folder.
ALLOWED = {
    "boottest/bootreport.py": "gup-flags' boot cases, not yet in its folder",
    "boottest/guests.py": "which fast walk each arch runs in v5.0/v5.1 (boot cases)",
    "boottest/initramfs.py": "the gup_test cases of the boot test",
    "common/kbuild.py": "comments on arch builds of v5.0/v5.1 (generic build knowledge)",
    # A module directory is converted only by a migration with [module]: gup-flags.
    "convert/moddir.py": "module mode's docstrings: the write argument, the compat step",
    "convert/compat.py": "gup-flags' compat step for modules, not yet in its folder",
    "convert/compattext.py": "gup-flags' compat header and its Kbuild probe",
    "buildcheck/modulereport.py": "the sides of gup-flags' compat probe, by name",
}
API = re.compile(r"\b(get_user_pages_fast|get_user_pages_longterm|__get_user_pages_fast|"
                 r"get_user_pages_fast_only|FOLL_[A-Z]+)\b")


def naming_files():
    found = {}
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path) as f:
                    hits = API.findall(f.read())
                if hits:
                    found[os.path.relpath(path, PACKAGE)] = sorted(set(hits))
    return found


def test_the_pipeline_names_no_api_outside_the_documented_list():
    found = naming_files()
    assert set(found) <= set(ALLOWED), {k: v for k, v in found.items() if k not in ALLOWED}
    # An entry whose module no longer names an API is stale: take it out.
    assert set(ALLOWED) <= set(found), set(ALLOWED) - set(found)


def test_gup_flags_is_the_default_and_reads_its_folder():
    mig = migration.load(migration.DEFAULT)
    assert mig.name == "gup-flags"
    assert [r.old for r in mig.rules] == ["get_user_pages_longterm", "get_user_pages_fast",
                                         "__get_user_pages_fast"]
    assert os.path.isfile(mig.rule("get_user_pages_fast").cocci)
    assert mig.bases == {"5.0": "v5.0", "5.1": "v5.1"}
    assert mig.hooks.CLASSIFY["write"]("w")[1] == "w ? FOLL_WRITE : 0"


def test_an_unknown_migration_is_one_line_and_status_2(tmp_path):
    done = gup_unify("spatch", str(tmp_path), "--migration", "gup-nope", scratch=tmp_path / "s")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "gup-unify: error: no migration 'gup-nope': known: %s (a folder of %s with a "
        "migration.ini)" % (", ".join(migration.available()),
                             os.path.join(ROOT, "migrations"))]


@pytest.mark.parametrize("name", ["../gup-flags", "/etc", "", "Gup-Flags"])
def test_a_migration_name_is_a_folder_of_migrations_never_a_path(name):
    with pytest.raises(util.UserError, match="no migration"):
        migration.load(name)


def test_a_folder_missing_a_key_names_the_key_and_section(tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(TOY, folder)
    ini = folder / "migration.ini"
    ini.write_text(ini.read_text().replace("arity = 3\n", ""))
    with pytest.raises(util.UserError) as e:
        migration.Migration("broken", str(folder))
    assert str(e.value) == "migration broken: migration.ini has no arity in [rule:frob]"


@pytest.mark.parametrize("text", ["[migration\ntitle = x\n", "\xff\xfe"])
def test_an_unreadable_ini_is_one_line(tmp_path, text):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "migration.ini").write_bytes(text.encode("latin-1"))
    with pytest.raises(util.UserError) as e:
        migration.Migration("bad", str(folder))
    assert str(e.value).startswith("migration bad: migration.ini cannot be read: ")
    assert "\n" not in str(e.value)


def toy_tool(where):
    """A copy of gup-unify with the toy migration in its migrations/."""
    tool = where / "tool"
    for name in ("scripts", "cocci", "migrations"):
        shutil.copytree(os.path.join(ROOT, name), tool / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(TOY, tool / "migrations" / "toy")
    (tool / "reports").mkdir()
    return tool


FROB = """\
#include <linux/mm.h>

int frob(int a, int b, void *cookie);

static void *live;

int toy_use(int a)
{
	int n = frob(a, 1, NULL);

	n += frob(a,
		  2, NULL);
	n += frob(a, 4, &live);
	return n + frob(a, 3, live);
}
"""


def test_a_migration_of_its_own_converts_commits_and_guards(tmp_path, need_spatch):
    tool = toy_tool(tmp_path)
    tree = make_tree(tmp_path / "linux")
    (tree / "drivers" / "toy").mkdir(parents=True)
    (tree / "drivers" / "toy" / "frob.c").write_text(FROB)
    (tree / "mm" / "frob.c").write_text("int frob_all(int a)\n{\n\treturn frob(a, 1, NULL);\n}\n")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "toy driver")
    cli = str(tool / "scripts" / "gup-unify")
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "s"))
    run = lambda *args: subprocess.run([sys.executable, cli] + list(args), capture_output=True,
                                       text=True, env=env)
    done = run("spatch", str(tree), "--migration", "toy", "--reports", str(tmp_path / "rep"))
    assert done.returncode == 0, done.stderr
    assert "mention it; running frob.cocci" in done.stderr
    converted = git(tree, "show", "gup-unify:drivers/toy/frob.c")
    assert "frob(a, 1);" in converted and "frob(a,\n\t\t  2);" in converted
    assert "frob(a, 3, live)" in converted
    # What only the semantic patch can judge stands as it wrote it.
    assert "frob_ref(a, 4, live);" in converted
    # A file of the core series (core_files) is its own to convert.
    assert "frob(a, 1, NULL)" in git(tree, "show", "gup-unify:mm/frob.c")
    # The prototype is the core series' to change, not the callers'.
    assert "int frob(int a, int b, void *cookie);" in converted
    log = git(tree, "log", "--format=%s%n%b", "master..gup-unify")
    assert ": call frob() without a cookie" in log
    assert "frob() no longer takes a cookie; every caller passed NULL." in log
    report = next((tmp_path / "rep").glob("*/conversion.json"))
    sites = [(s["line"], s["outcome"], s["by"], s["idiom"])
             for s in json.loads(report.read_text())["sites"] if s["kind"] == "call"]
    assert sorted(sites) == [(9, "converted", "spatch", "null"),
                             (11, "converted", "spatch", "null"),
                             (13, "converted", "spatch", "address"),
                             (14, "manual", None, "cookie_used")]
    text = report.with_suffix(".md").read_text()
    assert "the cookie is a live value here: convert by hand" in text
    # The guard reads the same folder: the call left is its one finding.
    git(tree, "checkout", "-q", "gup-unify")
    guard = run("cicheck", str(tree), "--migration", "toy")
    assert guard.returncode == 1, guard.stderr
    assert guard.stdout.splitlines() == [
        "drivers/toy/frob.c:14:13: warning: frob() takes no cookie any more: `live` "
        "[gup-unify/frob-cookie]",
        # The toy has no core series: the core file's call is still there.
        "mm/frob.c:3:9: warning: frob() takes no cookie any more: `NULL` "
        "[gup-unify/frob-cookie]"]
    # A second run on the converted branch has nothing left to do.
    again = run("spatch", str(tree), "--migration", "toy", "--branch", "again",
                "--reports", str(tmp_path / "rep2"))
    assert again.returncode == 0, again.stderr
    assert "nothing to do: no call of the old API to convert" in again.stderr
    assert git(tree, "branch", "--list", "again") == ""


def test_fast_only_needs_a_second_phase(tmp_path):
    tool = toy_tool(tmp_path)
    tree = make_tree(tmp_path / "linux")
    done = subprocess.run([sys.executable, str(tool / "scripts" / "gup-unify"), "spatch",
                           str(tree), "--migration", "toy", "--fast-only"],
                          capture_output=True, text=True,
                          env=dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "s")))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "gup-unify: error: --fast-only: migration toy has one caller phase only"]


def test_a_commit_whose_rule_converted_none_of_its_own_calls_names_its_files():
    """One semantic patch may convert several rules' calls in a file: the first rule's
    commit then holds calls of the others, and says which files it changes."""
    group = types.SimpleNamespace(files=["d/x.c"], prefix="x")
    other = types.SimpleNamespace(api="__get_user_pages_fast", outcome="converted",
                                  file="d/x.c")
    _, body = callercommits._caller_message("get_user_pages_fast", group, [other],
                                            paths=["d/x.c"])
    assert "This converts the calls in d/x.c." in body


def test_a_series_run_of_another_migration_is_not_up_to_date(monkeypatch):
    """rerun's fingerprint: the same branch and options under another migration are
    another run, not one whose output can be kept."""
    before = rerun.fingerprint("/r", "b" * 40, "t" * 40, "/o", {"shape": "maintainers"})
    monkeypatch.setattr(migration, "_current", migration.Migration("toy", TOY))
    after = rerun.fingerprint("/r", "b" * 40, "t" * 40, "/o", {"shape": "maintainers"})
    assert before != after


def test_a_core_title_may_name_what_is_provided_in_several_words(tmp_path, monkeypatch):
    folder = tmp_path / "toy"
    shutil.copytree(TOY, folder)
    with open(folder / "migration.ini", "a") as ini:
        ini.write("\n[series:core_titles]\nprovides calls without a cookie = let frob() "
                  "callers leave the cookie out\nremoves frob = remove the cookie\n")
    monkeypatch.setattr(migration, "_current", migration.Migration("toy", str(folder)))
    assert serieswriter.core_titles() == [
        ("provides", "calls without a cookie", "let frob() callers leave the cookie out"),
        ("removes", "frob", "remove the cookie")]


def test_a_step_spatch_has_no_file_for_says_once_what_it_runs_on(tmp_path, need_spatch):
    """The toy step's one caller has mixed line ends: no spatch run, one line saying so."""
    tool = toy_tool(tmp_path)
    tree = make_tree(tmp_path / "linux")
    (tree / "drivers" / "toy").mkdir(parents=True)
    (tree / "drivers" / "toy" / "frob.c").write_bytes(
        FROB.encode().replace(b"\n", b"\r\n", 3))
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "toy driver, mixed line ends")
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "s"))
    done = subprocess.run([sys.executable, str(tool / "scripts" / "gup-unify"), "spatch",
                           str(tree), "--migration", "toy", "--reports", str(tmp_path / "rep")],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("mention it; running frob.cocci") == 1, done.stderr
    assert "frob.cocci: " not in done.stderr.replace("running frob.cocci", "")
