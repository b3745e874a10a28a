"""make spatch on a real legacy tree named by GUP_KERNEL_TREE (DESIGN.md 6)."""
import json
import os
import subprocess

import pytest

from gupunify import sites

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TREE = os.environ.get("GUP_KERNEL_TREE")

pytestmark = pytest.mark.skipif(
    not TREE, reason="GUP_KERNEL_TREE is not set: no legacy kernel tree (v5.0 or v5.1.15 "
                     "git checkout, DESIGN.md 6) to convert")

FLAG_IDIOMS = {"zero", "flag_form", "foll_write_as_write"}


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo)] + list(args), check=True,
                          capture_output=True, text=True).stdout


def test_converts_every_caller(tmp_path):
    clone = tmp_path / "tree"
    git(tmp_path, "clone", "-q", "--shared", os.path.abspath(TREE), str(clone))
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "s"))
    out = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "gup-unify"),
                          "spatch", str(clone), "--reports", str(tmp_path / "rep")],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    run = json.loads((tmp_path / "rep" / "tree" / "conversion.json").read_text())
    assert not [r for r in run["sites"] if r.get("disagreement")]
    # Where the fast callers are converted (before later core patches may
    # pass flag variables), no longterm call is left and every fast call
    # passes a gup_flags value.
    callers = git(clone, "log", "--format=%H", "-1", "--grep",
                  "^treewide: pass gup_flags", "gup-unify").strip()
    assert callers
    for path in git(clone, "grep", "-l", "-w", "-e", sites.FAST, "-e", sites.LONGTERM,
                    callers, "--", "*.c", "*.h", ":!tools").split():
        path = path.split(":", 1)[1]
        text = git(clone, "show", "%s:%s" % (callers, path))
        for site in sites.scan(path, text):
            if site.kind != "call":
                continue
            assert site.name != sites.LONGTERM, site.key()
            idiom, _ = sites.classify_write(site.args[2])
            assert idiom in FLAG_IDIOMS, (site.key(), site.args[2])
    # The CI guard saw, before the conversion, exactly the calls it converted,
    # and sees nothing left once the series is in.
    converted = sum(1 for r in run["sites"] if r["outcome"] == "converted")
    guard = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "gup-unify"),
                            "cicheck", str(clone), "--format", "json"],
                           capture_output=True, text=True)
    found = json.loads(guard.stdout)["findings"]
    assert converted == sum(1 for f in found if f["rule"] in ("old-write-arg", "longterm-call"))
    # Running again on the converted branch finds nothing to do.
    git(clone, "checkout", "-q", "gup-unify")
    guard = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "gup-unify"),
                            "cicheck", str(clone)], capture_output=True, text=True)
    assert guard.returncode == 0, guard.stdout
    again = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "gup-unify"),
                            "spatch", str(clone), "--branch", "again",
                            "--reports", str(tmp_path / "rep2")],
                           capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stderr
