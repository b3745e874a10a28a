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
    (scratch / "bench").mkdir(parents=True)
    # the session's extraction stands for bench-quick's own (it reads, never writes, it)
    os.symlink(linux_source_61, scratch / "bench" / "linux-source-6.1")
    done = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "bench-quick")],
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, GUP_UNIFY_SCRATCH=str(scratch)))
    assert done.returncode == 0, done.stderr[-2000:]
    figure = r"\s+\d+\.\d\d\s+\d+\.\d\d\s"
    for row in ("MAINTAINERS grouping", "cicheck, whole tree", "sample: spatch \\+ series"):
        assert re.search(r"^%s .*%s" % (row, figure), done.stdout, re.M), done.stdout
    assert re.search(r"^cicheck / git grep -lw of the same names: \d+\.\d \(", done.stdout,
                     re.M), done.stdout
    assert "Traceback" not in done.stderr
    assert subprocess.run(["git", "-C", str(linux_source_61), "status", "--porcelain"],
                          capture_output=True, text=True).stdout == ""
