"""Long phases are seen while they run: an updating line on a terminal, plain lines in a log."""
import io
import os
import re
import shutil
import subprocess
import sys
import threading
import time

from conftest import CLI, gup_unify
from gupunify.common import kbuild, progress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _fast_phases(monkeypatch, every="0.3"):
    monkeypatch.setattr(progress, "PHASE_QUIET", 0.2)
    monkeypatch.setattr(progress, "PHASE_REDRAW", 0.1)
    monkeypatch.setenv("GUP_UNIFY_PROGRESS_EVERY", every)
    monkeypatch.setattr(progress, "_quiet", False)


def test_a_long_phase_in_a_log_gets_plain_periodic_lines_then_its_end(monkeypatch):
    _fast_phases(monkeypatch)
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    with progress.phase("reading", total=4, unit="files") as p:
        for _ in range(4):
            time.sleep(0.25)
            p.advance()
    lines = log.getvalue().splitlines(keepends=True)
    assert all(line.endswith("\n") and "\r" not in line and "\x1b" not in line
               for line in lines)
    assert len(lines) >= 3
    for line in lines[:-1]:
        assert re.fullmatch(r"gup-unify: reading: (\d/)?4 files, \d+ s\n", line), line
    assert lines[-1] == "gup-unify: reading: 4/4 files, done in 1 s\n"


def test_a_phase_hidden_by_another_threads_still_ends_with_its_line(monkeypatch):
    """Two spatch runs side by side (two steps' batches): the one begun last is on
    screen; the other, never drawn, still says how long it took when it ends."""
    _fast_phases(monkeypatch)
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    first_running = threading.Event()

    def first():
        with progress.phase("first", total=46, unit="files"):
            first_running.set()
            time.sleep(0.8)
    beside = threading.Thread(target=first)
    beside.start()
    first_running.wait()
    with progress.phase("second", total=3, unit="files"):
        time.sleep(0.6)
    beside.join()
    ends = [line for line in log.getvalue().splitlines() if " done in " in line]
    assert sorted(re.sub(r"\d+ s$", "N s", line) for line in ends) == [
        "gup-unify: first: 46 files, done in N s", "gup-unify: second: 3 files, done in N s"]
    # Nested in one thread, an outer phase is not hidden: the inner one stands for it.
    with progress.phase("outer") as outer:
        with progress.phase("inner"):
            time.sleep(0.5)
    assert not outer.hidden


def test_a_short_phase_says_nothing(monkeypatch):
    _fast_phases(monkeypatch)
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    with progress.phase("quick"):
        pass
    assert log.getvalue() == ""


def test_on_a_terminal_one_line_is_redrawn_and_wiped_for_a_message(monkeypatch):
    _fast_phases(monkeypatch)
    screen = _Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    with progress.phase("spatch", total=2, unit="files") as p:
        time.sleep(0.45)
        progress.progress("a message")
        p.advance()
        time.sleep(0.3)
    out = screen.getvalue()
    # Redrawn in place: carriage returns, no newline, until the message wipes it.
    drawn, _, rest = out.partition("\r\x1b[Kgup-unify: a message\n")
    assert rest, out
    assert drawn.count("\rgup-unify: spatch: 2 files, 0 s\x1b[K") >= 2 and "\n" not in drawn
    assert "\rgup-unify: spatch: 1/2 files, 0 s\x1b[K" in rest
    # At the end the line is wiped and one lasting line says how long it took.
    assert rest.endswith("\r\x1b[Kgup-unify: spatch: 1/2 files, done in 0 s\n")


def test_quiet_shows_no_phase(monkeypatch):
    _fast_phases(monkeypatch)
    monkeypatch.setattr(progress, "_quiet", True)
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    with progress.phase("reading"):
        time.sleep(0.5)
    assert log.getvalue() == ""


def _slow_spatch(where, seconds):
    """A PATH whose spatch is the real one, started `seconds` late."""
    where.mkdir()
    (where / "spatch").write_text('#!/bin/sh\nsleep %s\nexec %s "$@"\n'
                                  % (seconds, shutil.which("spatch")))
    (where / "spatch").chmod(0o755)
    return "%s:%s" % (where, os.environ["PATH"])


def test_spatch_running_is_seen_in_a_log(tree, tmp_path, need_spatch):
    proc = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "r"),
                     scratch=tmp_path / "s",
                     env={"PATH": _slow_spatch(tmp_path / "bin", 3),
                          "GUP_UNIFY_PROGRESS_EVERY": "1"})
    assert proc.returncode == 0, proc.stderr
    running = re.findall(r"^gup-unify: gup_fast_flags.cocci: spatch: (\d+) files, (\d+) s$",
                         proc.stderr, re.M)
    assert len(running) >= 2 and running[0][1] == "2", proc.stderr
    done = re.search(r"^gup-unify: gup_fast_flags.cocci: spatch: \d+ files, done in (\d+) s$",
                     proc.stderr, re.M)
    assert done and int(done.group(1)) >= 3, proc.stderr


def test_cicheck_ends_with_a_total_line(tmp_path):
    sample = tmp_path / "linux"
    shutil.copytree(os.path.join(os.path.dirname(CLI), "..", "sample", "linux"), sample)
    proc = subprocess.run([sys.executable, CLI, "cicheck", str(sample)], capture_output=True,
                          text=True)
    assert proc.returncode == 1
    warnings = [line for line in proc.stdout.splitlines() if ": warning: " in line]
    files = {line.split(":")[0] for line in warnings}
    last = proc.stderr.splitlines()[-1]
    assert re.fullmatch(r"gup-unify: cicheck: %s: %d findings \(%d warnings\) in %d files, "
                        r"\d+\.\d s" % (re.escape(str(sample)), len(warnings), len(warnings),
                                        len(files)), last), proc.stderr
    assert len(warnings) == 13 and len(files) == 7
    # stdout stays the findings alone
    assert proc.stdout.count("\n") == len(warnings)
    quiet = subprocess.run([sys.executable, CLI, "-q", "cicheck", str(sample)],
                           capture_output=True, text=True)
    assert quiet.stderr == "" and quiet.stdout == proc.stdout


def test_a_clean_cicheck_says_so_in_its_total_line(tmp_path):
    clean = tmp_path / "clean"
    (clean / "include" / "linux").mkdir(parents=True)
    (clean / "include" / "linux" / "mm.h").write_text(
        "long get_user_pages_fast(unsigned long start, int nr_pages,\n"
        "\t\t\tunsigned int gup_flags, struct page **pages);\n")
    (clean / "mm").mkdir()
    (clean / "mm" / "a.c").write_text("int f(void) { return 0; }\n")
    (clean / "Makefile").write_text("VERSION = 5\nPATCHLEVEL = 2\nSUBLEVEL = 0\n")
    proc = subprocess.run([sys.executable, CLI, "cicheck", str(clean)], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert re.fullmatch(r"gup-unify: cicheck: %s: 0 findings \(0 warnings\) in 0 files, "
                        r"\d+\.\d s\n" % re.escape(str(clean)), proc.stderr), proc.stderr


def test_the_build_log_is_written_while_make_runs(tmp_path, monkeypatch):
    """boottest names its build.log on screen: it must grow while the build runs."""
    log_path = tmp_path / "build.log"
    seen = tmp_path / "seen"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # A make that prints, then looks at the log before it ends.
    (bin_dir / "make").write_text('#!/bin/sh\necho "  CC      mm/gup.o"\necho "warning: x" >&2\n'
                                  'cat "%s" > "%s"\necho "  LD      vmlinux"\nexit 3\n'
                                  % (log_path, seen))
    (bin_dir / "make").chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bin_dir, os.environ["PATH"]))
    with open(log_path, "w") as log:
        log.write("configured\n")
        rc, out = kbuild.make("x86_64", "/src", "/obj", 2, [], "bzImage", log=log)
        log.write("after\n")
    assert rc == 3
    assert out == "  CC      mm/gup.o\nwarning: x\n  LD      vmlinux\n"
    assert seen.read_text() == "configured\n  CC      mm/gup.o\nwarning: x\n"
    assert log_path.read_text() == "configured\n" + out + "after\n"


def test_a_bad_progress_interval_is_one_line(tree, tmp_path):
    proc = gup_unify("spatch", str(tree), scratch=tmp_path / "s",
                     env={"GUP_UNIFY_PROGRESS_EVERY": "soon"})
    assert proc.returncode == 2
    assert proc.stderr == (
        "gup-unify: error: GUP_UNIFY_PROGRESS_EVERY=soon: want a number of seconds\n")
    assert not (tmp_path / "s" / "worktrees").exists()


def test_a_timed_step_of_a_report_is_seen_while_it_runs(monkeypatch):
    """series' "format-patch and recipients" ran for minutes on a kernel tree, silent."""
    _fast_phases(monkeypatch)
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    watch = progress.Stopwatch()
    with watch("format-patch and recipients"):
        time.sleep(0.5)
    assert log.getvalue().startswith("gup-unify: format-patch and recipients: 0 s\n")
    assert log.getvalue().endswith("gup-unify: format-patch and recipients: done in 0 s\n")
    assert 0.5 <= watch.seconds["format-patch and recipients"] < 5
