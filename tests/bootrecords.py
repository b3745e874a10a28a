"""Recorded boots of make boottest as its functions make them, for the tests of the
verdicts, the guests and the command line."""
import os

from conftest import ROOT
from gupunify.boottest import bootreport, guests
from gupunify.boottest.bootresult import ArchBoot, BootResult, KernelBoot
from gupunify.common import kbuild
from gupunify.boottest.tap import parse_tap, scan_console

FIXTURES = os.path.join(ROOT, "tests", "boottest")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def recorded(label):
    """A kernel record as run_kernel() makes it, from a recorded v5.0 run."""
    return KernelBoot(
        commit="c20ce182c0a0" if label == "base" else "dd09708a180c", arch="x86_64",
        build={"config_s": 5.0, "kernel_s": 264.0, "module_s": 2.0,
               "ccache_hits": 0, "ccache_misses": 900, "module_warnings": []},
        boot={"accel": "tcg", "wall_s": 2.0, "timeout_s": 900, "timed_out": False,
              "qemu_status": 0, "qemu_output": ""},
        tap=parse_tap(fixture(label + ".tap")),
        console=scan_console(fixture(label + ".console")))


# What kbuild.tree_facts() and the compilers say for v5.0 on Debian bookworm.
V5_0_FACTS = {"selinux_pf_max": 45, "host_pf_max": 46, "sh_mm_werror": True,
              "ppc_werror": True, "has_werror": False, "arm_march_v7": False}


def result(kernels, arch="x86_64"):
    """One arch's result as run_arch() makes it."""
    family = next(iter(kernels.values())).family or guests.GUESTS[arch].family
    res = ArchBoot(arch=arch, family=family, branch="gup-unify",
                   accel="tcg", accel_reason="KVM unusable here", kernels=kernels,
                   knobs=[k.as_dict() for k in kbuild.select_knobs("5.0", 12, arch, V5_0_FACTS)])
    return bootreport.summarize(res)


def overall(runs, not_booted=None):
    """The whole run as main() makes it."""
    return bootreport.summarize_all(BootResult(
        tree="/src/linux-5.0", tree_name="linux-5.0", repository="/src/linux-5.0",
        branch="gup-unify", kernels=["base", "patched"], arches=runs,
        not_booted=not_booted or {}))
