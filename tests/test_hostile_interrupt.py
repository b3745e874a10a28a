"""Ctrl-C, SIGKILL, a second run at the same time, and what the tree is imported as.

Each run starts in a session of its own, so that killpg() is the terminal's
Ctrl-C and a process left in the session after the run is an orphan. A run
is stopped at a named stage with GUP_UNIFY_PAUSE_AT (util.pause_at), which
prints "paused at STAGE" and waits for a signal; SIGUSR1 lets it go on.
"""
import os
import select
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import CLI, SAMPLE, git, gup_unify

WAIT = 120          # a hang detector, not a timing: runs take ~20 s here under load


def default_sigint():
    """Ctrl-C as a user's shell gives it: not ignored, even when the tests run under &."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """A gup-unify run in the background, in its own session."""

    def __init__(self, *args, scratch, pause=None, env=None):
        full = dict(os.environ, GUP_UNIFY_SCRATCH=str(scratch))
        full.pop("GUP_UNIFY_PAUSE_AT", None)
        if pause:
            full["GUP_UNIFY_PAUSE_AT"] = pause
        full.update(env or {})
        self.proc = subprocess.Popen([sys.executable, CLI] + list(args), env=full,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True, preexec_fn=default_sigint)
        self.err = b""

    def wait_for(self, text):
        """Read stderr until text shows; fail if the run ends or takes too long."""
        deadline = time.monotonic() + WAIT
        while text.encode() not in self.err:
            left = deadline - time.monotonic()
            assert left > 0, "no %r in %r" % (text, self.err)
            ready, _, _ = select.select([self.proc.stderr], [], [], left)
            if ready:
                chunk = os.read(self.proc.stderr.fileno(), 65536)
                assert chunk, "ended without %r: %r" % (text, self.err)
                self.err += chunk

    def finish(self):
        """(exit status, stderr) once the run ends."""
        _, rest = self.proc.communicate(timeout=WAIT)
        self.err += rest
        return self.proc.returncode, self.err.decode()

    def interrupt(self):
        """Ctrl-C as a terminal sends it: to the whole process group."""
        os.killpg(self.proc.pid, signal.SIGINT)

    def leftovers(self):
        """Processes still in the run's session (none once it has ended, or orphans)."""
        out = subprocess.run(["ps", "-e", "-o", "pid=,sid=,args="], capture_output=True,
                             text=True).stdout
        return [line for line in out.splitlines()
                if int(line.split()[1]) == self.proc.pid and int(line.split()[0]) != os.getpid()]


def worktrees(repo):
    return [line.split()[1] for line in git(repo, "worktree", "list", "--porcelain").splitlines()
            if line.startswith("worktree ")]


def ours(scratch):
    """The scratch worktrees on disk."""
    where = scratch / "worktrees"
    return sorted(p.name for p in where.iterdir()) if where.exists() else []


def last_line(err):
    return err.strip().splitlines()[-1]


# ------------------------------------------------------------------- Ctrl-C

def test_ctrl_c_before_anything_is_kept(tree, tmp_path, need_spatch):
    config = (tree / ".git" / "config").read_bytes()
    run = Run("spatch", str(tree), "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s",
              pause="worktree")
    run.wait_for("paused at worktree\n")
    # The worktree is sparse: only what the first step reads is checked out.
    (made,) = ours(tmp_path / "s")
    files = sorted(str(p.relative_to(tmp_path / "s" / "worktrees" / made))
                   for p in (tmp_path / "s" / "worktrees" / made).rglob("*") if p.is_file())
    assert files == [".git", "include/linux/mm.h"]
    run.interrupt()
    rc, err = run.finish()
    assert rc == 130, err
    assert last_line(err) == "gup-unify: interrupted; nothing was kept"
    assert "Traceback" not in err
    assert run.leftovers() == []
    assert git(tree, "branch", "--list") == "* master\n"
    assert not (tmp_path / "rep").exists()
    assert ours(tmp_path / "s") == [] and worktrees(tree) == [str(tree)]
    assert (tree / ".git" / "config").read_bytes() == config
    again = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                      scratch=tmp_path / "s")
    assert again.returncode == 0, again.stderr


def test_ctrl_c_after_the_branch_is_kept_says_so(tree, tmp_path, need_spatch):
    run = Run("spatch", str(tree), "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s",
              pause="kept")
    run.wait_for("paused at kept\n")
    run.interrupt()
    rc, err = run.finish()
    assert rc == 130, err
    report = tmp_path / "rep" / "linux" / "conversion.md"
    assert last_line(err) == "gup-unify: interrupted; kept branch gup-unify of %s, report %s" % (
        tree, report)
    assert run.leftovers() == []
    assert git(tree, "rev-list", "--count", "master..gup-unify") == "10\n"
    assert report.exists()
    assert ours(tmp_path / "s") == [] and worktrees(tree) == [str(tree)]
    # What it said is what the next runs find: spatch refuses, series goes on.
    again = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                      scratch=tmp_path / "s")
    assert again.returncode == 2
    assert "branch gup-unify already exists" in again.stderr
    out = gup_unify("series", str(tree), "--output", str(tmp_path / "out"), "--reports",
                    str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "out" / "overview.txt").exists()


def test_ctrl_c_after_series_are_written_says_so(tree, tmp_path, need_spatch):
    out, rep = tmp_path / "out", tmp_path / "rep"
    run = Run("series", str(tree), "--output", str(out), "--reports", str(rep),
              scratch=tmp_path / "s", pause="written")
    run.wait_for("paused at written\n")
    run.interrupt()
    rc, err = run.finish()
    assert rc == 130, err
    assert last_line(err) == ("gup-unify: interrupted; kept branch gup-unify of %s, report %s, "
                              "series %s, report %s" % (tree, rep / "linux" / "conversion.md",
                                                        out, rep / "linux" / "series.md"))
    assert run.leftovers() == []
    assert (out / "overview.txt").exists() and (rep / "linux" / "series.md").exists()
    again = gup_unify("series", str(tree), "--output", str(out), "--reports", str(rep),
                      scratch=tmp_path / "s")
    assert again.returncode == 0, again.stderr
    assert "is up to date: nothing new" in again.stderr


def alive(pid):
    """pid runs (an orphan that died may stay a zombie: nobody reaps it here)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_ctrl_c_reaches_a_child_that_did_not_get_it(tmp_path):
    """kill -INT of the driver alone: its child is ended, and so are the child's own.

    The child stands for make: it ends its jobs on SIGTERM, not when killed.
    """
    child = ("trap 'kill $job; exit 143' TERM; sleep 300 & job=$!; echo $job > %s; wait"
             % (tmp_path / "job"))
    script = ("import sys; sys.path.insert(0, %r); from gupunify.common import util; "
              "util.run(['sh', '-c', %r])" % (os.path.dirname(CLI), child))
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=default_sigint)
    deadline = time.monotonic() + WAIT
    while not (tmp_path / "job").exists() or not (tmp_path / "job").read_text().strip():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    job = int((tmp_path / "job").read_text())
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == -signal.SIGINT and err.endswith(b"KeyboardInterrupt\n")
    deadline = time.monotonic() + 10
    while alive(job) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(job), "the child's job outlived the run"


# ------------------------------------------------------------------ SIGKILL

def test_sigkill_then_rerun_removes_the_dead_runs_worktree_only(tree, tmp_path, need_spatch):
    scratch = tmp_path / "s"
    # Another repository of the same name, its run alive and paused, shares the scratch area.
    other = tmp_path / "other" / "linux"
    shutil.copytree(tree, other)
    live = Run("spatch", str(other), "--reports", str(tmp_path / "rep2"), scratch=scratch,
               pause="worktree")
    live.wait_for("paused at worktree\n")
    killed = Run("spatch", str(tree), "--reports", str(tmp_path / "rep"), scratch=scratch,
                 pause="worktree")
    killed.wait_for("paused at worktree\n")
    killed.proc.kill()
    killed.finish()
    (stale,) = [w for w in worktrees(tree) if w != str(tree)]
    assert os.path.isdir(stale)
    (running,) = [w for w in worktrees(other) if w != str(other)]

    again = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"), scratch=scratch)
    assert again.returncode == 0, again.stderr
    assert "removing %s, left by a run that was killed" % stale in again.stderr
    assert worktrees(tree) == [str(tree)] and not os.path.exists(stale)
    assert not os.path.exists(tree / ".git" / "worktrees")
    assert ours(scratch) == [os.path.basename(running)]
    assert os.path.isfile(os.path.join(running, "include/linux/mm.h"))

    live.proc.send_signal(signal.SIGUSR1)
    rc, err = live.finish()
    assert rc == 0, err
    assert git(other, "rev-list", "--count", "master..gup-unify") == "10\n"
    assert ours(scratch) == []


# -------------------------------------------------------------- concurrency

@pytest.mark.parametrize("job", ["spatch", "series"])
def test_second_run_waits_for_the_first(tree, tmp_path, job, need_spatch):
    scratch = tmp_path / "s"
    args = [job, str(tree), "--reports", str(tmp_path / "rep")]
    if job == "series":
        args += ["--output", str(tmp_path / "out")]
    first = Run(*args, scratch=scratch, pause="worktree")
    first.wait_for("paused at worktree\n")
    second = Run(*args, scratch=scratch)
    second.wait_for("another gup-unify run is working on %s: waiting for it to finish\n"
                    % (tree / ".git"))
    time.sleep(1)
    assert second.proc.poll() is None
    assert len(ours(scratch)) == 1          # the second made no worktree of its own
    first.proc.send_signal(signal.SIGUSR1)
    rc, err = first.finish()
    assert rc == 0, err
    rc, err = second.finish()
    if job == "spatch":
        assert rc == 2
        assert last_line(err) == ("gup-unify: error: branch gup-unify already exists in %s: "
                                  "choose another with BRANCH=" % tree)
    else:
        assert rc == 0, err
        assert "is up to date: nothing new" in err
    assert "gup_fast_flags.cocci" not in err      # it did no work
    assert first.leftovers() == [] and second.leftovers() == []


def test_ctrl_c_while_waiting_for_the_lock(tree, tmp_path, need_spatch):
    rep = ["--reports", str(tmp_path / "rep")]
    first = Run("spatch", str(tree), *rep, scratch=tmp_path / "s", pause="worktree")
    first.wait_for("paused at worktree\n")
    second = Run("spatch", str(tree), *rep, scratch=tmp_path / "s")
    second.wait_for("waiting for it to finish\n")
    second.interrupt()
    rc, err = second.finish()
    assert rc == 130 and last_line(err) == "gup-unify: interrupted; nothing was kept"
    first.interrupt()
    rc, err = first.finish()
    assert rc == 130 and last_line(err) == "gup-unify: interrupted; nothing was kept"
    assert git(tree, "branch", "--list") == "* master\n"
    assert worktrees(tree) == [str(tree)]


# ---------------------------------------------------------- plain directory

def test_plain_directory_import_follows_the_directory(tmp_path, need_spatch):
    plain = tmp_path / "plain" / "linux"
    shutil.copytree(SAMPLE, plain)
    scratch = tmp_path / "s"
    # A plain directory has no git config of its own: the identity is given.
    rep = ["--reports", str(tmp_path / "rep"), "--identity", "Pat Sender <pat@example.org>"]
    first = gup_unify("spatch", str(plain), "--diff", str(tmp_path / "1.diff"), *rep,
                      scratch=scratch)
    assert first.returncode == 0, first.stderr
    (repo,) = (scratch / "repos").iterdir()
    assert "importing it into %s" % repo in first.stderr

    same = gup_unify("spatch", str(plain), "--diff", str(tmp_path / "2.diff"), *rep,
                     scratch=scratch)
    assert same.returncode == 0, same.stderr
    assert "using its scratch import %s" % repo in same.stderr
    assert git(repo, "rev-list", "--count", "HEAD") == "1\n"
    assert (tmp_path / "2.diff").read_text() == (tmp_path / "1.diff").read_text()

    # The user adds a caller to the directory.
    new = plain / "drivers" / "misc" / "pin.c"
    new.parent.mkdir(parents=True, exist_ok=True)
    new.write_text("int pin(unsigned long a, struct page **p)\n{\n"
                   "\treturn get_user_pages_fast(a, 1, 1, p);\n}\n")
    changed = gup_unify("spatch", str(plain), "--diff", str(tmp_path / "3.diff"), *rep,
                        scratch=scratch)
    assert changed.returncode == 0, changed.stderr
    assert "changed since its scratch import: took a new snapshot in %s" % repo \
        in changed.stderr
    assert git(repo, "rev-list", "--count", "HEAD") == "2\n"
    diff = (tmp_path / "3.diff").read_text()
    assert "+\treturn get_user_pages_fast(a, 1, FOLL_WRITE, p);\n" in diff
    applied = subprocess.run(["git", "apply", "--check", str(tmp_path / "3.diff")], cwd=plain,
                             capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    assert not (plain / ".git").exists()


# ----------------------------------------------------------- ownership

def test_repository_of_another_user_is_an_error(tree, tmp_path, need_spatch):
    if os.geteuid() != 0:
        pytest.skip("needs root: the tree is given to another user (nobody)")
    (tmp_path / "gitconfig").write_text("")
    subprocess.run(["chown", "-R", "nobody", str(tree)], check=True)
    # Dirty, so that a run taking it for a plain directory would hide that too.
    (tree / "mm" / "gup.c").write_text("changed\n")
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s", env={"GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig")})
    assert out.returncode == 2
    assert out.stderr == (
        "gup-unify: error: %s: git refuses the repository %s: another user owns it; run as "
        "its owner, or trust it with git config --global --add safe.directory %s\n"
        % (tree, tree, tree))
    assert not (tmp_path / "s" / "repos").exists()


# ----------------------------------------------------------- .git/config

def test_git_config_stays_byte_identical(tree, tmp_path, need_spatch):
    config = tree / ".git" / "config"
    before = config.read_bytes()
    out = gup_unify("spatch", str(tree), "--diff", str(tmp_path / "d"), "--reports",
                    str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    assert config.read_bytes() == before
    out = gup_unify("series", str(tree), "--output", str(tmp_path / "out"), "--reports",
                    str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    assert config.read_bytes() == before
    assert not (tree / ".git" / "config.worktree").exists()



def test_a_stop_dropped_in_a_finalizer_still_ends_the_run_before_the_keep(
        tree, tmp_path, need_spatch, monkeypatch):
    """The stop handler raises in whatever the main thread runs; raised in a finalizer,
    Python prints it and goes on. The stop is on record all the same: the run ends
    before it keeps a branch or a report."""
    sys.path.insert(0, os.path.join(os.path.dirname(CLI), "..", "scripts"))
    from gupunify.common import util
    from gupunify.convert import callercommits, convert
    commit_callers = callercommits.commit_callers

    def then_dropped_stop(*args, **kw):
        made = commit_callers(*args, **kw)
        # What the handler leaves when the Interrupted it raised died in a finalizer.
        monkeypatch.setattr(util, "_stopping", [signal.SIGINT])
        return made
    monkeypatch.setattr(callercommits, "commit_callers", then_dropped_stop)
    reports = tmp_path / "rep"
    with pytest.raises(util.Interrupted):
        convert.convert(str(tree), "stopped", reports_dir=str(reports))
    assert git(tree, "branch", "--list", "stopped") == ""
    assert not list(reports.rglob("*.json"))
