"""The one place where gup-unify runs programs, reports errors and shows progress."""
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time


class UserError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback."""


def die(message):
    raise UserError(message)


def run(argv, cwd=None, check=True, env=None, input=None, timeout=None, binary=False,
        own_group=False):
    """Run argv, returning (returncode, stdout, stderr) as text (stdout as bytes with binary).

    With check, a non-zero exit becomes a UserError naming the command and its
    last line of stderr, because the caller cannot do better than say so.
    With own_group, argv runs in a process group of its own, out of reach of
    Ctrl-C at the terminal: an interrupt or a timeout kills that whole group
    (spatch -j forks workers), so nothing outlives the run.
    With GUP_UNIFY_TRACE=<file> set, each program's wall seconds and command
    line are appended to that file: where a slow run spends its time.
    """
    started = time.monotonic()
    full_env = None
    if env:
        full_env = dict(os.environ)
        full_env.update(env)
    if own_group:
        # Ctrl-C between the fork and the try below would leave the group
        # running: hold it until then (SIGINT at the terminal is not for it).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=full_env,
                                stdin=None if input is None else subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                process_group=0 if own_group else None,
                                **({} if binary else {"text": True, "errors": "replace"}))
    except FileNotFoundError:
        die("%s: command not found" % argv[0])
    finally:
        if own_group and "proc" not in locals():
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    with proc:
        try:
            if own_group:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _end(proc, own_group, at_once=True)
            die("%s: timed out after %d s" % (" ".join(argv[:2]), timeout))
        except BaseException:
            # Ctrl-C: a child that did not get it from the terminal (kill -INT
            # of this process alone, or a group of its own) is ended too, with
            # SIGTERM so that git drops its lock files and make stops its own
            # jobs; none outlives us.
            _end(proc, own_group)
            raise
    _trace(argv, time.monotonic() - started)
    if proc.returncode == -signal.SIGINT:
        # The terminal's Ctrl-C reached the child first: it is ours as well.
        raise KeyboardInterrupt
    stderr = err.decode(errors="replace") if binary else err
    if check and proc.returncode != 0:
        last = (stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1]
        die("%s failed: %s" % (" ".join(argv[:3]), last))
    return proc.returncode, out, stderr


def _trace(argv, seconds):
    """One line of GUP_UNIFY_TRACE: a program's wall seconds and its command line."""
    trace = os.environ.get("GUP_UNIFY_TRACE")
    if trace:
        with open(trace, "a") as f:
            f.write("%8.3f %s\n" % (seconds, " ".join(argv).replace("\n", " ")[:200]))


def _end(proc, group=False, at_once=False):
    """End proc (with group, its whole process group: spatch -j forks workers)."""
    if group:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    elif proc.poll() is None:
        if at_once:
            proc.kill()
        else:
            proc.terminate()
            try:
                proc.wait(2)
            except subprocess.TimeoutExpired:
                proc.kill()
    proc.communicate()


def git(repo, *args, check=True, env=None, input=None, binary=False):
    """Run git in repo and return its stdout."""
    return run(["git", "-C", repo] + list(args), check=check, env=env,
               input=input, binary=binary)[1]


_quiet = False


def set_quiet(quiet):
    global _quiet
    _quiet = quiet


def progress(message):
    """One line of progress on stderr, so stdout stays machine-readable."""
    if not _quiet:
        with _screen:
            # One write: print() writes the newline apart, and a Ctrl-C between
            # the two would run the next message into this one. A phase's
            # updating line is wiped first, and drawn again under it.
            sys.stderr.write("%sgup-unify: %s\n" % (_wipe(), message))
            sys.stderr.flush()


def warn(message):
    """A warning on stderr, shown even with -q: it is about the result, not progress."""
    print("gup-unify: warning: " + message, file=sys.stderr, flush=True)


class Stopwatch:
    """Named wall-clock timings, for the report; each timed step is a phase on screen."""

    def __init__(self):
        self.seconds = {}

    def __call__(self, name):
        watch = self

        class _Lap:
            def __enter__(self):
                self.start = time.monotonic()
                self.shown = phase(name).__enter__()

            def __exit__(self, *exc):
                self.shown.__exit__(*exc)
                watch.seconds[name] = round(time.monotonic() - self.start, 2)
        return _Lap()


def write_atomic(path, text):
    """Write text (or bytes) to path so that an interrupted run leaves the old file or none."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = "%s.tmp.%d" % (path, os.getpid())
    if isinstance(text, str):
        # A tree's non-UTF-8 bytes (surrogateescape) go out as they came in.
        text = text.encode("utf-8", "surrogateescape")
    try:
        with open(tmp, "wb") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        # a full disk or a Ctrl-C: no half-written aside file stays
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


_kept = []


def kept(what):
    """Record something the run has left for the user (a branch, a report ...)."""
    _kept.append(what)


def kept_so_far():
    """What was kept, for a run that ends early to say so."""
    return list(_kept)


@contextlib.contextmanager
def interrupts_held():
    """Take Ctrl-C only after the steps inside, which must be done all or not at all.

    SIGINT is blocked rather than caught so that the git children started
    inside (which inherit the mask) finish too; a pending one is delivered
    when the block ends.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def pause_at(stage):
    """Test hook: with GUP_UNIFY_PAUSE_AT=stage the run says so and waits here.

    tests/test_hostile_interrupt.py uses it to send SIGINT or SIGKILL at a
    known moment; SIGUSR1 lets the run go on.
    """
    if os.environ.get("GUP_UNIFY_PAUSE_AT") != stage:
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    progress("paused at %s" % stage)
    signal.sigwaitinfo({signal.SIGUSR1})
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})


# How a long phase shows itself: nothing for its first PHASE_QUIET seconds;
# then on a terminal one line redrawn every PHASE_REDRAW seconds, and
# without one (a CI log) a plain line every PHASE_EVERY seconds
# (GUP_UNIFY_PROGRESS_EVERY=<s> changes it); a last line says how long it took.
PHASE_QUIET = 2.0
PHASE_REDRAW = 0.5
PHASE_EVERY = 10.0
_screen = threading.RLock()     # one writer of stderr at a time
_phases = []                    # the phases under way, innermost last
_drawn = [False]                # a phase's line stands unfinished on the terminal


def _wipe():
    """What erases the phase line from the terminal, if one stands there (under _screen)."""
    if not _drawn[0]:
        return ""
    _drawn[0] = False
    return "\r\x1b[K"


def progress_interval():
    """Seconds between a phase's lines in a log: GUP_UNIFY_PROGRESS_EVERY, else PHASE_EVERY."""
    value = os.environ.get("GUP_UNIFY_PROGRESS_EVERY", "")
    if not value:
        return PHASE_EVERY
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0
    if not 0 < seconds < float("inf"):
        die("GUP_UNIFY_PROGRESS_EVERY=%s: want a number of seconds" % value)
    return seconds


class phase:
    """A step that can take more than a few seconds, seen while it runs.

    with phase("gup_fast_flags.cocci", total=49, unit="files") as p: ...,
    p.advance() as each is done (when the step can count them). The line
    reads "gup-unify: gup_fast_flags.cocci: 12/49 files, 5 s"; -q shows
    nothing. Phases nest: the innermost one is shown.
    """

    def __init__(self, name, total=None, unit=""):
        self.name, self.total, self.unit = name, total, unit
        self.done = 0
        self.shown = False
        self._stop = threading.Event()

    def advance(self, n=1):
        with _screen:
            self.done += n

    def line(self, end=False):
        """What the phase says: name, done/total, seconds so far (or in all, at its end)."""
        count = ("%d/%d" % (self.done, self.total) if self.total is not None and self.done
                 else "%d" % self.total if self.total is not None else "")
        what = " ".join(w for w in (count, self.unit) if w)
        return "%s: %s%s%d s" % (self.name, what + ", " if what else "",
                                 "done in " if end else "", time.monotonic() - self.start)

    def __enter__(self):
        self.start = time.monotonic()
        if not _quiet:
            terminal = sys.stderr.isatty()
            every = PHASE_REDRAW if terminal else progress_interval()
            with _screen:
                _phases.append(self)
            self._ticker = threading.Thread(target=self._tick, args=(terminal, every),
                                            daemon=True)
            self._ticker.start()
        return self

    def _tick(self, terminal, every):
        if self._stop.wait(PHASE_QUIET):
            return
        while True:
            with _screen:
                if _phases and _phases[-1] is self:
                    self.shown = True
                    if terminal:
                        sys.stderr.write("\rgup-unify: %s\x1b[K" % self.line())
                        _drawn[0] = True
                    else:
                        sys.stderr.write("gup-unify: %s\n" % self.line())
                    sys.stderr.flush()
            if self._stop.wait(every):
                return

    def __exit__(self, *exc):
        if _quiet:
            return
        self._stop.set()
        self._ticker.join()
        with _screen:
            _phases.remove(self)
            if self.shown and exc[0] is None:
                progress(self.line(end=True))
            elif _drawn[0]:
                sys.stderr.write(_wipe())
                sys.stderr.flush()
