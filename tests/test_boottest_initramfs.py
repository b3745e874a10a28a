"""make boottest's guest side: gup_test built per arch, the initramfs around it, and
the pmem image."""
import os
import shutil
import subprocess
import sys

import pytest

from gupunify.boottest import guests, initramfs, pmemimage, qemuboot
from gupunify.common import kbuild
from gupunify.common.util import UserError


def test_guest_program_builds_warning_free_with_its_own_makefile(tmp_path):
    for rel in ("Makefile", "gup_test.c", "module/gup_unify_test.h"):
        os.makedirs(os.path.dirname(str(tmp_path / rel)), exist_ok=True)
        shutil.copy(os.path.join(guests.BOOTTEST_DIR, rel), str(tmp_path / rel))
    proc = subprocess.run(["make", "-C", str(tmp_path), "CFLAGS=-O2 -Wall -Wextra -Werror"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr
    assert initramfs.is_static_elf(str(tmp_path / "gup_test"))


def test_arm_program_is_a_static_elf32_and_the_initramfs_has_no_busybox(tmp_path):
    if not shutil.which("arm-linux-gnueabihf-gcc"):
        pytest.skip("no arm-linux-gnueabihf-gcc: make test installs it")
    exe = initramfs.build_test_program(str(tmp_path), "arm")
    with open(exe, "rb") as f:
        assert f.read(5) == b"\x7fELF\x01"
    assert initramfs.is_static_elf(exe)
    out = str(tmp_path / "initramfs.cpio")
    names = initramfs.pack_initramfs(out, {"init": (exe, 0o755)})
    assert "bin/busybox" not in names and "init" in names and "dev/console" in names


@pytest.mark.parametrize("arch,order,machine", [("mips", "big", 8)])
def test_walk_arch_program_is_a_static_elf32_for_its_machine(tmp_path, arch, order, machine):
    gcc = kbuild.ARCHES[arch].gcc
    if not shutil.which(gcc):
        pytest.skip("no %s: run make deps-boottest" % gcc)
    # make deps installs the cross compilers for make check, the static
    # libcs come with make deps-boottest
    libc = subprocess.run([gcc, "-print-file-name=libc.a"], capture_output=True,
                          text=True).stdout.strip()
    if not os.path.isabs(libc):
        pytest.skip("no static libc for %s: run make deps-boottest" % gcc)
    exe = initramfs.build_test_program(str(tmp_path), arch)
    with open(exe, "rb") as f:
        head = f.read(20)
    assert head[:5] == b"\x7fELF\x01" and head[5] == (2 if order == "big" else 1)
    assert int.from_bytes(head[18:20], order) == machine  # EM_MIPS, EM_SH
    assert initramfs.is_static_elf(exe)


def test_initramfs_holds_init_busybox_applets_program_and_module(tmp_path):
    exe = initramfs.build_test_program(str(tmp_path))
    assert initramfs.is_static_elf(exe)
    assert not initramfs.is_static_elf(sys.executable)
    module = tmp_path / "gup_unify_test.ko"
    module.write_bytes(b"not really a module")
    out = str(tmp_path / "initramfs.cpio")
    names = initramfs.pack_initramfs(out, {
        "init": (os.path.join(guests.BOOTTEST_DIR, "init"), 0o755),
        "gup_test": (exe, 0o755), "gup_unify_test.ko": (str(module), 0o644)},
        busybox=exe)
    with open(out, "rb") as f:
        listing = subprocess.run(["cpio", "-itv", "--quiet"], stdin=f, capture_output=True,
                                 text=True, check=True).stdout.splitlines()
    by_name = {line.split()[-1] if " -> " not in line else line.split()[-3]: line
               for line in listing}
    assert sorted(by_name) == sorted(names)
    assert by_name["dev/console"].startswith("crw-------")
    assert by_name["init"].startswith("-rwxr-xr-x")
    assert by_name["bin/sh"].startswith("l") and by_name["bin/sh"].endswith("-> busybox")
    assert by_name["gup_unify_test.ko"].startswith("-rw-r--r--")
    extract = tmp_path / "x"
    extract.mkdir()
    with open(out, "rb") as f:
        subprocess.run(["cpio", "-id", "--quiet", "gup_test", "init"], stdin=f,
                       cwd=str(extract), check=True)
    assert (extract / "gup_test").read_bytes() == open(exe, "rb").read()
    assert os.access(str(extract / "init"), os.X_OK)


def test_a_guest_without_busybox_runs_gup_test_as_init_and_is_told_why_no_dax(tmp_path):
    """arm's initramfs: no busybox, gup_test is /init beside the module, /nodax says why."""
    exe, module = tmp_path / "gup_test", tmp_path / "gup_unify_test.ko"
    exe.write_bytes(b"the test program")
    module.write_bytes(b"the module")
    initrd = initramfs.guest_initramfs("arm", str(tmp_path), str(exe), str(module))
    assert initrd == str(tmp_path / "initramfs.cpio")
    with open(initrd, "rb") as f:
        names = subprocess.run(["cpio", "-it", "--quiet"], stdin=f, capture_output=True,
                               text=True, check=True).stdout.split()
    assert sorted(names) == ["bin", "dev", "dev/console", "gup_unify_test.ko", "init", "mnt",
                             "nodax", "proc", "sys"]
    extract = tmp_path / "x"
    extract.mkdir()
    with open(initrd, "rb") as f:
        subprocess.run(["cpio", "-id", "--quiet", "init", "nodax", "gup_unify_test.ko"],
                       stdin=f, cwd=str(extract), check=True)
    assert (extract / "init").read_bytes() == b"the test program"
    assert os.access(str(extract / "init"), os.X_OK)
    assert (extract / "gup_unify_test.ko").read_bytes() == b"the module"
    assert (extract / "nodax").read_text() == (
        "the arch has no pte_devmap, so no DAX page to pin\n")


def ext2_super(data):
    """(magic, block size, blocks) of the ext2 superblock at byte 1024 of data."""
    sb = data[1024:2048]
    return (int.from_bytes(sb[56:58], "little"), 1024 << int.from_bytes(sb[24:28], "little"),
            int.from_bytes(sb[4:8], "little"))


def test_pmem_image_is_an_ext2_of_page_blocks_before_a_zeroed_label_area(tmp_path):
    if not pmemimage.mke2fs():
        pytest.skip("no mke2fs: make test installs e2fsprogs (scripts/deps test)")
    path = str(tmp_path / "pmem.img")
    (tmp_path / "pmem.img").write_bytes(b"an old image")
    assert pmemimage.write_image(path, 8, 128) == path
    data = open(path, "rb").read()
    assert len(data) == 8 * 2**20 + 128 * 2**10
    assert ext2_super(data) == (0xEF53, 4096, 2048)
    # the label area: no index, so the guest's kernel writes its own
    assert data[8 * 2**20:] == bytes(128 * 2**10)
    assert sorted(os.listdir(str(tmp_path))) == ["pmem.img"]


def test_a_failed_or_interrupted_pmem_image_leaves_nothing_half_written(tmp_path,
                                                                          monkeypatch):
    """mke2fs stopping half way, or Ctrl-C, keeps the last image and no .tmp beside it."""
    fake = tmp_path / "bin" / "mke2fs"
    fake.parent.mkdir()
    # Writes into the image, as a real mke2fs does before it fails.
    fake.write_text('#!/bin/sh\nfor a; do f=$b; b=$a; done\nprintf half > "$f"\n'
                    'echo "mke2fs: Could not allocate block in ext2 filesystem" >&2\nexit 1\n')
    fake.chmod(0o755)
    monkeypatch.setattr(pmemimage, "mke2fs", lambda: str(fake))
    guest = tmp_path / "guest"
    guest.mkdir()
    (guest / "pmem.img").write_bytes(b"the last boot's image")
    with pytest.raises(UserError) as e:
        pmemimage.write_image(str(guest / "pmem.img"), 8, 128)
    assert str(e.value) == ("%s -q -F failed: mke2fs: Could not allocate block in ext2 "
                            "filesystem" % fake)
    assert os.listdir(str(guest)) == ["pmem.img"]
    assert (guest / "pmem.img").read_bytes() == b"the last boot's image"

    def interrupted(argv):
        assert os.path.getsize(argv[-2]) == 8 * 2**20 + 128 * 2**10
        raise KeyboardInterrupt
    monkeypatch.setattr(pmemimage, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pmemimage.write_image(str(guest / "pmem.img"), 8, 128)
    assert os.listdir(str(guest)) == ["pmem.img"]
    assert (guest / "pmem.img").read_bytes() == b"the last boot's image"


def test_each_powerpc64le_boot_gets_a_new_pmem_image(tmp_path, monkeypatch):
    """A boot fills the image with files: the next one (timing boots) starts afresh."""
    if not pmemimage.mke2fs():
        pytest.skip("no mke2fs: make test installs e2fsprogs (scripts/deps test)")
    seen = []

    def fake_run_qemu(argv, timeout, output):
        backing = argv[argv.index("-object") + 1].split("mem-path=")[1].split(",size=")[0]
        with open(backing, "r+b") as f:
            seen.append(ext2_super(f.read(2048)))
            f.seek(0)
            f.write(bytes(2048))
        return 0, ""
    monkeypatch.setattr(qemuboot, "run_qemu", fake_run_qemu)
    for _ in range(2):
        record, tap, console = qemuboot.boot("vmlinux", "i", str(tmp_path), "tcg", 60,
                                             "powerpc64le")
        assert record["qemu_status"] == 0
    assert seen == [(0xEF53, 4096, 65536)] * 2
    assert os.path.getsize(str(tmp_path / "pmem.img")) == 256 * 2**20 + 128 * 2**10
