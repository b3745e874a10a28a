"""--fast-only: __get_user_pages_fast() callers move to get_user_pages_fast_only()."""
import json
import os
import subprocess

import pytest
from conftest import git, gup_unify, make_tree

from gupunify.convert import convert, patches
from gupunify.series import series

# Callers written for these tests, each an idiom of v5.0's own: KVM's
# literal 1 (and a get_user_pages_fast() caller in the same file, so KVM
# has a group in both phases), perf's 0 under a comment naming the old
# function, i915's boolean in a call aligned with its parenthesis, and a
# call handed to a macro as an argument, which spatch cannot rewrite.
KVM = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

static int hva_to_pfn_fast(unsigned long addr, struct page **page)
{
	return __get_user_pages_fast(addr, 1, 1, page);
}

int gfn_to_page_many_atomic(unsigned long addr, struct page **pages,
			    int nr_pages)
{
	return __get_user_pages_fast(addr, nr_pages, 1, pages);
}

static int hva_to_pfn_slow(unsigned long addr, bool write_fault,
			   struct page **page)
{
	return get_user_pages_fast(addr, 1, write_fault, page);
}
"""

PERF = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

static unsigned long perf_virt_to_phys(unsigned long virt, void *mm)
{
	unsigned long phys_addr = 0;
	struct page *p = NULL;

	/*
	 * Try IRQ-safe __get_user_pages_fast first.
	 * If failed, leave phys_addr as 0.
	 */
	if (mm && __get_user_pages_fast(virt, 1, 0, &p) == 1)
		phys_addr = virt;
	return phys_addr;
}
"""

I915 = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

static int userptr_get_pages(unsigned long ptr, int num_pages, bool readonly,
			     struct page **pvec)
{
	int pinned;

	pinned = __get_user_pages_fast(ptr,
				       num_pages,
				       !readonly,
				       pvec);
	return pinned;
}
"""

ATOMIC = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

/* Code handed to a macro as an argument: spatch parses it but cannot rewrite it. */
#define each_page(it, n, STEP) {		\\
	for (n = 0; n < (it); n++)		\\
		STEP				\\
}

static int toy_pin_atomic(unsigned long base, int nr, struct page **pages)
{
	int n, res = 0;

	each_page(nr, n, ({
		res = __get_user_pages_fast(base, 1, nr > 1, pages);
		if (res < 0)
			return res;
	}))
	return res;
}
"""

MAINTAINERS = """
KERNEL VIRTUAL MACHINE (KVM)
M:	Kay Vee <kay@example.org>
L:	kvm@vger.kernel.org
S:	Supported
T:	git git://git.kernel.org/pub/scm/virt/kvm/kvm.git
F:	virt/kvm/

PERFORMANCE EVENTS SUBSYSTEM
M:	Per Eff <perf@example.org>
L:	linux-kernel@vger.kernel.org
S:	Supported
F:	kernel/events/

INTEL DRM DRIVERS
M:	Ai Nine <i915@example.org>
L:	intel-gfx@lists.freedesktop.org
S:	Supported
F:	drivers/gpu/drm/i915/

TOY ATOMIC PINNING
M:	At Omic <atomic@example.org>
L:	toy@example.org
S:	Supported
F:	lib/toy_atomic.c
"""

OLD_PROTO = """\
int __get_user_pages_fast(unsigned long start, int nr_pages, int write,
			  struct page **pages);
"""
NEW_PROTO = """\
int get_user_pages_fast_only(unsigned long start, int nr_pages,
			     unsigned int gup_flags, struct page **pages);
"""
ADD = "mm/gup: add get_user_pages_fast_only()"
REMOVE = "mm/gup: remove __get_user_pages_fast()"


def caller_tree(path, extra=None):
    """The sample tree with v5.0's kinds of __get_user_pages_fast() callers committed."""
    make_tree(path)
    files = {"virt/kvm/kvm_main.c": KVM, "kernel/events/core.c": PERF,
             "drivers/gpu/drm/i915/i915_gem_userptr.c": I915, "lib/toy_atomic.c": ATOMIC}
    files.update(extra or {})
    for name, text in files.items():
        os.makedirs(os.path.dirname(path / name), exist_ok=True)
        (path / name).write_text(text)
    with open(path / "MAINTAINERS", "a") as f:
        f.write(MAINTAINERS)
    mm_h = (path / "include/linux/mm.h").read_text()
    anchor = "\n#define FOLL_WRITE"
    (path / "include/linux/mm.h").write_text(mm_h.replace(anchor, OLD_PROTO + anchor, 1))
    git(path, "add", "-A")
    git(path, "commit", "-qm", "callers of __get_user_pages_fast()")
    return path


def core_patches(tree, root):
    """A fast-only series for the sample's base (v4.20) in root: A adds the new
    prototype, B removes the old one, made with git from the tree itself."""
    work = root / "core-work"
    git(root, "clone", "-q", str(tree), str(work))
    git(work, "config", "user.name", "Core")
    git(work, "config", "user.email", "core@example.org")
    mm_h = work / "include/linux/mm.h"
    mm_h.write_text(mm_h.read_text().replace(OLD_PROTO, OLD_PROTO + NEW_PROTO))
    git(work, "commit", "-qam", ADD)
    mm_h.write_text(mm_h.read_text().replace(OLD_PROTO, ""))
    git(work, "commit", "-qam", REMOVE)
    where = root / "patches" / "v4.20" / "fast-only"
    git(work, "format-patch", "-q", "--no-signature", "-o", str(where), "HEAD~2")
    a, b = sorted(os.listdir(where))
    (where / "series").write_text("# test series\n%s\n@callers\n%s\n" % (a, b))
    return root / "patches"


@pytest.fixture
def with_core(tmp_path, monkeypatch):
    """Run the driver in this process, on a tree whose base has a fast-only series."""
    tree = caller_tree(tmp_path / "linux")
    monkeypatch.setattr(patches, "patches_dir", lambda p=str(core_patches(tree, tmp_path)): p)
    monkeypatch.setenv("GUP_UNIFY_SCRATCH", str(tmp_path / "s"))
    return tree


def subjects(tree, rev="master..gup-unify"):
    return git(tree, "log", "--reverse", "--format=%s", rev).splitlines()


def test_default_run_leaves_them(tmp_path, need_spatch):
    """Without --fast-only nothing of __get_user_pages_fast() is touched or listed."""
    tree = caller_tree(tmp_path / "linux")
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    assert git(tree, "diff", "master", "gup-unify", "--", "kernel", "lib/toy_atomic.c",
               "drivers/gpu") == ""
    run = json.loads((tmp_path / "rep" / "linux" / "conversion.json").read_text())
    assert not [r for r in run["sites"] if r["api"] == "__get_user_pages_fast"]
    assert run["fast_only"] is False


def test_converts_each_group_between_the_core_patches(with_core, tmp_path, need_spatch):
    """A, then one fast-only commit per MAINTAINERS group, then B; values kept."""
    tree = with_core
    assert convert.convert(str(tree), reports_dir=str(tmp_path / "rep"), fast_only=True).tip
    got = subjects(tree)
    # After the main phase (its last group KVM/x86), groups in path order.
    assert got.index(ADD) == got.index("KVM: x86: pass gup_flags to get_user_pages_fast()") + 1
    assert got[got.index(ADD):] == [
        ADD,
        "drm/i915: use get_user_pages_fast_only()",
        "perf: use get_user_pages_fast_only()",
        "toy_atomic: use get_user_pages_fast_only()",
        "KVM: use get_user_pages_fast_only()",
        REMOVE]
    kvm = git(tree, "show", "gup-unify:virt/kvm/kvm_main.c")
    assert "return get_user_pages_fast_only(addr, 1, FOLL_WRITE, page);" in kvm
    assert "return get_user_pages_fast_only(addr, nr_pages, FOLL_WRITE, pages);" in kvm
    assert "get_user_pages_fast(addr, 1, write_fault ? FOLL_WRITE : 0,\n\t\t\t\t   page)" in kvm
    perf = git(tree, "show", "gup-unify:kernel/events/core.c")
    assert "__get_user_pages_fast(virt, 1, 0, &p) == 1" not in perf
    assert "get_user_pages_fast_only(virt, 1, 0, &p) == 1" in perf
    assert "* Try IRQ-safe get_user_pages_fast_only first.\n" in perf
    # The continuation lines follow the parenthesis three columns on.
    i915 = git(tree, "show", "gup-unify:drivers/gpu/drm/i915/i915_gem_userptr.c")
    assert ("\tpinned = get_user_pages_fast_only(ptr,\n"
            "\t\t\t\t\t  num_pages,\n"
            "\t\t\t\t\t  !readonly ? FOLL_WRITE : 0,\n"
            "\t\t\t\t\t  pvec);\n") in i915
    atomic = git(tree, "show", "gup-unify:lib/toy_atomic.c")
    assert ("\t\tres = get_user_pages_fast_only(base, 1,\n"
            "\t\t\t\t\t       nr > 1 ? FOLL_WRITE : 0, pages);\n") in atomic
    mm_h = git(tree, "show", "gup-unify:include/linux/mm.h")
    assert "__get_user_pages_fast" not in mm_h and NEW_PROTO in mm_h
    grep = subprocess.run(["git", "-C", str(tree), "grep", "-n", "__get_user_pages_fast",
                           "gup-unify"], capture_output=True, text=True)
    assert (grep.returncode, grep.stdout) == (1, "")
    run = json.loads((tmp_path / "rep" / "linux" / "conversion.json").read_text())
    irq = sorted((r["file"], r["line"], r["before"], r["after"], r["outcome"], r["by"])
                 for r in run["sites"] if r["api"] == "__get_user_pages_fast")
    assert irq == [
        ("drivers/gpu/drm/i915/i915_gem_userptr.c", 9, "!readonly",
         "!readonly ? FOLL_WRITE : 0", "converted", "spatch"),
        ("kernel/events/core.c", 13, "0", "0", "converted", "spatch"),
        ("lib/toy_atomic.c", 15, "nr > 1", "nr > 1 ? FOLL_WRITE : 0", "converted",
         "fallback"),
        ("virt/kvm/kvm_main.c", 6, "1", "FOLL_WRITE", "converted", "spatch"),
        ("virt/kvm/kvm_main.c", 12, "1", "FOLL_WRITE", "converted", "spatch")]
    assert [g["name"] for g in run["fast_only_groups"]] == [
        "INTEL DRM DRIVERS", "PERFORMANCE EVENTS SUBSYSTEM", "TOY ATOMIC PINNING",
        "KERNEL VIRTUAL MACHINE (KVM)"]
    assert [(s["step"], s["result"]) for s in run["steps"]][-3:] == [
        ("0001-mm-gup-add-get_user_pages_fast_only.patch", "applied"),
        ("__get_user_pages_fast", "converted"),
        ("0002-mm-gup-remove-__get_user_pages_fast.patch", "applied")]
    assert run["renamed"] == [{"file": "kernel/events/core.c", "line": 9, "kind": "comment",
                               "api": "__get_user_pages_fast",
                               "before": run["renamed"][0]["before"],
                               "after": run["renamed"][0]["before"].replace(
                                   "__get_user_pages_fast", "get_user_pages_fast_only")}]
    md = (tmp_path / "rep" / "linux" / "conversion.md").read_text()
    assert "| __get_user_pages_fast | literal_true | 2 | 0 | 0 |" in md
    assert "`lib/toy_atomic.c:15` `nr > 1` -> `nr > 1 ? FOLL_WRITE : 0`" in md


def test_series_places_the_phase_after_its_core_patch(with_core, tmp_path, need_spatch,
                                                      capsys):
    """make series: each group's fast-only callers are a series of their own,
    after the core part that adds get_user_pages_fast_only(), which they need."""
    tree = with_core
    done = series.make_series(str(tree), reports_dir=str(tmp_path / "rep"),
                              options=series.SeriesOptions(out=str(tmp_path / "out"),
                                                           fast_only=True))
    assert done.status == 0 and done.check == ""
    # The job returns its plan, and the summary of the conversion it made the
    # branch with; only the CLI prints them.
    assert capsys.readouterr().out == ""
    assert done.conversion.endswith("\nresult: converted\n")
    assert done.plan.startswith("series, in the order to apply them") and \
        done.plan.endswith("atomic  atomic/0001-mm-gup-one-flag-based-get_user_pages-API-tree-wide.patch\n")
    doc = json.loads((tmp_path / "rep" / "linux" / "series.json").read_text())
    parts = [(p["kind"], p["phase"], p["key"], [x["subject"].split("] ", 1)[1]
                                               for x in p["patches"]], p["depends"])
             for p in doc["series"]]
    fast_only = [p for p in parts if p[1] == "fast-only"]
    first = parts.index(fast_only[0])
    adding = doc["series"][first - 1]["directory"]
    assert [(p[2], p[3], p[4]) for p in fast_only] == [
        ("INTEL DRM DRIVERS", ["drm/i915: use get_user_pages_fast_only()"], [adding]),
        ("PERFORMANCE EVENTS SUBSYSTEM", ["perf: use get_user_pages_fast_only()"], [adding]),
        ("TOY ATOMIC PINNING", ["toy_atomic: use get_user_pages_fast_only()"], [adding]),
        ("KERNEL VIRTUAL MACHINE (KVM)", ["KVM: use get_user_pages_fast_only()"], [adding])]
    # KVM has a series in each phase; the phase's own come after ADD, before REMOVE.
    assert [p[2] for p in parts[:first]].count("KERNEL VIRTUAL MACHINE (KVM)") == 1
    assert parts[first - 1][0] == "core" and parts[first - 1][3][-1] == ADD
    # REMOVE needs the part adding the new function, and each series moving
    # callers off the old one (none of the first phase's converts them).
    assert parts[first + len(fast_only):] == [
        ("core", None, "core, part 2 of 2", [REMOVE],
         [adding] + [p["directory"] for p in doc["series"][first:first + len(fast_only)]])]
    kvm = tmp_path / "out" / doc["series"][first + 3]["directory"]
    assert kvm.name.lower().endswith("-kvm-fast-only")
    # One patch: no cover letter; what it needs is in its notes.
    patch, = kvm.iterdir()
    notes = " ".join(patch.read_text().split("\n---\n", 1)[1].split("diff --git")[0].split())
    assert "Subject: [PATCH] KVM: use get_user_pages_fast_only()" in patch.read_text()
    assert 'It needs this series first: - "%s" (mm): it adds get_user_pages_fast_only(), ' \
        'which this series uses' % ADD in notes


def test_removal_waits_while_a_call_is_left(tmp_path, monkeypatch, need_spatch):
    """A FOLL_* value other than FOLL_WRITE is left for a human, and so is the
    old function: removing it would break that caller's build."""
    forced = ("// SPDX-License-Identifier: GPL-2.0\n#include <linux/mm.h>\n\n"
              "int forced(unsigned long a, struct page **p)\n{\n"
              "\treturn __get_user_pages_fast(a, 1, FOLL_WRITE | FOLL_FORCE, p);\n}\n")
    tree = caller_tree(tmp_path / "linux", {"lib/toy_forced.c": forced})
    monkeypatch.setattr(patches, "patches_dir", lambda p=str(core_patches(tree, tmp_path)): p)
    monkeypatch.setenv("GUP_UNIFY_SCRATCH", str(tmp_path / "s"))
    assert convert.convert(str(tree), reports_dir=str(tmp_path / "rep"), fast_only=True).tip
    assert subjects(tree)[-1] == "KVM: use get_user_pages_fast_only()"
    assert git(tree, "diff", "master", "gup-unify", "--", "lib/toy_forced.c") == ""
    assert OLD_PROTO in git(tree, "show", "gup-unify:include/linux/mm.h")
    run = json.loads((tmp_path / "rep" / "linux" / "conversion.json").read_text())
    assert run["steps"][-1] == {
        "step": "0002-mm-gup-remove-__get_user_pages_fast.patch",
        "result": "not applied: 1 call of __get_user_pages_fast() left for a human"}
    left = [r for r in run["sites"] if r["outcome"] == "manual"
            and r["api"] == "__get_user_pages_fast"]
    assert [(r["file"], r["line"], r["reason"]) for r in left] == [
        ("lib/toy_forced.c", 6, "a FOLL_* value other than FOLL_WRITE passed as write: its "
         "meaning changes with gup_flags, fix by hand")]


def test_second_run_changes_nothing(with_core, tmp_path, need_spatch):
    """On the branch a --fast-only run made, another has nothing to do."""
    tree = with_core
    assert convert.convert(str(tree), reports_dir=str(tmp_path / "rep"), fast_only=True).tip
    git(tree, "checkout", "-q", "gup-unify")
    assert convert.convert(str(tree), "again", reports_dir=str(tmp_path / "rep2"),
                           fast_only=True).tip is None
    assert git(tree, "branch", "--list", "again") == ""
    assert not (tmp_path / "rep2").exists()


def test_make_passes_fast_only(tmp_path):
    """make spatch FAST_ONLY=1, series and b4 FAST_ONLY=yes pass --fast-only; 0 does not."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for target, value, wanted in [("spatch", "1", True), ("series", "yes", True),
                                  ("b4", "true", True), ("spatch", "0", False)]:
        out = subprocess.run(["make", "-n", "-s", "-C", root, target, "KERNEL=k",
                              "FAST_ONLY=" + value], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        command = "series" if target == "b4" else target
        assert "scripts/gup-unify " + command in out.stdout
        assert ("--fast-only" in out.stdout) is wanted, out.stdout


HOSTILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile")


def test_crlf_and_latin1_callers_keep_their_bytes(with_core, tmp_path, need_spatch):
    """tests/hostile/fastonly_{crlf,latin1}.c, put in the i915 group, become their .res
    byte for byte: CRLF on every line, Latin-1 bytes as they were."""
    tree = with_core
    where = "drivers/gpu/drm/i915/"
    for name in ("fastonly_crlf", "fastonly_latin1"):
        with open(os.path.join(HOSTILE, name + ".c"), "rb") as src, \
                open(tree / (where + name + ".c"), "wb") as dst:
            dst.write(src.read())
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "odd callers")
    assert convert.convert(str(tree), reports_dir=str(tmp_path / "rep"), fast_only=True).tip
    for name in ("fastonly_crlf", "fastonly_latin1"):
        got = subprocess.run(["git", "-C", str(tree), "show", "gup-unify:%s%s.c" % (where, name)],
                             capture_output=True, check=True).stdout
        with open(os.path.join(HOSTILE, name + ".res"), "rb") as f:
            assert got == f.read(), name
    run = json.loads((tmp_path / "rep" / "linux" / "conversion.json").read_text())
    odd = sorted((r["file"][len(where):], r["line"], r["outcome"])
                 for r in run["sites"] if r["file"].startswith(where + "fastonly_"))
    assert odd == [("fastonly_crlf.c", 7, "converted"), ("fastonly_crlf.c", 12, "converted"),
                   ("fastonly_latin1.c", 8, "converted")]
    assert run["skipped_files"] == []
    assert "drm/i915: use get_user_pages_fast_only()" in subjects(tree)
