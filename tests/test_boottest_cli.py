"""make boottest from the command line: the tree, branch and options it takes, what it
refuses in one line before building anything, and one run per tree at a time."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from conftest import ROOT
from bootrecords import recorded, result
from gupunify import cli
from gupunify.boottest import bootreport, boottest, guests, initramfs
from gupunify.common import kbuild, repository
from gupunify.common.tree import KernelTree
from gupunify.common.util import UserError


def test_cli_refuses_a_path_that_is_not_a_kernel_tree():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gup-unify"),
                           "boottest", tempfile.gettempdir()], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "gup-unify: error: %s: not a Linux kernel tree (no Makefile, include/linux/mm.h "
        "and mm/)" % tempfile.gettempdir()]


def test_arch_list_is_checked_and_kept_in_table_order():
    assert boottest.parse_arches("arm,x86_64") == ["x86_64", "arm"]
    assert boottest.parse_arches("all") == guests.ALL
    with pytest.raises(UserError, match="^unknown arch 'ia64': choose from x86_64,arm,"):
        boottest.parse_arches("arm,ia64")


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
    with repository.repository(tree) as repo:
        base, tip = commit_series(repo)
    assert (repo == kernel) == (layout == "checkout with spaces")
    seen = []

    def booted(arch, repo, revs, wanted, root, args, version, exe, make_jobs, cases=None):
        seen.append((arch, repo, revs, wanted))
        return result({"base": recorded("base"), "patched": recorded("patched")})
    monkeypatch.setattr(boottest, "check_tools", lambda arches: None)
    monkeypatch.setattr(initramfs, "build_test_program", lambda work, arch: "gup_test")
    monkeypatch.setattr(boottest, "run_arch", booted)
    rep = tmp_path / "rep"
    res = boottest.main(kernel, str(rep), boottest.BootOptions())
    assert seen == [("x86_64", repo, {"base": base, "patched": tip}, ["base", "patched"])]
    assert (res.result, res.repository) == ("pass", repo)
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
    if (job, what) == ("spatch", "not a kernel tree"):
        # A module directory: spatch converts it to a diff only.
        why = ("not a kernel tree but a module directory: it is converted to a diff, its "
               "files are left as they are: give --diff FILE (- for standard output)")
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
