"""Ctrl-C and SIGTERM stop every job within seconds, in the phase where it waits longest.

Each run starts in a session of its own (test_hostile_interrupt.Run); the
programs a phase waits on are stand-ins first in PATH, so no kernel is
built: a make that configures at once and then "builds" for five minutes,
a spatch that forks two workers which never finish, a QEMU that never
boots. A stop is sent the ways it comes:

    group-ignored  SIGINT to the whole process group, as a terminal's Ctrl-C,
                   to a run started with SIGINT ignored (a script's &): git
                   and ccache die of it all the same
    alone          SIGINT to the gup-unify process alone (kill -INT PID)
    sigterm        SIGTERM to the gup-unify process alone (kill PID, a CI
                   job's timeout)
    sigterm-group  SIGTERM to the whole group (kill -TERM -PGID)

Every case must end within STOPPED seconds (the stand-ins would take five
minutes) with 130 or 143, say in its last line what was kept, leave no
process, no partial file, no report; the rerun must work.
"""
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import CLI, git, gup_unify, make_tree
from test_hostile_interrupt import Run, last_line, ours, worktrees

# A hang detector with room for a loaded host; the stand-ins take 300 s.
STOPPED = 15

STOPS = {
    "group-ignored": (signal.SIGINT, True, signal.SIG_IGN),
    "alone": (signal.SIGINT, False, signal.SIG_DFL),
    "sigterm": (signal.SIGTERM, False, signal.SIG_DFL),
    "sigterm-group": (signal.SIGTERM, True, signal.SIG_DFL),
}

SAID = {signal.SIGINT: "gup-unify: interrupted; ", signal.SIGTERM: "gup-unify: stopped by SIGTERM; "}

# make as kbuild is run: -C src O=dir ARCH=... targets. Config targets write
# a .config, prepare is done at once, anything else is a build: in slow mode
# it prints its kbuild line and waits five minutes; like a make whose ccache
# catches SIGINT and SIGTERM, it then ends with status 2, not by the signal.
FAKE_MAKE = r'''#!/usr/bin/python3
import os, signal, sys, time
def failed(signum, frame):
    print("make: *** [Makefile:1: all] Error 2", flush=True)
    sys.exit(2)
for signum in (signal.SIGINT, signal.SIGTERM):
    signal.signal(signum, failed)
args, obj, targets = sys.argv[1:], ".", []
while args:
    a = args.pop(0)
    if a == "-C":
        args.pop(0)
    elif a.startswith("O="):
        obj = a[2:]
    elif not a.startswith("-") and "=" not in a:
        targets.append(a)
for t in targets:
    if t.endswith("config"):
        os.makedirs(obj, exist_ok=True)
        open(os.path.join(obj, ".config"), "a").close()
    elif t != "prepare":
        print("  CC      " + t, flush=True)
        if os.environ.get("FAKE_BUILD") != "quick":
            with open(os.environ["FAKE_BUILD_STARTED"], "a") as f:
                f.write("%d\n" % os.getpid())
            time.sleep(300)
        elif t.endswith(".o"):
            os.makedirs(os.path.dirname(os.path.join(obj, t)), exist_ok=True)
            open(os.path.join(obj, t), "w").close()
'''

# scripts/kconfig/merge_config.sh -m -O DIR BASE FRAGMENT...: the fragments after BASE.
FAKE_MERGE_CONFIG = '''#!/bin/sh
shift 2; dir=$1; shift
cat "$@" > "$dir/.config.merged" && mv "$dir/.config.merged" "$dir/.config"
'''

# spatch -j: two workers of its own that never finish.
FAKE_SPATCH = '''#!/bin/sh
echo $$ >> "$FAKE_SPATCH_STARTED"
sleep 300 & sleep 300
'''

FAKE_QEMU = '''#!/bin/sh
exec sleep 300
'''


def script(path, text):
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def fakes(tmp_path):
    """A bin folder of stand-ins, and the environment that puts it first in PATH."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    script(bin_dir / "make", FAKE_MAKE)
    script(bin_dir / "qemu-system-arm", FAKE_QEMU)
    env = {"PATH": "%s:%s" % (bin_dir, os.environ["PATH"]),
           "FAKE_BUILD_STARTED": str(tmp_path / "builds")}
    return bin_dir, env


@pytest.fixture
def kernel(tmp_path):
    """The sample tree with kbuild's config tools (faked) and a branch of two .c changes."""
    tree = make_tree(tmp_path / "linux")
    kconfig = tree / "scripts" / "kconfig"
    kconfig.mkdir(parents=True)
    script(kconfig / "merge_config.sh", FAKE_MERGE_CONFIG)
    (kconfig / "Makefile").write_text("")
    for arch in ("arm", "x86"):
        (tree / "arch" / arch).mkdir(parents=True, exist_ok=True)
        (tree / "arch" / arch / "Kconfig").write_text("")
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "kconfig tools")
    git(tree, "checkout", "-q", "-b", "gup-unify")
    for path, subject in (("mm/gup.c", "mm/gup: a comment"),
                          ("lib/iov_iter.c", "lib: a comment")):
        with open(tree / path, "a") as f:
            f.write("\n/* %s */\n" % subject)
        git(tree, "commit", "-qam", subject)
    git(tree, "checkout", "-q", "master")
    return tree


class Stoppable(Run):
    """A Run started with SIGINT as the case has it, stopped the case's way."""

    def __init__(self, *args, scratch, how, env=None):
        self.signum, self.group, start_with = STOPS[how]
        full = dict(os.environ, GUP_UNIFY_SCRATCH=str(scratch))
        full.pop("GUP_UNIFY_PAUSE_AT", None)
        full.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, CLI] + list(args), env=full, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, start_with))
        self.err = b""

    def stop(self):
        """Send the stop; (exit status, stderr, seconds until the run ended)."""
        sent = time.monotonic()
        if self.group:
            os.killpg(self.proc.pid, self.signum)
        else:
            self.proc.send_signal(self.signum)
        try:
            _, rest = self.proc.communicate(timeout=STOPPED)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.communicate()
            pytest.fail("still running %d s after the stop: %r" % (STOPPED, self.err))
        self.err += rest
        return self.proc.returncode, self.err.decode(), time.monotonic() - sent


def wait_for_file(path):
    deadline = time.monotonic() + 120
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, "%s never written" % path
        time.sleep(0.05)


def stray_files(*folders):
    """Partial, aside and temporary files under folders (none may stay)."""
    found = []
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames + filenames:
                if ".partial." in name or ".tmp." in name or ".old." in name \
                        or name.startswith(("advise-", "gup-unify-dry-run-")):
                    found.append(os.path.join(dirpath, name))
    return found


def assert_stopped(run, rc, err, kept="nothing was kept"):
    assert rc == 128 + run.signum, err
    assert last_line(err) == SAID[run.signum] + kept, err
    assert "Traceback" not in err and "gup-unify: error" not in err, err
    # A killed orphan may stay a zombie: nobody reaps it here.
    assert [p for p in run.leftovers() if not p.endswith("<defunct>")] == []


# -------------------------------------------------------------- make check

@pytest.mark.parametrize("how", sorted(STOPS))
def test_check_stops_in_the_build_phase(kernel, fakes, tmp_path, how):
    _, env = fakes
    scratch, rep = tmp_path / "s", tmp_path / "rep"
    args = ["check", str(kernel), "--arches", "x86_64,arm64", "--reports", str(rep)]
    run = Stoppable(*args, scratch=scratch, how=how, env=env)
    # Both arches' baselines build side by side, in threads.
    run.wait_for("arm64: baseline, 1 objects\n")
    run.wait_for("x86_64: baseline, 2 objects\n")
    wait_for_file(tmp_path / "builds")
    while len((tmp_path / "builds").read_text().split()) < 2:
        time.sleep(0.05)
    rc, err, _ = run.stop()
    assert_stopped(run, rc, err)
    assert not rep.exists()
    assert stray_files(scratch, tmp_path / "linux") == []
    assert git(kernel, "status", "--porcelain") == ""

    again = gup_unify(*args, scratch=scratch, env=dict(env, FAKE_BUILD="quick"))
    assert again.returncode == 0, again.stderr
    assert "waiting" not in again.stderr
    assert (rep / "linux" / "buildcheck.md").exists()


# ----------------------------------------------------------- make boottest

# (SIGINT to gup-unify alone already ended its one make: not a case here.)
@pytest.mark.parametrize("how", ["group-ignored", "sigterm", "sigterm-group"])
def test_boottest_stops_in_the_kernel_build(kernel, fakes, tmp_path, how):
    _, env = fakes
    scratch, rep = tmp_path / "s", tmp_path / "rep"
    args = ["boottest", str(kernel), "--arch", "arm", "--boots", "1", "--reports", str(rep)]
    run = Stoppable(*args, scratch=scratch, how=how, env=env)
    run.wait_for("arm base: building ")
    wait_for_file(tmp_path / "builds")
    rc, err, _ = run.stop()
    assert_stopped(run, rc, err)
    assert "kernel build failed" not in err
    assert not rep.exists()
    assert stray_files(scratch) == []

    # The rerun is not refused (lock, build folder) and gets as far again.
    (tmp_path / "builds").unlink()
    again = Stoppable(*args, scratch=scratch, how=how, env=env)
    again.wait_for("arm base: building ")
    wait_for_file(tmp_path / "builds")
    rc, err, _ = again.stop()
    assert_stopped(again, rc, err)


# ------------------------------------------------------------ spatch, advise

@pytest.mark.parametrize("how", ["group-ignored", "sigterm"])
def test_spatch_stops_in_the_spatch_phase(tree, fakes, tmp_path, how):
    bin_dir, env = fakes
    script(bin_dir / "spatch", FAKE_SPATCH)
    env["FAKE_SPATCH_STARTED"] = str(tmp_path / "spatch")
    scratch, rep = tmp_path / "s", tmp_path / "rep"
    run = Stoppable("spatch", str(tree), "--reports", str(rep), scratch=scratch, how=how,
                    env=env)
    run.wait_for("files, -j ")
    wait_for_file(tmp_path / "spatch")
    rc, err, _ = run.stop()
    assert_stopped(run, rc, err)
    assert git(tree, "branch", "--list") == "* master\n"
    assert worktrees(tree) == [str(tree)] and ours(scratch) == []
    assert not rep.exists()
    assert stray_files(scratch) == []


LOCKED_CALL = """int pin(struct mm_struct *mm, unsigned long a, struct page **p)
{
	int n;

	down_read(&mm->mmap_sem);
	n = get_user_pages_fast(a, 1, 1, p);
	up_read(&mm->mmap_sem);
	return n;
}
"""


@pytest.mark.parametrize("how", ["group-ignored", "sigterm"])
def test_advise_stops_in_the_spatch_phase(tree, fakes, tmp_path, how):
    (tree / "drivers" / "misc").mkdir(parents=True, exist_ok=True)
    (tree / "drivers" / "misc" / "pin.c").write_text(LOCKED_CALL)
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "a call under mmap_sem")
    bin_dir, env = fakes
    script(bin_dir / "spatch", FAKE_SPATCH)
    env["FAKE_SPATCH_STARTED"] = str(tmp_path / "spatch")
    scratch, rep = tmp_path / "s", tmp_path / "rep"
    run = Stoppable("advise", str(tree), "--reports", str(rep), scratch=scratch, how=how,
                    env=env)
    run.wait_for("files, -j ")
    wait_for_file(tmp_path / "spatch")
    rc, err, _ = run.stop()
    assert_stopped(run, rc, err)
    assert not rep.exists()
    assert stray_files(scratch) == []


def dead_pid():
    """The pid of a process that has ended."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_advise_removes_what_a_killed_run_left(tree, tmp_path, need_spatch):
    scratch = tmp_path / "s"
    scratch.mkdir()
    left = scratch / ("advise-%d.k2j4x9q1" % dead_pid())
    (left / "sub").mkdir(parents=True)
    (left / "sub" / "file-groups").write_text("x")
    older = scratch / "advise-k2j4x9q1"         # as tempfile named it before
    older.mkdir()
    live = scratch / ("advise-%d.abcdefgh" % os.getppid())
    live.mkdir()
    out = gup_unify("advise", str(tree), "--reports", str(tmp_path / "rep"), scratch=scratch)
    assert out.returncode == 0, out.stderr
    assert "removing %s, left by a run that was killed" % left in out.stderr
    assert not left.exists() and not older.exists()
    assert live.exists()


# ------------------------------------------------------------------ series

def test_series_stopped_by_sigterm_leaves_no_partial_folder(tree, tmp_path, need_spatch):
    out, rep, scratch = tmp_path / "out", tmp_path / "rep", tmp_path / "s"
    run = Run("series", str(tree), "--output", str(out), "--reports", str(rep),
              scratch=scratch, pause="partial")
    run.wait_for("paused at partial\n")
    (partial,) = [p for p in os.listdir(tmp_path) if p.startswith(".out.partial.")]
    run.proc.send_signal(signal.SIGTERM)
    rc, err = run.finish()
    assert rc == 143, err
    assert last_line(err) == ("gup-unify: stopped by SIGTERM; kept branch gup-unify of %s, "
                              "report %s" % (tree, rep / "linux" / "conversion.md"))
    assert run.leftovers() == []
    assert not (tmp_path / partial).exists() and not out.exists()
    again = gup_unify("series", str(tree), "--output", str(out), "--reports", str(rep),
                      scratch=scratch)
    assert again.returncode == 0, again.stderr
    assert (out / "overview.txt").exists()


def test_series_rerun_removes_what_a_sigkill_left(tree, tmp_path, need_spatch):
    out, rep, scratch = tmp_path / "out", tmp_path / "rep", tmp_path / "s"
    killed = Run("series", str(tree), "--output", str(out), "--reports", str(rep),
                 scratch=scratch, pause="partial")
    killed.wait_for("paused at partial\n")
    killed.proc.kill()
    killed.finish()
    (partial,) = [tmp_path / p for p in os.listdir(tmp_path) if p.startswith(".out.partial.")]
    older = tmp_path / ".out.partial.x8f_2kq0"      # as tempfile named it before
    older.mkdir()
    again = gup_unify("series", str(tree), "--output", str(out), "--reports", str(rep),
                      scratch=scratch)
    assert again.returncode == 0, again.stderr
    assert "removing %s, left by a run that was killed" % partial in again.stderr
    assert sorted(os.listdir(tmp_path)) == sorted(["linux", "out", "rep", "s"])
    assert (out / "overview.txt").exists()


def test_series_killed_between_its_renames_gets_the_last_output_back(tree, tmp_path,
                                                                      need_spatch):
    out, rep, scratch = tmp_path / "out", tmp_path / "rep", tmp_path / "s"
    first = gup_unify("series", str(tree), "--output", str(out), "--reports", str(rep),
                      scratch=scratch)
    assert first.returncode == 0, first.stderr
    cover = (out / "overview.txt").read_text()
    # Killed after moving the last output aside, before putting the new one in place.
    aside = tmp_path / ("out.old.%d" % dead_pid())
    os.replace(out, aside)
    again = gup_unify("series", str(tree), "--output", str(out), "--reports", str(rep),
                      scratch=scratch)
    assert again.returncode == 0, again.stderr
    assert "putting back %s as %s" % (aside, out) in again.stderr
    assert not aside.exists()
    assert (out / "overview.txt").read_text() == cover
    assert "is up to date: nothing new" in again.stderr


# ------------------------------------------------------------ aside files

def test_write_atomic_removes_a_killed_runs_aside_file(tmp_path):
    from gupunify.common.util import write_atomic
    target = tmp_path / "report.md"
    dead = tmp_path / ("report.md.tmp.%d" % dead_pid())
    dead.write_text("half")
    live = tmp_path / ("report.md.tmp.%d" % os.getppid())
    live.write_text("another run's")
    write_atomic(str(target), "whole\n")
    assert target.read_text() == "whole\n"
    assert not dead.exists() and live.exists()


def test_a_stopped_run_exits_though_a_thread_cannot_end(tmp_path):
    """A stop can leave a thread of the run blocked for good (caught inside
    concurrent.futures' own locks): the stopped run still exits with its status."""
    script = tmp_path / "stuck.py"
    script.write_text(
        "import runpy, signal, sys, threading\n"
        "sys.path.insert(0, %r)\n"
        "from gupunify import cli\n"
        "from gupunify.common import util\n"
        "def main():\n"
        "    threading.Thread(target=threading.Event().wait).start()\n"
        "    util._stopping.append(signal.SIGINT)\n"
        "    print('gup-unify: interrupted; nothing was kept', file=sys.stderr)\n"
        "    return 130\n"
        "cli.main = main\n"
        "runpy.run_path(%r, run_name='__main__')\n"
        % (os.path.join(os.path.dirname(CLI)), CLI))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=STOPPED)
    assert proc.returncode == 130
    assert proc.stderr == "gup-unify: interrupted; nothing was kept\n"
