"""make boottest's kernel builds: the knobs each arch needs with gcc 12, its config
fragment, the cross compilers, ccache and distcc."""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from bootrecords import V5_0_FACTS
from gupunify.boottest import bootbuild, boottest, guests
from gupunify.common import kbuild
from gupunify.common.tree import KernelTree


def test_family_is_read_from_the_kernels_config_and_tree(tmp_path):
    src = str(tmp_path)
    assert guests.family("s390x", {"CONFIG_HAVE_GENERIC_GUP": "y"}, src) == guests.GENERIC
    # No __weak get_user_pages_fast() in mm/util.c: the slow path of mm/gup.c
    # (linux-source-6.1 without HAVE_FAST_GUP).
    os.makedirs(os.path.join(src, "mm"))
    with open(os.path.join(src, "mm", "util.c"), "w") as util:
        util.write("/* get_user_pages_fast() is in mm/gup.c */\n")
    assert guests.family("s390x", {}, src) == guests.SLOW_PATH
    with open(os.path.join(src, "mm", "util.c"), "w") as util:
        util.write("int __weak get_user_pages_fast(unsigned long start,\n")
    assert guests.family("s390x", {}, src) == guests.FALLBACK
    os.makedirs(os.path.join(src, "arch", "s390", "mm"))
    open(os.path.join(src, "arch", "s390", "mm", "gup.c"), "w").close()
    assert guests.family("s390x", {}, src) == "arch walk (arch/s390/mm/gup.c)"
    assert guests.family("s390x", {"CONFIG_HAVE_GENERIC_GUP": "y"}, src) == guests.GENERIC
    assert guests.family("riscv64", {"CONFIG_HAVE_GENERIC_GUP": "n"}, src) == guests.FALLBACK
    # the symbol's later name (linux-source-6.1's x86_64)
    assert guests.family("x86_64", {"CONFIG_HAVE_FAST_GUP": "y"}, src) == guests.GENERIC


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


def test_missing_config_names_what_olddefconfig_dropped():
    config = "CONFIG_64BIT=y\nCONFIG_FS_DAX=y\nCONFIG_RETPOLINE=y\n"
    wanted = ["CONFIG_64BIT=y", "CONFIG_FS_DAX=y", "CONFIG_ZONE_DEVICE=y",
              "# CONFIG_RETPOLINE is not set", "# CONFIG_SECURITY_SELINUX is not set"]
    assert kbuild.missing_config(config, wanted) == [
        "CONFIG_ZONE_DEVICE=y", "# CONFIG_RETPOLINE is not set"]


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
