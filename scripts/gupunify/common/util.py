"""The one place where gup-unify runs programs and reports errors; progress.py shows progress."""
import contextlib
import os
import signal
import subprocess
import threading
import time


class UserError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback."""


class Interrupted(KeyboardInterrupt):
    """The run was told to stop: Ctrl-C (SIGINT) or SIGTERM; status is what the shell expects."""

    def __init__(self, signum=signal.SIGINT):
        super().__init__(signum)
        self.signum = signum
        self.status = 128 + signum


# The one signal policy of a run (stop_on_signals()): SIGINT and SIGTERM both
# stop it. Every program util.run() starts, in any thread, is listed in
# _running while it runs, so that a stop reaches them all at once: a thread
# pool's make is not the main thread's, and a SIGTERM sent to this process
# alone reaches no child by itself.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_running = {}                   # Popen -> whether it runs in a process group of its own
_running_lock = threading.RLock()   # re-entered by the handler, which runs in the main thread
_stopping = []                  # the stop signals received, first first
_local = threading.local()      # the main thread's sections a stop must not cut: _flag()


def die(message):
    raise UserError(message)


# The variables that tell git which repository, work tree, index or objects
# to use, whatever -C says.
GIT_LOCATION = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR",
                "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE")
# The variables that change what a pathspec means. The pathspecs given to
# git here mean what they do by default ("*.c" a glob, a file's name taken
# literally): with GIT_LITERAL_PATHSPECS "*.c" named no file and the search
# found no caller; beside GIT_ICASE_PATHSPECS git refuses --literal-pathspecs.
GIT_PATHSPEC_MODES = ("GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS",
                      "GIT_ICASE_PATHSPECS")


def run(argv, cwd=None, check=True, env=None, input=None, timeout=None, binary=False,
        own_group=False, aside=False):
    """Run argv, returning (returncode, stdout, stderr) as text (stdout as bytes with binary).

    With aside, argv runs at a lower priority (nice 10): work done beside the
    run's critical path (prefix history beside spatch) takes the cores the
    rest leaves, rather than half of them.

    With check, a non-zero exit becomes a UserError naming the command and its
    last line of stderr, because the caller cannot do better than say so.
    With own_group, argv runs in a process group of its own, out of reach of
    Ctrl-C at the terminal: a stop or a timeout kills that whole group
    (spatch -j forks workers), so nothing outlives the run.
    Once the run is stopping (SIGINT, SIGTERM) a thread other than the main
    one starts nothing, and a program's end is not its result there:
    Interrupted is raised instead of an error made of a killed child's exit
    status (the main thread has it from the signal handler).
    With GUP_UNIFY_TRACE=<file> set, each program's start (seconds since the
    run began), wall seconds and command line are appended to that file:
    where a slow run spends its time, and what runs beside what.
    """
    started = time.monotonic()
    # git in the user's environment would work in the repository these name,
    # not in the one given with -C (gitenv.py checks them first), and read
    # pathspecs another way.
    full_env = {k: v for k, v in os.environ.items()
                if k not in GIT_LOCATION and k not in GIT_PATHSPEC_MODES}
    full_env.update(env or {})
    # A pool's thread starts nothing once the run stops; the main thread
    # does: what runs there then is the stop's own cleanup (git worktree remove).
    in_thread = threading.current_thread() is not threading.main_thread()
    if in_thread:
        stop_if_stopping()
    stops = len(_stopping)
    # A stop between the fork and the listing would miss the child: the
    # handler does not raise here, and the check below acts on it.
    with _flag("spawning"):
        try:
            proc = subprocess.Popen(["nice", "-n", "10"] + argv if aside else argv,
                                    cwd=cwd, env=full_env,
                                    stdin=None if input is None else subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    process_group=0 if own_group else None,
                                    **({} if binary else {"text": True, "errors": "replace"}))
        except FileNotFoundError:
            die("%s: command not found" % argv[0])
        with _running_lock:
            _running[proc] = own_group
    with proc:
        try:
            if len(_stopping) > stops:
                raise Interrupted(_stopping[0])
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _end(proc, own_group, at_once=True)
            die("%s: timed out after %d s" % (" ".join(argv[:2]), timeout))
        except BaseException:
            # A stop: a child that did not get it from the terminal (SIGTERM
            # or kill -INT of this process alone, or a group of its own) is
            # ended too, with SIGTERM so that git drops its lock files and
            # make stops its own jobs; none outlives us.
            _end(proc, own_group)
            raise
        finally:
            with _running_lock:
                del _running[proc]
    _trace(argv, started)
    if proc.returncode == -signal.SIGINT:
        # The terminal's Ctrl-C reached the child first: it is ours as well.
        raise Interrupted(signal.SIGINT)
    if in_thread:
        # Its program was ended by the stop: its status is not its result.
        stop_if_stopping()
    stderr = err.decode(errors="replace") if binary else err
    if check and proc.returncode != 0:
        last = (stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1]
        die("%s failed: %s" % (" ".join(argv[:3]), last))
    return proc.returncode, out, stderr


def stop_on_signals():
    """The run's signal policy, set once by the command line: SIGINT and SIGTERM stop it.

    The first stop signal ends every program running (SIGTERM; a group of
    its own is killed) and raises Interrupted in the main thread; threads
    raise it from their next util.run(). A later one kills what still runs.
    Taken even when the run was started with SIGINT ignored (a script's &):
    git and ccache catch it all the same and die of it, and their deaths
    would be reported as a patch that does not apply or a build that fails.
    """
    for signum in STOP_SIGNALS:
        signal.signal(signum, _on_stop_signal)


def _on_stop_signal(signum, frame):
    with _running_lock:
        first = not _stopping
        _stopping.append(signum)
        running = list(_running.items())
    if getattr(_local, "held", 0):
        return          # interrupts_held() acts on it when its steps are done
    for proc, group in running:
        _signal(proc, group, signal.SIGTERM if first else signal.SIGKILL)
    if first and not getattr(_local, "spawning", 0):
        raise Interrupted(signum)


def stopping():
    """The first stop signal received (SIGINT, SIGTERM), or None."""
    return _stopping[0] if _stopping else None


def stop_if_stopping():
    """Raise Interrupted once the run is stopping (in a thread: the handler raises it in
    the main one)."""
    if _stopping:
        raise Interrupted(_stopping[0])


@contextlib.contextmanager
def _flag(name):
    """Count the main thread in a section the stop handler must not cut (spawning, held)."""
    setattr(_local, name, getattr(_local, name, 0) + 1)
    try:
        yield
    finally:
        setattr(_local, name, getattr(_local, name) - 1)


def end_running(grace=5):
    """Wait up to grace seconds for the programs still running to end, then kill them.

    For the end of a stopped run: threads whose child ignored SIGTERM end
    too, so that the interpreter's exit, which waits for them, does not hang.
    """
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        with _running_lock:
            running = [p for p in _running if p.poll() is None]
        if not running:
            return
        time.sleep(0.05)
    with _running_lock:
        running = list(_running.items())
    for proc, group in running:
        _signal(proc, group, signal.SIGKILL)


def _signal(proc, group, signum):
    """Send signum to proc (with group, to its whole group, killed: spatch -j's workers)."""
    with contextlib.suppress(ProcessLookupError):
        if group:
            os.killpg(proc.pid, signal.SIGKILL)
        elif proc.returncode is None:
            proc.send_signal(signum)


# When the run began, for the trace's start column.
_BEGAN = time.monotonic()


def _trace(argv, started):
    """One line of GUP_UNIFY_TRACE: when a program started, its wall seconds, its
    command line."""
    trace = os.environ.get("GUP_UNIFY_TRACE")
    if trace:
        with open(trace, "a") as f:
            f.write("%8.3f %8.3f %s\n" % (started - _BEGAN, time.monotonic() - started,
                                         " ".join(argv).replace("\n", " ")[:300]))


def _end(proc, group=False, at_once=False):
    """End proc (with group, its whole process group: spatch -j forks workers)."""
    if group:
        _signal(proc, True, signal.SIGKILL)
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


def git(repo, *args, check=True, env=None, input=None, binary=False, aside=False):
    """Run git in repo and return its stdout (aside: see run())."""
    return run(["git", "-C", repo] + list(args), check=check, env=env,
               input=input, binary=binary, aside=aside)[1]


def write_atomic(path, text):
    """Write text (or bytes) to path so that an interrupted run leaves the old file or none.

    Only a regular file (or no file) is replaced, by a rename. A symbolic
    link (/dev/stdout, a link to a file), a FIFO or a device (/dev/null) is
    opened and written through, as the shell's > does: never replaced. A
    directory is refused.
    """
    if isinstance(text, str):
        # A tree's non-UTF-8 bytes (surrogateescape) go out as they came in.
        text = text.encode("utf-8", "surrogateescape")
    if os.path.isdir(path):
        die("%s is a directory: name a file" % path)
    if os.path.islink(path) or (os.path.exists(path) and not os.path.isfile(path)):
        with open(path, "wb") as f:
            f.write(text)
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    # A killed run's aside file of path goes (imported here: leftovers uses progress()).
    from .leftovers import sweep
    sweep(os.path.dirname(os.path.abspath(path)), os.path.basename(path) + ".tmp.",
          keep_own=True)
    # Threads of one run may write the same file (spatch's hints): an aside
    # file each.
    tmp = "%s.tmp.%d.%d" % (path, os.getpid(), threading.get_ident())
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
    """Take a stop (Ctrl-C, SIGTERM) only after the steps inside, which must be done all or
    not at all.

    The stop signals are blocked so that the git children started inside
    (which inherit the mask) finish too, and the handler defers (a thread
    that does not block them may take the signal for the process): the
    programs still running are stopped and Interrupted raised when the
    outermost block ends.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        with _flag("held"):
            yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    if _stopping and not getattr(_local, "held", 0):
        with _running_lock:
            running = list(_running.items())
        for proc, group in running:
            _signal(proc, group, signal.SIGTERM)
        raise Interrupted(_stopping[0])


def pause_at(stage):
    """Test hook: with GUP_UNIFY_PAUSE_AT=stage the run says so and waits here.

    tests/test_hostile_interrupt.py uses it to send SIGINT or SIGKILL at a
    known moment; SIGUSR1 lets the run go on.
    """
    if os.environ.get("GUP_UNIFY_PAUSE_AT") != stage:
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    from .progress import progress    # progress imports this module
    progress("paused at %s" % stage)
    signal.sigwaitinfo({signal.SIGUSR1})
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
