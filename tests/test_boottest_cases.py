"""A migration's boot cases without a kernel: boot/cases read, boot_cases' TAP (run on
the host, where it is not /init), the kernel log judged per case, and the report rows
of recorded gup-vmas boots."""
import dataclasses
import os
import shutil
import subprocess

import pytest

from bootrecords import fixture, overall
from gupunify.boottest import bootcases, bootreport, initramfs
from gupunify.boottest.bootresult import ArchBoot, KernelBoot
from gupunify.boottest.tap import parse_tap, scan_console
from gupunify.common import migration
from gupunify.common.util import UserError

VMAS = migration.load("gup-vmas")


def test_gup_vmas_cases_are_its_seven_entry_point_cases():
    cases = bootcases.read_cases(VMAS)
    assert [c.name for c in cases] == ["get_basic", "get_basic_w", "pin_basic",
                                       "pin_longterm", "dump_pages", "get_remote",
                                       "pin_remote"]
    assert cases[0] == bootcases.BootCase("get_basic", "get_user_pages", "gup_test",
                                          ("-U", "-n", "16", "-m", "4"))
    assert cases[5] == bootcases.BootCase("get_remote", "get_user_pages_remote",
                                          "proc_mem", ("16",))
    assert {c.entry for c in cases} == {"get_user_pages", "pin_user_pages",
                                        "get_user_pages_remote", "pin_user_pages_remote"}
    assert bootcases.cases_text(cases[:2]) == ("get_basic gup_test -U -n 16 -m 4\n"
                                               "get_basic_w gup_test -U -w -n 16 -m 4\n")


def test_a_migration_without_boot_folder_keeps_boottests_own_cases():
    assert bootcases.read_cases(migration.load("gup-flags")) is None


@pytest.mark.parametrize("text, message", [
    ("a get_user_pages\n", "x:1: a case is <name> <entry point> <how> <arguments...>"),
    ("# c\na f gup_test -U\na f gup_test -b\n", "x:3: case a given twice"),
    ("a f gdb -U\n", "x:1: case a: unknown how 'gdb' (gup_test, proc_mem, vm_readv)"),
    ("a f proc_mem\n", "x:1: case a: proc_mem takes one argument"),
    ("a f vm_readv 0\n", "x:1: case a: vm_readv takes one argument"),
    ("a/b f proc_mem 1\n", "x:1: case name 'a/b'"),
    ("# only comments\n\n", "x: no case"),
])
def test_a_bad_cases_line_is_one_message_naming_the_line(text, message):
    with pytest.raises(UserError) as e:
        bootcases.parse_cases(text, "x")
    assert str(e.value).startswith(message)
    assert "\n" not in str(e.value)


def test_cases_without_config_is_the_migrations_error(tmp_path):
    shutil.copytree(VMAS.path, str(tmp_path / "m"))
    os.unlink(str(tmp_path / "m" / "boot" / "config"))
    with pytest.raises(UserError, match=r"boot/config is missing \(boot/cases and boot/config"):
        bootcases.read_cases(migration.Migration("m", str(tmp_path / "m")))


@pytest.fixture(scope="module")
def boot_cases(tmp_path_factory):
    out = tmp_path_factory.mktemp("boot_cases")
    exe = str(out / "boot_cases")
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-static", "-o", exe,
                    bootcases.RUNNER], check=True)
    assert initramfs.is_static_elf(exe)
    return exe


def test_boot_cases_reads_and_pins_pages_on_the_host(boot_cases, tmp_path):
    """Not /init there: TAP on stdout, no mount, no reboot; the remote cases run."""
    cases = tmp_path / "cases"
    cases.write_text("get_remote proc_mem 16\npin_remote vm_readv 16\n")
    proc = subprocess.run([boot_cases, str(cases)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tap = parse_tap(proc.stdout)
    assert tap.complete and tap.problems == []
    assert [(t.name, t.status) for t in tap.tests] == [("get_remote", "pass"),
                                                       ("pin_remote", "pass")]
    assert tap.tests[0].notes == ["16 pages read and written through /proc/self/mem"]
    assert tap.tests[1].notes == ["16 pages of the parent read"]
    assert tap.totals["pass"] == 2


def test_boot_cases_fails_a_case_with_its_reason_and_goes_on(boot_cases, tmp_path):
    cases = tmp_path / "cases"
    cases.write_text("bad proc_mem x\nmissing gup_test -U\nafter vm_readv 1\n")
    proc = subprocess.run([boot_cases, str(cases)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    tap = parse_tap(proc.stdout)
    assert [(t.name, t.status) for t in tap.tests] == [
        ("bad", "fail"), ("missing", "fail"), ("after", "pass")]
    assert tap.tests[0].notes == ["not a number of pages: x", "exit status 1"]
    # no /gup_test on the host: exec fails in the child, exit 127
    assert "exit status 127" in tap.tests[1].notes
    assert tap.problems == ["not ok 1 bad", "not ok 2 missing"]
    assert tap.totals == {"pass": 1, "fail": 2, "xfail": 0, "xpass": 0, "skip": 0, "error": 0}


TAP = """TAP version 13
1..3
# kernel: Linux version 6.1.192
ok 1 get_basic
ok 2 get_remote
ok 3 pin_remote
# Totals: pass:3 fail:0 xfail:0 xpass:0 skip:0 error:0
"""


def test_a_warning_after_a_case_fails_that_case_only():
    console = "\n".join([
        "[    0.500000] boottest: case get_basic start",
        "[    0.510000] boottest: case get_basic end, exit status 0",
        "[    0.520000] boottest: case get_remote start",
        "[    0.530000] WARNING: CPU: 0 PID: 1 at mm/gup.c:1234 __get_user_pages+0x1/0x2",
        "[    0.540000] boottest: case get_remote end, exit status 0",
        "[    0.550000] boottest: case pin_remote start",
        "[    0.560000] boottest: case pin_remote end, exit status 0"])
    tap = bootcases.judge_log(parse_tap(TAP), console)
    assert [(t.name, t.status) for t in tap.tests] == [
        ("get_basic", "pass"), ("get_remote", "fail"), ("pin_remote", "pass")]
    assert tap.tests[1].reason == ("kernel log: WARNING: CPU: 0 PID: 1 at mm/gup.c:1234 "
                                   "__get_user_pages+0x1/0x2")
    assert tap.problems == ["not ok 2 get_remote (kernel log: WARNING: CPU: 0 PID: 1 at "
                            "mm/gup.c:1234 __get_user_pages+0x1/0x2)"]


def test_a_case_the_kernel_log_never_saw_start_is_not_a_pass():
    console = "[    0.5] boottest: case get_basic start\n[    0.6] BUG: Bad page state\n"
    tap = bootcases.judge_log(parse_tap(TAP), console)
    assert [t.status for t in tap.tests] == ["fail", "fail", "fail"]
    assert tap.tests[0].reason == "kernel log: BUG: Bad page state"
    assert tap.tests[2].reason == "kernel log: no 'boottest: case pin_remote start' line"


def _tree_with_gup_test(path, folder):
    """A git repository holding gup_test's source as a tree does, in folder (vm or mm)."""
    files = {
        "mm/gup_test.h": "#define GUP_TEST_ANSWER 42\n",
        "tools/testing/selftests/kselftest.h": "#define KSFT_PASS 0\n",
        "tools/testing/selftests/%s/gup_test.c" % folder:
            '#include <mm/gup_test.h>\n#include "../kselftest.h"\n'
            "int main(void) { return GUP_TEST_ANSWER == 42 ? KSFT_PASS : 1; }\n",
        "README": "not a kernel\n"}
    for rel, text in files.items():
        os.makedirs(os.path.dirname(str(path / rel)) or str(path), exist_ok=True)
        (path / rel).write_text(text)
    for argv in (["init", "-q"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@l", "commit", "-q", "-m", "t"]):
        subprocess.run(["git", "-C", str(path)] + argv, check=True)
    return subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.mark.parametrize("folder", ["vm", "mm"])
def test_the_trees_own_gup_test_is_built_static_from_the_commit(tmp_path, folder):
    repo = tmp_path / "tree"
    rev = _tree_with_gup_test(repo, folder)
    (repo / "mm" / "gup_test.h").write_text("#error the worktree is not what is built\n")
    programs = bootcases.build_programs(str(tmp_path / "out"), "x86_64", str(repo), rev)
    assert set(programs) == {"init", "gup_test"}
    for path in programs.values():
        assert initramfs.is_static_elf(path)
    assert subprocess.run([programs["gup_test"]]).returncode == 0


def test_a_tree_without_gup_test_is_refused_in_one_line(tmp_path):
    repo = tmp_path / "tree"
    rev = _tree_with_gup_test(repo, "vm")
    subprocess.run(["git", "-C", str(repo), "rm", "-q", "-r", "tools"], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@l",
                    "commit", "-q", "-m", "no tools"], check=True)
    rev = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True,
                         capture_output=True, text=True).stdout.strip()
    with pytest.raises(UserError, match=r"has none of tools/testing/selftests/mm/gup_test.c, "
                                        r"tools/testing/selftests/vm/gup_test.c"):
        bootcases.build_programs(str(tmp_path / "out"), "x86_64", str(repo), rev)


def test_the_guest_holds_boot_cases_as_init_gup_test_and_the_cases(tmp_path):
    progs = {}
    for name in ("init", "gup_test"):
        progs[name] = str(tmp_path / name)
        (tmp_path / name).write_bytes(name.encode())
    guest = tmp_path / "guest"
    guest.mkdir()
    initrd = bootcases.guest_initramfs(str(guest), progs, bootcases.read_cases(VMAS)[5:])
    data = open(initrd, "rb").read()
    for name in (b"init", b"gup_test", b"cases", b"dev/console"):
        assert name + b"\0" in data
    assert b"bin/busybox" not in data
    assert (guest / "cases").read_text() == "get_remote proc_mem 16\npin_remote vm_readv 16\n"


def test_a_recorded_boot_without_futexes_or_kmsg_lines_fails_every_case():
    """gup-vmas' first x86_64 boot of 6.1 (tinyconfig had no FUTEX, and /dev/kmsg's
    ratelimit dropped the case lines after the tenth): each case fails, and says why."""
    tap = bootcases.judge_log(parse_tap(fixture("vmas-nofutex-base.tap")),
                              fixture("vmas-nofutex-base.console"))
    assert tap.complete and tap.plan == 7
    assert [t.status for t in tap.tests] == ["fail"] * 7
    assert tap.tests[0].notes == ["The futex facility returned an unexpected error code.",
                                  "gup_test killed by signal 6", "exit status 134"]
    # the TAP said ok; the log never saw the case start
    assert tap.tests[5].notes == ["16 pages read and written through /proc/self/mem"]
    assert tap.tests[5].reason == "kernel log: no 'boottest: case get_remote start' line"
    assert tap.problems[-1] == ("not ok 7 pin_remote (kernel log: no 'boottest: case "
                                "pin_remote start' line)")


def _recorded_vmas(label):
    """A kernel record as run_kernel() makes it with boot cases: no module, its TAP
    judged on the log (gup-vmas on linux-source-6.1, x86_64, KVM)."""
    name = "vmas-x86_64-6.1-%s" % label
    return KernelBoot(
        commit="9ea1ae656011" if label == "base" else "62c5ee79be55", arch="x86_64",
        build={"config_s": 10.0, "kernel_s": 600.0, "ccache_hits": 0, "ccache_misses": 900},
        boot={"accel": "kvm", "wall_s": 3.0, "timeout_s": 120, "timed_out": False,
              "qemu_status": 0, "qemu_output": ""},
        tap=bootcases.judge_log(parse_tap(fixture(name + ".tap")), fixture(name + ".console")),
        console=scan_console(fixture(name + ".console")))


def _vmas_result(kernels):
    return bootreport.summarize(ArchBoot(
        arch="x86_64", family="generic walk (mm/gup.c)", branch="gup-unify", accel="kvm",
        accel_reason="/dev/kvm usable", kernels=kernels, knobs=[]))


def test_recorded_gup_vmas_boots_pass_every_case_on_both_kernels():
    res = _vmas_result({"base": _recorded_vmas("base"), "patched": _recorded_vmas("patched")})
    assert res.result == "pass" and res.problems == []
    assert [row.name for row in res.cases] == [c.name for c in bootcases.read_cases(VMAS)]
    assert all(row.kernels[k].status == "pass" for row in res.cases
               for k in ("base", "patched"))
    dump = next(row for row in res.cases if row.name == "dump_pages")
    assert dump.kernels["patched"].notes == ["DUMP_USER_PAGES_TEST: done"]
    text = bootreport.markdown(res)
    assert "| pin_remote | ok: 16 pages of the parent read | ok: 16 pages of the parent read |" \
        in text
    # no module and no gup_benchmark timings with boot cases
    assert "gup_benchmark timings" not in text and "gup_unify_test.ko" not in text
    assert "| base | 10.0 | 600.0 | - | 0/900 |" in text


def test_the_matrix_of_boot_cases_has_no_timing_row_and_no_none():
    res = overall({"x86_64": _vmas_result({"base": _recorded_vmas("base"),
                                                       "patched": _recorded_vmas("patched")})})
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(res)}
    # gup_benchmark's fast/slow figure comes from gup_test's timing case only
    assert "fast/slow (min)" not in rows
    assert rows["pin_remote"] == ["ok / ok"]
    assert rows["boot s"] == ["3.0 / 3.0"]
    assert not any("None" in str(cell) for row in rows.values() for cell in row)


def test_a_warning_in_the_patched_log_fails_the_case_and_the_run():
    patched = _recorded_vmas("patched")
    console = fixture("vmas-x86_64-6.1-patched.console").replace(
        "boottest: case pin_remote start\n", "boottest: case pin_remote start\n"
        "WARNING: CPU: 0 PID: 1 at mm/gup.c:2083 __gup_longterm_locked+0x1/0x2\n")
    patched = dataclasses.replace(patched, tap=bootcases.judge_log(
        parse_tap(fixture("vmas-x86_64-6.1-patched.tap")), console))
    res = _vmas_result({"base": _recorded_vmas("base"), "patched": patched})
    assert res.result == "fail"
    assert res.problems == ["patched: not ok 7 pin_remote (kernel log: WARNING: CPU: 0 PID: 1 "
                            "at mm/gup.c:2083 __gup_longterm_locked+0x1/0x2)"]
    row = next(row for row in res.cases if row.name == "pin_remote")
    assert (row.kernels["base"].status, row.kernels["patched"].status) == ("pass", "fail")
