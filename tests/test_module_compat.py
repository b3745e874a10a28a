"""The compat header of a converted module: written only where a call needs it, and
on either side of the API change it calls what keeps the call's meaning.

The header's C is compiled here with the host's gcc against a stand-in
<linux/mm.h> of each side whose functions record what they were called with;
the Kbuild probe against real kernels is in test_module_build.py.
"""
import os
import shutil
import subprocess
import textwrap

import pytest

from gupunify.convert import compat, compattext

KBUILD = "obj-m += demo.o\n"

CONVERTED = """\
#include <linux/mm.h>

long pin_longterm(unsigned long start, unsigned long n, int write, struct page **pages)
{
	return get_user_pages(start, n, (write ? FOLL_WRITE : 0) | FOLL_LONGTERM, pages, NULL);
}

long pin_plain(unsigned long start, unsigned long n, struct page **pages)
{
	return get_user_pages(start, n, FOLL_WRITE, pages, NULL);
}

int pin_atomic(unsigned long start, int n, int write, struct page **pages)
{
	return get_user_pages_fast_only(start, n, write ? FOLL_WRITE : 0, pages);
}

int pin_atomic_longterm(unsigned long start, int n, struct page **pages)
{
	return get_user_pages_fast_only(start, n, FOLL_WRITE | FOLL_LONGTERM, pages);
}
"""

# Stand-ins for <linux/mm.h>, each function recording its call in `called`.
COMMON = """\
#pragma once
struct page; struct vm_area_struct;
#define NULL ((void *)0)
extern char called[200];
int sprintf(char *, const char *, ...);
"""
OLD_MM = COMMON + """\
#define FOLL_WRITE 0x01
static long get_user_pages(unsigned long s, unsigned long n, unsigned int f,
			   struct page **p, struct vm_area_struct **v)
{ sprintf(called, "get_user_pages flags=%#x", f); return 1; }
static long get_user_pages_longterm(unsigned long s, unsigned long n, unsigned int f,
				    struct page **p, struct vm_area_struct **v)
{ sprintf(called, "get_user_pages_longterm flags=%#x", f); return 2; }
static int __get_user_pages_fast(unsigned long s, int n, int write, struct page **p)
{ sprintf(called, "__get_user_pages_fast write=%d", write); return 3; }
"""
# The new side has FOLL_* as enum members, as later kernels do: no #ifdef sees them.
NEW_MM = COMMON + """\
enum { FOLL_WRITE = 0x01, FOLL_LONGTERM = 0x10000 };
static long get_user_pages(unsigned long s, unsigned long n, unsigned int f,
			   struct page **p, struct vm_area_struct **v)
{ sprintf(called, "get_user_pages flags=%#x", f); return 1; }
static int get_user_pages_fast_only(unsigned long s, int n, unsigned int f, struct page **p)
{ sprintf(called, "get_user_pages_fast_only flags=%#x", f); return 3; }
"""

MAIN = """\
#include <stdio.h>
struct page;
char called[200];
long pin_longterm(unsigned long, unsigned long, int, struct page **);
long pin_plain(unsigned long, unsigned long, struct page **);
int pin_atomic(unsigned long, int, int, struct page **);
int pin_atomic_longterm(unsigned long, int, struct page **);
int main(void)
{
	long r;
	called[0] = 0; r = pin_longterm(0, 1, 1, NULL); printf("%s -> %ld\\n", called, r);
	called[0] = 0; r = pin_plain(0, 1, NULL); printf("%s -> %ld\\n", called, r);
	called[0] = 0; r = pin_atomic(0, 1, 1, NULL); printf("%s -> %ld\\n", called, r);
	called[0] = 0; r = pin_atomic(0, 1, 0, NULL); printf("%s -> %ld\\n", called, r);
	called[0] = 0; r = pin_atomic_longterm(0, 1, NULL); printf("%s -> %ld\\n", called, r);
	return 0;
}
"""


def module(tmp_path, files, kbuild=KBUILD):
    moddir = tmp_path / "demo"
    moddir.mkdir()
    (moddir / "Kbuild").write_text(kbuild)
    for name, text in files.items():
        path = moddir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return moddir


def snapshot(moddir):
    return {p: open(os.path.join(root, p), "rb").read()
            for root, _, files in os.walk(moddir) for p in files}


def run_side(tmp_path, moddir, mm_h, defines):
    """Compile the converted module's C with mm_h as <linux/mm.h> and run it."""
    include = tmp_path / "include" / "linux"
    include.mkdir(parents=True)
    (include / "mm.h").write_text(mm_h)
    (tmp_path / "main.c").write_text(MAIN)
    exe = tmp_path / "side"
    cc = subprocess.run(["gcc", "-Wall", "-Werror=implicit-function-declaration",
                         "-Wno-unused-function", "-I", str(tmp_path / "include")]
                        + ["-D%s=%d" % kv for kv in defines.items()]
                        + [str(moddir / "demo.c"), str(tmp_path / "main.c"), "-o", str(exe)],
                        capture_output=True, text=True)
    return cc, (subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
                if cc.returncode == 0 else None)


@pytest.fixture
def converted(tmp_path):
    if not shutil.which("gcc"):
        pytest.fail("gcc is not installed: run scripts/deps test")
    moddir = module(tmp_path, {"demo.c": CONVERTED})
    added = compat.apply(str(moddir))
    assert added.header == "demo_gup_compat.h"
    assert added.includes == ["demo.c"]
    return moddir


def test_old_side_calls_the_old_functions_with_the_same_meaning(tmp_path, converted):
    cc, out = run_side(tmp_path, converted, OLD_MM,
                       {"DEMO_GUP_LONGTERM": 2, "DEMO_GUP_FAST_ONLY": 2})
    assert cc.returncode == 0, cc.stderr
    assert out.splitlines() == [
        # the long-term pin stays long-term, FOLL_LONGTERM taken off the flags
        "get_user_pages_longterm flags=0x1 -> 2",
        "get_user_pages flags=0x1 -> 1",
        "__get_user_pages_fast write=1 -> 3",
        "__get_user_pages_fast write=0 -> 3",
        # a flag the old fast walk cannot honour: nothing pinned, no call
        " -> 0",
    ]


def test_new_side_calls_the_new_api_as_written(tmp_path, converted):
    cc, out = run_side(tmp_path, converted, NEW_MM,
                       {"DEMO_GUP_LONGTERM": 1, "DEMO_GUP_FAST_ONLY": 1})
    assert cc.returncode == 0, cc.stderr
    assert out.splitlines() == [
        "get_user_pages flags=0x10001 -> 1",
        "get_user_pages flags=0x1 -> 1",
        "get_user_pages_fast_only flags=0x1 -> 3",
        "get_user_pages_fast_only flags=0 -> 3",
        "get_user_pages_fast_only flags=0x10001 -> 3",
    ]


@pytest.mark.parametrize("defines, message", [
    ({}, "DEMO_GUP_LONGTERM is not set: include demo_gup_compat.mk"),
    ({"DEMO_GUP_LONGTERM": 0, "DEMO_GUP_FAST_ONLY": 2},
     "neither FOLL_LONGTERM nor get_user_pages_longterm()"),
    ({"DEMO_GUP_LONGTERM": 2, "DEMO_GUP_FAST_ONLY": 0},
     "neither get_user_pages_fast_only() nor __get_user_pages_fast()"),
])
def test_no_probe_answer_stops_the_build(tmp_path, converted, defines, message):
    cc, _ = run_side(tmp_path, converted, OLD_MM, defines)
    assert cc.returncode != 0
    assert message in cc.stderr


def test_the_header_uses_no_version_test_grep_or_foll_ifdef(converted):
    text = "".join((converted / name).read_text() for name in
                   ("demo_gup_compat.h", "demo_gup_compat.mk", "demo_gup_compat_probe.c.in"))
    for banned in ("LINUX_VERSION_CODE", "KERNEL_VERSION", "grep", "#ifdef FOLL_",
                   "defined(FOLL_", "wildcard"):
        assert banned not in text


def test_the_fragment_is_included_from_the_kbuild_part(converted):
    assert (converted / "Kbuild").read_text() == (
        KBUILD + compat.HOOK_COMMENT + "\n"
        "include $(if $(KERNELRELEASE),$(src)/demo_gup_compat.mk)\n")


def test_no_header_when_every_call_is_alike_on_both_sides(tmp_path):
    moddir = module(tmp_path, {"demo.c": textwrap.dedent("""\
        #include <linux/mm.h>
        int f(unsigned long s, struct page **p, int w)
        {
        	return get_user_pages_fast(s, 1, w ? FOLL_WRITE : 0, p) +
        	       get_user_pages(s, 1, FOLL_WRITE, p, NULL);
        }
        """)})
    before = snapshot(moddir)
    added = compat.apply(str(moddir))
    assert added.header is None and added.reasons == []
    assert snapshot(moddir) == before


def test_a_second_run_changes_nothing(tmp_path, converted):
    before = snapshot(converted)
    added = compat.apply(str(converted))
    assert added.includes == [] and added.makefile is None
    assert snapshot(converted) == before


def test_include_keeps_crlf_latin1_and_finds_the_header_from_a_subdir(tmp_path):
    latin1 = ("/* Gr\xfc\xdfe */\r\n#include <linux/mm.h>\r\n\r\nlong f(void)\r\n{\r\n"
              "\treturn get_user_pages(0, 1, FOLL_LONGTERM, 0, 0);\r\n}\r\n").encode("latin-1")
    moddir = module(tmp_path, {"sub dir/x.c": latin1,
                               "y.c": "int g(void) { return get_user_pages_fast_only("
                                      "0, 1, 0, 0); }\n"})
    added = compat.apply(str(moddir))
    assert added.includes == ["sub dir/x.c", "y.c"]
    assert (moddir / "sub dir" / "x.c").read_bytes() == latin1.replace(
        b"#include <linux/mm.h>\r\n",
        b'#include <linux/mm.h>\r\n#include "../demo_gup_compat.h"\r\n')
    # code first: the include goes before it, on a line of its own
    assert (moddir / "y.c").read_text().startswith('#include "demo_gup_compat.h"\nint g(')


def test_a_long_term_fast_call_is_reported_not_mapped(tmp_path):
    moddir = module(tmp_path, {"demo.c": "int f(void) { return get_user_pages_fast("
                                         "0, 1, FOLL_WRITE | FOLL_LONGTERM, 0); }\n"})
    added = compat.apply(str(moddir))
    assert added.header is None
    assert added.notes == ["demo.c:1: get_user_pages_fast() with FOLL_LONGTERM: no long-term "
                           "form of it before v5.2; the header does not map it"]


def test_module_name_from_obj_m(tmp_path):
    moddir = module(tmp_path, {}, kbuild="ccflags-y := -I$(src)\nobj-$(CONFIG_X) := my-drv.o\n")
    assert compat.module_name(str(moddir)) == "my_drv"
    assert compattext.names("my_drv")["header"] == "my_drv_gup_compat.h"
