"""The jobs return their results and the CLI prints them: what it prints, from a result."""
import subprocess
import sys

import pytest

from conftest import CLI, git, gup_unify, make_tree
from gupunify import cli
from gupunify.boottest import bootreport
from gupunify.boottest.bootresult import BootResult
from gupunify.buildcheck import buildcheck, buildreport
from gupunify.buildcheck.checkresult import ArchResult, CheckResult, StepResult
from gupunify.convert import convertreport
from gupunify.convert import convert


def test_boottest_summary_names_what_was_not_booted_and_why_it_is_not_a_pass():
    res = bootreport.summarize_all(BootResult(
        tree="/src/linux", tree_name="linux", repository="/src/linux", branch="gup-unify",
        kernels=["base", "patched"], arches={}, not_booted={"mips": "no QEMU machine"}))
    assert bootreport.summary(res) == (
        "case (base / patched)\nfamily\nkernel warnings\nbuild s (image)\n"
        "ccache hits/misses\nboot s\naccelerator\n"
        "not booted: mips: no QEMU machine\n"
        "result: incomplete\n"
        "problem: mips: not booted: no QEMU machine\n")
    assert bootreport.status(res) == 4
    res.result = "fail"
    assert bootreport.status(res) == 1


def check_result(result, cells):
    """A check report of one step, as buildcheck.check() returns it."""
    arches = {"x86_64": ArchResult("allmodconfig", "checked", None, [
                  {"knob": "HOSTCFLAGS=-fcommon", "reason": "dtc"}], 2, 3.0, {}),
              "ia64": ArchResult("defconfig", "skipped", "no toolchain", [], 0, 0.0, {})}
    steps = [StepResult("0" * 40, "mm/gup: a step", result, 12.4, 20.0, [], None, [], cells)]
    return CheckResult("/src/linux", "/src/linux", "5.0.0", "1" * 40, "gup-unify", 2, False,
                       None, arches, steps, result, {
                           "phases": [{"phase": "find objects", "wall": 1.0},
                                      {"phase": "step 1", "wall": 12.4}],
                           "total": 20.2, "cpu": 30.6,
                           "load": {"start": [1.5, 1, 1], "end": [2.25, 1, 1]}})


def test_check_summary_lists_each_failure_knob_and_skipped_arch():
    failed = {"x86_64": {"result": "failed", "objects": [
        {"object": "mm/gup.o", "result": "failed", "error": "mm/gup.c: error: oops"},
        {"object": "mm/util.o", "result": "new warnings",
         "warnings": ["mm/util.c: warning: w1", "mm/util.c: warning: w2"]}]}}
    result = check_result("failed", failed)
    assert buildreport.summary(result) == (
        "#   step            %-22s  %-22s\n" % ("x86_64", "ia64") +
        "1   mm/gup: a step  %-22s  %-22s\n" % ("FAILED 1, 2 new warnings", "-") +
        "    x86_64 mm/gup.o: mm/gup.c: error: oops\n"
        "    x86_64 mm/util.o: new mm/util.c: warning: w1\n"
        "    x86_64 mm/util.o: new mm/util.c: warning: w2\n"
        "x86_64: applied HOSTCFLAGS=-fcommon (dtc)\n"
        "ia64: skipped: no toolchain\n"
        "time: find objects 1 s, 1 steps 12 s; total 20 s wall, 31 s CPU; load 1.5 -> 2.2\n"
        "result: failed (20 s)\n")
    assert buildcheck.status(result) == 1
    assert buildcheck.status(check_result("skipped", {})) == 1
    assert buildcheck.status(check_result("passed", {})) == 0


@pytest.mark.parametrize("old, new", [("spatch", "convert"), ("check", "buildcheck")])
def test_a_subcommand_is_its_module_and_keeps_its_documented_name(old, new):
    by_old, by_new = cli.parser().parse_args([old, "k"]), cli.parser().parse_args([new, "k"])
    assert (by_old.command, by_new.command) == (old, new)
    assert by_old.run is by_new.run is getattr(cli, "run_" + new)
    assert dict(vars(by_old), command=new) == vars(by_new)


@pytest.mark.parametrize("name", ["check", "buildcheck"])
def test_the_cli_refuses_a_bad_option_value_in_one_line(name, tmp_path):
    out = subprocess.run([sys.executable, CLI, name, str(tmp_path), "--config", "x86_64"],
                         capture_output=True, text=True)
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == ("gup-unify: error: --config x86_64: expected ARCH=TARGET, "
                          "e.g. x86_64=defconfig\n")


@pytest.mark.parametrize("args, error", [
    (["boottest", "k", "--boots", "abc"], "gup-unify boottest: error: argument --boots: "
                                         "invalid int value: 'abc'"),
    (["boottest", "k", "--only", "bogus"], "gup-unify boottest: error: argument --only: "
                                           "invalid choice: 'bogus' (choose from 'base', "
                                           "'patched')"),
    # an alias is named as the user typed it, not by its subcommand
    (["spatch"], "gup-unify spatch: error: the following arguments are required: kernel"),
    (["check", "k", "-j", "x"], "gup-unify check: error: argument -j/--jobs: invalid int "
                                "value: 'x'"),
    (["convert"], "gup-unify convert: error: the following arguments are required: kernel"),
    (["frobnicate"], "gup-unify: error: argument command: invalid choice: 'frobnicate' "
                     "(choose from 'convert', 'spatch', 'series', 'cicheck', 'boottest', "
                     "'buildcheck', 'check', 'advise')"),
])
def test_an_option_the_parser_refuses_is_one_line_naming_help(args, error):
    out = subprocess.run([sys.executable, CLI] + args, capture_output=True, text=True)
    prog = error.split(": error: ")[0]
    assert (out.returncode, out.stdout, out.stderr) == (
        2, "", "%s (see %s --help)\n" % (error, prog))


# The sample tree's sites by API and outcome (its conversion.md, checked by
# hand against sample/linux: two get_user_pages_fast() uses are a #define and
# a function pointer, two are already 0 and FOLL_WRITE).
SAMPLE_SUMMARY = ("get_user_pages_fast      converted  9\n"
                  "get_user_pages_fast      manual     2\n"
                  "get_user_pages_fast      unchanged  2\n"
                  "get_user_pages_longterm  converted  3\n"
                  "result: converted\n")


def test_the_spatch_job_prints_nothing_and_the_cli_prints_its_summary(tmp_path, capsys,
                                                                     need_spatch):
    job = make_tree(tmp_path / "job" / "linux")
    done = convert.convert(str(job), reports_dir=str(tmp_path / "rep-job"))
    assert capsys.readouterr().out == ""
    assert done.tip == git(job, "rev-parse", "gup-unify").strip()
    assert convertreport.summary(done.state.sites, done.state.skipped_files,
                                 done.state.result) == SAMPLE_SUMMARY
    tree = make_tree(tmp_path / "cli" / "linux")
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    assert (out.returncode, out.stdout) == (0, SAMPLE_SUMMARY), out.stderr
    # On the converted branch the 11 calls are in flag form and the #define and
    # the pointer still left for a human: no commit, and the result says so.
    git(tree, "checkout", "-q", "gup-unify")
    again = gup_unify("spatch", str(tree), "--branch", "again", "--reports",
                      str(tmp_path / "rep2"), scratch=tmp_path / "s")
    assert (again.returncode, again.stdout) == (0, "get_user_pages_fast      manual     2\n"
                                                   "get_user_pages_fast      unchanged  11\n"
                                                   "result: nothing to do\n"), again.stderr
    assert git(tree, "branch", "--list", "again") == ""
