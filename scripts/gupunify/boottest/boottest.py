"""make boottest: build, boot and test a kernel before and after the gup-unify series.

The run, one kernel after the other: bootbuild builds it, initramfs packs its
guest, qemuboot boots it, tap reads what it said, bootreport writes the report.
A migration with boot cases (bootcases.py) has its own kernel fragment and
guest: boot_cases runs each case in place of boottest/'s gup_test and module.
"""
import contextlib
import dataclasses
import hashlib
import os
import shutil

from ..common import kbuild, migration, report, tree as kernel_tree
from ..common.repository import repository, scratch_dir, series_range
from ..common.progress import progress
from ..common.util import die, run
from ..common.worklock import Lock
from ..common.worktree import checkout
from . import bootbuild, bootcases, bootreport, guests, initramfs, pmemimage
from .bootresult import ArchBoot, BootResult, KernelBoot
from .qemuboot import KVM_TIMEOUT, TCG_TIMEOUT, accelerator, boot_with_fallback, timing_boots
from .tap import KERNELS, parse_tap, scan_console


def kernel_revs(repo, branch, kernel=None):
    """{label: commit}: base is the merge-base of HEAD and branch, patched is branch.

    kernel is the tree as given, for the errors (series_range()).
    """
    base, patched = series_range(repo, branch, kernel=kernel)
    return {"base": base, "patched": patched}


@dataclasses.dataclass
class ArchRun:
    """Where and how one arch's kernels are built and booted (run_arch() makes it).

    root holds each kernel's folder: its worktree (root/<label>/src) serves
    every arch, as a kernel tree is some 1 GB, and each arch builds in
    root/<label>/<arch>/. exe is the arch's gup_test. qemu is {"accel",
    "reason", "timeout"}; a KVM that fails switches it to TCG for this and
    every later kernel, so that their timings compare. make_jobs is (-j,
    distcc environment or None) for the builds. cases are the migration's
    boot cases (None: boottest/'s own); with them exe is
    bootcases.build_programs()'s {"init", "gup_test"}.
    """
    arch: str
    repo: str
    root: str
    exe: str | dict
    qemu: dict
    clean: bool
    version: str
    make_jobs: tuple = (bootbuild.JOBS, None)
    cases: list | None = None


def run_kernel(label, rev, arch_run):
    """Check out, build, pack and boot one kernel of arch_run (an ArchRun).

    Returns its KernelBoot.
    """
    arch, qemu = arch_run.arch, arch_run.qemu
    g = guests.GUESTS[arch]
    top = os.path.join(arch_run.root, label)
    src = checkout(arch_run.repo, os.path.join(top, "src"), rev)
    work = os.path.join(top, arch)
    os.makedirs(work, exist_ok=True)
    build = os.path.join(work, "build")
    guest = os.path.join(work, "guest")
    os.makedirs(guest, exist_ok=True)
    with open(os.path.join(work, "build.log"), "w") as log:
        progress("%s %s: building %s (log: %s)" % (arch, label, rev[:12], log.name))
        knobs = kbuild.knobs(arch, src, arch_run.version)
        cases = arch_run.cases
        fragment = (bootcases.kernel_fragment(migration.current()) if cases
                    else bootbuild.FRAGMENT)
        timings, module = bootbuild.build_kernel(src, build, log, arch_run.clean, arch, knobs,
                                                 *arch_run.make_jobs, fragment=fragment,
                                                 with_module=not cases)
    progress("%s %s: %s in %.0f s%s" % (
        arch, label, g.target, timings["kernel_s"],
        ", module in %.0f s" % timings["module_s"] if module else ""))
    family = guests.family(arch, kbuild.read_config(build), src)
    if cases:
        initrd = bootcases.guest_initramfs(guest, arch_run.exe, cases)
    else:
        initrd = initramfs.guest_initramfs(arch, guest, arch_run.exe, module, family)
    image = os.path.join(build, g.image)
    progress("%s %s: booting under QEMU (%s)" % (arch, label, qemu["accel"]))
    record, tap_text, console_text = boot_with_fallback(image, initrd, guest, qemu, arch)
    record["bzimage"], record["initrd"] = image, initrd
    tap = parse_tap(tap_text)
    if cases:
        tap = bootcases.judge_log(tap, console_text)
    progress("%s %s: %d results in %.0f s" % (arch, label, len(tap.tests),
                                              record["wall_s"]))
    return KernelBoot(commit=rev, arch=arch, api=kernel_tree.api_state(src), family=family,
                      knobs=[k.as_dict() for k in knobs], build=timings, boot=record, tap=tap,
                      console=scan_console(console_text))


def parse_arches(text):
    """The arches of --arch (a,b,... or all), in the table's order."""
    choices = "choose from %s or all" % ",".join(guests.ALL)
    names = [a for a in text.split(",") if a]
    if not names:
        die("--arch %r names no arch: %s" % (text, choices))
    if names == ["all"]:
        return list(guests.ALL)
    if "all" in names:
        die("--arch %s: all is every arch, give it alone" % text)
    for name in names:
        if name not in guests.ALL:
            # ARCH=X86_64 or "arm, mips": say which name was meant.
            meant = name.strip().lower()
            die("unknown arch %r%s: %s" % (
                name, " (did you mean %s?)" % meant if meant in guests.ALL else "", choices))
    return [a for a in guests.ALL if a in names]


@dataclasses.dataclass
class BootOptions:
    """What make boottest builds and boots, and how."""
    branch: str = "gup-unify"       # the patched branch
    arch: str = "x86_64"            # the arches to boot, as --arch gives them ("all" too)
    only: str | None = None         # build and boot this kernel only ("base" or "patched")
    clean: bool = False             # start from an empty build directory
    tcg: bool = False               # do not use KVM even when usable
    boots: int = 3                  # boots of each kernel whose timings are merged
    timeout: int | None = None      # seconds per boot (None: KVM_TIMEOUT or TCG_TIMEOUT)
    distcc_hosts: str | None = None     # DISTCC_HOSTS: the compiles go there


def check_options(options):
    """The options that need no tree, checked before anything else; returns the arches."""
    arches = parse_arches(options.arch)
    if options.boots < 1:
        die("--boots must be at least 1 (got %d)" % options.boots)
    if options.timeout is not None and options.timeout < 1:
        die("--timeout must be at least 1 second (got %d)" % options.timeout)
    return arches


def check_tools(arches):
    """Die naming the first tool an arch needs that is not installed."""
    for arch in arches:
        g = guests.GUESTS[arch]
        missing = kbuild.missing_toolchain(arch)
        if missing:
            die("%s: %s: run make deps-boottest" % (arch, missing))
        # gup_test is linked static: gcc names libc.a by itself when it has none.
        gcc = kbuild.ARCHES[arch].gcc
        if not os.path.isabs(run([gcc, "-print-file-name=libc.a"], check=False)[1].strip()):
            die("%s: %s finds no static C library (libc.a): run make deps-boottest"
                % (arch, gcc))
        for tool in (g.qemu, "make"):
            if not shutil.which(tool):
                die("%s not found (for %s): run make deps-boottest" % (tool, arch))
        if g.init == "busybox":
            initramfs.busybox_path()
        if arch in guests.NVDIMM and not pmemimage.mke2fs():
            die("mke2fs not found (for %s's pmem): run make deps-boottest" % arch)


def check_buildable(tree, repo, revs, arches):
    """Die unless each kernel's tree has kbuild's config tools and the arches' Kconfig."""
    paths = ["scripts/kconfig/Makefile"] + ["arch/%s/Kconfig" % kbuild.ARCHES[a].arch_dir
                                            for a in arches]
    for rev in revs:
        for path in paths:
            if run(["git", "-C", repo, "cat-file", "-e", "%s:%s" % (rev, path)],
                   check=False)[0]:
                die("%s: %s has no %s: not a kernel tree make boottest can build"
                    % (tree.path, rev[:12], path))


def run_arch(arch, repo, revs, wanted, root, options, version, exe,
             make_jobs=(bootbuild.JOBS, None), cases=None):
    """Build and boot base and patched for one arch; returns its summarized ArchBoot.

    exe is the arch's gup_test (initramfs.build_test_program()), or with
    cases (the migration's boot cases) bootcases.build_programs()'s.
    """
    accel, why = (("tcg", "--tcg given") if options.tcg else accelerator(arch))
    qemu = {"accel": accel, "reason": why,
            "timeout": options.timeout or (KVM_TIMEOUT if accel == "kvm" else TCG_TIMEOUT)}
    progress("%s: accelerator %s (%s)" % (arch, accel, why))
    arch_run = ArchRun(arch, repo, root, exe, qemu, options.clean, version, make_jobs, cases)
    kernels = {label: run_kernel(label, revs[label], arch_run) for label in wanted}
    # The knobs come from the tree and the compiler, the GUP code from the
    # tree's config: the same for both kernels.
    first = next(iter(kernels.values()))
    res = ArchBoot(arch=arch, family=first.family, branch=options.branch,
                   accel=qemu["accel"], accel_reason=qemu["reason"], kernels=kernels,
                   knobs=first.knobs)
    # The boot cases time nothing: one boot of each kernel says it all.
    if options.boots > 1 and not cases:
        progress("%s timings: %d more boots of each kernel, in turn" % (arch, options.boots - 1))
        timing_boots(res.kernels, qemu, options.boots)
    return bootreport.summarize(res)


def main(kernel, reports_dir, options):
    """The boottest subcommand: build and boot base and patched; writes the report.

    options: BootOptions. Returns the BootResult.
    """
    # Everything that can stop the run is checked before the first build.
    arches = check_options(options)
    booted = [a for a in arches if a in guests.GUESTS]
    tree = kernel_tree.KernelTree(kernel)
    where = report.folder(reports_dir, tree)
    # Compiles go to the distcc hosts through ccache, -j their slots.
    make_jobs = (kbuild.distcc(options.distcc_hosts) if options.distcc_hosts
                 else (bootbuild.JOBS, None))
    # As make check: a plain directory (or one inside another checkout) is
    # its scratch import, where make spatch made the branch; locked only
    # while the import is brought up to date and the commits are read.
    with repository(tree) as repo:
        revs = kernel_revs(repo, options.branch, tree.path)
    wanted = [options.only] if options.only else list(KERNELS)
    cases = bootcases.read_cases(migration.current())
    check_buildable(tree, repo, [revs[k] for k in wanted], booted)
    check_tools(booted)
    # Keyed by the repository too: two trees may share a name.
    digest = hashlib.sha1(os.path.realpath(repo).encode()).hexdigest()[:10]
    root = os.path.join(scratch_dir(), "boottest", "%s-%s" % (tree.name, digest))
    # Two runs of one tree would build in the same worktrees and write the
    # same guest files: the second stops at once. With nothing to boot
    # nothing is written there.
    lock = contextlib.nullcontext()
    if booted:
        os.makedirs(root, exist_ok=True)
        lock = Lock(os.path.join(root, "lock"), "boottest run", wait=False)
    with lock:
        # Every guest's programs before the first kernel: one that does not
        # build stops the run with no kernel built. The tree's gup_test is
        # built from the first kernel's commit: a series leaves tools/ alone.
        exes = {}
        for arch in booted:
            os.makedirs(os.path.join(root, arch), exist_ok=True)
            exes[arch] = (bootcases.build_programs(os.path.join(root, arch), arch, repo,
                                                   revs[wanted[0]]) if cases
                          else initramfs.build_test_program(os.path.join(root, arch), arch))
        runs, not_booted = {}, {}
        for arch in arches:
            if arch in guests.NOT_BOOTED:
                not_booted[arch] = guests.NOT_BOOTED[arch]
                progress("%s: not booted: %s" % (arch, not_booted[arch]))
                continue
            runs[arch] = run_arch(arch, repo, revs, wanted, root, options, tree.full_version,
                                  exes[arch], make_jobs, cases)
        res = bootreport.summarize_all(BootResult(
            tree=tree.path, tree_name=tree.name, repository=repo, branch=options.branch,
            kernels=wanted, arches=runs, not_booted=not_booted,
            distcc_hosts=options.distcc_hosts, jobs=make_jobs[0]))
        bootreport.write_reports(res, where)
        progress("report: %s" % os.path.join(where, "boottest.md"))
        return res
