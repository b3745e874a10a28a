"""The one place where gup-unify runs programs, reports errors and shows progress."""
import os
import subprocess
import sys
import time


class UserError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback."""


def die(message):
    raise UserError(message)


def run(argv, cwd=None, check=True, env=None, input=None, timeout=None, binary=False):
    """Run argv, returning (returncode, stdout, stderr) as text (stdout as bytes with binary).

    With check, a non-zero exit becomes a UserError naming the command and its
    last line of stderr, because the caller cannot do better than say so.
    """
    full_env = None
    if env:
        full_env = dict(os.environ)
        full_env.update(env)
    try:
        proc = subprocess.run(argv, cwd=cwd, env=full_env, input=input,
                              capture_output=True, timeout=timeout,
                              **({} if binary else {"text": True, "errors": "replace"}))
    except FileNotFoundError:
        die("%s: command not found" % argv[0])
    except subprocess.TimeoutExpired:
        die("%s: timed out after %d s" % (" ".join(argv[:2]), timeout))
    stderr = proc.stderr.decode(errors="replace") if binary else proc.stderr
    if check and proc.returncode != 0:
        last = (stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1]
        die("%s failed: %s" % (" ".join(argv[:3]), last))
    return proc.returncode, proc.stdout, stderr


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
        print("gup-unify: " + message, file=sys.stderr, flush=True)


def warn(message):
    """A warning on stderr, shown even with -q: it is about the result, not progress."""
    print("gup-unify: warning: " + message, file=sys.stderr, flush=True)


class Stopwatch:
    """Named wall-clock timings, for the report."""

    def __init__(self):
        self.seconds = {}

    def __call__(self, name):
        watch = self

        class _Lap:
            def __enter__(self):
                self.start = time.monotonic()

            def __exit__(self, *exc):
                watch.seconds[name] = round(time.monotonic() - self.start, 2)
        return _Lap()


def write_atomic(path, text):
    """Write text (or bytes) to path so that an interrupted run leaves the old file or none."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = "%s.tmp.%d" % (path, os.getpid())
    if isinstance(text, str):
        # A tree's non-UTF-8 bytes (surrogateescape) go out as they came in.
        text = text.encode("utf-8", "surrogateescape")
    with open(tmp, "wb") as f:
        f.write(text)
    os.replace(tmp, path)
