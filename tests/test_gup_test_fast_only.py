"""gup_test's fast-only case on the __weak fallback family, run on the host.

boottest/gup_test.c is built for the host and run with a stand-in for
gup_unify_test.ko (an LD_PRELOAD library answering the module's ioctl as a
kernel of the chosen family would): get_user_pages_fast_only() pins the
resident half of the mapping on the generic and arch walks, and nothing
(returns 0) on the mm/util.c __weak fallback, by contract. The host says
which family the guest's kernel is through /gup_fast_only in the initramfs.
"""
import os
import re
import shutil
import subprocess

import pytest
from conftest import ROOT

from gupunify.boottest import guests, initramfs

BOOTTEST = os.path.join(ROOT, "boottest")

# The module's debugfs file opens as /dev/null; its ioctl answers as a kernel
# with get_user_pages_fast_only() would, pinning FAKE_PINNED pages from the
# start of the range and filling each with the poke byte, as the module does.
MODULE = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/types.h>
#include "gup_unify_test.h"

static int module_fd = -1;

static int opened(const char *path, int flags, mode_t mode, const char *real)
{
	int (*next)(const char *, int, ...) = dlsym(RTLD_NEXT, real);

	if (strcmp(path, GUT_DEBUGFS))
		return next(path, flags, mode);
	module_fd = next("/dev/null", O_RDWR);
	return module_fd;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	return opened(path, flags, mode, "open");
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	return opened(path, flags, mode, "open64");
}

int ioctl(int fd, unsigned long cmd, ...)
{
	int (*next)(int, unsigned long, ...) = dlsym(RTLD_NEXT, "ioctl");
	struct gut_req *req;
	long page = sysconf(_SC_PAGESIZE);
	va_list ap;
	int i;

	va_start(ap, cmd);
	req = va_arg(ap, struct gut_req *);
	va_end(ap);
	if (fd != module_fd)
		return next(fd, cmd, req);
	req->api = GUT_API_GUP_FLAGS | GUT_API_FAST_ONLY;
	req->ret = cmd == GUT_FAST_ONLY ? atoi(getenv("FAKE_PINNED")) : -38;
	for (i = 0; i < req->ret; i++)
		if (req->poke)
			memset((char *)(unsigned long)req->addr + i * page, req->poke, page);
	return 0;
}
"""


@pytest.fixture(scope="module")
def gup_test(tmp_path_factory):
    """gup_test built for the host, and the stand-in module library."""
    if not shutil.which("gcc"):
        pytest.skip("no gcc: make test installs Debian's build-essential")
    where = tmp_path_factory.mktemp("gup_test")
    (where / "module.c").write_text(MODULE)
    subprocess.run(["gcc", "-O2", "-Wall", "-Werror", "-o", str(where / "gup_test"),
                    os.path.join(BOOTTEST, "gup_test.c")], check=True)
    subprocess.run(["gcc", "-O2", "-Wall", "-shared", "-fPIC", "-I",
                    os.path.join(BOOTTEST, "module"), "-o", str(where / "module.so"),
                    str(where / "module.c"), "-ldl"], check=True)
    return where


def fast_only_case(where, pinned, fast_only=None):
    """(result line, notes) of gup_test's fast_only_atomic_short with the module
    pinning pinned pages, gup_fast_only in the environment when given."""
    env = {k: v for k, v in os.environ.items() if k != "gup_fast_only"}
    env.update(LD_PRELOAD=str(where / "module.so"), FAKE_PINNED=str(pinned))
    if fast_only is not None:
        env["gup_fast_only"] = fast_only
    out = subprocess.run([str(where / "gup_test")], capture_output=True, text=True,
                         env=env, timeout=120).stdout
    result = re.search(r"^(?:not )?ok \d+ fast_only_atomic_short.*$", out, re.M).group(0)
    notes = re.findall(r"^# fast_only_atomic_short: (.*)$", out, re.M)
    return result, notes


def test_weak_family_pinning_nothing_passes(gup_test):
    result, notes = fast_only_case(gup_test, 0, "none")
    assert result.startswith("ok ") and "SKIP" not in result, (result, notes)
    assert any("__weak fallback" in n for n in notes), notes


def test_weak_family_pinning_pages_fails(gup_test):
    """The fallback's contract is 0: a kernel that pins there is wrong. The
    other families still expect the resident half, and fail on 0."""
    assert fast_only_case(gup_test, 32)[0].startswith("ok ")
    result, notes = fast_only_case(gup_test, 0)
    assert result.startswith("not ok ") and "not the 32 resident pages" in notes[-1], notes
    result, notes = fast_only_case(gup_test, 32, "none")
    assert result.startswith("not ok "), (result, notes)
    assert "returned 32" in notes[-1] and "not the 0 of the __weak fallback" in notes[-1], \
        notes




def cpio_names(path):
    """The member names of a newc cpio archive."""
    data, names, at = open(path, "rb").read(), {}, 0
    while True:
        namesize, filesize = int(data[at + 94:at + 102], 16), int(data[at + 54:at + 62], 16)
        name = data[at + 110:at + 110 + namesize - 1].decode()
        at += 110 + namesize
        at += -at % 4
        if name == "TRAILER!!!":
            return names
        names[name] = data[at:at + filesize]
        at += filesize + (-filesize % 4)


@pytest.mark.parametrize("arch", ["arm", "riscv64"])
def test_initramfs_of_a_weak_family_kernel_says_fast_only_pins_none(tmp_path, arch,
                                                                    monkeypatch):
    monkeypatch.setattr(initramfs, "busybox_path", lambda: os.path.join(BOOTTEST, "init"))
    exe, module = tmp_path / "gup_test", tmp_path / "m.ko"
    exe.write_bytes(b"exe")
    module.write_bytes(b"ko")
    weak = initramfs.guest_initramfs(arch, str(tmp_path), str(exe), str(module),
                                     guests.FALLBACK)
    assert cpio_names(weak)["gup_fast_only"] == b"none\n"
    other = initramfs.guest_initramfs(arch, str(tmp_path), str(exe), str(module),
                                      guests.GENERIC)
    assert "gup_fast_only" not in cpio_names(other)
