"""make check MODULE=: the fixture module of tests/module/ converted and built before and
after, against Debian's installed headers (always) and a v5.0 tree the tool prepares
(GUP_KERNEL_TREE); the probe picks the new side on the one, the old on the other.
"""
import glob
import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, gup_unify

FIXTURE = os.path.join(ROOT, "tests", "module")
TREE = os.environ.get("GUP_KERNEL_TREE")


def snapshot(path):
    return {os.path.relpath(os.path.join(root, name), path):
            open(os.path.join(root, name), "rb").read()
            for root, _, files in os.walk(path) for name in files}


def installed_headers():
    found = sorted(p for p in glob.glob("/usr/src/linux-headers-*-amd64")
                   if os.path.isfile(os.path.join(p, "include/generated/autoconf.h")))
    if not found:
        pytest.fail("no Debian kernel headers in /usr/src: run scripts/deps test "
                    "(linux-headers-amd64)")
    return found[-1]


def undefined_symbols(ko):
    out = subprocess.run(["nm", "-u", ko], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines()}


def check(tmp_path, kdir):
    before = snapshot(FIXTURE)
    scratch = tmp_path / "scratch"
    done = gup_unify("check", FIXTURE, "--kdir", kdir, "--reports", str(tmp_path / "reports"),
                     scratch=scratch)
    assert snapshot(FIXTURE) == before, "the module directory was written"
    with open(tmp_path / "reports" / "module" / "modulecheck.json") as f:
        report = json.load(f)
    return done, report


def test_fixture_builds_on_the_installed_headers_with_the_new_api(tmp_path):
    done, report = check(tmp_path, installed_headers())
    assert done.returncode == 0, done.stdout + done.stderr
    [kernel] = report["kernels"]
    # Before the conversion, 6.1 lacks the old functions the module calls.
    assert kernel["before"]["status"] == "failed"
    errors = " ".join(e for o in kernel["before"]["objects"].values() for e in o["errors"])
    assert "get_user_pages_longterm" in errors and "__get_user_pages_fast" in errors
    assert kernel["after"]["status"] == "built" and kernel["new"] == {}
    assert kernel["after"]["objects"]["gupdemo.o"] == {"warnings": [], "errors": []}
    assert kernel["probe"] == {"GUPDEMO_GUP_LONGTERM": 1, "GUPDEMO_GUP_FAST_ONLY": 1}
    symbols = undefined_symbols(os.path.join(kernel["after"]["dir"], "gupdemo.ko"))
    assert {"get_user_pages", "get_user_pages_fast_only", "get_user_pages_fast"} <= symbols
    assert not symbols & {"get_user_pages_longterm", "__get_user_pages_fast"}
    assert report["conversion"]["compat"]["header"] == "gupdemo_gup_compat.h"
    assert "result: passed" in done.stdout
    assert "probe: GUPDEMO_GUP_FAST_ONLY=1 get_user_pages_fast_only() (new)" in done.stdout


@pytest.mark.skipif(not TREE, reason="GUP_KERNEL_TREE is not set: no v5.0/v5.1 tree to "
                                     "prepare for the module's old-API build")
def test_fixture_builds_on_a_prepared_old_tree_with_the_old_api(tmp_path):
    done, report = check(tmp_path, TREE)
    assert done.returncode == 0, done.stdout + done.stderr
    [kernel] = report["kernels"]
    assert kernel["version"].startswith(("5.0", "5.1"))
    assert kernel["before"]["status"] == "built" and kernel["after"]["status"] == "built"
    assert kernel["new"] == {}
    assert kernel["probe"] == {"GUPDEMO_GUP_LONGTERM": 2, "GUPDEMO_GUP_FAST_ONLY": 2}
    symbols = undefined_symbols(os.path.join(kernel["after"]["dir"], "gupdemo.ko"))
    assert "__get_user_pages_fast" in symbols
    assert "get_user_pages_fast_only" not in symbols
    assert any(k["knob"].startswith("HOSTCFLAGS=-fcommon") for k in kernel["knobs"])


@pytest.mark.parametrize("args, message", [
    (["--kdir", "/nonexistent"], "--kdir /nonexistent: no such directory"),
    (["--kdir", ROOT], "--kdir %s: neither a prepared kernel build directory" % ROOT),
])
def test_a_bad_kdir_is_one_line(tmp_path, args, message):
    done = gup_unify("check", FIXTURE, *args, scratch=tmp_path / "scratch")
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("gup-unify: error: " + message)


def test_a_folder_without_obj_m_is_not_a_module(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "Makefile").write_text("all:\n\ttrue\n")
    done = gup_unify("check", str(tmp_path / "m"), "--kdir", "/nonexistent",
                     scratch=tmp_path / "scratch")
    assert done.returncode == 2
    assert done.stderr == "gup-unify: error: %s: Makefile has no obj-m line: not a kbuild " \
                          "module directory\n" % (tmp_path / "m")


def test_make_check_module_passes_each_kdir_and_wants_one(tmp_path):
    out = subprocess.run(["make", "-n", "-s", "-C", ROOT, "check", "MODULE=my mod",
                          "KDIR=/k/one /k/two"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "scripts/gup-unify check 'my mod' --kdir '/k/one' --kdir '/k/two'" in out.stdout
    assert "--branch" not in out.stdout
    module = tmp_path / "m"
    module.mkdir()
    (module / "Kbuild").write_text("obj-m += m.o\n")
    done = gup_unify("check", str(module), scratch=tmp_path / "scratch")
    assert done.returncode == 2
    assert done.stderr == ("gup-unify: error: %s is an out-of-tree module: name the kernels to "
                           "build it against with --kdir DIR (make check MODULE=%s KDIR=DIR)\n"
                           % (module, module))


def test_check_builds_exactly_the_conversion_spatch_writes(tmp_path):
    """What make check MODULE= builds is the module as the user's diff leaves it."""
    from test_module_convert import module
    from gupunify.convert import compatrun
    drv = module(tmp_path / "drv")
    built = tmp_path / "built"
    shutil.copytree(drv, built)
    compatrun.convert(str(built), str(tmp_path / "work"))
    out = gup_unify("spatch", str(drv), "--diff", str(tmp_path / "drv.diff"), "--reports",
                    str(tmp_path / "rep"), scratch=tmp_path / "scratch")
    assert out.returncode == 0, out.stderr
    applied = tmp_path / "applied"
    shutil.copytree(drv, applied)
    subprocess.run(["patch", "-p1", "-s", "-i", str(tmp_path / "drv.diff")], cwd=applied,
                   check=True)

    def files(root):
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file()}
    assert files(built) == files(applied)
    assert b"FOLL_WRITE/* write */" not in (built / "drv.c").read_bytes()


def test_a_module_reading_its_parents_include_folder_builds_from_the_copy(tmp_path):
    """A vendor tree's module that takes headers from ../include (as Xilinx's XDMA does)
    builds in the check as it does in place; the vendor tree is not written."""
    vendor = tmp_path / "vendor"
    (vendor / "include").mkdir(parents=True)
    (vendor / "include" / "shared.h").write_text("#define SHARED_WRITE 1\n")
    drv = vendor / "drv"
    drv.mkdir()
    (drv / "Makefile").write_text("obj-m += drv.o\nccflags-y += -I$(src)/../include\n")
    (drv / "drv.c").write_text(
        "// SPDX-License-Identifier: GPL-2.0\n#include <linux/module.h>\n#include <linux/mm.h>\n"
        "#include \"shared.h\"\n\nint drv_pin(unsigned long start, struct page **pages)\n{\n"
        "\treturn get_user_pages_fast(start, 1, SHARED_WRITE, pages);\n}\n"
        "EXPORT_SYMBOL(drv_pin);\nMODULE_LICENSE(\"GPL\");\n")
    before = snapshot(vendor)
    done = gup_unify("check", str(drv), "--kdir", installed_headers(), "--reports",
                     str(tmp_path / "reports"), scratch=tmp_path / "scratch")
    assert snapshot(vendor) == before, "the vendor tree was written"
    with open(tmp_path / "reports" / "drv" / "modulecheck.json") as f:
        [kernel] = json.load(f)["kernels"]
    assert kernel["before"]["status"] == kernel["after"]["status"] == "built", done.stdout
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_tree_the_tool_prepared_is_built_for_the_arch_it_was_configured_for(
        tmp_path, monkeypatch):
    """A kernel tree's Makefile may default to another arch (a v5.1.15 snapshot has
    ARCH ?= arm64): the module is built with the ARCH its prepared tree was configured
    for, and against a build directory of the user's with what that directory says."""
    from gupunify.buildcheck import modprep, module
    seen = []
    monkeypatch.setattr(module, "run", lambda argv, **kw: seen.append(argv) or (0, "", ""))
    prepared = modprep.Kdir(str(tmp_path), "prepared", "5.1.15", [], True)
    headers = modprep.Kdir(str(tmp_path), "headers", "6.1.0", [], False)
    module.build(prepared, str(tmp_path / "copy"), 1)
    module.build(headers, str(tmp_path / "copy"), 1)
    assert "ARCH=" + modprep.ARCH in seen[0] and "CROSS_COMPILE=" in seen[0]
    assert not [a for a in seen[1] if a.startswith(("ARCH=", "CROSS_COMPILE="))]
