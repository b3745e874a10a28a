"""The boot test's guest side: gup_test built static, and the initramfs that holds it."""
import os
import stat

from ..common import kbuild
from ..common.util import die, run, write_atomic
from . import guests

BUSYBOX_APPLETS = ["sh", "mount", "mkdir", "cat", "insmod", "mke2fs", "reboot",
                   "dmesg", "ls"]


def _newc(name, mode, data=b"", ino=1, rdev=(0, 0), nlink=1):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
              len(name_b), 0]
    head = b"070701" + b"".join(b"%08X" % f for f in fields) + name_b
    head += b"\0" * (-len(head) % 4)
    return head + data + b"\0" * (-len(data) % 4)


def pack_initramfs(out, files, busybox=None):
    """Write a newc cpio: /init, /dev/console, busybox and its applets if any, and files.

    files maps archive paths to (host path, mode). Written here rather than by
    cpio(1) so that /dev/console needs no root and the archive is reproducible.
    """
    entries = []
    for d in ("bin", "dev", "proc", "sys", "mnt"):
        entries.append((d, stat.S_IFDIR | 0o755, b"", (0, 0)))
    entries.append(("dev/console", stat.S_IFCHR | 0o600, b"", (5, 1)))
    if busybox:
        with open(busybox, "rb") as f:
            entries.append(("bin/busybox", stat.S_IFREG | 0o755, f.read(), (0, 0)))
        for applet in BUSYBOX_APPLETS:
            entries.append(("bin/" + applet, stat.S_IFLNK | 0o777, b"busybox", (0, 0)))
    for name, (path, mode) in sorted(files.items()):
        with open(path, "rb") as f:
            entries.append((name.lstrip("/"), stat.S_IFREG | mode, f.read(), (0, 0)))
    blob = b"".join(_newc(name, mode, data, ino=i + 1, rdev=rdev,
                          nlink=2 if stat.S_ISDIR(mode) else 1)
                    for i, (name, mode, data, rdev) in enumerate(entries))
    blob += _newc("TRAILER!!!", 0, ino=0)
    with open(out, "wb") as f:
        f.write(blob)
    return [e[0] for e in entries]


def is_static_elf(path):
    """True for an ELF executable (32 or 64 bit, either byte order) without PT_INTERP."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        return False
    order = "little" if data[5] == 1 else "big"

    def word(at, size):
        return int.from_bytes(data[at:at + size], order)
    if data[4] == 2:
        phoff, phentsize, phnum = word(0x20, 8), word(0x36, 2), word(0x38, 2)
    else:
        phoff, phentsize, phnum = word(0x1c, 4), word(0x2a, 2), word(0x2c, 2)
    return all(word(phoff + i * phentsize, 4) != 3 for i in range(phnum))


def build_test_program(out_dir, arch="x86_64"):
    """gup_test for arch, static, warnings as errors; returns its path."""
    exe = os.path.join(out_dir, "gup_test")
    run([kbuild.ARCHES[arch].gcc, "-O2", "-Wall", "-Wextra", "-Werror",
         "-static", "-o", exe, os.path.join(guests.BOOTTEST_DIR, "gup_test.c")])
    if not is_static_elf(exe):
        die("%s: not a static executable" % exe)
    return exe


def busybox_path():
    for path in ("/bin/busybox", "/usr/bin/busybox"):
        if os.path.isfile(path) and is_static_elf(path):
            return path
    die("no static busybox: install busybox-static (make deps-boottest)")


def guest_initramfs(arch, guest_dir, exe, module, family=None):
    """arch's initramfs in guest_dir: gup_test, the module and an init; returns its path.

    A busybox guest runs boottest/init, which loads the module and starts
    gup_test; elsewhere gup_test is /init, told by /nodax why DAX is missing.
    family is the kernel's GUP family (guests.family()): without a fast
    walk (the __weak fallback, or mm/gup.c's slow path) /gup_fast_only says
    "none", and gup_test expects get_user_pages_fast_only() to pin nothing,
    as that family's contract is.
    """
    initrd = os.path.join(guest_dir, "initramfs.cpio")
    common = {"gup_unify_test.ko": (module, 0o644)}
    if family in (guests.FALLBACK, guests.SLOW_PATH):
        pins_none = os.path.join(guest_dir, "gup_fast_only")
        write_atomic(pins_none, "none\n")
        common["gup_fast_only"] = (pins_none, 0o644)
    if guests.GUESTS[arch].init == "busybox":
        pack_initramfs(initrd, dict(common, init=(os.path.join(guests.BOOTTEST_DIR, "init"),
                                                  0o755), gup_test=(exe, 0o755)),
                       busybox_path())
    else:
        files = dict(common, init=(exe, 0o755))
        if arch in guests.NO_DAX:
            nodax = os.path.join(guest_dir, "nodax")
            write_atomic(nodax, guests.NO_DAX[arch] + "\n")
            files["nodax"] = (nodax, 0o644)
        pack_initramfs(initrd, files)
    return initrd
