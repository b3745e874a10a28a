"""The semantic patches under the kernel's own make coccicheck, and the helper they share.

make coccicheck runs spatch from the top of the kernel tree with COCCI= as
the user gave it; the semantic patches find smpl_defines.py beside
themselves from there. The kernel's Makefile and scripts/ come from Debian's
linux-source-6.1.
"""
import importlib.util
import os
import shutil
import subprocess

import pytest

from conftest import GUP_FLAGS

COCCI = os.path.join(GUP_FLAGS, "cocci")

TARBALL = "/usr/src/linux-source-6.1.tar.xz"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cocci")


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """What make coccicheck needs of a kernel tree: its Makefiles (x86's) and scripts/."""
    if not os.path.exists(TARBALL):
        pytest.skip("%s is absent: make test installs linux-source-6.1 (scripts/deps test)"
                    % TARBALL)
    where = tmp_path_factory.mktemp("coccicheck")
    subprocess.run(["tar", "-xf", TARBALL, "-C", str(where), "--wildcards",
                    "linux-source-6.1/Makefile", "linux-source-6.1/arch/x86/Makefile*",
                    "linux-source-6.1/scripts/*"], check=True)
    tree = where / "linux-source-6.1"
    # coccicheck hands these to spatch with --include; no configured tree has them yet.
    (tree / "include" / "linux").mkdir(parents=True)
    for name in ("kconfig.h", "compiler-version.h"):
        (tree / "include" / "linux" / name).write_text("")
    return tree


def coccicheck(tree, cocci, mode, cases):
    """make coccicheck COCCI= (relative to the tree, as a user may give it) on the
    cases copied into M=drv: its standard output."""
    drv = tree / "drv"
    shutil.rmtree(drv, ignore_errors=True)
    drv.mkdir()
    for case in cases:
        shutil.copy(os.path.join(FIXTURES, case + ".c"), drv / (case + ".c"))
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    out = subprocess.run(["make", "-s", "ARCH=x86", "coccicheck", "MODE=" + mode, "M=drv",
                          "COCCI=" + os.path.relpath(cocci, tree)],
                         cwd=tree, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    return out.stdout


@pytest.mark.parametrize("cocci, cases", [
    (os.path.join(COCCI, "gup_fast_flags.cocci"), ["fast_variable", "fast_macro", "fast_definition"]),
    (os.path.join(COCCI, "gup_fast_only.cocci"), ["fastonly_variable", "fastonly_macro", "fastonly_definition"]),
    (os.path.join(COCCI, "gup_longterm.cocci"), ["longterm_simple", "longterm_compound", "longterm_definition"]),
])
def test_patch_mode_gives_each_fixture_its_res(kernel, cocci, cases, need_spatch):
    """MODE=patch: the diff applied, each name.c is name.res; a call in a #define
    body is left as it is."""
    diff = coccicheck(kernel, cocci, "patch", cases)
    subprocess.run(["git", "apply", "-p1", "-"], input=diff, text=True, cwd=kernel,
                   check=True)
    for case in cases:
        with open(os.path.join(FIXTURES, case + ".res")) as f:
            assert (kernel / "drv" / (case + ".c")).read_text() == f.read(), case


def test_report_mode_names_the_sites(kernel, need_spatch):
    lines = sorted(coccicheck(kernel, os.path.join(COCCI, "gup_fast_flags.cocci"), "report",
                              ["fast_foll_write", "fast_macro"]).splitlines())
    found = [l for l in lines if l.startswith("drv/")]
    assert [l.split(":")[:2] for l in found] == [["drv/fast_foll_write.c", "10"],
                                                  ["drv/fast_foll_write.c", "4"]]


def smpl_defines():
    path = os.path.join(COCCI, "smpl_defines.py")
    spec = importlib.util.spec_from_file_location("smpl_defines", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Position:
    """What spatch's Python gets for a position: file and line (as text)."""

    def __init__(self, file, line):
        self.file, self.line = file, str(line)


def test_outside_define_knows_define_bodies_and_their_continuations(tmp_path):
    source = tmp_path / "odd name.c"
    source.write_bytes(b"#define A(x) f(x)\r\n"           # 1: CRLF
                       b"  #  define B(x) \\\r\n"          # 2: spaces around the hash
                       b"\tf(x)\r\n"                       # 3: its continuation
                       b"#if defined(C) \\\n"             # 4: not a define
                       b"    || defined(D)\n"             # 5: nor its continuation
                       b"int g(void) { return f(1); }\n"  # 6
                       b"/* caf\xe9 */ int h = f(2);\n"    # 7: a Latin-1 byte
                       b"#undef A\n"                      # 8
                       b"#define E \\\n")                 # 9: the last line continues
    module = smpl_defines()
    inside = [n for n in range(1, 10)
              if not module.outside_define([Position(str(source), n)])]
    assert inside == [1, 2, 3, 9]
    assert module.outside_define([Position(str(tmp_path / "gone.c"), 1)])
