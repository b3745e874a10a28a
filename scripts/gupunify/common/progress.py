"""What a person at a terminal, or a CI log, sees of a run: progress lines, warnings and
long phases with their counts and seconds."""
import os
import sys
import threading
import time

from .util import die

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
    nothing. Phases nest: the innermost one is shown, and of phases that run
    side by side in two threads the last begun; each ends with its line.
    """

    def __init__(self, name, total=None, unit=""):
        self.name, self.total, self.unit = name, total, unit
        self.done = 0
        self.shown = False
        self.hidden = False     # another thread's phase stood in its place on screen
        self.thread = threading.current_thread()
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
                if _phases and _phases[-1] is not self and _phases[-1].thread is not self.thread:
                    self.hidden = True
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
            # One that ran beside another thread's, unseen, still says how long it took.
            if (self.shown or self.hidden) and exc[0] is None:
                progress(self.line(end=True))
            elif _drawn[0]:
                sys.stderr.write(_wipe())
                sys.stderr.flush()
