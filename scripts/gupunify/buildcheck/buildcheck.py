"""make check: build every step of a series, on every arch the series touches.

The job in phases: find the objects each step can affect (affected.py),
configure each arch (archbuild.py), place the objects in the arches'
configs (affected.place, then fallback() here), build them at the base,
then step by step (buildsteps.py), and report (buildreport.py).
"""
import dataclasses
import hashlib
import os

from ..common import kbuild, report
from ..common.repository import repository, scratch_dir, series_range
from ..common.tree import KernelTree
from ..common.progress import phase, progress
from ..common.util import UserError, die, git, run
from ..common.worklock import Lock
from ..common.worktree import checkout
from . import affected
from .archbuild import ArchBuild, in_parallel
from .buildreport import markdown
from .buildsteps import Phases, run_step, run_together, runs_of, step_result
from .checkresult import ArchResult, CheckResult, StepResult


def fallback(placement, in_play, makefiles, builds, base, facts):
    """Objects no config in play builds go to an arch's allmodconfig that does, if any.

    sbus, spapr and sh drivers are not x86 objects; trying the allmodconfig
    of each arch in play (configured only when needed, prepared only when it
    builds something) beats reporting them unchecked.
    """
    homeless = [src for src, spots in sorted(placement.items())
                if not any(why is None for _, why in spots)
                and not spots[0][1].startswith("skipped: ")]
    candidates = []
    for name in in_play:
        primary = builds.get(name)
        if homeless and primary and not primary.skip and \
                primary.config_target != "allmodconfig":
            candidates.append(ArchBuild(name, primary.src, os.path.dirname(primary.objdir),
                                        primary.version, primary.jobs, primary.sparse,
                                        "allmodconfig", primary.env))

    def configure_only(build):
        try:
            build.configure_only(base, facts)
        except UserError as e:
            progress("%s: %s" % (build.label, e))
            build.skip = str(e)
    # Configured side by side: in practice every candidate is tried (some
    # object, such as an arm-only staging driver, is homeless everywhere).
    in_parallel(configure_only, candidates)
    tried, chosen = [], []
    for build in candidates:
        tried.append(build.label)
        found = [src for src in homeless if not build.skip
                 and makefiles.enabled(src, build.config)[0] is True]
        if found:
            chosen.append((build, found))
            homeless = [src for src in homeless if src not in found]
    in_parallel(lambda build: build.configure(base, facts), [b for b, _ in chosen])
    for build, found in chosen:
        if build.skip:
            progress("%s: %s" % (build.label, build.skip))
            homeless += found
            continue
        builds["%s-allmodconfig" % build.name] = build
        for src in found:
            placement[src].append(("%s-allmodconfig" % build.name, None))
    for src in homeless:
        arch, why = placement[src][0]
        if tried:
            placement[src][0] = (arch, "%s%s%s" % (why, ", " if "; nor in " in why
                                                   else "; nor in ", ", ".join(tried)))


def run_checkpatch(src, repo, commit):
    """scripts/checkpatch.pl on one commit: (errors, warnings, first lines)."""
    patch = git(repo, "format-patch", "-1", "--stdout", commit)
    _, out, _ = run(["perl", os.path.join(src, "scripts", "checkpatch.pl"), "--no-tree",
                     "--terse", "--show-types", "-"], cwd=src, input=patch, check=False)
    lines = [l for l in out.splitlines() if ": ERROR:" in l or ": WARNING:" in l]
    return {"errors": sum(": ERROR:" in l for l in lines),
            "warnings": sum(": WARNING:" in l for l in lines),
            "messages": lines[:20]}


@dataclasses.dataclass
class CheckOptions:
    """How make check builds, beyond the tree, the branch and the reports folder."""
    base: str | None = None         # where the series starts (None: merge-base with HEAD)
    arches: list | None = None      # the check arches (None: those the series touches)
    sparse: bool = False            # also run sparse (C=1)
    checkpatch: bool = False        # also run scripts/checkpatch.pl on each step
    jobs: int | None = None         # parallel jobs (None: the cores, or distcc's slots)
    # A check arch's config target instead of its default (allmodconfig for
    # x86_64, the defconfig elsewhere).
    configs: dict = dataclasses.field(default_factory=dict)
    distcc_hosts: str | None = None     # DISTCC_HOSTS: the compiles go there


def check(tree, branch="gup-unify", reports_dir=None, options=None):
    """Build-check every step of BASE..BRANCH of tree; writes the report and returns it
    (a CheckResult).

    tree is a KernelTree (series --check passes its own), or the path of one,
    read once the options that need no tree are checked.
    """
    options = options or CheckOptions()
    base, arches, sparse, checkpatch, jobs, configs, distcc_hosts = (
        options.base, options.arches, options.sparse, options.checkpatch, options.jobs,
        options.configs, options.distcc_hosts)
    phases = Phases()
    env = None
    if distcc_hosts:
        slots, env = kbuild.distcc(distcc_hosts)
        jobs = jobs or slots
    if not isinstance(tree, KernelTree):
        tree = KernelTree(tree)
    for name, target in configs.items():
        kbuild.check_config_target(name, target, tree.path)
    where = report.folder(reports_dir, tree)
    # Locked only while a plain directory's import is brought up to date: the
    # check reads commits, and its own work directory has a lock of its own.
    with repository(tree) as repo:
        base, tip = series_range(repo, branch, base, tree.path, "--base (make: BASE=)")
        commits = git(repo, "rev-list", "--reverse", "%s..%s" % (base, tip)).split()
    if arches:
        unknown = [a for a in list(arches) + list(configs) if a not in kbuild.ARCHES]
        if unknown:
            die("unknown arch %s (known: %s)" % (", ".join(unknown),
                                                 ", ".join(sorted(kbuild.ARCHES))))
    jobs = jobs or os.cpu_count() or 1
    progress("%d steps in %s..%s" % (len(commits), base[:12], branch))
    steps, parent = [], base
    with phases("find objects"), phase("find objects", len(commits), "commits") as seen:
        for commit in commits:
            sources, notes = affected.step_sources(repo, parent, commit)
            changed = git(repo, "diff", "--name-only", "--no-renames", parent, commit).split()
            steps.append({"commit": commit,
                          "subject": git(repo, "log", "-1", "--format=%s", commit).strip(),
                          "sources": sources, "notes": notes, "changed": changed})
            parent = commit
            seen.advance()
    every = sorted({s for step in steps for s in step["sources"]})
    in_play = affected.arches_in_play(every)
    if arches:
        in_play = [a for a in in_play if a in arches] + [a for a in arches if a not in in_play]
    digest = hashlib.sha1(os.path.realpath(repo).encode()).hexdigest()[:10]
    workdir = os.path.join(scratch_dir(), "buildcheck", "%s-%s" % (tree.name, digest))
    os.makedirs(workdir, exist_ok=True)
    with Lock(os.path.join(workdir, "lock"), "build check"):
        with phases("configure"):
            src = os.path.join(workdir, "src")
            checkout(repo, src, base)
            facts = kbuild.tree_facts(src)
            builds = {name: ArchBuild(name, src, workdir, tree.full_version, jobs, sparse,
                                      configs.get(name), env)
                      for name in in_play if name in kbuild.ARCHES}
            in_parallel(lambda b: b.configure(base, facts),
                        [b for b in builds.values() if not b.skip])
            makefiles = kbuild.Makefiles(affected.Source(repo, commits[-1]).read)
            placement = affected.place(every, in_play, makefiles, builds)
            fallback(placement, in_play, makefiles, builds, base, facts)
        exists_at_base = affected.Source(repo, base)
        last = {}
        with phases("baseline"):
            wanted = {name: sorted({kbuild.object_of(s) for s, spots in placement.items()
                                    for arch, why in spots if arch == name and why is None
                                    and exists_at_base.exists(s)})
                      for name, build in builds.items() if not build.skip}
            for name, objs in wanted.items():
                if objs:
                    progress("%s: baseline, %d objects" % (name, len(objs)))
            built = in_parallel(lambda name: builds[name].build(wanted[name], "baseline"),
                                [name for name, objs in wanted.items() if objs])
            for name, (results, _) in built.items():
                for obj, result in results.items():
                    last[(name, obj)] = result
        for number, step in enumerate(steps, 1):
            step["number"] = number
        for joined in runs_of(steps):
            first, end = joined[0]["number"], joined[-1]["number"]
            name = "step %d" % first if len(joined) == 1 else "steps %d-%d" % (first, end)
            progress("%s/%d: %s" % (name, len(steps), joined[-1]["subject"] if len(joined) == 1
                                    else "%d steps changing .c files only" % len(joined)))
            with phases(name) as row:
                redo = run_together(joined, repo, src, placement, builds, last)
            for step in joined:
                step["seconds"] = round(row["wall"] / len(joined), 1)
                step["cpu"] = round(row["cpu"] / len(joined), 1)
            for step in redo:
                with phases("step %d" % step["number"]) as row:
                    checkout(repo, src, step["commit"])
                    step["cells"] = run_step(step, placement, builds, last)
                step["seconds"] += row["wall"]
                step["cpu"] += row["cpu"]
        failed = 0
        for step in steps:
            if checkpatch:
                step["checkpatch"] = run_checkpatch(src, repo, step["commit"])
            step["result"] = step_result(step["cells"])
            failed += step["result"] == "failed"
        checkout(repo, src, base)
    timings = phases.as_dict()
    # The older flat figures, kept for readers of earlier reports.
    rows = {row["phase"]: row["wall"] for row in timings["phases"]}
    timings.update(affected=rows["find objects"], configure=rows["configure"],
                   baseline=rows["baseline"])
    result = CheckResult(
        tree.path, repo, tree.full_version, base, branch, jobs, sparse, distcc_hosts,
        {name: ArchResult(b.config_target, "skipped" if b.skip else "checked", b.skip,
                          [k.as_dict() for k in b.knobs], b.compiled,
                          round(b.compile_seconds, 1),
                          {k: round(v, 1) for k, v in b.seconds.items()})
         for name, b in builds.items()},
        [StepResult(s["commit"], s["subject"], s["result"], s["seconds"], s["cpu"], s["notes"],
                    s.get("checkpatch"), s["sources"], s["cells"]) for s in steps],
        "failed" if failed else "passed" if any(
            s["result"] == "passed" for s in steps) else "skipped",
        timings)
    report.write_pair(result.to_json(), markdown(result), where, tree.path, "buildcheck",
                      sort_keys=False)
    progress("report: %s" % where)
    return result


def status(result):
    """The check's exit status: 0 when it passed, else 1."""
    # Nothing built at all is no evidence the series builds: not a pass either.
    return 0 if result.result == "passed" else 1
