"""make spatch on the bundled sample tree: branch, report, refusals, idempotence."""
import json
import re
import shutil
import subprocess

import pytest
from conftest import SAMPLE, git, gup_unify

from gupunify.convert import callercommits, callers, convert


def test_converts_on_new_branch_and_leaves_user_alone(tree, tmp_path, need_spatch):
    head = git(tree, "rev-parse", "HEAD")
    status = git(tree, "status", "--porcelain")
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    assert git(tree, "rev-parse", "HEAD") == head
    assert git(tree, "symbolic-ref", "HEAD").strip() == "refs/heads/master"
    assert git(tree, "status", "--porcelain") == status
    subjects = git(tree, "log", "--reverse", "--format=%s", "master..gup-unify").splitlines()
    # One longterm and one fast commit per MAINTAINERS group, groups in path
    # order; the tiny driver's single call joined INFINIBAND SUBSYSTEM, but
    # KVM's did not join X86 ARCHITECTURE (no list in common).
    assert subjects == [
        "IB/tiny: pass gup_flags to get_user_pages_fast()",
        "IB/toy: use FOLL_LONGTERM, not get_user_pages_longterm()",
        "IB/toy: pass gup_flags to get_user_pages_fast()",
        "iov_iter: pass gup_flags to get_user_pages_fast()",
        "media: toy: use FOLL_LONGTERM, not get_user_pages_longterm()",
        "media: toy: pass gup_flags to get_user_pages_fast()",
        "mm/gup_benchmark: use FOLL_LONGTERM, not get_user_pages_longterm()",
        "mm/gup_benchmark: pass gup_flags to get_user_pages_fast()",
        "net/toy: pass gup_flags to get_user_pages_fast()",
        "KVM: x86: pass gup_flags to get_user_pages_fast()"]
    tiny = git(tree, "log", "-1", "--format=%B", "--grep", "^IB/tiny", "gup-unify")
    assert "This converts the call of get_user_pages_fast() in " \
        "drivers/infiniband/hw/tiny/pin.c." in " ".join(tiny.split())
    for sha in git(tree, "rev-list", "master..gup-unify").split():
        files = git(tree, "show", "--format=", "--name-only", sha).split()
        prefix = git(tree, "log", "-1", "--format=%s", sha).split(":")[0]
        assert all(f.startswith(("drivers/", "arch/", "lib/", "mm/", "net/")) for f in files)
        assert all(prefix.split("/")[-1].lower() in f for f in files), (prefix, files)
    body = git(tree, "log", "-1", "--format=%B", "gup-unify")
    assert "Signed-off-by: " in body
    rdma = git(tree, "show", "gup-unify:net/toy/rdma.c")
    assert "get_user_pages_fast(user_addr, nr_pages, write ? FOLL_WRITE : 0,\n" in rdma
    assert "FOLL_WRITE/* iswrite */" in rdma
    assert "rw == 0 ? FOLL_WRITE : 0" in rdma
    assert "get_user_pages_fast(start, 1, 0, pages)" in rdma
    media = git(tree, "show", "gup-unify:drivers/media/toy/dma-sg.c")
    assert "(vma->vm_flags & VM_WRITE) ? FOLL_WRITE : 0" in media
    assert "get_user_pages(data, n, flags | FOLL_LONGTERM, pages, NULL)" in media
    assert "#define TOY_PIN(addr, w, page) get_user_pages_fast(addr, 1, w, page)" in media
    kvm = git(tree, "show", "gup-unify:arch/x86/kvm/paging_tmpl.h")
    assert "get_user_pages_fast(ptep_user, 1, FOLL_WRITE, page)" in kvm
    iov = git(tree, "show", "gup-unify:lib/iov_iter.c")
    assert "i->rw != 1 ? FOLL_WRITE : 0" in iov
    bench = git(tree, "show", "gup-unify:mm/gup_benchmark.c")
    assert "(gup->flags & 1) | FOLL_LONGTERM" in bench
    assert "(gup->flags & 1) ? FOLL_WRITE : 0" in bench
    assert "get_user_pages_longterm(" not in \
        git(tree, "show", "gup-unify:drivers/infiniband/hw/toy/umem.c")
    # the definitions are the core patches' business
    assert "int get_user_pages_fast(unsigned long start, int nr_pages, int write," in \
        git(tree, "show", "gup-unify:include/linux/mm.h")


def test_report_lists_every_site(tree, tmp_path, need_spatch):
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    run = json.loads((tmp_path / "rep" / "linux" / "conversion.json").read_text())
    by = {}
    for r in run["sites"]:
        by.setdefault((r["api"], r["outcome"]), []).append(r)
    assert len(by[("get_user_pages_longterm", "converted")]) == 3
    assert len(by[("get_user_pages_fast", "converted")]) == 9
    assert sorted((r["line"], r["reason"].split(":")[0]) for r in
                  by[("get_user_pages_fast", "manual")]) == [
        (8, "inside a #define body"), (10, "not called here (function pointer or reference)")]
    assert sorted(r["idiom"] for r in by[("get_user_pages_fast", "unchanged")]) == \
        ["foll_write_as_write", "zero"]
    fallback = [r for r in run["sites"] if r["by"] == "fallback"]
    assert [(r["file"], r["after"]) for r in fallback] == \
        [("lib/iov_iter.c", "i->rw != 1 ? FOLL_WRITE : 0")]
    assert not any(r.get("disagreement") for r in run["sites"])
    md = (tmp_path / "rep" / "linux" / "conversion.md").read_text()
    assert "## Left for a human (2)" in md
    assert "drivers/infiniband/hw/toy/umem.c" in md.split("## Long-term pin candidates")[1]


def test_second_run_on_converted_branch_does_nothing(tree, tmp_path, need_spatch):
    first = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                      scratch=tmp_path / "s")
    assert first.returncode == 0, first.stderr
    git(tree, "checkout", "-q", "gup-unify")
    again = gup_unify("spatch", str(tree), "--branch", "gup-unify-2",
                      "--reports", str(tmp_path / "rep2"), scratch=tmp_path / "s")
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stderr
    assert git(tree, "branch", "--list", "gup-unify-2") == ""
    assert not (tmp_path / "rep2").exists()


@pytest.mark.parametrize("args, message", [
    (["--branch", "master"], "branch master already exists"),
])
def test_refuses_existing_branch(tree, tmp_path, args, message, need_spatch):
    out = gup_unify("spatch", str(tree), *args, scratch=tmp_path / "s")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith("gup-unify: error: " + message)
    assert "Traceback" not in out.stderr


def test_refuses_non_kernel_and_missing_paths(tmp_path):
    (tmp_path / "notkernel").mkdir()
    for path in (tmp_path / "notkernel", tmp_path / "missing"):
        out = gup_unify("spatch", str(path), scratch=tmp_path / "s")
        assert out.returncode == 2
        assert len(out.stderr.strip().splitlines()) == 1
        assert "Traceback" not in out.stderr


def test_refuses_dirty_tree(tree, tmp_path, need_spatch):
    (tree / "net/toy/rdma.c").write_text("/* edited */\n")
    out = gup_unify("spatch", str(tree), scratch=tmp_path / "s")
    assert out.returncode == 2
    assert "uncommitted changes" in out.stderr
    assert git(tree, "branch", "--list", "gup-unify") == ""


def test_diff_only(tree, tmp_path, need_spatch):
    out = gup_unify("spatch", str(tree), "--diff", str(tmp_path / "out.diff"),
                    "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    diff = (tmp_path / "out.diff").read_text()
    assert "+\treturn get_user_pages_fast(ptep_user, 1, FOLL_WRITE, page);" in diff
    assert git(tree, "branch", "--list", "gup-unify") == ""
    applied = subprocess.run(["git", "-C", str(tree), "apply", "--check", str(tmp_path / "out.diff")])
    assert applied.returncode == 0


def test_plain_directory_is_imported(tmp_path, need_spatch):
    plain = tmp_path / "plain"
    shutil.copytree(SAMPLE, plain)
    # A plain directory has no git config of its own: the identity is given.
    out = gup_unify("spatch", str(plain), "--reports", str(tmp_path / "rep"),
                    "--identity", "Pat Sender <pat@example.org>", scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    assert "importing it into %s" % (tmp_path / "s" / "repos") in out.stderr
    repo = next((tmp_path / "s" / "repos").iterdir())
    assert git(repo, "log", "--format=%s", "-1", "gup-unify") == \
        "KVM: x86: pass gup_flags to get_user_pages_fast()\n"
    assert not (plain / ".git").exists()



def test_a_step_begun_ahead_is_begun_again_when_its_plan_no_longer_holds(
        tree, tmp_path, need_spatch, monkeypatch):
    """The fast step's spatch starts beside the longterm step's, planned on the API state
    read before the longterm step; when the state read after it differs, the fast
    step's files are put back and converted again: the branch is a plain run's."""
    convert.convert(str(tree), "plain", reports_dir=str(tmp_path / "rep-plain"))
    real_state, real_put_back = callercommits.api_state, callers.CallerStep.put_back
    reads, put_back = [], []

    def moving_state(path):
        # A state that differs at every read: no plan made on it holds.
        reads.append(path)
        return dict(real_state(path), reads=len(reads))

    def recorded_put_back(step):
        put_back.append(step.name)
        real_put_back(step)
    monkeypatch.setattr(callercommits, "api_state", moving_state)
    monkeypatch.setattr(callers.CallerStep, "put_back", recorded_put_back)
    convert.convert(str(tree), "again", reports_dir=str(tmp_path / "rep-again"))
    assert put_back == ["get_user_pages_fast"]
    assert git(tree, "diff", "plain", "again") == ""
    assert git(tree, "log", "--format=%s%n%b", "master..plain") == \
        git(tree, "log", "--format=%s%n%b", "master..again")
    plain, again = [json.loads((tmp_path / rep / "linux" / "conversion.json").read_text())
                    for rep in ("rep-plain", "rep-again")]
    assert again["sites"] == plain["sites"]


def test_a_tree_whose_foll_write_is_not_one_is_refused_before_any_spatch_run(tree, tmp_path):
    """The write-to-flags rewrite is value-preserving only with FOLL_WRITE == 1: another
    value refuses the tree in one line, before either step's spatch starts."""
    header = tree / "include" / "linux" / "mm.h"
    text = header.read_text()
    assert "#define FOLL_WRITE\t0x01" in text
    header.write_text(text.replace("#define FOLL_WRITE\t0x01", "#define FOLL_WRITE\t0x08"))
    git(tree, "commit", "-qam", "FOLL_WRITE moved")
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    assert out.returncode == 2
    assert out.stderr.splitlines()[-1] == \
        "gup-unify: error: FOLL_WRITE is 0x08, not 1: the caller conversion is not " \
        "value-preserving here"
    assert ".cocci: " not in out.stderr
    assert git(tree, "branch", "--list", "gup-unify") == ""
    assert git(tree, "worktree", "list").count("\n") == 1


def test_each_step_says_once_what_it_runs_on(tree, tmp_path):
    """The fast step's line counts the files begun beside the longterm step; with none
    (every fast caller calls the longterm function too) it runs after it, one line."""
    def running_lines(stderr):
        return [line for line in stderr.splitlines() if "mention it; running" in line]
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    fast = [line for line in running_lines(out.stderr) if "get_user_pages_fast:" in line]
    assert len(fast) == 1
    begun = re.search(r"on (\d+) of them beside get_user_pages_longterm, on the other (\d+) "
                      r"after it$", fast[0])
    assert begun, fast[0]
    # Each line before spatch's own, which a thread prints.
    lines = out.stderr.splitlines()
    early, late = [next(n for n, line in enumerate(lines) if line.startswith(
        "gup-unify: gup_fast_flags.cocci: %s files, -j " % count)) for count in begun.groups()]
    assert lines.index(fast[0]) < early < late
    both = set(git(tree, "grep", "-l", "-w", "get_user_pages_longterm").split())
    fast_only = set(git(tree, "grep", "-l", "-w", "get_user_pages_fast").split()) - both
    fast_only.discard("include/linux/mm.h")
    git(tree, "rm", "-q", *sorted(fast_only))
    git(tree, "commit", "-qm", "only callers of both")
    out = gup_unify("spatch", str(tree), "--branch", "both", "--reports",
                    str(tmp_path / "rep2"), scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    assert [line for line in running_lines(out.stderr) if "get_user_pages_fast:" in line] == [
        "gup-unify: get_user_pages_fast: %d files mention it; running gup_fast_flags.cocci"
        % len(set(git(tree, "grep", "-l", "-w", "get_user_pages_fast").split()))]
