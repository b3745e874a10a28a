"""The lock of a job's work directory under the scratch area: one run in it at a time."""
import fcntl
import os
import time

from .progress import progress
from .util import die


class Lock:
    """An exclusive flock on path, a file in the work directory naming its holder.

    The kernel drops a flock when its holder dies, however it dies, so the
    lock of a killed run blocks nothing: its line in the file is only
    overwritten. With wait a second run waits for the first (make check);
    without, it stops at once with a line naming the first, which goes on
    undisturbed (make boottest). what names the job in the messages.
    """

    def __init__(self, path, what, wait=True):
        self.path = path
        self.what = what
        self.wait = wait

    def __enter__(self):
        # Not opened "w": that would empty the holder's line before we hold the lock.
        self.f = os.fdopen(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644), "r+")
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self.f.read().strip()
            other = "another %s%s" % (self.what, " (%s)" % holder if holder else "")
            if not self.wait:
                self.f.close()
                die("%s is using %s: let it finish first" % (other, os.path.dirname(self.path)))
            progress("%s is running on this tree: waiting for it (%s)" % (other, self.path))
            fcntl.flock(self.f, fcntl.LOCK_EX)
        self.f.seek(0)
        self.f.truncate()
        self.f.write("pid %d, started %s\n" % (
            os.getpid(), time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())))
        self.f.flush()
        return self

    def __exit__(self, *exc):
        self.f.close()
