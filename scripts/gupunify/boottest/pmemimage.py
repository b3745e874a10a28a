"""The pmem of a guest without a shell: an ext2 image, the backing file of its nvdimm."""
import contextlib
import os
import shutil

from ..common.util import run

# DAX maps whole pages: the file system's blocks are the guest's pages.
BLOCK = 4096


def mke2fs():
    """mke2fs's path, or None: /usr/sbin is not on every user's PATH."""
    return shutil.which("mke2fs") or next(
        (p for p in ("/usr/sbin/mke2fs", "/sbin/mke2fs") if os.access(p, os.X_OK)), None)


def write_image(path, mib, label_kib):
    """A new ext2 of mib MiB at path, then label_kib KiB of zeros; returns path.

    QEMU keeps the nvdimm's labels in the file's tail: zeros there are no
    label index, so the guest starts from none (gup_test labels its
    namespace). Made anew for each boot, as each fills it with files; written
    aside and renamed, and the aside file removed when mke2fs fails or the
    run is interrupted, so that no half-made image stays.
    """
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.truncate((mib << 20) + (label_kib << 10))
        run([mke2fs() or "mke2fs", "-q", "-F", "-t", "ext2", "-b", str(BLOCK), "-E", "nodiscard",
             tmp, str((mib << 20) // BLOCK)])
        os.replace(tmp, path)
    except BaseException:
        # A failed mke2fs or a Ctrl-C: no half-made image stays behind.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path
