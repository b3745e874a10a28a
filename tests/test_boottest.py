"""make boottest without a kernel: the TAP parser, the report, the initramfs, the guest program."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from conftest import ROOT
from gupunify import cli
from gupunify.boottest import (bootbuild, bootreport, boottest, guests, initramfs, pmemimage,
    qemuboot)
from gupunify.common import kbuild, workspace
from gupunify.boottest.tap import judge, parse_tap, scan_console
from gupunify.common.tree import KernelTree
from gupunify.common.util import UserError

FIXTURES = os.path.join(ROOT, "tests", "boottest")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def recorded(label):
    """A kernel record as run_kernel() makes it, from a recorded v5.0 run."""
    return {"commit": "c20ce182c0a0" if label == "base" else "dd09708a180c",
            "arch": "x86_64",
            "build": {"config_s": 5.0, "kernel_s": 264.0, "module_s": 2.0,
                      "ccache_hits": 0, "ccache_misses": 900, "module_warnings": []},
            "boot": {"accel": "tcg", "wall_s": 2.0, "timeout_s": 900, "timed_out": False,
                     "qemu_status": 0, "qemu_output": ""},
            "tap": parse_tap(fixture(label + ".tap")),
            "console": scan_console(fixture(label + ".console"))}


# What kbuild.tree_facts() and the compilers say for v5.0 on Debian bookworm.
V5_0_FACTS = {"selinux_pf_max": 45, "host_pf_max": 46, "sh_mm_werror": True,
              "ppc_werror": True, "has_werror": False, "arm_march_v7": False}


def result(kernels, arch="x86_64"):
    """One arch's result as run_arch() makes it."""
    family = next(iter(kernels.values())).get("family", guests.GUESTS[arch].family)
    res = {"arch": arch, "family": family, "branch": "gup-unify",
           "accel": "tcg", "accel_reason": "KVM unusable here", "kernels": kernels,
           "knobs": [k.as_dict() for k in kbuild.select_knobs("5.0", 12, arch, V5_0_FACTS)]}
    return bootreport.summarize(res)


def overall(runs, not_booted=None):
    """The whole run as main() makes it."""
    return bootreport.summarize_all({"tree": "/src/linux-5.0", "tree_name": "linux-5.0",
                                   "repository": "/src/linux-5.0",
                                   "branch": "gup-unify", "kernels": ["base", "patched"],
                                   "arches": runs, "not_booted": not_booted or {}})


def test_tap_base_log_passes_with_the_new_features_skipped():
    tap = parse_tap(fixture("base.tap"))
    assert tap["plan"] == 12 and tap["version"] == 13 and tap["problems"] == []
    assert tap["complete"]
    status = {t["name"]: t["status"] for t in tap["tests"]}
    assert status["fast_write_private_pins_all"] == "pass"
    assert status["fast_unsupported_flag_einval"] == "skip"
    assert status["longterm_fast_dax_refused"] == "skip"
    dax = next(t for t in tap["tests"] if t["name"] == "longterm_fast_dax_refused")
    assert "pinned 64/64 DAX pages" in dax["reason"]
    timing = tap["timing"]
    assert 0 < timing["fast_get_min_usec"] <= timing["fast_get_usec"]
    assert 0 < timing["slow_get_min_usec"] <= timing["slow_get_usec"]
    assert tap["totals"]["skip"] == 3


def test_tap_patched_log_passes_everything():
    tap = parse_tap(fixture("patched.tap"))
    assert [t["status"] for t in tap["tests"]] == ["pass"] * 12
    einval = next(t for t in tap["tests"] if t["name"] == "fast_unsupported_flag_einval")
    assert any("-22 (EINVAL)" in n for n in einval["notes"])
    for name in ("longterm_gup_dax_refused", "longterm_fast_dax_refused"):
        dax = next(t for t in tap["tests"] if t["name"] == name)
        assert any("FOLL_LONGTERM) returned -95 (EOPNOTSUPP)" in n for n in dax["notes"])


def test_tap_not_ok_is_a_problem():
    text = fixture("patched.tap").replace("ok 5 fast_unsupported_flag_einval",
                                          "not ok 5 fast_unsupported_flag_einval")
    tap = parse_tap(text)
    assert tap["tests"][4]["status"] == "fail"
    assert tap["problems"] == ["not ok 5 fast_unsupported_flag_einval"]


def test_tap_without_plan_is_a_problem():
    text = "\n".join(line for line in fixture("patched.tap").splitlines()
                     if not line.startswith("1.."))
    assert parse_tap(text)["problems"] == ["no TAP plan: gup_test did not start"]
    assert parse_tap("")["plan"] is None


def test_crashed_guest_is_a_failure():
    lines = fixture("patched.tap").splitlines()
    cut = next(i for i, line in enumerate(lines) if line.startswith("ok 6 "))
    kernel = recorded("patched")
    kernel["tap"] = parse_tap("\n".join(lines[:cut + 1]))
    kernel["console"] = scan_console(fixture("crash.console"))
    assert kernel["tap"]["problems"] == ["6 of 12 results: the guest stopped early"]
    assert not kernel["tap"]["complete"]
    problems = judge(kernel)
    assert any(p.startswith("kernel: BUG: unable to handle") for p in problems)
    assert result({"base": recorded("base"), "patched": kernel})["result"] == "fail"


def test_tap_without_totals_is_a_problem():
    text = "\n".join(line for line in fixture("patched.tap").splitlines()
                     if not line.startswith("# Totals"))
    assert parse_tap(text)["problems"] == ["no '# Totals' line: gup_test did not finish"]


def test_console_scan_finds_the_einval_warning_and_the_exit_status():
    console = scan_console(fixture("patched.console"))
    assert len(console["warnings"]) == 1 and "get_user_pages_fast" in console["warnings"][0]
    assert console["oops"] == [] and console["exit_status"] == 0
    assert "DAX enabled" in console["dax"]
    assert console["clocksource"] not in (None, "jiffies", "refined-jiffies")
    assert scan_console(fixture("base.console"))["warnings"] == []


def test_report_puts_base_and_patched_side_by_side(tmp_path):
    res = result({"base": recorded("base"), "patched": recorded("patched")})
    assert res["result"] == "pass", res["problems"]
    row = next(r for r in res["cases"] if r["name"] == "fast_unsupported_flag_einval")
    assert (row["base"]["status"], row["patched"]["status"]) == ("skip", "pass")
    assert set(res["ratios"]) == {"fast_get_min_usec", "fast_get_usec",
                                  "slow_get_min_usec", "slow_get_usec"}
    base_t, patched_t = res["timings"]["base"], res["timings"]["patched"]
    assert res["ratios"]["fast_get_min_usec"] == round(
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


def test_an_arch_not_booted_is_named_and_leaves_the_run_incomplete(tmp_path):
    why = "not attempted this session: time (arch walk; QEMU malta)"
    res = overall({"x86_64": result({"base": recorded("base"), "patched": recorded("patched")})},
                  {"mips": why})
    assert res["result"] == "incomplete"
    assert res["problems"] == ["mips: not booted: " + why]
    where = bootreport.write_reports(res, str(tmp_path))
    md = open(os.path.join(where, "boottest.md")).read()
    assert "- mips: not attempted this session: time" in md
    assert "not booted: mips: not attempted" in bootreport.matrix_text(res)
    assert overall({}, {})["result"] == "incomplete"


def test_report_fails_when_the_patched_kernel_skips():
    kernel = recorded("patched")
    kernel["tap"] = parse_tap(fixture("base.tap"))
    res = result({"base": recorded("base"), "patched": kernel})
    assert res["result"] == "fail"
    assert res["problems"][-1].startswith("patched: skipped fast_unsupported_flag_einval")


def test_timed_out_kernel_fails():
    kernel = recorded("patched")
    kernel["boot"].update(timed_out=True, timeout_s=900)
    assert "QEMU timed out after 900 s" in judge(kernel)


def test_kvm_internal_error_means_retry_on_tcg():
    record = {"accel": "kvm", "timed_out": False, "timeout_s": 120, "qemu_status": "kvm-error",
              "qemu_output": "KVM internal error. Suberror: 1\nemulation failure"}
    assert qemuboot.kvm_failure(record, "") == "QEMU: KVM internal error. Suberror: 1"
    hung = dict(record, qemu_status="timeout", timed_out=True, qemu_output="")
    assert qemuboot.kvm_failure(hung, "") == "no TAP output within 120 s"
    assert qemuboot.kvm_failure(record, fixture("base.tap")) is None
    assert qemuboot.kvm_failure(dict(record, accel="tcg"), "") is None


def kvm_abort(accel="kvm"):
    """QEMU's record of the kvm_buf_set_msrs abort a user met (issue 15)."""
    return {"accel": accel, "timed_out": False, "timeout_s": 120, "qemu_status": -6,
            "qemu_output": fixture("kvm-abort.qemu").strip()}


def test_qemu_abort_under_kvm_before_tap_means_retry_on_tcg():
    assert qemuboot.kvm_failure(kvm_abort(), "") == (
        "QEMU failed (killed by signal 6 (SIGABRT)): qemu-system-x86_64: "
        "../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion "
        "`ret == cpu->kvm_msr_buf->nmsrs' failed.")
    exited = dict(kvm_abort(), qemu_status=1, qemu_output="")
    assert qemuboot.kvm_failure(exited, "") == "QEMU failed (exit 1): no output"
    # Once gup_test has started, the kernel is on trial, not KVM.
    assert qemuboot.kvm_failure(kvm_abort(), fixture("patched.tap")) is None


def test_boot_after_a_kvm_abort_is_redone_under_tcg(monkeypatch):
    calls = []

    def fake_boot(bzimage, initrd, guest, accel, timeout, arch):
        calls.append((accel, timeout))
        if accel == "kvm":
            return kvm_abort(), "", ""
        return dict(kvm_abort("tcg"), qemu_status=0, qemu_output=""), \
            fixture("patched.tap"), fixture("patched.console")
    monkeypatch.setattr(qemuboot, "boot", fake_boot)
    qemu = {"accel": "kvm", "reason": "/dev/kvm usable", "timeout": 120}
    record, tap, _ = qemuboot.boot_with_fallback("bz", "i", "g", qemu)
    assert calls == [("kvm", 120), ("tcg", qemuboot.TCG_TIMEOUT)]
    assert record["accel"] == "tcg" and record["kvm_failure"].startswith(
        "QEMU failed (killed by signal 6 (SIGABRT)): qemu-system-x86_64: ")
    assert qemu["accel"] == "tcg" and qemu["reason"].startswith("KVM unusable here (QEMU ")
    assert parse_tap(tap)["complete"]


def test_qemu_death_without_kvm_to_blame_stops_the_run(monkeypatch):
    monkeypatch.setattr(qemuboot, "boot", lambda *a: (kvm_abort("tcg"), "", ""))
    with pytest.raises(UserError, match=r"^QEMU failed \(killed by signal 6 \(SIGABRT\)\): "
                       r"qemu-system-x86_64: .*kvm_buf_set_msrs"):
        qemuboot.boot_with_fallback("bz", "i", "g", {"accel": "tcg", "timeout": 9})
    started = fixture("patched.tap").splitlines()[:4]
    monkeypatch.setattr(qemuboot, "boot", lambda *a: (kvm_abort(), "\n".join(started), ""))
    qemu = {"accel": "kvm", "timeout": 120}
    with pytest.raises(UserError, match="^QEMU failed"):
        qemuboot.boot_with_fallback("bz", "i", "g", qemu)
    assert qemu["accel"] == "kvm"


def test_qemu_argv_keeps_tap_apart_from_the_kernel_log():
    argv = guests.qemu_argv("x86_64", "bz", "initrd", "c.log", "t.log", "tcg")
    assert argv[argv.index("-accel") + 1] == "tcg" and argv[argv.index("-cpu") + 1] == "max"
    assert "file:c.log" in argv and "file,id=tap,path=t.log" in argv
    assert argv[argv.index("-append") + 1] == \
        "console=ttyS0 panic=-1 memmap=128M!512M no_timer_check"
    assert guests.qemu_argv("x86_64", "bz", "i", "c", "t", "kvm")[4] == "host"


def test_arm_guest_boots_the_fallback_family_with_tap_on_virtio_mmio():
    argv = guests.qemu_argv("arm", "zImage", "i", "c.log", "t.log", "tcg")
    assert argv[:2] == ["qemu-system-arm", "-accel"] and "-cpu" in argv
    assert argv[argv.index("-M") + 1] == "virt"
    assert argv[argv.index("-append") + 1] == "console=ttyAMA0 panic=-1"
    assert "virtio-serial-device" in argv and "file,id=tap,path=t.log" in argv
    assert guests.GUESTS["arm"].family == guests.FALLBACK
    assert qemuboot.accelerator("arm") == ("tcg", "no KVM for arm on a %s host: TCG"
                                           % os.uname().machine)


def test_mips_guest_boots_malta_with_tap_on_virtio_pci():
    argv = guests.qemu_argv("mips", "vmlinux", "i", "c.log", "t.log", "tcg")
    assert argv[:3] == ["qemu-system-mips", "-accel", "tcg"]
    assert argv[argv.index("-M") + 1] == "malta" and argv[argv.index("-m") + 1] == "256M"
    assert argv[argv.index("-append") + 1] == "console=ttyS0 panic=-1"
    assert argv.count("-serial") == 1 and argv[argv.index("-serial") + 1] == "file:c.log"
    assert argv[argv.index("-device") + 1] == "virtio-serial-pci"
    assert guests.GUESTS["mips"].family == "arch walk (arch/mips/mm/gup.c)"


@pytest.mark.parametrize("arch, machine, append, virtio", [
    # OpenBIOS restarts the kernel on a reboot: gup_test (as /init) powers off
    ("sparc64", ["-M", "sun4u"], "console=ttyS0 panic=-1 BOOTTEST_HALT=poweroff",
     "virtio-serial-pci,bus=pciB"),
    ("s390x", ["-M", "s390-ccw-virtio"], "console=ttysclp0 panic=-1", "virtio-serial-ccw")])
def test_walk_and_fallback_guests_keep_tap_on_their_bus_virtio(arch, machine, append, virtio):
    argv = guests.qemu_argv(arch, "image", "i", "c.log", "t.log", "tcg")
    assert argv[:3] == ["qemu-system-" + arch, "-accel", "tcg"]
    assert argv[3:3 + len(machine)] == machine and "-cpu" not in argv
    assert argv[argv.index("-append") + 1] == append
    assert argv[argv.index("-serial") + 1] == "file:c.log"
    assert argv[argv.index("-device") + 1] == virtio
    assert "file,id=tap,path=t.log" in argv
    assert qemuboot.accelerator(arch)[0] == "tcg"


def test_riscv64_guest_boots_virt_on_debians_opensbi_and_powers_off():
    argv = guests.qemu_argv("riscv64", "Image", "i", "c.log", "t.log", "tcg")
    assert argv[:3] == ["qemu-system-riscv64", "-accel", "tcg"]
    assert argv[3:7] == ["-M", "virt", "-bios", "default"] and "-cpu" not in argv
    # v5.0's machine_restart() only spins: gup_test powers off through SBI
    assert argv[argv.index("-append") + 1] == "console=ttyS0 panic=-1 BOOTTEST_HALT=poweroff"
    assert argv[argv.index("-kernel") + 1] == "Image"
    assert argv[argv.index("-device") + 1] == "virtio-serial-device"
    assert guests.GUESTS["riscv64"].family == guests.FALLBACK
    assert guests.GUESTS["riscv64"].image == "arch/riscv/boot/Image"


def test_family_is_read_from_the_kernels_config_and_tree(tmp_path):
    src = str(tmp_path)
    assert guests.family("s390x", {"CONFIG_HAVE_GENERIC_GUP": "y"}, src) == guests.GENERIC
    assert guests.family("s390x", {}, src) == guests.FALLBACK
    os.makedirs(os.path.join(src, "arch", "s390", "mm"))
    open(os.path.join(src, "arch", "s390", "mm", "gup.c"), "w").close()
    assert guests.family("s390x", {}, src) == "arch walk (arch/s390/mm/gup.c)"
    assert guests.family("s390x", {"CONFIG_HAVE_GENERIC_GUP": "y"}, src) == guests.GENERIC
    assert guests.family("riscv64", {"CONFIG_HAVE_GENERIC_GUP": "n"}, src) == guests.FALLBACK


def test_arm_kernel_builds_through_kbuild_with_soft_float_and_no_objtool_knobs():
    knobs = kbuild.select_knobs("5.0", 12, "arm", V5_0_FACTS)
    assert [k.name for k in knobs] == ["HOSTCFLAGS=-fcommon", "CONFIG_SECURITY_SELINUX off",
                                       "CC+=-mfloat-abi=soft"]
    assert kbuild.make_argv("arm", "/s", "/o", 2, knobs, "zImage") == [
        "make", "-C", "/s", "O=/o", "ARCH=arm", "CROSS_COMPILE=arm-linux-gnueabihf-",
        "CC=ccache arm-linux-gnueabihf-gcc -mfloat-abi=soft", "-j2", "HOSTCFLAGS=-fcommon",
        "zImage"]
    assert kbuild.knob_lines(knobs) == ["# CONFIG_SECURITY_SELINUX is not set"]
    x86 = kbuild.select_knobs("5.0", 12, "x86_64", V5_0_FACTS)
    assert kbuild.knob_lines(x86) == [
        "# CONFIG_SECURITY_SELINUX is not set", "# CONFIG_RETPOLINE is not set",
        "# CONFIG_STACK_VALIDATION is not set", "# CONFIG_UNWINDER_ORC is not set",
        "CONFIG_UNWINDER_FRAME_POINTER=y"]
    assert kbuild.select_knobs("5.0", 12, "arm", dict(V5_0_FACTS, arm_march_v7=True))[-1] \
        .name == "CONFIG_SECURITY_SELINUX off"


def test_sh4_whole_kernel_keeps_array_bounds_a_warning_too(tmp_path):
    """A v5.0 sh4 kernel stopped at machvec.c: -Werror=array-bounds (gcc 12)."""
    for rel in ("arch/sh/mm/Makefile", "arch/sh/kernel/Makefile"):
        os.makedirs(os.path.dirname(str(tmp_path / rel)), exist_ok=True)
        (tmp_path / rel).write_text("ccflags-y := -Werror\n")
    facts = kbuild.tree_facts(str(tmp_path))
    assert facts["sh_mm_werror"] and facts["sh_kernel_werror"]
    sh = kbuild.select_knobs("5.0", 12, "sh4", facts)
    assert kbuild.make_argv("sh4", "/s", "/o", 2, sh, "zImage")[-2:] == [
        "KCFLAGS=-Wno-error=address -Wno-error=array-bounds", "zImage"]
    (tmp_path / "arch/sh/kernel/Makefile").write_text("obj-y += machvec.o\n")
    facts = kbuild.tree_facts(str(tmp_path))
    assert facts["sh_mm_werror"] and not facts["sh_kernel_werror"]
    assert [k.make_vars for k in kbuild.select_knobs("5.0", 12, "sh4", facts)
            if "KCFLAGS" in k.make_vars] == [{"KCFLAGS": "-Wno-error=address"}]
    gcc11 = kbuild.select_knobs("5.0", 11, "sh4", facts)
    assert not any("KCFLAGS" in k.make_vars for k in gcc11)


def test_sparc64_kernel_builds_with_gcc_12s_new_errors_demoted_in_arch_sparc():
    facts = dict(V5_0_FACTS, sparc_werror=True)
    knobs = kbuild.select_knobs("5.0", 12, "sparc64", facts)
    assert [k.name for k in knobs] == [
        "HOSTCFLAGS=-fcommon", "CONFIG_SECURITY_SELINUX off",
        "KCFLAGS=-Wno-error=stringop-overread -Wno-error=array-bounds"]
    assert kbuild.make_argv("sparc64", "/s", "/o", 2, knobs, "image")[-3:] == [
        "HOSTCFLAGS=-fcommon",
        "KCFLAGS=-Wno-error=stringop-overread -Wno-error=array-bounds", "image"]
    # gcc 11 has neither warning; a tree without -Werror in arch/sparc needs nothing
    assert "KCFLAGS" not in str([k.make_vars for k in kbuild.select_knobs(
        "5.0", 11, "sparc64", facts)])
    assert [k.name for k in kbuild.select_knobs("5.0", 12, "sparc64", dict(
        facts, sparc_werror=False))] == ["HOSTCFLAGS=-fcommon", "CONFIG_SECURITY_SELINUX off"]
    # the other arches are not touched by it
    assert not any("stringop" in k.name for k in kbuild.select_knobs("5.0", 12, "s390x", facts))


def test_riscv64_kernel_builds_on_isa_spec_2_2_where_its_march_lacks_zicsr():
    facts = dict(V5_0_FACTS, riscv_march_zicsr=False)
    knobs = kbuild.select_knobs("5.0", 12, "riscv64", facts)
    assert [k.name for k in knobs] == ["HOSTCFLAGS=-fcommon", "CONFIG_SECURITY_SELINUX off",
                                       "CC+=-misa-spec=2.2"]
    assert kbuild.make_argv("riscv64", "/s", "/o", 2, knobs, "Image")[4:8] == [
        "ARCH=riscv", "CROSS_COMPILE=riscv64-linux-gnu-",
        "CC=ccache riscv64-linux-gnu-gcc -misa-spec=2.2", "-j2"]
    assert "CC+=-misa-spec=2.2" not in [k.name for k in kbuild.select_knobs(
        "5.19", 12, "riscv64", dict(facts, riscv_march_zicsr=True))]


def test_riscv64_gcc_needs_isa_spec_2_2_for_csr_in_the_trees_march(tmp_path):
    gcc = kbuild.ARCHES["riscv64"].gcc
    if not shutil.which(gcc):
        pytest.skip("no %s: run make deps-boottest" % gcc)
    src = tmp_path / "csr.c"
    src.write_text('void f(void) { asm volatile("csrw sie, zero; fence.i"); }\n')

    def builds(*flags):
        return subprocess.run([gcc] + list(flags) + ["-march=rv64imac", "-mabi=lp64", "-c",
                                                     str(src), "-o", os.devnull],
                              capture_output=True).returncode == 0
    assert not builds()
    assert builds("-misa-spec=2.2")


def test_armhf_gcc_needs_soft_float_for_the_kernels_march_test():
    gcc = kbuild.ARCHES["arm"].gcc
    if not shutil.which(gcc):
        pytest.skip("no %s: make test installs it (scripts/deps test)" % gcc)
    assert not kbuild.accepts(gcc, "-march=armv7-a")
    assert kbuild.accepts(gcc, "-mfloat-abi=soft", "-march=armv7-a")


def test_arch_list_is_checked_and_kept_in_table_order():
    assert boottest.parse_arches("arm,x86_64") == ["x86_64", "arm"]
    assert boottest.parse_arches("all") == guests.ALL
    with pytest.raises(UserError, match="^unknown arch 'ia64': choose from x86_64,arm,"):
        boottest.parse_arches("arm,ia64")


def test_arm_base_log_shows_no_longterm_fast_path_and_no_dax():
    tap = parse_tap(fixture("arm-base.tap"))
    assert tap["complete"] and tap["problems"] == [] and tap["totals"]["skip"] == 6
    skips = {t["name"]: t["reason"] for t in tap["tests"] if t["status"] == "skip"}
    assert skips["longterm_fast_anon_pins"].startswith(
        "gup_benchmark has no GUP_FAST_LONGTERM_BENCHMARK")
    assert skips["fast_unsupported_flag_einval"].startswith(
        "get_user_pages_fast() takes int write")
    assert sorted(n for n, why in skips.items() if why.startswith("no pmem in this guest")) \
        == sorted(guests.DAX_CASES)
    console = scan_console(fixture("arm-base.console"))
    assert console["warnings"] == [] and console["exit_status"] == 0
    assert console["clocksource"] == "arch_sys_counter"


def arm_recorded(label, tap=None):
    """An arm kernel record from the recorded v5.0 run (TCG on virt)."""
    kernel = recorded(label)
    kernel.update(arch="arm", tap=parse_tap(fixture(tap or "arm-%s.tap" % label)),
                  console=scan_console(fixture("arm-%s.console" % label)))
    return kernel


def test_arm_patched_passes_with_the_dax_cases_skipped_by_design(tmp_path):
    tap = parse_tap(fixture("arm-patched.tap"))
    status = {t["name"]: t["status"] for t in tap["tests"]}
    assert status["longterm_fast_anon_pins"] == "pass"
    assert [n for n, st in status.items() if st == "skip"] == list(guests.DAX_CASES)
    fast = next(t for t in tap["tests"] if t["name"] == "longterm_fast_anon_pins")
    assert fast["notes"] == ["gup_benchmark fast longterm pinned 64/64"]
    # FOLL_FORCE refused by the mm/util.c fallback's WARN_ON_ONCE
    console = scan_console(fixture("arm-patched.console"))
    assert [w.split(" at ")[1] for w in console["warnings"]] == [
        "../src/mm/util.c:338 get_user_pages_fast+0xa8/0xc8"]
    arm = result({"base": arm_recorded("base"), "patched": arm_recorded("patched")}, "arm")
    assert arm["result"] == "pass", arm["problems"]
    x86 = result({"base": recorded("base"), "patched": recorded("patched")})
    res = overall({"x86_64": x86, "arm": arm})
    assert res["result"] == "pass"
    row = next(r for r in res["matrix"] if r["name"] == "longterm_fast_anon_pins")
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
    """Recorded on v5.0 with mm/util.c as the previous 5/8 left it (issue 15)."""
    kernel = arm_recorded("patched", tap="arm-old58.tap")
    kernel["console"] = scan_console(fixture("arm-old58.console"))
    fast = next(t for t in kernel["tap"]["tests"] if t["name"] == "longterm_fast_anon_pins")
    assert fast["status"] == "fail"
    assert fast["notes"] == ["gup_benchmark fast longterm pinned 0/64", "pinned 0 of 64 pages"]
    # the fallback handed FOLL_LONGTERM to get_user_pages_unlocked(), which refuses it
    assert [w.split(" at ")[1] for w in kernel["console"]["warnings"]] == [
        "../src/mm/util.c:338 get_user_pages_fast+0x48/0x60",
        "../src/mm/gup.c:1047 get_user_pages_unlocked+0xe4/0x21c"]
    arm = result({"base": arm_recorded("base"), "patched": kernel}, "arm")
    assert arm["result"] == "fail"
    assert arm["problems"] == ["patched: not ok 7 longterm_fast_anon_pins"]
    row = next(r for r in overall({"arm": arm})["matrix"] if r["name"] == fast["name"])
    assert row["arm"] == {"base": "skip", "patched": "fail"}


def test_arm_patched_skipping_a_case_it_can_run_fails():
    text = fixture("arm-patched.tap").replace(
        "ok 7 longterm_fast_anon_pins", "ok 7 longterm_fast_anon_pins # SKIP no benchmark")
    arm = result({"base": arm_recorded("base"),
                  "patched": dict(arm_recorded("patched"), tap=parse_tap(text))},
                 "arm")
    assert arm["result"] == "fail"
    assert arm["problems"] == ["patched: skipped longterm_fast_anon_pins"]


def test_missing_config_names_what_olddefconfig_dropped():
    config = "CONFIG_64BIT=y\nCONFIG_FS_DAX=y\nCONFIG_RETPOLINE=y\n"
    wanted = ["CONFIG_64BIT=y", "CONFIG_FS_DAX=y", "CONFIG_ZONE_DEVICE=y",
              "# CONFIG_RETPOLINE is not set", "# CONFIG_SECURITY_SELINUX is not set"]
    assert kbuild.missing_config(config, wanted) == [
        "CONFIG_ZONE_DEVICE=y", "# CONFIG_RETPOLINE is not set"]


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


def test_cli_refuses_a_path_that_is_not_a_kernel_tree():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gup-unify"),
                           "boottest", tempfile.gettempdir()], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "gup-unify: error: %s: not a Linux kernel tree (no Makefile, include/linux/mm.h "
        "and mm/)" % tempfile.gettempdir()]


def commit_series(repo, branch="gup-unify"):
    """A one-commit series on branch of repo (a checkout or a bare import), from HEAD."""
    def git(*args):
        return subprocess.run(["git", "-C", str(repo)] + list(args), check=True,
                              capture_output=True, text=True).stdout.strip()
    tip = git("-c", "user.name=t", "-c", "user.email=t@t", "commit-tree", "HEAD^{tree}",
              "-p", "HEAD", "-m", "series")
    git("update-ref", "refs/heads/" + branch, tip)
    return git("rev-parse", "HEAD"), tip


def sample_in(path, git_top=None):
    """The sample tree copied to path, with what make boottest checks a kernel tree
    has to build x86_64, committed in git_top when given (path or above)."""
    shutil.copytree(os.path.join(ROOT, "sample", "linux"), str(path))
    for name in ("scripts/kconfig/Makefile", "arch/x86/Kconfig"):
        os.makedirs(os.path.dirname(os.path.join(str(path), name)), exist_ok=True)
        open(os.path.join(str(path), name), "w").close()
    if git_top:
        for args in (["init", "-q"], ["add", "-A"],
                     ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"]):
            subprocess.run(["git", "-C", str(git_top)] + args, check=True)
    return str(path)


@pytest.mark.parametrize("layout", ["checkout with spaces", "subdirectory", "plain"])
def test_boottest_takes_the_tree_as_the_other_jobs_do(tmp_path, monkeypatch, layout):
    """The top of a checkout is its own repository; a subdirectory of one, or a
    directory in none, is its scratch import, where make spatch makes the branch."""
    if layout == "checkout with spaces":
        kernel = sample_in(tmp_path / "my src" / "linux 5.0", tmp_path / "my src" / "linux 5.0")
    elif layout == "subdirectory":
        kernel = sample_in(tmp_path / "outer" / "linux", tmp_path / "outer")
    else:
        kernel = sample_in(tmp_path / "linux")
    tree = KernelTree(kernel)
    with workspace.repository(tree) as repo:
        base, tip = commit_series(repo)
    assert (repo == kernel) == (layout == "checkout with spaces")
    seen = []

    def booted(arch, repo, revs, wanted, root, args, version, exe, make_jobs):
        seen.append((arch, repo, revs, wanted))
        return result({"base": recorded("base"), "patched": recorded("patched")})
    monkeypatch.setattr(boottest, "check_tools", lambda arches: None)
    monkeypatch.setattr(initramfs, "build_test_program", lambda work, arch: "gup_test")
    monkeypatch.setattr(boottest, "run_arch", booted)
    rep = tmp_path / "rep"
    res = boottest.main(cli.parser().parse_args(["boottest", kernel, "--reports", str(rep)]))
    assert seen == [("x86_64", repo, {"base": base, "patched": tip}, ["base", "patched"])]
    assert (res["result"], res["repository"]) == ("pass", repo)
    # The reports folder is the tree's, as make spatch's is, not the import's.
    folder = rep / os.path.basename(kernel)
    data = json.loads((folder / "boottest.json").read_text())
    # The tree as conversion.json gives it, the path; its name titles boottest.md.
    assert (data["tree"], data["tree_name"], data["repository"]) == (
        kernel, os.path.basename(kernel), repo)
    assert (folder / "boottest.md").read_text().startswith(
        "# gup-unify boottest: %s\n" % os.path.basename(kernel))
    assert (folder / ".gup-unify").read_text() == \
        "gup-unify reports of the kernel tree %s\n" % os.path.realpath(kernel)


# A run holding a work directory's lock, as any process may: flock, then its line.
HOLDER = """
import fcntl, os, sys
f = open(sys.argv[1], "a+")
fcntl.flock(f, fcntl.LOCK_EX)
f.truncate(0)
f.write("pid %d, started 2026-11-26 15:00:00 UTC\\n" % os.getpid())
f.flush()
print("locked", flush=True)
sys.stdin.read()
"""


def test_a_second_boottest_of_a_tree_stops_at_once_naming_the_first(tmp_path, monkeypatch,
                                                                    capsys):
    """Both would build in one worktree and write one guest's files: the first goes
    on undisturbed, and its lock, once it is dead, blocks nothing."""
    kernel = sample_in(tmp_path / "linux", tmp_path / "linux")
    commit_series(kernel)
    digest = hashlib.sha1(os.path.realpath(kernel).encode()).hexdigest()[:10]
    monkeypatch.setenv("GUP_UNIFY_SCRATCH", str(tmp_path / "scratch"))
    root = tmp_path / "scratch" / "boottest" / ("linux-" + digest)
    (root / "x86_64").mkdir(parents=True)
    (root / "x86_64" / "gup_test").write_text("the first run's")
    booted = []
    monkeypatch.setattr(boottest, "check_tools", lambda arches: None)
    monkeypatch.setattr(initramfs, "build_test_program",
                        lambda work, arch: booted.append("gup_test") or "gup_test")
    monkeypatch.setattr(boottest, "run_arch", lambda arch, *rest: booted.append(arch) or result(
        {"base": recorded("base"), "patched": recorded("patched")}))
    argv = ["boottest", kernel, "--reports", str(tmp_path / "rep")]
    first = subprocess.Popen([sys.executable, "-c", HOLDER, str(root / "lock")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline() == "locked\n"
        assert cli.main(argv) == 2
        assert capsys.readouterr() == ("", (
            "gup-unify: error: another boottest run (pid %d, started 2026-11-26 15:00:00 "
            "UTC) is using %s: let it finish first\n" % (first.pid, root)))
        assert first.poll() is None and booted == []
        assert (root / "lock").read_text() == \
            "pid %d, started 2026-11-26 15:00:00 UTC\n" % first.pid
        assert sorted(os.listdir(str(root))) == ["lock", "x86_64"]
        assert (root / "x86_64" / "gup_test").read_text() == "the first run's"
        assert not (tmp_path / "rep").exists()
    finally:
        first.kill()
        first.wait()
    # Killed: the kernel dropped its lock, and its line is only overwritten.
    assert cli.main(argv) == 0
    assert booted == ["gup_test", "x86_64"]
    assert (root / "lock").read_text().startswith("pid %d, started " % os.getpid())


@pytest.mark.parametrize("job", ["spatch", "check", "boottest"])
@pytest.mark.parametrize("what", ["missing", "file", "not a kernel tree"])
def test_boottest_refuses_a_bad_tree_with_the_other_jobs_line(tmp_path, job, what):
    path = tmp_path / "no such" / "linux"
    if what == "file":
        path = tmp_path / "linux.tar"
        path.write_text("")
    elif what == "not a kernel tree":
        path = tmp_path / "src"
        path.mkdir()
    why = {"missing": "no such directory", "file": "is a file, not a kernel tree directory",
           "not a kernel tree": "not a Linux kernel tree (no Makefile, include/linux/mm.h "
                                "and mm/)"}[what]
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gup-unify"), job,
                           str(path), "--reports", str(tmp_path / "rep")],
                          capture_output=True, text=True)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        2, "", "gup-unify: error: %s: %s\n" % (path, why))
    assert not (tmp_path / "rep").exists()


@pytest.mark.parametrize("job", ["check", "boottest"])
def test_a_plain_tree_without_the_branch_is_told_to_run_spatch_on_itself(tmp_path, job):
    """Not on its scratch import, which is no kernel tree to give make spatch."""
    kernel = sample_in(tmp_path / "plain linux")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gup-unify"), job,
                           kernel, "--reports", str(tmp_path / "rep")], capture_output=True,
                          text=True, env=dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "s")))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines()[-1] == (
        "gup-unify: error: %s has no branch gup-unify: run make spatch KERNEL=%s first, or "
        "pass --branch" % (kernel, kernel))


@pytest.mark.parametrize("job, hint", [("check", ", or pass --base (make: BASE=)"),
                                       ("boottest", "")])
def test_a_branch_unrelated_to_head_is_told_only_what_the_job_accepts(tmp_path, job, hint):
    """boottest has no --base: its line must not send the user to one."""
    kernel = sample_in(tmp_path / "linux", tmp_path / "linux")
    commit_series(kernel)
    subprocess.run(["git", "-C", kernel, "checkout", "-q", "--orphan", "other"], check=True)
    subprocess.run(["git", "-C", kernel, "-c", "user.name=t", "-c", "user.email=t@t", "commit",
                    "-qm", "unrelated"], check=True)
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gup-unify"), job,
                           kernel, "--reports", str(tmp_path / "rep")], capture_output=True,
                          text=True, env=dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "s")))
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", (
        "gup-unify: error: %s: gup-unify and HEAD have no common ancestor: check out the "
        "branch it was made from%s\n" % (kernel, hint)))
    work = {"check": "buildcheck", "boottest": "boottest"}[job]
    assert not (tmp_path / "s" / work).exists() and not (tmp_path / "rep").exists()


def boottest_cli(kernel, *args, scratch, path=None):
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(scratch))
    if path:
        env["PATH"] = path
    # Reports beside the scratch, never in this checkout's reports/ (which
    # make demo fills with another tree's reports).
    if "--reports" not in args:
        args += ("--reports", str(scratch) + "-reports")
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gup-unify"),
                           "boottest", kernel] + list(args), capture_output=True, text=True,
                          env=env)


def on_path(where, tools, fakes=None):
    """A PATH of where alone: the tools named (as on this machine) and fakes {name: script}."""
    where.mkdir()
    for tool in tools:
        os.symlink(shutil.which(tool), str(where / tool))
    for name, script in (fakes or {}).items():
        (where / name).write_text("#!/bin/sh\n" + script)
        (where / name).chmod(0o755)
    return str(where)


CHOICES = "choose from %s or all" % ",".join(guests.ALL)


@pytest.mark.parametrize("args, error", [
    (["--arch", ""], "gup-unify: error: --arch '' names no arch: " + CHOICES),
    (["--arch", ","], "gup-unify: error: --arch ',' names no arch: " + CHOICES),
    (["--arch", "all,x86_64"], "gup-unify: error: --arch all,x86_64: all is every arch, "
                               "give it alone"),
    (["--arch", "X86_64"], "gup-unify: error: unknown arch 'X86_64' (did you mean x86_64?): "
                           + CHOICES),
    (["--arch", " arm"], "gup-unify: error: unknown arch ' arm' (did you mean arm?): "
                         + CHOICES),
    (["--arch", "arm,ia64"], "gup-unify: error: unknown arch 'ia64': " + CHOICES),
    (["--boots", "0"], "gup-unify: error: --boots must be at least 1 (got 0)"),
    (["--boots", "-1"], "gup-unify: error: --boots must be at least 1 (got -1)"),
    (["--timeout", "0"], "gup-unify: error: --timeout must be at least 1 second (got 0)"),
    (["--boots", "abc"], "gup-unify boottest: error: argument --boots: invalid int value: "
                         "'abc' (see gup-unify boottest --help)"),
    (["--only", "bogus"], "gup-unify boottest: error: argument --only: invalid choice: "
                          "'bogus' (choose from 'base', 'patched') (see gup-unify boottest "
                          "--help)"),
])
def test_a_careless_option_is_one_line_before_anything_is_built(tmp_path, args, error):
    kernel = sample_in(tmp_path / "linux", tmp_path / "linux")
    commit_series(kernel)
    out = boottest_cli(kernel, *args, "--reports", str(tmp_path / "rep"),
                       scratch=tmp_path / "s")
    assert (out.returncode, out.stdout, out.stderr) == (2, "", error + "\n")
    assert not (tmp_path / "s" / "boottest").exists() and not (tmp_path / "rep").exists()


def test_a_careless_tree_branch_or_folder_is_one_line_before_anything_is_built(tmp_path):
    kernel = sample_in(tmp_path / "linux", tmp_path / "linux")
    head = subprocess.run(["git", "-C", kernel, "rev-parse", "--abbrev-ref", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / "reports.txt").write_text("")
    cases = [
        (["--branch", "nosuch"], "%s has no branch nosuch: run make spatch KERNEL=%s first, "
                                 "or pass --branch" % (kernel, kernel)),
        (["--branch", head], "%s: HEAD already contains %s, so there is no series on it: "
                             "check out the branch it was made from" % (kernel, head)),
        (["--reports", str(tmp_path / "reports.txt")],
         "reports directory %s is a file, not a directory" % (tmp_path / "reports.txt")),
    ]
    for args, error in cases:
        out = boottest_cli(kernel, *args, scratch=tmp_path / "s")
        assert (out.returncode, out.stdout, out.stderr) == (
            2, "", "gup-unify: error: %s\n" % error), args
    # The bundled sample (make boottest's default KERNEL) has a branch but no kbuild.
    sample = str(tmp_path / "sample")
    shutil.copytree(os.path.join(ROOT, "sample", "linux"), sample)
    for args in (["init", "-q"], ["add", "-A"],
                 ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base"]):
        subprocess.run(["git", "-C", sample] + args, check=True)
    base, _ = commit_series(sample)
    out = boottest_cli(sample, scratch=tmp_path / "s")
    assert (out.returncode, out.stdout, out.stderr) == (
        2, "", "gup-unify: error: %s: %s has no scripts/kconfig/Makefile: not a kernel tree "
               "make boottest can build\n" % (sample, base[:12]))
    assert not (tmp_path / "s" / "boottest").exists()


def test_a_missing_compiler_or_c_library_is_one_line_before_anything_is_built(tmp_path):
    kernel = sample_in(tmp_path / "linux", tmp_path / "linux")
    for arch in ("arm", "mips"):
        (tmp_path / "linux" / "arch" / kbuild.ARCHES[arch].arch_dir).mkdir(exist_ok=True)
        (tmp_path / "linux" / "arch" / kbuild.ARCHES[arch].arch_dir / "Kconfig").touch()
    subprocess.run(["git", "-C", kernel, "add", "-A"], check=True)
    subprocess.run(["git", "-C", kernel, "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-qm", "arches"], check=True)
    commit_series(kernel)
    bare = on_path(tmp_path / "bin", ["git"])
    out = boottest_cli(kernel, "--arch", "arm", scratch=tmp_path / "s", path=bare)
    assert (out.returncode, out.stdout, out.stderr) == (
        2, "", "gup-unify: error: arm: no toolchain (arm-linux-gnueabihf-gcc not found; "
               "Debian package gcc-arm-linux-gnueabihf): run make deps-boottest\n")
    # A compiler without its libc6-dev-<arch>-cross: gcc then names libc.a bare.
    no_libc = on_path(tmp_path / "nolibc", ["git", "make"], {
        "mips-linux-gnu-gcc": 'echo libc.a\n', "qemu-system-mips": "exit 1\n"})
    out = boottest_cli(kernel, "--arch", "mips", scratch=tmp_path / "s", path=no_libc)
    assert (out.returncode, out.stdout, out.stderr) == (
        2, "", "gup-unify: error: mips: mips-linux-gnu-gcc finds no static C library "
               "(libc.a): run make deps-boottest\n")
    assert not (tmp_path / "s" / "boottest").exists()


def test_an_arch_not_booted_is_said_once_with_its_reason(tmp_path):
    """sh4 alone: nothing to build, the run is incomplete and says why in one place each."""
    kernel = sample_in(tmp_path / "linux", tmp_path / "linux")
    commit_series(kernel)
    out = boottest_cli(kernel, "--arch", "sh4", "--reports", str(tmp_path / "rep"),
                       scratch=tmp_path / "s")
    why = guests.NOT_BOOTED["sh4"]
    assert why.startswith("Debian bookworm's only sh4 compiler")
    assert out.returncode == bootreport.INCOMPLETE == 4, out.stderr
    assert out.stdout.endswith("not booted: sh4: %s\nresult: incomplete\n"
                               "problem: sh4: not booted: %s\n" % (why, why))
    assert "gup-unify: sh4: not booted: %s\n" % why in out.stderr
    md = (tmp_path / "rep" / "linux" / "boottest.md").read_text()
    assert "Not booted:\n\n- sh4: %s\n" % why in md
    assert not (tmp_path / "s" / "boottest").exists()


def test_kernel_revs_needs_the_branch(tmp_path):
    repo = str(tmp_path)
    subprocess.run(["git", "init", "-q", repo], check=True)
    subprocess.run(["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-q", "--allow-empty", "-m", "base"], check=True)
    with pytest.raises(UserError, match="no branch gup-unify: run make spatch"):
        boottest.kernel_revs(repo, "gup-unify")
    subprocess.run(["git", "-C", repo, "branch", "gup-unify"], check=True)
    with pytest.raises(UserError, match="HEAD already contains gup-unify"):
        boottest.kernel_revs(repo, "gup-unify")
    subprocess.run(["git", "-C", repo, "checkout", "-q", "gup-unify"], check=True)
    subprocess.run(["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-q", "--allow-empty", "-m", "series"], check=True)
    subprocess.run(["git", "-C", repo, "checkout", "-q", "-"], check=True)
    revs = boottest.kernel_revs(repo, "gup-unify")
    head = subprocess.run(["git", "-C", repo, "rev-parse", "HEAD", "gup-unify"],
                          capture_output=True, text=True).stdout.split()
    assert (revs["base"], revs["patched"]) == (head[0], head[1])


@pytest.mark.parametrize("arch", sorted(guests.GUESTS))
def test_fragment_survives_olddefconfig_on_a_legacy_tree(tmp_path, arch, kernel_tree):
    if not shutil.which("bison") or not shutil.which("flex"):
        pytest.skip("bison/flex missing: make test installs them (scripts/deps test)")
    missing = kbuild.missing_toolchain(arch)
    if missing:
        pytest.skip("%s: make test installs it (scripts/deps test)" % missing)
    src = kernel_tree
    version = KernelTree(src).full_version
    knobs = kbuild.knobs(arch, src, version)
    with open(str(tmp_path / "config.log"), "w") as log:
        bootbuild.configure(src, str(tmp_path / "build"), log, arch, knobs)
    config = open(str(tmp_path / "build" / ".config")).read()
    assert "CONFIG_GUP_BENCHMARK=y" in config
    assert ("CONFIG_FS_DAX=y" in config) == guests.GUESTS[arch].dax
    if arch == "arm":
        assert "# CONFIG_ARM_LPAE is not set" in config
    # The GUP code each arch is booted for (docs/builds.md), the kernel's own
    # choice, not the table's claim: s390 has its own
    # walk up to v5.0 and the generic one from v5.1.
    expected = {"x86_64": guests.GENERIC, "arm": guests.FALLBACK, "riscv64": guests.FALLBACK,
                "arm64": guests.GENERIC, "powerpc64le": guests.GENERIC,
                "mips": guests.ARCH_WALK % "mips", "sparc64": guests.ARCH_WALK % "sparc",
                "s390x": guests.ARCH_WALK % "s390" if kbuild.version_tuple(version) < (5, 1)
                else guests.GENERIC}
    assert guests.family(arch, kbuild.parse_config(config), src) == expected[arch]


def test_ccache_counts_read_our_own_stats_log(tmp_path):
    log = tmp_path / "stats.log"
    log.write_text("# a.c\ncache_miss\ndirect_cache_miss\n# b.c\ndirect_cache_hit\n"
                   "local_storage_hit\n# c.c\npreprocessed_cache_hit\n")
    assert bootbuild.ccache_counts(str(log)) == (2, 1)
    assert bootbuild.ccache_counts(str(tmp_path / "none.log")) == (0, 0)


def test_no_usable_kvm_means_tcg(monkeypatch):
    def refuse(path, flags):
        raise PermissionError(13, "Permission denied", path)
    monkeypatch.setattr(qemuboot.os, "open", refuse)
    accel, why = qemuboot.accelerator()
    assert accel == "tcg" and why == "/dev/kvm not usable (Permission denied): TCG, slower"


def test_timings_of_several_boots_merge_to_least_minimum_and_median():
    boots = [{"fast_get_min_usec": 1200, "fast_get_usec": 1300, "size_mib": 128},
             {"fast_get_min_usec": 1150, "fast_get_usec": 1500, "size_mib": 128},
             {"fast_get_min_usec": 1250, "fast_get_usec": 1250, "size_mib": 128}]
    assert qemuboot.merge_timings(boots) == {
        "boots": 3, "fast_get_min_usec": 1150, "fast_get_usec": 1300, "size_mib": 128}


def test_extra_boots_alternate_and_their_failures_count(monkeypatch, tmp_path):
    order = []

    def fake_boot(bzimage, initrd, guest, accel, timeout, arch):
        order.append(bzimage)
        text = fixture(bzimage + ".tap")
        if bzimage == "patched" and guest.endswith("boot-3"):
            text = text.replace("ok 2 fast_write_pin_write_seen",
                                "not ok 2 fast_write_pin_write_seen")
        return ({"timed_out": False, "qemu_status": 0},
                text.replace("fast_get_min_usec=", "fast_get_min_usec=1"), "")
    monkeypatch.setattr(qemuboot, "boot", fake_boot)
    kernels = {label: recorded(label) for label in ("base", "patched")}
    for label, k in kernels.items():
        k["boot"].update(bzimage=label, initrd="i", tap_log=str(tmp_path / label / "tap.log"))
    first = {label: k["tap"]["timing"]["fast_get_min_usec"] for label, k in kernels.items()}
    qemuboot.timing_boots(kernels, {"accel": "tcg", "timeout": 9}, 3)
    assert order == ["base", "patched", "base", "patched"]
    for label, k in kernels.items():
        assert k["tap"]["timing"]["boots"] == 3
        assert k["tap"]["timing"]["fast_get_min_usec"] == first[label]
    assert kernels["patched"]["tap"]["problems"] == ["boot 3: not ok 2 fast_write_pin_write_seen"]
    assert kernels["base"]["tap"]["problems"] == []


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
        assert tests[name]["notes"] == notes, name
    if label == "base":
        assert tests["longterm_fast_dax_refused"]["reason"] == DAX_BASE_FAST_SKIP


def walk_recorded(arch, tree, label, family, build_s, boot_s):
    """A kernel record from a recorded TCG run (tests/boottest/<arch>-<tree>-<label>.*)
    with the build and boot wall times its boottest.json gave."""
    kernel = recorded(label)
    name = "%s-%s-%s" % (arch, tree, label)
    kernel.update(arch=arch, family=family, tap=parse_tap(fixture(name + ".tap")),
                  console=scan_console(fixture(name + ".console")))
    kernel["build"]["kernel_s"], kernel["boot"]["wall_s"] = build_s, boot_s
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
    assert [t["status"] for t in base["tap"]["tests"]] == BASE_STATUS
    assert [t["status"] for t in patched["tap"]["tests"]] == PATCHED_STATUS
    skips = {t["name"]: t["reason"] for t in base["tap"]["tests"] if t["status"] == "skip"}
    assert skips["fast_unsupported_flag_einval"] == (
        "get_user_pages_fast() takes int write: FOLL_FORCE read as write, returned 64")
    assert skips["longterm_fast_anon_pins"].startswith("gup_benchmark has no "
                                                       "GUP_FAST_LONGTERM_BENCHMARK")
    tests = {t["name"]: t for t in patched["tap"]["tests"]}
    assert tests["longterm_fast_anon_pins"]["notes"] == [
        "gup_benchmark fast longterm pinned 64/64"]
    assert tests["fast_unsupported_flag_einval"]["notes"] == [
        "get_user_pages_fast(FOLL_FORCE 0x10) returned -22 (EINVAL)"]
    # the SCLP console starts lines with a carriage return: still read
    assert base["console"]["warnings"] == [] and base["console"]["exit_status"] == 0
    assert patched["console"]["warnings"] == [
        "WARNING: CPU: 0 PID: 1 at ../src/arch/s390/mm/gup.c:322 "
        "get_user_pages_fast+0x26/0xf8"]
    assert patched["console"]["exit_status"] == 0 and patched["console"]["oops"] == []
    assert patched["console"]["clocksource"] == "tod"
    assert patched["tap"]["timing"]["fast_get_min_usec"] == 449
    assert patched["tap"]["timing"]["slow_get_min_usec"] == 10974
    s390x = result({"base": base, "patched": patched}, "s390x")
    assert s390x["result"] == "pass", s390x["problems"]
    assert s390x["family"] == "arch walk (arch/s390/mm/gup.c)"
    assert s390x["timings"]["patched"]["fast_over_slow"] == 0.041
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(overall({"s390x": s390x}))}
    assert rows["longterm_fast_anon_pins"] == ["SKIP / ok"]
    assert rows["kernel warnings"] == ["0 / 1"]
    assert rows["build s (image)"] == ["12.2 / 761.2"] and rows["boot s"] == ["3.2 / 6.1"]
    assert rows["family"] == ["arch walk (arch/s390/mm/gup.c)"]


def test_sparc64_v5_0_arch_walk_boots_on_sun4u_and_powers_off():
    """v5.0's arch/sparc/mm/gup.c, booted under TCG on sun4u with OpenBIOS."""
    base = walk_recorded("sparc64", "v5.0", "base", guests.ARCH_WALK % "sparc", 1040.0, 18.0)
    assert base["tap"]["complete"] and base["tap"]["problems"] == []
    assert [t["status"] for t in base["tap"]["tests"]] == BASE_STATUS
    skips = {t["name"]: t["reason"] for t in base["tap"]["tests"] if t["status"] == "skip"}
    assert skips["fast_unsupported_flag_einval"] == (
        "get_user_pages_fast() takes int write: FOLL_FORCE read as write, returned 64")
    assert base["tap"]["timing"]["fast_get_min_usec"] == 55279
    assert base["tap"]["timing"]["slow_get_min_usec"] == 105338
    console = base["console"]
    assert console["warnings"] == [] and console["oops"] == [] and console["exit_status"] == 0
    assert console["clocksource"] == "tick"
    # gup_test as /init powered the machine off: an OpenBIOS reboot restarts the kernel
    assert fixture("sparc64-v5.0-base.console").splitlines()[-1].rstrip("\r") == \
        "reboot: Power down"


def test_sparc64_v5_0_patched_pins_longterm_through_the_arch_walk():
    walk = guests.ARCH_WALK % "sparc"
    base = walk_recorded("sparc64", "v5.0", "base", walk, 1040.0, 18.0)
    patched = walk_recorded("sparc64", "v5.0", "patched", walk, 835.7, 25.2)
    assert [t["status"] for t in patched["tap"]["tests"]] == PATCHED_STATUS
    tests = {t["name"]: t for t in patched["tap"]["tests"]}
    assert tests["longterm_fast_anon_pins"]["notes"] == [
        "gup_benchmark fast longterm pinned 64/64"]
    assert tests["fast_unsupported_flag_einval"]["notes"] == [
        "get_user_pages_fast(FOLL_FORCE 0x10) returned -22 (EINVAL)"]
    # the only warning is the arch walk's WARN_ON_ONCE refusing FOLL_FORCE
    assert patched["console"]["warnings"] == [
        "WARNING: CPU: 0 PID: 1 at ../src/arch/sparc/mm/gup.c:281 "
        "get_user_pages_fast+0xec/0x1b8"]
    assert patched["console"]["exit_status"] == 0 and patched["console"]["oops"] == []
    sparc64 = result({"base": base, "patched": patched}, "sparc64")
    assert sparc64["result"] == "pass", sparc64["problems"]
    assert sparc64["timings"]["patched"]["fast_over_slow"] == 1.057
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(overall({"sparc64": sparc64}))}
    assert rows["longterm_fast_anon_pins"] == ["SKIP / ok"]
    assert rows["fast_unsupported_flag_einval"] == ["SKIP / ok"]
    assert rows["kernel warnings"] == ["0 / 1"]
    assert rows["family"] == ["arch walk (arch/sparc/mm/gup.c)"]


def test_a_bad_distcc_host_list_is_refused_before_any_build(tree, tmp_path):
    if not shutil.which("distcc"):
        pytest.skip("distcc is not installed: make test installs Debian's distcc")
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "gup-unify"), "boottest", str(tree),
         "--reports", str(tmp_path / "reports"), "--distcc-hosts", "build1/x"],
        capture_output=True, text=True)
    assert (out.returncode, out.stderr) == (2, "gup-unify: error: distcc hosts 'build1/x': "
                                               "bad multiplier \"/x\" in host specification\n")


def test_kernel_and_module_compiles_go_to_distcc_hosts(tmp_path, monkeypatch, distccd,
                                                       kernel_tree):
    """A small boottest build (modules_prepare, then the test module) through distccd."""
    if not shutil.which("bison") or not shutil.which("flex"):
        pytest.skip("bison/flex missing: run make deps-boottest")
    port, log = distccd
    # An empty cache of our own, so that every compile is a miss distcc runs.
    monkeypatch.setenv("CCACHE_DIR", str(tmp_path / "ccache"))
    monkeypatch.setenv("DISTCC_DIR", str(tmp_path / "distcc"))
    monkeypatch.setenv("GUP_UNIFY_SCRATCH", str(tmp_path / "scratch"))
    os.mkdir(tmp_path / "distcc")
    # Not the whole image: what the module needs of the tree.
    monkeypatch.setitem(guests.GUESTS, "x86_64",
                        guests.GUESTS["x86_64"]._replace(target="modules_prepare"))
    jobs, env = kbuild.distcc("127.0.0.1:%d/3" % port)
    assert jobs == 3
    src = kernel_tree
    knobs = kbuild.knobs("x86_64", src, "5.0")
    with open(str(tmp_path / "build.log"), "w") as build_log:
        timings, module = bootbuild.build_kernel(src, str(tmp_path / "build"), build_log,
                                                True, "x86_64", knobs, jobs, env)
    assert os.path.exists(module)
    assert timings["ccache_misses"] >= 2
    # distccd itself compiled the tree's asm-offsets.c and our module, by the
    # compiler's full name (distcc falls back to local compiles silently).
    gcc = kbuild.ARCHES["x86_64"].gcc
    done = [line for line in log.read_text().splitlines() if " COMPILE_OK " in line]
    assert any(line.endswith("/asm-offsets.c") for line in done), log.read_text()[-3000:]
    assert any(line.endswith("gup_unify_test.c") for line in done), log.read_text()[-3000:]
    assert all("/%s " % gcc in line for line in done), done


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
    kernel["tap"] = parse_tap(with_fast_only_skipped(fixture("patched.tap")))
    assert kernel["tap"]["complete"] and kernel["tap"]["problems"] == []
    kernel["api"] = {"fast_takes": "gup_flags", "has_fast_only": has_fast_only}
    res = result({"base": recorded("base"), "patched": kernel})
    assert res["result"] == verdict
    assert res["problems"] == ([] if verdict == "pass"
                               else ["patched: skipped fast_only_atomic_short"])


def test_fastonly_patched_log_pins_in_atomic_context_without_sleeping():
    """The recorded x86_64 boot (TCG) of v5.0 converted with --fast-only: the
    atomic case pinned the 32 resident pages of 64, faulted none of the rest
    in, and the log has no sleep in atomic context, only the FOLL_FORCE
    refusal's warning."""
    tap = parse_tap(fixture("fastonly-patched.tap"))
    assert tap["complete"] and tap["problems"] == [] and tap["plan"] == 13
    assert [t["status"] for t in tap["tests"]] == ["pass"] * 13
    case = next(t for t in tap["tests"] if t["name"] == bootreport.FAST_ONLY_CASE)
    assert case["notes"] == [
        "get_user_pages_fast_only(0x1), interrupts off, returned 32 (32 of 64 pages "
        "resident)", "0 of the 32 untouched pages resident afterwards"]
    console = scan_console(fixture("fastonly-patched.console"))
    assert console["oops"] == [] and console["exit_status"] == 0
    # mm/gup.c:1966 of the branch: get_user_pages_fast()'s WARN_ON_ONCE on FOLL_FORCE.
    where = [w.split(" at ")[1].split()[0] for w in console["warnings"]]
    assert where == ["../src/mm/gup.c:1966"]
    assert "sleeping function called from invalid context" not in \
        fixture("fastonly-patched.console")
    kernel = recorded("patched")
    kernel.update(tap=tap, console=console,
                  api={"fast_takes": "gup_flags", "has_fast_only": True})
    res = result({"patched": kernel})
    assert (res["result"], res["problems"]) == ("pass", [])


def test_every_guest_without_dax_says_why():
    """gup_test's DAX SKIPs carry the arch's own reason, never a guess."""
    assert sorted(a for a, g in guests.GUESTS.items() if not g.dax) == sorted(guests.NO_DAX)
    assert guests.HUGETLB <= set(guests.GUESTS)


def test_hugetlb_cases_may_skip_only_where_the_guest_has_no_hugetlb():
    lines = fixture("patched.tap").splitlines()
    extra = ["ok 13 hugetlb_fast_write_pins_all # SKIP no hugetlb pages",
             "ok 14 hugetlb_longterm_fast_pins # SKIP no hugetlb pages"]
    text = "\n".join([line.replace("1..12", "1..14") for line in lines[:-1]] + extra
                     + [lines[-1]])
    kernel = dict(recorded("patched"), tap=parse_tap(text))
    assert kernel["tap"]["complete"] and kernel["tap"]["problems"] == []
    x86 = result({"base": recorded("base"), "patched": kernel})
    assert x86["result"] == "pass", x86["problems"]
    ppc = result({"base": recorded("base"), "patched": kernel}, "powerpc64le")
    # powerpc64le's guest has hugetlb pages: a SKIP there is a failure
    assert ppc["result"] == "fail"
    assert ppc["problems"] == [
        "patched: skipped hugetlb_fast_write_pins_all, hugetlb_longterm_fast_pins"]


def test_arm64_guest_boots_the_generic_walk_on_virt():
    argv = guests.qemu_argv("arm64", "Image", "i", "c.log", "t.log", "tcg")
    assert argv[0] == "qemu-system-aarch64" and argv[argv.index("-M") + 1] == "virt"
    assert argv[argv.index("-append") + 1] == "console=ttyAMA0 panic=-1"
    assert kbuild.make_argv("arm64", "/s", "/o", 2, [], "Image") == [
        "make", "-C", "/s", "O=/o", "ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-",
        "CC=ccache aarch64-linux-gnu-gcc", "-j2", "Image"]


def arch_recorded(arch, tree, label):
    """A kernel record from a recorded run of tests/boottest/<arch>-<tree>-<label>.*."""
    kernel = recorded(label)
    name = "%s-%s-%s" % (arch, tree, label)
    kernel.update(arch=arch, tap=parse_tap(fixture(name + ".tap")),
                  console=scan_console(fixture(name + ".console")))
    return kernel


def test_mips_v5_0_base_walk_reads_force_as_write_and_has_no_fast_longterm():
    tap = parse_tap(fixture("mips-v5.0-base.tap"))
    assert tap["complete"] and tap["problems"] == []
    assert tap["totals"] == {"pass": 6, "fail": 0, "xfail": 0, "xpass": 0, "skip": 6,
                             "error": 0}
    skips = {t["name"]: t["reason"] for t in tap["tests"] if t["status"] == "skip"}
    assert skips["fast_unsupported_flag_einval"] == (
        "get_user_pages_fast() takes int write: FOLL_FORCE read as write, returned 64")
    assert skips["longterm_fast_anon_pins"] == (
        "gup_benchmark has no GUP_FAST_LONGTERM_BENCHMARK (no FOLL_LONGTERM in the fast path)")
    assert sorted(n for n, why in skips.items() if why.startswith("no pmem in this guest")) \
        == sorted(guests.DAX_CASES)
    # malta's 256 MiB: the timing buffer is halved once
    timing = next(t for t in tap["tests"] if t["name"] == "gup_benchmark_timings")
    assert timing["notes"] == ["64 MiB, 512 pages per call, 15 runs: minimum and median"]
    assert tap["timing"]["size_mib"] == 64
    console = scan_console(fixture("mips-v5.0-base.console"))
    assert console["warnings"] == [] and console["oops"] == []
    assert console["exit_status"] == 0 and console["clocksource"] == "MIPS"
    # no D-cache aliases, so get_user_pages_fast() takes the walk, not the slow path
    assert "Primary data cache 2kB, 2-way, VIPT, no aliases, linesize 16 bytes" in fixture(
        "mips-v5.0-base.console").splitlines()


def test_mips_v5_0_patched_walk_passes_and_refuses_force_with_a_warning(tmp_path):
    tap = parse_tap(fixture("mips-v5.0-patched.tap"))
    status = {t["name"]: t["status"] for t in tap["tests"]}
    assert [n for n, st in status.items() if st == "skip"] == list(guests.DAX_CASES)
    assert [n for n, st in status.items() if st == "fail"] == []
    notes = {t["name"]: t["notes"] for t in tap["tests"]}
    assert notes["longterm_fast_anon_pins"] == ["gup_benchmark fast longterm pinned 64/64"]
    assert notes["fast_unsupported_flag_einval"] == [
        "get_user_pages_fast(FOLL_FORCE 0x10) returned -22 (EINVAL)"]
    # the walk's WARN_ON_ONCE on a flag other than FOLL_WRITE and FOLL_LONGTERM
    console = scan_console(fixture("mips-v5.0-patched.console"))
    assert console["warnings"] == [
        "WARNING: CPU: 0 PID: 1 at ../../src/arch/mips/mm/gup.c:288 "
        "get_user_pages_fast+0x104/0x1f8"]
    assert console["oops"] == [] and console["exit_status"] == 0
    mips = result({"base": arch_recorded("mips", "v5.0", "base"),
                   "patched": arch_recorded("mips", "v5.0", "patched")}, "mips")
    assert mips["result"] == "pass", mips["problems"]
    assert mips["timings"]["patched"]["size_mib"] == 64
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
    return {t["name"]: t["status"] for t in tap["tests"]}


def test_arm64_v5_0_patched_pins_longterm_fast_and_refuses_foll_force():
    base = arch_recorded("arm64", "v5.0", "base")
    patched = arch_recorded("arm64", "v5.0", "patched")
    assert base["tap"]["complete"] and patched["tap"]["complete"]
    assert [k for k, st in statuses(base["tap"]).items() if st == "skip"] == [
        "fast_unsupported_flag_einval", "longterm_fast_anon_pins"] + list(
        guests.DAX_CASES + guests.HUGETLB_CASES)
    assert [k for k, st in statuses(patched["tap"]).items() if st == "skip"] == list(
        guests.DAX_CASES + guests.HUGETLB_CASES)
    fast = next(t for t in patched["tap"]["tests"] if t["name"] == "longterm_fast_anon_pins")
    assert fast["status"] == "pass"
    assert fast["notes"] == ["gup_benchmark fast longterm pinned 64/64"]
    dax = next(t for t in patched["tap"]["tests"] if t["name"] == guests.DAX_CASES[0])
    assert dax["reason"] == "no pmem in this guest: " + guests.NO_DAX["arm64"]
    # the generic walk's FOLL_FORCE refusal, once; nothing on the base kernel
    assert base["console"]["warnings"] == []
    assert [w.split(" at ")[1] for w in patched["console"]["warnings"]] == [
        "../src/mm/gup.c:1948 get_user_pages_fast+0x38/0x168"]
    assert patched["console"]["exit_status"] == 0 and patched["console"]["oops"] == []
    arm64 = result({"base": base, "patched": patched}, "arm64")
    assert arm64["result"] == "pass", arm64["problems"]
    assert arm64["timings"]["patched"]["fast_over_slow"] == round(1247 / 8084, 3)
    row = next(r for r in overall({"arm64": arm64})["matrix"]
               if r["name"] == "longterm_fast_anon_pins")
    assert row["arm64"] == {"base": "skip", "patched": "pass"}


def test_powerpc64le_guest_is_pseries_power8_with_tap_on_hvc1():
    argv = guests.qemu_argv("powerpc64le", "vmlinux", "i", "c.log", "t.log", "tcg")
    assert argv[0] == "qemu-system-ppc64"
    assert (argv[argv.index("-M") + 1], argv[argv.index("-cpu") + 1]) == (
        "pseries,cap-hpt-max-page-size=16M", "power8")
    # hvc0 is pseries' own vty, which -serial feeds: the virtio console is hvc1
    assert argv[argv.index("-append") + 1] == "console=hvc0 panic=-1 gup_tap=/dev/hvc1"
    assert "file:c.log" in argv and "virtio-serial-pci" in argv
    assert guests.GUESTS["powerpc64le"].family == guests.GENERIC
    assert kbuild.ARCHES["powerpc64le"].make_arch == "powerpc"


def test_powerpc64le_pmem_is_a_file_backed_nvdimm_of_256m_and_labels():
    """spapr_nvdimm.c: pmem a multiple of 256 MiB, label-size and uuid set, a slot."""
    argv = guests.qemu_argv("powerpc64le", "vmlinux", "i", "c.log", "t.log", "tcg",
                            "/s/a,b/pmem.img")
    assert argv[argv.index("-m") + 1] == "1G,slots=1,maxmem=1280M"
    assert argv[argv.index("-object") + 1] == (
        "memory-backend-file,id=pmem0,share=on,mem-path=/s/a,,b/pmem.img,size=%d"
        % (256 * 2**20 + 128 * 2**10))
    assert argv[argv.index("nvdimm,memdev=pmem0,label-size=128K,uuid=" + guests.NVDIMM_UUID)
                - 1] == "-device"
    # the DAX cases run there: no /nodax, a SKIP of them is a failure
    assert guests.GUESTS["powerpc64le"].dax and "powerpc64le" not in guests.NO_DAX
    # without a backing file, no nvdimm
    argv = guests.qemu_argv("powerpc64le", "vmlinux", "i", "c.log", "t.log", "tcg")
    assert argv[argv.index("-m") + 1] == "1G" and "-object" not in argv


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


def test_powerpc_kernel_builds_without_ppc_werror_with_gcc_12():
    """v5.0's arch/powerpc/kernel/vdso.c fails gcc 12's -Werror=array-bounds."""
    knobs = kbuild.select_knobs("5.0", 12, "powerpc64le", V5_0_FACTS)
    assert [k.name for k in knobs] == ["HOSTCFLAGS=-fcommon", "CONFIG_SECURITY_SELINUX off",
                                       "CONFIG_PPC_DISABLE_WERROR on"]
    assert kbuild.knob_lines(knobs) == ["# CONFIG_SECURITY_SELINUX is not set",
                                          "CONFIG_PPC_DISABLE_WERROR=y"]
    for version, gcc, facts in (("5.0", 11, V5_0_FACTS),
                                ("5.0", 12, dict(V5_0_FACTS, ppc_werror=False))):
        assert "CONFIG_PPC_DISABLE_WERROR on" not in [
            k.name for k in kbuild.select_knobs(version, gcc, "powerpc64le", facts)]
    assert "CONFIG_PPC_DISABLE_WERROR on" not in [
        k.name for k in kbuild.select_knobs("5.0", 12, "x86_64", V5_0_FACTS)]


def test_powerpc64le_v5_0_base_pins_dax_and_a_16m_hugetlb_page_but_not_long_term_fast():
    """v5.0's base kernel on pseries: the hugepd walk, and DAX on a PAPR SCM nvdimm."""
    base = walk_recorded("powerpc64le", "v5.0", "base", guests.GENERIC, 354.6, 7.6)
    assert base["tap"]["complete"] and base["tap"]["problems"] == []
    assert [k for k, st in statuses(base["tap"]).items() if st == "skip"] == [
        "fast_unsupported_flag_einval", "fast_only_atomic_short", "longterm_fast_anon_pins",
        "longterm_fast_dax_refused", "hugetlb_longterm_fast_pins"]
    tests = {t["name"]: t for t in base["tap"]["tests"]}
    # 16M over 4K pages on the hash MMU: the page hangs off a hugepd
    assert tests["hugetlb_fast_write_pins_all"]["notes"] == [
        "hugetlb page of 16384 kB, base page 4 kB, MMU Hash",
        "gup_benchmark fast write on hugetlb pinned 64/64"]
    # DAX as on x86_64's base
    assert_dax(tests, "base")
    # gup_test labelled the region's seed namespace and mounted it -o dax
    console = base["console"]
    assert console["dax"] == (
        "EXT2-fs (pmem0): DAX enabled. Warning: EXPERIMENTAL, use at your own risk")
    lines = fixture("powerpc64le-v5.0-base.console").splitlines()
    assert lines[lines.index("boottest: region0: namespace seed namespace0.0, "
                             "268435456 bytes unlabelled") + 4] == \
        "boottest: ext2 on /dev/pmem0 mounted -o dax on /mnt"
    assert "namespace0.0 initialised, 65536 pages in 20ms" in lines
    assert console["warnings"] == [] and console["exit_status"] == 0
    assert console["clocksource"] == "timebase"
    ppc = result({"base": base}, "powerpc64le")
    assert ppc["result"] == "pass" and ppc["timings"]["base"]["fast_over_slow"] == round(
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
    # booted in one ARCH=all run (the closing note of issue 15); x86_64's
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
    names = [t["name"] for t in parse_tap(fixture("arm-v5.1.15-base.tap"))["tests"]]
    return [extra[name][n] if name in extra else st for name, st in zip(names, shared)]


@pytest.mark.parametrize("arch", sorted(V5_1_ARCHES))
def test_v5_1_15_patched_pins_longterm_fast_where_the_base_cannot(arch):
    """Both kernels pin long-term through get_user_pages(); only the patched one
    has FOLL_LONGTERM in the fast path and refuses FOLL_FORCE there."""
    family, build_s, boot_s, warning, _ = V5_1_ARCHES[arch]
    kernels = v5_1_recorded(arch)
    base, patched = kernels["base"], kernels["patched"]
    assert [t["status"] for t in base["tap"]["tests"]] == v5_1_statuses(arch, "base")
    assert [t["status"] for t in patched["tap"]["tests"]] == v5_1_statuses(arch, "patched")
    b = {t["name"]: t for t in base["tap"]["tests"]}
    p = {t["name"]: t for t in patched["tap"]["tests"]}
    assert b["longterm_gup_anon_pins"]["notes"] == p["longterm_gup_anon_pins"]["notes"] == [
        "gup_benchmark longterm (get_user_pages) pinned 64/64"]
    assert b["longterm_fast_anon_pins"]["reason"] == (
        "gup_benchmark has no GUP_FAST_LONGTERM_BENCHMARK (no FOLL_LONGTERM in the fast path)")
    assert b["fast_unsupported_flag_einval"]["reason"] == V5_1_FORCE_AS_WRITE
    assert p["longterm_fast_anon_pins"]["notes"] == ["gup_benchmark fast longterm pinned 64/64"]
    assert p["fast_unsupported_flag_einval"]["notes"] == [
        "get_user_pages_fast(FOLL_FORCE 0x10) returned -22 (EINVAL)"]
    assert base["console"]["warnings"] == [] and base["console"]["exit_status"] == 0
    assert patched["console"]["warnings"] == ["WARNING: CPU: 0 PID: " + warning]
    assert patched["console"]["oops"] == [] and patched["console"]["exit_status"] == 0
    res = result(kernels, arch)
    assert res["result"] == "pass", res["problems"]
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
    b, p = ({t["name"]: t for t in kernels[k]["tap"]["tests"]} for k in ("base", "patched"))
    assert_dax(b, "base")
    assert_dax(p, "patched")
    for k in ("base", "patched"):
        assert kernels[k]["console"]["clocksource"] == "tsc-early"


def test_v5_1_15_what_each_arch_adds():
    """What one arch's recorded boots show beyond the shared cases."""
    arm = v5_1_recorded("arm")
    assert arm["patched"]["tap"]["timing"]["fast_get_min_usec"] == 215910
    assert {t["name"]: t for t in arm["patched"]["tap"]["tests"]}[
        "hugetlb_fast_write_pins_all"]["reason"].startswith("no hugetlb pages")
    mips = v5_1_recorded("mips")
    # malta's 256 MiB halves the timing buffer on both kernels
    assert [k["tap"]["timing"]["size_mib"] for k in mips.values()] == [64, 64]
    assert mips["patched"]["console"]["clocksource"] == "MIPS"
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(overall({"mips": result(mips, "mips")}))}
    assert rows["fast/slow (min)"] == [
        "%s / %s" % (round(713 / 2593, 3), round(709 / 2818, 3))]
    # gup_test powered sun4u off: an OpenBIOS reboot restarts the kernel
    for label in ("base", "patched"):
        assert fixture("sparc64-v5.1.15-%s.console" % label).splitlines()[-1] == \
            "reboot: Power down"
    arm64 = v5_1_recorded("arm64")
    assert {t["name"]: t for t in arm64["patched"]["tap"]["tests"]}[
        guests.DAX_CASES[0]]["reason"] == "no pmem in this guest: " + guests.NO_DAX["arm64"]
    assert result(arm64, "arm64")["timings"]["patched"]["fast_over_slow"] == \
        round(1645 / 27873, 3)


def test_powerpc64le_v5_0_patched_refuses_long_term_dax_and_pins_hugetlb_through_hugepd():
    """v5.0's patched kernel (branch made without --fast-only) passes every case it has."""
    base = walk_recorded("powerpc64le", "v5.0", "base", guests.GENERIC, 354.6, 7.6)
    patched = walk_recorded("powerpc64le", "v5.0", "patched", guests.GENERIC, 5.4, 6.9)
    tap = patched["tap"]
    assert tap["complete"] and tap["problems"] == []
    assert tap["totals"] == {"pass": 14, "fail": 0, "xfail": 0, "xpass": 0, "skip": 1,
                             "error": 0}
    assert [(t["number"], t["name"], t["status"]) for t in tap["tests"]] == [
        (1, "fast_write_private_pins_all", "pass"), (2, "fast_write_pin_write_seen", "pass"),
        (3, "fast_read_ro_mapping_pins", "pass"), (4, "fast_write_ro_mapping_refused", "pass"),
        (5, "fast_unsupported_flag_einval", "pass"), (6, "fast_only_atomic_short", "skip"),
        (7, "longterm_gup_anon_pins", "pass"), (8, "longterm_fast_anon_pins", "pass"),
        (9, "dax_fast_pins_without_longterm", "pass"),
        (10, "dax_slow_pins_without_longterm", "pass"), (11, "longterm_gup_dax_refused", "pass"),
        (12, "longterm_fast_dax_refused", "pass"), (13, "hugetlb_fast_write_pins_all", "pass"),
        (14, "hugetlb_longterm_fast_pins", "pass"), (15, "gup_benchmark_timings", "pass")]
    tests = {t["name"]: t for t in tap["tests"]}
    assert tests["fast_only_atomic_short"]["reason"] == \
        "no get_user_pages_fast_only() in this kernel"
    assert tests["longterm_fast_anon_pins"]["notes"] == [
        "gup_benchmark fast longterm pinned 64/64"]
    assert tests["fast_unsupported_flag_einval"]["notes"] == [
        "get_user_pages_fast(FOLL_FORCE 0x10) returned -22 (EINVAL)"]
    # FOLL_LONGTERM refuses the DAX pages, slow and fast; without it both pin
    assert_dax(tests, "patched")
    # both hugetlb cases through gup_huge_pd(): base 16M over 4K, hash MMU
    for name in guests.HUGETLB_CASES:
        assert tests[name]["notes"][0] == "hugetlb page of 16384 kB, base page 4 kB, MMU Hash"
    assert tests["hugetlb_longterm_fast_pins"]["notes"][1] == \
        "gup_benchmark fast longterm on hugetlb pinned 64/64"
    # the generic walk's FOLL_FORCE refusal, once
    assert patched["console"]["warnings"] == [
        "WARNING: CPU: 0 PID: 1 at ../../src/mm/gup.c:1948 get_user_pages_fast+0x2c/0x17c"]
    assert patched["console"]["exit_status"] == 0 and patched["console"]["oops"] == []
    assert patched["console"]["dax"].startswith("EXT2-fs (pmem0): DAX enabled.")
    ppc = result({"base": base, "patched": patched}, "powerpc64le")
    assert ppc["result"] == "pass", ppc["problems"]
    assert ppc["timings"]["patched"]["fast_over_slow"] == round(1529 / 11842, 3)
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(overall({"powerpc64le": ppc}))}
    assert rows["longterm_fast_anon_pins"] == ["SKIP / ok"]
    assert rows["longterm_fast_dax_refused"] == ["SKIP / ok"]
    assert rows["longterm_gup_dax_refused"] == ["ok / ok"]
    assert rows["dax_fast_pins_without_longterm"] == ["ok / ok"]
    assert rows["hugetlb_longterm_fast_pins"] == ["SKIP / ok"]
    assert rows["kernel warnings"] == ["0 / 1"]
    assert rows["build s (image)"] == ["354.6 / 5.4"] and rows["boot s"] == ["7.6 / 6.9"]
    # with a DAX SKIP on the patched kernel, as before the guest had pmem, it fails
    lost = dict(patched, tap=parse_tap(fixture("powerpc64le-v5.0-patched.tap").replace(
        "ok 12 longterm_fast_dax_refused",
        "ok 12 longterm_fast_dax_refused # SKIP no pmem in this guest")))
    assert result({"base": base, "patched": lost}, "powerpc64le")["problems"] == [
        "patched: skipped longterm_fast_dax_refused"]


def test_powerpc64le_v5_1_15_patched_refuses_long_term_dax_where_the_base_pins_it():
    """v5.1.15 on pseries (the copy of docs/trees.md): DAX and hugepd as on v5.0."""
    kernels = {label: walk_recorded("powerpc64le", "v5.1.15", label, guests.GENERIC, build_s,
                                    boot_s)
               for label, build_s, boot_s in (("base", 418.7, 9.2), ("patched", 263.5, 9.4))}
    base, patched = kernels["base"], kernels["patched"]
    assert [t["status"] for t in base["tap"]["tests"]] == ["pass"] * 4 + [
        "skip", "skip", "pass", "skip", "pass", "pass", "pass", "skip", "pass", "skip", "pass"]
    assert [t["status"] for t in patched["tap"]["tests"]] == ["pass"] * 5 + ["skip"] + [
        "pass"] * 9
    b = {t["name"]: t for t in base["tap"]["tests"]}
    p = {t["name"]: t for t in patched["tap"]["tests"]}
    assert_dax(b, "base")
    assert_dax(p, "patched")
    assert p["hugetlb_longterm_fast_pins"]["notes"] == [
        "hugetlb page of 16384 kB, base page 4 kB, MMU Hash",
        "gup_benchmark fast longterm on hugetlb pinned 64/64"]
    for kernel in (base, patched):
        assert kernel["console"]["dax"].startswith("EXT2-fs (pmem0): DAX enabled.")
        assert kernel["console"]["exit_status"] == 0 and kernel["console"]["oops"] == []
    assert base["console"]["warnings"] == []
    assert patched["console"]["warnings"] == [
        "WARNING: CPU: 0 PID: 1 at ../../src/mm/gup.c:2131 get_user_pages_fast+0x2c/0x184"]
    ppc = result(kernels, "powerpc64le")
    assert ppc["result"] == "pass", ppc["problems"]
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
        assert kernel["tap"]["complete"] and kernel["tap"]["problems"] == []
    # the base: FOLL_FORCE read as write, and no FOLL_LONGTERM in the fast path
    # (the old behaviour, as on arm)
    assert [t["status"] for t in base["tap"]["tests"]] == ["pass"] * 4 + [
        "skip", "skip", "pass"] + ["skip"] * 7 + ["pass"]
    skips = {t["name"]: t["reason"] for t in base["tap"]["tests"] if t["status"] == "skip"}
    assert skips["fast_unsupported_flag_einval"] == (
        "get_user_pages_fast() takes int write: FOLL_FORCE read as write, returned 64")
    assert skips["longterm_fast_anon_pins"] == (
        "gup_benchmark has no GUP_FAST_LONGTERM_BENCHMARK (no FOLL_LONGTERM in the fast path)")
    # the patched fallback pins long-term through get_user_pages() under mmap_sem
    assert [(t["name"], t["status"]) for t in patched["tap"]["tests"]] == [
        ("fast_write_private_pins_all", "pass"), ("fast_write_pin_write_seen", "pass"),
        ("fast_read_ro_mapping_pins", "pass"), ("fast_write_ro_mapping_refused", "pass"),
        ("fast_unsupported_flag_einval", "pass"), ("fast_only_atomic_short", "skip"),
        ("longterm_gup_anon_pins", "pass"), ("longterm_fast_anon_pins", "pass")] + [
        (name, "skip") for name in guests.DAX_CASES + guests.HUGETLB_CASES] + [
        ("gup_benchmark_timings", "pass")]
    tests = {t["name"]: t for t in patched["tap"]["tests"]}
    assert tests["longterm_fast_anon_pins"]["notes"] == [
        "gup_benchmark fast longterm pinned 64/64"]
    assert tests["fast_unsupported_flag_einval"]["notes"] == [
        "get_user_pages_fast(FOLL_FORCE 0x10) returned -22 (EINVAL)"]
    assert tests[guests.DAX_CASES[0]]["reason"] == \
        "no pmem in this guest: " + guests.NO_DAX["riscv64"]
    assert tests["hugetlb_longterm_fast_pins"]["reason"] == \
        "no hugetlb pages (no Hugepagesize in /proc/meminfo: CONFIG_HUGETLBFS off)"
    # the only warning is the fallback's WARN_ON_ONCE refusing FOLL_FORCE
    assert base["console"]["warnings"] == []
    assert patched["console"]["warnings"] == [
        "WARNING: CPU: 0 PID: 1 at ../../src/mm/util.c:338 get_user_pages_fast+0x86/0x94"]
    for kernel in (base, patched):
        assert kernel["console"]["exit_status"] == 0 and kernel["console"]["oops"] == []
        assert kernel["console"]["clocksource"] == "riscv_clocksource"
    # gup_test powered the machine off through OpenSBI
    assert fixture("riscv64-v5.0-patched.console").splitlines()[-1].rstrip("\r") == \
        "reboot: Power down"
    riscv = result({"base": base, "patched": patched}, "riscv64")
    assert riscv["result"] == "pass", riscv["problems"]
    assert riscv["family"] == guests.FALLBACK
    assert riscv["timings"]["base"]["fast_over_slow"] == round(17173 / 13153, 3)
    assert riscv["timings"]["patched"]["fast_over_slow"] == round(9098 / 8996, 3)
    rows = {r[0]: r[1:] for r in bootreport.matrix_rows(overall({"riscv64": riscv}))}
    assert rows["longterm_fast_anon_pins"] == ["SKIP / ok"]
    assert rows["fast_unsupported_flag_einval"] == ["SKIP / ok"]
    assert rows["kernel warnings"] == ["0 / 1"]
    assert rows["build s (image)"] == ["597.0 / 391.8"] and rows["boot s"] == ["5.7 / 4.3"]


# docs/builds.md, "sh4": what Debian's sh4 gcc makes of printk_delay()'s shape
SH_TREG_COMBINE_CASE = """int d; void g(unsigned long); void h(int);
int f(int level, int x)
{
	int in = 0;
	if (level == -2) { level = -1; in = 1; }
	if (__builtin_expect(!!d, 0)) { int m = d; while (m--) g(4295000); }
	h(in);
	return level + x;
}
"""


def test_sh4_is_not_booted_because_its_compiler_drops_a_test():
    """While this passes, sh4 stays in NOT_BOOTED; when it fails, try booting sh4."""
    assert "sh4" not in guests.GUESTS and "sh4" in guests.NOT_BOOTED
    assert "gcc 12.2" in guests.NOT_BOOTED["sh4"]
    assert "sh_treg_combine" in guests.NOT_BOOTED["sh4"]
    assert "miscompiles v5.0 and v5.1.15 alike" in guests.NOT_BOOTED["sh4"]
    assert boottest.parse_arches("all")[-1] == "sh4"
    gcc = kbuild.ARCHES["sh4"].gcc
    if not shutil.which(gcc):
        pytest.skip("no %s: make deps-boottest installs it" % gcc)

    def tests_of_d(opt):
        asm = subprocess.run([gcc, opt, "-S", "-o", "-", "-x", "c", "-"],
                             input=SH_TREG_COMBINE_CASE, capture_output=True, text=True,
                             check=True).stdout
        return asm.count("\ttst\t")
    # unoptimized, d is tested; optimized, the branch on it is gone, at
    # v5.0's -Oz and v5.1.15's -Os too
    assert tests_of_d("-O0") > 0
    assert [tests_of_d(opt) for opt in ("-O1", "-O2", "-Os", "-Oz")] == [0, 0, 0, 0]
