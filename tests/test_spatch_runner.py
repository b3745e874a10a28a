"""The spatch runner: one run over all files, a failing file isolated, Ctrl-C ends it cleanly."""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

from conftest import CLI, GUP_FLAGS, git
from gupunify.common import spatch

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cocci")
GOOD = ["fast_literal_true", "fast_variable", "fast_compare"]


def slow_source(functions=9000):
    """A file spatch needs many seconds for, with one call to convert at the end."""
    parts = ["#include <linux/mm.h>\n"]
    for i in range(functions):
        parts.append("static int f%d(int a, int b)\n{\n\tif (a > b && b < %d)\n"
                     "\t\treturn a * b + %d;\n\treturn a - b;\n}\n\n" % (i, i, i))
    parts.append("int slow_pin(unsigned long s, struct page **p, int w)\n{\n"
                 "\treturn get_user_pages_fast(s, 1, w, p);\n}\n")
    return "".join(parts)


def read(path):
    with open(path) as f:
        return f.read()


def test_file_that_times_out_is_isolated(tmp_path, monkeypatch, need_spatch):
    """A file spatch times out on keeps its text and a failure; the others are converted."""
    for case in GOOD:
        shutil.copy(os.path.join(FIXTURES, case + ".c"), tmp_path / (case + ".c"))
    (tmp_path / "slow.c").write_text(slow_source())
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv(spatch.TIMEOUT_ENV, "1")
    files = [GOOD[0] + ".c", "slow.c"] + [c + ".c" for c in GOOD[1:]]
    results = spatch.apply(os.path.join(GUP_FLAGS, "cocci", "gup_fast_flags.cocci"), str(tmp_path), files, str(work), jobs=2)
    assert sorted(results) == sorted(files)
    rc, _, err = results["slow.c"]
    assert rc != 0 and "Timeout" in err, err
    assert (tmp_path / "slow.c").read_text() == slow_source()
    for case in GOOD:
        assert results[case + ".c"][0] == 0
        assert read(tmp_path / (case + ".c")) == read(os.path.join(FIXTURES, case + ".res"))


def test_timed_out_file_is_not_run_again_and_reported(tree, tmp_path, need_spatch):
    """make spatch: the slow file is not run again (it would hold up the run a second
    time), it is converted by the fallback and reported; every other file is still
    converted by spatch."""
    (tree / "drivers" / "slow.c").write_text(slow_source())
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "a slow file")
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "scratch"))
    env[spatch.TIMEOUT_ENV] = "1"
    reports = tmp_path / "reports"
    proc = subprocess.run([sys.executable, CLI, "spatch", str(tree), "--reports",
                           str(reports)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert ("gup_fast_flags.cocci: drivers/slow.c: Coccinelle_modules.Common.Timeout after "
            "1 s: not run again") in proc.stderr
    assert "running it alone" not in proc.stderr
    with open(reports / "linux" / "conversion.json") as f:
        sites = json.load(f)["sites"]
    slow = [s for s in sites if s["file"] == "drivers/slow.c"]
    assert len(slow) == 1
    assert slow[0]["outcome"] == "converted" and slow[0]["by"] == "fallback"
    assert slow[0]["after"] == "w ? FOLL_WRITE : 0"
    assert slow[0]["reason"].startswith("spatch failed on this file (EXN: Coccinelle_modules."
                                        "Common.Timeout after 1 s (the budget per file, "
                                        "GUP_UNIFY_SPATCH_TIMEOUT))")
    # Every other call spatch rewrote in the plain run is still spatch's.
    others = [s for s in sites if s["file"] != "drivers/slow.c" and s["by"] == "spatch"]
    assert {s["file"] for s in others} >= {"drivers/infiniband/hw/toy/umem.c",
                                           "drivers/media/toy/dma-sg.c", "net/toy/rdma.c"}
    assert "w ? FOLL_WRITE : 0" in git(tree, "show", "gup-unify:drivers/slow.c")


def _ours(scratch):
    """Live processes working in scratch (their cwd or command line is under it)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cwd = os.readlink("/proc/%s/cwd" % pid)
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cwd.startswith(scratch) or scratch in cmdline:
            found.append("%s %s" % (pid, cmdline))
    return found


def _spatch_running(scratch):
    return any(" --sp-file " in p for p in _ours(scratch))


def test_ctrl_c_in_spatch_stage_ends_the_run(tree, tmp_path, need_spatch):
    """Ctrl-C while spatch runs: exit 130 within 2 s, no traceback, no process left,
    no branch; ten times, at varying points of either conversion."""
    rng = random.Random(12)
    scratch = str(tmp_path / "scratch")
    for attempt in range(10):
        proc = subprocess.Popen([sys.executable, CLI, "spatch", str(tree), "--reports",
                                 str(tmp_path / "reports")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, GUP_UNIFY_SCRATCH=scratch),
                                start_new_session=True)
        deadline = time.monotonic() + 120
        while not _spatch_running(scratch):
            assert proc.poll() is None and time.monotonic() < deadline, \
                "attempt %d: the run never reached spatch" % attempt
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.3))
        # What the terminal does: SIGINT to the foreground process group.
        sent = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=10)
        finally:
            proc.kill()
        took = time.monotonic() - sent
        assert proc.returncode == 130, (attempt, err)
        assert took < 2, "attempt %d: %.1f s to exit" % (attempt, took)
        assert "Traceback" not in err, err
        assert err.rstrip().endswith("gup-unify: interrupted; nothing was kept"), err
        left = _ours(scratch)
        for _ in range(20):
            if not left:
                break
            time.sleep(0.05)
            left = _ours(scratch)
        assert not left, "attempt %d: left running: %s" % (attempt, left)
        assert git(tree, "branch", "--format=%(refname:short)").split() == ["master"]


def test_hints_file_is_never_seen_half_written(tmp_path):
    """advise runs spatch --parse-c in threads, each writing the hints file before its
    run: a reader must see the whole file, never a truncated one (svm.c on v5.0 gave
    18 unparsed lines instead of 29 under load)."""
    path = spatch.builtins_file(str(tmp_path))
    with open(path) as f:
        whole = f.read()
    stop = threading.Event()

    def rewrite():
        while not stop.is_set():
            spatch.builtins_file(str(tmp_path))

    writer = threading.Thread(target=rewrite)
    writer.start()
    seen = set()
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            with open(path) as f:
                seen.add(f.read())
    finally:
        stop.set()
        writer.join()
    assert seen == {whole}


def _by_whom(tree, tmp_path, name):
    """{(file, line): by} of make spatch on tree, with its own scratch and reports."""
    reports = tmp_path / ("reports-" + name)
    proc = subprocess.run([sys.executable, CLI, "spatch", str(tree), "--reports",
                           str(reports), "--branch", "gup-unify-" + name],
                          capture_output=True, text=True,
                          env=dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / name)))
    assert proc.returncode == 0, proc.stderr
    assert "running each file alone" not in proc.stderr
    with open(reports / "linux" / "conversion.json") as f:
        return {(s["file"], s["line"]): s["by"] for s in json.load(f)["sites"]}


def test_the_trees_own_cocciconfig_does_not_reach_our_spatch_runs(tree, tmp_path, need_spatch):
    """A kernel tree's .cocciconfig asks for --use-gitgrep, which with --file-groups runs
    git grep per group (49 files of v5.0: 100 s instead of 3.4 s); ours are the options
    spatch gets. An option spatch refuses there would fail every file."""
    plain = _by_whom(tree, tmp_path, "plain")
    (tree / ".cocciconfig").write_text("[spatch]\n\toptions = --use-gitgrep\n"
                                       "\toptions = --no-such-option\n")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "the tree's coccinelle options")
    assert _by_whom(tree, tmp_path, "configured") == plain
    assert list(plain.values()).count("spatch") >= 5
