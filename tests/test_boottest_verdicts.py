"""make boottest without a kernel: gup_test's TAP and the console of recorded boots,
judged per case and per arch, and the report that puts base and patched side by side."""
import dataclasses
import json
import os

import pytest

from bootrecords import fixture, recorded, result, overall
from gupunify.boottest import bootreport, guests
from gupunify.boottest.tap import judge, parse_tap, scan_console


def test_tap_base_log_passes_with_the_new_features_skipped():
    tap = parse_tap(fixture("base.tap"))
    assert tap.plan == 12 and tap.version == 13 and tap.problems == []
    assert tap.complete
    status = {t.name: t.status for t in tap.tests}
    assert status["fast_write_private_pins_all"] == "pass"
    assert status["fast_unsupported_flag_einval"] == "skip"
    assert status["longterm_fast_dax_refused"] == "skip"
    dax = next(t for t in tap.tests if t.name == "longterm_fast_dax_refused")
    assert "pinned 64/64 DAX pages" in dax.reason
    timing = tap.timing
    assert 0 < timing["fast_get_min_usec"] <= timing["fast_get_usec"]
    assert 0 < timing["slow_get_min_usec"] <= timing["slow_get_usec"]
    assert tap.totals["skip"] == 3


def test_tap_patched_log_passes_everything():
    tap = parse_tap(fixture("patched.tap"))
    assert [t.status for t in tap.tests] == ["pass"] * 12
    einval = next(t for t in tap.tests if t.name == "fast_unsupported_flag_einval")
    assert any("-22 (EINVAL)" in n for n in einval.notes)
    for name in ("longterm_gup_dax_refused", "longterm_fast_dax_refused"):
        dax = next(t for t in tap.tests if t.name == name)
        assert any("FOLL_LONGTERM) returned -95 (EOPNOTSUPP)" in n for n in dax.notes)


def test_tap_not_ok_is_a_problem():
    text = fixture("patched.tap").replace("ok 5 fast_unsupported_flag_einval",
                                          "not ok 5 fast_unsupported_flag_einval")
    tap = parse_tap(text)
    assert tap.tests[4].status == "fail"
    assert tap.problems == ["not ok 5 fast_unsupported_flag_einval"]


def test_tap_without_plan_is_a_problem():
    text = "\n".join(line for line in fixture("patched.tap").splitlines()
                     if not line.startswith("1.."))
    assert parse_tap(text).problems == ["no TAP plan: gup_test did not start"]
    assert parse_tap("").plan is None


def test_crashed_guest_is_a_failure():
    lines = fixture("patched.tap").splitlines()
    cut = next(i for i, line in enumerate(lines) if line.startswith("ok 6 "))
    kernel = recorded("patched")
    kernel.tap = parse_tap("\n".join(lines[:cut + 1]))
    kernel.console = scan_console(fixture("crash.console"))
    assert kernel.tap.problems == ["6 of 12 results: the guest stopped early"]
    assert not kernel.tap.complete
    problems = judge(kernel)
    assert any(p.startswith("kernel: BUG: unable to handle") for p in problems)
    assert result({"base": recorded("base"), "patched": kernel}).result == "fail"


def test_tap_without_totals_is_a_problem():
    text = "\n".join(line for line in fixture("patched.tap").splitlines()
                     if not line.startswith("# Totals"))
    assert parse_tap(text).problems == ["no '# Totals' line: gup_test did not finish"]


def test_console_scan_finds_the_einval_warning_and_the_exit_status():
    console = scan_console(fixture("patched.console"))
    assert len(console.warnings) == 1 and "get_user_pages_fast" in console.warnings[0]
    assert console.oops == [] and console.exit_status == 0
    assert "DAX enabled" in console.dax
    assert console.clocksource not in (None, "jiffies", "refined-jiffies")
    assert scan_console(fixture("base.console")).warnings == []


def test_report_puts_base_and_patched_side_by_side(tmp_path):
    res = result({"base": recorded("base"), "patched": recorded("patched")})
    assert res.result == "pass", res.problems
    row = next(r for r in res.cases if r.name == "fast_unsupported_flag_einval")
    assert (row.kernels["base"].status, row.kernels["patched"].status) == ("skip", "pass")
    assert set(res.ratios) == {"fast_get_min_usec", "fast_get_usec",
                               "slow_get_min_usec", "slow_get_usec"}
    base_t, patched_t = res.timings["base"], res.timings["patched"]
    assert res.ratios["fast_get_min_usec"] == round(
        patched_t["fast_get_min_usec"] / base_t["fast_get_min_usec"], 3)
    assert base_t["fast_over_slow"] == round(
        base_t["fast_get_min_usec"] / base_t["slow_get_min_usec"], 3)
    where = bootreport.write_reports(overall({"x86_64": res}), str(tmp_path))
    md = open(os.path.join(where, "boottest.md")).read()
    assert "| test | base | patched |" in md
    assert "| fast_unsupported_flag_einval | SKIP: " in md
    assert "patched/base (above 1: patched slower): fast_get_min_usec " in md
    data = json.load(open(os.path.join(where, "boottest.json")))
    assert data["result"] == "pass"
    assert data["arches"]["x86_64"]["kernels"]["patched"]["commit"] == "dd09708a180c"
    assert [c["name"] for c in data["arches"]["x86_64"]["cases"]][0] == \
        "fast_write_private_pins_all"


def test_boottest_json_is_the_records_fields_and_leaves_out_only_facts_never_given():
    """A kernel recorded without its api, family and knobs, and a run without
    distcc_hosts and jobs, write no such keys; given, even as None, they are written."""
    res = overall({"x86_64": result({"base": recorded("base"), "patched": recorded("patched")})})
    data = res.to_json()
    assert set(data) == {"tree", "tree_name", "repository", "branch", "kernels", "arches",
                         "not_booted", "matrix", "problems", "result"}
    base = res.arches["x86_64"].kernels["base"]
    assert data["arches"]["x86_64"]["kernels"]["base"] == {
        "commit": "c20ce182c0a0", "arch": "x86_64", "build": base.build, "boot": base.boot,
        "tap": {"version": 13, "plan": 12, "kernel": base.tap.kernel,
                "uptime": base.tap.uptime, "timing": base.tap.timing, "totals": base.tap.totals,
                "problems": [], "complete": True, "tests": [
                    {"number": t.number, "name": t.name, "status": t.status,
                     "reason": t.reason, "notes": t.notes} for t in base.tap.tests]},
        "console": {"warnings": [], "oops": [], "exit_status": 0, "dax": base.console.dax,
                    "clocksource": "tsc-early"}}
    assert data["arches"]["x86_64"]["kernels"]["base"]["tap"]["tests"][0] == {
        "number": 1, "name": "fast_write_private_pins_all", "status": "pass", "reason": "",
        "notes": base.tap.tests[0].notes}
    assert base.tap.timing["fast_over_slow"] == data["arches"]["x86_64"]["timings"][
        "base"]["fast_over_slow"]
    row = res.arches["x86_64"].cases[0]
    assert data["arches"]["x86_64"]["cases"][0] == {
        "name": "fast_write_private_pins_all",
        "base": {"status": "pass", "reason": "", "notes": row.kernels["base"].notes},
        "patched": {"status": "pass", "reason": "", "notes": row.kernels["patched"].notes}}
    assert len(data["arches"]["x86_64"]["cases"]) == len(res.arches["x86_64"].cases) == 12
    assert (data["result"], data["matrix"]) == ("pass", res.matrix)
    kernel = dataclasses.replace(recorded("patched"), api={"has_fast_only": False},
                                 family="generic", knobs=[])
    assert {k: kernel.to_json()[k] for k in ("api", "family", "knobs")} == {
        "api": {"has_fast_only": False}, "family": "generic", "knobs": []}
    given = dataclasses.replace(res, distcc_hosts=None, jobs=8).to_json()
    assert (given["distcc_hosts"], given["jobs"]) == (None, 8)


def test_an_arch_not_booted_is_named_and_leaves_the_run_incomplete(tmp_path):
    why = "not attempted this session: time (arch walk; QEMU malta)"
    res = overall({"x86_64": result({"base": recorded("base"), "patched": recorded("patched")})},
                  {"mips": why})
    assert res.result == "incomplete"
    assert res.problems == ["mips: not booted: " + why]
    where = bootreport.write_reports(res, str(tmp_path))
    md = open(os.path.join(where, "boottest.md")).read()
    assert "- mips: not attempted this session: time" in md
    assert "not booted: mips: not attempted" in bootreport.matrix_text(res)
    assert overall({}, {}).result == "incomplete"


def test_report_fails_when_the_patched_kernel_skips():
    kernel = recorded("patched")
    kernel.tap = parse_tap(fixture("base.tap"))
    res = result({"base": recorded("base"), "patched": kernel})
    assert res.result == "fail"
    assert res.problems[-1].startswith("patched: skipped fast_unsupported_flag_einval")


def test_timed_out_kernel_fails():
    kernel = recorded("patched")
    kernel.boot.update(timed_out=True, timeout_s=900)
    assert "QEMU timed out after 900 s" in judge(kernel)


def test_arm_base_log_shows_no_longterm_fast_path_and_no_dax():
    tap = parse_tap(fixture("arm-base.tap"))
    assert tap.complete and tap.problems == [] and tap.totals["skip"] == 6
    skips = {t.name: t.reason for t in tap.tests if t.status == "skip"}
    assert skips["longterm_fast_anon_pins"].startswith(
        "gup_benchmark has no GUP_FAST_LONGTERM_BENCHMARK")
    assert skips["fast_unsupported_flag_einval"].startswith(
        "get_user_pages_fast() takes int write")
    assert sorted(n for n, why in skips.items() if why.startswith("no pmem in this guest")) \
        == sorted(guests.DAX_CASES)
    console = scan_console(fixture("arm-base.console"))
    assert console.warnings == [] and console.exit_status == 0
    assert console.clocksource == "arch_sys_counter"


def arm_recorded(label, tap=None):
    """An arm kernel record from the recorded v5.0 run (TCG on virt)."""
    kernel = recorded(label)
    return dataclasses.replace(kernel, arch="arm",
                               tap=parse_tap(fixture(tap or "arm-%s.tap" % label)),
                               console=scan_console(fixture("arm-%s.console" % label)))


def test_arm_patched_passes_with_the_dax_cases_skipped_by_design(tmp_path):
    tap = parse_tap(fixture("arm-patched.tap"))
    status = {t.name: t.status for t in tap.tests}
    assert status["longterm_fast_anon_pins"] == "pass"
    assert [n for n, st in status.items() if st == "skip"] == list(guests.DAX_CASES)
    fast = next(t for t in tap.tests if t.name == "longterm_fast_anon_pins")
    assert fast.notes == ["gup_benchmark fast longterm pinned 64/64"]
    # FOLL_FORCE refused by the mm/util.c fallback's WARN_ON_ONCE
    console = scan_console(fixture("arm-patched.console"))
    assert [w.split(" at ")[1] for w in console.warnings] == [
        "../src/mm/util.c:338 get_user_pages_fast+0xa8/0xc8"]
    arm = result({"base": arm_recorded("base"), "patched": arm_recorded("patched")}, "arm")
    assert arm.result == "pass", arm.problems
    x86 = result({"base": recorded("base"), "patched": recorded("patched")})
    res = overall({"x86_64": x86, "arm": arm})
    assert res.result == "pass"
    row = next(r for r in res.matrix if r["name"] == "longterm_fast_anon_pins")
    assert row["arm"] == {"base": "skip", "patched": "pass"} == row["x86_64"]
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(res)}
    assert rows["case (base / patched)"] == ["x86_64", "arm"]
    assert rows["dax_fast_pins_without_longterm"] == ["ok / ok", "SKIP / SKIP"]
    assert rows["kernel warnings"] == ["0 / 1", "0 / 1"]
    assert rows["family"] == [guests.GENERIC, guests.FALLBACK]
    assert bootreport.matrix_text(res).splitlines()[0].split() == [
        "case", "(base", "/", "patched)", "x86_64", "arm"]
    where = bootreport.write_reports(res, str(tmp_path))
    md = open(os.path.join(where, "boottest.md")).read()
    assert "| longterm_fast_anon_pins | SKIP / ok | SKIP / ok |" in md
    assert "## arm: __weak fallback (mm/util.c)" in md


def test_arm_with_the_previous_5_8_fails_the_fast_longterm_case():
    """Recorded on v5.0 with mm/util.c as the previous 5/8 left it."""
    kernel = arm_recorded("patched", tap="arm-old58.tap")
    kernel.console = scan_console(fixture("arm-old58.console"))
    fast = next(t for t in kernel.tap.tests if t.name == "longterm_fast_anon_pins")
    assert fast.status == "fail"
    assert fast.notes == ["gup_benchmark fast longterm pinned 0/64", "pinned 0 of 64 pages"]
    # the fallback handed FOLL_LONGTERM to get_user_pages_unlocked(), which refuses it
    assert [w.split(" at ")[1] for w in kernel.console.warnings] == [
        "../src/mm/util.c:338 get_user_pages_fast+0x48/0x60",
        "../src/mm/gup.c:1047 get_user_pages_unlocked+0xe4/0x21c"]
    arm = result({"base": arm_recorded("base"), "patched": kernel}, "arm")
    assert arm.result == "fail"
    assert arm.problems == ["patched: not ok 7 longterm_fast_anon_pins"]
    row = next(r for r in overall({"arm": arm}).matrix if r["name"] == fast.name)
    assert row["arm"] == {"base": "skip", "patched": "fail"}


def test_arm_patched_skipping_a_case_it_can_run_fails():
    text = fixture("arm-patched.tap").replace(
        "ok 7 longterm_fast_anon_pins", "ok 7 longterm_fast_anon_pins # SKIP no benchmark")
    arm = result({"base": arm_recorded("base"),
                  "patched": dataclasses.replace(arm_recorded("patched"), tap=parse_tap(text))},
                 "arm")
    assert arm.result == "fail"
    assert arm.problems == ["patched: skipped longterm_fast_anon_pins"]


# What the four DAX cases note on a base kernel: plain GUP pins the DAX
# pages, get_user_pages_longterm() refuses them, and the fast path, with
# no FOLL_LONGTERM, pins them; on a patched kernel FOLL_LONGTERM refuses
# them in both paths.
DAX_BASE = {"dax_fast_pins_without_longterm": ["gup_benchmark fast write on DAX pinned 64/64"],
            "dax_slow_pins_without_longterm": [
                "gup_benchmark get_user_pages write on DAX pinned 64/64"],
            "longterm_gup_dax_refused": [
                "get_user_pages_longterm(FOLL_WRITE) returned -95 (EOPNOTSUPP)"]}
DAX_BASE_FAST_SKIP = "no FOLL_LONGTERM in the fast path: it pinned 64/64 DAX pages"
DAX_PATCHED = dict(DAX_BASE, longterm_gup_dax_refused=[
    "get_user_pages(FOLL_WRITE | FOLL_LONGTERM) returned -95 (EOPNOTSUPP)"],
    longterm_fast_dax_refused=[
        "get_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM) returned -95 (EOPNOTSUPP)"])


def assert_dax(tests, label):
    """tests ({name: test}) noted what a label kernel's DAX cases should."""
    for name, notes in (DAX_BASE if label == "base" else DAX_PATCHED).items():
        assert tests[name].notes == notes, name
    if label == "base":
        assert tests["longterm_fast_dax_refused"].reason == DAX_BASE_FAST_SKIP


def walk_recorded(arch, tree, label, family, build_s, boot_s):
    """A kernel record from a recorded TCG run (tests/boottest/<arch>-<tree>-<label>.*)
    with the build and boot wall times its boottest.json gave."""
    kernel = recorded(label)
    name = "%s-%s-%s" % (arch, tree, label)
    kernel = dataclasses.replace(kernel, arch=arch, family=family,
                                 tap=parse_tap(fixture(name + ".tap")),
                                 console=scan_console(fixture(name + ".console")))
    kernel.build["kernel_s"], kernel.boot["wall_s"] = build_s, boot_s
    return kernel


# What each recorded base (v5.0 and v5.1 alike) and patched kernel did, case by
# case: the base lacks gup_flags and the fast longterm path; no DAX off x86.
BASE_STATUS = ["pass"] * 4 + ["skip", "pass"] + ["skip"] * 5 + ["pass"]
PATCHED_STATUS = ["pass"] * 7 + ["skip"] * 4 + ["pass"]


def test_s390x_v5_0_arch_walk_pins_longterm_through_the_fast_path():
    """v5.0's arch/s390/mm/gup.c, booted under TCG on s390-ccw-virtio."""
    walk = guests.ARCH_WALK % "s390"
    base = walk_recorded("s390x", "v5.0", "base", walk, 12.2, 3.2)
    patched = walk_recorded("s390x", "v5.0", "patched", walk, 761.2, 6.1)
    assert [t.status for t in base.tap.tests] == BASE_STATUS
    assert [t.status for t in patched.tap.tests] == PATCHED_STATUS
    skips = {t.name: t.reason for t in base.tap.tests if t.status == "skip"}
    assert skips["fast_unsupported_flag_einval"] == (
        "get_user_pages_fast() takes int write: FOLL_FORCE read as write, returned 64")
    assert skips["longterm_fast_anon_pins"].startswith("gup_benchmark has no "
                                                       "GUP_FAST_LONGTERM_BENCHMARK")
    tests = {t.name: t for t in patched.tap.tests}
    assert tests["longterm_fast_anon_pins"].notes == [
        "gup_benchmark fast longterm pinned 64/64"]
    assert tests["fast_unsupported_flag_einval"].notes == [
        "get_user_pages_fast(FOLL_FORCE 0x10) returned -22 (EINVAL)"]
    # the SCLP console starts lines with a carriage return: still read
    assert base.console.warnings == [] and base.console.exit_status == 0
    assert patched.console.warnings == [
        "WARNING: CPU: 0 PID: 1 at ../src/arch/s390/mm/gup.c:322 "
        "get_user_pages_fast+0x26/0xf8"]
    assert patched.console.exit_status == 0 and patched.console.oops == []
    assert patched.console.clocksource == "tod"
    assert patched.tap.timing["fast_get_min_usec"] == 449
    assert patched.tap.timing["slow_get_min_usec"] == 10974
    s390x = result({"base": base, "patched": patched}, "s390x")
    assert s390x.result == "pass", s390x.problems
    assert s390x.family == "arch walk (arch/s390/mm/gup.c)"
    assert s390x.timings["patched"]["fast_over_slow"] == 0.041
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(overall({"s390x": s390x}))}
    assert rows["longterm_fast_anon_pins"] == ["SKIP / ok"]
    assert rows["kernel warnings"] == ["0 / 1"]
    assert rows["build s (image)"] == ["12.2 / 761.2"] and rows["boot s"] == ["3.2 / 6.1"]
    assert rows["family"] == ["arch walk (arch/s390/mm/gup.c)"]


def test_sparc64_v5_0_arch_walk_boots_on_sun4u_and_powers_off():
    """v5.0's arch/sparc/mm/gup.c, booted under TCG on sun4u with OpenBIOS."""
    base = walk_recorded("sparc64", "v5.0", "base", guests.ARCH_WALK % "sparc", 1040.0, 18.0)
    assert base.tap.complete and base.tap.problems == []
    assert [t.status for t in base.tap.tests] == BASE_STATUS
    skips = {t.name: t.reason for t in base.tap.tests if t.status == "skip"}
    assert skips["fast_unsupported_flag_einval"] == (
        "get_user_pages_fast() takes int write: FOLL_FORCE read as write, returned 64")
    assert base.tap.timing["fast_get_min_usec"] == 55279
    assert base.tap.timing["slow_get_min_usec"] == 105338
    console = base.console
    assert console.warnings == [] and console.oops == [] and console.exit_status == 0
    assert console.clocksource == "tick"
    # gup_test as /init powered the machine off: an OpenBIOS reboot restarts the kernel
    assert fixture("sparc64-v5.0-base.console").splitlines()[-1].rstrip("\r") == \
        "reboot: Power down"


def test_sparc64_v5_0_patched_pins_longterm_through_the_arch_walk():
    walk = guests.ARCH_WALK % "sparc"
    base = walk_recorded("sparc64", "v5.0", "base", walk, 1040.0, 18.0)
    patched = walk_recorded("sparc64", "v5.0", "patched", walk, 835.7, 25.2)
    assert [t.status for t in patched.tap.tests] == PATCHED_STATUS
    tests = {t.name: t for t in patched.tap.tests}
    assert tests["longterm_fast_anon_pins"].notes == [
        "gup_benchmark fast longterm pinned 64/64"]
    assert tests["fast_unsupported_flag_einval"].notes == [
        "get_user_pages_fast(FOLL_FORCE 0x10) returned -22 (EINVAL)"]
    # the only warning is the arch walk's WARN_ON_ONCE refusing FOLL_FORCE
    assert patched.console.warnings == [
        "WARNING: CPU: 0 PID: 1 at ../src/arch/sparc/mm/gup.c:281 "
        "get_user_pages_fast+0xec/0x1b8"]
    assert patched.console.exit_status == 0 and patched.console.oops == []
    sparc64 = result({"base": base, "patched": patched}, "sparc64")
    assert sparc64.result == "pass", sparc64.problems
    assert sparc64.timings["patched"]["fast_over_slow"] == 1.057
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(overall({"sparc64": sparc64}))}
    assert rows["longterm_fast_anon_pins"] == ["SKIP / ok"]
    assert rows["fast_unsupported_flag_einval"] == ["SKIP / ok"]
    assert rows["kernel warnings"] == ["0 / 1"]
    assert rows["family"] == ["arch walk (arch/sparc/mm/gup.c)"]


def with_fast_only_skipped(tap):
    """A recorded TAP with gup_test's fast-only case as a kernel without
    get_user_pages_fast_only() reports it (the 13th test, a SKIP)."""
    tap = tap.replace("1..12\n", "1..13\n")
    return tap.replace("# Totals: pass:12 fail:0 xfail:0 xpass:0 skip:0",
                       "ok 13 fast_only_atomic_short # SKIP no get_user_pages_fast_only() "
                       "in this kernel\n# Totals: pass:12 fail:0 xfail:0 xpass:0 skip:1")


@pytest.mark.parametrize("has_fast_only, verdict", [(False, "pass"), (True, "fail")])
def test_fast_only_case_may_skip_only_without_the_function(has_fast_only, verdict):
    """A branch made without --fast-only has no get_user_pages_fast_only(): its
    SKIP is by design; a kernel that has the function must run the case."""
    kernel = recorded("patched")
    kernel.tap = parse_tap(with_fast_only_skipped(fixture("patched.tap")))
    assert kernel.tap.complete and kernel.tap.problems == []
    kernel.api = {"fast_takes": "gup_flags", "has_fast_only": has_fast_only}
    res = result({"base": recorded("base"), "patched": kernel})
    assert res.result == verdict
    assert res.problems == ([] if verdict == "pass"
                            else ["patched: skipped fast_only_atomic_short"])


def test_fastonly_patched_log_pins_in_atomic_context_without_sleeping():
    """The recorded x86_64 boot (TCG) of v5.0 converted with --fast-only: the
    atomic case pinned the 32 resident pages of 64, faulted none of the rest
    in, and the log has no sleep in atomic context, only the FOLL_FORCE
    refusal's warning."""
    tap = parse_tap(fixture("fastonly-patched.tap"))
    assert tap.complete and tap.problems == [] and tap.plan == 13
    assert [t.status for t in tap.tests] == ["pass"] * 13
    case = next(t for t in tap.tests if t.name == bootreport.FAST_ONLY_CASE)
    assert case.notes == [
        "get_user_pages_fast_only(0x1), interrupts off, returned 32 (32 of 64 pages "
        "resident)", "0 of the 32 untouched pages resident afterwards"]
    console = scan_console(fixture("fastonly-patched.console"))
    assert console.oops == [] and console.exit_status == 0
    # mm/gup.c:1966 of the branch: get_user_pages_fast()'s WARN_ON_ONCE on FOLL_FORCE.
    where = [w.split(" at ")[1].split()[0] for w in console.warnings]
    assert where == ["../src/mm/gup.c:1966"]
    assert "sleeping function called from invalid context" not in \
        fixture("fastonly-patched.console")
    kernel = recorded("patched")
    kernel = dataclasses.replace(kernel, tap=tap, console=console,
                                 api={"fast_takes": "gup_flags", "has_fast_only": True})
    res = result({"patched": kernel})
    assert (res.result, res.problems) == ("pass", [])


def test_hugetlb_cases_may_skip_only_where_the_guest_has_no_hugetlb():
    lines = fixture("patched.tap").splitlines()
    extra = ["ok 13 hugetlb_fast_write_pins_all # SKIP no hugetlb pages",
             "ok 14 hugetlb_longterm_fast_pins # SKIP no hugetlb pages"]
    text = "\n".join([line.replace("1..12", "1..14") for line in lines[:-1]] + extra
                     + [lines[-1]])
    kernel = dataclasses.replace(recorded("patched"), tap=parse_tap(text))
    assert kernel.tap.complete and kernel.tap.problems == []
    x86 = result({"base": recorded("base"), "patched": kernel})
    assert x86.result == "pass", x86.problems
    ppc = result({"base": recorded("base"), "patched": kernel}, "powerpc64le")
    # powerpc64le's guest has hugetlb pages: a SKIP there is a failure
    assert ppc.result == "fail"
    assert ppc.problems == [
        "patched: skipped hugetlb_fast_write_pins_all, hugetlb_longterm_fast_pins"]


def arch_recorded(arch, tree, label):
    """A kernel record from a recorded run of tests/boottest/<arch>-<tree>-<label>.*."""
    kernel = recorded(label)
    name = "%s-%s-%s" % (arch, tree, label)
    return dataclasses.replace(kernel, arch=arch, tap=parse_tap(fixture(name + ".tap")),
                               console=scan_console(fixture(name + ".console")))


def test_mips_v5_0_base_walk_reads_force_as_write_and_has_no_fast_longterm():
    tap = parse_tap(fixture("mips-v5.0-base.tap"))
    assert tap.complete and tap.problems == []
    assert tap.totals == {"pass": 6, "fail": 0, "xfail": 0, "xpass": 0, "skip": 6,
                             "error": 0}
    skips = {t.name: t.reason for t in tap.tests if t.status == "skip"}
    assert skips["fast_unsupported_flag_einval"] == (
        "get_user_pages_fast() takes int write: FOLL_FORCE read as write, returned 64")
    assert skips["longterm_fast_anon_pins"] == (
        "gup_benchmark has no GUP_FAST_LONGTERM_BENCHMARK (no FOLL_LONGTERM in the fast path)")
    assert sorted(n for n, why in skips.items() if why.startswith("no pmem in this guest")) \
        == sorted(guests.DAX_CASES)
    # malta's 256 MiB: the timing buffer is halved once
    timing = next(t for t in tap.tests if t.name == "gup_benchmark_timings")
    assert timing.notes == ["64 MiB, 512 pages per call, 15 runs: minimum and median"]
    assert tap.timing["size_mib"] == 64
    console = scan_console(fixture("mips-v5.0-base.console"))
    assert console.warnings == [] and console.oops == []
    assert console.exit_status == 0 and console.clocksource == "MIPS"
    # no D-cache aliases, so get_user_pages_fast() takes the walk, not the slow path
    assert "Primary data cache 2kB, 2-way, VIPT, no aliases, linesize 16 bytes" in fixture(
        "mips-v5.0-base.console").splitlines()


def test_mips_v5_0_patched_walk_passes_and_refuses_force_with_a_warning(tmp_path):
    tap = parse_tap(fixture("mips-v5.0-patched.tap"))
    status = {t.name: t.status for t in tap.tests}
    assert [n for n, st in status.items() if st == "skip"] == list(guests.DAX_CASES)
    assert [n for n, st in status.items() if st == "fail"] == []
    notes = {t.name: t.notes for t in tap.tests}
    assert notes["longterm_fast_anon_pins"] == ["gup_benchmark fast longterm pinned 64/64"]
    assert notes["fast_unsupported_flag_einval"] == [
        "get_user_pages_fast(FOLL_FORCE 0x10) returned -22 (EINVAL)"]
    # the walk's WARN_ON_ONCE on a flag other than FOLL_WRITE and FOLL_LONGTERM
    console = scan_console(fixture("mips-v5.0-patched.console"))
    assert console.warnings == [
        "WARNING: CPU: 0 PID: 1 at ../../src/arch/mips/mm/gup.c:288 "
        "get_user_pages_fast+0x104/0x1f8"]
    assert console.oops == [] and console.exit_status == 0
    mips = result({"base": arch_recorded("mips", "v5.0", "base"),
                   "patched": arch_recorded("mips", "v5.0", "patched")}, "mips")
    assert mips.result == "pass", mips.problems
    assert mips.timings["patched"]["size_mib"] == 64
    res = overall({"mips": mips})
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(res)}
    assert rows["family"] == ["arch walk (arch/mips/mm/gup.c)"]
    assert rows["longterm_fast_anon_pins"] == ["SKIP / ok"]
    assert rows["fast_unsupported_flag_einval"] == ["SKIP / ok"]
    assert rows["dax_fast_pins_without_longterm"] == ["SKIP / SKIP"]
    assert rows["kernel warnings"] == ["0 / 1"]
    assert rows["fast/slow (min)"] == ["0.297 / 0.294"]
    where = bootreport.write_reports(res, str(tmp_path))
    md = open(os.path.join(where, "boottest.md")).read()
    assert "## mips: arch walk (arch/mips/mm/gup.c)" in md


def statuses(tap):
    return {t.name: t.status for t in tap.tests}


def test_arm64_v5_0_patched_pins_longterm_fast_and_refuses_foll_force():
    base = arch_recorded("arm64", "v5.0", "base")
    patched = arch_recorded("arm64", "v5.0", "patched")
    assert base.tap.complete and patched.tap.complete
    assert [k for k, st in statuses(base.tap).items() if st == "skip"] == [
        "fast_unsupported_flag_einval", "longterm_fast_anon_pins"] + list(
        guests.DAX_CASES + guests.HUGETLB_CASES)
    assert [k for k, st in statuses(patched.tap).items() if st == "skip"] == list(
        guests.DAX_CASES + guests.HUGETLB_CASES)
    fast = next(t for t in patched.tap.tests if t.name == "longterm_fast_anon_pins")
    assert fast.status == "pass"
    assert fast.notes == ["gup_benchmark fast longterm pinned 64/64"]
    dax = next(t for t in patched.tap.tests if t.name == guests.DAX_CASES[0])
    assert dax.reason == "no pmem in this guest: " + guests.NO_DAX["arm64"]
    # the generic walk's FOLL_FORCE refusal, once; nothing on the base kernel
    assert base.console.warnings == []
    assert [w.split(" at ")[1] for w in patched.console.warnings] == [
        "../src/mm/gup.c:1948 get_user_pages_fast+0x38/0x168"]
    assert patched.console.exit_status == 0 and patched.console.oops == []
    arm64 = result({"base": base, "patched": patched}, "arm64")
    assert arm64.result == "pass", arm64.problems
    assert arm64.timings["patched"]["fast_over_slow"] == round(1247 / 8084, 3)
    row = next(r for r in overall({"arm64": arm64}).matrix
               if r["name"] == "longterm_fast_anon_pins")
    assert row["arm64"] == {"base": "skip", "patched": "pass"}


def test_powerpc64le_v5_0_base_pins_dax_and_a_16m_hugetlb_page_but_not_long_term_fast():
    """v5.0's base kernel on pseries: the hugepd walk, and DAX on a PAPR SCM nvdimm."""
    base = walk_recorded("powerpc64le", "v5.0", "base", guests.GENERIC, 354.6, 7.6)
    assert base.tap.complete and base.tap.problems == []
    assert [k for k, st in statuses(base.tap).items() if st == "skip"] == [
        "fast_unsupported_flag_einval", "fast_only_atomic_short", "longterm_fast_anon_pins",
        "longterm_fast_dax_refused", "hugetlb_longterm_fast_pins"]
    tests = {t.name: t for t in base.tap.tests}
    # 16M over 4K pages on the hash MMU: the page hangs off a hugepd
    assert tests["hugetlb_fast_write_pins_all"].notes == [
        "hugetlb page of 16384 kB, base page 4 kB, MMU Hash",
        "gup_benchmark fast write on hugetlb pinned 64/64"]
    # DAX as on x86_64's base
    assert_dax(tests, "base")
    # gup_test labelled the region's seed namespace and mounted it -o dax
    console = base.console
    assert console.dax == (
        "EXT2-fs (pmem0): DAX enabled. Warning: EXPERIMENTAL, use at your own risk")
    lines = fixture("powerpc64le-v5.0-base.console").splitlines()
    assert lines[lines.index("boottest: region0: namespace seed namespace0.0, "
                             "268435456 bytes unlabelled") + 4] == \
        "boottest: ext2 on /dev/pmem0 mounted -o dax on /mnt"
    assert "namespace0.0 initialised, 65536 pages in 20ms" in lines
    assert console.warnings == [] and console.exit_status == 0
    assert console.clocksource == "timebase"
    ppc = result({"base": base}, "powerpc64le")
    assert ppc.result == "pass" and ppc.timings["base"]["fast_over_slow"] == round(
        1591 / 11385, 3)


# v5.1.15, booted from a copy with the snapshot's fdt_ro.c quote removed
# (docs/trees.md); the case list has grown the fast-only and hugetlb cases.
V5_1_BASE_STATUS = ["pass"] * 4 + ["skip", "skip", "pass"] + ["skip"] * 7 + ["pass"]
V5_1_PATCHED_STATUS = ["pass"] * 5 + ["skip", "pass", "pass"] + ["skip"] * 6 + ["pass"]
V5_1_FORCE_AS_WRITE = ("get_user_pages_fast() takes int write: FOLL_FORCE read as write, "
                       "returned 64")


# Per arch booted on v5.1.15: its family, build and boot seconds (base,
# patched), the one warning of the patched kernel (the refusal of FOLL_FORCE
# in its fast path, PID 1 where gup_test is /init) as read in each recorded
# console, and the cases it runs beyond the shared ones, (base, patched);
# powerpc64le, with DAX and hugetlb, has a test of its own.
V5_1_DAX = {"dax_fast_pins_without_longterm": ("pass", "pass"),
            "dax_slow_pins_without_longterm": ("pass", "pass"),
            "longterm_gup_dax_refused": ("pass", "pass"),
            "longterm_fast_dax_refused": ("skip", "pass")}
V5_1_ARCHES = {
    "arm": (guests.FALLBACK, (669.9, 475.4), (18.6, 26.1),
            "1 at ../../src/mm/util.c:350 get_user_pages_fast+0xa8/0xc8", {}),
    "mips": (guests.ARCH_WALK % "mips", (784.5, 534.7), (6.1, 3.8),
             "1 at ../../src/arch/mips/mm/gup.c:288 get_user_pages_fast+0x104/0x1f8", {}),
    "sparc64": (guests.ARCH_WALK % "sparc", (687.2, 479.1), (16.2, 18.7),
                "1 at ../../src/arch/sparc/mm/gup.c:281 get_user_pages_fast+0xec/0x1b8", {}),
    "arm64": (guests.GENERIC, (610.3, 320.1), (3.5, 3.3),
              "1 at ../../src/mm/gup.c:2131 get_user_pages_fast+0x38/0x174", {}),
    # booted in one ARCH=all run; x86_64's
    # gup_test is a child of busybox's init
    "x86_64": (guests.GENERIC, (280.4, 272.8), (3.5, 2.5),
               "28 at ../../src/mm/gup.c:2131 get_user_pages_fast+0x20/0x16a", V5_1_DAX),
    "riscv64": (guests.FALLBACK, (101.8, 112.5), (1.9, 2.0),
                "1 at ../../src/mm/util.c:350 get_user_pages_fast+0x86/0x94", {}),
    # s390 left its arch walk for the generic one in v5.1
    "s390x": (guests.GENERIC, (207.2, 90.4), (1.6, 1.7),
              "1 at ../../src/mm/gup.c:2131 get_user_pages_fast+0x2c/0x178", {}),
}


def v5_1_recorded(arch):
    family, build_s, boot_s = V5_1_ARCHES[arch][:3]
    return {label: walk_recorded(arch, "v5.1.15", label, family, build_s[n], boot_s[n])
            for n, label in enumerate(("base", "patched"))}


def v5_1_statuses(arch, label):
    """The statuses a kernel of arch should show, case by case, in TAP order."""
    n = ("base", "patched").index(label)
    shared = V5_1_BASE_STATUS if label == "base" else V5_1_PATCHED_STATUS
    extra = V5_1_ARCHES[arch][4]
    names = [t.name for t in parse_tap(fixture("arm-v5.1.15-base.tap")).tests]
    return [extra[name][n] if name in extra else st for name, st in zip(names, shared)]


@pytest.mark.parametrize("arch", sorted(V5_1_ARCHES))
def test_v5_1_15_patched_pins_longterm_fast_where_the_base_cannot(arch):
    """Both kernels pin long-term through get_user_pages(); only the patched one
    has FOLL_LONGTERM in the fast path and refuses FOLL_FORCE there."""
    family, build_s, boot_s, warning, _ = V5_1_ARCHES[arch]
    kernels = v5_1_recorded(arch)
    base, patched = kernels["base"], kernels["patched"]
    assert [t.status for t in base.tap.tests] == v5_1_statuses(arch, "base")
    assert [t.status for t in patched.tap.tests] == v5_1_statuses(arch, "patched")
    b = {t.name: t for t in base.tap.tests}
    p = {t.name: t for t in patched.tap.tests}
    assert b["longterm_gup_anon_pins"].notes == p["longterm_gup_anon_pins"].notes == [
        "gup_benchmark longterm (get_user_pages) pinned 64/64"]
    assert b["longterm_fast_anon_pins"].reason == (
        "gup_benchmark has no GUP_FAST_LONGTERM_BENCHMARK (no FOLL_LONGTERM in the fast path)")
    assert b["fast_unsupported_flag_einval"].reason == V5_1_FORCE_AS_WRITE
    assert p["longterm_fast_anon_pins"].notes == ["gup_benchmark fast longterm pinned 64/64"]
    assert p["fast_unsupported_flag_einval"].notes == [
        "get_user_pages_fast(FOLL_FORCE 0x10) returned -22 (EINVAL)"]
    assert base.console.warnings == [] and base.console.exit_status == 0
    assert patched.console.warnings == ["WARNING: CPU: 0 PID: " + warning]
    assert patched.console.oops == [] and patched.console.exit_status == 0
    res = result(kernels, arch)
    assert res.result == "pass", res.problems
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(overall({arch: res}))}
    assert rows["family"] == [family]
    assert rows["longterm_gup_anon_pins"] == ["ok / ok"]
    assert rows["longterm_fast_anon_pins"] == ["SKIP / ok"]
    assert rows["fast_unsupported_flag_einval"] == ["SKIP / ok"]
    assert rows["fast_only_atomic_short"] == ["SKIP / SKIP"]
    assert rows["kernel warnings"] == ["0 / 1"]
    assert rows["build s (image)"] == ["%s / %s" % build_s]
    assert rows["boot s"] == ["%s / %s" % boot_s]


def test_v5_1_15_x86_64_refuses_long_term_dax_pins_in_both_paths_only_when_patched():
    """The base refuses FOLL_LONGTERM on DAX in get_user_pages_longterm() but its
    fast path pins the DAX pages; the patched one refuses in both."""
    kernels = v5_1_recorded("x86_64")
    b, p = ({t.name: t for t in kernels[k].tap.tests} for k in ("base", "patched"))
    assert_dax(b, "base")
    assert_dax(p, "patched")
    for k in ("base", "patched"):
        assert kernels[k].console.clocksource == "tsc-early"


def test_v5_1_15_what_each_arch_adds():
    """What one arch's recorded boots show beyond the shared cases."""
    arm = v5_1_recorded("arm")
    assert arm["patched"].tap.timing["fast_get_min_usec"] == 215910
    assert {t.name: t for t in arm["patched"].tap.tests}[
        "hugetlb_fast_write_pins_all"].reason.startswith("no hugetlb pages")
    mips = v5_1_recorded("mips")
    # malta's 256 MiB halves the timing buffer on both kernels
    assert [k.tap.timing["size_mib"] for k in mips.values()] == [64, 64]
    assert mips["patched"].console.clocksource == "MIPS"
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(overall({"mips": result(mips, "mips")}))}
    assert rows["fast/slow (min)"] == [
        "%s / %s" % (round(713 / 2593, 3), round(709 / 2818, 3))]
    # gup_test powered sun4u off: an OpenBIOS reboot restarts the kernel
    for label in ("base", "patched"):
        assert fixture("sparc64-v5.1.15-%s.console" % label).splitlines()[-1] == \
            "reboot: Power down"
    arm64 = v5_1_recorded("arm64")
    assert {t.name: t for t in arm64["patched"].tap.tests}[
        guests.DAX_CASES[0]].reason == "no pmem in this guest: " + guests.NO_DAX["arm64"]
    assert result(arm64, "arm64").timings["patched"]["fast_over_slow"] == \
        round(1645 / 27873, 3)


def test_powerpc64le_v5_0_patched_refuses_long_term_dax_and_pins_hugetlb_through_hugepd():
    """v5.0's patched kernel (branch made without --fast-only) passes every case it has."""
    base = walk_recorded("powerpc64le", "v5.0", "base", guests.GENERIC, 354.6, 7.6)
    patched = walk_recorded("powerpc64le", "v5.0", "patched", guests.GENERIC, 5.4, 6.9)
    tap = patched.tap
    assert tap.complete and tap.problems == []
    assert tap.totals == {"pass": 14, "fail": 0, "xfail": 0, "xpass": 0, "skip": 1,
                             "error": 0}
    assert [(t.number, t.name, t.status) for t in tap.tests] == [
        (1, "fast_write_private_pins_all", "pass"), (2, "fast_write_pin_write_seen", "pass"),
        (3, "fast_read_ro_mapping_pins", "pass"), (4, "fast_write_ro_mapping_refused", "pass"),
        (5, "fast_unsupported_flag_einval", "pass"), (6, "fast_only_atomic_short", "skip"),
        (7, "longterm_gup_anon_pins", "pass"), (8, "longterm_fast_anon_pins", "pass"),
        (9, "dax_fast_pins_without_longterm", "pass"),
        (10, "dax_slow_pins_without_longterm", "pass"), (11, "longterm_gup_dax_refused", "pass"),
        (12, "longterm_fast_dax_refused", "pass"), (13, "hugetlb_fast_write_pins_all", "pass"),
        (14, "hugetlb_longterm_fast_pins", "pass"), (15, "gup_benchmark_timings", "pass")]
    tests = {t.name: t for t in tap.tests}
    assert tests["fast_only_atomic_short"].reason == \
        "no get_user_pages_fast_only() in this kernel"
    assert tests["longterm_fast_anon_pins"].notes == [
        "gup_benchmark fast longterm pinned 64/64"]
    assert tests["fast_unsupported_flag_einval"].notes == [
        "get_user_pages_fast(FOLL_FORCE 0x10) returned -22 (EINVAL)"]
    # FOLL_LONGTERM refuses the DAX pages, slow and fast; without it both pin
    assert_dax(tests, "patched")
    # both hugetlb cases through gup_huge_pd(): base 16M over 4K, hash MMU
    for name in guests.HUGETLB_CASES:
        assert tests[name].notes[0] == "hugetlb page of 16384 kB, base page 4 kB, MMU Hash"
    assert tests["hugetlb_longterm_fast_pins"].notes[1] == \
        "gup_benchmark fast longterm on hugetlb pinned 64/64"
    # the generic walk's FOLL_FORCE refusal, once
    assert patched.console.warnings == [
        "WARNING: CPU: 0 PID: 1 at ../../src/mm/gup.c:1948 get_user_pages_fast+0x2c/0x17c"]
    assert patched.console.exit_status == 0 and patched.console.oops == []
    assert patched.console.dax.startswith("EXT2-fs (pmem0): DAX enabled.")
    ppc = result({"base": base, "patched": patched}, "powerpc64le")
    assert ppc.result == "pass", ppc.problems
    assert ppc.timings["patched"]["fast_over_slow"] == round(1529 / 11842, 3)
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(overall({"powerpc64le": ppc}))}
    assert rows["longterm_fast_anon_pins"] == ["SKIP / ok"]
    assert rows["longterm_fast_dax_refused"] == ["SKIP / ok"]
    assert rows["longterm_gup_dax_refused"] == ["ok / ok"]
    assert rows["dax_fast_pins_without_longterm"] == ["ok / ok"]
    assert rows["hugetlb_longterm_fast_pins"] == ["SKIP / ok"]
    assert rows["kernel warnings"] == ["0 / 1"]
    assert rows["build s (image)"] == ["354.6 / 5.4"] and rows["boot s"] == ["7.6 / 6.9"]
    # with a DAX SKIP on the patched kernel, as before the guest had pmem, it fails
    lost = dataclasses.replace(patched, tap=parse_tap(
        fixture("powerpc64le-v5.0-patched.tap").replace(
            "ok 12 longterm_fast_dax_refused",
            "ok 12 longterm_fast_dax_refused # SKIP no pmem in this guest")))
    assert result({"base": base, "patched": lost}, "powerpc64le").problems == [
        "patched: skipped longterm_fast_dax_refused"]


def test_powerpc64le_v5_1_15_patched_refuses_long_term_dax_where_the_base_pins_it():
    """v5.1.15 on pseries (the copy of docs/trees.md): DAX and hugepd as on v5.0."""
    kernels = {label: walk_recorded("powerpc64le", "v5.1.15", label, guests.GENERIC, build_s,
                                    boot_s)
               for label, build_s, boot_s in (("base", 418.7, 9.2), ("patched", 263.5, 9.4))}
    base, patched = kernels["base"], kernels["patched"]
    assert [t.status for t in base.tap.tests] == ["pass"] * 4 + [
        "skip", "skip", "pass", "skip", "pass", "pass", "pass", "skip", "pass", "skip", "pass"]
    assert [t.status for t in patched.tap.tests] == ["pass"] * 5 + ["skip"] + [
        "pass"] * 9
    b = {t.name: t for t in base.tap.tests}
    p = {t.name: t for t in patched.tap.tests}
    assert_dax(b, "base")
    assert_dax(p, "patched")
    assert p["hugetlb_longterm_fast_pins"].notes == [
        "hugetlb page of 16384 kB, base page 4 kB, MMU Hash",
        "gup_benchmark fast longterm on hugetlb pinned 64/64"]
    for kernel in (base, patched):
        assert kernel.console.dax.startswith("EXT2-fs (pmem0): DAX enabled.")
        assert kernel.console.exit_status == 0 and kernel.console.oops == []
    assert base.console.warnings == []
    assert patched.console.warnings == [
        "WARNING: CPU: 0 PID: 1 at ../../src/mm/gup.c:2131 get_user_pages_fast+0x2c/0x184"]
    ppc = result(kernels, "powerpc64le")
    assert ppc.result == "pass", ppc.problems
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(overall({"powerpc64le": ppc}))}
    assert rows["longterm_fast_dax_refused"] == ["SKIP / ok"]
    assert rows["dax_slow_pins_without_longterm"] == ["ok / ok"]
    assert rows["fast/slow (min)"] == ["%s / %s" % (round(1610 / 9439, 3),
                                                    round(1608 / 10289, 3))]
    assert rows["build s (image)"] == ["418.7 / 263.5"] and rows["boot s"] == ["9.2 / 9.4"]


def test_riscv64_v5_0_fallback_pins_longterm_fast_only_on_the_patched_kernel():
    """v5.0's mm/util.c fallback on riscv64 (virt, OpenSBI), booted under TCG."""
    base = walk_recorded("riscv64", "v5.0", "base", guests.FALLBACK, 597.0, 5.7)
    patched = walk_recorded("riscv64", "v5.0", "patched", guests.FALLBACK, 391.8, 4.3)
    for kernel in (base, patched):
        assert kernel.tap.complete and kernel.tap.problems == []
    # the base: FOLL_FORCE read as write, and no FOLL_LONGTERM in the fast path
    # (the old behaviour, as on arm)
    assert [t.status for t in base.tap.tests] == ["pass"] * 4 + [
        "skip", "skip", "pass"] + ["skip"] * 7 + ["pass"]
    skips = {t.name: t.reason for t in base.tap.tests if t.status == "skip"}
    assert skips["fast_unsupported_flag_einval"] == (
        "get_user_pages_fast() takes int write: FOLL_FORCE read as write, returned 64")
    assert skips["longterm_fast_anon_pins"] == (
        "gup_benchmark has no GUP_FAST_LONGTERM_BENCHMARK (no FOLL_LONGTERM in the fast path)")
    # the patched fallback pins long-term through get_user_pages() under mmap_sem
    assert [(t.name, t.status) for t in patched.tap.tests] == [
        ("fast_write_private_pins_all", "pass"), ("fast_write_pin_write_seen", "pass"),
        ("fast_read_ro_mapping_pins", "pass"), ("fast_write_ro_mapping_refused", "pass"),
        ("fast_unsupported_flag_einval", "pass"), ("fast_only_atomic_short", "skip"),
        ("longterm_gup_anon_pins", "pass"), ("longterm_fast_anon_pins", "pass")] + [
        (name, "skip") for name in guests.DAX_CASES + guests.HUGETLB_CASES] + [
        ("gup_benchmark_timings", "pass")]
    tests = {t.name: t for t in patched.tap.tests}
    assert tests["longterm_fast_anon_pins"].notes == [
        "gup_benchmark fast longterm pinned 64/64"]
    assert tests["fast_unsupported_flag_einval"].notes == [
        "get_user_pages_fast(FOLL_FORCE 0x10) returned -22 (EINVAL)"]
    assert tests[guests.DAX_CASES[0]].reason == \
        "no pmem in this guest: " + guests.NO_DAX["riscv64"]
    assert tests["hugetlb_longterm_fast_pins"].reason == \
        "no hugetlb pages (no Hugepagesize in /proc/meminfo: CONFIG_HUGETLBFS off)"
    # the only warning is the fallback's WARN_ON_ONCE refusing FOLL_FORCE
    assert base.console.warnings == []
    assert patched.console.warnings == [
        "WARNING: CPU: 0 PID: 1 at ../../src/mm/util.c:338 get_user_pages_fast+0x86/0x94"]
    for kernel in (base, patched):
        assert kernel.console.exit_status == 0 and kernel.console.oops == []
        assert kernel.console.clocksource == "riscv_clocksource"
    # gup_test powered the machine off through OpenSBI
    assert fixture("riscv64-v5.0-patched.console").splitlines()[-1].rstrip("\r") == \
        "reboot: Power down"
    riscv = result({"base": base, "patched": patched}, "riscv64")
    assert riscv.result == "pass", riscv.problems
    assert riscv.family == guests.FALLBACK
    assert riscv.timings["base"]["fast_over_slow"] == round(17173 / 13153, 3)
    assert riscv.timings["patched"]["fast_over_slow"] == round(9098 / 8996, 3)
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(overall({"riscv64": riscv}))}
    assert rows["longterm_fast_anon_pins"] == ["SKIP / ok"]
    assert rows["fast_unsupported_flag_einval"] == ["SKIP / ok"]
    assert rows["kernel warnings"] == ["0 / 1"]
    assert rows["build s (image)"] == ["597.0 / 391.8"] and rows["boot s"] == ["5.7 / 4.3"]
