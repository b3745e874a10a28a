"""make check: build checks per step of a series.

The pure logic is tested on small inputs; the checker end to end on Debian's
linux-source-6.1 (x86_64 defconfig) and, with GUP_KERNEL_TREE, on a legacy tree.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from gupunify.buildcheck import affected, archbuild, buildsteps
from gupunify.common import kbuild
from gupunify.common.tree import KernelTree
from gupunify.common.util import UserError

TARBALL = "/usr/src/linux-source-6.1.tar.xz"


def git(repo, *args, **kw):
    return subprocess.run(["git", "-C", str(repo)] + list(args), check=True,
                          capture_output=True, text=True, **kw).stdout


# --- which objects a step can affect -------------------------------------------------

def test_declarations_see_prototypes_macros_and_skip_statics():
    text = ("#define FOO 1\n"
            "#define BAR(x) \\\n\t((x) + 1)\n"
            "int get_user_pages_fast(unsigned long start, int nr_pages,\n"
            "\t\t\tint write, struct page **pages);\n"
            "static int helper(int a)\n{\n\tif (a)\n\t\treturn 1;\n}\n"
            "EXPORT_SYMBOL(get_user_pages_fast);\n"
            "struct page {\n\tint x;\n};\n")
    in_c = affected.declarations(text, header=False)
    assert set(in_c) == {"FOO", "BAR", "get_user_pages_fast"}
    assert in_c["get_user_pages_fast"] == (
        "int get_user_pages_fast(unsigned long start, int nr_pages, int write, "
        "struct page **pages)",)
    assert "helper" in affected.declarations(text, header=True)


def test_changed_symbols_are_the_changed_prototypes_only():
    old = ("int f(int write);\nint g(int a);\n#define K 1\n"
           "int h(void)\n{\n\treturn 1;\n}\n")
    new = ("int f(unsigned int gup_flags);\nint g(int a);\n#define K 1\n#define L 2\n"
           "int h(void)\n{\n\treturn 2;\n}\n")
    assert affected.changed_symbols("x.h", old, new) == ["L", "f"]


def test_resolve_include_prefers_the_including_directory_then_include():
    files = {"arch/x86/kvm/paging_tmpl.h", "include/linux/mm.h",
             "arch/powerpc/include/asm/pgtable.h", "arch/x86/include/asm/pgtable.h"}
    exists = files.__contains__
    assert affected.resolve_include("arch/x86/kvm/mmu.c", "paging_tmpl.h",
                                    exists) == "arch/x86/kvm/paging_tmpl.h"
    assert affected.resolve_include("mm/gup.c", "linux/mm.h", exists) == "include/linux/mm.h"
    assert affected.resolve_include("arch/powerpc/mm/hugetlbpage.c", "asm/pgtable.h",
                                    exists) == "arch/powerpc/include/asm/pgtable.h"
    assert affected.resolve_include("mm/gup.c", "linux/none.h", exists) is None


@pytest.fixture
def small_repo(tmp_path):
    """A tiny git tree: a header with a prototype, its definer, two callers, one includer."""
    repo = tmp_path / "r"
    files = {
        "include/linux/mm.h": "int gup_fast(unsigned long start, int write);\n",
        "mm/gup.c": "#include <linux/mm.h>\nint gup_fast(unsigned long start, int write)\n"
                    "{\n\treturn write;\n}\n",
        "drivers/a/a.c": "#include <linux/mm.h>\nvoid a(void) { gup_fast(0, 1); }\n",
        "drivers/b/b.c": "#include <linux/mm.h>\nvoid b(void) { }\n",
        # calls it in a macro body; a header does, and one .c file includes it
        "drivers/m/m.c": "#define GET(a) gup_fast(a, 1) /* one page */\n",
        "drivers/h/h.h": "#define HGET(a) \\\n\tgup_fast(a, 0)\n",
        "drivers/h/h.c": "#include \"h.h\"\n",
        # names it in a comment and a string only: no use of it
        "drivers/c/c.c": "/* unlike gup_fast() */\nconst char *c = \"gup_fast\";\n",
        "arch/x86/kvm/tmpl.h": "static int t(void) { return gup_fast(0, 0); }\n",
        "arch/x86/kvm/mmu.c": "#include \"tmpl.h\"\n",
        "tools/t.c": "int gup_fast;\n",
    }
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git(tmp_path, "init", "-q", str(repo))
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@l", "commit", "-q", "-m", "base")
    return repo


def commit_change(repo, path, old, new, message):
    p = repo / path
    p.write_text(p.read_text().replace(old, new))
    git(repo, "-c", "user.name=t", "-c", "user.email=t@l", "commit", "-q", "-am", message)
    return git(repo, "rev-parse", "HEAD").strip()


def test_prototype_change_reaches_callers_and_headers_that_use_it(small_repo):
    commit_change(small_repo, "include/linux/mm.h", "int write", "unsigned int gup_flags",
                  "proto")
    sources, notes = affected.step_sources(str(small_repo), "HEAD~1", "HEAD")
    # mm/gup.c defines it, drivers/a calls it, arch/x86/kvm/mmu.c includes a
    # header calling it; drivers/b only includes mm.h; drivers/c names it in
    # a comment and a string only; tools/ is not kbuild.
    assert set(sources) == {"mm/gup.c", "drivers/a/a.c", "drivers/b/b.c",
                            "arch/x86/kvm/mmu.c", "drivers/m/m.c", "drivers/h/h.c"}
    assert sources["drivers/m/m.c"] == "uses a changed declaration"
    assert "includes drivers/h/h.h" in sources["drivers/h/h.c"]
    assert sources["drivers/b/b.c"] == "includes include/linux/mm.h"
    assert "includes arch/x86/kvm/tmpl.h" in sources["arch/x86/kvm/mmu.c"]
    assert any("gup_fast (include/linux/mm.h)" in n for n in notes)


def test_body_only_change_builds_the_file_alone(small_repo):
    commit_change(small_repo, "mm/gup.c", "return write;", "return !!write;", "body")
    sources, notes = affected.step_sources(str(small_repo), "HEAD~1", "HEAD")
    assert sources == {"mm/gup.c": "changed"}
    assert notes == []


def test_crowded_header_is_built_in_one_includer_and_in_the_users_of_what_changed(
        small_repo, monkeypatch):
    monkeypatch.setattr(affected, "HEADER_FANOUT", 1)
    commit_change(small_repo, "include/linux/mm.h", "int write);",
                  "int write);\n#define FOLL_X 1\n", "macro")
    sources, notes = affected.step_sources(str(small_repo), "HEAD~1", "HEAD")
    # Nothing uses FOLL_X yet: the least deep includer still compiles the header.
    assert sources == {"mm/gup.c": "includes include/linux/mm.h (one of its includers)"}
    assert any("included by more than 1 .c files; built mm/gup.c" in n for n in notes)


def test_a_crowded_arch_header_is_built_in_an_includer_of_its_own_arch(small_repo,
                                                                         monkeypatch):
    monkeypatch.setattr(affected, "HEADER_FANOUT", 0)
    commit_change(small_repo, "arch/x86/kvm/tmpl.h", "return gup_fast(0, 0);",
                  "return gup_fast(0, 1);", "body")
    sources, _ = affected.step_sources(str(small_repo), "HEAD~1", "HEAD")
    assert sources == {"arch/x86/kvm/mmu.c":
                       "includes arch/x86/kvm/tmpl.h (one of its includers)"}


def test_a_goto_label_at_column_0_starts_no_declaration():
    # io_uring/rsrc.c of 6.1: "done:" then "kvfree(vmas);" is no prototype of kvfree.
    old = ("int f(void)\n{\n\tint r = 0;\ndone:\n\tkvfree(v);\n\treturn r;\n}\n")
    new = ("int f(void)\n{\n\tint r = 0;\ndone:\n\treturn r;\n}\n")
    assert affected.changed_symbols("io_uring/rsrc.c", old, new) == []


# --- where each object builds --------------------------------------------------------

def test_arch_mapping():
    assert affected.home_arch("arch/sparc/mm/gup.c") == "sparc64"
    assert affected.home_arch("arch/sh/mm/gup.c") == "sh4"
    assert affected.home_arch("arch/powerpc/mm/hugetlbpage.c") == "powerpc64le"
    assert affected.home_arch("arch/arm/mm/x.c") == "arm"
    assert affected.home_arch("drivers/vfio/vfio.c") == "x86_64"
    assert affected.is_mm_core("mm/gup.c") and not affected.is_mm_core("drivers/mm.c")
    assert affected.arches_in_play(["arch/mips/mm/gup.c"]) == ["mips"]
    assert affected.arches_in_play(["mm/gup.c", "arch/s390/mm/gup.c"]) == ["s390x", "x86_64"]


def kbuild_of(files):
    return kbuild.Makefiles(lambda path: files.get(path))


def test_kbuild_follows_objects_composites_and_directories():
    files = {
        "drivers/Makefile": "obj-$(CONFIG_SBUS)\t\t+= sbus/\nobj-y += misc/\n",
        "drivers/sbus/Makefile": "obj-y += char/\n",
        "drivers/sbus/char/Makefile": "obj-$(CONFIG_ORACLE_DAX) += oradax.o\n",
        "drivers/misc/Makefile": "obj-$(CONFIG_VMWARE_VMCI) += vmw_vmci/\n",
        "drivers/misc/vmw_vmci/Makefile": "vmw_vmci-y += vmci_host.o \\\n\tvmci_queue_pair.o\n"
                                          "obj-$(CONFIG_VMWARE_VMCI) += vmw_vmci.o\n",
    }
    kb = kbuild_of(files)
    assert kb.enabled("drivers/sbus/char/oradax.c", {}) == (False, "CONFIG_ORACLE_DAX not set")
    assert kb.enabled("drivers/sbus/char/oradax.c", {"CONFIG_ORACLE_DAX": "m"}) == \
        (False, "CONFIG_SBUS not set")
    assert kb.enabled("drivers/sbus/char/oradax.c", {"CONFIG_ORACLE_DAX": "m",
                                                     "CONFIG_SBUS": "y"})[0] is True
    assert kb.enabled("drivers/misc/vmw_vmci/vmci_queue_pair.c",
                      {"CONFIG_VMWARE_VMCI": "m"})[0] is True
    assert kb.enabled("drivers/misc/vmw_vmci/vmci_queue_pair.c", {})[0] is False
    ppc = kbuild_of({"arch/powerpc/kvm/Makefile":
                     "kvm-e500-objs := e500.o \\\n\te500_mmu.o\n"
                     "kvm-objs-$(CONFIG_KVM_E500V2) := $(kvm-e500-objs)\n"})
    assert ppc.enabled("arch/powerpc/kvm/e500_mmu.c", {}) == (False,
                                                             "CONFIG_KVM_E500V2 not set")
    # A Makefile that does not name the object: kbuild decides.
    assert kb.enabled("drivers/misc/other.c", {})[0] is None


def test_place_moves_an_object_to_the_arch_that_builds_it():
    files = {"drivers/sbus/char/Makefile": "obj-$(CONFIG_ORACLE_DAX) += oradax.o\n",
             "arch/ia64/kernel/Makefile": "obj-y += err_inject.o\n"}

    class FakeBuild:
        def __init__(self, label, config, skip=None):
            self.label, self.config, self.skip = label, config, skip
    builds = {"x86_64": FakeBuild("x86_64 allmodconfig", {}),
              "sparc64": FakeBuild("sparc64 defconfig", {"CONFIG_ORACLE_DAX": "m"}),
              "ia64": FakeBuild("ia64 defconfig", {}, skip="no toolchain (ia64-linux-gnu-gcc "
                                "not found)")}
    arches = ["ia64", "sparc64", "x86_64"]
    where = affected.place(["drivers/sbus/char/oradax.c", "arch/ia64/kernel/err_inject.c",
                              "mm/gup.c", "arch/alpha/mm/x.c"], arches, kbuild_of(files), builds)
    assert where["drivers/sbus/char/oradax.c"] == [
        ("x86_64", "not built in x86_64 allmodconfig: CONFIG_ORACLE_DAX not set"),
        ("sparc64", None)]
    # mm/ code builds in the other arches in play that build it, silently elsewhere.
    assert where["mm/gup.c"] == [("x86_64", None), ("sparc64", None)]
    assert where["arch/ia64/kernel/err_inject.c"] == [
        ("ia64", "skipped: no toolchain (ia64-linux-gnu-gcc not found)")]
    assert where["arch/alpha/mm/x.c"][0][1].startswith("skipped: no toolchain")
    builds["sparc64"].config = {}
    where = affected.place(["drivers/sbus/char/oradax.c"], arches, kbuild_of(files), builds)
    assert where["drivers/sbus/char/oradax.c"] == [
        ("x86_64", "not built in x86_64 allmodconfig: CONFIG_ORACLE_DAX not set; "
                   "nor in sparc64 defconfig")]


# --- warnings ------------------------------------------------------------------------

def test_parse_attributes_diagnostics_to_their_object_and_drops_line_numbers(tmp_path):
    src, obj = str(tmp_path / "src"), str(tmp_path / "o")
    out = ("  CC      mm/gup.o\n"
           "In file included from %s/mm/gup.c:3:\n"
           "%s/include/linux/mm.h:12:5: warning: unused variable \u2018x\u2019 "
           "[-Wunused-variable]\n"
           "  CC [M]  drivers/a/a.o\n"
           "%s/drivers/a/a.c:40:9: error: too few arguments to function 'gup'\n"
           "../src/drivers/a/a.c:41: warning: bad thing\n"
           "make[2]: *** [scripts/Makefile.build:250: drivers/a/a.o] Error 1\n"
           "  CHECK   %s/lib/x.c\n"
           "lib/x.c:3:1: warning: symbol 'y' was not declared. Should it be static?\n"
           "  LD      vmlinux\n"
           "cc1: error: unrecognized option\n") % (src, src, src, src)
    objects, stray = archbuild.parse_build_output(out, src, obj)
    assert objects["mm/gup.o"] == {"warnings": {
        "include/linux/mm.h: warning: unused variable 'x' [-Wunused-variable]"}, "errors": []}
    assert objects["drivers/a/a.o"]["errors"] == [
        "drivers/a/a.c: error: too few arguments to function 'gup'"]
    assert objects["drivers/a/a.o"]["warnings"] == {"drivers/a/a.c: warning: bad thing"}
    assert objects["lib/x.o"]["warnings"] == {
        "O/lib/x.c: warning: symbol 'y' was not declared. Should it be static?"}
    assert stray == ["cc1: error: unrecognized option"]


def test_compare_reports_only_new_warnings_and_errors():
    before = {"warnings": {"a.c: warning: old"}, "errors": ["a.c: error: old"]}
    after = {"warnings": {"a.c: warning: old", "a.c: warning: new"},
             "errors": ["a.c: error: old", "a.c: error: new"]}
    assert archbuild.compare(before, after) == (["a.c: warning: new"], ["a.c: error: new"])
    assert archbuild.compare(None, after)[0] == ["a.c: warning: new", "a.c: warning: old"]


def test_a_step_with_nothing_built_is_not_passed():
    cell = lambda result: {"result": result, "objects": []}
    assert buildsteps.step_result({"x86_64": cell("passed"), "ia64": cell("skipped")}) == \
        "passed"
    assert buildsteps.step_result({"ia64": cell("skipped")}) == "skipped"
    assert buildsteps.step_result({"x86_64": cell("passed"), "sh4": cell("failed")}) == \
        "failed"
    assert buildsteps.step_result({}) == "nothing to build"


# --- steps built together ------------------------------------------------------------

def test_runs_join_steps_that_change_other_c_files_only():
    def step(changed, sources=None):
        return {"changed": changed, "sources": dict.fromkeys(sources or changed, "changed")}
    core = step(["include/linux/mm.h", "mm/gup.c"], ["mm/gup.c", "drivers/a.c"])
    a, b, a_again = step(["drivers/a.c"]), step(["drivers/b.c"]), step(["drivers/a.c"])
    # Builds a file it does not change: a declaration in a .c file changed.
    wider = step(["drivers/c.c"], ["drivers/c.c", "drivers/d.c"])
    d, e = step(["drivers/d.c"]), step(["drivers/e.c", "Documentation/x.txt"])
    runs = buildsteps.runs_of([core, a, b, a_again, wider, d, e])
    assert runs == [[core], [a, b], [a_again], [wider], [d], [e]]


def test_an_object_stands_for_its_step_only_when_it_read_nothing_changed_later(tmp_path):
    src, objdir = tmp_path / "src", tmp_path / "o"
    for path in ("mm/gup.c", "include/linux/mm.h", "drivers/a.c"):
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        (src / path).write_text("")
    (objdir / "mm").mkdir(parents=True)
    (objdir / "mm" / ".gup.o.cmd").write_text(
        "cmd_mm/gup.o := ccache gcc -Wp,-MD,mm/.gup.o.d -I%s/include -c -o mm/gup.o %s/mm/gup.c\n"
        "source_mm/gup.o := %s/mm/gup.c\n\n"
        "deps_mm/gup.o := \\\n    $(wildcard include/config/fs/dax.h) \\\n"
        "  %s/include/linux/mm.h \\\n\nmm/gup.o: $(deps_mm/gup.o)\n" % ((src,) * 4))
    build = archbuild.ArchBuild("x86_64", str(src), str(tmp_path), "6.1", 1, False, "defconfig")
    build.objdir = str(objdir)
    assert build.inputs("mm/gup.o") == {"mm/gup.c", "include/linux/mm.h"}
    assert build.inputs("mm/util.o") is None
    built = {"built": True, "errors": [], "warnings": set()}
    assert buildsteps.clean_inputs(build, "mm/gup.o", built, {"drivers/a.c"})
    assert not buildsteps.clean_inputs(build, "mm/gup.o", built, {"include/linux/mm.h"})
    assert not buildsteps.clean_inputs(build, "mm/util.o", built, set())
    failed = {"built": False, "errors": ["mm/gup.c: error: x"], "warnings": set()}
    assert not buildsteps.clean_inputs(build, "mm/gup.o", failed, set())
    # kbuild makes no such object: the run changes no Makefile, so it stands.
    assert buildsteps.clean_inputs(build, "mm/gup.o", dict(failed, errors=[]), set())


# --- knobs ---------------------------------------------------------------------------

OLD_FACTS = {"selinux_pf_max": 45, "host_pf_max": 46, "sh_mm_werror": True,
             "has_werror": False}


def test_knobs_for_v5_0_with_gcc_12():
    x86 = [k.name for k in kbuild.select_knobs("5.0", 12, "x86_64", OLD_FACTS)]
    assert x86[0] == "HOSTCFLAGS=-fcommon"
    assert "CONFIG_SECURITY_SELINUX off" in x86
    assert any(k.startswith("objtool off") for k in x86)
    sh = kbuild.select_knobs("5.0", 12, "sh4", OLD_FACTS)
    assert [k.make_vars for k in sh if k.make_vars.get("KCFLAGS")] == [
        {"KCFLAGS": "-Wno-error=address"}]
    assert not any(k.name.startswith("objtool") for k in sh)


def test_no_knobs_for_a_current_tree_or_an_old_compiler():
    facts = {"selinux_pf_max": None, "host_pf_max": 46, "sh_mm_werror": False,
             "has_werror": True}
    assert [k.name for k in kbuild.select_knobs("6.1.90", 12, "x86_64", facts)] == [
        "CONFIG_WERROR off"]
    assert [k.name for k in kbuild.select_knobs("5.0", 8, "sh4",
                                                    dict(OLD_FACTS, host_pf_max=45))] == []


def test_make_argv_names_arch_and_compiler_explicitly():
    sh = kbuild.select_knobs("5.0", 12, "sh4", OLD_FACTS)
    assert kbuild.make_argv("sh4", "/s", "/o", 3, sh, "mm/gup.o") == [
        "make", "-C", "/s", "O=/o", "ARCH=sh", "CROSS_COMPILE=sh4-linux-gnu-",
        "CC=ccache sh4-linux-gnu-gcc", "-j3", "HOSTCFLAGS=-fcommon",
        "KCFLAGS=-Wno-error=address", "mm/gup.o"]
    # A native build still says CROSS_COMPILE=: v5.1.15's Makefile defaults to arm64's.
    x86 = kbuild.make_argv("x86_64", "/s", "/o", 1, [])
    assert "CROSS_COMPILE=" in x86
    # The native compiler by its full name too, which a distcc host can run.
    assert "CC=ccache x86_64-linux-gnu-gcc" in x86
    assert kbuild.missing_toolchain("ia64") == (
        "no toolchain (ia64-linux-gnu-gcc not found; Debian has no package for it)")


# --- end to end on Debian's linux-source-6.1 -----------------------------------------

def linux_source_61(where):
    """The 6.1 tarball extracted into a git repository under where."""
    if not os.path.exists(TARBALL):
        pytest.skip("%s is absent: make test installs linux-source-6.1 (scripts/deps test)"
                    % TARBALL)
    src = os.path.join(where, "linux-source-6.1")
    subprocess.run(["tar", "-xf", TARBALL, "-C", str(where)], check=True)
    git(src, "init", "-q")
    # 80,000 loose objects make later git commands start a detached gc,
    # which races the teardown's rmtree (a directory gone under it).
    git(src, "config", "gc.auto", "0")
    # Debian's .gitignore ignores the whole top level.
    git(src, "add", "-A", "-f", ".")
    git(src, "-c", "user.name=t", "-c", "user.email=t@l", "commit", "-q", "-m",
        "linux-source-6.1")
    return src


def make_branch(repo, name, edits, start="HEAD"):
    """A branch of commits on start, one per (subject, path, old, new), by plumbing."""
    env = dict(os.environ, GIT_INDEX_FILE=os.path.join(repo, ".git", "buildcheck-test-index"),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@l", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@l")
    parent = git(repo, "rev-parse", start).strip()
    for subject, path, old, new in edits:
        text = git(repo, "show", "%s:%s" % (parent, path))
        assert old in text, (path, old)
        blob = git(repo, "hash-object", "-w", "--stdin", input=text.replace(old, new, 1)).strip()
        git(repo, "read-tree", parent, env=env)
        git(repo, "update-index", "--cacheinfo", "100644,%s,%s" % (blob, path), env=env)
        tree = git(repo, "write-tree", env=env).strip()
        parent = git(repo, "commit-tree", tree, "-p", parent, "-m", subject, env=env).strip()
    git(repo, "branch", "-f", name, parent)


CLEAN = ("mm/gup: say why the fast path stops", "mm/gup.c",
         "static bool gup_fast_permitted(",
         "/* The walk stops here when the range is not user memory. */\n"
         "static bool gup_fast_permitted(")
WARNING = ("mm/gup: add an unused variable", "mm/gup.c",
           "long get_user_pages_unlocked(unsigned long start, unsigned long nr_pages,\n"
           "\t\t\t     struct page **pages, unsigned int gup_flags)\n{\n",
           "long get_user_pages_unlocked(unsigned long start, unsigned long nr_pages,\n"
           "\t\t\t     struct page **pages, unsigned int gup_flags)\n{\n"
           "\tint buildcheck_unused;\n")
BROKEN = ("lib/iov_iter: call get_user_pages_fast() with one argument too few",
          "lib/iov_iter.c", "res = get_user_pages_fast(addr, n,",
          "res = get_user_pages_fast(addr, n, pages);\n\tres = get_user_pages_fast(addr, n,")


@pytest.fixture(scope="module")
def linux61(tmp_path_factory):
    """linux-source-6.1 as a git repository, and a scratch area for make check.

    The tests of this module share that scratch area, so only the first
    configures and builds the base cold (280 s against 90 s warm on the
    loaded 2-core host); each keeps its own branch and its report in its
    own tmp_path. Both are removed with the module: together they take
    over 3 GB.
    """
    where = tmp_path_factory.mktemp("linux61")
    yield linux_source_61(where), where / "scratch"
    shutil.rmtree(where)


@pytest.fixture
def tree61(linux61, monkeypatch):
    src, scratch = linux61
    monkeypatch.setenv("GUP_UNIFY_SCRATCH", str(scratch))
    return src


def run_check(tree, branch, reports, *options):
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "gup-unify"), "check", tree,
         "--branch", branch, "--arches", "x86_64", "--config", "x86_64=defconfig",
         "--reports", str(reports)] + list(options), capture_output=True, text=True)


def test_61_small_change_builds_clean(tree61, tmp_path):
    make_branch(tree61, "buildcheck-test-clean", [CLEAN])
    head = git(tree61, "rev-parse", "HEAD").strip()
    out = run_check(tree61, "buildcheck-test-clean", tmp_path, "--checkpatch")
    assert out.returncode == 0, out.stderr + out.stdout
    result = json.loads((tmp_path / "linux-source-6.1" / "buildcheck.json").read_text())
    (step,) = result["steps"]
    assert step["result"] == "passed"
    assert step["cells"]["x86_64"]["objects"] == [{"object": "mm/gup.o", "result": "passed"}]
    assert result["arches"]["x86_64"]["config"] == "defconfig"
    # Every phase is timed, wall and CPU; the steps' CPU is the compilers' too.
    phases = result["timings"]["phases"]
    assert [p["phase"] for p in phases] == ["find objects", "configure", "baseline", "step 1"]
    assert phases[3]["wall"] == step["seconds"] and phases[3]["cpu"] == step["cpu"] > 0
    assert result["timings"]["total"] >= sum(p["wall"] for p in phases)
    assert "| steps: 1 in 1 runs | %.1f | %.1f |" % (step["seconds"], step["cpu"]) in (
        tmp_path / "linux-source-6.1" / "buildcheck.md").read_text()
    # checkpatch is reported, not a failure: the test commit has no Signed-off-by.
    assert step["checkpatch"]["errors"] == 1
    assert any("MISSING_SIGN_OFF" in m for m in step["checkpatch"]["messages"])
    # The user's checkout is where it was, with nothing new in it.
    assert git(tree61, "rev-parse", "HEAD").strip() == head
    assert git(tree61, "status", "--porcelain", "--untracked-files=all") == ""


OTHER = ("mm/util: a blank line", "mm/util.c", "EXPORT_SYMBOL(kfree_const);",
         "EXPORT_SYMBOL(kfree_const);\n")


def test_61_new_warning_and_broken_step_are_caught(tree61, tmp_path):
    make_branch(tree61, "buildcheck-test-broken", [CLEAN, WARNING, BROKEN, OTHER])
    out = run_check(tree61, "buildcheck-test-broken", tmp_path)
    assert out.returncode == 1, out.stderr + out.stdout
    result = json.loads((tmp_path / "linux-source-6.1" / "buildcheck.json").read_text())
    clean, warning, broken, other = result["steps"]
    assert clean["result"] == "passed" and other["result"] == "passed"
    # Steps 2-4 change other .c files: built in one make at step 4's commit;
    # the broken step's failure is built again at its own commit.
    together = "built with steps 2-4 at the commit of step 4"
    assert any(n.startswith(together) for n in warning["notes"])
    assert not any(n.startswith("built with") for n in broken["notes"])
    assert [p["phase"] for p in result["timings"]["phases"]][3:] == [
        "step 1", "steps 2-4", "step 3"]
    assert warning["result"] == "failed"
    (gup,) = warning["cells"]["x86_64"]["objects"]
    assert gup["result"] == "new warnings"
    assert gup["warnings"] == ["mm/gup.c: warning: unused variable 'buildcheck_unused' "
                               "[-Wunused-variable]"]
    assert broken["result"] == "failed"
    (iov,) = broken["cells"]["x86_64"]["objects"]
    assert iov["object"] == "lib/iov_iter.o" and iov["result"] == "failed"
    assert iov["error"] == "lib/iov_iter.c: error: too few arguments to function " \
                           "'get_user_pages_fast'"
    assert "lib/iov_iter.o: lib/iov_iter.c: error: too few arguments" in out.stdout
    md = (tmp_path / "linux-source-6.1" / "buildcheck.md").read_text()
    assert "| 3 | %s | FAILED 1 |" % BROKEN[0] in md


SPARSE_ONLY = ("mm/gup: add a global sparse wants static", "mm/gup.c",
               "long get_user_pages_unlocked(",
               "int buildcheck_sparse_only;\n\nlong get_user_pages_unlocked(")


@pytest.mark.skipif(not shutil.which("sparse"),
                    reason="sparse is not installed: make test installs it")
def test_61_sparse_finds_what_gcc_does_not(tree61, tmp_path):
    make_branch(tree61, "buildcheck-test-sparse", [SPARSE_ONLY])
    plain = run_check(tree61, "buildcheck-test-sparse", tmp_path)
    assert plain.returncode == 0, plain.stderr + plain.stdout
    out = run_check(tree61, "buildcheck-test-sparse", tmp_path, "--sparse")
    assert out.returncode == 1, out.stderr + out.stdout
    result = json.loads((tmp_path / "linux-source-6.1" / "buildcheck.json").read_text())
    (gup,) = result["steps"][0]["cells"]["x86_64"]["objects"]
    assert gup["warnings"] == ["mm/gup.c: warning: symbol 'buildcheck_sparse_only' was not "
                               "declared. Should it be static?"]


# --- distcc -----------------------------------------------------------------------------

def test_61_check_sends_its_compiles_to_distcc_hosts(tree61, tmp_path, distccd):
    port, log = distccd
    make_branch(tree61, "buildcheck-test-distcc", [CLEAN])
    # An empty cache of our own, so the compiles are misses that distcc runs.
    env = dict(os.environ, CCACHE_DIR=str(tmp_path / "ccache"),
               DISTCC_DIR=str(tmp_path / "distcc"))
    os.mkdir(env["DISTCC_DIR"])
    hosts = "127.0.0.1:%d/3" % port
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "gup-unify"), "check", tree61,
         "--branch", "buildcheck-test-distcc", "--arches", "x86_64",
         "--config", "x86_64=defconfig", "--reports", str(tmp_path),
         "--distcc-hosts", hosts], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr + out.stdout
    result = json.loads((tmp_path / "linux-source-6.1" / "buildcheck.json").read_text())
    assert result["steps"][0]["cells"]["x86_64"]["objects"] == [
        {"object": "mm/gup.o", "result": "passed"}]
    # -j follows the hosts' slots.
    assert result["jobs"] == 3 and result["distcc_hosts"] == hosts
    # distccd itself says it compiled mm/gup.c, by the compiler's full name: the
    # base's and the step's (distcc falls back to local compiles silently).
    gcc = kbuild.ARCHES["x86_64"].gcc
    done = [line for line in log.read_text().splitlines()
            if " COMPILE_OK " in line and line.endswith("mm/gup.c")]
    assert len(done) >= 2, log.read_text()[-3000:]
    assert all("/%s " % gcc in line for line in done), done


# objtool off's choice, as v5.0 and v5.1 need it with gcc 12 (docs/builds.md)
FRAME_POINTER = kbuild.Knob("frame pointer unwinder", "the objtool knob's choice",
                            config=["-d", "UNWINDER_ORC", "-e", "UNWINDER_FRAME_POINTER"])


def test_61_a_knob_that_picks_a_choice_member_sticks_and_a_lost_one_is_an_error(tree61,
                                                                                tmp_path):
    """tinyconfig picks UNWINDER_GUESS; the knob's member must win, not be dropped silently."""
    objdir = str(tmp_path / "tiny")
    kbuild.configure("x86_64", tree61, objdir, 2, [FRAME_POINTER], "tinyconfig")
    config = kbuild.read_config(objdir)
    assert config.get("CONFIG_UNWINDER_FRAME_POINTER") == "y"
    assert "CONFIG_UNWINDER_GUESS" not in config and "CONFIG_UNWINDER_ORC" not in config
    lost = kbuild.Knob("no such", "a symbol the tree lacks",
                       config=["-e", "GUP_UNIFY_NO_SUCH_SYMBOL"])
    with pytest.raises(UserError) as e:
        kbuild.configure("x86_64", tree61, objdir, 2, [FRAME_POINTER, lost], "tinyconfig")
    assert str(e.value) == ("x86_64 tinyconfig: olddefconfig dropped the knobs' "
                            "CONFIG_GUP_UNIFY_NO_SUCH_SYMBOL=y")


@pytest.mark.parametrize("target", ["tinyconfig", "allmodconfig"])
def test_legacy_x86_64_keeps_every_knob_of_its_config(tmp_path, target, kernel_tree):
    src = kernel_tree
    version = KernelTree(src).full_version
    knobs = kbuild.knobs("x86_64", src, version)
    objdir = str(tmp_path / target)
    kbuild.configure("x86_64", src, objdir, 2, knobs, target)
    config = kbuild.read_config(objdir)
    assert config.get("CONFIG_UNWINDER_FRAME_POINTER") == "y"
    assert not {"CONFIG_UNWINDER_ORC", "CONFIG_STACK_VALIDATION", "CONFIG_RETPOLINE",
                "CONFIG_UNWINDER_GUESS"} & set(config)


def test_a_bad_distcc_host_list_is_refused_in_one_line(tmp_path):
    if not shutil.which("distcc"):
        pytest.skip("distcc is not installed: make test installs Debian's distcc")
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "gup-unify"), "check",
         str(tmp_path), "--distcc-hosts", "build1/x"], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr == ("gup-unify: error: distcc hosts 'build1/x': bad multiplier \"/x\" "
                          "in host specification\n")


# --- a legacy tree with the full series ----------------------------------------------

def test_legacy_series_builds_on_x86_64_and_a_typo_is_caught(tmp_path, kernel_tree):
    clone = tmp_path / "tree"
    git(tmp_path, "clone", "-q", "--shared", kernel_tree, str(clone))
    git(clone, "config", "user.name", "Pat Sender")
    git(clone, "config", "user.email", "pat@example.org")
    env = dict(os.environ, GUP_UNIFY_SCRATCH=str(tmp_path / "scratch"))
    cli = [sys.executable, os.path.join(ROOT, "scripts", "gup-unify")]
    spatch = subprocess.run(cli + ["spatch", str(clone), "--reports", str(tmp_path / "c")],
                            capture_output=True, text=True, env=env)
    assert spatch.returncode == 0, spatch.stderr
    check = cli + ["check", str(clone), "--arches", "x86_64",
                   "--reports", str(tmp_path / "rep")]
    out = subprocess.run(check, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads((tmp_path / "rep" / "tree" / "buildcheck.json").read_text())
    assert result["result"] == "passed"
    # A caller step only an other arch builds (sbus, vchiq ...) is skipped here, never failed.
    assert {s["result"] for s in result["steps"]} <= {"passed", "skipped", "nothing to build"}
    # The one step no kernel object builds from: a selftest in tools/.
    assert [s["subject"] for s in result["steps"] if s["result"] == "nothing to build"] == [
        "selftests/vm/gup_benchmark: add the missing 'w' to getopt"]
    assert all(s["result"] == "passed" for s in result["steps"]
               if s["subject"].startswith("mm/gup:"))
    # A core patch with a typo on top of the series is named with the compiler's message.
    make_branch(str(clone), "typo", [("mm/util: typo", "mm/util.c", "pages, gup_flags);",
                                      "pages, gup_flag);")], start="gup-unify")
    out = subprocess.run(check + ["--branch", "typo"], capture_output=True, text=True, env=env)
    assert out.returncode == 1, out.stdout + out.stderr
    result = json.loads((tmp_path / "rep" / "tree" / "buildcheck.json").read_text())
    last = result["steps"][-1]
    (util,) = [o for o in last["cells"]["x86_64"]["objects"] if o["object"] == "mm/util.o"]
    assert util["result"] == "failed"
    assert util["error"].startswith("mm/util.c: error: 'gup_flag' undeclared")

