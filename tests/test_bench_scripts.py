"""make bench-quick end to end: it runs, and prints every figure it promises.

The figures themselves are not judged here (they belong to make bench-quick,
not to a test); a break in the script is: a shadowed import stopped it
with UnboundLocalError once, and no test ran it.
"""
import os
import re
import subprocess

from conftest import ROOT


def test_bench_quick_runs_on_linux_source_and_prints_each_figure(tmp_path, linux_source_61,
                                                                 need_spatch):
    scratch = tmp_path / "scratch"
    tree = scratch / "bench" / "linux-source-6.1"
    tree.mkdir(parents=True)
    # What bench-quick extracts for itself, a plain folder of the C files, MAINTAINERS
    # and Makefile, taken from the session's import (faster than the tarball).
    archive = subprocess.run(["git", "-C", str(linux_source_61), "archive", "HEAD", "--",
                              "MAINTAINERS", "Makefile", "*.[ch]", ":!tools",
                              ":!Documentation", ":!scripts"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    # A fresh machine: no git identity anywhere.
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(scratch), HOME=str(tmp_path),
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                 "GIT_COMMITTER_EMAIL", "EMAIL"):
        env.pop(name, None)
    done = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "bench-quick")],
                          capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    figure = r"\s+\d+\.\d\d\s+\d+\.\d\d\s"
    for row in ("MAINTAINERS grouping", "cicheck, whole tree", "sample: spatch \\+ series"):
        assert re.search(r"^%s .*%s" % (row, figure), done.stdout, re.M), done.stdout
    assert re.search(r"^cicheck / git grep -lw of the same names: \d+\.\d \(", done.stdout,
                     re.M), done.stdout
    assert "Traceback" not in done.stderr
    assert subprocess.run(["git", "-C", str(linux_source_61), "status", "--porcelain"],
                          capture_output=True, text=True).stdout == ""
