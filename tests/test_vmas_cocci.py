"""gup-vmas's semantic patch against the tests/vmas/NAME.c/NAME.res fixtures, one idiom each,
its coccicheck modes, and the callers of Debian's linux-source-6.1."""
import glob
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COCCI = os.path.join(ROOT, "migrations", "gup-vmas", "cocci", "gup_vmas.cocci")
FIXTURES = os.path.join(ROOT, "tests", "vmas")
CASES = sorted(os.path.basename(p)[:-2] for p in glob.glob(os.path.join(FIXTURES, "*.c")))
LINUX_61 = "/usr/src/linux-source-6.1.tar.xz"


def read(path):
    with open(path) as f:
        return f.read()


def spatch(mode, workdir, *files):
    """spatch in one coccicheck mode over files of workdir; patch mode edits them in place."""
    in_place = ["--in-place"] if mode == "patch" else []
    out = subprocess.run(["spatch", "--sp-file", COCCI, "-D", mode, "--very-quiet",
                          "--no-includes", "--include-headers"] + in_place + list(files),
                         cwd=workdir, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def fixture_in(tmp_path, case, name="t.c"):
    shutil.copy(os.path.join(FIXTURES, case + ".c"), tmp_path / name)
    return name


@pytest.mark.parametrize("case", CASES)
def test_fixture(case, tmp_path, need_spatch):
    """spatch turns NAME.c into exactly NAME.res, and a second run changes nothing."""
    name = fixture_in(tmp_path, case)
    spatch("patch", tmp_path, name)
    assert read(tmp_path / name) == read(os.path.join(FIXTURES, case + ".res"))
    spatch("patch", tmp_path, name)
    assert read(tmp_path / name) == read(os.path.join(FIXTURES, case + ".res"))


def test_every_idiom_has_a_fixture():
    """Each form of a NULL vmas, each rewrite and each reason to leave a call has its pair."""
    wanted = ["null_literal", "null_cast", "null_multiline", "null_macro",
              "helper_break", "helper_return", "helper_else",
              "lookup_pin", "lookup_page_read", "lookup_falls_through",
              "left_array", "left_locked", "left_untested", "core_functions"]
    assert sorted(wanted) == CASES
    for case in wanted:
        assert os.path.exists(os.path.join(FIXTURES, case + ".res"))


def test_left_cases_are_untouched():
    """A call left for a human, and the core series' own calls, are not rewritten at all."""
    for case in CASES:
        if case.startswith(("left_", "core_")):
            assert read(os.path.join(FIXTURES, case + ".c")) == \
                read(os.path.join(FIXTURES, case + ".res"))


def test_no_converted_call_keeps_a_vmas_argument():
    """Outside the left_ cases no .res calls one of the four with a vma argument."""
    pattern = re.compile(r"\b(get|pin)_user_pages(_remote)?\([^;]*&vma\b")
    for case in CASES:
        if not case.startswith(("left_", "core_")):
            assert not pattern.search(read(os.path.join(FIXTURES, case + ".res"))), case


def report_lines(tmp_path, case):
    name = fixture_in(tmp_path, case)
    return sorted((int(l.split(":")[1]), l.split(": ", 1)[1])
                  for l in spatch("report", tmp_path, name).splitlines())


def test_report_names_each_null_site(tmp_path, need_spatch):
    """MODE=report: one WARNING per NULL vmas, the macro's and the #define body's included."""
    lines = report_lines(tmp_path, "null_macro")
    assert [n for n, _ in lines] == [6, 11]
    assert all(text == "WARNING: the vmas argument is NULL and is going away: drop it"
               for _, text in lines)
    assert [n for n, _ in report_lines(tmp_path, "null_literal")] == [8, 10, 18, 22]


def test_report_names_each_rewrite(tmp_path, need_spatch):
    assert report_lines(tmp_path, "helper_return") == [
        (9, "WARNING: one page and its vma: call get_user_page_vma_remote()")]
    assert report_lines(tmp_path, "lookup_pin") == [
        (10, "WARNING: one page and its vma, the mmap lock kept: drop vmas, "
             "vma_lookup() after the call")]


@pytest.mark.parametrize("case, lines, reason", [
    ("left_array", [14], "vmas is an array or a pointer from elsewhere"),
    ("left_locked", [11], "the call may drop the mmap lock (locked is not NULL)"),
    ("left_untested", [8], "the result is not kept and tested"),
    ("left_untested", [12], "the address or mm has a side effect or is the result"),
])
def test_report_gives_the_reason_a_call_is_left(case, lines, reason, tmp_path, need_spatch):
    found = [n for n, text in report_lines(tmp_path, case)
             if text.startswith("ERROR: the vmas argument is going away") and reason in text
             and text.endswith("; convert by hand")]
    assert found == lines


def test_core_functions_are_not_reported(tmp_path, need_spatch):
    """The helper and the transitional wrappers are the core series', not a caller's."""
    assert report_lines(tmp_path, "core_functions") == []


def test_org_and_context_modes(tmp_path, need_spatch):
    """MODE=org: a TODO per site with its reason; MODE=context: each site marked."""
    name = fixture_in(tmp_path, "left_untested")
    org = spatch("org", tmp_path, name)
    assert org.count("* TODO") == 2
    assert "linb=8:" in org and "linb=12:" in org and "convert by hand" in org
    name = fixture_in(tmp_path, "null_literal")
    context = spatch("context", tmp_path, name)
    assert context.count("\n-") == 4


@pytest.fixture(scope="module")
def linux61(tmp_path_factory):
    """The callers that read their vmas, and two that pass NULL, from linux-source-6.1."""
    if not os.path.exists(LINUX_61):
        pytest.skip(LINUX_61 + " is absent: apt-get install linux-source-6.1")
    where = tmp_path_factory.mktemp("linux61")
    files = ["arch/arm64/kernel/mte.c", "kernel/events/uprobes.c", "mm/memory.c",
             "io_uring/rsrc.c", "fs/exec.c", "mm/process_vm_access.c"]
    subprocess.run(["tar", "xJf", LINUX_61, "-C", str(where), "--strip-components=1"]
                   + ["linux-source-6.1/" + f for f in files], check=True)
    return where, files


def test_linux_61_callers(linux61, need_spatch):
    """On 6.1's own code: three helper rewrites, io_uring left, NULLs dropped, rerun idle."""
    where, files = linux61
    report = spatch("report", where, *files)
    kinds = sorted((l.split(":")[0], l.split(": ", 1)[1].split(":")[0])
                   for l in report.splitlines())
    assert kinds == [
        ("arch/arm64/kernel/mte.c", "WARNING"), ("fs/exec.c", "WARNING"),
        ("io_uring/rsrc.c", "ERROR"), ("kernel/events/uprobes.c", "WARNING"),
        ("kernel/events/uprobes.c", "WARNING"), ("kernel/events/uprobes.c", "WARNING"),
        ("mm/memory.c", "WARNING"), ("mm/process_vm_access.c", "WARNING")]
    spatch("patch", where, *files)
    converted = "".join(read(where / f) for f in files)
    assert converted.count("get_user_page_vma_remote(mm, ") == 4
    assert "pin_user_pages_remote(mm, pa, pinned_pages,\n\t\t\t\t\t\t     flags, process_pages, " \
           "&locked);" in read(where / "mm/process_vm_access.c")
    assert "&page, NULL);" in read(where / "fs/exec.c")
    assert "pages, vmas);" in read(where / "io_uring/rsrc.c")
    before = {f: read(where / f) for f in files}
    spatch("patch", where, *files)
    assert {f: read(where / f) for f in files} == before
